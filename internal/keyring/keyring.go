package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Well-known purposes. Any non-empty string is a valid purpose; each purpose
// gets its own HKDF-derived subkey of every master key.
const (
	// PurposeSecretsAtRest encrypts stored secrets such as IAM users' secret
	// access keys (AAD = the access key id).
	PurposeSecretsAtRest = "secrets-at-rest"
	// PurposeSessionToken seals STS session tokens (see package token).
	PurposeSessionToken = "session-token"
)

const (
	// KeySize is the size in bytes of a master key.
	KeySize = 32
	// MaxKeyIDLen is the maximum length of a key id.
	MaxKeyIDLen = 32

	version   = 1
	nonceSize = 12
	tagSize   = 16
	hkdfInfo  = "hatrack keyring v1 purpose="
)

// Errors. They never contain key material.
var (
	// ErrMalformed: the ciphertext is truncated or has an unknown version.
	ErrMalformed = errors.New("keyring: malformed ciphertext")
	// ErrUnknownKey: the ciphertext names a key id this keyring does not hold.
	ErrUnknownKey = errors.New("keyring: ciphertext sealed with a key not in this keyring")
	// ErrDecrypt: authentication failed (wrong key, wrong purpose, wrong
	// AAD or tampered ciphertext).
	ErrDecrypt = errors.New("keyring: message authentication failed")
	// ErrNoPurpose: an empty purpose was given.
	ErrNoPurpose = errors.New("keyring: empty purpose")
)

// Key is one master key. Key values print redacted with the fmt package.
type Key struct {
	ID     string
	Secret []byte // KeySize bytes
}

// Format implements fmt.Formatter so that a Key never prints its secret.
func (k Key) Format(f fmt.State, _ rune) { fmt.Fprintf(f, "keyring.Key{ID:%q, Secret:REDACTED}", k.ID) }

// Keyring is an immutable set of master keys, one of which is primary. It is
// safe for concurrent use.
type Keyring struct {
	ids     []string
	secrets [][KeySize]byte
	// aeads caches, per purpose, one AEAD per key (same index as ids).
	aeads *sync.Map // string -> []cipher.AEAD
}

// New builds a keyring from keys; the first key is primary. Key ids must be
// unique and valid (see ValidKeyID) and every secret must be KeySize bytes.
func New(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("keyring: no keys")
	}
	kr := &Keyring{ids: make([]string, len(keys)), secrets: make([][KeySize]byte, len(keys)), aeads: new(sync.Map)}
	for i, k := range keys {
		if !ValidKeyID(k.ID) {
			return nil, fmt.Errorf("keyring: key %d: invalid key id (want 1..%d chars of [A-Za-z0-9._-])", i, MaxKeyIDLen)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("keyring: key %q: want %d bytes of key material, got %d", k.ID, KeySize, len(k.Secret))
		}
		for _, id := range kr.ids[:i] {
			if id == k.ID {
				return nil, fmt.Errorf("keyring: duplicate key id %q", k.ID)
			}
		}
		kr.ids[i] = k.ID
		copy(kr.secrets[i][:], k.Secret)
	}
	return kr, nil
}

// Generate returns a keyring holding one new random key (for tests and
// single-process use; production nodes should use LoadOrCreate or FromEnv).
func Generate() *Keyring {
	k := NewKey()
	kr, err := New(k)
	if err != nil {
		panic(err) // unreachable: NewKey always returns a valid key
	}
	return kr
}

// NewKey returns a new random key with a random key id.
func NewKey() Key {
	secret := make([]byte, KeySize)
	rand.Read(secret) // never returns an error (Go ≥ 1.24)
	return Key{ID: newKeyID(), Secret: secret}
}

func newKeyID() string {
	// "k" + 7 base32 characters (35 bits): short, because it is stored in
	// every ciphertext.
	return "k" + strings.ToLower(rand.Text()[:7])
}

