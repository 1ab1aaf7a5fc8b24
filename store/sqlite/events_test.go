package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
)

// Migration 2 moves the audit trail's event records (kind "event", named
// by the reversed time and the id) into the event log.
func TestMigrateEventsOutOfRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hatrack.db")
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 8, 1, 2, 3, 4, 567, time.UTC)
	name := func(at time.Time, id string) string {
		return fmtKey(at) + "-" + id
	}
	for _, q := range []string{
		string(init),
		`CREATE TABLE hatrack_schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		`INSERT INTO hatrack_schema_migrations VALUES (1, 'init', 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ins := `INSERT INTO hatrack_records (kind, account, name_lower, name, id, data, revision, created, updated) VALUES (?, ?, ?, ?, ?, ?, 1, 0, 0)`
	for _, r := range [][]any{
		{"event", "111111111111", name(at, "e1"), name(at, "e1"), "e1", []byte(`{"id":"e1"}`)},
		{"event", "111111111111", name(at.Add(time.Second), "e2"), name(at.Add(time.Second), "e2"), "e2", []byte(`{"id":"e2"}`)},
		{"user", "111111111111", "alice", "alice", "u1", []byte(`{}`)},
	} {
		if _, err := db.Exec(ins, r...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := openAt(t, path)
	ctx := context.Background()
	evs, err := s.ListEvents(ctx, store.EventFilter{Account: "111111111111"})
	if err != nil || len(evs) != 2 {
		t.Fatalf("event log after migration: %d events, %v", len(evs), err)
	}
	if evs[0].ID != "e2" || evs[1].ID != "e1" || !evs[1].Time.Equal(at) || string(evs[1].Data) != `{"id":"e1"}` {
		t.Fatalf("migrated events %+v", evs)
	}
	err = s.View(ctx, func(r store.Reader) error {
		if n, err := r.Count(ctx, store.Filter{Kind: "event", Account: "111111111111"}); err != nil || n != 0 {
			t.Errorf("%d event records remain (%v)", n, err)
		}
		if n, err := r.Count(ctx, store.Filter{Kind: "user", Account: "111111111111"}); err != nil || n != 1 {
			t.Errorf("%d user records (%v)", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fmtKey is internal/audit's reversed time key.
func fmtKey(at time.Time) string {
	return fmt.Sprintf("%019d", int64(math.MaxInt64)-at.UnixNano())
}
