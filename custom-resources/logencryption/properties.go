package logencryption

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

// Properties are the resource's properties.
type Properties struct {
	LogGroupNames    []string `json:"LogGroupNames"`
	LogGroupPrefixes []string `json:"LogGroupPrefixes"`
	// KmsKeyId is the ARN of a KMS key whose policy lets CloudWatch Logs
	// (logs.<region>.amazonaws.com) use it. AssociateKmsKey takes no alias.
	KmsKeyId string `json:"KmsKeyId"`
	// RetentionInDays is one of CloudWatch Logs' retention periods.
	RetentionInDays int `json:"RetentionInDays"`
	// DeleteLogGroups deletes the LogGroupNames groups when the resource is
	// deleted. False (default): logs stay.
	DeleteLogGroups bool `json:"DeleteLogGroups"`
}

// Retentions are the periods PutRetentionPolicy accepts.
var Retentions = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	namePattern = regexp.MustCompile(`^[.\-_/#A-Za-z0-9]{1,512}$`)
	keyPattern  = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$`)
)

func perr(path, format string, args ...any) error {
	return &customresources.PropertyError{Path: path, Err: fmt.Errorf(format, args...)}
}

// Validate reports every problem of p, naming the property.
func (p Properties) Validate() error {
	var errs []error
	if len(p.LogGroupNames) == 0 && len(p.LogGroupPrefixes) == 0 {
		errs = append(errs, perr("LogGroupNames", "name at least one log group, here or in LogGroupPrefixes"))
	}
	for i, n := range p.LogGroupNames {
		if !namePattern.MatchString(n) {
			errs = append(errs, perr(fmt.Sprintf("LogGroupNames[%d]", i), "%q is not a log group name (1 to 512 of A-Z a-z 0-9 . - _ / #)", n))
		}
	}
	for i, n := range p.LogGroupPrefixes {
		if !namePattern.MatchString(n) {
			errs = append(errs, perr(fmt.Sprintf("LogGroupPrefixes[%d]", i), "%q is not a log group name prefix", n))
		}
	}
	if p.KmsKeyId != "" && !keyPattern.MatchString(p.KmsKeyId) {
		errs = append(errs, perr("KmsKeyId", "%q is not a KMS key ARN (CloudWatch Logs takes no alias nor bare key id)", p.KmsKeyId))
	}
	if p.RetentionInDays != 0 && !slices.Contains(Retentions, p.RetentionInDays) {
		errs = append(errs, perr("RetentionInDays", "%d is not one of %v", p.RetentionInDays, Retentions))
	}
	if p.KmsKeyId == "" && p.RetentionInDays == 0 {
		errs = append(errs, perr("KmsKeyId", "set KmsKeyId, RetentionInDays or both: there is nothing to do"))
	}
	return errors.Join(errs...)
}
