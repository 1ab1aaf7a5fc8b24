package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/orgs"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/postgres"
	"github.com/hatrack/hatrack/store/sqlite"
)

// hatrack account: the organization's accounts, on the store directly (the
// server may be running: SQLite is opened by both processes, and a running
// server picks the changes up from the change log).

const accountUsage = `usage: hatrack account SUBCOMMAND [flags]

subcommands:
  create     --name NAME --email EMAIL   create a member account (with its OrganizationAccountAccessRole)
  list                                   list the organization's accounts
  root-keys  --account ID                create a root access key for an account and print it once

common flags: --data DIR | --store postgres://…  [--keyring FILE]
`

func runAccount(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, accountUsage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	sub, args := args[0], args[1:]
	fs := newFlags("account "+sub, stderr)
	data := fs.String("data", env("HATRACK_DATA", defaultDataDir()), "data directory of the embedded store (HATRACK_DATA)")
	storeDSN := fs.String("store", env("HATRACK_STORE", ""), "shared store, postgres://… (HATRACK_STORE)")
	keyringFile := fs.String("keyring", env("HATRACK_KEYRING_FILE", ""), "keyring file (HATRACK_KEYRING_FILE); default: DATA/keyring.json")
	var name, email, role, account *string
	switch sub {
	case "create":
		name = fs.String("name", "", "account name (1-50 characters)")
		email = fs.String("email", "", "the account root user's email address")
		role = fs.String("role-name", orgs.DefaultAccessRole, "the role the management account assumes into the new account")
	case "list":
	case "root-keys":
		account = fs.String("account", "", "the account id")
	default:
		fmt.Fprintf(stderr, "hatrack account: unknown subcommand %q\n\n%s", sub, accountUsage)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hatrack account %s: unexpected arguments %q\n", sub, fs.Args())
		return 2
	}
	ctx := context.Background()
	dataDir := *data
	if *storeDSN != "" && !flagSet(fs, "data") && os.Getenv("HATRACK_DATA") == "" {
		dataDir = ""
	}
	env, err := openAccountEnv(ctx, dataDir, *storeDSN, *keyringFile)
	if err != nil {
		fmt.Fprintf(stderr, "hatrack account %s: %v\n", sub, err)
		return 1
	}
	defer env.st.Close()
	switch sub {
	case "create":
		err = accountCreate(ctx, env, stdout, *name, *email, *role)
	case "list":
		err = accountList(ctx, env, stdout)
	case "root-keys":
		err = accountRootKeys(ctx, env, stdout, *account)
	}
	if err != nil {
		fmt.Fprintf(stderr, "hatrack account %s: %v\n", sub, err)
		return 1
	}
	return 0
}

type accountEnv struct {
	st   store.Store
	iam  *iam.Service
	orgs *orgs.Service
	mgmt string
}

// openAccountEnv opens an existing deployment's store and keyring; it
// never creates either.
func openAccountEnv(ctx context.Context, dataDir, dsn, keyringFile string) (*accountEnv, error) {
	var st store.Store
	var err error
	switch {
	case dsn != "":
		if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
			return nil, errors.New("--store: unsupported store (want postgres://…)")
		}
		st, err = postgres.Open(ctx, dsn)
	case dataDir != "":
		path := filepath.Join(dataDir, "hatrack.db")
		if _, serr := os.Stat(path); serr != nil {
			return nil, fmt.Errorf("no deployment in %s (start hatrack serve once first)", dataDir)
		}
		st, err = sqlite.Open(path)
	default:
		return nil, errors.New("give --data DIR or --store DSN")
	}
	if err != nil {
		return nil, err
	}
	var kr *keyring.Keyring
	if v := os.Getenv("HATRACK_KEYRING"); v != "" {
		kr, err = keyring.FromEnv(v)
	} else {
		path := keyringFile
		if path == "" {
			if dataDir == "" {
				err = errors.New("a keyring is required: set --keyring FILE or HATRACK_KEYRING when using --store")
			}
			path = filepath.Join(dataDir, "keyring.json")
		}
		if err == nil {
			kr, err = keyring.Load(path)
		}
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	is := iam.New(st, kr, nil)
	d, err := is.LoadDeployment(ctx)
	if err != nil {
		st.Close()
		if errors.Is(err, store.ErrNotFound) {
			return nil, errors.New("the store holds no deployment yet (start hatrack serve once first)")
		}
		return nil, err
	}
	ogs := orgs.New(st, is, nil)
	if _, err := ogs.EnsureOrganization(ctx, d.ManagementAccount); err != nil {
		st.Close()
		return nil, err
	}
	return &accountEnv{st: st, iam: is, orgs: ogs, mgmt: d.ManagementAccount}, nil
}

func accountCreate(ctx context.Context, env *accountEnv, out io.Writer, name, email, role string) error {
	if name == "" || email == "" {
		return errors.New("--name and --email are required")
	}
	st, err := env.orgs.CreateAccount(ctx, env.mgmt, orgs.CreateAccountInput{AccountName: name, Email: email, RoleName: role})
	if err != nil {
		return err
	}
	if st.State != "SUCCEEDED" {
		return fmt.Errorf("account creation failed: %s", st.FailureReason)
	}
	fmt.Fprintln(out, st.AccountID)
	return nil
}

func accountList(ctx context.Context, env *accountEnv, out io.Writer) error {
	accts, err := env.orgs.ListAccounts(ctx, env.mgmt)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tEMAIL\tJOINED")
	for _, a := range accts {
		joined := a.JoinedMethod
		if a.ID == env.mgmt {
			joined = "MANAGEMENT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.ID, a.Name, a.Email, joined)
	}
	return tw.Flush()
}

func accountRootKeys(ctx context.Context, env *accountEnv, out io.Writer, account string) error {
	if account == "" {
		return errors.New("--account is required")
	}
	if _, err := env.iam.GetAccount(ctx, account); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no account %s", account)
		}
		return err
	}
	k, err := env.iam.CreateAccessKey(ctx, account, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "aws_access_key_id = %s\naws_secret_access_key = %s\n", k.ID, k.Secret)
	return nil
}
