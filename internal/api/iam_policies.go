package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"sort"
	"strings"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/policy"
)

// Managed policies, attachments, inline policies and permissions
// boundaries on the wire.

type xmlPolicy struct {
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
	Tags                          []xmlTag `xml:"Tags>member,omitempty" json:",omitempty"`
}

func toXMLPolicy(p *iam.ManagedPolicy, withTags bool) xmlPolicy {
	x := xmlPolicy{PolicyName: p.Name, PolicyId: p.ID, Arn: p.ARN(), Path: p.Path, DefaultVersionId: p.DefaultVersion,
		AttachmentCount: p.AttachmentCount, PermissionsBoundaryUsageCount: p.BoundaryCount, IsAttachable: p.IsAttachable(),
		Description: p.Description, CreateDate: TS(p.Created), UpdateDate: TS(p.Updated)}
	if withTags {
		x.Tags = toXMLTags(p.Tags)
	}
	return x
}

type xmlPolicyVersion struct {
	Document         string `xml:",omitempty" json:",omitempty"`
	VersionId        string
	IsDefaultVersion bool
	CreateDate       Timestamp
}

func toXMLVersion(p *iam.ManagedPolicy, v *iam.PolicyVersion, withDoc bool) xmlPolicyVersion {
	x := xmlPolicyVersion{VersionId: v.ID, IsDefaultVersion: v.ID == p.DefaultVersion, CreateDate: TS(v.Created)}
	if withDoc {
		x.Document = iam.EncodeDocument(v.Document)
	}
	return x
}

func policyRes(c *Call) string {
	if a := c.str("PolicyArn"); a != "" {
		return a
	}
	return "*"
}

// awsManagedDenied refuses changes to AWS-managed policies the way IAM
// does: the caller is not authorized on the AWS-owned resource.
func awsManagedDenied(c *Call) error {
	arn := c.str("PolicyArn")
	if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		return awserr.AccessDenied("User: %s is not authorized to perform: iam:%s on resource: policy %s", c.Caller.ARN, c.Op.Name, arn)
	}
	return nil
}

