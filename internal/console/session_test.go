package console

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/keyring"
)

func testSession(now time.Time) *session {
	return &session{V: sessionVersion, ID: randomToken(), CSRF: randomToken(), Method: methodAccessKey, Expires: now.Add(time.Hour),
		Base: identity{Creds: creds{ID: "ASIAEXAMPLE", Secret: "s3cret", Token: "tok"}, ARN: "arn:aws:iam::111111111111:root", Account: "111111111111"}}
}

func TestSessionSealRoundTrip(t *testing.T) {
	kr := keyring.Generate()
	now := time.Unix(1_800_000_000, 0)
	s := testSession(now)
	v, err := sealSession(kr, "dep-1", s)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "s3cret") || strings.Contains(v, "ASIAEXAMPLE") {
		t.Fatal("cookie value shows the credentials in clear")
	}
	got, err := openSession(kr, "dep-1", v, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.Base.Creds != s.Base.Creds || got.CSRF != s.CSRF || got.ID != s.ID || !got.Expires.Equal(s.Expires) {
		t.Fatalf("round trip: got %+v, want %+v", got, s)
	}
}

func TestSessionOpenRefuses(t *testing.T) {
	kr := keyring.Generate()
	now := time.Unix(1_800_000_000, 0)
	v, err := sealSession(kr, "dep-1", testSession(now))
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(v)
	i := len(flipped) / 2
	if flipped[i] == 'A' {
		flipped[i] = 'B'
	} else {
		flipped[i] = 'A'
	}
	cases := []struct {
		name  string
		kr    *keyring.Keyring
		dep   string
		value string
		now   time.Time
		want  error
	}{
		{"tampered", kr, "dep-1", string(flipped), now, errBadSession},
		{"other deployment", kr, "dep-2", v, now, errBadSession},
		{"other keyring", keyring.Generate(), "dep-1", v, now, errBadSession},
		{"not base64", kr, "dep-1", "!!!", now, errBadSession},
		{"truncated", kr, "dep-1", v[:20], now, errBadSession},
		{"empty", kr, "dep-1", "", now, errNoSession},
		{"expired", kr, "dep-1", v, now.Add(time.Hour), errExpired},
	}
	for _, c := range cases {
		if _, err := openSession(c.kr, c.dep, c.value, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

func TestSessionSealedUnderItsOwnPurpose(t *testing.T) {
	kr := keyring.Generate()
	now := time.Unix(1_800_000_000, 0)
	// A blob sealed for another purpose with the same AAD must not open.
	other, err := kr.Seal(keyring.PurposeSessionToken, []byte(`{"v":1,"id":"x","x":"y","e":"2100-01-01T00:00:00Z"}`), sessionAAD("dep-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openSession(kr, "dep-1", b64(other), now); !errors.Is(err, errBadSession) {
		t.Fatalf("opened a blob of another purpose: %v", err)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		r := httptest.NewRequest("GET", "/console/", nil)
		if tlsOn {
			r.TLS = &tls.ConnectionState{}
		}
		w := httptest.NewRecorder()
		setSessionCookie(w, r, "v", time.Now().Add(time.Hour))
		ck := w.Result().Cookies()
		if len(ck) != 1 {
			t.Fatalf("cookies: %v", ck)
		}
		c := ck[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != cookiePath || c.Secure != tlsOn {
			t.Errorf("tls=%v: cookie %+v", tlsOn, c)
		}
	}
}

func TestCSRFTokens(t *testing.T) {
	if tokensEqual("", "") || tokensEqual("a", "") || tokensEqual("", "a") || tokensEqual("abc", "abd") {
		t.Fatal("tokensEqual accepted a wrong or empty token")
	}
	if !tokensEqual("abc", "abc") {
		t.Fatal("tokensEqual refused equal tokens")
	}
	if a, b := randomToken(), randomToken(); a == b || len(a) != 43 {
		t.Fatalf("random tokens %q %q", a, b)
	}

	// Double-submit: the form value must equal the cookie.
	w := httptest.NewRecorder()
	tok := preSessionCSRF(w, httptest.NewRequest("GET", "/console/signin", nil))
	post := func(form, cookie string) *http.Request {
		r := httptest.NewRequest("POST", "/console/signin", strings.NewReader(url.Values{"csrf": {form}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if cookie != "" {
			r.AddCookie(&http.Cookie{Name: csrfCookie, Value: cookie})
		}
		return r
	}
	if err := checkPreSessionCSRF(post(tok, tok)); err != nil {
		t.Fatalf("matching double-submit refused: %v", err)
	}
	if checkPreSessionCSRF(post(tok, "")) == nil || checkPreSessionCSRF(post("", tok)) == nil || checkPreSessionCSRF(post(tok, randomToken())) == nil {
		t.Fatal("mismatched double-submit accepted")
	}

	s := testSession(time.Now())
	r := post(s.CSRF, "")
	if checkSessionCSRF(r, s) != nil {
		t.Fatal("session token refused")
	}
	if checkSessionCSRF(post(randomToken(), ""), s) == nil {
		t.Fatal("wrong session token accepted")
	}
}

func TestSameOrigin(t *testing.T) {
	cases := map[string]bool{"": true, "http://console.example": true, "https://console.example": true,
		"http://evil.example": false, "null": false, "http://console.example.evil": false, "ftp://console.example": false}
	for origin, want := range cases {
		r := httptest.NewRequest("POST", "http://console.example/console/switch", nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if got := sameOrigin(r); got != want {
			t.Errorf("Origin %q: got %v, want %v", origin, got, want)
		}
	}
}

func TestRedirectBrowsers(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	h := RedirectBrowsers(api)
	cases := []struct {
		method, target string
		auth           bool
		redirect       bool
	}{
		{"GET", "/", false, true},
		{"GET", "/?foo=bar", false, true},
		{"GET", "/?Action=ListUsers&Version=2010-05-08", false, false},
		{"GET", "/?action=ListUsers", false, false},
		{"GET", "/?X-Amz-Credential=AKIA%2F20260101", false, false},
		{"GET", "/", true, false},
		{"POST", "/", false, false},
		{"GET", "/other", false, false},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		if c.auth {
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		got := w.Code == http.StatusFound && w.Header().Get("Location") == "/console/"
		if got != c.redirect || (!c.redirect && w.Code != 299) {
			t.Errorf("%s %s auth=%v: status %d location %q", c.method, c.target, c.auth, w.Code, w.Header().Get("Location"))
		}
	}
}

func TestLimiter(t *testing.T) {
	var l limiter
	now := time.Unix(1_800_000_000, 0)
	for range limiterMax {
		if !l.allow("10.0.0.1", now) {
			t.Fatal("refused before the limit")
		}
		l.recordFailure("10.0.0.1", now)
	}
	if l.allow("10.0.0.1", now) {
		t.Fatal("allowed past the limit")
	}
	if !l.allow("10.0.0.2", now) {
		t.Fatal("another address refused")
	}
	if !l.allow("10.0.0.1", now.Add(limiterWindow)) {
		t.Fatal("still refused after the window")
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
