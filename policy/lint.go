package policy

import (
	"fmt"
	"strings"
)

// Severity is a finding type, as in AWS IAM Access Analyzer policy
// validation.
type Severity string

// Finding severities.
const (
	SeverityError           Severity = "ERROR"
	SeveritySecurityWarning Severity = "SECURITY_WARNING"
	SeverityWarning         Severity = "WARNING"
	SeveritySuggestion      Severity = "SUGGESTION"
)

// Finding is one linter result.
type Finding struct {
	Type    Severity `json:"findingType"`
	Code    string   `json:"issueCode"`
	Message string   `json:"findingDetails"`
	// Statement is the 0-based statement index, -1 for document-level findings.
	Statement int      `json:"statement"`
	Sid       string   `json:"sid,omitempty"`
	Pos       Position `json:"position"`
}

func (f Finding) String() string {
	loc := ""
	if f.Pos.Line > 0 {
		loc = fmt.Sprintf("%d:%d: ", f.Pos.Line, f.Pos.Column)
	}
	st := ""
	if f.Statement >= 0 {
		st = fmt.Sprintf(" (statement %d", f.Statement)
		if f.Sid != "" {
			st += " " + f.Sid
		}
		st += ")"
	}
	return fmt.Sprintf("%s%s %s: %s%s", loc, f.Type, f.Code, f.Message, st)
}

// Issue codes emitted by Lint.
const (
	CodeMalformed               = "MALFORMED_POLICY_DOCUMENT"
	CodePublicAccess            = "PUBLIC_ACCESS_WITHOUT_CONDITION"
	CodeAllowNotAction          = "ALLOW_WITH_NOT_ACTION"
	CodeAllowNotResource        = "ALLOW_WITH_NOT_RESOURCE"
	CodeAllowNotPrincipal       = "ALLOW_WITH_NOT_PRINCIPAL"
	CodePassRoleStar            = "PASS_ROLE_WITH_STAR_IN_RESOURCE"
	CodeForAllValuesWithAllow   = "FOR_ALL_VALUES_WITH_ALLOW"
	CodeMissingVersion          = "MISSING_VERSION"
	CodeVariableWithoutVersion  = "POLICY_VARIABLE_WITHOUT_VERSION"
	CodeVariableUnsupportedOp   = "POLICY_VARIABLE_IN_UNSUPPORTED_OPERATOR"
	CodeSetOpSingleValued       = "SET_OPERATOR_ON_SINGLE_VALUED_KEY"
	CodeMultiValuedWithoutSetOp = "MULTIVALUED_KEY_WITHOUT_SET_OPERATOR"
	CodeUnknownGlobalKey        = "UNKNOWN_GLOBAL_CONDITION_KEY"
	CodeIDInIdentityPolicy      = "ID_ELEMENT_IN_IDENTITY_POLICY"
	CodeWildcardInStringEquals  = "WILDCARD_IN_STRING_EQUALS"
	CodeTrustPrincipalStar      = "TRUST_POLICY_PRINCIPAL_STAR_STRING"
	CodeRedundantAction         = "REDUNDANT_ACTION"
	CodeRedundantResource       = "REDUNDANT_RESOURCE"
	CodeDuplicateStatement      = "REDUNDANT_STATEMENT"
)

var singleValuedGlobal = []string{
	"aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principaltype",
	"aws:userid", "aws:username", "aws:principalisawsservice", "aws:principalservicename",
	"aws:sourceidentity", "aws:federatedprovider", "aws:tokenissuetime", "aws:multifactorauthpresent",
	"aws:multifactorauthage", "aws:sourceip", "aws:vpcsourceip", "aws:sourcevpc", "aws:sourcevpce",
	"aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:requestedregion",
	"aws:resourceaccount", "aws:resourceorgid", "aws:viaawsservice", "aws:calledviafirst",
	"aws:calledvialast", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid", "aws:useragent",
	"aws:referer", "aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4",
}

var multiValuedGlobal = []string{
	"aws:tagkeys", "aws:calledvia", "aws:principalorgpaths", "aws:resourceorgpaths",
	"aws:principalservicenameslist", "aws:sourceorgpaths", "sts:transitivetagkeys",
}

