// Package e2e holds end-to-end tests: they build the hatrack binary, start
// `hatrack serve` on a free loopback port with a fresh data directory, and
// drive it with real clients — aws-sdk-go-v2, boto3, the AWS CLI v1 and
// Debian's AWS CLI v2 — asserting AWS's answers.
//
// When CI=true, a client that is missing fails the test instead of
// skipping it: a skipped check must never pass for a green run.
package e2e
