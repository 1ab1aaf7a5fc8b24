// Package samltest is a SAML 2.0 identity provider for tests: it issues
// IdP metadata and signed SAML responses (goxmldsig, exclusive c14n), the
// way Okta, ADFS or Keycloak would, so that AssumeRoleWithSAML can be
// exercised end to end. It is test support, never used by the server.
package samltest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// IdP is a signing identity provider.
type IdP struct {
	EntityID string
	Key      *rsa.PrivateKey
	Cert     *x509.Certificate
}

// New creates an IdP with a fresh 2048-bit RSA key and self-signed
// certificate valid around now.
func New(entityID string, now time.Time) (*IdP, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: entityID},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, Key: key, Cert: cert}, nil
}

// Metadata is the IdP's SAML metadata document.
func (i *IdP) Metadata() string {
	c := base64.StdEncoding.EncodeToString(i.Cert.Raw)
	return `<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="` + i.EntityID + `">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data><ds:X509Certificate>` + c + `</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso/redirect"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example.com/sso/post"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>`
}

// Attr is one SAML attribute.
type Attr struct {
	Name   string
	Values []string
}

// Options shape an assertion.
type Options struct {
	NameID       string
	NameIDFormat string // default persistent
	Recipient    string // default https://signin.aws.amazon.com/saml
	Audience     string // default urn:amazon:webservices
	NotBefore    time.Time
	NotOnOrAfter time.Time
	Attributes   []Attr
	// What to sign: the Response, the Assertion, or both; neither gives
	// an unsigned response.
	SignResponse  bool
	SignAssertion bool
	// EncryptFor, when set, encrypts the assertion (after its own
	// signature, before the response's) to this certificate's RSA key:
	// an EncryptedAssertion with RSA-OAEP key transport and Content.
	EncryptFor *x509.Certificate
	Content    Cipher
	// KeyOutside places the EncryptedKey beside the EncryptedData (the
	// SAML layout some IdPs use) instead of inside its KeyInfo.
	KeyOutside bool
}

// Cipher is the content encryption of an encrypted assertion.
type Cipher int

// Content ciphers.
const (
	AES256CBC Cipher = iota // the default
	AES128CBC
	AES128GCM
)

// RoleAttr is the https://aws.amazon.com/SAML/Attributes/Role attribute.
func RoleAttr(pairs ...string) Attr {
	return Attr{Name: "https://aws.amazon.com/SAML/Attributes/Role", Values: pairs}
}

// SessionNameAttr is the RoleSessionName attribute.
func SessionNameAttr(name string) Attr {
	return Attr{Name: "https://aws.amazon.com/SAML/Attributes/RoleSessionName", Values: []string{name}}
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("_%x", b)
}

func (i *IdP) signer() (*dsig.SigningContext, error) {
	ctx, err := dsig.NewSigningContext(i.Key, [][]byte{i.Cert.Raw})
	if err != nil {
		return nil, err
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	return ctx, nil
}

// Response builds a SAML Response XML document.
func (i *IdP) Response(o Options) ([]byte, error) {
	now := time.Now()
	if o.NotOnOrAfter.IsZero() {
		o.NotOnOrAfter = now.Add(5 * time.Minute)
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Minute)
	}
	if o.NameIDFormat == "" {
		o.NameIDFormat = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	}
	if o.Recipient == "" {
		o.Recipient = "https://signin.aws.amazon.com/saml"
	}
	if o.Audience == "" {
		o.Audience = "urn:amazon:webservices"
	}
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	a.CreateAttr("ID", newID())
	a.CreateAttr("Version", "2.0")
	a.CreateAttr("IssueInstant", ts(now))
	a.CreateElement("saml:Issuer").SetText(i.EntityID)
	subj := a.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", o.NameIDFormat)
	nid.SetText(o.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(o.NotOnOrAfter))
	scd.CreateAttr("Recipient", o.Recipient)
	conds := a.CreateElement("saml:Conditions")
	conds.CreateAttr("NotBefore", ts(o.NotBefore))
	conds.CreateAttr("NotOnOrAfter", ts(o.NotOnOrAfter))
	conds.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(o.Audience)
	an := a.CreateElement("saml:AuthnStatement")
	an.CreateAttr("AuthnInstant", ts(now))
	an.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	as := a.CreateElement("saml:AttributeStatement")
	for _, at := range o.Attributes {
		ae := as.CreateElement("saml:Attribute")
		ae.CreateAttr("Name", at.Name)
		for _, v := range at.Values {
			ae.CreateElement("saml:AttributeValue").SetText(v)
		}
	}
	ctx, err := i.signer()
	if err != nil {
		return nil, err
	}
	if o.SignAssertion {
		if a, err = ctx.SignEnveloped(a); err != nil {
			return nil, err
		}
	}
	var child *etree.Element = a
	if o.EncryptFor != nil {
		if child, err = Encrypt(a, o.EncryptFor, o.Content, o.KeyOutside); err != nil {
			return nil, err
		}
	}
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", "urn:oasis:names:tc:SAML:2.0:protocol")
	r.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	r.CreateAttr("ID", newID())
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", ts(now))
	r.CreateAttr("Destination", o.Recipient)
	r.CreateElement("saml:Issuer").SetText(i.EntityID)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	r.AddChild(child)
	if o.SignResponse {
		if r, err = ctx.SignEnveloped(r); err != nil {
			return nil, err
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(r)
	return doc.WriteToBytes()
}

// Encode base64-encodes a response as the SAMLAssertion member carries it.
func Encode(xml []byte) string { return base64.StdEncoding.EncodeToString(xml) }

// Signer returns the IdP's key as a crypto.Signer.
func (i *IdP) Signer() crypto.Signer { return i.Key }

// Replace is a byte-level edit for tampering tests.
func Replace(xml []byte, old, new string) []byte {
	return []byte(strings.Replace(string(xml), old, new, 1))
}
