// Package console is Hatrack's web console: server-rendered HTML pages for
// people, mounted by the server at /console/.
//
// The console is a client of Hatrack's own API, in process. It never reads
// the store and never decides authorization: every page is built from
// Query-protocol (and JSON 1.1) calls — ListUsers, GetRole,
// SimulatePrincipalPolicy, sts:AssumeRole, organizations:ListAccounts,
// cloudtrail:LookupEvents, … — signed with the signed-in person's
// credentials (internal/sigv4.Sign) and served by the same http.Handler that
// serves SDKs and CLIs. So a denial shows exactly the API's AccessDenied
// message, and "Switch role" is a real AssumeRole.
//
// Sign-in proves a principal (root or IAM user access keys through
// sts:GetCallerIdentity, or an IAM user's password through the SignInFunc
// the server supplies) and mints a 12-hour session for that principal
// (a sealed session token of type SessionToken, marked as a console
// session in Claims.Extra). The person's credentials live only in an
// encrypted cookie (AES-GCM under the keyring, purpose "console-session");
// every POST form carries a CSRF token.
//
// Files: console.go (handler, routes, rendering), session.go (the sealed
// cookie and CSRF), client.go (the in-process API client), xmltree.go
// (reading Query-protocol answers), pages.go (the pages), policydoc.go
// (policy documents and trust relationships), graph.go (the trust graph
// as SVG), assets/ (templates and CSS, embedded).
//
// Imports: internal/sigv4, internal/token, internal/keyring, internal/ids
// and the standard library; never internal/iam, internal/api or a store.
package console
