package authz

import (
	"testing"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/token"
)

func TestRestrict(t *testing.T) {
	longTerm := &authn.Caller{Type: authn.TypeUser}
	role := &authn.Caller{Type: authn.TypeAssumedRole, Session: &token.Claims{Type: token.AssumedRole}}
	gst := &authn.Caller{Type: authn.TypeUser, Session: &token.Claims{Type: token.SessionToken}}
	gstMFA := &authn.Caller{Type: authn.TypeUser, Session: &token.Claims{Type: token.SessionToken, MFAAuthenticated: true}}
	console := &authn.Caller{Type: authn.TypeUser, Session: &token.Claims{Type: token.SessionToken, Extra: map[string]string{token.ExtraConsoleSignIn: "password"}}}
	fed := &authn.Caller{Type: authn.TypeFederatedUser, Session: &token.Claims{Type: token.FederatedUser}}
	for _, tc := range []struct {
		name   string
		c      *authn.Caller
		action string
		code   string
		msg    string
	}{
		{"long-term anything", longTerm, "sts:GetSessionToken", "", ""},
		{"role: GetSessionToken", role, "sts:GetSessionToken", "AccessDenied", "Cannot call GetSessionToken with session credentials"},
		{"role: GetFederationToken", role, "sts:getfederationtoken", "AccessDenied", "Cannot call GetFederationToken with session credentials"},
		{"role: AssumeRole", role, "sts:AssumeRole", "", ""},
		{"role: IAM", role, "iam:ListRoles", "", ""},
		{"gst without MFA: IAM", gst, "iam:ListUsers", "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"gst with MFA: IAM", gstMFA, "iam:ListUsers", "", ""},
		{"gst: AssumeRole", gst, "sts:AssumeRole", "", ""},
		{"gst: GetCallerIdentity", gst, "sts:GetCallerIdentity", "", ""},
		{"gst: GetSessionToken", gst, "sts:GetSessionToken", "AccessDenied", "Cannot call GetSessionToken with session credentials"},
		{"gst: other service", gst, "s3:GetObject", "", ""},
		{"console sign-in: IAM without MFA", console, "iam:ListUsers", "", ""},
		{"console sign-in: switch role", console, "sts:AssumeRole", "", ""},
		{"console sign-in: GetFederationToken", console, "sts:GetFederationToken", "AccessDenied", "Cannot call GetFederationToken with session credentials"},
		{"fed: IAM", fed, "iam:GetUser", "InvalidClientTokenId", "The security token included in the request is invalid."},
		{"fed: AssumeRole", fed, "sts:AssumeRole", "AccessDenied", "Cannot call AssumeRole with session credentials"},
		{"fed: GetCallerIdentity", fed, "sts:GetCallerIdentity", "", ""},
		{"fed: other service", fed, "ec2:RunInstances", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Restrict(tc.c, tc.action)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e, ok := awserr.As(err)
			if !ok || e.Code != tc.code || e.Message != tc.msg || e.Status != 403 {
				t.Fatalf("want %s %q, got %v", tc.code, tc.msg, err)
			}
		})
	}
}
