package authn

import (
	"time"

	"github.com/hatrack/hatrack/internal/token"
)

// Principal types as aws:PrincipalType names them.
const (
	TypeRoot          = "Account"
	TypeUser          = "User"
	TypeAssumedRole   = "AssumedRole"
	TypeFederatedUser = "FederatedUser"
)

// Caller is an authenticated principal.
type Caller struct {
	Type    string
	Account string
	// ARN is the identity ARN (GetCallerIdentity Arn): the session ARN for
	// role sessions.
	ARN string
	// PrincipalARN is aws:PrincipalArn: the role ARN (with path) for role
	// sessions, otherwise ARN.
	PrincipalARN string
	// UserID is aws:userid (GetCallerIdentity UserId).
	UserID string
	// UniqueID is the IAM unique id of the principal (AIDA…, AROA…), or the
	// account id for root.
	UniqueID string
	// UserName is the IAM user name for users (and GetSessionToken sessions
	// of users).
	UserName    string
	AccessKeyID string
	// Session is set for temporary credentials.
	Session *token.Claims
}

// LongTerm reports whether the caller signed with long-term keys.
func (c *Caller) LongTerm() bool { return c.Session == nil }

// IsRoot reports whether the caller is the account's root user (with
// long-term keys or a GetSessionToken session of root).
func (c *Caller) IsRoot() bool { return c.Type == TypeRoot }

// IssuedAt is the session's issue time (zero for long-term keys).
func (c *Caller) IssuedAt() time.Time {
	if c.Session == nil {
		return time.Time{}
	}
	return c.Session.IssuedAt
}
