package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	emailverifier "github.com/AfterShip/email-verifier"
	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// triggerPool is a test double for what cognito-local cannot do without the
// triggers wired: a pre sign-up trigger that rejects disposable and invalid
// addresses (as cogwatch's does), auto-confirmation, and challenges. The
// emulator tests cover the calls themselves.
type triggerPool struct {
	mu          sync.Mutex
	verifier    *emailverifier.Verifier
	autoConfirm bool
	challenge   types.ChallengeNameType
	passwords   map[string]string
	confirmed   map[string]bool
	resetCodes  map[string]bool // users a ForgotPassword code went to
	phones      int             // sign-ups with a phone_number
	hang        bool
	// legacy, when set, is the directory of the pool's migration trigger.
	legacy                     *directory
	migrated, migrationsFailed int
}

func newTriggerPool() *triggerPool {
	return &triggerPool{verifier: emailverifier.NewVerifier(), passwords: map[string]string{}, confirmed: map[string]bool{}, resetCodes: map[string]bool{}}
}

func apiErr(code string) error { return &smithy.GenericAPIError{Code: code, Message: "test"} }

func (p *triggerPool) SignUp(ctx context.Context, in *cip.SignUpInput, _ ...func(*cip.Options)) (*cip.SignUpOutput, error) {
	if p.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	email := *in.Username
	syntax := p.verifier.ParseAddress(email)
	if !syntax.Valid || p.verifier.IsDisposable(syntax.Domain) {
		return nil, apiErr("UserLambdaValidationException")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.passwords[email] = *in.Password
	p.confirmed[email] = p.autoConfirm
	for _, a := range in.UserAttributes {
		if *a.Name == "phone_number" {
			p.phones++
		}
	}
	return &cip.SignUpOutput{UserConfirmed: p.autoConfirm}, nil
}

func (p *triggerPool) ConfirmSignUp(ctx context.Context, in *cip.ConfirmSignUpInput, _ ...func(*cip.Options)) (*cip.ConfirmSignUpOutput, error) {
	if *in.ConfirmationCode != "123456" {
		return nil, apiErr("CodeMismatchException")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.confirmed[*in.Username] = true
	return &cip.ConfirmSignUpOutput{}, nil
}

func (p *triggerPool) AdminConfirmSignUp(ctx context.Context, in *cip.AdminConfirmSignUpInput, _ ...func(*cip.Options)) (*cip.AdminConfirmSignUpOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.confirmed[*in.Username] {
		return nil, apiErr("NotAuthorizedException")
	}
	p.confirmed[*in.Username] = true
	return &cip.AdminConfirmSignUpOutput{}, nil
}

func (p *triggerPool) InitiateAuth(ctx context.Context, in *cip.InitiateAuthInput, _ ...func(*cip.Options)) (*cip.InitiateAuthOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.AuthFlow == types.AuthFlowTypeRefreshTokenAuth {
		u, ok := strings.CutPrefix(in.AuthParameters["REFRESH_TOKEN"], "refresh:")
		if !ok || p.passwords[u] == "" {
			return nil, apiErr("NotAuthorizedException")
		}
		return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{}}, nil
	}
	u := in.AuthParameters["USERNAME"]
	if _, ok := p.passwords[u]; !ok && p.legacy != nil {
		// The migration trigger: a user of the old directory with the
		// right password joins the pool; anyone else is refused.
		if pw, ok := p.legacy.lookup(u); !ok || pw != in.AuthParameters["PASSWORD"] {
			p.migrationsFailed++
			return nil, apiErr("NotAuthorizedException")
		}
		p.passwords[u], p.confirmed[u] = in.AuthParameters["PASSWORD"], true
		p.migrated++
	}
	if p.passwords[u] != in.AuthParameters["PASSWORD"] {
		return nil, apiErr("NotAuthorizedException")
	}
	if p.challenge != "" {
		return &cip.InitiateAuthOutput{ChallengeName: p.challenge}, nil
	}
	return &cip.InitiateAuthOutput{AuthenticationResult: &types.AuthenticationResultType{RefreshToken: aws.String("refresh:" + u)}}, nil
}

func (p *triggerPool) ForgotPassword(ctx context.Context, in *cip.ForgotPasswordInput, _ ...func(*cip.Options)) (*cip.ForgotPasswordOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.passwords[*in.Username] == "" {
		return nil, apiErr("UserNotFoundException")
	}
	p.resetCodes[*in.Username] = true
	return &cip.ForgotPasswordOutput{}, nil
}

func (p *triggerPool) ConfirmForgotPassword(ctx context.Context, in *cip.ConfirmForgotPasswordInput, _ ...func(*cip.Options)) (*cip.ConfirmForgotPasswordOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.resetCodes[*in.Username] || *in.ConfirmationCode != "123456" {
		return nil, apiErr("CodeMismatchException")
	}
	if *in.Password == p.passwords[*in.Username] {
		return nil, apiErr("InvalidPasswordException")
	}
	p.passwords[*in.Username] = *in.Password
	return &cip.ConfirmForgotPasswordOutput{}, nil
}

func TestRunWithTriggerRejections(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		pool        func(*triggerPool)
		confirmed   int
		autoConf    int
		confirmFail map[string]int
		rightFail   map[string]int
		unexpected  int
	}{
		{
			name:      "admin confirm",
			opts:      Options{UserPoolID: "pool"},
			confirmed: 14,
		},
		{
			name:      "confirm with code",
			opts:      Options{ConfirmationCode: "123456"},
			confirmed: 14,
		},
		{
			name:        "wrong code",
			opts:        Options{ConfirmationCode: "000000"},
			confirmFail: map[string]int{"CodeMismatchException": 14},
			unexpected:  14,
		},
		{
			name:     "auto-confirmed by the trigger",
			opts:     Options{UserPoolID: "pool"},
			pool:     func(p *triggerPool) { p.autoConfirm = true },
			autoConf: 14,
		},
		{
			name:       "sign-in answered with a challenge",
			opts:       Options{UserPoolID: "pool"},
			pool:       func(p *triggerPool) { p.challenge = types.ChallengeNameTypeSoftwareTokenMfa },
			confirmed:  14,
			rightFail:  map[string]int{"Challenge:SOFTWARE_TOKEN_MFA": 14},
			unexpected: 14,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newTriggerPool()
			if tc.pool != nil {
				tc.pool(p)
			}
			opts := tc.opts
			opts.Users, opts.Seed, opts.ClientID = 20, 1, "client"
			var progress []int
			opts.Progress = func(done, total int) {
				require.Equal(t, 20, total)
				progress = append(progress, done)
			}
			r, err := Run(t.Context(), p, opts)
			require.NoError(t, err)

			require.Equal(t, 20, r.Users)
			require.Equal(t, Stage{Attempted: 14, Succeeded: 14}, *r.SignUp[Valid])
			require.Equal(t, Stage{Attempted: 4, Failed: map[string]int{"UserLambdaValidationException": 4}}, *r.SignUp[Disposable])
			require.Equal(t, Stage{Attempted: 2, Failed: map[string]int{"UserLambdaValidationException": 2}}, *r.SignUp[Invalid])
			require.Equal(t, 14, r.Accepted())
			require.Equal(t, 6, r.Rejected())
			require.Equal(t, tc.autoConf, r.AutoConfirmed)
			require.Equal(t, Stage{Attempted: 14 - tc.autoConf, Succeeded: tc.confirmed, Failed: tc.confirmFail}, r.Confirm)

			signedIn := tc.confirmed + tc.autoConf
			users, _ := Plan(opts)
			wrong, refresh, forgot, phones := 0, 0, 0, 0
			for _, u := range users {
				if u.Kind == Valid && u.WrongPassword {
					wrong++
				}
				if u.Kind == Valid && u.Refresh {
					refresh++
				}
				if u.Kind == Valid && u.Forgot {
					forgot++
				}
				if u.Kind == Valid && u.Phone != "" {
					phones++
				}
			}
			require.Positive(t, refresh)
			require.Positive(t, forgot)
			require.Positive(t, phones)
			require.Equal(t, phones, p.phones, "the planned phone numbers went to Cognito")
			completed := signedIn - sum(tc.rightFail)
			if completed == 0 {
				refresh, forgot = 0, 0 // refresh and reset follow a completed sign-in
			}
			require.Equal(t, Stage{Attempted: refresh, Succeeded: refresh}, r.Refresh)
			require.Equal(t, Stage{Attempted: forgot, Succeeded: forgot}, r.ForgotPassword)
			if opts.ConfirmationCode == "" {
				forgot = 0 // no code to confirm the reset with
			}
			require.Equal(t, Stage{Attempted: forgot, Succeeded: forgot}, r.ConfirmForgotPassword)
			if signedIn == 0 {
				wrong = 0
			}
			require.Equal(t, Stage{Attempted: wrong, Failed: nonEmpty(map[string]int{"NotAuthorizedException": wrong})}, r.SignInWrong)
			require.Equal(t, Stage{Attempted: signedIn, Succeeded: signedIn - sum(tc.rightFail), Failed: tc.rightFail}, r.SignInRight)
			require.Equal(t, tc.unexpected, r.Unexpected())

			total := 0
			for _, n := range r.Domains {
				total += n
			}
			require.Equal(t, 20, total)
			require.Len(t, progress, 20)
			require.Equal(t, 20, progress[19])

			b, err := json.Marshal(r)
			require.NoError(t, err)
			require.NotContains(t, string(b), "@", "a result never carries an address")
		})
	}
}

