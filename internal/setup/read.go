package setup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// State is what a server holds, as a File plus the ids setup needs.
type State struct {
	// File is the state in the file's terms. Accounts carry their ID; the
	// management account comes first. Organization is nil when the
	// caller's account is in no organization.
	File         *File
	ManagementID string
	// CallerARN is who reads and applies (root cannot assume roles).
	CallerARN  string
	OrgInUse   bool
	RootID     string
	SCPEnabled bool
	// UnitIDs maps unit paths ("A/B") to OU ids.
	UnitIDs map[string]string
	// SCPIDs maps SCP names to policy ids.
	SCPIDs map[string]string
	// Parent maps account ids to their parent id (root or OU).
	Parent map[string]string
	// Read lists the accounts (by id) whose IAM was read.
	Read map[string]bool
}

// CanReachMembers says why the caller cannot work in member accounts: AWS
// lets no root user assume a role.
func (st *State) CanReachMembers() error {
	if strings.HasSuffix(st.CallerARN, ":root") {
		return fmt.Errorf("the caller is the management account's root user, which cannot assume roles into member accounts: run as an IAM user or role of the management account (with AdministratorAccess)")
	}
	return nil
}

// ReadOptions say what to read.
type ReadOptions struct {
	// Organization reads Organizations (units, accounts, SCPs).
	Organization bool
	// Members selects the member accounts whose IAM is read, by name; nil
	// reads every member account.
	Members func(name string) bool
	// Management reads the management account's IAM.
	Management bool
}

// Read reads a server's state through its API.
func Read(ctx context.Context, c *Conn, opts ReadOptions) (*State, error) {
	id, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("sts:GetCallerIdentity: %s", Describe(err))
	}
	st := &State{
		File: &File{}, ManagementID: aws.ToString(id.Account), CallerARN: aws.ToString(id.Arn),
		UnitIDs: map[string]string{}, SCPIDs: map[string]string{}, Parent: map[string]string{}, Read: map[string]bool{},
	}
	mgmt := &Account{Name: "management", Management: true, ID: st.ManagementID}
	st.File.Accounts = []*Account{mgmt}
	if opts.Organization {
		if err := st.readOrg(ctx, c, mgmt); err != nil {
			return nil, err
		}
	}
	for _, a := range st.File.Accounts {
		var client IAM
		switch {
		case a.Management && opts.Management:
			client = c.IAM
		case !a.Management && (opts.Members == nil || opts.Members(a.Name)):
			if err := st.CanReachMembers(); err != nil {
				return nil, err
			}
			client, err = c.Member(ctx, a.ID)
			if err != nil {
				return nil, fmt.Errorf("account %s (%s): %s", a.Name, a.ID, Describe(err))
			}
		default:
			continue
		}
		if err := readAccount(ctx, client, a, c.AccessRole); err != nil {
			return nil, fmt.Errorf("account %s (%s): %s", a.Name, a.ID, Describe(err))
		}
		st.Read[a.ID] = true
	}
	return st, nil
}

