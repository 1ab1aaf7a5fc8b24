package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hatrack/hatrack/internal/api"
	"github.com/hatrack/hatrack/internal/audit"
	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/console"
	"github.com/hatrack/hatrack/internal/federation/oidc"
	"github.com/hatrack/hatrack/internal/federation/rolesanywhere"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/metrics"
	"github.com/hatrack/hatrack/internal/orgs"
	"github.com/hatrack/hatrack/internal/resources"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/internal/sts"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/postgres"
	"github.com/hatrack/hatrack/store/sqlite"
)

// Config configures a node.
type Config struct {
	Addr string
	// DataDir holds the embedded store and, by default, the keyring.
	DataDir string
	// Store, when set, is a postgres:// DSN; otherwise the embedded store
	// in DataDir is used.
	Store string
	// KeyringFile and KeyringEnv configure the keyring (the env value
	// wins); default: DataDir/keyring.json.
	KeyringFile string
	KeyringEnv  string

	// First-start account and root keys (all optional).
	AccountID     string
	RootKeyID     string
	RootSecretKey string

	Log *slog.Logger
	// Out receives the one-time first-start banner (root keys).
	Out io.Writer
	// Now is the clock (tests inject one).
	Now func() time.Time
	// TrustForwardedFor takes client addresses from X-Forwarded-For.
	TrustForwardedFor bool
	// OIDCAllowHTTPLoopback lets AssumeRoleWithWebIdentity fetch keys of
	// http:// issuers on loopback addresses (tests, local development);
	// also enabled by HATRACK_OIDC_ALLOW_HTTP_LOOPBACK=1. Otherwise https only.
	OIDCAllowHTTPLoopback bool

	// AuditLog, when set, also writes every audit event as a JSON line to
	// this file (appended, mode 0600), or to Out when it is "-".
	AuditLog string
	// AuditRetention is how long audit events are kept (0: forever).
	AuditRetention time.Duration
	// NoMetrics turns GET /metrics off.
	NoMetrics bool
}

// Node is a running Hatrack node.
type Node struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	keys     *keyring.Keyring
	IAM      *iam.Service
	Orgs     *orgs.Service
	resolver *authn.Resolver
	authz    *authz.Authorizer
	STS      *sts.Service
	follow   *follower
	trail    *audit.Trail
	auditLog *os.File
	handler  http.Handler
	ready    atomic.Bool
	// Deployment identifies this deployment (shared by all its nodes).
	Deployment string
	// Account is the management account's id.
	Account string
}

