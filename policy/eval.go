package policy

import (
	"iter"
	"strings"
)

// Request is one authorization question: may Principal perform Action on
// Resource given the condition keys in Context?
type Request struct {
	Principal Principal
	// Action is "service:Action", e.g. "iam:CreateRole" (case-insensitive).
	Action string
	// Resource is the resource ARN, or "*" (or "") for actions without a
	// resource.
	Resource string
	// ResourceAccount is the account owning the resource. Empty means: the
	// account field of Resource when it is a 12-digit id, else the
	// principal's account (same-account request).
	ResourceAccount string
	// Context holds condition keys; nil means empty.
	Context *Context
}

// Set is everything that applies to one request.
type Set struct {
	// Identity holds the principal's identity-based policies (user inline +
	// managed + groups', or the role's inline + managed).
	Identity []*Policy
	// Boundary is the permissions boundary of the user/role; nil = none.
	Boundary *Policy
	// Session holds session policies (inline Policy + PolicyArns) of a
	// role or federated-user session.
	Session []*Policy
	// SessionRestricted marks a session created with session policies;
	// it is implied by len(Session) > 0. A session without session
	// policies is not restricted (except federated users, see
	// evaluation.md §2 step 8).
	SessionRestricted bool
	// SCPs are the service control policies of the principal's account,
	// one slice per level of the organization tree (root, OUs…, account);
	// every level must allow. nil = not subject to SCPs (management
	// account, no organization, service-linked roles): the caller decides.
	SCPs [][]*Policy
	// RCPs are the resource control policies of the resource's account,
	// by level like SCPs; nil = not subject.
	RCPs [][]*Policy
	// Resource is the resource-based policy (or the role trust policy when
	// Trust is true); nil = none.
	Resource *Policy
	// Trust marks Resource as a role trust policy (AssumeRole*,
	// TagSession, SetSourceIdentity, SetContext): it must always
	// explicitly allow the caller.
	Trust bool
	// ResourceMustAllow makes any resource policy behave like a trust
	// policy with regard to requiring an explicit allow (e.g. KMS key
	// policies) without trust-policy messages.
	ResourceMustAllow bool
}

// Decision is the outcome of an evaluation.
type Decision uint8

// Decisions. The zero value is ImplicitDeny (fail closed).
const (
	ImplicitDeny Decision = iota
	Allowed
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allowed"
	case ExplicitDeny:
		return "ExplicitDeny"
	}
	return "ImplicitDeny"
}

