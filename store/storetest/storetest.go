package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
)

// Option configures RunTests.
type Option func(*config)

type config struct {
	pair func(t *testing.T) (store.Store, store.Store)
}

// WithSecondHandle supplies an opener that returns two independent handles
// (separate connection pools, as two server processes would have) on one
// fresh database. With it RunTests also checks that Watch on one handle
// fires for commits made through the other and that uniqueness and
// read-modify-write atomicity hold across handles. Both handles must be
// closed by the opener's cleanup.
func WithSecondHandle(open func(t *testing.T) (store.Store, store.Store)) Option {
	return func(c *config) { c.pair = open }
}

// RunTests runs the conformance suite. open must return a fresh, empty
// store for each call and arrange (t.Cleanup) for it to be closed; closing
// a store twice must be harmless.
func RunTests(t *testing.T, open func(t *testing.T) store.Store, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"CreateGet", testCreateGet},
		{"CreateValidation", testCreateValidation},
		{"NotFound", testNotFound},
		{"UniqueNames", testUniqueNames},
		{"UniqueIDs", testUniqueIDs},
		{"Put", testPut},
		{"PutIDConflict", testPutIDConflict},
		{"Delete", testDelete},
		{"DataIsCopied", testDataIsCopied},
		{"ListOrder", testListOrder},
		{"ListPagination", testListPagination},
		{"ListFilters", testListFilters},
		{"ListGlobalAccount", testListGlobalAccount},
		{"UpdateAtomic", testUpdateAtomic},
		{"UpdateErrorPassthrough", testUpdateErrorPassthrough},
		{"UpdateRetriesConflict", testUpdateRetriesConflict},
		{"UpdateAfterFailedCreate", testUpdateAfterFailedCreate},
		{"ReadYourWrites", testReadYourWrites},
		{"ViewSnapshot", testViewSnapshot},
		{"ViewReadOnlyCallbackError", testViewError},
		{"ChangeLog", testChangeLog},
		{"ChangeLogRollback", testChangeLogRollback},
		{"ChangesPagination", testChangesPagination},
		{"Revision", testRevision},
		{"Watch", testWatch},
		{"WatchClosedOnCancel", testWatchClosedOnCancel},
		{"ConcurrentCreate", testConcurrentCreate},
		{"ConcurrentIncrement", testConcurrentIncrement},
		{"ConcurrentChangeLog", testConcurrentChangeLog},
		{"CanceledContext", testCanceledContext},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
	t.Run("Closed", func(t *testing.T) { testClosed(t, open(t)) })

	// Optional interfaces: skipped only for a backend without them.
	t.Run("EventLog", func(t *testing.T) { runEventLogTests(t, open) })

	if cfg.pair != nil {
		t.Run("TwoHandles", func(t *testing.T) {
			t.Run("Watch", func(t *testing.T) {
				a, b := cfg.pair(t)
				testWatchAcross(t, a, b)
			})
			t.Run("ConcurrentCreate", func(t *testing.T) {
				a, b := cfg.pair(t)
				concurrentCreate(t, []store.Store{a, b})
			})
			t.Run("ConcurrentIncrement", func(t *testing.T) {
				a, b := cfg.pair(t)
				concurrentIncrement(t, []store.Store{a, b})
			})
			t.Run("ConcurrentChangeLog", func(t *testing.T) {
				a, b := cfg.pair(t)
				concurrentChangeLog(t, []store.Store{a, b})
			})
		})
	}
}