// Open prepares a node: store, keyring, first-start bootstrap, services.
func Open(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Out == nil {
		cfg.Out = os.Stdout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Node{cfg: cfg, log: cfg.Log}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st = metrics.InstrumentStore(st)
	n.store = st
	keys, err := openKeyring(cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	n.keys = keys
	n.IAM = iam.New(st, keys, cfg.Now)
	if err := n.bootstrap(ctx); err != nil {
		st.Close()
		return nil, err
	}
	n.resolver = authn.NewResolver(n.IAM, keys, n.Deployment, cfg.Now)
	n.follow, err = newFollower(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	n.Orgs = orgs.New(st, n.IAM, cfg.Now)
	if _, err := n.Orgs.EnsureOrganization(ctx, n.Account); err != nil {
		st.Close()
		return nil, fmt.Errorf("organization: %w", err)
	}
	n.authz = authz.New(policySource{n.IAM, n.Orgs})
	n.follow.subscribe(n.resolver.Invalidate, n.resolver.Flush)
	n.follow.subscribe(skipAuditEvents(n.authz.Invalidate), n.authz.Flush)
	n.STS = sts.New(sts.Config{IAM: n.IAM, Authz: n.authz, Keyring: keys, Deployment: n.Deployment, Now: cfg.Now})
	n.follow.subscribe(n.STS.Invalidate, n.STS.Flush)
	if err := n.openTrail(); err != nil {
		st.Close()
		return nil, err
	}
	n.handler = n.routes()
	return n, nil
}

// openTrail starts the audit trail and opens its JSON-lines copy.
func (n *Node) openTrail() error {
	var export io.Writer
	switch n.cfg.AuditLog {
	case "":
	case "-":
		export = n.cfg.Out
	default:
		f, err := os.OpenFile(n.cfg.AuditLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("--audit-log: %w", err)
		}
		n.auditLog, export = f, f
	}
	n.trail = audit.New(audit.Options{Store: n.store, Export: export, Retention: n.cfg.AuditRetention, Log: n.log, Now: n.cfg.Now})
	n.trail.OnWrite = metrics.AuditWritten
	return nil
}

// skipAuditEvents hides the trail's own writes from a cache: events are
// never cached, and a batch of them must not drop an account's compiled
// policies.
func skipAuditEvents(fn func(store.Change)) func(store.Change) {
	return func(c store.Change) {
		if c.Kind != audit.Kind {
			fn(c)
		}
	}
}

// closeTrail writes every queued audit event (once).
func (n *Node) closeTrail(ctx context.Context) {
	if n.trail == nil {
		return
	}
	if err := n.trail.Close(ctx); err != nil {
		n.log.Error("audit: events still queued at shutdown", "err", err)
	}
	if n.auditLog != nil {
		n.auditLog.Close()
		n.auditLog = nil
	}
}

func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if cfg.Store != "" {
		if strings.HasPrefix(cfg.Store, "postgres://") || strings.HasPrefix(cfg.Store, "postgresql://") {
			return postgres.Open(ctx, cfg.Store)
		}
		return nil, fmt.Errorf("--store: unsupported store %q (want postgres://…)", redactDSN(cfg.Store))
	}
	if cfg.DataDir == "" {
		return nil, errors.New("no data directory given")
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return sqlite.Open(filepath.Join(cfg.DataDir, "hatrack.db"))
}

// redactDSN hides a password in a DSN for error messages.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if u, _, ok := strings.Cut(userinfo, ":"); ok {
		return dsn[:scheme+3] + u + ":xxxxx" + dsn[at:]
	}
	return dsn
}

func openKeyring(cfg Config) (*keyring.Keyring, error) {
	if cfg.KeyringEnv != "" {
		return keyring.FromEnv(cfg.KeyringEnv)
	}
	path := cfg.KeyringFile
	if path == "" {
		if cfg.DataDir == "" {
			return nil, errors.New("a keyring is required: set --keyring FILE or HATRACK_KEYRING when using --store")
		}
		path = filepath.Join(cfg.DataDir, "keyring.json")
	}
	return keyring.LoadOrCreate(path)
}

// Handler is the node's HTTP handler.
func (n *Node) Handler() http.Handler { return n.handler }

// Store is the node's store.
func (n *Node) Store() store.Store { return n.store }

// Close releases the node.
func (n *Node) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n.closeTrail(ctx)
	return n.store.Close()
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.follow.Run(bg, func(err error) { n.log.Warn("change log", "err", err) })
	go n.flushLoop(bg)
	go n.trail.RunRetention(bg, time.Hour)

	srv := &http.Server{
		Handler:           n.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(n.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	n.ready.Store(true)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	n.ready.Store(false)
	shutCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	err := srv.Shutdown(shutCtx)
	if ferr := n.resolver.FlushUses(shutCtx); ferr != nil {
		n.log.Warn("flushing key use", "err", ferr)
	}
	// Every answered request's audit event is stored before Serve returns.
	trailCtx, trailDone := context.WithTimeout(context.Background(), 10*time.Second)
	defer trailDone()
	n.closeTrail(trailCtx)
	return err
}

func (n *Node) flushLoop(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := n.resolver.FlushUses(ctx); err != nil && ctx.Err() == nil {
				n.log.Warn("recording key use", "err", err)
			}
		}
	}
}

