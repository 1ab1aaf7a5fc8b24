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
