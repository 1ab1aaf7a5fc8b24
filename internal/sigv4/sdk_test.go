package sigv4

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkv4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

type sdkCase struct {
	name    string
	method  string
	url     string
	body    string
	headers map[string][]string
	creds   Credentials
	region  string
	service string
}

var sdkCases = []sdkCase{
	{name: "sts post", method: "POST", url: "https://sts.us-east-1.amazonaws.com/",
		body:    "Action=GetCallerIdentity&Version=2011-06-15",
		headers: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}},
	{name: "session token", method: "POST", url: "https://sts.amazonaws.com/",
		body:    "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx&RoleSessionName=s",
		headers: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}},
		creds: Credentials{AccessKeyID: "ASIAIOSFODNN7EXAMPLE", SecretAccessKey: "secret/with+chars",
			SessionToken: "FwoGZXIvYXdzEJr//////////wEaDH7+token=="}},
	{name: "iam custom region and port", method: "POST", url: "http://localhost:8080/",
		body:    "Action=ListUsers&Version=2010-05-08&MaxItems=10",
		headers: map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}},
		region:  "eu-west-3", service: "iam"},
	{name: "get with query", method: "GET",
		url: "https://sts.eu-west-1.amazonaws.com/?Version=2011-06-15&Action=GetCallerIdentity&b=two%20words&a=x%2By&empty=&z=%E2%9C%93&a=x-y&a=x%2Fy"},
	{name: "extra headers", method: "GET", url: "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
		headers: map[string][]string{
			"X-K8s-Aws-Id": {"my-cluster"},
			"X-Custom":     {"  spaced    value  ", "second"},
			"User-Agent":   {"not-signed"},
		}},
	{name: "escaped path", method: "POST", url: "https://example.com/a%20b/c~d/%C3%A9", body: "x"},
	{name: "default https port", method: "POST", url: "https://sts.amazonaws.com:443/", body: "Action=GetCallerIdentity&Version=2011-06-15"},
}

func (c sdkCase) build(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	var body []byte
	var rd *bytes.Reader
	if c.body != "" {
		body = []byte(c.body)
		rd = bytes.NewReader(body)
	}
	var r *http.Request
	var err error
	if rd != nil {
		r, err = http.NewRequest(c.method, c.url, rd)
	} else {
		r, err = http.NewRequest(c.method, c.url, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.headers {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r, body
}

func (c sdkCase) params() (Credentials, string, string) {
	creds, region, service := c.creds, c.region, c.service
	if creds.AccessKeyID == "" {
		creds = testCreds
	}
	if region == "" {
		region = "us-east-1"
	}
	if service == "" {
		service = "sts"
	}
	return creds, region, service
}

func sdkCreds(c Credentials) aws.Credentials {
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
}

func TestSignMatchesSDK(t *testing.T) {
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			creds, region, service := c.params()
			mine, body := c.build(t)
			Sign(mine, body, creds, region, service, testTime)
			theirs, body := c.build(t)
			err := sdkv4.NewSigner().SignHTTP(context.Background(), sdkCreds(creds), theirs, hexSHA256(body), service, region, testTime)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []string{"Authorization", "X-Amz-Date", "X-Amz-Security-Token"} {
				if got, want := mine.Header.Get(h), theirs.Header.Get(h); got != want {
					t.Errorf("%s:\n got %s\nwant %s", h, got, want)
				}
			}
		})
	}
}

func TestSDKSignedRequestsVerify(t *testing.T) {
	for _, c := range sdkCases {
		t.Run(c.name, func(t *testing.T) {
			creds, region, service := c.params()
			r, body := c.build(t)
			err := sdkv4.NewSigner().SignHTTP(context.Background(), sdkCreds(creds), r, hexSHA256(body), service, region, testTime)
			if err != nil {
				t.Fatal(err)
			}
			sr := overWire(t, r, body)
			a, err := Parse(sr)
			if err != nil {
				t.Fatal(err)
			}
			if a.SecurityToken != creds.SessionToken || a.Region != region || a.AccessKeyID != creds.AccessKeyID {
				t.Errorf("auth = %+v", a)
			}
			now := testTime.Add(3 * time.Minute)
			if err := a.Verify(sr, body, []byte(creds.SecretAccessKey), now, NewKeyCache(0)); err != nil {
				t.Fatalf("verify: %v", err)
			}
			// Tampering with the body must fail.
			if len(body) > 0 {
				bad := append(bytes.Clone(body), '&')
				err := a.Verify(sr, bad, []byte(creds.SecretAccessKey), now, nil)
				mustErr(t, err, CodeSignatureDoesNotMatch, MsgSignatureDoesNotMatch, 403)
			}
			// And so must a wrong secret.
			err = a.Verify(sr, body, []byte("wrong"), now, nil)
			mustErr(t, err, CodeSignatureDoesNotMatch, MsgSignatureDoesNotMatch, 403)
		})
	}
}

