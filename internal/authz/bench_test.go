package authz_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store/memory"
)

const benchAccount = "111111111111"

// warmUser builds an IAM domain with one user holding n attached
// customer-managed policies (none of which allows the benchmarked action
// until the last one) and returns an authorizer and the user's request.
func warmUser(tb testing.TB, n int) (*authz.Authorizer, *authz.Request) {
	a, req, _ := warmUserSvc(tb, n)
	return a, req
}

func warmUserSvc(tb testing.TB, n int) (*authz.Authorizer, *authz.Request, *iam.Service) {
	tb.Helper()
	ctx := context.Background()
	kr, err := keyring.New(keyring.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	svc := iam.New(memory.New(), kr, nil)
	if _, err := svc.CreateAccount(ctx, iam.Account{ID: benchAccount, Name: "bench"}); err != nil {
		tb.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, benchAccount, iam.CreateUserInput{UserName: "bench"})
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i < n; i++ {
		action := fmt.Sprintf("s3:Get%dObject", i)
		if i == n-1 {
			action = "iam:List*"
		}
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["%s","ec2:Describe*"],"Resource":"arn:aws:*:*:%s:*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}}]}`, action, benchAccount)
		p, err := svc.CreatePolicy(ctx, benchAccount, iam.CreatePolicyInput{PolicyName: fmt.Sprintf("p%d", i), Document: doc})
		if err != nil {
			tb.Fatal(err)
		}
		if err := svc.AttachPolicy(ctx, benchAccount, iam.EntityUser, "bench", p.ARN()); err != nil {
			tb.Fatal(err)
		}
	}
	a := authz.New(svc)
	req := &authz.Request{
		Caller: &authn.Caller{Type: authn.TypeUser, Account: benchAccount, ARN: u.ARN(), PrincipalARN: u.ARN(),
			UserID: u.ID, UniqueID: u.ID, UserName: u.Name, AccessKeyID: "AKIAEXAMPLE"},
		Action: "iam:ListRoles", Resource: "arn:aws:iam::" + benchAccount + ":role/",
		SourceIP: "203.0.113.7", UserAgent: "bench", Region: "us-east-1", Secure: true, Time: time.Now(),
	}
	res, _, err := a.Decide(ctx, req)
	if err != nil {
		tb.Fatal(err)
	}
	if !res.Allowed() {
		tb.Fatalf("warm-up decision %v", res.Decision)
	}
	return a, req, svc
}

// BenchmarkDecideWarmUser10Policies measures authz.Authorizer.Decide for a
// user whose ten attached policies are cached (target: ≤ 2 µs median).
func BenchmarkDecideWarmUser10Policies(b *testing.B) {
	a, req := warmUser(b, 10)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, _, err := a.Decide(ctx, req)
		if err != nil || !res.Allowed() {
			b.Fatal(err, res.Decision)
		}
	}
}

// BenchmarkEvaluateUser10Policies is the engine's share of the above: the
// same ten compiled policies evaluated with a prepared context, no
// authorizer around it.
func BenchmarkEvaluateUser10Policies(b *testing.B) {
	_, req, svc := warmUserSvc(b, 10)
	ids, bd, _, err := svc.UserPolicies(context.Background(), benchAccount, req.Caller.UniqueID)
	if err != nil {
		b.Fatal(err)
	}
	pc := policy.NewContext()
	pc.Set("aws:RequestedRegion", "us-east-1")
	preq := &policy.Request{Principal: policy.Principal{Type: policy.User, Account: benchAccount, ARN: req.Caller.ARN, UniqueID: req.Caller.UniqueID},
		Action: req.Action, Resource: req.Resource, Context: pc}
	set := &policy.Set{Identity: ids, Boundary: bd}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !policy.Evaluate(preq, set).Allowed() {
			b.Fatal("denied")
		}
	}
}

// BenchmarkAuthorizeWarmUser10Policies is the dispatcher's authorization
// step (Authorize: a pooled request context, the decision, no message on
// allow) for the same warm user — the figure the ≤ 2 µs bar is about.
func BenchmarkAuthorizeWarmUser10Policies(b *testing.B) {
	a, req := warmUser(b, 10)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := a.Authorize(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
