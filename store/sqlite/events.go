package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/store"
)

var _ store.EventLog = (*Store)(nil)

const (
	qAppendEvent = `INSERT INTO hatrack_events (account, time, id, data) VALUES (?, ?, ?, ?)`
	// qEventAccounts lists the accounts that have events with a loose
	// index scan (one index seek per account, not a scan of the log).
	qEventAccounts = `WITH RECURSIVE a(account) AS (
		SELECT (SELECT MIN(account) FROM hatrack_events)
		UNION ALL
		SELECT (SELECT MIN(account) FROM hatrack_events WHERE account > a.account) FROM a WHERE a.account IS NOT NULL
	) SELECT account FROM a WHERE account IS NOT NULL`
	qTrimEvents = `DELETE FROM hatrack_events WHERE seq IN
		(SELECT seq FROM hatrack_events WHERE account = ? AND time < ? LIMIT ?)`
	// trimBatch bounds the rows one trimming transaction deletes, so that
	// the writer lock is not held for long.
	trimBatch = 5000
)

func validateEvent(e store.Event) error {
	for _, f := range []string{e.Account, e.ID} {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return fmt.Errorf("store: event %q has a field that is not valid UTF-8 or contains NUL", e.ID)
		}
	}
	return nil
}

// AppendEvents implements store.EventLog: one write transaction for the
// batch, no change-log row.
func (s *Store) AppendEvents(ctx context.Context, events []store.Event) error {
	for _, e := range events {
		if err := validateEvent(e); err != nil {
			return err
		}
	}
	if len(events) == 0 {
		return nil
	}
	for attempt := 1; ; attempt++ {
		if s.closed.Load() {
			return store.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.appendOnce(ctx, events)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt >= maxAttempts || s.closed.Load() {
			return err
		}
		d := time.Duration(1<<min(attempt, 6)) * time.Millisecond
		select {
		case <-time.After(d/2 + rand.N(d)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Store) appendOnce(ctx context.Context, events []store.Event) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	st, err := s.stmt(s.w, qAppendEvent)
	if err != nil {
		return s.wrap(err)
	}
	tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dsn)
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	ins := tx.StmtContext(ctx, st)
	for _, e := range events {
		if _, err := ins.ExecContext(ctx, e.Account, e.Time.UnixNano(), e.ID, data(e.Data)); err != nil {
			return s.wrap(err)
		}
	}
	return s.wrap(tx.Commit())
}

// ListEvents implements store.EventLog.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	var b strings.Builder
	b.WriteString(`SELECT account, time, id, data FROM hatrack_events WHERE account = ?`)
	args := []any{f.Account}
	if f.ID != "" {
		b.WriteString(` AND id = ?`)
		args = append(args, f.ID)
	}
	if !f.Since.IsZero() {
		b.WriteString(` AND time >= ?`)
		args = append(args, f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		b.WriteString(` AND time <= ?`)
		args = append(args, f.Until.UnixNano())
	}
	if !f.AfterTime.IsZero() {
		at := f.AfterTime.UnixNano()
		b.WriteString(` AND (time < ? OR (time = ? AND id > ?))`)
		args = append(args, at, at, f.AfterID)
	}
	b.WriteString(` ORDER BY time DESC, id`)
	if f.Limit > 0 {
		b.WriteString(` LIMIT ?`)
		args = append(args, f.Limit)
	}
	rows, err := s.r.QueryContext(ctx, b.String(), args...)
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

// TrimEvents implements store.EventLog. It deletes account by account, in
// transactions of at most trimBatch events, so appends interleave.
func (s *Store) TrimEvents(ctx context.Context, before time.Time) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var accounts []string
	rows, err := s.r.QueryContext(ctx, qEventAccounts)
	if err != nil {
		return 0, s.wrap(err)
	}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return 0, s.wrap(err)
		}
		accounts = append(accounts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, s.wrap(err)
	}
	var total int64
	for _, a := range accounts {
		for {
			n, err := s.trimOnce(ctx, a, before.UnixNano())
			total += n
			if err != nil {
				return total, err
			}
			if n < trimBatch {
				break
			}
		}
	}
	return total, nil
}

func (s *Store) trimOnce(ctx context.Context, account string, before int64) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var res sql.Result
	var err error
	for attempt := 1; ; attempt++ {
		res, err = s.w.ExecContext(ctx, qTrimEvents, account, before, trimBatch)
		if err == nil || !errors.Is(s.wrap(err), store.ErrConflict) || attempt >= maxAttempts {
			break
		}
	}
	if err != nil {
		return 0, s.wrap(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
