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
	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/sigv4"
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
}

// Node is a running Hatrack node.
type Node struct {
	cfg      Config
	log      *slog.Logger
	store    store.Store
	keys     *keyring.Keyring
	IAM      *iam.Service
	resolver *authn.Resolver
	authz    *authz.Authorizer
	follow   *follower
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
	n.authz = authz.New(n.IAM)
	n.follow.subscribe(n.resolver.Invalidate, n.resolver.Flush)
	n.follow.subscribe(n.authz.Invalidate, n.authz.Flush)
	n.handler = n.routes()
	return n, nil
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
func (n *Node) Close() error { return n.store.Close() }

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (n *Node) Serve(ctx context.Context, ln net.Listener) error {
	bg, cancel := context.WithCancel(context.Background())
	defer cancel()
	go n.follow.Run(bg, func(err error) { n.log.Warn("change log", "err", err) })
	go n.flushLoop(bg)

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
	api.RegisterAll(reg, api.Services{IAM: n.IAM})
	d := &api.Dispatcher{
		Registry: reg,
		Resolver: n.resolver,
		Authz:    n.authz,
		CatchUp:  n.follow,
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
	mux.Handle("/", d)
	return mux
}
