package setup

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// StepError is the failure that stopped an apply: the step, and the API's
// error (AWS code and message).
type StepError struct {
	Step Step
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("%s: %s", e.Step, Describe(e.Err)) }
func (e *StepError) Unwrap() error { return e.Err }

// Apply executes the plan in order and stops at the first failure,
// returning how many steps were done. progress (if not nil) is called after
// each completed step.
func Apply(ctx context.Context, c *Conn, p *Plan, progress func(Step)) (int, error) {
	r := newRunner(c, p)
	for i, s := range p.Steps {
		if err := s.run(ctx, r); err != nil {
			return i, &StepError{Step: s, Err: err}
		}
		if progress != nil {
			progress(s)
		}
	}
	return len(p.Steps), nil
}

// runner carries what steps learn while they run: ids of new accounts,
// units and SCPs, and clients per account.
type runner struct {
	conn     *Conn
	plan     *Plan
	ids      map[string]string
	rootID   string
	mgmtID   string
	units    map[string]string
	scps     map[string]string
	clients  map[string]IAM
	polPaths map[string]map[string]string
}

func newRunner(c *Conn, p *Plan) *runner {
	r := &runner{
		conn: c, plan: p, ids: map[string]string{}, rootID: p.have.RootID, mgmtID: p.have.ManagementID,
		units: map[string]string{}, scps: map[string]string{}, clients: map[string]IAM{}, polPaths: map[string]map[string]string{},
	}
	for _, a := range p.have.File.Accounts {
		if !a.Management {
			r.ids[a.Name] = a.ID
		}
	}
	if p.mgmtName != "" {
		r.ids[p.mgmtName] = p.have.ManagementID
	}
	for k, v := range p.have.UnitIDs {
		r.units[k] = v
	}
	for k, v := range p.have.SCPIDs {
		r.scps[k] = v
	}
	paths := func(acct string, ps []*Policy) {
		if r.polPaths[acct] == nil {
			r.polPaths[acct] = map[string]string{}
		}
		for _, x := range ps {
			r.polPaths[acct][strings.ToLower(x.Name)] = x.Path
		}
	}
	for _, a := range p.have.File.Accounts {
		name := a.Name
		if a.Management {
			name = p.mgmtName
		}
		paths(name, a.Policies)
	}
	for _, a := range p.want.Accounts {
		paths(a.Name, a.Policies)
	}
	return r
}

func (r *runner) accountID(name string) (string, error) {
	if id, ok := r.ids[name]; ok && id != "" {
		return id, nil
	}
	return "", fmt.Errorf("account %s is unknown (not created yet?)", name)
}

// iam returns the IAM client acting in the named account.
func (r *runner) iam(ctx context.Context, acct string) (IAM, error) {
	id, err := r.accountID(acct)
	if err != nil {
		return nil, err
	}
	if id == r.mgmtID {
		return r.conn.IAM, nil
	}
	if c, ok := r.clients[id]; ok {
		return c, nil
	}
	var c IAM
	for attempt := 0; ; attempt++ {
		c, err = r.conn.Member(ctx, id)
		if err == nil || attempt == 10 {
			break
		}
		// A new account's access role can take a moment to appear.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reaching account %s (%s) through role %s: %w", acct, id, r.conn.AccessRole, err)
	}
	r.clients[id] = c
	return c, nil
}

func (r *runner) render(d *Doc, acct string) (*string, error) {
	self, err := r.accountID(acct)
	if err != nil {
		return nil, err
	}
	s, err := d.Render(self, r.accountID)
	return &s, err
}

func (r *runner) policyARN(acct, ref string) (*string, error) {
	if strings.HasPrefix(ref, "arn:") {
		return &ref, nil
	}
	id, err := r.accountID(acct)
	if err != nil {
		return nil, err
	}
	path := r.polPaths[acct][strings.ToLower(ref)]
	if path == "" {
		path = "/"
	}
	return aws.String("arn:aws:iam::" + id + ":policy" + path + ref), nil
}

func iamTags(m map[string]string) []iamtypes.Tag {
	var out []iamtypes.Tag
	for _, k := range sortedMapKeys(m) {
		out = append(out, iamtypes.Tag{Key: aws.String(k), Value: aws.String(m[k])})
	}
	return out
}

// ---- organization ----

