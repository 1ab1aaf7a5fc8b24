package orgs

import (
	"context"
	"errors"
	"testing"

	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

func TestCreateAndDeleteOrganization(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	member := createAccount(t, s, "member")
	solo := standalone(t, is, "222222222222", "solo")

	for _, tc := range []struct {
		name, caller, fs, code, reason string
	}{
		{"bad feature set", mgmt, "SOME", "InvalidInputException", "INVALID_ENUM"},
		{"management already in it", mgmt, "", "AlreadyInOrganizationException", ""},
		{"member already in it", member, "ALL", "AlreadyInOrganizationException", ""},
		{"one organization per deployment", solo, "", "AccessDeniedException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateOrganization(ctx, tc.caller, tc.fs)
			wantErr(t, err, tc.code, tc.reason)
		})
	}

	// Not empty: refused, and nothing changed.
	wantErr(t, s.DeleteOrganization(ctx, member), "AccessDeniedException", "")
	wantErr(t, s.DeleteOrganization(ctx, solo), "AWSOrganizationsNotInUseException", "")
	err := s.DeleteOrganization(ctx, mgmt)
	wantErr(t, err, "OrganizationNotEmptyException", "")
	wantMessage(t, err, "The organization isn't empty. To delete an organization, you must first remove all accounts except the management account.")
	ok(t, s.RemoveAccountFromOrganization(ctx, mgmt, member))
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "config.amazonaws.com"))
	old := must(s.DescribeOrganization(ctx, mgmt))
	ok(t, s.DeleteOrganization(ctx, mgmt))
	_, err = s.DescribeOrganization(ctx, mgmt)
	wantErr(t, err, "AWSOrganizationsNotInUseException", "")
	wantErr(t, s.DeleteOrganization(ctx, mgmt), "AWSOrganizationsNotInUseException", "")
	// Not made again at the next start.
	if o, err := s.EnsureOrganization(ctx, mgmt); err != nil || o != nil {
		t.Fatalf("EnsureOrganization after delete: %+v, %v", o, err)
	}
	// A standalone account creates one (consolidated billing: no policy
	// types; EnablePolicyType is not available).
	o := must(s.CreateOrganization(ctx, solo, FeatureSetConsolidatedBilling))
	if o.ManagementAccount != solo || o.FeatureSet != "CONSOLIDATED_BILLING" || len(o.EnabledTypes) != 0 || o.ID == old.ID {
		t.Fatalf("new organization %+v", o)
	}
	_, err = s.EnablePolicyType(ctx, solo, o.RootID, TypeSCP)
	wantErr(t, err, "PolicyTypeNotAvailableForOrganizationException", "")
	if sas := must(s.ListAWSServiceAccessForOrganization(ctx, solo)); len(sas) != 0 {
		t.Fatalf("trusted access survived the deletion: %+v", sas)
	}
	_, err = s.EnableAllFeatures(ctx, solo)
	wantErr(t, err, "ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
	_, err = s.CreateOrganization(ctx, mgmt, "")
	wantErr(t, err, "AccessDeniedException", "")
	// Deleted again, the management account of the deployment makes one
	// with all features: SCPs enabled, FullAWSAccess on the root.
	ok(t, s.DeleteOrganization(ctx, solo))
	o = must(s.CreateOrganization(ctx, mgmt, ""))
	if o.FeatureSet != "ALL" || !o.SCPEnabled() {
		t.Fatalf("organization %+v", o)
	}
	ps := must(s.ListPoliciesForTarget(ctx, mgmt, o.RootID, TypeSCP))
	if len(ps) != 1 || ps[0].ID != FullAWSAccessID {
		t.Fatalf("root policies %+v", ps)
	}
	_, err = s.EnableAllFeatures(ctx, mgmt)
	wantErr(t, err, "HandshakeConstraintViolationException", "ORGANIZATION_ALREADY_HAS_ALL_FEATURES")
	if o2, err := s.EnsureOrganization(ctx, mgmt); err != nil || o2 == nil || o2.ID != o.ID {
		t.Fatalf("EnsureOrganization: %+v, %v", o2, err)
	}
}

