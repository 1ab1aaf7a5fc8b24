package iam

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"regexp"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/saml"
)

// SAML assertion encryption: a provider holds up to two private keys
// (AddPrivateKey, PEM) that decrypt EncryptedAssertions, and a mode:
// Allowed (plain or encrypted assertions) or Required (encrypted only).
// The keys are secrets: sealed under the keyring (secrets-at-rest, bound to
// the provider ARN and key id) exactly as virtual MFA seeds are, never
// answered (GetSAMLProvider lists KeyId and Timestamp only).

// Assertion encryption modes.
const (
	EncryptionAllowed  = "Allowed"
	EncryptionRequired = "Required"
)

// maxSAMLPrivateKeys is the model's privateKeyList limit (two, so that a
// key can be rotated).
const maxSAMLPrivateKeys = 2

// maxSAMLPrivateKeyLen is the model's limit on AddPrivateKey.
const maxSAMLPrivateKeyLen = 16384

var reSAMLKeyID = regexp.MustCompile(`^[A-Z0-9]+$`)

// SAMLPrivateKey is one uploaded decryption key. Sealed is the PKCS #8 DER
// key sealed under the keyring.
type SAMLPrivateKey struct {
	KeyID    string
	Uploaded time.Time
	Sealed   []byte
}

// EncryptionMode is AssertionEncryptionMode as GetSAMLProvider answers it.
func (p *SAMLProvider) EncryptionMode() string {
	if p.EncryptionRequired {
		return EncryptionRequired
	}
	return EncryptionAllowed
}

func samlKeyAAD(p *SAMLProvider, keyID string) []byte {
	return []byte(p.ARN() + "\x00" + keyID)
}

// SAMLDecryption opens the provider's private keys (in upload order) and
// returns how AssumeRoleWithSAML treats encrypted assertions for it.
func (s *Service) SAMLDecryption(p *SAMLProvider) (saml.Decryption, error) {
	dec := saml.Decryption{Required: p.EncryptionRequired}
	for _, k := range p.PrivateKeys {
		der, err := s.keys.Open(secretPurpose, k.Sealed, samlKeyAAD(p, k.KeyID))
		if err != nil {
			return saml.Decryption{}, err
		}
		key, err := x509.ParsePKCS8PrivateKey(der)
		clear(der)
		if err != nil {
			return saml.Decryption{}, err
		}
		rk, ok := key.(*rsa.PrivateKey)
		if !ok {
			return saml.Decryption{}, errors.New("iam: a sealed SAML private key is not an RSA key")
		}
		dec.Keys = append(dec.Keys, rk)
	}
	return dec, nil
}

// checkEncryptionMode validates AssertionEncryptionMode (nil: absent).
func checkEncryptionMode(v *awserr.Validation, mode *string) {
	if mode != nil && *mode != EncryptionRequired && *mode != EncryptionAllowed {
		v.Add(*mode, "assertionEncryptionMode", "Member must satisfy enum value set: [Required, Allowed]")
	}
}

