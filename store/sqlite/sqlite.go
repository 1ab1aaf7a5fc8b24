package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	msqlite "modernc.org/sqlite"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/internal/watchhub"
)

const (
	// busyTimeout is how long a connection waits for a lock held by
	// another process (another Store on the same file) before SQLITE_BUSY.
	busyTimeout = 10 * time.Second
	// pollInterval is how often LastSeq is polled while someone watches,
	// to notice commits made by other processes on the same file.
	pollInterval = 250 * time.Millisecond
	// maxAttempts bounds Update's retries on ErrConflict / SQLITE_BUSY.
	maxAttempts = 10
	// defaultChangesLimit is Changes' limit when the caller passes 0.
	defaultChangesLimit = 1000
)

// Store is the embedded SQLite backend. It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // exactly one connection: the writer
	r    *sql.DB // reader pool
	wmu  sync.Mutex

	closed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{}
	wg        sync.WaitGroup
	hub       *watchhub.Hub
	known     atomic.Int64 // highest seq this handle knows to be committed

	stmtMu sync.Mutex
	stmts  map[stmtKey]*sql.Stmt
}

type stmtKey struct {
	db *sql.DB
	q  string
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Backup = (*Store)(nil)
)

func dsn(path string, writer bool) string {
	q := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=synchronous(FULL)", busyTimeout.Milliseconds())
	if writer {
		q += "&_pragma=journal_mode(WAL)&_txlock=immediate"
	} else {
		q += "&_pragma=query_only(1)"
	}
	return path + "?" + q
}

func checkPath(path string) error {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return fmt.Errorf("store/sqlite: %q is not a database file path", path)
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("store/sqlite: database path %q must not contain '?' or '#'", path)
	}
	return nil
}

// Open opens (creating it if needed) the database file at path, applies
// pending schema migrations and returns the store. Several Stores, also in
// other processes, may open the same file; writes are serialised by
// SQLite's write lock.
func Open(path string) (*Store, error) {
	if err := checkPath(path); err != nil {
		return nil, err
	}
	ctx := context.Background()
	w, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		return nil, fmt.Errorf("store/sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("store/sqlite: %s: %w", path, err)
	}
	var mode string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || !strings.EqualFold(mode, "wal") {
		w.Close()
		return nil, fmt.Errorf("store/sqlite: %s: journal_mode is %q (%v), want wal", path, mode, err)
	}
	r, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store/sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	r.SetConnMaxIdleTime(0)

	s := &Store{
		path:  path,
		w:     w,
		r:     r,
		done:  make(chan struct{}),
		hub:   watchhub.New(),
		stmts: map[stmtKey]*sql.Stmt{},
	}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("store/sqlite: %s: %w", path, err)
	}
	seq, err := s.lastSeq(ctx, r)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("store/sqlite: %s: %w", path, err)
	}
	s.known.Store(seq)
	s.wg.Add(1)
	go s.poll()
	return s, nil
}

// Path returns the database file path.
func (s *Store) Path() string { return s.path }

// Close closes the store. Watch channels are closed; operations after
// Close return store.ErrClosed. Closing twice is harmless.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.done)
		s.wg.Wait()
		s.hub.Close()
		s.stmtMu.Lock()
		for _, st := range s.stmts {
			st.Close()
		}
		s.stmts = nil
		s.stmtMu.Unlock()
		err = errors.Join(s.r.Close(), s.w.Close())
	})
	return err
}

