// Package policycli implements the offline "hatrack policy" sub-commands on
// top of the policy engine (github.com/hatrack/hatrack/policy):
//
//	hatrack policy validate [--kind identity|resource|trust|session|boundary|scp|rcp] [--json] FILE...
//	hatrack policy eval --action A [--resource R] --principal ARN [--principal-arn ROLE_ARN]
//	    [--resource-account ACCT] [--identity F]... [--resource-policy F | --trust-policy F]
//	    [--boundary F] [--session F]... [--scp F[,F...]]... [--rcp F[,F...]]...
//	    [--context key=[type:]value]... [--json]
//
// validate prints the linter findings of each file (FILE:line:col: TYPE
// CODE: message) and exits 1 when a file has an ERROR finding. eval prints
// the decision, the policy type that decided, the deciding statements and,
// when denied, AWS's access-denied message; it exits 0 when allowed, 1
// when denied. Usage errors exit 2.
//
// Each --scp (or --rcp) flag is one level of the organization tree; a level
// may hold several comma-separated files. --context may be repeated; repeating
// a key makes it multivalued. Types: string (default), arn, ip, numeric,
// date, bool, binary — the value is checked against the type. The principal's
// global keys (aws:PrincipalArn, aws:username, ...) and aws:CurrentTime /
// aws:EpochTime are filled in unless given with --context.
package policycli

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hatrack/hatrack/policy"
)