func TestLeaveOrganization(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	member := createAccount(t, s, "member")
	admin := createAccount(t, s, "admin")
	solo := standalone(t, is, "222222222222", "solo")
	ok(t, s.TagResource(ctx, mgmt, member, []Tag{{Key: "team", Value: "a"}}))

	wantErr(t, s.LeaveOrganization(ctx, mgmt), "MasterCannotLeaveOrganizationException", "")
	wantErr(t, s.LeaveOrganization(ctx, solo), "AWSOrganizationsNotInUseException", "")
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "config.amazonaws.com"))
	ok(t, s.RegisterDelegatedAdministrator(ctx, mgmt, admin, "config.amazonaws.com"))
	wantErr(t, s.LeaveOrganization(ctx, admin), "ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")
	wantErr(t, s.RemoveAccountFromOrganization(ctx, mgmt, admin), "ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")

	ok(t, s.LeaveOrganization(ctx, member))
	_, err := s.DescribeAccount(ctx, mgmt, member)
	wantErr(t, err, "AccountNotFoundException", "")
	_, err = s.DescribeOrganization(ctx, member)
	wantErr(t, err, "AWSOrganizationsNotInUseException", "")
	if levels := must(s.SCPs(ctx, member)); levels != nil {
		t.Fatalf("SCPs of a departed account: %v", levels)
	}
	wantErr(t, s.LeaveOrganization(ctx, member), "AWSOrganizationsNotInUseException", "")
	// The departed account can be invited back (its tags are gone).
	h := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: member, Type: PartyAccount}}))
	must(s.AcceptHandshake(ctx, member, h.ID))
	if tags := must(s.ListTagsForResource(ctx, mgmt, member)); len(tags) != 0 {
		t.Fatalf("tags %+v", tags)
	}
	ok(t, s.DeregisterDelegatedAdministrator(ctx, mgmt, admin, "config.amazonaws.com"))
	ok(t, s.LeaveOrganization(ctx, admin))
}

func TestServiceAccess(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	member := createAccount(t, s, "member")
	solo := standalone(t, is, "222222222222", "solo")
	long := make([]byte, 129)
	for i := range long {
		long[i] = 'a'
	}
	for _, tc := range []struct {
		name, caller, sp, code, reason string
	}{
		{"required", mgmt, "", "InvalidInputException", "INPUT_REQUIRED"},
		{"too long", mgmt, string(long), "InvalidInputException", "MAX_LENGTH_EXCEEDED"},
		{"pattern", mgmt, "config amazonaws.com", "InvalidInputException", "INVALID_PATTERN"},
		{"unrecognized", mgmt, "config", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL"},
		{"unrecognized domain", mgmt, "config.example.com", "InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL"},
		{"member", member, "config.amazonaws.com", "AccessDeniedException", ""},
		{"outside", solo, "config.amazonaws.com", "AWSOrganizationsNotInUseException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.EnableAWSServiceAccess(ctx, tc.caller, tc.sp), tc.code, tc.reason)
			wantErr(t, s.DisableAWSServiceAccess(ctx, tc.caller, tc.sp), tc.code, tc.reason)
		})
	}
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "sso.amazonaws.com"))
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "config.amazonaws.com"))
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "config.amazonaws.com")) // idempotent
	sas := must(s.ListAWSServiceAccessForOrganization(ctx, mgmt))
	if len(sas) != 2 || sas[0].ServicePrincipal != "config.amazonaws.com" || sas[1].ServicePrincipal != "sso.amazonaws.com" ||
		!sas[0].Enabled.Equal(s.stamp()) {
		t.Fatalf("service access %+v", sas)
	}
	_, err := s.ListAWSServiceAccessForOrganization(ctx, member)
	wantErr(t, err, "AccessDeniedException", "")
	ok(t, s.DisableAWSServiceAccess(ctx, mgmt, "sso.amazonaws.com"))
	ok(t, s.DisableAWSServiceAccess(ctx, mgmt, "sso.amazonaws.com")) // idempotent
	if sas := must(s.ListAWSServiceAccessForOrganization(ctx, mgmt)); len(sas) != 1 || sas[0].ServicePrincipal != "config.amazonaws.com" {
		t.Fatalf("service access %+v", sas)
	}
}

