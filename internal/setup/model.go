package setup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// File is a setup file: the organization and its accounts. The same type
// holds the state read from a server, so Diff compares two Files.
type File struct {
	Organization *Organization `yaml:"organization,omitempty"`
	Accounts     []*Account    `yaml:"accounts,omitempty"`
	problems     []string
}

// Organization holds the organizational units and service control policies.
type Organization struct {
	Units    []*Unit `yaml:"units,omitempty"`
	SCPs     []*SCP  `yaml:"serviceControlPolicies,omitempty"`
	Line     int     `yaml:"-"`
	problems []string
}

// Unit is an organizational unit; Units nest.
type Unit struct {
	Name     string  `yaml:"name"`
	Units    []*Unit `yaml:"units,omitempty"`
	Line     int     `yaml:"-"`
	problems []string
}

// SCP is a service control policy and where it is attached. Targets are
// "root", "ou:PATH/TO/UNIT" or "account:NAME".
type SCP struct {
	Name        string   `yaml:"name"`
	Description string   `yaml:"description,omitempty"`
	Document    *Doc     `yaml:"document"`
	Targets     []string `yaml:"targets,omitempty"`
	Line        int      `yaml:"-"`
	problems    []string
}

// Account is the management account (Management: true) or a member account,
// with the IAM entities it holds.
type Account struct {
	Name       string `yaml:"name"`
	Email      string `yaml:"email,omitempty"`
	Management bool   `yaml:"management,omitempty"`
	// Unit is the path of the account's organizational unit ("" = root).
	Unit          string          `yaml:"unit,omitempty"`
	Policies      []*Policy       `yaml:"policies,omitempty"`
	OIDCProviders []*OIDCProvider `yaml:"oidcProviders,omitempty"`
	SAMLProviders []*SAMLProvider `yaml:"samlProviders,omitempty"`
	Groups        []*Group        `yaml:"groups,omitempty"`
	Users         []*User         `yaml:"users,omitempty"`
	Roles         []*Role         `yaml:"roles,omitempty"`
	Line          int             `yaml:"-"`
	// ID is the account id, known for state read from a server.
	ID       string `yaml:"-"`
	problems []string
}

// InlinePolicy is a policy embedded in a user, group or role.
type InlinePolicy struct {
	Name     string `yaml:"name"`
	Document *Doc   `yaml:"document"`
	Line     int    `yaml:"-"`
	problems []string
}

// User is an IAM user. Secrets never appear: LoginProfile only says that
// the user may sign in to the console.
type User struct {
	Name            string            `yaml:"name"`
	Path            string            `yaml:"path,omitempty"`
	Tags            map[string]string `yaml:"tags,omitempty"`
	Groups          []string          `yaml:"groups,omitempty"`
	Boundary        string            `yaml:"permissionsBoundary,omitempty"`
	ManagedPolicies []string          `yaml:"managedPolicies,omitempty"`
	Policies        []*InlinePolicy   `yaml:"inlinePolicies,omitempty"`
	LoginProfile    bool              `yaml:"loginProfile,omitempty"`
	Line            int               `yaml:"-"`
	problems        []string
}

// Group is an IAM group (groups cannot be tagged).
type Group struct {
	Name            string          `yaml:"name"`
	Path            string          `yaml:"path,omitempty"`
	ManagedPolicies []string        `yaml:"managedPolicies,omitempty"`
	Policies        []*InlinePolicy `yaml:"inlinePolicies,omitempty"`
	Line            int             `yaml:"-"`
	problems        []string
}

// Role is an IAM role.
type Role struct {
	Name            string            `yaml:"name"`
	Path            string            `yaml:"path,omitempty"`
	Description     string            `yaml:"description,omitempty"`
	Trust           *Doc              `yaml:"trustPolicy"`
	MaxSession      int32             `yaml:"maxSessionDuration,omitempty"`
	Boundary        string            `yaml:"permissionsBoundary,omitempty"`
	Tags            map[string]string `yaml:"tags,omitempty"`
	ManagedPolicies []string          `yaml:"managedPolicies,omitempty"`
	Policies        []*InlinePolicy   `yaml:"inlinePolicies,omitempty"`
	Line            int               `yaml:"-"`
	problems        []string
}

// Policy is a customer-managed policy.
type Policy struct {
	Name        string            `yaml:"name"`
	Path        string            `yaml:"path,omitempty"`
	Description string            `yaml:"description,omitempty"`
	Tags        map[string]string `yaml:"tags,omitempty"`
	Document    *Doc              `yaml:"document"`
	Line        int               `yaml:"-"`
	problems    []string
}

