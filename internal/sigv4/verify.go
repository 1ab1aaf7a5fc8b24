package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// Services and defaults.
const (
	ServiceSTS = "sts"
	ServiceIAM = "iam"
	// DefaultMaxSkew is the clock skew IAM and STS allow.
	DefaultMaxSkew = 15 * time.Minute
	// UnsignedPayload is the payload hash of presigned requests whose body
	// is not signed; accepted only for empty bodies.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
)

// VerifyOptions tune Auth.Check and Auth.VerifyWithOptions.
type VerifyOptions struct {
	// Service is the service the credential scope must name. Empty accepts
	// ServiceSTS or ServiceIAM (the error then names 'sts').
	Service string
	// MaxSkew is the allowed clock skew; 0 means DefaultMaxSkew.
	MaxSkew time.Duration
}

// Verify is VerifyWithOptions with zero options: scope service "sts" or
// "iam", 15 minutes of clock skew, any region.
func (a *Auth) Verify(r *http.Request, body, secret []byte, now time.Time, cache *KeyCache) error {
	return a.VerifyWithOptions(r, body, secret, now, cache, VerifyOptions{})
}

// VerifyWithOptions authenticates r (whose complete body is body) with the
// server-side secret of a.AccessKeyID: it runs Check, then recomputes the
// signature over exactly the client's SignedHeaders and compares it in
// constant time. cache (may be nil) memoises the signing key. Whether the
// access key exists, is active and matches a.SecurityToken is the caller's
// decision (see ErrInvalidClientTokenId and ErrExpiredToken).
//
// The canonical URI is tried in the normalised form AWS specifies for non-S3
// services first and, if that does not match and differs, as sent (SDKs that
// do not normalise). A presigned request with an empty body and no
// X-Amz-Content-Sha256 also matches with the payload hash UNSIGNED-PAYLOAD.
func (a *Auth) VerifyWithOptions(r *http.Request, body, secret []byte, now time.Time, cache *KeyCache, o VerifyOptions) error {
	if err := a.Check(now, o); err != nil {
		return err
	}
	s := getScratch()
	defer putScratch(s)

	var payload [2]string
	var bodyHex [64]byte
	sum := sha256.Sum256(body)
	hex.Encode(bodyHex[:], sum[:])
	switch {
	case a.contentSHA256 == "":
		payload[0] = unsafeString(bodyHex[:])
		if a.Presigned && len(body) == 0 {
			payload[1] = UnsignedPayload
		}
	case strings.EqualFold(a.contentSHA256, unsafeString(bodyHex[:])),
		a.contentSHA256 == UnsignedPayload && len(body) == 0:
		payload[0] = a.contentSHA256
	default:
		return sigMismatch("The provided 'x-amz-content-sha256' header does not match what was computed.")
	}

	ck := cacheKey{a.AccessKeyID, a.DateStamp, a.Region, a.Service}
	key, ok := cache.get(ck, secret)
	if !ok {
		key, s.hbuf = deriveKey(s.hbuf, secret, a.DateStamp, a.Region, a.Service, a.Terminator)
		cache.put(ck, secret, key)
	}

	raw := requestPath(r)
	for _, normalize := range [2]bool{true, false} {
		if !normalize {
			s.pbuf = normalizePath(s.pbuf[:0], raw)
			if string(s.pbuf) == raw {
				break
			}
		}
		for _, p := range payload {
			if p == "" {
				continue
			}
			sig := a.signature(s, r, p, normalize, &key)
			if hmac.Equal(sig[:], a.Signature) {
				return nil
			}
		}
	}
	return ErrSignatureDoesNotMatch()
}

// signature computes the HMAC signature of the request.
func (a *Auth) signature(s *scratch, r *http.Request, payloadHash string, normalize bool, key *[32]byte) [32]byte {
	cr := s.canonicalRequest(r, a, payloadHash, normalize)
	sts := s.stringToSign(a, cr)
	var sig [32]byte
	sig, s.hbuf = hmacSHA256(s.hbuf, key[:], sts)
	return sig
}

// StringToSign returns the string to sign of r as the server reconstructs it
// (normalised canonical URI, payload hash from X-Amz-Content-Sha256 or the
// SHA-256 of body). It is independent of the signature algorithm, for
// verifiers of other SigV4 variants (e.g. the X.509 ones of IAM Roles
// Anywhere), which call Check first.
func (a *Auth) StringToSign(r *http.Request, body []byte) []byte {
	s := getScratch()
	defer putScratch(s)
	payload := a.contentSHA256
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	cr := s.canonicalRequest(r, a, payload, true)
	return append([]byte(nil), s.stringToSign(a, cr)...)
}

// Check runs the verification steps that need neither the secret nor the
// body: credential-scope terminator, service and date, host being signed,
// clock skew and, for presigned requests, X-Amz-Expires. Any region is
// accepted (SDKs pointed at a custom endpoint sign with their own region).
func (a *Auth) Check(now time.Time, o VerifyOptions) error {
	if a.Algorithm != AlgorithmHMAC {
		return errAlgorithm(a.Algorithm)
	}
	if a.Terminator != ScopeTerminator {
		return errTerminator(a.Terminator)
	}
	switch want := o.Service; {
	case want == "" && a.Service != ServiceSTS && a.Service != ServiceIAM:
		return errWrongService(ServiceSTS)
	case want != "" && a.Service != want:
		return errWrongService(want)
	}
	if len(a.AmzDate) < 8 || a.DateStamp != a.AmzDate[:8] {
		return errScopeDate(a.DateStamp, a.AmzDate)
	}
	if !a.hostSigned() {
		return incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	skew := o.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}
	if a.Date.After(now.Add(skew)) {
		return errNotYetCurrent(a.Date, now, skew)
	}
	if a.Presigned && a.HasExpires {
		switch {
		case a.Expires < time.Second:
			return incomplete("X-Amz-Expires must be a positive number of seconds")
		case a.Expires > MaxExpires*time.Second:
			return incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800")
		case now.After(a.Date.Add(a.Expires)):
			return ErrRequestExpired()
		}
		return nil
	}
	if a.Date.Before(now.Add(-skew)) {
		return errExpired(a.Date, now, skew)
	}
	return nil
}

func (a *Auth) hostSigned() bool {
	for _, h := range a.SignedHeaders {
		if strings.EqualFold(h, "host") || h == ":authority" {
			return true
		}
	}
	return false
}
