package authz_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/orgs"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

const (
	mgmtAccount = "111111111111"
	// outsider is a standalone account (created before any member, so no
	// member can draw its id).
	outsider = "222222222222"
)

// orgSource is the server's policy source (IAM + Organizations), counting
// the organization lookups.
type orgSource struct {
	*iam.Service
	orgs                     *orgs.Service
	scpCalls, rcpCalls, path atomic.Int64
}

func (s *orgSource) SCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	s.scpCalls.Add(1)
	return s.orgs.SCPs(ctx, account)
}

func (s *orgSource) RCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	s.rcpCalls.Add(1)
	return s.orgs.RCPs(ctx, account)
}

func (s *orgSource) OrgPath(ctx context.Context, account string) (string, string, error) {
	s.path.Add(1)
	return s.orgs.OrgPath(ctx, account)
}

func (s *orgSource) loads() int64 { return s.scpCalls.Load() + s.rcpCalls.Load() + s.path.Load() }

type rcpEnv struct {
	t         testing.TB
	ctx       context.Context
	orgs      *orgs.Service
	src       *orgSource
	az        *authz.Authorizer
	org       *orgs.Organization
	member    string // M: owns the shared role and queue
	peer      string // P: another member
	perimeter *orgs.Policy
}

func newRCPEnv(t testing.TB) *rcpEnv {
	t.Helper()
	ctx := context.Background()
	kr, err := keyring.New(keyring.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	is := iam.New(st, kr, now)
	if _, err := is.Bootstrap(ctx, iam.Deployment{ID: "d", ManagementAccount: mgmtAccount}, iam.Account{ID: mgmtAccount, Name: "management", Email: "root@example.com"}, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := is.CreateAccount(ctx, iam.Account{ID: outsider, Name: "outsider"}); err != nil {
		t.Fatal(err)
	}
	os := orgs.New(st, is, now)
	e := &rcpEnv{t: t, ctx: ctx, orgs: os}
	if e.org, err = os.EnsureOrganization(ctx, mgmtAccount); err != nil {
		t.Fatal(err)
	}
	e.member, e.peer = e.createMember("m"), e.createMember("p")
	if _, err := os.EnablePolicyType(ctx, mgmtAccount, e.org.RootID, orgs.TypeRCP); err != nil {
		t.Fatal(err)
	}
	// The data perimeter: role assumption and SQS only by principals of
	// the organization (IAM named too, to show RCPs never apply to it).
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Perimeter","Effect":"Deny","Principal":"*",` +
		`"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity","sqs:*","iam:*"],"Resource":"*",` +
		`"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"` + e.org.ID + `"}}}]}`
	if e.perimeter, err = os.CreatePolicy(ctx, mgmtAccount, orgs.CreatePolicyInput{Name: "perimeter", Type: orgs.TypeRCP, Content: doc}); err != nil {
		t.Fatal(err)
	}
	e.src = &orgSource{Service: is, orgs: os}
	e.az = authz.New(e.src)
	return e
}

func (e *rcpEnv) createMember(name string) string {
	e.t.Helper()
	st, err := e.orgs.CreateAccount(e.ctx, mgmtAccount, orgs.CreateAccountInput{AccountName: name, Email: name + "@example.com"})
	if err != nil || st.State != "SUCCEEDED" {
		e.t.Fatalf("create account %s: %+v %v", name, st, err)
	}
	return st.AccountID
}

// attach attaches the perimeter RCP to target and tells the authorizer,
// as the change-log follower does.
func (e *rcpEnv) attach(target string) {
	e.t.Helper()
	if err := e.orgs.AttachPolicy(e.ctx, mgmtAccount, e.perimeter.ID, target); err != nil {
		e.t.Fatal(err)
	}
	e.az.Invalidate(store.Change{Kind: orgs.KindAttachment, Name: e.perimeter.ID + "/" + target, Op: "create"})
}

func (e *rcpEnv) detach(target string) {
	e.t.Helper()
	if err := e.orgs.DetachPolicy(e.ctx, mgmtAccount, e.perimeter.ID, target); err != nil {
		e.t.Fatal(err)
	}
	e.az.Invalidate(store.Change{Kind: orgs.KindAttachment, Name: e.perimeter.ID + "/" + target, Op: "delete"})
}

func rootCaller(account string) *authn.Caller {
	arn := "arn:aws:iam::" + account + ":root"
	return &authn.Caller{Type: authn.TypeRoot, Account: account, ARN: arn, PrincipalARN: arn, UserID: account, UniqueID: account}
}

// assume asks whether caller may assume role (path/name) of account,
// whose trust policy trusts the outsider and the peer accounts.
func (e *rcpEnv) assume(caller *authn.Caller, account, role string) error {
	trust := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::`+
		outsider+`:root","arn:aws:iam::`+e.peer+`:root","arn:aws:iam::`+e.member+`:root"]},"Action":"sts:AssumeRole"}]}`, policy.Trust)
	return e.az.AuthorizeTrust(e.ctx, &authz.Trust{Caller: caller, RoleARN: "arn:aws:iam::" + account + ":role/" + role,
		RoleAccount: account, Policy: trust, Actions: []string{"sts:AssumeRole"}})
}

func wantAllowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantRCPDenied(t *testing.T, what string, err error, who, action, resource string) {
	t.Helper()
	e, ok := awserr.As(err)
	want := "User: " + who + " is not authorized to perform: " + action + " on resource: " + resource + " with an explicit deny in a resource control policy"
	if !ok || e.Code != "AccessDenied" || e.Message != want {
		t.Fatalf("%s: got %v\nwant AccessDenied %q", what, err, want)
	}
}

func TestRCPRoleAssumptionUsesTheResourceAccount(t *testing.T) {
	e := newRCPEnv(t)
	roleM := "arn:aws:iam::" + e.member + ":role/shared"
	x, p := rootCaller(outsider), rootCaller(e.peer)

	// RCPFullAWSAccess alone changes nothing.
	wantAllowed(t, "outsider, no RCP", e.assume(x, e.member, "shared"))

	// On M: the outsider is refused with the RCP's message, a principal
	// of the organization is not.
	e.attach(e.member)
	wantRCPDenied(t, "outsider, RCP on M", e.assume(x, e.member, "shared"), "arn:aws:iam::"+outsider+":root", "sts:AssumeRole", roleM)
	wantAllowed(t, "peer, RCP on M", e.assume(p, e.member, "shared"))
	// Whether the role exists is not revealed: the RCP decides first.
	missing := e.az.AuthorizeTrust(e.ctx, &authz.Trust{Caller: x, RoleARN: "arn:aws:iam::" + e.member + ":role/nope",
		RoleAccount: e.member, Actions: []string{"sts:AssumeRole"}})
	wantRCPDenied(t, "outsider, missing role", missing, "arn:aws:iam::"+outsider+":root", "sts:AssumeRole", "arn:aws:iam::"+e.member+":role/nope")
	// The RCPs are the resource's account's, not the principal's: the
	// same RCP on P does not affect P's roles (the outsider may assume a
	// role of P once M's RCP is the only one) …
	e.detach(e.member)
	e.attach(e.peer)
	wantAllowed(t, "outsider to M, RCP on P", e.assume(x, e.member, "shared"))
	wantRCPDenied(t, "outsider to P, RCP on P", e.assume(x, e.peer, "shared"), "arn:aws:iam::"+outsider+":root", "sts:AssumeRole", "arn:aws:iam::"+e.peer+":role/shared")
	// … nor P's principals' requests to another account's role.
	wantAllowed(t, "peer to M, RCP on P", e.assume(p, e.member, "shared"))
	e.detach(e.peer)

	// On the root: every member's resources, never the management
	// account's.
	e.attach(e.org.RootID)
	wantRCPDenied(t, "outsider to M, RCP on root", e.assume(x, e.member, "shared"), "arn:aws:iam::"+outsider+":root", "sts:AssumeRole", roleM)
	wantAllowed(t, "outsider to management, RCP on root", e.assume(x, mgmtAccount, "shared"))
	// Service-linked roles are not subject to RCPs.
	wantAllowed(t, "outsider to a service-linked role", e.assume(x, e.member, "aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"))
	e.detach(e.org.RootID)
	wantAllowed(t, "outsider, detached", e.assume(x, e.member, "shared"))
}

func TestRCPNotForIAMAndOnAuthorize(t *testing.T) {
	e := newRCPEnv(t)
	e.attach(e.member)
	x := rootCaller(outsider)
	queue := "arn:aws:sqs:us-east-1:" + e.member + ":q"
	rp := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+outsider+`:root"},"Action":["sqs:SendMessage","iam:GetRole"],"Resource":"*"}]}`, policy.Resource)

	// An SQS request on M's queue: the RCP of M denies the outsider.
	res, preq, err := e.az.Decide(e.ctx, &authz.Request{Caller: x, Action: "sqs:SendMessage", Resource: queue, ResourcePolicy: rp})
	if err != nil || res.Decision != policy.ExplicitDeny || res.DecidedBy != policy.RCP {
		t.Fatalf("sqs: %v %v %v", res.Decision, res.DecidedBy, err)
	}
	if m := res.Matched.At(0); m.PolicyID() != e.perimeter.ARN || m.Statement.Sid != "Perimeter" {
		t.Fatalf("matched %+v", res.Matched.Slice())
	}
	if msg := res.DenyMessage(preq); !strings.HasSuffix(msg, "with an explicit deny in a resource control policy") {
		t.Fatalf("message %q", msg)
	}
	// The same request to the queue of the management account is allowed.
	mq := "arn:aws:sqs:us-east-1:" + mgmtAccount + ":q"
	if res, _, err := e.az.Decide(e.ctx, &authz.Request{Caller: x, Action: "sqs:SendMessage", Resource: mq, ResourcePolicy: rp}); err != nil || !res.Allowed() {
		t.Fatalf("management queue: %v %v %v", res.Decision, res.DecidedBy, err)
	}
	// IAM actions are never subject to RCPs, although the RCP names iam:*.
	role := "arn:aws:iam::" + e.member + ":role/shared"
	if res, _, err := e.az.Decide(e.ctx, &authz.Request{Caller: x, Action: "iam:GetRole", Resource: role, ResourcePolicy: rp}); err != nil || !res.Allowed() {
		t.Fatalf("iam: %v %v %v", res.Decision, res.DecidedBy, err)
	}
	if res, _, err := e.az.Decide(e.ctx, &authz.Request{Caller: rootCaller(e.member), Action: "iam:ListUsers", Resource: "arn:aws:iam::" + e.member + ":user/"}); err != nil || !res.Allowed() {
		t.Fatalf("iam in M: %v %v %v", res.Decision, res.DecidedBy, err)
	}
	// A member's principal passes the condition.
	rpPeer := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.peer+`:root"},"Action":"sqs:SendMessage","Resource":"*"}]}`, policy.Resource)
	if res, _, err := e.az.Decide(e.ctx, &authz.Request{Caller: rootCaller(e.peer), Action: "sqs:SendMessage", Resource: queue, ResourcePolicy: rpPeer}); err != nil || !res.Allowed() {
		t.Fatalf("peer sqs: %v %v %v", res.Decision, res.DecidedBy, err)
	}
}