// ValidKeyID reports whether id is a valid key id: 1..MaxKeyIDLen characters
// from [A-Za-z0-9._-].
func ValidKeyID(id string) bool {
	if len(id) == 0 || len(id) > MaxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// PrimaryID returns the id of the key used by Seal.
func (kr *Keyring) PrimaryID() string { return kr.ids[0] }

// IDs returns the key ids, primary first.
func (kr *Keyring) IDs() []string { return append([]string(nil), kr.ids...) }

// Len returns the number of keys.
func (kr *Keyring) Len() int { return len(kr.ids) }

// Keys returns copies of all keys, primary first. The result contains key
// material: handle with care.
func (kr *Keyring) Keys() []Key {
	out := make([]Key, len(kr.ids))
	for i := range kr.ids {
		out[i] = Key{ID: kr.ids[i], Secret: append([]byte(nil), kr.secrets[i][:]...)}
	}
	return out
}

// Format implements fmt.Formatter so that a Keyring never prints key material.
// It has a value receiver so that both Keyring and *Keyring are covered.
func (kr Keyring) Format(f fmt.State, _ rune) {
	if len(kr.ids) == 0 {
		fmt.Fprint(f, "keyring.Keyring{}")
		return
	}
	fmt.Fprintf(f, "keyring.Keyring{primary:%q, keys:%d}", kr.ids[0], len(kr.ids))
}

// aeadsFor returns the AEADs for purpose, one per key, deriving them on first
// use.
func (kr *Keyring) aeadsFor(purpose string) ([]cipher.AEAD, error) {
	if v, ok := kr.aeads.Load(purpose); ok {
		return v.([]cipher.AEAD), nil
	}
	if purpose == "" {
		return nil, ErrNoPurpose
	}
	out := make([]cipher.AEAD, len(kr.secrets))
	for i := range kr.secrets {
		sub, err := hkdf.Key(sha256.New, kr.secrets[i][:], nil, hkdfInfo+purpose, KeySize)
		if err != nil {
			return nil, errors.New("keyring: key derivation failed")
		}
		block, err := aes.NewCipher(sub)
		clear(sub)
		if err != nil {
			return nil, errors.New("keyring: cipher setup failed")
		}
		g, err := cipher.NewGCM(block)
		if err != nil {
			return nil, errors.New("keyring: cipher setup failed")
		}
		out[i] = g
	}
	v, _ := kr.aeads.LoadOrStore(purpose, out)
	return v.([]cipher.AEAD), nil
}

// Overhead returns the number of bytes Seal adds to a plaintext.
func (kr *Keyring) Overhead() int { return 2 + len(kr.ids[0]) + nonceSize + tagSize }

// Seal encrypts and authenticates plaintext and authenticates aad with the
// primary key's subkey for purpose. aad is not included in the result; the
// same aad must be given to Open.
func (kr *Keyring) Seal(purpose string, plaintext, aad []byte) ([]byte, error) {
	return kr.AppendSeal(make([]byte, 0, kr.Overhead()+len(plaintext)), purpose, plaintext, aad)
}

// AppendSeal is Seal appending the ciphertext to dst. plaintext must not
// overlap dst's spare capacity.
func (kr *Keyring) AppendSeal(dst []byte, purpose string, plaintext, aad []byte) ([]byte, error) {
	aeads, err := kr.aeadsFor(purpose)
	if err != nil {
		return nil, err
	}
	id := kr.ids[0]
	dst = append(dst, version, byte(len(id)))
	dst = append(dst, id...)
	n := len(dst)
	dst = append(dst, make([]byte, nonceSize)...)
	nonce := dst[n : n+nonceSize]
	rand.Read(nonce) // never returns an error (Go ≥ 1.24)
	return aeads[0].Seal(dst, nonce, plaintext, aad), nil
}

// KeyID returns the id of the key that sealed ciphertext, without decrypting
// it. Use it to find data that must be resealed before a key is removed.
func KeyID(ciphertext []byte) (string, error) {
	if len(ciphertext) < 2 || ciphertext[0] != version {
		return "", ErrMalformed
	}
	n := int(ciphertext[1])
	if n == 0 || n > MaxKeyIDLen || len(ciphertext) < 2+n+nonceSize+tagSize {
		return "", ErrMalformed
	}
	return string(ciphertext[2 : 2+n]), nil
}

// Open authenticates and decrypts a ciphertext made by Seal with any key of
// this keyring, the same purpose and the same aad.
func (kr *Keyring) Open(purpose string, ciphertext, aad []byte) ([]byte, error) {
	return kr.open(purpose, ciphertext, aad, false)
}

// OpenInPlace is Open decrypting into ciphertext's own memory: on success
// the returned plaintext aliases ciphertext, whose contents are overwritten.
// On failure ciphertext's contents are unspecified.
func (kr *Keyring) OpenInPlace(purpose string, ciphertext, aad []byte) ([]byte, error) {
	return kr.open(purpose, ciphertext, aad, true)
}

func (kr *Keyring) open(purpose string, ciphertext, aad []byte, inPlace bool) ([]byte, error) {
	if len(ciphertext) < 2 || ciphertext[0] != version {
		return nil, ErrMalformed
	}
	n := int(ciphertext[1])
	if n == 0 || n > MaxKeyIDLen || len(ciphertext) < 2+n+nonceSize+tagSize {
		return nil, ErrMalformed
	}
	kid := ciphertext[2 : 2+n]
	idx := -1
	for i, id := range kr.ids {
		if id == string(kid) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return nil, ErrUnknownKey
	}
	aeads, err := kr.aeadsFor(purpose)
	if err != nil {
		return nil, err
	}
	nonce := ciphertext[2+n : 2+n+nonceSize]
	sealed := ciphertext[2+n+nonceSize:]
	var dst []byte
	if inPlace {
		dst = sealed[:0]
	}
	pt, err := aeads[idx].Open(dst, nonce, sealed, aad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// NeedsReseal reports whether ciphertext was sealed with a key other than the
// current primary key (after a rotation), so callers can re-encrypt data at
// rest lazily. Malformed input reports false.
func (kr *Keyring) NeedsReseal(ciphertext []byte) bool {
	id, err := KeyID(ciphertext)
	return err == nil && id != kr.ids[0]
}
