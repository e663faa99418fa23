package snsverify

import (
	"fmt"
	"net/url"
	"strings"
)

// partitionDomains maps an AWS partition to the DNS suffix of its SNS hosts.
var partitionDomains = map[string]string{
	"aws":        "amazonaws.com",
	"aws-cn":     "amazonaws.com.cn",
	"aws-us-gov": "amazonaws.com",
}

// snsHost returns the SNS host of the topic's region and partition, the only
// host a certificate or a subscribe URL of that topic may name.
func snsHost(topic ARN) (string, bool) {
	domain, ok := snsDomain(topic)
	if !ok {
		return "", false
	}
	return "sns." + topic.Region + "." + domain, true
}

// snsDomain returns the DNS suffix of the SNS host of the topic's partition,
// if its region is one of that partition.
func snsDomain(topic ARN) (string, bool) {
	domain, ok := partitionDomains[topic.Partition]
	if !ok || !regionName(topic.Region) {
		return "", false
	}
	if (topic.Partition == "aws-us-gov") != strings.HasPrefix(topic.Region, "us-gov-") {
		return "", false
	}
	return domain, true
}

// regionName reports whether s looks like an AWS region name (us-east-1).
func regionName(s string) bool {
	if len(s) < 4 || len(s) > 32 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// certPath reports whether p is /SimpleNotificationService-<lower-case hex>.pem.
func certPath(p string) bool {
	const prefix, suffix = "/SimpleNotificationService-", ".pem"
	if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, suffix) {
		return false
	}
	hex := p[len(prefix) : len(p)-len(suffix)]
	if len(hex) == 0 || len(hex) > 128 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// prefix is a trusted URL prefix, such as a local emulator's base URL.
type prefix struct {
	raw          string
	scheme, host string
	path         string
}

func parsePrefix(s string) (prefix, error) {
	u, err := url.Parse(s)
	if err != nil {
		return prefix{}, fmt.Errorf("snsverify: trusted URL prefix %q: %w", s, err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return prefix{}, fmt.Errorf("snsverify: trusted URL prefix %q: scheme must be http or https", s)
	case u.Host == "" || u.User != nil || u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return prefix{}, fmt.Errorf("snsverify: trusted URL prefix %q: want scheme://host[:port]/[path/], nothing else", s)
	case !strings.HasSuffix(u.Path, "/") || u.RawPath != "" || strings.Contains(u.Path, "/../") || strings.Contains(u.Path, "/./"):
		return prefix{}, fmt.Errorf("snsverify: trusted URL prefix %q: path must end with / (so that :4100 does not trust :41000)", s)
	case u.String() != s:
		return prefix{}, fmt.Errorf("snsverify: trusted URL prefix %q: not in canonical form (want %q)", s, u.String())
	}
	return prefix{raw: s, scheme: u.Scheme, host: u.Host, path: u.Path}, nil
}

// match parses raw and reports whether it lies under p. A query is allowed
// (emulators put one on subscribe URLs); user info, fragments, dot segments
// and a different scheme or host after parsing are not.
func (p prefix) match(raw string) (*url.URL, bool) {
	if !strings.HasPrefix(raw, p.raw) || strings.ContainsAny(raw, "#\\ \t\r\n") {
		return nil, false
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || u.Fragment != "" ||
		u.Scheme != p.scheme || u.Host != p.host || !strings.HasPrefix(u.Path, p.path) ||
		strings.Contains(u.Path, "/../") || strings.HasSuffix(u.Path, "/..") || strings.Contains(u.Path, "/./") {
		return nil, false
	}
	return u, true
}

func (v *Verifier) trusted(raw string) (*url.URL, bool) {
	for _, p := range v.prefixes {
		if u, ok := p.match(raw); ok {
			return u, true
		}
	}
	return nil, false
}

// checkCertURL accepts exactly https://sns.<region>.<domain>/SimpleNotificationService-<hex>.pem
// for the topic's region and partition, or a URL under a trusted prefix.
func (v *Verifier) checkCertURL(m *Message) (trusted bool, err error) {
	raw := m.SigningCertURL
	if _, ok := v.trusted(raw); ok {
		return true, nil
	}
	domain, ok := snsDomain(m.Topic)
	if !ok {
		return false, fmt.Errorf("snsverify: SigningCertURL: topic %q is in no known AWS partition: %w", m.TopicARN, ErrCertURL)
	}
	// https://sns.<region>.<domain>/..., read piece by piece: no allocation
	rest, ok := strings.CutPrefix(raw, "https://sns.")
	if ok {
		rest, ok = strings.CutPrefix(rest, m.Topic.Region)
	}
	if ok && strings.HasPrefix(rest, ".") {
		rest, ok = strings.CutPrefix(rest[1:], domain)
	} else {
		ok = false
	}
	if !ok || !certPath(rest) {
		host, _ := snsHost(m.Topic)
		return false, fmt.Errorf("snsverify: SigningCertURL %.200q is not https://%s/SimpleNotificationService-<hex>.pem: %w", raw, host, ErrCertURL)
	}
	return false, nil
}

// ConfirmURL returns the SubscribeURL of a SubscriptionConfirmation or
// UnsubscribeConfirmation after checking it: https, the SNS host of the
// topic's region, path "/", and a query of exactly Action=ConfirmSubscription
// and the message's own TopicArn and Token; or, under a trusted prefix, any
// path whose query still names that action, topic and token. Any other type
// fails with ErrType: SNS signs no SubscribeURL in a Notification. It does
// not verify the signature or the topic: call Verify first.
func (v *Verifier) ConfirmURL(m *Message) (*url.URL, error) {
	if m.Type != TypeSubscriptionConfirmation && m.Type != TypeUnsubscribeConfirmation {
		return nil, fmt.Errorf("snsverify: a %.32q message has no SubscribeURL to visit: %w", m.Type, ErrType)
	}
	raw := m.SubscribeURL
	u, trusted := v.trusted(raw)
	if !trusted {
		host, ok := snsHost(m.Topic)
		if !ok {
			return nil, fmt.Errorf("snsverify: SubscribeURL: topic %q is in no known AWS partition: %w", m.TopicARN, ErrSubscribeURL)
		}
		var err error
		u, err = url.Parse(raw)
		if err != nil || strings.ContainsAny(raw, "#\\ \t\r\n") || u.Scheme != "https" || u.Host != host ||
			u.User != nil || u.Opaque != "" || u.Fragment != "" || u.Path != "/" || u.RawPath != "" ||
			!strings.HasPrefix(raw, "https://"+host+"/?") {
			return nil, fmt.Errorf("snsverify: SubscribeURL %.200q is not https://%s/?...: %w", raw, host, ErrSubscribeURL)
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || len(q) != 3 || len(q["Action"]) != 1 || len(q["TopicArn"]) != 1 || len(q["Token"]) != 1 ||
		q.Get("Action") != "ConfirmSubscription" || q.Get("TopicArn") != m.TopicARN || q.Get("Token") != m.Token {
		return nil, fmt.Errorf("snsverify: SubscribeURL %.200q: query is not Action=ConfirmSubscription with the message's TopicArn and Token: %w", raw, ErrSubscribeURL)
	}
	return u, nil
}
