// Package iam is the IAM domain: accounts' users, access keys, groups,
// roles, managed and inline policies, instance profiles, providers and
// their rules (names, paths, quotas, conflicts), with no HTTP and no SQL.
//
// Entities are stored as JSON in store.Record.Data under the Kind*
// constants below; every multi-record change runs in one store.Update so it
// is all-or-nothing. Errors are *awserr.Error with AWS's codes and words.
//
// It is also the authorizer's Source of identity policies
// (authz_source.go): a user's inline and attached policies plus its groups',
// a role's, permissions boundaries, and managed policies by ARN, compiled
// once per (policy id, version). AWS-managed policies and their real
// documents live in the managed subpackage.
//
// Imports: store (the contract, never a backend), internal/awserr,
// internal/ids, internal/keyring, internal/iam/managed, the policy engine
// and golang.org/x/crypto/bcrypt (login-profile passwords).
package iam
