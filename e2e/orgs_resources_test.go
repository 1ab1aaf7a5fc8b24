package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// scopedOrgsUser creates a user in the management account with the inline
// policy doc and returns its keys.
func scopedOrgsUser(t *testing.T, s *Server, name, doc string) Creds {
	t.Helper()
	ctx := context.Background()
	mi := iamClient(s, rootCreds)
	must(mi.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}))
	must(mi.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("orgs"), PolicyDocument: aws.String(doc)}))
	k := must(mi.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})).AccessKey
	return Creds{aws.ToString(k.AccessKeyId), aws.ToString(k.SecretAccessKey), ""}
}

// TestOrgsResourceLevelPermissions: IAM policies naming Organizations
// ARNs (account, OU, root, policy) allow exactly those resources.
func TestOrgsResourceLevelPermissions(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	org := must(mo.DescribeOrganization(ctx, nil)).Organization
	orgID := aws.ToString(org.Id)
	rootID := aws.ToString(must(mo.ListRoots(ctx, nil)).Roots[0].Id)
	newAccount := func(name string) string {
		st := must(mo.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(name), Email: aws.String(name + "@example.com")})).CreateAccountStatus
		return aws.ToString(st.AccountId)
	}
	allowed, other := newAccount("allowed"), newAccount("other")
	newOU := func(name string) string {
		return aws.ToString(must(mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String(name)})).OrganizationalUnit.Id)
	}
	ouA, ouB := newOU("A"), newOU("B")
	newPolicy := func(name string) *orgtypes.PolicySummary {
		return must(mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(name), Description: aws.String(name),
			Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(scpDenyCreateUser)})).Policy.PolicySummary
	}
	polA, polB := newPolicy("PolA"), newPolicy("PolB")

	base := "arn:aws:organizations::" + accountA + ":"
	acctARN := func(id string) string { return base + "account/" + orgID + "/" + id }
	ouARN := func(id string) string { return base + "ou/" + orgID + "/" + id }
	rootARN := base + "root/" + orgID + "/" + rootID
	if aws.ToString(polA.Arn) != base+"policy/"+orgID+"/service_control_policy/"+aws.ToString(polA.Id) {
		t.Fatalf("policy ARN %s", aws.ToString(polA.Arn))
	}
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"organizations:DescribeAccount","Resource":["` + acctARN(allowed) + `","arn:aws:organizations::` + accountA + `:account/o-*/999999999999"]},
		{"Effect":"Allow","Action":["organizations:DescribeOrganizationalUnit","organizations:UpdateOrganizationalUnit"],"Resource":"` + ouARN(ouA) + `"},
		{"Effect":"Allow","Action":"organizations:ListChildren","Resource":"` + rootARN + `"},
		{"Effect":"Allow","Action":"organizations:DescribePolicy","Resource":"` + aws.ToString(polA.Arn) + `"},
		{"Effect":"Allow","Action":"organizations:ListTargetsForPolicy","Resource":"arn:aws:organizations::*:policy/*",
		 "Condition":{"StringEquals":{"organizations:PolicyType":"SERVICE_CONTROL_POLICY"}}},
		{"Effect":"Allow","Action":"organizations:ListPolicies","Resource":"*",
		 "Condition":{"StringEquals":{"organizations:PolicyType":"TAG_POLICY"}}},
		{"Effect":"Allow","Action":["organizations:AttachPolicy","organizations:DetachPolicy"],"Resource":["` + aws.ToString(polA.Arn) + `","` + ouARN(ouA) + `"]}
	]}`
	uo := orgsClient(s, scopedOrgsUser(t, s, "scoped", doc))
	// denied asserts AWS's denial for the action on resource (a denial
	// on "*" names no resource).
	denied := func(t *testing.T, err error, action, resource string) {
		t.Helper()
		on := " on resource: " + resource
		if resource == "*" {
			on = ""
		}
		apiErr(t, err, "AccessDeniedException", 400,
			"User: arn:aws:iam::"+accountA+":user/scoped is not authorized to perform: organizations:"+action+on+" because no identity-based policy allows the organizations:"+action+" action")
	}

	t.Run("account", func(t *testing.T) {
		a := must(uo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(allowed)})).Account
		if aws.ToString(a.Id) != allowed || aws.ToString(a.Arn) != acctARN(allowed) {
			t.Fatalf("account %+v", a)
		}
		_, err := uo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(other)})
		denied(t, err, "DescribeAccount", acctARN(other))
		_, err = uo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(accountA)})
		denied(t, err, "DescribeAccount", acctARN(accountA))
		// An unknown account: AWS's own answer for a caller allowed on its
		// ARN, a denial for one who is not (no fail-open).
		_, err = uo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("999999999999")})
		apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")
		_, err = uo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("123456789012")})
		denied(t, err, "DescribeAccount", acctARN("123456789012"))
		// A malformed id names no ARN: only a policy on "*" reaches the
		// input error.
		_, err = uo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("12")})
		denied(t, err, "DescribeAccount", "*")
		_, err = mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("12")})
		apiErr(t, err, "InvalidInputException", 400, "You provided a value that doesn't match the required pattern.")
		// Unscoped actions stay on "*".
		_, err = uo.ListAccounts(ctx, &organizations.ListAccountsInput{})
		denied(t, err, "ListAccounts", "*")
	})

	t.Run("organizational unit", func(t *testing.T) {
		ou := must(uo.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouA)})).OrganizationalUnit
		if aws.ToString(ou.Arn) != ouARN(ouA) {
			t.Fatalf("ou %+v", ou)
		}
		_, err := uo.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouB)})
		denied(t, err, "DescribeOrganizationalUnit", ouARN(ouB))
		must(uo.UpdateOrganizationalUnit(ctx, &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouA), Name: aws.String("A2")}))
		_, err = uo.UpdateOrganizationalUnit(ctx, &organizations.UpdateOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouB), Name: aws.String("B2")})
		denied(t, err, "UpdateOrganizationalUnit", ouARN(ouB))
		if n := aws.ToString(must(mo.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(ouB)})).OrganizationalUnit.Name); n != "B" {
			t.Fatalf("a denied update renamed the OU: %s", n)
		}
	})

	t.Run("root and parent", func(t *testing.T) {
		ch := must(uo.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(rootID), ChildType: orgtypes.ChildTypeOrganizationalUnit})).Children
		if len(ch) != 2 {
			t.Fatalf("children %+v", ch)
		}
		// ListChildren of an OU is authorized on the OU's ARN.
		_, err := uo.ListChildren(ctx, &organizations.ListChildrenInput{ParentId: aws.String(ouA), ChildType: orgtypes.ChildTypeAccount})
		denied(t, err, "ListChildren", ouARN(ouA))
	})

	// AttachPolicy and DetachPolicy need the policy and the target allowed.
	t.Run("attach to a target", func(t *testing.T) {
		must(uo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: polA.Id, TargetId: aws.String(ouA)}))
		_, err := uo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: polA.Id, TargetId: aws.String(ouB)})
		denied(t, err, "AttachPolicy", ouARN(ouB))
		_, err = uo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: polB.Id, TargetId: aws.String(ouA)})
		denied(t, err, "AttachPolicy", aws.ToString(polB.Arn))
		_, err = uo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: polA.Id, TargetId: aws.String(other)})
		denied(t, err, "AttachPolicy", acctARN(other))
		targets := must(mo.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: polA.Id})).Targets
		if len(targets) != 1 || aws.ToString(targets[0].TargetId) != ouA {
			t.Fatalf("policy A targets %+v (a denied attach was stored?)", targets)
		}
		must(uo.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: polA.Id, TargetId: aws.String(ouA)}))
	})

	t.Run("policy", func(t *testing.T) {
		p := must(uo.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: polA.Id})).Policy
		if aws.ToString(p.PolicySummary.Id) != aws.ToString(polA.Id) {
			t.Fatalf("policy %+v", p.PolicySummary)
		}
		_, err := uo.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: polB.Id})
		denied(t, err, "DescribePolicy", aws.ToString(polB.Arn))
		_, err = uo.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: aws.String("p-FullAWSAccess")})
		denied(t, err, "DescribePolicy", "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess")
		// organizations:PolicyType is the policy's type, or the request's.
		must(uo.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: polB.Id}))
		tg := must(uo.ListTargetsForPolicy(ctx, &organizations.ListTargetsForPolicyInput{PolicyId: aws.String("p-FullAWSAccess")})).Targets
		if len(tg) < 4 {
			t.Fatalf("FullAWSAccess targets %+v", tg)
		}
		must(uo.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeTagPolicy}))
		_, err = uo.ListPolicies(ctx, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
		denied(t, err, "ListPolicies", "*")
	})

	t.Run("member accounts keep the service's own refusal", func(t *testing.T) {
		_, err := orgsClient(s, memberRootKeys(t, s, other)).DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(other)})
		apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	})

	// The management account's root is still allowed everything.
	if a := must(mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(other)})).Account; !strings.HasSuffix(aws.ToString(a.Arn), "/"+other) {
		t.Fatalf("account %+v", a)
	}
}
