package iam

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hatrack/hatrack/store"
)

// KindRole holds roles (Name = role name, ID = AROA… unique id).
const KindRole = "role"

// Role is an IAM role.
type Role struct {
	Account string
	Path    string
	Name    string
	ID      string
	Created time.Time
	// TrustPolicy is the trust policy as stored: IAM user and role ARNs in
	// Principal.AWS are replaced by their unique ids (AIDA…/AROA…) when the
	// policy is saved, and mapped back to ARNs when read (ids whose entity
	// no longer exists stay raw ids).
	TrustPolicy         string
	Description         string `json:",omitempty"`
	MaxSessionDuration  int    // seconds, 3600..43200
	PermissionsBoundary string `json:",omitempty"`
	Tags                []Tag  `json:",omitempty"`
	// ServiceLinked roles live under /aws-service-role/<service>/ and
	// cannot be edited.
	ServiceLinked bool      `json:",omitempty"`
	LastUsed      time.Time `json:",omitempty"`
	LastRegion    string    `json:",omitempty"`
	// TrustDocument is the trust policy as IAM shows it (principal ids
	// mapped back to current ARNs); filled by the read operations, never
	// stored.
	TrustDocument string `json:"-"`
}

// ARN is the role's ARN, path included.
func (r *Role) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role%s%s", Partition, r.Account, r.Path, r.Name)
}

// RoleByARN resolves a role ARN (arn:aws:iam::ACCOUNT:role/PATH/NAME) to
// the role, matching the name ignoring case and requiring the path to
// match as given. store.ErrNotFound when there is no such role.
func (s *Service) RoleByARN(ctx context.Context, arn string) (*Role, error) {
	account, path, name, ok := splitRoleARN(arn)
	if !ok {
		return nil, store.ErrNotFound
	}
	var role *Role
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		role, _, err = get[Role](ctx, r, KindRole, account, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if role.Path != path {
		return nil, store.ErrNotFound
	}
	return role, nil
}

// RoleByID finds a role by its unique id.
func (s *Service) RoleByID(ctx context.Context, id string) (*Role, error) {
	var role *Role
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		role, _, err = getByID[Role](ctx, r, KindRole, id)
		return err
	})
	return role, err
}

// splitRoleARN splits arn:aws:iam::ACCOUNT:role/PATH/NAME.
func splitRoleARN(arn string) (account, path, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != Partition || parts[2] != "iam" || parts[3] != "" {
		return "", "", "", false
	}
	account = parts[4]
	res, found := strings.CutPrefix(parts[5], "role/")
	if !found || len(account) != 12 {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if i < 0 {
		path = "/"
	}
	if name == "" {
		return "", "", "", false
	}
	return account, path, name, true
}
