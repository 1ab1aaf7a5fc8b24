package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"

	"github.com/hatrack/hatrack/store/postgres"
	"github.com/hatrack/hatrack/store/sqlite"
)

// runMigrate applies pending schema migrations on purpose (serve does the
// same on start) and prints the schema version before and after.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate", stderr)
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory of the embedded store (HATRACK_DATA)")
	storeDSN := fs.String("store", env("HATRACK_STORE", ""), "shared store, postgres://… (HATRACK_STORE); wins over --data")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hatrack migrate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var (
		target  int
		where   string
		version func() (int, error)
		apply   func() error
	)
	if *storeDSN != "" {
		if !isPostgresDSN(*storeDSN) {
			fmt.Fprintln(stderr, "hatrack migrate: --store must be a postgres:// DSN")
			return 2
		}
		target, where = postgres.SchemaVersion(), "PostgreSQL "+redact(*storeDSN)
		version = func() (int, error) { return pgSchemaVersion(ctx, *storeDSN) }
		apply = func() error { return postgres.Migrate(ctx, *storeDSN) }
	} else {
		path := filepath.Join(*data, "hatrack.db")
		if err := os.MkdirAll(*data, 0o700); err != nil {
			fmt.Fprintln(stderr, "hatrack migrate:", err)
			return 1
		}
		target, where = sqlite.SchemaVersion(), path
		version = func() (int, error) { return sqliteSchemaVersion(ctx, path) }
		apply = func() error { return sqlite.Migrate(ctx, path) }
	}
	before, err := version()
	if err != nil {
		fmt.Fprintf(stderr, "hatrack migrate: %s: %v\n", where, err)
		return 1
	}
	if err := apply(); err != nil {
		fmt.Fprintln(stderr, "hatrack migrate:", err)
		return 1
	}
	after, err := version()
	if err != nil {
		fmt.Fprintf(stderr, "hatrack migrate: %s: %v\n", where, err)
		return 1
	}
	if after != target {
		fmt.Fprintf(stderr, "hatrack migrate: %s is at schema version %d after migrating, want %d\n", where, after, target)
		return 1
	}
	if before == after {
		fmt.Fprintf(stdout, "%s: schema version %d (up to date)\n", where, after)
	} else {
		fmt.Fprintf(stdout, "%s: schema version %d (migrated from %d)\n", where, after, before)
	}
	return 0
}

func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redact hides a password in a DSN.
func redact(dsn string) string {
	scheme := strings.Index(dsn, "://")
	at := strings.LastIndex(dsn, "@")
	if scheme < 0 || at < scheme {
		return dsn
	}
	if u, _, ok := strings.Cut(dsn[scheme+3:at], ":"); ok {
		return dsn[:scheme+3] + u + ":xxxxx" + dsn[at:]
	}
	return dsn
}

// sqliteSchemaVersion reads the recorded schema version of the database
// file at path without creating or changing it: 0 when there is no file
// or no migrations table yet.
func sqliteSchemaVersion(ctx context.Context, path string) (int, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'hatrack_schema_migrations'`).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int
	err = db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM hatrack_schema_migrations`).Scan(&v)
	return v, err
}

// pgSchemaVersion reads the recorded schema version of the database: 0
// when it has no migrations table yet.
func pgSchemaVersion(ctx context.Context, dsn string) (int, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('hatrack_schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return 0, nil
	}
	var v int
	err = conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM hatrack_schema_migrations`).Scan(&v)
	return v, err
}
