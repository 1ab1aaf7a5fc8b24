// Package server assembles a Hatrack node: it opens the store and the
// keyring, bootstraps the first account on first start, builds the domain
// services, the credential resolver, the authorizer and the dispatcher,
// follows the store's change log to keep this node's caches true, and
// serves everything on one HTTP listener (IAM, STS, Organizations, health,
// metrics, the console).
//
// It is the only package that knows every other one; nothing imports it
// but internal/cli and the end-to-end tests.
package server