// Run executes "hatrack policy ARGS..." (args may start with "policy") and
// returns the exit status.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "policy" {
		args = args[1:]
	}
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "validate":
		return runValidate(args[1:], stdout, stderr)
	case "eval", "evaluate":
		return runEval(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "hatrack policy: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  hatrack policy validate [--kind identity|resource|trust|session|boundary|scp|rcp] [--json] FILE...
  hatrack policy eval --action A [--resource R] --principal ARN [--principal-arn ROLE_ARN]
      [--resource-account ACCT] [--identity F]... [--resource-policy F | --trust-policy F]
      [--boundary F] [--session F]... [--scp F[,F...]]... [--rcp F[,F...]]...
      [--context key=[type:]value]... [--json]
`)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kindName := fs.String("kind", "identity", "policy kind: identity|resource|trust|session|boundary|scp|rcp")
	asJSON := fs.Bool("json", false, "print findings as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kind, ok := policy.ParseKind(*kindName)
	if !ok {
		fmt.Fprintf(stderr, "hatrack policy validate: unknown kind %q\n", *kindName)
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "hatrack policy validate: no files")
		return 2
	}
	status := 0
	type fileReport struct {
		File     string           `json:"file"`
		Size     int              `json:"size"`
		Findings []policy.Finding `json:"findings"`
	}
	var reports []fileReport
	for _, f := range fs.Args() {
		data, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "hatrack policy validate: %v\n", err)
			return 2
		}
		doc := string(data)
		findings := policy.Lint(doc, kind)
		if findings == nil {
			findings = []policy.Finding{}
		}
		for _, fd := range findings {
			if fd.Type == policy.SeverityError {
				status = 1
			}
		}
		if *asJSON {
			reports = append(reports, fileReport{File: f, Size: policy.Size(doc), Findings: findings})
			continue
		}
		if len(findings) == 0 {
			fmt.Fprintf(stdout, "%s: OK (%s policy, size %d)\n", f, kind, policy.Size(doc))
		}
		for _, fd := range findings {
			loc := f
			if fd.Pos.Line > 0 {
				loc = fmt.Sprintf("%s:%d:%d", f, fd.Pos.Line, fd.Pos.Column)
			}
			st := ""
			if fd.Statement >= 0 {
				st = fmt.Sprintf(" [statement %d", fd.Statement)
				if fd.Sid != "" {
					st += " " + fd.Sid
				}
				st += "]"
			}
			fmt.Fprintf(stdout, "%s: %s %s: %s%s\n", loc, fd.Type, fd.Code, fd.Message, st)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(reports)
	}
	return status
}

// parseContextFlag parses key=[type:]value.
func parseContextFlag(s string) (key, value string, err error) {
	i := strings.IndexByte(s, '=')
	if i <= 0 {
		return "", "", fmt.Errorf("--context %q: want key=[type:]value", s)
	}
	key, rest := s[:i], s[i+1:]
	typ, val := "string", rest
	if j := strings.IndexByte(rest, ':'); j > 0 {
		t := strings.ToLower(rest[:j])
		switch t {
		case "string", "ip", "numeric", "date", "bool", "binary":
			typ, val = t, rest[j+1:]
		case "arn":
			// "arn:arn:aws:..." is typed; a bare ARN is a string value.
			if strings.HasPrefix(rest[j+1:], "arn:") {
				typ, val = t, rest[j+1:]
			}
		}
	}
	switch typ {
	case "ip":
		if _, e := netip.ParseAddr(val); e != nil {
			return "", "", fmt.Errorf("--context %s: bad ip %q", key, val)
		}
	case "numeric":
		if _, e := strconv.ParseFloat(val, 64); e != nil {
			return "", "", fmt.Errorf("--context %s: bad number %q", key, val)
		}
	case "bool":
		if !strings.EqualFold(val, "true") && !strings.EqualFold(val, "false") {
			return "", "", fmt.Errorf("--context %s: bad bool %q", key, val)
		}
	case "date":
		if _, e := time.Parse(time.RFC3339, val); e != nil {
			if _, e2 := strconv.ParseInt(val, 10, 64); e2 != nil {
				return "", "", fmt.Errorf("--context %s: bad date %q (RFC 3339 or epoch seconds)", key, val)
			}
		}
	case "binary":
		if _, e := base64.StdEncoding.DecodeString(val); e != nil {
			return "", "", fmt.Errorf("--context %s: bad base64 %q", key, val)
		}
	case "arn":
		if !strings.HasPrefix(val, "arn:") {
			return "", "", fmt.Errorf("--context %s: bad arn %q", key, val)
		}
	}
	return key, val, nil
}

type evalOutput struct {
	Decision             policy.Decision `json:"decision"`
	Allowed              bool            `json:"allowed"`
	DecidedBy            string          `json:"decidedBy,omitempty"`
	Message              string          `json:"message,omitempty"`
	Deciding             []matchOut      `json:"deciding"`
	Matched              []matchOut      `json:"matchedStatements"`
	MissingContextValues []string        `json:"missingContextValues"`
}

type matchOut struct {
	Type      string        `json:"type"`
	Level     int           `json:"level,omitempty"`
	Policy    string        `json:"policy"`
	Index     int           `json:"statementIndex"`
	Sid       string        `json:"sid,omitempty"`
	Effect    policy.Effect `json:"effect"`
	StartLine int           `json:"startLine"`
	StartCol  int           `json:"startColumn"`
	EndLine   int           `json:"endLine"`
	EndCol    int           `json:"endColumn"`
}

func toMatchOut(m policy.Match) matchOut {
	s := m.Statement
	return matchOut{Type: m.Type.String(), Level: m.Level, Policy: m.PolicyID(), Index: s.Index, Sid: s.Sid, Effect: s.Effect,
		StartLine: s.Start.Line, StartCol: s.Start.Column, EndLine: s.End.Line, EndCol: s.End.Column}
}

func runEval(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		identity, session, scps, rcps, ctxFlags multiFlag
	)
	action := fs.String("action", "", "action, e.g. iam:ListRoles (required)")
	resource := fs.String("resource", "*", "resource ARN")
	principalFlag := fs.String("principal", "", "caller ARN (user, root, assumed-role session, federated user), account id, service principal or 'anonymous' (required)")
	principalARN := fs.String("principal-arn", "", "role ARN with path for assumed-role sessions (default: derived without path)")
	uniqueID := fs.String("unique-id", "", "caller unique id (AIDA…/AROA…)")
	resAcct := fs.String("resource-account", "", "account owning the resource (default: from the resource ARN)")
	resPolicy := fs.String("resource-policy", "", "resource-based policy file")
	trustPolicy := fs.String("trust-policy", "", "role trust policy file (AssumeRole evaluation)")
	boundary := fs.String("boundary", "", "permissions boundary file")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Var(&identity, "identity", "identity policy file (repeatable)")
	fs.Var(&session, "session", "session policy file (repeatable)")
	fs.Var(&scps, "scp", "SCP level: file[,file...] (repeatable, root first)")
	fs.Var(&rcps, "rcp", "RCP level: file[,file...] (repeatable, root first)")
	fs.Var(&ctxFlags, "context", "condition key: key=[type:]value (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "hatrack policy eval: %v\n", err)
		return 2
	}
	if *action == "" || *principalFlag == "" {
		return fail(errors.New("--action and --principal are required"))
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %v", fs.Args()))
	}
	if *resPolicy != "" && *trustPolicy != "" {
		return fail(errors.New("--resource-policy and --trust-policy are exclusive"))
	}
	load := func(file string, kind policy.Kind) (*policy.Policy, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		p, err := policy.Parse(string(data), kind)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %v", file, policy.ErrCodeMalformedPolicyDocument, err)
		}
		return p.WithID(file), nil
	}
	set := &policy.Set{}
	for _, f := range identity {
		p, err := load(f, policy.Identity)
		if err != nil {
			return fail(err)
		}
		set.Identity = append(set.Identity, p)
	}
	for _, f := range session {
		p, err := load(f, policy.Session)
		if err != nil {
			return fail(err)
		}
		set.Session = append(set.Session, p)
	}
	if *boundary != "" {
		p, err := load(*boundary, policy.Boundary)
		if err != nil {
			return fail(err)
		}
		set.Boundary = p
	}
	levels := func(flags multiFlag, kind policy.Kind) ([][]*policy.Policy, error) {
		var out [][]*policy.Policy
		for _, lv := range flags {
			var level []*policy.Policy
			for _, f := range strings.Split(lv, ",") {
				if f == "" {
					continue
				}
				p, err := load(f, kind)
				if err != nil {
					return nil, err
				}
				level = append(level, p)
			}
			out = append(out, level)
		}
		return out, nil
	}
	var err error
	if set.SCPs, err = levels(scps, policy.SCP); err != nil {
		return fail(err)
	}
	if set.RCPs, err = levels(rcps, policy.RCP); err != nil {
		return fail(err)
	}
	if *resPolicy != "" {
		if set.Resource, err = load(*resPolicy, policy.Resource); err != nil {
			return fail(err)
		}
	}
	if *trustPolicy != "" {
		if set.Resource, err = load(*trustPolicy, policy.Trust); err != nil {
			return fail(err)
		}
		set.Trust = true
	}
	p, err := policy.PrincipalFromARN(*principalFlag)
	if err != nil {
		return fail(err)
	}
	if *principalARN != "" {
		p.PrincipalARN = *principalARN
	}
	if *uniqueID != "" {
		p.UniqueID = *uniqueID
	}
	ctx := policy.NewContext()
	ctx.SetPrincipalKeys(&p)
	now := time.Now().UTC()
	ctx.SetTime("aws:CurrentTime", now)
	ctx.SetInt("aws:EpochTime", now.Unix())
	given := map[string]bool{}
	for _, c := range ctxFlags {
		k, v, err := parseContextFlag(c)
		if err != nil {
			return fail(err)
		}
		lk := strings.ToLower(k)
		if !given[lk] {
			ctx.Set(k, v)
			given[lk] = true
		} else {
			ctx.Add(k, v)
		}
	}
	req := &policy.Request{Principal: p, Action: *action, Resource: *resource, ResourceAccount: *resAcct, Context: ctx}
	rep := policy.EvaluateReport(req, set)
	out := evalOutput{
		Decision:             rep.Decision,
		Allowed:              rep.Allowed(),
		Message:              rep.DenyMessage(req),
		Deciding:             []matchOut{},
		Matched:              []matchOut{},
		MissingContextValues: rep.MissingContextValues,
	}
	if out.MissingContextValues == nil {
		out.MissingContextValues = []string{}
	}
	if rep.DecidedBy != policy.KindNone {
		out.DecidedBy = rep.DecidedBy.String()
	}
	for _, m := range rep.Matched.All() {
		out.Deciding = append(out.Deciding, toMatchOut(m))
	}
	for _, m := range rep.MatchedStatements {
		out.Matched = append(out.Matched, toMatchOut(m))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
	} else {
		by := out.DecidedBy
		if by == "" {
			by = "default (root user)"
		}
		fmt.Fprintf(stdout, "Decision: %s\nDecided by: %s\n", out.Decision, by)
		for _, m := range out.Deciding {
			sid := ""
			if m.Sid != "" {
				sid = " Sid=" + m.Sid
			}
			fmt.Fprintf(stdout, "  %s %s policy %s statement %d%s (line %d)\n", m.Effect, m.Type, m.Policy, m.Index, sid, m.StartLine)
		}
		if len(out.MissingContextValues) > 0 {
			fmt.Fprintf(stdout, "Missing context values: %s\n", strings.Join(out.MissingContextValues, ", "))
		}
		if out.Message != "" {
			fmt.Fprintf(stdout, "Message: %s\n", out.Message)
		}
	}
	if out.Allowed {
		return 0
	}
	return 1
}
