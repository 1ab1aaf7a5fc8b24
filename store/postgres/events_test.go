package postgres_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/postgres"
)

// Migration 2 moves the audit trail's event records (kind "event", named
// by the reversed time and the id) into the event log.
func TestMigrateEventsOutOfRecords(t *testing.T) {
	dsn := newDB(t)
	ctx := context.Background()
	init, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 8, 1, 2, 3, 4, 567, time.UTC)
	name := func(at time.Time, id string) string {
		return fmt.Sprintf("%019d-%s", int64(math.MaxInt64)-at.UnixNano(), id)
	}
	for _, q := range []string{
		string(init),
		`CREATE TABLE hatrack_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`,
		`INSERT INTO hatrack_schema_migrations VALUES (1, 'init', now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	ins := `INSERT INTO hatrack_records (kind, account, name_lower, name, id, data, revision, created, updated) VALUES ($1, $2, $3, $3, $4, $5, 1, now(), now())`
	for _, r := range [][]any{
		{"event", "111111111111", name(at, "e1"), "e1", []byte(`{"id":"e1"}`)},
		{"event", "111111111111", name(at.Add(time.Second), "e2"), "e2", []byte(`{"id":"e2"}`)},
		{"user", "111111111111", "alice", "u1", []byte(`{}`)},
	} {
		if _, err := conn.Exec(ctx, ins, r...); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close(ctx)

	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
