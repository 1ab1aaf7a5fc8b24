package orgs

import (
	"context"

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
		// The chain account → OUs → root, then reversed.
		chain := []string{account}
		for id := m.ParentID; id != org.RootID; {
			chain = append(chain, id)
			ou, err := get[OU](ctx, r, KindOU, id)
			if err != nil {
				return err
			}
			id = ou.ParentID
		}
		chain = append(chain, org.RootID)
		for i := len(chain) - 1; i >= 0; i-- {
			pols, err := attachedPolicies(ctx, r, org, chain[i])
			if err != nil {
				return err
			}
			level := make([]*policy.Policy, 0, len(pols))
			for _, p := range pols {
				if p.Type != TypeSCP {
					continue
				}
				compiled, err := policy.Parse(p.Content, policy.SCP)
				if err != nil {
					return err // validated when stored; fail closed
				}
				level = append(level, compiled.WithID(p.ARN))
			}
			levels = append(levels, level)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return levels, nil
}
