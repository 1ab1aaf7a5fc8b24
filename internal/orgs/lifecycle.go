package orgs

import (
	"context"

	"github.com/hatrack/hatrack/store"
)

// KindOrgDeleted marks an organization deleted with DeleteOrganization, so
// that EnsureOrganization does not make it again at the next start; Name
// "organization". CreateOrganization clears it.
const KindOrgDeleted = "orgdeleted"

// Feature sets.
const (
	FeatureSetAll                 = "ALL"
	FeatureSetConsolidatedBilling = "CONSOLIDATED_BILLING"
)

var (
	errAlreadyInOrg = orgErr("AlreadyInOrganizationException",
		"This account is already a member of an organization. An account can belong to only one organization at a time.")
	errOrganizationNotEmpty = orgErr("OrganizationNotEmptyException",
		"The organization isn't empty. To delete an organization, you must first remove all accounts except the management account.")
	errEffectivePolicyNotFound = orgErr("EffectivePolicyNotFoundException",
		"We can't find an effective policy of that type for the specified target.")
)

func errAlreadyAllFeatures() *Error {
	return handshakeErr("ORGANIZATION_ALREADY_HAS_ALL_FEATURES",
		"The handshake request is invalid because the organization has already enabled all features.")
}

// CreateOrganization makes caller's account the management account of a
// new organization with the feature set fs ("" is ALL). An account
// already in the organization (management or member) gets
// AlreadyInOrganizationException. This deployment holds one
// organization: while it exists, an account outside it cannot create
// another (AccessDeniedException).
func (s *Service) CreateOrganization(ctx context.Context, caller, fs string) (*Organization, error) {
	switch fs {
	case "":
		fs = FeatureSetAll
	case FeatureSetAll, FeatureSetConsolidatedBilling:
	default:
		return nil, errInvalidEnum()
	}
	var out *Organization
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, err := get[Organization](ctx, tx, KindOrganization, organizationRecID)
		if err == nil {
			if _, err := tx.Get(ctx, KindMember, "", caller); err == nil {
				return errAlreadyInOrg
			} else if !notFound(err) {
				return err
			}
			return errMemberDenied
		}
		if !notFound(err) {
			return err
		}
		if err := tx.Delete(ctx, KindOrgDeleted, "", organizationRecID); err != nil && !notFound(err) {
			return err
		}
		out, err = s.createOrganization(ctx, tx, caller, fs)
		return err
	})
	return out, err
}

// orgKinds are the record kinds that belong to the organization and go
// with it (closures stay: a closed account stays closed).
var orgKinds = []string{KindAttachment, KindPolicy, KindOU, KindMember, KindCreateStatus, KindHandshake, KindTags,
	KindServiceAccess, KindDelegatedAdmin, KindResourcePolicy}

// DeleteOrganization deletes the organization, by its management
// account, when the management account is its only account: its root,
// OUs, policies, handshakes, trusted access and delegation policy go with
// it. The management account stays, standalone.
func (s *Service) DeleteOrganization(ctx context.Context, caller string) error {
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		n, err := tx.Count(ctx, store.Filter{Kind: KindMember})
		if err != nil {
			return err
		}
		if n > 1 {
			return errOrganizationNotEmpty
		}
		for _, kind := range orgKinds {
			recs, err := tx.List(ctx, store.Filter{Kind: kind})
			if err != nil {
				return err
			}
			for _, rec := range recs {
				if err := tx.Delete(ctx, kind, "", rec.Name); err != nil {
					return err
				}
			}
		}
		if err := tx.Delete(ctx, KindOrganization, "", organizationRecID); err != nil {
			return err
		}
		return tx.Put(ctx, store.Record{Kind: KindOrgDeleted, Name: organizationRecID, Data: encode(struct{ ID string }{org.ID})})
	})
}

