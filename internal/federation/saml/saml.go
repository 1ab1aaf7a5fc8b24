package saml

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/hatrack/hatrack/internal/awserr"
)

// XML namespaces of SAML 2.0.
const (
	NSProtocol  = "urn:oasis:names:tc:SAML:2.0:protocol"
	NSAssertion = "urn:oasis:names:tc:SAML:2.0:assertion"
	NSMetadata  = "urn:oasis:names:tc:SAML:2.0:metadata"
	NSDSig      = "http://www.w3.org/2000/09/xmldsig#"

	statusSuccess  = "urn:oasis:names:tc:SAML:2.0:status:Success"
	nameIDPrefix   = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
	bearerMethod   = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	attrRole       = "https://aws.amazon.com/SAML/Attributes/Role"
	attrSession    = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	attrSourceID   = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	attrTagPrefix  = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	attrTransitive = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// MaxAssertionChars is the model's limit on the SAMLAssertion member.
const MaxAssertionChars = 100000

// Recipients AWS accepts in SubjectConfirmationData (the value becomes
// saml:aud and the answer's Audience).
func validRecipient(r string) bool {
	if r == "https://signin.aws.amazon.com/saml" || r == "https://signin.aws.amazon.com/static/saml" {
		return true
	}
	rest, ok := strings.CutPrefix(r, "https://")
	if !ok {
		return false
	}
	region, tail, ok := strings.Cut(rest, ".")
	return ok && region != "" && tail == "signin.aws.amazon.com/saml"
}

// Assertion is what a verified SAML response says. Every field comes from
// the element covered by the signature.
type Assertion struct {
	Issuer       string
	Subject      string // NameID value
	SubjectType  string // NameID Format, "urn:…:nameid-format:" stripped
	NameIDFormat string // NameID Format as sent
	Recipient    string // SubjectConfirmationData/@Recipient
	Audiences    []string
	NotBefore    time.Time // Conditions/@NotBefore (zero if absent)
	NotOnOrAfter time.Time // earliest of Conditions and SubjectConfirmationData NotOnOrAfter
	// SessionNotOnOrAfter caps the session (AuthnStatement), zero if absent.
	SessionNotOnOrAfter time.Time
	// Attributes maps attribute Name (case-sensitive) to its values.
	Attributes map[string][]string
}

// RoleSessionName is the RoleSessionName attribute ("" if absent).
func (a *Assertion) RoleSessionName() string { return first(a.Attributes[attrSession]) }

// SourceIdentity is the SourceIdentity attribute ("" if absent).
func (a *Assertion) SourceIdentity() string { return first(a.Attributes[attrSourceID]) }

// SessionDuration is the SessionDuration attribute (0, false if absent).
func (a *Assertion) SessionDuration() (string, bool) {
	v, ok := a.Attributes[attrDuration]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// PrincipalTags returns the PrincipalTag:<Key> attributes in document order.
func (a *Assertion) PrincipalTags() [][2]string {
	var out [][2]string
	for name, vals := range a.Attributes {
		if k, ok := strings.CutPrefix(name, attrTagPrefix); ok && len(vals) > 0 {
			out = append(out, [2]string{k, vals[0]})
		}
	}
	return out
}

// TransitiveTagKeys is the TransitiveTagKeys attribute.
func (a *Assertion) TransitiveTagKeys() []string { return a.Attributes[attrTransitive] }

// HasRole reports whether the Role attribute carries the pair
// (roleARN, providerARN), in either order.
func (a *Assertion) HasRole(roleARN, providerARN string) bool {
	for _, v := range a.Attributes[attrRole] {
		x, y, ok := strings.Cut(v, ",")
		if !ok {
			continue
		}
		x, y = strings.TrimSpace(x), strings.TrimSpace(y)
		if (x == roleARN && y == providerARN) || (x == providerARN && y == roleARN) {
			return true
		}
	}
	return false
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// NameQualifier is Base64(SHA1(issuer + account + "/" + providerName)).
func NameQualifier(issuer, account, providerName string) string {
	sum := sha1.Sum([]byte(issuer + account + "/" + providerName))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func invalid(msg string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "InvalidIdentityToken", "%s", msg)
}

func expired(msg string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "ExpiredTokenException", "%s", msg)
}

// clockSkew is the tolerance applied to NotBefore / NotOnOrAfter.
const clockSkew = 5 * time.Minute

// Decryption is how a provider handles encrypted assertions.
type Decryption struct {
	// Keys decrypt an EncryptedAssertion, tried in turn (a provider holds
	// two while it rotates). None: an encrypted assertion is refused.
	Keys []*rsa.PrivateKey
	// Required refuses a plain (unencrypted) assertion.
	Required bool
}

// Verify decodes a base64 SAMLResponse, verifies its XML signature (on the
// Response or on its single Assertion) against certs, and checks the
// bearer subject confirmation, recipient and validity window at now.
// Errors are *awserr.Error (InvalidIdentityToken, ExpiredTokenException).
// An encrypted assertion is refused; see VerifyEncrypted.
func Verify(b64 string, certs []*x509.Certificate, now time.Time) (*Assertion, error) {
	return VerifyEncrypted(b64, certs, now, Decryption{})
}

// VerifyEncrypted is Verify for a provider that may receive encrypted
// assertions. The response holds exactly one assertion, plain or
// encrypted. An EncryptedAssertion is decrypted with dec.Keys (xmlenc)
// and the assertion it holds is then verified exactly as a plain one: a
// signature on the Response (which then covers the ciphertext) or on the
// decrypted Assertion itself must verify, and every value is read from
// the signed element. Anyone can encrypt to the provider's public key, so
// encryption never stands in for a signature.
func VerifyEncrypted(b64 string, certs []*x509.Certificate, now time.Time, dec Decryption) (*Assertion, error) {
	if len(b64) > MaxAssertionChars {
		return nil, invalid("Invalid SAML response: assertion too large")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, b64))
	if err != nil {
		return nil, invalid("Invalid base64 SAMLResponse")
	}
	root, err := parseXML(raw)
	if err != nil {
		return nil, invalid("Invalid SAML response: not well-formed XML")
	}
	if root.Tag != "Response" || root.NamespaceURI() != NSProtocol {
		return nil, invalid("Invalid SAML response: the document is not a SAML 2.0 Response")
	}
	if len(certs) == 0 {
		return nil, invalid("Response signature invalid")
	}

	var assertion *etree.Element
	if hasChild(root, NSDSig, "Signature") {
		resp, err := validate(root, certs, now)
		if err != nil {
			return nil, invalid("Response signature invalid")
		}
		if err := checkStatus(resp); err != nil {
			return nil, err
		}
		// From the signed response only: a decrypted assertion is
		// covered by the response's signature over its ciphertext.
		a, err := onlyAssertion(resp, dec)
		if err != nil {
			return nil, err
		}
		assertion = a
		// A signed assertion inside a signed response must verify too.
		if hasChild(assertion, NSDSig, "Signature") {
			if assertion, err = validate(assertion, certs, now); err != nil {
				return nil, invalid("Assertion signature invalid")
			}
		}
	} else {
		if err := checkStatus(root); err != nil {
			return nil, err
		}
		a, err := onlyAssertion(root, dec)
		if err != nil {
			return nil, err
		}
		if !hasChild(a, NSDSig, "Signature") {
			return nil, invalid("Response signature invalid")
		}
		if assertion, err = validate(a, certs, now); err != nil {
			return nil, invalid("Response signature invalid")
		}
	}
	return readAssertion(assertion, now)
}

func dropSpace(r rune) rune {
	switch r {
	case ' ', '\t', '\r', '\n':
		return -1
	}
	return r
}

// parseXML reads a document, refusing DTDs (entity expansion) outright.
func parseXML(raw []byte) (*etree.Element, error) {
	if bytes.Contains(raw, []byte("<!DOCTYPE")) || bytes.Contains(raw, []byte("<!ENTITY")) {
		return nil, errors.New("DTD not allowed")
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(raw); err != nil {
		return nil, err
	}
	root := doc.Root()
	if root == nil {
		return nil, errors.New("empty document")
	}
	return root, nil
}

// validate verifies el's enveloped signature against each cert in turn and
// returns the element as the signature covers it.
func validate(el *etree.Element, certs []*x509.Certificate, now time.Time) (*etree.Element, error) {
	var lastErr error
	for _, c := range certs {
		ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{c}})
		ctx.Clock = dsig.NewFakeClockAt(now)
		v, err := ctx.Validate(el)
		if err == nil {
			return v, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func hasChild(el *etree.Element, ns, tag string) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return true
		}
	}
	return false
}

