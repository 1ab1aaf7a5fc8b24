package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/orgs"
	"github.com/hatrack/hatrack/internal/sigv4"
)

var testJSONService = JSONService{TargetPrefix: "Test_20200101", SigningName: "test", AccessDeniedStatus: 400,
	InternalError: awserr.New(500, "ServiceException", "internal")}

func testJSONDispatcher() *Dispatcher {
	jreg := &JSONRegistry{}
	jreg.Add(testJSONService,
		&Op{Service: "test", Name: "Echo", Unsigned: true, NoAuthz: true, Handle: func(ctx context.Context, c *Call) (any, error) {
			var in struct {
				Name  string
				Count *int
			}
			if err := c.decodeJSON(&in); err != nil {
				return nil, err
			}
			return map[string]any{"Name": in.Name, "At": Epoch(time.Unix(1700000000, 250e6))}, nil
		}},
		&Op{Service: "test", Name: "Empty", Unsigned: true, NoAuthz: true, Handle: func(ctx context.Context, c *Call) (any, error) {
			return nil, nil
		}},
		&Op{Service: "test", Name: "Fail", Unsigned: true, NoAuthz: true, Handle: func(ctx context.Context, c *Call) (any, error) {
			return nil, orgs.ErrMaxResults(true)
		}},
		&Op{Service: "test", Name: "Crash", Unsigned: true, NoAuthz: true, Handle: func(ctx context.Context, c *Call) (any, error) {
			return nil, io.ErrUnexpectedEOF
		}},
	)
	return &Dispatcher{Registry: &Registry{}, JSON: jreg, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestServeJSON(t *testing.T) {
	d := testJSONDispatcher()
	tests := []struct {
		name, method, target, body string
		status                     int
		want                       map[string]any
	}{
		{"echo", "POST", "Test_20200101.Echo", `{"Name":"x","Unknown":[1]}`, 200, map[string]any{"Name": "x", "At": 1700000000.25}},
		{"empty body", "POST", "Test_20200101.Empty", ``, 200, map[string]any{}},
		{"unknown op", "POST", "Test_20200101.Nope", `{}`, 400, map[string]any{"__type": "UnknownOperationException"}},
		{"unknown service", "POST", "Other.Echo", `{}`, 400, map[string]any{"__type": "UnknownOperationException"}},
		{"not an object", "POST", "Test_20200101.Echo", `[1]`, 400, map[string]any{"__type": "SerializationException", "Message": "Start of structure or map found where not expected."}},
		{"trailing data", "POST", "Test_20200101.Echo", `{} {}`, 400, map[string]any{"__type": "SerializationException", "Message": "Start of structure or map found where not expected."}},
		{"wrong type", "POST", "Test_20200101.Echo", `{"Count":"x"}`, 400, map[string]any{"__type": "SerializationException", "Message": "Unexpected value type for member Count."}},
		{"reason", "POST", "Test_20200101.Fail", `{}`, 400, map[string]any{"__type": "InvalidInputException", "Reason": "MAX_VALUE_EXCEEDED",
			"Message": "You provided a numeric parameter that has a larger value than allowed."}},
		{"internal", "POST", "Test_20200101.Crash", `{}`, 500, map[string]any{"__type": "ServiceException", "Message": "internal"}},
		{"get", "GET", "Test_20200101.Echo", ``, 404, map[string]any{"__type": "UnknownOperationException"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/", strings.NewReader(tc.body))
			r.Header.Set("X-Amz-Target", tc.target)
			r.Header.Set("Content-Type", JSONContentType)
			w := httptest.NewRecorder()
			d.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != JSONContentType {
				t.Fatalf("content type %q", ct)
			}
			if w.Header().Get("x-amzn-RequestId") == "" {
				t.Fatal("no request id")
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%v: %s", err, w.Body)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("body %v, want %v", got, tc.want)
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Fatalf("%s = %v, want %v (body %s)", k, got[k], v, w.Body)
				}
			}
		})
	}
}

func TestJSONWire(t *testing.T) {
	svc := &jsonService{JSONService: testJSONService}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		in     error
		code   string
		status int
	}{
		{awserr.AccessDenied("User: x is not authorized"), "AccessDeniedException", 400},
		{&sigv4.Error{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid.", Status: 403}, "UnrecognizedClientException", 400},
		{&sigv4.Error{Code: "SignatureDoesNotMatch", Message: "m", Status: 403}, "InvalidSignatureException", 400},
		{&sigv4.Error{Code: "IncompleteSignature", Message: "m", Status: 400}, "IncompleteSignatureException", 400},
		{&sigv4.Error{Code: "MissingAuthenticationToken", Message: "m", Status: 403}, "MissingAuthenticationTokenException", 400},
		{awserr.ValidationError("bad"), "ValidationException", 400},
		{io.EOF, "ServiceException", 500},
	}
	for _, tc := range tests {
		e := jsonWire(context.Background(), log, svc, tc.in)
		if e.Code != tc.code || e.Status != tc.status {
			t.Errorf("%v → %s %d, want %s %d", tc.in, e.Code, e.Status, tc.code, tc.status)
		}
	}
	if e := jsonWire(context.Background(), log, svc, awserr.AccessDenied("m")); e.Message != "m" {
		t.Errorf("message changed: %q", e.Message)
	}
}

func TestPaginate(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	id := func(s string) string { return s }
	var got []string
	tok := ""
	for pages := 0; ; pages++ {
		page, next, ok := paginate(items, tok, 2, id)
		if !ok || pages > 3 {
			t.Fatalf("paging broke at %d", pages)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		tok = next
	}
	if strings.Join(got, "") != "abcde" {
		t.Fatalf("pages %v", got)
	}
	for _, bad := range []string{"!!", "eHl6"} { // not base64; "xyz" without the version
		if _, _, ok := paginate(items, bad, 2, id); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	if page, next, ok := paginate(items, encodeToken("zz"), 2, id); !ok || len(page) != 0 || next != "" {
		t.Errorf("past the end: %v %q %v", page, next, ok)
	}
}

// FuzzJSONDecode: the JSON-protocol decoder never panics, accepts only
// single JSON objects, and whatever it accepts decodes into a request
// struct or fails with a SerializationException.
func FuzzJSONDecode(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"Name":"x"}`, `[]`, `null`, `{"Count":1e400}`, `{"Name":` + "\"\xff\"}", `{"a":{"b":[1,2,{"c":null}]}}`, `{}{}`, ` {"Name":"x"} `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeJSONObject(body)
		if err != nil {
			if !awserr.HasCode(err, "SerializationException") {
				t.Fatalf("error %v", err)
			}
			return
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(in, &obj); err != nil || obj == nil {
			t.Fatalf("accepted a non-object %q", in)
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r = r.WithContext(context.WithValue(r.Context(), jsonBodyKey{}, in))
		c := &Call{HTTP: r}
		var req struct {
			Name       string
			MaxResults *int
			States     []string
			Content    *string
		}
		if err := c.decodeJSON(&req); err != nil && !awserr.HasCode(err, "SerializationException") {
			t.Fatalf("decode error %v", err)
		}
	})
}

// Every request logs one line with its id, action and outcome; an internal
// error's own log line carries the same request id.
func TestRequestLogLines(t *testing.T) {
	d := testJSONDispatcher()
	var out strings.Builder
	d.Log = slog.New(slog.NewJSONHandler(&out, nil))
	for _, tc := range []struct {
		op     string
		status float64
		lines  int
	}{{"Echo", 200, 1}, {"Crash", 500, 2}} {
		out.Reset()
		r := httptest.NewRequest("POST", "/", strings.NewReader(`{}`))
		r.Header.Set("X-Amz-Target", "Test_20200101."+tc.op)
		r.Header.Set("Content-Type", JSONContentType)
		w := httptest.NewRecorder()
		d.ServeHTTP(w, r)
		id := w.Header().Get("x-amzn-RequestId")
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) != tc.lines {
			t.Fatalf("%s: %d log lines, want %d:\n%s", tc.op, len(lines), tc.lines, out.String())
		}
		for _, l := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil || rec["request_id"] != id {
				t.Fatalf("%s: line %s lacks request_id %s (%v)", tc.op, l, id, err)
			}
		}
		var last map[string]any
		json.Unmarshal([]byte(lines[len(lines)-1]), &last)
		if last["msg"] != "request" || last["action"] != tc.op || last["status"] != tc.status {
			t.Fatalf("%s: request line %v", tc.op, last)
		}
	}
}
