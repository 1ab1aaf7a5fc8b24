package iam

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// Quotas (../shared/spec/iam-api.md §10).
const (
	maxUsersPerAccount = 5000
	maxKeysPerUser     = 2
)

// CreateUserInput is CreateUser's request.
type CreateUserInput struct {
	UserName            string
	Path                string
	PermissionsBoundary string
	Tags                []Tag
}

func errNoSuchUser(name string) error {
	return awserr.NoSuchEntity("The user with name %s cannot be found.", name)
}

// CreateUser creates a user in account.
func (s *Service) CreateUser(ctx context.Context, account string, in CreateUserInput) (*User, error) {
	var v awserr.Validation
	checkName(&v, "userName", in.UserName, 64)
	checkPath(&v, "path", in.Path)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	u := &User{
		Account: account,
		Path:    orSlash(in.Path),
		Name:    in.UserName,
		ID:      ids.NewUniqueID("AIDA"),
		Created: s.now().UTC().Truncate(1e9),
		Tags:    in.Tags,
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		if in.PermissionsBoundary != "" {
			if err := s.checkBoundary(ctx, tx, account, in.PermissionsBoundary); err != nil {
				return err
			}
			u.PermissionsBoundary = in.PermissionsBoundary
		}
		err := createCounted(ctx, tx, store.Record{Kind: KindUser, Account: account, Name: u.Name, ID: u.ID, Data: encode(u)}, maxUsersPerAccount, "UsersPerAccount",
			awserr.EntityAlreadyExists("User with name %s already exists.", u.Name))
		if err != nil || u.PermissionsBoundary == "" {
			return err
		}
		return setBoundaryUse(ctx, tx, account, entityRef{Type: EntityUser, ID: u.ID}, "", u.PermissionsBoundary)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// checkBoundary is replaced by the managed-policy code once policies exist;
// until then only AWS-managed-looking ARNs are refused politely.
var boundaryCheck func(ctx context.Context, r store.Reader, account, arn string) error

func (s *Service) checkBoundary(ctx context.Context, r store.Reader, account, arn string) error {
	if boundaryCheck != nil {
		return boundaryCheck(ctx, r, account, arn)
	}
	return awserr.NoSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

// GetUser returns a user by name (case-insensitive).
func (s *Service) GetUser(ctx context.Context, account, name string) (*User, error) {
	var u *User
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		u, err = s.getUser(ctx, r, account, name)
		return err
	})
	return u, err
}

func (s *Service) getUser(ctx context.Context, r store.Reader, account, name string) (*User, error) {
	var v awserr.Validation
	checkName(&v, "userName", name, 128)
	if err := v.Err(); err != nil {
		return nil, err
	}
	u, _, err := get[User](ctx, r, KindUser, account, name)
	if notFound(err) {
		return nil, errNoSuchUser(name)
	}
	return u, err
}

// UserByID finds a user by unique id in any account.
func (s *Service) UserByID(ctx context.Context, id string) (*User, error) {
	var u *User
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		u, _, err = getByID[User](ctx, r, KindUser, id)
		return err
	})
	return u, err
}

// ListUsers lists users whose path starts with pathPrefix.
func (s *Service) ListUsers(ctx context.Context, account, pathPrefix string, p Page) ([]*User, string, error) {
	var v awserr.Validation
	checkPathPrefix(&v, "pathPrefix", pathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var users []*User
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindUser, Account: account}, p, pathFilter(pathPrefix))
		if err != nil {
			return err
		}
		users, err = decodeAll[User](recs)
		next = nx
		return err
	})
	return users, next, err
}

// pathFilter keeps records whose JSON "Path" starts with prefix.
func pathFilter(prefix string) func(store.Record) (bool, error) {
	if prefix == "" || prefix == "/" {
		return nil
	}
	return func(rec store.Record) (bool, error) {
		var p struct{ Path string }
		if err := json.Unmarshal(rec.Data, &p); err != nil {
			return false, err
		}
		return strings.HasPrefix(p.Path, prefix), nil
	}
}

