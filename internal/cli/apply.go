package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hatrack/hatrack/internal/setup"
)

// clientFlags are the flags apply and export share: where the server is
// and whose credentials to use.
type clientFlags struct {
	endpoint, profile, region, accessRole *string
}

func addClientFlags(fs *flag.FlagSet) clientFlags {
	return clientFlags{
		endpoint:   fs.String("endpoint", env("HATRACK_ENDPOINT", "http://127.0.0.1:8080"), "server URL (HATRACK_ENDPOINT)"),
		profile:    fs.String("profile", os.Getenv("AWS_PROFILE"), "AWS profile for credentials (default: the usual AWS environment and files)"),
		region:     fs.String("region", "", "region to sign with (default: AWS_REGION, the profile's, else us-east-1)"),
		accessRole: fs.String("access-role", setup.DefaultAccessRole, "role assumed in member accounts"),
	}
}

// connect builds the API clients: the caller's credentials for the
// management account, sts:AssumeRole for member accounts.
func (f clientFlags) connect(ctx context.Context) (*setup.Conn, error) {
	var opts []func(*config.LoadOptions) error
	if *f.profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(*f.profile))
	}
	if *f.region != "" {
		opts = append(opts, config.WithRegion(*f.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	cfg.BaseEndpoint = aws.String(*f.endpoint)
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, fmt.Errorf("no AWS credentials (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or --profile): %w", err)
	}
	stsc := sts.NewFromConfig(cfg)
	role := *f.accessRole
	return &setup.Conn{
		IAM: iam.NewFromConfig(cfg), Orgs: organizations.NewFromConfig(cfg), STS: stsc, AccessRole: role,
		Member: func(ctx context.Context, account string) (setup.IAM, error) {
			out, err := stsc.AssumeRole(ctx, &sts.AssumeRoleInput{
				RoleArn:         aws.String("arn:aws:iam::" + account + ":role/" + role),
				RoleSessionName: aws.String("hatrack-setup"),
			})
			if err != nil {
				return nil, err
			}
			c := out.Credentials
			mcfg := cfg.Copy()
			mcfg.Credentials = aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(
				aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)))
			return iam.NewFromConfig(mcfg), nil
		},
	}, nil
}

func runApply(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("apply", stderr)
	file := fs.String("f", "", "setup file (YAML) to apply (required)")
	dryRun := fs.Bool("dry-run", false, "print the plan and change nothing")
	prune := fs.Bool("prune", false, "delete what the file does not mention (default: report it as unmanaged); accounts are never closed")
	cf := addClientFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hatrack apply -f setup.yaml [--dry-run] [--prune] [--endpoint URL] [--profile NAME]\n\nMakes a server match a setup file: prints the plan, then applies it.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	want, err := setup.ParseFile(*file)
	if err != nil {
		var pe setup.ParseErrors
		if errors.As(err, &pe) {
			for _, e := range pe {
				fmt.Fprintf(stderr, "%s:%s\n", *file, lineMsg(e))
			}
			fmt.Fprintf(stderr, "hatrack apply: %d problem(s) in %s; nothing was changed\n", len(pe), *file)
			return 2
		}
		fmt.Fprintln(stderr, "hatrack apply:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	conn, err := cf.connect(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "hatrack apply:", err)
		return 1
	}
	members := map[string]bool{}
	needOrg, mgmt := want.Organization != nil, false
	for _, a := range want.Accounts {
		if a.Management {
			mgmt = true
		} else {
			members[a.Name], needOrg = true, true
		}
	}
	have, err := setup.Read(ctx, conn, setup.ReadOptions{
		Organization: needOrg, Management: mgmt, Members: func(n string) bool { return members[n] },
	})
	if err != nil {
		fmt.Fprintln(stderr, "hatrack apply: reading the server:", err)
		return 1
	}
	plan := setup.Diff(want, have, setup.Options{Prune: *prune, AccessRole: *cf.accessRole})
	printPlan(stdout, plan, *cf.endpoint, have.ManagementID, *prune)
	for _, s := range plan.Steps {
		if s.Account != "" && !isManagement(want, s.Account) {
			if err := have.CanReachMembers(); err != nil {
				fmt.Fprintln(stderr, "hatrack apply:", err)
				return 1
			}
			break
		}
	}
	if plan.Empty() || *dryRun {
		if *dryRun && !plan.Empty() {
			fmt.Fprintln(stdout, "Dry run: nothing was changed.")
		}
		return 0
	}
	fmt.Fprintln(stdout, "\nApplying:")
	done, err := setup.Apply(ctx, conn, plan, func(s setup.Step) {
		fmt.Fprintf(stdout, "  done  %s%s\n", accountPrefix(s.Account), s)
	})
	if err != nil {
		var se *setup.StepError
		if errors.As(err, &se) {
			fmt.Fprintf(stdout, "  FAILED %s%s\n", accountPrefix(se.Step.Account), se.Step)
			fmt.Fprintf(stderr, "hatrack apply: %s%s: %s\n", accountPrefix(se.Step.Account), se.Step, setup.Describe(se.Err))
		} else {
			fmt.Fprintln(stderr, "hatrack apply:", err)
		}
		fmt.Fprintf(stderr, "hatrack apply: stopped after %d of %d changes (the ones marked done were made)\n", done, len(plan.Steps))
		return 1
	}
	fmt.Fprintf(stdout, "Applied %d changes.\n", done)
	return 0
}

func isManagement(f *setup.File, name string) bool {
	for _, a := range f.Accounts {
		if a.Name == name {
			return a.Management
		}
	}
	return false
}

func lineMsg(e setup.ParseError) string {
	if e.Line > 0 {
		return fmt.Sprintf("%d: %s", e.Line, e.Msg)
	}
	return " " + e.Msg
}

func accountPrefix(a string) string {
	if a == "" {
		return ""
	}
	return "[" + a + "] "
}

func printPlan(w io.Writer, p *setup.Plan, endpoint, mgmtID string, prune bool) {
	fmt.Fprintf(w, "Plan for %s (management account %s):\n", endpoint, mgmtID)
	if p.Empty() {
		fmt.Fprintln(w, "  No changes: the server matches the file.")
	}
	last := "\x00"
	counts := map[string]int{}
	for _, s := range p.Steps {
		if s.Account != last {
			if s.Account == "" {
				fmt.Fprintln(w, "organization:")
			} else {
				fmt.Fprintf(w, "account %s:\n", s.Account)
			}
			last = s.Account
		}
		fmt.Fprintf(w, "  %s\n", s)
		counts[s.Sign]++
	}
	if len(p.Unmanaged) > 0 {
		if prune {
			fmt.Fprintln(w, "Unmanaged (never deleted by apply):")
		} else {
			fmt.Fprintln(w, "Unmanaged (on the server, not in the file; --prune deletes them, except accounts):")
		}
		for _, u := range p.Unmanaged {
			fmt.Fprintf(w, "  ? %s\n", u)
		}
	}
	if len(p.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, n := range p.Notes {
			fmt.Fprintf(w, "  ! %s\n", n)
		}
	}
	if !p.Empty() {
		fmt.Fprintf(w, "Plan: %d changes (%d to add, %d to change, %d to remove).\n", len(p.Steps), counts["+"], counts["~"], counts["-"])
	}
}
