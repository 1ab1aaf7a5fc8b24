package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedRequest builds a query-protocol request signed by the AWS SDK's
// own SigV4 signer.
func signedRequest(t *testing.T, s *Server, c Creds, method, body string, at time.Time, mutate func(*http.Request)) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	if method == http.MethodGet {
		req, err = http.NewRequest(method, s.URL+"/?"+body, nil)
	} else {
		req, err = http.NewRequest(method, s.URL+"/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	}
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(req)
	}
	payload := body
	if method == http.MethodGet {
		payload = ""
	}
	sum := sha256.Sum256([]byte(payload))
	err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: c.ID, SecretAccessKey: c.Secret, SessionToken: c.Token},
		req, hex.EncodeToString(sum[:]), "sts", "us-east-1", at)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

type wireError struct {
	Error struct {
		Type, Code, Message string
	}
	RequestId string
}

func doRaw(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func wantWireError(t *testing.T, resp *http.Response, body string, status int, code, msg string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, body)
	}
	var e wireError
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not XML: %v\n%s", err, body)
	}
	if e.Error.Code != code || !strings.Contains(e.Error.Message, msg) {
		t.Fatalf("got %s %q, want %s containing %q", e.Error.Code, e.Error.Message, code, msg)
	}
	if e.RequestId == "" || e.RequestId != resp.Header.Get("x-amzn-RequestId") {
		t.Fatalf("request id %q vs header %q", e.RequestId, resp.Header.Get("x-amzn-RequestId"))
	}
	wantType := "Sender"
	if status >= 500 {
		wantType = "Receiver"
	}
	if e.Error.Type != wantType {
		t.Fatalf("Type %q", e.Error.Type)
	}
}

const gciBody = "Action=GetCallerIdentity&Version=2011-06-15"

func TestWireProtocol(t *testing.T) {
	s := StartServer(t)
	now := time.Now()

	t.Run("tampered body", func(t *testing.T) {
		req := signedRequest(t, s, rootCreds, http.MethodPost, gciBody, now, nil)
		req.Body = io.NopCloser(strings.NewReader(gciBody + "&X=1"))
		req.ContentLength = int64(len(gciBody) + 4)
		resp, body := doRaw(t, req)
		wantWireError(t, resp, body, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
	})
	t.Run("stale date", func(t *testing.T) {
		resp, body := doRaw(t, signedRequest(t, s, rootCreds, http.MethodPost, gciBody, now.Add(-20*time.Minute), nil))
		wantWireError(t, resp, body, 403, "SignatureDoesNotMatch", "Signature expired: ")
		if !strings.Contains(body, "- 15 min.)") {
			t.Fatalf("skew message: %s", body)
		}
		if resp.Header.Get("Date") == "" {
			t.Fatal("no Date header for clock-skew correction")
		}
	})
	t.Run("future date", func(t *testing.T) {
		resp, body := doRaw(t, signedRequest(t, s, rootCreds, http.MethodPost, gciBody, now.Add(20*time.Minute), nil))
		wantWireError(t, resp, body, 403, "SignatureDoesNotMatch", "Signature not yet current: ")
	})
	t.Run("no authentication", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(gciBody))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := doRaw(t, req)
		wantWireError(t, resp, body, 403, "MissingAuthenticationToken", "")
	})
	t.Run("malformed authorization", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(gciBody))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential= AKIAEXAMPLE")
		req.Header.Set("X-Amz-Date", now.UTC().Format("20060102T150405Z"))
		resp, body := doRaw(t, req)
		wantWireError(t, resp, body, 400, "IncompleteSignature", "")
	})
	t.Run("unknown action", func(t *testing.T) {
		resp, body := doRaw(t, signedRequest(t, s, rootCreds, http.MethodPost, "Action=Frobnicate&Version=2011-06-15", now, nil))
		wantWireError(t, resp, body, 400, "InvalidAction", "Could not find operation Frobnicate for version 2011-06-15")
	})
	t.Run("oversized body", func(t *testing.T) {
		big := gciBody + "&Pad=" + strings.Repeat("a", 2<<20)
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(big))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, body := doRaw(t, req)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %.200s", resp.StatusCode, body)
		}
	})
	t.Run("GET query string", func(t *testing.T) {
		resp, body := doRaw(t, signedRequest(t, s, rootCreds, http.MethodGet, gciBody, now, nil))
		if resp.StatusCode != 200 || !strings.Contains(body, "<Arn>arn:aws:iam::"+accountA+":root</Arn>") {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		if !strings.Contains(body, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">`) {
			t.Fatalf("namespace: %s", body)
		}
	})
	t.Run("JSON answer", func(t *testing.T) {
		resp, body := doRaw(t, signedRequest(t, s, rootCreds, http.MethodPost, gciBody, now, func(r *http.Request) { r.Header.Set("Accept", "application/json") }))
		var out struct {
			GetCallerIdentityResponse struct {
				GetCallerIdentityResult struct{ Arn, UserId, Account string }
				ResponseMetadata        struct{ RequestId string }
			}
		}
		if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d %v %s", resp.StatusCode, err, body)
		}
		r := out.GetCallerIdentityResponse
		if r.GetCallerIdentityResult.Account != accountA || r.ResponseMetadata.RequestId != resp.Header.Get("x-amzn-RequestId") {
			t.Fatalf("%s", body)
		}
	})
	t.Run("presigned GET (EKS token style)", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/?"+gciBody, nil)
		req.Header.Set("x-k8s-aws-id", "my-cluster")
		q := req.URL.Query()
		q.Set("X-Amz-Expires", "60")
		req.URL.RawQuery = q.Encode()
		signed, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), aws.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret},
			req, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sts", "us-east-1", now)
		if err != nil {
			t.Fatal(err)
		}
		get, _ := http.NewRequest(http.MethodGet, signed, nil)
		for k, v := range hdr {
			get.Header[k] = v
		}
		get.Header.Set("Accept", "application/json")
		resp, body := doRaw(t, get)
		if resp.StatusCode != 200 || !strings.Contains(body, `"Account":"`+accountA+`"`) {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
}
