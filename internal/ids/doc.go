// Package ids owns the formats of the identifiers Hatrack hands out on the
// IAM/STS wire (spec: ids-and-arns.md §1–§3):
//
//   - unique ids: 4-letter type prefix (AIDA user, AROA role, AGPA group,
//     ANPA policy, AIPA instance profile, ...) + 17 base32 characters (A-Z2-7)
//     from crypto/rand = 21 characters;
//   - access key ids: AKIA (long-term) / ASIA (temporary) + 16 base32
//     characters that encode the owning account the way AWS does, so that
//     GetAccessKeyInfo can answer statelessly (AccountFromAccessKeyID);
//   - secret access keys (40 characters of [A-Za-z0-9/+]), request ids
//     (lower-case UUID v4) and account ids (12 digits).
//
// All randomness comes from crypto/rand. This package imports nothing from
// the Hatrack module; it uses only the standard library.
package ids
