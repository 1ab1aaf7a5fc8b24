package sigv4

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// FuzzParse feeds arbitrary Authorization headers, query strings and dates
// to Parse (and Verify when parsing succeeds): nothing may panic, and every
// error must be an *Error.
func FuzzParse(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential="+goodCred+", SignedHeaders=host;x-amz-date, Signature="+goodSig, "", "20260807T133441Z", "")
	f.Add("AWS4-HMAC-SHA256 Credential= x/y, SignedHeaders=, Signature=zz", "a=b", "", "Fri, 07 Aug 2026 13:34:41 GMT")
	f.Add("", presignedQuery(""), "", "")
	f.Add("", presignedQuery("X-Amz-Expires=-9")+"&X-Amz-Security-Token=%zz", "", "")
	f.Add("AWS4-HMAC-SHA256 ,,,=,", "X-Amz-Signature=1&X-Amz-Signature=2", "99999999T999999Z", "")
	f.Fuzz(func(t *testing.T, authz, rawQuery, amzDate, date string) {
		r := &http.Request{
			Method: "GET",
			URL:    &url.URL{Path: "/", RawQuery: rawQuery},
			Host:   "sts.amazonaws.com",
			Header: http.Header{},
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		if date != "" {
			r.Header.Set("Date", date)
		}
		a, err := Parse(r)
		if err != nil {
			if _, ok := err.(*Error); !ok || a != nil {
				t.Fatalf("Parse: %T %v, %v", err, err, a)
			}
			return
		}
		err = a.Verify(r, []byte(rawQuery), []byte("secret"), testTime, NewKeyCache(4))
		if _, ok := err.(*Error); err != nil && !ok {
			t.Fatalf("Verify: %T %v", err, err)
		}
		_ = a.StringToSign(r, nil)
	})
}

// FuzzVerify signs arbitrary requests with Sign/Presign and checks that they
// verify, and that changing the body makes verification fail.
func FuzzVerify(f *testing.F) {
	f.Add("POST", "/", "Action=GetCallerIdentity", "Version=2011-06-15", "x-k8s-aws-id", "c  1", "us-east-1", false)
	f.Add("GET", "/a/./b/../%7E", "a=%2F&b=+&c", "", "x-custom", " v ", "eu-west-3", true)
	f.Fuzz(func(t *testing.T, method, path, rawQuery, body, hname, hval, region string, presign bool) {
		for _, c := range region {
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
				return // not a region an SDK would sign with
			}
		}
		u, err := url.Parse("https://sts.amazonaws.com" + path + "?" + rawQuery)
		if err != nil || u.Host != "sts.amazonaws.com" {
			return
		}
		r, err := http.NewRequest(method, u.String(), nil)
		if err != nil {
			return
		}
		if hname != "" {
			r.Header.Set(hname, hval)
		}
		var b []byte
		if !presign {
			b = []byte(body)
		}
		now := testTime
		if presign {
			raw := Presign(r, nil, testCreds, region, "sts", now, time.Minute)
			pu, err := url.Parse(raw)
			if err != nil {
				t.Fatalf("presigned URL %q: %v", raw, err)
			}
			r.URL = pu
			r.Host = pu.Host
		} else {
			Sign(r, b, testCreds, region, "sts", now)
		}
		a, err := Parse(r)
		if err != nil {
			t.Fatalf("Parse of signed request: %v", err)
		}
		if err := a.Verify(r, b, secret, now, nil); err != nil {
			t.Fatalf("Verify of signed request: %v\n%s", err, a.StringToSign(r, b))
		}
		if err := a.Verify(r, append(b, 'x'), secret, now, nil); err == nil {
			t.Fatal("tampered body verified")
		}
	})
}
