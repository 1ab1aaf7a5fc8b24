package authn

import (
	"context"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

func newTestResolver(t *testing.T) (*Resolver, *iam.Service, store.Store) {
	t.Helper()
	st := memory.New()
	kr := keyring.Generate()
	svc := iam.New(st, kr, time.Now)
	if _, err := svc.Bootstrap(context.Background(), iam.Deployment{ID: "dep", ManagementAccount: "111111111111"},
		iam.Account{ID: "111111111111"}, "AKIAROOTKEYFORTEST01", "root-secret-for-tests-0000000000000000001"); err != nil {
		t.Fatal(err)
	}
	return NewResolver(svc, kr, "dep", time.Now), svc, st
}

func TestResolveLongTermKeys(t *testing.T) {
	ctx := context.Background()
	r, svc, _ := newTestResolver(t)
	cred, err := r.Resolve(ctx, "AKIAROOTKEYFORTEST01", "")
	if err != nil {
		t.Fatal(err)
	}
	if cred.Caller.Type != TypeRoot || cred.Caller.ARN != "arn:aws:iam::111111111111:root" || cred.Caller.UserID != "111111111111" {
		t.Fatalf("root caller %+v", cred.Caller)
	}
	if string(cred.Secret) != "root-secret-for-tests-0000000000000000001" {
		t.Fatal("secret not opened")
	}
	if _, err := r.Resolve(ctx, "AKIAROOTKEYFORTEST01", "some-token"); !isCode(err, "InvalidClientTokenId") {
		t.Fatalf("long-term key with a session token: %v", err)
	}
	if _, err := r.Resolve(ctx, "AKIANOSUCHKEY0000000", ""); !isCode(err, "InvalidClientTokenId") {
		t.Fatalf("unknown key: %v", err)
	}
	if _, err := r.Resolve(ctx, "ASIANOSUCHKEY0000000", ""); !isCode(err, "InvalidClientTokenId") {
		t.Fatalf("session key without token: %v", err)
	}
	if _, err := r.Resolve(ctx, "ASIANOSUCHKEY0000000", "garbage"); !isCode(err, "InvalidClientTokenId") {
		t.Fatalf("garbage token: %v", err)
	}

	u, err := svc.CreateUser(ctx, "111111111111", iam.CreateUserInput{UserName: "alice", Path: "/eng/"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := svc.CreateAccessKey(ctx, "111111111111", "alice")
	if err != nil {
		t.Fatal(err)
	}
	cred, err = r.Resolve(ctx, k.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if cred.Caller.Type != TypeUser || cred.Caller.ARN != "arn:aws:iam::111111111111:user/eng/alice" || cred.Caller.UserID != u.ID || cred.Caller.UserName != "alice" {
		t.Fatalf("user caller %+v", cred.Caller)
	}
	// Deactivate: the cached entry must go on invalidation.
	if err := svc.UpdateAccessKey(ctx, "111111111111", "alice", k.ID, iam.StatusInactive); err != nil {
		t.Fatal(err)
	}
	r.Invalidate(store.Change{Kind: iam.KindAccessKey, Account: "111111111111", Name: k.ID})
	if _, err := r.Resolve(ctx, k.ID, ""); !isCode(err, "InvalidClientTokenId") {
		t.Fatalf("inactive key: %v", err)
	}
}

// A load that races with an invalidation must not be cached: the next
// request reloads and sees the newer state.
func TestResolverLoadRacingInvalidation(t *testing.T) {
	ctx := context.Background()
	r, svc, _ := newTestResolver(t)
	if _, err := svc.CreateUser(ctx, "111111111111", iam.CreateUserInput{UserName: "bob"}); err != nil {
		t.Fatal(err)
	}
	k, err := svc.CreateAccessKey(ctx, "111111111111", "bob")
	if err != nil {
		t.Fatal(err)
	}
	r.mu.RLock()
	gen := r.gen
	r.mu.RUnlock()
	// The key is deactivated and its invalidation processed while a load
	// (which read the old state) is still in flight.
	if err := svc.UpdateAccessKey(ctx, "111111111111", "bob", k.ID, iam.StatusInactive); err != nil {
		t.Fatal(err)
	}
	r.Invalidate(store.Change{Kind: iam.KindAccessKey, Account: "111111111111", Name: k.ID})
	if _, err := r.load(ctx, k.ID, gen); err != nil {
		t.Fatal(err)
	}
	r.mu.RLock()
	_, cached := r.cache[k.ID]
	r.mu.RUnlock()
	if cached {
		t.Fatal("a load that raced with an invalidation was cached")
	}
	if _, err := r.Resolve(ctx, k.ID, ""); !isCode(err, "InvalidClientTokenId") {
		t.Fatalf("inactive key after racing load: %v", err)
	}
}

func isCode(err error, code string) bool {
	e, ok := err.(*sigv4.Error)
	return ok && e.Code == code
}