func (r *runner) createOrganization(ctx context.Context) error {
	if _, err := r.conn.Orgs.CreateOrganization(ctx, &organizations.CreateOrganizationInput{FeatureSet: orgtypes.OrganizationFeatureSetAll}); err != nil {
		return err
	}
	roots, err := r.conn.Orgs.ListRoots(ctx, &organizations.ListRootsInput{})
	if err != nil {
		return err
	}
	if len(roots.Roots) == 0 {
		return fmt.Errorf("the new organization has no root")
	}
	r.rootID = aws.ToString(roots.Roots[0].Id)
	return nil
}

func (r *runner) enableSCPs(ctx context.Context) error {
	_, err := r.conn.Orgs.EnablePolicyType(ctx, &organizations.EnablePolicyTypeInput{RootId: &r.rootID, PolicyType: orgtypes.PolicyTypeServiceControlPolicy})
	return err
}

func (r *runner) parentID(path string) (string, error) {
	if path == "" {
		if r.rootID == "" {
			return "", fmt.Errorf("the organization's root is unknown")
		}
		return r.rootID, nil
	}
	if id, ok := r.units[path]; ok {
		return id, nil
	}
	return "", fmt.Errorf("unit %s is unknown", path)
}

func (r *runner) createUnit(ctx context.Context, parent, name, path string) error {
	pid, err := r.parentID(parent)
	if err != nil {
		return err
	}
	out, err := r.conn.Orgs.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: &pid, Name: &name})
	if err != nil {
		return err
	}
	r.units[path] = aws.ToString(out.OrganizationalUnit.Id)
	return nil
}

func (r *runner) deleteUnit(ctx context.Context, path string) error {
	id, err := r.parentID(path)
	if err != nil {
		return err
	}
	_, err = r.conn.Orgs.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: &id})
	return err
}

func (r *runner) createAccount(ctx context.Context, name, email string) error {
	out, err := r.conn.Orgs.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: &name, Email: &email})
	if err != nil {
		return err
	}
	st := out.CreateAccountStatus
	deadline := time.Now().Add(5 * time.Minute)
	for st != nil && st.State == orgtypes.CreateAccountStateInProgress {
		if time.Now().After(deadline) {
			return fmt.Errorf("account %s still being created after 5 minutes", name)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		d, err := r.conn.Orgs.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: st.Id})
		if err != nil {
			return err
		}
		st = d.CreateAccountStatus
	}
	if st == nil {
		return fmt.Errorf("CreateAccount returned no status")
	}
	if st.State == orgtypes.CreateAccountStateFailed {
		return fmt.Errorf("account %s: creation failed: %s", name, st.FailureReason)
	}
	if aws.ToString(st.AccountId) == "" {
		return fmt.Errorf("account %s: creation finished without an account id", name)
	}
	r.ids[name] = aws.ToString(st.AccountId)
	return nil
}

func (r *runner) moveAccount(ctx context.Context, name, from, to string) error {
	id, err := r.accountID(name)
	if err != nil {
		return err
	}
	src, err := r.parentID(from)
	if err != nil {
		return err
	}
	dst, err := r.parentID(to)
	if err != nil {
		return err
	}
	_, err = r.conn.Orgs.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: &id, SourceParentId: &src, DestinationParentId: &dst})
	return err
}

func (r *runner) scpContent(s *SCP) (*string, error) {
	c, err := s.Document.Render(r.mgmtID, r.accountID)
	return &c, err
}

func (r *runner) createSCP(ctx context.Context, s *SCP) error {
	content, err := r.scpContent(s)
	if err != nil {
		return err
	}
	out, err := r.conn.Orgs.CreatePolicy(ctx, &organizations.CreatePolicyInput{
		Name: &s.Name, Description: aws.String(s.Description), Content: content, Type: orgtypes.PolicyTypeServiceControlPolicy,
	})
	if err != nil {
		return err
	}
	r.scps[s.Name] = aws.ToString(out.Policy.PolicySummary.Id)
	return nil
}

func (r *runner) scpID(name string) (*string, error) {
	if id, ok := r.scps[name]; ok {
		return &id, nil
	}
	return nil, fmt.Errorf("scp %s is unknown", name)
}

func (r *runner) updateSCP(ctx context.Context, s *SCP) error {
	id, err := r.scpID(s.Name)
	if err != nil {
		return err
	}
	content, err := r.scpContent(s)
	if err != nil {
		return err
	}
	_, err = r.conn.Orgs.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: id, Content: content, Description: aws.String(s.Description)})
	return err
}

