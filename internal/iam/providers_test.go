package iam

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/saml/samltest"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/store/memory"
)

const provAcct = "111111111111"

func newProvSvc(t *testing.T) *Service {
	t.Helper()
	return New(memory.New(), keyring.Generate(), nil)
}

func errCode(err error) string {
	if e, ok := awserr.As(err); ok {
		return e.Code
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func TestCreateOIDCProviderValidation(t *testing.T) {
	tp := strings.Repeat("a", 40)
	for _, tc := range []struct {
		name string
		in   CreateOIDCProviderInput
		want string
	}{
		{"ok", CreateOIDCProviderInput{URL: "https://token.actions.githubusercontent.com", ClientIDs: []string{"sts.amazonaws.com"}}, ""},
		{"ok path and thumbprint", CreateOIDCProviderInput{URL: "https://oidc.eks.us-west-2.amazonaws.com/id/ABC", Thumbprints: []string{tp}}, ""},
		{"missing url", CreateOIDCProviderInput{}, "ValidationError"},
		{"http", CreateOIDCProviderInput{URL: "http://example.com"}, "InvalidInput"},
		{"port", CreateOIDCProviderInput{URL: "https://example.com:8443"}, "InvalidInput"},
		{"query", CreateOIDCProviderInput{URL: "https://example.com/?a=b"}, "InvalidInput"},
		{"no host", CreateOIDCProviderInput{URL: "https://"}, "InvalidInput"},
		{"long url", CreateOIDCProviderInput{URL: "https://" + strings.Repeat("a", 250)}, "ValidationError"},
		{"short thumbprint", CreateOIDCProviderInput{URL: "https://x.example.com", Thumbprints: []string{"abc"}}, "ValidationError"},
		{"non-hex thumbprint", CreateOIDCProviderInput{URL: "https://x.example.com", Thumbprints: []string{strings.Repeat("z", 40)}}, "InvalidInput"},
		{"six thumbprints", CreateOIDCProviderInput{URL: "https://x.example.com", Thumbprints: []string{tp, tp + "", strings.Repeat("b", 40), strings.Repeat("c", 40), strings.Repeat("d", 40), strings.Repeat("e", 40)}}, "InvalidInput"},
		{"empty client id", CreateOIDCProviderInput{URL: "https://x.example.com", ClientIDs: []string{""}}, "ValidationError"},
		{"aws tag", CreateOIDCProviderInput{URL: "https://x.example.com", Tags: []Tag{{Key: "aws:x", Value: "y"}}}, "InvalidInput"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newProvSvc(t)
			_, err := s.CreateOIDCProvider(context.Background(), provAcct, tc.in)
			if got := errCode(err); got != tc.want {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
		})
	}
}

func TestOIDCProviderLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newProvSvc(t)
	p, err := s.CreateOIDCProvider(ctx, provAcct, CreateOIDCProviderInput{URL: "https://auth.example.com/", ClientIDs: []string{"a", "a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:iam::111111111111:oidc-provider/auth.example.com/"
	if p.ARN() != arn || len(p.ClientIDs) != 2 {
		t.Fatalf("%s %v", p.ARN(), p.ClientIDs)
	}
	if _, err := s.CreateOIDCProvider(ctx, provAcct, CreateOIDCProviderInput{URL: "https://auth.example.com/"}); errCode(err) != "EntityAlreadyExists" ||
		err.Error() != "EntityAlreadyExists: Provider with url https://auth.example.com/ already exists." {
		t.Fatalf("duplicate: %v", err)
	}
	// Trailing-slash sensitivity: the issuer must match exactly.
	if _, ok, _ := s.OIDCProviderForIssuer(ctx, provAcct, "https://auth.example.com"); ok {
		t.Fatal("issuer without trailing slash matched")
	}
	if _, ok, _ := s.OIDCProviderForIssuer(ctx, provAcct, "https://auth.example.com/"); !ok {
		t.Fatal("exact issuer did not match")
	}
	if _, ok, _ := s.OIDCProviderForIssuer(ctx, "222222222222", "https://auth.example.com/"); ok {
		t.Fatal("other account matched")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.AddClientIDToOIDCProvider(ctx, provAcct, arn, "c"))
	must(s.RemoveClientIDFromOIDCProvider(ctx, provAcct, arn, "a"))
	must(s.UpdateOIDCProviderThumbprint(ctx, provAcct, arn, []string{strings.Repeat("F", 40)}))
	must(s.TagOIDCProvider(ctx, provAcct, arn, []Tag{{"team", "blue"}}))
	must(s.TagOIDCProvider(ctx, provAcct, arn, []Tag{{"TEAM", "red"}}))
	got, err := s.GetOIDCProvider(ctx, provAcct, arn)
	must(err)
	if strings.Join(got.ClientIDs, ",") != "b,c" || got.Thumbprints[0] != strings.Repeat("F", 40) || len(got.Tags) != 1 || got.Tags[0].Value != "red" {
		t.Fatalf("%+v", got)
	}
	must(s.UntagOIDCProvider(ctx, provAcct, arn, []string{"team"}))
	if err := s.SetOIDCProviderKeys(ctx, provAcct, arn, `{"keys":[]}`); errCode(err) != "InvalidInput" {
		t.Fatalf("empty JWKS accepted: %v", err)
	}
	must(s.DeleteOIDCProvider(ctx, provAcct, arn))
	if _, err := s.GetOIDCProvider(ctx, provAcct, arn); errCode(err) != "NoSuchEntity" ||
		!strings.Contains(err.Error(), "OpenIDConnect Provider not found for arn "+arn) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := s.GetOIDCProvider(ctx, provAcct, "arn:aws:iam::111111111111:user/x"); errCode(err) != "InvalidInput" {
		t.Fatalf("bad arn: %v", err)
	}
}

func TestSAMLProviderLifecycle(t *testing.T) {
	ctx := context.Background()
	s := newProvSvc(t)
	idp, err := samltest.New("https://idp.example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, pname, doc, want string
	}{
		{"bad name", "a b", idp.Metadata(), "ValidationError"},
		{"short metadata", "Okta", "<x/>", "ValidationError"},
		{"garbage metadata", "Okta", strings.Repeat("x", 1200), "InvalidInput"},
		{"ok", "Okta", idp.Metadata(), ""},
		{"duplicate", "okta", idp.Metadata(), "EntityAlreadyExists"},
	} {
		_, err := s.CreateSAMLProvider(ctx, provAcct, CreateSAMLProviderInput{Name: tc.pname, Metadata: tc.doc})
		if got := errCode(err); got != tc.want {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
	arn := "arn:aws:iam::111111111111:saml-provider/Okta"
	p, ok, err := s.SAMLProviderByARN(ctx, arn)
	if err != nil || !ok || len(p.Certificates()) != 1 || p.EntityID != "https://idp.example.com" {
		t.Fatalf("%v %v %+v", ok, err, p)
	}
	idp2, _ := samltest.New("https://idp.example.com", time.Now())
	if _, err := s.UpdateSAMLProvider(ctx, provAcct, arn, idp2.Metadata()); err != nil {
		t.Fatal(err)
	}
	p, _, _ = s.SAMLProviderByARN(ctx, arn)
	if !p.Certificates()[0].Equal(idp2.Cert) {
		t.Fatal("update did not replace the signing certificate")
	}
	if err := s.DeleteSAMLProvider(ctx, provAcct, arn); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSAMLProvider(ctx, provAcct, arn); errCode(err) != "NoSuchEntity" {
		t.Fatalf("after delete: %v", err)
	}
	if _, ok, _ := s.SAMLProviderByARN(ctx, arn); ok {
		t.Fatal("deleted provider found")
	}
}
