package sigv4

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// AWS error codes produced by this package (and, for InvalidClientTokenId and
// ExpiredToken, by its callers).
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	CodeIncompleteSignature        = "IncompleteSignature"
	CodeSignatureDoesNotMatch      = "SignatureDoesNotMatch"
	CodeInvalidClientTokenId       = "InvalidClientTokenId"
	CodeExpiredToken               = "ExpiredToken"
	CodeRequestExpired             = "RequestExpired"
)

// Standard messages.
const (
	MsgMissingAuthenticationToken = "Request is missing Authentication Token"
	MsgSignatureDoesNotMatch      = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	MsgInvalidClientTokenId       = "The security token included in the request is invalid."
	MsgExpiredToken               = "The security token included in the request is expired"
	MsgRequestExpired             = "Request has expired"
)

// Error is an authentication failure with the AWS error code, message and
// HTTP status to answer with. Messages never contain secrets or the
// signature computed by the server.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// IsMissing reports whether err says the request carried no authentication
// at all (neither an Authorization header nor presigned query parameters).
// Callers use it to admit anonymous operations such as
// AssumeRoleWithWebIdentity.
func IsMissing(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == CodeMissingAuthenticationToken
}

// ErrMissingAuthenticationToken returns the error for requests without any
// authentication.
func ErrMissingAuthenticationToken() *Error {
	return &Error{CodeMissingAuthenticationToken, MsgMissingAuthenticationToken, http.StatusForbidden}
}

// ErrInvalidClientTokenId returns the error for unknown or inactive access
// keys and for missing or invalid session tokens.
func ErrInvalidClientTokenId() *Error {
	return &Error{CodeInvalidClientTokenId, MsgInvalidClientTokenId, http.StatusForbidden}
}

// ErrExpiredToken returns the error for expired temporary credentials of the
// caller.
func ErrExpiredToken() *Error {
	return &Error{CodeExpiredToken, MsgExpiredToken, http.StatusForbidden}
}

// ErrSignatureDoesNotMatch returns the standard signature-mismatch error.
func ErrSignatureDoesNotMatch() *Error {
	return sigMismatch(MsgSignatureDoesNotMatch)
}

// ErrRequestExpired returns the error for presigned requests used after
// X-Amz-Date + X-Amz-Expires. (AWS's code for STS is unconfirmed.)
func ErrRequestExpired() *Error {
	return &Error{CodeRequestExpired, MsgRequestExpired, http.StatusBadRequest}
}

func incomplete(msg string) *Error {
	return &Error{CodeIncompleteSignature, msg, http.StatusBadRequest}
}

func sigMismatch(msg string) *Error {
	return &Error{CodeSignatureDoesNotMatch, msg, http.StatusForbidden}
}

func errWrongService(want string) *Error {
	return sigMismatch("Credential should be scoped to correct service: '" + want + "'. ")
}

func errTerminator(got string) *Error {
	return sigMismatch("Credential should be scoped with a valid terminator: 'aws4_request', not '" + got + "'. ")
}

func errScopeDate(scope, amzDate string) *Error {
	day := amzDate
	if len(day) > 8 {
		day = day[:8]
	}
	return sigMismatch("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
		scope + "' != '" + day + "', from '" + amzDate + "'.")
}

func errExpired(ts, now time.Time, skew time.Duration) *Error {
	return sigMismatch("Signature expired: " + formatAmzDate(ts) + " is now earlier than " +
		formatAmzDate(now.Add(-skew)) + " (" + formatAmzDate(now) + " - " + minutes(skew) + " min.)")
}

func errNotYetCurrent(ts, now time.Time, skew time.Duration) *Error {
	return sigMismatch("Signature not yet current: " + formatAmzDate(ts) + " is still later than " +
		formatAmzDate(now.Add(skew)) + " (" + formatAmzDate(now) + " + " + minutes(skew) + " min.)")
}

func minutes(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Minute), 10)
}
