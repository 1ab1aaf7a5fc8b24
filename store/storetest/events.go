package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
)

func runEventLogTests(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, el store.EventLog)
	}{
		{"Order", testEventsOrder},
		{"Paging", testEventsPaging},
		{"Bounds", testEventsBounds},
		{"ByID", testEventsByID},
		{"Trim", testEventsTrim},
		{"NoChangeLog", testEventsNoChangeLog},
		{"AtomicBatch", testEventsAtomicBatch},
		{"Closed", testEventsClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			el, ok := s.(store.EventLog)
			if !ok {
				t.Skipf("%T does not implement store.EventLog", s)
			}
			tc.fn(t, s, el)
		})
	}
}

// base is a fixed event time with nanoseconds, to check they are kept.
var base = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

func ev(account string, t time.Time, id string) store.Event {
	return store.Event{Account: account, Time: t, ID: id, Data: []byte("data-" + id)}
}

func appendEvents(t *testing.T, el store.EventLog, evs ...store.Event) {
	t.Helper()
	if err := el.AppendEvents(ctxT(t), evs); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
}

func listEvents(t *testing.T, el store.EventLog, f store.EventFilter) []store.Event {
	t.Helper()
	evs, err := el.ListEvents(ctxT(t), f)
	if err != nil {
		t.Fatalf("ListEvents(%+v): %v", f, err)
	}
	return evs
}

func eventIDs(evs []store.Event) string {
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return strings.Join(ids, ",")
}

func testEventsOrder(t *testing.T, s store.Store, el store.EventLog) {
	// Appended out of order, in two batches; "c" and "a" share a time.
	appendEvents(t, el, ev(acct, base, "c"), ev(acct, base.Add(time.Nanosecond), "d"), ev(acct2, base, "x"))
	appendEvents(t, el, ev(acct, base.Add(-time.Hour), "e"), ev(acct, base, "a"),
		store.Event{Account: acct, Time: base.Add(time.Hour).In(time.FixedZone("X", 3600)), ID: "b"})
	got := listEvents(t, el, store.EventFilter{Account: acct})
	if ids := eventIDs(got); ids != "b,d,a,c,e" {
		t.Fatalf("order = %s, want b,d,a,c,e (time descending, then id)", ids)
	}
	if !got[2].Time.Equal(base) || got[2].Time.Location() != time.UTC || got[1].Time.Sub(base) != time.Nanosecond {
		t.Fatalf("times not kept to the nanosecond in UTC: %v, %v", got[2].Time, got[1].Time)
	}
	if got[2].Account != acct || string(got[2].Data) != "data-a" || len(got[0].Data) != 0 {
		t.Fatalf("event a = %+v, b data %q", got[2], got[0].Data)
	}
	if ids := eventIDs(listEvents(t, el, store.EventFilter{Account: acct2})); ids != "x" {
		t.Fatalf("account %s = %s, want x", acct2, ids)
	}
	if n := len(listEvents(t, el, store.EventFilter{Account: "999999999999"})); n != 0 {
		t.Fatalf("unknown account lists %d events", n)
	}
	// The returned data is a copy.
	got[2].Data[0] = 'X'
	if again := listEvents(t, el, store.EventFilter{Account: acct}); !bytes.Equal(again[2].Data, []byte("data-a")) {
		t.Fatalf("stored data changed through a returned slice: %q", again[2].Data)
	}
}

func testEventsPaging(t *testing.T, s store.Store, el store.EventLog) {
	var evs []store.Event
	for i := 0; i < 25; i++ {
		// Three events per time, ids not in time order.
		evs = append(evs, ev(acct, base.Add(time.Duration(i/3)*time.Millisecond), fmt.Sprintf("id%02d", (i*7)%25)))
	}
	appendEvents(t, el, evs...)
	all := listEvents(t, el, store.EventFilter{Account: acct})
	if len(all) != 25 {
		t.Fatalf("listed %d events, want 25", len(all))
	}
	for _, limit := range []int{1, 2, 4, 7, 25, 30} {
		var pages []store.Event
		f := store.EventFilter{Account: acct, Limit: limit}
		for n := 0; ; n++ {
			page := listEvents(t, el, f)
			if len(page) > limit || n > 30 {
				t.Fatalf("limit %d: page of %d (page %d)", limit, len(page), n)
			}
			pages = append(pages, page...)
			if len(page) < limit {
				break
			}
			last := page[len(page)-1]
			f.AfterTime, f.AfterID = last.Time, last.ID
		}
		if eventIDs(pages) != eventIDs(all) {
			t.Fatalf("limit %d: pages = %s, want %s", limit, eventIDs(pages), eventIDs(all))
		}
	}
}

