package rolesanywhere

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store/memory"
)

// crlPKI: a root CA (allowed to sign CRLs), an intermediate under it, an
// unrelated CA, and leaves.
type crlPKI struct {
	now                 time.Time
	root, inter, other  *x509.Certificate
	rootKey, interKey   crypto.Signer
	otherKey            crypto.Signer
	rootNoCRLSign       *x509.Certificate // the root's key and subject, without cRLSign
	leaf, revoked       *x509.Certificate // issued by root
	interLeaf           *x509.Certificate // issued by inter
	interLeafSameSerial *x509.Certificate // issued by inter, serial of revoked
}

func genKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func caTmpl(serial int64, cn string, now time.Time, usage x509.KeyUsage) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: usage}
}

func leafTmpl(serial int64, cn string, now time.Time) *x509.Certificate {
	return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true}
}

func newCRLPKI(t testing.TB) *crlPKI {
	t.Helper()
	now := time.Now().UTC()
	p := &crlPKI{now: now, rootKey: genKey(t), interKey: genKey(t), otherKey: genKey(t)}
	full := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	rt := caTmpl(1, "Root CA", now, full)
	p.root = mkCert(t, rt, rt, p.rootKey.Public(), p.rootKey)
	nt := caTmpl(1, "Root CA", now, x509.KeyUsageCertSign)
	p.rootNoCRLSign = mkCert(t, nt, nt, p.rootKey.Public(), p.rootKey)
	ot := caTmpl(2, "Other CA", now, full)
	p.other = mkCert(t, ot, ot, p.otherKey.Public(), p.otherKey)
	p.inter = mkCert(t, caTmpl(10, "Intermediate CA", now, full), p.root, p.interKey.Public(), p.rootKey)
	lk := genKey(t)
	p.leaf = mkCert(t, leafTmpl(100, "good", now), p.root, lk.Public(), p.rootKey)
	p.revoked = mkCert(t, leafTmpl(101, "revoked", now), p.root, lk.Public(), p.rootKey)
	p.interLeaf = mkCert(t, leafTmpl(200, "inter-leaf", now), p.inter, lk.Public(), p.interKey)
	p.interLeafSameSerial = mkCert(t, leafTmpl(101, "inter-leaf-101", now), p.inter, lk.Public(), p.interKey)
	return p
}

