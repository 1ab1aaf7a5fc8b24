package iam

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

const (
	maxGroupsPerAccount = 300
	maxGroupsPerUser    = 10
)

// Group is an IAM group.
type Group struct {
	Account string
	Path    string
	Name    string
	ID      string
	Created time.Time
}

// ARN is the group's ARN.
func (g *Group) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:group%s%s", Partition, g.Account, g.Path, g.Name)
}

func errNoSuchGroup(name string) error {
	return awserr.NoSuchEntity("The group with name %s cannot be found.", name)
}

func init() {
	userDeleteChecks = append(userDeleteChecks, func(ctx context.Context, r store.Reader, u *User) error {
		ref := entityRef{Type: EntityUser, ID: u.ID}
		if _, err := r.Get(ctx, KindLoginProfile, u.Account, u.ID); err == nil {
			return awserr.DeleteConflict("Cannot delete entity, must delete login profile first.")
		} else if !notFound(err) {
			return err
		}
		n, err := r.Count(ctx, store.Filter{Kind: KindInlinePolicy, Account: u.Account, Parent: ref.key()})
		if err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must delete policies first.")
		}
		if n, err = r.Count(ctx, store.Filter{Kind: KindAttachment, Account: u.Account, Parent: ref.key()}); err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		if n, err = r.Count(ctx, store.Filter{Kind: KindGroupMember, Account: u.Account, Parent: ref.key()}); err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		return nil
	})
	userDeleteCleanups = append(userDeleteCleanups, func(ctx context.Context, tx store.Tx, u *User) error {
		return clearBoundaryUse(ctx, tx, u.Account, entityRef{Type: EntityUser, ID: u.ID})
	})
}

func (s *Service) getGroup(ctx context.Context, r store.Reader, account, name string) (*Group, store.Record, error) {
	var v awserr.Validation
	checkName(&v, "groupName", name, 128)
	if err := v.Err(); err != nil {
		return nil, store.Record{}, err
	}
	g, rec, err := get[Group](ctx, r, KindGroup, account, name)
	if notFound(err) {
		return nil, rec, errNoSuchGroup(name)
	}
	return g, rec, err
}

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, account, name, path string) (*Group, error) {
	var v awserr.Validation
	checkName(&v, "groupName", name, 128)
	checkPath(&v, "path", path)
	if err := v.Err(); err != nil {
		return nil, err
	}
	g := &Group{Account: account, Path: orSlash(path), Name: name, ID: ids.NewUniqueID("AGPA"), Created: s.now().UTC().Truncate(time.Second)}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		err := createCounted(ctx, tx, store.Record{Kind: KindGroup, Account: account, Name: name, ID: g.ID, Data: encode(g)}, maxGroupsPerAccount, "GroupsPerAccount",
			awserr.EntityAlreadyExists("Group with name %s already exists.", name))
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// GetGroup returns a group and a page of its users.
func (s *Service) GetGroup(ctx context.Context, account, name string, p Page) (*Group, []*User, string, error) {
	var g *Group
	var users []*User
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if g, _, err = s.getGroup(ctx, r, account, name); err != nil {
			return err
		}
		users, err = s.groupUsers(ctx, r, g)
		return err
	})
	if err != nil {
		return nil, nil, "", err
	}
	page, next, err := pageSlice(users, func(u *User) string { return u.Name }, p)
	return g, page, next, err
}

func (s *Service) groupUsers(ctx context.Context, r store.Reader, g *Group) ([]*User, error) {
	return linked[User](ctx, r, store.Filter{Kind: KindGroupMember, Account: g.Account, NamePrefix: g.ID + "|"},
		KindUser, func(l link) string { return l.UserID })
}

// ListGroups lists groups whose path starts with pathPrefix.
func (s *Service) ListGroups(ctx context.Context, account, pathPrefix string, p Page) ([]*Group, string, error) {
	var v awserr.Validation
	checkPathPrefix(&v, "pathPrefix", pathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []*Group
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindGroup, Account: account}, p, pathFilter(pathPrefix))
		if err != nil {
			return err
		}
		next = nx
		out, err = decodeAll[Group](recs)
		return err
	})
	return out, next, err
}

