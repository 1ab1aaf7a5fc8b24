package setup

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Step is one change: "+" creates or attaches, "~" updates, "-" deletes or
// detaches. Account is the account's name in the file ("" for the
// organization).
type Step struct {
	Sign    string
	Text    string
	Account string
	run     func(ctx context.Context, r *runner) error
}

func (s Step) String() string { return s.Sign + " " + s.Text }

// Plan is the ordered list of steps that makes a server match a file.
type Plan struct {
	Steps []Step
	// Unmanaged lists what the server holds and the file does not (deleted
	// only with prune).
	Unmanaged []string
	// Notes lists differences IAM cannot change in place.
	Notes []string

	want     *File
	have     *State
	mgmtName string
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

func (p *Plan) add(account, sign, format string, run func(context.Context, *runner) error, args ...any) {
	p.Steps = append(p.Steps, Step{Sign: sign, Text: fmt.Sprintf(format, args...), Account: account, run: run})
}

// Options tune Diff.
type Options struct {
	// Prune deletes what the file does not mention (never accounts).
	Prune bool
	// AccessRole is the role used to reach member accounts: left alone
	// unless the file declares it.
	AccessRole string
}

// display is how a plan names an entity: its path (without the leading
// slash) and name, "app/deploy".
func display(path, name string) string { return strings.TrimPrefix(path, "/") + name }

// Diff computes the plan that makes the server's state have match want.
// It is a pure function of its arguments.
func Diff(want *File, have *State, opts Options) *Plan {
	if opts.AccessRole == "" {
		opts.AccessRole = DefaultAccessRole
	}
	p := &Plan{want: want, have: have}
	byName := map[string]*Account{}
	var haveMgmt *Account
	for _, a := range have.File.Accounts {
		if a.Management {
			haveMgmt = a
		} else {
			byName[a.Name] = a
		}
	}
	var wantMgmt *Account
	needOrg := want.Organization != nil
	for _, a := range want.Accounts {
		if a.Management {
			wantMgmt = a
			p.mgmtName = a.Name
		} else {
			needOrg = true
		}
	}
	planIDs := map[string]string{}
	if wantMgmt != nil {
		planIDs[wantMgmt.Name] = have.ManagementID
	}
	for n, a := range byName {
		planIDs[n] = a.ID
	}
	resolve := func(name string) (string, error) {
		if id, ok := planIDs[name]; ok {
			return id, nil
		}
		return "", fmt.Errorf("account %s does not exist yet", name)
	}

	// 1. The organization's structure.
	if needOrg && !have.OrgInUse {
		p.add("", "+", "create organization (all features)", func(ctx context.Context, r *runner) error { return r.createOrganization(ctx) })
	}
	wantSCPs := want.Organization != nil && len(want.Organization.SCPs) > 0
	if wantSCPs && !have.SCPEnabled {
		p.add("", "+", "enable service control policies on root", func(ctx context.Context, r *runner) error { return r.enableSCPs(ctx) })
	}
	wantUnits := map[string]bool{}
	if want.Organization != nil {
		var walk func(prefix string, us []*Unit)
		walk = func(prefix string, us []*Unit) {
			for _, u := range us {
				path, parent := prefix+u.Name, strings.TrimSuffix(prefix, "/")
				wantUnits[path] = true
				if _, ok := have.UnitIDs[path]; !ok {
					name := u.Name
					p.add("", "+", "create unit %s", func(ctx context.Context, r *runner) error { return r.createUnit(ctx, parent, name, path) }, path)
				}
				walk(path+"/", u.Units)
			}
		}
		walk("", want.Organization.Units)
	}
	for _, a := range want.Accounts {
		if a.Management {
			continue
		}
		a := a
		h := byName[a.Name]
		if h == nil {
			p.add("", "+", "create account %s (%s)", func(ctx context.Context, r *runner) error { return r.createAccount(ctx, a.Name, a.Email) }, a.Name, a.Email)
			if a.Unit != "" {
				p.add("", "~", "move account %s to ou:%s", func(ctx context.Context, r *runner) error { return r.moveAccount(ctx, a.Name, "", a.Unit) }, a.Name, a.Unit)
			}
			continue
		}
		if h.Email != "" && !strings.EqualFold(h.Email, a.Email) {
			p.Notes = append(p.Notes, fmt.Sprintf("account %s: email is %s on the server, %s in the file (Organizations cannot change it)", a.Name, h.Email, a.Email))
		}
		if h.Unit != a.Unit {
			from := h.Unit
			p.add("", "~", "move account %s from %s to %s", func(ctx context.Context, r *runner) error { return r.moveAccount(ctx, a.Name, from, a.Unit) }, a.Name, unitLabel(h.Unit), unitLabel(a.Unit))
		}
	}
	for n, a := range byName {
		if !declaresAccount(want, n) {
			p.Unmanaged = append(p.Unmanaged, fmt.Sprintf("account %s (%s)", n, a.ID))
		}
	}

	// 2. Each account's IAM.
	for _, a := range want.Accounts {
		h := byName[a.Name]
		if a.Management {
			h = haveMgmt
		}
		if h == nil {
			h = &Account{Name: a.Name}
		}
		diffAccount(p, a, h, resolve, opts)
	}

	// 3. Service control policies, last, so that guardrails never stand in
	// the way of the setup itself.
	haveSCP := map[string]*SCP{}
	if have.File.Organization != nil {
		for _, s := range have.File.Organization.SCPs {
			haveSCP[s.Name] = s
		}
	}
	if want.Organization != nil {
		for _, s := range want.Organization.SCPs {
			s := s
			h := haveSCP[s.Name]
			var haveTargets []string
			if h == nil {
				p.add("", "+", "create scp %s", func(ctx context.Context, r *runner) error { return r.createSCP(ctx, s) }, s.Name)
			} else {
				haveTargets = h.Targets
				body, err := s.Document.Render(have.ManagementID, resolve)
				if err != nil || !sameDoc(body, h.Document.text()) || s.Description != h.Description {
					p.add("", "~", "update scp %s", func(ctx context.Context, r *runner) error { return r.updateSCP(ctx, s) }, s.Name)
				}
			}
			add, remove := setDiff(s.Targets, haveTargets)
			for _, t := range add {
				t := t
				p.add("", "+", "attach scp %s to %s", func(ctx context.Context, r *runner) error { return r.attachSCP(ctx, s.Name, t, true) }, s.Name, t)
			}
			for _, t := range remove {
				t := t
				p.add("", "-", "detach scp %s from %s", func(ctx context.Context, r *runner) error { return r.attachSCP(ctx, s.Name, t, false) }, s.Name, t)
			}
		}
	}

	// 4. What the file no longer mentions.
	for _, name := range sortedMapKeys(haveSCP) {
		if want.Organization != nil && hasSCP(want.Organization.SCPs, name) {
			continue
		}
		if !opts.Prune {
			p.Unmanaged = append(p.Unmanaged, "scp "+name)
			continue
		}
		for _, t := range haveSCP[name].Targets {
			t := t
			p.add("", "-", "detach scp %s from %s", func(ctx context.Context, r *runner) error { return r.attachSCP(ctx, name, t, false) }, name, t)
		}
		p.add("", "-", "delete scp %s", func(ctx context.Context, r *runner) error { return r.deleteSCP(ctx, name) }, name)
	}
	var extraUnits []string
	for path := range have.UnitIDs {
		if !wantUnits[path] {
			extraUnits = append(extraUnits, path)
		}
	}
	// Deepest first, so children go before their parents.
	sort.Slice(extraUnits, func(i, j int) bool {
		di, dj := strings.Count(extraUnits[i], "/"), strings.Count(extraUnits[j], "/")
		if di != dj {
			return di > dj
		}
		return extraUnits[i] < extraUnits[j]
	})
	for _, path := range extraUnits {
		path := path
		if !opts.Prune {
			p.Unmanaged = append(p.Unmanaged, "unit "+path)
			continue
		}
		p.add("", "-", "delete unit %s", func(ctx context.Context, r *runner) error { return r.deleteUnit(ctx, path) }, path)
	}
	sort.Strings(p.Unmanaged)
	return p
}

func unitLabel(u string) string {
	if u == "" {
		return "root"
	}
	return "ou:" + u
}

func declaresAccount(f *File, name string) bool {
	for _, a := range f.Accounts {
		if !a.Management && a.Name == name {
			return true
		}
	}
	return false
}

func hasSCP(ss []*SCP, name string) bool {
	for _, s := range ss {
		if s.Name == name {
			return true
		}
	}
	return false
}

// setDiff returns what want has and have lacks, and the reverse.
func setDiff(want, have []string) (add, remove []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range have {
		h[x] = true
	}
	for _, x := range want {
		if !h[x] {
			add = append(add, x)
			h[x] = true
		}
	}
	for _, x := range have {
		if !w[x] {
			remove = append(remove, x)
			w[x] = true
		}
	}
	return add, remove
}

// tagDiff returns the tags to set and the keys to remove.
func tagDiff(want, have map[string]string) (set map[string]string, remove []string) {
	set = map[string]string{}
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			set[k] = v
		}
	}
	for _, k := range sortedMapKeys(have) {
		if _, ok := want[k]; !ok {
			remove = append(remove, k)
		}
	}
	return set, remove
}

