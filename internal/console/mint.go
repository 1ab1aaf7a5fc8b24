package console

import (
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/internal/token"
)

// mint creates the console session credentials of a signed-in principal:
// a new ASIA key, a fresh secret and a sealed session token of type
// SessionToken for the principal itself (root or IAM user), valid for the
// console session's duration and marked as a console sign-in.
func (c *Console) mint(method, account, arn, id string, now time.Time) (creds, time.Time, error) {
	akid, err := ids.NewAccessKeyID(ids.PrefixTempAccessKey, account)
	if err != nil {
		return creds{}, time.Time{}, err
	}
	expires := now.Add(c.duration)
	cl := &token.Claims{
		Type:            token.SessionToken,
		AccessKeyID:     akid,
		SecretAccessKey: ids.NewSecretAccessKey(),
		Account:         account,
		PrincipalARN:    arn,
		PrincipalID:     id,
		SourceARN:       arn,
		SourceID:        id,
		IssuedAt:        now,
		Expires:         expires,
		Deployment:      c.deployment,
		Extra:           map[string]string{ExtraConsoleSignIn: method},
	}
	tok, err := token.Mint(c.keys, cl)
	if err != nil {
		return creds{}, time.Time{}, err
	}
	return creds{ID: akid, Secret: cl.SecretAccessKey, Token: tok}, expires, nil
}

func jsonUnmarshalString(s string, v any) error { return json.Unmarshal([]byte(s), v) }

// clientIP is the browser's address (the host of RemoteAddr).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Sign-in throttling: after limiterMax failures from one address within
// limiterWindow, further attempts are refused until the window passes.
const (
	limiterMax    = 10
	limiterWindow = 5 * time.Minute
	limiterSize   = 10000
)

type limiter struct {
	mu   sync.Mutex
	fail map[string]*failures
}

type failures struct {
	n     int
	since time.Time
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fail[key]
	if f == nil || now.Sub(f.since) >= limiterWindow {
		return true
	}
	return f.n < limiterMax
}

func (l *limiter) recordFailure(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail == nil {
		l.fail = make(map[string]*failures)
	}
	if len(l.fail) >= limiterSize {
		for k, f := range l.fail {
			if now.Sub(f.since) >= limiterWindow {
				delete(l.fail, k)
			}
		}
	}
	f := l.fail[key]
	if f == nil || now.Sub(f.since) >= limiterWindow {
		if len(l.fail) >= limiterSize {
			return // full of live entries: do not grow without bound
		}
		f = &failures{since: now}
		l.fail[key] = f
	}
	f.n++
}
