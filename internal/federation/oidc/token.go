package oidc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/hatrack/hatrack/internal/awserr"
)

// Algorithms accepted for ID tokens (federation.md §1.1).
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
}

// MaxTokenChars is the model's limit on WebIdentityToken.
const MaxTokenChars = 20000

// Claim names carrying AWS session properties.
const (
	claimTags           = "https://aws.amazon.com/tags"
	claimSourceIdentity = "https://aws.amazon.com/source_identity"
)

// Token is a parsed, not yet verified, compact JWS.
type Token struct {
	jws *jose.JSONWebSignature
	// Issuer is the unverified iss claim: enough to find the provider
	// whose keys then verify the token.
	Issuer string
	// KeyID is the kid of the protected header ("" if absent).
	KeyID string
}

// Claims are the verified claims of an ID token.
type Claims struct {
	Issuer   string
	Subject  string
	Audience []string
	AZP      string
	AMR      []string
	Expiry   time.Time
	IssuedAt time.Time
	// Tags are the principal_tags of the https://aws.amazon.com/tags claim.
	Tags          [][2]string
	TransitiveTag []string
	// SourceIdentity is the https://aws.amazon.com/source_identity claim.
	SourceIdentity string
}

// InvalidToken is AWS's InvalidIdentityToken.
func InvalidToken(format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "InvalidIdentityToken", format, args...)
}

// CommunicationError is AWS's IDPCommunicationError (retryable).
func CommunicationError(format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "IDPCommunicationError", format, args...)
}

