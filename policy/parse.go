package policy

import (
	"errors"
	"fmt"
	"strings"
)

// Version strings accepted in the Version element.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed, validated and compiled policy document. It is
// immutable after Parse (WithID returns a copy) and safe for concurrent use.
type Policy struct {
	id      string
	kind    Kind
	version string // as written; "" when absent
	docID   string // the Id element
	hasID   bool
	vars    bool // policy variables are substituted (Version 2012-10-17)
	stmts   []statement
	size    int
}

// StatementInfo describes one statement for explanations.
type StatementInfo struct {
	Index  int      `json:"index"` // 0-based position in the Statement array
	Sid    string   `json:"sid,omitempty"`
	Effect Effect   `json:"effect"`
	Start  Position `json:"start"` // position of the statement's '{'
	End    Position `json:"end"`   // position just past its '}'
}

type statement struct {
	info        StatementInfo
	deny        bool
	hasPrinc    bool
	notPrinc    bool
	principals  principalSet
	princRaw    map[string][]string
	princStar   bool // "Principal": "*" (string form)
	notAction   bool
	actions     []tmpl
	hasResource bool
	notResource bool
	resources   []tmpl
	conds       []cond
}

// ID returns the caller-chosen identifier (see WithID); empty by default.
func (p *Policy) ID() string { return p.id }

// WithID returns a shallow copy of p carrying the caller-chosen identifier
// used in explanations (e.g. a managed-policy ARN or "user/bob/inline/x").
// The compiled statements are shared.
func (p *Policy) WithID(id string) *Policy {
	c := *p
	c.id = id
	return &c
}

// Kind returns the kind the document was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the Version element as written ("" when absent).
func (p *Policy) Version() string { return p.version }

// DocumentID returns the Id element ("" when absent).
func (p *Policy) DocumentID() string { return p.docID }

// Size returns Size(doc) of the source document.
func (p *Policy) Size() int { return p.size }

// Statements describes the statements in document order.
func (p *Policy) Statements() []StatementInfo {
	out := make([]StatementInfo, len(p.stmts))
	for i := range p.stmts {
		out[i] = p.stmts[i].info
	}
	return out
}

// ConditionKeys returns every condition key and policy-variable key the
// policy references (as written, de-duplicated case-insensitively).
func (p *Policy) ConditionKeys() []string {
	var out []string
	add := func(k string) {
		for _, o := range out {
			if strings.EqualFold(o, k) {
				return
			}
		}
		out = append(out, k)
	}
	var tmp []string
	for i := range p.stmts {
		s := &p.stmts[i]
		for j := range s.resources {
			tmp = s.resources[j].varKeys(tmp[:0])
			for _, k := range tmp {
				add(k)
			}
		}
		for j := range s.conds {
			add(s.conds[j].key)
			for k := range s.conds[j].vals {
				tmp = s.conds[j].vals[k].t.varKeys(tmp[:0])
				for _, k := range tmp {
					add(k)
				}
			}
		}
	}
	return out
}

