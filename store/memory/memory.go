// Package memory is an in-process store.Store for unit tests of the domain
// packages: no files, no server, the same contract (it passes the
// storetest conformance suite).
//
// It owns nothing persistent. State is an immutable snapshot swapped on
// every commit: View reads the snapshot current when it starts; Update
// (serialised by a mutex) works on a copy and publishes it when fn returns
// nil. Every commit copies the record maps, so it is meant for test-sized
// data, not production.
package memory

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/store"
)

const maxAttempts = 10

type key struct{ kind, account, lower string }

type idKey struct{ kind, id string }

type state struct {
	records map[key]store.Record
	ids     map[idKey]key
	changes []store.Change
	seq     int64
}

func (st *state) clone() *state {
	n := &state{
		records: make(map[key]store.Record, len(st.records)+1),
		ids:     make(map[idKey]key, len(st.ids)+1),
		changes: st.changes, // shared: only the single writer appends, past every reader's len
		seq:     st.seq,
	}
	for k, v := range st.records {
		n.records[k] = v
	}
	for k, v := range st.ids {
		n.ids[k] = v
	}
	return n
}

// Store is the in-memory backend.
type Store struct {
	mu     sync.Mutex // serialises Update
	cur    atomic.Pointer[state]
	closed atomic.Bool
	done   chan struct{}
	once   sync.Once

	wmu      sync.Mutex
	watchers map[chan struct{}]struct{}

	ev eventLog
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	s := &Store{done: make(chan struct{}), watchers: map[chan struct{}]struct{}{}}
	s.cur.Store(&state{records: map[key]store.Record{}, ids: map[idKey]key{}})
	return s
}

// Close closes the store and its Watch channels.
func (s *Store) Close() error {
	s.once.Do(func() {
		s.closed.Store(true)
		close(s.done)
		s.wmu.Lock()
		for ch := range s.watchers {
			delete(s.watchers, ch)
			close(ch)
		}
		s.wmu.Unlock()
	})
	return nil
}

func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return fn(&txn{st: s.cur.Load()})
}

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
			if wrote {
				s.notify()
			}
			return nil
		}
		if !errors.Is(err, store.ErrConflict) || attempt >= maxAttempts {
			return err
		}
		time.Sleep(time.Duration(attempt) * time.Millisecond)
	}
}

func (s *Store) updateOnce(ctx context.Context, fn func(store.Tx) error) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	base := s.cur.Load()
	t := &txn{st: base.clone(), write: true, now: time.Now().UTC().Truncate(time.Microsecond)}
	if err := fn(t); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if t.st.seq == base.seq {
		return false, nil
	}
	s.cur.Store(t.st)
	return true, nil
}

func (s *Store) Changes(ctx context.Context, since int64, limit int) ([]store.Change, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if limit <= 0 {
		limit = 1000
	}
	cs := s.cur.Load().changes
	i := sort.Search(len(cs), func(i int) bool { return cs[i].Seq > since })
	var out []store.Change
	for ; i < len(cs) && len(out) < limit; i++ {
		out = append(out, cs[i])
	}
	return out, nil
}

func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	return s.cur.Load().seq, nil
}

func (s *Store) Watch(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	s.wmu.Lock()
	if s.closed.Load() {
		s.wmu.Unlock()
		close(ch)
		return ch
	}
	s.watchers[ch] = struct{}{}
	s.wmu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		s.wmu.Lock()
		if _, ok := s.watchers[ch]; ok {
			delete(s.watchers, ch)
			close(ch)
		}
		s.wmu.Unlock()
	}()
	return ch
}