func iamPolicyOps(svc *iam.Service) []*Op {
	return []*Op{
		{Service: "iam", Name: "CreatePolicy", Mutates: true,
			Resource: func(c *Call) string {
				return "arn:aws:iam::" + c.Account() + ":policy" + orSlash(c.str("Path")) + c.str("PolicyName")
			},
			Context: requestTagContext,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				p, err := svc.CreatePolicy(ctx, c.Account(), iam.CreatePolicyInput{PolicyName: c.str("PolicyName"), Path: c.str("Path"),
					Document: c.str("PolicyDocument"), Description: c.str("Description"), Tags: tags})
				if err != nil {
					return nil, err
				}
				return &struct{ Policy xmlPolicy }{toXMLPolicy(p, true)}, nil
			}},
		{Service: "iam", Name: "GetPolicy", Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetPolicy(ctx, c.Account(), c.str("PolicyArn"))
				if err != nil {
					return nil, err
				}
				return &struct{ Policy xmlPolicy }{toXMLPolicy(p, true)}, nil
			}},
		{Service: "iam", Name: "GetPolicyVersion", Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, v, err := svc.GetPolicyVersion(ctx, c.Account(), c.str("PolicyArn"), c.str("VersionId"))
				if err != nil {
					return nil, err
				}
				return &struct{ PolicyVersion xmlPolicyVersion }{toXMLVersion(p, v, true)}, nil
			}},
		{Service: "iam", Name: "CreatePolicyVersion", Mutates: true, Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := awsManagedDenied(c); err != nil {
					return nil, err
				}
				def, _, err := c.boolParam("SetAsDefault", "setAsDefault")
				if err != nil {
					return nil, err
				}
				v, err := svc.CreatePolicyVersion(ctx, c.Account(), c.str("PolicyArn"), c.str("PolicyDocument"), def)
				if err != nil {
					return nil, err
				}
				return &struct{ PolicyVersion xmlPolicyVersion }{xmlPolicyVersion{VersionId: v.ID, IsDefaultVersion: def, CreateDate: TS(v.Created)}}, nil
			}},
		{Service: "iam", Name: "SetDefaultPolicyVersion", Mutates: true, Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := awsManagedDenied(c); err != nil {
					return nil, err
				}
				return nil, svc.SetDefaultPolicyVersion(ctx, c.Account(), c.str("PolicyArn"), c.str("VersionId"))
			}},
		{Service: "iam", Name: "DeletePolicyVersion", Mutates: true, Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := awsManagedDenied(c); err != nil {
					return nil, err
				}
				return nil, svc.DeletePolicyVersion(ctx, c.Account(), c.str("PolicyArn"), c.str("VersionId"))
			}},
		{Service: "iam", Name: "DeletePolicy", Mutates: true, Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := awsManagedDenied(c); err != nil {
					return nil, err
				}
				return nil, svc.DeletePolicy(ctx, c.Account(), c.str("PolicyArn"))
			}},
		{Service: "iam", Name: "ListPolicyVersions", Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.ListPolicyVersions(ctx, c.Account(), c.str("PolicyArn"))
				if err != nil {
					return nil, err
				}
				out := &struct {
					Versions    []xmlPolicyVersion `xml:"Versions>member"`
					IsTruncated bool
				}{Versions: []xmlPolicyVersion{}}
				vs := append([]iam.PolicyVersion(nil), p.Versions...)
				sort.SliceStable(vs, func(i, j int) bool {
					return vs[i].Created.After(vs[j].Created) || vs[i].Created.Equal(vs[j].Created) && len(vs[i].ID) > len(vs[j].ID) || vs[i].Created.Equal(vs[j].Created) && len(vs[i].ID) == len(vs[j].ID) && vs[i].ID > vs[j].ID
				})
				for i := range vs {
					out.Versions = append(out.Versions, toXMLVersion(p, &vs[i], false))
				}
				return out, nil
			}},
		{Service: "iam", Name: "ListPolicies",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				only, _, err := c.boolParam("OnlyAttached", "onlyAttached")
				if err != nil {
					return nil, err
				}
				list, next, err := svc.ListPolicies(ctx, c.Account(), iam.ListPoliciesInput{Scope: c.str("Scope"), OnlyAttached: only,
					PathPrefix: c.str("PathPrefix"), UsageFilter: c.str("PolicyUsageFilter")}, p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					Policies    []xmlPolicy `xml:"Policies>member"`
					IsTruncated bool
					Marker      string `xml:",omitempty" json:",omitempty"`
				}{Policies: []xmlPolicy{}, IsTruncated: next != "", Marker: next}
				for _, mp := range list {
					x := toXMLPolicy(mp, false)
					x.Description = "" // ListPolicies omits descriptions and tags, as IAM does
					out.Policies = append(out.Policies, x)
				}
				return out, nil
			}},
		{Service: "iam", Name: "ListEntitiesForPolicy", Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				ents, next, err := svc.ListEntitiesForPolicy(ctx, c.Account(), c.str("PolicyArn"), c.str("EntityFilter"), c.str("PathPrefix"), c.str("PolicyUsageFilter"), p)
				if err != nil {
					return nil, err
				}
				type user struct{ UserName, UserId string }
				type group struct{ GroupName, GroupId string }
				type role struct{ RoleName, RoleId string }
				out := &struct {
					PolicyGroups []group `xml:"PolicyGroups>member"`
					PolicyUsers  []user  `xml:"PolicyUsers>member"`
					PolicyRoles  []role  `xml:"PolicyRoles>member"`
					IsTruncated  bool
					Marker       string `xml:",omitempty" json:",omitempty"`
				}{PolicyGroups: []group{}, PolicyUsers: []user{}, PolicyRoles: []role{}, IsTruncated: next != "", Marker: next}
				for _, e := range ents {
					switch e.Type {
					case iam.EntityUser:
						out.PolicyUsers = append(out.PolicyUsers, user{e.Name, e.ID})
					case iam.EntityGroup:
						out.PolicyGroups = append(out.PolicyGroups, group{e.Name, e.ID})
					case iam.EntityRole:
						out.PolicyRoles = append(out.PolicyRoles, role{e.Name, e.ID})
					}
				}
				return out, nil
			}},
		{Service: "iam", Name: "TagPolicy", Mutates: true, Resource: policyRes, Context: requestTagContext,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := awsManagedDenied(c); err != nil {
					return nil, err
				}
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				return nil, svc.TagPolicy(ctx, c.Account(), c.str("PolicyArn"), tags)
			}},
		{Service: "iam", Name: "UntagPolicy", Mutates: true, Resource: policyRes, Context: tagKeysContext,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := awsManagedDenied(c); err != nil {
					return nil, err
				}
				keys, err := c.strList("TagKeys")
				if err != nil {
					return nil, err
				}
				return nil, svc.UntagPolicy(ctx, c.Account(), c.str("PolicyArn"), keys)
			}},
		{Service: "iam", Name: "ListPolicyTags", Resource: policyRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetPolicy(ctx, c.Account(), c.str("PolicyArn"))
				if err != nil {
					return nil, err
				}
				return tagList(p.Tags), nil
			}},
	}
}

type xmlAttached struct {
	PolicyName string
	PolicyArn  string
}

