package orgs

import (
	"context"
	"strings"

	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// SCPs returns the service control policies that apply to account's
// principals, one level per node of the organization tree from the root
// down to the account itself (every level must allow). It returns nil —
// not subject to SCPs — for the management account, for accounts outside
// the organization (a removed account included) and while SCPs are
// disabled. A closed account (even once removed) gets one empty level:
// everything is denied. It implements the SCP half
// of internal/authz.Source.
func (s *Service) SCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	var levels [][]*policy.Policy
	err := s.store.View(ctx, func(r store.Reader) error {
		org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if account == org.ManagementAccount {
			return nil
		}
		if closed, err := isClosed(ctx, r, account); err != nil {
			return err
		} else if closed {
			// A closed account's principals can do nothing, in the
			// organization or removed from it: one level in which no
			// policy allows anything, whatever the policy types.
			levels = [][]*policy.Policy{{}}
			return nil
		}
		m, err := get[Member](ctx, r, KindMember, account)
		if notFound(err) {
			return nil // never a member, or removed from the organization
		}
		if err != nil {
			return err
		}
		if !org.SCPEnabled() {
			return nil
		}
		levels, err = typeLevels(ctx, r, org, m, TypeSCP)
		return err
	})
	if err != nil {
		return nil, err
	}
	return levels, nil
}

// RCPs returns the resource control policies that apply to account's
// resources, one level per node of the organization tree from the root
// down to the account (every level must allow). It returns nil — not
// subject to RCPs — for the management account (RCPs never apply to its
// resources), for accounts outside the organization and while RCPs are
// disabled. It implements the RCP part of internal/authz.OrgSource.
func (s *Service) RCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	var levels [][]*policy.Policy
	err := s.store.View(ctx, func(r store.Reader) error {
		org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if account == org.ManagementAccount || !org.RCPEnabled() {
			return nil
		}
		m, err := get[Member](ctx, r, KindMember, account)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		levels, err = typeLevels(ctx, r, org, m, TypeRCP)
		return err
	})
	if err != nil {
		return nil, err
	}
	return levels, nil
}

// OrgPath returns the id of the organization account belongs to (the
// management account included) and its organization path
// "o-…/r-…/ou-…/…/" (the root and the OUs above the account, as
// aws:PrincipalOrgPaths and aws:ResourceOrgPaths give it); "", "" when the
// account is in no organization. It implements the rest of
// internal/authz.OrgSource.
func (s *Service) OrgPath(ctx context.Context, account string) (id, path string, err error) {
	err = s.store.View(ctx, func(r store.Reader) error {
		org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		m, err := get[Member](ctx, r, KindMember, account)
		if notFound(err) {
			return nil // never a member, or removed from the organization
		}
		if err != nil {
			return err
		}
		chain, err := parentChain(ctx, r, org, m)
		if err != nil {
			return err
		}
		var b strings.Builder
		b.WriteString(org.ID + "/")
		for i := len(chain) - 1; i >= 0; i-- {
			b.WriteString(chain[i] + "/")
		}
		id, path = org.ID, b.String()
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return id, path, nil
}

// parentChain returns the containers above a member: its parent, the
// parent's parent, …, the root last.
func parentChain(ctx context.Context, r store.Reader, org *Organization, m *Member) ([]string, error) {
	var chain []string
	for id := m.ParentID; id != org.RootID; {
		chain = append(chain, id)
		ou, err := get[OU](ctx, r, KindOU, id)
		if err != nil {
			return nil, err
		}
		id = ou.ParentID
	}
	return append(chain, org.RootID), nil
}

// typeLevels compiles the policies of type t attached to each node from
// the root down to the member account: one level per node.
func typeLevels(ctx context.Context, r store.Reader, org *Organization, m *Member, t string) ([][]*policy.Policy, error) {
	chain, err := parentChain(ctx, r, org, m)
	if err != nil {
		return nil, err
	}
	chain = append([]string{m.AccountID}, chain...)
	kind := served[t].kind
	levels := make([][]*policy.Policy, 0, len(chain))
	for i := len(chain) - 1; i >= 0; i-- {
		pols, err := attachedPolicies(ctx, r, org, chain[i])
		if err != nil {
			return nil, err
		}
		level := make([]*policy.Policy, 0, len(pols))
		for _, p := range pols {
			if p.Type != t {
				continue
			}
			compiled, err := policy.Parse(p.Content, kind)
			if err != nil {
				return nil, err // validated when stored; fail closed
			}
			level = append(level, compiled.WithID(p.ARN))
		}
		levels = append(levels, level)
	}
	return levels, nil
}
