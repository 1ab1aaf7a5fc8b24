package sqlite_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/sqlite"
	"github.com/hatrack/hatrack/store/storetest"
)

func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.RunTests(t,
		func(t *testing.T) store.Store {
			return openAt(t, filepath.Join(t.TempDir(), "hatrack.db"))
		},
		storetest.WithSecondHandle(func(t *testing.T) (store.Store, store.Store) {
			p := filepath.Join(t.TempDir(), "hatrack.db")
			return openAt(t, p), openAt(t, p)
		}),
	)
}

func TestOpenSettings(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hatrack.db")
	openAt(t, p)
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var v int
	if err := db.QueryRow(`SELECT MAX(version) FROM hatrack_schema_migrations`).Scan(&v); err != nil || v != sqlite.SchemaVersion() || v < 1 {
		t.Fatalf("schema version = %d, %v; want %d", v, err, sqlite.SchemaVersion())
	}
	for _, bad := range []string{"", ":memory:", "file:x.db", "a?b"} {
		if _, err := sqlite.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestMigrateIdempotentAndRefusesNewer(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hatrack.db")
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := sqlite.Migrate(ctx, p); err != nil {
			t.Fatalf("Migrate #%d: %v", i, err)
		}
	}
	s := openAt(t, p)
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, store.Record{Kind: "k", Name: "n"})
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO hatrack_schema_migrations (version, name, applied_at) VALUES (?, 'future', 0)`, sqlite.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := sqlite.Open(p); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: err = %v, want a refusal", err)
	}
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "hatrack.db")
	s := openAt(t, p)
	put := func(name, data string) {
		t.Helper()
		if err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Put(ctx, store.Record{Kind: "user", Account: "123456789012", Name: name, Data: []byte(data)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 50; i++ {
		put(fmt.Sprint("u", i), "before")
	}
	// Back up while writers keep going.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_ = s.Update(ctx, func(tx store.Tx) error {
				return tx.Put(ctx, store.Record{Kind: "bg", Name: fmt.Sprint("b", i%10), Data: []byte(strconv.Itoa(i))})
			})
		}
	}()
	backup := filepath.Join(dir, "backup.db")
	if err := s.BackupTo(ctx, backup); err != nil {
		t.Fatalf("BackupTo: %v", err)
	}
	// A second backup over the first works too.
	if err := s.BackupTo(ctx, backup); err != nil {
		t.Fatalf("BackupTo (replace): %v", err)
	}
	close(stop)
	<-done
	put("u0", "after")
	put("late", "after")
	s.Close()

	if err := sqlite.Restore(ctx, backup, p); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	r := openAt(t, p)
	var u0 store.Record
	err := r.View(ctx, func(tx store.Reader) error {
		var err error
		if u0, err = tx.Get(ctx, "user", "123456789012", "u0"); err != nil {
			return err
		}
		if _, err := tx.Get(ctx, "user", "123456789012", "late"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("late write present after restore: %v", err)
		}
		n, err := tx.Count(ctx, store.Filter{Kind: "user", Account: "123456789012"})
		if n != 50 {
			return fmt.Errorf("restored %d users, want 50 (%v)", n, err)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(u0.Data) != "before" {
		t.Fatalf("u0 = %q after restore, want before", u0.Data)
	}
	// The change log is consistent with the records: LastSeq equals the
	// revision of the newest record.
	last, err := r.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var maxRev int64
	for _, k := range []string{"user", "bg"} {
		var rs []store.Record
		if err := r.View(ctx, func(tx store.Reader) error {
			var err error
			rs, err = tx.List(ctx, store.Filter{Kind: k})
			if k == "user" {
				rs, err = tx.List(ctx, store.Filter{Kind: k, Account: "123456789012"})
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		for _, rec := range rs {
			maxRev = max(maxRev, rec.Revision)
		}
	}
	if last != maxRev {
		t.Fatalf("LastSeq %d != newest revision %d in the restored copy", last, maxRev)
	}
	// The restored store accepts writes.
	if err := r.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, store.Record{Kind: "user", Account: "123456789012", Name: "late"})
	}); err != nil {
		t.Fatal(err)
	}
	// A broken backup is refused and the database left alone.
	r.Close()
	junk := filepath.Join(dir, "junk.db")
	os.WriteFile(junk, []byte("this is not a database, not at all, no"), 0o600)
	if err := sqlite.Restore(ctx, junk, p); err == nil {
		t.Fatal("Restore of junk succeeded")
	}
	r2 := openAt(t, p)
	if err := r2.View(ctx, func(tx store.Reader) error {
		_, err := tx.Get(ctx, "user", "123456789012", "late")
		return err
	}); err != nil {
		t.Fatalf("database damaged by a refused restore: %v", err)
	}
}

func TestTrimChanges(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, filepath.Join(t.TempDir(), "hatrack.db"))
	for i := 0; i < 10; i++ {
		if err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Create(ctx, store.Record{Kind: "k", Name: fmt.Sprint(i)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.TrimChanges(ctx, 100)
	if err != nil || n != 9 {
		t.Fatalf("TrimChanges = %d, %v; want 9", n, err)
	}
	if last, _ := s.LastSeq(ctx); last != 10 {
		t.Fatalf("LastSeq after trim = %d, want 10", last)
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, store.Record{Kind: "k", Name: "x"})
	}); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Changes(ctx, 0, 0)
	if err != nil || len(cs) != 2 || cs[1].Seq != 11 {
		t.Fatalf("Changes after trim = %+v, %v", cs, err)
	}
}

// Crash safety: a child process streams multi-record Updates and prints
// the number of each one after Update returned; the parent SIGKILLs it at
// random moments. After every kill each acknowledged write must be present
// in full and no write may be present in part.

const crashEnv = "HATRACK_SQLITE_CRASH_CHILD"

const crashAcct = "123456789012"

func crashChild(path string) {
	ctx := context.Background()
	s, err := sqlite.Open(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(out, "ready")
	out.Flush()
	for {
		var n int
		err := s.Update(ctx, func(tx store.Tx) error {
			c, err := tx.Get(ctx, "meta", crashAcct, "counter")
			if err != nil {
				return err
			}
			n, err = strconv.Atoi(string(c.Data))
			if err != nil {
				return err
			}
			n++
			for _, part := range []string{"a", "b", "c"} {
				if err := tx.Create(ctx, store.Record{Kind: "crash", Account: crashAcct, Name: fmt.Sprintf("w%06d-%s", n, part), ID: fmt.Sprintf("id-%d-%s", n, part), Data: []byte(strings.Repeat(part, 500))}); err != nil {
					return err
				}
			}
			if n > 1 {
				// Also rewrite an earlier record, so a write is not only appends.
				if err := tx.Put(ctx, store.Record{Kind: "crash", Account: crashAcct, Name: fmt.Sprintf("w%06d-a", n-1), ID: fmt.Sprintf("id-%d-a", n-1), Data: []byte(fmt.Sprintf("rewritten by %d", n))}); err != nil {
					return err
				}
			}
			c.Data = []byte(strconv.Itoa(n))
			return tx.Put(ctx, c)
		})
		if err != nil {
			fmt.Fprintln(out, "error", err)
			out.Flush()
			os.Exit(2)
		}
		fmt.Fprintln(out, "ack", n)
		out.Flush()
	}
}

func TestCrashSafety(t *testing.T) {
	if p := os.Getenv(crashEnv); p != "" {
		crashChild(p)
		return
	}
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "crash.db")
	{
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Create(ctx, store.Record{Kind: "meta", Account: crashAcct, Name: "counter", Data: []byte("0")})
		}); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	acked := 0
	for round := 0; round < 6; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashSafety$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		// Let it write for a random while (at least one ack), then kill.
		killAt := time.After(time.Duration(100+rand.IntN(400)) * time.Millisecond)
		roundAcks := 0
		killed := false
	read:
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					break read
				}
				switch {
				case l == "ready":
				case strings.HasPrefix(l, "ack "):
					n, _ := strconv.Atoi(strings.TrimPrefix(l, "ack "))
					if n != acked+1 {
						t.Fatalf("child acked %d after %d", n, acked)
					}
					acked = n
					roundAcks++
				case strings.HasPrefix(l, "PASS"), strings.HasPrefix(l, "ok"), l == "":
				default:
					t.Fatalf("child: %s", l)
				}
			case <-killAt:
				if roundAcks == 0 {
					killAt = time.After(50 * time.Millisecond)
					continue
				}
				if !killed {
					cmd.Process.Signal(syscall.SIGKILL)
					killed = true
				}
			}
		}
		cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited on its own", round)
		}
		// Verify with a plain SQLite connection and through the store.
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		var counter int
		var crash []store.Record
		err = s.View(ctx, func(tx store.Reader) error {
			c, err := tx.Get(ctx, "meta", crashAcct, "counter")
			if err != nil {
				return err
			}
			counter, _ = strconv.Atoi(string(c.Data))
			crash, err = tx.List(ctx, store.Filter{Kind: "crash", Account: crashAcct})
			return err
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if counter < acked {
			t.Fatalf("round %d: acknowledged write %d lost (counter %d)", round, acked, counter)
		}
		if counter > acked+1 {
			t.Fatalf("round %d: counter %d ahead of the last ack %d by more than the in-flight write", round, counter, acked)
		}
		if len(crash) != 3*counter {
			t.Fatalf("round %d: %d crash records for %d complete writes: a write is half-made", round, len(crash), counter)
		}
		for i, r := range crash {
			n, part := i/3+1, string("abc"[i%3])
			if want := fmt.Sprintf("w%06d-%s", n, part); r.Name != want {
				t.Fatalf("round %d: record %d is %s, want %s", round, i, r.Name, want)
			}
			wantData := strings.Repeat(part, 500)
			if part == "a" && n < counter {
				wantData = fmt.Sprintf("rewritten by %d", n+1)
			}
			if string(r.Data) != wantData {
				t.Fatalf("round %d: %s data = %.40q", round, r.Name, r.Data)
			}
		}
		last, err := s.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// 1 for the counter's create, then per write n: 3 creates, a put of
		// the previous record (n > 1) and the counter put.
		want := int64(1)
		if counter > 0 {
			want += int64(5*counter - 1)
		}
		if last != want {
			t.Fatalf("round %d: LastSeq %d, want %d for %d writes", round, last, want, counter)
		}
		s.Close()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		var ok string
		if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Fatalf("round %d: integrity_check = %q, %v", round, ok, err)
		}
		db.Close()
		acked = counter
		t.Logf("round %d: killed after %d acks this round, %d writes total", round, roundAcks, counter)
	}
}

func BenchmarkGet(b *testing.B) {
	storetest.BenchGet(b, openAt(b, filepath.Join(b.TempDir(), "bench.db")))
}

func BenchmarkUpdate(b *testing.B) {
	storetest.BenchUpdate(b, openAt(b, filepath.Join(b.TempDir(), "bench.db")))
}

// BenchmarkAppendEvents is the audit trail's write: batches of 200
// CloudTrail-sized (1.8 KB) events, the batch a busy node commits.
func BenchmarkAppendEvents(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "bench.db"))
	data := []byte(`{"event":"` + strings.Repeat("x", 1800) + `"}`)
	batch := make([]store.Event, 200)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range batch {
			batch[j] = store.Event{Account: "111111111111", Time: time.Unix(0, int64(i*len(batch)+j)), ID: fmt.Sprintf("e%d-%d", i, j), Data: data}
		}
		if err := s.AppendEvents(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "events/s")
}
