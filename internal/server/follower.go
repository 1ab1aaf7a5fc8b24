package server

import (
	"context"
	"sync"
	"time"

	"github.com/hatrack/hatrack/store"
)

// follower tails the store's change log and tells the caches what changed.
// CatchUp runs synchronously after local writes (read-your-writes on this
// node); Run wakes on the store's Watch for writes made by other nodes.
type follower struct {
	st   store.Store
	mu   sync.Mutex
	seq  int64
	subs []func(store.Change)
	// flush is called instead of per-change invalidation when the log
	// cannot be replayed (a gap): caches start over.
	flush []func()
}

func newFollower(ctx context.Context, st store.Store) (*follower, error) {
	seq, err := st.LastSeq(ctx)
	if err != nil {
		return nil, err
	}
	return &follower{st: st, seq: seq}, nil
}

func (f *follower) subscribe(fn func(store.Change), flush func()) {
	f.subs = append(f.subs, fn)
	f.flush = append(f.flush, flush)
}

// CatchUp applies every committed change not yet seen.
func (f *follower) CatchUp(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		changes, err := f.st.Changes(ctx, f.seq, 1000)
		if err != nil {
			return err
		}
		for _, c := range changes {
			for _, fn := range f.subs {
				fn(c)
			}
			f.seq = c.Seq
		}
		if len(changes) < 1000 {
			return nil
		}
	}
}

// Run follows changes until ctx ends.
func (f *follower) Run(ctx context.Context, log func(error)) {
	wake := f.st.Watch(ctx)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-wake:
			if !ok {
				return
			}
		case <-tick.C:
		}
		if err := f.CatchUp(ctx); err != nil && ctx.Err() == nil {
			log(err)
		}
	}
}
