package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local/cognitolocal/cognitolocaltest"
	"github.com/cogwatch/cogwatch/local/simulate"
)

func TestSimulateAgainstCognitoLocal(t *testing.T) {
	em := cognitolocaltest.Start(t, cognitolocaltest.Options{})
	pool := em.CreatePool(t.Context(), t, "cli")
	base := []string{"simulate", "--endpoint", em.Endpoint, "--user-pool-id", pool.UserPoolID, "--client-id", pool.ClientID}

	t.Run("json", func(t *testing.T) {
		r := cogwatch(t.Context(), nil, append(base, "-n", "10", "--seed", "5", "--json")...)
		require.Equal(t, 0, r.code, r.stderr)
		require.Empty(t, r.stderr, "no progress bar when stderr is not a terminal")
		var res simulate.Result
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
		require.Equal(t, 10, res.Users)
		require.Equal(t, 10, res.Accepted())
		require.Equal(t, simulate.Stage{Attempted: 10, Succeeded: 10}, res.Confirm)
		require.Equal(t, simulate.Stage{Attempted: 10, Succeeded: 10}, res.SignInRight)
		require.Equal(t, simulate.Stage{Attempted: 3, Failed: map[string]int{"InvalidPasswordException": 3}}, res.SignInWrong)
		require.Equal(t, 1, res.SignUp[simulate.Invalid].Attempted)
		require.Equal(t, 2, res.SignUp[simulate.Disposable].Attempted)
		require.NotContains(t, r.stdout, "@")
	})

	t.Run("table", func(t *testing.T) {
		r := cogwatch(t.Context(), nil, append(base, "-n", "4", "--run-id", "table", "--disposable", "0", "--invalid", "0", "--wrong-password", "0.5")...)
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stdout, "simulated 4 users (run table) in ")
		for _, row := range []string{
			"sign-up, valid address  4  4  0",
			"sign-up, disposable address  0  0  0",
			"confirmation  4  4  0",
			"sign-in, wrong password  2  0  2  InvalidPasswordException=2",
			"sign-in, right password  4  4  0",
			"token refresh  2  2  0",
			"forgot password  1  1  0",
			"password reset confirmed  0  0  0", // no --confirmation-code: the code is not known
		} {
			require.Contains(t, squeeze(r.stdout), row)
		}
		require.Contains(t, r.stdout, "sign-up attempts by domain (4): example.")
		require.Contains(t, r.stdout, "  of which accepted (4): example.")
		require.NotContains(t, r.stdout, "@")
	})

	t.Run("same run id twice", func(t *testing.T) {
		args := append(base, "-n", "2", "--run-id", "again", "--json")
		require.Equal(t, 0, cogwatch(t.Context(), nil, args...).code)
		r := cogwatch(t.Context(), nil, args...)
		require.Equal(t, 1, r.code, "the addresses exist already: valid ones rejected is unexpected")
		require.Contains(t, r.stdout, `"UsernameExistsException"`)
		require.True(t, strings.HasSuffix(r.stderr, "unexpected outcomes (see the table)\n"), r.stderr)
		require.NotContains(t, r.stdout+r.stderr, "@", "no address, not even in errors")
	})
}

// TestSimulateNoCognito: an endpoint where nothing listens fails every
// call; the command says so and exits 1 instead of pretending.
func TestSimulateNoCognito(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	r := cogwatch(t.Context(), nil, "simulate", "--endpoint", "http://"+addr, "--user-pool-id", "p", "--client-id", "c",
		"-n", "3", "--disposable", "0", "--invalid", "0", "--timeout", "2s", "--json")
	require.Equal(t, 1, r.code, r.stderr)
	var res simulate.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	require.Equal(t, simulate.Stage{Attempted: 3, Failed: map[string]int{"NetworkError": 3}}, *res.SignUp[simulate.Valid])
	require.Equal(t, "cogwatch simulate: connection refused by "+addr+": nothing listens there; check --endpoint (cogwatch local prints its endpoints)\n"+
		"cogwatch simulate: 3 unexpected outcomes (see the table)\n", r.stderr, "the cause, once, then the count")
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := progress(&buf, 5)
	for i := 1; i <= 5; i++ {
		p(i, 5)
	}
	require.Contains(t, buf.String(), "simulating users")
	require.Contains(t, buf.String(), "(5/5")
}

// squeeze collapses runs of spaces, so table rows compare whatever the
// column widths.
func squeeze(s string) string {
	return regexp.MustCompile(` {2,}`).ReplaceAllString(s, "  ")
}

// TestSimulateStoppedSaysItOnce: a run stopped early (Ctrl-C) says so in
// one line, with no package name doubling the command's.
func TestSimulateStoppedSaysItOnce(t *testing.T) {
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the client go
		stop()                             // as Ctrl-C during the first call
		select {
		case <-r.Context().Done():
		case <-time.After(time.Minute):
		}
	}))
	t.Cleanup(srv.Close)
	r := cogwatch(ctx, nil, "simulate", "--endpoint", srv.URL, "--user-pool-id", "p", "--client-id", "c", "-n", "4", "--concurrency", "1")
	require.Equal(t, exitFailure, r.code, r.stderr)
	require.Regexp(t, `^cogwatch simulate: stopped after [12] of 4 users: context canceled\n$`, r.stderr)
}

// TestResultDomainsAddUp: the domains' counts add up to the sign-ups they
// count, attempts and accepted apart (a malformed address at example.com
// is an attempt at example.com, never an accepted one).
func TestResultDomainsAddUp(t *testing.T) {
	r := &simulate.Result{RunID: "r", Users: 5,
		SignUp: map[simulate.Kind]*simulate.Stage{
			simulate.Valid:      {Attempted: 3, Succeeded: 3},
			simulate.Disposable: {Attempted: 1, Failed: map[string]int{"UserLambdaValidationException": 1}},
			simulate.Invalid:    {Attempted: 1, Failed: map[string]int{"UserLambdaValidationException": 1}},
		},
		Domains:         map[string]int{"example.com": 3, "example.org": 1, "mailinator.com": 1},
		AcceptedDomains: map[string]int{"example.com": 2, "example.org": 1},
	}
	var b bytes.Buffer
	require.NoError(t, printResult(&b, r, false))
	require.Contains(t, b.String(), "\nsign-up attempts by domain (5): example.com=3 example.org=1 mailinator.com=1\n"+
		"  of which accepted (3): example.com=2 example.org=1\n")
}
