package rolesanywhere

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/sigv4"
)

// Signing algorithms of the X.509 variant of SigV4.
const (
	AlgRSA   = "AWS4-X509-RSA-SHA256"
	AlgECDSA = "AWS4-X509-ECDSA-SHA256"

	HeaderX509      = "X-Amz-X509"
	HeaderX509Chain = "X-Amz-X509-Chain"

	// SigningName is the SigV4 signing name.
	SigningName = "rolesanywhere"
	// maxChain bounds X-Amz-X509-Chain.
	maxChain = 5
)

// Error is an authentication failure; Msg is safe to show the client.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func fail(format string, args ...any) error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// Signed is a request whose X.509 signature verified.
type Signed struct {
	Algorithm string
	Leaf      *x509.Certificate
	Chain     []*x509.Certificate
	Region    string
}

// authParts splits "ALG Credential=…, SignedHeaders=…, Signature=…".
func authParts(h string) (alg, cred, signed, sig string, err error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return "", "", "", "", fail("Invalid Authorization header")
	}
	for _, tok := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return "", "", "", "", fail("Invalid Authorization header")
		}
		switch k {
		case "Credential":
			cred = v
		case "SignedHeaders":
			signed = v
		case "Signature":
			sig = v
		}
	}
	if cred == "" || signed == "" || sig == "" {
		return "", "", "", "", fail("Invalid Authorization header")
	}
	return alg, cred, signed, sig, nil
}

// parseCerts reads X-Amz-X509 (one base64 DER certificate) and
// X-Amz-X509-Chain (comma-separated base64 DER certificates).
func parseCerts(r *http.Request) (*x509.Certificate, []*x509.Certificate, error) {
	leafB64 := r.Header.Get(HeaderX509)
	if leafB64 == "" {
		return nil, nil, fail("Missing X-Amz-X509 header")
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(leafB64))
	if err != nil {
		return nil, nil, fail("Invalid X-Amz-X509 header")
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fail("Invalid X-Amz-X509 header")
	}
	var chain []*x509.Certificate
	if v := r.Header.Get(HeaderX509Chain); v != "" {
		parts := strings.Split(v, ",")
		if len(parts) > maxChain {
			return nil, nil, fail("Too many certificates in X-Amz-X509-Chain")
		}
		for _, p := range parts {
			d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(p))
			if err != nil {
				return nil, nil, fail("Invalid X-Amz-X509-Chain header")
			}
			c, err := x509.ParseCertificate(d)
			if err != nil {
				return nil, nil, fail("Invalid X-Amz-X509-Chain header")
			}
			chain = append(chain, c)
		}
	}
	return leaf, chain, nil
}

// Verify checks the request's X.509 SigV4 signature: SigV4 canonicalisation
// and checks (scope, service "rolesanywhere", date, skew, host signed),
// credential = the leaf's decimal serial number, and a private-key
// signature over the string to sign made by the leaf's key. It does not
// check the chain (VerifyChain does, against a trust anchor).
func Verify(r *http.Request, body []byte, now time.Time) (*Signed, error) {
	h := r.Header.Get("Authorization")
	alg, cred, signed, sigHex, err := authParts(h)
	if err != nil {
		return nil, err
	}
	if alg != AlgRSA && alg != AlgECDSA {
		return nil, fail("Unsupported signing algorithm %q", alg)
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil || len(sig) == 0 || len(sig) > 1024 {
		return nil, fail("Invalid signature encoding")
	}
	leaf, chain, err := parseCerts(r)
	if err != nil {
		return nil, err
	}
	// Reuse the HMAC parser for the shared syntax: same credential and
	// header grammar, with a placeholder signature.
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", sigv4.AlgorithmHMAC+" Credential="+cred+", SignedHeaders="+signed+", Signature="+strings.Repeat("0", 64))
	a, err := sigv4.Parse(r2)
	if err != nil {
		return nil, fail("Invalid Authorization header")
	}
	if err := a.Check(now, sigv4.VerifyOptions{Service: SigningName}); err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return nil, fail("%s", se.Message)
		}
		return nil, fail("Invalid Authorization header")
	}
	if !now.Before(a.Date.Add(sigv4.DefaultMaxSkew)) {
		return nil, fail("Signature expired")
	}
	if a.AccessKeyID != leaf.SerialNumber.String() {
		return nil, fail("Credential does not match the certificate serial number")
	}
	if !headerSigned(a.SignedHeaders, "x-amz-x509") {
		return nil, fail("X-Amz-X509 must be a signed header")
	}
	if r.Header.Get(HeaderX509Chain) != "" && !headerSigned(a.SignedHeaders, "x-amz-x509-chain") {
		return nil, fail("X-Amz-X509-Chain must be a signed header")
	}
	a.Algorithm = alg
	sts := a.StringToSign(r2, body)
	digest := sha256.Sum256(sts)
	switch alg {
	case AlgRSA:
		pub, ok := leaf.PublicKey.(*rsa.PublicKey)
		if !ok || rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) != nil {
			return nil, fail("Signature validation failed")
		}
	case AlgECDSA:
		pub, ok := leaf.PublicKey.(*ecdsa.PublicKey)
		if !ok || !ecdsa.VerifyASN1(pub, digest[:], sig) {
			return nil, fail("Signature validation failed")
		}
	}
	return &Signed{Algorithm: alg, Leaf: leaf, Chain: chain, Region: a.Region}, nil
}