const (
	acct  = "123456789012"
	acct2 = "210987654321"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func rec(kind, account, name, id string, data string) store.Record {
	return store.Record{Kind: kind, Account: account, Name: name, ID: id, Data: []byte(data)}
}

func mustCreate(t *testing.T, s store.Store, rs ...store.Record) {
	t.Helper()
	err := s.Update(ctxT(t), func(tx store.Tx) error {
		for _, r := range rs {
			if err := tx.Create(ctxT(t), r); err != nil {
				return fmt.Errorf("create %s/%s/%s: %w", r.Kind, r.Account, r.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update(create): %v", err)
	}
}

func mustGet(t *testing.T, s store.Store, kind, account, name string) store.Record {
	t.Helper()
	var r store.Record
	err := s.View(ctxT(t), func(tx store.Reader) error {
		var err error
		r, err = tx.Get(ctxT(t), kind, account, name)
		return err
	})
	if err != nil {
		t.Fatalf("Get(%s,%q,%s): %v", kind, account, name, err)
	}
	return r
}

func getErr(t *testing.T, s store.Store, kind, account, name string) error {
	t.Helper()
	return s.View(ctxT(t), func(tx store.Reader) error {
		_, err := tx.Get(ctxT(t), kind, account, name)
		return err
	})
}

func list(t *testing.T, s store.Store, f store.Filter) []store.Record {
	t.Helper()
	var out []store.Record
	err := s.View(ctxT(t), func(tx store.Reader) error {
		var err error
		out, err = tx.List(ctxT(t), f)
		return err
	})
	if err != nil {
		t.Fatalf("List(%+v): %v", f, err)
	}
	return out
}

func count(t *testing.T, s store.Store, f store.Filter) int {
	t.Helper()
	var n int
	err := s.View(ctxT(t), func(tx store.Reader) error {
		var err error
		n, err = tx.Count(ctxT(t), f)
		return err
	})
	if err != nil {
		t.Fatalf("Count(%+v): %v", f, err)
	}
	return n
}

func names(rs []store.Record) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Name)
	}
	return strings.Join(s, ",")
}

func lastSeq(t *testing.T, s store.Store) int64 {
	t.Helper()
	n, err := s.LastSeq(ctxT(t))
	if err != nil {
		t.Fatalf("LastSeq: %v", err)
	}
	return n
}

func changes(t *testing.T, s store.Store, since int64, limit int) []store.Change {
	t.Helper()
	cs, err := s.Changes(ctxT(t), since, limit)
	if err != nil {
		t.Fatalf("Changes(%d,%d): %v", since, limit, err)
	}
	return cs
}

func sameRecord(t *testing.T, got, want store.Record) {
	t.Helper()
	if got.Kind != want.Kind || got.Account != want.Account || got.Name != want.Name ||
		got.ID != want.ID || got.Parent != want.Parent || !bytes.Equal(got.Data, want.Data) {
		t.Fatalf("record mismatch:\n got %s/%q/%s id=%q parent=%q data=%q\nwant %s/%q/%s id=%q parent=%q data=%q",
			got.Kind, got.Account, got.Name, got.ID, got.Parent, got.Data,
			want.Kind, want.Account, want.Name, want.ID, want.Parent, want.Data)
	}
}

func testCreateGet(t *testing.T, s store.Store) {
	before := time.Now().Add(-2 * time.Second)
	r := store.Record{Kind: "user", Account: acct, Name: "Alice", ID: "AIDAALICE", Parent: "group/admins", Data: []byte(`{"path":"/"}`)}
	mustCreate(t, s, r)
	after := time.Now().Add(2 * time.Second)

	for _, n := range []string{"Alice", "alice", "ALICE", "aLiCe"} {
		got := mustGet(t, s, "user", acct, n)
		sameRecord(t, got, r)
		if got.Revision <= 0 {
			t.Fatalf("Revision = %d, want > 0", got.Revision)
		}
		if got.Created.Before(before) || got.Created.After(after) {
			t.Fatalf("Created = %v, want between %v and %v", got.Created, before, after)
		}
		if !got.Updated.Equal(got.Created) {
			t.Fatalf("Updated %v != Created %v on a fresh record", got.Updated, got.Created)
		}
	}
	var byID store.Record
	err := s.View(ctxT(t), func(tx store.Reader) error {
		var err error
		byID, err = tx.GetByID(ctxT(t), "user", "AIDAALICE")
		return err
	})
	if err != nil {
		t.Fatalf("GetByID: %v", err)
	}
	sameRecord(t, byID, r)

	// Empty data and empty id round-trip.
	mustCreate(t, s, store.Record{Kind: "user", Account: acct, Name: "bob"})
	got := mustGet(t, s, "user", acct, "BOB")
	if got.ID != "" || len(got.Data) != 0 || got.Name != "bob" {
		t.Fatalf("got %+v", got)
	}
	// Binary data round-trips exactly.
	bin := []byte{0, 1, 2, 0xff, 0xfe, 0, '\n'}
	mustCreate(t, s, store.Record{Kind: "blob", Account: acct, Name: "b", Data: bin})
	if got := mustGet(t, s, "blob", acct, "b"); !bytes.Equal(got.Data, bin) {
		t.Fatalf("binary data = %x, want %x", got.Data, bin)
	}
}

func testCreateValidation(t *testing.T, s store.Store) {
	for _, r := range []store.Record{
		{Kind: "", Account: acct, Name: "x"},
		{Kind: "user", Account: acct, Name: ""},
	} {
		err := s.Update(ctxT(t), func(tx store.Tx) error { return tx.Create(ctxT(t), r) })
		if err == nil {
			t.Fatalf("Create(%+v) succeeded, want an error", r)
		}
	}
	if n := lastSeq(t, s); n != 0 {
		t.Fatalf("LastSeq after rejected creates = %d, want 0", n)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "alice", "AIDA1", ""))
	cases := map[string]func(tx store.Reader) error{
		"Get other name": func(tx store.Reader) error {
			_, err := tx.Get(ctxT(t), "user", acct, "bob")
			return err
		},
		"Get other account": func(tx store.Reader) error {
			_, err := tx.Get(ctxT(t), "user", acct2, "alice")
			return err
		},
		"Get global": func(tx store.Reader) error {
			_, err := tx.Get(ctxT(t), "user", "", "alice")
			return err
		},
		"Get other kind": func(tx store.Reader) error {
			_, err := tx.Get(ctxT(t), "role", acct, "alice")
			return err
		},
		"GetByID other": func(tx store.Reader) error {
			_, err := tx.GetByID(ctxT(t), "user", "AIDA2")
			return err
		},
		"GetByID other kind": func(tx store.Reader) error {
			_, err := tx.GetByID(ctxT(t), "role", "AIDA1")
			return err
		},
		"GetByID empty": func(tx store.Reader) error {
			_, err := tx.GetByID(ctxT(t), "user", "")
			return err
		},
	}
	for name, fn := range cases {
		if err := s.View(ctxT(t), fn); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
	err := s.Update(ctxT(t), func(tx store.Tx) error { return tx.Delete(ctxT(t), "user", acct, "bob") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Delete absent: err = %v, want ErrNotFound", err)
	}
}

func createErr(t *testing.T, s store.Store, r store.Record) error {
	t.Helper()
	return s.Update(ctxT(t), func(tx store.Tx) error { return tx.Create(ctxT(t), r) })
}

func testUniqueNames(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "Alice", "", "1"))
	for _, n := range []string{"Alice", "alice", "ALICE"} {
		if err := createErr(t, s, rec("user", acct, n, "", "2")); !errors.Is(err, store.ErrAlreadyExists) {
			t.Fatalf("Create duplicate %q: err = %v, want ErrAlreadyExists", n, err)
		}
	}
	// Same name elsewhere is fine.
	mustCreate(t, s,
		rec("user", acct2, "alice", "", "3"),
		rec("user", "", "alice", "", "4"),
		rec("role", acct, "alice", "", "5"),
	)
	got := mustGet(t, s, "user", acct, "alice")
	if got.Name != "Alice" || string(got.Data) != "1" {
		t.Fatalf("stored record changed: %+v", got)
	}
	if got := mustGet(t, s, "user", "", "ALICE"); string(got.Data) != "4" {
		t.Fatalf("global record = %+v", got)
	}
}

func testUniqueIDs(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "alice", "ID1", ""))
	if err := createErr(t, s, rec("user", acct2, "bob", "ID1", "")); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Create with taken id: err = %v, want ErrAlreadyExists", err)
	}
	// Ids are unique per kind only, and are case-sensitive opaque strings.
	mustCreate(t, s, rec("role", acct, "r", "ID1", ""), rec("user", acct, "carol", "id1", ""))
	// Empty ids never collide.
	mustCreate(t, s, rec("user", acct, "d1", "", ""), rec("user", acct, "d2", "", ""))
	if n := count(t, s, store.Filter{Kind: "user", Account: acct}); n != 4 {
		t.Fatalf("Count = %d, want 4", n)
	}
}

func put(t *testing.T, s store.Store, r store.Record) error {
	t.Helper()
	return s.Update(ctxT(t), func(tx store.Tx) error { return tx.Put(ctxT(t), r) })
}

