package snsstub

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

func client(url string) *sns.Client {
	return sns.New(sns.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Timeout: 5 * time.Second},
	})
}

var input = &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:000000000000:user-events"), Message: aws.String(`{"a":1}`)}

// TestFaultsAsTheSDKSeesThem checks that each fault reaches the real SDK
// client as SNS's own would: the error code in smithy.APIError.
func TestFaultsAsTheSDKSeesThem(t *testing.T) {
	tests := []struct {
		name     string
		fault    Fault
		wantCode string
	}{
		{name: "ok", fault: OK},
		{name: "slow", fault: Slow},
		{name: "throttle", fault: Throttle, wantCode: "Throttling"},
		{name: "5xx", fault: ServerError, wantCode: "InternalError"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Start(Always(tc.fault), 10*time.Millisecond)
			defer s.Close()
			out, err := client(s.URL).Publish(t.Context(), input)
			require.Equal(t, 1, s.Requests())
			if tc.wantCode == "" {
				require.NoError(t, err)
				require.NotEmpty(t, aws.ToString(out.MessageId))
				require.Equal(t, []string{`{"a":1}`}, s.Published())
				return
			}
			var apiErr smithy.APIError
			require.ErrorAs(t, err, &apiErr)
			require.Equal(t, tc.wantCode, apiErr.ErrorCode())
			require.Empty(t, s.Published())
			require.Equal(t, map[Fault]int{tc.fault: 1}, s.Injected())
		})
	}
}

func TestSlowGivesUpWithTheClient(t *testing.T) {
	s := Start(Always(Slow), time.Hour)
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := client(s.URL).Publish(ctx, input)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "%v", err)
	require.Empty(t, s.Published())
}

func TestRefusedURL(t *testing.T) {
	u, err := RefusedURL()
	require.NoError(t, err)
	_, err = client(u).Publish(t.Context(), input)
	require.ErrorContains(t, err, "refused")
}

func TestPlanByRequest(t *testing.T) {
	s := Start(func(n int) Fault {
		if n%2 == 0 {
			return Throttle
		}
		return OK
	}, 0)
	defer s.Close()
	c := client(s.URL)
	for range 4 {
		_, _ = c.Publish(t.Context(), input)
	}
	require.Equal(t, 4, s.Requests())
	require.Len(t, s.Published(), 2)
	require.Equal(t, map[Fault]int{Throttle: 2}, s.Injected())
}
