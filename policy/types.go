package policy

import (
	"fmt"
	"strings"
)

// Kind is the type of a policy document. It decides which elements are
// required or forbidden (policy-language.md §3) and, in a Result, names the
// policy type that decided.
type Kind int

// Policy kinds. The zero value (KindNone) is not a valid argument to Parse.
const (
	KindNone Kind = iota
	Identity      // identity-based policy: user/group/role inline or managed
	Resource      // resource-based policy (S3, SQS, KMS, ...)
	Trust         // role trust policy (AssumeRolePolicyDocument)
	Session       // STS session policy (Policy / PolicyArns parameters)
	Boundary      // permissions boundary (a managed policy used as boundary)
	SCP           // Organizations service control policy
	RCP           // Organizations resource control policy
)

var kindNames = [...]string{"none", "identity", "resource", "trust", "session", "boundary", "scp", "rcp"}

// String returns the lower-case name used by the CLI ("identity", "trust", ...).
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// ParseKind maps "identity", "resource", "trust", "session", "boundary",
// "scp", "rcp" (case-insensitive) to a Kind.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Kind(i), true
		}
	}
	return KindNone, false
}

// MarshalText renders the kind name (for JSON output).
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// isIAMKind: documents validated by IAM itself (strict Sid rules etc).
func (k Kind) isIAM() bool {
	return k == Identity || k == Trust || k == Session || k == Boundary
}

// principalBearing reports whether statements of this kind carry a Principal.
func (k Kind) principalBearing() bool { return k == Resource || k == Trust || k == RCP }

// Effect is a statement's Effect.
type Effect uint8

// Statement effects.
const (
	Allow Effect = iota + 1
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return ""
}

// MarshalText renders "Allow"/"Deny".
func (e Effect) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// ErrCodeMalformedPolicyDocument is the AWS error code of every ParseError.
const ErrCodeMalformedPolicyDocument = "MalformedPolicyDocument"

// ParseError is returned by Parse. Error() is the AWS message text
// (policy-language.md §6), Code() the AWS error code.
type ParseError struct {
	Message string
	// Statement is the 0-based index of the offending statement, or -1.
	Statement int
	// Pos is the position of the offending element when known (Line 0 otherwise).
	Pos Position
}

func (e *ParseError) Error() string { return e.Message }

// Code returns "MalformedPolicyDocument".
func (e *ParseError) Code() string { return ErrCodeMalformedPolicyDocument }

// AWS message texts (policy-language.md §6). Those marked unconfirmed in the
// spec are listed in AMBIGUITIES.md.
const (
	msgSyntax            = "Syntax errors in policy."
	msgLegacy            = "The policy failed legacy parsing"
	msgNoActions         = "Policy statement must contain actions."
	msgNoResources       = "Policy statement must contain resources."
	msgNoPrincipalAllow  = "Policy document should not specify a principal."
	msgMissingPrincipal  = "Missing required field Principal"
	msgProhibitResource  = "Has prohibited field Resource."
	msgTrustActions      = "AssumeRole policy may only specify STS AssumeRole actions."
	msgOneColon          = "Actions/Condition can contain only one colon."
	msgVendor            = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgDupSid            = "Statement IDs (SID) in a single policy must be unique."
	msgBadSid            = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgMissingEffect     = "Missing required field Effect"
	msgMissingStatement  = "Missing required field Statement"
	msgProhibitNotPrinc  = "Has prohibited field NotPrincipal"
	msgRCPPrincipal      = "RCP statements must specify \"Principal\": \"*\"."
	msgRCPAllow          = "RCP Allow statements may only allow \"Action\": \"*\" on \"Resource\": \"*\" without conditions."
	msgEmptyCondition    = "Syntax errors in policy."
	msgIAMRegionFmt      = "IAM resource %s cannot contain region information."
	msgResourceARNFmt    = "Resource %s must be in ARN format or \"*\"."
	msgInvalidEffectFmt  = "Invalid effect: %s"
	msgInvalidCondFmt    = "Invalid Condition type : %s"
	msgInvalidCondValFmt = "Invalid Condition value for %s: %s"
	msgInvalidPrincFmt   = "Invalid principal in policy: \"%s\":\"%s\""
)

func perr(stmt int, v *jval, doc, msg string) *ParseError {
	e := &ParseError{Message: msg, Statement: stmt}
	if v != nil {
		e.Pos = positionOf(doc, v.start)
	}
	return e
}
