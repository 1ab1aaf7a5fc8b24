package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func orgsClient(s *Server, c Creds) *organizations.Client {
	return organizations.NewFromConfig(awsConfig(s, c))
}

// memberRootKeys makes a root access key for account with the hatrack
// CLI, on the running server's data directory.
func memberRootKeys(t *testing.T, s *Server, account string) Creds {
	t.Helper()
	out, errOut, code := run(t, nil, hatrackBin(t), "account", "root-keys", "--data", s.DataDir, "--account", account)
	if code != 0 {
		t.Fatalf("hatrack account root-keys: exit %d\n%s", code, errOut)
	}
	var c Creds
	for _, line := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(line, " = ")
		switch k {
		case "aws_access_key_id":
			c.ID = v
		case "aws_secret_access_key":
			c.Secret = v
		}
	}
	if c.ID == "" || c.Secret == "" {
		t.Fatalf("root-keys printed %q", out)
	}
	return c
}

const scpDenyCreateUser = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`

func reason(t *testing.T, err error) string {
	t.Helper()
	var cv *orgtypes.ConstraintViolationException
	if errors.As(err, &cv) {
		return string(cv.Reason)
	}
	var ii *orgtypes.InvalidInputException
	if errors.As(err, &ii) {
		return string(ii.Reason)
	}
	t.Fatalf("no reason in %v", err)
	return ""
}

func TestOrgsGoSDK(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)

	org := must(mo.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})).Organization
	if aws.ToString(org.MasterAccountId) != accountA || org.FeatureSet != orgtypes.OrganizationFeatureSetAll ||
		!strings.HasPrefix(aws.ToString(org.Id), "o-") ||
		aws.ToString(org.Arn) != "arn:aws:organizations::"+accountA+":organization/"+aws.ToString(org.Id) ||
		len(org.AvailablePolicyTypes) != 1 || org.AvailablePolicyTypes[0].Type != orgtypes.PolicyTypeServiceControlPolicy {
		t.Fatalf("organization %+v", org)
	}
	roots := must(mo.ListRoots(ctx, &organizations.ListRootsInput{})).Roots
	if len(roots) != 1 || !strings.HasPrefix(aws.ToString(roots[0].Id), "r-") || len(roots[0].PolicyTypes) != 1 ||
		roots[0].PolicyTypes[0].Status != orgtypes.PolicyTypeStatusEnabled {
		t.Fatalf("roots %+v", roots)
	}
	rootID := roots[0].Id
	pols := must(mo.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: rootID, Filter: orgtypes.PolicyTypeServiceControlPolicy})).Policies
	if len(pols) != 1 || aws.ToString(pols[0].Id) != "p-FullAWSAccess" || !pols[0].AwsManaged ||
		aws.ToString(pols[0].Arn) != "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess" {
		t.Fatalf("root policies %+v", pols)
	}

	// A member account, complete at once.
	st := must(mo.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("dev"), Email: aws.String("dev@example.com")})).CreateAccountStatus
	if st.State != orgtypes.CreateAccountStateSucceeded || len(aws.ToString(st.AccountId)) != 12 || st.RequestedTimestamp == nil {
		t.Fatalf("create account %+v", st)
	}
	member := aws.ToString(st.AccountId)
	st2 := must(mo.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.Id})).CreateAccountStatus
	if aws.ToString(st2.AccountId) != member || st2.State != orgtypes.CreateAccountStateSucceeded {
		t.Fatalf("status %+v", st2)
	}
	accts := must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts
	if len(accts) != 2 {
		t.Fatalf("accounts %+v", accts)
	}
	acct := must(mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(member)})).Account
	if aws.ToString(acct.Name) != "dev" || aws.ToString(acct.Email) != "dev@example.com" || acct.JoinedMethod != orgtypes.AccountJoinedMethodCreated ||
		acct.State != orgtypes.AccountStateActive || acct.JoinedTimestamp == nil {
		t.Fatalf("account %+v", acct)
	}
	_, err := mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("123456789012")})
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
	dup := must(mo.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("again"), Email: aws.String("dev@example.com")})).CreateAccountStatus
	if dup.State != orgtypes.CreateAccountStateFailed || dup.FailureReason != orgtypes.CreateAccountFailureReasonEmailAlreadyExists {
		t.Fatalf("duplicate email %+v", dup)
	}

	// The member account's root, with keys made by the CLI beside the running server.
	mroot := memberRootKeys(t, s, member)
	id := must(stsClient(s, mroot).GetCallerIdentity(ctx, nil))
	if aws.ToString(id.Account) != member || aws.ToString(id.Arn) != "arn:aws:iam::"+member+":root" {
		t.Fatalf("member identity %+v", id)
	}
	miam := iamClient(s, mroot)
	must(miam.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("before")}))
	key := must(miam.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("before")})).AccessKey
	user := Creds{aws.ToString(key.AccessKeyId), aws.ToString(key.SecretAccessKey), ""}
	memberOrgs := orgsClient(s, mroot)
	if o := must(memberOrgs.DescribeOrganization(ctx, nil)).Organization; aws.ToString(o.Id) != aws.ToString(org.Id) {
		t.Fatalf("member sees organization %+v", o)
	}
	_, err = memberOrgs.ListAccounts(ctx, &organizations.ListAccountsInput{})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	_, err = memberOrgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("x"), Email: aws.String("x@example.com")})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")

	// An administrator of the management account assumes the member's
	// access role (root may not assume roles).
	mgmtIAM := iamClient(s, rootCreds)
	must(mgmtIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("operator")}))
	must(mgmtIAM.AttachUserPolicy(ctx, &iamsdk.AttachUserPolicyInput{UserName: aws.String("operator"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
	opKey := must(mgmtIAM.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String("operator")})).AccessKey
	operator := Creds{aws.ToString(opKey.AccessKeyId), aws.ToString(opKey.SecretAccessKey), ""}
	sess := must(stsClient(s, operator).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + member + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("admin")})).Credentials
	admin := Creds{aws.ToString(sess.AccessKeyId), aws.ToString(sess.SecretAccessKey), aws.ToString(sess.SessionToken)}
	must(iamClient(s, admin).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("by-admin")}))

	// An SCP denying iam:CreateUser, attached to the member account.
	_, err = mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("bad"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)})
	apiErr(t, err, "MalformedPolicyDocumentException", 400, "")
	deny := must(mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("NoNewUsers"), Description: aws.String("no users"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(scpDenyCreateUser)})).Policy
	denyID := deny.PolicySummary.Id
	if aws.ToString(deny.Content) != scpDenyCreateUser || deny.PolicySummary.AwsManaged || !strings.HasPrefix(aws.ToString(denyID), "p-") {
		t.Fatalf("policy %+v", deny.PolicySummary)
	}
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: denyID, TargetId: aws.String(member)}))
	_, err = mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: denyID, TargetId: aws.String(member)})
	apiErr(t, err, "DuplicatePolicyAttachmentException", 400, "The selected policy is already attached to the specified target.")

	_, err = miam.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after")})
	apiErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::"+member+":root is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+member+":user/after with an explicit deny in a service control policy")
	_, err = iamClient(s, user).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")
	must(miam.ListUsers(ctx, &iamsdk.ListUsersInput{})) // only CreateUser is denied
	_, err = iamClient(s, admin).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("after")})
	apiErr(t, err, "AccessDenied", 403, "assumed-role/OrganizationAccountAccessRole/admin is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+member+":user/after with an explicit deny in a service control policy")
	// The management account is not subject to SCPs.
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: denyID, TargetId: rootID}))
	must(iamClient(s, rootCreds).CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("mgmt-user")}))
	must(mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: denyID, TargetId: rootID}))

	// FullAWSAccess rules: the last SCP of a target cannot be detached.
	must(mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)}))
	_, err = miam.ListUsers(ctx, &iamsdk.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")
	_, err = mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: denyID, TargetId: aws.String(member)})
	apiErr(t, err, "ConstraintViolationException", 400, "")
	if r := reason(t, err); r != "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" {
		t.Fatalf("reason %s", r)
	}
	_, err = mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)})
	apiErr(t, err, "PolicyNotAttachedException", 400, "")
	_, err = mo.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String("p-FullAWSAccess"), Name: aws.String("x")})
	apiErr(t, err, "InvalidInputException", 400, "")
	if r := reason(t, err); r != "IMMUTABLE_POLICY" {
		t.Fatalf("reason %s", r)
	}
	_, err = mo.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: denyID})
	apiErr(t, err, "PolicyInUseException", 400, "")
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String("p-FullAWSAccess"), TargetId: aws.String(member)}))
	must(mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: denyID, TargetId: aws.String(member)}))
	must(miam.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("again")}))

	// The same SCP on an OU holding the account.
	ou := must(mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: rootID, Name: aws.String("Sandbox")})).OrganizationalUnit
	_, err = mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: rootID, Name: aws.String("Sandbox")})
	apiErr(t, err, "DuplicateOrganizationalUnitException", 400, "An OU with the same name already exists.")
	must(mo.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: rootID, DestinationParentId: ou.Id}))
	parents := must(mo.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(member)})).Parents
	if len(parents) != 1 || aws.ToString(parents[0].Id) != aws.ToString(ou.Id) || parents[0].Type != orgtypes.ParentTypeOrganizationalUnit {
		t.Fatalf("parents %+v", parents)
	}
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: denyID, TargetId: ou.Id}))
	_, err = miam.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("in-ou")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")
	targets := must(mo.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: denyID})).Targets
	if len(targets) != 1 || targets[0].Type != orgtypes.TargetTypeOrganizationalUnit || aws.ToString(targets[0].Name) != "Sandbox" {
		t.Fatalf("targets %+v", targets)
	}
	_, err = mo.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: ou.Id})
	apiErr(t, err, "OrganizationalUnitNotEmptyException", 400, "")
	must(mo.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(member), SourceParentId: ou.Id, DestinationParentId: rootID}))
	must(miam.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("out-of-ou")}))
	must(mo.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: ou.Id}))

	// Paging: MaxResults bounds and tokens.
	page := must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(1)}))
	if len(page.Accounts) != 1 || page.NextToken == nil {
		t.Fatalf("first page %+v", page)
	}
	page2 := must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(1), NextToken: page.NextToken}))
	if len(page2.Accounts) != 1 || page2.NextToken != nil || aws.ToString(page2.Accounts[0].Id) == aws.ToString(page.Accounts[0].Id) {
		t.Fatalf("second page %+v", page2)
	}
	_, err = mo.ListAccounts(ctx, &organizations.ListAccountsInput{MaxResults: aws.Int32(21)})
	apiErr(t, err, "InvalidInputException", 400, "")

	// Authentication failures in the JSON services' words.
	_, err = orgsClient(s, Creds{rootKeyID, strings.Repeat("x", 40), ""}).ListRoots(ctx, nil)
	apiErr(t, err, "InvalidSignatureException", 400, "The request signature we calculated does not match the signature you provided.")
	_, err = orgsClient(s, Creds{"AKIAQAAAAAAAAAAAAAAA", strings.Repeat("x", 40), ""}).ListRoots(ctx, nil)
	apiErr(t, err, "UnrecognizedClientException", 400, "The security token included in the request is invalid.")
	// A user without permissions is denied by IAM policy evaluation.
	_, err = orgsClient(s, user).DescribeOrganization(ctx, nil)
	apiErr(t, err, "AccessDeniedException", 400, "is not authorized to perform: organizations:DescribeOrganization")
}

// TestOrgsWire checks the raw JSON 1.1 envelope: content type, request
// id, __type and Message, Reason.
func TestOrgsWire(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	roots := must(mo.ListRoots(ctx, nil)).Roots
	req := signedJSONRequest(t, s, rootCreds, "AWSOrganizationsV20161128.DetachPolicy",
		`{"PolicyId":"p-FullAWSAccess","TargetId":"`+aws.ToString(roots[0].Id)+`"}`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/x-amz-json-1.1" || resp.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	if m["__type"] != "ConstraintViolationException" || m["Reason"] != "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED" ||
		m["Message"] != "You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required." {
		t.Fatalf("error body %s", body)
	}
	req = signedJSONRequest(t, s, rootCreds, "AWSOrganizationsV20161128.NoSuchOp", `{}`)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `"__type":"UnknownOperationException"`) {
		t.Fatalf("unknown op: %d %s", resp.StatusCode, body)
	}
}
