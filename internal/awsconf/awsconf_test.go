package awsconf

import "testing"

func TestIsTopicARN(t *testing.T) {
	for s, want := range map[string]bool{
		"arn:aws:sns:eu-west-1:123456789012:user-events":     true,
		"arn:aws-cn:sns:cn-north-1:123456789012:user-events": true,
		"user-events":                                      false,
		"arn:aws:sqs:eu-west-1:123456789012:q":             false,
		"arn::sns:eu-west-1:123456789012:user-events":      false, // no partition
		"arn:aws:sns::123456789012:user-events":            false,
		"arn:aws:sns:eu-west-1::user-events":               false,
		"arn:aws:sns:eu-west-1:123456789012:":              false,
		"arn:aws:sns:eu-west-1:123456789012:user-events:x": false,
	} {
		if got := IsTopicARN(s); got != want {
			t.Errorf("IsTopicARN(%q) = %v, want %v", s, got, want)
		}
	}
}
