package awsconf

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
)

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

// env is a getenv over a map: what the local stack and tests pass.
func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadReadsTheStandardVariablesThroughGetenv(t *testing.T) {
	t.Parallel()
	cfg, err := Load(t.Context(), env(map[string]string{
		"AWS_DEFAULT_REGION":        "eu-west-1",
		"AWS_ACCESS_KEY_ID":         "AKIDLOCAL",
		"AWS_SECRET_ACCESS_KEY":     "secret",
		"AWS_SESSION_TOKEN":         "token",
		"AWS_ENDPOINT_URL":          "http://127.0.0.1:1",
		"AWS_EC2_METADATA_DISABLED": "true",
	}))
	require.NoError(t, err)
	require.Equal(t, "eu-west-1", cfg.Region)
	require.Equal(t, "http://127.0.0.1:1", aws.ToString(cfg.BaseEndpoint))
	creds, err := cfg.Credentials.Retrieve(t.Context())
	require.NoError(t, err)
	require.Equal(t, "AKIDLOCAL", creds.AccessKeyID)
	require.Equal(t, "token", creds.SessionToken)

	cfg, err = Load(t.Context(), env(map[string]string{"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "eu-west-1"}))
	require.NoError(t, err)
	require.Equal(t, "us-east-1", cfg.Region, "AWS_REGION first, as the SDK reads them")
}

func TestEndpoint(t *testing.T) {
	t.Parallel()
	getenv := env(map[string]string{"AWS_ENDPOINT_URL_SNS": " http://127.0.0.1:9 ", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://127.0.0.1:8"})
	require.Equal(t, "http://127.0.0.1:9", aws.ToString(Endpoint(getenv, sns.ServiceID)))
	require.Equal(t, "http://127.0.0.1:8", aws.ToString(Endpoint(getenv, cloudwatchlogs.ServiceID)), "spaces in the service id become underscores")
	require.Nil(t, Endpoint(getenv, "SQS"))
}

// TestAClientReachesTheEndpointGetenvNames builds a real SNS client as the
// functions do and checks where its request goes and what it signs with.
func TestAClientReachesTheEndpointGetenvNames(t *testing.T) {
	t.Parallel()
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<PublishResponse><PublishResult><MessageId>m</MessageId></PublishResult></PublishResponse>`)
	}))
	defer srv.Close()
	getenv := env(map[string]string{
		"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDLOCAL", "AWS_SECRET_ACCESS_KEY": "secret",
		"AWS_ENDPOINT_URL":     "http://127.0.0.1:1", // the service's own variable wins, as with the SDK
		"AWS_ENDPOINT_URL_SNS": srv.URL,
	})
	cfg, err := Load(t.Context(), getenv)
	require.NoError(t, err)
	client := sns.NewFromConfig(cfg, func(o *sns.Options) {
		if ep := Endpoint(getenv, sns.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	})
	_, err = client.Publish(t.Context(), &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:eu-west-1:123456789012:t"), Message: aws.String("x")})
	require.NoError(t, err)
	require.NotNil(t, got)
	require.Contains(t, got.Header.Get("Authorization"), "Credential=AKIDLOCAL/")
	require.Contains(t, got.Header.Get("Authorization"), "/eu-west-1/sns/")
}
