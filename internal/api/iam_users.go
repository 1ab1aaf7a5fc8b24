package api

import (
	"context"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/policy"
)

// IAM users and access keys on the wire.

type xmlTag struct {
	Key   string
	Value string
}

type xmlTags []xmlTag

func toXMLTags(tags []iam.Tag) []xmlTag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]xmlTag, len(tags))
	for i, t := range tags {
		out[i] = xmlTag{Key: t.Key, Value: t.Value}
	}
	return out
}

type xmlBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

func boundaryOf(arn string) *xmlBoundary {
	if arn == "" {
		return nil
	}
	return &xmlBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

type xmlUser struct {
	Path                string
	UserName            string
	UserId              string
	Arn                 string
	CreateDate          Timestamp
	PasswordLastUsed    *Timestamp   `xml:",omitempty" json:",omitempty"`
	PermissionsBoundary *xmlBoundary `xml:",omitempty" json:",omitempty"`
	Tags                []xmlTag     `xml:"Tags>member,omitempty" json:",omitempty"`
}

func toXMLUser(u *iam.User, withTags bool) xmlUser {
	x := xmlUser{Path: u.Path, UserName: u.Name, UserId: u.ID, Arn: u.ARN(), CreateDate: TS(u.Created),
		PasswordLastUsed: TSPtr(u.PasswordLastUsed), PermissionsBoundary: boundaryOf(u.PermissionsBoundary)}
	if withTags {
		x.Tags = toXMLTags(u.Tags)
	}
	return x
}

func userARN(c *Call, name, path string) string {
	return "arn:aws:iam::" + c.Account() + ":user" + orSlash(path) + name
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// targetUser resolves the UserName member, defaulting to the caller: an
// IAM user names itself, root "" (its own keys); other callers must name
// a user.
func targetUser(c *Call) (string, error) {
	if n := c.str("UserName"); n != "" {
		return n, nil
	}
	switch c.Caller.Type {
	case authn.TypeUser:
		return c.Caller.UserName, nil
	case authn.TypeRoot:
		return "", nil
	}
	return "", awserr.ValidationError("Must specify userName when calling with non-User credentials")
}

func targetUserARN(c *Call) string {
	if n := c.str("UserName"); n != "" {
		return userARN(c, n, "")
	}
	return c.Caller.PrincipalARN
}

func iamUserOps(svc *iam.Service) []*Op {
	userRes := func(c *Call) string { return userARN(c, c.str("UserName"), "") }
	return []*Op{
		{Service: "iam", Name: "CreateUser", Mutates: true,
			Resource: func(c *Call) string { return userARN(c, c.str("UserName"), c.str("Path")) },
			Context: func(c *Call, pc *policy.Context) {
				requestTagContext(c, pc)
				boundaryContext(c, pc)
			},
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				u, err := svc.CreateUser(ctx, c.Account(), iam.CreateUserInput{
					UserName: c.str("UserName"), Path: c.str("Path"),
					PermissionsBoundary: c.str("PermissionsBoundary"), Tags: tags,
				})
				if err != nil {
					return nil, err
				}
				return &struct{ User xmlUser }{toXMLUser(u, true)}, nil
			}},
		{Service: "iam", Name: "GetUser",
			Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				name := c.str("UserName")
				if name == "" {
					switch c.Caller.Type {
					case authn.TypeUser:
						name = c.Caller.UserName
					case authn.TypeRoot:
						// Root gets a pseudo-user carrying the account ARN.
						return &struct{ User xmlUser }{xmlUser{Path: "", UserId: c.Account(), Arn: c.Caller.ARN}}, nil
					default:
						return nil, awserr.ValidationError("Must specify userName when calling with non-User credentials")
					}
				}
				u, err := svc.GetUser(ctx, c.Account(), name)
				if err != nil {
					return nil, err
				}
				return &struct{ User xmlUser }{toXMLUser(u, true)}, nil
			}},
		{Service: "iam", Name: "ListUsers",
			Resource: func(c *Call) string { return userARN(c, "", c.str("PathPrefix")) },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				users, next, err := svc.ListUsers(ctx, c.Account(), c.str("PathPrefix"), p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					Users       []xmlUser `xml:"Users>member"`
					IsTruncated bool
					Marker      string `xml:",omitempty" json:",omitempty"`
				}{Users: []xmlUser{}, IsTruncated: next != "", Marker: next}
				for _, u := range users {
					// ListUsers omits tags and boundaries (as AWS does).
					x := toXMLUser(u, false)
					x.PermissionsBoundary = nil
					out.Users = append(out.Users, x)
				}
				return out, nil
			}},
		{Service: "iam", Name: "UpdateUser", Mutates: true, Resource: userRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				return nil, svc.UpdateUser(ctx, c.Account(), c.str("UserName"), c.str("NewUserName"), c.str("NewPath"))
			}},
		{Service: "iam", Name: "DeleteUser", Mutates: true, Resource: userRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				return nil, svc.DeleteUser(ctx, c.Account(), c.str("UserName"))
			}},
		{Service: "iam", Name: "TagUser", Mutates: true, Resource: userRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				return nil, svc.TagUser(ctx, c.Account(), c.str("UserName"), tags)
			}},
		{Service: "iam", Name: "UntagUser", Mutates: true, Resource: userRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				keys, err := c.strList("TagKeys")
				if err != nil {
					return nil, err
				}
				return nil, svc.UntagUser(ctx, c.Account(), c.str("UserName"), keys)
			}},
		{Service: "iam", Name: "ListUserTags", Resource: userRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("UserName"); err != nil {
					return nil, err
				}
				u, err := svc.GetUser(ctx, c.Account(), c.str("UserName"))
				if err != nil {
					return nil, err
				}
				return &struct {
					Tags        []xmlTag `xml:"Tags>member"`
					IsTruncated bool
				}{Tags: append([]xmlTag{}, toXMLTags(u.Tags)...)}, nil
			}},
	}
}

