package simulate_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
	"github.com/cogwatch/cogwatch/local/simulate"
)

// cognito-local without triggers accepts every address that has an "@", so
// here every sign-up succeeds; what is checked is that each call was made,
// answered as Cognito answers it, and counted exactly.
func TestRunAgainstCognitoLocal(t *testing.T) {
	em := cognitolocaltest.Start(t, cognitolocaltest.Options{Code: "424242"})
	client := em.Client()

	tests := []struct {
		name       string
		opts       simulate.Options
		confirmErr string
	}{
		{name: "admin confirm", opts: simulate.Options{RunID: "admin"}},
		{name: "confirm with the code", opts: simulate.Options{RunID: "code", ConfirmationCode: "424242"}},
		{name: "wrong code", opts: simulate.Options{RunID: "badcode", ConfirmationCode: "000000"}, confirmErr: "CodeMismatchException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pool := em.CreatePool(t.Context(), t, "sim-"+tc.opts.RunID)
			opts := tc.opts
			opts.Users, opts.Seed, opts.Concurrency = 20, 3, 4
			opts.ClientID, opts.UserPoolID = pool.ClientID, pool.UserPoolID
			r, err := simulate.Run(t.Context(), client, opts)
			require.NoError(t, err)

			plan, err := simulate.Plan(opts)
			require.NoError(t, err)
			wrong, refresh, forgot := 0, 0, 0
			for _, u := range plan {
				wrong += count(u.WrongPassword)
				refresh += count(u.Refresh)
				forgot += count(u.Forgot)
			}
			require.Equal(t, simulate.Stage{Attempted: 14, Succeeded: 14}, *r.SignUp[simulate.Valid])
			require.Equal(t, simulate.Stage{Attempted: 4, Succeeded: 4}, *r.SignUp[simulate.Disposable])
			require.Equal(t, simulate.Stage{Attempted: 2, Succeeded: 2}, *r.SignUp[simulate.Invalid])
			require.Zero(t, r.AutoConfirmed)

			users := listUsers(t, client, pool.UserPoolID)
			require.Len(t, users, 20, "every sign-up created a user")
			if tc.confirmErr != "" {
				require.Equal(t, simulate.Stage{Attempted: 20, Failed: map[string]int{tc.confirmErr: 20}}, r.Confirm)
				require.Equal(t, simulate.Stage{}, r.SignInWrong)
				require.Equal(t, simulate.Stage{}, r.SignInRight)
				require.Equal(t, 20, r.Unexpected())
				for _, u := range users {
					require.Equal(t, types.UserStatusTypeUnconfirmed, u.UserStatus)
				}
				return
			}
			require.Equal(t, simulate.Stage{Attempted: 20, Succeeded: 20}, r.Confirm)
			// cognito-local answers a wrong password with InvalidPasswordException;
			// real Cognito answers NotAuthorizedException. Either is a refusal.
			require.Equal(t, simulate.Stage{Attempted: wrong, Failed: map[string]int{"InvalidPasswordException": wrong}}, r.SignInWrong)
			require.Equal(t, simulate.Stage{Attempted: 20, Succeeded: 20}, r.SignInRight)
			require.Equal(t, simulate.Stage{Attempted: refresh, Succeeded: refresh}, r.Refresh, "REFRESH_TOKEN_AUTH with each sign-in's refresh token")
			require.Equal(t, simulate.Stage{Attempted: forgot, Succeeded: forgot}, r.ForgotPassword)
			confirmed := 0
			if opts.ConfirmationCode != "" {
				confirmed = forgot
			}
			require.Equal(t, simulate.Stage{Attempted: confirmed, Succeeded: confirmed}, r.ConfirmForgotPassword)
			require.Zero(t, r.Unexpected())
			for _, u := range users {
				require.Equal(t, types.UserStatusTypeConfirmed, u.UserStatus)
			}
		})
	}

	t.Run("second run in the same pool", func(t *testing.T) {
		pool := em.CreatePool(t.Context(), t, "sim-twice")
		opts := simulate.Options{Users: 5, Seed: 9, ClientID: pool.ClientID, UserPoolID: pool.UserPoolID}
		for range 2 {
			r, err := simulate.Run(t.Context(), client, opts) // a fresh random run id each time
			require.NoError(t, err)
			require.Equal(t, 5, r.Accepted(), "no UsernameExistsException: %+v", r.SignUp)
		}
		require.Len(t, listUsers(t, client, pool.UserPoolID), 10)
	})

	t.Run("unknown client", func(t *testing.T) {
		r, err := simulate.Run(t.Context(), client, simulate.Options{Users: 3, ClientID: "nope", UserPoolID: "local_nope"})
		require.NoError(t, err)
		require.Zero(t, r.Accepted())
		require.Equal(t, 3, r.Rejected())
		require.NotZero(t, r.Unexpected())
	})
}

func count(b bool) int {
	if b {
		return 1
	}
	return 0
}

func listUsers(t *testing.T, c *cip.Client, poolID string) []types.UserType {
	t.Helper()
	out, err := c.ListUsers(t.Context(), &cip.ListUsersInput{UserPoolId: aws.String(poolID)})
	require.NoError(t, err)
	return out.Users
}
