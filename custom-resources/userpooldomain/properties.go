package userpooldomain

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

// Properties are the resource's properties.
type Properties struct {
	UserPoolId          string              `json:"UserPoolId"`
	Domain              string              `json:"Domain"`
	CustomDomainConfig  *CustomDomainConfig `json:"CustomDomainConfig"`
	ManagedLoginVersion int                 `json:"ManagedLoginVersion"`
}

// CustomDomainConfig names the certificate of a custom domain.
type CustomDomainConfig struct {
	CertificateArn string `json:"CertificateArn"`
}

// Custom reports whether the domain is a custom domain (a host name) rather
// than an Amazon Cognito prefix.
func (p Properties) Custom() bool { return strings.Contains(p.Domain, ".") }

// certificate returns the certificate ARN, or "".
func (p Properties) certificate() string {
	if p.CustomDomainConfig == nil {
		return ""
	}
	return p.CustomDomainConfig.CertificateArn
}

var (
	poolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)
	prefixPattern = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	labelPattern  = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)
	acmPattern    = regexp.MustCompile(`^arn:(aws[a-z-]*):acm:([a-z0-9-]+):\d{12}:certificate/[0-9a-f-]+$`)
)

// reserved are words Cognito refuses in a prefix domain.
var reserved = []string{"aws", "amazon", "cognito"}

// Validate reports every problem of p, naming the property.
func (p Properties) Validate() error {
	var errs []error
	if !poolIDPattern.MatchString(p.UserPoolId) {
		errs = append(errs, perr("UserPoolId", "%q is not a user pool id (region_Id)", p.UserPoolId))
	}
	switch {
	case p.Domain == "":
		errs = append(errs, perr("Domain", "required"))
	case p.Custom():
		errs = append(errs, validateHost(p.Domain)...)
		arn := p.certificate()
		if arn == "" {
			errs = append(errs, perr("CustomDomainConfig.CertificateArn", "required for the custom domain %s", p.Domain))
		} else if m := acmPattern.FindStringSubmatch(arn); m == nil {
			errs = append(errs, perr("CustomDomainConfig.CertificateArn", "%q is not an ACM certificate ARN", arn))
		} else if m[1] == "aws" && m[2] != "us-east-1" {
			errs = append(errs, perr("CustomDomainConfig.CertificateArn", "the certificate is in %s: CloudFront, hence Cognito, takes certificates from us-east-1 only", m[2]))
		}
	default:
		if !prefixPattern.MatchString(p.Domain) {
			errs = append(errs, perr("Domain", "%q: a prefix domain is 1 to 63 lower-case letters, digits and inner hyphens", p.Domain))
		}
		for _, w := range reserved {
			if strings.Contains(p.Domain, w) {
				errs = append(errs, perr("Domain", "%q: Cognito refuses prefix domains containing %q", p.Domain, w))
			}
		}
		if p.certificate() != "" {
			errs = append(errs, perr("CustomDomainConfig", "%q is a prefix domain, which takes no certificate (a custom domain is a host name such as auth.example.com)", p.Domain))
		}
	}
	if v := p.ManagedLoginVersion; v != 0 && v != 1 && v != 2 {
		errs = append(errs, perr("ManagedLoginVersion", "%d: want 1 (classic hosted UI) or 2 (managed login)", v))
	}
	return errors.Join(errs...)
}

func validateHost(host string) []error {
	if len(host) > 253 {
		return []error{perr("Domain", "%q is longer than 253 characters", host)}
	}
	if strings.ToLower(host) != host {
		return []error{perr("Domain", "%q: write the host name in lower case", host)}
	}
	for _, label := range strings.Split(host, ".") {
		if !labelPattern.MatchString(label) {
			return []error{perr("Domain", "%q is not a valid host name", host)}
		}
	}
	return nil
}

func perr(path, format string, args ...any) error {
	return &customresources.PropertyError{Path: path, Err: fmt.Errorf(format, args...)}
}

// parent returns the parent domain whose A record Cognito requires, or ""
// when the domain's parent is a top-level domain.
func parent(host string) string {
	_, rest, _ := strings.Cut(host, ".")
	if !strings.Contains(rest, ".") {
		return ""
	}
	return rest
}
