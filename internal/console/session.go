package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/keyring"
)

// Cookie names and the keyring purpose of console sessions.
const (
	sessionCookie = "hatrack_console"
	csrfCookie    = "hatrack_console_csrf"
	cookiePath    = "/console/"
	// PurposeSession is the keyring purpose sealing console session cookies.
	PurposeSession = "console-session"

	sessionVersion = 1
	aadPrefix      = "hatrack console session v1\x00"
	// maxCookieLen stays under browsers' 4096-byte limit for one cookie
	// (name, value and attributes).
	maxCookieLen = 3800
)

var (
	errNoSession   = errors.New("console: no session")
	errBadSession  = errors.New("console: session cookie not valid")
	errExpired     = errors.New("console: session expired")
	errTooLarge    = errors.New("console: session too large for a cookie")
	errCSRFInvalid = errors.New("console: CSRF token missing or wrong")
)

// creds are temporary credentials the console signs with.
type creds struct {
	ID     string `json:"i"`
	Secret string `json:"s"`
	Token  string `json:"t"`
}

// identity is one identity the person holds in the console: the one they
// signed in as, or a role they switched to.
type identity struct {
	Creds   creds     `json:"c"`
	ARN     string    `json:"a"`
	Account string    `json:"n"`
	UserID  string    `json:"u,omitempty"`
	Display string    `json:"d,omitempty"` // banner text for switched roles
	Color   string    `json:"o,omitempty"`
	RoleARN string    `json:"r,omitempty"` // switched role: the role's ARN
	Expires time.Time `json:"e"`
}

// recentRole is an entry of the "recently used roles" list.
type recentRole struct {
	Account string `json:"a"`
	Role    string `json:"r"`
	Display string `json:"d,omitempty"`
	Color   string `json:"o,omitempty"`
}

// session is what the sealed cookie holds.
type session struct {
	V       int          `json:"v"`
	ID      string       `json:"id"`
	CSRF    string       `json:"x"`
	Method  string       `json:"m"` // how the person signed in: "access-key" or "password"
	Expires time.Time    `json:"e"`
	Base    identity     `json:"b"`
	Role    *identity    `json:"ro,omitempty"`
	Recent  []recentRole `json:"rc,omitempty"`
}

// current is the identity pages are built with.
func (s *session) current() *identity {
	if s.Role != nil {
		return s.Role
	}
	return &s.Base
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sessionAAD binds a sealed session to this deployment.
func sessionAAD(deployment string) []byte {
	return append([]byte(aadPrefix), deployment...)
}

// sealSession encrypts s for the cookie.
func sealSession(kr *keyring.Keyring, deployment string, s *session) (string, error) {
	plain, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	sealed, err := kr.Seal(PurposeSession, plain, sessionAAD(deployment))
	clear(plain) // holds secret keys
	if err != nil {
		return "", err
	}
	v := base64.RawURLEncoding.EncodeToString(sealed)
	if len(v)+len(sessionCookie)+200 > maxCookieLen {
		return "", errTooLarge
	}
	return v, nil
}

// openSession decrypts and checks a cookie value. A session past its end
// is errExpired.
func openSession(kr *keyring.Keyring, deployment, value string, now time.Time) (*session, error) {
	if value == "" {
		return nil, errNoSession
	}
	if len(value) > maxCookieLen {
		return nil, errBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(value)
	if err != nil {
		return nil, errBadSession
	}
	plain, err := kr.Open(PurposeSession, raw, sessionAAD(deployment))
	if err != nil {
		return nil, errBadSession
	}
	defer clear(plain)
	var s session
	if err := json.Unmarshal(plain, &s); err != nil || s.V != sessionVersion || s.ID == "" || s.CSRF == "" {
		return nil, errBadSession
	}
	if !now.Before(s.Expires) {
		return nil, errExpired
	}
	return &s, nil
}

// secureRequest reports whether the browser reached us over TLS.
func secureRequest(r *http.Request) bool { return r.TLS != nil }

// setSessionCookie writes the sealed session.
func setSessionCookie(w http.ResponseWriter, r *http.Request, value string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: value, Path: cookiePath, Expires: expires.UTC(),
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie removes a cookie from the browser.
func clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: "", Path: cookiePath, MaxAge: -1,
		HttpOnly: true, Secure: secureRequest(r), SameSite: http.SameSiteLaxMode,
	})
}

// preSessionCSRF returns the double-submit token for forms shown before
// sign-in (the sign-in form), setting its cookie when absent.
func preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	v := randomToken()
	http.SetCookie(w, &http.Cookie{
		Name: csrfCookie, Value: v, Path: cookiePath, HttpOnly: true,
		Secure: secureRequest(r), SameSite: http.SameSiteLaxMode,
	})
	return v
}

// tokensEqual compares two CSRF tokens in constant time; empty never
// matches.
func tokensEqual(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// checkPreSessionCSRF checks the sign-in form's double-submit token.
func checkPreSessionCSRF(r *http.Request) error {
	c, err := r.Cookie(csrfCookie)
	if err != nil || !tokensEqual(c.Value, r.PostFormValue("csrf")) {
		return errCSRFInvalid
	}
	return nil
}

// checkSessionCSRF checks a signed-in form's token against the session's.
func checkSessionCSRF(r *http.Request, s *session) error {
	if !tokensEqual(s.CSRF, r.PostFormValue("csrf")) {
		return errCSRFInvalid
	}
	return nil
}

// sameOrigin rejects cross-origin POSTs when the browser says where the
// request came from (defence in depth beside the CSRF token and SameSite).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return origin == ""
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, r.Host)
}