// crl returns a DER CRL by issuer (key signer) revoking serials.
func (p *crlPKI) crl(t testing.TB, issuer *x509.Certificate, key crypto.Signer, serials ...int64) []byte {
	t.Helper()
	var entries []x509.RevocationListEntry
	for _, s := range serials {
		entries = append(entries, x509.RevocationListEntry{SerialNumber: big.NewInt(s), RevocationTime: p.now.Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: p.now.Add(-time.Minute),
		NextUpdate: p.now.Add(24 * time.Hour), RevokedCertificateEntries: entries}, issuer, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pemCRL(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}) }

func pemCert(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

func TestParseAndCheckCRL(t *testing.T) {
	p := newCRLPKI(t)
	rootDER := p.crl(t, p.root, p.rootKey, 101)
	for _, tc := range []struct {
		name    string
		data    []byte
		anchors []*x509.Certificate
		parse   bool // want ParseCRL to succeed
		signed  bool // want CheckCRL to succeed
	}{
		{name: "PEM signed by the anchor", data: pemCRL(rootDER), anchors: []*x509.Certificate{p.root}, parse: true, signed: true},
		{name: "DER signed by the anchor", data: rootDER, anchors: []*x509.Certificate{p.root}, parse: true, signed: true},
		{name: "PEM with leading whitespace", data: append([]byte("\n  "), pemCRL(rootDER)...), anchors: []*x509.Certificate{p.root}, parse: true, signed: true},
		{name: "anchor bundle of two, second signs", data: rootDER, anchors: []*x509.Certificate{p.other, p.root}, parse: true, signed: true},
		{name: "signed by another CA", data: p.crl(t, p.other, p.otherKey, 101), anchors: []*x509.Certificate{p.root}, parse: true, signed: false},
		{name: "anchor CA lacks cRLSign", data: rootDER, anchors: []*x509.Certificate{p.rootNoCRLSign}, parse: true, signed: false},
		{name: "signed by an intermediate, not the anchor", data: p.crl(t, p.inter, p.interKey, 200), anchors: []*x509.Certificate{p.root}, parse: true, signed: false},
		{name: "no anchors", data: rootDER, anchors: nil, parse: true, signed: false},
		{name: "garbage", data: []byte("not a crl"), parse: false},
		{name: "certificate PEM, not a CRL", data: []byte(pemCert(p.root)), parse: false},
		{name: "truncated DER", data: rootDER[:len(rootDER)/2], parse: false},
		{name: "empty", data: nil, parse: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rl, err := ParseCRL(tc.data)
			if (err == nil) != tc.parse {
				t.Fatalf("ParseCRL err = %v, want parse=%v", err, tc.parse)
			}
			if !tc.parse {
				return
			}
			ca, err := CheckCRL(rl, tc.anchors)
			if (err == nil) != tc.signed {
				t.Fatalf("CheckCRL err = %v, want signed=%v", err, tc.signed)
			}
			if tc.signed && !ca.Equal(p.root) {
				t.Fatalf("CheckCRL matched %s, want the root", ca.Subject)
			}
		})
	}
}

func TestCheckRevoked(t *testing.T) {
	p := newCRLPKI(t)
	parse := func(der []byte) *x509.RevocationList {
		rl, err := ParseCRL(der)
		if err != nil {
			t.Fatal(err)
		}
		return rl
	}
	revokesLeaf := parse(p.crl(t, p.root, p.rootKey, 101))
	revokesInter := parse(p.crl(t, p.root, p.rootKey, 10))
	empty := parse(p.crl(t, p.root, p.rootKey))
	byInter := parse(p.crl(t, p.inter, p.interKey, 200))
	for _, tc := range []struct {
		name   string
		leaf   *x509.Certificate
		chain  []*x509.Certificate
		crls   []*x509.RevocationList
		wantSN string // "" = not revoked; else the serial refused
	}{
		{name: "good leaf", leaf: p.leaf, crls: []*x509.RevocationList{revokesLeaf}},
		{name: "revoked leaf", leaf: p.revoked, crls: []*x509.RevocationList{revokesLeaf}, wantSN: "101"},
		{name: "revoked leaf, no CRL", leaf: p.revoked},
		{name: "revoked leaf, empty CRL", leaf: p.revoked, crls: []*x509.RevocationList{empty}},
		{name: "leaf under a revoked intermediate", leaf: p.interLeaf, chain: []*x509.Certificate{p.inter},
			crls: []*x509.RevocationList{revokesInter}, wantSN: "10"},
		{name: "leaf under a good intermediate", leaf: p.interLeaf, chain: []*x509.Certificate{p.inter},
			crls: []*x509.RevocationList{revokesLeaf}},
		{name: "same serial, other issuer", leaf: p.interLeafSameSerial, chain: []*x509.Certificate{p.inter},
			crls: []*x509.RevocationList{revokesLeaf}},
		{name: "intermediate's own CRL lists the leaf", leaf: p.interLeaf, chain: []*x509.Certificate{p.inter},
			crls: []*x509.RevocationList{byInter}, wantSN: "200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chains, err := VerifyChains(tc.leaf, tc.chain, []*x509.Certificate{p.root}, p.now)
			if err != nil {
				t.Fatalf("VerifyChains: %v", err)
			}
			err = CheckRevoked(chains, RevocationSet(tc.crls...))
			if tc.wantSN == "" {
				if err != nil {
					t.Fatalf("CheckRevoked = %v, want not revoked", err)
				}
				return
			}
			var re *RevokedError
			if !errors.As(err, &re) || re.Cert.SerialNumber.String() != tc.wantSN {
				t.Fatalf("CheckRevoked = %v, want serial %s refused", err, tc.wantSN)
			}
			if !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), tc.wantSN) {
				t.Fatalf("message %q", err.Error())
			}
		})
	}
}

