// Package token owns Hatrack's STS session tokens: sealed, self-contained
// tokens that carry everything needed to authenticate and authorize a
// temporary-credential request (Claims) on any node, without a store lookup.
//
// Mint encodes Claims in a compact tagged binary form (protobuf-like: uvarint
// field keys with a wire type, so nodes running an older version skip fields
// they do not know), seals it with the keyring purpose "session-token" using
// additional authenticated data = access key id + deployment id, and returns
// standard base64. Open reverses this and tells apart malformed tokens
// (ErrMalformed), tokens not sealed by any key we hold or minted for another
// deployment (ErrForeign) and tokens presented with another access key id
// (ErrMismatch). Callers map all three to InvalidClientTokenId and check
// expiry themselves with (*Claims).Expired against their (injectable) clock.
//
// Token layout (version 1), before base64:
//
//	0x01 | uvarint len(accessKeyID) | accessKeyID | keyring ciphertext
//
// The access key id is in the clear (it travels next to the token in every
// request anyway) so that a token presented with the wrong key id is refused
// before decryption; it is also bound by the AEAD. The deployment id is only
// in the AAD. The payload is deliberately not compressed: the token carries
// the session's secret access key next to caller-chosen fields (session name,
// tags, policy), and compressing secrets with attacker-controlled data before
// encryption leaks information through the length.
//
// This package imports, of the Hatrack module, only internal/keyring.
package token
