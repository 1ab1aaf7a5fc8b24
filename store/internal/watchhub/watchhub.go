package watchhub

import (
	"context"
	"sync"
	"time"
)

// Hub fans commit notifications out to Watch channels.
type Hub struct {
	mu     sync.Mutex
	subs   map[chan struct{}]struct{}
	closed bool
}

// New returns an open hub.
func New() *Hub { return &Hub{subs: map[chan struct{}]struct{}{}} }

// Add registers a watcher that lives until ctx ends or the hub closes.
func (h *Hub) Add(ctx context.Context, done <-chan struct{}) <-chan struct{} {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		close(ch)
		return ch
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		h.remove(ch)
	}()
	return ch
}

func (h *Hub) remove(ch chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[ch]; ok {
		delete(h.subs, ch)
		close(ch)
	}
}

// Notify signals every watcher.
func (h *Hub) Notify() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Count is the number of live watchers.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Close closes every watcher channel; later Add calls get a closed
// channel.
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for ch := range h.subs {
		delete(h.subs, ch)
		close(ch)
	}
}

// Poll asks changed every interval while anyone watches, until done
// closes, and signals the watchers when it reports a change — or fails:
// an unknown state wakes them, and they ask again. Each call has 5
// seconds.
func (h *Hub) Poll(done <-chan struct{}, interval time.Duration, changed func(context.Context) (bool, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		if h.Count() == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		ok, err := changed(ctx)
		cancel()
		if err != nil || ok {
			h.Notify()
		}
	}
}