// k8sPresign presigns like aws-iam-authenticator: GetCallerIdentity GET with
// X-Amz-Expires=60 and a signed x-k8s-aws-id header.
func sdkPresign(t *testing.T, creds Credentials, region string, expires string) (string, http.Header) {
	t.Helper()
	r, err := http.NewRequest("GET", "https://sts."+region+".amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires="+expires, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("x-k8s-aws-id", "my-cluster")
	u, h, err := sdkv4.NewSigner().PresignHTTP(context.Background(), sdkCreds(creds), r, hexSHA256(nil), "sts", region, testTime)
	if err != nil {
		t.Fatal(err)
	}
	return u, h
}

func serverGET(t *testing.T, rawURL string, h http.Header) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range h {
		if !strings.EqualFold(k, "host") {
			r.Header[k] = vs
		}
	}
	return overWire(t, r, nil)
}

func TestSDKPresignedVerifies(t *testing.T) {
	for _, creds := range []Credentials{testCreds, {AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "tok/en+=="}} {
		u, h := sdkPresign(t, creds, "eu-central-1", "60")
		sr := serverGET(t, u, h)
		a, err := Parse(sr)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Presigned || a.Expires != time.Minute || a.SecurityToken != creds.SessionToken ||
			strings.Join(a.SignedHeaders, ";") != "host;x-k8s-aws-id" {
			t.Fatalf("auth = %+v", a)
		}
		secret := []byte(creds.SecretAccessKey)
		if err := a.Verify(sr, nil, secret, testTime.Add(59*time.Second), nil); err != nil {
			t.Fatalf("verify: %v", err)
		}
		err = a.Verify(sr, nil, secret, testTime.Add(61*time.Second), nil)
		mustErr(t, err, CodeRequestExpired, MsgRequestExpired, 400)

		// The signed header is enforced.
		h2 := h.Clone()
		h2.Set("X-K8s-Aws-Id", "other-cluster")
		sr2 := serverGET(t, u, h2)
		a2, err := Parse(sr2)
		if err != nil {
			t.Fatal(err)
		}
		err = a2.Verify(sr2, nil, secret, testTime, nil)
		mustErr(t, err, CodeSignatureDoesNotMatch, MsgSignatureDoesNotMatch, 403)
	}
}

func TestPresignMatchesSDK(t *testing.T) {
	creds := Credentials{AccessKeyID: "ASIAX", SecretAccessKey: "s", SessionToken: "tok/en+=="}
	sdkURL, _ := sdkPresign(t, creds, "us-west-2", "900")
	r, err := http.NewRequest("GET", "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("x-k8s-aws-id", "my-cluster")
	mine := Presign(r, nil, creds, "us-west-2", "sts", testTime, 15*time.Minute)
	su, _ := url.Parse(sdkURL)
	mu, _ := url.Parse(mine)
	if got, want := mu.Query().Get(paramSignature), su.Query().Get(paramSignature); got != want || got == "" {
		t.Fatalf("signature %q, SDK %q\nmine %s\nsdk  %s", got, want, mine, sdkURL)
	}
	// And our own presigned URL verifies.
	sr := serverGET(t, mine, http.Header{"X-K8s-Aws-Id": {"my-cluster"}})
	a, err := Parse(sr)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Verify(sr, nil, []byte(creds.SecretAccessKey), testTime, nil); err != nil {
		t.Fatal(err)
	}
	if r.URL.RawQuery != "Action=GetCallerIdentity&Version=2011-06-15" {
		t.Fatalf("Presign modified the request: %s", r.URL.RawQuery)
	}
}