func testPut(t *testing.T, s store.Store) {
	// Put inserts when absent.
	if err := put(t, s, store.Record{Kind: "user", Account: acct, Name: "alice", ID: "ID1", Data: []byte("v1")}); err != nil {
		t.Fatalf("Put insert: %v", err)
	}
	first := mustGet(t, s, "user", acct, "alice")
	if string(first.Data) != "v1" || first.ID != "ID1" {
		t.Fatalf("after insert: %+v", first)
	}
	time.Sleep(5 * time.Millisecond)
	// Put replaces, keeps Created, takes the new name case and new fields.
	if err := put(t, s, store.Record{Kind: "user", Account: acct, Name: "ALICE", ID: "ID2", Parent: "p", Data: []byte("v2")}); err != nil {
		t.Fatalf("Put replace: %v", err)
	}
	got := mustGet(t, s, "user", acct, "alice")
	sameRecord(t, got, store.Record{Kind: "user", Account: acct, Name: "ALICE", ID: "ID2", Parent: "p", Data: []byte("v2")})
	if !got.Created.Equal(first.Created) {
		t.Fatalf("Created changed by Put: %v -> %v", first.Created, got.Created)
	}
	if !got.Updated.After(first.Updated) {
		t.Fatalf("Updated not advanced by Put: %v -> %v", first.Updated, got.Updated)
	}
	if got.Revision <= first.Revision {
		t.Fatalf("Revision not advanced by Put: %d -> %d", first.Revision, got.Revision)
	}
	if n := count(t, s, store.Filter{Kind: "user", Account: acct}); n != 1 {
		t.Fatalf("Count after Put = %d, want 1", n)
	}
	// The old id is released, the new one is taken.
	err := s.View(ctxT(t), func(tx store.Reader) error {
		if _, err := tx.GetByID(ctxT(t), "user", "ID1"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("GetByID(old id): %v, want ErrNotFound", err)
		}
		r, err := tx.GetByID(ctxT(t), "user", "ID2")
		if err != nil || r.Name != "ALICE" {
			return fmt.Errorf("GetByID(new id) = %+v, %v", r, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, rec("user", acct, "other", "ID1", ""))
}

func testPutIDConflict(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "alice", "ID1", "a"), rec("user", acct, "bob", "ID2", "b"))
	// Put of bob with alice's id must fail, and not disturb anything.
	err := put(t, s, rec("user", acct, "bob", "ID1", "b2"))
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Put with taken id: err = %v, want ErrAlreadyExists", err)
	}
	err = put(t, s, rec("user", acct, "carol", "ID2", "c"))
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("Put(insert) with taken id: err = %v, want ErrAlreadyExists", err)
	}
	if got := mustGet(t, s, "user", acct, "bob"); string(got.Data) != "b" || got.ID != "ID2" {
		t.Fatalf("bob changed: %+v", got)
	}
	if err := getErr(t, s, "user", acct, "carol"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("carol: %v, want ErrNotFound", err)
	}
	// Re-putting a record with its own id is fine.
	if err := put(t, s, rec("user", acct, "Bob", "ID2", "b3")); err != nil {
		t.Fatalf("Put own id: %v", err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "Alice", "ID1", ""), rec("user", acct, "bob", "ID2", ""))
	err := s.Update(ctxT(t), func(tx store.Tx) error { return tx.Delete(ctxT(t), "user", acct, "aLICE") })
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := getErr(t, s, "user", acct, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	err = s.View(ctxT(t), func(tx store.Reader) error {
		_, err := tx.GetByID(ctxT(t), "user", "ID1")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetByID after Delete: %v, want ErrNotFound", err)
	}
	if n := count(t, s, store.Filter{Kind: "user", Account: acct}); n != 1 {
		t.Fatalf("Count = %d, want 1", n)
	}
	// Name and id are free again.
	mustCreate(t, s, rec("user", acct, "alice", "ID1", "new"))
	err = s.Update(ctxT(t), func(tx store.Tx) error { return tx.Delete(ctxT(t), "user", acct2, "bob") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete in other account: %v, want ErrNotFound", err)
	}
}

func testDataIsCopied(t *testing.T, s store.Store) {
	data := []byte("original")
	mustCreate(t, s, store.Record{Kind: "k", Account: acct, Name: "n", Data: data})
	copy(data, "mutated!")
	got := mustGet(t, s, "k", acct, "n")
	if string(got.Data) != "original" {
		t.Fatalf("stored data aliased the caller's slice: %q", got.Data)
	}
	copy(got.Data, "mutated!")
	if got := mustGet(t, s, "k", acct, "n"); string(got.Data) != "original" {
		t.Fatalf("returned data aliased the stored value: %q", got.Data)
	}
}

func testListOrder(t *testing.T, s store.Store) {
	mustCreate(t, s,
		rec("user", acct, "b", "", ""),
		rec("user", acct, "A", "", ""),
		rec("user", acct, "c", "", ""),
		rec("user", acct, "aB", "", ""),
		rec("user", acct, "Ba", "", ""),
		rec("user", acct, "a_b", "", ""),
		rec("user", acct, "a-b", "", ""),
		rec("user", acct, "Z", "", ""),
		rec("user", acct, "a.b", "", ""),
		rec("user", acct, "a+b", "", ""),
		rec("user", acct, "a@b", "", ""),
		rec("user", acct, "a=b", "", ""),
		rec("user", acct, "a1", "", ""),
		rec("role", acct, "0", "", ""),
		rec("user", acct2, "0", "", ""),
	)
	got := names(list(t, s, store.Filter{Kind: "user", Account: acct}))
	// Byte order of the lower-cased names.
	want := "A,a+b,a-b,a.b,a1,a=b,a@b,a_b,aB,b,Ba,c,Z"
	if got != want {
		t.Fatalf("List order:\n got %s\nwant %s", got, want)
	}
	if n := count(t, s, store.Filter{Kind: "user", Account: acct}); n != 13 {
		t.Fatalf("Count = %d, want 13", n)
	}
	if got := list(t, s, store.Filter{Kind: "nothing", Account: acct}); len(got) != 0 {
		t.Fatalf("List of unknown kind = %v", names(got))
	}
}

func testListPagination(t *testing.T, s store.Store) {
	var all []store.Record
	for i := 0; i < 23; i++ {
		name := fmt.Sprintf("User%02d", i)
		if i%2 == 1 {
			name = strings.ToLower(name)
		}
		all = append(all, rec("user", acct, name, "", strconv.Itoa(i)))
	}
	mustCreate(t, s, all...)
	for _, limit := range []int{1, 5, 10, 23, 100} {
		var got []string
		after := ""
		for page := 0; ; page++ {
			if page > 30 {
				t.Fatalf("limit %d: pagination does not terminate", limit)
			}
			rs := list(t, s, store.Filter{Kind: "user", Account: acct, After: after, Limit: limit})
			if len(rs) > limit {
				t.Fatalf("limit %d: got %d records", limit, len(rs))
			}
			for _, r := range rs {
				got = append(got, r.Name)
			}
			if len(rs) < limit {
				break
			}
			after = rs[len(rs)-1].Name
		}
		if len(got) != 23 {
			t.Fatalf("limit %d: paginated %d records, want 23: %v", limit, len(got), got)
		}
		for i, n := range got {
			if !strings.EqualFold(n, fmt.Sprintf("user%02d", i)) {
				t.Fatalf("limit %d: record %d = %s", limit, i, n)
			}
		}
	}
	// After is compared case-insensitively and strictly.
	rs := list(t, s, store.Filter{Kind: "user", Account: acct, After: "USER05", Limit: 2})
	if names(rs) != "User06,user07" {
		t.Fatalf("After USER05 = %s", names(rs))
	}
	rs = list(t, s, store.Filter{Kind: "user", Account: acct, After: "user05x"})
	if len(rs) != 17 || rs[0].Name != "User06" {
		t.Fatalf("After user05x = %s", names(rs))
	}
	if n := count(t, s, store.Filter{Kind: "user", Account: acct, After: "user20", Limit: 1}); n != 23 {
		t.Fatalf("Count ignores After/Limit: got %d, want 23", n)
	}
}

func testListFilters(t *testing.T, s store.Store) {
	mustCreate(t, s,
		store.Record{Kind: "key", Account: acct, Name: "alice-1", Parent: "user/alice"},
		store.Record{Kind: "key", Account: acct, Name: "alice-2", Parent: "user/alice"},
		store.Record{Kind: "key", Account: acct, Name: "Bob-1", Parent: "user/bob"},
		store.Record{Kind: "key", Account: acct, Name: "bob-2", Parent: "user/bob"},
		store.Record{Kind: "key", Account: acct, Name: "bobby", Parent: "user/Bob"},
		store.Record{Kind: "key", Account: acct, Name: "orphan"},
		store.Record{Kind: "key", Account: acct2, Name: "alice-3", Parent: "user/alice"},
	)
	f := store.Filter{Kind: "key", Account: acct, Parent: "user/alice"}
	if got := names(list(t, s, f)); got != "alice-1,alice-2" {
		t.Fatalf("Parent filter = %s", got)
	}
	if n := count(t, s, f); n != 2 {
		t.Fatalf("Count(parent) = %d", n)
	}
	f = store.Filter{Kind: "key", Account: acct, Parent: "user/bob"}
	if got := names(list(t, s, f)); got != "Bob-1,bob-2" {
		t.Fatalf("Parent filter is exact: got %s", got)
	}
	// NamePrefix is case-sensitive.
	f = store.Filter{Kind: "key", Account: acct, NamePrefix: "bob"}
	if got := names(list(t, s, f)); got != "bob-2,bobby" {
		t.Fatalf("NamePrefix bob = %s", got)
	}
	if n := count(t, s, f); n != 2 {
		t.Fatalf("Count(prefix) = %d", n)
	}
	f = store.Filter{Kind: "key", Account: acct, NamePrefix: "Bob"}
	if got := names(list(t, s, f)); got != "Bob-1" {
		t.Fatalf("NamePrefix Bob = %s", got)
	}
	// Prefixes with LIKE/GLOB metacharacters are literal.
	for _, p := range []string{"%", "_", "*", "?", "[", "b%", "bob_"} {
		f = store.Filter{Kind: "key", Account: acct, NamePrefix: p}
		if got := list(t, s, f); len(got) != 0 {
			t.Fatalf("NamePrefix %q = %s, want none", p, names(got))
		}
	}
	// Filters combine.
	f = store.Filter{Kind: "key", Account: acct, Parent: "user/bob", NamePrefix: "bob", After: "", Limit: 5}
	if got := names(list(t, s, f)); got != "bob-2" {
		t.Fatalf("Parent+NamePrefix = %s", got)
	}
	f = store.Filter{Kind: "key", Account: acct, Parent: "user/alice", After: "ALICE-1"}
	if got := names(list(t, s, f)); got != "alice-2" {
		t.Fatalf("Parent+After = %s", got)
	}
}

func testListGlobalAccount(t *testing.T, s store.Store) {
	mustCreate(t, s,
		rec("accesskey", "", "AKIAB", "", "b"),
		rec("accesskey", "", "AKIAA", "", "a"),
		rec("accesskey", acct, "AKIAC", "", "c"),
	)
	if got := names(list(t, s, store.Filter{Kind: "accesskey"})); got != "AKIAA,AKIAB" {
		t.Fatalf("global List = %s", got)
	}
	if n := count(t, s, store.Filter{Kind: "accesskey", Account: ""}); n != 2 {
		t.Fatalf("global Count = %d", n)
	}
	if got := names(list(t, s, store.Filter{Kind: "accesskey", Account: acct})); got != "AKIAC" {
		t.Fatalf("account List = %s", got)
	}
	if got := mustGet(t, s, "accesskey", "", "akiaa"); string(got.Data) != "a" {
		t.Fatalf("Get global = %+v", got)
	}
}

var errBoom = errors.New("boom")

func testUpdateAtomic(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "keep", "K", "v1"), rec("user", acct, "gone", "", ""))
	seq := lastSeq(t, s)
	err := s.Update(ctxT(t), func(tx store.Tx) error {
		if err := tx.Create(ctxT(t), rec("user", acct, "new1", "N1", "")); err != nil {
			return err
		}
		if err := tx.Create(ctxT(t), rec("user", acct, "new2", "", "")); err != nil {
			return err
		}
		if err := tx.Put(ctxT(t), rec("user", acct, "KEEP", "K", "v2")); err != nil {
			return err
		}
		if err := tx.Delete(ctxT(t), "user", acct, "gone"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update err = %v, want errBoom", err)
	}
	for _, n := range []string{"new1", "new2"} {
		if err := getErr(t, s, "user", acct, n); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s after failed Update: %v, want ErrNotFound", n, err)
		}
	}
	if got := mustGet(t, s, "user", acct, "keep"); string(got.Data) != "v1" || got.Name != "keep" {
		t.Fatalf("keep after failed Update: %+v", got)
	}
	mustGet(t, s, "user", acct, "gone")
	if n := lastSeq(t, s); n != seq {
		t.Fatalf("LastSeq after failed Update = %d, want %d", n, seq)
	}
	if cs := changes(t, s, seq, 0); len(cs) != 0 {
		t.Fatalf("changes after failed Update: %+v", cs)
	}
	// The id of the rolled-back create is free.
	mustCreate(t, s, rec("user", acct, "x", "N1", ""))

	// A panic in fn also rolls back (and propagates).
	func() {
		defer func() {
			if recover() == nil {
				t.Fatalf("panic in Update fn was swallowed")
			}
		}()
		_ = s.Update(ctxT(t), func(tx store.Tx) error {
			if err := tx.Create(ctxT(t), rec("user", acct, "panicky", "", "")); err != nil {
				return err
			}
			panic("fn panics")
		})
	}()
	if err := getErr(t, s, "user", acct, "panicky"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("record created by a panicking Update: %v", err)
	}
	// The store still works after the panic.
	mustCreate(t, s, rec("user", acct, "after-panic", "", ""))
}

func testUpdateErrorPassthrough(t *testing.T, s store.Store) {
	err := s.Update(ctxT(t), func(tx store.Tx) error { return fmt.Errorf("wrapped: %w", errBoom) })
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want errBoom", err)
	}
	err = s.View(ctxT(t), func(tx store.Reader) error { return errBoom })
	if !errors.Is(err, errBoom) {
		t.Fatalf("View err = %v, want errBoom", err)
	}
	// An ErrAlreadyExists from inside fn reaches the caller.
	mustCreate(t, s, rec("user", acct, "a", "", ""))
	err = s.Update(ctxT(t), func(tx store.Tx) error { return tx.Create(ctxT(t), rec("user", acct, "A", "", "")) })
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("err = %v, want ErrAlreadyExists", err)
	}
}

