// Package authz authorizes API calls: it assembles, for an authenticated
// caller, the policy set AWS would apply (identity policies of the user,
// its groups or the session's role; the permissions boundary; session
// policies; the SCPs of the account's place in the organization) and asks
// the policy engine, building the request context (aws:* and the
// operation's own condition keys) on the way.
//
// Compiled policy sets are cached per principal and invalidated from the
// store's change log, so the request path does not read the store once
// warm.
//
// Imports: policy, internal/authn, internal/awserr, store (change records).
// The policies themselves come from a Source (internal/iam and
// internal/orgs implement it).
package authz
