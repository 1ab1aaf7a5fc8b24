// Package authz authorizes API calls: it assembles, for an authenticated
// caller, the policy set AWS would apply (identity policies of the user,
// its groups or the session's role; the permissions boundary; session
// policies; the SCPs of the account's place in the organization; the RCPs
// of the resource's account, for the services RCPs cover) and asks
// the policy engine, building the request context (aws:* and the
// operation's own condition keys) on the way.
//
// It also owns the two STS-specific pieces of authorization:
//
//   - the role trust decision (trust.go, AuthorizeTrust): the trust policy
//     as a resource policy that must always explicitly allow (policy.Set
//     Trust), on top of the caller's own identity set, for sts:AssumeRole
//     and the sts:TagSession / sts:SetSourceIdentity it implies; denials
//     never reveal whether the role exists;
//   - the limits on what each kind of temporary credentials may call
//     (restrict.go, Restrict), applied before any policy.
//
// Revocation needs nothing of its own: sessions carry aws:TokenIssueTime,
// so the AWSRevokeOlderSessions inline policy works through evaluation.
//
// Compiled policy sets are cached per principal and invalidated from the
// store's change log, so the request path does not read the store once
// warm.
//
// Imports: policy, internal/authn, internal/awserr, internal/token (session
// kinds), store (change records).
// The policies themselves come from a Source (internal/iam and
// internal/orgs implement it).
package authz
