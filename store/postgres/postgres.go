package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/internal/watchhub"
)

const (
	// notifyChannel is the LISTEN/NOTIFY channel commits are announced on.
	notifyChannel = "hatrack_changes"
	// listenerAppName is the application_name of the LISTEN connection.
	listenerAppName = "hatrack-listener"
	// pollInterval is the fallback poll of LastSeq while anyone watches,
	// covering notifications lost while the listener reconnects.
	pollInterval = 2 * time.Second
	// maxAttempts bounds Update's retries on serialization failures.
	maxAttempts = 20
	// defaultChangesLimit is Changes' limit when the caller passes 0.
	defaultChangesLimit = 1000
)

// Store is the PostgreSQL backend. It is safe for concurrent use, and any
// number of Stores (nodes) may share one database.
type Store struct {
	pool *pgxpool.Pool

	closed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
	hub       *watchhub.Hub
	lmu       sync.Mutex // guards listening against Close
	listening bool
	known     atomic.Int64 // highest seq this handle knows to be committed
}

var _ store.Store = (*Store)(nil)

// Open connects to the database named by dsn (a libpq URL or key=value
// string, see pgxpool.ParseConfig; pool_max_conns etc. are honoured),
// applies pending schema migrations under an advisory lock, and returns
// the store.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a parsed pool configuration.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store/postgres: connect: %w", err)
	}
	err = migrate(ctx, conn.Conn())
	conn.Release()
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("store/postgres: %w", err)
	}
	s := &Store{pool: pool, done: make(chan struct{}), hub: watchhub.New()}
	seq, err := s.LastSeq(ctx)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.known.Store(seq)
	return s, nil
}

// Pool exposes the connection pool (for health checks and metrics).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close stops the listener, closes Watch channels and the pool. Closing
// twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.lmu.Lock()
		s.closed.Store(true)
		s.lmu.Unlock()
		close(s.done)
		s.wg.Wait()
		s.hub.Close()
		s.pool.Close()
	})
	return nil
}

// pgCode returns the SQLSTATE of err, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func retryable(err error) bool {
	switch pgCode(err) {
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return true
	}
	return errors.Is(err, store.ErrConflict)
}

// wrap maps driver errors to the store's sentinels.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	switch pgCode(err) {
	case "40001", "40P01":
		return fmt.Errorf("%w: %w", store.ErrConflict, err)
	case "23505": // unique_violation
		return fmt.Errorf("%w: %w", store.ErrAlreadyExists, err)
	}
	if s.closed.Load() && !errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	return err
}

// View runs fn in a REPEATABLE READ READ ONLY transaction: one snapshot,
// taken at its first query, for all of fn's reads.
func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	t := &txn{s: s, q: tx}
	if err := fn(t); err != nil {
		return err
	}
	return t.err
}

// Update runs fn in a SERIALIZABLE transaction whose first statement locks
// hatrack_write_lock in EXCLUSIVE mode (see doc.go), commits it, and
// retries fn on serialization failures and deadlocks (and on
// store.ErrConflict from fn), with jittered exponential backoff.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		if s.closed.Load() {
			return store.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		seq, err := s.updateOnce(ctx, fn)
		if err == nil {
			if seq > 0 {
				s.advance(seq)
				s.hub.Notify()
			}
			return nil
		}
		if !retryable(err) || attempt >= maxAttempts || s.closed.Load() {
			return err
		}
		d := time.Duration(1<<min(attempt, 7)) * time.Millisecond
		select {
		case <-time.After(d/2 + rand.N(d)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Store) advance(seq int64) bool {
	for {
		k := s.known.Load()
		if seq <= k {
			return false
		}
		if s.known.CompareAndSwap(k, seq) {
			return true
		}
	}
}

const beginWrite = `BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE hatrack_write_lock IN EXCLUSIVE MODE`

func (s *Store) updateOnce(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return 0, s.wrap(err)
	}
	// Release destroys a connection left inside a transaction.
	defer conn.Release()
	// LOCK TABLE takes no snapshot, so the snapshot of this transaction is
	// taken after the lock is granted: it sees every earlier writer.
	if _, err := conn.Exec(ctx, beginWrite); err != nil {
		rollback(conn)
		return 0, s.wrap(err)
	}
	committed := false
	defer func() {
		if !committed {
			rollback(conn)
		}
	}()
	t := &txn{s: s, q: conn, write: true, now: now()}
	ferr := fn(t)
	if t.err != nil && (ferr == nil || retryable(t.err)) {
		// A statement failed on the server: the transaction is aborted
		// whatever fn decided.
		return 0, t.err
	}
	if ferr != nil {
		return 0, ferr
	}
	end := "COMMIT"
	if t.lastSeq > 0 {
		// Delivered to listeners at commit, and only if it commits.
		end = fmt.Sprintf("NOTIFY %s, '%d'; COMMIT", notifyChannel, t.lastSeq)
	}
	tag, err := conn.Exec(ctx, end)
	if err != nil {
		return 0, s.wrap(err)
	}
	committed = true
	if tag.String() != "COMMIT" {
		return 0, fmt.Errorf("store/postgres: transaction rolled back at commit (%s)", tag)
	}
	return t.lastSeq, nil
}

