package local

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/triggers"
)

// TestLegacyDirectoryMigrate: the demo migration handler brings in a user
// of the directory with the right password (any password on a forgotten
// one, which carries none), confirmed and with no message, and says no to
// anyone else with an error that names neither the user nor the password.
func TestLegacyDirectoryMigrate(t *testing.T) {
	var d LegacyDirectory
	d.Add("jane@example.com", "Cw1!correct", "jane@example.com")
	require.Equal(t, 1, d.Len())
	tests := []struct {
		name, source, user, password string
		migrated                     bool
	}{
		{name: "right password", source: triggers.UserMigrationAuthentication, user: "jane@example.com", password: "Cw1!correct", migrated: true},
		{name: "wrong password", source: triggers.UserMigrationAuthentication, user: "jane@example.com", password: "Cw1!correctx"},
		{name: "no password", source: triggers.UserMigrationAuthentication, user: "jane@example.com"},
		{name: "unknown user", source: triggers.UserMigrationAuthentication, user: "john@example.com", password: "Cw1!correct"},
		{name: "forgot password, known", source: triggers.UserMigrationForgotPassword, user: "jane@example.com", migrated: true},
		{name: "forgot password, unknown", source: triggers.UserMigrationForgotPassword, user: "john@example.com"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ev events.CognitoEventUserPoolsMigrateUser
			ev.TriggerSource, ev.UserName, ev.Password = tc.source, tc.user, tc.password
			out, err := d.migrate(t.Context(), ev)
			r := out.CognitoEventUserPoolsMigrateUserResponse
			if !tc.migrated {
				require.ErrorIs(t, err, errNoMigration)
				require.NotContains(t, err.Error(), "example.com")
				require.NotContains(t, err.Error(), "Cw1!")
				require.Empty(t, r.UserAttributes)
				return
			}
			require.NoError(t, err)
			require.Equal(t, map[string]string{"email": "jane@example.com", "email_verified": "true"}, r.UserAttributes)
			require.Equal(t, "CONFIRMED", r.FinalUserStatus)
			require.Equal(t, "SUPPRESS", r.MessageAction)
		})
	}
}
