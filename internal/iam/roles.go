package iam

import (
	"context"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Role quotas (iam-api.md §10).
const (
	maxRolesPerAccount  = 1000
	maxTrustPolicySize  = 2048
	defaultSessionLimit = 3600
	maxSessionLimit     = 43200
)

// CreateRoleInput is CreateRole's request.
type CreateRoleInput struct {
	RoleName            string
	Path                string
	AssumeRolePolicy    string
	Description         string
	MaxSessionDuration  int64 // 0 = default 3600
	HasMaxSession       bool
	PermissionsBoundary string
	Tags                []Tag
}

func errNoSuchRole(name string) error {
	return awserr.NoSuchEntity("The role with name %s cannot be found.", name)
}

func errProtectedRole(name string) error {
	return awserr.UnmodifiableEntity("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", name)
}

func (s *Service) getRole(ctx context.Context, r store.Reader, account, name string) (*Role, store.Record, error) {
	var v awserr.Validation
	checkName(&v, "roleName", name, 64)
	if err := v.Err(); err != nil {
		return nil, store.Record{}, err
	}
	ro, rec, err := get[Role](ctx, r, KindRole, account, name)
	if notFound(err) {
		return nil, rec, errNoSuchRole(name)
	}
	return ro, rec, err
}

func checkDescription(v *awserr.Validation, d string) {
	if utf8.RuneCountInString(d) > 1000 {
		v.Add(d, "description", "Member must have length less than or equal to 1000")
	}
}

func checkMaxSession(v *awserr.Validation, n int64) {
	if n < defaultSessionLimit {
		v.Add(strconv.FormatInt(n, 10), "maxSessionDuration", "Member must have value greater than or equal to 3600")
	} else if n > maxSessionLimit {
		v.Add(strconv.FormatInt(n, 10), "maxSessionDuration", "Member must have value less than or equal to 43200")
	}
}

// checkTrust validates a trust policy's grammar and size.
func checkTrust(doc string) error {
	if _, err := policy.Parse(doc, policy.Trust); err != nil {
		return err
	}
	if policy.Size(doc) > maxTrustPolicySize {
		return awserr.LimitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	return nil
}

// CreateRole creates a role.
func (s *Service) CreateRole(ctx context.Context, account string, in CreateRoleInput) (*Role, error) {
	var v awserr.Validation
	checkName(&v, "roleName", in.RoleName, 64)
	checkPath(&v, "path", in.Path)
	checkDocument(&v, "assumeRolePolicyDocument", in.AssumeRolePolicy)
	checkDescription(&v, in.Description)
	if in.HasMaxSession {
		checkMaxSession(&v, in.MaxSessionDuration)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkTrust(in.AssumeRolePolicy); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	ro := &Role{
		Account: account, Path: orSlash(in.Path), Name: in.RoleName, ID: ids.NewUniqueID("AROA"),
		Created: s.now().UTC().Truncate(time.Second), Description: in.Description,
		MaxSessionDuration: defaultSessionLimit, Tags: in.Tags,
	}
	if in.HasMaxSession {
		ro.MaxSessionDuration = int(in.MaxSessionDuration)
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return s.createRole(ctx, tx, ro, in.AssumeRolePolicy, in.PermissionsBoundary)
	})
	if err != nil {
		return nil, err
	}
	return ro, nil
}

// createRole stores a new role inside tx (shared with service-linked roles
// and Organizations' account roles).
func (s *Service) createRole(ctx context.Context, tx store.Tx, ro *Role, trust, boundary string) error {
	stored, err := s.canonicalTrust(ctx, tx, trust)
	if err != nil {
		return err
	}
	ro.TrustPolicy = stored
	if boundary != "" {
		if err := s.checkBoundary(ctx, tx, ro.Account, boundary); err != nil {
			return err
		}
		ro.PermissionsBoundary = boundary
	}
	err = createCounted(ctx, tx, store.Record{Kind: KindRole, Account: ro.Account, Name: ro.Name, ID: ro.ID, Data: encode(ro)}, maxRolesPerAccount, "RolesPerAccount",
		awserr.EntityAlreadyExists("Role with name %s already exists.", ro.Name))
	if err != nil {
		return err
	}
	if boundary != "" {
		if err := setBoundaryUse(ctx, tx, ro.Account, entityRef{Type: EntityRole, ID: ro.ID}, "", boundary); err != nil {
			return err
		}
	}
	ro.TrustDocument = s.displayTrust(ctx, tx, stored)
	return nil
}

// GetRole returns a role by name with its displayed trust policy.
func (s *Service) GetRole(ctx context.Context, account, name string) (*Role, error) {
	var ro *Role
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if ro, _, err = s.getRole(ctx, r, account, name); err != nil {
			return err
		}
		ro.TrustDocument = s.displayTrust(ctx, r, ro.TrustPolicy)
		return nil
	})
	return ro, err
}

// ListRoles lists roles whose path starts with pathPrefix.
func (s *Service) ListRoles(ctx context.Context, account, pathPrefix string, p Page) ([]*Role, string, error) {
	var v awserr.Validation
	checkPathPrefix(&v, "pathPrefix", pathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var roles []*Role
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindRole, Account: account}, p, pathFilter(pathPrefix))
		if err != nil {
			return err
		}
		if roles, err = decodeAll[Role](recs); err != nil {
			return err
		}
		for _, ro := range roles {
			ro.TrustDocument = s.displayTrust(ctx, r, ro.TrustPolicy)
		}
		next = nx
		return nil
	})
	return roles, next, err
}

