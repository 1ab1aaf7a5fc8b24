package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hatrack/hatrack/store"
)

// Store operation label values.
const (
	opView    = "view"
	opUpdate  = "update"
	opGet     = "get"
	opGetByID = "get_by_id"
	opList    = "list"
	opCount   = "count"
	opCreate  = "create"
	opPut     = "put"
	opDelete  = "delete"
	opChanges = "changes"
	opLastSeq = "last_seq"
	// The event log (store.EventLog).
	opAppendEvents = "append_events"
	opListEvents   = "list_events"
	opTrimEvents   = "trim_events"
)

// storeOps are the operation label values, bound once (no per-call label
// lookup).
var storeOps = func() map[string]prometheus.Observer {
	m := map[string]prometheus.Observer{}
	for _, op := range []string{opView, opUpdate, opGet, opGetByID, opList, opCount, opCreate, opPut, opDelete, opChanges, opLastSeq, opAppendEvents, opListEvents, opTrimEvents} {
		m[op] = storeLatency.WithLabelValues(op)
	}
	return m
}()

func observe(op string, start time.Time, err error) {
	storeOps[op].Observe(time.Since(start).Seconds())
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrAlreadyExists) {
		storeErrors.WithLabelValues(op).Inc()
	}
}

// Store is a store.Store decorator that measures every operation of the
// backend it wraps: View and Update as a whole (including the callback),
// and each read and write inside their transactions.
type Store struct {
	next store.Store
}

// BackupStore is Store for backends that can back themselves up: it keeps
// the store.Backup capability visible through the decorator.
type BackupStore struct {
	*Store
}

// EventStore is Store for backends with an event log: it keeps the
// store.EventLog capability visible through the decorator.
type EventStore struct {
	*Store
}

// BackupEventStore is Store for backends with both store.Backup and
// store.EventLog.
type BackupEventStore struct {
	*BackupStore
}

// InstrumentStore wraps a backend. The result implements store.Backup and
// store.EventLog exactly when the backend does.
func InstrumentStore(next store.Store) store.Store {
	s := &Store{next: next}
	_, backup := next.(store.Backup)
	_, events := next.(store.EventLog)
	switch {
	case backup && events:
		return &BackupEventStore{&BackupStore{s}}
	case backup:
		return &BackupStore{s}
	case events:
		return &EventStore{s}
	}
	return s
}

// AppendEvents implements store.EventLog.
func (s *EventStore) AppendEvents(ctx context.Context, events []store.Event) error {
	return s.appendEvents(ctx, events)
}

// ListEvents implements store.EventLog.
func (s *EventStore) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	return s.listEvents(ctx, f)
}

// TrimEvents implements store.EventLog.
func (s *EventStore) TrimEvents(ctx context.Context, before time.Time) (int64, error) {
	return s.trimEvents(ctx, before)
}

// AppendEvents implements store.EventLog.
func (s *BackupEventStore) AppendEvents(ctx context.Context, events []store.Event) error {
	return s.appendEvents(ctx, events)
}

// ListEvents implements store.EventLog.
func (s *BackupEventStore) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	return s.listEvents(ctx, f)
}

// TrimEvents implements store.EventLog.
func (s *BackupEventStore) TrimEvents(ctx context.Context, before time.Time) (int64, error) {
	return s.trimEvents(ctx, before)
}

func (s *Store) appendEvents(ctx context.Context, events []store.Event) error {
	start := time.Now()
	err := s.next.(store.EventLog).AppendEvents(ctx, events)
	observe(opAppendEvents, start, err)
	return err
}

func (s *Store) listEvents(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	start := time.Now()
	evs, err := s.next.(store.EventLog).ListEvents(ctx, f)
	observe(opListEvents, start, err)
	return evs, err
}

func (s *Store) trimEvents(ctx context.Context, before time.Time) (int64, error) {
	start := time.Now()
	n, err := s.next.(store.EventLog).TrimEvents(ctx, before)
	observe(opTrimEvents, start, err)
	return n, err
}

// Unwrap returns the backend.
func (s *Store) Unwrap() store.Store { return s.next }

// BackupTo implements store.Backup.
func (s *BackupStore) BackupTo(ctx context.Context, path string) error {
	return s.next.(store.Backup).BackupTo(ctx, path)
}

// TrimChanges passes change-log trimming on to backends that support it.
func (s *Store) TrimChanges(ctx context.Context, before int64) (int64, error) {
	t, ok := s.next.(interface {
		TrimChanges(context.Context, int64) (int64, error)
	})
	if !ok {
		return 0, fmt.Errorf("metrics: the store %T cannot trim its change log", s.next)
	}
	return t.TrimChanges(ctx, before)
}

func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	start := time.Now()
	err := s.next.View(ctx, func(r store.Reader) error { return fn(reader{r}) })
	observe(opView, start, err)
	return err
}

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	start := time.Now()
	err := s.next.Update(ctx, func(t store.Tx) error { return fn(tx{reader{t}, t}) })
	observe(opUpdate, start, err)
	return err
}

func (s *Store) Changes(ctx context.Context, since int64, limit int) ([]store.Change, error) {
	start := time.Now()
	c, err := s.next.Changes(ctx, since, limit)
	observe(opChanges, start, err)
	return c, err
}

func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	start := time.Now()
	n, err := s.next.LastSeq(ctx)
	observe(opLastSeq, start, err)
	return n, err
}

func (s *Store) Watch(ctx context.Context) <-chan struct{} { return s.next.Watch(ctx) }

func (s *Store) Close() error { return s.next.Close() }

type reader struct{ r store.Reader }

func (r reader) Get(ctx context.Context, kind, account, name string) (store.Record, error) {
	start := time.Now()
	rec, err := r.r.Get(ctx, kind, account, name)
	observe(opGet, start, err)
	return rec, err
}

func (r reader) GetByID(ctx context.Context, kind, id string) (store.Record, error) {
	start := time.Now()
	rec, err := r.r.GetByID(ctx, kind, id)
	observe(opGetByID, start, err)
	return rec, err
}

func (r reader) List(ctx context.Context, f store.Filter) ([]store.Record, error) {
	start := time.Now()
	recs, err := r.r.List(ctx, f)
	observe(opList, start, err)
	return recs, err
}

func (r reader) Count(ctx context.Context, f store.Filter) (int, error) {
	start := time.Now()
	n, err := r.r.Count(ctx, f)
	observe(opCount, start, err)
	return n, err
}

type tx struct {
	reader
	t store.Tx
}

func (t tx) Create(ctx context.Context, r store.Record) error {
	start := time.Now()
	err := t.t.Create(ctx, r)
	observe(opCreate, start, err)
	return err
}

func (t tx) Put(ctx context.Context, r store.Record) error {
	start := time.Now()
	err := t.t.Put(ctx, r)
	observe(opPut, start, err)
	return err
}

func (t tx) Delete(ctx context.Context, kind, account, name string) error {
	start := time.Now()
	err := t.t.Delete(ctx, kind, account, name)
	observe(opDelete, start, err)
	return err
}
