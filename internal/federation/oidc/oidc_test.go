package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/hatrack/hatrack/internal/awserr"
)

func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(claims)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keySet(keys ...jose.JSONWebKey) *jose.JSONWebKeySet { return &jose.JSONWebKeySet{Keys: keys} }

func code(err error) string {
	if e, ok := awserr.As(err); ok {
		return e.Code
	}
	if err != nil {
		return "?" + err.Error()
	}
	return ""
}

func TestVerifyToken(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	iss := "https://issuer.example.com/path"
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	set := keySet(jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "r1", Use: "sig", Algorithm: "RS256"},
		jose.JSONWebKey{Key: &ecKey.PublicKey, KeyID: "e1"})
	base := func() map[string]any {
		return map[string]any{"iss": iss, "sub": "user-1", "aud": "client-a", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	}
	with := func(k string, v any) map[string]any { m := base(); m[k] = v; return m }
	without := func(k string) map[string]any { m := base(); delete(m, k); return m }
	for _, tc := range []struct {
		name   string
		key    any
		alg    jose.SignatureAlgorithm
		kid    string
		claims map[string]any
		want   string // error code; "" = ok
		aud    string
	}{
		{name: "rs256", key: rsaKey, alg: jose.RS256, kid: "r1", claims: base(), aud: "client-a"},
		{name: "es256", key: ecKey, alg: jose.ES256, kid: "e1", claims: base(), aud: "client-a"},
		{name: "audience list", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("aud", []string{"x", "client-b"}), aud: "client-b"},
		{name: "azp wins", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("azp", "client-b"), aud: "client-b"},
		{name: "wrong audience", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("aud", "nope"), want: "InvalidIdentityToken"},
		{name: "wrong signer", key: otherKey, alg: jose.RS256, kid: "r1", claims: base(), want: "InvalidIdentityToken"},
		{name: "unknown kid", key: rsaKey, alg: jose.RS256, kid: "zz", claims: base(), want: "InvalidIdentityToken"},
		{name: "alg mismatch with jwk", key: rsaKey, alg: jose.RS384, kid: "r1", claims: base(), want: "InvalidIdentityToken"},
		{name: "expired", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("exp", now.Add(-time.Second).Unix()), want: "ExpiredTokenException"},
		{name: "no exp", key: rsaKey, alg: jose.RS256, kid: "r1", claims: without("exp"), want: "InvalidIdentityToken"},
		{name: "float exp", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("exp", float64(now.Unix())+0.5), want: "InvalidIdentityToken"},
		{name: "string exp", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("exp", "tomorrow"), want: "InvalidIdentityToken"},
		{name: "future nbf", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("nbf", now.Add(time.Hour).Unix()), want: "InvalidIdentityToken"},
		{name: "future iat", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with("iat", now.Add(time.Hour).Unix()), want: "InvalidIdentityToken"},
		{name: "no sub", key: rsaKey, alg: jose.RS256, kid: "r1", claims: without("sub"), want: "InvalidIdentityToken"},
		{name: "tags", key: rsaKey, alg: jose.RS256, kid: "r1", aud: "client-a",
			claims: with(claimTags, map[string]any{"principal_tags": map[string]any{"team": []string{"blue"}}, "transitive_tag_keys": []string{"team"}})},
		{name: "bad tags", key: rsaKey, alg: jose.RS256, kid: "r1", claims: with(claimTags, map[string]any{"principal_tags": map[string]any{"team": "blue"}}), want: "InvalidIdentityToken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := sign(t, tc.key, tc.alg, tc.kid, tc.claims)
			tok, err := Parse(raw)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if tok.Issuer != iss {
				t.Fatalf("issuer %q", tok.Issuer)
			}
			payload, err := tok.VerifySignature(set)
			var c *Claims
			if err == nil {
				c, err = ParseClaims(payload, iss, now)
			}
			aud := ""
			if err == nil {
				var ok bool
				if aud, ok = c.MatchAudience([]string{"client-a", "client-b"}); !ok {
					err = InvalidToken("Incorrect token audience")
				}
			}
			if got := code(err); got != tc.want {
				t.Fatalf("error %v (code %q), want %q", err, got, tc.want)
			}
			if tc.want == "" && aud != tc.aud {
				t.Fatalf("audience %q, want %q", aud, tc.aud)
			}
			if tc.name == "tags" && (len(c.Tags) != 1 || c.Tags[0] != [2]string{"team", "blue"} || c.TransitiveTag[0] != "team") {
				t.Fatalf("tags %+v %+v", c.Tags, c.TransitiveTag)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := sign(t, key, jose.RS256, "k", map[string]any{"iss": "https://x", "sub": "s"})
	parts := strings.Split(good, ".")
	for name, raw := range map[string]string{
		"empty":        "",
		"two parts":    "a.b",
		"alg none":     "eyJhbGciOiJub25lIn0." + parts[1] + ".",
		"hs256":        "eyJhbGciOiJIUzI1NiJ9." + parts[1] + "." + parts[2],
		"not json":     parts[0] + ".bm90IGpzb24." + parts[2],
		"no issuer":    sign(t, key, jose.RS256, "k", map[string]any{"sub": "s"}),
		"access token": "ya29.a0AfH6SMBx",
	} {
		if _, err := Parse(raw); code(err) != "InvalidIdentityToken" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestKeySource(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	key2, _ := rsa.GenerateKey(rand.Reader, 2048)
	var current atomic.Value
	current.Store(keySet(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1"}))
	var fetches atomic.Int32
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/iss/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]string{"issuer": srvURL + "/iss", "jwks_uri": srvURL + "/jwks"})
		case "/jwks":
			fetches.Add(1)
			json.NewEncoder(w).Encode(current.Load())
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	srvURL = srv.URL
	iss := srv.URL + "/iss"
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }

	strict := &KeySource{Now: clock}
	if _, err := strict.Keys(ctx, iss, "k1"); code(err) != "IDPCommunicationError" {
		t.Fatalf("http issuer without loopback permission: %v", err)
	}
	ks := &KeySource{AllowHTTPLoopback: true, Now: clock, MinRefresh: time.Minute}
	set, err := ks.Keys(ctx, iss, "k1")
	if err != nil || len(set.Key("k1")) != 1 {
		t.Fatalf("Keys: %v", err)
	}
	if _, err := ks.Keys(ctx, iss, "k1"); err != nil || fetches.Load() != 1 {
		t.Fatalf("cached fetch count %d, %v", fetches.Load(), err)
	}
	// Rotation: an unknown kid inside MinRefresh is not refetched...
	current.Store(keySet(jose.JSONWebKey{Key: &key2.PublicKey, KeyID: "k2"}))
	if set, _ := ks.Keys(ctx, iss, "k2"); len(set.Key("k2")) != 0 || fetches.Load() != 1 {
		t.Fatalf("refetched within MinRefresh (%d fetches)", fetches.Load())
	}
	// ...and is after it.
	now = now.Add(2 * time.Minute)
	if set, _ := ks.Keys(ctx, iss, "k2"); len(set.Key("k2")) != 1 || fetches.Load() != 2 {
		t.Fatalf("rotation not picked up (%d fetches)", fetches.Load())
	}
	if _, err := ks.Keys(ctx, srv.URL+"/missing", ""); code(err) != "IDPCommunicationError" {
		t.Fatalf("missing discovery: %v", err)
	}
}

func TestParseKeySet(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pub, _ := json.Marshal(keySet(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k"}))
	priv, _ := json.Marshal(keySet(jose.JSONWebKey{Key: key, KeyID: "k"}))
	if _, err := ParseKeySet(string(pub)); err != nil {
		t.Fatal(err)
	}
	for _, doc := range []string{"", "{}", `{"keys":[]}`, string(priv), "not json"} {
		if _, err := ParseKeySet(doc); err == nil {
			t.Errorf("accepted %q", doc)
		}
	}
}

// FuzzToken runs arbitrary tokens through parsing and verification against
// a fixed key set: no panic, and nothing verifies without the key.
func FuzzToken(f *testing.F) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.Add(sign(f, other, jose.RS256, "k", map[string]any{"iss": "https://x", "sub": "s", "aud": "a", "exp": 1 << 40}))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	f.Add("a.b.c")
	set := keySet(jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k"})
	f.Fuzz(func(t *testing.T, raw string) {
		tok, err := Parse(raw)
		if err != nil {
			return
		}
		if payload, err := tok.VerifySignature(set); err == nil {
			t.Fatalf("forged token verified: %q", payload)
		}
		ParseClaims([]byte(raw), tok.Issuer, time.Now())
	})
}
