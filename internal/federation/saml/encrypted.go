package saml

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"strings"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// NSXMLEnc is the XML Encryption namespace.
const NSXMLEnc = "http://www.w3.org/2001/04/xmlenc#"

// Algorithms accepted in an EncryptedAssertion. Key transport is RSA-OAEP
// (MGF1 with SHA-1, as XML Encryption 1.0 defines rsa-oaep-mgf1p); RSA
// PKCS#1 v1.5 key transport (Bleichenbacher) and 3DES are refused. Content
// encryption is AES-GCM or AES-CBC, the ciphers IAM names for SAML
// encryption. Decryption itself is xmlenc's.
var (
	keyTransportAlgs = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p": true,
	}
	contentAlgs = map[string]int{ // algorithm -> AES block mode (gcm, cbc)
		"http://www.w3.org/2009/xmlenc11#aes128-gcm":  modeGCM,
		"http://www.w3.org/2001/04/xmlenc#aes128-cbc": modeCBC,
		"http://www.w3.org/2001/04/xmlenc#aes192-cbc": modeCBC,
		"http://www.w3.org/2001/04/xmlenc#aes256-cbc": modeCBC,
	}
)

const (
	modeGCM = 1
	modeCBC = 2
)

// Private key sizes accepted for assertion decryption.
const (
	minPrivateKeyBits = 2048
	maxPrivateKeyBits = 8192
)

// ErrInvalidPrivateKey is a PEM document that is not one usable RSA
// private key.
var ErrInvalidPrivateKey = errors.New("invalid private key")

// ParsePrivateKey reads a PEM RSA private key (PKCS #1 "RSA PRIVATE KEY" or
// PKCS #8 "PRIVATE KEY", unencrypted, exactly one block, 2048 to 8192 bits)
// used to decrypt encrypted assertions. Errors never quote the input.
func ParsePrivateKey(doc []byte) (*rsa.PrivateKey, error) {
	block, rest := pem.Decode(doc)
	if block == nil || strings.TrimSpace(string(rest)) != "" || len(block.Headers) != 0 {
		return nil, ErrInvalidPrivateKey
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, ErrInvalidPrivateKey
		}
		key = k
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, ErrInvalidPrivateKey
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, ErrInvalidPrivateKey
		}
		key = rk
	default:
		return nil, ErrInvalidPrivateKey
	}
	if n := key.N.BitLen(); n < minPrivateKeyBits || n > maxPrivateKeyBits {
		return nil, ErrInvalidPrivateKey
	}
	if key.Validate() != nil {
		return nil, ErrInvalidPrivateKey
	}
	return key, nil
}

// Messages of the encrypted-assertion checks (InvalidIdentityToken).
const (
	msgEncryptionRequired = "Invalid SAML response: the SAML provider requires an encrypted assertion"
	msgNoDecryptionKey    = "Invalid SAML response: the assertion is encrypted and the SAML provider has no private key to decrypt it"
	msgDecryptFailed      = "Invalid SAML response: the encrypted assertion could not be decrypted"
	msgUnsupportedAlg     = "Invalid SAML response: the encrypted assertion uses an unsupported encryption algorithm"
)

// decryptAssertion decrypts an EncryptedAssertion with each key in turn and
// returns the Assertion element it holds (not yet verified: the caller
// checks its signature, or the response's). Every decryption failure gives
// the same error, whichever key or step failed.
func decryptAssertion(ea *etree.Element, keys []*rsa.PrivateKey) (*etree.Element, error) {
	if len(keys) == 0 {
		return nil, invalid(msgNoDecryptionKey)
	}
	datas := children(ea, NSXMLEnc, "EncryptedData")
	if len(datas) != 1 {
		return nil, invalid(msgDecryptFailed)
	}
	data := datas[0]
	// The content key travels in an EncryptedKey beside EncryptedData (the
	// SAML layout) or inside its KeyInfo (xmlenc's own layout).
	outer := children(ea, NSXMLEnc, "EncryptedKey")
	// xmlenc finds elements by local name: validate exactly what it reads.
	inner := data.FindElements("./KeyInfo/EncryptedKey")
	if len(outer)+len(inner) == 0 || (len(outer) > 0 && len(inner) > 0) || len(inner) > 1 ||
		(len(inner) == 1 && inner[0].NamespaceURI() != NSXMLEnc) {
		return nil, invalid(msgDecryptFailed)
	}
	mode, ok := contentAlgs[algorithm(data)]
	if !ok {
		return nil, invalid(msgUnsupportedAlg)
	}
	if !cipherValueOK(data, mode) {
		return nil, invalid(msgDecryptFailed)
	}
	for _, ek := range append(append([]*etree.Element{}, outer...), inner...) {
		if !keyTransportAlgs[algorithm(ek)] {
			return nil, invalid(msgUnsupportedAlg)
		}
		if !cipherValueOK(ek, 0) {
			return nil, invalid(msgDecryptFailed)
		}
	}
	for _, k := range keys {
		if len(outer) == 0 {
			if pt, err := safeDecrypt(k, data); err == nil {
				if a, ok := plaintextAssertion(pt); ok {
					return a, nil
				}
			}
			continue
		}
		for _, ek := range outer {
			cek, err := safeDecrypt(k, ek)
			if err != nil {
				continue
			}
			if pt, err := safeDecrypt(cek, data); err == nil {
				if a, ok := plaintextAssertion(pt); ok {
					return a, nil
				}
			}
		}
	}
	return nil, invalid(msgDecryptFailed)
}

// algorithm is the element's one xenc:EncryptionMethod/@Algorithm ("" when
// there is not exactly one EncryptionMethod, as xmlenc finds it, in the
// XML Encryption namespace).
func algorithm(el *etree.Element) string {
	ems := el.FindElements("./EncryptionMethod")
	if len(ems) != 1 || ems[0].NamespaceURI() != NSXMLEnc {
		return ""
	}
	return ems[0].SelectAttrValue("Algorithm", "")
}

// cipherValueOK checks el's CipherData/CipherValue before xmlenc reads it:
// valid base64 (line breaks, which IdPs insert, are removed in place) of a
// length the mode can hold, so that no input reaches a slicing panic in
// the decrypter. mode 0 is RSA key transport (any non-empty length).
func cipherValueOK(el *etree.Element, mode int) bool {
	// xmlenc finds the value by local names: there must be exactly one.
	cvs := el.FindElements("./CipherData/CipherValue")
	if len(cvs) != 1 || cvs[0].NamespaceURI() != NSXMLEnc || cvs[0].Parent().NamespaceURI() != NSXMLEnc {
		return false
	}
	b64 := strings.Map(dropSpace, cvs[0].Text())
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return false
	}
	cvs[0].SetText(b64)
	switch mode {
	case modeGCM:
		return len(raw) >= 12+16 // nonce, tag
	case modeCBC:
		return len(raw) >= 32 && len(raw)%16 == 0 // IV and at least one block
	}
	return len(raw) > 0
}

// safeDecrypt is xmlenc.Decrypt turning a panic on hostile input into an
// error.
func safeDecrypt(key any, el *etree.Element) (pt []byte, err error) {
	defer func() {
		if recover() != nil {
			pt, err = nil, errors.New("decryption failed")
		}
	}()
	return xmlenc.Decrypt(key, el)
}

// plaintextAssertion parses decrypted content: one saml:Assertion.
func plaintextAssertion(pt []byte) (*etree.Element, bool) {
	root, err := parseXML(pt)
	if err != nil || root.Tag != "Assertion" || root.NamespaceURI() != NSAssertion {
		return nil, false
	}
	return root, true
}