func TestDelegatedAdministrators(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	a := createAccount(t, s, "a")
	b := createAccount(t, s, "b")
	closed := createAccount(t, s, "closed")
	ok(t, s.CloseAccount(ctx, mgmt, closed))
	solo := standalone(t, is, "222222222222", "solo")
	const cfg, sso = "config.amazonaws.com", "sso.amazonaws.com"
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, cfg))

	for _, tc := range []struct {
		name, caller, account, sp, code, reason string
	}{
		{"account required", mgmt, "", cfg, "InvalidInputException", "INPUT_REQUIRED"},
		{"account pattern", mgmt, "12345", cfg, "InvalidInputException", "INVALID_PATTERN"},
		{"principal required", mgmt, a, "", "InvalidInputException", "INPUT_REQUIRED"},
		{"unknown account", mgmt, "999999999999", cfg, "AccountNotFoundException", ""},
		{"outside account", mgmt, solo, cfg, "AccountNotFoundException", ""},
		{"management", mgmt, mgmt, cfg, "ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR"},
		{"suspended", mgmt, closed, cfg, "ConstraintViolationException", "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR"},
		{"no trusted access", mgmt, a, sso, "ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED"},
		{"by a member", a, b, cfg, "AccessDeniedException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.RegisterDelegatedAdministrator(ctx, tc.caller, tc.account, tc.sp), tc.code, tc.reason)
		})
	}
	ok(t, s.RegisterDelegatedAdministrator(ctx, mgmt, b, cfg))
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, sso))
	ok(t, s.RegisterDelegatedAdministrator(ctx, mgmt, a, sso))
	ok(t, s.RegisterDelegatedAdministrator(ctx, mgmt, a, cfg))
	wantErr(t, s.RegisterDelegatedAdministrator(ctx, mgmt, a, cfg), "AccountAlreadyRegisteredException", "")

	das := must(s.ListDelegatedAdministrators(ctx, mgmt, ""))
	if len(das) != 2 || das[0].ID > das[1].ID || das[0].Email == "" || das[0].Status != "ACTIVE" || das[0].Enabled.IsZero() {
		t.Fatalf("delegated administrators %+v", das)
	}
	if das := must(s.ListDelegatedAdministrators(ctx, mgmt, sso)); len(das) != 1 || das[0].ID != a {
		t.Fatalf("delegated administrators of sso %+v", das)
	}
	// A delegated administrator may list them; another member may not.
	if das := must(s.ListDelegatedAdministrators(ctx, a, cfg)); len(das) != 2 {
		t.Fatalf("delegated administrators of config %+v", das)
	}
	ds := must(s.ListDelegatedServicesForAccount(ctx, mgmt, a))
	if len(ds) != 2 || ds[0].ServicePrincipal != cfg || ds[1].ServicePrincipal != sso {
		t.Fatalf("delegated services %+v", ds)
	}
	_, err := s.ListDelegatedServicesForAccount(ctx, mgmt, mgmt)
	wantErr(t, err, "AccountNotRegisteredException", "")
	_, err = s.ListDelegatedServicesForAccount(ctx, mgmt, "999999999999")
	wantErr(t, err, "AccountNotFoundException", "")
	_, err = s.ListDelegatedAdministrators(ctx, mgmt, "bad principal")
	wantErr(t, err, "InvalidInputException", "INVALID_PATTERN")

	wantErr(t, s.DeregisterDelegatedAdministrator(ctx, mgmt, mgmt, cfg), "AccountNotRegisteredException", "")
	wantErr(t, s.DeregisterDelegatedAdministrator(ctx, mgmt, "999999999999", cfg), "AccountNotFoundException", "")
	wantErr(t, s.DeregisterDelegatedAdministrator(ctx, a, b, cfg), "AccessDeniedException", "")
	ok(t, s.DeregisterDelegatedAdministrator(ctx, mgmt, a, cfg))
	wantErr(t, s.DeregisterDelegatedAdministrator(ctx, mgmt, a, cfg), "AccountNotRegisteredException", "")
	// Disabling trusted access deregisters the service's administrators.
	ok(t, s.DisableAWSServiceAccess(ctx, mgmt, sso))
	_, err = s.ListDelegatedServicesForAccount(ctx, mgmt, a)
	wantErr(t, err, "AccountNotRegisteredException", "")
	_, err = s.ListDelegatedAdministrators(ctx, a, "")
	wantErr(t, err, "AccessDeniedException", "")
}

// delegateCtx is the context of a read-only call by a member account's
// principal.
func delegateCtx(p policy.Principal, action string, kind ResourceKind, id string) context.Context {
	return WithDelegate(context.Background(), Delegate{Principal: p, Action: action, Kind: kind, ID: id})
}

