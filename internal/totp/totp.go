package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"hash"
	"net/url"
	"strings"
	"time"
)

const (
	// Period is the time step.
	Period = 30 * time.Second
	// Digits is the code length.
	Digits = 6
	// SecretSize is the size of secrets from NewSecret (160 bits, as RFC
	// 4226 recommends for HMAC-SHA1).
	SecretSize = 20

	periodSeconds = 30
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrBadSecret is returned by DecodeSecret for input that is not Base32 or is
// too short. It does not echo the input.
var ErrBadSecret = errors.New("totp: invalid Base32 secret")

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}

// hotp computes the RFC 4226 HOTP value for counter with digits digits,
// zero-padded.
func hotp(h func() hash.Hash, secret []byte, counter uint64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m := hmac.New(h, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	v %= pow10[digits]
	var out [8]byte
	for i := digits - 1; i >= 0; i-- {
		out[i] = byte('0' + v%10)
		v /= 10
	}
	return string(out[:digits])
}

// Step returns the TOTP time step of t (floor(unix seconds / 30)).
func Step(t time.Time) int64 {
	s := t.Unix()
	if s < 0 {
		return (s - periodSeconds + 1) / periodSeconds
	}
	return s / periodSeconds
}

// Generate returns the 6-digit code for t.
func Generate(secret []byte, t time.Time) string {
	return hotp(sha1.New, secret, uint64(Step(t)), Digits)
}

// GenerateStep returns the 6-digit code for a time step.
func GenerateStep(secret []byte, step int64) string {
	return hotp(sha1.New, secret, uint64(step), Digits)
}

// Validate checks code against the steps Step(t)-skewSteps .. Step(t)+skewSteps
// (skewSteps < 0 counts as 0). It returns the matched step and true, or 0 and
// false. Every candidate is computed and compared in constant time. To
// prevent reuse, callers store the returned step and reject a later code whose
// step is not greater than the stored one. Codes that are not exactly 6 ASCII
// digits never match.
func Validate(secret []byte, code string, t time.Time, skewSteps int) (step int64, ok bool) {
	return validate(sha1.New, secret, code, Step(t), skewSteps, Digits)
}

func validate(h func() hash.Hash, secret []byte, code string, now int64, skew, digits int) (int64, bool) {
	if len(code) != digits || !allDigits(code) {
		return 0, false
	}
	skew = max(skew, 0)
	var matched int64
	found := 0
	// Prefer the current step, then nearer steps: iterate by distance and
	// keep the first match, without leaving the loop early.
	for d := 0; d <= skew; d++ {
		for _, s := range [2]int64{now - int64(d), now + int64(d)} {
			if d == 0 && s != now {
				continue
			}
			if s < 0 {
				continue
			}
			eq := subtle.ConstantTimeCompare([]byte(hotp(h, secret, uint64(s), digits)), []byte(code))
			first := eq & (1 - found) // 1 only for the first match
			matched = int64(first)*s + int64(1-first)*matched
			found |= eq
		}
	}
	return matched, found == 1
}

// ValidateConsecutive checks two codes from consecutive steps (as IAM's
// EnableMFADevice and ResyncMFADevice require: AuthenticationCode1 then
// AuthenticationCode2) within skewSteps of t. It returns the step of code2.
func ValidateConsecutive(secret []byte, code1, code2 string, t time.Time, skewSteps int) (step int64, ok bool) {
	s1, ok1 := Validate(secret, code1, t, skewSteps)
	s2, ok2 := Validate(secret, code2, t, skewSteps)
	if !ok1 || !ok2 {
		return 0, false
	}
	if s2 == s1+1 {
		return s2, true
	}
	// code1 may also match at another step (rare collision): check exactly.
	if s2 > 0 && subtle.ConstantTimeCompare([]byte(GenerateStep(secret, s2-1)), []byte(code1)) == 1 {
		return s2, true
	}
	return 0, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewSecret returns SecretSize random bytes.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b) // never returns an error (Go ≥ 1.24)
	return b
}

// EncodeSecret returns the upper-case Base32 form of secret without padding,
// as in IAM's Base32StringSeed and otpauth:// URIs.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// DecodeSecret parses a Base32 secret, ignoring case, spaces, dashes and
// padding (as typed from an authenticator app). It requires at least 80 bits.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '=' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
	b, err := b32.DecodeString(s)
	if err != nil || len(b) < 10 {
		return nil, ErrBadSecret
	}
	return b, nil
}

// URI returns the Key URI for authenticator apps (the QR code content):
//
//	otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>&algorithm=SHA1&digits=6&period=30
//
// issuer and account are percent-encoded; issuer may be empty.
func URI(issuer, account string, secret []byte) string {
	esc := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), ":", "%3A") }
	label := esc(account)
	if issuer != "" {
		label = esc(issuer) + ":" + label
	}
	q := "secret=" + EncodeSecret(secret)
	if issuer != "" {
		q += "&issuer=" + url.QueryEscape(issuer)
	}
	q += "&algorithm=SHA1&digits=6&period=30"
	return "otpauth://totp/" + label + "?" + q
}
