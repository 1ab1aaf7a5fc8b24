package policy

import "strings"

// phrase returns the policy-type wording of errors.md §4.
func denyPhrase(k Kind, trust bool) (explicit, implicit string) {
	switch k {
	case Identity:
		return "an identity-based policy", "identity-based policy"
	case Resource:
		return "a resource-based policy", "resource-based policy"
	case Trust:
		return "the role trust policy", "role trust policy"
	case Boundary:
		return "a permissions boundary", "permissions boundary"
	case Session:
		return "a sessions policy", "session policy"
	case SCP:
		return "a service control policy", "service control policy"
	case RCP:
		return "a resource control policy", "resource control policy"
	}
	return "", ""
}

// Reason returns the context suffix of AWS's access-denied message, e.g.
// "because no identity-based policy allows the iam:ListRoles action" or
// "with an explicit deny in a service control policy"; "" when allowed.
func (r Result) Reason(action string) string {
	if r.Decision == Allowed {
		return ""
	}
	explicit, implicit := denyPhrase(r.DecidedBy, r.Trust)
	if explicit == "" {
		return ""
	}
	// SCP implicit denies are reported as explicit (errors.md §4).
	if r.Decision == ExplicitDeny || r.DecidedBy == SCP {
		return "with an explicit deny in " + explicit
	}
	return "because no " + implicit + " allows the " + action + " action"
}

// DenyMessage renders AWS's access-denied message for the request, e.g.
//
//	User: arn:aws:sts::111111111111:assumed-role/R/s is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111111111111:role/ because no identity-based policy allows the iam:ListRoles action
//
// The " on resource: …" part is omitted when the resource is "" or "*".
// It returns "" for an allowed result.
func (r Result) DenyMessage(req *Request) string {
	if r.Decision == Allowed {
		return ""
	}
	return denyMessage(req.Principal.displayARN(), req.Action, req.Resource, r.Reason(req.Action))
}

// ShortDenyMessage renders the older message without the context suffix
// (STS historically: "User: … is not authorized to perform: sts:AssumeRole
// on resource: …").
func (r Result) ShortDenyMessage(req *Request) string {
	if r.Decision == Allowed {
		return ""
	}
	return denyMessage(req.Principal.displayARN(), req.Action, req.Resource, "")
}

func denyMessage(who, action, resource, reason string) string {
	var b strings.Builder
	b.Grow(64 + len(who) + len(action) + len(resource) + len(reason))
	b.WriteString("User: ")
	b.WriteString(who)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(action)
	if resource != "" && resource != "*" {
		b.WriteString(" on resource: ")
		b.WriteString(resource)
	}
	if reason != "" {
		b.WriteByte(' ')
		b.WriteString(reason)
	}
	return b.String()
}