func (s *Store) notify() {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	for ch := range s.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

type txn struct {
	st    *state
	write bool
	now   time.Time
}

func cp(r store.Record) store.Record {
	r.Data = append([]byte{}, r.Data...)
	return r
}

func (t *txn) Get(ctx context.Context, kind, account, name string) (store.Record, error) {
	r, ok := t.st.records[key{kind, account, strings.ToLower(name)}]
	if !ok {
		return store.Record{}, fmt.Errorf("%s %q in account %q: %w", kind, name, account, store.ErrNotFound)
	}
	return cp(r), nil
}

func (t *txn) GetByID(ctx context.Context, kind, id string) (store.Record, error) {
	k, ok := t.st.ids[idKey{kind, id}]
	if !ok || id == "" {
		return store.Record{}, fmt.Errorf("%s with id %q: %w", kind, id, store.ErrNotFound)
	}
	return cp(t.st.records[k]), nil
}

func match(f store.Filter, k key, r store.Record, withAfter bool) bool {
	return k.kind == f.Kind && k.account == f.Account &&
		(f.Parent == "" || r.Parent == f.Parent) &&
		strings.HasPrefix(r.Name, f.NamePrefix) &&
		(!withAfter || f.After == "" || k.lower > strings.ToLower(f.After))
}

func (t *txn) List(ctx context.Context, f store.Filter) ([]store.Record, error) {
	var out []store.Record
	for k, r := range t.st.records {
		if match(f, k, r, true) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		li, lj := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if li != lj {
			return li < lj
		}
		return out[i].Name < out[j].Name
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i] = cp(out[i])
	}
	return out, nil
}

func (t *txn) Count(ctx context.Context, f store.Filter) (int, error) {
	n := 0
	for k, r := range t.st.records {
		if match(f, k, r, false) {
			n++
		}
	}
	return n, nil
}

func validate(r store.Record) error {
	if r.Kind == "" || r.Name == "" {
		return fmt.Errorf("store: record needs a kind and a name (kind %q, name %q)", r.Kind, r.Name)
	}
	for _, f := range []string{r.Kind, r.Account, r.Name, r.ID, r.Parent} {
		if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
			return fmt.Errorf("store: record %s/%q has a field that is not valid UTF-8 or contains NUL", r.Kind, r.Name)
		}
	}
	return nil
}

func (t *txn) log(kind, account, name, op string) int64 {
	t.st.seq++
	t.st.changes = append(t.st.changes, store.Change{Seq: t.st.seq, Kind: kind, Account: account, Name: name, Op: op, At: t.now})
	return t.st.seq
}

func (t *txn) put(r store.Record, op string) error {
	if !t.write {
		return errors.New("store/memory: write in a read-only transaction")
	}
	if err := validate(r); err != nil {
		return err
	}
	k := key{r.Kind, r.Account, strings.ToLower(r.Name)}
	old, exists := t.st.records[k]
	if exists && op == "create" {
		return fmt.Errorf("%s %q in account %q: %w", r.Kind, r.Name, r.Account, store.ErrAlreadyExists)
	}
	if r.ID != "" {
		if other, ok := t.st.ids[idKey{r.Kind, r.ID}]; ok && other != k {
			return fmt.Errorf("%s id %q: %w", r.Kind, r.ID, store.ErrAlreadyExists)
		}
	}
	r = cp(r)
	r.Created, r.Updated = t.now, t.now
	if exists {
		r.Created = old.Created
		if old.ID != "" {
			delete(t.st.ids, idKey{r.Kind, old.ID})
		}
	}
	if r.ID != "" {
		t.st.ids[idKey{r.Kind, r.ID}] = k
	}
	r.Revision = t.log(r.Kind, r.Account, r.Name, op)
	t.st.records[k] = r
	return nil
}

func (t *txn) Create(ctx context.Context, r store.Record) error { return t.put(r, "create") }

func (t *txn) Put(ctx context.Context, r store.Record) error { return t.put(r, "put") }

func (t *txn) Delete(ctx context.Context, kind, account, name string) error {
	if !t.write {
		return errors.New("store/memory: write in a read-only transaction")
	}
	k := key{kind, account, strings.ToLower(name)}
	old, ok := t.st.records[k]
	if !ok {
		return fmt.Errorf("%s %q in account %q: %w", kind, name, account, store.ErrNotFound)
	}
	delete(t.st.records, k)
	if old.ID != "" {
		delete(t.st.ids, idKey{kind, old.ID})
	}
	t.log(kind, account, old.Name, "delete")
	return nil
}
