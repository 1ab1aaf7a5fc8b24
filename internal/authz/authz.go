package authz

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Principal policies of a user or a role, compiled.
type Principal struct {
	Identity []*policy.Policy
	Boundary *policy.Policy
	// Tags are the principal's tags (aws:PrincipalTag/*).
	Tags map[string]string
}

// Source supplies compiled policies. (It speaks only policy types, so the
// domain packages implement it without importing this package.) A Source
// that is also an OrgSource (rcp.go) brings RCPs and the organization
// condition keys.
type Source interface {
	// UserPolicies returns the policies of the user with unique id id
	// (its inline and attached policies and its groups'), its permissions
	// boundary and its tags.
	UserPolicies(ctx context.Context, account, id string) (identity []*policy.Policy, boundary *policy.Policy, tags map[string]string, err error)
	// RolePolicies is UserPolicies for a role, by its unique id.
	RolePolicies(ctx context.Context, account, id string) (identity []*policy.Policy, boundary *policy.Policy, tags map[string]string, err error)
	// ManagedPolicy compiles the default version of a managed policy (for
	// session policy ARNs).
	ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error)
	// SCPs returns the SCP levels that apply to account, or nil when the
	// account is not subject to SCPs (the management account).
	SCPs(ctx context.Context, account string) ([][]*policy.Policy, error)
}

// Request is one authorization question.
type Request struct {
	Caller   *authn.Caller
	Action   string
	Resource string
	// ResourceAccount owns the resource ("" = from the ARN, else caller's).
	ResourceAccount string
	// ResourcePolicy is the resource-based policy, if any.
	ResourcePolicy *policy.Policy
	// Trust marks ResourcePolicy as a role trust policy: it must always
	// explicitly allow the caller (see trust.go).
	Trust bool
	// Principal stands for the caller when Caller is nil (web identity,
	// SAML and service principals of role assumption): no identity-side
	// policies apply.
	Principal *policy.Principal
	SourceIP  string
	UserAgent string
	Region    string
	Secure    bool
	Time      time.Time
	// Extra adds operation-specific condition keys.
	Extra func(*policy.Context)
}

// Authorizer evaluates requests. It is safe for concurrent use.
type Authorizer struct {
	src Source
	org OrgSource // src's organization side; nil when it has none

	mu    sync.RWMutex
	cache map[cacheKey]*cached
	// gen increments on every invalidation so a load that raced with an
	// invalidation is not cached.
	gen uint64
	// orgs caches each account's standing in the organization (SCPs,
	// RCPs, organization id and path), dropped on every change.
	orgs map[string]*standing

	spMu sync.Mutex
	sp   map[string]*policy.Policy // inline session policy text → compiled
}

type cached struct {
	account string
	p       *Principal
	mp      *policy.Policy
}

// New returns an authorizer over src.
func New(src Source) *Authorizer {
	org, _ := src.(OrgSource)
	return &Authorizer{src: src, org: org, cache: make(map[cacheKey]*cached), orgs: make(map[string]*standing),
		sp: make(map[string]*policy.Policy)}
}

// Decide evaluates req and returns the engine's result and the policy
// request it evaluated (for messages and audit).
func (a *Authorizer) Decide(ctx context.Context, req *Request) (policy.Result, *policy.Request, error) {
	return a.decide(ctx, req, policy.NewContext())
}

// ctxPool recycles request contexts on the Authorize path, where the
// context does not outlive the call.
var ctxPool = sync.Pool{New: func() any { return policy.NewContext() }}

