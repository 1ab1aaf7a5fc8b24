// Package resources is Hatrack's resource-policy domain: resource-based
// policies stored for any ARN that names an account, so that other
// services can use Hatrack as their IAM (see docs/authorization-endpoint.md).
//
// A policy is stored per ARN, compared case-sensitively, in the account
// the ARN names; only that account may store, read or delete it. Documents
// are validated as resource-based policies (policy.Parse with
// policy.Resource). The authorization endpoint (internal/api's
// hatrack_ops.go) reads the compiled policy with Compiled.
//
// The package does no HTTP and no authorization of its own beyond the
// account check: the dispatcher authorizes hatrack:PutResourcePolicy etc.
// on the resource ARN before calling it.
package resources