// Parse validates doc as a policy of the given kind, the way IAM does, and
// compiles it. Errors are *ParseError carrying AWS's message.
func Parse(doc string, kind Kind) (*Policy, error) {
	if kind <= KindNone || kind > RCP {
		return nil, fmt.Errorf("policy: invalid kind %d", int(kind))
	}
	root, err := parseJSON(doc)
	if err != nil {
		if errors.Is(err, errDupKey) {
			return nil, &ParseError{Message: msgSyntax, Statement: -1}
		}
		return nil, &ParseError{Message: msgSyntax, Statement: -1}
	}
	if root.kind != jObject {
		return nil, perr(-1, root, doc, msgSyntax)
	}
	p := &Policy{kind: kind, size: Size(doc)}
	var stmtVal *jval
	for i, k := range root.keys {
		v := root.vals[i]
		switch k {
		case "Version":
			if v.kind != jString || (v.str != Version2012 && v.str != Version2008) {
				return nil, perr(-1, v, doc, msgLegacy)
			}
			p.version = v.str
		case "Id":
			if v.kind != jString {
				return nil, perr(-1, v, doc, msgSyntax)
			}
			p.docID, p.hasID = v.str, true
		case "Statement":
			stmtVal = v
		default:
			return nil, perr(-1, v, doc, msgSyntax)
		}
	}
	p.vars = p.version == Version2012
	if stmtVal == nil {
		return nil, perr(-1, root, doc, msgMissingStatement)
	}
	var list []*jval
	switch stmtVal.kind {
	case jObject:
		list = []*jval{stmtVal}
	case jArray:
		list = stmtVal.vals
	default:
		return nil, perr(-1, stmtVal, doc, msgSyntax)
	}
	if len(list) == 0 {
		return nil, perr(-1, stmtVal, doc, msgMissingStatement)
	}
	p.stmts = make([]statement, len(list))
	sids := map[string]bool{}
	for i, sv := range list {
		if sv.kind != jObject {
			return nil, perr(i, sv, doc, msgSyntax)
		}
		if err := p.compileStatement(&p.stmts[i], i, sv, doc); err != nil {
			return nil, err
		}
		if sid := p.stmts[i].info.Sid; sid != "" && kind.isIAM() {
			if sids[sid] {
				return nil, perr(i, sv, doc, msgDupSid)
			}
			sids[sid] = true
		}
	}
	return p, nil
}

// MustParse is Parse that panics on error (for tests and static policies).
func MustParse(doc string, kind Kind) *Policy {
	p, err := Parse(doc, kind)
	if err != nil {
		panic(err)
	}
	return p
}

// stringList reads a "string or array of strings" element.
func stringList(v *jval) ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.vals))
		for _, e := range v.vals {
			if e.kind != jString {
				return nil, false
			}
			out = append(out, e.str)
		}
		return out, true
	}
	return nil, false
}

