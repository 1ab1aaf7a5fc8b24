package samltest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// SPKey is a service provider's encryption key pair: the IdP encrypts
// assertions to Cert, the SAML provider decrypts them with Key (uploaded
// as AddPrivateKey).
type SPKey struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

// NewSPKey creates a 2048-bit RSA key and a self-signed certificate.
func NewSPKey() (*SPKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "aws-sp-encryption"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(365 * 24 * time.Hour), KeyUsage: x509.KeyUsageKeyEncipherment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &SPKey{Key: key, Cert: cert}, nil
}

// PEM is the private key as a PKCS #8 "PRIVATE KEY" PEM document.
func (k *SPKey) PEM() string {
	der, err := x509.MarshalPKCS8PrivateKey(k.Key)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// PKCS1PEM is the private key as a PKCS #1 "RSA PRIVATE KEY" PEM document.
func (k *SPKey) PKCS1PEM() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.Key)}))
}

// Encrypt wraps an assertion element in a saml:EncryptedAssertion for
// cert with xmlenc's RSA-OAEP (rsa-oaep-mgf1p, SHA-1 digest as the
// XML Encryption 1.0 algorithm defines it) and the content cipher c.
// keyOutside moves the EncryptedKey beside the EncryptedData.
func Encrypt(assertion *etree.Element, cert *x509.Certificate, c Cipher, keyOutside bool) (*etree.Element, error) {
	doc := etree.NewDocument()
	doc.SetRoot(assertion.Copy())
	plaintext, err := doc.WriteToBytes()
	if err != nil {
		return nil, err
	}
	enc := xmlenc.OAEP()
	enc.DigestMethod = xmlenc.SHA1
	switch c {
	case AES128CBC:
		enc.BlockCipher = xmlenc.AES128CBC
	case AES128GCM:
		enc.BlockCipher = aes128GCM{}
	default:
		enc.BlockCipher = xmlenc.AES256CBC
	}
	data, err := enc.Encrypt(cert, plaintext, nil)
	if err != nil {
		return nil, err
	}
	ea := etree.NewElement("saml:EncryptedAssertion")
	ea.CreateAttr("xmlns:saml", "urn:oasis:names:tc:SAML:2.0:assertion")
	ea.AddChild(data)
	if keyOutside {
		ki := data.FindElement("./KeyInfo")
		ek := ki.FindElement("./EncryptedKey")
		ki.RemoveChild(ek)
		ek.CreateAttr("xmlns:ds", "http://www.w3.org/2000/09/xmldsig#")
		rm := ki.CreateElement("ds:RetrievalMethod")
		rm.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#EncryptedKey")
		rm.CreateAttr("URI", "#"+ek.SelectAttrValue("Id", ""))
		ea.AddChild(ek)
	}
	return ea, nil
}

// aes128GCM is AES-128-GCM content encryption as XML Encryption 1.1
// defines it (CipherValue = nonce || ciphertext || tag). xmlenc v0.5.1
// decrypts this form, but its own GCM encrypter is unusable (it panics
// without a nonce and seals zeros), so the test IdP brings its own.
type aes128GCM struct{}

func (aes128GCM) KeySize() int      { return 16 }
func (aes128GCM) Algorithm() string { return xmlenc.AES128GCM.Algorithm() }
func (aes128GCM) Decrypt(key any, el *etree.Element) ([]byte, error) {
	return xmlenc.AES128GCM.Decrypt(key, el)
}

func (aes128GCM) Encrypt(key any, plaintext []byte, _ []byte) (*etree.Element, error) {
	k, ok := key.([]byte)
	if !ok || len(k) != 16 {
		return nil, fmt.Errorf("aes128-gcm: want a 16-byte key")
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	ct := gcm.Seal(append([]byte{}, nonce...), nonce, plaintext, nil)
	ed := etree.NewElement("xenc:EncryptedData")
	ed.CreateAttr("xmlns:xenc", "http://www.w3.org/2001/04/xmlenc#")
	ed.CreateAttr("Id", newID())
	ed.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	em := ed.CreateElement("xenc:EncryptionMethod")
	em.CreateAttr("Algorithm", xmlenc.AES128GCM.Algorithm())
	ed.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(ct))
	return ed, nil
}
