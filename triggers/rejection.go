package triggers

import (
	"github.com/cogwatch/cogwatch/event"
)

// errorCode is a reason code as an error value, matched with errors.Is.
type errorCode string

func (e errorCode) Error() string { return string(e) }

const (
	reasonDisposableDomain = errorCode(event.ReasonDisposableDomain)
	reasonInvalidEmail     = errorCode(event.ReasonInvalidEmail)
)

// ErrDisposableDomain is the reason code of an address on the disposable list.
var ErrDisposableDomain error = reasonDisposableDomain

// rejectionTexts is the one table of what a rejected user reads. Cognito
// shows "PreSignUp failed with error <text>." and adds the period, so the
// texts are short, stable, safe to show and have none.
var rejectionTexts = map[error]string{
	ErrDisposableDomain: "Please use a permanent email address",
	ErrInvalidEmail:     "Please enter a valid email address",
}

// defaultRejectionText answers for a reason without its own text.
const defaultRejectionText = "Sign-up is not allowed"

// Rejection is the only error a trigger returns to Cognito: a sign-up it
// refuses. Error is the text the user reads; Reason is the code (an ErrX
// value) for errors.Is, EMF and event data.
type Rejection struct {
	Reason error
}

// Error returns the user-facing text from the one table.
func (r *Rejection) Error() string {
	if t, ok := rejectionTexts[r.Reason]; ok {
		return t
	}
	return defaultRejectionText
}

// Unwrap returns the reason, so errors.Is(err, ErrDisposableDomain) works.
func (r *Rejection) Unwrap() error { return r.Reason }

// Code returns the reason code, as written in events and EMF.
func (r *Rejection) Code() string {
	if r.Reason == nil {
		return "rejected"
	}
	return r.Reason.Error()
}
