package userpooltriggers

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/event"
	"github.com/cogwatch/cogwatch/internal/lambdainvoke"
	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/triggers"
)

// The functions of the adoption proof, by the name the Lambda host serves
// them under; the pool names them by ARN.
const (
	localRules    = "arn:aws:lambda:us-east-1:123456789012:function:signup-rules:live"
	localPreSign  = "arn:aws:lambda:us-east-1:123456789012:function:cogwatch-PreSignUpFunction"
	localAuth     = "arn:aws:lambda:us-east-1:123456789012:function:cogwatch-AuthenticationFunction"
	localPostConf = "arn:aws:lambda:us-east-1:123456789012:function:cogwatch-PostConfirmationFunction"
	localTokens   = "arn:aws:lambda:us-east-1:123456789012:function:cogwatch-PreTokenGenerationFunction"
	localMessage  = "arn:aws:lambda:us-east-1:123456789012:function:cogwatch-CustomMessageFunction"
	theirClaims   = "arn:aws:lambda:us-east-1:123456789012:function:token-claims"
	theirWelcome  = "arn:aws:lambda:us-east-1:123456789012:function:welcome-message:live"
	localTopic    = "arn:aws:sns:us-east-1:123456789012:user-events"
	localPassword = "Corr3ct-Horse-Battery"
)

type handlerFunc func(ctx context.Context, payload []byte) ([]byte, error)

func (f handlerFunc) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	return f(ctx, payload)
}

// rules is the adopter's own pre sign-up function: it closes example.org
// and auto-confirms everyone else. It records the domains it decided on.
type rules struct {
	mu        sync.Mutex
	decisions []string
}