// Statements prepared at Open. They must be prepared up front: preparing
// needs a free connection, and inside a transaction on the single writer
// connection there is none.
const (
	qGet       = `SELECT ` + recordCols + ` FROM hatrack_records WHERE kind = ? AND account = ? AND name_lower = ?`
	qGetByID   = `SELECT ` + recordCols + ` FROM hatrack_records WHERE kind = ? AND id = ?`
	qChanges   = `SELECT seq, kind, account, name, op, at FROM hatrack_changes WHERE seq > ? ORDER BY seq LIMIT ?`
	qLastSeq   = `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'hatrack_changes'), 0)`
	qLogChange = `INSERT INTO hatrack_changes (seq, kind, account, name, op, at) VALUES (?, ?, ?, ?, ?, ?)`
	qCreate    = `INSERT INTO hatrack_records (kind, account, name_lower, name, id, parent, data, revision, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	qPut = `INSERT INTO hatrack_records (kind, account, name_lower, name, id, parent, data, revision, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, account, name_lower) DO UPDATE SET
			name = excluded.name, id = excluded.id, parent = excluded.parent, data = excluded.data,
			revision = excluded.revision, updated = excluded.updated`
	qDelete = `DELETE FROM hatrack_records WHERE kind = ? AND account = ? AND name_lower = ? RETURNING name`
)

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		db *sql.DB
		qs []string
	}{
		{s.r, []string{qGet, qGetByID, qChanges, qLastSeq}},
		{s.w, []string{qGet, qGetByID, qLastSeq, qLogChange, qCreate, qPut, qDelete, qAppendEvent}},
	} {
		for _, q := range p.qs {
			st, err := p.db.PrepareContext(ctx, q)
			if err != nil {
				return fmt.Errorf("prepare %q: %w", q, err)
			}
			s.stmts[stmtKey{p.db, q}] = st
		}
	}
	return nil
}

// stmt returns the statement prepared at Open for q on db.
func (s *Store) stmt(db *sql.DB, q string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if s.stmts == nil {
		return nil, store.ErrClosed
	}
	st, ok := s.stmts[stmtKey{db, q}]
	if !ok {
		return nil, fmt.Errorf("store/sqlite: statement not prepared: %s", q)
	}
	return st, nil
}

// wrap maps driver errors to the store's sentinels.
func (s *Store) wrap(err error) error {
	if err == nil {
		return nil
	}
	if s.closed.Load() && !errors.Is(err, store.ErrClosed) {
		return fmt.Errorf("%w: %w", store.ErrClosed, err)
	}
	var se *msqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return fmt.Errorf("%w: %w", store.ErrConflict, err)
		}
	}
	return err
}

func isConstraint(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 19 // SQLITE_CONSTRAINT
}

// View runs fn in a read transaction on a reader connection. In WAL mode
// the snapshot is fixed at the transaction's first read and never blocks
// or is blocked by the writer.
func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return s.wrap(err)
	}
	defer tx.Rollback()
	return fn(&txn{s: s, db: s.r, tx: tx})
}

// Update runs fn in a write transaction (BEGIN IMMEDIATE on the single
// writer connection, under a mutex) and commits it durably. It retries fn
// on store.ErrConflict, which includes SQLITE_BUSY from another process
// holding the write lock past the busy timeout.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		if s.closed.Load() {
			return store.ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		wrote, err := s.updateOnce(ctx, fn)
		if err == nil {
			if wrote > 0 {
				for {
					k := s.known.Load()
					if wrote <= k || s.known.CompareAndSwap(k, wrote) {
						break
					}
				}
				s.hub.Notify()
			}
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

// updateOnce runs one attempt; it returns the last seq written (0 if the
// transaction wrote nothing).
func (s *Store) updateOnce(ctx context.Context, fn func(store.Tx) error) (int64, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE (see dsn)
	if err != nil {
		return 0, s.wrap(err)
	}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	t := &txn{s: s, db: s.w, tx: tx, write: true, now: now()}
	if err := fn(t); err != nil {
		return 0, err
	}
	if t.err != nil {
		return 0, t.err
	}
	if err := tx.Commit(); err != nil {
		return 0, s.wrap(err)
	}
	committed = true
	return t.lastSeq, nil
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// Changes returns change-log entries with Seq > since, in order.
func (s *Store) Changes(ctx context.Context, since int64, limit int) ([]store.Change, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = defaultChangesLimit
	}
	st, err := s.stmt(s.r, qChanges)
	if err != nil {
		return nil, s.wrap(err)
	}
	rows, err := st.QueryContext(ctx, since, limit)
	if err != nil {
		return nil, s.wrap(err)
	}
	defer rows.Close()
	var out []store.Change
	for rows.Next() {
		var c store.Change
		var at int64
		if err := rows.Scan(&c.Seq, &c.Kind, &c.Account, &c.Name, &c.Op, &at); err != nil {
			return nil, s.wrap(err)
		}
		c.At = time.UnixMicro(at).UTC()
		out = append(out, c)
	}
	return out, s.wrap(rows.Err())
}

// LastSeq returns the highest committed change-log sequence number.
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	return s.lastSeq(ctx, s.r)
}

func (s *Store) lastSeq(ctx context.Context, db *sql.DB) (int64, error) {
	st, err := s.stmt(db, qLastSeq)
	if err != nil {
		return 0, err
	}
	var n int64
	err = st.QueryRowContext(ctx).Scan(&n)
	return n, s.wrap(err)
}

// TrimChanges deletes change-log entries with Seq < before, always keeping
// the newest entry. It returns how many were deleted. Followers that are
// further behind than the trimmed point must resynchronise from scratch.
func (s *Store) TrimChanges(ctx context.Context, before int64) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	res, err := s.w.ExecContext(ctx, `DELETE FROM hatrack_changes WHERE seq < ? AND seq < (SELECT MAX(seq) FROM hatrack_changes)`, before)
	if err != nil {
		return 0, s.wrap(err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// Watch returns a channel signalled after commits by this handle
// (immediately) and by other processes on the same file (by polling
// LastSeq every 250ms while anyone watches).
func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	return s.hub.Add(ctx, s.done)
}

func (s *Store) poll() {
	defer s.wg.Done()
	s.hub.Poll(s.done, pollInterval, func(ctx context.Context) (bool, error) {
		seq, err := s.lastSeq(ctx, s.r)
		if err != nil {
			return false, err
		}
		k := s.known.Load()
		return seq != k && s.known.CompareAndSwap(k, seq), nil
	})
}

// txn implements store.Tx over a *sql.Tx.
type txn struct {
	s     *Store
	db    *sql.DB // the pool the tx belongs to, for prepared statements
	tx    *sql.Tx
	write bool
	now   time.Time
	// next is the seq to assign to the next write (0 = not yet read).
	next    int64
	lastSeq int64
	err     error // a failure that leaves the tx unusable
}

func (t *txn) prep(ctx context.Context, q string) (*sql.Stmt, error) {
	st, err := t.s.stmt(t.db, q)
	if err != nil {
		return nil, t.s.wrap(err)
	}
	return t.tx.StmtContext(ctx, st), nil
}

const recordCols = `kind, account, name, id, parent, data, revision, created, updated`

func scanRecord(sc interface{ Scan(...any) error }) (store.Record, error) {
	var r store.Record
	var created, updated int64
	if err := sc.Scan(&r.Kind, &r.Account, &r.Name, &r.ID, &r.Parent, &r.Data, &r.Revision, &created, &updated); err != nil {
		return store.Record{}, err
	}
	if r.Data == nil {
		r.Data = []byte{}
	}
	r.Created = time.UnixMicro(created).UTC()
	r.Updated = time.UnixMicro(updated).UTC()
	return r, nil
}

func (t *txn) Get(ctx context.Context, kind, account, name string) (store.Record, error) {
	st, err := t.prep(ctx, qGet)
	if err != nil {
		return store.Record{}, err
	}
	r, err := scanRecord(st.QueryRowContext(ctx, kind, account, strings.ToLower(name)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%s %q in account %q: %w", kind, name, account, store.ErrNotFound)
	}
	return r, t.s.wrap(err)
}

func (t *txn) GetByID(ctx context.Context, kind, id string) (store.Record, error) {
	if id == "" {
		return store.Record{}, fmt.Errorf("%s with empty id: %w", kind, store.ErrNotFound)
	}
	st, err := t.prep(ctx, qGetByID)
	if err != nil {
		return store.Record{}, err
	}
	r, err := scanRecord(st.QueryRowContext(ctx, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Record{}, fmt.Errorf("%s with id %q: %w", kind, id, store.ErrNotFound)
	}
	return r, t.s.wrap(err)
}

// where builds the WHERE clause shared by List and Count.
func where(f store.Filter, withAfter bool) (string, []any) {
	var b strings.Builder
	args := []any{f.Kind, f.Account}
	b.WriteString(` WHERE kind = ? AND account = ?`)
	if f.Parent != "" {
		b.WriteString(` AND parent = ?`)
		args = append(args, f.Parent)
	}
	if f.NamePrefix != "" {
		// Case-sensitive prefix match without LIKE/GLOB metacharacters;
		// the name_lower bound lets the index narrow the scan.
		b.WriteString(` AND name_lower >= ? AND substr(name, 1, length(?)) = ?`)
		args = append(args, strings.ToLower(f.NamePrefix), f.NamePrefix, f.NamePrefix)
	}
	if withAfter && f.After != "" {
		b.WriteString(` AND name_lower > ?`)
		args = append(args, strings.ToLower(f.After))
	}
	return b.String(), args
}

func (t *txn) List(ctx context.Context, f store.Filter) ([]store.Record, error) {
	w, args := where(f, true)
	q := `SELECT ` + recordCols + ` FROM hatrack_records` + w + ` ORDER BY name_lower, name`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, t.s.wrap(err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, t.s.wrap(err)
		}
		out = append(out, r)
	}
	return out, t.s.wrap(rows.Err())
}

func (t *txn) Count(ctx context.Context, f store.Filter) (int, error) {
	w, args := where(f, false)
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hatrack_records`+w, args...).Scan(&n)
	return n, t.s.wrap(err)
}

