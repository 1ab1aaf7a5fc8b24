package token

import "time"

// Type is the kind of session a token stands for.
type Type string

// Session types.
const (
	// AssumedRole: AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML.
	AssumedRole Type = "assumed-role"
	// FederatedUser: GetFederationToken.
	FederatedUser Type = "federated-user"
	// SessionToken: GetSessionToken (an IAM user's or root's own session).
	SessionToken Type = "session-token"
)

// Tag is one session (principal) tag.
type Tag struct {
	Key   string
	Value string
}

// Claims is everything a session token carries. ARNs are stored whole, so no
// partition field is needed. All fields round-trip through Mint and Open,
// except that empty slices and maps come back nil and times come back in UTC
// (same instant, nanoseconds kept).
type Claims struct {
	Type Type

	// Credentials. AccessKeyID is not stored in the sealed payload: Open sets
	// it from (and checks it against) the caller-supplied key id.
	AccessKeyID     string // ASIA…
	SecretAccessKey string

	// Principal.
	Account       string // account owning the principal (role's account for roles)
	PrincipalARN  string // role ARN with path; user/root ARN (GetSessionToken); federated-user ARN
	PrincipalID   string // AROA… role id; AIDA… user id; account id for root
	RoleName      string
	RolePath      string
	SessionName   string // RoleSessionName
	FederatedName string // GetFederationToken Name

	// Original long-term caller (GetSessionToken / GetFederationToken), or
	// the calling principal of an AssumeRole.
	SourceARN string
	SourceID  string

	// Session policies and tags.
	SessionPolicy     string   // inline JSON
	SessionPolicyARNs []string // managed policy ARNs
	Tags              []Tag
	TransitiveTagKeys []string
	SourceIdentity    string

	// MFA.
	MFAAuthenticated bool
	MFAAuthTime      time.Time

	IssuedAt time.Time
	Expires  time.Time
	Chained  bool // obtained by role chaining

	// Issuer. Deployment is not stored in the payload: it is bound through
	// the AAD, and Open sets it to the deployment id it was given.
	IssuerNode string
	Deployment string

	// Extra carries federation claims (OIDC sub/aud/amr, SAML attributes...).
	Extra map[string]string
}

// Expired reports whether the session has expired at now. A zero Expires
// counts as expired.
func (c *Claims) Expired(now time.Time) bool {
	return c.Expires.IsZero() || !now.Before(c.Expires)
}

// ExtraConsoleSignIn is the Claims.Extra key that marks a session minted
// by the console's sign-in (value: "password" or "access-key"). Only a
// keyring holder can set it; such sessions act as the signed-in user or
// root (IAM included), as AWS console sessions do.
const ExtraConsoleSignIn = "hatrack:console-signin"

// ConsoleSignIn reports whether the session came from a console sign-in.
func (c *Claims) ConsoleSignIn() bool { return c.Extra[ExtraConsoleSignIn] != "" }
