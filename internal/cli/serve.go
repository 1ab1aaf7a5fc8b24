package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/hatrack/hatrack/internal/server"
)

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	addr := fs.String("addr", env("HATRACK_ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (HATRACK_ADDR)")
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory for the embedded store and keyring (HATRACK_DATA)")
	storeDSN := fs.String("store", env("HATRACK_STORE", ""), "shared store, postgres://… (HATRACK_STORE); default: the embedded store in --data")
	keyringFile := fs.String("keyring", env("HATRACK_KEYRING_FILE", ""), "keyring file (HATRACK_KEYRING_FILE); default: DATA/keyring.json")
	logFormat := fs.String("log-format", env("HATRACK_LOG_FORMAT", "json"), "log format: json or text (HATRACK_LOG_FORMAT)")
	logLevel := fs.String("log-level", env("HATRACK_LOG_LEVEL", "info"), "log level (HATRACK_LOG_LEVEL)")
	trustXFF := fs.Bool("trust-forwarded-for", env("HATRACK_TRUST_FORWARDED_FOR", "") == "true", "take client addresses from X-Forwarded-For (behind a proxy)")
	ops := addOpsFlags(fs) // config.go: --config, --audit-*, --tls-*, --metrics
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if !settle(fs, ops, stderr) { // environment and config file; all problems at once
		return 2
	}
	lvl, err := parseLevel(*logLevel)
	if err != nil {
		fmt.Fprintln(stderr, "hatrack serve:", err)
		return 2
	}
	opts := &slog.HandlerOptions{Level: slog.Level(lvl)}
	var h slog.Handler
	switch *logFormat {
	case "json":
		h = slog.NewJSONHandler(stderr, opts)
	case "text":
		h = slog.NewTextHandler(stderr, opts)
	default:
		fmt.Fprintf(stderr, "hatrack serve: unknown log format %q (json, text)\n", *logFormat)
		return 2
	}
	log := slog.New(h)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	dataDir := *data
	if *storeDSN != "" && !flagSet(fs, "data") && os.Getenv("HATRACK_DATA") == "" {
		dataDir = ""
	}
	node, err := server.Open(ctx, server.Config{
		Addr: *addr, DataDir: dataDir, Store: *storeDSN,
		KeyringFile: *keyringFile, KeyringEnv: os.Getenv("HATRACK_KEYRING"),
		AccountID:     os.Getenv("HATRACK_ACCOUNT_ID"),
		RootKeyID:     os.Getenv("HATRACK_ROOT_ACCESS_KEY_ID"),
		RootSecretKey: os.Getenv("HATRACK_ROOT_SECRET_ACCESS_KEY"),
		Log:           log, Out: stdout, TrustForwardedFor: *trustXFF,
		AuditLog: ops.auditLog, AuditRetention: ops.auditRetention.d, NoMetrics: !ops.metrics,
	})
	if err != nil {
		fmt.Fprintln(stderr, "hatrack serve:", err)
		return 1
	}
	defer node.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(stderr, "hatrack serve:", err)
		return 1
	}
	ln, scheme := ops.listen(ln, log)
	log.Info("serving", "addr", ln.Addr().String(), "scheme", scheme, "account", node.Account, "data", dataDir)
	if err := node.Serve(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "hatrack serve:", err)
		return 1
	}
	log.Info("stopped")
	return 0
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
