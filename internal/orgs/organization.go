package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/store"
)

// EnsureOrganization creates the management account's organization on
// first use: FeatureSet ALL, one root with SERVICE_CONTROL_POLICY enabled,
// the AWS-managed FullAWSAccess SCP attached to the root and to the
// management account (and the AWS-managed RCPFullAWSAccess stored, for
// when RCPs are enabled). It returns the organization (existing or new).
// An organization deleted with DeleteOrganization is not created again
// (CreateOrganization does that): it returns nil then.
func (s *Service) EnsureOrganization(ctx context.Context, management string) (*Organization, error) {
	var org *Organization
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		org, err = get[Organization](ctx, tx, KindOrganization, organizationRecID)
		if err == nil || !notFound(err) {
			return err
		}
		org = nil
		if _, err := tx.Get(ctx, KindOrgDeleted, "", organizationRecID); err == nil || !notFound(err) {
			return err
		}
		org, err = s.createOrganization(ctx, tx, management, FeatureSetAll)
		return err
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		// Another node created it first.
		err = s.store.View(ctx, func(r store.Reader) error {
			org, err = get[Organization](ctx, r, KindOrganization, organizationRecID)
			return err
		})
	}
	return org, err
}

// createOrganization makes the organization of management with the
// feature set fs in tx: one root (SERVICE_CONTROL_POLICY enabled with all
// features, no policy type with consolidated billing only), the
// AWS-managed full-access policies stored, FullAWSAccess attached to the
// root and the management account (with all features).
func (s *Service) createOrganization(ctx context.Context, tx store.Tx, management, fs string) (*Organization, error) {
	acct, err := getAccount(ctx, tx, management)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	org := &Organization{
		ID: "o-" + randID(10), RootID: "r-" + randID(4), FeatureSet: fs,
		ManagementAccount: management, ManagementEmail: acct.Email,
		EnabledTypes: []string{}, Created: now,
	}
	if fs == FeatureSetAll {
		org.EnabledTypes = []string{TypeSCP}
	}
	if err := tx.Create(ctx, store.Record{Kind: KindOrganization, Name: organizationRecID, Data: encode(org)}); err != nil {
		return nil, err
	}
	for _, t := range []string{TypeSCP, TypeRCP} {
		if err := ensureFullAccess(ctx, tx, t); err != nil {
			return nil, err
		}
	}
	m := &Member{AccountID: management, ParentID: org.RootID, JoinedMethod: "INVITED", Joined: acct.Created}
	if m.Joined.IsZero() {
		m.Joined = now
	}
	if err := tx.Create(ctx, store.Record{Kind: KindMember, Name: m.AccountID, ID: m.AccountID, Parent: m.ParentID, Data: encode(m)}); err != nil {
		return nil, err
	}
	if fs == FeatureSetAll {
		for _, t := range []string{org.RootID, management} {
			if err := attach(ctx, tx, FullAWSAccessID, t); err != nil {
				return nil, err
			}
		}
	}
	return org, nil
}

func getAccount(ctx context.Context, r store.Reader, id string) (*iam.Account, error) {
	return get[iam.Account](ctx, r, iam.KindAccount, id)
}

// access checks that caller's account may use an operation: the
// management account always, member accounts only for operations open to
// every member (mgmtOnly false). Other accounts are not in an
// organization.
func access(ctx context.Context, r store.Reader, caller string, mgmtOnly bool) (*Organization, error) {
	org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
	if notFound(err) {
		return nil, errNotInUse
	}
	if err != nil {
		return nil, err
	}
	if caller == org.ManagementAccount {
		return org, nil
	}
	if _, err := r.Get(ctx, KindMember, "", caller); err != nil {
		if notFound(err) {
			return nil, errNotInUse
		}
		return nil, err
	}
	if mgmtOnly {
		if err := delegated(ctx, r, org, caller); err != nil {
			return nil, err
		}
	}
	return org, nil
}

// view runs fn on a consistent snapshot after the access check.
func (s *Service) view(ctx context.Context, caller string, mgmtOnly bool, fn func(r store.Reader, org *Organization) error) error {
	return s.store.View(ctx, func(r store.Reader) error {
		org, err := access(ctx, r, caller, mgmtOnly)
		if err != nil {
			return err
		}
		return fn(r, org)
	})
}

// update runs fn in one transaction after the access check (management
// account only: every Organizations mutation is).
func (s *Service) update(ctx context.Context, caller string, fn func(tx store.Tx, org *Organization) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		// No mutation is ever delegated.
		org, err := access(withoutDelegate(ctx), tx, caller, true)
		if err != nil {
			return err
		}
		return fn(tx, org)
	})
}

// DescribeOrganization returns the caller's organization (any member may
// ask).
func (s *Service) DescribeOrganization(ctx context.Context, caller string) (*Organization, error) {
	var out *Organization
	err := s.view(ctx, caller, false, func(_ store.Reader, org *Organization) error {
		out = org
		return nil
	})
	return out, err
}

// Roots returns the organization (its single root).
func (s *Service) Roots(ctx context.Context, caller string) (*Organization, error) {
	var out *Organization
	err := s.view(ctx, caller, true, func(_ store.Reader, org *Organization) error {
		out = org
		return nil
	})
	return out, err
}

