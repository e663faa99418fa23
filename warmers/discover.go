package warmers

import (
	"context"
	"errors"
	"fmt"
	"time"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
)

// DescribeUserPoolFunc is cognitoidentityprovider.Client.DescribeUserPool.
type DescribeUserPoolFunc func(context.Context, *cip.DescribeUserPoolInput, ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)

// discoverTimeout bounds the DescribeUserPool call.
const discoverTimeout = 3 * time.Second

// Discover returns the functions a user pool's Lambda configuration names,
// each once, in a stable order: exactly the ARNs (with their qualifiers)
// Cognito invokes.
func Discover(ctx context.Context, describe DescribeUserPoolFunc, userPoolID string) ([]string, error) {
	if describe == nil {
		return nil, errors.New("discover targets: no Cognito client")
	}
	ctx, cancel := context.WithTimeout(ctx, discoverTimeout)
	defer cancel()
	out, err := describe(ctx, &cip.DescribeUserPoolInput{UserPoolId: &userPoolID})
	if err != nil {
		return nil, fmt.Errorf("discover targets of user pool %s: %w", userPoolID, err)
	}
	if out.UserPool == nil || out.UserPool.LambdaConfig == nil {
		return nil, nil
	}
	c := out.UserPool.LambdaConfig
	candidates := []*string{
		c.PreSignUp, c.PreAuthentication, c.PostAuthentication, c.PostConfirmation,
		c.PreTokenGeneration, c.CustomMessage, c.UserMigration,
		c.DefineAuthChallenge, c.CreateAuthChallenge, c.VerifyAuthChallengeResponse,
	}
	if c.PreTokenGenerationConfig != nil {
		candidates = append(candidates, c.PreTokenGenerationConfig.LambdaArn)
	}
	if c.CustomSMSSender != nil {
		candidates = append(candidates, c.CustomSMSSender.LambdaArn)
	}
	if c.CustomEmailSender != nil {
		candidates = append(candidates, c.CustomEmailSender.LambdaArn)
	}
	seen := map[string]bool{}
	var fns []string
	for _, p := range candidates {
		if p == nil || *p == "" || seen[*p] {
			continue
		}
		seen[*p] = true
		fns = append(fns, *p)
	}
	return fns, nil
}
