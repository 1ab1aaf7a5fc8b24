package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hatrack/hatrack/store"
)

// BackupTo writes an online, transactionally consistent copy of the
// database to path (VACUUM INTO a temporary file next to it, fsync, then an
// atomic rename), while the store keeps serving reads and writes. An
// existing file at path is replaced.
func (s *Store) BackupTo(ctx context.Context, path string) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := checkPath(path); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	tmp := abs + ".tmp-backup"
	os.Remove(tmp)
	defer os.Remove(tmp)
	// A connection of its own: the reader pool is query_only and the writer
	// must not be held up for the length of the copy.
	db, err := sql.Open("sqlite", fmt.Sprintf("%s?_pragma=busy_timeout(%d)", s.path, busyTimeout.Milliseconds()))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("store/sqlite: backup to %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, abs); err != nil {
		return err
	}
	return syncDir(filepath.Dir(abs))
}

// Restore replaces the database at dbPath with the backup at backupPath.
// The server must be stopped: no Store may have dbPath open (in any
// process). The backup is checked (integrity_check, schema version not
// newer than this build) on a copy before anything is replaced; the stale
// -wal and -shm files of the old database are removed so they cannot be
// replayed onto the restored one.
func Restore(ctx context.Context, backupPath, dbPath string) error {
	if err := checkPath(dbPath); err != nil {
		return err
	}
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		return err
	}
	tmp := abs + ".tmp-restore"
	cleanup := func() {
		for _, suf := range []string{"", "-wal", "-shm", "-journal"} {
			os.Remove(tmp + suf)
		}
	}
	cleanup()
	defer cleanup()
	if err := copyFile(backupPath, tmp); err != nil {
		return fmt.Errorf("store/sqlite: restore: %w", err)
	}
	if err := verify(ctx, tmp); err != nil {
		return fmt.Errorf("store/sqlite: restore: backup %s: %w", backupPath, err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	for _, suf := range []string{"-wal", "-shm", "-journal"} {
		if err := os.Remove(abs + suf); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if err := os.Rename(tmp, abs); err != nil {
		return err
	}
	return syncDir(filepath.Dir(abs))
}

// verify opens the candidate database (without WAL) and checks it.
func verify(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", path+"?_pragma=journal_mode(DELETE)")
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity_check: %s", res)
	}
	var v int
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM hatrack_schema_migrations`).Scan(&v); err != nil {
		return fmt.Errorf("not a Hatrack database: %w", err)
	}
	if v > SchemaVersion() {
		return fmt.Errorf("schema version %d is newer than this build's %d", v, SchemaVersion())
	}
	return db.Close()
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
