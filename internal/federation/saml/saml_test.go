package saml_test

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/saml"
	"github.com/hatrack/hatrack/internal/federation/saml/samltest"
)

const (
	roleARN = "arn:aws:iam::111111111111:role/SAMLRole"
	provARN = "arn:aws:iam::111111111111:saml-provider/Okta"
)

func code(err error) string {
	if e, ok := awserr.As(err); ok {
		return e.Code
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func attrs() []samltest.Attr {
	return []samltest.Attr{
		samltest.RoleAttr(roleARN + "," + provARN),
		samltest.SessionNameAttr("alice@example.com"),
		{Name: "https://aws.amazon.com/SAML/Attributes/SessionDuration", Values: []string{"1800"}},
		{Name: "https://aws.amazon.com/SAML/Attributes/PrincipalTag:team", Values: []string{"blue"}},
		{Name: "mail", Values: []string{"alice@example.com"}},
	}
}

// wrapSecondAssertion adds an unsigned, attacker-written assertion beside
// the signed one.
func wrapSecondAssertion(t *testing.T, xml []byte) []byte {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	resp := doc.Root()
	var signed *etree.Element
	for _, c := range resp.ChildElements() {
		if c.Tag == "Assertion" {
			signed = c
		}
	}
	evil := signed.Copy()
	for _, c := range evil.ChildElements() {
		if c.Tag == "Signature" {
			evil.RemoveChild(c)
		}
	}
	evil.FindElement(".//NameID").SetText("admin")
	evil.CreateAttr("ID", "_evil")
	resp.InsertChildAt(0, evil)
	out, _ := doc.WriteToBytes()
	return out
}

// wrapResponse nests the genuine signed response inside an attacker's
// unsigned one carrying an assertion that reuses the signed one's ID and
// signature.
func wrapResponse(t *testing.T, xml []byte) []byte {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	orig := doc.Root()
	var signed *etree.Element
	for _, c := range orig.ChildElements() {
		if c.Tag == "Assertion" {
			signed = c
		}
	}
	evil := signed.Copy()
	evil.FindElement(".//NameID").SetText("admin")
	outer := etree.NewElement("samlp:Response")
	outer.CreateAttr("xmlns:samlp", saml.NSProtocol)
	outer.CreateAttr("xmlns:saml", saml.NSAssertion)
	outer.CreateAttr("ID", "_outer")
	outer.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	outer.AddChild(evil)
	ext := outer.CreateElement("samlp:Extensions")
	ext.AddChild(orig.Copy())
	d := etree.NewDocument()
	d.SetRoot(outer)
	out, _ := d.WriteToBytes()
	return out
}

func TestVerify(t *testing.T) {
	now := time.Now()
	idp, err := samltest.New("https://idp.example.com/metadata", now)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := samltest.New("https://evil.example.com/metadata", now)
	certs := []*x509.Certificate{idp.Cert}
	ok := samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true}
	for _, tc := range []struct {
		name   string
		idp    *samltest.IdP
		opts   samltest.Options
		edit   func(t *testing.T, xml []byte) []byte
		want   string
		nameID string
	}{
		{name: "signed response", opts: ok, nameID: "alice"},
		{name: "signed assertion", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true}, nameID: "alice"},
		{name: "both signed", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true, SignResponse: true}, nameID: "alice"},
		{name: "regional recipient", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true, Recipient: "https://eu-west-1.signin.aws.amazon.com/saml"}, nameID: "alice"},
		{name: "unsigned", opts: samltest.Options{NameID: "alice", Attributes: attrs()}, want: "InvalidIdentityToken"},
		{name: "wrong signer", idp: other, opts: ok, want: "InvalidIdentityToken"},
		{name: "tampered subject", opts: ok, edit: func(_ *testing.T, x []byte) []byte { return samltest.Replace(x, ">alice<", ">admin<") }, want: "InvalidIdentityToken"},
		{name: "tampered assertion-signed", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true},
			edit: func(_ *testing.T, x []byte) []byte { return samltest.Replace(x, "SAMLRole", "AdminRole") }, want: "InvalidIdentityToken"},
		{name: "second assertion (wrapping)", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true}, edit: wrapSecondAssertion, want: "InvalidIdentityToken"},
		{name: "second assertion in signed response", opts: ok, edit: wrapSecondAssertion, want: "InvalidIdentityToken"},
		{name: "nested response (wrapping)", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true}, edit: wrapResponse, want: "InvalidIdentityToken"},
		{name: "expired", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true,
			NotBefore: now.Add(-time.Hour), NotOnOrAfter: now.Add(-10 * time.Minute)}, want: "ExpiredTokenException"},
		{name: "not yet valid", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true,
			NotBefore: now.Add(time.Hour), NotOnOrAfter: now.Add(2 * time.Hour)}, want: "InvalidIdentityToken"},
		{name: "wrong recipient", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true, Recipient: "https://evil.example.com/acs"}, want: "InvalidIdentityToken"},
		{name: "wrong audience", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true, Audience: "https://other-sp.example.com"}, want: "InvalidIdentityToken"},
		{name: "doctype", opts: ok, edit: func(_ *testing.T, x []byte) []byte {
			return append([]byte(`<!DOCTYPE r [<!ENTITY x "y">]>`), x...)
		}, want: "InvalidIdentityToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signer := idp
			if tc.idp != nil {
				signer = tc.idp
			}
			xml, err := signer.Response(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				xml = tc.edit(t, xml)
			}
			a, err := saml.Verify(samltest.Encode(xml), certs, now)
			if got := code(err); got != tc.want {
				t.Fatalf("Verify: %v (code %q), want %q", err, got, tc.want)
			}
			if tc.want != "" {
				return
			}
			if a.Subject != tc.nameID || a.SubjectType != "persistent" || a.Issuer != idp.EntityID {
				t.Fatalf("assertion %+v", a)
			}
			if !a.HasRole(roleARN, provARN) || a.HasRole("arn:aws:iam::111111111111:role/Other", provARN) {
				t.Fatal("role pairs")
			}
			if a.RoleSessionName() != "alice@example.com" {
				t.Fatalf("session name %q", a.RoleSessionName())
			}
			if d, ok := a.SessionDuration(); !ok || d != "1800" {
				t.Fatalf("session duration %q", d)
			}
			if tags := a.PrincipalTags(); len(tags) != 1 || tags[0] != [2]string{"team", "blue"} {
				t.Fatalf("tags %v", tags)
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	now := time.Now()
	idp, _ := samltest.New("https://idp.example.com", now)
	for name, in := range map[string]string{
		"not base64":   "%%%",
		"not xml":      base64.StdEncoding.EncodeToString([]byte("hello")),
		"not response": base64.StdEncoding.EncodeToString([]byte(`<a xmlns="x"/>`)),
		"too large":    strings.Repeat("A", saml.MaxAssertionChars+1),
	} {
		if _, err := saml.Verify(in, []*x509.Certificate{idp.Cert}, now); code(err) != "InvalidIdentityToken" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestNameQualifier(t *testing.T) {
	// Base64(SHA1("https://idp.example.com" + "111111111111" + "/" + "Okta")).
	got := saml.NameQualifier("https://idp.example.com", "111111111111", "Okta")
	if got != "5FYhF2f/pFe3xr++Q7i1EGk/XI4=" {
		t.Fatalf("NameQualifier = %s", got)
	}
}

func TestParseMetadata(t *testing.T) {
	idp, _ := samltest.New("https://idp.example.com", time.Now())
	md, err := saml.ParseMetadata(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	if md.EntityID != "https://idp.example.com" || len(md.Certs) != 1 {
		t.Fatalf("%+v", md)
	}
	for name, doc := range map[string]string{
		"empty":      "",
		"not xml":    "<<<",
		"no certs":   strings.Replace(idp.Metadata(), "use=\"signing\"", "use=\"encryption\"", 1),
		"bad cert":   strings.Replace(idp.Metadata(), "<ds:X509Certificate>", "<ds:X509Certificate>AAAA", 1),
		"wrong ns":   strings.Replace(idp.Metadata(), "urn:oasis:names:tc:SAML:2.0:metadata", "urn:x", 1),
		"no idp":     strings.Replace(strings.Replace(idp.Metadata(), "md:IDPSSODescriptor", "md:SPSSODescriptor", -1), "", "", 1),
		"with a DTD": `<!DOCTYPE x [<!ENTITY a "b">]>` + idp.Metadata(),
	} {
		if _, err := saml.ParseMetadata(doc); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzVerify runs arbitrary documents through the verifier: no panics and
// nothing verifies without the IdP's key.
func FuzzVerify(f *testing.F) {
	now := time.Now()
	idp, _ := samltest.New("https://idp.example.com", now)
	other, _ := samltest.New("https://idp.example.com", now)
	x, _ := other.Response(samltest.Options{NameID: "a", Attributes: attrs(), SignResponse: true})
	f.Add(x)
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`))
	certs := []*x509.Certificate{idp.Cert}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if _, err := saml.Verify(samltest.Encode(doc), certs, now); err == nil {
			t.Fatal("a document verified without the IdP's key")
		}
	})
}

// FuzzParseMetadata: no panics on arbitrary metadata.
func FuzzParseMetadata(f *testing.F) {
	idp, _ := samltest.New("https://idp.example.com", time.Now())
	f.Add(idp.Metadata())
	f.Add("<md:EntityDescriptor/>")
	f.Fuzz(func(t *testing.T, doc string) { saml.ParseMetadata(doc) })
}
