// Package credserver hands role credentials to programs the way AWS
// compute does, so that unmodified SDKs pick them up from their default
// credential chain:
//
//   - ECS: the container-credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI
//     with AWS_CONTAINER_AUTHORIZATION_TOKEN): JSON AccessKeyId,
//     SecretAccessKey, Token, Expiration (+ RoleArn, AccountId);
//   - IMDS: an IMDSv2-compatible instance-metadata endpoint (PUT
//     /latest/api/token, then /latest/meta-data/iam/security-credentials/,
//     …/<role>, the -extended variants and /latest/meta-data/iam/info).
//     IMDSv1 (no token) is refused.
//
// Cache refreshes credentials from a Source before they expire. The HTTP
// servers are meant to bind to loopback (internal/cli enforces the default).
//
// Imports: the standard library only.
package credserver
