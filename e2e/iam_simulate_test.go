package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func TestIAMSimulatorGoSDK(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	c := iamClient(s, rootCreds)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sim")}))
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String("sim")}))
	must(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("deny-del"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"}]}`)}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("sim"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3FullAccess")}))

	out := must(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::" + accountA + ":user/sim"),
		ActionNames:     []string{"s3:GetObject", "s3:DeleteObject", "ec2:RunInstances"},
	}))
	want := map[string]types.PolicyEvaluationDecisionType{"s3:GetObject": "allowed", "s3:DeleteObject": "explicitDeny", "ec2:RunInstances": "implicitDeny"}
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("results %d", len(out.EvaluationResults))
	}
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != want[aws.ToString(r.EvalActionName)] {
			t.Fatalf("%s: %s", aws.ToString(r.EvalActionName), r.EvalDecision)
		}
		switch aws.ToString(r.EvalActionName) {
		case "s3:GetObject":
			if len(r.MatchedStatements) == 0 || aws.ToString(r.MatchedStatements[0].SourcePolicyId) != "AmazonS3FullAccess" || r.MatchedStatements[0].SourcePolicyType != "aws-managed" {
				t.Fatalf("matched %+v", r.MatchedStatements)
			}
		case "s3:DeleteObject":
			found := false
			for _, m := range r.MatchedStatements {
				found = found || aws.ToString(m.SourcePolicyId) == "deny-del" && m.SourcePolicyType == "group"
			}
			if !found {
				t.Fatalf("deny not matched: %+v", r.MatchedStatements)
			}
		}
	}
	_, err := c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + accountA + ":user/ghost"), ActionNames: []string{"s3:GetObject"}})
	apiErr(t, err, "NoSuchEntity", 404, "The user with name ghost cannot be found.")

	// Custom policies with context entries and missing context values.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"Bool":{"aws:SecureTransport":"true"}}}]}`
	cust := must(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ContextEntries: []types.ContextEntry{{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: types.ContextKeyTypeEnumIp, ContextKeyValues: []string{"10.1.2.3"}}}}))
	r := cust.EvaluationResults[0]
	if r.EvalDecision != "implicitDeny" || len(r.MissingContextValues) != 1 || r.MissingContextValues[0] != "aws:SecureTransport" {
		t.Fatalf("custom %+v", r)
	}
	cust = must(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{doc}, ActionNames: []string{"s3:GetObject"},
		ContextEntries: []types.ContextEntry{
			{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: types.ContextKeyTypeEnumIp, ContextKeyValues: []string{"10.1.2.3"}},
			{ContextKeyName: aws.String("aws:SecureTransport"), ContextKeyType: types.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}},
		}}))
	r = cust.EvaluationResults[0]
	if r.EvalDecision != "allowed" || aws.ToString(r.MatchedStatements[0].SourcePolicyId) != "PolicyInputList.1" || aws.ToInt32(&r.MatchedStatements[0].StartPosition.Line) != 1 {
		t.Fatalf("custom allowed %+v", r)
	}
	// Boundary input limits the result.
	cust = must(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{iamAllow("s3:*")}, ActionNames: []string{"s3:PutObject"},
		PermissionsBoundaryPolicyInputList: []string{iamAllow("s3:Get*")}}))
	r = cust.EvaluationResults[0]
	if r.EvalDecision != "implicitDeny" || r.PermissionsBoundaryDecisionDetail == nil || r.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary {
		t.Fatalf("boundary %+v", r)
	}
	_, err = c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`}, ActionNames: []string{"s3:GetObject"}})
	apiErr(t, err, "MalformedPolicyDocument", 400, "")
	keys := must(c.GetContextKeysForCustomPolicy(ctx, &iam.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{doc}}))
	if strings.Join(keys.ContextKeyNames, ",") != "aws:SourceIp,aws:SecureTransport" {
		t.Fatalf("context keys %v", keys.ContextKeyNames)
	}
	pk := must(c.GetContextKeysForPrincipalPolicy(ctx, &iam.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: aws.String("arn:aws:iam::" + accountA + ":user/sim"), PolicyInputList: []string{doc}}))
	if len(pk.ContextKeyNames) != 2 {
		t.Fatalf("principal context keys %v", pk.ContextKeyNames)
	}
}

func testIAMSimulateCLI(t *testing.T, major string) {
	bin := awsCLI(t, major)
	s := StartServer(t)
	// A list-of-strings member takes the document itself (file:// would be
	// split into characters by the CLI).
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`
	out := cliJSON(t, bin, s, rootCreds, "iam", "simulate-custom-policy", "--policy-input-list", doc,
		"--action-names", "s3:GetObject", "s3:PutObject")
	res, _ := out["EvaluationResults"].([]any)
	if len(res) != 2 {
		t.Fatalf("simulate-custom-policy %v", out)
	}
	got := map[string]string{}
	for _, r := range res {
		m := r.(map[string]any)
		got[m["EvalActionName"].(string)] = m["EvalDecision"].(string)
	}
	if got["s3:GetObject"] != "allowed" || got["s3:PutObject"] != "implicitDeny" {
		t.Fatalf("decisions %v", got)
	}
	cliFail(t, bin, s, rootCreds, "NoSuchEntity", "iam", "simulate-principal-policy", "--policy-source-arn", "arn:aws:iam::"+accountA+":role/none", "--action-names", "s3:GetObject")
}

func TestIAMSimulateCLIv1(t *testing.T) { testIAMSimulateCLI(t, "1") }
func TestIAMSimulateCLIv2(t *testing.T) { testIAMSimulateCLI(t, "2") }