func inLower(list []string, k string) bool {
	l := strings.ToLower(k)
	for _, x := range list {
		if x == l {
			return true
		}
	}
	return false
}

func knownGlobalKey(k string) bool {
	l := strings.ToLower(k)
	if inLower(singleValuedGlobal, l) || inLower(multiValuedGlobal, l) {
		return true
	}
	for _, p := range []string{"aws:principaltag/", "aws:requesttag/", "aws:resourcetag/"} {
		if strings.HasPrefix(l, p) && len(l) > len(p) {
			return true
		}
	}
	return false
}

// Lint validates doc like IAM Access Analyzer's ValidatePolicy: an ERROR
// finding for anything Parse rejects, then security warnings, warnings and
// suggestions for documents IAM accepts.
func Lint(doc string, kind Kind) []Finding {
	p, err := Parse(doc, kind)
	if err != nil {
		f := Finding{Type: SeverityError, Code: CodeMalformed, Message: err.Error(), Statement: -1}
		if pe, ok := err.(*ParseError); ok {
			f.Statement, f.Pos = pe.Statement, pe.Pos
		}
		return []Finding{f}
	}
	var out []Finding
	add := func(sev Severity, code string, st *statement, msg string) {
		f := Finding{Type: sev, Code: code, Message: msg, Statement: -1}
		if st != nil {
			f.Statement, f.Sid, f.Pos = st.info.Index, st.info.Sid, st.info.Start
		}
		out = append(out, f)
	}
	if p.version == "" {
		add(SeverityWarning, CodeMissingVersion, nil, `The policy has no Version element; it is evaluated with 2008-10-17 semantics, in which policy variables are not substituted. Add "Version": "2012-10-17".`)
	}
	if p.version != Version2012 && strings.Contains(doc, "${") {
		add(SeverityWarning, CodeVariableWithoutVersion, nil, `The policy uses ${...} but its Version is not 2012-10-17, so the variables are compared as literal text.`)
	}
	if p.hasID && (kind == Identity || kind == Boundary || kind == Session) {
		add(SeverityWarning, CodeIDInIdentityPolicy, nil, "The Id element is meant for resource-based policies; IAM documents that it should not be used in identity-based policies.")
	}
	seen := map[string]int{}
	for i := range p.stmts {
		st := &p.stmts[i]
		allow := !st.deny
		if allow && st.hasPrinc && !st.notPrinc && st.principals.any && len(st.conds) == 0 {
			add(SeveritySecurityWarning, CodePublicAccess, st, `The statement allows access to any principal ("*") without conditions; anyone, including anonymous and other accounts' principals, is granted access.`)
		}
		if kind == Trust && st.princStar {
			add(SeverityWarning, CodeTrustPrincipalStar, st, `IAM has been observed to reject the bare string form "Principal": "*" in role trust policies; use {"AWS": "*"} with conditions.`)
		}
		if allow && st.notAction {
			add(SeveritySecurityWarning, CodeAllowNotAction, st, "Allow with NotAction grants every action not listed, including actions of services added later; list the allowed actions instead.")
		}
		if allow && st.notResource {
			add(SeveritySecurityWarning, CodeAllowNotResource, st, "Allow with NotResource grants access to every resource not listed, including ones created later.")
		}
		if allow && st.notPrinc {
			add(SeveritySecurityWarning, CodeAllowNotPrincipal, st, "Allow with NotPrincipal grants access to every principal not listed, including anonymous users.")
		}
		if allow && !st.notAction && (!st.hasResource || resourcesHaveStar(st)) {
			for j := range st.actions {
				if ok, _ := st.actions[j].match("iam:PassRole", mGlobASCIIFold, nil); ok {
					add(SeveritySecurityWarning, CodePassRoleStar, st, `The statement allows iam:PassRole on "Resource": "*", which lets the principal pass any role (including privileged ones) to a service. Restrict Resource to the roles to pass.`)
					break
				}
			}
		}
		for j := range st.conds {
			c := &st.conds[j]
			if allow && c.set == setAll && !hasNullFalse(st, c.key) {
				add(SeveritySecurityWarning, CodeForAllValuesWithAllow, st, fmt.Sprintf("ForAllValues in an Allow statement is true when %s is absent or empty; add a Null condition (%s: false) or use ForAnyValue.", c.key, c.key))
			}
			if c.set != setNone && inLower(singleValuedGlobal, c.key) {
				add(SeverityWarning, CodeSetOpSingleValued, st, fmt.Sprintf("%s is single-valued; the set operator in %s is not meant for it (ForAllValues is also true when the key is absent).", c.key, c.opName))
			}
			if c.set == setNone && c.op != opNull && inLower(multiValuedGlobal, c.key) {
				add(SeverityWarning, CodeMultiValuedWithoutSetOp, st, fmt.Sprintf("%s is multivalued; use ForAnyValue: or ForAllValues: with %s.", c.key, c.opName))
			}
			if strings.HasPrefix(strings.ToLower(c.key), "aws:") && !knownGlobalKey(c.key) {
				add(SeverityWarning, CodeUnknownGlobalKey, st, fmt.Sprintf("%s is not a known global condition key; a condition on an absent key is false (true for negated operators).", c.key))
			}
			for _, v := range c.vals {
				raw := v.t.raw
				switch c.op {
				case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe, opDateEq, opDateLt, opDateLe, opDateGt, opDateGe, opIP, opBinary, opNull:
					if strings.Contains(raw, "${") {
						add(SeverityWarning, CodeVariableUnsupportedOp, st, fmt.Sprintf("Policy variables are not supported with %s; %q is compared literally.", c.opName, raw))
					}
				case opStrEq, opStrEqIC:
					if strings.ContainsAny(v.t.lit, "*?") && !v.t.vars {
						add(SeverityWarning, CodeWildcardInStringEquals, st, fmt.Sprintf("%s compares %q literally; use StringLike for wildcard matching.", c.opName, raw))
					}
				}
			}
		}
		for j := range st.actions {
			if k := coveredBy(st.actions, j, true); k >= 0 {
				add(SeveritySuggestion, CodeRedundantAction, st, fmt.Sprintf("The action %s is redundant because %s already covers it.", st.actions[j].raw, st.actions[k].raw))
			}
		}
		for j := range st.resources {
			if k := coveredBy(st.resources, j, false); k >= 0 {
				add(SeveritySuggestion, CodeRedundantResource, st, fmt.Sprintf("The resource %s is redundant because %s already covers it.", st.resources[j].raw, st.resources[k].raw))
			}
		}
		var b strings.Builder
		c := *st
		c.info.Sid = ""
		c.canonical(&b)
		if prev, ok := seen[b.String()]; ok {
			add(SeveritySuggestion, CodeDuplicateStatement, st, fmt.Sprintf("The statement duplicates statement %d.", prev))
		} else {
			seen[b.String()] = i
		}
	}
	return out
}

