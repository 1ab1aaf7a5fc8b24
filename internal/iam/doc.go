// Package iam is the IAM domain: accounts' users, access keys, groups,
// roles, managed and inline policies, instance profiles, providers and
// their rules (names, paths, quotas, conflicts), with no HTTP and no SQL.
//
// Entities are stored as JSON in store.Record.Data under the Kind*
// constants below; every multi-record change runs in one store.Update so it
// is all-or-nothing. Errors are *awserr.Error with AWS's codes and words.
//
// Imports: store (the contract, never a backend), internal/awserr,
// internal/ids, internal/keyring and the policy engine.
package iam