func validate(r store.Record) error {
	if r.Kind == "" || r.Name == "" {
		return fmt.Errorf("store: record needs a kind and a name (kind %q, name %q)", r.Kind, r.Name)
	}
	// What PostgreSQL text can hold, so that both backends accept the same.
	for _, f := range []string{r.Kind, r.Account, r.Name, r.ID, r.Parent} {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return fmt.Errorf("store: record %s/%q has a field that is not valid UTF-8 or contains NUL", r.Kind, r.Name)
		}
	}
	return nil
}

// seq returns the seq for the next write in this transaction. The writer
// holds SQLite's write lock from BEGIN IMMEDIATE, so nobody else can
// allocate one concurrently.
func (t *txn) seq(ctx context.Context) (int64, error) {
	if !t.write {
		return 0, errors.New("store/sqlite: write in a read-only transaction")
	}
	if t.next == 0 {
		var n int64
		st, err := t.prep(ctx, qLastSeq)
		if err != nil {
			return 0, err
		}
		if err := st.QueryRowContext(ctx).Scan(&n); err != nil {
			return 0, t.s.wrap(err)
		}
		t.next = n + 1
	}
	return t.next, nil
}

// logChange appends the change for seq and advances the tx's counter.
func (t *txn) logChange(ctx context.Context, seq int64, kind, account, name, op string) error {
	st, err := t.prep(ctx, qLogChange)
	if err != nil {
		return t.fail(err)
	}
	if _, err := st.ExecContext(ctx, seq, kind, account, name, op, t.now.UnixMicro()); err != nil {
		return t.fail(t.s.wrap(err))
	}
	t.next = seq + 1
	t.lastSeq = seq
	return nil
}

