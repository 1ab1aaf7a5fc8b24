package query

import "net/http"

// AWS error codes used by this package.
const (
	// CodeMalformedQueryString: the query string or form body cannot be
	// decoded (AWS answers 404 for it).
	CodeMalformedQueryString = "MalformedQueryString"
	// CodeInvalidParameterValue: a parameter has a value of the wrong shape.
	CodeInvalidParameterValue = "InvalidParameterValue"
)

// Error is a decoding error with the AWS code, message and HTTP status.
type Error struct {
	Code    string
	Message string
	Status  int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func malformed(msg string) *Error {
	return &Error{CodeMalformedQueryString, msg, http.StatusNotFound}
}

func invalidValue(msg string) *Error {
	return &Error{CodeInvalidParameterValue, msg, http.StatusBadRequest}
}
