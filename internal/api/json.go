package api

// The AWS JSON 1.1 protocol (Organizations; CloudTrail and others later).
//
// A JSON 1.1 request is POST / with Content-Type
// application/x-amz-json-1.1, the header X-Amz-Target: <TargetPrefix>.<Op>
// and a JSON object body. The answer is a JSON object (Content-Type
// application/x-amz-json-1.1); an error is {"__type":"<Code>","Message":…}
// plus any extra members (Reason) with the error's HTTP status. Both
// botocore and aws-sdk-go-v2 read the code from __type (ignoring a
// "namespace#" prefix) and the message from "message" or "Message".
//
// The same dispatcher steps as the query protocol apply (dispatch.go):
// bounded body, SigV4 with the op's signing name, authorization,
// handler, catch-up after mutations, logging and audit, request id.
//
// Adding a JSON service:
//
//  1. Describe it with a JSONService (target prefix, signing name, its
//     access-denied status and internal error).
//  2. Write its operations as *Op values whose Service is the signing name
//     and whose Handle reads the request with c.decodeJSON(&in) and
//     returns a struct (or map) that encodes as the response body, or nil
//     for an empty {} body. Timestamps use EpochTime (JSON 1.1 timestamps
//     are epoch seconds).
//  3. Register them in RegisterJSON (register.go):
//     reg.Add(cloudTrailService, cloudTrailOps(s.Audit)...)
//
// Errors that should carry members beyond __type and Message implement
// WireFields() map[string]any (see orgs.Error's Reason).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
)

// JSONContentType is the content type of JSON 1.1 requests and answers.
const JSONContentType = "application/x-amz-json-1.1"

// JSONService describes one service spoken over JSON 1.1.
type JSONService struct {
	// TargetPrefix is the X-Amz-Target prefix before the dot, e.g.
	// "AWSOrganizationsV20161128" or "CloudTrail_20131101".
	TargetPrefix string
	// SigningName is the SigV4 service name and the policy action prefix,
	// e.g. "organizations"; every op's Service must equal it.
	SigningName string
	// AccessDeniedStatus is the HTTP status of the service's
	// AccessDeniedException (Organizations: 400).
	AccessDeniedStatus int
	// InternalError answers unexpected failures (nil:
	// InternalFailure, 500).
	InternalError *awserr.Error
}

type jsonService struct {
	JSONService
	ops map[string]*Op
}

// JSONRegistry maps X-Amz-Target values to operations.
type JSONRegistry struct {
	services map[string]*jsonService
}

// Add registers a service's operations (again for the same prefix to add
// more).
func (r *JSONRegistry) Add(svc JSONService, ops ...*Op) {
	if r.services == nil {
		r.services = make(map[string]*jsonService)
	}
	s := r.services[svc.TargetPrefix]
	if s == nil {
		s = &jsonService{JSONService: svc, ops: make(map[string]*Op)}
		r.services[svc.TargetPrefix] = s
	}
	for _, op := range ops {
		if op.Service != svc.SigningName {
			panic("api: op " + op.Name + " has service " + op.Service + ", want " + svc.SigningName)
		}
		s.ops[op.Name] = op
	}
}

// Names lists the registered "service:Action" names.
func (r *JSONRegistry) Names() []string {
	var out []string
	for _, s := range r.services {
		for _, op := range s.ops {
			out = append(out, op.Service+":"+op.Name)
		}
	}
	return out
}

// lookup resolves an X-Amz-Target value.
func (r *JSONRegistry) lookup(target string) (*jsonService, *Op) {
	// The operation is after the last dot: targets such as CloudTrail's
	// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
	// have dots in their prefix.
	i := strings.LastIndexByte(target, '.')
	if i < 0 || r == nil {
		return nil, nil
	}
	prefix, name := target[:i], target[i+1:]
	s := r.services[prefix]
	if s == nil {
		return nil, nil
	}
	return s, s.ops[name]
}

type jsonBodyKey struct{}

// JSONBody is the JSON request body of a JSON-protocol call (nil for
// query-protocol calls); the auditor records request parameters from it.
func (c *Call) JSONBody() []byte {
	if c.HTTP == nil {
		return nil
	}
	b, _ := c.HTTP.Context().Value(jsonBodyKey{}).([]byte)
	return b
}

func errSerialization(msg string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "SerializationException", "%s", msg)
}

// decodeJSONObject checks that body is one JSON object (an empty body is
// {}), as the protocol requires, and returns the body to decode.
func decodeJSONObject(body []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return []byte("{}"), nil
	}
	var obj map[string]json.RawMessage
	if !json.Valid(trimmed) || json.Unmarshal(trimmed, &obj) != nil || obj == nil {
		return nil, errSerialization("Start of structure or map found where not expected.")
	}
	return trimmed, nil
}

// decodeJSON decodes the call's request into v (a struct of the
// operation's members). A member of the wrong JSON type is a
// SerializationException; unknown members are ignored, as AWS does.
func (c *Call) decodeJSON(v any) error {
	body := c.JSONBody()
	if body == nil {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return errSerialization("Unexpected value type for member " + te.Field + ".")
		}
		return errSerialization("Start of structure or map found where not expected.")
	}
	return nil
}