// LeaveOrganization removes caller's own account from the organization,
// as RemoveAccountFromOrganization does from the management account's
// side. The management account cannot leave; a delegated administrator
// must be deregistered first.
func (s *Service) LeaveOrganization(ctx context.Context, caller string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		org, err := access(withoutDelegate(ctx), tx, caller, false)
		if err != nil {
			return err
		}
		if caller == org.ManagementAccount {
			return errMasterCannotLeave
		}
		return removeMember(ctx, tx, caller)
	})
}

// removeMember takes a member account out of the organization: its place
// in the tree, its tags and its policy attachments go.
func removeMember(ctx context.Context, tx store.Tx, id string) error {
	if ok, err := isDelegatedAdmin(ctx, tx, id); err != nil {
		return err
	} else if ok {
		return errCannotRemoveDelegatedAdmin()
	}
	if err := forgetTarget(ctx, tx, id); err != nil {
		return err
	}
	return tx.Delete(ctx, KindMember, "", id)
}

// EnableAllFeatures starts enabling all features. Only an organization
// created with consolidated billing only could; this deployment's
// organizations of that feature set cannot be migrated (the
// ENABLE_ALL_FEATURES handshake is not served), so it answers for an
// organization that has all features, as AWS does, and refuses the
// migration otherwise (errAllFeaturesUnsupported).
func (s *Service) EnableAllFeatures(ctx context.Context, caller string) (*Handshake, error) {
	err := s.update(ctx, caller, func(_ store.Tx, org *Organization) error {
		if org.FeatureSet == FeatureSetAll {
			return errAlreadyAllFeatures()
		}
		return errAllFeaturesUnsupported
	})
	return nil, err
}

// errAllFeaturesUnsupported: the ENABLE_ALL_FEATURES handshake is not
// served here.
var errAllFeaturesUnsupported = reasonErr("ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
	"Enabling all features in an organization created with consolidated billing only is not supported by this deployment. Delete the organization and create it with all features.")

// managementTypes are the PolicyType values of DescribeEffectivePolicy
// (management policies; SCPs and RCPs are not among them).
var managementTypes = map[string]bool{
	"TAG_POLICY": true, "BACKUP_POLICY": true, "AISERVICES_OPT_OUT_POLICY": true, "CHATBOT_POLICY": true,
	"DECLARATIVE_POLICY_EC2": true, "SECURITYHUB_POLICY": true, "INSPECTOR_POLICY": true,
	"UPGRADE_ROLLOUT_POLICY": true, "BEDROCK_POLICY": true, "S3_POLICY": true, "NETWORK_SECURITY_DIRECTOR_POLICY": true,
}

// DescribeEffectivePolicy answers for a management policy type, which
// this deployment never enables: EffectivePolicyNotFoundException, after
// the checks AWS makes (the type, the target's form and existence). Any
// account of the organization may ask about its own account; only the
// management account about another target.
func (s *Service) DescribeEffectivePolicy(ctx context.Context, caller, policyType, target string) error {
	if policyType == "" {
		return errInputRequired()
	}
	if !managementTypes[policyType] {
		return errInvalidEnum()
	}
	if target != "" {
		if len(target) > 100 {
			return errMaxLength()
		}
		if !reRootID.MatchString(target) && !reOUID.MatchString(target) && !reAccountID.MatchString(target) {
			return errInvalidTargetPattern()
		}
	}
	return s.store.View(ctx, func(r store.Reader) error {
		org, err := access(withoutDelegate(ctx), r, caller, false)
		if err != nil {
			return err
		}
		if target != "" && target != caller && caller != org.ManagementAccount {
			return errMemberDenied
		}
		if target != "" {
			ok, err := containerExists(ctx, r, org, target)
			if err != nil {
				return err
			}
			if !ok && reAccountID.MatchString(target) {
				_, err := r.Get(ctx, KindMember, "", target)
				if err != nil && !notFound(err) {
					return err
				}
				ok = err == nil
			}
			if !ok {
				return errTargetNotFound
			}
		}
		return errEffectivePolicyNotFound
	})
}
