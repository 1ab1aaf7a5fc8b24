// Package policy is Hatrack's policy engine: AWS's IAM policy language and
// decision procedure, exact and fast.
//
// # What the package owns
//
//   - Parsing and validating policy documents the way IAM does (Parse, with
//     per-Kind element rules: Identity, Resource, Trust, Session, Boundary,
//     SCP, RCP). Errors are *ParseError with Code() "MalformedPolicyDocument"
//     and AWS's message texts. Size counts a document the way IAM's quotas
//     do (non-whitespace outside strings); ValidCharset checks IAM's
//     character set. Enforcing limits is the caller's job.
//   - Compiling a document once into an immutable, concurrency-safe form
//     (*Policy): action patterns pre-lowered, ARN patterns pre-tokenised,
//     CIDRs, numbers and dates pre-parsed, policy variables pre-located.
//   - Matching: actions case-insensitively with * and ?; resources
//     case-sensitively, ArnLike-style per colon field with * crossing '/'
//     in the resource part; principals in every form (account id ≡ root
//     ARN, user/role/session ARNs, AIDA…/AROA… unique ids, "*", Service,
//     Federated, CanonicalUser) and NotPrincipal.
//   - Every condition operator (String*, Numeric*, Date*, Bool,
//     BinaryEquals, IpAddress/NotIpAddress, Arn*, Null), IfExists,
//     ForAllValues/ForAnyValue, and policy variables (${aws:username},
//     ${aws:PrincipalTag/x}, ${*}, ${?}, ${$}, ${key, 'default'}) honoured
//     only under Version 2012-10-17 and only in the resource part of
//     Resource ARNs and in String*/Arn*/Bool condition values.
//   - The full decision procedure (Evaluate): explicit deny anywhere, RCP
//     and SCP levels, resource-based policies with the same-account grant
//     table, trust policies that must always explicitly allow, identity
//     policies, permissions boundaries, session policies, cross-account
//     two-sided evaluation and the root user's standing. Evaluate performs
//     no heap allocation.
//   - Explanations: Result carries the Decision, the policy type that
//     decided (DecidedBy) and the deciding statements (Matched);
//     Result.DenyMessage renders AWS's access-denied message.
//     EvaluateReport additionally lists every matched statement with its
//     position and the MissingContextValues (for the IAM simulator).
//   - A linter (Lint) modelled on IAM Access Analyzer policy validation,
//     and a canonical JSON form (Policy.Canonical).
//
// What the package does not own: looking policies up (which policies apply
// to a request is the caller's decision, expressed as a Set), filling the
// request context (Context.SetPrincipalKeys helps with the principal keys;
// aws:CurrentTime, aws:SourceIp, … are the caller's), size quotas, the
// "Roles may not be assumed by root accounts." rule, sts:GetCallerIdentity's
// always-allow, and the storage-time rewriting of principals to unique ids.
//
// # Dependencies
//
// The package is standard-library only. It imports nothing else from the
// Hatrack project and no third-party module, so it can be reused (and
// fuzzed) on its own.
//
// # Usage
//
//	id, err := policy.Parse(doc, policy.Identity) // once, at save time
//	id = id.WithID("arn:aws:iam::111111111111:policy/P")
//	ctx := policy.NewContext()
//	ctx.SetPrincipalKeys(&req.Principal)
//	ctx.Set("aws:SourceIp", "203.0.113.7")
//	req := &policy.Request{Principal: p, Action: "iam:ListRoles",
//		Resource: "arn:aws:iam::111111111111:role/", Context: ctx}
//	res := policy.Evaluate(req, &policy.Set{Identity: []*policy.Policy{id}})
//	if !res.Allowed() {
//		return accessDenied(res.DenyMessage(req))
//	}
//
// Spec ambiguities and the readings taken are listed in AMBIGUITIES.md in
// this directory.
package policy