// OIDCProvider is an OpenID Connect identity provider, keyed by its URL.
type OIDCProvider struct {
	URL         string            `yaml:"url"`
	ClientIDs   []string          `yaml:"clientIds,omitempty"`
	Thumbprints []string          `yaml:"thumbprints,omitempty"`
	Tags        map[string]string `yaml:"tags,omitempty"`
	Line        int               `yaml:"-"`
	problems    []string
}

// SAMLProvider is a SAML identity provider. Its metadata comes from
// MetadataFile (relative to the setup file) or inline Metadata.
type SAMLProvider struct {
	Name         string            `yaml:"name"`
	MetadataFile string            `yaml:"metadataFile,omitempty"`
	Metadata     string            `yaml:"metadata,omitempty"`
	Tags         map[string]string `yaml:"tags,omitempty"`
	Line         int               `yaml:"-"`
	problems     []string
}

// ParseError is one problem in a setup file, at a line (0 when unknown).
type ParseError struct {
	Line int
	Msg  string
}

func (e ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// ParseErrors is every problem found in a file, in line order.
type ParseErrors []ParseError

func (es ParseErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// ParseFile reads and parses a setup file; metadata files are read relative
// to its directory.
func ParseFile(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data, filepath.Dir(path))
}

// Parse parses and validates a setup file, reporting every problem at once
// (a ParseErrors). dir resolves SAML metadataFile paths.
func Parse(data []byte, dir string) (*File, error) {
	f := &File{}
	var errs ParseErrors
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(f); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, ParseErrors{{Line: yamlErrLine(err.Error()), Msg: stripLine(err.Error())}}
		}
		for _, m := range te.Errors {
			errs = append(errs, ParseError{Line: yamlErrLine(m), Msg: stripLine(m)})
		}
	}
	errs = append(errs, f.validate(dir)...)
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
		return nil, errs
	}
	f.defaults()
	return f, nil
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): `)

func yamlErrLine(msg string) int {
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n := 0
	fmt.Sscan(m[1], &n)
	return n
}

func stripLine(msg string) string { return lineRE.ReplaceAllString(msg, "") }

// defaults fills in what IAM would: paths "/", session 3600.
func (f *File) defaults() {
	for _, a := range f.Accounts {
		for _, u := range a.Users {
			u.Path = orSlash(u.Path)
		}
		for _, g := range a.Groups {
			g.Path = orSlash(g.Path)
		}
		for _, r := range a.Roles {
			r.Path = orSlash(r.Path)
			if r.MaxSession == 0 {
				r.MaxSession = 3600
			}
		}
		for _, p := range a.Policies {
			p.Path = orSlash(p.Path)
		}
	}
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// ---- decoding with line numbers and unknown-field checks ----

// decodeStrict records the node's line, rejects unknown keys and decodes
// into v (a pointer to an alias type without methods).
func decodeStrict(n *yaml.Node, v any, what string) []string {
	var msgs []string
	if n.Kind == yaml.MappingNode {
		known := yamlKeys(reflect.TypeOf(v).Elem())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !known[k.Value] {
				msgs = append(msgs, fmt.Sprintf("line %d: unknown field %q in %s (known: %s)", k.Line, k.Value, what, strings.Join(sortedKeys(known), ", ")))
			}
		}
	} else {
		return []string{fmt.Sprintf("line %d: %s must be a mapping", n.Line, what)}
	}
	if err := n.Decode(v); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs = append(msgs, te.Errors...)
		} else {
			msgs = append(msgs, fmt.Sprintf("line %d: %v", n.Line, err))
		}
	}
	return msgs
}

func yamlKeys(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			out[tag] = true
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// UnmarshalYAML implements yaml.Unmarshaler with line numbers and strict keys.
func (f *File) UnmarshalYAML(n *yaml.Node) error {
	type plain File
	f.problems = decodeStrict(n, (*plain)(f), "the setup file")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (o *Organization) UnmarshalYAML(n *yaml.Node) error {
	type plain Organization
	o.Line = n.Line
	o.problems = decodeStrict(n, (*plain)(o), "organization")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (u *Unit) UnmarshalYAML(n *yaml.Node) error {
	type plain Unit
	u.Line = n.Line
	u.problems = decodeStrict(n, (*plain)(u), "unit")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *SCP) UnmarshalYAML(n *yaml.Node) error {
	type plain SCP
	s.Line = n.Line
	s.problems = decodeStrict(n, (*plain)(s), "service control policy")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (a *Account) UnmarshalYAML(n *yaml.Node) error {
	type plain Account
	a.Line = n.Line
	a.problems = decodeStrict(n, (*plain)(a), "account")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *InlinePolicy) UnmarshalYAML(n *yaml.Node) error {
	type plain InlinePolicy
	p.Line = n.Line
	p.problems = decodeStrict(n, (*plain)(p), "inline policy")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (u *User) UnmarshalYAML(n *yaml.Node) error {
	type plain User
	u.Line = n.Line
	u.problems = decodeStrict(n, (*plain)(u), "user")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (g *Group) UnmarshalYAML(n *yaml.Node) error {
	type plain Group
	g.Line = n.Line
	g.problems = decodeStrict(n, (*plain)(g), "group")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (r *Role) UnmarshalYAML(n *yaml.Node) error {
	type plain Role
	r.Line = n.Line
	r.problems = decodeStrict(n, (*plain)(r), "role")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *Policy) UnmarshalYAML(n *yaml.Node) error {
	type plain Policy
	p.Line = n.Line
	p.problems = decodeStrict(n, (*plain)(p), "policy")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *OIDCProvider) UnmarshalYAML(n *yaml.Node) error {
	type plain OIDCProvider
	p.Line = n.Line
	p.problems = decodeStrict(n, (*plain)(p), "OIDC provider")
	return nil
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (p *SAMLProvider) UnmarshalYAML(n *yaml.Node) error {
	type plain SAMLProvider
	p.Line = n.Line
	p.problems = decodeStrict(n, (*plain)(p), "SAML provider")
	return nil
}

// ---- validation ----

var (
	nameRE        = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathRE        = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	policyPathRE  = regexp.MustCompile(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
	samlNameRE    = regexp.MustCompile(`^[\w._-]{1,128}$`)
	thumbprintRE  = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	emailRE       = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	tagKeyRE      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)
	unitNameRE    = regexp.MustCompile(`^[^/]{1,128}$`)
	placeholderRE = regexp.MustCompile(`\$\{account(?::([^}]*))?\}`)
)

type validator struct {
	errs ParseErrors
	dir  string
}

func (v *validator) add(line int, format string, args ...any) {
	v.errs = append(v.errs, ParseError{Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) name(line int, what, name string, max int) {
	switch {
	case name == "":
		v.add(line, "%s: name is required", what)
	case len(name) > max || !nameRE.MatchString(name):
		v.add(line, "%s %q: name must be 1..%d characters of letters, digits and +=,.@_-", what, name, max)
	}
}

func (v *validator) path(line int, what, p string, re *regexp.Regexp) {
	if p != "" && (len(p) > 512 || !re.MatchString(p)) {
		v.add(line, "%s: path %q must start and end with /", what, p)
	}
}

func (v *validator) tags(line int, what string, tags map[string]string) {
	if len(tags) > 50 {
		v.add(line, "%s: at most 50 tags (%d given)", what, len(tags))
	}
	for _, k := range sortedMapKeys(tags) {
		if !tagKeyRE.MatchString(k) || strings.HasPrefix(strings.ToLower(k), "aws:") {
			v.add(line, "%s: invalid tag key %q", what, k)
		}
		if len(tags[k]) > 256 {
			v.add(line, "%s: tag %q: value longer than 256 characters", what, k)
		}
	}
}

func (v *validator) doc(line int, what string, d *Doc, required bool) {
	if d == nil {
		if required {
			v.add(line, "%s: document is required", what)
		}
		return
	}
	if d.err != "" {
		v.add(d.Line, "%s: %s", what, d.err)
	}
}

// unique reports names repeated (ignoring case, as IAM does).
func (v *validator) unique(seen map[string]int, line int, what, name string) {
	k := strings.ToLower(name)
	if name == "" {
		return
	}
	if first, ok := seen[k]; ok {
		v.add(line, "%s %q is declared twice (first at line %d)", what, name, first)
		return
	}
	seen[k] = line
}

// decodeProblems gathers what decoding found (unknown fields, wrong
// types) from every node, so that one bad entry hides nothing else.
func (f *File) decodeProblems() []string {
	out := append([]string(nil), f.problems...)
	add := func(ps []string) { out = append(out, ps...) }
	inl := func(ps []*InlinePolicy) {
		for _, p := range ps {
			if p != nil {
				add(p.problems)
			}
		}
	}
	if o := f.Organization; o != nil {
		add(o.problems)
		var walk func([]*Unit)
		walk = func(us []*Unit) {
			for _, u := range us {
				if u != nil {
					add(u.problems)
					walk(u.Units)
				}
			}
		}
		walk(o.Units)
		for _, x := range o.SCPs {
			if x != nil {
				add(x.problems)
			}
		}
	}
	for _, a := range f.Accounts {
		if a == nil {
			continue
		}
		add(a.problems)
		for _, x := range a.Policies {
			add(x.problems)
		}
		for _, x := range a.OIDCProviders {
			add(x.problems)
		}
		for _, x := range a.SAMLProviders {
			add(x.problems)
		}
		for _, x := range a.Groups {
			add(x.problems)
			inl(x.Policies)
		}
		for _, x := range a.Users {
			add(x.problems)
			inl(x.Policies)
		}
		for _, x := range a.Roles {
			add(x.problems)
			inl(x.Policies)
		}
	}
	return out
}

// dropNil removes empty list entries ("- " alone), reporting them.
func dropNil[T any](v *validator, line int, xs []*T) []*T {
	out := xs[:0]
	for _, x := range xs {
		if x == nil {
			v.add(line, "empty list entry")
			continue
		}
		out = append(out, x)
	}
	return out
}

func (f *File) validate(dir string) ParseErrors {
	v := &validator{dir: dir}
	f.Accounts = dropNil(v, 0, f.Accounts)
	for _, a := range f.Accounts {
		a.Policies, a.OIDCProviders, a.SAMLProviders = dropNil(v, a.Line, a.Policies), dropNil(v, a.Line, a.OIDCProviders), dropNil(v, a.Line, a.SAMLProviders)
		a.Groups, a.Users, a.Roles = dropNil(v, a.Line, a.Groups), dropNil(v, a.Line, a.Users), dropNil(v, a.Line, a.Roles)
		for _, x := range a.Groups {
			x.Policies = dropNil(v, x.Line, x.Policies)
		}
		for _, x := range a.Users {
			x.Policies = dropNil(v, x.Line, x.Policies)
		}
		for _, x := range a.Roles {
			x.Policies = dropNil(v, x.Line, x.Policies)
		}
	}
	if o := f.Organization; o != nil {
		o.SCPs = dropNil(v, o.Line, o.SCPs)
		var walk func([]*Unit) []*Unit
		walk = func(us []*Unit) []*Unit {
			us = dropNil(v, o.Line, us)
			for _, u := range us {
				u.Units = walk(u.Units)
			}
			return us
		}
		o.Units = walk(o.Units)
	}
	for _, m := range f.decodeProblems() {
		v.errs = append(v.errs, ParseError{Line: yamlErrLine(m), Msg: stripLine(m)})
	}
	accountNames := map[string]bool{}
	seenAcct := map[string]int{}
	seenEmail := map[string]int{}
	managements := 0
	for _, a := range f.Accounts {
		if a == nil {
			continue
		}
		if a.Name == "" {
			v.add(a.Line, "account: name is required")
		}
		v.unique(seenAcct, a.Line, "account", a.Name)
		accountNames[a.Name] = true
		if a.Management {
			managements++
			if managements > 1 {
				v.add(a.Line, "account %q: only one account can be the management account", a.Name)
			}
			if a.Unit != "" {
				v.add(a.Line, "account %q: the management account stays at the root (no unit)", a.Name)
			}
		} else {
			if a.Email == "" {
				v.add(a.Line, "account %q: email is required for a member account", a.Name)
			} else if !emailRE.MatchString(a.Email) {
				v.add(a.Line, "account %q: email %q is not an email address", a.Name, a.Email)
			}
		}
		if a.Email != "" {
			v.unique(seenEmail, a.Line, "account email", a.Email)
		}
	}
	units := map[string]bool{}
	if o := f.Organization; o != nil {
		seenUnit := map[string]int{}
		var walk func(prefix string, us []*Unit)
		walk = func(prefix string, us []*Unit) {
			for _, u := range us {
				if u == nil {
					continue
				}
				if !unitNameRE.MatchString(u.Name) {
					v.add(u.Line, "unit: name %q must be 1..128 characters without /", u.Name)
				}
				p := prefix + u.Name
				v.unique(seenUnit, u.Line, "unit", p)
				units[p] = true
				walk(p+"/", u.Units)
			}
		}
		walk("", o.Units)
		seenSCP := map[string]int{}
		for _, s := range o.SCPs {
			if s == nil {
				continue
			}
			if s.Name == "" || len(s.Name) > 128 {
				v.add(s.Line, "service control policy: name is required (1..128 characters)")
			}
			v.unique(seenSCP, s.Line, "service control policy", s.Name)
			v.doc(s.Line, "service control policy "+s.Name, s.Document, true)
			for _, t := range s.Targets {
				switch {
				case t == "root":
				case strings.HasPrefix(t, "ou:"):
					if !units[strings.TrimPrefix(t, "ou:")] {
						v.add(s.Line, "service control policy %s: target %q names no unit in the file", s.Name, t)
					}
				case strings.HasPrefix(t, "account:"):
					if !accountNames[strings.TrimPrefix(t, "account:")] {
						v.add(s.Line, "service control policy %s: target %q names no account in the file", s.Name, t)
					}
				default:
					v.add(s.Line, "service control policy %s: target %q must be root, ou:PATH or account:NAME", s.Name, t)
				}
			}
		}
	}
	for _, a := range f.Accounts {
		if a == nil {
			continue
		}
		if a.Unit != "" && !units[a.Unit] {
			v.add(a.Line, "account %q: unit %q is not declared under organization.units", a.Name, a.Unit)
		}
		v.account(a, accountNames)
	}
	f.checkPlaceholders(v, accountNames)
	return v.errs
}

func (v *validator) account(a *Account, accountNames map[string]bool) {
	where := "account " + a.Name + ": "
	policies := map[string]bool{}
	seen := map[string]int{}
	for _, p := range a.Policies {
		v.name(p.Line, where+"policy", p.Name, 128)
		v.unique(seen, p.Line, where+"policy", p.Name)
		v.path(p.Line, where+"policy "+p.Name, p.Path, policyPathRE)
		if len(p.Description) > 1000 {
			v.add(p.Line, "%spolicy %s: description longer than 1000 characters", where, p.Name)
		}
		v.tags(p.Line, where+"policy "+p.Name, p.Tags)
		v.doc(p.Line, where+"policy "+p.Name, p.Document, true)
		policies[p.Name] = true
	}
	ref := func(line int, what, r string) {
		if strings.HasPrefix(r, "arn:") {
			return
		}
		if !policies[r] {
			v.add(line, "%s: managed policy %q is neither an ARN nor a policy of this account", what, r)
		}
	}
	inline := func(what string, ps []*InlinePolicy) {
		seen := map[string]int{}
		for _, p := range ps {
			v.name(p.Line, what+": inline policy", p.Name, 128)
			v.unique(seen, p.Line, what+": inline policy", p.Name)
			v.doc(p.Line, what+": inline policy "+p.Name, p.Document, true)
		}
	}
	seen = map[string]int{}
	for _, p := range a.OIDCProviders {
		if !strings.HasPrefix(p.URL, "https://") || strings.ContainsAny(p.URL, "?#") || len(p.URL) > 255 {
			v.add(p.Line, "%sOIDC provider: url %q must be https:// without query (≤255)", where, p.URL)
		}
		v.unique(seen, p.Line, where+"OIDC provider", p.URL)
		if len(p.ClientIDs) > 100 {
			v.add(p.Line, "%sOIDC provider %s: at most 100 client ids", where, p.URL)
		}
		if len(p.Thumbprints) > 5 {
			v.add(p.Line, "%sOIDC provider %s: at most 5 thumbprints", where, p.URL)
		}
		for _, t := range p.Thumbprints {
			if !thumbprintRE.MatchString(t) {
				v.add(p.Line, "%sOIDC provider %s: thumbprint %q must be 40 hex characters", where, p.URL, t)
			}
		}
		v.tags(p.Line, where+"OIDC provider "+p.URL, p.Tags)
	}
	seen = map[string]int{}
	for _, p := range a.SAMLProviders {
		if !samlNameRE.MatchString(p.Name) {
			v.add(p.Line, "%sSAML provider: name %q must be 1..128 characters of letters, digits and ._-", where, p.Name)
		}
		v.unique(seen, p.Line, where+"SAML provider", p.Name)
		switch {
		case p.MetadataFile != "" && p.Metadata != "":
			v.add(p.Line, "%sSAML provider %s: give metadataFile or metadata, not both", where, p.Name)
		case p.MetadataFile != "":
			path := p.MetadataFile
			if !filepath.IsAbs(path) {
				path = filepath.Join(v.dir, path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				v.add(p.Line, "%sSAML provider %s: %v", where, p.Name, err)
			} else {
				// The document now lives in the model; the path is spent.
				p.Metadata, p.MetadataFile = string(data), ""
			}
		case p.Metadata == "":
			v.add(p.Line, "%sSAML provider %s: metadataFile (or metadata) is required", where, p.Name)
		}
		v.tags(p.Line, where+"SAML provider "+p.Name, p.Tags)
	}
	groups := map[string]bool{}
	seen = map[string]int{}
	for _, g := range a.Groups {
		v.name(g.Line, where+"group", g.Name, 128)
		v.unique(seen, g.Line, where+"group", g.Name)
		v.path(g.Line, where+"group "+g.Name, g.Path, pathRE)
		for _, m := range g.ManagedPolicies {
			ref(g.Line, where+"group "+g.Name, m)
		}
		if len(g.ManagedPolicies) > 10 {
			v.add(g.Line, "%sgroup %s: at most 10 managed policies", where, g.Name)
		}
		inline(where+"group "+g.Name, g.Policies)
		groups[strings.ToLower(g.Name)] = true
	}
	seen = map[string]int{}
	for _, u := range a.Users {
		v.name(u.Line, where+"user", u.Name, 64)
		v.unique(seen, u.Line, where+"user", u.Name)
		v.path(u.Line, where+"user "+u.Name, u.Path, pathRE)
		v.tags(u.Line, where+"user "+u.Name, u.Tags)
		for _, g := range u.Groups {
			if !groups[strings.ToLower(g)] {
				v.add(u.Line, "%suser %s: group %q is not declared in this account", where, u.Name, g)
			}
		}
		if len(u.Groups) > 10 {
			v.add(u.Line, "%suser %s: at most 10 groups", where, u.Name)
		}
		for _, m := range u.ManagedPolicies {
			ref(u.Line, where+"user "+u.Name, m)
		}
		if u.Boundary != "" {
			ref(u.Line, where+"user "+u.Name+" boundary", u.Boundary)
		}
		inline(where+"user "+u.Name, u.Policies)
	}
	seen = map[string]int{}
	for _, r := range a.Roles {
		v.name(r.Line, where+"role", r.Name, 64)
		v.unique(seen, r.Line, where+"role", r.Name)
		v.path(r.Line, where+"role "+r.Name, r.Path, pathRE)
		v.tags(r.Line, where+"role "+r.Name, r.Tags)
		if r.MaxSession != 0 && (r.MaxSession < 3600 || r.MaxSession > 43200) {
			v.add(r.Line, "%srole %s: maxSessionDuration %d must be 3600..43200 seconds", where, r.Name, r.MaxSession)
		}
		if len(r.Description) > 1000 {
			v.add(r.Line, "%srole %s: description longer than 1000 characters", where, r.Name)
		}
		v.doc(r.Line, where+"role "+r.Name+" trust policy", r.Trust, true)
		for _, m := range r.ManagedPolicies {
			ref(r.Line, where+"role "+r.Name, m)
		}
		if r.Boundary != "" {
			ref(r.Line, where+"role "+r.Name+" boundary", r.Boundary)
		}
		inline(where+"role "+r.Name, r.Policies)
	}
}

// checkPlaceholders reports ${account:NAME} naming no account of the file.
func (f *File) checkPlaceholders(v *validator, names map[string]bool) {
	f.eachDoc(func(line int, d *Doc) {
		for _, m := range placeholderRE.FindAllStringSubmatch(d.text(), -1) {
			if m[1] != "" && !names[m[1]] {
				v.add(d.Line, "${account:%s} names no account in the file", m[1])
			}
		}
	})
}

// eachDoc calls fn for every policy document of the file.
func (f *File) eachDoc(fn func(line int, d *Doc)) {
	visit := func(line int, d *Doc) {
		if d != nil && d.err == "" {
			fn(line, d)
		}
	}
	if f.Organization != nil {
		for _, s := range f.Organization.SCPs {
			visit(s.Line, s.Document)
		}
	}
	inl := func(ps []*InlinePolicy) {
		for _, p := range ps {
			visit(p.Line, p.Document)
		}
	}
	for _, a := range f.Accounts {
		if a == nil {
			continue
		}
		for _, p := range a.Policies {
			visit(p.Line, p.Document)
		}
		for _, g := range a.Groups {
			inl(g.Policies)
		}
		for _, u := range a.Users {
			inl(u.Policies)
		}
		for _, r := range a.Roles {
			visit(r.Line, r.Trust)
			inl(r.Policies)
		}
	}
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
