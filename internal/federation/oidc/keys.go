package oidc

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// KeySource fetches and caches issuers' signing keys: discovery document
// (<iss>/.well-known/openid-configuration) → jwks_uri → JWKS. Keys are
// cached per issuer for TTL and refetched early when a token names an
// unknown kid, at most once per MinRefresh per issuer.
type KeySource struct {
	// Client fetches documents; nil means a client with a 5 s timeout.
	Client *http.Client
	// AllowHTTPLoopback permits http:// issuers and JWKS URLs on loopback
	// addresses (tests and local development). Everything else must be
	// https.
	AllowHTTPLoopback bool
	TTL               time.Duration // default 1 h
	MinRefresh        time.Duration // default 10 s
	Now               func() time.Time

	mu    sync.Mutex
	cache map[string]*cached
}

type cached struct {
	mu      sync.Mutex
	set     *jose.JSONWebKeySet
	fetched time.Time
}

const maxDocBytes = 1 << 20

func (s *KeySource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *KeySource) entry(iss string) *cached {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache = make(map[string]*cached)
	}
	e := s.cache[iss]
	if e == nil {
		e = &cached{}
		s.cache[iss] = e
	}
	return e
}

// Keys returns the issuer's key set, refreshing it when stale or when it
// lacks kid (rate-limited).
func (s *KeySource) Keys(ctx context.Context, iss, kid string) (*jose.JSONWebKeySet, error) {
	ttl, minRefresh := s.TTL, s.MinRefresh
	if ttl <= 0 {
		ttl = time.Hour
	}
	if minRefresh <= 0 {
		minRefresh = 10 * time.Second
	}
	e := s.entry(iss)
	e.mu.Lock()
	defer e.mu.Unlock()
	now := s.now()
	fresh := e.set != nil && now.Sub(e.fetched) < ttl
	hasKid := e.set != nil && (kid == "" || len(e.set.Key(kid)) > 0)
	if fresh && (hasKid || now.Sub(e.fetched) < minRefresh) {
		return e.set, nil
	}
	set, err := s.fetch(ctx, iss)
	if err != nil {
		if e.set != nil && fresh {
			return e.set, nil
		}
		return nil, err
	}
	e.set, e.fetched = set, now
	return set, nil
}

func (s *KeySource) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid URL %q", raw)
	}
	switch u.Scheme {
	case "https":
		return u, nil
	case "http":
		if s.AllowHTTPLoopback && isLoopback(u.Hostname()) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("URL %q is not https", raw)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (s *KeySource) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: 5 * time.Second}
}

func (s *KeySource) getJSON(ctx context.Context, u *url.URL, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocBytes+1))
	if err != nil {
		return err
	}
	if len(b) > maxDocBytes {
		return fmt.Errorf("GET %s: document too large", u)
	}
	return json.Unmarshal(b, v)
}

func (s *KeySource) fetch(ctx context.Context, iss string) (*jose.JSONWebKeySet, error) {
	issURL, err := s.checkURL(iss)
	if err != nil {
		return nil, CommunicationError("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	disc := *issURL
	disc.Path = strings.TrimSuffix(disc.Path, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, &disc, &doc); err != nil {
		return nil, CommunicationError("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	ju, err := s.checkURL(doc.JWKSURI)
	if err != nil {
		return nil, CommunicationError("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	var set jose.JSONWebKeySet
	if err := s.getJSON(ctx, ju, &set); err != nil {
		return nil, CommunicationError("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
	}
	return &set, nil
}

// ParseKeySet reads a JWKS document (static keys of a provider) and
// checks that it holds at least one public signing key.
func ParseKeySet(doc string) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(doc), &set); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %v", err)
	}
	n := 0
	for i := range set.Keys {
		k := &set.Keys[i]
		if !k.Valid() || !k.IsPublic() {
			return nil, fmt.Errorf("key %d is not a valid public key", i)
		}
		n++
	}
	if n == 0 || n > 100 {
		return nil, fmt.Errorf("a JWKS must hold 1 to 100 public keys")
	}
	return &set, nil
}
