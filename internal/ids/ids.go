package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"strconv"
)

// Unique-id and access-key prefixes (ids-and-arns.md §1).
const (
	PrefixUser            = "AIDA"
	PrefixRole            = "AROA"
	PrefixGroup           = "AGPA"
	PrefixPolicy          = "ANPA"
	PrefixPolicyVersion   = "ANVA"
	PrefixInstanceProfile = "AIPA"
	PrefixPublicKey       = "APKA"
	PrefixCertificate     = "ASCA"
	PrefixContextCred     = "ACCA"
	PrefixBearerToken     = "ABIA"
	PrefixAccessKey       = "AKIA" // long-term access key id
	PrefixTempAccessKey   = "ASIA" // temporary (STS) access key id
)

const (
	// UniqueIDLen is the length of ids from NewUniqueID.
	UniqueIDLen = 21
	// AccessKeyIDLen is the length of ids from NewAccessKeyID.
	AccessKeyIDLen = 20
	// SecretAccessKeyLen is the length of secrets from NewSecretAccessKey.
	SecretAccessKeyLen = 40
	// AccountIDLen is the length of an account id.
	AccountIDLen = 12

	base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	maxAccount     = 999_999_999_999
	accountMask    = 0x7fffffffff80
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrInvalidPrefix is returned for a prefix that is not 4 upper-case letters
// (or, for access keys, not AKIA/ASIA).
var ErrInvalidPrefix = errors.New("ids: invalid prefix")

// ErrInvalidAccount is returned for an account id that is not 12 digits.
var ErrInvalidAccount = errors.New("ids: invalid account id")

// validPrefix reports whether p is 4 upper-case ASCII letters.
func validPrefix(p string) bool {
	if len(p) != 4 {
		return false
	}
	for i := 0; i < 4; i++ {
		if p[i] < 'A' || p[i] > 'Z' {
			return false
		}
	}
	return true
}

// NewUniqueID returns prefix + 17 random base32 characters (21 characters),
// e.g. NewUniqueID(PrefixRole) = "AROAXQ7Z4N2KJ5LMWB3TE". It panics if prefix
// is not 4 upper-case ASCII letters (a programming error).
func NewUniqueID(prefix string) string {
	if !validPrefix(prefix) {
		panic(ErrInvalidPrefix)
	}
	return prefix + rand.Text()[:UniqueIDLen-4]
}

// ValidUniqueID reports whether id has the shape produced by NewUniqueID with
// the given prefix (any 4-letter prefix if prefix is ""): 21 characters,
// prefix then characters from A-Z2-7.
func ValidUniqueID(id, prefix string) bool {
	if len(id) != UniqueIDLen || !validPrefix(id[:4]) || (prefix != "" && id[:4] != prefix) {
		return false
	}
	return isBase32(id[4:])
}

func isBase32(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// NewAccessKeyID returns prefix (AKIA or ASIA) + 16 base32 characters that
// encode account (ids-and-arns.md §2): the 10 decoded bytes hold, in their
// first 6 bytes big-endian, (account << 7) with the top bit set (as in
// current AWS keys, which then start with "AKIAQ"/"ASIAQ".. "ASIA7"), and
// random bits everywhere else.
func NewAccessKeyID(prefix, account string) (string, error) {
	if prefix != PrefixAccessKey && prefix != PrefixTempAccessKey {
		return "", ErrInvalidPrefix
	}
	if !ValidAccountID(account) {
		return "", ErrInvalidAccount
	}
	acct, _ := strconv.ParseUint(account, 10, 64)
	var raw [10]byte
	rand.Read(raw[:]) // never returns an error (Go ≥ 1.24)
	var head [8]byte
	copy(head[2:], raw[:6])
	v := binary.BigEndian.Uint64(head[:])
	v = v&0x7f | 1<<47 | acct<<7 // keep the 7 low random bits
	binary.BigEndian.PutUint64(head[:], v)
	copy(raw[:6], head[2:])
	return prefix + b32.EncodeToString(raw[:]), nil
}

// AccountFromAccessKeyID decodes the account id encoded in an access key id
// (any 4-letter prefix + 16 base32 characters): base32-decode the 16
// characters after the prefix, take the first 6 bytes big-endian, mask
// 0x7fffffffff80 and shift right by 7. ok is false if id is not 20
// characters of that shape or encodes a number above 999999999999. Keys made
// by AWS before ~2019 do not follow this scheme and decode to garbage.
func AccountFromAccessKeyID(id string) (account string, ok bool) {
	if len(id) != AccessKeyIDLen || !validPrefix(id[:4]) || !isBase32(id[4:]) {
		return "", false
	}
	var raw [10]byte
	if n, err := b32.Decode(raw[:], []byte(id[4:])); err != nil || n != 10 {
		return "", false
	}
	var head [8]byte
	copy(head[2:], raw[:6])
	acct := binary.BigEndian.Uint64(head[:]) & accountMask >> 7
	if acct > maxAccount {
		return "", false
	}
	s := strconv.FormatUint(acct, 10)
	for len(s) < AccountIDLen {
		s = "0" + s
	}
	return s, true
}

// ValidAccessKeyID reports whether id looks like an id from NewAccessKeyID:
// AKIA or ASIA followed by 16 base32 characters.
func ValidAccessKeyID(id string) bool {
	return len(id) == AccessKeyIDLen &&
		(id[:4] == PrefixAccessKey || id[:4] == PrefixTempAccessKey) && isBase32(id[4:])
}

// IsTemporaryAccessKeyID reports whether id is an STS (ASIA) access key id.
func IsTemporaryAccessKeyID(id string) bool {
	return len(id) >= 4 && id[:4] == PrefixTempAccessKey
}

// NewSecretAccessKey returns 40 random characters from [A-Za-z0-9+/]: the
// standard base64 encoding of 30 random bytes (240 bits; each character is
// exactly 6 uniform bits, so the distribution is unbiased, and 30 bytes
// encode without padding).
func NewSecretAccessKey() string {
	var b [30]byte
	rand.Read(b[:])
	s := base64.StdEncoding.EncodeToString(b[:])
	clear(b[:])
	return s
}

// ValidSecretAccessKey reports whether s is 40 characters of [A-Za-z0-9+/].
func ValidSecretAccessKey(s string) bool {
	if len(s) != SecretAccessKeyLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// NewRequestID returns a random lower-case RFC 9562 version-4 UUID, e.g.
// "c2a1f4de-3b5e-4f1a-9b7c-0d8e6f5a4b3c".
func NewRequestID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // variant 10
	var buf [36]byte
	hex.Encode(buf[0:8], u[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], u[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], u[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], u[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], u[10:])
	return string(buf[:])
}

var (
	accountBase  = big.NewInt(100_000_000_000)
	accountRange = big.NewInt(900_000_000_000)
)

// NewAccountID returns a uniformly random 12-digit account id that does not
// start with 0.
func NewAccountID() string {
	n, err := rand.Int(rand.Reader, accountRange)
	if err != nil {
		panic("ids: crypto/rand failed") // crypto/rand.Reader does not fail
	}
	return n.Add(n, accountBase).String()
}

// ValidAccountID reports whether s is exactly 12 ASCII digits (leading zeros
// allowed: account ids are strings).
func ValidAccountID(s string) bool {
	if len(s) != AccountIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
