package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Version is set at build time (-ldflags "-X …cli.Version=…").
var Version = "dev"

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "serve IAM, STS, Organizations, the console, health and metrics on one port", runServe},
		{"policy", "validate policy documents and evaluate requests offline", runPolicy},
		{"apply", "make a server match a setup file (plan first; --dry-run, --prune)", runApply},
		{"export", "write a server's organization and IAM state as a setup file", runExport},
		{"account", "create and list the organization's accounts, make root keys (on the store directly)", runAccount},
		{"migrate", "apply schema migrations to the store (--data DIR or --store DSN) and print the version", runMigrate},
		{"backup", "write an online, consistent copy of the embedded store (--data DIR --out FILE)", runBackup},
		{"restore", "put a backup in place of the embedded store, server stopped (--data DIR --from FILE)", runRestore},
		{"keyring", "show the keyring as HATRACK_KEYRING for several nodes, or rotate it", runKeyring},
		{"audit", "print the audit trail (CloudTrail records) as JSON lines, with filters", runAudit},
		{"credentials", "role credentials for programs: credential_process JSON, serve-imds, serve-ecs (also via Roles Anywhere)", runCredentials},
		{"exec", "run a command with only a role session's credentials (--role-arn ARN -- COMMAND)", runExec},
		{"version", "print the version", func(_ []string, out, _ io.Writer) int { fmt.Fprintln(out, "hatrack", Version); return 0 }},
	}
}

// Main runs the command line and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "hatrack: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hatrack COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
}

// env returns the HATRACK_* variable's value or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// defaultDataDir is where a newcomer's data lives when --data is not given:
// $XDG_DATA_HOME/hatrack, else ~/.local/share/hatrack, else ./hatrack-data.
func defaultDataDir() string {
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "hatrack")
	}
	if h, err := os.UserHomeDir(); err == nil && h != "" {
		return filepath.Join(h, ".local", "share", "hatrack")
	}
	return "hatrack-data"
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("hatrack "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func parseLevel(s string) (lvl int, err error) {
	switch strings.ToLower(s) {
	case "debug":
		return -4, nil
	case "info", "":
		return 0, nil
	case "warn", "warning":
		return 4, nil
	case "error":
		return 8, nil
	}
	return 0, fmt.Errorf("unknown log level %q (debug, info, warn, error)", s)
}