func headerSigned(list []string, name string) bool {
	for _, h := range list {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// VerifyChain checks that leaf is an end-entity certificate, valid at now,
// that chains (through chain) to one of anchors.
func VerifyChain(leaf *x509.Certificate, chain, anchors []*x509.Certificate, now time.Time) error {
	_, err := VerifyChains(leaf, chain, anchors, now)
	return err
}

// VerifyChains is VerifyChain returning the verified chains (leaf first,
// anchor CA certificate last), for the revocation check.
func VerifyChains(leaf *x509.Certificate, chain, anchors []*x509.Certificate, now time.Time) ([][]*x509.Certificate, error) {
	if leaf.IsCA {
		return nil, fail("The certificate is a CA certificate, not an end-entity certificate")
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, fail("Certificate is expired or not yet valid")
	}
	if len(anchors) == 0 {
		return nil, fail("Untrusted certificate. Insufficient certificate")
	}
	roots := x509.NewCertPool()
	for _, a := range anchors {
		roots.AddCert(a)
	}
	inter := x509.NewCertPool()
	for _, c := range chain {
		inter.AddCert(c)
	}
	chains, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err != nil {
		return nil, fail("Untrusted certificate. Insufficient certificate")
	}
	return chains, nil
}

// Sign signs r (whose body is body) for IAM Roles Anywhere with the
// certificate's private key: the client side of Verify.
func Sign(r *http.Request, body []byte, leaf *x509.Certificate, chain []*x509.Certificate, key crypto.Signer, region string, t time.Time) error {
	var alg string
	switch key.Public().(type) {
	case *rsa.PublicKey:
		alg = AlgRSA
	case *ecdsa.PublicKey:
		alg = AlgECDSA
	default:
		return errors.New("rolesanywhere: only RSA and ECDSA keys are supported")
	}
	r.Header.Set(HeaderX509, base64.StdEncoding.EncodeToString(leaf.Raw))
	if len(chain) > 0 {
		parts := make([]string, len(chain))
		for i, c := range chain {
			parts[i] = base64.StdEncoding.EncodeToString(c.Raw)
		}
		r.Header.Set(HeaderX509Chain, strings.Join(parts, ","))
	}
	serial := leaf.SerialNumber.String()
	// Canonicalise with the shared SigV4 code, then replace the HMAC by
	// the private-key signature.
	sigv4.Sign(r, body, sigv4.Credentials{AccessKeyID: serial, SecretAccessKey: "unused"}, region, SigningName, t)
	a, err := sigv4.Parse(r)
	if err != nil {
		return err
	}
	a.Algorithm = alg
	digest := sha256.Sum256(a.StringToSign(r, body))
	var sig []byte
	switch alg {
	case AlgRSA:
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
	case AlgECDSA:
		sig, err = key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	if err != nil {
		return err
	}
	r.Header.Set("Authorization", alg+" Credential="+serial+"/"+a.Scope()+", SignedHeaders="+
		strings.ToLower(strings.Join(a.SignedHeaders, ";"))+", Signature="+hex.EncodeToString(sig))
	return nil
}
