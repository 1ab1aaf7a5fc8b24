package sigv4

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	goodCred = "AKIAIOSFODNN7EXAMPLE/20260807/us-east-1/sts/aws4_request"
	goodSig  = "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024"
)

func TestParseErrors(t *testing.T) {
	const hdr = "Authorization"
	tests := []struct {
		name    string
		query   string
		headers map[string][]string
		code    string
		msg     string
		status  int
	}{
		{name: "nothing", code: CodeMissingAuthenticationToken, msg: "Request is missing Authentication Token", status: 403},
		{name: "empty header", headers: map[string][]string{hdr: {" "}},
			code: CodeMissingAuthenticationToken, msg: MsgMissingAuthenticationToken, status: 403},
		{name: "unrelated query", query: "Action=GetCallerIdentity&X-Amz-Date=20260807T133441Z",
			code: CodeMissingAuthenticationToken, msg: MsgMissingAuthenticationToken, status: 403},
		{name: "space after equal sign",
			headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential= " + goodCred + ", SignedHeaders=host, Signature=" + goodSig},
				"X-Amz-Date": {"20260807T133441Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "'" + goodCred + "' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Credential= " + goodCred + ", SignedHeaders=host, Signature=" + goodSig + "'"},
		{name: "everything missing", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a " +
				"'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256"},
		{name: "signature missing", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host"},
			"X-Amz-Date": {"20260807T133441Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host"},
		{name: "empty values", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=" + goodSig},
			"X-Amz-Date": {"20260807T133441Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=" + goodSig},
		{name: "date missing", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=" + goodCred + ",SignedHeaders=host,Signature=" + goodSig}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=" +
				goodCred + ",SignedHeaders=host,Signature=" + goodSig},
		{name: "sigv2-ish", headers: map[string][]string{hdr: {"AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg="}},
			code: CodeIncompleteSignature, status: 400, msg: "Unsupported AWS 'algorithm': 'AWS'"},
		{name: "short credential", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=AKIA/20260807/us-east-1/sts, SignedHeaders=host, Signature=" + goodSig},
			"X-Amz-Date": {"20260807T133441Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIA/20260807/us-east-1/sts'"},
		{name: "long credential", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=" + goodCred + "/x, SignedHeaders=host, Signature=" + goodSig},
			"X-Amz-Date": {"20260807T133441Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + goodCred + "/x'"},
		{name: "bad date", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host, Signature=" + goodSig},
			"X-Amz-Date": {"2026-08-07T13:34:41Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Date must be in ISO-8601 'basic format'. Got '2026-08-07T13:34:41Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "impossible date", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host, Signature=" + goodSig},
			"X-Amz-Date": {"20260230T133441Z"}},
			code: CodeIncompleteSignature, status: 400,
			msg: "Date must be in ISO-8601 'basic format'. Got '20260230T133441Z'. See http://en.wikipedia.org/wiki/ISO_8601"},
		{name: "two headers", headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 a=b", "AWS4-HMAC-SHA256 c=d"}},
			code: CodeIncompleteSignature, status: 400, msg: "Only one Authorization header allowed"},
		{name: "both forms", query: "X-Amz-Signature=" + goodSig,
			headers: map[string][]string{hdr: {"AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host, Signature=" + goodSig}},
			code:    CodeIncompleteSignature, status: 400,
			msg: "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"},
		{name: "presigned incomplete", query: "Action=GetCallerIdentity&X-Amz-Algorithm=AWS4-HMAC-SHA256",
			code: CodeIncompleteSignature, status: 400,
			msg: "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. " +
				"Re-examine the query-string parameters."},
		{name: "presigned algorithm", query: presignedQuery("X-Amz-Algorithm=AWS4-HMAC-SHA1"),
			code: CodeIncompleteSignature, status: 400, msg: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'"},
		{name: "presigned expires", query: presignedQuery("X-Amz-Expires=soon"),
			code: CodeIncompleteSignature, status: 400, msg: "X-Amz-Expires should be a number, got 'soon'"},
		{name: "presigned duplicate", query: presignedQuery("") + "&X-Amz-Signature=00",
			code: CodeIncompleteSignature, status: 400,
			msg: "Duplicate query-string parameter 'X-Amz-Signature'. Re-examine the query-string parameters."},
		{name: "presigned credential", query: presignedQuery("X-Amz-Credential=AKIA%2F20260807"),
			code: CodeIncompleteSignature, status: 400,
			msg: "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got 'AKIA/20260807'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest("GET", "https://sts.amazonaws.com/?"+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				r.Header[k] = v
			}
			a, err := Parse(r)
			if a != nil {
				t.Fatalf("got Auth %+v with error %v", a, err)
			}
			mustErr(t, err, tc.code, tc.msg, tc.status)
			if got := IsMissing(err); got != (tc.code == CodeMissingAuthenticationToken) {
				t.Fatalf("IsMissing = %v", got)
			}
		})
	}
}

// presignedQuery returns a complete presigned query with one parameter
// replaced by (or, when new, added as) override.
func presignedQuery(override string) string {
	params := []string{
		"Action=GetCallerIdentity",
		"X-Amz-Algorithm=AWS4-HMAC-SHA256",
		"X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260807%2Fus-east-1%2Fsts%2Faws4_request",
		"X-Amz-Date=20260807T133441Z",
		"X-Amz-Expires=60",
		"X-Amz-SignedHeaders=host%3Bx-k8s-aws-id",
		"X-Amz-Signature=" + goodSig,
	}
	if k, _, ok := strings.Cut(override, "="); ok {
		found := false
		for i, p := range params {
			if strings.HasPrefix(p, k+"=") {
				params[i], found = override, true
			}
		}
		if !found {
			params = append(params, override)
		}
	}
	return strings.Join(params, "&")
}

func TestParseHeaderForms(t *testing.T) {
	for _, h := range []string{
		"AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=content-type;host;x-amz-date, Signature=" + goodSig,
		"AWS4-HMAC-SHA256 Credential=" + goodCred + ",SignedHeaders=content-type;host;x-amz-date,Signature=" + goodSig,
		"AWS4-HMAC-SHA256  Credential=" + goodCred + ",  SignedHeaders=content-type;host;x-amz-date ,Signature=" + strings.ToUpper(goodSig),
		"AWS4-HMAC-SHA256 Signature=" + goodSig + ", Credential=" + goodCred + ", Extra=1, SignedHeaders=content-type;host;x-amz-date",
	} {
		r, _ := http.NewRequest("POST", "https://sts.amazonaws.com/", nil)
		r.Header.Set("Authorization", h)
		r.Header.Set("X-Amz-Date", "20260807T133441Z")
		r.Header.Set("X-Amz-Security-Token", "tok")
		a, err := Parse(r)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		if a.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || a.DateStamp != "20260807" || a.Region != "us-east-1" ||
			a.Service != "sts" || a.Terminator != "aws4_request" || a.Scope() != "20260807/us-east-1/sts/aws4_request" ||
			!a.Date.Equal(testTime) || a.AmzDate != "20260807T133441Z" || a.SecurityToken != "tok" || a.Presigned ||
			strings.Join(a.SignedHeaders, ",") != "content-type,host,x-amz-date" || len(a.Signature) != 32 || a.Signature[0] != 0xfe {
			t.Fatalf("%s: %+v", h, a)
		}
	}
}

func TestParseDateHeaderFallback(t *testing.T) {
	r, _ := http.NewRequest("POST", "https://sts.amazonaws.com/", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+goodCred+", SignedHeaders=date;host, Signature="+goodSig)
	r.Header.Set("Date", testTime.Format(http.TimeFormat))
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if a.AmzDate != "20260807T133441Z" || !a.Date.Equal(testTime) {
		t.Fatalf("date %s / %v", a.AmzDate, a.Date)
	}
}

func TestParseBadSignatureHex(t *testing.T) {
	for _, sig := range []string{"abc", strings.Repeat("g", 64), strings.Repeat("0", 66)} {
		r := botocoreRequest(t, stsBody, testCreds, testTime)
		h := r.Header.Get("Authorization")
		r.Header.Set("Authorization", h[:strings.Index(h, "Signature=")]+"Signature="+sig)
		a, err := Parse(r)
		if err != nil {
			t.Fatal(err)
		}
		if a.Signature != nil {
			t.Fatalf("signature %x", a.Signature)
		}
		err = a.Verify(r, stsBody, []byte(testCreds.SecretAccessKey), testTime, nil)
		mustErr(t, err, CodeSignatureDoesNotMatch, MsgSignatureDoesNotMatch, 403)
	}
}

func TestParsePresigned(t *testing.T) {
	r, _ := http.NewRequest("GET", "https://sts.amazonaws.com/?"+presignedQuery("X-Amz-Security-Token=a%2Bb+c"), nil)
	a, err := Parse(r)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Presigned || !a.HasExpires || a.Expires != time.Minute || a.SecurityToken != "a+b c" ||
		a.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || strings.Join(a.SignedHeaders, ";") != "host;x-k8s-aws-id" {
		t.Fatalf("%+v", a)
	}
}
