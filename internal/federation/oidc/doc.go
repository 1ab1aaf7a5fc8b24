// Package oidc verifies OpenID Connect ID tokens for
// AssumeRoleWithWebIdentity: compact JWS with RS256/384/512 or
// ES256/384/512 verified by go-jose against the issuer's keys, issuer and
// audience matching, integer exp/nbf/iat, and the AWS session claims
// (https://aws.amazon.com/tags, https://aws.amazon.com/source_identity).
//
// KeySource fetches keys the way AWS does — discovery document, then
// jwks_uri — over HTTPS only (plain http only for loopback issuers when
// explicitly allowed), caches them and refetches on an unknown kid with a
// rate limit. Providers may instead carry static keys (ParseKeySet) for
// closed networks.
//
// Imports: go-jose, internal/awserr.
package oidc
