package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/query"
	"github.com/hatrack/hatrack/policy"
)

// Service versions of the query protocol.
const (
	VersionIAM = "2010-05-08"
	VersionSTS = "2011-06-15"
)

// Op describes one operation: how it is authorized and what it does.
type Op struct {
	// Service is the signing name: "iam" or "sts".
	Service string
	Name    string
	// Unsigned operations (AssumeRoleWithWebIdentity, AssumeRoleWithSAML)
	// are not SigV4-authenticated; Caller is nil.
	Unsigned bool
	// NoAuthz skips the policy check (GetCallerIdentity can never be
	// denied; STS role assumption authorizes through the trust decision in
	// its own domain).
	NoAuthz bool
	// Mutates marks operations that change stored state: after they
	// succeed the node's caches catch up before the answer is sent.
	Mutates bool
	// Resource names the ARN the action acts on, from the request; nil
	// means "*".
	Resource func(c *Call) string
	// MoreResources names the further resources the request acts on that
	// the action's optional resource types cover (Organizations'
	// AttachPolicy: the target beside the policy); each must be allowed
	// as well. An empty result adds none.
	MoreResources func(c *Call) []string
	// ResourcePolicy, when set, gives the resource-based policy of the
	// resource the request names: it may grant the action to a principal
	// of another account (nil: none).
	ResourcePolicy func(ctx context.Context, c *Call) (*policy.Policy, error)
	// Context adds the operation's own condition keys (iam:PolicyARN,
	// aws:RequestTag/…, aws:TagKeys, …) to the authorization context.
	Context func(c *Call, pc *policy.Context)
	Handle  func(ctx context.Context, c *Call) (any, error)
}

// Call is one authenticated, authorized request as a handler sees it.
type Call struct {
	RequestID string
	Op        *Op
	Params    query.Values
	// Caller is nil for unsigned operations.
	Caller    *authn.Caller
	Region    string
	SourceIP  string
	UserAgent string
	Time      time.Time
	HTTP      *http.Request
	// log is the dispatcher's logger; Logger adds the request's attributes.
	log *slog.Logger
}

// Logger is the request's logger: the dispatcher's, with the request id
// and, once authenticated, the caller. (It is made when needed: most
// requests log one line, which record writes with the same attributes.)
func (c *Call) Logger() *slog.Logger {
	l := c.log.With("request_id", c.RequestID)
	if c.Caller != nil {
		l = l.With("caller", c.Caller.ARN)
	}
	return l
}

// Account is the caller's account.
func (c *Call) Account() string { return c.Caller.Account }

// Registry maps (version, action) to operations.
type Registry struct {
	ops map[string]*Op
}

func (r *Registry) key(version, action string) string { return version + "\x00" + action }

// Add registers operations.
func (r *Registry) Add(ops ...*Op) {
	if r.ops == nil {
		r.ops = make(map[string]*Op)
	}
	for _, op := range ops {
		v := VersionIAM
		if op.Service == "sts" {
			v = VersionSTS
		}
		r.ops[r.key(v, op.Name)] = op
	}
}

// Lookup finds an operation.
func (r *Registry) Lookup(version, action string) *Op {
	return r.ops[r.key(version, action)]
}

// Names lists the registered "service:Action" names (for docs and tests).
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.ops))
	for _, op := range r.ops {
		out = append(out, op.Service+":"+op.Name)
	}
	return out
}