func testUpdateRetriesConflict(t *testing.T, s store.Store) {
	calls := 0
	err := s.Update(ctxT(t), func(tx store.Tx) error {
		calls++
		if err := tx.Create(ctxT(t), rec("user", acct, "retried", "", strconv.Itoa(calls))); err != nil {
			return err
		}
		if calls == 1 {
			return fmt.Errorf("optimistic check failed: %w", store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if calls != 2 {
		t.Fatalf("fn called %d times, want 2", calls)
	}
	if got := mustGet(t, s, "user", acct, "retried"); string(got.Data) != "2" {
		t.Fatalf("data = %q, want 2", got.Data)
	}
	calls = 0
	err = s.Update(ctxT(t), func(tx store.Tx) error {
		calls++
		return store.ErrConflict
	})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	if calls < 2 || calls > 100 {
		t.Fatalf("fn called %d times, want a bounded number of retries", calls)
	}
}

// A failed Create inside a transaction must not poison it: the callback can
// handle ErrAlreadyExists and carry on.
func testUpdateAfterFailedCreate(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "alice", "ID1", "1"))
	err := s.Update(ctxT(t), func(tx store.Tx) error {
		if err := tx.Create(ctxT(t), rec("user", acct, "ALICE", "", "2")); !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("duplicate name: %v", err)
		}
		if err := tx.Create(ctxT(t), rec("user", acct, "bob", "ID1", "2")); !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("duplicate id: %v", err)
		}
		if err := tx.Put(ctxT(t), rec("user", acct, "carol", "ID1", "2")); !errors.Is(err, store.ErrAlreadyExists) {
			return fmt.Errorf("put duplicate id: %v", err)
		}
		if err := tx.Delete(ctxT(t), "user", acct, "nobody"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("delete absent: %v", err)
		}
		r, err := tx.Get(ctxT(t), "user", acct, "alice")
		if err != nil {
			return err
		}
		r.Data = []byte("3")
		return tx.Put(ctxT(t), r)
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := mustGet(t, s, "user", acct, "alice"); string(got.Data) != "3" {
		t.Fatalf("alice = %+v", got)
	}
	for _, n := range []string{"bob", "carol"} {
		if err := getErr(t, s, "user", acct, n); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("%s: %v, want ErrNotFound", n, err)
		}
	}
	cs := changes(t, s, 0, 0)
	if len(cs) != 2 || cs[1].Op != "put" || cs[1].Name != "alice" {
		t.Fatalf("changes = %+v, want create+put", cs)
	}
}

func testReadYourWrites(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "old", "OLD", "o"), rec("user", acct, "zed", "", ""))
	err := s.Update(ctxT(t), func(tx store.Tx) error {
		ctx := ctxT(t)
		if err := tx.Create(ctx, rec("user", acct, "New", "NEW", "n")); err != nil {
			return err
		}
		r, err := tx.Get(ctx, "user", acct, "new")
		if err != nil || string(r.Data) != "n" || r.Name != "New" {
			return fmt.Errorf("Get own create = %+v, %v", r, err)
		}
		if r, err := tx.GetByID(ctx, "user", "NEW"); err != nil || r.Name != "New" {
			return fmt.Errorf("GetByID own create = %+v, %v", r, err)
		}
		if err := tx.Put(ctx, rec("user", acct, "OLD", "OLD", "o2")); err != nil {
			return err
		}
		if r, err := tx.Get(ctx, "user", acct, "old"); err != nil || string(r.Data) != "o2" || r.Name != "OLD" {
			return fmt.Errorf("Get own put = %+v, %v", r, err)
		}
		if err := tx.Delete(ctx, "user", acct, "zed"); err != nil {
			return err
		}
		if _, err := tx.Get(ctx, "user", acct, "zed"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get own delete: %v, want ErrNotFound", err)
		}
		rs, err := tx.List(ctx, store.Filter{Kind: "user", Account: acct})
		if err != nil || names(rs) != "New,OLD" {
			return fmt.Errorf("List = %s, %v", names(rs), err)
		}
		if n, err := tx.Count(ctx, store.Filter{Kind: "user", Account: acct}); err != nil || n != 2 {
			return fmt.Errorf("Count = %d, %v", n, err)
		}
		// Delete then re-create in the same transaction.
		if err := tx.Delete(ctx, "user", acct, "new"); err != nil {
			return err
		}
		return tx.Create(ctx, rec("user", acct, "NEW", "NEW", "n2"))
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if got := mustGet(t, s, "user", acct, "new"); string(got.Data) != "n2" || got.Name != "NEW" {
		t.Fatalf("new = %+v", got)
	}
}

func testViewSnapshot(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("acct", acct, "a", "", "1"), rec("acct", acct, "b", "", "1"))
	read := make(chan struct{})
	written := make(chan error, 1)
	go func() {
		<-read
		written <- s.Update(context.Background(), func(tx store.Tx) error {
			ctx := context.Background()
			if err := tx.Put(ctx, rec("acct", acct, "a", "", "2")); err != nil {
				return err
			}
			if err := tx.Put(ctx, rec("acct", acct, "b", "", "2")); err != nil {
				return err
			}
			return tx.Create(ctx, rec("acct", acct, "c", "", "2"))
		})
	}()
	err := s.View(ctxT(t), func(tx store.Reader) error {
		ctx := ctxT(t)
		a, err := tx.Get(ctx, "acct", acct, "a")
		if err != nil {
			return err
		}
		close(read)
		if err := <-written; err != nil {
			return fmt.Errorf("concurrent Update: %w", err)
		}
		b, err := tx.Get(ctx, "acct", acct, "b")
		if err != nil {
			return err
		}
		a2, err := tx.Get(ctx, "acct", acct, "a")
		if err != nil {
			return err
		}
		if string(a.Data) != "1" || string(b.Data) != "1" || string(a2.Data) != "1" {
			return fmt.Errorf("View saw a concurrent commit: a=%s b=%s a again=%s", a.Data, b.Data, a2.Data)
		}
		if _, err := tx.Get(ctx, "acct", acct, "c"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("View saw a concurrent create: %v", err)
		}
		if n, err := tx.Count(ctx, store.Filter{Kind: "acct", Account: acct}); err != nil || n != 2 {
			return fmt.Errorf("Count in snapshot = %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	if got := mustGet(t, s, "acct", acct, "b"); string(got.Data) != "2" {
		t.Fatalf("after View: b = %s", got.Data)
	}
}

func testViewError(t *testing.T, s store.Store) {
	err := s.View(ctxT(t), func(tx store.Reader) error {
		_, err := tx.Get(ctxT(t), "x", acct, "y")
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("View err = %v, want ErrNotFound", err)
	}
}

func testChangeLog(t *testing.T, s store.Store) {
	if n := lastSeq(t, s); n != 0 {
		t.Fatalf("LastSeq of an empty store = %d, want 0", n)
	}
	if cs := changes(t, s, 0, 0); len(cs) != 0 {
		t.Fatalf("Changes of an empty store = %+v", cs)
	}
	before := time.Now().Add(-2 * time.Second)
	mustCreate(t, s, rec("user", acct, "Alice", "", ""), rec("group", "", "g", "", ""))
	if err := put(t, s, rec("user", acct, "ALICE", "", "x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctxT(t), func(tx store.Tx) error { return tx.Delete(ctxT(t), "user", acct, "alice") }); err != nil {
		t.Fatal(err)
	}
	// A read-only Update appends nothing.
	if err := s.Update(ctxT(t), func(tx store.Tx) error {
		_, err := tx.Get(ctxT(t), "group", "", "g")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(2 * time.Second)
	cs := changes(t, s, 0, 0)
	want := []store.Change{
		{Kind: "user", Account: acct, Name: "Alice", Op: "create"},
		{Kind: "group", Account: "", Name: "g", Op: "create"},
		{Kind: "user", Account: acct, Name: "ALICE", Op: "put"},
		{Kind: "user", Account: acct, Name: "ALICE", Op: "delete"},
	}
	if len(cs) != len(want) {
		t.Fatalf("Changes = %+v, want %d entries", cs, len(want))
	}
	var prev int64
	for i, c := range cs {
		w := want[i]
		if c.Kind != w.Kind || c.Account != w.Account || c.Name != w.Name || c.Op != w.Op {
			t.Fatalf("change %d = %+v, want %+v", i, c, w)
		}
		if c.Seq <= prev {
			t.Fatalf("change %d: Seq %d not increasing (prev %d)", i, c.Seq, prev)
		}
		if c.At.Before(before) || c.At.After(after) {
			t.Fatalf("change %d: At = %v", i, c.At)
		}
		prev = c.Seq
	}
	if n := lastSeq(t, s); n != cs[len(cs)-1].Seq {
		t.Fatalf("LastSeq = %d, want %d", n, cs[len(cs)-1].Seq)
	}
	if got := changes(t, s, cs[1].Seq, 0); len(got) != 2 || got[0].Seq != cs[2].Seq {
		t.Fatalf("Changes(since %d) = %+v", cs[1].Seq, got)
	}
	if got := changes(t, s, cs[3].Seq, 0); len(got) != 0 {
		t.Fatalf("Changes(since last) = %+v", got)
	}
	if got := changes(t, s, cs[3].Seq+1000, 0); len(got) != 0 {
		t.Fatalf("Changes(since future) = %+v", got)
	}
	// The group's Revision is the seq of its last write.
	if g := mustGet(t, s, "group", "", "g"); g.Revision != cs[1].Seq {
		t.Fatalf("group Revision = %d, want %d", g.Revision, cs[1].Seq)
	}
}

func testChangeLogRollback(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "a", "", ""))
	seq := lastSeq(t, s)
	for i := 0; i < 3; i++ {
		_ = s.Update(ctxT(t), func(tx store.Tx) error {
			if err := tx.Create(ctxT(t), rec("user", acct, fmt.Sprint("rb", i), "", "")); err != nil {
				return err
			}
			return errBoom
		})
	}
	if n := lastSeq(t, s); n != seq {
		t.Fatalf("LastSeq after rollbacks = %d, want %d", n, seq)
	}
	mustCreate(t, s, rec("user", acct, "b", "", ""))
	cs := changes(t, s, seq, 0)
	if len(cs) != 1 || cs[0].Name != "b" || cs[0].Seq <= seq {
		t.Fatalf("Changes after rollbacks = %+v", cs)
	}
}

func testChangesPagination(t *testing.T, s store.Store) {
	const n = 25
	for i := 0; i < n; i++ {
		mustCreate(t, s, rec("user", acct, fmt.Sprint("u", i), "", ""))
	}
	// One multi-record Update appends one change per record.
	mustCreate(t, s, rec("user", acct, "m1", "", ""), rec("user", acct, "m2", "", ""), rec("user", acct, "m3", "", ""))
	var all []store.Change
	since := int64(0)
	for page := 0; page < 100; page++ {
		cs := changes(t, s, since, 7)
		if len(cs) > 7 {
			t.Fatalf("limit 7 returned %d", len(cs))
		}
		if len(cs) == 0 {
			break
		}
		all = append(all, cs...)
		since = cs[len(cs)-1].Seq
	}
	if len(all) != n+3 {
		t.Fatalf("paginated %d changes, want %d", len(all), n+3)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq {
			t.Fatalf("Seq not increasing at %d: %d after %d", i, all[i].Seq, all[i-1].Seq)
		}
	}
	if all[n].Name != "m1" || all[n+2].Name != "m3" {
		t.Fatalf("multi-record Update changes out of order: %+v", all[n:])
	}
	if since != lastSeq(t, s) {
		t.Fatalf("last paginated seq %d != LastSeq %d", since, lastSeq(t, s))
	}
	// Default limit returns at least these few.
	if cs := changes(t, s, 0, 0); len(cs) != n+3 {
		t.Fatalf("Changes(0, 0) = %d entries, want %d", len(cs), n+3)
	}
}

func testRevision(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "a", "", "0"), rec("user", acct, "other", "", ""))
	prev := mustGet(t, s, "user", acct, "a").Revision
	for i := 1; i <= 5; i++ {
		if err := put(t, s, rec("user", acct, "a", "", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			if err := put(t, s, rec("user", acct, "other", "", "x")); err != nil {
				t.Fatal(err)
			}
		}
		r := mustGet(t, s, "user", acct, "a")
		if r.Revision <= prev {
			t.Fatalf("write %d: Revision %d not above %d", i, r.Revision, prev)
		}
		if r.Revision > lastSeq(t, s) {
			t.Fatalf("Revision %d above LastSeq %d", r.Revision, lastSeq(t, s))
		}
		prev = r.Revision
	}
	// Two records written in one transaction get distinct revisions.
	err := s.Update(ctxT(t), func(tx store.Tx) error {
		if err := tx.Put(ctxT(t), rec("user", acct, "a", "", "x")); err != nil {
			return err
		}
		return tx.Put(ctxT(t), rec("user", acct, "other", "", "y"))
	})
	if err != nil {
		t.Fatal(err)
	}
	a, o := mustGet(t, s, "user", acct, "a"), mustGet(t, s, "user", acct, "other")
	if a.Revision == o.Revision || a.Revision <= prev || o.Revision <= prev {
		t.Fatalf("revisions after one tx: a=%d other=%d prev=%d", a.Revision, o.Revision, prev)
	}
	// Revision input is ignored.
	r := rec("user", acct, "b", "", "")
	r.Revision = 1 << 40
	mustCreate(t, s, r)
	if got := mustGet(t, s, "user", acct, "b"); got.Revision == 1<<40 || got.Revision > lastSeq(t, s) {
		t.Fatalf("Revision taken from input: %d", got.Revision)
	}
}

func waitSignal(t *testing.T, ch <-chan struct{}, within time.Duration, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch channel closed", what)
		}
	case <-time.After(within):
		t.Fatalf("%s: no Watch signal within %v", what, within)
	}
}

func drain(ch <-chan struct{}) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func testWatch(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	w := s.Watch(ctx)
	w2 := s.Watch(ctx)
	time.Sleep(50 * time.Millisecond)
	drain(w)
	drain(w2)
	mustCreate(t, s, rec("user", acct, "a", "", ""))
	waitSignal(t, w, 10*time.Second, "after create")
	waitSignal(t, w2, 10*time.Second, "second watcher after create")
	// Signals coalesce: many commits, a non-blocking reader is not stuck.
	for i := 0; i < 10; i++ {
		mustCreate(t, s, rec("user", acct, fmt.Sprint("b", i), "", ""))
	}
	waitSignal(t, w, 10*time.Second, "after burst")
	drain(w)
	// A follower that reads Changes after the signal sees the commit.
	seq := lastSeq(t, s)
	mustCreate(t, s, rec("user", acct, "c", "", ""))
	waitSignal(t, w, 10*time.Second, "after create c")
	if cs := changes(t, s, seq, 0); len(cs) != 1 || cs[0].Name != "c" {
		t.Fatalf("Changes after signal = %+v", cs)
	}
}

func testWatchClosedOnCancel(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(ctxT(t))
	w := s.Watch(ctx)
	cancel()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-w:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("Watch channel not closed after ctx cancel")
		}
	}
}