// iamEntityPolicyOps builds the attach/detach/inline/boundary operations
// of one entity type ("User", "Group", "Role").
func iamEntityPolicyOps(svc *iam.Service, noun string) []*Op {
	typ := strings.ToLower(noun)
	member := noun + "Name"
	res := entityResource(svc, typ, member)
	tagCtx := func(more ...func(*Call, *policy.Context)) func(*Call, *policy.Context) {
		if typ == iam.EntityGroup { // groups carry no tags
			return func(c *Call, pc *policy.Context) {
				for _, m := range more {
					m(c, pc)
				}
			}
		}
		return entityTagContext(svc, typ, member, more...)
	}
	ops := []*Op{
		{Service: "iam", Name: "Attach" + noun + "Policy", Mutates: true, Resource: res, Context: tagCtx(policyARNContext),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required(member); err != nil {
					return nil, err
				}
				return nil, svc.AttachPolicy(ctx, c.Account(), typ, c.str(member), c.str("PolicyArn"))
			}},
		{Service: "iam", Name: "Detach" + noun + "Policy", Mutates: true, Resource: res, Context: tagCtx(policyARNContext),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required(member); err != nil {
					return nil, err
				}
				return nil, svc.DetachPolicy(ctx, c.Account(), typ, c.str(member), c.str("PolicyArn"))
			}},
		{Service: "iam", Name: "ListAttached" + noun + "Policies", Resource: res, Context: tagCtx(),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required(member); err != nil {
					return nil, err
				}
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				list, next, err := svc.ListAttachedPolicies(ctx, c.Account(), typ, c.str(member), c.str("PathPrefix"), p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					AttachedPolicies []xmlAttached `xml:"AttachedPolicies>member"`
					IsTruncated      bool
					Marker           string `xml:",omitempty" json:",omitempty"`
				}{AttachedPolicies: []xmlAttached{}, IsTruncated: next != "", Marker: next}
				for _, a := range list {
					out.AttachedPolicies = append(out.AttachedPolicies, xmlAttached{a.Name, a.ARN})
				}
				return out, nil
			}},
		{Service: "iam", Name: "Put" + noun + "Policy", Mutates: true, Resource: res, Context: tagCtx(),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.PutInlinePolicy(ctx, c.Account(), typ, c.str(member), c.str("PolicyName"), c.str("PolicyDocument"))
			}},
		{Service: "iam", Name: "Get" + noun + "Policy", Resource: res, Context: tagCtx(),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				name, ip, err := svc.GetInlinePolicy(ctx, c.Account(), typ, c.str(member), c.str("PolicyName"))
				if err != nil {
					return nil, err
				}
				return &inlineResult{Noun: noun, EntityName: name, PolicyName: ip.Name, PolicyDocument: iam.EncodeDocument(ip.Document)}, nil
			}},
		{Service: "iam", Name: "Delete" + noun + "Policy", Mutates: true, Resource: res, Context: tagCtx(),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteInlinePolicy(ctx, c.Account(), typ, c.str(member), c.str("PolicyName"))
			}},
		{Service: "iam", Name: "List" + noun + "Policies", Resource: res, Context: tagCtx(),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required(member); err != nil {
					return nil, err
				}
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				names, next, err := svc.ListInlinePolicies(ctx, c.Account(), typ, c.str(member), p)
				if err != nil {
					return nil, err
				}
				return &struct {
					PolicyNames []string `xml:"PolicyNames>member"`
					IsTruncated bool
					Marker      string `xml:",omitempty" json:",omitempty"`
				}{append([]string{}, names...), next != "", next}, nil
			}},
	}
	if typ != iam.EntityGroup {
		ops = append(ops,
			&Op{Service: "iam", Name: "Put" + noun + "PermissionsBoundary", Mutates: true, Resource: res, Context: tagCtx(boundaryContext),
				Handle: func(ctx context.Context, c *Call) (any, error) {
					if err := c.required(member, "PermissionsBoundary"); err != nil {
						return nil, err
					}
					return nil, svc.PutPermissionsBoundary(ctx, c.Account(), typ, c.str(member), c.str("PermissionsBoundary"))
				}},
			&Op{Service: "iam", Name: "Delete" + noun + "PermissionsBoundary", Mutates: true, Resource: res, Context: tagCtx(),
				Handle: func(ctx context.Context, c *Call) (any, error) {
					if err := c.required(member); err != nil {
						return nil, err
					}
					return nil, svc.PutPermissionsBoundary(ctx, c.Account(), typ, c.str(member), "")
				}})
	}
	return ops
}

// inlineResult renders Get{User,Group,Role}PolicyResult with the entity
// name member first, as IAM does.
type inlineResult struct {
	Noun           string
	EntityName     string
	PolicyName     string
	PolicyDocument string
}

func (r *inlineResult) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	type kv struct {
		k, v string
	}
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	for _, f := range []kv{{r.Noun + "Name", r.EntityName}, {"PolicyName", r.PolicyName}, {"PolicyDocument", r.PolicyDocument}} {
		if err := e.EncodeElement(f.v, xml.StartElement{Name: xml.Name{Local: f.k}}); err != nil {
			return err
		}
	}
	return e.EncodeToken(start.End())
}

func (r *inlineResult) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{r.Noun + "Name": r.EntityName, "PolicyName": r.PolicyName, "PolicyDocument": r.PolicyDocument})
}
