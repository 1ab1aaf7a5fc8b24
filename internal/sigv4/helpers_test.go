package sigv4

import (
	"bufio"
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

var (
	testCreds = Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	testTime  = time.Date(2026, 8, 7, 13, 34, 41, 0, time.UTC)
	stsBody   = []byte("Action=GetCallerIdentity&Version=2011-06-15&RoleSessionName=bench-session-01")
)

// newSTSRequest builds a botocore-style STS POST (client side).
func newSTSRequest(t testing.TB, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "https://sts.us-east-1.amazonaws.com/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return r
}

// overWire serialises a client request and reads it back as a server would
// see it (RequestURI set, Host header moved to r.Host, ...).
func overWire(t testing.TB, r *http.Request, body []byte) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if body != nil {
		r.Body = http.NoBody
		if len(body) > 0 {
			r.Body = ioNopCloser{bytes.NewReader(body)}
		}
		r.ContentLength = int64(len(body))
	}
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

type ioNopCloser struct{ *bytes.Reader }

func (ioNopCloser) Close() error { return nil }

// botocoreRequest returns a server-side request signed botocore-style:
// SignedHeaders=content-type;host;x-amz-date.
func botocoreRequest(t testing.TB, body []byte, creds Credentials, now time.Time) *http.Request {
	t.Helper()
	r := newSTSRequest(t, body)
	r.ContentLength = -1 // botocore does not sign Content-Length
	Sign(r, body, creds, "us-east-1", "sts", now)
	sr := overWire(t, r, body)
	if got := sr.Header.Get("Authorization"); !strings.Contains(got, "SignedHeaders=content-type;host;x-amz-date,") {
		t.Fatalf("unexpected signed headers: %s", got)
	}
	return sr
}

func mustErr(t *testing.T, err error, code, msg string, status int) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error = %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code || e.Status != status || (msg != "" && e.Message != msg) {
		t.Fatalf("error = {%q, %q, %d}\nwant    {%q, %q, %d}", e.Code, e.Message, e.Status, code, msg, status)
	}
}