func testWatchAcross(t *testing.T, a, b store.Store) {
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	w := a.Watch(ctx)
	time.Sleep(100 * time.Millisecond)
	drain(w)
	for i := 0; i < 3; i++ {
		seq := lastSeq(t, a)
		mustCreate(t, b, rec("user", acct, fmt.Sprint("x", i), "", ""))
		waitSignal(t, w, 15*time.Second, "commit on the other handle")
		// The signal may be the coalesced remnant of an earlier one; wait
		// until the change is visible, but it must become visible.
		deadline := time.Now().Add(15 * time.Second)
		for len(changes(t, a, seq, 0)) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("change from the other handle not visible")
			}
			waitSignal(t, w, 15*time.Second, "commit on the other handle (again)")
		}
		drain(w)
	}
	if got := mustGet(t, a, "user", acct, "X2"); got.Name != "x2" {
		t.Fatalf("got %+v", got)
	}
}

func testConcurrentCreate(t *testing.T, s store.Store) {
	concurrentCreate(t, []store.Store{s})
}

func concurrentCreate(t *testing.T, ss []store.Store) {
	const n = 16
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		var ok, exists atomic.Int32
		errs := make(chan error, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				s := ss[i%len(ss)]
				name := fmt.Sprintf("Race%d", round)
				if i%2 == 1 {
					name = strings.ToUpper(name)
				}
				id := ""
				if round == 2 {
					// Different names, same id.
					name = fmt.Sprintf("id-race-%d", i)
					id = "RACEID"
				}
				err := s.Update(context.Background(), func(tx store.Tx) error {
					return tx.Create(context.Background(), rec("user", acct, name, id, strconv.Itoa(i)))
				})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, store.ErrAlreadyExists):
					exists.Add(1)
				default:
					errs <- err
				}
			}(i)
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: unexpected error: %v", round, err)
		}
		if ok.Load() != 1 || exists.Load() != n-1 {
			t.Fatalf("round %d: %d successes and %d ErrAlreadyExists, want 1 and %d", round, ok.Load(), exists.Load(), n-1)
		}
	}
	if c := count(t, ss[0], store.Filter{Kind: "user", Account: acct}); c != 3 {
		t.Fatalf("Count = %d, want 3", c)
	}
	if cs := changes(t, ss[0], 0, 0); len(cs) != 3 {
		t.Fatalf("%d changes, want 3", len(cs))
	}
}