func inlineByName(ps []*InlinePolicy) map[string]*InlinePolicy {
	m := map[string]*InlinePolicy{}
	for _, p := range ps {
		m[p.Name] = p
	}
	return m
}

// entity kinds in step texts and runner calls.
const (
	kUser  = "user"
	kGroup = "group"
	kRole  = "role"
)

// diffAccount adds the steps for one account's IAM.
func diffAccount(p *Plan, want, have *Account, resolve func(string) (string, error), opts Options) {
	acct := want.Name
	ref := func(r string) string {
		if have.ID != "" {
			return policyRef(r, have.ID)
		}
		return r
	}
	refs := func(rs []string) []string {
		out := make([]string, len(rs))
		for i, r := range rs {
			out[i] = ref(r)
		}
		return out
	}
	same := func(d *Doc, actual *Doc) bool {
		body, err := d.Render(have.ID, resolve)
		return err == nil && actual != nil && sameDoc(body, actual.text())
	}
	add := func(sign, format string, run func(context.Context, *runner) error, args ...any) {
		p.add(acct, sign, format, run, args...)
	}

	// inline and managed policies of one user, group or role.
	policies := func(kind, name string, wantIn, haveIn []*InlinePolicy, wantMP, haveMP []string) {
		hin := inlineByName(haveIn)
		win := inlineByName(wantIn)
		for _, ip := range wantIn {
			ip := ip
			h := hin[ip.Name]
			switch {
			case h == nil:
				add("+", "put inline policy %s on %s %s", func(ctx context.Context, r *runner) error { return r.putInline(ctx, acct, kind, name, ip) }, ip.Name, kind, name)
			case !same(ip.Document, h.Document):
				add("~", "update inline policy %s on %s %s", func(ctx context.Context, r *runner) error { return r.putInline(ctx, acct, kind, name, ip) }, ip.Name, kind, name)
			}
		}
		for _, ip := range haveIn {
			if win[ip.Name] == nil {
				pn := ip.Name
				add("-", "delete inline policy %s from %s %s", func(ctx context.Context, r *runner) error { return r.deleteInline(ctx, acct, kind, name, pn) }, pn, kind, name)
			}
		}
		attach, detach := setDiff(refs(wantMP), haveMP)
		for _, m := range attach {
			m := m
			add("+", "attach policy %s to %s %s", func(ctx context.Context, r *runner) error { return r.attach(ctx, acct, kind, name, m, true) }, m, kind, name)
		}
		for _, m := range detach {
			m := m
			add("-", "detach policy %s from %s %s", func(ctx context.Context, r *runner) error { return r.attach(ctx, acct, kind, name, m, false) }, m, kind, name)
		}
	}
	tags := func(kind, name string, want, have map[string]string) {
		set, remove := tagDiff(want, have)
		if len(set) > 0 || len(remove) > 0 {
			add("~", "update tags %s %s", func(ctx context.Context, r *runner) error { return r.tag(ctx, acct, kind, name, set, remove) }, kind, name)
		}
	}
	boundary := func(kind, name, want, have string) {
		want = ref(want)
		switch {
		case want != "" && want != have:
			add("~", "set permissions boundary %s on %s %s", func(ctx context.Context, r *runner) error { return r.boundary(ctx, acct, kind, name, want) }, want, kind, name)
		case want == "" && have != "":
			add("-", "remove permissions boundary from %s %s", func(ctx context.Context, r *runner) error { return r.boundary(ctx, acct, kind, name, "") }, kind, name)
		}
	}

	// Customer-managed policies.
	havePol := map[string]*Policy{}
	for _, x := range have.Policies {
		havePol[strings.ToLower(x.Name)] = x
	}
	for _, x := range want.Policies {
		x := x
		h := havePol[strings.ToLower(x.Name)]
		if h == nil {
			add("+", "create policy %s", func(ctx context.Context, r *runner) error { return r.createPolicy(ctx, acct, x) }, display(x.Path, x.Name))
			continue
		}
		if !same(x.Document, h.Document) {
			add("~", "update policy %s (new default version)", func(ctx context.Context, r *runner) error { return r.updatePolicy(ctx, acct, x) }, x.Name)
		}
		if x.Path != h.Path {
			p.Notes = append(p.Notes, fmt.Sprintf("account %s: policy %s has path %s on the server, %s in the file (IAM cannot change a policy's path)", acct, x.Name, h.Path, x.Path))
		}
		if x.Description != h.Description {
			p.Notes = append(p.Notes, fmt.Sprintf("account %s: policy %s has another description on the server (IAM cannot change it)", acct, x.Name))
		}
		tags("policy", x.Name, x.Tags, h.Tags)
	}

	// Identity providers.
	haveOIDC := map[string]*OIDCProvider{}
	for _, x := range have.OIDCProviders {
		haveOIDC[strings.ToLower(x.URL)] = x
	}
	for _, x := range want.OIDCProviders {
		x := x
		h := haveOIDC[strings.ToLower(x.URL)]
		if h == nil {
			add("+", "create oidc provider %s", func(ctx context.Context, r *runner) error { return r.createOIDC(ctx, acct, x) }, x.URL)
			continue
		}
		addIDs, removeIDs := setDiff(x.ClientIDs, h.ClientIDs)
		if len(addIDs)+len(removeIDs) > 0 {
			add("~", "update client ids oidc provider %s", func(ctx context.Context, r *runner) error {
				return r.oidcClientIDs(ctx, acct, x.URL, addIDs, removeIDs)
			}, x.URL)
		}
		if a, b := setDiffFold(x.Thumbprints, h.Thumbprints); len(x.Thumbprints) > 0 && len(a)+len(b) > 0 {
			add("~", "update thumbprints oidc provider %s", func(ctx context.Context, r *runner) error { return r.oidcThumbprints(ctx, acct, x) }, x.URL)
		}
		tags("oidc-provider", x.URL, x.Tags, h.Tags)
	}
	haveSAML := map[string]*SAMLProvider{}
	for _, x := range have.SAMLProviders {
		haveSAML[x.Name] = x
	}
	for _, x := range want.SAMLProviders {
		x := x
		h := haveSAML[x.Name]
		if h == nil {
			add("+", "create saml provider %s", func(ctx context.Context, r *runner) error { return r.createSAML(ctx, acct, x) }, x.Name)
			continue
		}
		if strings.TrimSpace(x.Metadata) != strings.TrimSpace(h.Metadata) {
			add("~", "update metadata saml provider %s", func(ctx context.Context, r *runner) error { return r.updateSAML(ctx, acct, x) }, x.Name)
		}
		tags("saml-provider", x.Name, x.Tags, h.Tags)
	}

	// Groups.
	haveGroup := map[string]*Group{}
	for _, x := range have.Groups {
		haveGroup[strings.ToLower(x.Name)] = x
	}
	for _, x := range want.Groups {
		x := x
		h := haveGroup[strings.ToLower(x.Name)]
		if h == nil {
			add("+", "create group %s", func(ctx context.Context, r *runner) error { return r.createGroup(ctx, acct, x) }, display(x.Path, x.Name))
			h = &Group{}
		} else if x.Path != h.Path {
			add("~", "update path group %s (%s → %s)", func(ctx context.Context, r *runner) error { return r.setPath(ctx, acct, kGroup, x.Name, x.Path) }, x.Name, h.Path, x.Path)
		}
		policies(kGroup, x.Name, x.Policies, h.Policies, x.ManagedPolicies, h.ManagedPolicies)
	}

	// Users.
	haveUser := map[string]*User{}
	for _, x := range have.Users {
		haveUser[strings.ToLower(x.Name)] = x
	}
	for _, x := range want.Users {
		x := x
		h := haveUser[strings.ToLower(x.Name)]
		if h == nil {
			add("+", "create user %s", func(ctx context.Context, r *runner) error { return r.createUser(ctx, acct, x) }, display(x.Path, x.Name))
			h = &User{Path: x.Path, Tags: x.Tags, Boundary: ref(x.Boundary)}
		} else if x.Path != h.Path {
			add("~", "update path user %s (%s → %s)", func(ctx context.Context, r *runner) error { return r.setPath(ctx, acct, kUser, x.Name, x.Path) }, x.Name, h.Path, x.Path)
		}
		tags(kUser, x.Name, x.Tags, h.Tags)
		boundary(kUser, x.Name, x.Boundary, h.Boundary)
		join, leave := setDiffFold(x.Groups, h.Groups)
		for _, g := range join {
			g := g
			add("+", "add user %s to group %s", func(ctx context.Context, r *runner) error { return r.membership(ctx, acct, x.Name, g, true) }, x.Name, g)
		}
		for _, g := range leave {
			g := g
			add("-", "remove user %s from group %s", func(ctx context.Context, r *runner) error { return r.membership(ctx, acct, x.Name, g, false) }, x.Name, g)
		}
		policies(kUser, x.Name, x.Policies, h.Policies, x.ManagedPolicies, h.ManagedPolicies)
		switch {
		case x.LoginProfile && !h.LoginProfile:
			add("+", "create login profile user %s (password to be set by an administrator)", func(ctx context.Context, r *runner) error { return r.loginProfile(ctx, acct, x.Name, true) }, x.Name)
		case !x.LoginProfile && h.LoginProfile:
			add("-", "delete login profile user %s", func(ctx context.Context, r *runner) error { return r.loginProfile(ctx, acct, x.Name, false) }, x.Name)
		}
	}

	// Roles.
	haveRole := map[string]*Role{}
	for _, x := range have.Roles {
		haveRole[strings.ToLower(x.Name)] = x
	}
	for _, x := range want.Roles {
		x := x
		h := haveRole[strings.ToLower(x.Name)]
		if h == nil {
			add("+", "create role %s", func(ctx context.Context, r *runner) error { return r.createRole(ctx, acct, x) }, display(x.Path, x.Name))
			h = &Role{Tags: x.Tags, Boundary: ref(x.Boundary)}
		} else {
			if x.Path != h.Path {
				p.Notes = append(p.Notes, fmt.Sprintf("account %s: role %s has path %s on the server, %s in the file (IAM cannot change a role's path)", acct, x.Name, h.Path, x.Path))
			}
			if !same(x.Trust, h.Trust) {
				add("~", "update trust policy role %s", func(ctx context.Context, r *runner) error { return r.updateTrust(ctx, acct, x) }, x.Name)
			}
			if x.Description != h.Description || x.MaxSession != h.MaxSession {
				add("~", "update role %s (description, max session duration)", func(ctx context.Context, r *runner) error { return r.updateRole(ctx, acct, x) }, x.Name)
			}
		}
		tags(kRole, x.Name, x.Tags, h.Tags)
		boundary(kRole, x.Name, x.Boundary, h.Boundary)
		policies(kRole, x.Name, x.Policies, h.Policies, x.ManagedPolicies, h.ManagedPolicies)
	}

	// What the file does not mention in this account.
	if have.ID == "" {
		return
	}
	unmanaged := func(what string) { p.Unmanaged = append(p.Unmanaged, fmt.Sprintf("account %s: %s", acct, what)) }
	wantRole := map[string]bool{}
	for _, x := range want.Roles {
		wantRole[strings.ToLower(x.Name)] = true
	}
	for _, x := range have.Roles {
		if wantRole[strings.ToLower(x.Name)] || strings.EqualFold(x.Name, opts.AccessRole) {
			continue
		}
		if !opts.Prune {
			unmanaged("role " + display(x.Path, x.Name))
			continue
		}
		policies(kRole, x.Name, nil, x.Policies, nil, x.ManagedPolicies)
		name := x.Name
		add("-", "delete role %s", func(ctx context.Context, r *runner) error { return r.deleteEntity(ctx, acct, kRole, name) }, display(x.Path, x.Name))
	}
	wantUser := map[string]bool{}
	for _, x := range want.Users {
		wantUser[strings.ToLower(x.Name)] = true
	}
	for _, x := range have.Users {
		if wantUser[strings.ToLower(x.Name)] {
			continue
		}
		if !opts.Prune {
			unmanaged("user " + display(x.Path, x.Name))
			continue
		}
		policies(kUser, x.Name, nil, x.Policies, nil, x.ManagedPolicies)
		name := x.Name
		add("-", "delete user %s (with its group memberships, login profile and access keys)", func(ctx context.Context, r *runner) error { return r.deleteEntity(ctx, acct, kUser, name) }, display(x.Path, x.Name))
	}
	wantGroup := map[string]bool{}
	for _, x := range want.Groups {
		wantGroup[strings.ToLower(x.Name)] = true
	}
	for _, x := range have.Groups {
		if wantGroup[strings.ToLower(x.Name)] {
			continue
		}
		if !opts.Prune {
			unmanaged("group " + display(x.Path, x.Name))
			continue
		}
		policies(kGroup, x.Name, nil, x.Policies, nil, x.ManagedPolicies)
		name := x.Name
		add("-", "delete group %s (with its memberships)", func(ctx context.Context, r *runner) error { return r.deleteEntity(ctx, acct, kGroup, name) }, display(x.Path, x.Name))
	}
	wantPol := map[string]bool{}
	for _, x := range want.Policies {
		wantPol[strings.ToLower(x.Name)] = true
	}
	for _, x := range have.Policies {
		if wantPol[strings.ToLower(x.Name)] {
			continue
		}
		if !opts.Prune {
			unmanaged("policy " + display(x.Path, x.Name))
			continue
		}
		x := x
		add("-", "delete policy %s", func(ctx context.Context, r *runner) error { return r.deletePolicy(ctx, acct, x) }, display(x.Path, x.Name))
	}
	wantOIDC := map[string]bool{}
	for _, x := range want.OIDCProviders {
		wantOIDC[strings.ToLower(x.URL)] = true
	}
	for _, x := range have.OIDCProviders {
		if wantOIDC[strings.ToLower(x.URL)] {
			continue
		}
		if !opts.Prune {
			unmanaged("oidc provider " + x.URL)
			continue
		}
		u := x.URL
		add("-", "delete oidc provider %s", func(ctx context.Context, r *runner) error { return r.deleteOIDC(ctx, acct, u) }, u)
	}
	wantSAML := map[string]bool{}
	for _, x := range want.SAMLProviders {
		wantSAML[x.Name] = true
	}
	for _, x := range have.SAMLProviders {
		if wantSAML[x.Name] {
			continue
		}
		if !opts.Prune {
			unmanaged("saml provider " + x.Name)
			continue
		}
		n := x.Name
		add("-", "delete saml provider %s", func(ctx context.Context, r *runner) error { return r.deleteSAML(ctx, acct, n) }, n)
	}
}

// setDiffFold is setDiff ignoring case, keeping each side's spelling.
func setDiffFold(want, have []string) (add, remove []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[strings.ToLower(x)] = true
	}
	for _, x := range have {
		h[strings.ToLower(x)] = true
	}
	for _, x := range want {
		if !h[strings.ToLower(x)] {
			add = append(add, x)
		}
	}
	for _, x := range have {
		if !w[strings.ToLower(x)] {
			remove = append(remove, x)
		}
	}
	return add, remove
}
