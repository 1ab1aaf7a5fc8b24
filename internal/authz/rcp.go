package authz

import (
	"context"
	"strings"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/policy"
)

// OrgSource is the part of a Source that knows the organization: the
// resource control policies of an account's resources and an account's
// place in the organization (for aws:PrincipalOrgID, aws:ResourceOrgID and
// their paths). A Source without it (tests, a bare IAM domain) has no
// RCPs and sets no organization keys.
type OrgSource interface {
	// RCPs returns the RCP levels that apply to account's resources (root
	// first, like SCPs), or nil when its resources are not subject to RCPs
	// (the management account, accounts outside the organization, RCPs
	// disabled).
	RCPs(ctx context.Context, account string) ([][]*policy.Policy, error)
	// OrgPath returns the id of account's organization and its path
	// ("o-…/r-…/ou-…/"), or "", "" when it belongs to none.
	OrgPath(ctx context.Context, account string) (id, path string, err error)
}

// standing is what the organization says about one account: the SCPs of
// its principals, the RCPs of its resources, its organization id and
// path. One is cached per account, in a.orgs, dropped on every change
// (the organization's records are global).
type standing struct {
	scps  [][]*policy.Policy
	rcps  [][]*policy.Policy
	orgID string
	path  string
}

// noStanding is the standing of no account.
var noStanding standing

// maxStandings bounds a.orgs: resource accounts come from the ARNs callers
// name, so the map is cleared rather than grown past it.
const maxStandings = 4096

func (a *Authorizer) standing(ctx context.Context, account string) (*standing, error) {
	a.mu.RLock()
	st, gen := a.orgs[account], a.gen
	a.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	st = &standing{}
	var err error
	if st.scps, err = a.src.SCPs(ctx, account); err != nil {
		return nil, err
	}
	if a.org != nil {
		if st.rcps, err = a.org.RCPs(ctx, account); err != nil {
			return nil, err
		}
		if st.orgID, st.path, err = a.org.OrgPath(ctx, account); err != nil {
			return nil, err
		}
	}
	a.mu.Lock()
	if a.gen == gen {
		if len(a.orgs) >= maxStandings {
			clear(a.orgs)
		}
		a.orgs[account] = st
	}
	a.mu.Unlock()
	return st, nil
}

// rcpServices are the services whose resources RCPs govern (AWS
// Organizations user guide, "List of AWS services that support RCPs").
// Actions of any other service — IAM's among them — are never subject to
// RCPs.
var rcpServices = map[string]bool{
	"s3": true, "sts": true, "kms": true, "sqs": true, "secretsmanager": true,
	"cognito-idp": true, "cognito-identity": true, "logs": true, "dynamodb": true,
	"ecr": true, "aoss": true,
}

// rcpApplies reports whether RCPs take part in deciding action on
// resource for caller: the action's service must be one RCPs cover, and
// RCPs never restrict service-linked roles (neither their sessions'
// requests nor a service assuming one) nor AWS managed KMS keys.
func rcpApplies(action, resource string, c *authn.Caller) bool {
	svc, _, ok := strings.Cut(action, ":")
	if !ok || !rcpServices[strings.ToLower(svc)] {
		return false
	}
	if c != nil && c.Type == authn.TypeAssumedRole && strings.Contains(c.PrincipalARN, ":role/aws-service-role/") {
		return false
	}
	if strings.Contains(resource, ":role/aws-service-role/") || strings.Contains(resource, ":alias/aws/") {
		return false
	}
	return true
}

// resourceAccount returns the account owning req's resource as the engine
// takes it (policy.Request.ResourceAccount: explicit, else the ARN's
// 12-digit account field, else the caller's) and whether the request
// names it (explicitly or by ARN). It does not allocate.
func resourceAccount(req *Request, caller string) (string, bool) {
	if req.ResourceAccount != "" {
		return req.ResourceAccount, true
	}
	// arn:partition:service:region:account:…
	s := req.Resource
	for range 4 {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return caller, false
		}
		s = s[i+1:]
	}
	if i := strings.IndexByte(s, ':'); i == 12 && strings.HasPrefix(req.Resource, "arn:") && allDigits(s[:12]) {
		return s[:12], true
	}
	return caller, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// orgSide picks, for a request whose resource belongs to resAcct, the
// resource account's standing (the principal's when they are the same
// account) and, when RCPs cover the request, its RCPs into set.
func (a *Authorizer) orgSide(ctx context.Context, req *Request, set *policy.Set, principal *standing, principalAccount string) (*standing, string, bool, error) {
	resAcct, named := resourceAccount(req, principalAccount)
	if resAcct == "" {
		return &noStanding, "", false, nil // no account at all (an unsigned principal, no ARN account)
	}
	res := principal
	if resAcct != principalAccount || principal == nil {
		var err error
		if res, err = a.standing(ctx, resAcct); err != nil {
			return nil, "", false, err
		}
	}
	if res.rcps != nil && rcpApplies(req.Action, req.Resource, req.Caller) {
		set.RCPs = res.rcps
	}
	return res, resAcct, named, nil
}

// setOrgKeys sets the organization condition keys (conditions.md §6):
// aws:PrincipalOrgID/aws:PrincipalOrgPaths when the principal's account is
// in an organization (principal nil for principals without an account),
// aws:ResourceAccount when the request names the resource's account, and
// aws:ResourceOrgID/aws:ResourceOrgPaths when that account is in an
// organization. They are set last: Hatrack's values win over any a
// service supplied.
func setOrgKeys(pctx *policy.Context, principal, res *standing, resAcct string, named bool) {
	if principal != nil && principal.orgID != "" {
		pctx.Set("aws:PrincipalOrgID", principal.orgID)
		pctx.Set("aws:PrincipalOrgPaths", principal.path)
	}
	if !named {
		return
	}
	pctx.Set("aws:ResourceAccount", resAcct)
	if res.orgID != "" {
		pctx.Set("aws:ResourceOrgID", res.orgID)
		pctx.Set("aws:ResourceOrgPaths", res.path)
	}
}