// fail records an error that happened after the record row was written but
// before its change was logged: the transaction must not commit.
func (t *txn) fail(err error) error {
	if t.err == nil {
		t.err = err
	}
	return err
}

func data(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func (t *txn) Create(ctx context.Context, r store.Record) error {
	if err := validate(r); err != nil {
		return err
	}
	seq, err := t.seq(ctx)
	if err != nil {
		return err
	}
	st, err := t.prep(ctx, qCreate)
	if err != nil {
		return err
	}
	ts := t.now.UnixMicro()
	res, err := st.ExecContext(ctx, r.Kind, r.Account, strings.ToLower(r.Name), r.Name, r.ID, r.Parent, data(r.Data), seq, ts, ts)
	if err != nil {
		return t.s.wrap(err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return t.fail(err)
		}
		return fmt.Errorf("%s %q in account %q (or id %q): %w", r.Kind, r.Name, r.Account, r.ID, store.ErrAlreadyExists)
	}
	return t.logChange(ctx, seq, r.Kind, r.Account, r.Name, "create")
}

func (t *txn) Put(ctx context.Context, r store.Record) error {
	if err := validate(r); err != nil {
		return err
	}
	seq, err := t.seq(ctx)
	if err != nil {
		return err
	}
	st, err := t.prep(ctx, qPut)
	if err != nil {
		return err
	}
	ts := t.now.UnixMicro()
	_, err = st.ExecContext(ctx, r.Kind, r.Account, strings.ToLower(r.Name), r.Name, r.ID, r.Parent, data(r.Data), seq, ts, ts)
	if err != nil {
		if isConstraint(err) {
			// Only the id index can conflict: the name conflict is the
			// upsert target. SQLite rolled back just this statement.
			return fmt.Errorf("%s id %q: %w", r.Kind, r.ID, store.ErrAlreadyExists)
		}
		return t.s.wrap(err)
	}
	return t.logChange(ctx, seq, r.Kind, r.Account, r.Name, "put")
}

func (t *txn) Delete(ctx context.Context, kind, account, name string) error {
	seq, err := t.seq(ctx)
	if err != nil {
		return err
	}
	st, err := t.prep(ctx, qDelete)
	if err != nil {
		return err
	}
	var stored string
	err = st.QueryRowContext(ctx, kind, account, strings.ToLower(name)).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %q in account %q: %w", kind, name, account, store.ErrNotFound)
	}
	if err != nil {
		return t.fail(t.s.wrap(err))
	}
	return t.logChange(ctx, seq, kind, account, stored, "delete")
}
