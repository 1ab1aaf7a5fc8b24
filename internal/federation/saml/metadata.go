package saml

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"time"
)

// Metadata is what Hatrack keeps from an IdP's SAML metadata document.
type Metadata struct {
	EntityID string
	// Certs are the DER signing certificates (KeyDescriptor use="signing"
	// or without use) of the IDPSSODescriptor.
	Certs [][]byte
	// ValidUntil is the document's validUntil (zero when absent).
	ValidUntil time.Time
}

// MaxSigningKeys is AWS's limit of signing keys per SAML provider.
const MaxSigningKeys = 10

// ParseMetadata reads an EntityDescriptor and extracts its IdP signing
// certificates. The error text is meant for the caller's InvalidInput.
func ParseMetadata(doc string) (*Metadata, error) {
	root, err := parseXML([]byte(doc))
	if err != nil {
		return nil, errMetadata("Could not parse metadata")
	}
	if root.NamespaceURI() != NSMetadata {
		return nil, errMetadata("Could not parse metadata")
	}
	ed := root
	if root.Tag == "EntitiesDescriptor" {
		ed = child(root, NSMetadata, "EntityDescriptor")
	}
	if ed == nil || ed.Tag != "EntityDescriptor" {
		return nil, errMetadata("Could not parse metadata")
	}
	md := &Metadata{EntityID: ed.SelectAttrValue("entityID", "")}
	if v := ed.SelectAttrValue("validUntil", root.SelectAttrValue("validUntil", "")); v != "" {
		if t, ok := parseTime(v); ok {
			md.ValidUntil = t
		}
	}
	idp := child(ed, NSMetadata, "IDPSSODescriptor")
	if idp == nil {
		return nil, errMetadata("Could not parse metadata")
	}
	for _, kd := range children(idp, NSMetadata, "KeyDescriptor") {
		if use := kd.SelectAttrValue("use", "signing"); use != "signing" {
			continue
		}
		ki := child(kd, NSDSig, "KeyInfo")
		for _, xd := range children(ki, NSDSig, "X509Data") {
			for _, xc := range children(xd, NSDSig, "X509Certificate") {
				der, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, xc.Text()))
				if err != nil {
					return nil, errMetadata("Could not parse metadata")
				}
				if _, err := x509.ParseCertificate(der); err != nil {
					return nil, errMetadata("Could not parse metadata")
				}
				md.Certs = append(md.Certs, der)
			}
		}
	}
	if len(md.Certs) == 0 {
		return nil, errMetadata("Could not parse metadata")
	}
	if len(md.Certs) > MaxSigningKeys {
		return nil, errMetadata("Cannot exceed quota for SigningKeysPerSAMLProvider: 10")
	}
	return md, nil
}

// MetadataError is a metadata document the provider cannot use.
type MetadataError struct{ Msg string }

func (e *MetadataError) Error() string { return e.Msg }

func errMetadata(msg string) error { return &MetadataError{Msg: msg} }