func TestRCPOrganizationKeys(t *testing.T) {
	e := newRCPEnv(t)
	keys := func(c *authn.Caller, resource string) map[string][]string {
		t.Helper()
		out := map[string][]string{}
		_, preq, err := e.az.Decide(e.ctx, &authz.Request{Caller: c, Action: "sqs:SendMessage", Resource: resource})
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:ResourceAccount", "aws:ResourceOrgID", "aws:ResourceOrgPaths"} {
			if v, ok := preq.Context.Get(k); ok {
				out[k] = v
			}
		}
		return out
	}
	root := e.org.ID + "/" + e.org.RootID + "/"
	got := keys(rootCaller(e.peer), "arn:aws:sqs:us-east-1:"+e.member+":q")
	if strings.Join(got["aws:PrincipalOrgID"], ",") != e.org.ID || strings.Join(got["aws:PrincipalOrgPaths"], ",") != root ||
		strings.Join(got["aws:ResourceAccount"], ",") != e.member || strings.Join(got["aws:ResourceOrgID"], ",") != e.org.ID ||
		strings.Join(got["aws:ResourceOrgPaths"], ",") != root {
		t.Fatalf("member keys %v", got)
	}
	got = keys(rootCaller(outsider), "arn:aws:sqs:us-east-1:"+outsider+":q")
	if len(got) != 1 || strings.Join(got["aws:ResourceAccount"], ",") != outsider {
		t.Fatalf("outsider keys %v", got)
	}
}

