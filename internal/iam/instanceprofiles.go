package iam

import (
	"context"
	"fmt"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

const maxInstanceProfiles = 1000

// InstanceProfile is an EC2 instance profile (at most one role).
type InstanceProfile struct {
	Account string
	Path    string
	Name    string
	ID      string
	Created time.Time
	RoleIDs []string `json:",omitempty"`
	Tags    []Tag    `json:",omitempty"`

	// Roles is filled by reads (with displayed trust documents).
	Roles []*Role `json:"-"`
}

// ARN is the instance profile's ARN.
func (p *InstanceProfile) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:instance-profile%s%s", Partition, p.Account, p.Path, p.Name)
}

func errNoSuchProfile(name string) error {
	return awserr.NoSuchEntity("Instance Profile %s cannot be found.", name)
}

func (s *Service) getProfile(ctx context.Context, r store.Reader, account, name string) (*InstanceProfile, store.Record, error) {
	var v awserr.Validation
	checkName(&v, "instanceProfileName", name, 128)
	if err := v.Err(); err != nil {
		return nil, store.Record{}, err
	}
	p, rec, err := get[InstanceProfile](ctx, r, KindInstanceProfile, account, name)
	if notFound(err) {
		return nil, rec, errNoSuchProfile(name)
	}
	return p, rec, err
}

func (s *Service) fillProfile(ctx context.Context, r store.Reader, p *InstanceProfile) error {
	p.Roles = nil
	for _, id := range p.RoleIDs {
		ro, _, err := getByID[Role](ctx, r, KindRole, id)
		if notFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		ro.TrustDocument = s.displayTrust(ctx, r, ro.TrustPolicy)
		p.Roles = append(p.Roles, ro)
	}
	return nil
}

// CreateInstanceProfile creates an instance profile.
func (s *Service) CreateInstanceProfile(ctx context.Context, account, name, path string, tags []Tag) (*InstanceProfile, error) {
	var v awserr.Validation
	checkName(&v, "instanceProfileName", name, 128)
	checkPath(&v, "path", path)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	p := &InstanceProfile{Account: account, Path: orSlash(path), Name: name, ID: ids.NewUniqueID("AIPA"),
		Created: s.now().UTC().Truncate(time.Second), Tags: tags}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		err := createCounted(ctx, tx, store.Record{Kind: KindInstanceProfile, Account: account, Name: name, ID: p.ID, Data: encode(p)}, maxInstanceProfiles, "InstanceProfilesPerAccount",
			awserr.EntityAlreadyExists("Instance Profile %s already exists.", name))
		return err
	})
	if err != nil {
		return nil, err
	}
	p.Roles = []*Role{}
	return p, nil
}

// GetInstanceProfile returns a profile with its role.
func (s *Service) GetInstanceProfile(ctx context.Context, account, name string) (*InstanceProfile, error) {
	var p *InstanceProfile
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if p, _, err = s.getProfile(ctx, r, account, name); err != nil {
			return err
		}
		return s.fillProfile(ctx, r, p)
	})
	return p, err
}

// ListInstanceProfiles lists profiles whose path starts with pathPrefix.
func (s *Service) ListInstanceProfiles(ctx context.Context, account, pathPrefix string, p Page) ([]*InstanceProfile, string, error) {
	var v awserr.Validation
	checkPathPrefix(&v, "pathPrefix", pathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []*InstanceProfile
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindInstanceProfile, Account: account}, p, pathFilter(pathPrefix))
		if err != nil {
			return err
		}
		next = nx
		if out, err = decodeAll[InstanceProfile](recs); err != nil {
			return err
		}
		for _, ip := range out {
			if err := s.fillProfile(ctx, r, ip); err != nil {
				return err
			}
		}
		return nil
	})
	return out, next, err
}

