package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// TestOrgsAdminTerraformSequence: what Terraform's
// aws_organizations_organization does on every apply, then delegated
// administrators, the delegation policy, LeaveOrganization and
// DeleteOrganization.
func TestOrgsAdminTerraformSequence(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)

	// CreateOrganization: the organization exists (made at first start).
	_, err := mo.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll})
	apiErr(t, err, "AlreadyInOrganizationException", 400, "This account is already a member of an organization. An account can belong to only one organization at a time.")
	var already *orgtypes.AlreadyInOrganizationException
	if !errors.As(err, &already) {
		t.Fatalf("want the modeled AlreadyInOrganizationException, got %T", err)
	}
	org := must(mo.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})).Organization
	if aws.ToString(org.MasterAccountId) != accountA || org.FeatureSet != orgtypes.OrganizationFeatureSetAll {
		t.Fatalf("organization %+v", org)
	}
	_, err = mo.EnableAllFeatures(ctx, &organizations.EnableAllFeaturesInput{})
	apiErr(t, err, "HandshakeConstraintViolationException", 400, "already enabled all features")
	var hcv *orgtypes.HandshakeConstraintViolationException
	if !errors.As(err, &hcv) || hcv.Reason != orgtypes.HandshakeConstraintViolationExceptionReasonOrganizationAlreadyHasAllFeatures {
		t.Fatalf("want ORGANIZATION_ALREADY_HAS_ALL_FEATURES, got %v", err)
	}

	// Trusted access.
	before := time.Now().Add(-time.Minute)
	for _, sp := range []string{"sso.amazonaws.com", "config.amazonaws.com"} {
		must(mo.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String(sp)}))
	}
	_, err = mo.EnableAWSServiceAccess(ctx, &organizations.EnableAWSServiceAccessInput{ServicePrincipal: aws.String("not-a-service")})
	apiErr(t, err, "InvalidInputException", 400, "You specified a service principal that isn't recognized.")
	wantReason(t, err, "UNRECOGNIZED_SERVICE_PRINCIPAL")
	sps := must(mo.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{})).EnabledServicePrincipals
	if len(sps) != 2 || aws.ToString(sps[0].ServicePrincipal) != "config.amazonaws.com" || aws.ToString(sps[1].ServicePrincipal) != "sso.amazonaws.com" ||
		sps[0].DateEnabled == nil || sps[0].DateEnabled.Before(before) {
		t.Fatalf("enabled service principals %+v", sps)
	}
	page := must(mo.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{MaxResults: aws.Int32(1)}))
	if len(page.EnabledServicePrincipals) != 1 || page.NextToken == nil {
		t.Fatalf("first page %+v", page)
	}

	// EnablePolicyType (RCPs; SCPs are enabled already).
	rootID := aws.ToString(must(mo.ListRoots(ctx, &organizations.ListRootsInput{})).Roots[0].Id)
	_, err = mo.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: orgtypes.PolicyTypeServiceControlPolicy})
	apiErr(t, err, "PolicyTypeAlreadyEnabledException", 400, "")
	must(mo.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: aws.String(rootID), PolicyType: orgtypes.PolicyTypeResourceControlPolicy}))

	// DescribeEffectivePolicy: no management policy type is served.
	_, err = mo.DescribeEffectivePolicy(ctx, &organizations.DescribeEffectivePolicyInput{PolicyType: orgtypes.EffectivePolicyTypeTagPolicy})
	apiErr(t, err, "EffectivePolicyNotFoundException", 400, "")

	// Delegated administrators.
	sec, dev, leaver := createMember(t, mo, "security"), createMember(t, mo, "dev"), createMember(t, mo, "leaver")
	secRoot, devRoot, leaverRoot := memberRootKeys(t, s, sec), memberRootKeys(t, s, dev), memberRootKeys(t, s, leaver)
	register := func(account, sp string) error {
		_, err := mo.RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(account), ServicePrincipal: aws.String(sp)})
		return err
	}
	err = register(accountA, "config.amazonaws.com")
	apiErr(t, err, "ConstraintViolationException", 400, "You can designate only a member account as a delegated administrator.")
	wantReason(t, err, "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR")
	err = register(sec, "guardduty.amazonaws.com")
	apiErr(t, err, "ConstraintViolationException", 400, "Call the EnableAWSServiceAccess API first.")
	wantReason(t, err, "SERVICE_ACCESS_NOT_ENABLED")
	err = register("123456789012", "config.amazonaws.com")
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
	must(0, register(sec, "config.amazonaws.com"))
	must(0, register(sec, "sso.amazonaws.com"))
	err = register(sec, "config.amazonaws.com")
	apiErr(t, err, "AccountAlreadyRegisteredException", 400, "The specified account is already a delegated administrator for this Amazon Web Services service.")
	_, err = orgsClient(s, devRoot).RegisterDelegatedAdministrator(ctx, &organizations.RegisterDelegatedAdministratorInput{AccountId: aws.String(dev), ServicePrincipal: aws.String("config.amazonaws.com")})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")

	das := must(mo.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{ServicePrincipal: aws.String("sso.amazonaws.com")})).DelegatedAdministrators
	if len(das) != 1 || aws.ToString(das[0].Id) != sec || aws.ToString(das[0].Email) != "security@example.com" || das[0].Status != orgtypes.AccountStatusActive ||
		das[0].State != orgtypes.AccountStateActive || das[0].JoinedMethod != orgtypes.AccountJoinedMethodCreated || das[0].DelegationEnabledDate == nil ||
		!strings.HasSuffix(aws.ToString(das[0].Arn), "/"+sec) {
		t.Fatalf("delegated administrators %+v", das)
	}
	ds := must(mo.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(sec)})).DelegatedServices
	if len(ds) != 2 || aws.ToString(ds[0].ServicePrincipal) != "config.amazonaws.com" || ds[1].DelegationEnabledDate == nil {
		t.Fatalf("delegated services %+v", ds)
	}
	_, err = mo.ListDelegatedServicesForAccount(ctx, &organizations.ListDelegatedServicesForAccountInput{AccountId: aws.String(dev)})
	apiErr(t, err, "AccountNotRegisteredException", 400, "The specified account is not a delegated administrator for this Amazon Web Services service.")
	// A delegated administrator may list them; another member may not.
	if das := must(orgsClient(s, secRoot).ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})).DelegatedAdministrators; len(das) != 1 {
		t.Fatalf("delegated administrators seen by the administrator %+v", das)
	}
	_, err = orgsClient(s, devRoot).ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})
	apiErr(t, err, "AccessDeniedException", 400, "")

	// The delegation policy: without it, the administrator cannot list
	// the accounts; with it, it can (and only what it grants).
	so := orgsClient(s, secRoot)
	_, err = so.ListAccounts(ctx, &organizations.ListAccountsInput{})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	_, err = mo.DescribeResourcePolicy(ctx, &organizations.DescribeResourcePolicyInput{})
	apiErr(t, err, "ResourcePolicyNotFoundException", 400, "We can't find a resource policy request with the parameter that you specified.")
	_, err = mo.PutResourcePolicy(ctx, &organizations.PutResourcePolicyInput{Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"organizations:ListAccounts","Resource":"*"}]}`)})
	apiErr(t, err, "InvalidInputException", 400, "")
	wantReason(t, err, "INVALID_PRINCIPAL")
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Delegate","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + sec +
		`:root"},"Action":["organizations:ListAccounts","organizations:DescribeOrganization"],"Resource":"*"}]}`
	rp := must(mo.PutResourcePolicy(ctx, &organizations.PutResourcePolicyInput{Content: aws.String(doc)})).ResourcePolicy
	rpID := aws.ToString(rp.ResourcePolicySummary.Id)
	if !strings.HasPrefix(rpID, "rp-") || aws.ToString(rp.ResourcePolicySummary.Arn) != "arn:aws:organizations::"+accountA+":resourcepolicy/"+aws.ToString(org.Id)+"/"+rpID ||
		aws.ToString(rp.Content) != doc {
		t.Fatalf("resource policy %+v", rp)
	}
	if got := must(so.DescribeResourcePolicy(ctx, &organizations.DescribeResourcePolicyInput{})).ResourcePolicy; aws.ToString(got.Content) != doc {
		t.Fatalf("resource policy seen by the administrator %+v", got)
	}
	accts := must(so.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts
	if len(accts) != 4 {
		t.Fatalf("accounts listed by the delegated administrator %+v", accts)
	}
	_, err = so.ListRoots(ctx, &organizations.ListRootsInput{}) // not granted
	apiErr(t, err, "AccessDeniedException", 400, "")
	_, err = so.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("x")})
	apiErr(t, err, "AccessDeniedException", 400, "")
	_, err = orgsClient(s, devRoot).ListAccounts(ctx, &organizations.ListAccountsInput{}) // not named by the policy
	apiErr(t, err, "AccessDeniedException", 400, "")
	_, err = so.PutResourcePolicy(ctx, &organizations.PutResourcePolicyInput{Content: aws.String(doc)})
	apiErr(t, err, "AccessDeniedException", 400, "")
	must(mo.DeleteResourcePolicy(ctx, &organizations.DeleteResourcePolicyInput{}))
	_, err = so.ListAccounts(ctx, &organizations.ListAccountsInput{})
	apiErr(t, err, "AccessDeniedException", 400, "")
	_, err = mo.DeleteResourcePolicy(ctx, &organizations.DeleteResourcePolicyInput{})
	apiErr(t, err, "ResourcePolicyNotFoundException", 400, "")

	// LeaveOrganization by a member; the management account cannot; a
	// delegated administrator must be deregistered first.
	_, err = mo.LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{})
	apiErr(t, err, "MasterCannotLeaveOrganizationException", 400, "You can't remove a management account from an organization.")
	_, err = so.LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{})
	apiErr(t, err, "ConstraintViolationException", 400, "you must first deregister this account as a delegated administrator")
	wantReason(t, err, "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")
	must(orgsClient(s, leaverRoot).LeaveOrganization(ctx, &organizations.LeaveOrganizationInput{}))
	_, err = orgsClient(s, leaverRoot).DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	apiErr(t, err, "AWSOrganizationsNotInUseException", 400, "Your account is not a member of an organization.")
	_, err = mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(leaver)})
	apiErr(t, err, "AccountNotFoundException", 400, "")

	// DeleteOrganization: refused while members remain.
	_, err = mo.DeleteOrganization(ctx, &organizations.DeleteOrganizationInput{})
	apiErr(t, err, "OrganizationNotEmptyException", 400, "The organization isn't empty. To delete an organization, you must first remove all accounts except the management account.")
	_, err = mo.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{AccountId: aws.String(dev), ServicePrincipal: aws.String("config.amazonaws.com")})
	apiErr(t, err, "AccountNotRegisteredException", 400, "")
	for _, sp := range []string{"config.amazonaws.com", "sso.amazonaws.com"} {
		must(mo.DeregisterDelegatedAdministrator(ctx, &organizations.DeregisterDelegatedAdministratorInput{AccountId: aws.String(sec), ServicePrincipal: aws.String(sp)}))
	}
	if das := must(mo.ListDelegatedAdministrators(ctx, &organizations.ListDelegatedAdministratorsInput{})).DelegatedAdministrators; len(das) != 0 {
		t.Fatalf("delegated administrators after deregistration %+v", das)
	}
	for _, a := range []string{sec, dev} {
		must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(a)}))
	}
	must(mo.DisableAWSServiceAccess(ctx, &organizations.DisableAWSServiceAccessInput{ServicePrincipal: aws.String("sso.amazonaws.com")}))
	must(mo.DeleteOrganization(ctx, &organizations.DeleteOrganizationInput{}))
	_, err = mo.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	apiErr(t, err, "AWSOrganizationsNotInUseException", 400, "")

	// A restart does not bring it back; CreateOrganization does.
	s.Restart()
	mo = orgsClient(s, rootCreds) // a new address
	_, err = mo.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	apiErr(t, err, "AWSOrganizationsNotInUseException", 400, "")
	created := must(mo.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})).Organization
	if created.FeatureSet != orgtypes.OrganizationFeatureSetAll || aws.ToString(created.Id) == aws.ToString(org.Id) ||
		aws.ToString(created.MasterAccountId) != accountA || len(created.AvailablePolicyTypes) != 1 {
		t.Fatalf("created organization %+v", created)
	}
	if sps := must(mo.ListAWSServiceAccessForOrganization(ctx, &organizations.ListAWSServiceAccessForOrganizationInput{})).EnabledServicePrincipals; len(sps) != 0 {
		t.Fatalf("trusted access survived the deletion %+v", sps)
	}
	_, err = mo.CreateOrganization(ctx, &organizations.CreateOrganizationInput{})
	apiErr(t, err, "AlreadyInOrganizationException", 400, "")
}