func TestDelegationPolicy(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	admin := createAccount(t, s, "admin")
	other := createAccount(t, s, "other")
	adminRoot := policy.Principal{Type: policy.Root, Account: admin, ARN: "arn:aws:iam::" + admin + ":root", UniqueID: admin}
	otherRoot := policy.Principal{Type: policy.Root, Account: other, ARN: "arn:aws:iam::" + other + ":root", UniqueID: other}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + admin + `:root"},
		"Action":["organizations:ListAccounts","organizations:DescribeAccount"],"Resource":"*"},
		{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::` + admin + `:root"},"Action":"organizations:DescribeAccount",
		"Resource":"arn:aws:organizations::` + mgmt + `:account/*/` + mgmt + `"}]}`

	_, err := s.DescribeResourcePolicy(ctx, mgmt)
	wantErr(t, err, "ResourcePolicyNotFoundException", "")
	wantErr(t, s.DeleteResourcePolicy(ctx, mgmt), "ResourcePolicyNotFoundException", "")
	_, err = s.ListAccounts(delegateCtx(adminRoot, "organizations:ListAccounts", 0, ""), admin)
	wantErr(t, err, "AccessDeniedException", "")

	for _, tc := range []struct {
		name, content, code, reason string
	}{
		{"required", "", "InvalidInputException", "INPUT_REQUIRED"},
		{"not json", "{", "InvalidInputException", "INVALID_RESOURCE_POLICY_JSON"},
		{"no principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:ListAccounts","Resource":"*"}]}`,
			"InvalidInputException", "INVALID_PRINCIPAL"},
		{"other service", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + admin + `"},"Action":"s3:GetObject","Resource":"*"}]}`,
			"InvalidInputException", "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.PutResourcePolicy(ctx, mgmt, tc.content, nil)
			wantErr(t, err, tc.code, tc.reason)
		})
	}
	_, err = s.PutResourcePolicy(ctx, admin, doc, nil)
	wantErr(t, err, "AccessDeniedException", "")
	rp := must(s.PutResourcePolicy(ctx, mgmt, doc, nil))
	o := must(s.DescribeOrganization(ctx, mgmt))
	if rp.Content != doc || rp.ARN != "arn:aws:organizations::"+mgmt+":resourcepolicy/"+o.ID+"/"+rp.ID || !reRPID.MatchString(rp.ID) {
		t.Fatalf("resource policy %+v", rp)
	}
	rp2 := must(s.PutResourcePolicy(ctx, mgmt, doc, nil))
	if rp2.ID != rp.ID {
		t.Fatalf("replacing the policy changed its id: %s → %s", rp.ID, rp2.ID)
	}

	for _, tc := range []struct {
		name    string
		ctx     context.Context
		caller  string
		call    func(ctx context.Context, caller string) error
		allowed bool
	}{
		{"granted", delegateCtx(adminRoot, "organizations:ListAccounts", 0, ""), admin,
			func(ctx context.Context, c string) error { _, err := s.ListAccounts(ctx, c); return err }, true},
		{"granted on an account", delegateCtx(adminRoot, "organizations:DescribeAccount", ResourceAccount, other), admin,
			func(ctx context.Context, c string) error { _, err := s.DescribeAccount(ctx, c, other); return err }, true},
		{"explicit deny", delegateCtx(adminRoot, "organizations:DescribeAccount", ResourceAccount, mgmt), admin,
			func(ctx context.Context, c string) error { _, err := s.DescribeAccount(ctx, c, mgmt); return err }, false},
		{"action not granted", delegateCtx(adminRoot, "organizations:ListRoots", 0, ""), admin,
			func(ctx context.Context, c string) error { _, err := s.Roots(ctx, c); return err }, false},
		{"other principal", delegateCtx(otherRoot, "organizations:ListAccounts", 0, ""), other,
			func(ctx context.Context, c string) error { _, err := s.ListAccounts(ctx, c); return err }, false},
		{"principal of another account than the caller", delegateCtx(adminRoot, "organizations:ListAccounts", 0, ""), other,
			func(ctx context.Context, c string) error { _, err := s.ListAccounts(ctx, c); return err }, false},
		{"no delegate", ctx, admin,
			func(ctx context.Context, c string) error { _, err := s.ListAccounts(ctx, c); return err }, false},
		{"never a mutation", delegateCtx(adminRoot, "organizations:ListAccounts", 0, ""), admin,
			func(ctx context.Context, c string) error {
				_, err := s.CreateOrganizationalUnit(ctx, c, o.RootID, "x")
				return err
			}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.ctx, tc.caller)
			if tc.allowed {
				ok(t, err)
			} else {
				wantErr(t, err, "AccessDeniedException", "")
			}
		})
	}
	// A delegated administrator may read the policy; other members may not.
	_, err = s.DescribeResourcePolicy(ctx, admin)
	wantErr(t, err, "AccessDeniedException", "")
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "config.amazonaws.com"))
	ok(t, s.RegisterDelegatedAdministrator(ctx, mgmt, admin, "config.amazonaws.com"))
	if got := must(s.DescribeResourcePolicy(ctx, admin)); got.ID != rp.ID {
		t.Fatalf("resource policy %+v", got)
	}
	ok(t, s.DeleteResourcePolicy(ctx, mgmt))
	_, err = s.ListAccounts(delegateCtx(adminRoot, "organizations:ListAccounts", 0, ""), admin)
	wantErr(t, err, "AccessDeniedException", "")
}

