package sts_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/internal/sts"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/internal/totp"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

const (
	acctA      = "111111111111"
	acctB      = "222222222222"
	deployment = "dep-test"
)

// fakeSource is an authz.Source over maps (the IAM domain's own Source is
// tested with IAM).
type fakeSource struct {
	mu      sync.Mutex
	users   map[string][]*policy.Policy
	roles   map[string][]*policy.Policy
	managed map[string]*policy.Policy
}

func (f *fakeSource) UserPolicies(ctx context.Context, account, id string) ([]*policy.Policy, *policy.Policy, map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.users[id], nil, nil, nil
}
func (f *fakeSource) RolePolicies(ctx context.Context, account, id string) ([]*policy.Policy, *policy.Policy, map[string]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.roles[id], nil, nil, nil
}
func (f *fakeSource) ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.managed[arn]; p != nil {
		return p, nil
	}
	return nil, awserr.NoSuchEntity("Policy %s does not exist or is not attachable.", arn)
}
func (f *fakeSource) SCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	return nil, nil
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	t   *testing.T
	st  store.Store
	kr  *keyring.Keyring
	clk *clock
	iam *iam.Service
	src *fakeSource
	az  *authz.Authorizer
	sts *sts.Service
	res *authn.Resolver
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, st: memory.New(), kr: keyring.Generate(), clk: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}}
	e.iam = iam.New(e.st, e.kr, e.clk.Now)
	e.src = &fakeSource{users: map[string][]*policy.Policy{}, roles: map[string][]*policy.Policy{}, managed: map[string]*policy.Policy{}}
	e.az = authz.New(e.src)
	e.sts = sts.New(sts.Config{IAM: e.iam, Authz: e.az, Keyring: e.kr, Deployment: deployment, Now: e.clk.Now})
	e.res = authn.NewResolver(e.iam, e.kr, deployment, e.clk.Now)
	return e
}

func mustPolicy(t *testing.T, doc string, k policy.Kind) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc, k)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

func allow(t *testing.T, action, resource string) *policy.Policy {
	return mustPolicy(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"`+action+`","Resource":"`+resource+`"}]}`, policy.Identity)
}

// user creates a user and returns it as a long-term caller.
func (e *env) user(account, name string) *authn.Caller {
	e.t.Helper()
	u, err := e.iam.CreateUser(context.Background(), account, iam.CreateUserInput{UserName: name})
	if err != nil {
		e.t.Fatal(err)
	}
	return &authn.Caller{Type: authn.TypeUser, Account: account, ARN: u.ARN(), PrincipalARN: u.ARN(), UserID: u.ID, UniqueID: u.ID, UserName: u.Name}
}

// role stores a role record directly (as IAM's CreateRole does).
func (e *env) role(account, name, trust string, maxDur int, tags ...iam.Tag) *iam.Role {
	e.t.Helper()
	r := &iam.Role{Account: account, Path: "/", Name: name, ID: ids.NewUniqueID("AROA"), Created: e.clk.Now(), TrustPolicy: trust, MaxSessionDuration: maxDur, Tags: tags}
	data, _ := json.Marshal(r)
	err := e.st.Update(context.Background(), func(tx store.Tx) error {
		return tx.Put(context.Background(), store.Record{Kind: iam.KindRole, Account: account, Name: name, ID: r.ID, Data: data})
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.sts.Flush()
	return r
}

// session turns issued credentials into the caller they prove.
func (e *env) session(c sts.Credentials) *authn.Caller {
	e.t.Helper()
	cred, err := e.res.Resolve(context.Background(), c.AccessKeyID, c.SessionToken)
	if err != nil {
		e.t.Fatal(err)
	}
	return cred.Caller
}

func trustDoc(principal string, extra string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"sts:AssumeRole"` + extra + `}]}`
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var gotCode, gotMsg string
	var se *sigv4.Error
	var pe *policy.ParseError
	if e, ok := awserr.As(err); ok {
		gotCode, gotMsg = e.Code, e.Message
	} else if errors.As(err, &se) {
		gotCode, gotMsg = se.Code, se.Message
	} else if errors.As(err, &pe) {
		gotCode, gotMsg = pe.Code(), pe.Error()
	} else {
		t.Fatalf("want %s %q, got %v", code, msg, err)
	}
	if gotCode != code || (msg != "" && gotMsg != msg) {
		t.Fatalf("want %s %q, got %s %q", code, msg, gotCode, gotMsg)
	}
}