func (r *runner) targetID(t string) (*string, error) {
	switch {
	case t == "root":
		return aws.String(r.rootID), nil
	case strings.HasPrefix(t, "ou:"):
		id, err := r.parentID(strings.TrimPrefix(t, "ou:"))
		return &id, err
	case strings.HasPrefix(t, "account:"):
		id, err := r.accountID(strings.TrimPrefix(t, "account:"))
		return &id, err
	case strings.HasPrefix(t, "id:"):
		return aws.String(strings.TrimPrefix(t, "id:")), nil
	}
	return nil, fmt.Errorf("unknown target %s", t)
}

func (r *runner) attachSCP(ctx context.Context, name, target string, attach bool) error {
	id, err := r.scpID(name)
	if err != nil {
		return err
	}
	tid, err := r.targetID(target)
	if err != nil {
		return err
	}
	if attach {
		_, err = r.conn.Orgs.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: id, TargetId: tid})
	} else {
		_, err = r.conn.Orgs.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: id, TargetId: tid})
	}
	return err
}

func (r *runner) deleteSCP(ctx context.Context, name string) error {
	id, err := r.scpID(name)
	if err != nil {
		return err
	}
	_, err = r.conn.Orgs.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: id})
	return err
}

// ---- IAM ----

func (r *runner) createPolicy(ctx context.Context, acct string, x *Policy) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	doc, err := r.render(x.Document, acct)
	if err != nil {
		return err
	}
	in := &iam.CreatePolicyInput{PolicyName: &x.Name, Path: &x.Path, PolicyDocument: doc, Tags: iamTags(x.Tags)}
	if x.Description != "" {
		in.Description = &x.Description
	}
	_, err = c.CreatePolicy(ctx, in)
	return err
}

func (r *runner) updatePolicy(ctx context.Context, acct string, x *Policy) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.policyARN(acct, x.Name)
	if err != nil {
		return err
	}
	doc, err := r.render(x.Document, acct)
	if err != nil {
		return err
	}
	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err != nil {
		return err
	}
	if len(vs.Versions) >= 5 {
		// Make room: delete the oldest version that is not the default.
		old := vs.Versions
		sort.Slice(old, func(i, j int) bool { return aws.ToTime(old[i].CreateDate).Before(aws.ToTime(old[j].CreateDate)) })
		for _, v := range old {
			if !v.IsDefaultVersion {
				if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: v.VersionId}); err != nil {
					return err
				}
				break
			}
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: doc, SetAsDefault: true})
	return err
}

func (r *runner) deletePolicy(ctx context.Context, acct string, x *Policy) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.policyARN(acct, x.Name)
	if err != nil {
		return err
	}
	vs, err := c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err != nil {
		return err
	}
	for _, v := range vs.Versions {
		if !v.IsDefaultVersion {
			if _, err := c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: v.VersionId}); err != nil {
				return err
			}
		}
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
	return err
}

func (r *runner) oidcARN(acct, url string) (*string, error) {
	id, err := r.accountID(acct)
	if err != nil {
		return nil, err
	}
	return aws.String("arn:aws:iam::" + id + ":oidc-provider/" + strings.TrimPrefix(url, "https://")), nil
}

func (r *runner) samlARN(acct, name string) (*string, error) {
	id, err := r.accountID(acct)
	if err != nil {
		return nil, err
	}
	return aws.String("arn:aws:iam::" + id + ":saml-provider/" + name), nil
}

func (r *runner) createOIDC(ctx context.Context, acct string, x *OIDCProvider) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: &x.URL, ClientIDList: x.ClientIDs, ThumbprintList: x.Thumbprints, Tags: iamTags(x.Tags),
	})
	return err
}

func (r *runner) oidcClientIDs(ctx context.Context, acct, url string, add, remove []string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.oidcARN(acct, url)
	if err != nil {
		return err
	}
	for _, id := range add {
		if _, err := c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(id)}); err != nil {
			return err
		}
	}
	for _, id := range remove {
		if _, err := c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(id)}); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) oidcThumbprints(ctx context.Context, acct string, x *OIDCProvider) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.oidcARN(acct, x.URL)
	if err != nil {
		return err
	}
	_, err = c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: x.Thumbprints})
	return err
}

func (r *runner) deleteOIDC(ctx context.Context, acct, url string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.oidcARN(acct, url)
	if err != nil {
		return err
	}
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	return err
}

