package api

import (
	"context"
	"strings"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/policy"
)

// IAM roles on the wire.

type xmlRoleLastUsed struct {
	LastUsedDate *Timestamp `xml:",omitempty" json:",omitempty"`
	Region       string     `xml:",omitempty" json:",omitempty"`
}

type xmlRole struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               Timestamp
	AssumeRolePolicyDocument string           `xml:",omitempty" json:",omitempty"`
	Description              string           `xml:",omitempty" json:",omitempty"`
	MaxSessionDuration       int              `xml:",omitempty" json:",omitempty"`
	PermissionsBoundary      *xmlBoundary     `xml:",omitempty" json:",omitempty"`
	Tags                     []xmlTag         `xml:"Tags>member,omitempty" json:",omitempty"`
	RoleLastUsed             *xmlRoleLastUsed `xml:",omitempty" json:",omitempty"`
}

// toXMLRole renders a role; full adds tags, boundary and last use (GetRole).
func toXMLRole(r *iam.Role, full bool) xmlRole {
	x := xmlRole{Path: r.Path, RoleName: r.Name, RoleId: r.ID, Arn: r.ARN(), CreateDate: TS(r.Created),
		AssumeRolePolicyDocument: iam.EncodeDocument(r.TrustDocument), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration}
	if full {
		x.PermissionsBoundary = boundaryOf(r.PermissionsBoundary)
		x.Tags = toXMLTags(r.Tags)
		x.RoleLastUsed = &xmlRoleLastUsed{LastUsedDate: TSPtr(r.LastUsed), Region: r.LastRegion}
	}
	return x
}

// entityResource is the ARN of the user/group/role/instance profile named
// by the request member, with its real path.
func entityResource(svc *iam.Service, typ, member string) func(c *Call) string {
	return func(c *Call) string {
		arn, _ := svc.EntityInfo(c.HTTP.Context(), c.Account(), typ, c.str(member))
		return arn
	}
}

// entityTagContext adds iam:ResourceTag/* and aws:ResourceTag/* of the
// named entity, and extra keys from more.
func entityTagContext(svc *iam.Service, typ, member string, more ...func(c *Call, pc *policy.Context)) func(c *Call, pc *policy.Context) {
	return func(c *Call, pc *policy.Context) {
		_, tags := svc.EntityInfo(c.HTTP.Context(), c.Account(), typ, c.str(member))
		for _, t := range tags {
			pc.Set("iam:ResourceTag/"+t.Key, t.Value)
			pc.Set("aws:ResourceTag/"+t.Key, t.Value)
		}
		for _, m := range more {
			m(c, pc)
		}
	}
}

// requestTagContext sets aws:RequestTag/* and aws:TagKeys from Tags.
func requestTagContext(c *Call, pc *policy.Context) {
	tags, err := c.tags("Tags")
	if err != nil || len(tags) == 0 {
		return
	}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		pc.Set("aws:RequestTag/"+t.Key, t.Value)
		keys = append(keys, t.Key)
	}
	pc.Set("aws:TagKeys", keys...)
}

// tagKeysContext sets aws:TagKeys from TagKeys (Untag*).
func tagKeysContext(c *Call, pc *policy.Context) {
	if keys, err := c.strList("TagKeys"); err == nil && len(keys) > 0 {
		pc.Set("aws:TagKeys", keys...)
	}
}

func boundaryContext(c *Call, pc *policy.Context) {
	if b := c.str("PermissionsBoundary"); b != "" {
		pc.Set("iam:PermissionsBoundary", b)
	}
}

func policyARNContext(c *Call, pc *policy.Context) {
	if a := c.str("PolicyArn"); a != "" {
		pc.Set("iam:PolicyARN", a)
	}
}

type xmlTagPage struct {
	Tags        []xmlTag `xml:"Tags>member"`
	IsTruncated bool
}

func tagList(tags []iam.Tag) *xmlTagPage {
	return &xmlTagPage{Tags: append([]xmlTag{}, toXMLTags(tags)...)}
}

