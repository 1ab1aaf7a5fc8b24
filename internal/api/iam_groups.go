package api

import (
	"context"

	"github.com/hatrack/hatrack/internal/iam"
)

// IAM groups, login profiles and instance profiles on the wire.

type xmlGroup struct {
	Path       string
	GroupName  string
	GroupId    string
	Arn        string
	CreateDate Timestamp
}

func toXMLGroup(g *iam.Group) xmlGroup {
	return xmlGroup{Path: g.Path, GroupName: g.Name, GroupId: g.ID, Arn: g.ARN(), CreateDate: TS(g.Created)}
}

type xmlLoginProfile struct {
	UserName              string
	CreateDate            Timestamp
	PasswordResetRequired bool
}

type xmlInstanceProfile struct {
	Path                string
	InstanceProfileName string
	InstanceProfileId   string
	Arn                 string
	CreateDate          Timestamp
	Roles               []xmlRole `xml:"Roles>member"`
	Tags                []xmlTag  `xml:"Tags>member,omitempty" json:",omitempty"`
}

func toXMLProfile(p *iam.InstanceProfile, withTags bool) xmlInstanceProfile {
	x := xmlInstanceProfile{Path: p.Path, InstanceProfileName: p.Name, InstanceProfileId: p.ID, Arn: p.ARN(),
		CreateDate: TS(p.Created), Roles: []xmlRole{}}
	for _, r := range p.Roles {
		x.Roles = append(x.Roles, toXMLRole(r, false))
	}
	if withTags {
		x.Tags = toXMLTags(p.Tags)
	}
	return x
}

