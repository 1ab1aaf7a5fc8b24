package e2e

// Resource control policies end to end: the data perimeter. A role and a
// queue in member account M; an RCP on M denies role assumption and SQS to
// principals outside the organization; a member's principal passes, a
// standalone account's (removed from the organization) is refused with
// AWS's RCP message, on STS and on the Authorize endpoint, until the RCP
// is detached.

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hatrack/hatrack/authzclient"
)

func TestOrgsRCPDataPerimeter(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	org := must(mo.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})).Organization
	orgID := aws.ToString(org.Id)
	rootID := must(mo.ListRoots(ctx, nil)).Roots[0].Id

	m, p, x := createMember(t, mo, "m"), createMember(t, mo, "p"), createMember(t, mo, "x")
	must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(x)}))
	mRoot, pRoot, xRoot := memberRootKeys(t, s, m), memberRootKeys(t, s, p), memberRootKeys(t, s, x)

	// M's role trusts P and X; M's queue (through Hatrack's resource
	// policies) lets X's user send.
	roleARN := "arn:aws:iam::" + m + ":role/shared"
	queue := "arn:aws:sqs:us-east-1:" + m + ":queue-m"
	iamM := iamClient(s, mRoot)
	must(iamM.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("shared"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + p + `:root","arn:aws:iam::` + x + `:root"]},"Action":"sts:AssumeRole"}]}`)}))
	allow := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sqs:SendMessage"],"Resource":"*"}]}`
	user := func(root Creds, name string) Creds {
		c := iamClient(s, root)
		u := userWithKey(t, ctx, c, name)
		must(c.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("go"), PolicyDocument: aws.String(allow)}))
		return u
	}
	pUser, xUser := user(pRoot, "pu"), user(xRoot, "xu")
	xUserARN := "arn:aws:iam::" + x + ":user/xu"
	svc := authzclient.New(s.URL, authzclient.Credentials{AccessKeyID: mRoot.ID, SecretAccessKey: mRoot.Secret}, "us-east-1")
	if _, err := svc.PutResourcePolicy(ctx, queue, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+xUserARN+`"},"Action":"sqs:SendMessage","Resource":"`+queue+`"}]}`); err != nil {
		t.Fatal(err)
	}
	assume := func(c Creds) error {
		_, err := stsClient(s, c).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("perimeter")})
		return err
	}
	send := func() *authzclient.AuthorizeOutput {
		t.Helper()
		r, body := signedBy(t, xUser, "Action=SendMessage&MessageBody=hi")
		out, err := svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queue)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	// RCPs enabled: RCPFullAWSAccess everywhere, nothing changes yet.
	_, err := mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("early"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	enabled := must(mo.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: rootID, PolicyType: orgtypes.PolicyTypeResourceControlPolicy})).Root
	var types []string
	for _, pt := range enabled.PolicyTypes {
		types = append(types, string(pt.Type)+"/"+string(pt.Status))
	}
	if strings.Join(types, ",") != "RESOURCE_CONTROL_POLICY/ENABLED,SERVICE_CONTROL_POLICY/ENABLED" {
		t.Fatalf("root policy types %v", types)
	}
	onM := must(mo.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(m), Filter: orgtypes.PolicyTypeResourceControlPolicy})).Policies
	if len(onM) != 1 || aws.ToString(onM[0].Id) != "p-RCPFullAWSAccess" || !onM[0].AwsManaged ||
		aws.ToString(onM[0].Arn) != "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess" {
		t.Fatalf("RCPs on M %+v", onM)
	}
	_, err = mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String("p-RCPFullAWSAccess"), TargetId: aws.String(m)})
	apiErr(t, err, "ConstraintViolationException", 400, "")
	wantReason(t, err, "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	must(stsClient(s, xUser).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("perimeter")}))
	wantDecision(t, send(), nil, authzclient.Allowed, xUserARN, "")

	// RCPs only deny.
	_, err = mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("allow"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`)})
	apiErr(t, err, "MalformedPolicyDocumentException", 400, "The provided policy document doesn't meet the requirements of the specified policy type.")

	// The perimeter, on M.
	perimeter := must(mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("perimeter"), Description: aws.String("org principals only"),
		Type: orgtypes.PolicyTypeResourceControlPolicy, Content: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"Perimeter","Effect":"Deny","Principal":"*",` +
			`"Action":["sts:AssumeRole","sqs:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + orgID + `"}}}]}`)})).Policy.PolicySummary
	if !strings.HasPrefix(aws.ToString(perimeter.Arn), "arn:aws:organizations::"+accountA+":policy/"+orgID+"/resource_control_policy/p-") {
		t.Fatalf("perimeter %+v", perimeter)
	}
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: perimeter.Id, TargetId: aws.String(m)}))

	apiErrExact(t, assume(xUser), "AccessDenied", 403,
		"User: "+xUserARN+" is not authorized to perform: sts:AssumeRole on resource: "+roleARN+" with an explicit deny in a resource control policy")
	must(stsClient(s, pUser).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("perimeter")}))
	out := send()
	wantDecision(t, out, nil, authzclient.ExplicitDeny, xUserARN,
		"User: "+xUserARN+" is not authorized to perform: sqs:SendMessage on resource: "+queue+" with an explicit deny in a resource control policy")
	if len(out.MatchedStatements) != 1 || out.MatchedStatements[0].PolicyType != "rcp" || out.MatchedStatements[0].Sid != "Perimeter" ||
		out.MatchedStatements[0].PolicyId != aws.ToString(perimeter.Arn) {
		t.Fatalf("matched %+v", out.MatchedStatements)
	}
	// IAM is never subject to RCPs: X's root still reads its own account.
	must(iamClient(s, xRoot).ListUsers(ctx, &iamsdk.ListUsersInput{}))

	// Detached: the outsider is back in.
	must(mo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: perimeter.Id, TargetId: aws.String(m)}))
	must(stsClient(s, xUser).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("perimeter")}))
	wantDecision(t, send(), nil, authzclient.Allowed, xUserARN, "")

	// On the root it reaches M again; disabling RCPs lifts it.
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: perimeter.Id, TargetId: rootID}))
	apiErr(t, assume(xUser), "AccessDenied", 403, "with an explicit deny in a resource control policy")
	must(mo.DisablePolicyType(ctx, &organizations.DisablePolicyTypeInput{RootId: rootID, PolicyType: orgtypes.PolicyTypeResourceControlPolicy}))
	if err := assume(xUser); err != nil {
		t.Fatalf("after disabling RCPs: %v", err)
	}
	// SCPs stayed attached.
	if scps := must(mo.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: aws.String(m), Filter: orgtypes.PolicyTypeServiceControlPolicy})).Policies; len(scps) != 1 {
		t.Fatalf("SCPs on M after disabling RCPs: %+v", scps)
	}
}