func (st *State) readOrg(ctx context.Context, c *Conn, mgmt *Account) error {
	org, err := c.Orgs.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if orgsNotInUse(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("organizations:DescribeOrganization: %s", Describe(err))
	}
	if m := aws.ToString(org.Organization.MasterAccountId); m != "" && m != st.ManagementID {
		return fmt.Errorf("the caller's account %s is not the organization's management account (%s): run with the management account's credentials", st.ManagementID, m)
	}
	st.OrgInUse = true
	o := &Organization{}
	st.File.Organization = o
	roots, err := c.Orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return fmt.Errorf("organizations:ListRoots: %s", Describe(err))
	}
	if len(roots.Roots) == 0 {
		return fmt.Errorf("organizations:ListRoots returned no root")
	}
	root := roots.Roots[0]
	st.RootID = aws.ToString(root.Id)
	for _, pt := range root.PolicyTypes {
		if pt.Type == orgtypes.PolicyTypeServiceControlPolicy && pt.Status == orgtypes.PolicyTypeStatusEnabled {
			st.SCPEnabled = true
		}
	}
	idPath := map[string]string{st.RootID: ""}
	var walk func(parent, prefix string) ([]*Unit, error)
	walk = func(parent, prefix string) ([]*Unit, error) {
		var out []*Unit
		p := organizations.NewListOrganizationalUnitsForParentPaginator(c.Orgs, &organizations.ListOrganizationalUnitsForParentInput{ParentId: aws.String(parent)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("organizations:ListOrganizationalUnitsForParent: %s", Describe(err))
			}
			for _, ou := range page.OrganizationalUnits {
				u := &Unit{Name: aws.ToString(ou.Name)}
				path := prefix + u.Name
				st.UnitIDs[path] = aws.ToString(ou.Id)
				idPath[aws.ToString(ou.Id)] = path
				if u.Units, err = walk(aws.ToString(ou.Id), path+"/"); err != nil {
					return nil, err
				}
				out = append(out, u)
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out, nil
	}
	if o.Units, err = walk(st.RootID, ""); err != nil {
		return err
	}
	for parent := range idPath {
		p := organizations.NewListAccountsForParentPaginator(c.Orgs, &organizations.ListAccountsForParentInput{ParentId: aws.String(parent)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("organizations:ListAccountsForParent: %s", Describe(err))
			}
			for _, a := range page.Accounts {
				st.Parent[aws.ToString(a.Id)] = parent
			}
		}
	}
	p := organizations.NewListAccountsPaginator(c.Orgs, &organizations.ListAccountsInput{})
	var members []*Account
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("organizations:ListAccounts: %s", Describe(err))
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			if id == st.ManagementID {
				if n := aws.ToString(a.Name); n != "" {
					mgmt.Name = n
				}
				mgmt.Email = aws.ToString(a.Email)
				continue
			}
			if a.Status != "" && a.Status != orgtypes.AccountStatusActive {
				continue
			}
			members = append(members, &Account{Name: aws.ToString(a.Name), Email: aws.ToString(a.Email), ID: id, Unit: idPath[st.Parent[id]]})
		}
	}
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	st.File.Accounts = append(st.File.Accounts, members...)

	targetName := func(t orgtypes.PolicyTargetSummary) string {
		switch t.Type {
		case orgtypes.TargetTypeRoot:
			return "root"
		case orgtypes.TargetTypeOrganizationalUnit:
			return "ou:" + idPath[aws.ToString(t.TargetId)]
		case orgtypes.TargetTypeAccount:
			for _, a := range st.File.Accounts {
				if a.ID == aws.ToString(t.TargetId) {
					return "account:" + a.Name
				}
			}
		}
		return "id:" + aws.ToString(t.TargetId)
	}
	pp := organizations.NewListPoliciesPaginator(c.Orgs, &organizations.ListPoliciesInput{Filter: orgtypes.PolicyTypeServiceControlPolicy})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("organizations:ListPolicies: %s", Describe(err))
		}
		for _, s := range page.Policies {
			if s.AwsManaged {
				continue
			}
			d, err := c.Orgs.DescribePolicy(ctx, &organizations.DescribePolicyInput{PolicyId: s.Id})
			if err != nil {
				return fmt.Errorf("organizations:DescribePolicy %s: %s", aws.ToString(s.Name), Describe(err))
			}
			doc, err := NewDoc(aws.ToString(d.Policy.Content))
			if err != nil {
				return fmt.Errorf("service control policy %s: %v", aws.ToString(s.Name), err)
			}
			scp := &SCP{Name: aws.ToString(s.Name), Description: aws.ToString(s.Description), Document: doc}
			tp := organizations.NewListTargetsForPolicyPaginator(c.Orgs, &organizations.ListTargetsForPolicyInput{PolicyId: s.Id})
			for tp.HasMorePages() {
				tpage, err := tp.NextPage(ctx)
				if err != nil {
					return fmt.Errorf("organizations:ListTargetsForPolicy %s: %s", scp.Name, Describe(err))
				}
				for _, t := range tpage.Targets {
					scp.Targets = append(scp.Targets, targetName(t))
				}
			}
			sort.Strings(scp.Targets)
			st.SCPIDs[scp.Name] = aws.ToString(s.Id)
			o.SCPs = append(o.SCPs, scp)
		}
	}
	sort.Slice(o.SCPs, func(i, j int) bool { return o.SCPs[i].Name < o.SCPs[j].Name })
	return nil
}

