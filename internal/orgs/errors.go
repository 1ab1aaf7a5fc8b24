package orgs

import (
	"net/http"

	"github.com/hatrack/hatrack/internal/awserr"
)

// Error is an Organizations error with a Reason member
// (ConstraintViolationException, InvalidInputException).
type Error struct {
	AWS    *awserr.Error
	Reason string
}

func (e *Error) Error() string { return e.AWS.Error() + " (" + e.Reason + ")" }

// Unwrap exposes the AWS error for awserr.As.
func (e *Error) Unwrap() error { return e.AWS }

// WireFields are the members the JSON error body carries beside __type and
// Message.
func (e *Error) WireFields() map[string]any {
	if e.Reason == "" {
		return nil
	}
	return map[string]any{"Reason": e.Reason}
}

// Every Organizations client error is HTTP 400.
func orgErr(code, msg string) *awserr.Error {
	return awserr.New(http.StatusBadRequest, code, "%s", msg)
}

func reasonErr(code, reason, msg string) *Error {
	return &Error{AWS: orgErr(code, msg), Reason: reason}
}

// Messages follow the Organizations API reference.
var (
	errNotInUse = orgErr("AWSOrganizationsNotInUseException",
		"Your account is not a member of an organization.")
	errMemberDenied = orgErr("AccessDeniedException",
		"You don't have permissions to access this resource.")
	errAccountNotFound = orgErr("AccountNotFoundException",
		"You specified an account that doesn't exist.")
	errChildNotFound = orgErr("ChildNotFoundException",
		"We can't find an organizational unit (OU) or AWS account with the ChildId that you specified.")
	errOUNotFound = orgErr("OrganizationalUnitNotFoundException",
		"You specified an organizational unit that doesn't exist.")
	errParentNotFound = orgErr("ParentNotFoundException",
		"We can't find a root or OU with the ParentId that you specified.")
	errRootNotFound = orgErr("RootNotFoundException",
		"We can't find a root with the RootId that you specified.")
	errPolicyNotFound = orgErr("PolicyNotFoundException",
		"We can't find a policy with the PolicyId that you specified.")
	errTargetNotFound = orgErr("TargetNotFoundException",
		"We can't find a root, OU, account, or policy with the TargetId that you specified.")
	errDuplicateAttachment = orgErr("DuplicatePolicyAttachmentException",
		"The selected policy is already attached to the specified target.")
	errNotAttached = orgErr("PolicyNotAttachedException",
		"The policy isn't attached to the specified target in the specified root.")
	errDuplicatePolicy = orgErr("DuplicatePolicyException",
		"A policy with the same name already exists.")
	errPolicyInUse = orgErr("PolicyInUseException",
		"The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
	errMalformedPolicy = orgErr("MalformedPolicyDocumentException",
		"The provided policy document doesn't meet the requirements of the specified policy type.")
	errOUNotEmpty = orgErr("OrganizationalUnitNotEmptyException",
		"The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")
	errDuplicateOU = orgErr("DuplicateOrganizationalUnitException",
		"An OU with the same name already exists.")
	errDuplicateAccount = orgErr("DuplicateAccountException",
		"That account is already present in the specified destination.")
	errSourceParentNotFound = orgErr("SourceParentNotFoundException",
		"We can't find a source root or OU with the ParentId that you specified.")
	errDestParentNotFound = orgErr("DestinationParentNotFoundException",
		"We can't find the destination container (a root or OU) with the ParentId that you specified.")
	errTypeNotEnabled = orgErr("PolicyTypeNotEnabledException",
		"The specified policy type isn't currently enabled in this root. You can't attach policies of the specified type to entities in a root until you enable that type in the root.")
	errTypeAlreadyEnabled = orgErr("PolicyTypeAlreadyEnabledException",
		"The specified policy type is already enabled in the specified root.")
	errTypeNotAvailable = orgErr("PolicyTypeNotAvailableForOrganizationException",
		"You can't use the specified policy type with the feature set currently enabled for this organization.")
	errAccountAlreadyClosed = orgErr("AccountAlreadyClosedException",
		"You attempted to close an account that is already closed.")
	errMasterCannotLeave = orgErr("MasterCannotLeaveOrganizationException",
		"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")
	errCASNotFound = orgErr("CreateAccountStatusNotFoundException",
		"We can't find an create account request with the CreateAccountRequestId that you specified.")
)

func errMinAttachment() *Error {
	return reasonErr("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
		"You attempted to detach a policy from an entity that would cause the entity to have fewer than the minimum number of policies of a certain type required.")
}

func errMaxAttachment() *Error {
	return reasonErr("ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED",
		"You attempted to exceed the number of policies of a certain type that can be attached to an entity at one time.")
}

func errPolicyContentLimit() *Error {
	return reasonErr("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED",
		"You attempted to create a policy that is larger than the maximum size.")
}

func errPolicyNumberLimit() *Error {
	return reasonErr("ConstraintViolationException", "POLICY_NUMBER_LIMIT_EXCEEDED",
		"You attempted to exceed the number of policies that you can have in an organization.")
}

func errOUDepth() *Error {
	return reasonErr("ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED",
		"You attempted to create an OU tree that is too many levels deep.")
}

func errOUNumber() *Error {
	return reasonErr("ConstraintViolationException", "OU_NUMBER_LIMIT_EXCEEDED",
		"You attempted to exceed the number of OUs that you can have in an organization.")
}

func errAccountNumber() *Error {
	return reasonErr("ConstraintViolationException", "ACCOUNT_NUMBER_LIMIT_EXCEEDED",
		"You attempted to exceed the limit on the number of accounts in an organization.")
}

func errCannotCloseManagement() *Error {
	return reasonErr("ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT",
		"You attempted to close the management account. To close the management account for the organization, you must first either remove or close all member accounts in the organization. Follow standard account closure process using root credentials.")
}

func errCloseQuota() *Error {
	return reasonErr("ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED",
		"You have exceeded close account quota for the past 30 days.")
}

// Invalid input (InvalidInputException and its Reason).
func errInputRequired() *Error {
	return reasonErr("InvalidInputException", "INPUT_REQUIRED", "You must provide a value for all required parameters.")
}

func errInvalidPattern() *Error {
	return reasonErr("InvalidInputException", "INVALID_PATTERN", "You provided a value that doesn't match the required pattern.")
}

func errInvalidTargetPattern() *Error {
	return reasonErr("InvalidInputException", "INVALID_PATTERN_TARGET_ID", "You specified a policy target ID that doesn't match the required pattern.")
}

func errMaxLength() *Error {
	return reasonErr("InvalidInputException", "MAX_LENGTH_EXCEEDED", "You provided a string parameter that is longer than allowed.")
}

func errMinLength() *Error {
	return reasonErr("InvalidInputException", "MIN_LENGTH_EXCEEDED", "You provided a string parameter that is shorter than allowed.")
}

func errInvalidEnum() *Error {
	return reasonErr("InvalidInputException", "INVALID_ENUM", "You specified an invalid value.")
}

func errImmutablePolicy() *Error {
	return reasonErr("InvalidInputException", "IMMUTABLE_POLICY", "You specified a policy that is managed by AWS and can't be modified.")
}

// ErrInvalidNextToken is returned for a pagination token this deployment
// did not issue.
func ErrInvalidNextToken() *Error {
	return reasonErr("InvalidInputException", "INVALID_NEXT_TOKEN", "You specified an invalid value for the nextToken request parameter.")
}

// ErrMaxResults is returned for MaxResults outside 1..20.
func ErrMaxResults(tooBig bool) *Error {
	if tooBig {
		return reasonErr("InvalidInputException", "MAX_VALUE_EXCEEDED", "You provided a numeric parameter that has a larger value than allowed.")
	}
	return reasonErr("InvalidInputException", "MIN_VALUE_EXCEEDED", "You provided a numeric parameter that has a smaller value than allowed.")
}

// ErrInputRequired is INPUT_REQUIRED for the transport's own checks.
func ErrInputRequired() *Error { return errInputRequired() }

// ErrInvalidEnum is INVALID_ENUM for the transport's own checks.
func ErrInvalidEnum() *Error { return errInvalidEnum() }

// Handshakes.
var (
	errHandshakeNotFound = orgErr("HandshakeNotFoundException",
		"We can't find a handshake with the HandshakeId that you specified.")
	errHandshakeTransition = orgErr("InvalidHandshakeTransitionException",
		"You can't perform the operation on the handshake in its current state. For example, you can't cancel a handshake that was already accepted or accept a handshake that was already declined.")
	errHandshakeAlreadyInState = orgErr("HandshakeAlreadyInStateException",
		"The specified handshake is already in the requested state. For example, you can't accept a handshake that was already accepted.")
	errDuplicateHandshake = orgErr("DuplicateHandshakeException",
		"A handshake with the same action and target already exists. For example, if you invited an account to join your organization, the invited account might already have a pending invitation from this organization. If you intend to resend an invitation to an account, ensure that existing handshakes that might be considered duplicates are canceled or declined.")
)

func handshakeErr(reason, msg string) *Error {
	return reasonErr("HandshakeConstraintViolationException", reason, msg)
}

func errAlreadyInOrganization() *Error {
	return handshakeErr("ALREADY_IN_AN_ORGANIZATION",
		"The handshake request is invalid because the invited account is already a member of an organization.")
}

func errHandshakeAccountNumber() *Error {
	return handshakeErr("ACCOUNT_NUMBER_LIMIT_EXCEEDED",
		"You attempted to exceed the limit on the number of accounts in an organization.")
}

func errHandshakeRate() *Error {
	return handshakeErr("HANDSHAKE_RATE_LIMIT_EXCEEDED",
		"You attempted to exceed the number of handshakes that you can send in one day.")
}

func errInvalidPartyType() *Error {
	return reasonErr("InvalidInputException", "INVALID_PARTY_TYPE_TARGET",
		"You specified the wrong type of entity (account, organization, or email) as a party.")
}

func errInvalidEmailTarget() *Error {
	return reasonErr("InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET",
		"You specified an invalid email address for the invited account owner.")
}

func errFilterLimit() *Error {
	return reasonErr("InvalidInputException", "MAX_LIMIT_EXCEEDED_FILTER",
		"You can specify only one filter parameter for the operation.")
}

// Tags.
func errSystemTag() *Error {
	return reasonErr("InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER",
		"You specified a tag key that is a system tag. You can’t add, edit, or delete system tag keys because they're reserved for Amazon Web Services use. System tags don’t count against your tags per resource limit.")
}

func errDuplicateTagKey() *Error {
	return reasonErr("InvalidInputException", "DUPLICATE_TAG_KEY",
		"Tag keys must be unique among the tags attached to the same entity.")
}

func errTagLimit() *Error {
	return reasonErr("ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED",
		"You have exceeded the number of tags allowed on this resource.")
}

func errTargetNotSupported() *Error {
	return reasonErr("InvalidInputException", "TARGET_NOT_SUPPORTED",
		"You can't perform the specified operation on that target entity.")
}
