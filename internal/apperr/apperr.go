// Package apperr defines the few error kinds wangge distinguishes and the one
// JSON shape every failure is answered with:
//
//	{"error": {"code": "not_found", "message": "...", "details": ...}}
package apperr

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinels; wrap them with %w or use New to add a message and details.
var (
	ErrInvalid      = errors.New("invalid input")                   // 400
	ErrUnauthorized = errors.New("login required")                  // 401
	ErrForbidden    = errors.New("not allowed")                     // 403
	ErrNotFound     = errors.New("not found")                       // 404
	ErrMethod       = errors.New("method not allowed")              // 405
	ErrConflict     = errors.New("conflict")                        // 409
	ErrGone         = errors.New("gone")                            // 410
	ErrTooLarge     = errors.New("payload too large")               // 413
	ErrUnsupported  = errors.New("unsupported media type")          // 415
	ErrTopology     = errors.New("topology rule broken")            // 422
	ErrRateLimited  = errors.New("too many requests")               // 429
	ErrUnavailable  = errors.New("service temporarily unavailable") // 503
)

// Error carries a message for people and details for programs (for example
// the offending geometry of a topology error).
type Error struct {
	Kind    error
	Message string
	Details any
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is match the kind.
func (e *Error) Unwrap() error { return e.Kind }

// New returns an *Error of kind with a formatted message.
func New(kind error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// WithDetails returns an *Error of kind with a message and details.
func WithDetails(kind error, details any, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Details: details}
}

var kinds = []struct {
	err    error
	status int
	code   string
}{
	{ErrInvalid, http.StatusBadRequest, "invalid"},
	{ErrUnauthorized, http.StatusUnauthorized, "unauthorized"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{ErrNotFound, http.StatusNotFound, "not_found"},
	{ErrMethod, http.StatusMethodNotAllowed, "method_not_allowed"},
	{ErrConflict, http.StatusConflict, "conflict"},
	{ErrGone, http.StatusGone, "gone"},
	{ErrTooLarge, http.StatusRequestEntityTooLarge, "too_large"},
	{ErrUnsupported, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	{ErrTopology, http.StatusUnprocessableEntity, "topology"},
	{ErrRateLimited, http.StatusTooManyRequests, "rate_limited"},
	{ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
}

// Status maps an error to its HTTP status and short code; unknown errors are
// 500 "internal".
func Status(err error) (int, string) {
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return k.status, k.code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// Body is the JSON error shape.
type Body struct {
	Error BodyError `json:"error"`
}

// BodyError is the inside of Body.
type BodyError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// ToBody renders err; internal errors get a generic message, never the cause.
func ToBody(err error) (int, Body) {
	status, code := Status(err)
	b := Body{Error: BodyError{Code: code, Message: err.Error()}}
	var e *Error
	if errors.As(err, &e) {
		b.Error.Details = e.Details
	}
	if status == http.StatusInternalServerError {
		b.Error.Message = "internal error"
		b.Error.Details = nil
	}
	return status, b
}