func (r *runner) createSAML(ctx context.Context, acct string, x *SAMLProvider) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: &x.Name, SAMLMetadataDocument: &x.Metadata, Tags: iamTags(x.Tags)})
	return err
}

func (r *runner) updateSAML(ctx context.Context, acct string, x *SAMLProvider) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.samlARN(acct, x.Name)
	if err != nil {
		return err
	}
	_, err = c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: arn, SAMLMetadataDocument: &x.Metadata})
	return err
}

func (r *runner) deleteSAML(ctx context.Context, acct, name string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.samlARN(acct, name)
	if err != nil {
		return err
	}
	_, err = c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: arn})
	return err
}

func (r *runner) createGroup(ctx context.Context, acct string, x *Group) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: &x.Name, Path: &x.Path})
	return err
}

func (r *runner) createUser(ctx context.Context, acct string, x *User) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	in := &iam.CreateUserInput{UserName: &x.Name, Path: &x.Path, Tags: iamTags(x.Tags)}
	if x.Boundary != "" {
		if in.PermissionsBoundary, err = r.policyARN(acct, x.Boundary); err != nil {
			return err
		}
	}
	_, err = c.CreateUser(ctx, in)
	return err
}

func (r *runner) createRole(ctx context.Context, acct string, x *Role) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	trust, err := r.render(x.Trust, acct)
	if err != nil {
		return err
	}
	in := &iam.CreateRoleInput{RoleName: &x.Name, Path: &x.Path, AssumeRolePolicyDocument: trust, MaxSessionDuration: aws.Int32(x.MaxSession), Tags: iamTags(x.Tags)}
	if x.Description != "" {
		in.Description = &x.Description
	}
	if x.Boundary != "" {
		if in.PermissionsBoundary, err = r.policyARN(acct, x.Boundary); err != nil {
			return err
		}
	}
	_, err = c.CreateRole(ctx, in)
	return err
}

func (r *runner) updateTrust(ctx context.Context, acct string, x *Role) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	trust, err := r.render(x.Trust, acct)
	if err != nil {
		return err
	}
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: &x.Name, PolicyDocument: trust})
	return err
}

func (r *runner) updateRole(ctx context.Context, acct string, x *Role) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: &x.Name, Description: aws.String(x.Description), MaxSessionDuration: aws.Int32(x.MaxSession)})
	return err
}

func (r *runner) setPath(ctx context.Context, acct, kind, name, path string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	switch kind {
	case kUser:
		_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: &name, NewPath: &path})
	case kGroup:
		_, err = c.UpdateGroup(ctx, &iam.UpdateGroupInput{GroupName: &name, NewPath: &path})
	default:
		err = fmt.Errorf("cannot change the path of a %s", kind)
	}
	return err
}

func (r *runner) putInline(ctx context.Context, acct, kind, name string, ip *InlinePolicy) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	doc, err := r.render(ip.Document, acct)
	if err != nil {
		return err
	}
	switch kind {
	case kUser:
		_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: &name, PolicyName: &ip.Name, PolicyDocument: doc})
	case kGroup:
		_, err = c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: &name, PolicyName: &ip.Name, PolicyDocument: doc})
	case kRole:
		_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: &name, PolicyName: &ip.Name, PolicyDocument: doc})
	}
	return err
}

func (r *runner) deleteInline(ctx context.Context, acct, kind, name, policy string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	switch kind {
	case kUser:
		_, err = c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: &name, PolicyName: &policy})
	case kGroup:
		_, err = c.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: &name, PolicyName: &policy})
	case kRole:
		_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: &name, PolicyName: &policy})
	}
	return err
}

func (r *runner) attach(ctx context.Context, acct, kind, name, ref string, attach bool) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	arn, err := r.policyARN(acct, ref)
	if err != nil {
		return err
	}
	switch {
	case kind == kUser && attach:
		_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &name, PolicyArn: arn})
	case kind == kUser:
		_, err = c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: &name, PolicyArn: arn})
	case kind == kGroup && attach:
		_, err = c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: &name, PolicyArn: arn})
	case kind == kGroup:
		_, err = c.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: &name, PolicyArn: arn})
	case kind == kRole && attach:
		_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: &name, PolicyArn: arn})
	case kind == kRole:
		_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: &name, PolicyArn: arn})
	}
	return err
}

