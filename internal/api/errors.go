package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/query"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// toWire maps any error to the AWS error a client sees. It is the one
// place that decides codes and statuses for errors not already shaped by
// the domain; unexpected errors are logged (with the request id) and
// answered with a generic failure that reveals nothing.
func toWire(ctx context.Context, log *slog.Logger, service string, err error) *awserr.Error {
	if e, ok := awserr.As(err); ok {
		return e
	}
	var se *sigv4.Error
	if errors.As(err, &se) {
		return &awserr.Error{Code: se.Code, Message: se.Message, Status: se.Status}
	}
	var pe *policy.ParseError
	if errors.As(err, &pe) {
		return awserr.MalformedPolicyDocument("%s", pe.Error())
	}
	var qe *query.Error
	if errors.As(err, &qe) {
		return &awserr.Error{Code: qe.Code, Message: qe.Message, Status: http.StatusBadRequest}
	}
	switch {
	case errors.Is(err, store.ErrConflict):
		return awserr.ConcurrentModification("Rate exceeded for concurrent modification. Please try again.")
	case errors.Is(err, store.ErrNotFound):
		// A domain package should have shaped this; never leak store words.
		return awserr.NoSuchEntity("The requested entity cannot be found.")
	case errors.Is(err, store.ErrAlreadyExists):
		return awserr.EntityAlreadyExists("The entity already exists.")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.Is(err, store.ErrClosed):
		return awserr.ServiceUnavailable()
	}
	log.ErrorContext(ctx, "internal error", "err", err)
	if service == "iam" {
		return awserr.ServiceFailure()
	}
	return awserr.InternalFailure()
}