// updateRole loads, changes and stores a role in one transaction.
func (s *Service) updateRole(ctx context.Context, account, name string, fn func(tx store.Tx, ro *Role) error) (*Role, error) {
	var out *Role
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ro, rec, err := s.getRole(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if err := fn(tx, ro); err != nil {
			return err
		}
		rec.Data = encode(ro)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
		ro.TrustDocument = s.displayTrust(ctx, tx, ro.TrustPolicy)
		out = ro
		return nil
	})
	return out, err
}

// UpdateRole changes a role's description and/or maximum session duration.
func (s *Service) UpdateRole(ctx context.Context, account, name string, desc *string, maxSession *int64) error {
	var v awserr.Validation
	if desc != nil {
		checkDescription(&v, *desc)
	}
	if maxSession != nil {
		checkMaxSession(&v, *maxSession)
	}
	if err := v.Err(); err != nil {
		return err
	}
	_, err := s.updateRole(ctx, account, name, func(_ store.Tx, ro *Role) error {
		if ro.ServiceLinked {
			return errProtectedRole(ro.Name)
		}
		if desc != nil {
			ro.Description = *desc
		}
		if maxSession != nil {
			ro.MaxSessionDuration = int(*maxSession)
		}
		return nil
	})
	return err
}

// UpdateRoleDescription sets a role's description (allowed on
// service-linked roles too, as AWS allows) and returns the role.
func (s *Service) UpdateRoleDescription(ctx context.Context, account, name, desc string) (*Role, error) {
	var v awserr.Validation
	checkDescription(&v, desc)
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s.updateRole(ctx, account, name, func(_ store.Tx, ro *Role) error {
		ro.Description = desc
		return nil
	})
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, account, name, doc string) error {
	var v awserr.Validation
	checkDocument(&v, "policyDocument", doc)
	if err := v.Err(); err != nil {
		return err
	}
	if err := checkTrust(doc); err != nil {
		return err
	}
	_, err := s.updateRole(ctx, account, name, func(tx store.Tx, ro *Role) error {
		if ro.ServiceLinked {
			return errProtectedRole(ro.Name)
		}
		stored, err := s.canonicalTrust(ctx, tx, doc)
		if err != nil {
			return err
		}
		ro.TrustPolicy = stored
		return nil
	})
	return err
}

// DeleteRole deletes a role that is in no instance profile and has no
// policies.
func (s *Service) DeleteRole(ctx context.Context, account, name string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ro, _, err := s.getRole(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if ro.ServiceLinked {
			return errProtectedRole(ro.Name)
		}
		return s.deleteRole(ctx, tx, ro, false)
	})
}

func (s *Service) deleteRole(ctx context.Context, tx store.Tx, ro *Role, detach bool) error {
	ref := entityRef{Type: EntityRole, ID: ro.ID}
	n, err := tx.Count(ctx, store.Filter{Kind: KindProfileRole, Account: ro.Account, Parent: ref.key()})
	if err != nil {
		return err
	}
	if n > 0 {
		return awserr.DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
	}
	if n, err = tx.Count(ctx, store.Filter{Kind: KindInlinePolicy, Account: ro.Account, Parent: ref.key()}); err != nil {
		return err
	}
	if n > 0 {
		return awserr.DeleteConflict("Cannot delete entity, must delete policies first.")
	}
	atts, err := tx.List(ctx, store.Filter{Kind: KindAttachment, Account: ro.Account, Parent: ref.key()})
	if err != nil {
		return err
	}
	if len(atts) > 0 && !detach {
		return awserr.DeleteConflict("Cannot delete entity, must detach all policies first.")
	}
	for _, a := range atts {
		if err := tx.Delete(ctx, KindAttachment, ro.Account, a.Name); err != nil {
			return err
		}
	}
	if err := clearBoundaryUse(ctx, tx, ro.Account, ref); err != nil {
		return err
	}
	return tx.Delete(ctx, KindRole, ro.Account, ro.Name)
}

// TagRole adds or replaces tags on a role.
func (s *Service) TagRole(ctx context.Context, account, name string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	_, err := s.updateRole(ctx, account, name, func(_ store.Tx, ro *Role) error {
		merged := mergeTags(ro.Tags, tags)
		if len(merged) > 50 {
			return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
		}
		ro.Tags = merged
		return nil
	})
	return err
}

// UntagRole removes tags from a role.
func (s *Service) UntagRole(ctx context.Context, account, name string, keys []string) error {
	_, err := s.updateRole(ctx, account, name, func(_ store.Tx, ro *Role) error {
		ro.Tags = removeTags(ro.Tags, keys)
		return nil
	})
	return err
}

// RoleTrustDocument returns a role's trust policy as IAM shows it.
func (s *Service) RoleTrustDocument(ctx context.Context, ro *Role) string {
	var out string
	_ = s.store.View(ctx, func(r store.Reader) error {
		out = s.displayTrust(ctx, r, ro.TrustPolicy)
		return nil
	})
	return out
}