// ListInstanceProfilesForRole lists the profiles holding a role.
func (s *Service) ListInstanceProfilesForRole(ctx context.Context, account, role string, p Page) ([]*InstanceProfile, string, error) {
	var out []*InstanceProfile
	err := s.store.View(ctx, func(r store.Reader) error {
		ro, _, err := s.getRole(ctx, r, account, role)
		if err != nil {
			return err
		}
		recs, err := r.List(ctx, store.Filter{Kind: KindProfileRole, Account: account, Parent: "role:" + ro.ID})
		if err != nil {
			return err
		}
		links, err := decodeLinks(recs)
		if err != nil {
			return err
		}
		for _, l := range links {
			ip, _, err := getByID[InstanceProfile](ctx, r, KindInstanceProfile, l.GroupID)
			if notFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if err := s.fillProfile(ctx, r, ip); err != nil {
				return err
			}
			out = append(out, ip)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(out, func(p *InstanceProfile) string { return p.Name }, p)
}

// DeleteInstanceProfile deletes a profile without roles.
func (s *Service) DeleteInstanceProfile(ctx context.Context, account, name string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, _, err := s.getProfile(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if len(p.RoleIDs) > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return tx.Delete(ctx, KindInstanceProfile, account, p.Name)
	})
}

// AddRoleToInstanceProfile puts a role into a profile (one role at most).
func (s *Service) AddRoleToInstanceProfile(ctx context.Context, account, profile, role string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, rec, err := s.getProfile(ctx, tx, account, profile)
		if err != nil {
			return err
		}
		ro, _, err := s.getRole(ctx, tx, account, role)
		if err != nil {
			return err
		}
		for _, id := range p.RoleIDs {
			if id == ro.ID {
				return awserr.EntityAlreadyExists("Role %s is already associated with instance profile %s.", ro.Name, p.Name)
			}
		}
		if len(p.RoleIDs) >= 1 {
			return awserr.LimitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		p.RoleIDs = append(p.RoleIDs, ro.ID)
		rec.Data = encode(p)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
		return tx.Create(ctx, store.Record{Kind: KindProfileRole, Account: account, Name: p.ID + "|" + ro.ID, Parent: "role:" + ro.ID,
			Data: encode(&link{GroupID: p.ID, EntityType: EntityRole, EntityID: ro.ID})})
	})
}

// RemoveRoleFromInstanceProfile takes a role out of a profile.
func (s *Service) RemoveRoleFromInstanceProfile(ctx context.Context, account, profile, role string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, rec, err := s.getProfile(ctx, tx, account, profile)
		if err != nil {
			return err
		}
		ro, _, err := s.getRole(ctx, tx, account, role)
		if err != nil {
			return err
		}
		out := p.RoleIDs[:0]
		found := false
		for _, id := range p.RoleIDs {
			if id == ro.ID {
				found = true
				continue
			}
			out = append(out, id)
		}
		if !found {
			return awserr.NoSuchEntity("Role %s in Instance Profile %s cannot be found.", ro.Name, p.Name)
		}
		p.RoleIDs = out
		rec.Data = encode(p)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
		return tx.Delete(ctx, KindProfileRole, account, p.ID+"|"+ro.ID)
	})
}

// TagInstanceProfile adds or replaces tags.
func (s *Service) TagInstanceProfile(ctx context.Context, account, name string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, rec, err := s.getProfile(ctx, tx, account, name)
		if err != nil {
			return err
		}
		merged := mergeTags(p.Tags, tags)
		if len(merged) > 50 {
			return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
		}
		p.Tags = merged
		rec.Data = encode(p)
		return tx.Put(ctx, rec)
	})
}

// UntagInstanceProfile removes tags.
func (s *Service) UntagInstanceProfile(ctx context.Context, account, name string, keys []string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, rec, err := s.getProfile(ctx, tx, account, name)
		if err != nil {
			return err
		}
		p.Tags = removeTags(p.Tags, keys)
		rec.Data = encode(p)
		return tx.Put(ctx, rec)
	})
}
