package metrics

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
	"github.com/hatrack/hatrack/store/sqlite"
	"github.com/hatrack/hatrack/store/storetest"
)

// The decorator is transparent: the instrumented store passes the same
// conformance suite as the backend it wraps.
func TestInstrumentedStoreConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s := InstrumentStore(memory.New())
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestInstrumentedStoreKeepsBackup(t *testing.T) {
	if _, ok := InstrumentStore(memory.New()).(store.Backup); ok {
		t.Fatal("memory store gained store.Backup through the decorator")
	}
	sq, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	s := InstrumentStore(sq)
	defer s.Close()
	b, ok := s.(store.Backup)
	if !ok {
		t.Fatal("sqlite store lost store.Backup through the decorator")
	}
	if err := b.BackupTo(context.Background(), filepath.Join(t.TempDir(), "copy")); err != nil {
		t.Fatal(err)
	}
}

func TestStoreLatencyObserved(t *testing.T) {
	s := InstrumentStore(memory.New())
	ctx := context.Background()
	getsBefore := sample(t, `hatrack_store_operation_duration_seconds_count{op="get"}`)
	createsBefore := sample(t, `hatrack_store_operation_duration_seconds_count{op="create"}`)
	s.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, store.Record{Kind: "k", Account: "a", Name: "n"})
	})
	s.View(ctx, func(r store.Reader) error {
		_, err := r.Get(ctx, "k", "a", "n")
		return err
	})
	if got := sample(t, `hatrack_store_operation_duration_seconds_count{op="get"}`); got != getsBefore+1 {
		t.Fatalf("get observations %v -> %v", getsBefore, got)
	}
	if got := sample(t, `hatrack_store_operation_duration_seconds_count{op="create"}`); got != createsBefore+1 {
		t.Fatalf("create observations %v -> %v", createsBefore, got)
	}
}

// sample reads one series' value from the exposition (0 when absent).
func sample(t *testing.T, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(scrape(t), "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			var v float64
			if _, err := fmt.Sscan(rest, &v); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return v
		}
	}
	return 0
}

func scrape(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

type fakeAuthz struct{ err error }

func (f fakeAuthz) Authorize(context.Context, *authz.Request) error { return f.err }

func TestAuthorizerCountsDecisions(t *testing.T) {
	series := func(r string) string { return `hatrack_authz_decisions_total{result="` + r + `"}` }
	allow, deny, failed := sample(t, series("allow")), sample(t, series("deny")), sample(t, series("error"))
	Authorizer{fakeAuthz{nil}}.Authorize(context.Background(), &authz.Request{})
	err := Authorizer{fakeAuthz{awserr.AccessDenied("no")}}.Authorize(context.Background(), &authz.Request{})
	if !awserr.HasCode(err, "AccessDenied") {
		t.Fatalf("decorator changed the error: %v", err)
	}
	Authorizer{fakeAuthz{io.EOF}}.Authorize(context.Background(), &authz.Request{})
	if sample(t, series("allow")) != allow+1 || sample(t, series("deny")) != deny+1 || sample(t, series("error")) != failed+1 {
		t.Fatal("decisions not counted")
	}
}

func TestRequestsSessionsAndExposition(t *testing.T) {
	ObserveRequest("iam", "CreateUser", "", 3*time.Millisecond)
	ObserveRequest("sts", "AssumeRole", "AccessDenied", time.Millisecond)
	SessionIssued("AssumeRole")
	h := Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	out := scrape(t)
	for _, want := range []string{
		`hatrack_requests_total{action="CreateUser",code="OK",service="iam"} `,
		`hatrack_requests_total{action="AssumeRole",code="AccessDenied",service="sts"} `,
		`hatrack_request_duration_seconds_bucket{action="CreateUser",service="iam",le="0.005"} `,
		`hatrack_sessions_issued_total{kind="AssumeRole"} `,
		`hatrack_http_requests_total{code="418"} `,
		`go_goroutines `,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
}

func BenchmarkObserveRequest(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ObserveRequest("iam", "GetUser", "", time.Millisecond)
	}
}

func BenchmarkInstrumentedGet(b *testing.B) {
	b.ReportAllocs()
	storetest.BenchGet(b, InstrumentStore(memory.New()))
}

// The decorator forwards store.EventLog exactly when the backend has it,
// and measures it.
func TestInstrumentedStoreKeepsEventLog(t *testing.T) {
	if _, ok := InstrumentStore(plainStore{memory.New()}).(store.EventLog); ok {
		t.Fatal("a store without an event log gained store.EventLog through the decorator")
	}
	ctx := context.Background()
	sq, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []store.Store{InstrumentStore(memory.New()), InstrumentStore(sq)} {
		defer s.Close()
		el, ok := s.(store.EventLog)
		if !ok {
			t.Fatalf("%T lost store.EventLog through the decorator", s)
		}
		before := sample(t, `hatrack_store_operation_duration_seconds_count{op="append_events"}`)
		if err := el.AppendEvents(ctx, []store.Event{{Account: "a", Time: time.Now(), ID: "1", Data: []byte("x")}}); err != nil {
			t.Fatal(err)
		}
		if got := sample(t, `hatrack_store_operation_duration_seconds_count{op="append_events"}`); got != before+1 {
			t.Fatalf("append_events observations %v -> %v", before, got)
		}
		evs, err := el.ListEvents(ctx, store.EventFilter{Account: "a"})
		if err != nil || len(evs) != 1 || string(evs[0].Data) != "x" {
			t.Fatalf("ListEvents = %v, %v", evs, err)
		}
	}
}

// plainStore hides every optional interface of the store it wraps.
type plainStore struct{ store.Store }
