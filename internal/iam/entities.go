package iam

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Record kinds for groups, policies and the links between entities. Links
// are records of their own so that both directions can be listed and
// counted inside one transaction: Name carries the lookup key, Parent the
// owning entity ("user:AIDA…", "group:AGPA…", "role:AROA…").
const (
	KindGroup           = "group"
	KindPolicy          = "policy"          // customer-managed policy (Name = policy name)
	KindAttachment      = "attachment"      // Name = policyARN|type:id, Parent = type:id
	KindBoundaryUse     = "boundaryuse"     // Name = policyARN|type:id, Parent = type:id
	KindInlinePolicy    = "inlinepolicy"    // Name = type:id/PolicyName, Parent = type:id
	KindGroupMember     = "groupmember"     // Name = groupID|userID, Parent = user:userID
	KindLoginProfile    = "loginprofile"    // Name = user id
	KindInstanceProfile = "instanceprofile" // Name = profile name, ID = AIPA…
	KindProfileRole     = "profilerole"     // Name = profileID|roleID, Parent = role:roleID
	KindSLRDeletion     = "slrdeletion"     // Name = deletion task id
	KindAccountAlias    = "accountalias"    // global: Name = alias
	KindCredReport      = "credreport"      // Name = "report"
)

// Entity types as they appear in link records and errors.
const (
	EntityUser  = "user"
	EntityGroup = "group"
	EntityRole  = "role"
)

// entityRef names a user, group or role by its immutable unique id.
type entityRef struct {
	Type string
	ID   string
	Name string
	Path string
	// Boundary is the entity's permissions boundary ARN ("" for groups).
	Boundary      string
	ServiceLinked bool
}

func (e entityRef) key() string { return e.Type + ":" + e.ID }

func (e entityRef) arn(account string) string {
	return "arn:" + Partition + ":iam::" + account + ":" + e.Type + e.Path + e.Name
}

// link is the data of attachment, boundary-use and membership records.
type link struct {
	PolicyARN  string `json:",omitempty"`
	EntityType string `json:",omitempty"`
	EntityID   string `json:",omitempty"`
	GroupID    string `json:",omitempty"`
	UserID     string `json:",omitempty"`
}

// editableEntity is entity for changes: a service-linked role's policies
// cannot be edited (UnmodifiableEntity).
func (s *Service) editableEntity(ctx context.Context, r store.Reader, account, typ, name string) (entityRef, error) {
	e, err := s.entity(ctx, r, account, typ, name)
	if err == nil && e.ServiceLinked {
		return e, errProtectedRole(e.Name)
	}
	return e, err
}

// entity resolves a user, group or role by name inside a transaction.
func (s *Service) entity(ctx context.Context, r store.Reader, account, typ, name string) (entityRef, error) {
	switch typ {
	case EntityUser:
		u, err := s.getUser(ctx, r, account, name)
		if err != nil {
			return entityRef{}, err
		}
		return entityRef{Type: typ, ID: u.ID, Name: u.Name, Path: u.Path, Boundary: u.PermissionsBoundary}, nil
	case EntityGroup:
		g, _, err := s.getGroup(ctx, r, account, name)
		if err != nil {
			return entityRef{}, err
		}
		return entityRef{Type: typ, ID: g.ID, Name: g.Name, Path: g.Path}, nil
	case EntityRole:
		ro, _, err := s.getRole(ctx, r, account, name)
		if err != nil {
			return entityRef{}, err
		}
		return entityRef{Type: typ, ID: ro.ID, Name: ro.Name, Path: ro.Path, Boundary: ro.PermissionsBoundary, ServiceLinked: ro.ServiceLinked}, nil
	}
	return entityRef{}, awserr.InvalidInput("unknown entity type %s", typ)
}