func TestDescribeEffectivePolicy(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	member := createAccount(t, s, "member")
	other := createAccount(t, s, "other")
	solo := standalone(t, is, "222222222222", "solo")
	o := must(s.DescribeOrganization(ctx, mgmt))
	for _, tc := range []struct {
		name, caller, typ, target, code, reason string
	}{
		{"type required", mgmt, "", "", "InvalidInputException", "INPUT_REQUIRED"},
		{"SCPs have none", mgmt, TypeSCP, member, "InvalidInputException", "INVALID_ENUM"},
		{"RCPs have none", mgmt, TypeRCP, member, "InvalidInputException", "INVALID_ENUM"},
		{"target pattern", mgmt, "TAG_POLICY", "x-1", "InvalidInputException", "INVALID_PATTERN_TARGET_ID"},
		{"unknown target", mgmt, "TAG_POLICY", "999999999999", "TargetNotFoundException", ""},
		{"not enabled", mgmt, "TAG_POLICY", member, "EffectivePolicyNotFoundException", ""},
		{"root", mgmt, "BACKUP_POLICY", o.RootID, "EffectivePolicyNotFoundException", ""},
		{"member itself", member, "TAG_POLICY", "", "EffectivePolicyNotFoundException", ""},
		{"member on another", member, "TAG_POLICY", other, "AccessDeniedException", ""},
		{"outside", solo, "TAG_POLICY", "", "AWSOrganizationsNotInUseException", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.DescribeEffectivePolicy(ctx, tc.caller, tc.typ, tc.target), tc.code, tc.reason)
		})
	}
}

// deleteFailingStore fails deleting the organization record, after the
// other records of the organization were deleted in the same transaction.
type deleteFailingStore struct{ store.Store }

func (f deleteFailingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.Update(ctx, func(tx store.Tx) error { return fn(orgDeleteFailingTx{tx}) })
}

type orgDeleteFailingTx struct{ store.Tx }

func (f orgDeleteFailingTx) Delete(ctx context.Context, kind, account, name string) error {
	if kind == KindOrganization {
		return errInjected
	}
	return f.Tx.Delete(ctx, kind, account, name)
}

func TestDeleteOrganizationAllOrNothing(t *testing.T) {
	s, _, _ := newServiceOn(t, deleteFailingStore{memory.New()})
	ctx := context.Background()
	ok(t, s.EnableAWSServiceAccess(ctx, mgmt, "config.amazonaws.com"))
	if err := s.DeleteOrganization(ctx, mgmt); !errors.Is(err, errInjected) {
		t.Fatalf("want the injected failure, got %v", err)
	}
	o := must(s.DescribeOrganization(ctx, mgmt))
	if ps := must(s.ListPoliciesForTarget(ctx, mgmt, o.RootID, TypeSCP)); len(ps) != 1 {
		t.Fatalf("root policies after a failed deletion %+v", ps)
	}
	if sas := must(s.ListAWSServiceAccessForOrganization(ctx, mgmt)); len(sas) != 1 {
		t.Fatalf("service access after a failed deletion %+v", sas)
	}
}