func resourcesHaveStar(st *statement) bool {
	if st.notResource {
		return true
	}
	for i := range st.resources {
		if st.resources[i].star {
			return true
		}
	}
	return false
}

func hasNullFalse(st *statement, key string) bool {
	for i := range st.conds {
		c := &st.conds[i]
		if c.op == opNull && strings.EqualFold(c.key, key) {
			for _, v := range c.vals {
				if !v.b {
					return true
				}
			}
		}
		if c.set == setAny && strings.EqualFold(c.key, key) {
			return true
		}
	}
	return false
}

// coveredBy returns the index of another pattern in list that covers
// list[j] (exact duplicates: the earlier one covers the later one).
func coveredBy(list []tmpl, j int, action bool) int {
	a := &list[j]
	if a.vars {
		return -1
	}
	mode := mArn
	if action {
		mode = mGlobASCIIFold
	}
	for k := range list {
		if k == j {
			continue
		}
		b := &list[k]
		if b.vars {
			continue
		}
		same := a.raw == b.raw || (action && strings.EqualFold(a.raw, b.raw))
		if same {
			if k < j {
				return k
			}
			continue
		}
		if !a.wild {
			text := a.lit
			if ok, _ := b.match(text, mode, nil); ok {
				return k
			}
			continue
		}
		// a has wildcards: b covers it if b is "*" or a prefix-star
		// pattern whose prefix a starts with.
		if b.star || (b.prefixStar && hasPrefixMode(a.raw, b.prefix, mode)) {
			if !action && !b.star && !b.arnSafe {
				continue
			}
			return k
		}
	}
	return -1
}
