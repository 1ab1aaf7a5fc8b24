package iam

import (
	"context"
	"time"

	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/store"
)

// Service is the IAM domain over one store. It is safe for concurrent use.
type Service struct {
	store store.Store
	keys  *keyring.Keyring
	now   func() time.Time
}

// New returns the IAM domain. now is the clock (time.Now in production,
// injectable in tests).
func New(st store.Store, keys *keyring.Keyring, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, keys: keys, now: now}
}

// Keyring returns the keyring that seals secrets at rest.
func (s *Service) Keyring() *keyring.Keyring { return s.keys }

// listPage lists records of f (Account, Kind, Parent set by the caller)
// after the page's marker, keeping those keep accepts, and returns at most
// max of them plus the marker of the next page ("" when complete).
func listPage(ctx context.Context, r store.Reader, f store.Filter, p Page, keep func(store.Record) (bool, error)) ([]store.Record, string, error) {
	after, max, err := p.limit()
	if err != nil {
		return nil, "", err
	}
	var out []store.Record
	f.After = after
	const batch = 500
	for {
		f.Limit = batch
		recs, err := r.List(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, rec := range recs {
			ok := true
			if keep != nil {
				if ok, err = keep(rec); err != nil {
					return nil, "", err
				}
			}
			if !ok {
				continue
			}
			if len(out) == max {
				return out, marker(out[len(out)-1].Name), nil
			}
			out = append(out, rec)
		}
		if len(recs) < batch {
			return out, "", nil
		}
		f.After = recs[len(recs)-1].Name
	}
}
