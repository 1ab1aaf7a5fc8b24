// Package authn turns the access key id (and session token) of a signed
// request into the secret to verify its signature with and the Caller it
// proves: the account's root, an IAM user, or a temporary session.
//
// Long-term keys are cached in memory after the first lookup, and the
// cache is invalidated from the store's change log (Invalidate), so the
// request path does not read the store once warm and a key set Inactive is
// refused on the next request. Session credentials are opened from their
// sealed token alone: any node holding the keyring can verify them.
//
// Imports: internal/iam, internal/token, internal/keyring, internal/sigv4
// (for the auth errors), store (change records only).
package authn
