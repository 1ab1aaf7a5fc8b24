package watchhub

import (
	"context"
	"testing"
	"time"
)

func recv(t *testing.T, ch <-chan struct{}) (signalled, open bool) {
	t.Helper()
	select {
	case _, ok := <-ch:
		return true, ok
	case <-time.After(2 * time.Second):
		return false, true
	}
}

func TestHub(t *testing.T) {
	h := New()
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	a := h.Add(ctx, done)
	b := h.Add(context.Background(), done)
	if h.Count() != 2 {
		t.Fatalf("Count = %d, want 2", h.Count())
	}
	// Signals coalesce: two notifies, one pending signal, never a block.
	h.Notify()
	h.Notify()
	if got, open := recv(t, a); !got || !open {
		t.Fatal("a was not signalled")
	}
	select {
	case <-a:
		t.Fatal("a got a second signal: notifies did not coalesce")
	default:
	}
	// A watcher whose context ends is closed and removed.
	cancel()
	if _, open := recv(t, a); open {
		t.Fatal("a is still open after its context ended")
	}
	for deadline := time.Now().Add(2 * time.Second); h.Count() != 1; {
		if time.Now().After(deadline) {
			t.Fatalf("Count = %d after a's context ended, want 1", h.Count())
		}
		time.Sleep(time.Millisecond)
	}
	// Close closes the others; a later Add gets a closed channel.
	h.Close()
	<-b // b's pending signal from Notify
	if _, open := recv(t, b); open {
		t.Fatal("b is still open after Close")
	}
	if _, open := recv(t, h.Add(context.Background(), done)); open {
		t.Fatal("Add after Close gave an open channel")
	}
	close(done)
}

// Poll asks only while someone watches, and signals on a change or a
// failure, not otherwise.
func TestHubPoll(t *testing.T) {
	h := New()
	done := make(chan struct{})
	answers := make(chan func() (bool, error))
	asked := make(chan struct{}, 100)
	go h.Poll(done, time.Millisecond, func(context.Context) (bool, error) {
		asked <- struct{}{}
		return (<-answers)()
	})
	defer close(done)
	time.Sleep(20 * time.Millisecond)
	if len(asked) != 0 {
		t.Fatal("Poll asked with nobody watching")
	}
	w := h.Add(context.Background(), done)
	for _, tc := range []struct {
		name   string
		answer func() (bool, error)
		signal bool
	}{
		{"no change", func() (bool, error) { return false, nil }, false},
		{"a change", func() (bool, error) { return true, nil }, true},
		{"a failure", func() (bool, error) { return false, context.DeadlineExceeded }, true},
	} {
		answers <- tc.answer
		// The next question proves the previous answer was handled.
		answers <- func() (bool, error) { return false, nil }
		select {
		case <-w:
			if !tc.signal {
				t.Fatalf("%s: signalled", tc.name)
			}
		default:
			if tc.signal {
				t.Fatalf("%s: not signalled", tc.name)
			}
		}
	}
}
