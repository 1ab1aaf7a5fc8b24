// Package managed holds the AWS-managed policies Hatrack serves under
// arn:aws:iam::aws:policy/…: their real documents, paths, default version
// ids and dates, embedded as JSON files (policies/NAME.json) taken from the
// published AWS managed-policy mirrors (MAMIP). The set is read-only: AWS
// managed policies cannot be edited, versioned or deleted by accounts.
//
// Imports: the standard library only (its test also uses the policy engine
// to prove every embedded document parses).
package managed
