package sigv4

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"
)

var secret = []byte(testCreds.SecretAccessKey)

func parsed(t *testing.T, r *http.Request) *Auth {
	t.Helper()
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestVerifyOK(t *testing.T) {
	r := botocoreRequest(t, stsBody, testCreds, testTime)
	a := parsed(t, r)
	c := NewKeyCache(0)
	for _, now := range []time.Time{testTime, testTime.Add(15 * time.Minute), testTime.Add(-15 * time.Minute)} {
		if err := a.Verify(r, stsBody, secret, now, c); err != nil {
			t.Fatalf("now %v: %v", now, err)
		}
	}
	if c.Len() != 1 {
		t.Fatalf("cache len %d", c.Len())
	}
	if err := a.VerifyWithOptions(r, stsBody, secret, testTime, c, VerifyOptions{Service: "sts"}); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyErrors(t *testing.T) {
	sts := func(t *testing.T) *http.Request { return botocoreRequest(t, stsBody, testCreds, testTime) }
	withAuth := func(old, new string) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := sts(t)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
			return r
		}
	}
	signed := func(region, service string, at time.Time) func(t *testing.T) *http.Request {
		return func(t *testing.T) *http.Request {
			r := newSTSRequest(t, stsBody)
			Sign(r, stsBody, testCreds, region, service, at)
			return overWire(t, r, stsBody)
		}
	}
	specSigned := time.Date(2016, 6, 9, 18, 45, 12, 0, time.UTC)
	specNow := time.Date(2016, 6, 10, 1, 45, 8, 0, time.UTC)
	tests := []struct {
		name   string
		req    func(t *testing.T) *http.Request
		body   []byte
		secret []byte
		now    time.Time
		opts   VerifyOptions
		code   string
		msg    string
		status int
	}{
		{name: "wrong secret", req: sts, secret: []byte("nope"),
			code: CodeSignatureDoesNotMatch, msg: MsgSignatureDoesNotMatch, status: 403},
		{name: "tampered body", req: sts, body: bytes.Replace(stsBody, []byte("01"), []byte("02"), 1),
			code: CodeSignatureDoesNotMatch, msg: MsgSignatureDoesNotMatch, status: 403},
		{name: "tampered signed header", req: func(t *testing.T) *http.Request {
			r := sts(t)
			r.Header.Set("Content-Type", "text/plain")
			return r
		}, code: CodeSignatureDoesNotMatch, msg: MsgSignatureDoesNotMatch, status: 403},
		{name: "tampered host", req: func(t *testing.T) *http.Request {
			r := sts(t)
			r.Host = "evil.example"
			return r
		}, code: CodeSignatureDoesNotMatch, msg: MsgSignatureDoesNotMatch, status: 403},
		{name: "tampered query", req: func(t *testing.T) *http.Request {
			r := sts(t)
			r.URL.RawQuery = "Action=DeleteUser"
			return r
		}, code: CodeSignatureDoesNotMatch, msg: MsgSignatureDoesNotMatch, status: 403},
		{name: "other service", req: signed("us-east-1", "s3", testTime),
			code: CodeSignatureDoesNotMatch, msg: "Credential should be scoped to correct service: 'sts'. ", status: 403},
		{name: "expected iam", req: sts, opts: VerifyOptions{Service: "iam"},
			code: CodeSignatureDoesNotMatch, msg: "Credential should be scoped to correct service: 'iam'. ", status: 403},
		{name: "terminator", req: withAuth("/aws4_request", "/aws5_request"),
			code: CodeSignatureDoesNotMatch, msg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ", status: 403},
		{name: "scope date", req: withAuth("/20260807/", "/20260806/"),
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260806' != '20260807', from '20260807T133441Z'."},
		{name: "host unsigned", req: withAuth("SignedHeaders=content-type;host;x-amz-date", "SignedHeaders=content-type;x-amz-date"),
			code: CodeIncompleteSignature, msg: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", status: 400},
		{name: "expired (spec example)", req: signed("us-east-1", "sts", specSigned), now: specNow,
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature expired: 20160609T184512Z is now earlier than 20160610T013008Z (20160610T014508Z - 15 min.)"},
		{name: "expired by a second", req: sts, now: testTime.Add(15*time.Minute + time.Second),
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature expired: 20260807T133441Z is now earlier than 20260807T133442Z (20260807T134942Z - 15 min.)"},
		{name: "not yet current", req: sts, now: testTime.Add(-16 * time.Minute),
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature not yet current: 20260807T133441Z is still later than 20260807T133341Z (20260807T131841Z + 15 min.)"},
		{name: "custom skew", req: sts, now: testTime.Add(6 * time.Minute), opts: VerifyOptions{MaxSkew: 5 * time.Minute},
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature expired: 20260807T133441Z is now earlier than 20260807T133541Z (20260807T134041Z - 5 min.)"},
		{name: "content sha mismatch", req: func(t *testing.T) *http.Request {
			r := sts(t)
			r.Header.Set("X-Amz-Content-Sha256", hexSHA256([]byte("other")))
			return r
		}, code: CodeSignatureDoesNotMatch, status: 403,
			msg: "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{name: "unsigned payload with body", req: func(t *testing.T) *http.Request {
			r := newSTSRequest(t, stsBody)
			r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
			Sign(r, stsBody, testCreds, "us-east-1", "sts", testTime)
			return overWire(t, r, stsBody)
		}, code: CodeSignatureDoesNotMatch, status: 403,
			msg: "The provided 'x-amz-content-sha256' header does not match what was computed."},
		{name: "presign expired", req: presigned(time.Hour), now: testTime.Add(time.Hour + time.Second),
			code: CodeRequestExpired, msg: "Request has expired", status: 400},
		{name: "presign in future", req: presigned(time.Hour), now: testTime.Add(-16 * time.Minute),
			code: CodeSignatureDoesNotMatch, status: 403,
			msg: "Signature not yet current: 20260807T133441Z is still later than 20260807T133341Z (20260807T131841Z + 15 min.)"},
		{name: "presign zero expires", req: presigned(0),
			code: CodeIncompleteSignature, msg: "X-Amz-Expires must be a positive number of seconds", status: 400},
		{name: "presign week+1", req: presigned((MaxExpires + 1) * time.Second),
			code: CodeIncompleteSignature, msg: "X-Amz-Expires must be less than a week (in seconds) that is 604800", status: 400},
		{name: "presign huge", req: presignedRaw("X-Amz-Expires=99999999999999999"),
			code: CodeIncompleteSignature, msg: "X-Amz-Expires must be less than a week (in seconds) that is 604800", status: 400},
		{name: "presign negative", req: presignedRaw("X-Amz-Expires=-5"),
			code: CodeIncompleteSignature, msg: "X-Amz-Expires must be a positive number of seconds", status: 400},
		{name: "presign signature swapped", req: presignedRaw("X-Amz-Signature=" + goodSig),
			code: CodeSignatureDoesNotMatch, msg: MsgSignatureDoesNotMatch, status: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.req(t)
			a := parsed(t, r)
			body, sec, now := tc.body, tc.secret, tc.now
			if body == nil && !a.Presigned {
				body = stsBody
			}
			if sec == nil {
				sec = secret
			}
			if now.IsZero() {
				now = testTime
			}
			err := a.VerifyWithOptions(r, body, sec, now, NewKeyCache(0), tc.opts)
			mustErr(t, err, tc.code, tc.msg, tc.status)
			if strings.Contains(err.Error(), string(sec)) {
				t.Fatal("secret leaked into the message")
			}
		})
	}
}

func presigned(expires time.Duration) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r, _ := http.NewRequest("GET", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
		return serverGET(t, Presign(r, nil, testCreds, "us-east-1", "sts", testTime, expires), nil)
	}
}

// presignedRaw presigns for an hour, then replaces one query parameter.
func presignedRaw(override string) func(t *testing.T) *http.Request {
	return func(t *testing.T) *http.Request {
		r := presigned(time.Hour)(t)
		k, _, _ := strings.Cut(override, "=")
		ps := strings.Split(r.URL.RawQuery, "&")
		for i, p := range ps {
			if strings.HasPrefix(p, k+"=") {
				ps[i] = override
			}
		}
		return serverGET(t, "https://sts.amazonaws.com/?"+strings.Join(ps, "&"), nil)
	}
}

func TestVerifyCacheUsesSecret(t *testing.T) {
	r := botocoreRequest(t, stsBody, testCreds, testTime)
	a := parsed(t, r)
	c := NewKeyCache(0)
	if err := a.Verify(r, stsBody, secret, testTime, c); err != nil {
		t.Fatal(err)
	}
	// Same access key id, date, region and service, other secret: the cached
	// key must not be used.
	err := a.Verify(r, stsBody, []byte("rotated"), testTime, c)
	mustErr(t, err, CodeSignatureDoesNotMatch, MsgSignatureDoesNotMatch, 403)
	if err := a.Verify(r, stsBody, secret, testTime, c); err != nil {
		t.Fatal(err)
	}
}

func TestKeyCacheBounded(t *testing.T) {
	c := NewKeyCache(2)
	for _, region := range []string{"a", "b", "c", "d"} {
		r := newSTSRequest(t, stsBody)
		Sign(r, stsBody, testCreds, region, "sts", testTime)
		sr := overWire(t, r, stsBody)
		if err := parsed(t, sr).Verify(sr, stsBody, secret, testTime, c); err != nil {
			t.Fatal(err)
		}
		if c.Len() > 2 {
			t.Fatalf("len %d", c.Len())
		}
	}
	if c.Len() != 2 {
		t.Fatalf("len %d", c.Len())
	}
	var nilCache *KeyCache
	if nilCache.Len() != 0 {
		t.Fatal("nil cache")
	}
}

func TestVerifyUnsignedPayloadEmptyBody(t *testing.T) {
	r, _ := http.NewRequest("POST", "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	r.Header.Set("X-Amz-Content-Sha256", UnsignedPayload)
	Sign(r, nil, testCreds, "us-east-1", "sts", testTime)
	sr := overWire(t, r, []byte{})
	if err := parsed(t, sr).Verify(sr, nil, secret, testTime, nil); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyPathForms(t *testing.T) {
	// Signed normalised (botocore) and as sent (Go SDK): both verify.
	for _, p := range []string{"/a/./b/../c//d/", "/x%2Fy/%7E/", "/"} {
		for _, normalized := range []bool{true, false} {
			r, _ := http.NewRequest("POST", "https://iam.amazonaws.com"+p, bytes.NewReader(stsBody))
			a := newSigningAuth(testCreds, "us-east-1", "iam", testTime)
			r.Header.Set("X-Amz-Date", a.AmzDate)
			a.setSignedHeaders("host;x-amz-date")
			s := getScratch()
			key, _ := deriveKey(nil, secret, a.DateStamp, a.Region, a.Service, a.Terminator)
			sig := a.signature(s, r, hexSHA256(stsBody), normalized, &key)
			putScratch(s)
			r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+testCreds.AccessKeyID+"/"+a.scope+
				", SignedHeaders=host;x-amz-date, Signature="+hexString(sig[:]))
			sr := overWire(t, r, stsBody)
			if err := parsed(t, sr).Verify(sr, stsBody, secret, testTime, nil); err != nil {
				t.Fatalf("%s normalized=%v: %v", p, normalized, err)
			}
		}
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestNormalizePath(t *testing.T) {
	for in, want := range map[string]string{
		"":             "/",
		"/":            "/",
		"//":           "/",
		"/a/b":         "/a/b",
		"/a/b/":        "/a/b/",
		"/a/./b/../c":  "/a/c",
		"/../..":       "/",
		"/a//b///c/":   "/a/b/c/",
		"/a/b/..":      "/a",
		"/a/%2E%2E/b/": "/a/%2E%2E/b/",
	} {
		if got := string(normalizePath(nil, in)); got != want {
			t.Errorf("normalizePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCanonicalQuery(t *testing.T) {
	s := getScratch()
	defer putScratch(s)
	for in, want := range map[string]string{
		"":                          "",
		"b=2&a=1":                   "a=1&b=2",
		"a=x-y&a=x%2Fy&a=x+y&a=x~y": "a=x%20y&a=x%2Fy&a=x-y&a=x~y",
		"flag&&z=%e2%9c%93":         "flag=&z=%E2%9C%93",
		"bad=%zz%4":                 "bad=%25zz%254",
		"k%20ey=v*":                 "k%20ey=v%2A",
	} {
		if got := string(s.appendCanonicalQuery(nil, in, false)); got != want {
			t.Errorf("canonical(%q) = %q, want %q", in, got, want)
		}
	}
	if got := string(s.appendCanonicalQuery(nil, "X-Amz-Signature=1&b=2", true)); got != "b=2" {
		t.Errorf("presigned: %q", got)
	}
}

func TestErrorConstructors(t *testing.T) {
	for _, tc := range []struct {
		err          *Error
		code, msg    string
		status       int
		wantsMissing bool
	}{
		{ErrInvalidClientTokenId(), "InvalidClientTokenId", "The security token included in the request is invalid.", 403, false},
		{ErrExpiredToken(), "ExpiredToken", "The security token included in the request is expired", 403, false},
		{ErrMissingAuthenticationToken(), "MissingAuthenticationToken", "Request is missing Authentication Token", 403, true},
		{ErrSignatureDoesNotMatch(), "SignatureDoesNotMatch", MsgSignatureDoesNotMatch, 403, false},
		{ErrRequestExpired(), "RequestExpired", "Request has expired", 400, false},
	} {
		mustErr(t, tc.err, tc.code, tc.msg, tc.status)
		if IsMissing(tc.err) != tc.wantsMissing {
			t.Errorf("IsMissing(%v)", tc.err)
		}
		if tc.err.Error() != tc.code+": "+tc.msg {
			t.Errorf("Error() = %q", tc.err.Error())
		}
	}
}

func TestStringToSign(t *testing.T) {
	r := botocoreRequest(t, stsBody, testCreds, testTime)
	a := parsed(t, r)
	got := string(a.StringToSign(r, stsBody))
	lines := strings.Split(got, "\n")
	if len(lines) != 4 || lines[0] != AlgorithmHMAC || lines[1] != "20260807T133441Z" ||
		lines[2] != "20260807/us-east-1/sts/aws4_request" || len(lines[3]) != 64 {
		t.Fatalf("string to sign:\n%s", got)
	}
	// The HMAC of it with the signing key is the signature.
	key, _ := deriveKey(nil, secret, a.DateStamp, a.Region, a.Service, a.Terminator)
	sig, _ := hmacSHA256(nil, key[:], got)
	if !bytes.Equal(sig[:], a.Signature) {
		t.Fatal("signature mismatch")
	}
}
