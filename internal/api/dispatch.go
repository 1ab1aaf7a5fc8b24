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

// ServeHTTP handles a query-protocol request.
func (d *Dispatcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := ids.NewRequestID()
	log := d.Log.With("request_id", reqID)
	ctx := r.Context()
	// SDKs correct their clock from the Date header on skew errors.
	w.Header().Set("Date", d.now().UTC().Format(http.TimeFormat))

	call := &Call{RequestID: reqID, Time: d.now(), Log: log, HTTP: r,
		SourceIP: d.sourceIP(r), UserAgent: r.UserAgent()}
	ns := nsIAM

	fail := func(err error) {
		e := toWire(ctx, log, serviceOf(call.Op), err)
		if call.Op != nil && call.Op.Service == "sts" {
			ns = nsSTS
		}
		log.InfoContext(ctx, "request", "action", opName(call.Op), "status", e.Status, "code", e.Code, "source_ip", call.SourceIP)
		if d.Audit != nil && call.Op != nil {
			d.Audit.Record(ctx, call, nil, e)
		}
		writeError(w, r, ns, reqID, e)
	}

	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		fail(awserr.New(http.StatusMethodNotAllowed, "InvalidAction", "Method %s is not allowed.", r.Method))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(awserr.New(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "Request body must be no larger than %d bytes.", MaxBodyBytes))
			return
		}
		fail(awserr.New(http.StatusBadRequest, "MalformedQueryString", "The request body could not be read."))
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

	if !op.Unsigned {
		caller, region, err := d.authenticate(ctx, r, body, op.Service)
		if err != nil {
			fail(err)
			return
		}
		call.Caller, call.Region = caller, region
		log = log.With("caller", caller.ARN)
		call.Log = log
	}

	if !op.NoAuthz && d.Authz != nil {
		res := "*"
		if op.Resource != nil {
			res = op.Resource(call)
		}
		areq := &authz.Request{Caller: call.Caller, Action: op.Service + ":" + op.Name, Resource: res,
			SourceIP: call.SourceIP, UserAgent: call.UserAgent, Region: call.Region, Secure: r.TLS != nil, Time: call.Time}
		if op.Context != nil {
			areq.Extra = func(pc *policy.Context) { op.Context(call, pc) }
		}
		if err := d.Authz.Authorize(ctx, areq); err != nil {
			fail(err)
			return
		}
	}

	result, err := op.Handle(ctx, call)
	if err != nil {
		fail(err)
		return
	}
	if op.Mutates && d.CatchUp != nil {
		if err := d.CatchUp.CatchUp(ctx); err != nil {
			log.WarnContext(ctx, "cache catch-up failed", "err", err)
		}
	}
	log.InfoContext(ctx, "request", "action", op.Name, "status", http.StatusOK, "source_ip", call.SourceIP)
	if d.Audit != nil {
		d.Audit.Record(ctx, call, result, nil)
	}
	writeResult(w, r, ns, op.Name, reqID, result)
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
