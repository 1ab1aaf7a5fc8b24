package cli

// Configuration of hatrack serve: every flag can also come from the
// environment (HATRACK_<FLAG>, dashes as underscores) or from a YAML file
// (--config FILE / HATRACK_CONFIG) whose keys are the flag names. A value
// given on the command line wins over the environment, which wins over the
// file, which wins over the default. Everything is validated before the
// server starts, and every problem is reported at once.

import (
	"bytes"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// envExceptions are flags whose variable does not follow HATRACK_<FLAG>.
var envExceptions = map[string]string{
	"keyring": "HATRACK_KEYRING_FILE", // HATRACK_KEYRING holds the keyring itself
}

// envName is the environment variable of a flag.
func envName(flagName string) string {
	if e, ok := envExceptions[flagName]; ok {
		return e
	}
	return "HATRACK_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// durationValue is a flag.Value for durations that also accepts days
// ("90d", "1d12h").
type durationValue struct{ d time.Duration }

func (v *durationValue) String() string {
	if v == nil || v.d == 0 {
		return "0"
	}
	if v.d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(v.d/(24*time.Hour)), 10) + "d"
	}
	return v.d.String()
}

func (v *durationValue) Set(s string) error {
	d, err := parseDays(s)
	if err != nil {
		return err
	}
	v.d = d
	return nil
}

// parseDays parses a Go duration with an optional leading day count:
// "90d", "1d12h", "36h", "0".
func parseDays(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		n, err := strconv.ParseUint(s[:i], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (use 90d, 36h, 15m)", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q (use 90d, 36h, 15m)", s)
	}
	return days + d, nil
}

// opsFlags are the serve flags of operations: the config file, the audit
// trail, TLS and metrics.
type opsFlags struct {
	config         string
	auditLog       string
	auditRetention durationValue
	tlsCert        string
	tlsKey         string
	metrics        bool
	// cert is the loaded certificate (set by settle when TLS is on).
	cert *certReloader
}

// addOpsFlags defines them. Their defaults are static: settle applies the
// environment and the config file.
func addOpsFlags(fs *flag.FlagSet) *opsFlags {
	o := &opsFlags{auditRetention: durationValue{90 * 24 * time.Hour}}
	fs.StringVar(&o.config, "config", "", "YAML file with serve settings, keys named like the flags (HATRACK_CONFIG)")
	fs.StringVar(&o.auditLog, "audit-log", "", "also write audit events as JSON lines to FILE, or - for stdout (HATRACK_AUDIT_LOG)")
	fs.Var(&o.auditRetention, "audit-retention", "keep audit events this long, e.g. 90d, 36h; 0 keeps them forever (HATRACK_AUDIT_RETENTION)")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate (chain) file; needs --tls-key (HATRACK_TLS_CERT)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "PEM private key file of --tls-cert (HATRACK_TLS_KEY)")
	fs.BoolVar(&o.metrics, "metrics", true, "serve Prometheus metrics on GET /metrics (HATRACK_METRICS)")
	return o
}

// configEntry is one key of the config file.
type configEntry struct {
	value string
	line  int
}

// loadConfigFile reads a flat YAML mapping of scalars. Structural problems
// are returned as problems (all of them), not as a single error.
func loadConfigFile(path string) (map[string]configEntry, []string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, []string{fmt.Sprintf("config file: %v", err)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, []string{fmt.Sprintf("%s: %v", path, err)}
	}
	out := map[string]configEntry{}
	if len(doc.Content) == 0 {
		return out, nil // empty file
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, []string{fmt.Sprintf("%s:%d: the config file must be a mapping of setting: value", path, root.Line)}
	}
	var problems []string
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := strings.ReplaceAll(k.Value, "_", "-")
		if prev, dup := out[name]; dup {
			problems = append(problems, fmt.Sprintf("%s:%d: %q is set twice (first on line %d)", path, k.Line, k.Value, prev.line))
			continue
		}
		if v.Kind != yaml.ScalarNode {
			problems = append(problems, fmt.Sprintf("%s:%d: %s: must be a single value, not a list or mapping", path, v.Line, k.Value))
			continue
		}
		val := v.Value
		if v.Tag == "!!null" {
			val = ""
		}
		out[name] = configEntry{value: val, line: k.Line}
	}
	return out, problems
}