func testConcurrentIncrement(t *testing.T, s store.Store) {
	concurrentIncrement(t, []store.Store{s})
}

func concurrentIncrement(t *testing.T, ss []store.Store) {
	const n = 24
	mustCreate(t, ss[0], rec("counter", acct, "c", "", "0"), rec("counter", acct, "d", "", "0"))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			s := ss[i%len(ss)]
			errs <- s.Update(context.Background(), func(tx store.Tx) error {
				ctx := context.Background()
				// Two records move together: c counts up, d mirrors it.
				r, err := tx.Get(ctx, "counter", acct, "c")
				if err != nil {
					return err
				}
				v, err := strconv.Atoi(string(r.Data))
				if err != nil {
					return err
				}
				r.Data = []byte(strconv.Itoa(v + 1))
				if err := tx.Put(ctx, r); err != nil {
					return err
				}
				d, err := tx.Get(ctx, "counter", acct, "d")
				if err != nil {
					return err
				}
				d.Data = r.Data
				return tx.Put(ctx, d)
			})
		}(i)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Update: %v", err)
		}
	}
	for _, name := range []string{"c", "d"} {
		if got := mustGet(t, ss[0], "counter", acct, name); string(got.Data) != strconv.Itoa(n) {
			t.Fatalf("counter %s = %s, want %d (lost updates)", name, got.Data, n)
		}
	}
	if cs := changes(t, ss[len(ss)-1], 0, 0); len(cs) != 2+2*n {
		t.Fatalf("%d changes, want %d", len(cs), 2+2*n)
	}
}

