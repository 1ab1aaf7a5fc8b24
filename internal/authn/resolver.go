package authn

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/store"
)

// Credential is what a resolved access key proves.
type Credential struct {
	Secret []byte
	Caller *Caller
}

// Resolver resolves access keys. It is safe for concurrent use.
type Resolver struct {
	iam        *iam.Service
	sessions   *keyring.Keyring
	deployment string
	now        func() time.Time

	mu    sync.RWMutex
	cache map[string]*longTerm // access key id → resolved long-term key
	// gen counts invalidations: a load that raced with one is used for
	// its own request but not cached, so a stale status never sticks.
	gen uint64

	usesMu sync.Mutex
	uses   map[string]iam.KeyUse
}

type longTerm struct {
	account string
	status  string
	cred    Credential
}

// NewResolver returns a resolver. sessions is the keyring that seals
// session tokens; deployment names this deployment (tokens minted by
// another deployment are refused).
func NewResolver(svc *iam.Service, sessions *keyring.Keyring, deployment string, now func() time.Time) *Resolver {
	if now == nil {
		now = time.Now
	}
	return &Resolver{iam: svc, sessions: sessions, deployment: deployment, now: now,
		cache: make(map[string]*longTerm), uses: make(map[string]iam.KeyUse)}
}

// Resolve returns the secret and the caller of an access key id.
// Unknown, inactive or malformed credentials are InvalidClientTokenId;
// expired sessions are ExpiredToken.
func (r *Resolver) Resolve(ctx context.Context, accessKeyID, sessionToken string) (*Credential, error) {
	if strings.HasPrefix(accessKeyID, "ASIA") {
		return r.resolveSession(accessKeyID, sessionToken)
	}
	r.mu.RLock()
	lt, gen := r.cache[accessKeyID], r.gen
	r.mu.RUnlock()
	if lt == nil {
		var err error
		lt, err = r.load(ctx, accessKeyID, gen)
		if err != nil {
			return nil, err
		}
	}
	if lt.status != iam.StatusActive {
		return nil, sigv4.ErrInvalidClientTokenId()
	}
	if sessionToken != "" {
		// A session token with a long-term key: AWS refuses the pair.
		return nil, sigv4.ErrInvalidClientTokenId()
	}
	return &lt.cred, nil
}

func (r *Resolver) load(ctx context.Context, id string, gen uint64) (*longTerm, error) {
	k, err := r.iam.AccessKeyByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, sigv4.ErrInvalidClientTokenId()
	}
	if err != nil {
		return nil, err
	}
	secret, err := k.OpenSecret(r.iam.Keyring())
	if err != nil {
		return nil, err
	}
	c := &Caller{Account: k.Account, AccessKeyID: k.ID}
	if k.IsRoot() {
		c.Type = TypeRoot
		c.ARN = iam.RootARN(k.Account)
		c.PrincipalARN = c.ARN
		c.UserID = k.Account
		c.UniqueID = k.Account
	} else {
		u, err := r.iam.UserByID(ctx, k.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return nil, sigv4.ErrInvalidClientTokenId()
		}
		if err != nil {
			return nil, err
		}
		c.Type = TypeUser
		c.ARN = u.ARN()
		c.PrincipalARN = c.ARN
		c.UserID = u.ID
		c.UniqueID = u.ID
		c.UserName = u.Name
	}
	lt := &longTerm{account: k.Account, status: k.Status, cred: Credential{Secret: secret, Caller: c}}
	r.mu.Lock()
	if r.gen == gen {
		r.cache[id] = lt
	}
	r.mu.Unlock()
	return lt, nil
}

func (r *Resolver) resolveSession(accessKeyID, tok string) (*Credential, error) {
	if tok == "" {
		return nil, sigv4.ErrInvalidClientTokenId()
	}
	cl, err := token.Open(r.sessions, accessKeyID, tok, r.deployment)
	if err != nil {
		return nil, sigv4.ErrInvalidClientTokenId()
	}
	if cl.Expired(r.now()) {
		return nil, sigv4.ErrExpiredToken()
	}
	return &Credential{Secret: []byte(cl.SecretAccessKey), Caller: SessionCaller(cl)}, nil
}

// Invalidate drops cached entries a committed change may have made stale.
func (r *Resolver) Invalidate(c store.Change) {
	switch c.Kind {
	case iam.KindAccessKey:
		r.mu.Lock()
		r.gen++
		delete(r.cache, c.Name)
		r.mu.Unlock()
	case iam.KindUser, iam.KindAccount:
		r.mu.Lock()
		r.gen++
		for id, lt := range r.cache {
			if lt.account == c.Account || c.Kind == iam.KindAccount {
				delete(r.cache, id)
			}
		}
		r.mu.Unlock()
	}
}

// Flush drops the whole cache (used when the change log was truncated or
// a follower fell too far behind).
func (r *Resolver) Flush() {
	r.mu.Lock()
	r.gen++
	r.cache = make(map[string]*longTerm)
	r.mu.Unlock()
}

// NoteUse records that a long-term key signed a request; FlushUses writes
// the latest uses to the store in one transaction.
func (r *Resolver) NoteUse(accessKeyID, service, region string) {
	r.usesMu.Lock()
	r.uses[accessKeyID] = iam.KeyUse{Date: r.now().UTC().Truncate(time.Second), Service: service, Region: region}
	r.usesMu.Unlock()
}

// FlushUses persists recorded key uses.
func (r *Resolver) FlushUses(ctx context.Context) error {
	r.usesMu.Lock()
	uses := r.uses
	r.uses = make(map[string]iam.KeyUse)
	r.usesMu.Unlock()
	if len(uses) == 0 {
		return nil
	}
	return r.iam.RecordKeyUse(ctx, uses)
}
