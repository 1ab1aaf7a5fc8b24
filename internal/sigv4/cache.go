package sigv4

import (
	"crypto/subtle"
	"strings"
	"sync"
)

// DefaultKeyCacheSize is the capacity NewKeyCache uses for size <= 0.
const DefaultKeyCacheSize = 4096

// KeyCache caches derived signing keys per access key id, date, region and
// service. It is safe for concurrent use and bounded: when full, inserting
// evicts an arbitrary entry (keys expire daily, so stale entries are the
// usual victims in steady state). A nil *KeyCache disables caching.
//
// Entries are filled only by Verify from the server-side secret, and an entry
// is used only when the secret passed to Verify equals (constant-time) the
// one it was derived from, so a changed secret never verifies with a stale
// key.
type KeyCache struct {
	mu  sync.RWMutex
	max int
	m   map[cacheKey]cacheEntry
}

type cacheKey struct{ akid, date, region, service string }

type cacheEntry struct {
	key    [32]byte
	secret []byte
}

// NewKeyCache returns a cache holding at most size keys.
func NewKeyCache(size int) *KeyCache {
	if size <= 0 {
		size = DefaultKeyCacheSize
	}
	return &KeyCache{max: size, m: make(map[cacheKey]cacheEntry)}
}

// Len returns the number of cached keys.
func (c *KeyCache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

func (c *KeyCache) get(k cacheKey, secret []byte) ([32]byte, bool) {
	if c == nil {
		return [32]byte{}, false
	}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || subtle.ConstantTimeCompare(e.secret, secret) != 1 {
		return [32]byte{}, false
	}
	return e.key, true
}

func (c *KeyCache) put(k cacheKey, secret []byte, key [32]byte) {
	if c == nil {
		return
	}
	k = cacheKey{strings.Clone(k.akid), strings.Clone(k.date), strings.Clone(k.region), strings.Clone(k.service)}
	e := cacheEntry{key: key, secret: append([]byte(nil), secret...)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for victim := range c.m {
			delete(c.m, victim)
			break
		}
	}
	c.m[k] = e
}