// checkPrivateKeyMember validates AddPrivateKey against the model, never
// quoting it.
func checkPrivateKeyMember(v *awserr.Validation, key *string) {
	if key == nil {
		return
	}
	n := utf8.RuneCountInString(*key)
	if n < 1 {
		v.Add("*****", "addPrivateKey", "Member must have length greater than or equal to 1")
		return
	}
	if n > maxSAMLPrivateKeyLen {
		v.Add("*****", "addPrivateKey", "Member must have length less than or equal to 16384")
		return
	}
	for _, r := range *key {
		if !(r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF)) {
			v.Add("*****", "addPrivateKey", `Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
			return
		}
	}
}

func checkRemoveKeyMember(v *awserr.Validation, id *string) {
	if id == nil {
		return
	}
	if len(*id) < 22 {
		v.Add(*id, "removePrivateKey", "Member must have length greater than or equal to 22")
	} else if len(*id) > 64 {
		v.Add(*id, "removePrivateKey", "Member must have length less than or equal to 64")
	}
	if !reSAMLKeyID.MatchString(*id) {
		v.Add(*id, "removePrivateKey", "Member must satisfy regular expression pattern: [A-Z0-9]+")
	}
}

// parseSAMLPrivateKey reads AddPrivateKey; the error never quotes it.
func parseSAMLPrivateKey(doc string) (*rsa.PrivateKey, error) {
	k, err := saml.ParsePrivateKey([]byte(doc))
	if err != nil {
		return nil, awserr.InvalidInput("Invalid private key.")
	}
	return k, nil
}

// addSAMLKey seals key and appends it to p (the caller checked the limit).
func (s *Service) addSAMLKey(p *SAMLProvider, key *rsa.PrivateKey, now time.Time) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	id := rand.Text() // 26 characters of A-Z2-7
	sealed, err := s.keys.Seal(secretPurpose, der, samlKeyAAD(p, id))
	clear(der)
	if err != nil {
		return err
	}
	p.PrivateKeys = append(p.PrivateKeys, SAMLPrivateKey{KeyID: id, Uploaded: now, Sealed: sealed})
	return nil
}

func errRequiredWithoutKey() error {
	return awserr.InvalidInput("Unable to set assertion encryption mode to Required because no private key is provided.")
}

// UpdateSAMLProviderInput is UpdateSAMLProvider's request; nil members
// are absent.
type UpdateSAMLProviderInput struct {
	ARN                     string
	Metadata                *string
	AssertionEncryptionMode *string
	AddPrivateKey           *string
	RemovePrivateKey        *string
}

// UpdateSAMLProviderSettings replaces the metadata, sets the assertion
// encryption mode, and adds or removes a private key, in one transaction.
func (s *Service) UpdateSAMLProviderSettings(ctx context.Context, account string, in UpdateSAMLProviderInput) (*SAMLProvider, error) {
	var v awserr.Validation
	checkARNMember(&v, "sAMLProviderArn", in.ARN)
	if in.Metadata != nil {
		checkMetadataSize(&v, *in.Metadata)
	}
	checkEncryptionMode(&v, in.AssertionEncryptionMode)
	checkPrivateKeyMember(&v, in.AddPrivateKey)
	checkRemoveKeyMember(&v, in.RemovePrivateKey)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if in.AddPrivateKey != nil && in.RemovePrivateKey != nil {
		return nil, awserr.InvalidInput("Unable to add and remove private keys in the same request. Set a value for only one of the two parameters.")
	}
	if in.Metadata == nil && in.AssertionEncryptionMode == nil && in.AddPrivateKey == nil && in.RemovePrivateKey == nil {
		return nil, awserr.InvalidInput("Unable to update identity provider. No updates are defined for metadata or encryption assertion.")
	}
	var key *rsa.PrivateKey
	if in.AddPrivateKey != nil {
		k, err := parseSAMLPrivateKey(*in.AddPrivateKey)
		if err != nil {
			return nil, err
		}
		key = k
	}
	var md *saml.Metadata
	if in.Metadata != nil {
		m, err := parseSAMLMetadata(*in.Metadata)
		if err != nil {
			return nil, err
		}
		md = m
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	return s.updateSAML(ctx, account, in.ARN, func(p *SAMLProvider) error {
		if md != nil {
			p.Metadata, p.Certs, p.EntityID = *in.Metadata, md.Certs, md.EntityID
			p.ValidUntil = validUntil(md, now)
		}
		if key != nil {
			if len(p.PrivateKeys) >= maxSAMLPrivateKeys {
				return awserr.LimitExceeded("Private key limit of %d is reached.", maxSAMLPrivateKeys)
			}
			if err := s.addSAMLKey(p, key, now); err != nil {
				return err
			}
		}
		if in.RemovePrivateKey != nil {
			kept := p.PrivateKeys[:0:0]
			for _, k := range p.PrivateKeys {
				if k.KeyID != *in.RemovePrivateKey {
					kept = append(kept, k)
				}
			}
			if len(kept) == len(p.PrivateKeys) {
				return awserr.InvalidInput("Failed to remove private key because the Key ID does not match a private key.")
			}
			p.PrivateKeys = kept
		}
		if in.AssertionEncryptionMode != nil {
			required := *in.AssertionEncryptionMode == EncryptionRequired
			if required && len(p.PrivateKeys) == 0 {
				return errRequiredWithoutKey()
			}
			p.EncryptionRequired = required
		}
		if p.EncryptionRequired && len(p.PrivateKeys) == 0 {
			// Removing the last key of a provider that requires
			// encrypted assertions.
			return awserr.InvalidInput("Failed to remove private key.")
		}
		return nil
	})
}