// unsupported is a server that does not implement an operation: reading
// treats it as "nothing there"; writing reports it.
func unsupported(err error) bool {
	switch apiCode(err) {
	case "InvalidAction", "UnknownOperationException", "NotImplemented":
		return true
	}
	return false
}

// policyRef is how a file names a managed policy: its name when it is this
// account's customer-managed policy, else its ARN.
func policyRef(arn, account string) string {
	prefix := "arn:aws:iam::" + account + ":policy/"
	if strings.HasPrefix(arn, prefix) {
		rest := strings.TrimPrefix(arn, prefix)
		return rest[strings.LastIndex(rest, "/")+1:]
	}
	return arn
}

func tagMap[T any](tags []T, kv func(T) (string, string)) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range tags {
		k, v := kv(t)
		m[k] = v
	}
	return m
}

func iamTag(t iamtypes.Tag) (string, string) { return aws.ToString(t.Key), aws.ToString(t.Value) }

func readAccount(ctx context.Context, c IAM, a *Account, accessRole string) error {
	acct := a.ID
	docOf := func(s *string) (*Doc, error) { return NewDoc(aws.ToString(s)) }

	// Customer-managed policies.
	pp := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	for pp.HasMorePages() {
		page, err := pp.NextPage(ctx)
		if unsupported(err) {
			break
		}
		if err != nil {
			return fmt.Errorf("iam:ListPolicies: %s", Describe(err))
		}
		for _, p := range page.Policies {
			if !strings.HasPrefix(aws.ToString(p.Arn), "arn:aws:iam::"+acct+":") {
				continue
			}
			full, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: p.Arn})
			if err != nil {
				return fmt.Errorf("iam:GetPolicy %s: %s", aws.ToString(p.PolicyName), Describe(err))
			}
			v, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: p.Arn, VersionId: full.Policy.DefaultVersionId})
			if err != nil {
				return fmt.Errorf("iam:GetPolicyVersion %s: %s", aws.ToString(p.PolicyName), Describe(err))
			}
			doc, err := docOf(v.PolicyVersion.Document)
			if err != nil {
				return err
			}
			a.Policies = append(a.Policies, &Policy{
				Name: aws.ToString(full.Policy.PolicyName), Path: aws.ToString(full.Policy.Path),
				Description: aws.ToString(full.Policy.Description), Tags: tagMap(full.Policy.Tags, iamTag), Document: doc,
			})
		}
	}

	// OIDC providers.
	if op, err := c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}); err == nil {
		for _, e := range op.OpenIDConnectProviderList {
			g, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: e.Arn})
			if err != nil {
				return fmt.Errorf("iam:GetOpenIDConnectProvider %s: %s", aws.ToString(e.Arn), Describe(err))
			}
			u := aws.ToString(g.Url)
			if !strings.HasPrefix(u, "https://") {
				u = "https://" + u
			}
			a.OIDCProviders = append(a.OIDCProviders, &OIDCProvider{
				URL: u, ClientIDs: sorted(g.ClientIDList), Thumbprints: sorted(g.ThumbprintList), Tags: tagMap(g.Tags, iamTag),
			})
		}
	} else if !unsupported(err) {
		return fmt.Errorf("iam:ListOpenIDConnectProviders: %s", Describe(err))
	}

	// SAML providers.
	if sp, err := c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{}); err == nil {
		for _, e := range sp.SAMLProviderList {
			g, err := c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: e.Arn})
			if err != nil {
				return fmt.Errorf("iam:GetSAMLProvider %s: %s", aws.ToString(e.Arn), Describe(err))
			}
			arn := aws.ToString(e.Arn)
			a.SAMLProviders = append(a.SAMLProviders, &SAMLProvider{
				Name: arn[strings.LastIndex(arn, "/")+1:], Metadata: aws.ToString(g.SAMLMetadataDocument), Tags: tagMap(g.Tags, iamTag),
			})
		}
	} else if !unsupported(err) {
		return fmt.Errorf("iam:ListSAMLProviders: %s", Describe(err))
	}

	// Groups.
	gp := iam.NewListGroupsPaginator(c, &iam.ListGroupsInput{})
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if unsupported(err) {
			break
		}
		if err != nil {
			return fmt.Errorf("iam:ListGroups: %s", Describe(err))
		}
		for _, g := range page.Groups {
			grp := &Group{Name: aws.ToString(g.GroupName), Path: aws.ToString(g.Path)}
			name := g.GroupName
			if grp.Policies, err = readInline(ctx, "group "+grp.Name,
				func(m *string) ([]string, *string, error) {
					o, err := c.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: name, Marker: m})
					if err != nil {
						return nil, nil, err
					}
					return o.PolicyNames, nextMarker(o.IsTruncated, o.Marker), nil
				},
				func(p string) (*string, error) {
					o, err := c.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: name, PolicyName: &p})
					if err != nil {
						return nil, err
					}
					return o.PolicyDocument, nil
				}); err != nil {
				return err
			}
			if grp.ManagedPolicies, err = readAttached(acct, "group "+grp.Name, func(m *string) ([]iamtypes.AttachedPolicy, *string, error) {
				o, err := c.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: name, Marker: m})
				if err != nil {
					return nil, nil, err
				}
				return o.AttachedPolicies, nextMarker(o.IsTruncated, o.Marker), nil
			}); err != nil {
				return err
			}
			a.Groups = append(a.Groups, grp)
		}
	}

	// Users.
	up := iam.NewListUsersPaginator(c, &iam.ListUsersInput{})
	for up.HasMorePages() {
		page, err := up.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("iam:ListUsers: %s", Describe(err))
		}
		for _, lu := range page.Users {
			name := lu.UserName
			gu, err := c.GetUser(ctx, &iam.GetUserInput{UserName: name})
			if err != nil {
				return fmt.Errorf("iam:GetUser %s: %s", aws.ToString(name), Describe(err))
			}
			u := &User{Name: aws.ToString(gu.User.UserName), Path: aws.ToString(gu.User.Path), Tags: tagMap(gu.User.Tags, iamTag)}
			if b := gu.User.PermissionsBoundary; b != nil {
				u.Boundary = policyRef(aws.ToString(b.PermissionsBoundaryArn), acct)
			}
			gfu := iam.NewListGroupsForUserPaginator(c, &iam.ListGroupsForUserInput{UserName: name})
			for gfu.HasMorePages() {
				gpage, err := gfu.NextPage(ctx)
				if unsupported(err) {
					break
				}
				if err != nil {
					return fmt.Errorf("iam:ListGroupsForUser %s: %s", u.Name, Describe(err))
				}
				for _, g := range gpage.Groups {
					u.Groups = append(u.Groups, aws.ToString(g.GroupName))
				}
			}
			sort.Strings(u.Groups)
			if u.Policies, err = readInline(ctx, "user "+u.Name,
				func(m *string) ([]string, *string, error) {
					o, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: name, Marker: m})
					if err != nil {
						return nil, nil, err
					}
					return o.PolicyNames, nextMarker(o.IsTruncated, o.Marker), nil
				},
				func(p string) (*string, error) {
					o, err := c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: name, PolicyName: &p})
					if err != nil {
						return nil, err
					}
					return o.PolicyDocument, nil
				}); err != nil {
				return err
			}
			if u.ManagedPolicies, err = readAttached(acct, "user "+u.Name, func(m *string) ([]iamtypes.AttachedPolicy, *string, error) {
				o, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: name, Marker: m})
				if err != nil {
					return nil, nil, err
				}
				return o.AttachedPolicies, nextMarker(o.IsTruncated, o.Marker), nil
			}); err != nil {
				return err
			}
			_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name})
			switch {
			case err == nil:
				u.LoginProfile = true
			case notFound(err) || unsupported(err):
			default:
				return fmt.Errorf("iam:GetLoginProfile %s: %s", u.Name, Describe(err))
			}
			a.Users = append(a.Users, u)
		}
	}

	// Roles.
	rp := iam.NewListRolesPaginator(c, &iam.ListRolesInput{})
	for rp.HasMorePages() {
		page, err := rp.NextPage(ctx)
		if unsupported(err) {
			break
		}
		if err != nil {
			return fmt.Errorf("iam:ListRoles: %s", Describe(err))
		}
		for _, lr := range page.Roles {
			name := lr.RoleName
			if strings.HasPrefix(aws.ToString(lr.Path), "/aws-service-role/") {
				continue // service-linked roles belong to their services
			}
			gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
			if err != nil {
				return fmt.Errorf("iam:GetRole %s: %s", aws.ToString(name), Describe(err))
			}
			trust, err := docOf(gr.Role.AssumeRolePolicyDocument)
			if err != nil {
				return fmt.Errorf("role %s trust policy: %v", aws.ToString(name), err)
			}
			r := &Role{
				Name: aws.ToString(gr.Role.RoleName), Path: aws.ToString(gr.Role.Path), Description: aws.ToString(gr.Role.Description),
				Trust: trust, MaxSession: aws.ToInt32(gr.Role.MaxSessionDuration), Tags: tagMap(gr.Role.Tags, iamTag),
			}
			if r.MaxSession == 0 {
				r.MaxSession = 3600
			}
			if b := gr.Role.PermissionsBoundary; b != nil {
				r.Boundary = policyRef(aws.ToString(b.PermissionsBoundaryArn), acct)
			}
			if r.Policies, err = readInline(ctx, "role "+r.Name,
				func(m *string) ([]string, *string, error) {
					o, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: name, Marker: m})
					if err != nil {
						return nil, nil, err
					}
					return o.PolicyNames, nextMarker(o.IsTruncated, o.Marker), nil
				},
				func(p string) (*string, error) {
					o, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: name, PolicyName: &p})
					if err != nil {
						return nil, err
					}
					return o.PolicyDocument, nil
				}); err != nil {
				return err
			}
			if r.ManagedPolicies, err = readAttached(acct, "role "+r.Name, func(m *string) ([]iamtypes.AttachedPolicy, *string, error) {
				o, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: name, Marker: m})
				if err != nil {
					return nil, nil, err
				}
				return o.AttachedPolicies, nextMarker(o.IsTruncated, o.Marker), nil
			}); err != nil {
				return err
			}
			a.Roles = append(a.Roles, r)
		}
	}
	// Servers list in their own order; files are stable.
	sort.Slice(a.Policies, func(i, j int) bool { return a.Policies[i].Name < a.Policies[j].Name })
	sort.Slice(a.OIDCProviders, func(i, j int) bool { return a.OIDCProviders[i].URL < a.OIDCProviders[j].URL })
	sort.Slice(a.SAMLProviders, func(i, j int) bool { return a.SAMLProviders[i].Name < a.SAMLProviders[j].Name })
	sort.Slice(a.Groups, func(i, j int) bool { return a.Groups[i].Name < a.Groups[j].Name })
	sort.Slice(a.Users, func(i, j int) bool { return a.Users[i].Name < a.Users[j].Name })
	sort.Slice(a.Roles, func(i, j int) bool { return a.Roles[i].Name < a.Roles[j].Name })
	return nil
}

