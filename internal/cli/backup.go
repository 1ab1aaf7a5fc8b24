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

	"github.com/hatrack/hatrack/store/sqlite"
)

const keyringWarning = `The keyring is NOT in the backup. Back it up separately (%s, or the
HATRACK_KEYRING value) and keep it apart from the database backup: without
it the secret access keys in the backup cannot be opened, and with it
anyone holding the backup can.
`

// runBackup writes an online, consistent copy of the embedded store while
// the server keeps running (VACUUM INTO through a second handle).
func runBackup(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backup", stderr)
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory of the embedded store (HATRACK_DATA)")
	out := fs.String("out", "", "file to write the backup to (replaced if it exists)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: hatrack backup --data DIR --out FILE\n\nFor PostgreSQL (--store) use pg_dump or pg_basebackup: see docs/operations.md.")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	path := filepath.Join(*data, "hatrack.db")
	if _, err := os.Stat(path); err != nil {
		fmt.Fprintf(stderr, "hatrack backup: no store in %s: %v\n", *data, err)
		return 1
	}
	// Opening the store migrates it; never do that to a live database
	// behind the server's back.
	v, err := sqliteSchemaVersion(ctx, path)
	if err != nil {
		fmt.Fprintf(stderr, "hatrack backup: %s: %v\n", path, err)
		return 1
	}
	if v != sqlite.SchemaVersion() {
		fmt.Fprintf(stderr, "hatrack backup: %s is at schema version %d but this hatrack expects %d: back it up with the hatrack that serves it\n", path, v, sqlite.SchemaVersion())
		return 1
	}
	st, err := sqlite.Open(path)
	if err != nil {
		fmt.Fprintln(stderr, "hatrack backup:", err)
		return 1
	}
	defer st.Close()
	if err := st.BackupTo(ctx, *out); err != nil {
		fmt.Fprintln(stderr, "hatrack backup:", err)
		return 1
	}
	info, err := describe(ctx, *out)
	if err != nil {
		fmt.Fprintf(stderr, "hatrack backup: checking %s: %v\n", *out, err)
		return 1
	}
	fmt.Fprintf(stdout, "backup of %s written to %s: %s\n", path, *out, info)
	fmt.Fprintf(stdout, keyringWarning, keyringPath(*data))
	return 0
}

// runRestore puts a backup in place of the embedded store. The server must
// be stopped.
func runRestore(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("restore", stderr)
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory of the embedded store (HATRACK_DATA)")
	from := fs.String("from", "", "backup file written by hatrack backup")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: hatrack restore --data DIR --from FILE   (with the server stopped)")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := os.Stat(*from); err != nil {
		fmt.Fprintln(stderr, "hatrack restore:", err)
		return 1
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		fmt.Fprintln(stderr, "hatrack restore:", err)
		return 1
	}
	path := filepath.Join(*data, "hatrack.db")
	if err := checkNotInUse(ctx, path); err != nil {
		fmt.Fprintln(stderr, "hatrack restore:", err)
		return 1
	}
	if err := sqlite.Restore(ctx, *from, path); err != nil {
		fmt.Fprintln(stderr, "hatrack restore:", err)
		return 1
	}
	info, err := describe(ctx, path)
	if err != nil {
		fmt.Fprintf(stderr, "hatrack restore: checking %s: %v\n", path, err)
		return 1
	}
	fmt.Fprintf(stdout, "restored %s from %s: %s\n", path, *from, info)
	kr := keyringPath(*data)
	if _, err := os.Stat(kr); err != nil && os.Getenv("HATRACK_KEYRING") == "" {
		fmt.Fprintf(stdout, "WARNING: no keyring at %s and HATRACK_KEYRING is not set. Restore the keyring\nthat was in use when the backup was taken before starting the server, or a new\none will be created and no stored secret access key will open.\n", kr)
	} else {
		fmt.Fprintln(stdout, "The keyring is not part of the backup: the server will use the one in place, which must hold the key(s) in use when the backup was taken.")
	}
	return 0
}

func keyringPath(data string) string {
	if f := os.Getenv("HATRACK_KEYRING_FILE"); f != "" {
		return f
	}
	return filepath.Join(data, "keyring.json")
}

// checkNotInUse fails when a process has the database at path open. In WAL
// mode leaving WAL needs every other connection closed, so a running
// server makes the switch fail with SQLITE_BUSY; when it succeeds the file
// is about to be replaced anyway.
func checkNotInUse(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(0)")
	if err != nil {
		return err
	}
	defer db.Close()
	var mode string
	err = db.QueryRowContext(ctx, `PRAGMA journal_mode=DELETE`).Scan(&mode)
	if err != nil && (strings.Contains(err.Error(), "SQLITE_BUSY") || strings.Contains(err.Error(), "locked")) {
		return fmt.Errorf("%s is in use: stop the server (every hatrack process on this data directory) before restoring", path)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !strings.EqualFold(mode, "delete") {
		return fmt.Errorf("%s is in use (journal mode stays %q): stop the server before restoring", path, mode)
	}
	return db.Close()
}

// describe summarises a store file read-only: schema version, records and
// the last change-log sequence number.
func describe(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	var v, records int
	var seq int64
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM hatrack_schema_migrations`).Scan(&v); err != nil {
		return "", err
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM hatrack_records`).Scan(&records); err != nil {
		return "", err
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM hatrack_changes`).Scan(&seq); err != nil {
		return "", err
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes, schema version %d, %d records, last change %d", st.Size(), v, records, seq), nil
}