// Parse reads a compact JWS without verifying it.
func Parse(raw string) (*Token, error) {
	if len(raw) > MaxTokenChars || strings.Count(raw, ".") != 2 {
		return nil, InvalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	jws, err := jose.ParseSignedCompact(raw, Algorithms)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, InvalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	var c struct {
		Iss string `json:"iss"`
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &c); err != nil || c.Iss == "" {
		return nil, InvalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	return &Token{jws: jws, Issuer: c.Iss, KeyID: jws.Signatures[0].Header.KeyID}, nil
}

// errKeyNotFound means no key of the set verifies the token's kid.
var errKeyNotFound = InvalidToken("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")

// VerifySignature checks the signature with the keys of set matching the
// token's kid (every key when the token names none) and returns the
// payload.
func (t *Token) VerifySignature(set *jose.JSONWebKeySet) ([]byte, error) {
	if set == nil {
		return nil, errKeyNotFound
	}
	candidates := set.Keys
	if t.KeyID != "" {
		candidates = set.Key(t.KeyID)
	}
	if len(candidates) == 0 {
		return nil, errKeyNotFound
	}
	for i := range candidates {
		k := candidates[i]
		if !k.Valid() || !k.IsPublic() || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != t.jws.Signatures[0].Header.Algorithm {
			continue
		}
		if payload, err := t.jws.Verify(&k); err == nil {
			return payload, nil
		}
	}
	return nil, InvalidToken("The web identity token signature could not be verified")
}

// ParseClaims decodes a verified payload and checks the issuer and the
// time claims at now. Timestamps must be JSON integers.
func ParseClaims(payload []byte, wantIssuer string, now time.Time) (*Claims, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, InvalidToken("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
	}
	c := &Claims{}
	c.Issuer, _ = m["iss"].(string)
	if c.Issuer != wantIssuer {
		return nil, InvalidToken("Issuer mismatch")
	}
	c.Subject, _ = m["sub"].(string)
	if c.Subject == "" {
		return nil, InvalidToken("The ID Token provided does not contain a sub claim")
	}
	switch a := m["aud"].(type) {
	case string:
		c.Audience = []string{a}
	case []any:
		for _, v := range a {
			s, ok := v.(string)
			if !ok {
				return nil, InvalidToken("Incorrect token audience")
			}
			c.Audience = append(c.Audience, s)
		}
	}
	if len(c.Audience) == 0 {
		return nil, InvalidToken("Incorrect token audience")
	}
	c.AZP, _ = m["azp"].(string)
	switch a := m["amr"].(type) {
	case string:
		c.AMR = []string{a}
	case []any:
		for _, v := range a {
			if s, ok := v.(string); ok {
				c.AMR = append(c.AMR, s)
			}
		}
	}
	exp, ok, err := intClaim(m, "exp")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, InvalidToken("The ID Token provided does not contain an exp claim")
	}
	c.Expiry = time.Unix(exp, 0).UTC()
	const skew = 5 * time.Minute
	if !now.Before(c.Expiry) {
		return nil, awserr.New(http.StatusBadRequest, "ExpiredTokenException",
			"Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp)
	}
	if nbf, ok, err := intClaim(m, "nbf"); err != nil {
		return nil, err
	} else if ok && now.Add(skew).Before(time.Unix(nbf, 0)) {
		return nil, InvalidToken("Token is not yet valid (nbf is in the future)")
	}
	iat, ok, err := intClaim(m, "iat")
	if err != nil {
		return nil, err
	}
	if ok {
		c.IssuedAt = time.Unix(iat, 0).UTC()
		if now.Add(skew).Before(c.IssuedAt) {
			return nil, InvalidToken("Token used before issued (iat is in the future)")
		}
	}
	if v, ok := m[claimSourceIdentity]; ok {
		s, isStr := v.(string)
		if !isStr {
			return nil, InvalidToken("The %s claim must be a string", claimSourceIdentity)
		}
		c.SourceIdentity = s
	}
	if v, ok := m[claimTags]; ok {
		if err := c.readTags(v); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func intClaim(m map[string]any, name string) (int64, bool, error) {
	v, ok := m[name]
	if !ok {
		return 0, false, nil
	}
	n, isNum := v.(json.Number)
	if !isNum {
		return 0, false, InvalidToken("The %s claim must be a number", name)
	}
	i, err := n.Int64()
	if err != nil {
		return 0, false, InvalidToken("The %s claim must be an integer", name)
	}
	return i, true, nil
}

// readTags reads {"principal_tags": {"K": ["v"]}, "transitive_tag_keys": ["K"]}.
func (c *Claims) readTags(v any) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return InvalidToken("The %s claim is malformed", claimTags)
	}
	if pt, ok := obj["principal_tags"]; ok {
		tags, ok := pt.(map[string]any)
		if !ok {
			return InvalidToken("The %s claim is malformed", claimTags)
		}
		for k, raw := range tags {
			vals, ok := raw.([]any)
			if !ok || len(vals) != 1 {
				return InvalidToken("Session tag values must be single-element arrays")
			}
			s, ok := vals[0].(string)
			if !ok {
				return InvalidToken("Session tag values must be strings")
			}
			c.Tags = append(c.Tags, [2]string{k, s})
		}
	}
	if tk, ok := obj["transitive_tag_keys"]; ok {
		keys, ok := tk.([]any)
		if !ok {
			return InvalidToken("The %s claim is malformed", claimTags)
		}
		for _, k := range keys {
			s, ok := k.(string)
			if !ok {
				return InvalidToken("The %s claim is malformed", claimTags)
			}
			c.TransitiveTag = append(c.TransitiveTag, s)
		}
	}
	return nil
}

// MatchAudience returns the client id the token is for: an aud value in
// clientIDs, else the azp when it is listed (Google hybrid flow).
func (c *Claims) MatchAudience(clientIDs []string) (string, bool) {
	in := func(s string) bool {
		for _, id := range clientIDs {
			if id == s {
				return true
			}
		}
		return false
	}
	if c.AZP != "" && in(c.AZP) {
		return c.AZP, true
	}
	for _, a := range c.Audience {
		if in(a) {
			return a, true
		}
	}
	return "", false
}

// ProviderName is the provider's URL without its scheme: the ARN suffix
// and the condition-key prefix.
func ProviderName(iss string) string {
	return strings.TrimPrefix(iss, "https://")
}
