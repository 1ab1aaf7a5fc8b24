package audit

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hatrack/hatrack/store"
)

// Kind was the record kind of stored events before they moved to the
// store's event log (store.EventLog); the backends' migrations move
// records of this kind there. Change-log entries of this kind are still
// the trail's (older ones may remain in the log).
const Kind = "event"

// Options configure a Trail.
type Options struct {
	Store store.Store
	// Export, when set, receives every event as one JSON line, after it is
	// stored.
	Export io.Writer
	// Retention is how long events are kept; 0 keeps them forever.
	Retention time.Duration
	// BatchSize caps the events committed in one transaction (default 256).
	BatchSize int
	// QueueSize is the number of requests that may wait to be written
	// before Record blocks (default 16384).
	QueueSize int
	// Linger is how long the writer keeps collecting events after the
	// first one of a batch before it commits (group commit; default
	// 20ms). A Flush (LookupEvents reading its own writes, shutdown)
	// commits at once.
	Linger time.Duration
	Log    *slog.Logger
	Now    func() time.Time
}

// Trail records events. Its methods are safe for concurrent use.
type Trail struct {
	opt    Options
	in     chan *Request
	mu     sync.RWMutex // guards closed against sends
	closed bool
	// stopping bounds the retries of a failing store once Close is called.
	stopping atomic.Bool
	done     chan struct{}
	export   *bufio.Writer
	// Stats, for tests and metrics.
	written atomic.Int64
	failed  atomic.Int64
	// OnWrite, when set before the first Record, is told how many events
	// each committed batch held and how long the commit took.
	OnWrite func(events int, elapsed time.Duration)
}

// New starts a trail's writer.
func New(opt Options) *Trail {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 256
	}
	if opt.QueueSize <= 0 {
		opt.QueueSize = 16384
	}
	if opt.Linger == 0 {
		opt.Linger = 20 * time.Millisecond
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	t := &Trail{opt: opt, in: make(chan *Request, opt.QueueSize), done: make(chan struct{})}
	if opt.Export != nil {
		t.export = bufio.NewWriterSize(opt.Export, 64<<10)
	}
	go t.run()
	return t
}