func testConcurrentChangeLog(t *testing.T, s store.Store) {
	concurrentChangeLog(t, []store.Store{s})
}

// concurrentChangeLog runs writers while a follower tails the change log;
// the follower must end up with every change exactly once, in Seq order,
// never having skipped one (a change with a lower Seq becoming visible
// after a higher one would be skipped by a follower).
func concurrentChangeLog(t *testing.T, ss []store.Store) {
	const writers, perWriter = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := ss[w%len(ss)]
			for i := 0; i < perWriter; i++ {
				err := s.Update(context.Background(), func(tx store.Tx) error {
					ctx := context.Background()
					if err := tx.Create(ctx, rec("log", acct, fmt.Sprintf("w%d-%d-a", w, i), "", "")); err != nil {
						return err
					}
					return tx.Create(ctx, rec("log", acct, fmt.Sprintf("w%d-%d-b", w, i), "", ""))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	follower := ss[len(ss)-1]
	seen := map[string]bool{}
	var since int64
	finished := false
	for !finished {
		select {
		case <-done:
			finished = true
		default:
		}
		cs, err := follower.Changes(context.Background(), since, 5)
		if err != nil {
			t.Fatalf("Changes: %v", err)
		}
		for _, c := range cs {
			if c.Seq <= since {
				t.Fatalf("Changes returned Seq %d after %d", c.Seq, since)
			}
			if seen[c.Name] {
				t.Fatalf("change %s seen twice", c.Name)
			}
			seen[c.Name] = true
			since = c.Seq
		}
		if len(cs) == 5 {
			finished = false
		}
	}
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	for {
		cs := changes(t, follower, since, 0)
		if len(cs) == 0 {
			break
		}
		for _, c := range cs {
			if seen[c.Name] {
				t.Fatalf("change %s seen twice", c.Name)
			}
			seen[c.Name] = true
			since = c.Seq
		}
	}
	if len(seen) != writers*perWriter*2 {
		t.Fatalf("follower saw %d changes, want %d", len(seen), writers*perWriter*2)
	}
	// Every change was delivered by a follower that only moves forward;
	// also check against a full re-read.
	all := changes(t, follower, 0, 10000)
	if len(all) != writers*perWriter*2 {
		t.Fatalf("full read has %d changes", len(all))
	}
}

func testCanceledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := s.Update(ctx, func(tx store.Tx) error {
		called = true
		return tx.Create(ctx, rec("user", acct, "x", "", ""))
	})
	if err == nil {
		t.Fatal("Update with a canceled context succeeded")
	}
	if err := getErr(t, s, "user", acct, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("record written under a canceled context (fn called: %v): %v", called, err)
	}
	// The store is still usable.
	mustCreate(t, s, rec("user", acct, "y", "", ""))
}

func testClosed(t *testing.T, s store.Store) {
	mustCreate(t, s, rec("user", acct, "a", "", ""))
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	w := s.Watch(ctx)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Update(ctxT(t), func(tx store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Update after Close: %v, want ErrClosed", err)
	}
	if err := s.View(ctxT(t), func(tx store.Reader) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("View after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Changes(ctxT(t), 0, 0); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Changes after Close: %v, want ErrClosed", err)
	}
	if _, err := s.LastSeq(ctxT(t)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("LastSeq after Close: %v, want ErrClosed", err)
	}
	select {
	case _, ok := <-w:
		if ok {
			// A final signal is allowed; then it must close.
			select {
			case _, ok := <-w:
				if ok {
					t.Fatal("watch channel still open after Close")
				}
			case <-time.After(5 * time.Second):
				t.Fatal("watch channel not closed by Close")
			}
		}
	case <-time.After(5 * time.Second):
		t.Fatal("watch channel not closed by Close")
	}
	select {
	case _, ok := <-s.Watch(context.Background()):
		if ok {
			t.Fatal("Watch after Close returned an open channel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch after Close returned an open channel")
	}
}

// BenchGet measures Get of one record by name in a View.
func BenchGet(b *testing.B, s store.Store) {
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Create(ctx, store.Record{Kind: "user", Account: acct, Name: fmt.Sprint("user", i), ID: fmt.Sprint("ID", i), Data: bytes.Repeat([]byte("x"), 300)})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			name := fmt.Sprint("USER", i%100)
			err := s.View(ctx, func(tx store.Reader) error {
				_, err := tx.Get(ctx, "user", acct, name)
				return err
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchUpdate measures a read-modify-write Update of one record (Get+Put),
// spread over 100 records.
func BenchUpdate(b *testing.B, s store.Store) {
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Create(ctx, store.Record{Kind: "user", Account: acct, Name: fmt.Sprint("user", i), Data: []byte("0")})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprint("user", i%100)
		err := s.Update(ctx, func(tx store.Tx) error {
			r, err := tx.Get(ctx, "user", acct, name)
			if err != nil {
				return err
			}
			r.Data = bytes.Repeat([]byte("y"), 300)
			return tx.Put(ctx, r)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
