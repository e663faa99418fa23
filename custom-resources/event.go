package customresources

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
)

// FailedCreatePrefix starts the physical id of a resource whose Create failed.
const FailedCreatePrefix = "cogwatch-failed-create-"

// FailedCreateID is the physical id answered for a failed Create.
func FailedCreateID(requestID string) string { return FailedCreatePrefix + requestID }

// IsFailedCreate reports whether a physical id marks a failed Create, whose
// Delete has nothing to remove.
func IsFailedCreate(physicalID string) bool { return strings.HasPrefix(physicalID, FailedCreatePrefix) }

// ErrBadEvent is wrapped by every error DecodeEvent returns.
var ErrBadEvent = errors.New("invalid custom resource event")

// DecodeEvent decodes and validates a CloudFormation custom-resource event.
// On a validation error it still returns what it decoded, so that a caller
// holding a ResponseURL can answer FAILED.
func DecodeEvent(payload []byte) (cfn.Event, error) {
	var ev cfn.Event
	if err := json.Unmarshal(payload, &ev); err != nil {
		// Salvage the fields needed to answer, when the JSON is an object whose
		// properties alone are malformed.
		var head struct {
			RequestType        cfn.RequestType `json:"RequestType"`
			RequestID          string          `json:"RequestId"`
			ResponseURL        string          `json:"ResponseURL"`
			PhysicalResourceID string          `json:"PhysicalResourceId"`
			LogicalResourceID  string          `json:"LogicalResourceId"`
			StackID            string          `json:"StackId"`
		}
		_ = json.Unmarshal(payload, &head)
		ev = cfn.Event{RequestType: head.RequestType, RequestID: head.RequestID, ResponseURL: head.ResponseURL,
			PhysicalResourceID: head.PhysicalResourceID, LogicalResourceID: head.LogicalResourceID, StackID: head.StackID}
		return ev, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	if err := validateEvent(ev); err != nil {
		return ev, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	return ev, nil
}

func validateEvent(ev cfn.Event) error {
	var errs []error
	switch ev.RequestType {
	case cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete:
	default:
		errs = append(errs, fmt.Errorf("RequestType %q is not Create, Update or Delete", ev.RequestType))
	}
	for _, f := range []struct{ name, value string }{
		{"RequestId", ev.RequestID},
		{"StackId", ev.StackID},
		{"LogicalResourceId", ev.LogicalResourceID},
	} {
		if f.value == "" {
			errs = append(errs, fmt.Errorf("%s is missing", f.name))
		}
	}
	if err := validateResponseURL(ev.ResponseURL); err != nil {
		errs = append(errs, err)
	}
	if ev.RequestType != cfn.RequestCreate && ev.RequestType != "" && ev.PhysicalResourceID == "" {
		errs = append(errs, fmt.Errorf("PhysicalResourceId is missing on %s", ev.RequestType))
	}
	return errors.Join(errs...)
}

func validateResponseURL(raw string) error {
	if raw == "" {
		return errors.New("ResponseURL is missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("ResponseURL is not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("ResponseURL is not an absolute http(s) URL")
	}
	return nil
}
