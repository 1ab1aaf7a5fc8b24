package saml_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/saml"
	"github.com/hatrack/hatrack/internal/federation/saml/samltest"
)

func message(err error) string {
	if e, ok := awserr.As(err); ok {
		return e.Message
	}
	return ""
}

// editDoc parses xml, applies fn to the Response element and serializes.
func editDoc(t *testing.T, xml []byte, fn func(resp *etree.Element)) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	fn(doc.Root())
	out, err := doc.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func firstChild(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// tamperCipher flips one bit of the EncryptedData's ciphertext (the last
// CipherValue in document order belongs to EncryptedData when the key is
// inside its KeyInfo).
func tamperCipher(t *testing.T, xml []byte) []byte {
	return editDoc(t, xml, func(resp *etree.Element) {
		cvs := resp.FindElements(".//EncryptedData/CipherData/CipherValue")
		if len(cvs) != 1 {
			t.Fatalf("%d EncryptedData CipherValues", len(cvs))
		}
		raw, err := base64.StdEncoding.DecodeString(cvs[0].Text())
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)-20] ^= 0x01
		cvs[0].SetText(base64.StdEncoding.EncodeToString(raw))
	})
}

func TestVerifyEncrypted(t *testing.T) {
	now := time.Now()
	idp, err := samltest.New("https://idp.example.com/metadata", now)
	if err != nil {
		t.Fatal(err)
	}
	sp1, err := samltest.NewSPKey()
	if err != nil {
		t.Fatal(err)
	}
	sp2, _ := samltest.NewSPKey()
	other, _ := samltest.NewSPKey()
	certs := []*x509.Certificate{idp.Cert}
	both := []*rsa.PrivateKey{sp1.Key, sp2.Key}
	enc := func(o samltest.Options) samltest.Options {
		o.NameID, o.Attributes = "alice", attrs()
		if o.EncryptFor == nil {
			o.EncryptFor = sp1.Cert
		}
		return o
	}
	// A forged, unsigned assertion anyone can encrypt to the SP's public
	// certificate.
	forged := func(t *testing.T) []byte {
		x, err := idp.Response(samltest.Options{NameID: "admin", Attributes: attrs(), EncryptFor: sp1.Cert})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tc := range []struct {
		name     string
		opts     samltest.Options
		build    func(t *testing.T) []byte // instead of opts
		edit     func(t *testing.T, xml []byte) []byte
		keys     []*rsa.PrivateKey
		required bool
		want     string // code
		msg      string // message substring
	}{
		{name: "signed assertion, AES-256-CBC", opts: enc(samltest.Options{SignAssertion: true}), keys: both},
		{name: "signed response, AES-128-GCM", opts: enc(samltest.Options{SignResponse: true, Content: samltest.AES128GCM}), keys: both, required: true},
		{name: "both signed, AES-128-CBC", opts: enc(samltest.Options{SignResponse: true, SignAssertion: true, Content: samltest.AES128CBC}), keys: both},
		{name: "key beside the data", opts: enc(samltest.Options{SignAssertion: true, KeyOutside: true}), keys: both, required: true},
		{name: "key beside the data, GCM, signed response", opts: enc(samltest.Options{SignResponse: true, KeyOutside: true, Content: samltest.AES128GCM}), keys: both},
		{name: "rotated: second key", opts: enc(samltest.Options{SignAssertion: true, EncryptFor: sp2.Cert}), keys: both, required: true},
		{name: "rotated: only the new key", opts: enc(samltest.Options{SignAssertion: true, EncryptFor: sp2.Cert}), keys: []*rsa.PrivateKey{sp2.Key}},
		{name: "plain, allowed", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true}, keys: both},

		{name: "plain, required", opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true}, keys: both, required: true,
			want: "InvalidIdentityToken", msg: "requires an encrypted assertion"},
		{name: "no keys", opts: enc(samltest.Options{SignAssertion: true}), want: "InvalidIdentityToken", msg: "no private key"},
		{name: "wrong key", opts: enc(samltest.Options{SignAssertion: true}), keys: []*rsa.PrivateKey{other.Key, sp2.Key},
			want: "InvalidIdentityToken", msg: "could not be decrypted"},
		{name: "wrong key, key beside the data", opts: enc(samltest.Options{SignResponse: true, KeyOutside: true}), keys: []*rsa.PrivateKey{other.Key},
			want: "InvalidIdentityToken", msg: "could not be decrypted"},
		{name: "tampered ciphertext, CBC", opts: enc(samltest.Options{SignAssertion: true}), keys: both, edit: tamperCipher,
			want: "InvalidIdentityToken"},
		{name: "tampered ciphertext, GCM", opts: enc(samltest.Options{SignAssertion: true, Content: samltest.AES128GCM}), keys: both, edit: tamperCipher,
			want: "InvalidIdentityToken", msg: "could not be decrypted"},
		{name: "tampered ciphertext under a signed response", opts: enc(samltest.Options{SignResponse: true}), keys: both, edit: tamperCipher,
			want: "InvalidIdentityToken", msg: "Response signature invalid"},
		{name: "truncated GCM ciphertext", opts: enc(samltest.Options{SignAssertion: true, Content: samltest.AES128GCM}), keys: both,
			edit: func(t *testing.T, x []byte) []byte {
				return editDoc(t, x, func(r *etree.Element) {
					r.FindElement(".//EncryptedData/CipherData/CipherValue").SetText("AAAA")
				})
			}, want: "InvalidIdentityToken", msg: "could not be decrypted"},
		{name: "CBC ciphertext not whole blocks", opts: enc(samltest.Options{SignAssertion: true}), keys: both,
			edit: func(t *testing.T, x []byte) []byte {
				return editDoc(t, x, func(r *etree.Element) {
					r.FindElement(".//EncryptedData/CipherData/CipherValue").SetText(base64.StdEncoding.EncodeToString(make([]byte, 40)))
				})
			}, want: "InvalidIdentityToken", msg: "could not be decrypted"},
		{name: "PKCS#1 v1.5 key transport refused", opts: enc(samltest.Options{SignAssertion: true}), keys: both,
			edit: func(_ *testing.T, x []byte) []byte {
				return samltest.Replace(x, "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", "http://www.w3.org/2001/04/xmlenc#rsa-1_5")
			}, want: "InvalidIdentityToken", msg: "unsupported encryption algorithm"},
		{name: "3DES content refused", opts: enc(samltest.Options{SignAssertion: true}), keys: both,
			edit: func(_ *testing.T, x []byte) []byte {
				return samltest.Replace(x, "http://www.w3.org/2001/04/xmlenc#aes256-cbc", "http://www.w3.org/2001/04/xmlenc#tripledes-cbc")
			}, want: "InvalidIdentityToken", msg: "unsupported encryption algorithm"},
		{name: "encrypted but unsigned (anyone can encrypt)", build: forged, keys: both, want: "InvalidIdentityToken", msg: "Response signature invalid"},
		{name: "forged encrypted assertion beside a signed plain one",
			opts: samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true}, keys: both,
			edit: func(t *testing.T, x []byte) []byte {
				f := forged(t)
				return editDoc(t, x, func(r *etree.Element) {
					d := etree.NewDocument()
					if err := d.ReadFromBytes(f); err != nil {
						t.Fatal(err)
					}
					r.InsertChildAt(0, firstChild(d.Root(), "EncryptedAssertion").Copy())
				})
			}, want: "InvalidIdentityToken", msg: "exactly one Assertion"},
		{name: "signed plain assertion beside an encrypted one, signed response",
			opts: enc(samltest.Options{SignResponse: true}), keys: both,
			edit: func(t *testing.T, x []byte) []byte { return wrapSecondAssertion2(t, x, idp) },
			want: "InvalidIdentityToken"},
		{name: "two encrypted assertions", opts: enc(samltest.Options{SignAssertion: true}), keys: both,
			edit: func(t *testing.T, x []byte) []byte {
				f := forged(t)
				return editDoc(t, x, func(r *etree.Element) {
					d := etree.NewDocument()
					if err := d.ReadFromBytes(f); err != nil {
						t.Fatal(err)
					}
					r.AddChild(firstChild(d.Root(), "EncryptedAssertion").Copy())
				})
			}, want: "InvalidIdentityToken", msg: "exactly one Assertion"},
		{name: "signed response, encrypted assertion swapped for a forged one",
			opts: enc(samltest.Options{SignResponse: true}), keys: both,
			edit: func(t *testing.T, x []byte) []byte {
				f := forged(t)
				return editDoc(t, x, func(r *etree.Element) {
					d := etree.NewDocument()
					if err := d.ReadFromBytes(f); err != nil {
						t.Fatal(err)
					}
					old := firstChild(r, "EncryptedAssertion")
					i := old.Index()
					r.RemoveChild(old)
					r.InsertChildAt(i, firstChild(d.Root(), "EncryptedAssertion").Copy())
				})
			}, want: "InvalidIdentityToken", msg: "Response signature invalid"},
		{name: "decrypted assertion with a tampered signature", keys: both,
			build: func(t *testing.T) []byte {
				// The IdP signs the assertion, then the attacker edits it
				// and encrypts it to the SP.
				x, err := idp.Response(samltest.Options{NameID: "alice", Attributes: attrs(), SignAssertion: true})
				if err != nil {
					t.Fatal(err)
				}
				return editDoc(t, x, func(r *etree.Element) {
					a := firstChild(r, "Assertion")
					a.FindElement(".//NameID").SetText("admin")
					ea, err := samltest.Encrypt(a, sp1.Cert, samltest.AES256CBC, false)
					if err != nil {
						t.Fatal(err)
					}
					i := a.Index()
					r.RemoveChild(a)
					r.InsertChildAt(i, ea)
				})
			}, want: "InvalidIdentityToken", msg: "Response signature invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var xml []byte
			if tc.build != nil {
				xml = tc.build(t)
			} else {
				var err error
				if xml, err = idp.Response(tc.opts); err != nil {
					t.Fatal(err)
				}
			}
			if tc.edit != nil {
				xml = tc.edit(t, xml)
			}
			a, err := saml.VerifyEncrypted(samltest.Encode(xml), certs, now, saml.Decryption{Keys: tc.keys, Required: tc.required})
			if got := code(err); got != tc.want {
				t.Fatalf("VerifyEncrypted: %v (code %q), want %q", err, got, tc.want)
			}
			if tc.want != "" {
				if !strings.Contains(message(err), tc.msg) {
					t.Fatalf("message %q, want it to contain %q", message(err), tc.msg)
				}
				return
			}
			if a.Subject != "alice" || a.Issuer != idp.EntityID || !a.HasRole(roleARN, provARN) || a.RoleSessionName() != "alice@example.com" {
				t.Fatalf("assertion %+v", a)
			}
		})
	}
}

