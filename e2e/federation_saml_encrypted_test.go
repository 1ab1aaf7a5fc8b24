package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hatrack/hatrack/internal/federation/saml/samltest"
)

// Encrypted SAML assertions: a provider with the SP's private key and
// AssertionEncryptionMode Required, key rotation, and no key material in
// any answer, log, audit record or stored file.
func TestFedSAMLEncrypted(t *testing.T) {
	auditLog := filepath.Join(t.TempDir(), "audit.jsonl")
	s := StartServerArgs(t, []string{"--audit-log", auditLog})
	ctx := context.Background()
	idp, err := samltest.New("https://idp.example.com/saml/metadata", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	k1, err := samltest.NewSPKey()
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := samltest.NewSPKey()
	k3, _ := samltest.NewSPKey()
	c := iamClient(s, rootCreds)

	// Required without a key is refused; a bad key is refused.
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Enc"), SAMLMetadataDocument: aws.String(idp.Metadata()),
		AssertionEncryptionMode: "Required"})
	apiErrExact(t, err, "InvalidInput", 400, "Unable to set assertion encryption mode to Required because no private key is provided.")
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Enc"), SAMLMetadataDocument: aws.String(idp.Metadata()),
		AddPrivateKey: aws.String("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")})
	apiErrExact(t, err, "InvalidInput", 400, "Invalid private key.")

	p := must(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Enc"), SAMLMetadataDocument: aws.String(idp.Metadata()),
		AssertionEncryptionMode: "Required", AddPrivateKey: aws.String(k1.PEM())}))
	provARN := aws.ToString(p.SAMLProviderArn)
	getKeys := func() (string, []string) {
		t.Helper()
		g := must(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(provARN)}))
		var ids []string
		for _, k := range g.PrivateKeyList {
			if k.Timestamp == nil || time.Since(*k.Timestamp) > time.Hour {
				t.Fatalf("key timestamp %v", k.Timestamp)
			}
			ids = append(ids, aws.ToString(k.KeyId))
		}
		return string(g.AssertionEncryptionMode), ids
	}
	mode, ids := getKeys()
	if mode != "Required" || len(ids) != 1 || len(ids[0]) < 22 {
		t.Fatalf("GetSAMLProvider: mode %q keys %v", mode, ids)
	}
	id1 := ids[0]

	role := newRole(t, s, rootCreds, "EncSAMLRole", samlTrust(provARN), 0)
	roleARN := aws.ToString(role.Arn)
	anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1})
	attrs := []samltest.Attr{samltest.RoleAttr(roleARN + "," + provARN), samltest.SessionNameAttr("erin@example.com")}
	assume := func(o samltest.Options) (*sts.AssumeRoleWithSAMLOutput, error) {
		t.Helper()
		o.NameID, o.Attributes = "erin", attrs
		x, err := idp.Response(o)
		if err != nil {
			t.Fatal(err)
		}
		return anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
			PrincipalArn: aws.String(provARN), SAMLAssertion: aws.String(samltest.Encode(x))})
	}
	ok := func(what string, o samltest.Options) {
		t.Helper()
		out, err := assume(o)
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, s.Logs())
		}
		if aws.ToString(out.Subject) != "erin" ||
			aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountA+":assumed-role/EncSAMLRole/erin@example.com" {
			t.Fatalf("%s: answer %+v", what, out)
		}
	}

	ok("encrypted, signed response", samltest.Options{SignResponse: true, EncryptFor: k1.Cert})
	ok("encrypted, signed assertion, AES-128-GCM", samltest.Options{SignAssertion: true, EncryptFor: k1.Cert, Content: samltest.AES128GCM})
	// Required: a plain assertion is refused.
	_, err = assume(samltest.Options{SignResponse: true})
	apiErrExact(t, err, "InvalidIdentityToken", 400, "Invalid SAML response: the SAML provider requires an encrypted assertion")
	// Encrypted for another key, or unsigned, is refused.
	_, err = assume(samltest.Options{SignResponse: true, EncryptFor: k3.Cert})
	apiErrExact(t, err, "InvalidIdentityToken", 400, "Invalid SAML response: the encrypted assertion could not be decrypted")
	_, err = assume(samltest.Options{EncryptFor: k1.Cert})
	apiErrExact(t, err, "InvalidIdentityToken", 400, "Response signature invalid")

	// Rotation: add the second key (a third is over the limit); assertions
	// for either key work; remove the first.
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), AddPrivateKey: aws.String(k2.PEM()), RemovePrivateKey: aws.String(id1)})
	apiErrExact(t, err, "InvalidInput", 400, "Unable to add and remove private keys in the same request. Set a value for only one of the two parameters.")
	must(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), AddPrivateKey: aws.String(k2.PKCS1PEM())}))
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), AddPrivateKey: aws.String(k3.PEM())})
	apiErrExact(t, err, "LimitExceeded", 409, "Private key limit of 2 is reached.")
	_, ids = getKeys()
	if len(ids) != 2 || ids[0] != id1 {
		t.Fatalf("keys after rotation %v", ids)
	}
	id2 := ids[1]
	ok("old key during rotation", samltest.Options{SignResponse: true, EncryptFor: k1.Cert})
	ok("new key during rotation", samltest.Options{SignAssertion: true, EncryptFor: k2.Cert, KeyOutside: true})
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), RemovePrivateKey: aws.String(strings.Repeat("A", 26))})
	apiErrExact(t, err, "InvalidInput", 400, "Failed to remove private key because the Key ID does not match a private key.")
	must(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), RemovePrivateKey: aws.String(id1)}))
	if mode, ids = getKeys(); mode != "Required" || len(ids) != 1 || ids[0] != id2 {
		t.Fatalf("after removing the first key: %q %v", mode, ids)
	}
	_, err = assume(samltest.Options{SignResponse: true, EncryptFor: k1.Cert})
	apiErrExact(t, err, "InvalidIdentityToken", 400, "Invalid SAML response: the encrypted assertion could not be decrypted")
	ok("new key after rotation", samltest.Options{SignResponse: true, EncryptFor: k2.Cert})
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), RemovePrivateKey: aws.String(id2)})
	apiErrExact(t, err, "InvalidInput", 400, "Failed to remove private key.")

	// Allowed: plain and encrypted assertions both work.
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN)})
	apiErrExact(t, err, "InvalidInput", 400, "Unable to update identity provider. No updates are defined for metadata or encryption assertion.")
	must(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), AssertionEncryptionMode: "Allowed"}))
	ok("plain, Allowed", samltest.Options{SignResponse: true})
	ok("encrypted, Allowed", samltest.Options{SignResponse: true, EncryptFor: k2.Cert})
	// Without keys an encrypted assertion is refused.
	must(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), RemovePrivateKey: aws.String(id2)}))
	if mode, ids = getKeys(); mode != "Allowed" || len(ids) != 0 {
		t.Fatalf("after removing every key: %q %v", mode, ids)
	}
	_, err = assume(samltest.Options{SignResponse: true, EncryptFor: k2.Cert})
	apiErrExact(t, err, "InvalidIdentityToken", 400, "Invalid SAML response: the assertion is encrypted and the SAML provider has no private key to decrypt it")
	ok("plain, no keys", samltest.Options{SignResponse: true})

	// No key material anywhere: server logs, the audit trail, the store.
	s.Stop()
	for _, k := range []*samltest.SPKey{k1, k2, k3} {
		for _, pemDoc := range []string{k.PEM(), k.PKCS1PEM()} {
			line := strings.Split(pemDoc, "\n")[5] // a line of the key's base64 body
			if strings.Contains(s.Logs(), line) {
				t.Fatal("a private key reached the server log")
			}
			filepath.Walk(s.DataDir, func(path string, info os.FileInfo, err error) error {
				if err != nil || info.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(path)
				if bytes.Contains(b, []byte(line)) || bytes.Contains(b, []byte("PRIVATE KEY")) {
					t.Errorf("%s holds a private key in the clear", path)
				}
				return nil
			})
			if b, _ := os.ReadFile(auditLog); bytes.Contains(b, []byte(line)) {
				t.Fatal("a private key reached the audit log")
			}
		}
	}
	if b, err := os.ReadFile(auditLog); err != nil || !bytes.Contains(b, []byte("UpdateSAMLProvider")) {
		t.Fatalf("audit log without UpdateSAMLProvider: %v", err)
	}
}