var trustActions = []string{
	"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
	"sts:tagsession", "sts:setsourceidentity", "sts:setcontext",
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *Policy) compileStatement(st *statement, idx int, sv *jval, doc string) error {
	kind := p.kind
	st.info = StatementInfo{Index: idx, Start: positionOf(doc, sv.start), End: positionOf(doc, sv.end)}
	var effect, princ, notPrinc, action, notAction, resource, notResource, condition *jval
	for i, k := range sv.keys {
		v := sv.vals[i]
		switch k {
		case "Sid":
			if v.kind != jString {
				return perr(idx, v, doc, msgSyntax)
			}
			if kind.isIAM() && !isAlnum(v.str) {
				return perr(idx, v, doc, msgBadSid)
			}
			st.info.Sid = v.str
		case "Effect":
			effect = v
		case "Principal":
			princ = v
		case "NotPrincipal":
			notPrinc = v
		case "Action":
			action = v
		case "NotAction":
			notAction = v
		case "Resource":
			resource = v
		case "NotResource":
			notResource = v
		case "Condition":
			condition = v
		default:
			return perr(idx, v, doc, msgSyntax)
		}
	}
	// Effect
	if effect == nil {
		return perr(idx, sv, doc, msgMissingEffect)
	}
	if effect.kind != jString || (effect.str != "Allow" && effect.str != "Deny") {
		return perr(idx, effect, doc, fmt.Sprintf(msgInvalidEffectFmt, effect.str))
	}
	st.deny = effect.str == "Deny"
	st.info.Effect = Allow
	if st.deny {
		st.info.Effect = Deny
	}
	// Principal / NotPrincipal
	if princ != nil && notPrinc != nil {
		return perr(idx, notPrinc, doc, msgSyntax)
	}
	if pv := firstNonNil(princ, notPrinc); pv != nil {
		if !kind.principalBearing() {
			return perr(idx, pv, doc, msgNoPrincipalAllow)
		}
		if notPrinc != nil && (kind == Trust || kind == RCP) {
			return perr(idx, notPrinc, doc, msgProhibitNotPrinc)
		}
		if err := st.compilePrincipal(idx, pv, doc); err != nil {
			return err
		}
		st.hasPrinc = true
		st.notPrinc = notPrinc != nil
	} else if kind.principalBearing() {
		return perr(idx, sv, doc, msgMissingPrincipal)
	}
	if kind == RCP && (st.notPrinc || !st.principals.any || len(st.princRaw) > 1) {
		return perr(idx, firstNonNil(princ, notPrinc), doc, msgRCPPrincipal)
	}
	// Action / NotAction
	av := firstNonNil(action, notAction)
	if av == nil || (action != nil && notAction != nil) {
		if av == nil {
			return perr(idx, sv, doc, msgNoActions)
		}
		return perr(idx, notAction, doc, msgSyntax)
	}
	acts, ok := stringList(av)
	if !ok {
		return perr(idx, av, doc, msgSyntax)
	}
	if len(acts) == 0 {
		return perr(idx, av, doc, msgNoActions)
	}
	st.notAction = notAction != nil
	for _, a := range acts {
		if a != "*" {
			switch strings.Count(a, ":") {
			case 0:
				return perr(idx, av, doc, msgVendor)
			case 1:
				if strings.HasPrefix(a, ":") {
					return perr(idx, av, doc, msgVendor)
				}
			default:
				return perr(idx, av, doc, msgOneColon)
			}
		}
		t := compileTmpl(a, false, true, true)
		if kind == Trust && !st.notAction && !matchesTrustAction(&t) {
			return perr(idx, av, doc, msgTrustActions)
		}
		st.actions = append(st.actions, t)
	}
	// Resource / NotResource
	rv := firstNonNil(resource, notResource)
	if resource != nil && notResource != nil {
		return perr(idx, notResource, doc, msgSyntax)
	}
	switch {
	case kind == Trust && rv != nil:
		return perr(idx, rv, doc, msgProhibitResource)
	case rv == nil && kind != Resource && kind != Trust && kind != RCP:
		return perr(idx, sv, doc, msgNoResources)
	case rv != nil:
		res, ok := stringList(rv)
		if !ok {
			return perr(idx, rv, doc, msgSyntax)
		}
		if len(res) == 0 {
			return perr(idx, rv, doc, msgNoResources)
		}
		for _, r := range res {
			if r != "*" {
				a, ok := splitARN(r)
				if !ok {
					return perr(idx, rv, doc, fmt.Sprintf(msgResourceARNFmt, r))
				}
				if a.service == "iam" && a.region != "" {
					return perr(idx, rv, doc, fmt.Sprintf(msgIAMRegionFmt, r))
				}
			}
			st.resources = append(st.resources, p.compileResource(r))
		}
		st.hasResource = true
		st.notResource = notResource != nil
	}
	if kind == RCP && !st.deny {
		if st.notAction || len(st.actions) != 1 || !st.actions[0].star || !st.hasResource || st.notResource ||
			len(st.resources) != 1 || !st.resources[0].star || condition != nil {
			return perr(idx, sv, doc, msgRCPAllow)
		}
	}
	// Condition
	if condition != nil {
		if condition.kind != jObject {
			return perr(idx, condition, doc, msgSyntax)
		}
		for i, opName := range condition.keys {
			block := condition.vals[i]
			op, set, ifExists, ok := parseOperator(opName)
			if !ok {
				return perr(idx, block, doc, fmt.Sprintf(msgInvalidCondFmt, opName))
			}
			if block.kind != jObject || len(block.keys) == 0 {
				return perr(idx, block, doc, msgEmptyCondition)
			}
			for j, key := range block.keys {
				vv := block.vals[j]
				var raw []*jval
				switch vv.kind {
				case jString, jNumber, jBool:
					raw = []*jval{vv}
				case jArray:
					raw = vv.vals
				default:
					return perr(idx, vv, doc, msgSyntax)
				}
				if len(raw) == 0 || key == "" {
					return perr(idx, vv, doc, msgSyntax)
				}
				c := cond{opName: opName, key: key, op: op.code, neg: op.neg, ifExists: ifExists, set: set}
				for _, r := range raw {
					if r.kind != jString && r.kind != jNumber && r.kind != jBool {
						return perr(idx, r, doc, msgSyntax)
					}
					cv, ok := compileCondValue(op.code, r.str, p.vars)
					if !ok {
						return perr(idx, r, doc, fmt.Sprintf(msgInvalidCondValFmt, opName, r.str))
					}
					c.vals = append(c.vals, cv)
				}
				st.conds = append(st.conds, c)
			}
		}
	}
	return nil
}

