// Package saml verifies SAML 2.0 responses for AssumeRoleWithSAML and reads
// IdP metadata for CreateSAMLProvider.
//
// Signatures are checked with goxmldsig against the provider's registered
// signing certificates, on the Response or on its one Assertion. To defeat
// XML signature wrapping, a response must hold exactly one assertion
// (Assertion or EncryptedAssertion) and every value (issuer, subject,
// conditions, attributes) is read from the element goxmldsig returns as
// covered by the signature, never from the document as received. DTDs are
// refused.
//
// An EncryptedAssertion is decrypted (crewjam/saml's xmlenc: RSA-OAEP key
// transport, AES-GCM or AES-CBC content) with the provider's private keys,
// taken from the signed response when the response is signed, and the
// assertion it holds is then verified exactly as a plain one. A provider
// may require encryption (plain assertions refused).
//
// Imports: goxmldsig, etree, crewjam/saml/xmlenc, internal/awserr.
package saml
