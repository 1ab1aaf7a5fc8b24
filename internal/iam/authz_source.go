package iam

import (
	"context"
	"sync"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// The IAM domain is the authorizer's source of identity policies
// (internal/authz.Source). Policy ids name each policy in explanations:
// managed policies by ARN, inline ones as "user/NAME/inline/POLICY" (also
// group/… and role/…).

// compiled caches compiled managed-policy versions. A version's document
// never changes once created, and a policy id is never reused, so
// (policy id, version id) identifies a compiled form for ever: no
// invalidation is needed, only a bound.
var compiled struct {
	sync.RWMutex
	m map[string]*policy.Policy
}

const maxCompiled = 4096

func compileManaged(mp *ManagedPolicy) (*policy.Policy, error) {
	key := mp.ID + "/" + mp.DefaultVersion + "/" + mp.ARN()
	compiled.RLock()
	p := compiled.m[key]
	compiled.RUnlock()
	if p != nil {
		return p, nil
	}
	p, err := policy.Parse(mp.DefaultDocument(), policy.Identity)
	if err != nil {
		return nil, err
	}
	p = p.WithID(mp.ARN())
	compiled.Lock()
	if compiled.m == nil || len(compiled.m) >= maxCompiled {
		compiled.m = make(map[string]*policy.Policy)
	}
	compiled.m[key] = p
	compiled.Unlock()
	return p, nil
}

// entityPolicies compiles an entity's inline and attached policies.
func (s *Service) entityPolicies(ctx context.Context, r store.Reader, account string, e entityRef, name string) ([]*policy.Policy, error) {
	var out []*policy.Policy
	inl, err := inlineOf(ctx, r, account, e)
	if err != nil {
		return nil, err
	}
	for _, ip := range inl {
		p, err := policy.Parse(ip.Document, policy.Identity)
		if err != nil {
			return nil, err
		}
		out = append(out, p.WithID(e.Type+"/"+name+"/inline/"+ip.Name))
	}
	att, err := attachedOf(ctx, r, account, e)
	if err != nil {
		return nil, err
	}
	for _, a := range att {
		mp, _, err := s.loadPolicy(ctx, r, account, a.ARN, errNotAttachable)
		if awserr.HasCode(err, "NoSuchEntity") {
			continue
		}
		if err != nil {
			return nil, err
		}
		p, err := compileManaged(mp)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *Service) boundaryPolicy(ctx context.Context, r store.Reader, account, arn string) (*policy.Policy, error) {
	if arn == "" {
		return nil, nil
	}
	mp, _, err := s.loadPolicy(ctx, r, account, arn, errNotAttachable)
	if err != nil {
		// A boundary that no longer resolves allows nothing (fail closed).
		if awserr.HasCode(err, "NoSuchEntity") {
			return policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.Identity).WithID(arn), nil
		}
		return nil, err
	}
	return compileManaged(mp)
}

// UserPolicies returns the compiled policies that apply to a user (its
// inline and attached policies and those of its groups), its boundary and
// its tags. An unknown user has none.
func (s *Service) UserPolicies(ctx context.Context, account, id string) ([]*policy.Policy, *policy.Policy, map[string]string, error) {
	var ids []*policy.Policy
	var boundary *policy.Policy
	var tags map[string]string
	err := s.store.View(ctx, func(r store.Reader) error {
		u, _, err := getByID[User](ctx, r, KindUser, id)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		tags = tagMap(u.Tags)
		if ids, err = s.entityPolicies(ctx, r, u.Account, entityRef{Type: EntityUser, ID: u.ID}, u.Name); err != nil {
			return err
		}
		groups, err := s.groupsOf(ctx, r, u.Account, u.ID)
		if err != nil {
			return err
		}
		for _, g := range groups {
			gp, err := s.entityPolicies(ctx, r, u.Account, entityRef{Type: EntityGroup, ID: g.ID}, g.Name)
			if err != nil {
				return err
			}
			ids = append(ids, gp...)
		}
		boundary, err = s.boundaryPolicy(ctx, r, u.Account, u.PermissionsBoundary)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return ids, boundary, tags, nil
}

// RolePolicies returns the compiled policies of a role, its boundary and
// its tags.
func (s *Service) RolePolicies(ctx context.Context, account, id string) ([]*policy.Policy, *policy.Policy, map[string]string, error) {
	var ids []*policy.Policy
	var boundary *policy.Policy
	var tags map[string]string
	err := s.store.View(ctx, func(r store.Reader) error {
		ro, _, err := getByID[Role](ctx, r, KindRole, id)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		tags = tagMap(ro.Tags)
		if ids, err = s.entityPolicies(ctx, r, ro.Account, entityRef{Type: EntityRole, ID: ro.ID}, ro.Name); err != nil {
			return err
		}
		boundary, err = s.boundaryPolicy(ctx, r, ro.Account, ro.PermissionsBoundary)
		return err
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return ids, boundary, tags, nil
}

// ManagedPolicy compiles a managed policy's default version: AWS-managed
// or customer-managed in the ARN's account. An unknown ARN is NoSuchEntity
// "Policy … does not exist or is not attachable." (STS maps it for session
// policy ARNs).
func (s *Service) ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	account, _, _, ok := splitPolicyARN(arn)
	if !ok {
		return nil, errNotAttachable(arn)
	}
	var p *policy.Policy
	err := s.store.View(ctx, func(r store.Reader) error {
		mp, _, err := s.loadPolicy(ctx, r, account, arn, errNotAttachable)
		if err != nil {
			return err
		}
		p, err = compileManaged(mp)
		return err
	})
	return p, err
}

// SCPs returns the SCP levels applying to account (Organizations supplies
// them; the IAM domain has none).
func (s *Service) SCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	return nil, nil
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