func (a *Authorizer) decide(ctx context.Context, req *Request, pctx *policy.Context) (policy.Result, *policy.Request, error) {
	c := req.Caller
	set := &policy.Set{Trust: req.Trust}
	if c == nil {
		return a.decideUnsigned(ctx, req, set, pctx)
	}
	if err := Restrict(c, req.Action); err != nil {
		return policy.Result{}, nil, err
	}
	preq := &policy.Request{Principal: toPrincipal(c), Action: req.Action, Resource: req.Resource, ResourceAccount: req.ResourceAccount, Context: pctx}
	set.Resource = req.ResourcePolicy

	var tags map[string]string
	switch c.Type {
	case authn.TypeRoot:
		// Root: no identity policies; its standing is the engine's rule.
	case authn.TypeUser:
		p, err := a.principal(ctx, "user", c.Account, c.UniqueID)
		if err != nil {
			return policy.Result{}, nil, err
		}
		set.Identity, set.Boundary, tags = p.Identity, p.Boundary, p.Tags
	case authn.TypeAssumedRole:
		p, err := a.principal(ctx, "role", c.Account, c.UniqueID)
		if err != nil {
			return policy.Result{}, nil, err
		}
		set.Identity, set.Boundary, tags = p.Identity, p.Boundary, p.Tags
	case authn.TypeFederatedUser:
		if c.Session != nil && c.Session.SourceID != "" && c.Session.SourceID != c.Account {
			p, err := a.principal(ctx, "user", c.Account, c.Session.SourceID)
			if err != nil {
				return policy.Result{}, nil, err
			}
			set.Identity, set.Boundary = p.Identity, p.Boundary
		}
	}
	if s := c.Session; s != nil && (c.Type == authn.TypeAssumedRole || c.Type == authn.TypeFederatedUser) {
		set.SessionRestricted = s.SessionPolicy != "" || len(s.SessionPolicyARNs) > 0 || c.Type == authn.TypeFederatedUser
		if s.SessionPolicy != "" {
			sp, err := a.sessionPolicy(s.SessionPolicy)
			if err != nil {
				return policy.Result{}, nil, err
			}
			set.Session = append(set.Session, sp)
		}
		for _, arn := range s.SessionPolicyARNs {
			mp, err := a.managed(ctx, arn)
			if err != nil {
				return policy.Result{}, nil, err
			}
			if mp != nil {
				set.Session = append(set.Session, mp)
			}
		}
		// Session tags override principal tags of the same key.
		if len(s.Tags) > 0 {
			merged := make(map[string]string, len(tags)+len(s.Tags))
			for k, v := range tags {
				merged[k] = v
			}
			for _, t := range s.Tags {
				for k := range merged {
					if strings.EqualFold(k, t.Key) {
						delete(merged, k)
					}
				}
				merged[t.Key] = t.Value
			}
			tags = merged
		}
	}
	// SCPs of the principal's account; RCPs of the resource's.
	pst, err := a.standing(ctx, c.Account)
	if err != nil {
		return policy.Result{}, nil, err
	}
	set.SCPs = pst.scps
	rst, resAcct, named, err := a.orgSide(ctx, req, set, pst, c.Account)
	if err != nil {
		return policy.Result{}, nil, err
	}

	fillContext(pctx, req, &preq.Principal, tags)
	setOrgKeys(pctx, pst, rst, resAcct, named)
	res := policy.Evaluate(preq, set)
	return res, preq, nil
}

// Authorize is Decide that answers with AWS's AccessDenied on a denial.
func (a *Authorizer) Authorize(ctx context.Context, req *Request) error {
	return a.authorize(ctx, req, policy.Result.DenyMessage)
}

// authorize decides req with a pooled context and answers AccessDenied in
// message's words on a denial (built before the context goes back).
func (a *Authorizer) authorize(ctx context.Context, req *Request, message func(policy.Result, *policy.Request) string) error {
	pctx := ctxPool.Get().(*policy.Context)
	pctx.Reset()
	defer ctxPool.Put(pctx)
	res, preq, err := a.decide(ctx, req, pctx)
	if err != nil {
		return err
	}
	if res.Allowed() {
		return nil
	}
	return awserr.AccessDenied("%s", message(res, preq))
}