func (r *runner) boundary(ctx context.Context, acct, kind, name, ref string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	var arn *string
	if ref != "" {
		if arn, err = r.policyARN(acct, ref); err != nil {
			return err
		}
	}
	switch {
	case kind == kUser && arn != nil:
		_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: &name, PermissionsBoundary: arn})
	case kind == kUser:
		_, err = c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: &name})
	case kind == kRole && arn != nil:
		_, err = c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: &name, PermissionsBoundary: arn})
	case kind == kRole:
		_, err = c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: &name})
	}
	return err
}

func (r *runner) tag(ctx context.Context, acct, kind, name string, set map[string]string, remove []string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	tags := iamTags(set)
	var arn *string
	switch kind {
	case "policy":
		arn, err = r.policyARN(acct, name)
	case "oidc-provider":
		arn, err = r.oidcARN(acct, name)
	case "saml-provider":
		arn, err = r.samlARN(acct, name)
	}
	if err != nil {
		return err
	}
	if len(remove) > 0 {
		switch kind {
		case kUser:
			_, err = c.UntagUser(ctx, &iam.UntagUserInput{UserName: &name, TagKeys: remove})
		case kRole:
			_, err = c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: &name, TagKeys: remove})
		case "policy":
			_, err = c.UntagPolicy(ctx, &iam.UntagPolicyInput{PolicyArn: arn, TagKeys: remove})
		case "oidc-provider":
			_, err = c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, TagKeys: remove})
		case "saml-provider":
			_, err = c.UntagSAMLProvider(ctx, &iam.UntagSAMLProviderInput{SAMLProviderArn: arn, TagKeys: remove})
		}
		if err != nil {
			return err
		}
	}
	if len(tags) > 0 {
		switch kind {
		case kUser:
			_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: &name, Tags: tags})
		case kRole:
			_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: &name, Tags: tags})
		case "policy":
			_, err = c.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: arn, Tags: tags})
		case "oidc-provider":
			_, err = c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: tags})
		case "saml-provider":
			_, err = c.TagSAMLProvider(ctx, &iam.TagSAMLProviderInput{SAMLProviderArn: arn, Tags: tags})
		}
	}
	return err
}

func (r *runner) membership(ctx context.Context, acct, user, group string, join bool) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	if join {
		_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: &user, GroupName: &group})
	} else {
		_, err = c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: &user, GroupName: &group})
	}
	return err
}

func (r *runner) loginProfile(ctx context.Context, acct, user string, create bool) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	if !create {
		_, err = c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: &user})
		return err
	}
	// The file holds no secrets: the user gets a random password nobody
	// knows and must be given one by an administrator (UpdateLoginProfile).
	pw, err := randomPassword()
	if err != nil {
		return err
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: &user, Password: &pw, PasswordResetRequired: true})
	return err
}

func randomPassword() (string, error) {
	const sets = "ABCDEFGHJKLMNPQRSTUVWXYZ|abcdefghijkmnopqrstuvwxyz|23456789|!@#%^*-_=+"
	var b strings.Builder
	for i, set := range strings.Split(sets, "|") {
		n := 8
		if i == 3 {
			n = 4
		}
		for j := 0; j < n; j++ {
			k, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
			if err != nil {
				return "", err
			}
			b.WriteByte(set[k.Int64()])
		}
	}
	return b.String(), nil
}

// deleteEntity deletes a user, group or role whose policies the plan has
// already removed, along with what IAM requires gone first.
func (r *runner) deleteEntity(ctx context.Context, acct, kind, name string) error {
	c, err := r.iam(ctx, acct)
	if err != nil {
		return err
	}
	switch kind {
	case kRole:
		_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: &name})
	case kGroup:
		g, err := c.GetGroup(ctx, &iam.GetGroupInput{GroupName: &name})
		if err != nil {
			return err
		}
		for _, u := range g.Users {
			if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: &name, UserName: u.UserName}); err != nil {
				return err
			}
		}
		_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: &name})
		return err
	case kUser:
		gs, err := c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: &name})
		if err != nil && !unsupported(err) {
			return err
		}
		if gs != nil {
			for _, g := range gs.Groups {
				if _, err := c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: g.GroupName, UserName: &name}); err != nil {
					return err
				}
			}
		}
		if _, err := c.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: &name}); err != nil && !notFound(err) && !unsupported(err) {
			return err
		}
		keys, err := c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: &name})
		if err != nil {
			return err
		}
		for _, k := range keys.AccessKeyMetadata {
			if _, err := c.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: &name, AccessKeyId: k.AccessKeyId}); err != nil {
				return err
			}
		}
		_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: &name})
		return err
	}
	return err
}