func (n *Node) routes() http.Handler {
	reg := &api.Registry{}
	services := api.Services{IAM: n.IAM, STS: n.STS, Orgs: n.Orgs, Audit: n.trail}
	fed := &api.Federation{IAM: n.IAM, STS: n.STS, Trust: n.authz, Now: n.cfg.Now,
		Keys: &oidc.KeySource{AllowHTTPLoopback: n.cfg.OIDCAllowHTTPLoopback || os.Getenv("HATRACK_OIDC_ALLOW_HTTP_LOOPBACK") == "1", Now: n.cfg.Now}}
	services.Federation = fed
	services.Hatrack = &api.Hatrack{Resources: resources.New(n.store), Resolver: n.resolver, Decider: n.authz,
		KeyCache: sigv4.NewKeyCache(4096), Now: n.cfg.Now}
	api.RegisterAll(reg, services)
	jreg := &api.JSONRegistry{}
	api.RegisterJSON(jreg, services)
	d := &api.Dispatcher{
		Registry: reg,
		JSON:     jreg,
		Resolver: n.resolver,
		Authz:    metrics.Authorizer{Next: n.authz},
		CatchUp:  n.follow,
		Audit:    &api.AuditHooks{Trail: n.trail, Observe: metrics.ObserveRequest},
		Log:      n.log,
		Now:      n.cfg.Now,
		KeyCache: sigv4.NewKeyCache(4096),
		TrustXFF: n.cfg.TrustForwardedFor,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !n.ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !n.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		if _, err := n.store.LastSeq(r.Context()); err != nil {
			http.Error(w, "store unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("/console/", console.New(console.Config{API: mux, Keys: n.keys, Deployment: n.Deployment,
		SignIn: n.consoleSignIn, Now: n.cfg.Now, Log: n.log}))
	mux.Handle("/", console.RedirectBrowsers(d))
	// IAM Roles Anywhere (REST-JSON): control plane and CreateSession.
	rah := &api.RolesAnywhere{D: d, Svc: &rolesanywhere.Service{Store: n.store, Now: n.cfg.Now}, Fed: fed}
	for _, p := range []string{"/sessions", "/trustanchors", "/trustanchor/", "/profiles", "/profiles/", "/profile/", "/crls", "/crl/", "/TagResource", "/UntagResource", "/ListTagsForResource"} {
		mux.Handle(p, rah)
	}
	if !n.cfg.NoMetrics {
		mux.Handle("GET /metrics", metrics.Handler())
	}
	return metrics.Middleware(mux)
}

// policySource is the authorizer's policy source: users, roles and
// managed policies from IAM, service and resource control policies from
// Organizations.
type policySource struct {
	*iam.Service
	orgs *orgs.Service
}

func (p policySource) SCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	return p.orgs.SCPs(ctx, account)
}

// RCPs and OrgPath make the source an authz.OrgSource: resource control
// policies and organization condition keys from Organizations.
func (p policySource) RCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	return p.orgs.RCPs(ctx, account)
}

func (p policySource) OrgPath(ctx context.Context, account string) (string, string, error) {
	return p.orgs.OrgPath(ctx, account)
}

// consoleSignIn checks an IAM user's console password for the console
// (account by its 12-digit id); every failure is the same error.
func (n *Node) consoleSignIn(ctx context.Context, account, user, password string) (console.Principal, error) {
	errSignIn := errors.New("console sign-in failed")
	// "Account ID or alias": an alias (any case) stands for its account.
	// An unknown one goes on as typed, so that the password check spends
	// the same work on it as on a wrong password.
	if !ids.ValidAccountID(account) {
		if id, ok, err := n.IAM.AccountForAlias(ctx, strings.ToLower(account)); err != nil {
			return console.Principal{}, errSignIn
		} else if ok {
			account = id
		}
	}
	if ok, err := n.IAM.CheckPassword(ctx, account, user, password); err != nil || !ok {
		return console.Principal{}, errSignIn
	}
	u, err := n.IAM.GetUser(ctx, account, user)
	if err != nil {
		return console.Principal{}, errSignIn
	}
	return console.Principal{Account: u.Account, ARN: u.ARN(), ID: u.ID}, nil
}
