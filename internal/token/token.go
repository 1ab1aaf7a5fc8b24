package token

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"

	"github.com/hatrack/hatrack/internal/keyring"
)

const (
	tokenVersion = 1
	aadPrefix    = "hatrack sts session token v1\x00"

	// MaxTokenLen bounds the encoded token Open accepts (and Mint produces);
	// larger input is refused before decoding.
	MaxTokenLen = 64 << 10
	// maxAccessKeyIDLen bounds the key id stored in the envelope (model: 16..128).
	maxAccessKeyIDLen = 128
)

// Errors returned by Open. Callers map all of them to InvalidClientTokenId.
var (
	// ErrMalformed: not a token of a format this version understands.
	ErrMalformed = errors.New("token: malformed session token")
	// ErrForeign: not sealed by any key we hold, tampered with, or minted
	// for another deployment.
	ErrForeign = errors.New("token: session token not issued by this deployment")
	// ErrMismatch: the token was issued for another access key id.
	ErrMismatch = errors.New("token: session token does not belong to this access key id")
	// ErrInvalidClaims is returned by Mint for claims that cannot be minted
	// (unknown Type, missing AccessKeyID, Deployment or Expires, or too big).
	ErrInvalidClaims = errors.New("token: invalid claims")
)

// aad is the additional authenticated data binding a token to its access key
// id and deployment: prefix | uvarint len(accessKeyID) | accessKeyID |
// deploymentID (length-prefixed, so no two pairs give the same bytes).
func aad(accessKeyID, deploymentID string) []byte {
	b := make([]byte, 0, len(aadPrefix)+binary.MaxVarintLen64+len(accessKeyID)+len(deploymentID))
	b = append(b, aadPrefix...)
	b = binary.AppendUvarint(b, uint64(len(accessKeyID)))
	b = append(b, accessKeyID...)
	return append(b, deploymentID...)
}

// Mint seals c into a session token for c.AccessKeyID, valid only in
// deployment c.Deployment. c.AccessKeyID, c.Deployment and c.Expires are
// required, and c.Type must be one of the defined types.
func Mint(kr *keyring.Keyring, c *Claims) (string, error) {
	if c == nil || kr == nil || c.AccessKeyID == "" || len(c.AccessKeyID) > maxAccessKeyIDLen ||
		c.Deployment == "" || c.Expires.IsZero() {
		return "", ErrInvalidClaims
	}
	payload, err := encode(make([]byte, 0, sizeHint(c)), c)
	if err != nil {
		return "", err
	}
	raw := make([]byte, 0, 1+binary.MaxVarintLen64+len(c.AccessKeyID)+kr.Overhead()+len(payload))
	raw = append(raw, tokenVersion)
	raw = binary.AppendUvarint(raw, uint64(len(c.AccessKeyID)))
	raw = append(raw, c.AccessKeyID...)
	raw, err = kr.AppendSeal(raw, keyring.PurposeSessionToken, payload, aad(c.AccessKeyID, c.Deployment))
	clear(payload) // contains the secret access key
	if err != nil {
		return "", err
	}
	if base64.StdEncoding.EncodedLen(len(raw)) > MaxTokenLen {
		return "", ErrInvalidClaims
	}
	return base64.StdEncoding.EncodeToString(raw), nil
}

// decodeBase64 decodes standard base64 (with padding) without copying s:
// it feeds Decode 32-character chunks, which the compiler converts to
// []byte on the stack. Line breaks are not accepted.
func decodeBase64(s string) ([]byte, bool) {
	if len(s)%4 != 0 {
		return nil, false
	}
	out := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n := 0
	for i := 0; i < len(s); i += 32 {
		chunk := s[i:min(i+32, len(s))]
		if i+32 < len(s) && strings.ContainsRune(chunk, '=') {
			return nil, false
		}
		m, err := base64.StdEncoding.Decode(out[n:], []byte(chunk))
		if err != nil || m != len(chunk)/4*3 && i+32 < len(s) {
			return nil, false
		}
		n += m
	}
	return out[:n], true
}

// Open verifies and decodes a session token presented with accessKeyID to a
// node of deployment deploymentID. It does not check expiry: see
// (*Claims).Expired. The returned Claims have AccessKeyID = accessKeyID and
// Deployment = deploymentID.
func Open(kr *keyring.Keyring, accessKeyID, tokenString, deploymentID string) (*Claims, error) {
	if kr == nil {
		return nil, ErrForeign
	}
	if len(tokenString) == 0 || len(tokenString) > MaxTokenLen {
		return nil, ErrMalformed
	}
	raw, ok := decodeBase64(tokenString)
	if !ok || len(raw) < 2 || raw[0] != tokenVersion {
		return nil, ErrMalformed
	}
	l, m := binary.Uvarint(raw[1:])
	if m <= 0 || l == 0 || l > maxAccessKeyIDLen || l > uint64(len(raw)-1-m) {
		return nil, ErrMalformed
	}
	akid := raw[1+m : 1+m+int(l)]
	if string(akid) != accessKeyID {
		return nil, ErrMismatch
	}
	sealed := raw[1+m+int(l):]
	payload, err := kr.OpenInPlace(keyring.PurposeSessionToken, sealed, aad(accessKeyID, deploymentID))
	switch {
	case err == nil:
	case errors.Is(err, keyring.ErrMalformed):
		return nil, ErrMalformed
	default: // unknown key, authentication failure
		return nil, ErrForeign
	}
	c := &Claims{AccessKeyID: accessKeyID, Deployment: deploymentID}
	err = decode(payload, c)
	clear(raw) // the plaintext (with the secret) was decrypted into raw
	if err != nil {
		// Authentic but undecodable: minted by an incompatible version.
		return nil, ErrMalformed
	}
	return c, nil
}
