// Package sts is the STS domain: role assumption (AssumeRole with its full
// trust decision, chaining, durations, ExternalId, MFA, session policies,
// session and transitive tags, source identity), GetSessionToken,
// GetFederationToken and DecodeAuthorizationMessage. It issues temporary
// credentials as sealed, self-contained session tokens (internal/token):
// nothing about a session is stored.
//
// It owns no HTTP: internal/api decodes requests and encodes answers.
//
// # Issuing a role session (for the federation engineers)
//
// AssumeRoleWithWebIdentity, AssumeRoleWithSAML and Roles Anywhere make
// their own trust decision and then call:
//
//	func (s *Service) IssueRoleSession(ctx context.Context, in *RoleSession) (*Issued, error)
//
// RoleSession names the role (*iam.Role, as iam.Service.RoleByARN returns
// it), the session name (checked with CheckSessionName), the duration
// (checked with CheckDuration; chained=false for federation), the session
// policy and policy ARNs (checked and measured with
// Service.SessionPolicies, which also gives PackedPolicySize), session tags
// and transitive keys (CheckTags), the source identity, MFA facts and
// Extra federation claims (OIDC sub/aud/amr, SAML attributes: they are
// carried in the token and reach later requests' context). Issued holds
// the Credentials (ASIA key id, secret, token, expiration) and the
// AssumedRoleUser (Arn arn:aws:sts::ACCT:assumed-role/NAME/SESSION,
// AssumedRoleId AROA…:SESSION). The trust decision itself is
// authz.Authorizer.AuthorizeTrust with Caller nil and Principal set to the
// web-identity/SAML principal.
//
// Imports: internal/iam (roles, users, MFA devices), internal/authz (the
// trust decision and managed session policies), internal/authn (Caller),
// internal/token, internal/keyring, internal/ids, internal/awserr, policy,
// store (change records, for cache invalidation).
package sts
