package iam

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

const testAcct = "111111111111"

func newTestService(t testing.TB) *Service {
	t.Helper()
	kr, err := keyring.New(keyring.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	s := New(memory.New(), kr, nil)
	if _, err := s.CreateAccount(context.Background(), Account{ID: testAcct, Name: "t"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	e, ok := awserr.As(err)
	if !ok {
		t.Fatalf("want %s, got %v", code, err)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("want %s %q, got %s %q", code, msg, e.Code, e.Message)
	}
}

func TestEncodeDocument(t *testing.T) {
	for _, doc := range []string{
		`{"a": "b c+d%e/f~g_h.i-j"}`,
		"{\n\t\"x\": \"\u00e9\"\n}",
		"",
		`plain`,
	} {
		enc := EncodeDocument(doc)
		if strings.ContainsAny(enc, " +{}\"\n/") {
			t.Errorf("%q encoded to %q", doc, enc)
		}
		dec, err := url.QueryUnescape(enc)
		if err != nil || dec != doc {
			t.Errorf("%q round-trips to %q (%v)", doc, dec, err)
		}
		if pdec, err := url.PathUnescape(enc); err != nil || pdec != doc {
			t.Errorf("%q path-unescapes to %q", doc, pdec)
		}
	}
	if got := EncodeDocument(`{"Version":"2012-10-17"}`); got != "%7B%22Version%22%3A%222012-10-17%22%7D" {
		t.Fatalf("got %s", got)
	}
}

func TestAWSPrincipals(t *testing.T) {
	tests := []struct {
		doc  string
		want []string
	}{
		{`{"Statement":[{"Principal":{"AWS":"a"}}]}`, []string{"a"}},
		{`{"Statement":{"Principal":{"AWS":["a", "b"]}}}`, []string{"a", "b"}},
		{`{"Statement":[{"Principal":{"Service":"x","AWS":"a"},"Condition":{"StringEquals":{"AWS":"no"}}}]}`, []string{"a"}},
		{`{"Statement":[{"Principal":"*"}]}`, nil},
		{`{"Id":"AWS","Statement":[{"Sid":"AWS","Principal":{"AWS":"\u0061"}}]}`, []string{"a"}},
	}
	for _, tt := range tests {
		spans, err := awsPrincipals(tt.doc)
		if err != nil {
			t.Fatalf("%s: %v", tt.doc, err)
		}
		var got []string
		for _, sp := range spans {
			got = append(got, sp.Value)
			if tt.doc[sp.Start] != '"' || tt.doc[sp.End-1] != '"' {
				t.Errorf("%s: span %d..%d = %s", tt.doc, sp.Start, sp.End, tt.doc[sp.Start:sp.End])
			}
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: got %v want %v", tt.doc, got, tt.want)
		}
	}
}

func TestTrustCanonicalisation(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	u, err := s.CreateUser(ctx, testAcct, CreateUserInput{UserName: "alice", Path: "/p/"})
	if err != nil {
		t.Fatal(err)
	}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + u.ARN() + `", "111111111111"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalArn":"` + u.ARN() + `"}}}]}`
	r, err := s.CreateRole(ctx, testAcct, CreateRoleInput{RoleName: "r", AssumeRolePolicy: trust})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(r.TrustPolicy, u.ID) != 1 || !strings.Contains(r.TrustPolicy, `"aws:PrincipalArn":"`+u.ARN()) {
		t.Fatalf("stored %s", r.TrustPolicy)
	}
	if r.TrustDocument != trust {
		t.Fatalf("displayed %s", r.TrustDocument)
	}
	// The stored form parses and matches the user by unique id.
	p, err := policy.Parse(r.TrustPolicy, policy.Trust)
	if err != nil {
		t.Fatal(err)
	}
	req := &policy.Request{Principal: policy.Principal{Type: policy.User, Account: testAcct, ARN: u.ARN(), UniqueID: u.ID}, Action: "sts:AssumeRole", Resource: r.ARN(), Context: policy.NewContext()}
	req.Context.Set("aws:PrincipalArn", u.ARN())
	if res := policy.Evaluate(req, &policy.Set{Resource: p, Trust: true, Identity: []*policy.Policy{policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`, policy.Identity)}}); !res.Allowed() {
		t.Fatalf("stored trust does not match the user: %v", res.Decision)
	}

	for _, tt := range []struct{ principal, code string }{
		{"arn:aws:iam::111111111111:user/alice", "MalformedPolicyDocument"}, // wrong path
		{"arn:aws:iam::111111111111:user/p/ALICE", "MalformedPolicyDocument"},
		{"arn:aws:iam::111111111111:role/none", "MalformedPolicyDocument"},
		{"AIDAAAAAAAAAAAAAAAAAA", "MalformedPolicyDocument"},
		{"arn:aws:iam::111111111111:user/p/alice", ""},
		{"arn:aws:sts::111111111111:assumed-role/x/y", ""},
	} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + tt.principal + `"},"Action":"sts:AssumeRole"}]}`
		var err error
		s.store.View(ctx, func(r store.Reader) error {
			_, err = s.canonicalTrust(ctx, r, doc)
			return nil
		})
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.principal, err)
			}
			continue
		}
		wantCode(t, err, tt.code, `Invalid principal in policy: "AWS":"`+tt.principal+`"`)
	}
}

func TestRoleAndPolicyRules(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	tests := []struct {
		name string
		in   CreateRoleInput
		code string
	}{
		{"ok", CreateRoleInput{RoleName: "a", AssumeRolePolicy: trust}, ""},
		{"dup case", CreateRoleInput{RoleName: "A", AssumeRolePolicy: trust}, "EntityAlreadyExists"},
		{"bad name", CreateRoleInput{RoleName: "a b", AssumeRolePolicy: trust}, "ValidationError"},
		{"bad path", CreateRoleInput{RoleName: "b", Path: "x", AssumeRolePolicy: trust}, "ValidationError"},
		{"no doc", CreateRoleInput{RoleName: "b"}, "ValidationError"},
		{"session too long", CreateRoleInput{RoleName: "b", AssumeRolePolicy: trust, MaxSessionDuration: 43201, HasMaxSession: true}, "ValidationError"},
		{"identity doc", CreateRoleInput{RoleName: "b", AssumeRolePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`}, "MalformedPolicyDocument"},
		{"aws tag", CreateRoleInput{RoleName: "b", AssumeRolePolicy: trust, Tags: []Tag{{Key: "aws:x", Value: "y"}}}, "InvalidInput"},
		{"missing boundary", CreateRoleInput{RoleName: "b", AssumeRolePolicy: trust, PermissionsBoundary: "arn:aws:iam::111111111111:policy/none"}, "NoSuchEntity"},
		{"slr boundary", CreateRoleInput{RoleName: "b", AssumeRolePolicy: trust, PermissionsBoundary: "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"}, "PolicyNotAttachable"},
		{"aws boundary", CreateRoleInput{RoleName: "c", AssumeRolePolicy: trust, PermissionsBoundary: "arn:aws:iam::aws:policy/ReadOnlyAccess"}, ""},
	}
	for _, tt := range tests {
		_, err := s.CreateRole(ctx, testAcct, tt.in)
		if tt.code == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var pe *policy.ParseError
		if !awserr.HasCode(err, tt.code) && !(tt.code == "MalformedPolicyDocument" && errors.As(err, &pe)) {
			t.Errorf("%s: want %s, got %v", tt.name, tt.code, err)
		}
	}
	// A failed create leaves nothing behind.
	if _, err := s.GetRole(ctx, testAcct, "b"); !awserr.HasCode(err, "NoSuchEntity") {
		t.Fatalf("half-made role: %v", err)
	}
	// Boundary usage is counted and released on delete.
	mp, err := s.GetPolicy(ctx, testAcct, "arn:aws:iam::aws:policy/ReadOnlyAccess")
	if err != nil || mp.BoundaryCount != 1 {
		t.Fatalf("boundary count %v %v", mp, err)
	}
	if err := s.DeleteRole(ctx, testAcct, "c"); err != nil {
		t.Fatal(err)
	}
	if mp, _ = s.GetPolicy(ctx, testAcct, "arn:aws:iam::aws:policy/ReadOnlyAccess"); mp.BoundaryCount != 0 {
		t.Fatalf("boundary count after delete %d", mp.BoundaryCount)
	}

	// Inline aggregate quotas per entity type.
	for _, tt := range []struct {
		typ, name string
		max       int
	}{{EntityRole, "a", 10240}, {EntityUser, "u", 2048}, {EntityGroup, "g", 5120}} {
		switch tt.typ {
		case EntityUser:
			s.CreateUser(ctx, testAcct, CreateUserInput{UserName: tt.name})
		case EntityGroup:
			s.CreateGroup(ctx, testAcct, tt.name, "")
		}
		pad := func(n int) string {
			d := `{"Version":"2012-10-17","Statement":[{"Sid":"X","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
			return strings.Replace(d, `"X"`, `"`+strings.Repeat("x", n-policy.Size(d)+1)+`"`, 1)
		}
		if err := s.PutInlinePolicy(ctx, testAcct, tt.typ, tt.name, "p1", pad(tt.max-100)); err != nil {
			t.Fatalf("%s: %v", tt.typ, err)
		}
		err := s.PutInlinePolicy(ctx, testAcct, tt.typ, tt.name, "p2", pad(101))
		wantCode(t, err, "LimitExceeded", "Maximum policy size of "+itoa(tt.max)+" bytes exceeded for "+tt.typ+" "+tt.name)
		if err := s.PutInlinePolicy(ctx, testAcct, tt.typ, tt.name, "p2", pad(100)); err != nil {
			t.Fatalf("%s exactly at quota: %v", tt.typ, err)
		}
	}
}

func TestLoginProfilePasswords(t *testing.T) {
	ctx := context.Background()
	s := newTestService(t)
	s.CreateUser(ctx, testAcct, CreateUserInput{UserName: "bob"})
	for _, pw := range []string{"short1A", "alllowercase", "bob", ""} {
		if _, err := s.CreateLoginProfile(ctx, testAcct, "bob", pw, false); err == nil {
			t.Fatalf("password %q accepted", pw)
		}
	}
	if _, err := s.CreateLoginProfile(ctx, testAcct, "bob", "Tr0ub4dor&3", false); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		user, pw string
		ok       bool
	}{{"bob", "Tr0ub4dor&3", true}, {"BOB", "Tr0ub4dor&3", true}, {"bob", "tr0ub4dor&3", false}, {"nobody", "Tr0ub4dor&3", false}} {
		ok, err := s.CheckPassword(ctx, testAcct, tt.user, tt.pw)
		if err != nil || ok != tt.ok {
			t.Errorf("%s/%s: %v %v", tt.user, tt.pw, ok, err)
		}
	}
	lp, _ := s.GetLoginProfile(ctx, testAcct, "bob")
	if strings.Contains(string(lp.Hash), "Tr0ub4dor") {
		t.Fatal("password stored in clear")
	}
	wantCode(t, s.DeleteUser(ctx, testAcct, "bob"), "DeleteConflict", "Cannot delete entity, must delete login profile first.")
}
