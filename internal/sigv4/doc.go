// Package sigv4 authenticates AWS Signature Version 4 requests on the server
// side and signs requests on the client side.
//
// The package owns:
//
//   - parsing the two SigV4 wire forms (the Authorization header and the
//     presigned query string) into an [Auth] value ([Parse]);
//   - verifying an [Auth] against the request and the server-side secret
//     ([Auth.Verify]): credential scope, clock skew, presigned expiry,
//     canonical request, string to sign, signing key and a constant-time
//     signature comparison;
//   - a bounded, concurrency-safe cache of derived signing keys ([KeyCache]);
//   - the canonical authentication errors with AWS's exact codes, statuses and
//     messages ([Error] and the Err* constructors), including the ones the
//     caller decides on (InvalidClientTokenId, ExpiredToken);
//   - a signer ([Sign], [Presign]) producing requests that AWS SDK verifiers
//     and this package accept.
//
// Verification is two-phase so that the caller can look up the secret between
// the phases:
//
//	a, err := sigv4.Parse(r)            // syntax only; no secrets involved
//	if sigv4.IsMissing(err) { ... }     // anonymous request
//	secret, ok := lookup(a.AccessKeyID) // caller: ErrInvalidClientTokenId()
//	err = a.Verify(r, body, secret, time.Now(), cache)
//
// The package bounds nothing about the body size (the dispatcher does), never
// panics on malformed input and never puts the secret or the signature it
// computed into an error message.
//
// The canonicalisation is independent of the signature algorithm
// ([Auth.StringToSign]) so that the X.509 variants used by IAM Roles Anywhere
// (AWS4-X509-RSA-SHA256, AWS4-X509-ECDSA-SHA256) can reuse it with a
// public-key check instead of the HMAC.
//
// The package imports nothing from the project; only the standard library.
package sigv4