func children(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func child(el *etree.Element, ns, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag && c.NamespaceURI() == ns {
			return c
		}
	}
	return nil
}

func checkStatus(resp *etree.Element) error {
	st := child(child(resp, NSProtocol, "Status"), NSProtocol, "StatusCode")
	if st == nil || st.SelectAttrValue("Value", "") != statusSuccess {
		return invalid("Invalid SAML response: the response status is not Success")
	}
	return nil
}

// onlyAssertion returns the response's single assertion: its one
// Assertion child, or the decryption of its one EncryptedAssertion child.
// Two assertions (plain or encrypted, in any mix) or none are refused:
// wrapping attacks hide a second assertion beside the signed one. A plain
// assertion is refused when dec.Required.
func onlyAssertion(resp *etree.Element, dec Decryption) (*etree.Element, error) {
	as := children(resp, NSAssertion, "Assertion")
	es := children(resp, NSAssertion, "EncryptedAssertion")
	if len(as)+len(es) != 1 {
		return nil, invalid("Invalid SAML response: expected exactly one Assertion")
	}
	if len(as) == 1 {
		if dec.Required {
			return nil, invalid(msgEncryptionRequired)
		}
		return as[0], nil
	}
	return decryptAssertion(es[0], dec.Keys)
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func readAssertion(a *etree.Element, now time.Time) (*Assertion, error) {
	out := &Assertion{Attributes: map[string][]string{}}
	iss := child(a, NSAssertion, "Issuer")
	if iss == nil || strings.TrimSpace(iss.Text()) == "" {
		return nil, invalid("Invalid SAML response: the assertion has no Issuer")
	}
	out.Issuer = strings.TrimSpace(iss.Text())

	subj := child(a, NSAssertion, "Subject")
	nameID := child(subj, NSAssertion, "NameID")
	if nameID == nil || strings.TrimSpace(nameID.Text()) == "" {
		return nil, invalid("Invalid SAML response: the assertion has no Subject NameID")
	}
	out.Subject = strings.TrimSpace(nameID.Text())
	out.NameIDFormat = nameID.SelectAttrValue("Format", "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified")
	out.SubjectType = strings.TrimPrefix(out.NameIDFormat, nameIDPrefix)

	scs := children(subj, NSAssertion, "SubjectConfirmation")
	if len(scs) != 1 || scs[0].SelectAttrValue("Method", "") != bearerMethod {
		return nil, invalid("Invalid SAML response: expected exactly one bearer SubjectConfirmation")
	}
	scd := child(scs[0], NSAssertion, "SubjectConfirmationData")
	if scd == nil {
		return nil, invalid("Invalid SAML response: SubjectConfirmationData is missing")
	}
	out.Recipient = scd.SelectAttrValue("Recipient", "")
	if !validRecipient(out.Recipient) {
		return nil, invalid("Invalid SAML response: SubjectConfirmationData Recipient is not an AWS sign-in endpoint")
	}
	scdNotAfter, ok := parseTime(scd.SelectAttrValue("NotOnOrAfter", ""))
	if !ok {
		return nil, invalid("Invalid SAML response: SubjectConfirmationData NotOnOrAfter is missing or malformed")
	}
	out.NotOnOrAfter = scdNotAfter

	conds := child(a, NSAssertion, "Conditions")
	if conds != nil {
		if v := conds.SelectAttrValue("NotBefore", ""); v != "" {
			t, ok := parseTime(v)
			if !ok {
				return nil, invalid("Invalid SAML response: Conditions NotBefore is malformed")
			}
			out.NotBefore = t
		}
		if v := conds.SelectAttrValue("NotOnOrAfter", ""); v != "" {
			t, ok := parseTime(v)
			if !ok {
				return nil, invalid("Invalid SAML response: Conditions NotOnOrAfter is malformed")
			}
			if t.Before(out.NotOnOrAfter) {
				out.NotOnOrAfter = t
			}
		}
		for _, ar := range children(conds, NSAssertion, "AudienceRestriction") {
			for _, au := range children(ar, NSAssertion, "Audience") {
				out.Audiences = append(out.Audiences, strings.TrimSpace(au.Text()))
			}
		}
	}
	if len(out.Audiences) > 0 {
		ok := false
		for _, au := range out.Audiences {
			if au == "urn:amazon:webservices" || validRecipient(au) {
				ok = true
			}
		}
		if !ok {
			return nil, invalid("Invalid SAML response: the assertion's audience does not include AWS")
		}
	}
	if !out.NotBefore.IsZero() && now.Add(clockSkew).Before(out.NotBefore) {
		return nil, invalid("Invalid SAML response: the assertion is not yet valid")
	}
	if !now.Add(-clockSkew).Before(out.NotOnOrAfter) {
		return nil, expired("Token expired")
	}
	if as := child(a, NSAssertion, "AuthnStatement"); as != nil {
		if v := as.SelectAttrValue("SessionNotOnOrAfter", ""); v != "" {
			if t, ok := parseTime(v); ok {
				out.SessionNotOnOrAfter = t
			}
		}
	}
	for _, st := range children(a, NSAssertion, "AttributeStatement") {
		for _, at := range children(st, NSAssertion, "Attribute") {
			name := at.SelectAttrValue("Name", "")
			for _, v := range children(at, NSAssertion, "AttributeValue") {
				out.Attributes[name] = append(out.Attributes[name], strings.TrimSpace(v.Text()))
			}
		}
	}
	return out, nil
}