func nextMarker(truncated bool, marker *string) *string {
	if truncated && aws.ToString(marker) != "" {
		return marker
	}
	return nil
}

func readInline(ctx context.Context, what string, list func(*string) ([]string, *string, error), get func(string) (*string, error)) ([]*InlinePolicy, error) {
	var out []*InlinePolicy
	var marker *string
	for {
		names, next, err := list(marker)
		if err != nil {
			if unsupported(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("%s: listing inline policies: %s", what, Describe(err))
		}
		for _, n := range names {
			s, err := get(n)
			if err != nil {
				return nil, fmt.Errorf("%s: inline policy %s: %s", what, n, Describe(err))
			}
			d, err := NewDoc(aws.ToString(s))
			if err != nil {
				return nil, fmt.Errorf("%s: inline policy %s: %v", what, n, err)
			}
			out = append(out, &InlinePolicy{Name: n, Document: d})
		}
		if next == nil {
			break
		}
		marker = next
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func readAttached(acct, what string, list func(*string) ([]iamtypes.AttachedPolicy, *string, error)) ([]string, error) {
	var out []string
	var marker *string
	for {
		ps, next, err := list(marker)
		if err != nil {
			if unsupported(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("%s: listing attached policies: %s", what, Describe(err))
		}
		for _, p := range ps {
			out = append(out, policyRef(aws.ToString(p.PolicyArn), acct))
		}
		if next == nil {
			break
		}
		marker = next
	}
	sort.Strings(out)
	return out, nil
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
