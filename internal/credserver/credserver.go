package credserver

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Credentials are temporary credentials as the endpoints hand them out.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
	// Issued is when the credentials were obtained.
	Issued time.Time
}

// Source obtains fresh credentials (an AssumeRole call, a Roles Anywhere
// session, …).
type Source func(ctx context.Context) (Credentials, error)

// Cache holds the current credentials and refreshes them from Source
// before they expire: when less than RefreshBefore (default 15 minutes,
// capped at half the session) remains.
type Cache struct {
	Source        Source
	RefreshBefore time.Duration
	Now           func() time.Time

	mu  sync.Mutex
	cur *Credentials
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Cache) stale(cr *Credentials, now time.Time) bool {
	if cr == nil {
		return true
	}
	before := c.RefreshBefore
	if before <= 0 {
		before = 15 * time.Minute
	}
	if life := cr.Expiration.Sub(cr.Issued); life > 0 && before > life/2 {
		before = life / 2
	}
	return !now.Add(before).Before(cr.Expiration)
}

// Get returns current credentials, refreshing them when stale. If a
// refresh fails while the old credentials are still valid, they are
// returned.
func (c *Cache) Get(ctx context.Context) (Credentials, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.stale(c.cur, now) {
		return *c.cur, nil
	}
	fresh, err := c.Source(ctx)
	if err != nil {
		if c.cur != nil && now.Before(c.cur.Expiration) {
			return *c.cur, nil
		}
		return Credentials{}, err
	}
	if fresh.Issued.IsZero() {
		fresh.Issued = now
	}
	c.cur = &fresh
	return fresh, nil
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// IsLoopback reports whether addr (host:port) binds to a loopback address.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ECS serves the container-credentials protocol
// (AWS_CONTAINER_CREDENTIALS_FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN).
type ECS struct {
	Cache *Cache
	// Token is the required Authorization header value (raw, no scheme).
	Token     string
	RoleArn   string
	AccountID string
	// Path is the credentials path (default "/credentials").
	Path string
}

// Handler serves GET <Path>.
func (e *ECS) Handler() http.Handler {
	path := e.Path
	if path == "" {
		path = "/credentials"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			writeJSON(w, http.StatusNotFound, map[string]string{"code": "NotFound", "message": "Not found"})
			return
		}
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"code": "MethodNotAllowed", "message": "Only GET is allowed"})
			return
		}
		got := r.Header.Get("Authorization")
		if e.Token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(e.Token)) != 1 {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"code": "AccessDenied", "message": "Invalid or missing authorization token"})
			return
		}
		c, err := e.Cache.Get(r.Context())
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"code": "CredentialsUnavailable", "message": "Unable to obtain credentials"})
			return
		}
		out := map[string]string{"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "Token": c.SessionToken,
			"Expiration": isoTime(c.Expiration)}
		if e.RoleArn != "" {
			out["RoleArn"] = e.RoleArn
		}
		if e.AccountID != "" {
			out["AccountId"] = e.AccountID
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// IMDS serves the EC2 instance-metadata credential paths, IMDSv2 only
// (a session token from PUT /latest/api/token is required).
type IMDS struct {
	Cache              *Cache
	RoleName           string
	AccountID          string
	InstanceProfileArn string
	InstanceProfileID  string
	InstanceID         string
	Now                func() time.Time

	mu     sync.Mutex
	tokens map[string]time.Time
}

const maxTokens = 10000

func (m *IMDS) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *IMDS) issue(ttl time.Duration) string {
	b := make([]byte, 32)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens = make(map[string]time.Time)
	}
	now := m.now()
	if len(m.tokens) >= maxTokens {
		for k, exp := range m.tokens {
			if !now.Before(exp) {
				delete(m.tokens, k)
			}
		}
		if len(m.tokens) >= maxTokens {
			for k := range m.tokens {
				delete(m.tokens, k)
				break
			}
		}
	}
	m.tokens[tok] = now.Add(ttl)
	return tok
}

func (m *IMDS) valid(tok string) bool {
	if tok == "" {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	exp, ok := m.tokens[tok]
	if ok && !m.now().Before(exp) {
		delete(m.tokens, tok)
		return false
	}
	return ok
}

// Handler serves the metadata paths.
func (m *IMDS) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/latest/api/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.Header.Get("X-Forwarded-For") != "" {
			http.Error(w, "Forbidden", http.StatusBadRequest)
			return
		}
		v := r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 21600 {
			http.Error(w, "Bad Request", http.StatusBadRequest)
			return
		}
		tok := m.issue(time.Duration(n) * time.Second)
		w.Header().Set("X-aws-ec2-metadata-token-ttl-seconds", strconv.Itoa(n))
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(tok))
	})
	guard := func(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
				return
			}
			if !m.valid(r.Header.Get("X-aws-ec2-metadata-token")) {
				http.Error(w, "Unauthorized", http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	creds := func(extended bool) func(w http.ResponseWriter, r *http.Request) {
		base := "/latest/meta-data/iam/security-credentials/"
		if extended {
			base = "/latest/meta-data/iam/security-credentials-extended/"
		}
		return func(w http.ResponseWriter, r *http.Request) {
			rest := strings.TrimPrefix(r.URL.Path, base)
			if rest == "" {
				w.Header().Set("Content-Type", "text/plain")
				w.Write([]byte(m.RoleName))
				return
			}
			if rest != m.RoleName {
				http.NotFound(w, r)
				return
			}
			c, err := m.Cache.Get(r.Context())
			if err != nil {
				writeJSON(w, http.StatusOK, map[string]string{"Code": "AssumeRoleUnauthorizedAccess",
					"Message": "Unable to obtain credentials for the instance profile's role", "LastUpdated": isoTime(m.now())})
				return
			}
			out := map[string]string{"Code": "Success", "LastUpdated": isoTime(c.Issued), "Type": "AWS-HMAC",
				"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "Token": c.SessionToken,
				"Expiration": isoTime(c.Expiration)}
			if extended && m.AccountID != "" {
				out["AccountId"] = m.AccountID
			}
			writeJSON(w, http.StatusOK, out)
		}
	}
	mux.HandleFunc("/latest/meta-data/iam/security-credentials/", guard(creds(false)))
	mux.HandleFunc("/latest/meta-data/iam/security-credentials-extended/", guard(creds(true)))
	mux.HandleFunc("/latest/meta-data/iam/info", guard(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"Code": "Success", "LastUpdated": isoTime(m.now()),
			"InstanceProfileArn": m.InstanceProfileArn, "InstanceProfileId": m.InstanceProfileID})
	}))
	mux.HandleFunc("/latest/meta-data/instance-id", guard(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(m.InstanceID))
	}))
	return mux
}

// NewToken returns a random bearer token for the container endpoint.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