type xmlAccessKey struct {
	UserName        string `xml:",omitempty" json:",omitempty"`
	AccessKeyId     string
	Status          string
	SecretAccessKey string
	CreateDate      Timestamp
}

type xmlAccessKeyMeta struct {
	UserName    string `xml:",omitempty" json:",omitempty"`
	AccessKeyId string
	Status      string
	CreateDate  Timestamp
}

func iamAccessKeyOps(svc *iam.Service) []*Op {
	return []*Op{
		{Service: "iam", Name: "CreateAccessKey", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				user, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				k, err := svc.CreateAccessKey(ctx, c.Account(), user)
				if err != nil {
					return nil, err
				}
				return &struct{ AccessKey xmlAccessKey }{xmlAccessKey{UserName: k.UserName, AccessKeyId: k.ID,
					Status: k.Status, SecretAccessKey: k.Secret, CreateDate: TS(k.Created)}}, nil
			}},
		{Service: "iam", Name: "ListAccessKeys", Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				user, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				p, err := c.page()
				if err != nil {
					return nil, err
				}
				keys, next, err := svc.ListAccessKeys(ctx, c.Account(), user, p)
				if err != nil {
					return nil, err
				}
				out := &struct {
					UserName          string             `xml:",omitempty" json:",omitempty"`
					AccessKeyMetadata []xmlAccessKeyMeta `xml:"AccessKeyMetadata>member"`
					IsTruncated       bool
					Marker            string `xml:",omitempty" json:",omitempty"`
				}{AccessKeyMetadata: []xmlAccessKeyMeta{}, IsTruncated: next != "", Marker: next}
				for _, k := range keys {
					out.UserName = k.UserName
					out.AccessKeyMetadata = append(out.AccessKeyMetadata, xmlAccessKeyMeta{UserName: k.UserName, AccessKeyId: k.ID, Status: k.Status, CreateDate: TS(k.Created)})
				}
				if out.UserName == "" && user != "" {
					if u, err := svc.GetUser(ctx, c.Account(), user); err == nil {
						out.UserName = u.Name
					}
				}
				return out, nil
			}},
		{Service: "iam", Name: "UpdateAccessKey", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("AccessKeyId", "Status"); err != nil {
					return nil, err
				}
				user, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				return nil, svc.UpdateAccessKey(ctx, c.Account(), user, c.str("AccessKeyId"), c.str("Status"))
			}},
		{Service: "iam", Name: "DeleteAccessKey", Mutates: true, Resource: targetUserARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("AccessKeyId"); err != nil {
					return nil, err
				}
				user, err := targetUser(c)
				if err != nil {
					return nil, err
				}
				return nil, svc.DeleteAccessKey(ctx, c.Account(), user, c.str("AccessKeyId"))
			}},
		{Service: "iam", Name: "GetAccessKeyLastUsed", Resource: func(c *Call) string { return c.Caller.PrincipalARN },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				if err := c.required("AccessKeyId"); err != nil {
					return nil, err
				}
				k, err := svc.AccessKeyByID(ctx, c.str("AccessKeyId"))
				if err != nil || k.Account != c.Account() {
					return nil, awserr.NoSuchEntity("The Access Key with id %s cannot be found.", c.str("AccessKeyId"))
				}
				type lastUsed struct {
					LastUsedDate *Timestamp `xml:",omitempty" json:",omitempty"`
					ServiceName  string
					Region       string
				}
				lu := lastUsed{ServiceName: "N/A", Region: "N/A"}
				if k.LastUsed != nil {
					lu = lastUsed{LastUsedDate: TSPtr(k.LastUsed.Date), ServiceName: k.LastUsed.Service, Region: k.LastUsed.Region}
				}
				return &struct {
					UserName          string `xml:",omitempty" json:",omitempty"`
					AccessKeyLastUsed lastUsed
				}{k.UserName, lu}, nil
			}},
	}
}
