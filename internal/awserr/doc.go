// Package awserr is Hatrack's error vocabulary: an AWS error code, the
// message AWS words for it, and its HTTP status. Domain packages return
// these; the transport (internal/api/errors.go) is the one place that turns
// any error into a wire response.
//
// It imports nothing of Hatrack's.
package awserr