func (r *rules) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev struct {
		Request struct {
			UserAttributes map[string]any `json:"userAttributes"`
		} `json:"request"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	email, _ := ev.Request.UserAttributes["email"].(string)
	_, domain, _ := strings.Cut(email, "@")
	r.mu.Lock()
	defer r.mu.Unlock()
	if domain == "example.org" {
		r.decisions = append(r.decisions, domain+": rejected")
		return nil, errors.New("Sign-ups from example.org are closed")
	}
	r.decisions = append(r.decisions, domain+": accepted")
	return bytes.Replace(payload, []byte(`"autoConfirmUser":false`), []byte(`"autoConfirmUser":true`), 1), nil
}

// claims is the adopter's own pre token generation function (version 1
// events): it adds a tenant claim to the ID token, as AWS documents
// (claimsOverrideDetails.claimsToAddOrOverride).
func claims(_ context.Context, payload []byte) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	ev["response"] = map[string]any{"claimsOverrideDetails": map[string]any{"claimsToAddOrOverride": map[string]any{"tenant": "acme"}}}
	return json.Marshal(ev)
}

// welcome is the adopter's own custom message function: it writes the
// email (emailSubject, emailMessage with the code placeholder) and counts
// its calls.
type welcome struct {
	mu    sync.Mutex
	calls int
}

func (w *welcome) Invoke(_ context.Context, payload []byte) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	code, _ := ev["request"].(map[string]any)["codeParameter"].(string)
	ev["response"] = map[string]any{"smsMessage": nil, "emailSubject": "Welcome to Acme", "emailMessage": "Your Acme code is " + code}
	w.mu.Lock()
	w.calls++
	w.mu.Unlock()
	return json.Marshal(ev)
}

func (w *welcome) take() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := w.calls
	w.calls = 0
	return n
}

// idClaim returns a claim of an ID token (the payload, not verified).
func idClaim(t *testing.T, token, name string) any {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(raw, &claims))
	return claims[name]
}

func (r *rules) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.decisions
	r.decisions = nil
	return out
}

// published records what cogwatch's triggers publish.
type published struct {
	mu     sync.Mutex
	events []event.Event
}

func (p *published) publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	e, err := event.Decode([]byte(aws.ToString(in.Message)))
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events = append(p.events, e)
	return &sns.PublishOutput{MessageId: aws.String("m")}, nil
}

// got is an event reduced to what the proof checks.
type got struct {
	Type   event.Type
	Domain string
	Reason string
}

func (p *published) take() []got {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []got
	for _, e := range p.events {
		out = append(out, got{e.Type, e.Data.EmailDomain, e.Data.Reason})
	}
	p.events = nil
	return out
}

type emfLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *emfLines) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// counts sums the count metrics of the EMF lines written since the last call.
func (b *emfLines) counts(t *testing.T) map[string]float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]float64{}
	for line := range strings.Lines(b.buf.String()) {
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &doc))
		for _, name := range []string{"SignUpAccepted", "SignUpRejected", "UserConfirmed", "SignInSucceeded", "TokensIssued", "CodesSent", "ChainFailures"} {
			if v, ok := doc[name].(float64); ok {
				out[name] += v
			}
		}
	}
	b.buf.Reset()
	return out
}

// TestCognitoLocalAdoption is the adoption, end to end on one machine:
// cognito-local holds a pool with settings and a pre sign-up function of
// its own; the functions run behind the Lambda Invoke API on loopback
// (internal/lambdahost); each trigger cognito-local calls goes to the
// function the pool's LambdaConfig holds at that moment, as Cognito does
// (cognito-local itself calls the functions of its configuration file,
// whatever the pool holds, hence the slot routers). Users sign up and in
// before, while and after cogwatch is attached with chaining, every slot
// cognito-local calls: pre sign-up, custom message (the welcome email),
// post confirmation, post authentication and pre token generation, whose
// version 1 claim override reaches the ID token through cogwatch.
func TestCognitoLocalAdoption(t *testing.T) {
	if testing.Short() {
		t.Skip("cognito-local emulator test skipped under -short")
	}
	ctx := t.Context()
	theirs := &rules{}
	mail := &welcome{}
	pub := &published{}
	var emf emfLines
	cfg := triggers.DefaultConfig
	cfg.TopicARN = localTopic

	var host *lambdahost.Host
	var pools *cip.Client
	var poolID string
	// route sends a trigger to the function the pool's slot holds.
	route := func(slot Slot) lambdahost.Function {
		// Named as the trigger: cognito-local's errors say "<function> failed with error", AWS's "<trigger> failed with error".
		return lambdahost.Function{Name: slot.Name, Timeout: 5 * time.Second, New: func(context.Context) (lambda.Handler, error) {
			return handlerFunc(func(ctx context.Context, payload []byte) ([]byte, error) {
				out, err := pools.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
				if err != nil {
					return nil, err
				}
				fn := slot.Get(out.UserPool.LambdaConfig)
				if fn == "" {
					return payload, nil // an empty slot: Cognito calls nothing
				}
				return host.Invoke(ctx, fn, payload)
			}), nil
		}}
	}
	var fns []lambdahost.Function
	for _, s := range Slots {
		fns = append(fns, route(s))
	}
	chain := map[string]string{"PreSignUp": localRules, "PreTokenGeneration": theirClaims, "CustomMessage": theirWelcome}
	build := func(name string, h interface {
		lambda.Handler
		SetChain(map[string]string, triggers.InvokeFunc)
	}) lambdahost.Function {
		return lambdahost.Function{Name: name, Timeout: 5 * time.Second, New: func(context.Context) (lambda.Handler, error) { return h, nil }}
	}
	metrics := triggers.NewMetrics(&emf, cfg)
	pre := triggers.NewPreSignUp(cfg, pub.publish, metrics, nil)
	auth := triggers.NewAuthentication(cfg, pub.publish, metrics, nil)
	post := triggers.NewPostConfirmation(cfg, pub.publish, metrics, nil)
	tokens := triggers.NewPreTokenGeneration(cfg, pub.publish, metrics, nil)
	message := triggers.NewCustomMessage(cfg, pub.publish, metrics, nil, nil)
	fns = append(fns,
		lambdahost.Function{Name: "signup-rules", Timeout: 5 * time.Second, New: func(context.Context) (lambda.Handler, error) { return theirs, nil }},
		lambdahost.Function{Name: "token-claims", Timeout: 5 * time.Second, New: func(context.Context) (lambda.Handler, error) { return handlerFunc(claims), nil }},
		lambdahost.Function{Name: "welcome-message", Timeout: 5 * time.Second, New: func(context.Context) (lambda.Handler, error) { return mail, nil }},
		build("cogwatch-PreSignUpFunction", pre), build("cogwatch-AuthenticationFunction", auth), build("cogwatch-PostConfirmationFunction", post),
		build("cogwatch-PreTokenGenerationFunction", tokens), build("cogwatch-CustomMessageFunction", message))
	var err error
	host, err = lambdahost.New(nil, fns...)
	require.NoError(t, err)
	srv := httptest.NewServer(host)
	t.Cleanup(srv.Close)
	// cogwatch's triggers call the chained function through the Lambda API, as in Lambda.
	invoke := lambdainvoke.New(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")},
		lambdainvoke.Options{Endpoint: srv.URL}).Invoke
	for _, h := range []interface {
		SetChain(map[string]string, triggers.InvokeFunc)
	}{pre, auth, post, tokens, message} {
		h.SetChain(chain, invoke)
	}

	e := cognitolocaltest.Start(t, cognitolocaltest.Options{Code: "123456", Lambda: srv.URL, Triggers: map[string]string{
		"PreSignUp": "PreSignUp", "PostAuthentication": "PostAuthentication", "PostConfirmation": "PostConfirmation",
		"PreTokenGeneration": "PreTokenGeneration", "CustomMessage": "CustomMessage"}})
	pools = e.Client()
	in := createInput("production-users")
	// The pool's own functions; pre token generation in the legacy field alone (version 1 events, which
	// cognito-local sends).
	in.LambdaConfig = &types.LambdaConfigType{PreSignUp: aws.String(localRules), CustomMessage: aws.String(theirWelcome),
		PreTokenGeneration: aws.String(theirClaims)}
	in.AutoVerifiedAttributes, in.UsernameAttributes = []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}, []types.UsernameAttributeType{types.UsernameAttributeTypeEmail}
	created, err := pools.CreateUserPool(ctx, in)
	require.NoError(t, err)
	poolID = aws.ToString(created.UserPool.Id)
	client, err := pools.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(poolID), ClientName: aws.String("web"),
		ExplicitAuthFlows: []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth}})
	require.NoError(t, err)
	clientID := client.UserPoolClient.ClientId
	describe := func() *types.UserPoolType { return e.DescribePool(ctx, t, poolID) }
	start := describe()

	// signUp returns whether the user is confirmed, or what Cognito answered.
	signUp := func(email string) (bool, string) {
		out, err := pools.SignUp(ctx, &cip.SignUpInput{ClientId: clientID, Username: aws.String(email), Password: aws.String(localPassword),
			UserAttributes: []types.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}}})
		if err != nil {
			var lambdaErr *types.UserLambdaValidationException
			require.ErrorAs(t, err, &lambdaErr, email)
			return false, aws.ToString(lambdaErr.Message)
		}
		return out.UserConfirmed, ""
	}
	// signIn checks that the ID token carries their function's claim.
	signIn := func(email string) {
		out, err := pools.InitiateAuth(ctx, &cip.InitiateAuthInput{ClientId: clientID, AuthFlow: types.AuthFlowTypeUserPasswordAuth,
			AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": localPassword}})
		require.NoError(t, err, email)
		require.NotNil(t, out.AuthenticationResult, email)
		require.Equal(t, "acme", idClaim(t, aws.ToString(out.AuthenticationResult.IdToken), "tenant"), "their claim, in the ID token")
	}
	const closed = "PreSignUp failed with error Sign-ups from example.org are closed."

	// 1. Before: the pool's own function decides; cogwatch sees nothing.
	confirmed, msg := signUp("alice@example.com")
	require.True(t, confirmed, "their function auto-confirms: %s", msg)
	_, msg = signUp("bob@example.org")
	require.Equal(t, closed, msg)
	signIn("alice@example.com")
	require.Equal(t, []string{"example.com: accepted", "example.org: rejected"}, theirs.take())
	require.Equal(t, 1, mail.take(), "their welcome email, for the accepted sign-up")
	require.Empty(t, pub.take())

	// 2. Attached, chaining their functions.
	r := New(pools, Options{})
	props := Properties{UserPoolId: poolID, ChainExisting: true, Chained: chain, Slots: SlotNames(),
		Triggers: map[string]string{"PreSignUp": localPreSign, "PreAuthentication": localAuth, "PostAuthentication": localAuth, "PostConfirmation": localPostConf,
			"PreTokenGeneration": localTokens, "CustomMessage": localMessage}}
	_, err = r.Attach(ctx, props, Properties{})
	require.NoError(t, err)
	attached := describe().LambdaConfig
	require.Equal(t, localTokens, aws.ToString(attached.PreTokenGeneration), "the legacy field, as the pool had it")
	require.Nil(t, attached.PreTokenGenerationConfig, "version 1 kept: no configuration added")

	confirmed, msg = signUp("carol@example.com")
	require.True(t, confirmed, "their response, through cogwatch: auto-confirmed; %s", msg)
	_, msg = signUp("dave@example.org")
	require.Equal(t, closed, msg, "their rejection reaches Cognito unchanged")
	_, msg = signUp("eve@mailinator.com")
	require.Equal(t, "PreSignUp failed with error Please use a permanent email address.", msg, "cogwatch's own check, before theirs")
	signIn("carol@example.com")

	require.Equal(t, []string{"example.com: accepted", "example.org: rejected"}, theirs.take(), "theirs decided carol and dave, not eve")
	require.Equal(t, 1, mail.take(), "their welcome email, through cogwatch")
	require.Equal(t, []got{
		{event.SignUpAccepted, "example.com", ""},
		{event.CodeSent, "example.com", ""},      // the welcome email, before the user is saved
		{event.UserConfirmed, "example.com", ""}, // cognito-local confirms an auto-confirmed user through PostConfirmation
		{event.SignUpRejected, "example.org", event.ReasonChainedTrigger},
		{event.SignUpRejected, "mailinator.com", event.ReasonDisposableDomain},
		{event.SignInSucceeded, "example.com", ""},
	}, pub.take(), "token events are off by default")
	require.Equal(t, map[string]float64{"SignUpAccepted": 1, "SignUpRejected": 2, "UserConfirmed": 1, "SignInSucceeded": 1,
		"CodesSent": 1, "TokensIssued": 1, "ChainFailures": 0}, emf.counts(t))

	// 3. Detached: their function decides alone again, and the pool is as it was.
	_, err = r.Detach(ctx, poolID, props)
	require.NoError(t, err)
	_, msg = signUp("frank@example.org")
	require.Equal(t, closed, msg)
	confirmed, _ = signUp("grace@example.com")
	require.True(t, confirmed)
	require.Equal(t, []string{"example.org: rejected", "example.com: accepted"}, theirs.take())
	signIn("grace@example.com")
	require.Equal(t, 1, mail.take())
	require.Empty(t, pub.take())
	require.Empty(t, emf.counts(t))
	require.Equal(t, start, describe(), "the pool's whole description, as it started")
}
