package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"

	"github.com/hatrack/hatrack/internal/iam"
)

// Account-level IAM operations on the wire: aliases, the summary, the
// credential report and GetAccountAuthorizationDetails.

// summaryMap renders <SummaryMap><entry><key/><value/></entry>…</SummaryMap>
// (and a JSON object).
type summaryMap []iam.SummaryEntry

func (m summaryMap) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, kv := range m {
		entry := struct {
			Key   string `xml:"key"`
			Value int    `xml:"value"`
		}{kv.Key, kv.Value}
		if err := e.EncodeElement(entry, xml.StartElement{Name: xml.Name{Local: "entry"}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (m summaryMap) MarshalJSON() ([]byte, error) {
	out := make(map[string]int, len(m))
	for _, kv := range m {
		out[kv.Key] = kv.Value
	}
	return json.Marshal(out)
}

type xmlPolicyDetail struct {
	PolicyName     string
	PolicyDocument string
}

type xmlUserDetail struct {
	Path                    string
	UserName                string
	UserId                  string
	Arn                     string
	CreateDate              Timestamp
	UserPolicyList          []xmlPolicyDetail `xml:"UserPolicyList>member"`
	GroupList               []string          `xml:"GroupList>member"`
	AttachedManagedPolicies []xmlAttached     `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary     *xmlBoundary      `xml:",omitempty" json:",omitempty"`
	Tags                    []xmlTag          `xml:"Tags>member"`
}

type xmlGroupDetail struct {
	Path                    string
	GroupName               string
	GroupId                 string
	Arn                     string
	CreateDate              Timestamp
	GroupPolicyList         []xmlPolicyDetail `xml:"GroupPolicyList>member"`
	AttachedManagedPolicies []xmlAttached     `xml:"AttachedManagedPolicies>member"`
}

type xmlRoleDetail struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               Timestamp
	AssumeRolePolicyDocument string
	InstanceProfileList      []xmlInstanceProfile `xml:"InstanceProfileList>member"`
	RolePolicyList           []xmlPolicyDetail    `xml:"RolePolicyList>member"`
	AttachedManagedPolicies  []xmlAttached        `xml:"AttachedManagedPolicies>member"`
	PermissionsBoundary      *xmlBoundary         `xml:",omitempty" json:",omitempty"`
	Tags                     []xmlTag             `xml:"Tags>member"`
	RoleLastUsed             xmlRoleLastUsed
}

type xmlManagedPolicyDetail struct {
	PolicyName                    string
	PolicyId                      string
	Arn                           string
	Path                          string
	DefaultVersionId              string
	AttachmentCount               int
	PermissionsBoundaryUsageCount int
	IsAttachable                  bool
	Description                   string `xml:",omitempty" json:",omitempty"`
	CreateDate                    Timestamp
	UpdateDate                    Timestamp
	PolicyVersionList             []xmlPolicyVersion `xml:"PolicyVersionList>member"`
}

func inlineDetails(list []*iam.InlinePolicy) []xmlPolicyDetail {
	out := []xmlPolicyDetail{}
	for _, ip := range list {
		out = append(out, xmlPolicyDetail{ip.Name, iam.EncodeDocument(ip.Document)})
	}
	return out
}

func attachedDetails(list []iam.AttachedPolicy) []xmlAttached {
	out := []xmlAttached{}
	for _, a := range list {
		out = append(out, xmlAttached{a.Name, a.ARN})
	}
	return out
}

func iamAccountOps(svc *iam.Service) []*Op {
	return []*Op{
		{Service: "iam", Name: "CreateAccountAlias", Mutates: true,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.CreateAccountAlias(ctx, c.Account(), c.str("AccountAlias"))
			}},
		{Service: "iam", Name: "DeleteAccountAlias", Mutates: true,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteAccountAlias(ctx, c.Account(), c.str("AccountAlias"))
			}},
		{Service: "iam", Name: "ListAccountAliases",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if _, err := c.page(); err != nil {
					return nil, err
				}
				aliases, err := svc.ListAccountAliases(ctx, c.Account())
				if err != nil {
					return nil, err
				}
				return &struct {
					AccountAliases []string `xml:"AccountAliases>member"`
					IsTruncated    bool
				}{aliases, false}, nil
			}},
		{Service: "iam", Name: "GetAccountSummary",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				m, err := svc.AccountSummary(ctx, c.Account())
				if err != nil {
					return nil, err
				}
				return &struct{ SummaryMap summaryMap }{summaryMap(m)}, nil
			}},
		{Service: "iam", Name: "GenerateCredentialReport", Mutates: true,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				state, desc, err := svc.GenerateCredentialReport(ctx, c.Account())
				if err != nil {
					return nil, err
				}
				return &struct {
					State       string
					Description string `xml:",omitempty" json:",omitempty"`
				}{state, desc}, nil
			}},
		{Service: "iam", Name: "GetCredentialReport",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				rep, err := svc.GetCredentialReport(ctx, c.Account())
				if err != nil {
					return nil, err
				}
				return &struct {
					Content       string
					ReportFormat  string
					GeneratedTime Timestamp
				}{base64.StdEncoding.EncodeToString(rep.Content), "text/csv", TS(rep.Generated)}, nil
			}},
		{Service: "iam", Name: "GetAccountAuthorizationDetails",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				filter, err := c.strList("Filter")
				if err != nil {
					return nil, err
				}
				if _, err := c.page(); err != nil {
					return nil, err
				}
				d, err := svc.AuthorizationDetails(ctx, c.Account(), filter)
				if err != nil {
					return nil, err
				}
				out := &struct {
					UserDetailList  []xmlUserDetail          `xml:"UserDetailList>member"`
					GroupDetailList []xmlGroupDetail         `xml:"GroupDetailList>member"`
					RoleDetailList  []xmlRoleDetail          `xml:"RoleDetailList>member"`
					Policies        []xmlManagedPolicyDetail `xml:"Policies>member"`
					IsTruncated     bool
				}{UserDetailList: []xmlUserDetail{}, GroupDetailList: []xmlGroupDetail{}, RoleDetailList: []xmlRoleDetail{}, Policies: []xmlManagedPolicyDetail{}}
				for _, u := range d.Users {
					out.UserDetailList = append(out.UserDetailList, xmlUserDetail{Path: u.User.Path, UserName: u.User.Name, UserId: u.User.ID,
						Arn: u.User.ARN(), CreateDate: TS(u.User.Created), UserPolicyList: inlineDetails(u.Inline), GroupList: append([]string{}, u.Groups...),
						AttachedManagedPolicies: attachedDetails(u.Attached), PermissionsBoundary: boundaryOf(u.User.PermissionsBoundary),
						Tags: append([]xmlTag{}, toXMLTags(u.User.Tags)...)})
				}
				for _, g := range d.Groups {
					out.GroupDetailList = append(out.GroupDetailList, xmlGroupDetail{Path: g.Group.Path, GroupName: g.Group.Name, GroupId: g.Group.ID,
						Arn: g.Group.ARN(), CreateDate: TS(g.Group.Created), GroupPolicyList: inlineDetails(g.Inline), AttachedManagedPolicies: attachedDetails(g.Attached)})
				}
				for _, r := range d.Roles {
					x := xmlRoleDetail{Path: r.Role.Path, RoleName: r.Role.Name, RoleId: r.Role.ID, Arn: r.Role.ARN(), CreateDate: TS(r.Role.Created),
						AssumeRolePolicyDocument: iam.EncodeDocument(r.Role.TrustDocument), InstanceProfileList: []xmlInstanceProfile{},
						RolePolicyList: inlineDetails(r.Inline), AttachedManagedPolicies: attachedDetails(r.Attached),
						PermissionsBoundary: boundaryOf(r.Role.PermissionsBoundary), Tags: append([]xmlTag{}, toXMLTags(r.Role.Tags)...),
						RoleLastUsed: xmlRoleLastUsed{LastUsedDate: TSPtr(r.Role.LastUsed), Region: r.Role.LastRegion}}
					for _, p := range r.Profiles {
						x.InstanceProfileList = append(x.InstanceProfileList, toXMLProfile(p, false))
					}
					out.RoleDetailList = append(out.RoleDetailList, x)
				}
				for _, p := range d.Policies {
					x := xmlManagedPolicyDetail{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN(), Path: p.Path, DefaultVersionId: p.DefaultVersion,
						AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount, IsAttachable: p.IsAttachable(),
						Description: p.Description, CreateDate: TS(p.Created), UpdateDate: TS(p.Updated), PolicyVersionList: []xmlPolicyVersion{}}
					for i := range p.Versions {
						x.PolicyVersionList = append(x.PolicyVersionList, toXMLVersion(p, &p.Versions[i], true))
					}
					out.Policies = append(out.Policies, x)
				}
				return out, nil
			}},
	}
}
