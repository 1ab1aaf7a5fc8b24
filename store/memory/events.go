package memory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/store"
)

var _ store.EventLog = (*Store)(nil)

// eventLog is the memory backend's event log: a slice in append order.
type eventLog struct {
	mu     sync.RWMutex
	events []store.Event
}

// AppendEvents implements store.EventLog.
func (s *Store) AppendEvents(ctx context.Context, events []store.Event) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, e := range events {
		for _, f := range []string{e.Account, e.ID} {
			if !utf8.ValidString(f) || strings.IndexByte(f, 0) >= 0 {
				return fmt.Errorf("store: event %q has a field that is not valid UTF-8 or contains NUL", e.ID)
			}
		}
	}
	s.ev.mu.Lock()
	defer s.ev.mu.Unlock()
	for _, e := range events {
		e.Time = time.Unix(0, e.Time.UnixNano()).UTC()
		e.Data = append([]byte{}, e.Data...)
		s.ev.events = append(s.ev.events, e)
	}
	return nil
}

// ListEvents implements store.EventLog.
func (s *Store) ListEvents(ctx context.Context, f store.EventFilter) ([]store.Event, error) {
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.ev.mu.RLock()
	var out []store.Event
	for _, e := range s.ev.events {
		t := e.Time.UnixNano()
		switch {
		case e.Account != f.Account,
			f.ID != "" && e.ID != f.ID,
			!f.Since.IsZero() && t < f.Since.UnixNano(),
			!f.Until.IsZero() && t > f.Until.UnixNano():
			continue
		}
		if !f.AfterTime.IsZero() {
			at := f.AfterTime.UnixNano()
			if !(t < at || t == at && e.ID > f.AfterID) {
				continue
			}
		}
		out = append(out, e)
	}
	s.ev.mu.RUnlock()
	sort.SliceStable(out, func(i, j int) bool {
		ti, tj := out[i].Time.UnixNano(), out[j].Time.UnixNano()
		if ti != tj {
			return ti > tj
		}
		return out[i].ID < out[j].ID
	})
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	for i := range out {
		out[i].Data = append([]byte{}, out[i].Data...)
	}
	return out, nil
}

// TrimEvents implements store.EventLog.
func (s *Store) TrimEvents(ctx context.Context, before time.Time) (int64, error) {
	if s.closed.Load() {
		return 0, store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.ev.mu.Lock()
	defer s.ev.mu.Unlock()
	keep := s.ev.events[:0]
	cut := before.UnixNano()
	for _, e := range s.ev.events {
		if e.Time.UnixNano() >= cut {
			keep = append(keep, e)
		}
	}
	n := int64(len(s.ev.events) - len(keep))
	clear(s.ev.events[len(keep):])
	s.ev.events = keep
	return n, nil
}