func nonEmpty(m map[string]int) map[string]int {
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestRunHangingCognito: a Cognito that never answers costs each call its
// deadline and no more, and every sign-up is counted as a timeout.
func TestRunHangingCognito(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTriggerPool()
		p.hang = true
		start := time.Now()
		r, err := Run(t.Context(), p, Options{Users: 8, Concurrency: 4, CallTimeout: 3 * time.Second, ClientID: "c", UserPoolID: "p"})
		require.NoError(t, err)
		require.Equal(t, 6*time.Second, time.Since(start), "8 users, 4 at a time, 3s each")
		timeouts := 0
		for _, s := range r.SignUp {
			timeouts += s.Failed["Timeout"]
		}
		require.Equal(t, 8, timeouts)
		require.Equal(t, 8, r.Unexpected()+r.SignUp[Disposable].FailedTotal()+r.SignUp[Invalid].FailedTotal())
	})
}

// TestRunCanceled: when the caller's context ends, Run stops feeding users
// and says how far it got.
func TestRunCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newTriggerPool()
		p.hang = true
		ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
		defer cancel()
		r, err := Run(ctx, p, Options{Users: 100, Concurrency: 2, CallTimeout: 3 * time.Second, ClientID: "c", UserPoolID: "p"})
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.True(t, strings.HasPrefix(err.Error(), "stopped after 4 of 100 users"), err.Error())
		attempted, timeouts, interrupted := 0, 0, 0
		for _, s := range r.SignUp {
			attempted += s.Attempted
			timeouts += s.Failed["Timeout"]
			interrupted += s.Failed[Interrupted]
		}
		require.Equal(t, 4, attempted)
		require.Equal(t, 2, timeouts, "the first two hit their own 3s deadline")
		require.Equal(t, 2, interrupted, "the next two were cut short at 4s by the run's end")
		require.Equal(t, r.SignUp[Valid].Failed["Timeout"], r.Unexpected(), "interrupted calls are not unexpected outcomes")
	})
}

func TestErrorCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{name: "api error", err: &smithy.OperationError{ServiceID: "Cognito", OperationName: "SignUp", Err: apiErr("UsernameExistsException")}, want: "UsernameExistsException"},
		{name: "deadline", err: &smithy.OperationError{Err: context.DeadlineExceeded}, want: "Timeout"},
		{name: "canceled", err: context.Canceled, want: "Canceled"},
		{name: "other", err: errAny{}, want: "Error"},
		{name: "network", err: &smithy.OperationError{Err: fmt.Errorf("send: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errAny{}})}, want: "NetworkError"},
		{name: "challenge", err: &ChallengeError{Name: "SMS_MFA"}, want: "Challenge:SMS_MFA"},
		{name: "interrupted", err: &InterruptedError{Err: &smithy.OperationError{Err: context.DeadlineExceeded}}, want: "Interrupted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ErrorCode(tc.err))
		})
	}
}

type errAny struct{}

func (errAny) Error() string { return "connection refused" }

// TestRunLegacy: the legacy users Run adds to the directory sign in for the
// first time and are migrated, after a wrong password for some; unknown
// ones are refused. Every outcome is the one provoked.
func TestRunLegacy(t *testing.T) {
	p := newTriggerPool()
	p.legacy = &directory{}
	opts := Options{Users: 20, Seed: 3, ClientID: "client", UserPoolID: "pool", Legacy: 0.4, Directory: p.legacy}
	r, err := Run(t.Context(), p, opts)
	require.NoError(t, err)
	require.Zero(t, r.Unexpected(), "%+v", r)

	opts.RunID = r.RunID
	users, err := Plan(opts)
	require.NoError(t, err)
	legacy := LegacyUsers(users)
	require.Len(t, legacy, 8)
	known, wrong, unknown := 0, 0, 0
	for _, u := range legacy {
		pw, ok := p.legacy.lookup(u.Email)
		require.Equal(t, !u.Unknown, ok, "Run adds the known legacy users, and only them")
		if ok {
			require.Equal(t, u.Password, pw)
			require.Equal(t, u.Email, p.legacy.email[u.Email])
			known++
		}
		wrong += boolN(u.WrongPassword)
		unknown += boolN(u.Unknown)
	}
	require.Equal(t, Stage{Attempted: known, Succeeded: known}, r.MigrateRight)
	require.Equal(t, Stage{Attempted: wrong, Failed: map[string]int{"NotAuthorizedException": wrong}}, r.MigrateWrong)
	require.Equal(t, Stage{Attempted: unknown, Failed: map[string]int{"NotAuthorizedException": unknown}}, r.MigrateUnknown)
	require.Equal(t, known, p.migrated)
	require.Equal(t, wrong+unknown, p.migrationsFailed)
	require.Equal(t, 20, r.Users, "the users who sign up")
	require.Equal(t, 20, r.SignUp[Valid].Attempted+r.SignUp[Disposable].Attempted+r.SignUp[Invalid].Attempted, "legacy users never sign up")
}
