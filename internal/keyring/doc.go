// Package keyring owns Hatrack's symmetric master keys, which are kept apart
// from the database, and the authenticated encryption built on them.
//
// A Keyring is an ordered set of 32-byte master keys, each with a short key
// id. Exactly one key is primary: it seals new data. Every key in the ring can
// open data, so keys can be rotated without downtime: add a new key and make
// it primary (Rotate), keep the old one until nothing sealed with it is still
// needed, then remove it (Remove).
//
// Keyrings come from a key file (LoadOrCreate, Load; a small JSON file of mode
// 0600 created with one random key on first use) or from an environment
// variable value (FromEnv: comma-separated "id:base64key", first = primary),
// so that every node of a cluster can be configured with the same keys.
//
// Master keys are never used directly. Seal and Open take a purpose string
// (PurposeSecretsAtRest, PurposeSessionToken, ...) and use a subkey derived
// from the master key with HKDF-SHA256, so one keyring serves several uses
// with independent keys. Encryption is AES-256-GCM with a random 96-bit
// nonce; the ciphertext carries a format version byte and the id of the key
// that sealed it.
//
// Ciphertext layout (version 1):
//
//	version(1)=0x01 | len(keyID)(1) | keyID | nonce(12) | GCM ciphertext+tag(16)
//
// AppendSeal and OpenInPlace are allocation-saving variants for hot paths
// (session tokens). Random 96-bit nonces keep each subkey safe for about 2^32
// seals; rotate long before that.
//
// Errors returned by this package never contain key material, and Keyring and
// Key values print redacted with the fmt package.
//
// This package imports nothing from the Hatrack module; it uses only the
// standard library.
package keyring
