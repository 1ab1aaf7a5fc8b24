package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/hatrack/hatrack/store/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

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

// Migrate applies pending schema migrations to the database file at path
// (creating the file if needed) and returns. Open does the same; Migrate is
// for tooling ("hatrack migrate"). It refuses a database whose schema is
// newer than this build.
func Migrate(ctx context.Context, path string) error {
	if err := checkPath(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		return fmt.Errorf("store/sqlite: %s: %w", path, err)
	}
	return nil
}

// migrate runs on the writer; each migration commits in its own
// BEGIN IMMEDIATE transaction together with its row in
// hatrack_schema_migrations, so concurrent openers cannot both apply it.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := migrationList()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS hatrack_schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	for _, m := range ms {
		if err := apply(ctx, db, m, len(ms)); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, m migrations.Migration, latest int) error {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var cur int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM hatrack_schema_migrations`).Scan(&cur); err != nil {
		return err
	}
	if cur > latest {
		return fmt.Errorf("database schema version %d is newer than this build's %d", cur, latest)
	}
	if cur >= m.Version {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return fmt.Errorf("migration %d (%s): %w", m.Version, m.Name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO hatrack_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.Version, m.Name, time.Now().UnixMicro()); err != nil {
		return err
	}
	return tx.Commit()
}
