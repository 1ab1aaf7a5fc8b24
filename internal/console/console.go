package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/keyring"
)

//go:embed assets
var assets embed.FS

// Principal is the IAM user a password sign-in proved.
type Principal struct {
	Account string // the user's account id
	ARN     string // arn:aws:iam::<account>:user/<path><name>
	ID      string // the user's unique id (AIDA…)
}

// SignInFunc checks an IAM user's console password. account is what the
// person typed: an account id or alias. A wrong account, user or password
// must all give the same error; the console shows a fixed message, never
// the error's text.
type SignInFunc func(ctx context.Context, account, userName, password string) (Principal, error)

// Config configures the console.
type Config struct {
	// API is the handler serving the Query and JSON protocols (the
	// console sends it requests for "/").
	API http.Handler
	// Keys seals the console's cookies and mints its sign-in sessions.
	Keys *keyring.Keyring
	// Deployment is the deployment id session tokens are bound to.
	Deployment string
	// SignIn checks IAM users' passwords; nil while password sign-in is
	// not available.
	SignIn SignInFunc
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives the console's own errors (default: discarded).
	Log *slog.Logger
	// SessionDuration is the length of a sign-in session (default 12 h).
	SessionDuration time.Duration
}

// Console is the console's http.Handler.
type Console struct {
	api        http.Handler
	keys       *keyring.Keyring
	deployment string
	signIn     SignInFunc
	now        func() time.Time
	log        *slog.Logger
	duration   time.Duration
	pages      map[string]*template.Template
	limiter    limiter
	mux        *http.ServeMux
}

// New returns the console handler, to be mounted at /console/.
func New(cfg Config) *Console {
	c := &Console{api: cfg.API, keys: cfg.Keys, deployment: cfg.Deployment, signIn: cfg.SignIn,
		now: cfg.Now, log: cfg.Log, duration: cfg.SessionDuration}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.duration <= 0 {
		c.duration = 12 * time.Hour
	}
	c.pages = parseTemplates()
	c.routes()
	return c
}

func (c *Console) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "assets/static")
	m.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /console/signin", c.signInPage)
	m.HandleFunc("POST /console/signin", c.signInPost)
	m.HandleFunc("POST /console/signout", c.signOut)
	m.HandleFunc("GET /console/{$}", c.authed(c.home))
	m.HandleFunc("GET /console/switch", c.authed(c.switchPage))
	m.HandleFunc("POST /console/switch", c.authedPost(c.switchPost))
	m.HandleFunc("POST /console/switchback", c.authedPost(c.switchBack))
	m.HandleFunc("GET /console/accounts", c.authed(c.accounts))
	m.HandleFunc("GET /console/users", c.authed(c.users))
	m.HandleFunc("GET /console/users/{name}", c.authed(c.user))
	m.HandleFunc("GET /console/groups", c.authed(c.groups))
	m.HandleFunc("GET /console/groups/{name}", c.authed(c.group))
	m.HandleFunc("GET /console/roles", c.authed(c.roles))
	m.HandleFunc("GET /console/roles/{name}", c.authed(c.role))
	m.HandleFunc("GET /console/policies", c.authed(c.policies))
	m.HandleFunc("GET /console/policy", c.authed(c.policyPage))
	m.HandleFunc("GET /console/graph", c.authed(c.graph))
	m.HandleFunc("GET /console/simulate", c.authed(c.simulatePage))
	m.HandleFunc("POST /console/simulate", c.authedPost(c.simulatePost))
	m.HandleFunc("GET /console/audit", c.authed(c.audit))
	m.HandleFunc("POST /console/users/create", c.authedPost(c.createUser))
	c.mux = m
}

// ServeHTTP serves the console.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if r.URL.Path == "/console" {
		http.Redirect(w, r, "/console/", http.StatusFound)
		return
	}
	c.mux.ServeHTTP(w, r)
}

