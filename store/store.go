package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors. Backends return them (possibly wrapped); callers test
// with errors.Is.
var (
	ErrNotFound      = errors.New("store: not found")
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict means a concurrent transaction won; Update retries the
	// callback on its own a bounded number of times before returning it.
	ErrConflict = errors.New("store: conflict")
	ErrClosed   = errors.New("store: closed")
)

// Record is one stored entity.
//
// (Kind, Account, lower(Name)) is unique; so is (Kind, ID) when ID is not
// empty. Account is the 12-digit account id, or "" for global records (for
// example access keys, which are looked up by key id alone, use Account ""
// and Name = key id). Data is opaque to the store.
type Record struct {
	Kind    string
	Account string
	Name    string
	ID      string
	// Parent optionally names an owning entity ("user/alice") so that
	// children can be listed (List with Filter.Parent) and counted.
	Parent string
	Data   []byte
	// Revision is assigned by the store: it increases on every write of the
	// record (the change-log sequence number of its last write). Callers
	// ignore it on input.
	Revision int64
	// Created and Updated are assigned by the store (UTC, microsecond
	// precision): Created when the record is first inserted (Put keeps it),
	// Updated on every write. Callers ignore them on input.
	Created time.Time
	Updated time.Time
}

// Filter selects records of one kind for List and Count.
type Filter struct {
	Kind string
	// Account is matched exactly; "" selects the global records.
	Account string
	// Parent, when set, keeps only records with that Parent.
	Parent string
	// NamePrefix keeps records whose Name starts with it (case-sensitive).
	NamePrefix string
	// After keeps records whose lower-cased Name sorts strictly after
	// lower(After): the pagination cursor.
	After string
	// Limit caps the number of records returned; 0 means no limit.
	Limit int
}

// Reader is the read half of a transaction.
type Reader interface {
	// Get finds a record by kind, account and name (name compared ignoring
	// case). ErrNotFound when absent.
	Get(ctx context.Context, kind, account, name string) (Record, error)
	// GetByID finds a record by kind and unique id. ErrNotFound when absent.
	GetByID(ctx context.Context, kind, id string) (Record, error)
	// List returns matching records ordered by lower(Name), then Name.
	List(ctx context.Context, f Filter) ([]Record, error)
	// Count returns how many records match (Limit and After ignored).
	Count(ctx context.Context, f Filter) (int, error)
}

// Tx is a read-write transaction.
type Tx interface {
	Reader
	// Create inserts a record. ErrAlreadyExists when the name (ignoring
	// case) or the id is taken.
	Create(ctx context.Context, r Record) error
	// Put replaces the record with the same kind, account and name
	// (ignoring case), keeping its Created time, or inserts it when absent.
	// The stored Name takes r.Name's case.
	Put(ctx context.Context, r Record) error
	// Delete removes a record. ErrNotFound when absent.
	Delete(ctx context.Context, kind, account, name string) error
}

// Change is one entry of the change log.
type Change struct {
	Seq     int64
	Kind    string
	Account string
	Name    string
	Op      string // "create", "put" or "delete"
	At      time.Time
}

// Store is a backend.
type Store interface {
	// View runs fn in a read-only transaction with a consistent snapshot.
	View(ctx context.Context, fn func(Reader) error) error
	// Update runs fn in a read-write transaction that is committed, and
	// durable, when fn returns nil, and rolled back otherwise. On
	// serialization conflicts the backend retries fn (it must be free of
	// side effects outside the transaction). Backends may serialise
	// writers, so fn should be short and do no I/O of its own.
	Update(ctx context.Context, fn func(Tx) error) error
	// Changes returns change-log entries with Seq > since, in order, at
	// most limit of them (0 = a backend default).
	Changes(ctx context.Context, since int64, limit int) ([]Change, error)
	// LastSeq returns the highest committed change-log sequence number.
	LastSeq(ctx context.Context) (int64, error)
	// Watch returns a channel that receives a value (coalesced) whenever
	// a change may have been committed by this or another node; it is
	// closed when ctx ends. Followers then call Changes.
	Watch(ctx context.Context) <-chan struct{}
	// Close releases the backend.
	Close() error
}

// Backup is implemented by backends that can write an online, consistent
// copy of themselves (the embedded store).
type Backup interface {
	BackupTo(ctx context.Context, path string) error
}

// Event is one entry of the event log: an audit event, opaque to the store
// apart from its account, time and id.
type Event struct {
	// Account is the account the event belongs to.
	Account string
	// Time is the event time; backends keep it to the nanosecond (as Unix
	// nanoseconds) and return it in UTC.
	Time time.Time
	// ID identifies the event. The log does not enforce uniqueness.
	ID   string
	Data []byte
}

// EventFilter selects events of one account for ListEvents, which returns
// them newest first: by Time descending, then ID ascending.
type EventFilter struct {
	Account string
	// ID, when set, keeps only events with that id (the account's events
	// are scanned through the (account, time, id) index: bound the time
	// with Since/Until to narrow it).
	ID string
	// Since and Until bound Time, inclusively; zero is unbounded.
	Since, Until time.Time
	// AfterTime and AfterID are the paging cursor, when AfterTime is not
	// zero: only events listed after the event (AfterTime, AfterID) are
	// returned, i.e. Time < AfterTime, or Time == AfterTime and ID > AfterID.
	AfterTime time.Time
	AfterID   string
	// Limit caps the number of events returned; 0 means no limit.
	Limit int
}

// EventLog is implemented by backends that keep an append-only event log
// beside the records (every backend of this repository does). Events are
// not records: they have no change-log entries, no revisions, and are not
// seen by View, Update, Changes or Watch.
type EventLog interface {
	// AppendEvents stores the events, atomically and durably (as Update
	// does): all of them or, on error, none.
	AppendEvents(ctx context.Context, events []Event) error
	// ListEvents returns the matching events, newest first.
	ListEvents(ctx context.Context, f EventFilter) ([]Event, error)
	// TrimEvents deletes the events (of every account) with Time before
	// the cutoff and returns how many it deleted.
	TrimEvents(ctx context.Context, before time.Time) (int64, error)
}
