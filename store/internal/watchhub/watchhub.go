package watchhub

import (
	"context"
	"sync"
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
