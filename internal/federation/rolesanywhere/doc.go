// Package rolesanywhere implements the X.509 request-signing scheme of IAM
// Roles Anywhere: SigV4 canonicalisation (shared with internal/sigv4) with a
// private-key signature (AWS4-X509-RSA-SHA256: RSA PKCS#1 v1.5 over SHA-256;
// AWS4-X509-ECDSA-SHA256: ASN.1 ECDSA over SHA-256) instead of the HMAC,
// the credential being the leaf certificate's decimal serial number, and
// the certificate chain (X-Amz-X509, X-Amz-X509-Chain) validated against a
// trust anchor's CA certificates. Sign is the client side, used by
// `hatrack credentials --certificate …`.
//
// Service is the control plane: trust anchors (CERTIFICATE_BUNDLE CA
// bundles), profiles, certificate revocation lists (CRLs, each signed by its
// trust anchor's CA; CreateSession refuses a certificate an enabled CRL of
// the anchor lists) and the subjects that authenticated, stored as records
// of the store contract. A profile's attribute mappings (mapping.go;
// AWS's documented defaults for a new profile) decide which certificate
// attributes become the session's principal tags (SessionTags); trust
// anchors, profiles and CRLs carry resource tags (tags.go). The HTTP
// protocol lives in internal/api.
//
// Imports: the standard library, internal/sigv4, internal/ids and store.
package rolesanywhere