// checkPolicyType validates a PolicyType value: unknown values are
// INVALID_ENUM, known types other than SCPs and RCPs are not available
// here.
func checkPolicyType(t string) error {
	if t == "" {
		return errInputRequired()
	}
	if !policyTypes[t] {
		return errInvalidEnum()
	}
	if _, ok := served[t]; !ok {
		return errTypeNotAvailable
	}
	return nil
}

// ensureFullAccess stores the AWS-managed full-access policy of type t
// unless it exists (organizations created before RCPs were served lack
// RCPFullAWSAccess).
func ensureFullAccess(ctx context.Context, tx store.Tx, t string) error {
	full := served[t].full
	if _, err := tx.GetByID(ctx, KindPolicy, full.ID); err == nil || !notFound(err) {
		return err
	}
	err := tx.Create(ctx, store.Record{Kind: KindPolicy, Name: full.Name, ID: full.ID, Data: encode(&full)})
	if errors.Is(err, store.ErrAlreadyExists) {
		return errDuplicatePolicy // a customer policy holds the name
	}
	return err
}

// attachDefaults attaches to a new target (an account joining, an OU
// created) the AWS-managed full-access policy of every enabled type.
func attachDefaults(ctx context.Context, tx store.Tx, org *Organization, target string) error {
	for _, t := range org.EnabledTypes {
		if st, ok := served[t]; ok {
			if err := attach(ctx, tx, st.full.ID, target); err != nil {
				return err
			}
		}
	}
	return nil
}

// EnablePolicyType enables a policy type in the root; AWS then attaches
// the type's full-access policy (FullAWSAccess, RCPFullAWSAccess) to the
// root, every OU and every account.
func (s *Service) EnablePolicyType(ctx context.Context, caller, rootID, policyType string) (*Organization, error) {
	if err := checkRootID(rootID); err != nil {
		return nil, err
	}
	if err := checkPolicyType(policyType); err != nil {
		return nil, err
	}
	var out *Organization
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if rootID != org.RootID {
			return errRootNotFound
		}
		if org.FeatureSet != FeatureSetAll {
			return errTypeNotAvailable
		}
		if org.typeEnabled(policyType) {
			return errTypeAlreadyEnabled
		}
		org.EnabledTypes = append(org.EnabledTypes, policyType)
		sort.Strings(org.EnabledTypes)
		if err := tx.Put(ctx, store.Record{Kind: KindOrganization, Name: organizationRecID, Data: encode(org)}); err != nil {
			return err
		}
		if err := ensureFullAccess(ctx, tx, policyType); err != nil {
			return err
		}
		targets, err := allTargets(ctx, tx, org)
		if err != nil {
			return err
		}
		for _, t := range targets {
			if err := attach(ctx, tx, served[policyType].full.ID, t); err != nil {
				return err
			}
		}
		out = org
		return nil
	})
	return out, err
}

// DisablePolicyType disables a policy type in the root, detaching every
// policy of that type from every target (policies of other types stay
// attached).
func (s *Service) DisablePolicyType(ctx context.Context, caller, rootID, policyType string) (*Organization, error) {
	if err := checkRootID(rootID); err != nil {
		return nil, err
	}
	if err := checkPolicyType(policyType); err != nil {
		return nil, err
	}
	var out *Organization
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if rootID != org.RootID {
			return errRootNotFound
		}
		if !org.typeEnabled(policyType) {
			return errTypeNotEnabled
		}
		kept := org.EnabledTypes[:0:0]
		for _, t := range org.EnabledTypes {
			if t != policyType {
				kept = append(kept, t)
			}
		}
		org.EnabledTypes = kept
		if err := tx.Put(ctx, store.Record{Kind: KindOrganization, Name: organizationRecID, Data: encode(org)}); err != nil {
			return err
		}
		recs, err := tx.List(ctx, store.Filter{Kind: KindAttachment})
		if err != nil {
			return err
		}
		types := map[string]string{} // policy id → type
		for _, rec := range recs {
			var a Attachment
			if err := json.Unmarshal(rec.Data, &a); err != nil {
				return fmt.Errorf("decode %s %q: %w", rec.Kind, rec.Name, err)
			}
			t, ok := types[a.PolicyID]
			if !ok {
				p, err := getByID[Policy](ctx, tx, KindPolicy, a.PolicyID)
				if err != nil && !notFound(err) {
					return err
				}
				if p != nil {
					t = p.Type
				}
				types[a.PolicyID] = t
			}
			if t != policyType && t != "" {
				continue
			}
			if err := tx.Delete(ctx, KindAttachment, "", rec.Name); err != nil {
				return err
			}
		}
		out = org
		return nil
	})
	return out, err
}

// allTargets lists the root, every OU and every member account.
func allTargets(ctx context.Context, r store.Reader, org *Organization) ([]string, error) {
	out := []string{org.RootID}
	for _, kind := range []string{KindOU, KindMember} {
		recs, err := r.List(ctx, store.Filter{Kind: kind})
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			out = append(out, rec.Name)
		}
	}
	return out, nil
}

func checkRootID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if !reRootID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}
