package rolesanywhere

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"
)

type pki struct {
	ca, other     *x509.Certificate
	caKey         crypto.Signer
	leaf, expired *x509.Certificate
	leafKey       crypto.Signer
}

func mkCert(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newPKI(t testing.TB, now time.Time, leafKey crypto.Signer) *pki {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	ca := mkCert(t, caT, caT, caKey.Public(), caKey)
	otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	oT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Other CA"}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	other := mkCert(t, oT, oT, otherKey.Public(), otherKey)
	lT := &x509.Certificate{SerialNumber: big.NewInt(424242), Subject: pkix.Name{CommonName: "workload-1", OrganizationalUnit: []string{"ops"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true}
	leaf := mkCert(t, lT, ca, leafKey.Public(), caKey)
	eT := *lT
	eT.SerialNumber = big.NewInt(99)
	eT.NotBefore, eT.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	expired := mkCert(t, &eT, ca, leafKey.Public(), caKey)
	return &pki{ca: ca, other: other, caKey: caKey, leaf: leaf, expired: expired, leafKey: leafKey}
}

func newReq(body []byte) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:9000/sessions?profileArn=p&roleArn=r&trustAnchorArn=t", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func TestSignVerify(t *testing.T) {
	now := time.Now().UTC()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	body := []byte(`{"durationSeconds":3600}`)
	for _, tc := range []struct {
		name    string
		key     crypto.Signer
		mutate  func(r *http.Request, p *pki)
		at      time.Time
		anchors func(p *pki) []*x509.Certificate
		want    string // "" = ok; substring of the error
		chain   string // "" = chain ok; substring of the VerifyChain error
	}{
		{name: "rsa", key: rsaKey},
		{name: "ecdsa", key: ecKey},
		{name: "tampered query", key: ecKey, mutate: func(r *http.Request, _ *pki) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "roleArn=r", "roleArn=x", 1)
		}, want: "Signature validation failed"},
		{name: "other cert presented", key: ecKey, mutate: func(r *http.Request, p *pki) {
			r.Header.Set(HeaderX509, b64(p.expired.Raw))
		}, want: "serial"},
		{name: "unsupported algorithm", key: ecKey, mutate: func(r *http.Request, _ *pki) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), AlgECDSA, "AWS4-HMAC-SHA256", 1))
		}, want: "Unsupported"},
		{name: "missing cert", key: ecKey, mutate: func(r *http.Request, _ *pki) { r.Header.Del(HeaderX509) }, want: "Missing X-Amz-X509"},
		{name: "stale date", key: ecKey, at: now.Add(-time.Hour), want: "expired"},
		{name: "untrusted anchor", key: ecKey, anchors: func(p *pki) []*x509.Certificate { return []*x509.Certificate{p.other} }, chain: "Untrusted"},
		{name: "no anchors", key: ecKey, anchors: func(p *pki) []*x509.Certificate { return nil }, chain: "Untrusted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPKI(t, now, tc.key)
			r := newReq(body)
			at := tc.at
			if at.IsZero() {
				at = now
			}
			if err := Sign(r, body, p.leaf, nil, tc.key, "us-east-1", at); err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(r, p)
			}
			s, err := Verify(r, body, now)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Verify err = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if s.Leaf.Subject.CommonName != "workload-1" || s.Region != "us-east-1" {
				t.Fatalf("signed = %+v", s)
			}
			anchors := []*x509.Certificate{p.ca}
			if tc.anchors != nil {
				anchors = tc.anchors(p)
			}
			err = VerifyChain(s.Leaf, s.Chain, anchors, now)
			if tc.chain == "" && err != nil {
				t.Fatalf("VerifyChain: %v", err)
			}
			if tc.chain != "" && (err == nil || !strings.Contains(err.Error(), tc.chain)) {
				t.Fatalf("VerifyChain err = %v, want %q", err, tc.chain)
			}
		})
	}
}

func TestVerifyChainExpiredAndCA(t *testing.T) {
	now := time.Now()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p := newPKI(t, now, k)
	if err := VerifyChain(p.expired, nil, []*x509.Certificate{p.ca}, now); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired leaf: %v", err)
	}
	if err := VerifyChain(p.ca, nil, []*x509.Certificate{p.ca}, now); err == nil || !strings.Contains(err.Error(), "CA certificate") {
		t.Fatalf("CA as leaf: %v", err)
	}
}

// FuzzVerify feeds arbitrary Authorization and certificate headers to the
// X.509 authenticator: it must never panic and never accept.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-X509-RSA-SHA256 Credential=1/20260101/us-east-1/rolesanywhere/aws4_request, SignedHeaders=host;x-amz-date;x-amz-x509, Signature=00", "MIIB", "")
	f.Add("AWS4-X509-ECDSA-SHA256 Credential=/, SignedHeaders=, Signature=zz", "", "a,b,c")
	f.Add("garbage", "!!!", ",,,,,,,")
	f.Fuzz(func(t *testing.T, auth, cert, chain string) {
		r := newReq([]byte("{}"))
		r.Header.Set("Authorization", auth)
		r.Header.Set("X-Amz-Date", "20260101T000000Z")
		r.Header.Set(HeaderX509, cert)
		r.Header.Set(HeaderX509Chain, chain)
		if _, err := Verify(r, []byte("{}"), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
			t.Fatalf("accepted a forged request: %q", auth)
		}
	})
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