// sessionPolicy compiles an inline session policy, once per distinct
// text: sessions carry it in their token and present it on every request.
func (a *Authorizer) sessionPolicy(doc string) (*policy.Policy, error) {
	a.spMu.Lock()
	p := a.sp[doc]
	a.spMu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := policy.Parse(doc, policy.Session)
	if err != nil {
		return nil, err
	}
	p = p.WithID("session-policy")
	a.spMu.Lock()
	if len(a.sp) >= maxSessionPolicies {
		clear(a.sp)
	}
	a.sp[doc] = p
	a.spMu.Unlock()
	return p, nil
}

const maxSessionPolicies = 1024

// clock formats aws:CurrentTime and aws:EpochTime once per second.
type clockValues struct {
	unix       int64
	iso, epoch string
}

var clock atomic.Pointer[clockValues]

func clockFor(t time.Time) *clockValues {
	u := t.Unix()
	if cv := clock.Load(); cv != nil && cv.unix == u {
		return cv
	}
	cv := &clockValues{unix: u, iso: t.UTC().Format("2006-01-02T15:04:05Z"), epoch: strconv.FormatInt(u, 10)}
	clock.Store(cv)
	return cv
}

func toPrincipal(c *authn.Caller) policy.Principal {
	p := policy.Principal{Account: c.Account, ARN: c.ARN, PrincipalARN: c.PrincipalARN, UniqueID: c.UniqueID}
	switch c.Type {
	case authn.TypeRoot:
		p.Type = policy.Root
	case authn.TypeUser:
		p.Type = policy.User
	case authn.TypeAssumedRole:
		p.Type = policy.AssumedRole
	case authn.TypeFederatedUser:
		p.Type = policy.FederatedUser
		if c.Session != nil {
			p.UserARN = c.Session.SourceARN
		}
	}
	return p
}

// fillContext sets the global condition keys for the request
// (../shared/spec/conditions.md).
func fillContext(pctx *policy.Context, req *Request, p *policy.Principal, tags map[string]string) {
	c := req.Caller
	pctx.SetPrincipalKeys(p)
	pctx.Set("aws:userid", c.UserID)
	if c.Type == authn.TypeUser {
		pctx.Set("aws:username", c.UserName)
	}
	t := req.Time
	if t.IsZero() {
		t = time.Now()
	}
	cv := clockFor(t)
	pctx.Set("aws:CurrentTime", cv.iso)
	pctx.Set("aws:EpochTime", cv.epoch)
	pctx.SetBool("aws:SecureTransport", req.Secure)
	if req.SourceIP != "" {
		// Only a valid address becomes aws:SourceIp (the text as the
		// transport read it, which is already canonical).
		if _, err := netip.ParseAddr(req.SourceIP); err == nil {
			pctx.Set("aws:SourceIp", req.SourceIP)
		}
	}
	if req.UserAgent != "" {
		pctx.Set("aws:UserAgent", req.UserAgent)
	}
	if req.Region != "" {
		pctx.Set("aws:RequestedRegion", req.Region)
	}
	for k, v := range tags {
		pctx.Set("aws:PrincipalTag/"+k, v)
	}
	if s := c.Session; s != nil {
		pctx.SetTime("aws:TokenIssueTime", s.IssuedAt)
		pctx.SetBool("aws:MultiFactorAuthPresent", s.MFAAuthenticated)
		if s.MFAAuthenticated {
			pctx.SetInt("aws:MultiFactorAuthAge", int64(t.Sub(s.MFAAuthTime)/time.Second))
		}
		if s.SourceIdentity != "" {
			pctx.Set("aws:SourceIdentity", s.SourceIdentity)
		}
		if c.Type == authn.TypeAssumedRole {
			pctx.Set("aws:ViaAWSService", "false")
			setSessionClaims(pctx, s.Extra)
		}
	}
	if req.Extra != nil {
		req.Extra(pctx)
	}
}