func apiErr(t *testing.T, err error, typ, sub string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) || ae.Type != typ || !strings.Contains(ae.Msg, sub) {
		t.Fatalf("err = %v, want %s containing %q", err, typ, sub)
	}
}

func TestServiceCRLs(t *testing.T) {
	ctx := context.Background()
	p := newCRLPKI(t)
	svc := &Service{Store: memory.New()}
	const acct, region = "111111111111", "us-east-1"
	anchor, err := svc.CreateTrustAnchor(ctx, acct, region, "root", Source{SourceType: SourceBundle,
		SourceData: SourceData{X509CertificateData: pemCert(p.root)}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	chainsOf := func(leaf *x509.Certificate) [][]*x509.Certificate {
		c, err := VerifyChains(leaf, nil, anchor.Certificates(), p.now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	revoked := func(leaf *x509.Certificate) bool {
		is, err := svc.AnchorRevocations(ctx, anchor)
		if err != nil {
			t.Fatal(err)
		}
		return CheckRevoked(chainsOf(leaf), is) != nil
	}
	count := func() int {
		l, _, err := svc.ListCRLs(ctx, acct, 0, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(l)
	}

	// Refusals store nothing.
	for _, tc := range []struct {
		name    string
		in      CRLInput
		typ     string
		message string
	}{
		{"other CA", CRLInput{Name: "x", CrlData: p.crl(t, p.other, p.otherKey, 101), TrustAnchorARN: anchor.ARN}, "ValidationException", "not signed"},
		{"garbage", CRLInput{Name: "x", CrlData: []byte("nope"), TrustAnchorARN: anchor.ARN}, "ValidationException", "Invalid certificate revocation list"},
		{"unknown anchor", CRLInput{Name: "x", CrlData: p.crl(t, p.root, p.rootKey, 101),
			TrustAnchorARN: arn(region, acct, "trust-anchor", "00000000-0000-4000-8000-000000000000")}, "ValidationException", "trust anchor not found"},
		{"anchor of another account", CRLInput{Name: "x", CrlData: p.crl(t, p.root, p.rootKey, 101),
			TrustAnchorARN: strings.Replace(anchor.ARN, acct, "222222222222", 1)}, "ValidationException", "trust anchor not found"},
		{"not an anchor ARN", CRLInput{Name: "x", CrlData: p.crl(t, p.root, p.rootKey, 101), TrustAnchorARN: "arn:aws:rolesanywhere:us-east-1:111111111111:profile/x"},
			"ValidationException", "trustAnchorArn"},
		{"bad name", CRLInput{Name: "bad/name", CrlData: p.crl(t, p.root, p.rootKey, 101), TrustAnchorARN: anchor.ARN}, "ValidationException", "'name'"},
		{"empty data", CRLInput{Name: "x", TrustAnchorARN: anchor.ARN}, "ValidationException", "crlData"},
		{"bad tag", CRLInput{Name: "x", CrlData: p.crl(t, p.root, p.rootKey, 101), TrustAnchorARN: anchor.ARN, Tags: []Tag{{Key: "", Value: "v"}}},
			"ValidationException", "tags"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.ImportCRL(ctx, acct, region, tc.in)
			apiErr(t, err, tc.typ, tc.message)
			if n := count(); n != 0 {
				t.Fatalf("%d CRLs stored after a refused import", n)
			}
		})
	}

	// Imported disabled: nothing is revoked until it is enabled.
	crl, err := svc.ImportCRL(ctx, acct, region, CRLInput{Name: "root crl", CrlData: pemCRL(p.crl(t, p.root, p.rootKey, 101)),
		TrustAnchorARN: anchor.ARN, Tags: []Tag{{Key: "team", Value: "pki"}}})
	if err != nil {
		t.Fatal(err)
	}
	if crl.Enabled || crl.TrustAnchorARN != anchor.ARN || crl.ARN != arn(region, acct, "crl", crl.CrlID) || CheckCrlID(crl.CrlID) != nil ||
		!strings.HasPrefix(string(crl.CrlData), "-----BEGIN X509 CRL-----") || len(crl.Tags) != 1 {
		t.Fatalf("imported %+v", crl)
	}
	if revoked(p.revoked) {
		t.Fatal("a disabled CRL revoked a certificate")
	}
	if _, err := svc.UpdateCRL(ctx, acct, crl.CrlID, CRLUpdate{Enabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if !revoked(p.revoked) || revoked(p.leaf) {
		t.Fatalf("enabled CRL: revoked=%v leaf=%v", revoked(p.revoked), revoked(p.leaf))
	}

	// A refused update changes nothing (all or nothing).
	_, err = svc.UpdateCRL(ctx, acct, crl.CrlID, CRLUpdate{Name: ptr("renamed"), CrlData: p.crl(t, p.other, p.otherKey)})
	apiErr(t, err, "ValidationException", "not signed")
	got, err := svc.GetCRL(ctx, acct, crl.CrlID)
	if err != nil || got.Name != "root crl" || !got.Enabled || !revoked(p.revoked) {
		t.Fatalf("after a refused update: %+v %v", got, err)
	}
	// A new list replaces the revoked serials.
	got, err = svc.UpdateCRL(ctx, acct, crl.CrlID, CRLUpdate{Name: ptr("renamed"), CrlData: p.crl(t, p.root, p.rootKey, 100)})
	if err != nil || got.Name != "renamed" || got.UpdatedAt.Before(crl.CreatedAt) {
		t.Fatalf("update: %+v %v", got, err)
	}
	if revoked(p.revoked) || !revoked(p.leaf) {
		t.Fatalf("after update: revoked=%v leaf=%v", revoked(p.revoked), revoked(p.leaf))
	}
	// Disable, then delete.
	if _, err := svc.UpdateCRL(ctx, acct, crl.CrlID, CRLUpdate{Enabled: ptr(false)}); err != nil || revoked(p.leaf) {
		t.Fatalf("disable: %v revoked=%v", err, revoked(p.leaf))
	}
	if d, err := svc.DeleteCRL(ctx, acct, crl.CrlID); err != nil || d.CrlID != crl.CrlID {
		t.Fatalf("delete: %v", err)
	}
	_, err = svc.GetCRL(ctx, acct, crl.CrlID)
	apiErr(t, err, "ResourceNotFoundException", "not found")
	_, err = svc.DeleteCRL(ctx, acct, crl.CrlID)
	apiErr(t, err, "ResourceNotFoundException", "not found")
	_, err = svc.GetCRL(ctx, acct, "not-a-uuid")
	apiErr(t, err, "ValidationException", "crlId")
	// Another account does not see it.
	if _, err := svc.GetCRL(ctx, "222222222222", crl.CrlID); err == nil {
		t.Fatal("another account read the CRL")
	}
}

func TestListCRLsPages(t *testing.T) {
	ctx := context.Background()
	p := newCRLPKI(t)
	svc := &Service{Store: memory.New()}
	const acct = "111111111111"
	anchor, err := svc.CreateTrustAnchor(ctx, acct, "us-east-1", "root", Source{SourceType: SourceBundle,
		SourceData: SourceData{X509CertificateData: pemCert(p.root)}}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for range 5 {
		c, err := svc.ImportCRL(ctx, acct, "us-east-1", CRLInput{Name: "c", CrlData: p.crl(t, p.root, p.rootKey), TrustAnchorARN: anchor.ARN, Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		want[c.CrlID] = true
	}
	seen := map[string]bool{}
	token, pages := "", 0
	for {
		l, next, err := svc.ListCRLs(ctx, acct, 2, token)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(l) > 2 {
			t.Fatalf("page of %d", len(l))
		}
		for _, c := range l {
			if seen[c.CrlID] {
				t.Fatalf("%s listed twice", c.CrlID)
			}
			seen[c.CrlID] = true
		}
		if next == "" {
			break
		}
		token = next
	}
	if pages != 3 || len(seen) != len(want) {
		t.Fatalf("pages=%d seen=%d", pages, len(seen))
	}
	_, _, err = svc.ListCRLs(ctx, acct, 2, "%%%")
	apiErr(t, err, "ValidationException", "nextToken")
}

func ptr[T any](v T) *T { return &v }