// RedirectBrowsers wraps the API handler at "/": a GET of "/" that is not
// an API request (no Action, no X-Amz-* parameter, no Authorization header)
// is redirected to the console; everything else goes to api.
func RedirectBrowsers(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/" && r.Header.Get("Authorization") == "" && !isAPIQuery(r.URL.RawQuery) {
			http.Redirect(w, r, "/console/", http.StatusFound)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// isAPIQuery reports whether a query string carries Action or any X-Amz-*
// parameter (names compared ignoring case).
func isAPIQuery(raw string) bool {
	for part := range strings.SplitSeq(raw, "&") {
		name, _, _ := strings.Cut(part, "=")
		name = strings.ToLower(name)
		if name == "action" || strings.HasPrefix(name, "x-amz-") {
			return true
		}
	}
	return false
}

// view is what every page template receives.
type view struct {
	Title    string
	Nav      string
	Session  *session
	Identity *identity
	Switched bool
	CSRF     string
	Data     any
	Err      *APIError
	Notice   string
}

type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// authed wraps a GET page: no valid session sends the browser to sign in.
func (c *Console) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := c.session(w, r)
		if !ok {
			return
		}
		c.run(w, r, s, h)
	}
}

// authedPost wraps a form handler: a session, the same origin and its CSRF
// token are required.
func (c *Console) authedPost(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
		if !sameOrigin(r) {
			http.Error(w, "cross-origin request refused", http.StatusForbidden)
			return
		}
		s, ok := c.session(w, r)
		if !ok {
			return
		}
		if err := checkSessionCSRF(r, s); err != nil {
			http.Error(w, "the form has expired or was not sent by this console; reload the page and try again", http.StatusForbidden)
			return
		}
		c.run(w, r, s, h)
	}
}

func (c *Console) run(w http.ResponseWriter, r *http.Request, s *session, h handler) {
	if err := h(w, r, s); err != nil {
		c.fail(w, r, s, err)
	}
}

// session opens the cookie; without a valid one it redirects to sign-in
// and returns false.
func (c *Console) session(w http.ResponseWriter, r *http.Request) (*session, bool) {
	var value string
	if ck, err := r.Cookie(sessionCookie); err == nil {
		value = ck.Value
	}
	s, err := openSession(c.keys, c.deployment, value, c.now())
	if err != nil {
		if !errors.Is(err, errNoSession) {
			clearCookie(w, r, sessionCookie)
		}
		target := "/console/signin"
		if errors.Is(err, errExpired) {
			target += "?expired=1"
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return nil, false
	}
	return s, true
}

// saveSession writes s back to the cookie.
func (c *Console) saveSession(w http.ResponseWriter, r *http.Request, s *session) error {
	v, err := sealSession(c.keys, c.deployment, s)
	if err != nil {
		return err
	}
	setSessionCookie(w, r, v, s.Expires)
	return nil
}

// fail renders an error page: an API error with its code and exact
// message, anything else as an internal error (details logged only).
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	var ae *APIError
	if !errors.As(err, &ae) {
		c.log.Error("console", "path", r.URL.Path, "err", err)
		ae = &APIError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "The console could not complete the request."}
	}
	status := ae.Status
	if status < 400 {
		status = http.StatusInternalServerError
	}
	c.render(w, r, s, status, "error", "Error", "", ae)
}

// render executes a page template inside the layout.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page, title, nav string, data any) {
	v := view{Title: title, Nav: nav, Session: s, Data: data}
	if s != nil {
		v.Identity = s.current()
		v.Switched = s.Role != nil
		v.CSRF = s.CSRF
	}
	if ae, ok := data.(*APIError); ok {
		v.Err = ae
	}
	t := c.pages[page]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		c.log.Error("console: rendering", "page", page, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// parseTemplates parses the layout with each page.
func parseTemplates() map[string]*template.Template {
	layout := template.Must(template.New("layout").Funcs(funcs).ParseFS(assets, "assets/layout.html"))
	names, err := fs.Glob(assets, "assets/pages/*.html")
	if err != nil {
		panic(err)
	}
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		t := template.Must(template.Must(layout.Clone()).ParseFS(assets, n))
		base := n[strings.LastIndexByte(n, '/')+1 : len(n)-len(".html")]
		out[base] = t
	}
	return out
}

var funcs = template.FuncMap{
	"ts": func(s string) string {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return s
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"time":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"scopes": func() []string { return []string{"Local", "AWS", "All"} },
	"lastSeg": func(arn string) string {
		if i := strings.LastIndexByte(arn, '/'); i >= 0 {
			return arn[i+1:]
		}
		return arn
	},
}