// EpochTime encodes a timestamp as JSON 1.1 does: epoch seconds (with
// milliseconds as a fraction).
type EpochTime time.Time

func (t EpochTime) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// Epoch converts a time for a JSON answer; nil for the zero time.
func Epoch(t time.Time) *EpochTime {
	if t.IsZero() {
		return nil
	}
	e := EpochTime(t)
	return &e
}

// Page tokens: opaque to clients, the key of the last item returned.

func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte("v1:" + key)) }

func decodeToken(tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !bytes.HasPrefix(b, []byte("v1:")) {
		return "", false
	}
	return string(b[3:]), true
}

// paginate returns the items after token (items are sorted by key, keys
// unique), at most max of them, and the next token ("" when done). ok is
// false for a token this server did not issue.
func paginate[T any](items []T, token string, max int, key func(T) string) (page []T, next string, ok bool) {
	start := 0
	if token != "" {
		after, valid := decodeToken(token)
		if !valid {
			return nil, "", false
		}
		start = len(items)
		for i, it := range items {
			if key(it) > after {
				start = i
				break
			}
		}
	}
	end := start + max
	if end >= len(items) {
		return items[start:], "", true
	}
	return items[start:end], encodeToken(key(items[end-1])), true
}

// jsonWire maps an error to the service's JSON-protocol error: the shared
// mapping (toWire), then the JSON services' names for the authentication
// and authorization failures.
func jsonWire(ctx context.Context, log *slog.Logger, svc *jsonService, err error) *awserr.Error {
	service := ""
	if svc != nil {
		service = svc.SigningName
	}
	e := toWire(ctx, log, service, err)
	out := *e
	switch e.Code {
	case "InvalidClientTokenId":
		out.Code, out.Status = "UnrecognizedClientException", http.StatusBadRequest
	case "SignatureDoesNotMatch":
		out.Code, out.Status = "InvalidSignatureException", http.StatusBadRequest
	case "IncompleteSignature":
		out.Code, out.Status = "IncompleteSignatureException", http.StatusBadRequest
	case "MissingAuthenticationToken":
		out.Code, out.Status = "MissingAuthenticationTokenException", http.StatusBadRequest
	case "ExpiredToken":
		out.Code, out.Status = "ExpiredTokenException", http.StatusBadRequest
	case "ValidationError":
		out.Code = "ValidationException"
	case "AccessDenied":
		out.Code = "AccessDeniedException"
		if svc != nil && svc.AccessDeniedStatus != 0 {
			out.Status = svc.AccessDeniedStatus
		}
	case "InternalFailure", "ServiceFailure":
		if svc != nil && svc.InternalError != nil {
			out = *svc.InternalError
		}
	}
	return &out
}

// marshalJSONResult encodes a handler's result ({} for nil).
func marshalJSONResult(result any) ([]byte, error) {
	if result == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(result)
}

// writeJSONResult writes a successful JSON 1.1 answer.
func writeJSONResult(w http.ResponseWriter, requestID string, body []byte) {
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Type", JSONContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// writeJSONError encodes a JSON 1.1 error with extra members.
func writeJSONError(w http.ResponseWriter, requestID string, e *awserr.Error, extra map[string]any) {
	m := make(map[string]any, 2+len(extra))
	for k, v := range extra {
		m[k] = v
	}
	m["__type"] = e.Code
	if e.Message != "" {
		m["Message"] = e.Message
	}
	body, _ := json.Marshal(m)
	h := w.Header()
	h.Set("x-amzn-RequestId", requestID)
	h.Set("Content-Type", JSONContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	w.Write(body)
}

// wireFields returns the extra error members an error carries.
func wireFields(err error) map[string]any {
	var wf interface{ WireFields() map[string]any }
	if errors.As(err, &wf) {
		return wf.WireFields()
	}
	return nil
}

// serveJSON handles a JSON 1.1 request (one carrying X-Amz-Target).
func (d *Dispatcher) serveJSON(w http.ResponseWriter, r *http.Request) {
	call := d.begin(w, r)
	ctx := r.Context()
	var svc *jsonService
	fail := func(err error) {
		e := jsonWire(ctx, call.Logger(), svc, err)
		d.record(ctx, call, nil, e)
		writeJSONError(w, call.RequestID, e, wireFields(err))
	}
	if r.Method != http.MethodPost {
		fail(awserr.New(http.StatusNotFound, "UnknownOperationException", ""))
		return
	}
	var op *Op
	svc, op = d.JSON.lookup(r.Header.Get("X-Amz-Target"))
	if op == nil {
		fail(awserr.New(http.StatusBadRequest, "UnknownOperationException", ""))
		return
	}
	body, err := d.readBody(w, r)
	if err != nil {
		fail(err)
		return
	}
	call.Op = op
	input, err := decodeJSONObject(body)
	if err != nil {
		fail(err)
		return
	}
	r = r.WithContext(context.WithValue(ctx, jsonBodyKey{}, input))
	call.HTTP = r
	result, err := d.run(r.Context(), call, body)
	if err != nil {
		fail(err)
		return
	}
	out, err := marshalJSONResult(result)
	if err != nil {
		fail(err) // logged as an internal error by toWire
		return
	}
	d.record(ctx, call, result, nil)
	writeJSONResult(w, call.RequestID, out)
}
