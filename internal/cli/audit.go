package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hatrack/hatrack/internal/audit"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/postgres"
	"github.com/hatrack/hatrack/store/sqlite"
)

const auditUsage = `usage: hatrack audit [--data DIR | --store DSN] [filters]

Prints the audit trail's events (CloudTrail records) as JSON lines, newest
first, account by account. It reads the store directly: run it where the
store is (the embedded store's data directory, or the shared store's DSN);
no keyring and no credentials are needed, and events hold no secrets.

filters (all must match):
`

// runAudit prints stored audit events.
func runAudit(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("audit", stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, auditUsage)
		fs.PrintDefaults()
	}
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory of the embedded store (HATRACK_DATA)")
	dsn := fs.String("store", env("HATRACK_STORE", ""), "shared store, postgres://… (HATRACK_STORE)")
	account := fs.String("account", "", "only this account's events (default: every account)")
	eventName := fs.String("event-name", "", "only this operation, e.g. AssumeRole")
	user := fs.String("user", "", "only this caller: user name, role session name or root")
	accessKey := fs.String("access-key", "", "only requests signed with this access key id")
	source := fs.String("event-source", "", "only this service, e.g. sts.amazonaws.com")
	resource := fs.String("resource", "", "only events naming this resource (user, role ARN, …)")
	errorsOnly := fs.Bool("errors", false, "only failed requests (denied, invalid, …)")
	since := fs.String("since", "", "only events at or after: RFC 3339 time, or an age like 24h, 7d")
	until := fs.String("until", "", "only events at or before: RFC 3339 time, or an age like 1h")
	limit := fs.Int("limit", 0, "print at most this many events (0: all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	now := time.Now()
	var problems []string
	start, err := parseWhen(*since, now)
	if err != nil {
		problems = append(problems, "--since: "+err.Error())
	}
	end, err := parseWhen(*until, now)
	if err != nil {
		problems = append(problems, "--until: "+err.Error())
	}
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		problems = append(problems, "--since is after --until")
	}
	if *account != "" && !validAccount(*account) {
		problems = append(problems, fmt.Sprintf("--account: %q is not a 12-digit account id", *account))
	}
	if *limit < 0 {
		problems = append(problems, "--limit must not be negative")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stderr, "hatrack audit:", p)
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := openAuditStore(ctx, *data, *dsn)
	if err != nil {
		fmt.Fprintln(stderr, "hatrack audit:", err)
		return 1
	}
	defer st.Close()

	var attrs []audit.Attr
	for _, a := range []audit.Attr{
		{Key: audit.AttrEventName, Value: *eventName}, {Key: audit.AttrUsername, Value: *user},
		{Key: audit.AttrAccessKeyID, Value: *accessKey}, {Key: audit.AttrEventSource, Value: *source},
		{Key: audit.AttrResourceName, Value: *resource},
	} {
		if a.Value != "" {
			attrs = append(attrs, a)
		}
	}
	accounts := []string{*account}
	if *account == "" {
		if accounts, err = audit.Accounts(ctx, st); err != nil {
			fmt.Fprintln(stderr, "hatrack audit:", err)
			return 1
		}
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	printed := 0
	for _, acct := range accounts {
		q := audit.Query{Account: acct, Start: start, End: end, More: attrs, Max: 500}
		for {
			page, err := audit.Lookup(ctx, st, q)
			if err != nil {
				out.Flush()
				fmt.Fprintln(stderr, "hatrack audit:", err)
				return 1
			}
			for _, e := range page.Events {
				if *errorsOnly && !hasErrorCode(e.Event) {
					continue
				}
				out.Write(e.Event)
				out.WriteByte('\n')
				printed++
				if *limit > 0 && printed >= *limit {
					return 0
				}
			}
			if page.NextToken == "" {
				break
			}
			q.Token = page.NextToken
		}
	}
	return 0
}

func hasErrorCode(event []byte) bool {
	return strings.Contains(string(event), `"errorCode":`)
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseWhen reads an RFC 3339 time or an age ("24h", "7d") before now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	d, err := parseDays(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a time (2026-08-07T13:00:00Z, 2026-08-07) nor an age (24h, 7d)", s)
	}
	return now.Add(-d), nil
}

// openAuditStore opens the store read for events: the shared store, or
// the embedded one in dataDir (which must exist and be at this binary's
// schema version: the command never migrates a store behind the server).
func openAuditStore(ctx context.Context, dataDir, dsn string) (store.Store, error) {
	if dsn != "" {
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			return nil, errors.New("--store: want postgres://…")
		}
		return postgres.Open(ctx, dsn)
	}
	path := filepath.Join(dataDir, "hatrack.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no store in %s (set --data or --store)", dataDir)
	}
	v, err := sqliteSchemaVersion(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if v != sqlite.SchemaVersion() {
		return nil, fmt.Errorf("%s is at schema version %d but this hatrack reads version %d", path, v, sqlite.SchemaVersion())
	}
	return sqlite.Open(path)
}
