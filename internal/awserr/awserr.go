package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-shaped error.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Fault is "Sender" for 4xx and "Receiver" for 5xx, as the query-protocol
// envelope's <Type> says.
func (e *Error) Fault() string {
	if e.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// New builds an error with an explicit status.
func New(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status}
}

// As extracts an *Error from err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// HasCode reports whether err is an *Error with the given code.
func HasCode(err error, code string) bool {
	e, ok := As(err)
	return ok && e.Code == code
}

// Common constructors. Messages follow ../shared/spec/errors.md and
// iam-api.md; where AWS's wording is unconfirmed the spec's reading is used.

func NoSuchEntity(format string, args ...any) *Error {
	return New(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func EntityAlreadyExists(format string, args ...any) *Error {
	return New(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func LimitExceeded(format string, args ...any) *Error {
	return New(http.StatusConflict, "LimitExceeded", format, args...)
}

func DeleteConflict(format string, args ...any) *Error {
	return New(http.StatusConflict, "DeleteConflict", format, args...)
}

func ConcurrentModification(format string, args ...any) *Error {
	return New(http.StatusConflict, "ConcurrentModification", format, args...)
}

func InvalidInput(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "InvalidInput", format, args...)
}

func MalformedPolicyDocument(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "MalformedPolicyDocument", format, args...)
}

func UnmodifiableEntity(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "UnmodifiableEntity", format, args...)
}

func PolicyNotAttachable(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "PolicyNotAttachable", format, args...)
}

func AccessDenied(format string, args ...any) *Error {
	return New(http.StatusForbidden, "AccessDenied", format, args...)
}

func InvalidParameterValue(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "InvalidParameterValue", format, args...)
}

func MissingParameter(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "MissingParameter", format, args...)
}

// ServiceFailure is IAM's internal-error code; the message never carries
// the cause (it is logged with the request id instead).
func ServiceFailure() *Error {
	return New(http.StatusInternalServerError, "ServiceFailure", "An internal error occurred. Please try again later.")
}

func InternalFailure() *Error {
	return New(http.StatusInternalServerError, "InternalFailure", "The request processing has failed because of an unknown error, exception or failure.")
}

func ServiceUnavailable() *Error {
	return New(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
}