func rollback(conn *pgxpool.Conn) {
	if conn.Conn().IsClosed() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		conn.Conn().Close(ctx)
	}
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Changes returns change-log entries with Seq > since, in order. Under the
// write lock seqs become visible in order, so a follower that resumes from
// the last Seq it saw never skips an entry.
func (s *Store) Changes(ctx context.Context, since int64, limit int) ([]store.Change, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = defaultChangesLimit
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, kind, account, name, op, at FROM hatrack_changes WHERE seq > $1 ORDER BY seq LIMIT $2`, since, limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		if err := rows.Scan(&c.Seq, &c.Kind, &c.Account, &c.Name, &c.Op, &c.At); err != nil {
			return nil, s.wrap(err)
		}
		c.At = c.At.UTC()
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

// LastSeq returns the highest committed change-log sequence number
// (max(seq) of the visible log; TrimChanges always keeps the newest entry).
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM hatrack_changes`).Scan(&n)
	return n, s.wrap(err)
}

// TrimChanges deletes change-log entries with Seq < before, always keeping
// the newest entry, and returns how many were deleted.
func (s *Store) TrimChanges(ctx context.Context, before int64) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM hatrack_changes WHERE seq < $1 AND seq < (SELECT MAX(seq) FROM hatrack_changes)`, before)
	if err != nil {
		return 0, s.wrap(err)
	}
	return tag.RowsAffected(), nil
}

// Watch returns a channel signalled after commits: at once for this
// handle's own commits, through LISTEN/NOTIFY for other nodes' (a
// dedicated connection, reconnected with backoff; after a reconnect
// watchers are signalled since notifications may have been missed), and by
// a LastSeq poll every 2s as a fallback.
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	ch := s.hub.Add(ctx, s.done)
	s.lmu.Lock()
	defer s.lmu.Unlock()
	if !s.closed.Load() && !s.listening {
		s.listening = true
		s.wg.Add(2)
		go s.listen()
		go s.poll()
	}
	return ch
}

func (s *Store) listen() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.done
		cancel()
	}()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		cc := s.pool.Config().ConnConfig.Copy()
		cc.RuntimeParams["application_name"] = listenerAppName
		conn, err := pgx.ConnectConfig(ctx, cc)
		if err == nil {
			if _, err = conn.Exec(ctx, "LISTEN "+notifyChannel); err == nil {
				backoff = 100 * time.Millisecond
				// Anything committed while we were not listening.
				s.hub.Notify()
				for {
					n, werr := conn.WaitForNotification(ctx)
					if werr != nil {
						break
					}
					if seq, perr := strconv.ParseInt(n.Payload, 10, 64); perr == nil {
						s.advance(seq)
					}
					s.hub.Notify()
				}
			}
			closeCtx, c := context.WithTimeout(context.Background(), 2*time.Second)
			conn.Close(closeCtx)
			c()
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff/2 + rand.N(backoff)):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (s *Store) poll() {
	defer s.wg.Done()
	s.hub.Poll(s.done, pollInterval, func(ctx context.Context) (bool, error) {
		seq, err := s.LastSeq(ctx)
		if err != nil {
			return false, err
		}
		return s.advance(seq), nil
	})
}

// querier is what a transaction needs of pgx: a pgx.Tx or a connection
// inside a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// txn implements store.Tx.
type txn struct {
	s       *Store
	q       querier
	write   bool
	now     time.Time
	lastSeq int64
	// err is the first server-side failure: after it PostgreSQL rejects
	// every statement until rollback, so later calls return it at once.
	err error
}

// check returns the stored failure, if any.
func (t *txn) check() error { return t.err }

// fail records a server error (the transaction is now aborted) and
// returns it mapped.
func (t *txn) fail(err error) error {
	err = t.s.wrap(err)
	if t.err == nil {
		t.err = err
	}
	return err
}

const recordCols = `kind, account, name, id, parent, data, revision, created, updated`

func scanRecord(row pgx.Row) (store.Record, error) {
	var r store.Record
	if err := row.Scan(&r.Kind, &r.Account, &r.Name, &r.ID, &r.Parent, &r.Data, &r.Revision, &r.Created, &r.Updated); err != nil {
		return store.Record{}, err
	}
	if r.Data == nil {
		r.Data = []byte{}
	}
	r.Created = r.Created.UTC()
	r.Updated = r.Updated.UTC()
	return r, nil
}

// storable reports whether PostgreSQL text can hold all of ss (valid
// UTF-8, no NUL). Lookups of unstorable keys find nothing.
func storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

func (t *txn) Get(ctx context.Context, kind, account, name string) (store.Record, error) {
	if err := t.check(); err != nil {
		return store.Record{}, err
	}
	notFound := fmt.Errorf("%s %q in account %q: %w", kind, name, account, store.ErrNotFound)
	if !storable(kind, account, name) {
		return store.Record{}, notFound
	}
	r, err := scanRecord(t.q.QueryRow(ctx, `SELECT `+recordCols+` FROM hatrack_records WHERE kind = $1 AND account = $2 AND name_lower = $3`,
		kind, account, strings.ToLower(name)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, notFound
	}
	if err != nil {
		return store.Record{}, t.fail(err)
	}
	return r, nil
}

func (t *txn) GetByID(ctx context.Context, kind, id string) (store.Record, error) {
	if err := t.check(); err != nil {
		return store.Record{}, err
	}
	notFound := fmt.Errorf("%s with id %q: %w", kind, id, store.ErrNotFound)
	if id == "" || !storable(kind, id) {
		return store.Record{}, notFound
	}
	r, err := scanRecord(t.q.QueryRow(ctx, `SELECT `+recordCols+` FROM hatrack_records WHERE kind = $1 AND id = $2`, kind, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, notFound
	}
	if err != nil {
		return store.Record{}, t.fail(err)
	}
	return r, nil
}

func where(f store.Filter, withAfter bool) (string, []any) {
	var b strings.Builder
	args := []any{f.Kind, f.Account}
	b.WriteString(` WHERE kind = $1 AND account = $2`)
	if f.Parent != "" {
		args = append(args, f.Parent)
		fmt.Fprintf(&b, ` AND parent = $%d`, len(args))
	}
	if f.NamePrefix != "" {
		args = append(args, strings.ToLower(f.NamePrefix), f.NamePrefix)
		fmt.Fprintf(&b, ` AND name_lower >= $%d AND left(name, char_length($%d)) = $%d`, len(args)-1, len(args), len(args))
	}
	if withAfter && f.After != "" {
		args = append(args, strings.ToLower(f.After))
		fmt.Fprintf(&b, ` AND name_lower > $%d`, len(args))
	}
	return b.String(), args
}

func filterStorable(f store.Filter) bool {
	return storable(f.Kind, f.Account, f.Parent, f.NamePrefix, f.After)
}

func (t *txn) List(ctx context.Context, f store.Filter) ([]store.Record, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if !filterStorable(f) {
		return nil, nil
	}
	w, args := where(f, true)
	q := `SELECT ` + recordCols + ` FROM hatrack_records` + w + ` ORDER BY name_lower, name`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += fmt.Sprintf(` LIMIT $%d`, len(args))
	}
	rows, err := t.q.Query(ctx, q, args...)
	if err != nil {
		return nil, t.fail(err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, t.fail(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, t.fail(err)
	}
	return out, nil
}

func (t *txn) Count(ctx context.Context, f store.Filter) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	if !filterStorable(f) {
		return 0, nil
	}
	w, args := where(f, false)
	var n int
	if err := t.q.QueryRow(ctx, `SELECT COUNT(*) FROM hatrack_records`+w, args...).Scan(&n); err != nil {
		return 0, t.fail(err)
	}
	return n, nil
}

func validate(r store.Record) error {
	if r.Kind == "" || r.Name == "" {
		return fmt.Errorf("store: record needs a kind and a name (kind %q, name %q)", r.Kind, r.Name)
	}
	if !storable(r.Kind, r.Account, r.Name, r.ID, r.Parent) {
		return fmt.Errorf("store: record %s/%q has a field that is not valid UTF-8 or contains NUL", r.Kind, r.Name)
	}
	return nil
}

func (t *txn) writable(r *store.Record) error {
	if err := t.check(); err != nil {
		return err
	}
	if !t.write {
		return errors.New("store/postgres: write in a read-only transaction")
	}
	if r != nil {
		return validate(*r)
	}
	return nil
}

func data(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// The write statements allocate the seq with nextval inside the statement
// and write the record (Revision = seq) and its change-log entry together,
// in one round trip. A statement that writes nothing (name or id taken,
// record absent) returns no row and leaves the transaction usable.

const createSQL = `
WITH s AS (SELECT nextval('hatrack_change_seq') AS seq),
ins AS (
	INSERT INTO hatrack_records (kind, account, name_lower, name, id, parent, data, revision, created, updated)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bytea, s.seq, $8::timestamptz, $8::timestamptz FROM s
	ON CONFLICT DO NOTHING
	RETURNING revision
)
INSERT INTO hatrack_changes (seq, kind, account, name, op, at)
SELECT revision, $1::text, $2::text, $4::text, 'create', $8::timestamptz FROM ins
RETURNING seq`

const putSQL = `
WITH s AS (SELECT nextval('hatrack_change_seq') AS seq),
up AS (
	INSERT INTO hatrack_records (kind, account, name_lower, name, id, parent, data, revision, created, updated)
	SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bytea, s.seq, $8::timestamptz, $8::timestamptz FROM s
	WHERE $5 = '' OR NOT EXISTS (
		SELECT 1 FROM hatrack_records o
		WHERE o.kind = $1 AND o.id = $5 AND NOT (o.account = $2 AND o.name_lower = $3))
	ON CONFLICT (kind, account, name_lower) DO UPDATE SET
		name = EXCLUDED.name, id = EXCLUDED.id, parent = EXCLUDED.parent, data = EXCLUDED.data,
		revision = EXCLUDED.revision, updated = EXCLUDED.updated
	RETURNING revision
)
INSERT INTO hatrack_changes (seq, kind, account, name, op, at)
SELECT revision, $1::text, $2::text, $4::text, 'put', $8::timestamptz FROM up
RETURNING seq`

const deleteSQL = `
WITH d AS (
	DELETE FROM hatrack_records WHERE kind = $1 AND account = $2 AND name_lower = $3
	RETURNING kind, account, name
)
INSERT INTO hatrack_changes (seq, kind, account, name, op, at)
SELECT nextval('hatrack_change_seq'), kind, account, name, 'delete', $4::timestamptz FROM d
RETURNING seq`

func (t *txn) Create(ctx context.Context, r store.Record) error {
	if err := t.writable(&r); err != nil {
		return err
	}
	var seq int64
	err := t.q.QueryRow(ctx, createSQL, r.Kind, r.Account, strings.ToLower(r.Name), r.Name, r.ID, r.Parent, data(r.Data), t.now).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s %q in account %q (or id %q): %w", r.Kind, r.Name, r.Account, r.ID, store.ErrAlreadyExists)
	}
	if err != nil {
		return t.fail(err)
	}
	t.lastSeq = seq
	return nil
}

func (t *txn) Put(ctx context.Context, r store.Record) error {
	if err := t.writable(&r); err != nil {
		return err
	}
	var seq int64
	err := t.q.QueryRow(ctx, putSQL, r.Kind, r.Account, strings.ToLower(r.Name), r.Name, r.ID, r.Parent, data(r.Data), t.now).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s id %q: %w", r.Kind, r.ID, store.ErrAlreadyExists)
	}
	if err != nil {
		return t.fail(err)
	}
	t.lastSeq = seq
	return nil
}

func (t *txn) Delete(ctx context.Context, kind, account, name string) error {
	if err := t.writable(nil); err != nil {
		return err
	}
	notFound := fmt.Errorf("%s %q in account %q: %w", kind, name, account, store.ErrNotFound)
	if !storable(kind, account, name) {
		return notFound
	}
	var seq int64
	err := t.q.QueryRow(ctx, deleteSQL, kind, account, strings.ToLower(name), t.now).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
	}
	if err != nil {
		return t.fail(err)
	}
	t.lastSeq = seq
	return nil
}