// Two of the new operations through the AWS CLI v1 (its model checks the
// shapes).
func TestOrgsAdminCLIv1(t *testing.T) {
	bin := awsCLI(t, "1")
	s := StartServer(t)
	cliJSON(t, bin, s, rootCreds, "organizations", "enable-aws-service-access", "--service-principal", "config.amazonaws.com")
	out := cliJSON(t, bin, s, rootCreds, "organizations", "list-aws-service-access-for-organization")
	sps, _ := out["EnabledServicePrincipals"].([]any)
	if len(sps) != 1 || dig(sps[0].(map[string]any), "ServicePrincipal") != "config.amazonaws.com" || sps[0].(map[string]any)["DateEnabled"] == nil {
		t.Fatalf("list-aws-service-access-for-organization %v", out)
	}
	created := cliJSON(t, bin, s, rootCreds, "organizations", "create-account", "--account-name", "sec", "--email", "sec@example.com")
	member := dig(created, "CreateAccountStatus", "AccountId")
	cliJSON(t, bin, s, rootCreds, "organizations", "register-delegated-administrator", "--account-id", member, "--service-principal", "config.amazonaws.com")
	out = cliJSON(t, bin, s, rootCreds, "organizations", "list-delegated-administrators", "--service-principal", "config.amazonaws.com")
	das, _ := out["DelegatedAdministrators"].([]any)
	if len(das) != 1 || dig(das[0].(map[string]any), "Id") != member || das[0].(map[string]any)["DelegationEnabledDate"] == nil ||
		dig(das[0].(map[string]any), "Email") != "sec@example.com" {
		t.Fatalf("list-delegated-administrators %v", out)
	}
	cliFail(t, bin, s, rootCreds, "AlreadyInOrganizationException", "organizations", "create-organization", "--feature-set", "ALL")
	cliFail(t, bin, s, rootCreds, "AccountAlreadyRegisteredException", "organizations", "register-delegated-administrator", "--account-id", member, "--service-principal", "config.amazonaws.com")
}