// wrapSecondAssertion2 adds a genuinely signed plain assertion (for another
// subject) beside the encrypted one of a signed response.
func wrapSecondAssertion2(t *testing.T, xml []byte, idp *samltest.IdP) []byte {
	plain, err := idp.Response(samltest.Options{NameID: "admin", Attributes: attrs(), SignAssertion: true})
	if err != nil {
		t.Fatal(err)
	}
	return editDoc(t, xml, func(r *etree.Element) {
		d := etree.NewDocument()
		if err := d.ReadFromBytes(plain); err != nil {
			t.Fatal(err)
		}
		r.AddChild(firstChild(d.Root(), "Assertion").Copy())
	})
}

// Verify (no decryption settings) refuses encrypted assertions.
func TestVerifyRefusesEncryptedWithoutKeys(t *testing.T) {
	now := time.Now()
	idp, _ := samltest.New("https://idp.example.com", now)
	sp, _ := samltest.NewSPKey()
	x, err := idp.Response(samltest.Options{NameID: "alice", Attributes: attrs(), SignResponse: true, EncryptFor: sp.Cert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := saml.Verify(samltest.Encode(x), []*x509.Certificate{idp.Cert}, now); code(err) != "InvalidIdentityToken" {
		t.Fatalf("Verify: %v", err)
	}
}

func TestParsePrivateKey(t *testing.T) {
	sp, err := samltest.NewSPKey()
	if err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{"pkcs8": sp.PEM(), "pkcs1": sp.PKCS1PEM(), "trailing newline": sp.PEM() + "\n\n"} {
		k, err := saml.ParsePrivateKey([]byte(doc))
		if err != nil || !k.Equal(sp.Key) {
			t.Errorf("%s: %v", name, err)
		}
	}
	small, _ := rsa.GenerateKey(rand.Reader, 1024)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	smallDER, _ := x509.MarshalPKCS8PrivateKey(small)
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: sp.Cert.Raw}))
	for name, doc := range map[string]string{
		"empty":       "",
		"not pem":     "hello",
		"certificate": certPEM,
		"ec key":      string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})),
		"1024 bits":   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: smallDER})),
		"two keys":    sp.PEM() + sp.PEM(),
		"truncated":   sp.PEM()[:400],
		"garbage der": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("nope")})),
		"encrypted":   string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: x509.MarshalPKCS1PrivateKey(sp.Key)})),
	} {
		if _, err := saml.ParsePrivateKey([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), "MII") {
			t.Errorf("%s: error quotes the key: %v", name, err)
		}
	}
}

// FuzzVerifyEncrypted: arbitrary documents never panic the decryption
// path and never verify without the IdP's key.
func FuzzVerifyEncrypted(f *testing.F) {
	now := time.Now()
	idp, _ := samltest.New("https://idp.example.com", now)
	other, _ := samltest.New("https://idp.example.com", now)
	sp, _ := samltest.NewSPKey()
	for _, c := range []samltest.Cipher{samltest.AES256CBC, samltest.AES128GCM} {
		x, _ := other.Response(samltest.Options{NameID: "a", Attributes: attrs(), SignResponse: true, EncryptFor: sp.Cert, Content: c})
		f.Add(x)
	}
	certs := []*x509.Certificate{idp.Cert}
	dec := saml.Decryption{Keys: []*rsa.PrivateKey{sp.Key}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if _, err := saml.VerifyEncrypted(samltest.Encode(doc), certs, now, dec); err == nil {
			t.Fatal("a document verified without the IdP's key")
		}
	})
}
