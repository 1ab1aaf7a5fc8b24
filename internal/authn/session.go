package authn

import (
	"github.com/hatrack/hatrack/internal/token"
)

// SessionCaller is the caller proven by temporary credentials
// (../shared/spec/sessions.md §4).
func SessionCaller(cl *token.Claims) *Caller {
	c := &Caller{Account: cl.Account, AccessKeyID: cl.AccessKeyID, Session: cl, PrincipalARN: cl.PrincipalARN, UniqueID: cl.PrincipalID}
	switch cl.Type {
	case token.AssumedRole:
		c.Type = TypeAssumedRole
		c.ARN = "arn:aws:sts::" + cl.Account + ":assumed-role/" + cl.RoleName + "/" + cl.SessionName
		c.UserID = cl.PrincipalID + ":" + cl.SessionName
	case token.FederatedUser:
		c.Type = TypeFederatedUser
		c.ARN = "arn:aws:sts::" + cl.Account + ":federated-user/" + cl.FederatedName
		c.PrincipalARN = c.ARN
		c.UserID = cl.Account + ":" + cl.FederatedName
	default: // GetSessionToken: the long-term principal itself
		c.ARN = cl.PrincipalARN
		c.UserID = cl.PrincipalID
		if cl.PrincipalID == cl.Account {
			c.Type = TypeRoot
		} else {
			c.Type = TypeUser
			c.UserName = userNameFromARN(cl.PrincipalARN)
		}
	}
	return c
}

// userNameFromARN is the last path segment of a user ARN.
func userNameFromARN(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return ""
}