func assume(e *env, c *authn.Caller, in sts.AssumeRoleInput) (*sts.AssumeRoleOutput, error) {
	if in.RoleSessionName == "" {
		in.RoleSessionName = "s1"
	}
	return e.sts.AssumeRole(context.Background(), c, &in, sts.RequestInfo{SourceIP: "127.0.0.1", Time: e.clk.Now()})
}

func denied(c *authn.Caller, action, role string) string {
	return "User: " + c.ARN + " is not authorized to perform: " + action + " on resource: " + role
}

func TestAssumeRoleTrustDecision(t *testing.T) {
	e := newEnv(t)
	omkar := e.user(acctA, "omkar")
	other := e.user(acctA, "other")
	bob := e.user(acctB, "bob")
	direct := e.role(acctA, "Direct", trustDoc(omkar.UniqueID, ""), 3600)
	acctRole := e.role(acctA, "AccountTrust", trustDoc("arn:aws:iam::"+acctA+":root", ""), 3600)
	cross := e.role(acctA, "Cross", trustDoc(bob.UniqueID, ""), 3600)
	empty := e.role(acctA, "Nobody", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}`, 3600)
	_ = empty
	missing := "arn:aws:iam::" + acctA + ":role/DoesNotExist"

	out, err := assume(e, omkar, sts.AssumeRoleInput{RoleArn: direct.ARN(), RoleSessionName: "omkar-session"})
	if err != nil {
		t.Fatalf("direct trust: %v", err)
	}
	if got, want := out.AssumedRoleUser.Arn, "arn:aws:sts::"+acctA+":assumed-role/Direct/omkar-session"; got != want {
		t.Fatalf("Arn %s want %s", got, want)
	}
	if out.AssumedRoleUser.AssumedRoleId != direct.ID+":omkar-session" {
		t.Fatalf("AssumedRoleId %s", out.AssumedRoleUser.AssumedRoleId)
	}
	if !strings.HasPrefix(out.Credentials.AccessKeyID, "ASIA") || len(out.Credentials.SecretAccessKey) != 40 {
		t.Fatalf("credentials %+v", out.Credentials)
	}
	if d := out.Credentials.Expiration.Sub(e.clk.Now()); d != time.Hour {
		t.Fatalf("default duration %v", d)
	}
	if out.PackedPolicySize != nil {
		t.Fatalf("PackedPolicySize present without policies or tags")
	}
	sess := e.session(out.Credentials)
	if sess.ARN != out.AssumedRoleUser.Arn || sess.PrincipalARN != direct.ARN() || sess.UserID != out.AssumedRoleUser.AssumedRoleId {
		t.Fatalf("session caller %+v", sess)
	}

	cases := []struct {
		name   string
		caller *authn.Caller
		role   string
		setup  func()
		code   string
		msg    string
	}{
		{"untrusted user", other, direct.ARN(), nil, "AccessDenied", denied(other, "sts:AssumeRole", direct.ARN())},
		{"missing role same message", other, missing, nil, "AccessDenied", denied(other, "sts:AssumeRole", missing)},
		{"account trust without identity allow", omkar, acctRole.ARN(), nil, "AccessDenied", denied(omkar, "sts:AssumeRole", acctRole.ARN())},
		{"account trust with identity allow", omkar, acctRole.ARN(), func() { e.src.users[omkar.UniqueID] = []*policy.Policy{allow(t, "sts:AssumeRole", acctRole.ARN())} }, "", ""},
		{"cross-account without identity allow", bob, cross.ARN(), nil, "AccessDenied", denied(bob, "sts:AssumeRole", cross.ARN())},
		{"cross-account with identity allow", bob, cross.ARN(), func() { e.src.users[bob.UniqueID] = []*policy.Policy{allow(t, "sts:AssumeRole", cross.ARN())} }, "", ""},
		{"cross-account identity allow but not trusted", bob, acctRole.ARN(), func() { e.src.users[bob.UniqueID] = []*policy.Policy{allow(t, "sts:AssumeRole", "*")} }, "AccessDenied", denied(bob, "sts:AssumeRole", acctRole.ARN())},
		{"empty principal trusts nobody", omkar, empty.ARN(), func() { e.src.users[omkar.UniqueID] = []*policy.Policy{allow(t, "sts:AssumeRole", "*")} }, "AccessDenied", denied(omkar, "sts:AssumeRole", empty.ARN())},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
				e.az.Flush()
			}
			_, err := assume(e, tc.caller, sts.AssumeRoleInput{RoleArn: tc.role})
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, tc.msg)
		})
	}

	root := &authn.Caller{Type: authn.TypeRoot, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root", PrincipalARN: "arn:aws:iam::" + acctA + ":root", UserID: acctA, UniqueID: acctA}
	_, err = assume(e, root, sts.AssumeRoleInput{RoleArn: acctRole.ARN()})
	wantErr(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")
}

func TestAssumeRoleDurationsAndChaining(t *testing.T) {
	e := newEnv(t)
	u := e.user(acctA, "u1")
	r1 := e.role(acctA, "R1", trustDoc(u.UniqueID, ""), 43200)
	r2 := e.role(acctA, "R2", trustDoc("arn:aws:iam::"+acctA+":root", ""), 43200)
	e.src.roles[r1.ID] = []*policy.Policy{allow(t, "sts:AssumeRole", r2.ARN())}

	for _, tc := range []struct {
		dur  int64
		code string
		msg  string
	}{
		{899, "ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{43201, "ValidationError", "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{900, "", ""},
		{43200, "", ""},
	} {
		out, err := assume(e, u, sts.AssumeRoleInput{RoleArn: r1.ARN(), DurationSeconds: tc.dur, DurationSet: true})
		if tc.code != "" {
			wantErr(t, err, tc.code, tc.msg)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if d := out.Credentials.Expiration.Sub(e.clk.Now()); d != time.Duration(tc.dur)*time.Second {
			t.Fatalf("duration %v want %d s", d, tc.dur)
		}
	}
	short := e.role(acctA, "Short", trustDoc(u.UniqueID, ""), 3600)
	_, err := assume(e, u, sts.AssumeRoleInput{RoleArn: short.ARN(), DurationSeconds: 3601, DurationSet: true})
	wantErr(t, err, "ValidationError", sts.MsgExceedsMax)

	out, err := assume(e, u, sts.AssumeRoleInput{RoleArn: r1.ARN()})
	if err != nil {
		t.Fatal(err)
	}
	s1 := e.session(out.Credentials)
	// Chained: at most one hour whatever R2's maximum.
	_, err = assume(e, s1, sts.AssumeRoleInput{RoleArn: r2.ARN(), DurationSeconds: 7200, DurationSet: true})
	wantErr(t, err, "ValidationError", sts.MsgExceedsChaining)
	out2, err := assume(e, s1, sts.AssumeRoleInput{RoleArn: r2.ARN(), DurationSeconds: 3600, DurationSet: true})
	if err != nil {
		t.Fatal(err)
	}
	s2 := e.session(out2.Credentials)
	if !s2.Session.Chained || s2.Session.SourceARN != s1.ARN {
		t.Fatalf("chained session claims %+v", s2.Session)
	}
	// No implicit self-trust: R2's session cannot assume R2 without an
	// identity allow, even though R2 trusts its account.
	_, err = assume(e, s2, sts.AssumeRoleInput{RoleArn: r2.ARN()})
	wantErr(t, err, "AccessDenied", denied(s2, "sts:AssumeRole", r2.ARN()))

	// A role session may not get session tokens or federation tokens.
	_, err = e.sts.GetSessionToken(context.Background(), s1, &sts.GetSessionTokenInput{})
	wantErr(t, err, "AccessDenied", "Cannot call GetSessionToken with session credentials")

	// Expiry: the resolver refuses the session after Expiration.
	e.clk.Add(time.Hour)
	_, err = e.res.Resolve(context.Background(), out.Credentials.AccessKeyID, out.Credentials.SessionToken)
	wantErr(t, err, "ExpiredToken", "The security token included in the request is expired")
	// A token of another deployment is invalid.
	other := authn.NewResolver(e.iam, keyring.Generate(), deployment, e.clk.Now)
	_, err = other.Resolve(context.Background(), out2.Credentials.AccessKeyID, out2.Credentials.SessionToken)
	wantErr(t, err, "InvalidClientTokenId", "The security token included in the request is invalid.")
}

func TestAssumeRoleConditionsExternalIdTagsSourceIdentity(t *testing.T) {
	e := newEnv(t)
	u := e.user(acctA, "u1")
	ext := e.role(acctA, "ThirdParty", trustDoc(u.UniqueID, `,"Condition":{"StringEquals":{"sts:ExternalId":"abc-123"}}`), 3600)
	tagged := e.role(acctA, "Tagged", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+u.UniqueID+`"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`, 3600)
	plain := e.role(acctA, "Plain", trustDoc(u.UniqueID, ""), 3600)

	_, err := assume(e, u, sts.AssumeRoleInput{RoleArn: ext.ARN()})
	wantErr(t, err, "AccessDenied", denied(u, "sts:AssumeRole", ext.ARN()))
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: ext.ARN(), ExternalID: "wrong-1", ExternalIDSet: true})
	wantErr(t, err, "AccessDenied", denied(u, "sts:AssumeRole", ext.ARN()))
	if _, err = assume(e, u, sts.AssumeRoleInput{RoleArn: ext.ARN(), ExternalID: "abc-123", ExternalIDSet: true}); err != nil {
		t.Fatal(err)
	}
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: ext.ARN(), ExternalID: "a b", ExternalIDSet: true})
	wantErr(t, err, "ValidationError", `1 validation error detected: Value 'a b' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:\/-]*`)
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: plain.ARN(), RoleSessionName: "bad name"})
	wantErr(t, err, "ValidationError", `1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`)

	// Tags need sts:TagSession in the trust policy.
	tags := []token.Tag{{Key: "Project", Value: "blue"}, {Key: "Team", Value: "core"}}
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: plain.ARN(), Tags: tags})
	wantErr(t, err, "AccessDenied", denied(u, "sts:TagSession", plain.ARN()))
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: plain.ARN(), SourceIdentity: "alice", SourceIdentitySet: true})
	wantErr(t, err, "AccessDenied", denied(u, "sts:SetSourceIdentity", plain.ARN()))
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: tagged.ARN(), Tags: []token.Tag{{Key: "a", Value: "1"}, {Key: "A", Value: "2"}}})
	wantErr(t, err, "InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")

	out, err := assume(e, u, sts.AssumeRoleInput{RoleArn: tagged.ARN(), Tags: tags, TransitiveTagKeys: []string{"Project"}, SourceIdentity: "alice", SourceIdentitySet: true})
	if err != nil {
		t.Fatal(err)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 || out.SourceIdentity != "alice" {
		t.Fatalf("packed %v source identity %q", out.PackedPolicySize, out.SourceIdentity)
	}
	s := e.session(out.Credentials)
	// Chain: the transitive tag and source identity follow; re-passing the
	// transitive key conflicts; changing the source identity fails.
	e.src.roles[tagged.ID] = []*policy.Policy{allow(t, "sts:*", "*")}
	e.az.Flush()
	tagged2 := e.role(acctA, "Tagged2", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:role/Tagged"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"aws:RequestTag/x":"y"}}},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::`+acctA+`:role/Tagged"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"aws:SourceIdentity":"alice","aws:PrincipalTag/Project":"blue"}}}]}`, 3600)
	out2, err := assume(e, s, sts.AssumeRoleInput{RoleArn: tagged2.ARN()})
	if err != nil {
		t.Fatal(err)
	}
	s2 := e.session(out2.Credentials)
	if s2.Session.SourceIdentity != "alice" || len(s2.Session.Tags) != 1 || s2.Session.Tags[0].Key != "Project" || len(s2.Session.TransitiveTagKeys) != 1 {
		t.Fatalf("chained claims %+v", s2.Session)
	}
	_, err = assume(e, s, sts.AssumeRoleInput{RoleArn: tagged2.ARN(), Tags: []token.Tag{{Key: "project", Value: "red"}}})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = assume(e, s, sts.AssumeRoleInput{RoleArn: tagged2.ARN(), SourceIdentity: "mallory", SourceIdentitySet: true})
	wantErr(t, err, "AccessDenied", "")
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: tagged.ARN(), SourceIdentity: "aws:me", SourceIdentitySet: true})
	wantErr(t, err, "ValidationError", "")
}

func TestAssumeRoleSessionPolicies(t *testing.T) {
	e := newEnv(t)
	u := e.user(acctA, "u1")
	r := e.role(acctA, "R", trustDoc(u.UniqueID, ""), 3600)
	e.src.roles[r.ID] = []*policy.Policy{allow(t, "s3:*", "*")}
	mpARN := "arn:aws:iam::" + acctA + ":policy/OnlyGet"
	e.src.managed[mpARN] = allow(t, "s3:GetObject", "*")

	long := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + strings.Repeat("a", 2048) + `"}]}`
	_, err := assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), Policy: long, PolicySet: true})
	wantErr(t, err, "ValidationError", "")
	if !strings.Contains(err.Error(), "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048") {
		t.Fatal(err)
	}
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`, PolicySet: true})
	wantErr(t, err, "MalformedPolicyDocument", "")
	arns := make([]string, 11)
	for i := range arns {
		arns[i] = mpARN
	}
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), PolicyArns: arns})
	wantErr(t, err, "ValidationError", "")
	manyTags := make([]token.Tag, 50)
	for i := range manyTags {
		manyTags[i] = token.Tag{Key: strings.Repeat("k", 120) + string(rune('A'+i%26)) + string(rune('a'+i/26)), Value: strings.Repeat("v", 256)}
	}
	tagRole := e.role(acctA, "TagRole", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+u.UniqueID+`"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, 3600)
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: tagRole.ARN(), Tags: manyTags})
	wantErr(t, err, "PackedPolicyTooLarge", "")

	for _, tc := range []struct {
		name   string
		in     sts.AssumeRoleInput
		action string
		allow  bool
	}{
		{"no session policy: role's permissions", sts.AssumeRoleInput{}, "s3:PutObject", true},
		{"inline narrows", sts.AssumeRoleInput{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, PolicySet: true}, "s3:PutObject", false},
		{"inline allows within", sts.AssumeRoleInput{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, PolicySet: true}, "s3:GetObject", true},
		{"inline never widens", sts.AssumeRoleInput{Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, PolicySet: true}, "iam:ListRoles", false},
		{"managed narrows", sts.AssumeRoleInput{PolicyArns: []string{mpARN}}, "s3:PutObject", false},
		{"managed allows within", sts.AssumeRoleInput{PolicyArns: []string{mpARN}}, "s3:GetObject", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.RoleArn = r.ARN()
			out, err := assume(e, u, in)
			if err != nil {
				t.Fatal(err)
			}
			c := e.session(out.Credentials)
			err = e.az.Authorize(context.Background(), &authz.Request{Caller: c, Action: tc.action, Resource: "arn:aws:s3:::b/k", Time: e.clk.Now()})
			if tc.allow != (err == nil) {
				t.Fatalf("allow=%v err=%v", tc.allow, err)
			}
		})
	}
}

