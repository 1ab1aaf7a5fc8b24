// Package authzclient is a small Go client for Hatrack's authorization
// endpoint and resource-policy API (docs/authorization-endpoint.md).
//
// A service that uses Hatrack as its IAM stores resource policies for its
// resources with PutResourcePolicy and, for every request it receives,
// asks Hatrack to decide it: AuthorizeRequest forwards the SigV4-signed
// request the service received (Hatrack verifies the signature and so
// learns the principal); Authorize also accepts an access key id and
// session token the service authenticated itself. The answer is AWS's
// full decision (identity policies, boundary, session policies, SCPs and
// the stored resource policy), the principal and AWS's denial message.
//
//	c := authzclient.New("https://hatrack.internal:8443", authzclient.Credentials{
//		AccessKeyID: id, SecretAccessKey: secret}, "us-east-1")
//	out, err := c.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueARN)
//	if err != nil { /* *authzclient.Error: relay Code and Message */ }
//	if out.Decision != authzclient.Allowed { /* 403 with out.Message */ }
//
// The client signs its own calls with SigV4 (signing name "hatrack").
package authzclient