func TestRCPCachedLikeSCPs(t *testing.T) {
	e := newRCPEnv(t)
	x := rootCaller(outsider)
	// Warm.
	wantAllowed(t, "warm", e.assume(x, e.member, "shared"))
	before := e.src.loads()
	for range 10 {
		wantAllowed(t, "warm again", e.assume(x, e.member, "shared"))
	}
	if n := e.src.loads() - before; n != 0 {
		t.Fatalf("%d organization loads once warm", n)
	}
	// A change the authorizer is not told of is not seen (cached) …
	if err := e.orgs.AttachPolicy(e.ctx, mgmtAccount, e.perimeter.ID, e.member); err != nil {
		t.Fatal(err)
	}
	wantAllowed(t, "stale", e.assume(x, e.member, "shared"))
	// … and any committed change drops it, as for SCPs (here one of an
	// unrelated account's records).
	e.az.Invalidate(store.Change{Kind: "user", Account: e.peer, Name: "u", Op: "create"})
	if err := e.assume(x, e.member, "shared"); err == nil {
		t.Fatal("still allowed after invalidation")
	}
	// Flush too.
	e.detach(e.member)
	wantAllowed(t, "detached", e.assume(x, e.member, "shared"))
	if err := e.orgs.AttachPolicy(e.ctx, mgmtAccount, e.perimeter.ID, e.member); err != nil {
		t.Fatal(err)
	}
	wantAllowed(t, "stale again", e.assume(x, e.member, "shared"))
	e.az.Flush()
	if err := e.assume(x, e.member, "shared"); err == nil {
		t.Fatal("still allowed after flush")
	}
}