// UpdateGroup renames a group and/or changes its path.
func (s *Service) UpdateGroup(ctx context.Context, account, name, newName, newPath string) error {
	var v awserr.Validation
	checkName(&v, "groupName", name, 128)
	if newName != "" {
		checkName(&v, "newGroupName", newName, 128)
	}
	checkPath(&v, "newPath", newPath)
	if err := v.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, _, err := s.getGroup(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if newPath != "" {
			g.Path = newPath
		}
		if newName == "" || newName == g.Name {
			return tx.Put(ctx, store.Record{Kind: KindGroup, Account: account, Name: g.Name, ID: g.ID, Data: encode(g)})
		}
		if !strings.EqualFold(newName, g.Name) {
			if _, err := tx.Get(ctx, KindGroup, account, newName); err == nil {
				return awserr.EntityAlreadyExists("Group with name %s already exists.", newName)
			} else if !notFound(err) {
				return err
			}
		}
		if err := tx.Delete(ctx, KindGroup, account, g.Name); err != nil {
			return err
		}
		g.Name = newName
		return tx.Create(ctx, store.Record{Kind: KindGroup, Account: account, Name: g.Name, ID: g.ID, Data: encode(g)})
	})
}

// DeleteGroup deletes an empty group without policies.
func (s *Service) DeleteGroup(ctx context.Context, account, name string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, _, err := s.getGroup(ctx, tx, account, name)
		if err != nil {
			return err
		}
		ref := entityRef{Type: EntityGroup, ID: g.ID}
		n, err := tx.Count(ctx, store.Filter{Kind: KindGroupMember, Account: account, NamePrefix: g.ID + "|"})
		if err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if n, err = tx.Count(ctx, store.Filter{Kind: KindInlinePolicy, Account: account, Parent: ref.key()}); err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must delete policies first.")
		}
		if n, err = tx.Count(ctx, store.Filter{Kind: KindAttachment, Account: account, Parent: ref.key()}); err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		return tx.Delete(ctx, KindGroup, account, g.Name)
	})
}

// AddUserToGroup adds a user to a group (at most 10 groups per user).
func (s *Service) AddUserToGroup(ctx context.Context, account, group, user string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, _, err := s.getGroup(ctx, tx, account, group)
		if err != nil {
			return err
		}
		u, err := s.getUser(ctx, tx, account, user)
		if err != nil {
			return err
		}
		name := g.ID + "|" + u.ID
		if _, err := tx.Get(ctx, KindGroupMember, account, name); err == nil {
			return nil
		} else if !notFound(err) {
			return err
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindGroupMember, Account: account, Parent: "user:" + u.ID})
		if err != nil {
			return err
		}
		if n >= maxGroupsPerUser {
			return awserr.LimitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
		}
		return tx.Create(ctx, store.Record{Kind: KindGroupMember, Account: account, Name: name, Parent: "user:" + u.ID,
			Data: encode(&link{GroupID: g.ID, UserID: u.ID})})
	})
}

// RemoveUserFromGroup removes a user from a group.
func (s *Service) RemoveUserFromGroup(ctx context.Context, account, group, user string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, _, err := s.getGroup(ctx, tx, account, group)
		if err != nil {
			return err
		}
		u, err := s.getUser(ctx, tx, account, user)
		if err != nil {
			return err
		}
		err = tx.Delete(ctx, KindGroupMember, account, g.ID+"|"+u.ID)
		if notFound(err) {
			return awserr.NoSuchEntity("User %s is not in group %s.", u.Name, g.Name)
		}
		return err
	})
}

func (s *Service) groupsOf(ctx context.Context, r store.Reader, account, userID string) ([]*Group, error) {
	return linked[Group](ctx, r, store.Filter{Kind: KindGroupMember, Account: account, Parent: "user:" + userID},
		KindGroup, func(l link) string { return l.GroupID })
}

// linked loads the records of kind that the membership links f matches
// point to (end picks the link's end); a link to a deleted record is
// skipped.
func linked[T any](ctx context.Context, r store.Reader, f store.Filter, kind string, end func(link) string) ([]*T, error) {
	recs, err := r.List(ctx, f)
	if err != nil {
		return nil, err
	}
	links, err := decodeLinks(recs)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(links))
	for _, l := range links {
		v, _, err := getByID[T](ctx, r, kind, end(l))
		if notFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ListGroupsForUser lists the groups a user belongs to.
func (s *Service) ListGroupsForUser(ctx context.Context, account, user string, p Page) ([]*Group, string, error) {
	var out []*Group
	err := s.store.View(ctx, func(r store.Reader) error {
		u, err := s.getUser(ctx, r, account, user)
		if err != nil {
			return err
		}
		out, err = s.groupsOf(ctx, r, account, u.ID)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(out, func(g *Group) string { return g.Name }, p)
}