// settle gives every flag not set on the command line its value from the
// environment or the config file, validates the result and prints every
// problem at once. It returns false when there were problems.
func settle(fs *flag.FlagSet, o *opsFlags, stderr io.Writer) bool {
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	source := map[string]string{}
	var problems []string

	// The config file's own location: flag, then environment.
	cfgPath := o.config
	if !onCommandLine["config"] {
		if v := os.Getenv("HATRACK_CONFIG"); v != "" {
			cfgPath, o.config = v, v
		}
	}
	var file map[string]configEntry
	if cfgPath != "" {
		var ps []string
		file, ps = loadConfigFile(cfgPath)
		problems = append(problems, ps...)
	}
	// Unknown keys of the file, in line order.
	var unknown []configEntry
	for name, e := range file {
		if name == "config" {
			problems = append(problems, fmt.Sprintf("%s:%d: config: a config file cannot name another config file", cfgPath, e.line))
		} else if fs.Lookup(name) == nil {
			unknown = append(unknown, configEntry{value: name, line: e.line})
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].line < unknown[j].line })
	for _, u := range unknown {
		problems = append(problems, fmt.Sprintf("%s:%d: unknown setting %q%s", cfgPath, u.line, u.value, suggest(fs, u.value)))
	}

	fs.VisitAll(func(f *flag.Flag) {
		if f.Name == "config" {
			return
		}
		if onCommandLine[f.Name] {
			source[f.Name] = "--" + f.Name
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok && v != "" {
			source[f.Name] = envName(f.Name)
			if err := fs.Set(f.Name, v); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s", source[f.Name], setErr(f, v, err)))
			}
			return
		}
		if e, ok := file[f.Name]; ok {
			source[f.Name] = fmt.Sprintf("%s:%d: %s", cfgPath, e.line, f.Name)
			if err := fs.Set(f.Name, e.value); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s", source[f.Name], setErr(f, e.value, err)))
			}
		}
	})
	problems = append(problems, validateServe(fs, o, source)...)
	if len(problems) == 0 {
		return true
	}
	noun := "problems"
	if len(problems) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(stderr, "hatrack serve: %d configuration %s:\n", len(problems), noun)
	for _, p := range problems {
		fmt.Fprintln(stderr, "  -", p)
	}
	return false
}

// setErr words a value the flag refused (the flag package says only
// "parse error" for booleans and numbers).
func setErr(f *flag.Flag, value string, err error) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return fmt.Sprintf("invalid value %q: want true or false", value)
	}
	if err.Error() == "parse error" || errors.Is(err, strconv.ErrSyntax) {
		return fmt.Sprintf("invalid value %q", value)
	}
	return err.Error()
}