func TestRCPUnsignedRoleAssumption(t *testing.T) {
	e := newRCPEnv(t)
	trust := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::`+e.member+`:oidc-provider/idp.example.com"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, policy.Trust)
	wi := &policy.Principal{Type: policy.WebIdentity, Provider: "arn:aws:iam::" + e.member + ":oidc-provider/idp.example.com"}
	ask := func() error {
		return e.az.AuthorizeTrust(e.ctx, &authz.Trust{Principal: wi, RoleARN: "arn:aws:iam::" + e.member + ":role/web",
			RoleAccount: e.member, Policy: trust, Actions: []string{"sts:AssumeRoleWithWebIdentity"}})
	}
	wantAllowed(t, "web identity, no RCP", ask())
	e.attach(e.member)
	if err := ask(); err == nil || !strings.Contains(err.Error(), "resource control policy") {
		t.Fatalf("web identity under the perimeter: %v", err)
	}
}

// BenchmarkAuthorizeTrustWarmRCP is the AssumeRole trust decision of a
// member's principal on a role of another member under an RCP (the
// organization's standing cached for both accounts).
func BenchmarkAuthorizeTrustWarmRCP(b *testing.B) {
	e := newRCPEnv(b)
	e.attach(e.member)
	p := rootCaller(e.peer)
	if err := e.assume(p, e.member, "shared"); err != nil {
		b.Fatal(err)
	}
	trust := policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+e.peer+`:root"},"Action":"sts:AssumeRole"}]}`, policy.Trust)
	tr := &authz.Trust{Caller: p, RoleARN: "arn:aws:iam::" + e.member + ":role/shared", RoleAccount: e.member, Policy: trust, Actions: []string{"sts:AssumeRole"}}
	before := e.src.loads()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.az.AuthorizeTrust(e.ctx, tr); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := e.src.loads() - before; n != 0 {
		b.Fatalf("%d organization loads once warm", n)
	}
}