func iamRoleOps(svc *iam.Service) []*Op {
	roleRes := entityResource(svc, "role", "RoleName")
	roleCtx := entityTagContext(svc, "role", "RoleName")
	return []*Op{
		{Service: "iam", Name: "CreateRole", Mutates: true,
			Resource: func(c *Call) string {
				return "arn:aws:iam::" + c.Account() + ":role" + orSlash(c.str("Path")) + c.str("RoleName")
			},
			Context: func(c *Call, pc *policy.Context) {
				requestTagContext(c, pc)
				boundaryContext(c, pc)
			},
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				msd, has, err := c.intParam("MaxSessionDuration", "maxSessionDuration")
				if err != nil {
					return nil, err
				}
				r, err := svc.CreateRole(ctx, c.Account(), iam.CreateRoleInput{
					RoleName: c.str("RoleName"), Path: c.str("Path"), AssumeRolePolicy: c.str("AssumeRolePolicyDocument"),
					Description: c.str("Description"), MaxSessionDuration: msd, HasMaxSession: has,
					PermissionsBoundary: c.str("PermissionsBoundary"), Tags: tags,
				})
				if err != nil {
					return nil, err
				}
				x := toXMLRole(r, false)
				x.PermissionsBoundary = boundaryOf(r.PermissionsBoundary)
				x.Tags = toXMLTags(r.Tags)
				return &struct{ Role xmlRole }{x}, nil
			}},
		{Service: "iam", Name: "GetRole", Resource: roleRes, Context: roleCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				r, err := svc.GetRole(ctx, c.Account(), c.str("RoleName"))
				if err != nil {
					return nil, err
				}
				return &struct{ Role xmlRole }{toXMLRole(r, true)}, nil
			}},
		{Service: "iam", Name: "ListRoles",
			Resource: func(c *Call) string { return "arn:aws:iam::" + c.Account() + ":role" + orSlash(c.str("PathPrefix")) },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				roles, next, err := svc.ListRoles(ctx, c.Account(), c.str("PathPrefix"), p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					Roles       []xmlRole `xml:"Roles>member"`
					IsTruncated bool
					Marker      string `xml:",omitempty" json:",omitempty"`
				}{Roles: []xmlRole{}, IsTruncated: next != "", Marker: next}
				for _, r := range roles {
					out.Roles = append(out.Roles, toXMLRole(r, false))
				}
				return out, nil
			}},
		{Service: "iam", Name: "UpdateRole", Mutates: true, Resource: roleRes, Context: roleCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				var desc *string
				if c.has("Description") {
					d := c.str("Description")
					desc = &d
				}
				msd, has, err := c.intParam("MaxSessionDuration", "maxSessionDuration")
				if err != nil {
					return nil, err
				}
				var mp *int64
				if has {
					mp = &msd
				}
				// UpdateRole answers an empty UpdateRoleResult element.
				return &struct{}{}, svc.UpdateRole(ctx, c.Account(), c.str("RoleName"), desc, mp)
			}},
		{Service: "iam", Name: "UpdateRoleDescription", Mutates: true, Resource: roleRes, Context: roleCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("RoleName", "Description"); err != nil {
					return nil, err
				}
				r, err := svc.UpdateRoleDescription(ctx, c.Account(), c.str("RoleName"), c.str("Description"))
				if err != nil {
					return nil, err
				}
				return &struct{ Role xmlRole }{toXMLRole(r, true)}, nil
			}},
		{Service: "iam", Name: "UpdateAssumeRolePolicy", Mutates: true, Resource: roleRes, Context: roleCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("RoleName"); err != nil {
					return nil, err
				}
				return nil, svc.UpdateAssumeRolePolicy(ctx, c.Account(), c.str("RoleName"), c.str("PolicyDocument"))
			}},
		{Service: "iam", Name: "DeleteRole", Mutates: true, Resource: roleRes, Context: roleCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteRole(ctx, c.Account(), c.str("RoleName"))
			}},
		{Service: "iam", Name: "TagRole", Mutates: true, Resource: roleRes,
			Context: entityTagContext(svc, "role", "RoleName", requestTagContext),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				return nil, svc.TagRole(ctx, c.Account(), c.str("RoleName"), tags)
			}},
		{Service: "iam", Name: "UntagRole", Mutates: true, Resource: roleRes,
			Context: entityTagContext(svc, "role", "RoleName", tagKeysContext),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				keys, err := c.strList("TagKeys")
				if err != nil {
					return nil, err
				}
				return nil, svc.UntagRole(ctx, c.Account(), c.str("RoleName"), keys)
			}},
		{Service: "iam", Name: "ListRoleTags", Resource: roleRes, Context: roleCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				r, err := svc.GetRole(ctx, c.Account(), c.str("RoleName"))
				if err != nil {
					return nil, err
				}
				return tagList(r.Tags), nil
			}},
		{Service: "iam", Name: "CreateServiceLinkedRole", Mutates: true,
			Resource: func(c *Call) string {
				return "arn:aws:iam::" + c.Account() + ":role/aws-service-role/" + c.str("AWSServiceName") + "/"
			},
			Context: func(c *Call, pc *policy.Context) { pc.Set("iam:AWSServiceName", c.str("AWSServiceName")) },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				r, err := svc.CreateServiceLinkedRole(ctx, c.Account(), c.str("AWSServiceName"), c.str("Description"), c.str("CustomSuffix"))
				if err != nil {
					return nil, err
				}
				return &struct{ Role xmlRole }{toXMLRole(r, false)}, nil
			}},
		{Service: "iam", Name: "DeleteServiceLinkedRole", Mutates: true, Resource: roleRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				id, err := svc.DeleteServiceLinkedRole(ctx, c.Account(), c.str("RoleName"))
				if err != nil {
					return nil, err
				}
				return &struct{ DeletionTaskId string }{id}, nil
			}},
		{Service: "iam", Name: "GetServiceLinkedRoleDeletionStatus",
			Resource: func(c *Call) string {
				// task/aws-service-role/<svc>/<role>/<uuid> names the role.
				parts := strings.Split(c.str("DeletionTaskId"), "/")
				if len(parts) >= 5 {
					return "arn:aws:iam::" + c.Account() + ":role/aws-service-role/" + parts[2] + "/" + parts[3]
				}
				return "*"
			},
			Handle: func(ctx context.Context, c *Call) (any, error) {
				t, err := svc.GetServiceLinkedRoleDeletionStatus(ctx, c.Account(), c.str("DeletionTaskId"))
				if err != nil {
					return nil, err
				}
				return &struct{ Status string }{t.Status}, nil
			}},
	}
}