func matchesTrustAction(t *tmpl) bool {
	for _, a := range trustActions {
		if ok, _ := t.match(a, mGlobASCIIFold, nil); ok {
			return true
		}
	}
	return false
}

// compileResource compiles a Resource/NotResource entry: variables are
// honoured only under 2012-10-17 and only in the resource part (after the
// fifth colon).
func (p *Policy) compileResource(r string) tmpl {
	if !p.vars || !strings.Contains(r, "${") {
		return compileTmpl(r, false, true, false)
	}
	cut := 0
	n := 0
	for i := 0; i < len(r); i++ {
		if r[i] == ':' {
			n++
			if n == 5 {
				cut = i + 1
				break
			}
		}
	}
	if n < 5 {
		return compileTmpl(r, false, true, false)
	}
	head := compileTmpl(r[:cut], false, true, false)
	tail := compileTmpl(r[cut:], true, true, false)
	t := tmpl{raw: r, vars: tail.vars, wild: head.wild || tail.wild}
	if !t.vars && !t.wild {
		t.lit = head.lit + tail.lit
		return t
	}
	appendToks := func(x tmpl) {
		if x.toks == nil && x.lit != "" {
			t.toks = append(t.toks, tok{kind: tLit, s: x.lit})
			return
		}
		t.toks = append(t.toks, x.toks...)
	}
	appendToks(head)
	appendToks(tail)
	t.finish()
	return t
}

func firstNonNil(a, b *jval) *jval {
	if a != nil {
		return a
	}
	return b
}

func (st *statement) compilePrincipal(idx int, v *jval, doc string) error {
	st.princRaw = map[string][]string{}
	if v.kind == jString {
		if v.str != "*" {
			return perr(idx, v, doc, fmt.Sprintf(msgInvalidPrincFmt, "Principal", v.str))
		}
		st.principals.any = true
		st.princStar = true
		st.princRaw["*"] = nil
		return nil
	}
	if v.kind != jObject || len(v.keys) == 0 {
		return perr(idx, v, doc, msgSyntax)
	}
	for i, k := range v.keys {
		vals, ok := stringList(v.vals[i])
		if !ok || len(vals) == 0 {
			return perr(idx, v.vals[i], doc, msgSyntax)
		}
		st.princRaw[k] = vals
		for _, s := range vals {
			bad := false
			switch k {
			case "AWS":
				bad = !st.principals.addAWS(s)
			case "Service":
				bad = s == "" || strings.ContainsAny(s, "*?")
				st.principals.services = append(st.principals.services, s)
			case "Federated":
				bad = s == "" || strings.ContainsAny(s, "*?")
				st.principals.federated = append(st.principals.federated, s)
			case "CanonicalUser":
				bad = s == "" || strings.ContainsAny(s, "*?")
				st.principals.canonical = append(st.principals.canonical, s)
			default:
				bad = true
			}
			if bad {
				return perr(idx, v.vals[i], doc, fmt.Sprintf(msgInvalidPrincFmt, k, s))
			}
		}
	}
	return nil
}