// setSessionClaims sets the federation claims a web-identity or SAML role
// session keeps for its later requests (conditions.md: of the identity
// provider's keys only amr, aud, id and sub; saml:namequalifier, saml:sub
// and saml:sub_type; and aws:FederatedProvider). The claims were chosen
// when the session was minted (token.Claims.Extra).
func setSessionClaims(pctx *policy.Context, extra map[string]string) {
	for k, v := range extra {
		switch {
		case k == "aws:FederatedProvider", k == "saml:namequalifier", k == "saml:sub", k == "saml:sub_type":
			pctx.Set(k, v)
		case strings.HasPrefix(k, "saml:"), strings.HasPrefix(k, "aws:"), strings.HasPrefix(k, "hatrack:"):
			// Not carried: saml:aud and the other assertion keys, and
			// Hatrack's own markers.
		case strings.HasSuffix(k, ":amr"):
			pctx.Set(k, strings.Split(v, ",")...) // multivalued, joined at minting
		case strings.HasSuffix(k, ":aud"), strings.HasSuffix(k, ":sub"), strings.HasSuffix(k, ":id"):
			pctx.Set(k, v)
		}
	}
}

func (a *Authorizer) principal(ctx context.Context, kind, account, id string) (*Principal, error) {
	key := cacheKey{kind, id}
	a.mu.RLock()
	e, gen := a.cache[key], a.gen
	a.mu.RUnlock()
	if e != nil {
		return e.p, nil
	}
	load := a.src.RolePolicies
	if kind == "user" {
		load = a.src.UserPolicies
	}
	idp, b, tags, err := load(ctx, account, id)
	if err != nil {
		return nil, err
	}
	p := &Principal{Identity: idp, Boundary: b, Tags: tags}
	a.put(key, gen, &cached{account: account, p: p})
	return p, nil
}

// ManagedPolicy returns the compiled default version of a managed policy
// (nil, nil when it does not exist), through the cache.
func (a *Authorizer) ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	return a.managed(ctx, arn)
}

func (a *Authorizer) managed(ctx context.Context, arn string) (*policy.Policy, error) {
	key := cacheKey{"mp", arn}
	a.mu.RLock()
	e, gen := a.cache[key], a.gen
	a.mu.RUnlock()
	if e != nil {
		return e.mp, nil
	}
	mp, err := a.src.ManagedPolicy(ctx, arn)
	if awserr.HasCode(err, "NoSuchEntity") {
		// A session policy ARN whose policy is gone grants nothing; the
		// session stays restricted (fail closed).
		mp, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	a.put(key, gen, &cached{account: arnAccount(arn), mp: mp})
	return mp, nil
}

// cacheKey names a cached entry: {"user"|"role", unique id} or
// {"mp", policy ARN}. A struct key costs no allocation on lookup.
type cacheKey struct{ kind, id string }

func (a *Authorizer) put(key cacheKey, gen uint64, e *cached) {
	a.mu.Lock()
	if a.gen == gen {
		a.cache[key] = e
	}
	a.mu.Unlock()
}

// Invalidate drops cache entries a committed change may have made stale:
// every entry of the change's account, every account's standing in the
// organization (SCPs, RCPs: the organization's records are global), and
// for global records (accounts, the organization, its policies)
// everything.
func (a *Authorizer) Invalidate(c store.Change) {
	if c.Kind == "accesskey" {
		return // keys carry no policy
	}
	a.mu.Lock()
	a.gen++
	clear(a.orgs)
	if c.Account == "" {
		a.cache = make(map[cacheKey]*cached)
	} else {
		for k, e := range a.cache {
			if e.account == c.Account || e.account == "" {
				delete(a.cache, k)
			}
		}
	}
	a.mu.Unlock()
}

// Flush drops everything.
func (a *Authorizer) Flush() {
	a.mu.Lock()
	a.gen++
	a.cache = make(map[cacheKey]*cached)
	clear(a.orgs)
	a.mu.Unlock()
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[4] == "aws" {
		return ""
	}
	return parts[4]
}