// MarshalText renders the decision name.
func (d Decision) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// SimulatorString renders the decision as IAM's SimulatePolicy API does
// ("allowed", "explicitDeny", "implicitDeny").
func (d Decision) SimulatorString() string {
	switch d {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// Match identifies one statement that took part in a decision.
type Match struct {
	// Type is the policy type (Identity, Resource, Trust, Boundary,
	// Session, SCP, RCP).
	Type Kind
	// Level is the organization-tree level for SCP/RCP matches.
	Level int
	// Policy is the matched policy (Policy.ID() is the caller's id).
	Policy *Policy
	// Statement is the index, Sid, effect and position of the statement.
	Statement *StatementInfo
}

// PolicyID returns the caller-chosen id of the matched policy.
func (m Match) PolicyID() string {
	if m.Policy == nil {
		return ""
	}
	return m.Policy.id
}

// MaxMatches is the capacity of a MatchList.
const MaxMatches = 12

// MatchList is a fixed-capacity, allocation-free list of the statements
// that decided a Result: for an explicit deny the denying statement; for an
// allow the first allowing statement of each policy type (and SCP/RCP
// level) that was required; for an implicit deny the allows that were
// found before the missing one.
type MatchList struct {
	n   int
	buf [MaxMatches]Match
}

// Len returns the number of matches.
func (l MatchList) Len() int { return l.n }

// At returns match i.
func (l MatchList) At(i int) Match { return l.buf[i] }

// Slice returns a copy of the matches.
func (l MatchList) Slice() []Match { return append([]Match(nil), l.buf[:l.n]...) }

// All iterates over the matches.
func (l MatchList) All() iter.Seq2[int, Match] {
	return func(yield func(int, Match) bool) {
		for i := 0; i < l.n; i++ {
			if !yield(i, l.buf[i]) {
				return
			}
		}
	}
}

func (l *MatchList) add(m Match) {
	if l.n < MaxMatches {
		l.buf[l.n] = m
		l.n++
	}
}

// Result is the outcome of Evaluate, with its explanation.
type Result struct {
	Decision Decision
	// DecidedBy is the policy type that decided: the type holding the
	// explicit deny; the type lacking an allow for an implicit deny; the
	// type whose allow granted for Allowed (KindNone for the root user's
	// default allow).
	DecidedBy Kind
	// Matched lists the deciding statements.
	Matched MatchList
	// Trust is set when the resource policy was a role trust policy
	// (selects the "role trust policy" message wording).
	Trust bool
}

// Allowed reports whether the request is allowed.
func (r Result) Allowed() bool { return r.Decision == Allowed }

// Report is the detailed outcome of EvaluateReport, for the IAM policy
// simulator.
type Report struct {
	Result
	// MatchedStatements lists every statement (any effect, any policy
	// type) whose action, resource, principal and conditions matched.
	MatchedStatements []Match
	// MissingContextValues lists condition keys (and policy-variable keys)
	// that applicable statements referenced but the context lacked, as
	// spelled in the policies, de-duplicated case-insensitively.
	MissingContextValues []string
}

// evaluator carries the state of one evaluation; it lives on the stack.
type evaluator struct {
	req *Request
	ctx *Context
	res *Result
	rep *Report // nil on the fast path
}

func (e *evaluator) missingKey(k string) {
	if e.rep == nil {
		return
	}
	for _, m := range e.rep.MissingContextValues {
		if strings.EqualFold(m, k) {
			return
		}
	}
	e.rep.MissingContextValues = append(e.rep.MissingContextValues, k)
}

func (e *evaluator) missingVars(t *tmpl) {
	if e.rep == nil {
		return
	}
	for i := range t.toks {
		if tk := &t.toks[i]; tk.kind == tVar && !tk.hasDef {
			if _, ok := e.ctx.single(tk.s); !ok {
				e.missingKey(tk.s)
			}
		}
	}
}

// Evaluate runs the full decision procedure of evaluation.md §9 and
// returns the decision with its explanation. It does not allocate:
// policy variables are resolved in place during matching.
func Evaluate(req *Request, set *Set) Result {
	var res Result
	e := evaluator{req: req, ctx: req.Context, res: &res}
	e.run(set)
	return res
}

// EvaluateReport is Evaluate that also lists every matched statement and
// the missing context values (for SimulatePrincipalPolicy /
// SimulateCustomPolicy). The decision is identical to Evaluate's.
func EvaluateReport(req *Request, set *Set) Report {
	var rep Report
	e := evaluator{req: req, ctx: req.Context, res: &rep.Result, rep: &rep}
	e.run(set)
	return rep
}

// stmtApplies: action, resource, principal and conditions all match.
func (e *evaluator) stmtApplies(p *Policy, st *statement) (bool, grantKind) {
	req := e.req
	// Action
	am := false
	for i := range st.actions {
		if ok, _ := st.actions[i].match(req.Action, mGlobASCIIFold, nil); ok {
			am = true
			break
		}
	}
	if am == st.notAction {
		return false, gNone
	}
	// Resource
	if st.hasResource {
		res := req.Resource
		if res == "" {
			res = "*"
		}
		rm := false
		for i := range st.resources {
			t := &st.resources[i]
			ok, un := t.match(res, mArn, e.ctx)
			if un {
				e.missingVars(t)
			}
			if ok {
				rm = true
				break
			}
		}
		if rm == st.notResource {
			return false, gNone
		}
	}
	// Principal
	g := gDirect
	if st.hasPrinc && p.kind.principalBearing() {
		if st.notPrinc {
			if st.principals.excludes(&req.Principal) {
				return false, gNone
			}
		} else if g = st.principals.match(&req.Principal); g == gNone {
			return false, gNone
		}
	}
	// Conditions: AND of every (operator, key) pair.
	ok := true
	for i := range st.conds {
		if !st.conds[i].eval(e) {
			ok = false
			if e.rep == nil {
				break
			}
		}
	}
	return ok, g
}

// scan evaluates a policy's statements. It reports the first matching
// deny and the first matching allow (for resource policies: the strongest
// grant). On the fast path it stops at the first deny.
type scanResult struct {
	deny     *statement
	allow    *statement
	grant    grantKind
	denyPol  *Policy
	allowPol *Policy
}

func (e *evaluator) scan(p *Policy, typ Kind, level int, sr *scanResult) {
	if p == nil {
		return
	}
	for i := range p.stmts {
		st := &p.stmts[i]
		if e.rep == nil {
			if st.deny {
				if sr.deny != nil {
					continue
				}
			} else if sr.allow != nil && (typ != Resource && typ != Trust || sr.grant == gDirect) {
				continue
			}
		}
		ok, g := e.stmtApplies(p, st)
		if !ok {
			continue
		}
		if e.rep != nil {
			e.rep.MatchedStatements = append(e.rep.MatchedStatements, Match{Type: typ, Level: level, Policy: p, Statement: &st.info})
		}
		if st.deny {
			if sr.deny == nil {
				sr.deny, sr.denyPol = st, p
			}
			if e.rep == nil {
				return
			}
			continue
		}
		if sr.allow == nil || g > sr.grant {
			sr.allow, sr.allowPol, sr.grant = st, p, g
		}
	}
}

func (e *evaluator) record(sr *scanResult, typ Kind, level int, deny bool) {
	if deny {
		e.res.Matched.add(Match{Type: typ, Level: level, Policy: sr.denyPol, Statement: &sr.deny.info})
	} else if sr.allow != nil {
		e.res.Matched.add(Match{Type: typ, Level: level, Policy: sr.allowPol, Statement: &sr.allow.info})
	}
}

func (e *evaluator) decide(d Decision, by Kind) {
	e.res.Decision = d
	e.res.DecidedBy = by
}

func (e *evaluator) run(set *Set) {
	req := e.req
	p := &req.Principal
	resType := Resource
	if set.Trust {
		resType = Trust
		e.res.Trust = true
	}
	explicitFirst := func(sr *scanResult, typ Kind, level int) bool {
		if sr.deny != nil {
			e.decide(ExplicitDeny, typ)
			e.res.Matched = MatchList{}
			e.record(sr, typ, level, true)
			return true
		}
		return false
	}
	denied := false

	// 1. Explicit deny anywhere (order: SCP, RCP, resource, identity,
	// boundary, session — the first type found is the one reported).
	var scpFail, rcpFail = -1, -1
	for li, level := range set.SCPs {
		var sr scanResult
		for _, pol := range level {
			e.scan(pol, SCP, li, &sr)
			if sr.deny != nil && e.rep == nil {
				break
			}
		}
		if !denied && explicitFirst(&sr, SCP, li) {
			denied = true
			if e.rep == nil {
				return
			}
		}
		if sr.allow == nil && scpFail < 0 {
			scpFail = li
		} else if sr.allow != nil && !denied {
			e.record(&sr, SCP, li, false)
		}
	}
	for li, level := range set.RCPs {
		var sr scanResult
		for _, pol := range level {
			e.scan(pol, RCP, li, &sr)
			if sr.deny != nil && e.rep == nil {
				break
			}
		}
		if !denied && explicitFirst(&sr, RCP, li) {
			denied = true
			if e.rep == nil {
				return
			}
		}
		if sr.allow == nil && rcpFail < 0 {
			rcpFail = li
		} else if sr.allow != nil && !denied {
			e.record(&sr, RCP, li, false)
		}
	}
	var rp scanResult
	e.scan(set.Resource, resType, 0, &rp)
	if !denied && explicitFirst(&rp, resType, 0) {
		denied = true
		if e.rep == nil {
			return
		}
	}
	var id scanResult
	for _, pol := range set.Identity {
		e.scan(pol, Identity, 0, &id)
		if id.deny != nil && e.rep == nil {
			break
		}
	}
	if !denied && explicitFirst(&id, Identity, 0) {
		denied = true
		if e.rep == nil {
			return
		}
	}
	var bd scanResult
	e.scan(set.Boundary, Boundary, 0, &bd)
	if !denied && explicitFirst(&bd, Boundary, 0) {
		denied = true
		if e.rep == nil {
			return
		}
	}
	var ss scanResult
	for _, pol := range set.Session {
		e.scan(pol, Session, 0, &ss)
		if ss.deny != nil && e.rep == nil {
			break
		}
	}
	if !denied && explicitFirst(&ss, Session, 0) {
		denied = true
	}
	if denied {
		return
	}

	// 2. RCPs then SCPs: every level must allow.
	if rcpFail >= 0 {
		e.decide(ImplicitDeny, RCP)
		return
	}
	if scpFail >= 0 {
		e.decide(ImplicitDeny, SCP)
		return
	}

	// 3. Resource-based policy.
	resAcct := req.ResourceAccount
	if resAcct == "" {
		if a, ok := splitARN(req.Resource); ok && isAccountID(a.account) {
			resAcct = a.account
		} else {
			resAcct = p.Account
		}
	}
	rpAllows := rp.allow != nil
	mustAllow := set.Trust || set.ResourceMustAllow
	noIdentitySide := p.Type == ServicePrincipal || p.Type == WebIdentity || p.Type == SAML || p.Type == Anonymous
	cross := !noIdentitySide && p.Account != "" && resAcct != "" && resAcct != p.Account
	if noIdentitySide || cross || mustAllow {
		if !rpAllows {
			e.decide(ImplicitDeny, resType)
			return
		}
	}
	if rpAllows {
		e.record(&rp, resType, 0, false)
	}
	if noIdentitySide {
		e.decide(Allowed, resType)
		return
	}
	if cross {
		e.principalSide(set, &id, &bd, &ss, gNone, resType)
		return
	}
	if rpAllows && rp.grant == gDirect {
		// AssumeRole special case: the caller's boundary must allow.
		if set.Trust && set.Boundary != nil && bd.allow == nil && p.Type != Root {
			e.decide(ImplicitDeny, Boundary)
			return
		}
		e.decide(Allowed, resType)
		return
	}
	g := gNone
	if rpAllows {
		g = rp.grant
	}
	e.principalSide(set, &id, &bd, &ss, g, resType)
}

// principalSide is evalPrincipalSide of evaluation.md §9. grant is the
// resource-policy grant that may stand in for an identity allow (role ARN
// or user ARN via federation); gAccount/gNone do not.
func (e *evaluator) principalSide(set *Set, id, bd, ss *scanResult, grant grantKind, resType Kind) {
	p := &e.req.Principal
	if p.Type == Root {
		e.decide(Allowed, KindNone)
		return
	}
	resourceGrant := grant == gRole || grant == gUserFed
	if id.allow == nil && !resourceGrant {
		e.decide(ImplicitDeny, Identity)
		return
	}
	by := Identity
	if id.allow != nil {
		e.record(id, Identity, 0, false)
	} else {
		by = resType
	}
	if set.Boundary != nil {
		if bd.allow == nil {
			e.decide(ImplicitDeny, Boundary)
			return
		}
		e.record(bd, Boundary, 0, false)
	}
	if p.IsSession() {
		restricted := set.SessionRestricted || len(set.Session) > 0
		if restricted {
			if ss.allow == nil {
				e.decide(ImplicitDeny, Session)
				return
			}
			e.record(ss, Session, 0, false)
		} else if p.Type == FederatedUser && grant != gUserFed {
			e.decide(ImplicitDeny, Session)
			return
		}
	}
	e.decide(Allowed, by)
}