// UpdateUser renames a user and/or changes its path.
func (s *Service) UpdateUser(ctx context.Context, account, name, newName, newPath string) error {
	var v awserr.Validation
	checkName(&v, "userName", name, 128)
	if newName != "" {
		checkName(&v, "newUserName", newName, 64)
	}
	checkPath(&v, "newPath", newPath)
	if err := v.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, _, err := get[User](ctx, tx, KindUser, account, name)
		if notFound(err) {
			return errNoSuchUser(name)
		}
		if err != nil {
			return err
		}
		if newPath != "" {
			u.Path = newPath
		}
		if newName == "" || newName == u.Name {
			return tx.Put(ctx, store.Record{Kind: KindUser, Account: account, Name: u.Name, ID: u.ID, Data: encode(u)})
		}
		if !strings.EqualFold(newName, u.Name) {
			if _, err := tx.Get(ctx, KindUser, account, newName); err == nil {
				return awserr.EntityAlreadyExists("User with name %s already exists.", newName)
			} else if !notFound(err) {
				return err
			}
		}
		if err := tx.Delete(ctx, KindUser, account, u.Name); err != nil {
			return err
		}
		old := u.Name
		u.Name = newName
		if err := tx.Create(ctx, store.Record{Kind: KindUser, Account: account, Name: u.Name, ID: u.ID, Data: encode(u)}); err != nil {
			return err
		}
		return s.renameUserRefs(ctx, tx, u, old)
	})
}

// renameUserRefs rewrites the user name carried by the user's access keys.
func (s *Service) renameUserRefs(ctx context.Context, tx store.Tx, u *User, old string) error {
	keys, err := tx.List(ctx, store.Filter{Kind: KindAccessKey, Account: u.Account, Parent: keyOwner(u.Account, u.ID)})
	if err != nil {
		return err
	}
	for _, rec := range keys {
		var k AccessKey
		if err := json.Unmarshal(rec.Data, &k); err != nil {
			return err
		}
		k.UserName = u.Name
		rec.Data = encode(&k)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
	}
	for _, hook := range userRenameHooks {
		if err := hook(ctx, tx, u, old); err != nil {
			return err
		}
	}
	return nil
}

// userRenameHooks and userDeleteChecks let other files of this package
// (groups, policies, login profiles, MFA) take part in a user's rename and
// deletion without this file knowing them.
var (
	userRenameHooks  []func(ctx context.Context, tx store.Tx, u *User, oldName string) error
	userDeleteChecks []func(ctx context.Context, tx store.Reader, u *User) error
	// userDeleteCleanups run after every check passed, in the deleting
	// transaction (links that do not block deletion, e.g. boundary use).
	userDeleteCleanups []func(ctx context.Context, tx store.Tx, u *User) error
)

// DeleteUser deletes a user that owns nothing any more.
func (s *Service) DeleteUser(ctx context.Context, account, name string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.getUser(ctx, tx, account, name)
		if err != nil {
			return err
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindAccessKey, Account: account, Parent: keyOwner(account, u.ID)})
		if err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must delete access keys first.")
		}
		for _, check := range userDeleteChecks {
			if err := check(ctx, tx, u); err != nil {
				return err
			}
		}
		for _, clean := range userDeleteCleanups {
			if err := clean(ctx, tx, u); err != nil {
				return err
			}
		}
		return tx.Delete(ctx, KindUser, account, u.Name)
	})
}

// TagUser adds or replaces tags on a user.
func (s *Service) TagUser(ctx context.Context, account, name string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.updateUser(ctx, account, name, func(u *User) error {
		merged := mergeTags(u.Tags, tags)
		if len(merged) > 50 {
			return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
		}
		u.Tags = merged
		return nil
	})
}

// UntagUser removes tags (keys compared ignoring case).
func (s *Service) UntagUser(ctx context.Context, account, name string, keys []string) error {
	return s.updateUser(ctx, account, name, func(u *User) error {
		u.Tags = removeTags(u.Tags, keys)
		return nil
	})
}

func (s *Service) updateUser(ctx context.Context, account, name string, fn func(*User) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.getUser(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if err := fn(u); err != nil {
			return err
		}
		return tx.Put(ctx, store.Record{Kind: KindUser, Account: account, Name: u.Name, ID: u.ID, Data: encode(u)})
	})
}
