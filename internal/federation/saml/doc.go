// Package saml verifies SAML 2.0 responses for AssumeRoleWithSAML and reads
// IdP metadata for CreateSAMLProvider.
//
// Signatures are checked with goxmldsig against the provider's registered
// signing certificates, on the Response or on its one Assertion. To defeat
// XML signature wrapping, a response must hold exactly one Assertion and
// every value (issuer, subject, conditions, attributes) is read from the
// element goxmldsig returns as covered by the signature, never from the
// document as received. DTDs are refused.
//
// Imports: goxmldsig, etree, internal/awserr.
package saml
