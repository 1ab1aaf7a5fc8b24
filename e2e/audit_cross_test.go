package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestAuditCrossAccountChain is issue 8's audit check: after a
// cross-account chain (A's user → A's role R1 → B's role R2, with a source
// identity), LookupEvents in both accounts shows the assumptions — who,
// which role, which session, the source identity, allowed or denied — the
// cross-account one with the same sharedEventID in both, and no event
// holds a secret or a session token.
func TestAuditCrossAccountChain(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	rootIAM := iamClient(s, rootCreds)
	st := must(organizationsFor(s, rootCreds).CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("b"), Email: aws.String("b@example.com")})).CreateAccountStatus
	acctB := aws.ToString(st.AccountId)

	admin, _ := newUser(t, s, rootCreds, "admin")
	must(rootIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowDoc("*", "*"))}))
	bAdmin := sessionCreds(must(stsClient(s, admin).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + acctB + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("setup")})).Credentials)

	const withSource = `,"Action":["sts:AssumeRole","sts:SetSourceIdentity"]`
	trust := func(arn string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + arn + `"}` + withSource + `}]}`
	}
	allow := func(res string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Resource":"` + res + `"}]}`
	}
	u1, _ := newUser(t, s, rootCreds, "u1")
	r1 := newRole(t, s, rootCreds, "R1", trust("arn:aws:iam::"+accountA+":user/u1"), 0)
	r2 := must(iamClient(s, bAdmin).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R2"), AssumeRolePolicyDocument: aws.String(trust(aws.ToString(r1.Arn)))})).Role
	must(rootIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u1"), PolicyName: aws.String("hop"), PolicyDocument: aws.String(allow(aws.ToString(r1.Arn)))}))
	must(rootIAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("R1"), PolicyName: aws.String("hop"), PolicyDocument: aws.String(allow(aws.ToString(r2.Arn)))}))

	out1 := must(stsClient(s, u1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r1.Arn, RoleSessionName: aws.String("hop1"), SourceIdentity: aws.String("alice")}))
	c1 := sessionCreds(out1.Credentials)
	out2 := must(stsClient(s, c1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r2.Arn, RoleSessionName: aws.String("hop2")}))
	if aws.ToString(out2.SourceIdentity) != "alice" {
		t.Fatalf("source identity did not propagate: %q", aws.ToString(out2.SourceIdentity))
	}
	// A denied assumption: u1 straight to R2 (R2 trusts only R1).
	_, err := stsClient(s, u1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r2.Arn, RoleSessionName: aws.String("direct")})
	apiErr(t, err, "AccessDenied", 403, "")

	secrets := []string{admin.Secret, u1.Secret, bAdmin.Secret, bAdmin.Token, c1.Secret, c1.Token,
		aws.ToString(out2.Credentials.SecretAccessKey), aws.ToString(out2.Credentials.SessionToken)}
	inA := botoLookup(t, s, rootCreds, "EventName", "AssumeRole")
	inB := botoLookup(t, s, bAdmin, "EventName", "AssumeRole")
	for _, evs := range [][]lookedUp{inA, inB} {
		raw, _ := json.Marshal(evs)
		for _, sec := range secrets {
			if sec != "" && strings.Contains(string(raw), sec) {
				t.Fatal("an audit event holds a secret or a session token")
			}
		}
	}

	find := func(evs []lookedUp, session string) *lookedUp {
		for i := range evs {
			if jpath(evs[i].Record, "requestParameters.roleSessionName") == session {
				return &evs[i]
			}
		}
		return nil
	}
	// In A: u1 → R1 (with the source identity it set), R1 → R2 (sent from
	// A), and the denied direct attempt.
	hop1 := find(inA, "hop1")
	if hop1 == nil || jpath(hop1.Record, "userIdentity.arn") != "arn:aws:iam::"+accountA+":user/u1" ||
		jpath(hop1.Record, "requestParameters.roleArn") != aws.ToString(r1.Arn) ||
		jpath(hop1.Record, "requestParameters.sourceIdentity") != "alice" || jpath(hop1.Record, "errorCode") != nil {
		t.Fatalf("A's hop1 event: %+v", hop1)
	}
	hop2A := find(inA, "hop2")
	if hop2A == nil || jpath(hop2A.Record, "userIdentity.arn") != "arn:aws:sts::"+accountA+":assumed-role/R1/hop1" ||
		jpath(hop2A.Record, "userIdentity.sessionContext.sourceIdentity") != "alice" ||
		jpath(hop2A.Record, "recipientAccountId") != accountA {
		t.Fatalf("A's hop2 event: %+v", hop2A)
	}
	direct := find(inA, "direct")
	if direct == nil || jpath(direct.Record, "errorCode") != "AccessDenied" || jpath(direct.Record, "userIdentity.arn") != "arn:aws:iam::"+accountA+":user/u1" {
		t.Fatalf("A's denied event: %+v", direct)
	}
	// In B: the same cross-account assumption, seen from the role's side,
	// sharing its sharedEventID with A's.
	hop2B := find(inB, "hop2")
	if hop2B == nil || jpath(hop2B.Record, "recipientAccountId") != acctB ||
		jpath(hop2B.Record, "userIdentity.arn") != "arn:aws:sts::"+accountA+":assumed-role/R1/hop1" {
		t.Fatalf("B's hop2 event: %+v", hop2B)
	}
	shared := jpath(hop2A.Record, "sharedEventID")
	if shared == nil || shared == "" || shared != jpath(hop2B.Record, "sharedEventID") {
		t.Fatalf("sharedEventID A=%v B=%v", shared, jpath(hop2B.Record, "sharedEventID"))
	}
	// B does not see A's own-account assumption.
	if find(inB, "hop1") != nil {
		t.Fatal("B sees A's same-account assumption")
	}
}
