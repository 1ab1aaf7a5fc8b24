package setup

import (
	"bytes"
	"strings"

	"gopkg.in/yaml.v3"
)

// Export turns a server's state into a setup file: account ids inside
// documents become ${account} / ${account:NAME}, defaults are left out, and
// the role used to reach member accounts is omitted (Organizations creates
// it with each account).
func Export(st *State, accessRole string) *File {
	if accessRole == "" {
		accessRole = DefaultAccessRole
	}
	names := map[string]string{}
	for _, a := range st.File.Accounts {
		names[a.ID] = a.Name
	}
	out := &File{}
	if o := st.File.Organization; o != nil {
		oo := &Organization{Units: o.Units}
		for _, s := range o.SCPs {
			oo.SCPs = append(oo.SCPs, &SCP{Name: s.Name, Description: s.Description, Targets: s.Targets, Document: s.Document.templated(st.ManagementID, names)})
		}
		if len(oo.Units) > 0 || len(oo.SCPs) > 0 {
			out.Organization = oo
		}
	}
	for _, a := range st.File.Accounts {
		out.Accounts = append(out.Accounts, exportAccount(a, names, accessRole))
	}
	return out
}

func noSlash(p string) string {
	if p == "/" {
		return ""
	}
	return p
}

func exportAccount(a *Account, names map[string]string, accessRole string) *Account {
	t := func(d *Doc) *Doc {
		if d == nil {
			return nil
		}
		return d.templated(a.ID, names)
	}
	inl := func(ps []*InlinePolicy) []*InlinePolicy {
		var out []*InlinePolicy
		for _, p := range ps {
			out = append(out, &InlinePolicy{Name: p.Name, Document: t(p.Document)})
		}
		return out
	}
	out := &Account{Name: a.Name, Email: a.Email, Management: a.Management, Unit: a.Unit}
	if a.Management {
		out.Email = ""
	}
	for _, p := range a.Policies {
		out.Policies = append(out.Policies, &Policy{Name: p.Name, Path: noSlash(p.Path), Description: p.Description, Tags: p.Tags, Document: t(p.Document)})
	}
	out.OIDCProviders = a.OIDCProviders
	out.SAMLProviders = a.SAMLProviders
	for _, g := range a.Groups {
		out.Groups = append(out.Groups, &Group{Name: g.Name, Path: noSlash(g.Path), ManagedPolicies: g.ManagedPolicies, Policies: inl(g.Policies)})
	}
	for _, u := range a.Users {
		out.Users = append(out.Users, &User{
			Name: u.Name, Path: noSlash(u.Path), Tags: u.Tags, Groups: u.Groups, Boundary: u.Boundary,
			ManagedPolicies: u.ManagedPolicies, Policies: inl(u.Policies), LoginProfile: u.LoginProfile,
		})
	}
	for _, r := range a.Roles {
		if !a.Management && strings.EqualFold(r.Name, accessRole) {
			continue
		}
		ms := r.MaxSession
		if ms == 3600 {
			ms = 0
		}
		out.Roles = append(out.Roles, &Role{
			Name: r.Name, Path: noSlash(r.Path), Description: r.Description, Trust: t(r.Trust), MaxSession: ms,
			Boundary: r.Boundary, Tags: r.Tags, ManagedPolicies: r.ManagedPolicies, Policies: inl(r.Policies),
		})
	}
	return out
}

// Marshal writes a file in the setup format.
func Marshal(f *File) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("# Hatrack setup file (hatrack export). Apply with: hatrack apply -f FILE\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
