package audit

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
	"github.com/hatrack/hatrack/store/sqlite"
)

// encode writes the event marshalled once, yet the stored data is byte for
// byte what marshalling the whole stored struct gives (what the records
// table held, and what the migrations move to the event log).
func TestEncodeSameAsMarshal(t *testing.T) {
	type user struct{ Path, UserName, UserId, Arn, CreateDate string }
	res := &struct{ User user }{user{"/", "bob<&>", "AIDABOB", "arn:aws:iam::111111111111:user/bob", "2026-08-07T13:34:41Z"}}
	reqs := []*Request{
		{RequestID: "r1", Service: "iam", Action: "CreateUser", Mutates: true, Caller: rootA, Time: time.Now(), Result: res,
			Params: params(t, "UserName=bob%3C%26%3E")},
		{RequestID: "r2", Service: "iam", Action: "ListUsers", Caller: alice, Time: time.Now()},
	}
	for _, r := range reqs {
		for _, e := range Build(r) {
			checkSameAsMarshal(t, e)
		}
	}
}

func TestParseKey(t *testing.T) {
	at := time.Date(2026, 8, 1, 2, 3, 4, 567, time.UTC)
	got, id, ok := parseKey(Key(at, "ab-cd"))
	if !ok || !got.Equal(at) || id != "ab-cd" {
		t.Fatalf("parseKey(Key) = %v %q %v", got, id, ok)
	}
	for _, k := range []string{"", "123", "+123456789012345678-x", "9999999999999999999-x", "000000000000000000x-x", "0000000000000000000x"} {
		if _, _, ok := parseKey(k); ok {
			t.Errorf("parseKey(%q) accepted", k)
		}
	}
}

// The trail stores events in the event log, not as records, and a token
// naming an event continues after it.
func TestTrailUsesEventLog(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tr := newTrail(t, st, nil)
	base := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 7; i++ {
		tr.Record(&Request{Service: "iam", Action: "ListUsers", Caller: alice, Time: base.Add(time.Duration(i) * time.Second)})
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	seq, _ := st.LastSeq(ctx)
	evs, err := st.ListEvents(ctx, store.EventFilter{Account: acctA})
	if err != nil || len(evs) != 7 || seq != 0 {
		t.Fatalf("event log holds %d (%v); change log at %d", len(evs), err, seq)
	}
	var ids []string
	q := Query{Account: acctA, Max: 3}
	for n := 0; n < 5; n++ {
		p, err := Lookup(ctx, st, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			ids = append(ids, e.EventID)
		}
		if p.NextToken == "" {
			break
		}
		q.Token = p.NextToken
	}
	if len(ids) != 7 {
		t.Fatalf("paged through %d events, want 7", len(ids))
	}
	for i, ev := range evs {
		if ids[i] != ev.ID {
			t.Fatalf("event %d is %s, want %s (newest first)", i, ids[i], ev.ID)
		}
	}
	// By id, and bounded by time.
	p, err := Lookup(ctx, st, Query{Account: acctA, Key: AttrEventID, Value: evs[3].ID})
	if err != nil || len(p.Events) != 1 || p.Events[0].EventID != evs[3].ID {
		t.Fatalf("by id: %+v, %v", p, err)
	}
	p, err = Lookup(ctx, st, Query{Account: acctA, Start: base.Add(2 * time.Second), End: base.Add(4 * time.Second)})
	if err != nil || len(p.Events) != 3 {
		t.Fatalf("start..end: %d events, %v", len(p.Events), err)
	}
}

// bareStore hides the event log of the store it wraps.
type bareStore struct{ store.Store }

func TestTrailNeedsEventLog(t *testing.T) {
	ctx := context.Background()
	st := bareStore{memory.New()}
	tr := New(Options{Store: st})
	tr.Record(&Request{Service: "iam", Action: "ListUsers", Caller: alice, Time: time.Now()})
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.Failed() != 1 || tr.Written() != 0 {
		t.Fatalf("written %d, failed %d", tr.Written(), tr.Failed())
	}
	var want errNoEventLog
	if _, err := Lookup(ctx, st, Query{Account: acctA}); !errors.As(err, &want) {
		t.Fatalf("Lookup = %v", err)
	}
	if _, err := TrimBefore(ctx, st, time.Now()); !errors.As(err, &want) {
		t.Fatalf("TrimBefore = %v", err)
	}
}
