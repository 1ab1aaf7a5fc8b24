// Package api is Hatrack's transport: the AWS Query protocol (IAM, STS) and,
// beside it, the AWS JSON 1.1 protocol (Organizations). It decodes a request,
// and the one dispatcher (dispatch.go) authenticates it (SigV4), authorizes
// it with the policy engine, runs the operation's handler, audits it and
// encodes the answer as XML (or JSON when the client asks).
//
// Handlers never authenticate or authorize themselves: they receive a Call
// whose Caller is already proven and whose action was already allowed.
//
// errors.go is the one place any error becomes a wire error.
//
// Imports: the domain packages (internal/iam, internal/sts, …), the protocol
// parsers (internal/query, internal/sigv4) and the policy engine; never a
// store backend.
package api
