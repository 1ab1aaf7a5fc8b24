package authzclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func fake(t *testing.T, status int, answer string, check func(*http.Request, []byte)) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if check != nil {
			check(r, b)
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("x-amzn-RequestId", "req-1")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return New(srv.URL+"/", Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"}, "eu-west-1")
}

func TestAuthorizeSignsAndDecodes(t *testing.T) {
	var gotTarget, gotAuth string
	var gotIn map[string]any
	c := fake(t, 200, `{"Decision":"Allowed","Principal":{"Arn":"arn:aws:iam::111111111111:user/a","Account":"111111111111","UserId":"AIDA1","Type":"User"},"Message":"","MatchedStatements":[{"PolicyId":"resource-policy","PolicyType":"resource","Statement":0,"Sid":"S","Effect":"Allow"}]}`,
		func(r *http.Request, b []byte) {
			gotTarget, gotAuth = r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization")
			json.Unmarshal(b, &gotIn)
		})
	out, err := c.Authorize(context.Background(), AuthorizeInput{Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:111111111111:q", AccessKeyId: "AKIAX"})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Allowed() || out.Principal.UserId != "AIDA1" || len(out.MatchedStatements) != 1 || out.MatchedStatements[0].Sid != "S" {
		t.Fatalf("out %+v", out)
	}
	if gotTarget != "Hatrack_20261122.Authorize" {
		t.Fatalf("target %q", gotTarget)
	}
	if !strings.Contains(gotAuth, "Credential=AKIAEXAMPLE/") || !strings.Contains(gotAuth, "/eu-west-1/hatrack/aws4_request") {
		t.Fatalf("authorization %q", gotAuth)
	}
	if gotIn["AccessKeyId"] != "AKIAX" || gotIn["SignedRequest"] != nil {
		t.Fatalf("request body %v", gotIn)
	}
}

func TestErrors(t *testing.T) {
	c := fake(t, 403, `{"__type":"SignedRequestAuthenticationException","Message":"The request signature we calculated does not match","RequestErrorCode":"SignatureDoesNotMatch"}`, nil)
	_, err := c.Authorize(context.Background(), AuthorizeInput{})
	e, ok := AsError(err)
	if !ok || e.Code != "SignatureDoesNotMatch" || !e.Forwarded || e.StatusCode != 403 || e.RequestID != "req-1" || !strings.HasPrefix(e.Message, "The request signature") {
		t.Fatalf("error %#v", err)
	}
	c = fake(t, 400, `{"__type":"com.example#AccessDeniedException","message":"no"}`, nil)
	err = c.DeleteResourcePolicy(context.Background(), "arn:aws:sqs:us-east-1:111111111111:q")
	if e, ok := AsError(err); !ok || e.Code != "AccessDeniedException" || e.Forwarded || e.Message != "no" {
		t.Fatalf("error %#v", err)
	}
	c = fake(t, 502, `<html>bad gateway</html>`, nil)
	_, err = c.GetResourcePolicy(context.Background(), "arn:aws:sqs:us-east-1:111111111111:q")
	if e, ok := AsError(err); !ok || e.Code != "UnknownError" || e.StatusCode != 502 {
		t.Fatalf("error %#v", err)
	}
}

func TestForwardedRequest(t *testing.T) {
	// A request as a server receives it: relative URL, Host promoted out
	// of the header map.
	r := httptest.NewRequest(http.MethodPost, "/queue?a=1", strings.NewReader("x"))
	r.Host = "svc.example:8080"
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 …")
	r.Header.Del("Host")
	sr := ForwardedRequest(r, []byte("body"))
	if sr.Url != "https://svc.example:8080/queue?a=1" && sr.Url != "http://svc.example:8080/queue?a=1" {
		t.Fatalf("url %q", sr.Url)
	}
	if sr.Headers["Host"][0] != "svc.example:8080" || sr.Headers["Authorization"][0] != "AWS4-HMAC-SHA256 …" || sr.Headers["Content-Length"][0] != "4" {
		t.Fatalf("headers %v", sr.Headers)
	}
	if b, _ := base64.StdEncoding.DecodeString(sr.Body); string(b) != "body" || sr.Method != "POST" {
		t.Fatalf("body %q method %q", b, sr.Method)
	}
	// The caller's request is not modified.
	if r.URL.Host != "" || r.Header.Get("Host") != "" {
		t.Fatalf("request modified: %v %v", r.URL, r.Header)
	}
}
