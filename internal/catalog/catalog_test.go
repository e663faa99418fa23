package catalog

import (
	"testing"

	"github.com/cogwatch/cogwatch/event"
	"github.com/stretchr/testify/require"
)

func TestEveryEventTypeHasACountMetric(t *testing.T) {
	want := map[event.Type]string{
		event.SignUpAccepted:  SignUpAccepted,
		event.SignUpRejected:  SignUpRejected,
		event.UserConfirmed:   UserConfirmed,
		event.PasswordReset:   PasswordReset,
		event.SignInAttempted: SignInAttempted,
		event.SignInSucceeded: SignInSucceeded,
		event.TokenIssued:     TokensIssued,
		event.CodeSent:        CodesSent,
		event.UserMigrated:    UsersMigrated,
		event.MigrationFailed: MigrationFailures,
		event.ChallengeIssued: ChallengesIssued,
		event.ChallengePassed: ChallengesPassed,
		event.ChallengeFailed: ChallengesFailed,
	}
	require.Len(t, want, len(event.Types()), "a new event type needs its count metric here and in ForEvent")
	for _, typ := range event.Types() {
		name := ForEvent(typ)
		require.Equal(t, want[typ], name, typ)
		m, ok := ByName(name)
		require.True(t, ok, name)
		require.Equal(t, Count, m.Unit)
	}
	require.Empty(t, ForEvent("cogwatch.unknown"))
}

func TestMetricNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Metrics {
		require.False(t, seen[m.Name], "duplicate %s", m.Name)
		seen[m.Name] = true
		require.NotEmpty(t, m.Dimensions, m.Name)
		require.NotEmpty(t, m.Emitters, m.Name)
	}
}
