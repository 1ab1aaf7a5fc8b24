package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func createMember(t *testing.T, mo *organizations.Client, name string) string {
	t.Helper()
	st := must(mo.CreateAccount(context.Background(), &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})).CreateAccountStatus
	if st.State != orgtypes.CreateAccountStateSucceeded {
		t.Fatalf("create account %s: %+v", name, st)
	}
	return aws.ToString(st.AccountId)
}

func wantReason(t *testing.T, err error, want string) {
	t.Helper()
	if r := reason(t, err); r != want {
		t.Fatalf("reason %s, want %s", r, want)
	}
}

func TestOrgsCloseAccount(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	dev, test := createMember(t, mo, "dev"), createMember(t, mo, "test")
	devRoot, testRoot := memberRootKeys(t, s, dev), memberRootKeys(t, s, test)
	must(iamClient(s, devRoot).ListUsers(ctx, &iamsdk.ListUsersInput{}))

	// Refusals, each with AWS's code, status, message and reason.
	_, err := mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String("123456789012")})
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
	_, err = mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(accountA)})
	apiErr(t, err, "ConstraintViolationException", 400, "You attempted to close the management account. To close the management account for the organization, you must first either remove or close all member accounts in the organization. Follow standard account closure process using root credentials.")
	wantReason(t, err, "CANNOT_CLOSE_MANAGEMENT_ACCOUNT")
	_, err = mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String("12")})
	apiErr(t, err, "InvalidInputException", 400, "You provided a value that doesn't match the required pattern.")
	wantReason(t, err, "INVALID_PATTERN")
	_, err = orgsClient(s, testRoot).CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(dev)})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	if a := must(mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(dev)})).Account; a.State != orgtypes.AccountStateActive || a.Status != orgtypes.AccountStatusActive {
		t.Fatalf("account before closing %+v", a)
	}

	must(mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(dev)}))
	a := must(mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(dev)})).Account
	if a.Status != orgtypes.AccountStatusSuspended || a.State != orgtypes.AccountStateClosed || aws.ToString(a.Name) != "dev" {
		t.Fatalf("closed account %+v", a)
	}
	_, err = mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(dev)})
	apiErr(t, err, "AccountAlreadyClosedException", 400, "You attempted to close an account that is already closed.")

	// Still listed, with both fields; the other member is untouched.
	seen := map[string]string{}
	for _, acct := range must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts {
		seen[aws.ToString(acct.Id)] = string(acct.Status) + "/" + string(acct.State)
	}
	want := map[string]string{accountA: "ACTIVE/ACTIVE", dev: "SUSPENDED/CLOSED", test: "ACTIVE/ACTIVE"}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("accounts %v, want %v", seen, want)
	}

	// The closed account's principals can no longer act, at once (the
	// authorizer's SCP cache follows the change); the other's can.
	_, err = iamClient(s, devRoot).ListUsers(ctx, &iamsdk.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "arn:aws:iam::"+dev+":root is not authorized to perform: iam:ListUsers")
	apiErr(t, err, "AccessDenied", 403, "service control policy")
	must(iamClient(s, testRoot).ListUsers(ctx, &iamsdk.ListUsersInput{}))
}

func TestOrgsCloseAccountQuota(t *testing.T) {
	if testing.Short() {
		t.Skip("creates and closes 251 accounts")
	}
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	var accts []string
	for i := 0; i < 251; i++ {
		accts = append(accts, createMember(t, mo, fmt.Sprintf("q%03d", i)))
	}
	for _, id := range accts[:250] { // the higher of 250 and 20% of 251
		must(mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(id)}))
	}
	_, err := mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(accts[250])})
	apiErr(t, err, "ConstraintViolationException", 400, "You have exceeded close account quota for the past 30 days.")
	wantReason(t, err, "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
	a := must(mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(accts[250])})).Account
	if a.State != orgtypes.AccountStateActive {
		t.Fatalf("refused account %+v", a)
	}
}

func TestOrgsRemoveAccountFromOrganization(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	rootID := must(mo.ListRoots(ctx, nil)).Roots[0].Id
	dev, test := createMember(t, mo, "dev"), createMember(t, mo, "test")
	devRoot, testRoot := memberRootKeys(t, s, dev), memberRootKeys(t, s, test)

	// dev sits in an OU, under an SCP denying iam:CreateUser.
	ou := must(mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: rootID, Name: aws.String("Sandbox")})).OrganizationalUnit
	must(mo.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(dev), SourceParentId: rootID, DestinationParentId: ou.Id}))
	deny := must(mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("NoNewUsers"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(scpDenyCreateUser)})).Policy.PolicySummary
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: deny.Id, TargetId: aws.String(dev)}))
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: deny.Id, TargetId: aws.String(test)}))
	devIAM := iamClient(s, devRoot)
	_, err := devIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("before")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")

	// Refusals.
	_, err = mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(accountA)})
	apiErr(t, err, "MasterCannotLeaveOrganizationException", 400, "You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")
	_, err = mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String("123456789012")})
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
	_, err = mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String("abc")})
	apiErr(t, err, "InvalidInputException", 400, "You provided a value that doesn't match the required pattern.")
	wantReason(t, err, "INVALID_PATTERN")
	_, err = orgsClient(s, testRoot).RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(dev)})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")

	must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(dev)}))

	// Gone from the organization and its tree.
	_, err = mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(dev)})
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
	_, err = mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(dev)})
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
	if n := len(must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts); n != 2 {
		t.Fatalf("accounts after removal: %d", n)
	}
	if ch := must(mo.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: ou.Id, ChildType: orgtypes.ChildTypeAccount})).Children; len(ch) != 0 {
		t.Fatalf("OU children %+v", ch)
	}
	targets := must(mo.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: deny.Id})).Targets
	if len(targets) != 1 || aws.ToString(targets[0].TargetId) != test {
		t.Fatalf("deny SCP targets %+v", targets)
	}
	must(mo.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: ou.Id}))

	// Standalone: no SCP applies any more (at once), it is in no
	// organization, and its IAM side — the access role included — stays.
	must(devIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after")}))
	_, err = iamClient(s, testRoot).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")
	_, err = orgsClient(s, devRoot).DescribeOrganization(ctx, nil)
	apiErr(t, err, "AWSOrganizationsNotInUseException", 400, "Your account is not a member of an organization.")
	role := must(devIAM.GetRole(ctx, &iamsdk.GetRoleInput{RoleName: aws.String("OrganizationAccountAccessRole")})).Role
	if aws.ToString(role.Arn) != "arn:aws:iam::"+dev+":role/OrganizationAccountAccessRole" {
		t.Fatalf("role %+v", role)
	}

	// A closed account can be removed; it stays closed.
	must(mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(test)}))
	must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(test)}))
	_, err = iamClient(s, testRoot).ListUsers(ctx, &iamsdk.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "service control policy")
	if accts := must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts; len(accts) != 1 || aws.ToString(accts[0].Id) != accountA {
		t.Fatalf("accounts %+v", accts)
	}
}