// suggest names a flag close to an unknown key.
func suggest(fs *flag.FlagSet, key string) string {
	best, bestD := "", 3 // at most 2 edits away
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(key, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// validateServe checks the meaning of the settled values.
func validateServe(fs *flag.FlagSet, o *opsFlags, source map[string]string) []string {
	var problems []string
	where := func(name string) string {
		if s, ok := source[name]; ok {
			return s
		}
		return "--" + name + " (default)"
	}
	value := func(name string) (string, bool) {
		f := fs.Lookup(name)
		if f == nil {
			return "", false
		}
		return f.Value.String(), true
	}
	if addr, ok := value("addr"); ok {
		if err := checkAddr(addr); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where("addr"), err))
		}
	}
	if lvl, ok := value("log-level"); ok {
		if _, err := parseLevel(lvl); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where("log-level"), err))
		}
	}
	if f, ok := value("log-format"); ok && f != "json" && f != "text" {
		problems = append(problems, fmt.Sprintf("%s: unknown log format %q (json, text)", where("log-format"), f))
	}
	if dsn, ok := value("store"); ok && dsn != "" && !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		scheme, _, _ := strings.Cut(dsn, "://")
		if len(scheme) > 20 || scheme == dsn {
			scheme = "(none)"
		}
		problems = append(problems, fmt.Sprintf("%s: unsupported store scheme %s (want postgres://…)", where("store"), scheme))
	}
	if o.auditLog != "" && o.auditLog != "-" {
		if st, err := os.Stat(filepath.Dir(o.auditLog)); err != nil || !st.IsDir() {
			problems = append(problems, fmt.Sprintf("%s: the directory of %s does not exist", where("audit-log"), o.auditLog))
		}
	}
	switch {
	case (o.tlsCert == "") != (o.tlsKey == ""):
		if o.tlsCert == "" {
			problems = append(problems, fmt.Sprintf("%s: --tls-key needs --tls-cert (both, or neither)", where("tls-key")))
		} else {
			problems = append(problems, fmt.Sprintf("%s: --tls-cert needs --tls-key (both, or neither)", where("tls-cert")))
		}
	case o.tlsCert != "":
		r, err := newCertReloader(o.tlsCert, o.tlsKey)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", where("tls-cert"), err))
		} else {
			o.cert = r
		}
	}
	return problems
}

func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("invalid listen address %q: want HOST:PORT", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("invalid port %q in listen address %q", port, addr)
	}
	if host != "" && net.ParseIP(host) == nil && strings.ContainsAny(host, " /\\") {
		return fmt.Errorf("invalid host %q in listen address %q", host, addr)
	}
	return nil
}

// certReloader serves the certificate and picks up a renewed one (same
// paths, new contents) without a restart: on a handshake, at most every
// 10 seconds, it checks the files' modification times.
type certReloader struct {
	certPath, keyPath string
	mu                sync.Mutex
	cert              *tls.Certificate
	stamp             string
	checked           time.Time
	log               *slog.Logger
}

func newCertReloader(certPath, keyPath string) (*certReloader, error) {
	r := &certReloader{certPath: certPath, keyPath: keyPath}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) fileStamp() string {
	var b bytes.Buffer
	for _, p := range []string{r.certPath, r.keyPath} {
		if st, err := os.Stat(p); err == nil {
			fmt.Fprintf(&b, "%d/%d;", st.ModTime().UnixNano(), st.Size())
		}
	}
	return b.String()
}

func (r *certReloader) load() error {
	stamp := r.fileStamp()
	c, err := tls.LoadX509KeyPair(r.certPath, r.keyPath)
	if err != nil {
		// Never echo key material: the error of LoadX509KeyPair names
		// the problem, not the contents.
		return fmt.Errorf("cannot load the TLS certificate and key: %v", err)
	}
	r.cert, r.stamp, r.checked = &c, stamp, time.Now()
	return nil
}

func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if time.Since(r.checked) > 10*time.Second {
		r.checked = time.Now()
		if r.fileStamp() != r.stamp {
			if err := r.load(); err != nil && r.log != nil {
				r.log.Warn("TLS certificate changed but cannot be loaded; keeping the previous one", "err", err)
			} else if r.log != nil {
				r.log.Info("TLS certificate reloaded", "cert", r.certPath)
			}
		}
	}
	return r.cert, nil
}

// listen wraps the listener in TLS when a certificate is configured and
// returns the URL scheme served.
func (o *opsFlags) listen(ln net.Listener, log *slog.Logger) (net.Listener, string) {
	if o.cert == nil {
		return ln, "http"
	}
	o.cert.log = log
	cfg := &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: o.cert.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1"},
	}
	return tls.NewListener(ln, cfg), "https"
}
