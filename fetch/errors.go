package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"unicode/utf8"
)

// ErrUnauthorized means Partner Center refused the token even after one
// refresh, or no token could be obtained. A sweep stops on it.
var ErrUnauthorized = errors.New("unauthorized: the access token was refused or could not be obtained")

// ErrMFARequired means Partner Center answered 401 with code 900421: the
// token lacks the MFA claim. A sweep stops on it.
var ErrMFARequired = errors.New("the access token lacks the MFA claim (code 900421): the partner must re-consent with MFA to get a new refresh token")

// ErrNoRelationship means Partner Center answered 403 with code 20002: the
// partner has no commerce (reseller) relationship with the customer, so the
// customer's agreements are not the partner's to ask (nor its MCA the
// partner's to obtain). An *APIError of that answer matches it with
// errors.Is; ErrorFields gives it the code CodeNoRelationship.
var ErrNoRelationship = errors.New("no reseller relationship: the MCA is not needed for this customer through you")

// CodeNoRelationship is the error code ErrorFields gives a customer whose
// query answered ErrNoRelationship (403, Partner Center code 20002).
const CodeNoRelationship = "no_relationship"

// codeNoRelationship is Partner Center's error code for ErrNoRelationship.
const codeNoRelationship = "20002"

// errBodyTooLarge is wrapped in a BodyError when a body exceeds the limit.
var errBodyTooLarge = errors.New("body exceeds the size limit")

// APIError is a Partner Center error answer.
type APIError struct {
	Status      int    // HTTP status
	Code        string // Partner Center error code, e.g. "13605"; empty when the body had none
	Description string
	ErrorName   string
	RequestID   string // MS-RequestId of the request
	Retryable   bool   // whether the client retries this answer
}

// Error implements error.
func (e *APIError) Error() string {
	s := "Partner Center answered " + strconv.Itoa(e.Status)
	if text := http.StatusText(e.Status); text != "" {
		s += " " + text
	}
	if e.Code != "" {
		s += " code " + e.Code
	}
	if e.ErrorName != "" {
		s += " (" + e.ErrorName + ")"
	}
	if e.Description != "" {
		s += ": " + clip(e.Description, 200)
	}
	if e.Is(ErrNoRelationship) {
		s += " (" + ErrNoRelationship.Error() + ")"
	}
	return s
}

// Is reports whether e is the answer target names: ErrNoRelationship for a
// 403 with code 20002.
func (e *APIError) Is(target error) bool {
	return target == ErrNoRelationship && e.Status == http.StatusForbidden && e.Code == codeNoRelationship
}

// BodyError is a response body that could not be read or parsed: malformed
// JSON, a body cut short, or one over the size limit.
type BodyError struct {
	Status  int    // HTTP status of the answer
	Excerpt string // the body's first bytes (at most 120)
	Err     error  // what went wrong
	// truncated is set when the body ended early (in transit or before its
	// JSON did); such a body is retried as a transport fault.
	truncated bool
}

// Error implements error.
func (e *BodyError) Error() string {
	kind := "malformed"
	if e.truncated {
		kind = "truncated"
	}
	return fmt.Sprintf("%s response body (status %d): %v; body starts %q", kind, e.Status, e.Err, e.Excerpt)
}

// Unwrap returns the underlying error.
func (e *BodyError) Unwrap() error { return e.Err }

// transportError is a request that got no complete answer.
type transportError struct {
	kind string // timeout, reset, transport
	err  error
}

func (e *transportError) Error() string { return e.kind + ": " + e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

// classifyTransport names a transport failure for ErrorFields.
func classifyTransport(err error) *transportError {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &transportError{kind: "timeout", err: err}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		// The server closed the connection before a complete answer.
		return &transportError{kind: "reset", err: err}
	default:
		return &transportError{kind: "transport", err: err}
	}
}

// ErrorFields flattens err for storing a customer's failure: the HTTP status
// (0 when no answer came), a short code and a short secret-free message.
// Transport failures give codes "timeout", "reset" or "transport"; body
// failures "malformed_body", "truncated_body" or "body_too_large"; an answer
// without a Partner Center code "http_<status>"; a 403 code 20002
// CodeNoRelationship.
func ErrorFields(err error) (httpStatus int, code, message string) {
	if err == nil {
		return 0, "", ""
	}
	message = clip(err.Error(), 300)
	var apiErr *APIError
	var bodyErr *BodyError
	var tErr *transportError
	switch {
	case errors.Is(err, ErrMFARequired):
		status, code := 401, "900421"
		if errors.As(err, &apiErr) {
			status = apiErr.Status
		}
		return status, code, message
	case errors.Is(err, ErrNoRelationship) && errors.As(err, &apiErr):
		return apiErr.Status, CodeNoRelationship, message
	case errors.As(err, &apiErr):
		code = apiErr.Code
		if code == "" {
			code = "http_" + strconv.Itoa(apiErr.Status)
		}
		return apiErr.Status, code, message
	case errors.As(err, &bodyErr):
		switch {
		case errors.Is(bodyErr.Err, errBodyTooLarge):
			code = "body_too_large"
		case bodyErr.truncated:
			code = "truncated_body"
		default:
			code = "malformed_body"
		}
		return bodyErr.Status, code, message
	case errors.As(err, &tErr):
		return 0, tErr.kind, message
	case errors.Is(err, context.Canceled):
		return 0, "canceled", message
	case errors.Is(err, context.DeadlineExceeded):
		return 0, "timeout", message
	case errors.Is(err, ErrUnauthorized):
		return 0, "unauthorized", message
	case errors.Is(err, ErrNoToken):
		return 0, "no_token", message
	case errors.As(err, new(*RedirectError)):
		return 0, "redirect_refused", message
	default:
		return 0, "error", message
	}
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
