package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/saml/samltest"
	"github.com/hatrack/hatrack/store"
)

func ptr(s string) *string { return &s }

func errMsg(err error) string {
	if e, ok := awserr.As(err); ok {
		return e.Message
	}
	return ""
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if errCode(err) != code || (msg != "" && errMsg(err) != msg) {
		t.Fatalf("got %v, want %s %q", err, code, msg)
	}
}

func TestSAMLProviderPrivateKeys(t *testing.T) {
	ctx := context.Background()
	s := newProvSvc(t)
	idp, err := samltest.New("https://idp.example.com", s.now())
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := samltest.NewSPKey()
	k2, _ := samltest.NewSPKey()
	k3, _ := samltest.NewSPKey()
	md := idp.Metadata()

	// Create: Required needs a key; a bad key is refused without quoting it.
	_, err = s.CreateSAMLProvider(ctx, provAcct, CreateSAMLProviderInput{Name: "Okta", Metadata: md, AssertionEncryptionMode: ptr("Required")})
	wantErr(t, err, "InvalidInput", "Unable to set assertion encryption mode to Required because no private key is provided.")
	_, err = s.CreateSAMLProvider(ctx, provAcct, CreateSAMLProviderInput{Name: "Okta", Metadata: md, AssertionEncryptionMode: ptr("Sometimes")})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value 'Sometimes' at 'assertionEncryptionMode' failed to satisfy constraint: Member must satisfy enum value set: [Required, Allowed]")
	bad := strings.Replace(k1.PEM(), "MII", "XXX", 1)
	_, err = s.CreateSAMLProvider(ctx, provAcct, CreateSAMLProviderInput{Name: "Okta", Metadata: md, AddPrivateKey: &bad})
	wantErr(t, err, "InvalidInput", "Invalid private key.")
	huge := strings.Repeat("A", 16385)
	_, err = s.CreateSAMLProvider(ctx, provAcct, CreateSAMLProviderInput{Name: "Okta", Metadata: md, AddPrivateKey: &huge})
	wantErr(t, err, "ValidationError", "1 validation error detected: Value '*****' at 'addPrivateKey' failed to satisfy constraint: Member must have length less than or equal to 16384")
	if _, err := s.GetSAMLProvider(ctx, provAcct, "arn:aws:iam::"+provAcct+":saml-provider/Okta"); errCode(err) != "NoSuchEntity" {
		t.Fatalf("a refused create stored the provider: %v", err)
	}

	p, err := s.CreateSAMLProvider(ctx, provAcct, CreateSAMLProviderInput{Name: "Okta", Metadata: md,
		AssertionEncryptionMode: ptr("Required"), AddPrivateKey: ptr(k1.PEM())})
	if err != nil {
		t.Fatal(err)
	}
	arn := p.ARN()
	get := func() *SAMLProvider {
		t.Helper()
		p, err := s.GetSAMLProvider(ctx, provAcct, arn)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p = get()
	if p.EncryptionMode() != "Required" || len(p.PrivateKeys) != 1 {
		t.Fatalf("created %+v", p)
	}
	id1 := p.PrivateKeys[0].KeyID
	if len(id1) < 22 || len(id1) > 64 || !reSAMLKeyID.MatchString(id1) || p.PrivateKeys[0].Uploaded.IsZero() {
		t.Fatalf("key id %q", id1)
	}
	// The stored record holds the key sealed, never in the clear.
	assertNoPlainKey(t, s, k1)

	// The sealed key opens to the uploaded key, bound to this provider.
	dec, err := s.SAMLDecryption(p)
	if err != nil || !dec.Required || len(dec.Keys) != 1 || !dec.Keys[0].Equal(k1.Key) {
		t.Fatalf("decryption %v %+v", err, dec)
	}
	moved := *p
	moved.Name = "Other"
	if _, err := s.SAMLDecryption(&moved); err == nil {
		t.Fatal("a sealed key opened for another provider ARN")
	}

	upd := func(in UpdateSAMLProviderInput) error {
		in.ARN = arn
		_, err := s.UpdateSAMLProviderSettings(ctx, provAcct, in)
		return err
	}
	wantErr(t, upd(UpdateSAMLProviderInput{}), "InvalidInput", "Unable to update identity provider. No updates are defined for metadata or encryption assertion.")
	wantErr(t, upd(UpdateSAMLProviderInput{AddPrivateKey: ptr(k2.PEM()), RemovePrivateKey: ptr(id1)}), "InvalidInput",
		"Unable to add and remove private keys in the same request. Set a value for only one of the two parameters.")
	wantErr(t, upd(UpdateSAMLProviderInput{AddPrivateKey: ptr("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")}), "InvalidInput", "Invalid private key.")
	wantErr(t, upd(UpdateSAMLProviderInput{RemovePrivateKey: ptr("abc")}), "ValidationError", "")
	wantErr(t, upd(UpdateSAMLProviderInput{RemovePrivateKey: ptr(strings.Repeat("Z", 26))}), "InvalidInput",
		"Failed to remove private key because the Key ID does not match a private key.")
	// The only key of a Required provider cannot go.
	wantErr(t, upd(UpdateSAMLProviderInput{RemovePrivateKey: ptr(id1)}), "InvalidInput", "Failed to remove private key.")

	// Rotation: add a second key, a third is over the limit.
	if err := upd(UpdateSAMLProviderInput{AddPrivateKey: ptr(k2.PKCS1PEM())}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, upd(UpdateSAMLProviderInput{AddPrivateKey: ptr(k3.PEM())}), "LimitExceeded", "Private key limit of 2 is reached.")
	p = get()
	if len(p.PrivateKeys) != 2 || p.PrivateKeys[0].KeyID != id1 || p.PrivateKeys[1].KeyID == id1 {
		t.Fatalf("keys %+v", p.PrivateKeys)
	}
	id2 := p.PrivateKeys[1].KeyID
	if dec, err := s.SAMLDecryption(p); err != nil || len(dec.Keys) != 2 || !dec.Keys[1].Equal(k2.Key) {
		t.Fatalf("decryption %v", err)
	}
	assertNoPlainKey(t, s, k2)
	if err := upd(UpdateSAMLProviderInput{RemovePrivateKey: ptr(id1)}); err != nil {
		t.Fatal(err)
	}
	if p = get(); len(p.PrivateKeys) != 1 || p.PrivateKeys[0].KeyID != id2 || !p.EncryptionRequired {
		t.Fatalf("after removal %+v", p.PrivateKeys)
	}

	// Allowed, then the last key can go; Required is then refused.
	if err := upd(UpdateSAMLProviderInput{AssertionEncryptionMode: ptr("Allowed")}); err != nil {
		t.Fatal(err)
	}
	if err := upd(UpdateSAMLProviderInput{RemovePrivateKey: ptr(id2)}); err != nil {
		t.Fatal(err)
	}
	if p = get(); len(p.PrivateKeys) != 0 || p.EncryptionMode() != "Allowed" {
		t.Fatalf("%+v", p)
	}
	wantErr(t, upd(UpdateSAMLProviderInput{AssertionEncryptionMode: ptr("Required")}), "InvalidInput",
		"Unable to set assertion encryption mode to Required because no private key is provided.")
	// Key and mode in one request.
	if err := upd(UpdateSAMLProviderInput{AssertionEncryptionMode: ptr("Required"), AddPrivateKey: ptr(k3.PEM())}); err != nil {
		t.Fatal(err)
	}
	if p = get(); !p.EncryptionRequired || len(p.PrivateKeys) != 1 {
		t.Fatalf("%+v", p)
	}
	// Metadata alone keeps the keys and mode.
	if _, err := s.UpdateSAMLProvider(ctx, provAcct, arn, md); err != nil {
		t.Fatal(err)
	}
	if p = get(); !p.EncryptionRequired || len(p.PrivateKeys) != 1 {
		t.Fatalf("metadata update lost settings %+v", p)
	}
	// Unknown provider.
	_, err = s.UpdateSAMLProviderSettings(ctx, provAcct, UpdateSAMLProviderInput{ARN: "arn:aws:iam::" + provAcct + ":saml-provider/Nope", AssertionEncryptionMode: ptr("Allowed")})
	wantErr(t, err, "NoSuchEntity", "Manifest not found for arn arn:aws:iam::"+provAcct+":saml-provider/Nope")
}

// assertNoPlainKey fails when any stored SAML provider record holds k's
// private key material (PEM or DER) in the clear.
func assertNoPlainKey(t *testing.T, s *Service, k *samltest.SPKey) {
	t.Helper()
	ps, err := listAll[SAMLProvider](context.Background(), s.store, store.Filter{Kind: KindSAMLProvider, Account: provAcct})
	if err != nil {
		t.Fatal(err)
	}
	der := k.Key.D.Bytes()
	for _, p := range ps {
		raw, _ := json.Marshal(p)
		if bytes.Contains(raw, []byte("PRIVATE KEY")) || bytes.Contains(raw, der[:16]) {
			t.Fatal("a private key is stored in the clear")
		}
		for _, pk := range p.PrivateKeys {
			if bytes.Contains(pk.Sealed, der[:16]) {
				t.Fatal("a private key is stored in the clear")
			}
		}
	}
}
