// Package federation groups the verification libraries behind Hatrack's
// federated sign-ins, each in its own subpackage with no HTTP handlers and
// no store access:
//
//   - oidc: OpenID Connect ID tokens (JWT) verified with go-jose against the
//     issuer's published JWKS (discovery + cache) or a provider's static keys;
//   - saml: SAML 2.0 responses verified with goxmldsig against the signing
//     certificates of an IAM SAML provider's metadata, immune to signature
//     wrapping (every value is read from the element the signature covers);
//   - rolesanywhere: the X.509 request-signing scheme of IAM Roles Anywhere
//     (AWS4-X509-RSA-SHA256 / AWS4-X509-ECDSA-SHA256) and certificate-chain
//     validation against a trust anchor.
//
// Trust decisions (policy evaluation) and credential minting are not here:
// internal/api calls these libraries, then internal/sts.
//
// Imports: the standard library, go-jose, goxmldsig/etree, internal/sigv4
// (canonicalisation only) and, for the Roles Anywhere control plane, the
// store contract. Never internal/api.
package federation
