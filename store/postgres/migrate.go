package postgres

import (
	"context"
	"embed"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hatrack/hatrack/store/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migrationLockKey is the pg_advisory_lock key held while migrating, so
// that nodes starting together do not race (CREATE TABLE IF NOT EXISTS is
// not safe against concurrent creators).
const migrationLockKey int64 = 0x4861747261636b01 // "Hatrack" + 1

// minServerVersion is PostgreSQL 13: DROP DATABASE ... WITH (FORCE) in the
// tests; the store itself uses nothing newer than 11.
const minServerVersion = 130000

// migrationList loads the embedded schema steps.
func migrationList() ([]migrations.Migration, error) {
	return migrations.Load(migrationFS, "migrations")
}

// SchemaVersion is the schema version this build migrates to.
func SchemaVersion() int {
	ms, err := migrationList()
	if err != nil {
		return 0
	}
	return len(ms)
}

// Migrate connects to dsn, applies pending schema migrations and returns.
// Open does the same; Migrate is for tooling ("hatrack migrate"). It
// refuses a database whose schema is newer than this build.
func Migrate(ctx context.Context, dsn string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("store/postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := migrate(ctx, conn); err != nil {
		return fmt.Errorf("store/postgres: %w", err)
	}
	return nil
}

func migrate(ctx context.Context, conn *pgx.Conn) (err error) {
	var ver int
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version_num')::int`).Scan(&ver); err != nil {
		return fmt.Errorf("server version: %w", err)
	}
	if ver < minServerVersion {
		return fmt.Errorf("PostgreSQL %d is too old; 13 or later is required", ver)
	}
	ms, err := migrationList()
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLockKey); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer func() {
		if _, uerr := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLockKey); uerr != nil && err == nil {
			err = fmt.Errorf("migration unlock: %w", uerr)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS hatrack_schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	var cur int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM hatrack_schema_migrations`).Scan(&cur); err != nil {
		return err
	}
	if cur > len(ms) {
		return fmt.Errorf("database schema version %d is newer than this build's %d", cur, len(ms))
	}
	for _, m := range ms[cur:] {
		if err := apply(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration and records it, in one transaction.
func apply(ctx context.Context, conn *pgx.Conn, m migrations.Migration) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// No arguments: the simple protocol, which allows several statements.
	if _, err := tx.Exec(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO hatrack_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
		m.Version, m.Name, time.Now()); err != nil {
		return err
	}
	return tx.Commit(ctx)
}
