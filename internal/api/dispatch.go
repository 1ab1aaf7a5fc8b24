package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/internal/query"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/policy"
)

// MaxBodyBytes bounds a request body. IAM's largest parameter (a policy
// document, 131072 characters) form-encodes to at most three times that.
const MaxBodyBytes = 1 << 20

// Authorizer decides whether a caller may perform an action. It returns
// nil when allowed and an *awserr.Error (AccessDenied with AWS's message)
// when not.
type Authorizer interface {
	Authorize(ctx context.Context, req *authz.Request) error
}

// CatchUp brings this node's caches up to date with committed changes;
// the dispatcher calls it after a mutating operation succeeds so the
// caller's next request sees its own write.
type CatchUp interface {
	CatchUp(ctx context.Context) error
}

// Auditor records every authenticated request's outcome.
type Auditor interface {
	Record(ctx context.Context, c *Call, result any, err *awserr.Error)
}

// Dispatcher is the one entry point of the query protocol.
type Dispatcher struct {
	Registry *Registry
	// JSON holds the JSON 1.1 services (requests with X-Amz-Target).
	JSON     *JSONRegistry
	Resolver *authn.Resolver
	Authz    Authorizer
	CatchUp  CatchUp
	Audit    Auditor
	Log      *slog.Logger
	Now      func() time.Time
	KeyCache *sigv4.KeyCache
	TrustXFF bool // take the client address from X-Forwarded-For
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// ServeHTTP handles a request: JSON 1.1 when it carries X-Amz-Target
// (json.go), otherwise the query protocol.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Amz-Target") != "" {
		d.serveJSON(w, r)
		return
	}
	call := d.begin(w, r)
	ctx := r.Context()
	ns := nsIAM

	fail := func(err error) {
		e := toWire(ctx, call.Logger(), serviceOf(call.Op), err)
		if call.Op != nil && call.Op.Service == "sts" {
			ns = nsSTS
		}
		d.record(ctx, call, nil, e)
		writeError(w, r, ns, call.RequestID, e)
	}

	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		fail(awserr.New(http.StatusMethodNotAllowed, "InvalidAction", "Method %s is not allowed.", r.Method))
		return
	}
	body, err := d.readBody(w, r)
	if err != nil {
		fail(err)
		return
	}
	params, err := query.Parse(r, body)
	if err != nil {
		fail(err)
		return
	}
	call.Params = params
	action, version := params.Action(), params.Version()
	if action == "" {
		fail(awserr.New(http.StatusBadRequest, "MissingAction", "Missing Action"))
		return
	}
	op := d.Registry.Lookup(version, action)
	if op == nil {
		if version == "" {
			fail(awserr.New(http.StatusBadRequest, "MissingParameter", "The request must contain the parameter Version."))
			return
		}
		fail(awserr.New(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, version))
		return
	}
	call.Op = op
	if op.Service == "sts" {
		ns = nsSTS
	}

	result, err := d.run(ctx, call, body)
	if err != nil {
		fail(err)
		return
	}
	d.record(ctx, call, result, nil)
	writeResult(w, r, ns, op.Name, call.RequestID, result)
}

// The steps every protocol shares.

// begin starts a request: its id, logger and Call; SDKs correct their
// clock from the Date header on skew errors.
func (d *Dispatcher) begin(w http.ResponseWriter, r *http.Request) *Call {
	reqID := ids.NewRequestID()
	w.Header().Set("Date", d.now().UTC().Format(http.TimeFormat))
	return &Call{RequestID: reqID, Time: d.now(), log: d.Log, HTTP: r,
		SourceIP: d.sourceIP(r), UserAgent: r.UserAgent()}
}

// readBody reads the request body, bounded to MaxBodyBytes.
func (d *Dispatcher) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	var buf []byte
	// Sized by the declared length (room to read EOF without growing),
	// up to 64 KiB: a larger claim is not allocated before the bytes come.
	if n := r.ContentLength; n > 0 && n <= 64<<10 {
		buf = make([]byte, 0, n+1)
	}
	body, err := readAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes), buf)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body must be no larger than %d bytes.", MaxBodyBytes)
		}
		return nil, awserr.New(http.StatusBadRequest, "MalformedQueryString", "The request body could not be read.")
	}
	return body, nil
}