func TestMFA(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(acctA, "mfauser")
	other := e.user(acctA, "other")
	r := e.role(acctA, "NeedsMFA", trustDoc(u.UniqueID, `,"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 3600)

	d, boot, err := e.iam.CreateVirtualMFADevice(ctx, acctA, "mfauser", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := totp.DecodeSecret(boot.Base32StringSeed)
	if err != nil {
		t.Fatal(err)
	}
	step := totp.Step(e.clk.Now())
	if err := e.iam.EnableMFADevice(ctx, acctA, "mfauser", d.Serial, "000000", "111111"); !awserr.HasCode(err, "InvalidAuthenticationCode") {
		t.Fatalf("wrong codes: %v", err)
	}
	if err := e.iam.EnableMFADevice(ctx, acctA, "mfauser", d.Serial, totp.GenerateStep(seed, step-1), totp.GenerateStep(seed, step)); err != nil {
		t.Fatal(err)
	}
	if err := e.iam.DeleteUser(ctx, acctA, "mfauser"); !awserr.HasCode(err, "DeleteConflict") {
		t.Fatalf("DeleteUser with MFA: %v", err)
	}

	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN()})
	wantErr(t, err, "AccessDenied", denied(u, "sts:AssumeRole", r.ARN()))
	// The enabling code cannot be reused.
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), SerialNumber: d.Serial, TokenCode: totp.GenerateStep(seed, step)})
	wantErr(t, err, "AccessDenied", sts.MsgMFAInvalid)
	e.clk.Add(30 * time.Second)
	code := totp.Generate(seed, e.clk.Now())
	_, err = assume(e, other, sts.AssumeRoleInput{RoleArn: r.ARN(), SerialNumber: d.Serial, TokenCode: code})
	wantErr(t, err, "AccessDenied", sts.MsgMFAInvalid)
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), SerialNumber: d.Serial})
	wantErr(t, err, "AccessDenied", sts.MsgMFAPair)
	out, err := assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), SerialNumber: d.Serial, TokenCode: code})
	if err != nil {
		t.Fatal(err)
	}
	if s := e.session(out.Credentials); !s.Session.MFAAuthenticated {
		t.Fatal("session without MFA flag")
	}
	_, err = assume(e, u, sts.AssumeRoleInput{RoleArn: r.ARN(), SerialNumber: d.Serial, TokenCode: code})
	wantErr(t, err, "AccessDenied", sts.MsgMFAInvalid)

	// GetSessionToken with MFA: IAM open; without: IAM refused.
	e.clk.Add(30 * time.Second)
	st, err := e.sts.GetSessionToken(ctx, u, &sts.GetSessionTokenInput{SerialNumber: d.Serial, TokenCode: totp.Generate(seed, e.clk.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Expiration.Sub(e.clk.Now()); got != 12*time.Hour {
		t.Fatalf("default GetSessionToken duration %v", got)
	}
	withMFA := e.session(*st)
	if err := authz.Restrict(withMFA, "iam:ListUsers"); err != nil {
		t.Fatal(err)
	}
	st2, err := e.sts.GetSessionToken(ctx, u, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, authz.Restrict(e.session(*st2), "iam:ListUsers"), "InvalidClientTokenId", "The security token included in the request is invalid.")

	if err := e.iam.DeactivateMFADevice(ctx, acctA, "mfauser", d.Serial); err != nil {
		t.Fatal(err)
	}
	if err := e.iam.DeleteVirtualMFADevice(ctx, acctA, d.Serial); err != nil {
		t.Fatal(err)
	}
	if err := e.iam.DeleteUser(ctx, acctA, "mfauser"); err != nil {
		t.Fatal(err)
	}
}

func TestGetFederationTokenAndRestrictions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.user(acctA, "fed")
	e.src.users[u.UniqueID] = []*policy.Policy{allow(t, "s3:*", "*")}
	root := &authn.Caller{Type: authn.TypeRoot, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root", PrincipalARN: "arn:aws:iam::" + acctA + ":root", UserID: acctA, UniqueID: acctA}

	st, err := e.sts.GetSessionToken(ctx, root, &sts.GetSessionTokenInput{DurationSeconds: 7200, DurationSet: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Expiration.Sub(e.clk.Now()); got != time.Hour {
		t.Fatalf("root GetSessionToken capped to %v", got)
	}

	none, err := e.sts.GetFederationToken(ctx, u, &sts.GetFederationTokenInput{Name: "fed-none"})
	if err != nil {
		t.Fatal(err)
	}
	if none.FederatedUser.Arn != "arn:aws:sts::"+acctA+":federated-user/fed-none" || none.FederatedUser.FederatedUserId != acctA+":fed-none" {
		t.Fatalf("federated user %+v", none.FederatedUser)
	}
	fc := e.session(none.Credentials)
	if err := e.az.Authorize(ctx, &authz.Request{Caller: fc, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}); err == nil {
		t.Fatal("federated user without session policy has permissions")
	}
	some, err := e.sts.GetFederationToken(ctx, u, &sts.GetFederationTokenInput{Name: "fed-some", Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","ec2:*"],"Resource":"*"}]}`, PolicySet: true})
	if err != nil {
		t.Fatal(err)
	}
	fc2 := e.session(some.Credentials)
	for action, want := range map[string]bool{"s3:GetObject": true, "s3:PutObject": false, "ec2:RunInstances": false} {
		err := e.az.Authorize(ctx, &authz.Request{Caller: fc2, Action: action, Resource: "*"})
		if want != (err == nil) {
			t.Errorf("%s: want allowed=%v, got %v", action, want, err)
		}
	}
	for _, tc := range []struct {
		caller *authn.Caller
		action string
		code   string
	}{
		{fc2, "iam:ListUsers", "InvalidClientTokenId"},
		{fc2, "sts:AssumeRole", "AccessDenied"},
		{fc2, "sts:GetCallerIdentity", ""},
		{e.session(*st), "sts:GetFederationToken", "AccessDenied"},
		{e.session(*st), "sts:AssumeRole", ""},
		{e.session(*st), "iam:ListUsers", "InvalidClientTokenId"},
		{u, "iam:ListUsers", ""},
	} {
		err := authz.Restrict(tc.caller, tc.action)
		if tc.code == "" && err != nil || tc.code != "" && !awserr.HasCode(err, tc.code) {
			t.Errorf("%s by %s: want %q, got %v", tc.action, tc.caller.ARN, tc.code, err)
		}
	}
	_, err = e.sts.GetFederationToken(ctx, u, &sts.GetFederationTokenInput{Name: "x"})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2")
}

func TestDecodeAuthorizationMessage(t *testing.T) {
	e := newEnv(t)
	u := e.user(acctA, "dec")
	msg := sts.NewAuthorizationMessage(u, "ec2:RunInstances", "*", false, false, map[string][]string{"aws:Region": {"us-east-1"}})
	enc, err := e.sts.EncodeAuthorizationMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := e.sts.DecodeAuthorizationMessage(context.Background(), u, enc)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(dec), &m); err != nil || m["allowed"] != false {
		t.Fatalf("decoded %s (%v)", dec, err)
	}
	for _, bad := range []string{"garbage", enc[:len(enc)-2] + "AA", enc + "\n"} {
		_, err = e.sts.DecodeAuthorizationMessage(context.Background(), u, bad)
		wantErr(t, err, "InvalidAuthorizationMessageException", "")
	}
}