func iamGroupOps(svc *iam.Service) []*Op {
	groupRes := entityResource(svc, "group", "GroupName")
	userRes := entityResource(svc, "user", "UserName")
	profRes := entityResource(svc, "instance-profile", "InstanceProfileName")
	profCtx := entityTagContext(svc, "instance-profile", "InstanceProfileName")
	return []*Op{
		{Service: "iam", Name: "CreateGroup", Mutates: true,
			Resource: func(c *Call) string {
				return "arn:aws:iam::" + c.Account() + ":group" + orSlash(c.str("Path")) + c.str("GroupName")
			},
			Handle: func(ctx context.Context, c *Call) (any, error) {
				g, err := svc.CreateGroup(ctx, c.Account(), c.str("GroupName"), c.str("Path"))
				if err != nil {
					return nil, err
				}
				return &struct{ Group xmlGroup }{toXMLGroup(g)}, nil
			}},
		{Service: "iam", Name: "GetGroup", Resource: groupRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				g, users, next, err := svc.GetGroup(ctx, c.Account(), c.str("GroupName"), p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					Group       xmlGroup
					Users       []xmlUser `xml:"Users>member"`
					IsTruncated bool
					Marker      string `xml:",omitempty" json:",omitempty"`
				}{Group: toXMLGroup(g), Users: []xmlUser{}, IsTruncated: next != "", Marker: next}
				for _, u := range users {
					x := toXMLUser(u, false)
					x.PermissionsBoundary = nil
					out.Users = append(out.Users, x)
				}
				return out, nil
			}},
		{Service: "iam", Name: "ListGroups",
			Resource: func(c *Call) string { return "arn:aws:iam::" + c.Account() + ":group" + orSlash(c.str("PathPrefix")) },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				groups, next, err := svc.ListGroups(ctx, c.Account(), c.str("PathPrefix"), p)
				if err != nil {
					return nil, err
				}
				return groupList(groups, next), nil
			}},
		{Service: "iam", Name: "UpdateGroup", Mutates: true, Resource: groupRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.UpdateGroup(ctx, c.Account(), c.str("GroupName"), c.str("NewGroupName"), c.str("NewPath"))
			}},
		{Service: "iam", Name: "DeleteGroup", Mutates: true, Resource: groupRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteGroup(ctx, c.Account(), c.str("GroupName"))
			}},
		{Service: "iam", Name: "AddUserToGroup", Mutates: true, Resource: groupRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("GroupName", "UserName"); err != nil {
					return nil, err
				}
				return nil, svc.AddUserToGroup(ctx, c.Account(), c.str("GroupName"), c.str("UserName"))
			}},
		{Service: "iam", Name: "RemoveUserFromGroup", Mutates: true, Resource: groupRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("GroupName", "UserName"); err != nil {
					return nil, err
				}
				return nil, svc.RemoveUserFromGroup(ctx, c.Account(), c.str("GroupName"), c.str("UserName"))
			}},
		{Service: "iam", Name: "ListGroupsForUser", Resource: userRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				groups, next, err := svc.ListGroupsForUser(ctx, c.Account(), c.str("UserName"), p)
				if err != nil {
					return nil, err
				}
				return groupList(groups, next), nil
			}},

		{Service: "iam", Name: "CreateLoginProfile", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				user, err := loginUser(c)
				if err != nil {
					return nil, err
				}
				reset, _, err := c.boolParam("PasswordResetRequired", "passwordResetRequired")
				if err != nil {
					return nil, err
				}
				lp, err := svc.CreateLoginProfile(ctx, c.Account(), user, c.str("Password"), reset)
				if err != nil {
					return nil, err
				}
				return &struct{ LoginProfile xmlLoginProfile }{xmlLoginProfile{lp.UserName, TS(lp.Created), lp.PasswordResetRequired}}, nil
			}},
		{Service: "iam", Name: "GetLoginProfile", Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				user, err := loginUser(c)
				if err != nil {
					return nil, err
				}
				lp, err := svc.GetLoginProfile(ctx, c.Account(), user)
				if err != nil {
					return nil, err
				}
				return &struct{ LoginProfile xmlLoginProfile }{xmlLoginProfile{lp.UserName, TS(lp.Created), lp.PasswordResetRequired}}, nil
			}},
		{Service: "iam", Name: "UpdateLoginProfile", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				user, err := loginUser(c)
				if err != nil {
					return nil, err
				}
				var pw *string
				if c.has("Password") {
					s := c.str("Password")
					pw = &s
				}
				r, has, err := c.boolParam("PasswordResetRequired", "passwordResetRequired")
				if err != nil {
					return nil, err
				}
				var reset *bool
				if has {
					reset = &r
				}
				return nil, svc.UpdateLoginProfile(ctx, c.Account(), user, pw, reset)
			}},
		{Service: "iam", Name: "DeleteLoginProfile", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				user, err := loginUser(c)
				if err != nil {
					return nil, err
				}
				return nil, svc.DeleteLoginProfile(ctx, c.Account(), user)
			}},

		{Service: "iam", Name: "CreateInstanceProfile", Mutates: true,
			Resource: func(c *Call) string {
				return "arn:aws:iam::" + c.Account() + ":instance-profile" + orSlash(c.str("Path")) + c.str("InstanceProfileName")
			},
			Context: requestTagContext,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				p, err := svc.CreateInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"), c.str("Path"), tags)
				if err != nil {
					return nil, err
				}
				return &struct{ InstanceProfile xmlInstanceProfile }{toXMLProfile(p, true)}, nil
			}},
		{Service: "iam", Name: "GetInstanceProfile", Resource: profRes, Context: profCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"))
				if err != nil {
					return nil, err
				}
				return &struct{ InstanceProfile xmlInstanceProfile }{toXMLProfile(p, true)}, nil
			}},
		{Service: "iam", Name: "ListInstanceProfiles",
			Resource: func(c *Call) string {
				return "arn:aws:iam::" + c.Account() + ":instance-profile" + orSlash(c.str("PathPrefix"))
			},
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				list, next, err := svc.ListInstanceProfiles(ctx, c.Account(), c.str("PathPrefix"), p)
				if err != nil {
					return nil, err
				}
				return profileList(list, next), nil
			}},
		{Service: "iam", Name: "ListInstanceProfilesForRole", Resource: entityResource(svc, "role", "RoleName"),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("RoleName"); err != nil {
					return nil, err
				}
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				list, next, err := svc.ListInstanceProfilesForRole(ctx, c.Account(), c.str("RoleName"), p)
				if err != nil {
					return nil, err
				}
				return profileList(list, next), nil
			}},
		{Service: "iam", Name: "DeleteInstanceProfile", Mutates: true, Resource: profRes, Context: profCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"))
			}},
		{Service: "iam", Name: "AddRoleToInstanceProfile", Mutates: true, Resource: profRes, Context: profCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("InstanceProfileName", "RoleName"); err != nil {
					return nil, err
				}
				return nil, svc.AddRoleToInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"), c.str("RoleName"))
			}},
		{Service: "iam", Name: "RemoveRoleFromInstanceProfile", Mutates: true, Resource: profRes, Context: profCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("InstanceProfileName", "RoleName"); err != nil {
					return nil, err
				}
				return nil, svc.RemoveRoleFromInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"), c.str("RoleName"))
			}},
		{Service: "iam", Name: "TagInstanceProfile", Mutates: true, Resource: profRes,
			Context: entityTagContext(svc, "instance-profile", "InstanceProfileName", requestTagContext),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				return nil, svc.TagInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"), tags)
			}},
		{Service: "iam", Name: "UntagInstanceProfile", Mutates: true, Resource: profRes,
			Context: entityTagContext(svc, "instance-profile", "InstanceProfileName", tagKeysContext),
			Handle: func(ctx context.Context, c *Call) (any, error) {
				keys, err := c.strList("TagKeys")
				if err != nil {
					return nil, err
				}
				return nil, svc.UntagInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"), keys)
			}},
		{Service: "iam", Name: "ListInstanceProfileTags", Resource: profRes, Context: profCtx,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetInstanceProfile(ctx, c.Account(), c.str("InstanceProfileName"))
				if err != nil {
					return nil, err
				}
				return tagList(p.Tags), nil
			}},
	}
}

// loginUser is the UserName member, or the calling IAM user.
func loginUser(c *Call) (string, error) {
	u, err := targetUser(c)
	if err != nil {
		return "", err
	}
	if u == "" {
		return "", c.required("UserName")
	}
	return u, nil
}

func groupList(groups []*iam.Group, next string) any {
	out := &struct {
		Groups      []xmlGroup `xml:"Groups>member"`
		IsTruncated bool
		Marker      string `xml:",omitempty" json:",omitempty"`
	}{Groups: []xmlGroup{}, IsTruncated: next != "", Marker: next}
	for _, g := range groups {
		out.Groups = append(out.Groups, toXMLGroup(g))
	}
	return out
}

func profileList(list []*iam.InstanceProfile, next string) any {
	out := &struct {
		InstanceProfiles []xmlInstanceProfile `xml:"InstanceProfiles>member"`
		IsTruncated      bool
		Marker           string `xml:",omitempty" json:",omitempty"`
	}{InstanceProfiles: []xmlInstanceProfile{}, IsTruncated: next != "", Marker: next}
	for _, p := range list {
		out.InstanceProfiles = append(out.InstanceProfiles, toXMLProfile(p, false))
	}
	return out
}
