package authz

import (
	"net/http"
	"strings"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/token"
)

// msgInvalidToken is the text AWS answers when session credentials are
// used where their kind of session may not go (an IAM call with a
// GetSessionToken session created without MFA, any IAM call of a
// federated user): the token is treated as not valid for the service.
const msgInvalidToken = "The security token included in the request is invalid."

// Restrict applies the limits AWS puts on what temporary credentials may
// call, before (and regardless of) any policy (sts-api.md §2):
//
//   - role sessions cannot call sts:GetSessionToken or
//     sts:GetFederationToken;
//   - GetSessionToken sessions may call IAM only when created with MFA, and
//     among STS actions only AssumeRole and GetCallerIdentity;
//   - GetFederationToken sessions may not call IAM at all, and among STS
//     actions only GetCallerIdentity.
//
// It returns nil when the action is open to the caller's kind of
// credentials. Long-term credentials are never restricted here.
func Restrict(c *authn.Caller, action string) error {
	s := c.Session
	if s == nil {
		return nil
	}
	service, name, _ := strings.Cut(action, ":")
	service = strings.ToLower(service)
	switch s.Type {
	case token.AssumedRole:
		if service == "sts" && (strings.EqualFold(name, "GetSessionToken") || strings.EqualFold(name, "GetFederationToken")) {
			return awserr.AccessDenied("Cannot call %s with session credentials", canonicalSTS(name))
		}
	case token.SessionToken:
		if s.ConsoleSignIn() {
			// A console sign-in session acts as the signed-in person
			// (IAM included); it may also switch roles.
			if service == "sts" && !strings.EqualFold(name, "AssumeRole") && !strings.EqualFold(name, "GetCallerIdentity") {
				return awserr.AccessDenied("Cannot call %s with session credentials", canonicalSTS(name))
			}
			return nil
		}
		switch service {
		case "iam":
			if !s.MFAAuthenticated {
				return invalidToken()
			}
		case "sts":
			if !strings.EqualFold(name, "AssumeRole") && !strings.EqualFold(name, "GetCallerIdentity") {
				return awserr.AccessDenied("Cannot call %s with session credentials", canonicalSTS(name))
			}
		}
	case token.FederatedUser:
		switch service {
		case "iam":
			return invalidToken()
		case "sts":
			if !strings.EqualFold(name, "GetCallerIdentity") {
				return awserr.AccessDenied("Cannot call %s with session credentials", canonicalSTS(name))
			}
		}
	}
	return nil
}

func invalidToken() error {
	return awserr.New(http.StatusForbidden, "InvalidClientTokenId", msgInvalidToken)
}

var stsNames = []string{"AssumeRole", "GetSessionToken", "GetFederationToken", "DecodeAuthorizationMessage",
	"GetAccessKeyInfo", "AssumeRoot", "GetWebIdentityToken", "GetDelegatedAccessToken", "TagSession", "SetSourceIdentity"}

func canonicalSTS(name string) string {
	for _, n := range stsNames {
		if strings.EqualFold(n, name) {
			return n
		}
	}
	return name
}

// IsRestricted reports whether Restrict refuses the action (for the
// policy simulator and tests).
func IsRestricted(c *authn.Caller, action string) bool { return Restrict(c, action) != nil }

// CallerKind names the caller's credentials for audit records.
func CallerKind(c *authn.Caller) string {
	if c == nil {
		return "anonymous"
	}
	if c.Session == nil {
		return "long-term"
	}
	return string(c.Session.Type)
}
