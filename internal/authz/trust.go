package authz

import (
	"context"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/policy"
)

// Trust is one role-assumption question (evaluation.md §5): may the caller
// perform Actions (sts:AssumeRole first, then sts:TagSession,
// sts:SetSourceIdentity, … as the request needs) on the role?
//
// The trust policy is the resource policy with Trust set, so it must
// always explicitly allow the caller; the caller's identity side
// (identity policies, boundary, session policies, SCPs) is assembled here
// exactly as for any other request. Same-account callers named directly
// (user ARN/unique id, session ARN) need no identity allow; an account
// principal or a cross-account caller needs both sides.
type Trust struct {
	// Caller is the authenticated caller; nil for unsigned assumption
	// (web identity, SAML), where Principal stands for it.
	Caller    *authn.Caller
	Principal *policy.Principal
	// RoleARN is the ARN as the caller wrote it (it is the resource of the
	// request and of the denial message, even when no such role exists).
	RoleARN     string
	RoleAccount string
	// Policy is the role's compiled trust policy; nil when the role does
	// not exist (the answer is then the same AccessDenied as "not
	// trusted": STS never reveals existence).
	Policy  *policy.Policy
	Actions []string

	SourceIP  string
	UserAgent string
	Region    string
	Secure    bool
	Time      time.Time
	// Extra adds the request's condition keys (sts:ExternalId,
	// sts:RoleSessionName, aws:RequestTag/*, aws:ResourceTag/*, …).
	Extra func(*policy.Context)
}

// AuthorizeTrust answers nil when every action is allowed, else AWS's
// AccessDenied for the first refused action:
// "User: <caller> is not authorized to perform: <action> on resource:
// <role ARN>", without saying which side refused — except for a resource
// control policy of the role's account, which AWS names ("… with an
// explicit deny in a resource control policy"): it decides before the
// trust policy is read, so it reveals nothing of the role.
func (a *Authorizer) AuthorizeTrust(ctx context.Context, t *Trust) error {
	for _, action := range t.Actions {
		req := &Request{Caller: t.Caller, Principal: t.Principal, Action: action, Resource: t.RoleARN,
			ResourceAccount: t.RoleAccount, ResourcePolicy: t.Policy, Trust: true,
			SourceIP: t.SourceIP, UserAgent: t.UserAgent, Region: t.Region, Secure: t.Secure, Time: t.Time, Extra: t.Extra}
		if t.Policy == nil {
			// No role: deny as an untrusting role would, with the same words.
			req.ResourcePolicy = denyAll
		}
		if err := a.authorize(ctx, req, trustDenyMessage); err != nil {
			return err
		}
	}
	return nil
}

func trustDenyMessage(res policy.Result, preq *policy.Request) string {
	if res.DecidedBy == policy.RCP {
		return res.DenyMessage(preq)
	}
	return res.ShortDenyMessage(preq)
}

// denyAll is a trust policy that allows nobody (an empty statement list
// is not valid policy grammar, so it denies by never allowing).
var denyAll = func() *policy.Policy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"hatrack:never":"true"}}}]}`, policy.Trust)
	if err != nil {
		panic(err)
	}
	return p
}()

// decideUnsigned evaluates a request whose caller is not an IAM principal
// (web identity, SAML, service): only the resource (trust) policy and the
// RCPs of the resource's account apply.
func (a *Authorizer) decideUnsigned(ctx context.Context, req *Request, set *policy.Set, pctx *policy.Context) (policy.Result, *policy.Request, error) {
	p := policy.Principal{Type: policy.Anonymous}
	if req.Principal != nil {
		p = *req.Principal
	}
	set.Resource = req.ResourcePolicy
	preq := &policy.Request{Principal: p, Action: req.Action, Resource: req.Resource, ResourceAccount: req.ResourceAccount, Context: pctx}
	pctx.SetPrincipalKeys(&preq.Principal)
	t := req.Time
	if t.IsZero() {
		t = time.Now()
	}
	pctx.SetTime("aws:CurrentTime", t)
	pctx.SetInt("aws:EpochTime", t.Unix())
	pctx.SetBool("aws:SecureTransport", req.Secure)
	if req.SourceIP != "" {
		pctx.Set("aws:SourceIp", req.SourceIP)
	}
	if req.UserAgent != "" {
		pctx.Set("aws:UserAgent", req.UserAgent)
	}
	if req.Region != "" {
		pctx.Set("aws:RequestedRegion", req.Region)
	}
	if req.Extra != nil {
		req.Extra(pctx)
	}
	rst, resAcct, named, err := a.orgSide(ctx, req, set, nil, p.Account)
	if err != nil {
		return policy.Result{}, nil, err
	}
	setOrgKeys(pctx, nil, rst, resAcct, named)
	return policy.Evaluate(preq, set), preq, nil
}
