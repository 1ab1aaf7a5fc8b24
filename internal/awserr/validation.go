package awserr

import (
	"fmt"
	"net/http"
	"strings"
)

// Validation collects model-constraint failures and renders them the way
// AWS does: "1 validation error detected: Value 'x' at 'roleSessionName'
// failed to satisfy constraint: Member must satisfy regular expression
// pattern: [\w+=,.@-]*" and "N validation errors detected: ...; ...".
type Validation struct {
	items []string
}

// Add records one failure. member is the lower-camel-case member name.
func (v *Validation) Add(value, member, constraint string) {
	v.items = append(v.items, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: %s", value, member, constraint))
}

// AddNull records a required member that is missing.
func (v *Validation) AddNull(member string) {
	v.items = append(v.items, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
}

// Err returns nil when nothing was recorded, else a ValidationError.
func (v *Validation) Err() error {
	if len(v.items) == 0 {
		return nil
	}
	noun := "errors"
	if len(v.items) == 1 {
		noun = "error"
	}
	return New(http.StatusBadRequest, "ValidationError", "%d validation %s detected: %s", len(v.items), noun, strings.Join(v.items, "; "))
}

// ValidationError is a single free-form ValidationError.
func ValidationError(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "ValidationError", format, args...)
}
