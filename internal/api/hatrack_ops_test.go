package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestValidateAuthorizeContext(t *testing.T) {
	ok := [][]authorizeContextEntry{
		nil,
		{{Key: "aws:SourceIp", Type: "Ip", Values: []string{"10.0.0.1"}}},
		{{Key: "sqs:QueueTag/team", Type: "StringList", Values: []string{"a", "b"}}},
		{{Key: "svc:Size", Type: "numeric", Values: []string{"3"}}},
		{{Key: "svc:Untyped", Values: []string{"a", "b"}}},
	}
	for _, c := range ok {
		if err := validateContext(c); err != nil {
			t.Errorf("%v: %v", c, err)
		}
	}
	bad := [][]authorizeContextEntry{
		{{Key: "aws:PrincipalArn", Type: "String", Values: []string{"arn:aws:iam::1:root"}}},
		{{Key: "AWS:principaltag/team", Type: "String", Values: []string{"x"}}},
		{{Key: "aws:userid", Type: "String", Values: []string{"x"}}},
		{{Key: "aws:MultiFactorAuthPresent", Type: "Boolean", Values: []string{"true"}}},
		{{Key: "aws:CurrentTime", Type: "Date", Values: []string{"2020-01-01T00:00:00Z"}}},
		{{Key: "nocolon", Type: "String", Values: []string{"x"}}},
		{{Key: "svc:K", Type: "Weird", Values: []string{"x"}}},
		{{Key: "svc:K", Type: "String", Values: []string{"x", "y"}}},
		{{Key: "svc:K", Type: "String"}},
	}
	for _, c := range bad {
		if err := validateContext(c); err == nil {
			t.Errorf("%v accepted", c)
		}
	}
	many := make([]authorizeContextEntry, maxContextEntries+1)
	for i := range many {
		many[i] = authorizeContextEntry{Key: "svc:K", Type: "String", Values: []string{"x"}}
	}
	if validateContext(many) == nil {
		t.Error("too many entries accepted")
	}
}

func TestAuthorizeInputRedacted(t *testing.T) {
	body := `{"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111111111111:q","SessionToken":"tok-SECRET",` +
		`"SignedRequest":{"Method":"POST","Url":"https://q.example/p?X-Amz-Signature=sig-SECRET&X-Amz-Credential=AKIA",` +
		`"Headers":{"Authorization":["AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=sig-SECRET"],"x-amz-security-token":["tok-SECRET"],"X-Amz-Date":["20261122T000000Z"]},` +
		`"Body":"Ym9keS1TRUNSRVQ="}}`
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r = r.WithContext(context.WithValue(r.Context(), jsonBodyKey{}, []byte(body)))
	c := &Call{HTTP: r}
	if got := authorizeResourceOf(c); got != "arn:aws:sqs:us-east-1:111111111111:q" {
		t.Fatalf("resource %q", got)
	}
	recorded := string(c.JSONBody())
	for _, secret := range []string{"SECRET", "Ym9ke", "X-Amz-Credential"} {
		if strings.Contains(recorded, secret) {
			t.Fatalf("recorded body keeps %q: %s", secret, recorded)
		}
	}
	if !strings.Contains(recorded, "20261122T000000Z") || !strings.Contains(recorded, "https://q.example/p") {
		t.Fatalf("recorded body lost non-secret members: %s", recorded)
	}
	// The handler still sees the full input.
	in, err := readAuthorizeInput(c)
	if err != nil || in.SessionToken != "tok-SECRET" || in.SignedRequest.Body != "Ym9keS1TRUNSRVQ=" ||
		in.SignedRequest.Headers["Authorization"][0] == redactedValue {
		t.Fatalf("input %+v %v", in, err)
	}
}
