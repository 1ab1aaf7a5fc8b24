// Package query decodes AWS Query-protocol requests (IAM, STS): the URL query
// string merged with an application/x-www-form-urlencoded POST body, and the
// botocore flattening of lists and structures (Name.member.N,
// Name.member.N.Field, Name.Field).
//
// Decisions (AWS's own behaviour is unconfirmed for most of them):
//
//   - Both '+' and %20 decode to a space; a '%' not followed by two hex
//     digits, invalid UTF-8, an empty name ("=v") and more than MaxParams
//     parameters are rejected with MalformedQueryString.
//   - A name given twice (within or across query string and body) is
//     accepted only when both values are equal; otherwise MalformedQueryString.
//   - The body is read for POST requests whose Content-Type is
//     application/x-www-form-urlencoded (any parameters) or absent; other
//     bodies are ignored.
//   - Lists are 1-based and contiguous: List and Structs reject index 0,
//     non-decimal or zero-padded indexes, and gaps (InvalidParameterValue).
//     The bare "Name=" form is an empty, present list; "Name=x" with no
//     members is an error; a bare empty "Name=" next to members is ignored.
//   - SigV4 presign parameters (X-Amz-*) are ordinary parameters here; the
//     caller ignores them.
//
// The package imports nothing from the project; only the standard library.
package query
