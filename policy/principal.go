package policy

import (
	"errors"
	"strings"
)

// PrincipalType is the kind of caller.
type PrincipalType int

// Principal types (sessions.md §4).
const (
	Anonymous        PrincipalType = iota // unauthenticated caller
	Root                                  // account root user
	User                                  // IAM user (long-term keys or GetSessionToken)
	AssumedRole                           // role session (AssumeRole*, instance profiles, ...)
	FederatedUser                         // GetFederationToken session
	ServicePrincipal                      // an AWS service (ec2.amazonaws.com ...)
	WebIdentity                           // AssumeRoleWithWebIdentity caller (OIDC token)
	SAML                                  // AssumeRoleWithSAML caller (SAML assertion)
)

var ptNames = [...]string{"Anonymous", "Root", "User", "AssumedRole", "FederatedUser", "Service", "WebIdentity", "SAML"}

func (t PrincipalType) String() string {
	if t >= 0 && int(t) < len(ptNames) {
		return ptNames[t]
	}
	return "Unknown"
}

// MarshalText renders the type name.
func (t PrincipalType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// ParsePrincipalType is the inverse of PrincipalType.String (case-insensitive).
func ParsePrincipalType(s string) (PrincipalType, bool) {
	for i, n := range ptNames {
		if strings.EqualFold(n, s) {
			return PrincipalType(i), true
		}
	}
	return Anonymous, false
}

// Principal describes the caller of a request: enough to match Principal /
// NotPrincipal elements and to apply the resource-policy grant table.
type Principal struct {
	Type PrincipalType
	// Account is the 12-digit account owning the principal (for role
	// sessions: the role's account).
	Account string
	// ARN is the caller ARN as GetCallerIdentity returns it (session ARN
	// arn:aws:sts::A:assumed-role/R/s for role sessions, user ARN, root ARN,
	// federated-user ARN). It is the ARN used in access-denied messages.
	ARN string
	// PrincipalARN is the value of aws:PrincipalArn: the role ARN *with
	// path* for role sessions; empty means "same as ARN".
	PrincipalARN string
	// UniqueID is the AIDA… id of a user or the AROA… id of a session's role.
	UniqueID string
	// UserARN is, for a FederatedUser, the ARN of the IAM user that called
	// GetFederationToken (a resource policy naming that user grants to the
	// federated session subject to boundary and session policy).
	UserARN string
	// Service is the service principal name for ServicePrincipal callers.
	Service string
	// Provider is the Federated principal for WebIdentity/SAML callers: an
	// IAM provider ARN or a built-in provider name (accounts.google.com ...).
	Provider string
	// CanonicalUser is an S3 canonical user id, if any.
	CanonicalUser string
}

func (p *Principal) principalARN() string {
	if p.PrincipalARN != "" {
		return p.PrincipalARN
	}
	return p.ARN
}

// IsSession reports whether the principal is a session principal (role
// session or federated user) to which session policies apply.
func (p *Principal) IsSession() bool { return p.Type == AssumedRole || p.Type == FederatedUser }

// displayARN is the ARN used in access-denied messages.
func (p *Principal) displayARN() string {
	switch {
	case p.ARN != "":
		return p.ARN
	case p.Type == ServicePrincipal:
		return p.Service
	case p.Type == WebIdentity || p.Type == SAML:
		return p.Provider
	}
	return "anonymous"
}

// PrincipalFromARN derives a Principal from a caller ARN: root
// (arn:aws:iam::A:root), user, assumed-role session (the role ARN is
// reconstructed without path since the session ARN drops it), federated
// user. A bare 12-digit account id means root. "anonymous" is Anonymous.
// A string ending in ".amazonaws.com" is a service principal.
func PrincipalFromARN(s string) (Principal, error) {
	if s == "anonymous" || s == "" {
		return Principal{Type: Anonymous}, nil
	}
	if isAccountID(s) {
		return Principal{Type: Root, Account: s, ARN: "arn:aws:iam::" + s + ":root"}, nil
	}
	if !strings.HasPrefix(s, "arn:") {
		if strings.HasSuffix(s, ".amazonaws.com") || strings.HasSuffix(s, ".amazonaws.com.cn") {
			return Principal{Type: ServicePrincipal, Service: s}, nil
		}
		return Principal{}, errors.New("policy: not a principal ARN: " + s)
	}
	a, ok := splitARN(s)
	if !ok {
		return Principal{}, errors.New("policy: malformed ARN: " + s)
	}
	p := Principal{Account: a.account, ARN: s}
	switch {
	case a.service == "iam" && a.resource == "root":
		p.Type = Root
	case a.service == "iam" && strings.HasPrefix(a.resource, "user/"):
		p.Type = User
	case a.service == "sts" && strings.HasPrefix(a.resource, "assumed-role/"):
		p.Type = AssumedRole
		parts := strings.Split(a.resource, "/")
		if len(parts) < 3 {
			return Principal{}, errors.New("policy: malformed assumed-role ARN: " + s)
		}
		p.PrincipalARN = "arn:" + a.partition + ":iam::" + a.account + ":role/" + parts[1]
	case a.service == "sts" && strings.HasPrefix(a.resource, "federated-user/"):
		p.Type = FederatedUser
	case a.service == "iam" && (strings.HasPrefix(a.resource, "oidc-provider/") || strings.HasPrefix(a.resource, "saml-provider/")):
		p = Principal{Type: WebIdentity, Provider: s, Account: a.account}
		if strings.HasPrefix(a.resource, "saml-provider/") {
			p.Type = SAML
		}
	default:
		return Principal{}, errors.New("policy: not a principal ARN: " + s)
	}
	return p, nil
}

type arnParts struct {
	partition, service, region, account, resource string
}

func splitARN(s string) (arnParts, bool) {
	if !strings.HasPrefix(s, "arn:") {
		return arnParts{}, false
	}
	var f [6]string
	n, start := 0, 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			f[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if n != 5 {
		return arnParts{}, false
	}
	f[5] = s[start:]
	return arnParts{f[1], f[2], f[3], f[4], f[5]}, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	if !(strings.HasPrefix(s, "AIDA") || strings.HasPrefix(s, "AROA")) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// grantKind says how a resource-policy Allow named the caller
// (evaluation.md §3).
type grantKind uint8

const (
	gNone    grantKind = iota
	gAccount           // account principal: identity policy must allow too
	gUserFed           // user ARN matched a federated session of that user: boundary+session apply
	gRole              // role ARN matched a session of the role: boundary+session apply
	gDirect            // user ARN, session ARN, "*", service, federated, canonical user
)

// principalSet is a compiled Principal / NotPrincipal element.
type principalSet struct {
	any       bool
	accounts  []string // account ids (from "A" and "arn:P:iam::A:root")
	users     []string // user ARNs
	roles     []string // role ARNs
	sessions  []string // assumed-role and federated-user session ARNs
	uniqueIDs []string
	services  []string
	federated []string
	canonical []string
}

func contains(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// match reports whether the Principal element names p, and how.
func (ps *principalSet) match(p *Principal) grantKind {
	if ps.any {
		return gDirect
	}
	switch p.Type {
	case ServicePrincipal:
		if contains(ps.services, p.Service) {
			return gDirect
		}
		return gNone
	case WebIdentity, SAML:
		if contains(ps.federated, p.Provider) {
			return gDirect
		}
		return gNone
	case Anonymous:
		return gNone
	}
	best := gNone
	if p.CanonicalUser != "" && contains(ps.canonical, p.CanonicalUser) {
		return gDirect
	}
	switch p.Type {
	case User:
		if contains(ps.users, p.ARN) || contains(ps.uniqueIDs, p.UniqueID) {
			return gDirect
		}
	case AssumedRole:
		if contains(ps.sessions, p.ARN) {
			return gDirect
		}
		if contains(ps.roles, p.principalARN()) || contains(ps.uniqueIDs, p.UniqueID) {
			best = gRole
		}
	case FederatedUser:
		if contains(ps.sessions, p.ARN) {
			return gDirect
		}
		if contains(ps.users, p.UserARN) {
			best = gUserFed
		}
	case Root:
		// the root user is named by the account principal only
	}
	if best == gNone && contains(ps.accounts, p.Account) {
		best = gAccount
	}
	return best
}

// notMatch implements NotPrincipal: the statement applies unless *every*
// identity of the caller (session ARN, role ARN, account — or user ARN and
// account) is listed (reference_policies_elements_notprincipal).
func (ps *principalSet) excludes(p *Principal) bool {
	if ps.any {
		return true
	}
	switch p.Type {
	case ServicePrincipal:
		return contains(ps.services, p.Service)
	case WebIdentity, SAML:
		return contains(ps.federated, p.Provider)
	case Anonymous:
		return false
	}
	if !contains(ps.accounts, p.Account) {
		return false
	}
	switch p.Type {
	case Root:
		return true
	case User:
		return contains(ps.users, p.ARN) || contains(ps.uniqueIDs, p.UniqueID)
	case AssumedRole:
		return contains(ps.sessions, p.ARN) && (contains(ps.roles, p.principalARN()) || contains(ps.uniqueIDs, p.UniqueID))
	case FederatedUser:
		return contains(ps.sessions, p.ARN)
	}
	return false
}

// addAWS classifies one "AWS" principal value. It returns false for values
// IAM rejects (partial wildcards, groups, malformed ARNs).
func (ps *principalSet) addAWS(v string) bool {
	if v == "*" {
		ps.any = true
		return true
	}
	if strings.ContainsAny(v, "*?") {
		return false
	}
	if isAccountID(v) {
		ps.accounts = append(ps.accounts, v)
		return true
	}
	if isUniqueID(v) {
		ps.uniqueIDs = append(ps.uniqueIDs, v)
		return true
	}
	a, ok := splitARN(v)
	if !ok || a.region != "" || a.partition == "" {
		return false
	}
	switch a.service {
	case "iam":
		switch {
		case a.resource == "root" && isAccountID(a.account):
			ps.accounts = append(ps.accounts, a.account)
		case strings.HasPrefix(a.resource, "user/") && len(a.resource) > 5 && isAccountID(a.account):
			ps.users = append(ps.users, v)
		case strings.HasPrefix(a.resource, "role/") && len(a.resource) > 5 && isAccountID(a.account):
			ps.roles = append(ps.roles, v)
		default:
			return false
		}
	case "sts":
		if !isAccountID(a.account) {
			return false
		}
		switch {
		case strings.HasPrefix(a.resource, "assumed-role/") && strings.Count(a.resource, "/") >= 2:
			ps.sessions = append(ps.sessions, v)
		case strings.HasPrefix(a.resource, "federated-user/") && len(a.resource) > len("federated-user/"):
			ps.sessions = append(ps.sessions, v)
		default:
			return false
		}
	default:
		return false
	}
	return true
}