// entityByID resolves a link's entity (ok false when it no longer exists).
func (s *Service) entityByID(ctx context.Context, r store.Reader, typ, id string) (entityRef, bool, error) {
	var err error
	switch typ {
	case EntityUser:
		var u *User
		if u, _, err = getByID[User](ctx, r, KindUser, id); err == nil {
			return entityRef{Type: typ, ID: u.ID, Name: u.Name, Path: u.Path}, true, nil
		}
	case EntityGroup:
		var g *Group
		if g, _, err = getByID[Group](ctx, r, KindGroup, id); err == nil {
			return entityRef{Type: typ, ID: g.ID, Name: g.Name, Path: g.Path}, true, nil
		}
	case EntityRole:
		var ro *Role
		if ro, _, err = getByID[Role](ctx, r, KindRole, id); err == nil {
			return entityRef{Type: typ, ID: ro.ID, Name: ro.Name, Path: ro.Path}, true, nil
		}
	default:
		return entityRef{}, false, nil
	}
	if notFound(err) {
		return entityRef{}, false, nil
	}
	return entityRef{}, false, err
}

// EncodeDocument percent-encodes a policy document the way IAM returns
// documents (RFC 3986: everything but unreserved characters is %XX, so
// botocore's unquote and Go's url.QueryUnescape both restore it).
func EncodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(doc); i++ {
		if !unreserved(doc[i]) {
			n++
		}
	}
	if n == 0 {
		return doc
	}
	b := make([]byte, 0, len(doc)+2*n)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// checkDocument validates a policy-document parameter's model constraints
// (1..131072 characters of [\u0009\u000A\u000D\u0020-\u00FF]).
func checkDocument(v *awserr.Validation, member, doc string) {
	if doc == "" {
		v.AddNull(member)
		return
	}
	if len([]rune(doc)) > 131072 {
		v.Add(doc, member, "Member must have length less than or equal to 131072")
		return
	}
	if !policy.ValidCharset(doc) {
		v.Add(doc, member, `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	}
}

// pageSlice pages an in-memory, name-sorted list with the same markers as
// listPage.
func pageSlice[T any](items []T, name func(T) string, p Page) ([]T, string, error) {
	after, max, err := p.limit()
	if err != nil {
		return nil, "", err
	}
	sort.SliceStable(items, func(i, j int) bool { return strings.ToLower(name(items[i])) < strings.ToLower(name(items[j])) })
	la := strings.ToLower(after)
	out := make([]T, 0)
	for _, it := range items {
		if after != "" && strings.ToLower(name(it)) <= la {
			continue
		}
		if len(out) == max {
			return out, marker(name(out[len(out)-1])), nil
		}
		out = append(out, it)
	}
	return out, "", nil
}

// decodeLinks decodes link records.
func decodeLinks(recs []store.Record) ([]link, error) {
	out := make([]link, 0, len(recs))
	for _, rec := range recs {
		var l link
		if err := json.Unmarshal(rec.Data, &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// EntityInfo returns the ARN (with the entity's real path) and tags of a
// user, group, role or instance profile named in a request, for
// authorization; when the entity does not exist the ARN has the default
// path and there are no tags.
func (s *Service) EntityInfo(ctx context.Context, account, typ, name string) (string, []Tag) {
	arn := "arn:" + Partition + ":iam::" + account + ":" + typ + "/" + name
	if name == "" {
		return arn, nil
	}
	kind := map[string]string{EntityUser: KindUser, EntityGroup: KindGroup, EntityRole: KindRole, "instance-profile": KindInstanceProfile}[typ]
	if kind == "" {
		return arn, nil
	}
	var e struct {
		Path, Name string
		Tags       []Tag
	}
	err := s.store.View(ctx, func(r store.Reader) error {
		rec, err := r.Get(ctx, kind, account, name)
		if err != nil {
			return err
		}
		return json.Unmarshal(rec.Data, &e)
	})
	if err != nil || e.Name == "" {
		return arn, nil
	}
	return "arn:" + Partition + ":iam::" + account + ":" + typ + e.Path + e.Name, e.Tags
}