// Record queues a request's events. It never drops one: when the queue is
// full it waits for the writer. Requests that are not audited (a failed
// signature) are ignored.
func (t *Trail) Record(r *Request) {
	if r == nil || !r.Audited() {
		return
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.closed {
		t.failed.Add(1)
		t.opt.Log.Error("audit: event after the trail was closed", "request_id", r.RequestID, "action", r.Action)
		return
	}
	t.in <- r
}

// Flush waits until every request recorded before it is written.
func (t *Trail) Flush(ctx context.Context) error {
	m := &Request{done: make(chan struct{})}
	t.mu.RLock()
	if t.closed {
		t.mu.RUnlock()
		return nil
	}
	select {
	case t.in <- m:
	case <-ctx.Done():
		t.mu.RUnlock()
		return ctx.Err()
	}
	t.mu.RUnlock()
	select {
	case <-m.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes everything queued and stops the writer. It waits for the
// writer until ctx ends.
func (t *Trail) Close(ctx context.Context) error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.stopping.Store(true)
	close(t.in)
	t.mu.Unlock()
	select {
	case <-t.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("audit: closing the trail: %w", ctx.Err())
	}
}

// Written is the number of events stored so far.
func (t *Trail) Written() int64 { return t.written.Load() }

// Failed is the number of events that could not be stored.
func (t *Trail) Failed() int64 { return t.failed.Load() }

// run is the writer: it takes what is queued, up to a batch, builds the
// events and commits them in one transaction, then exports them.
func (t *Trail) run() {
	defer close(t.done)
	batch := make([]*Request, 0, t.opt.BatchSize)
	for {
		r, ok := <-t.in
		if !ok {
			return
		}
		batch = append(batch[:0], r)
		// Group commit: collect until the batch is full, the linger time
		// has passed, a Flush marker arrives or the trail closes.
		linger := time.NewTimer(t.opt.Linger)
		flush := r.done != nil
	fill:
		for !flush && len(batch) < t.opt.BatchSize {
			select {
			case r, ok := <-t.in:
				if !ok {
					break fill
				}
				batch = append(batch, r)
				flush = r.done != nil
			case <-linger.C:
				break fill
			}
		}
		linger.Stop()
		t.writeBatch(batch)
		for i := range batch {
			batch[i] = nil
		}
	}
}

// stored is an event's Data in the store: the LookupEvents fields beside
// the CloudTrail record (the same JSON the records table held before the
// event log, so migrated events decode alike).
type stored struct {
	storedHead
	Event json.RawMessage `json:"event"`
}

// storedHead is stored without the event, which encode appends as it is
// (marshalling it a second time, inside stored, would re-scan it).
type storedHead struct {
	EventID     string     `json:"id"`
	EventName   string     `json:"name"`
	EventSource string     `json:"source"`
	Username    string     `json:"user,omitempty"`
	AccessKeyID string     `json:"key,omitempty"`
	ReadOnly    bool       `json:"ro"`
	Time        time.Time  `json:"time"`
	Resources   []Resource `json:"res,omitempty"`
}

func (t *Trail) writeBatch(batch []*Request) {
	var evs []store.Event
	var lines [][]byte
	var markers []*Request
	for _, r := range batch {
		if r.done != nil {
			markers = append(markers, r)
			continue
		}
		for _, e := range Build(r) {
			ev, line, err := encode(e)
			if err != nil {
				t.failed.Add(1)
				t.opt.Log.Error("audit: encoding an event", "request_id", r.RequestID, "err", err)
				continue
			}
			evs = append(evs, ev)
			lines = append(lines, line)
		}
	}
	if len(evs) > 0 {
		start := time.Now()
		if err := t.commit(evs); err != nil {
			t.failed.Add(int64(len(evs)))
			t.opt.Log.Error("audit: events lost: the store refused them", "events", len(evs), "err", err)
		} else {
			t.written.Add(int64(len(evs)))
			if t.OnWrite != nil {
				t.OnWrite(len(evs), time.Since(start))
			}
		}
		// The export is a copy: it gets the events even when the store
		// failed, so they are not lost entirely.
		if t.export != nil {
			for _, l := range lines {
				t.export.Write(l)
				t.export.WriteByte('\n')
			}
			if err := t.export.Flush(); err != nil {
				t.opt.Log.Warn("audit: writing the audit log", "err", err)
			}
		}
	}
	for _, m := range markers {
		close(m.done)
	}
}

// errNoEventLog is returned for a store without store.EventLog: the trail
// requires one (every backend has it; decorators must forward it).
type errNoEventLog struct{ st store.Store }

func (e errNoEventLog) Error() string {
	return fmt.Sprintf("audit: the store %T has no event log (store.EventLog)", e.st)
}

func eventLog(st store.Store) (store.EventLog, error) {
	el, ok := st.(store.EventLog)
	if !ok {
		return nil, errNoEventLog{st}
	}
	return el, nil
}

// commit stores the events in one append. A failing store is retried
// until it takes them (the queue then fills and Record blocks: requests
// wait rather than go unrecorded), except once the trail is closing, when
// a few attempts are made before the events are given up (and logged as
// lost).
func (t *Trail) commit(evs []store.Event) error {
	el, err := eventLog(t.opt.Store)
	if err != nil {
		return err
	}
	delay := 50 * time.Millisecond
	for attempt := 0; !t.stopping.Load() || attempt < 3; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = el.AppendEvents(ctx, evs)
		cancel()
		if err == nil || errors.Is(err, store.ErrClosed) {
			return err
		}
		t.opt.Log.Warn("audit: storing events, will retry", "events", len(evs), "err", err)
		time.Sleep(delay)
		delay = min(2*delay, 5*time.Second)
	}
	return err
}

// encodeBufs are reusable buffers for encode.
var encodeBufs = sync.Pool{New: func() any { return new([]byte) }}

// encode turns an event into its stored form and its JSON line: the
// stored head's members, then the event as the "event" member (byte for
// byte what marshalling the stored struct gives). The returned line is
// the event's part of the stored data.
func encode(e *Event) (store.Event, []byte, error) {
	h := storedHead{EventID: e.EventID, EventName: e.EventName, EventSource: e.EventSource, Username: e.username,
		ReadOnly: e.ReadOnly, Time: e.time.UTC(), Resources: e.lookup}
	if e.UserIdentity != nil {
		h.AccessKeyID = e.UserIdentity.AccessKeyID
	}
	bp := encodeBufs.Get().(*[]byte)
	defer encodeBufs.Put(bp)
	b, err := appendHead((*bp)[:0], &h)
	if err != nil {
		return store.Event{}, nil, err
	}
	const member = `,"event":`
	b = append(b, member...)
	head := len(b)
	if b, err = appendEvent(b, e); err != nil {
		return store.Event{}, nil, err
	}
	end := len(b)
	b = append(b, '}')
	if cap(b) <= 64<<10 {
		*bp = b
	}
	data := make([]byte, len(b))
	copy(data, b)
	line := data[head:end:end]
	return store.Event{Account: e.RecipientAccountID, Time: e.time, ID: e.EventID, Data: data}, line, nil
}

// Key is an event's name in the paging token: the time reversed (so that
// names sort newest first) and the event id. (Before the event log it was
// the event's record name.)
func Key(t time.Time, id string) string {
	return timeKey(t) + "-" + id
}

func timeKey(t time.Time) string {
	return fmt.Sprintf("%019d", math.MaxInt64-t.UnixNano())
}

// parseKey is the inverse of Key.
func parseKey(k string) (time.Time, string, bool) {
	if len(k) < 20 || k[19] != '-' {
		return time.Time{}, "", false
	}
	n, err := strconv.ParseUint(k[:19], 10, 63)
	if err != nil || strings.ContainsAny(k[:19], "+-") {
		return time.Time{}, "", false
	}
	return time.Unix(0, math.MaxInt64-int64(n)).UTC(), k[20:], true
}

// accountKind is the record kind of accounts (iam.KindAccount; repeated
// here so the trail does not depend on the IAM domain).
const accountKind = "account"

// Accounts lists every account id of the deployment.
func Accounts(ctx context.Context, st store.Store) ([]string, error) {
	var out []string
	err := st.View(ctx, func(r store.Reader) error {
		recs, err := r.List(ctx, store.Filter{Kind: accountKind, Account: ""})
		for _, rec := range recs {
			out = append(out, rec.Name)
		}
		return err
	})
	return out, err
}

// Trim deletes the events older than the retention, in every account, and
// returns how many it deleted.
func (t *Trail) Trim(ctx context.Context) (int, error) {
	if t.opt.Retention <= 0 {
		return 0, nil
	}
	return TrimBefore(ctx, t.opt.Store, t.opt.Now().Add(-t.opt.Retention))
}

// TrimBefore deletes the events older than cutoff, in every account.
func TrimBefore(ctx context.Context, st store.Store, cutoff time.Time) (int, error) {
	el, err := eventLog(st)
	if err != nil {
		return 0, err
	}
	n, err := el.TrimEvents(ctx, cutoff)
	return int(n), err
}

// RunRetention trims expired events now and then every interval until ctx
// ends.
func (t *Trail) RunRetention(ctx context.Context, interval time.Duration) {
	if t.opt.Retention <= 0 {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		n, err := t.Trim(ctx)
		if err != nil && ctx.Err() == nil {
			t.opt.Log.Warn("audit: trimming expired events", "err", err)
		} else if n > 0 {
			t.opt.Log.Info("audit: trimmed expired events", "events", n, "retention", t.opt.Retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
