package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hatrack/hatrack/store"
)

var _ store.EventLog = (*Store)(nil)

// trimBatch bounds the rows one trimming statement deletes.
const trimBatch = 5000

// AppendEvents implements store.EventLog: one transaction (COPY) per
// batch, without the write lock, a change-log row or a NOTIFY.
func (s *Store) AppendEvents(ctx context.Context, events []store.Event) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	for _, e := range events {
		if !storable(e.Account, e.ID) {
			return fmt.Errorf("store: event %q has a field that is not valid UTF-8 or contains NUL", e.ID)
		}
	}
	if len(events) == 0 {
		return nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"hatrack_events"}, []string{"account", "time", "id", "data"},
		pgx.CopyFromSlice(len(events), func(i int) ([]any, error) {
			e := events[i]
			return []any{e.Account, e.Time.UnixNano(), e.ID, data(e.Data)}, nil
		}))
	if err != nil {
		return s.wrap(err)
	}
	return s.wrap(tx.Commit(ctx))
}

// ListEvents implements store.EventLog.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if !storable(f.Account, f.ID, f.AfterID) {
		return nil, nil
	}
	var b strings.Builder
	args := []any{f.Account}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	b.WriteString(`SELECT account, time, id, data FROM hatrack_events WHERE account = $1`)
	if f.ID != "" {
		b.WriteString(` AND id = ` + arg(f.ID))
	}
	if !f.Since.IsZero() {
		b.WriteString(` AND time >= ` + arg(f.Since.UnixNano()))
	}
	if !f.Until.IsZero() {
		b.WriteString(` AND time <= ` + arg(f.Until.UnixNano()))
	}
	if !f.AfterTime.IsZero() {
		at := arg(f.AfterTime.UnixNano())
		b.WriteString(` AND (time < ` + at + ` OR (time = ` + at + ` AND id > ` + arg(f.AfterID) + `))`)
	}
	b.WriteString(` ORDER BY time DESC, id`)
	if f.Limit > 0 {
		b.WriteString(` LIMIT ` + arg(f.Limit))
	}
	rows, err := s.pool.Query(ctx, b.String(), args...)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []store.Event
	for rows.Next() {
		var e store.Event
		var ns int64
		if err := rows.Scan(&e.Account, &ns, &e.ID, &e.Data); err != nil {
			return nil, s.wrap(err)
		}
		if e.Data == nil {
			e.Data = []byte{}
		}
		e.Time = time.Unix(0, ns).UTC()
		out = append(out, e)
	}
	return out, s.wrap(rows.Err())
}

// TrimEvents implements store.EventLog, account by account (found with a
// loose index scan) and at most trimBatch events per statement.
func (s *Store) TrimEvents(ctx context.Context, before time.Time) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	rows, err := s.pool.Query(ctx, `WITH RECURSIVE a(account) AS (
		SELECT (SELECT MIN(account) FROM hatrack_events)
		UNION ALL
		SELECT (SELECT MIN(account) FROM hatrack_events WHERE account > a.account) FROM a WHERE a.account IS NOT NULL
	) SELECT account FROM a WHERE account IS NOT NULL`)
	if err != nil {
		return 0, s.wrap(err)
	}
	accounts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, s.wrap(err)
	}
	var total int64
	for _, a := range accounts {
		for {
			tag, err := s.pool.Exec(ctx, `DELETE FROM hatrack_events WHERE seq IN
				(SELECT seq FROM hatrack_events WHERE account = $1 AND time < $2 LIMIT $3)`, a, before.UnixNano(), trimBatch)
			if err != nil {
				return total, s.wrap(err)
			}
			total += tag.RowsAffected()
			if tag.RowsAffected() < trimBatch {
				break
			}
		}
	}
	return total, nil
}