// readAll is io.ReadAll into buf (which may be sized for the body).
func readAll(r io.Reader, buf []byte) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)] // grow
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// run performs a decoded call (call.Op set): SigV4 authentication with
// the op's signing name unless the op is unsigned, authorization unless
// the op makes its own decision, the handler, and the caches' catch-up
// after a mutation.
func (d *Dispatcher) run(ctx context.Context, call *Call, body []byte) (any, error) {
	op, r := call.Op, call.HTTP
	if !op.Unsigned {
		caller, region, err := d.authenticate(ctx, r, body, op.Service)
		if err != nil {
			return nil, err
		}
		call.Caller, call.Region = caller, region
	}
	if !op.NoAuthz && d.Authz != nil {
		res := "*"
		if op.Resource != nil {
			res = op.Resource(call)
		}
		if err := d.authorize(ctx, call, res); err != nil {
			return nil, err
		}
		if op.MoreResources != nil {
			for _, more := range op.MoreResources(call) {
				if err := d.authorize(ctx, call, more); err != nil {
					return nil, err
				}
			}
		}
	}
	result, err := op.Handle(ctx, call)
	if err != nil {
		return nil, err
	}
	if op.Mutates && d.CatchUp != nil {
		if err := d.CatchUp.CatchUp(ctx); err != nil {
			call.Logger().WarnContext(ctx, "cache catch-up failed", "err", err)
		}
	}
	return result, nil
}

// authorize asks whether the call's action is allowed on resource.
func (d *Dispatcher) authorize(ctx context.Context, call *Call, resource string) error {
	op := call.Op
	areq := &authz.Request{Caller: call.Caller, Action: op.Service + ":" + op.Name, Resource: resource,
		SourceIP: call.SourceIP, UserAgent: call.UserAgent, Region: call.Region, Secure: call.HTTP.TLS != nil, Time: call.Time}
	if op.Context != nil {
		areq.Extra = func(pc *policy.Context) { op.Context(call, pc) }
	}
	if op.ResourcePolicy != nil {
		rp, err := op.ResourcePolicy(ctx, call)
		if err != nil {
			return err
		}
		areq.ResourcePolicy = rp
	}
	return d.Authz.Authorize(ctx, areq)
}

// record logs a request's outcome and hands it to the auditor (e is nil
// on success).
func (d *Dispatcher) record(ctx context.Context, call *Call, result any, e *awserr.Error) {
	if d.Log.Enabled(ctx, slog.LevelInfo) {
		// The attributes Logger would add, then the outcome's.
		attrs := make([]slog.Attr, 0, 7)
		attrs = append(attrs, slog.String("request_id", call.RequestID))
		if call.Caller != nil {
			attrs = append(attrs, slog.String("caller", call.Caller.ARN))
		}
		attrs = append(attrs, slog.String("action", opName(call.Op)))
		if e != nil {
			attrs = append(attrs, slog.Int("status", e.Status), slog.String("code", e.Code))
		} else {
			attrs = append(attrs, slog.Int("status", http.StatusOK))
		}
		attrs = append(attrs, slog.String("source_ip", call.SourceIP))
		d.Log.LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	}
	if d.Audit != nil && call.Op != nil {
		d.Audit.Record(ctx, call, result, e)
	}
}

// authenticate verifies the request's SigV4 signature and returns the
// caller it proves and the region it was signed for.
func (d *Dispatcher) authenticate(ctx context.Context, r *http.Request, body []byte, service string) (*authn.Caller, string, error) {
	auth, err := sigv4.Parse(r)
	if err != nil {
		return nil, "", err
	}
	cred, err := d.Resolver.Resolve(ctx, auth.AccessKeyID, auth.SecurityToken)
	if err != nil {
		return nil, "", err
	}
	if err := auth.VerifyWithOptions(r, body, cred.Secret, d.now(), d.KeyCache, sigv4.VerifyOptions{Service: service}); err != nil {
		return nil, "", err
	}
	if cred.Caller.LongTerm() {
		d.Resolver.NoteUse(auth.AccessKeyID, service, auth.Region)
	}
	return cred.Caller, auth.Region, nil
}

func (d *Dispatcher) sourceIP(r *http.Request) string {
	if d.TrustXFF {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func serviceOf(op *Op) string {
	if op == nil {
		return "iam"
	}
	return op.Service
}

func opName(op *Op) string {
	if op == nil {
		return ""
	}
	return op.Name
}
