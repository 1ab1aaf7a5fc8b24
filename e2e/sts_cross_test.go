package e2e

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestSTSCrossAccountChain is SCENARIOS.md 6 across accounts: U1 (A)
// assumes R1 (A), and with R1's session assumes R2 (B). All four
// conditions must hold; removing any one makes that hop AccessDenied. A
// chained session lasts at most one hour whatever R2's maximum.
func TestSTSCrossAccountChain(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	rootIAM := iamClient(s, rootCreds)
	mo := organizationsFor(s, rootCreds)
	// The deployment's organization exists from the first start.
	st := must(mo.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("b"), Email: aws.String("b@example.com")})).CreateAccountStatus
	acctB := aws.ToString(st.AccountId)
	if st.State != orgtypes.CreateAccountStateSucceeded {
		t.Fatalf("CreateAccount %+v", st)
	}

	// An administrator of A reaches B through OrganizationAccountAccessRole
	// (trusting A's account: A's identity policy must allow).
	admin, _ := newUser(t, s, rootCreds, "admin")
	accessRole := "arn:aws:iam::" + acctB + ":role/OrganizationAccountAccessRole"
	_, err := stsClient(s, admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(accessRole), RoleSessionName: aws.String("setup")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg("arn:aws:iam::"+accountA+":user/admin", "sts:AssumeRole", accessRole))
	must(rootIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("admin"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowDoc("*", "*"))}))
	bAdmin := sessionCreds(must(stsClient(s, admin).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(accessRole), RoleSessionName: aws.String("setup")})).Credentials)
	bIAM := iamClient(s, bAdmin)
	if id := must(stsClient(s, bAdmin).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})); aws.ToString(id.Account) != acctB {
		t.Fatalf("B admin identity %+v", id)
	}

	// A: U1 and R1 (trusting A's account); B: R2 trusting R1.
	u1, _ := newUser(t, s, rootCreds, "u1")
	r1 := newRole(t, s, rootCreds, "R1", trustUser("arn:aws:iam::"+accountA+":root", ""), 0)
	r2 := must(bIAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("R2"), MaxSessionDuration: aws.Int32(43200),
		AssumeRolePolicyDocument: aws.String(trustUser(aws.ToString(r1.Arn), ""))})).Role
	u1Policy := &iam.PutUserPolicyInput{UserName: aws.String("u1"), PolicyName: aws.String("to-r1"), PolicyDocument: aws.String(allowDoc("sts:AssumeRole", aws.ToString(r1.Arn)))}
	r1Policy := &iam.PutRolePolicyInput{RoleName: aws.String("R1"), PolicyName: aws.String("to-r2"), PolicyDocument: aws.String(allowDoc("sts:AssumeRole", aws.ToString(r2.Arn)))}
	must(rootIAM.PutUserPolicy(ctx, u1Policy))
	must(rootIAM.PutRolePolicy(ctx, r1Policy))

	u1ARN := "arn:aws:iam::" + accountA + ":user/u1"
	hop1ARN := "arn:aws:sts::" + accountA + ":assumed-role/R1/hop1"
	hop1 := func() (Creds, error) {
		out, err := stsClient(s, u1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r1.Arn, RoleSessionName: aws.String("hop1")})
		if err != nil {
			return Creds{}, err
		}
		return sessionCreds(out.Credentials), nil
	}
	hop2 := func(c Creds, dur int32) (*sts.AssumeRoleOutput, error) {
		in := &sts.AssumeRoleInput{RoleArn: r2.Arn, RoleSessionName: aws.String("hop2")}
		if dur > 0 {
			in.DurationSeconds = aws.Int32(dur)
		}
		return stsClient(s, c).AssumeRole(ctx, in)
	}

	// All four hold.
	c1 := must(hop1())
	out := must(hop2(c1, 0))
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+acctB+":assumed-role/R2/hop2" {
		t.Fatalf("hop2 %+v", out.AssumedRoleUser)
	}
	id := must(stsClient(s, sessionCreds(out.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Account) != acctB || aws.ToString(id.Arn) != "arn:aws:sts::"+acctB+":assumed-role/R2/hop2" {
		t.Fatalf("hop2 identity %+v", id)
	}
	// 7200 s chained: refused, whatever R2's 12-hour maximum.
	_, err = hop2(c1, 7200)
	apiErrExact(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")

	// 1. U1 may not sts:AssumeRole on R1.
	must(rootIAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("u1"), PolicyName: aws.String("to-r1")}))
	_, err = hop1()
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(u1ARN, "sts:AssumeRole", aws.ToString(r1.Arn)))
	must(rootIAM.PutUserPolicy(ctx, u1Policy))
	// 2. R1's trust does not allow U1.
	must(rootIAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R1"), PolicyDocument: aws.String(trustUser("arn:aws:iam::"+accountA+":user/admin", ""))}))
	_, err = hop1()
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(u1ARN, "sts:AssumeRole", aws.ToString(r1.Arn)))
	must(rootIAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R1"), PolicyDocument: aws.String(trustUser("arn:aws:iam::"+accountA+":root", ""))}))
	c1 = must(hop1())
	// 3. R1 may not sts:AssumeRole on R2.
	must(rootIAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("R1"), PolicyName: aws.String("to-r2")}))
	_, err = hop2(c1, 0)
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(hop1ARN, "sts:AssumeRole", aws.ToString(r2.Arn)))
	must(rootIAM.PutRolePolicy(ctx, r1Policy))
	must(hop2(c1, 0))
	// 4. R2's trust does not allow R1.
	must(bIAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R2"), PolicyDocument: aws.String(trustUser("arn:aws:iam::"+acctB+":root", ""))}))
	_, err = hop2(c1, 0)
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(hop1ARN, "sts:AssumeRole", aws.ToString(r2.Arn)))
}

func organizationsFor(s *Server, c Creds) *organizations.Client {
	return organizations.NewFromConfig(awsConfig(s, c))
}