func testEventsBounds(t *testing.T, s store.Store, el store.EventLog) {
	for i := 0; i < 5; i++ {
		appendEvents(t, el, ev(acct, base.Add(time.Duration(i)*time.Second), fmt.Sprint(i)))
	}
	f := store.EventFilter{Account: acct, Since: base.Add(time.Second), Until: base.Add(3 * time.Second)}
	if ids := eventIDs(listEvents(t, el, f)); ids != "3,2,1" {
		t.Fatalf("Since/Until (inclusive) = %s, want 3,2,1", ids)
	}
	f.Until = base.Add(3*time.Second - time.Nanosecond)
	f.Since = base.Add(time.Second + time.Nanosecond)
	if ids := eventIDs(listEvents(t, el, f)); ids != "2" {
		t.Fatalf("narrowed bounds = %s, want 2", ids)
	}
	f = store.EventFilter{Account: acct, Until: base.Add(3 * time.Second), AfterTime: base.Add(2 * time.Second), AfterID: "2", Limit: 1}
	if ids := eventIDs(listEvents(t, el, f)); ids != "1" {
		t.Fatalf("cursor with bounds = %s, want 1", ids)
	}
}

func testEventsByID(t *testing.T, s store.Store, el store.EventLog) {
	appendEvents(t, el, ev(acct, base, "a"), ev(acct, base.Add(time.Second), "b"), ev(acct2, base, "c"))
	if got := listEvents(t, el, store.EventFilter{Account: acct, ID: "a"}); eventIDs(got) != "a" || string(got[0].Data) != "data-a" {
		t.Fatalf("by id a = %+v", got)
	}
	if ids := eventIDs(listEvents(t, el, store.EventFilter{Account: acct, ID: "c"})); ids != "" {
		t.Fatalf("id of another account found: %s", ids)
	}
	if ids := eventIDs(listEvents(t, el, store.EventFilter{Account: acct, ID: "b", Until: base})); ids != "" {
		t.Fatalf("id outside the time bounds found: %s", ids)
	}
}

func testEventsTrim(t *testing.T, s store.Store, el store.EventLog) {
	appendEvents(t, el, ev(acct, base.Add(-2*time.Hour), "old1"), ev(acct, base.Add(-time.Nanosecond), "old2"),
		ev(acct, base, "edge"), ev(acct, base.Add(time.Hour), "new"), ev(acct2, base.Add(-time.Hour), "old3"), ev("", base.Add(-time.Hour), "old4"))
	n, err := el.TrimEvents(ctxT(t), base)
	if err != nil || n != 4 {
		t.Fatalf("TrimEvents = %d, %v; want 4", n, err)
	}
	if ids := eventIDs(listEvents(t, el, store.EventFilter{Account: acct})); ids != "new,edge" {
		t.Fatalf("after trimming = %s, want new,edge", ids)
	}
	if ids := eventIDs(listEvents(t, el, store.EventFilter{Account: acct2})) + eventIDs(listEvents(t, el, store.EventFilter{})); ids != "" {
		t.Fatalf("other accounts keep %s", ids)
	}
	if n, err := el.TrimEvents(ctxT(t), base); err != nil || n != 0 {
		t.Fatalf("second TrimEvents = %d, %v; want 0", n, err)
	}
}

func testEventsNoChangeLog(t *testing.T, s store.Store, el store.EventLog) {
	mustCreate(t, s, rec("k", acct, "n", "", "x"))
	seq := lastSeq(t, s)
	appendEvents(t, el, ev(acct, base, "a"))
	if got := lastSeq(t, s); got != seq {
		t.Fatalf("an event moved the change log from %d to %d", seq, got)
	}
	if n := count(t, s, store.Filter{Kind: "event", Account: acct}); n != 0 {
		t.Fatalf("an event became %d records", n)
	}
}

func testEventsAtomicBatch(t *testing.T, s store.Store, el store.EventLog) {
	err := el.AppendEvents(ctxT(t), []store.Event{ev(acct, base, "ok"), ev("bad\x00", base, "nul")})
	if err == nil {
		t.Fatal("an event with a NUL in its account was accepted")
	}
	if ids := eventIDs(listEvents(t, el, store.EventFilter{Account: acct})); ids != "" {
		t.Fatalf("a failed batch stored %s", ids)
	}
	if err := el.AppendEvents(ctxT(t), nil); err != nil {
		t.Fatalf("empty batch: %v", err)
	}
}

func testEventsClosed(t *testing.T, s store.Store, el store.EventLog) {
	appendEvents(t, el, ev(acct, base, "a"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := el.AppendEvents(ctxT(t), []store.Event{ev(acct, base, "b")}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("AppendEvents after Close = %v, want ErrClosed", err)
	}
	if _, err := el.ListEvents(ctxT(t), store.EventFilter{Account: acct}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ListEvents after Close = %v, want ErrClosed", err)
	}
	if _, err := el.TrimEvents(ctxT(t), base); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("TrimEvents after Close = %v, want ErrClosed", err)
	}
}
