package simulate

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	emailverifier "github.com/AfterShip/email-verifier"
	"github.com/stretchr/testify/require"
)

func TestPlanCounts(t *testing.T) {
	tests := []struct {
		name                               string
		opts                               Options
		valid, disposable, invalid, wrongN int
	}{
		{name: "defaults", opts: Options{}, valid: 7, disposable: 2, invalid: 1, wrongN: 3},
		{name: "hundred", opts: Options{Users: 100}, valid: 70, disposable: 20, invalid: 10, wrongN: 30},
		{name: "only valid", opts: Options{Users: 5, Disposable: -1, Invalid: -1, WrongPassword: -1}, valid: 5},
		{name: "all disposable", opts: Options{Users: 4, Disposable: 1, Invalid: -1, WrongPassword: 1}, disposable: 4, wrongN: 4},
		{name: "rounding", opts: Options{Users: 3, Disposable: 0.5, Invalid: 0.5}, valid: 0, disposable: 2, invalid: 1, wrongN: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.ClientID, tc.opts.UserPoolID = "client", "pool"
			users, err := Plan(tc.opts)
			require.NoError(t, err)
			got := map[Kind]int{}
			wrong := 0
			for _, u := range users {
				got[u.Kind]++
				if u.WrongPassword {
					wrong++
				}
			}
			require.Equal(t, map[Kind]int{Valid: tc.valid, Disposable: tc.disposable, Invalid: tc.invalid},
				map[Kind]int{Valid: got[Valid], Disposable: got[Disposable], Invalid: got[Invalid]})
			require.Equal(t, tc.wrongN, wrong)
		})
	}
}

func TestPlanDeterministic(t *testing.T) {
	opts := Options{Users: 50, Seed: 42, RunID: "a", ClientID: "c", UserPoolID: "p"}
	a, err := Plan(opts)
	require.NoError(t, err)
	b, err := Plan(opts)
	require.NoError(t, err)
	require.Equal(t, a, b, "same seed and run id, same plan")

	opts.RunID = "b"
	c, err := Plan(opts)
	require.NoError(t, err)
	for i := range a {
		require.Equal(t, a[i].Kind, c[i].Kind, "the run id must not change the plan")
		require.Equal(t, a[i].Domain, c[i].Domain)
		require.Equal(t, a[i].WrongPassword, c[i].WrongPassword)
		require.NotEqual(t, a[i].Email, c[i].Email, "addresses are unique per run")
	}

	opts.Seed = 43
	d, err := Plan(opts)
	require.NoError(t, err)
	require.NotEqual(t, kinds(c), kinds(d), "another seed, another plan")
}

// TestPlanJourneysKeepTheSeed: the journeys after sign-in (refresh,
// password reset) and the phone numbers come from a generator of their
// own, so a seed plans the same kinds, domains, passwords and wrong
// passwords with them as without them: `make run`'s figures for sign-ups
// and sign-ins do not move.
func TestPlanJourneysKeepTheSeed(t *testing.T) {
	with := Options{Users: 50, Seed: 42, RunID: "a", ClientID: "c", UserPoolID: "p"}
	without := with
	without.Refresh, without.ForgotPassword, without.Phone = -1, -1, -1
	a, err := Plan(with)
	require.NoError(t, err)
	b, err := Plan(without)
	require.NoError(t, err)
	refresh, forgot, phones := 0, 0, 0
	for i := range a {
		require.Equal(t, b[i].Email, a[i].Email)
		require.Equal(t, b[i].Kind, a[i].Kind)
		require.Equal(t, b[i].Password, a[i].Password)
		require.Equal(t, b[i].WrongPassword, a[i].WrongPassword)
		require.False(t, b[i].Refresh || b[i].Forgot || b[i].Phone != "", "none planned with negative shares")
		refresh += boolN(a[i].Refresh)
		forgot += boolN(a[i].Forgot)
		if a[i].Phone != "" {
			phones++
			require.Regexp(t, `^\+(447700900\d{3}|120255501\d{2})$`, a[i].Phone, "a number reserved for fiction")
		}
	}
	require.Equal(t, 25, refresh, "DefaultRefresh of 50")
	require.Equal(t, 10, forgot, "DefaultForgot of 50")
	require.Equal(t, 15, phones, "DefaultPhone of 50")
}

func boolN(b bool) int {
	if b {
		return 1
	}
	return 0
}

func kinds(us []User) []Kind {
	out := make([]Kind, len(us))
	for i, u := range us {
		out[i] = u.Kind
	}
	return out
}

// TestPlanAddresses checks every planned address against the syntax and
// disposable-domain checks of the library the pre sign-up trigger uses, so
// a "valid" user is never rejected for its address and an "invalid" one
// always is.
func TestPlanAddresses(t *testing.T) {
	users, err := Plan(Options{Users: 200, Seed: 7, ClientID: "c", UserPoolID: "p"})
	require.NoError(t, err)
	v := emailverifier.NewVerifier()
	seen := map[string]bool{}
	for _, u := range users {
		require.False(t, seen[u.Email], "duplicate address at user %d", u.Index)
		seen[u.Email] = true
		require.Contains(t, u.Email, "@", "user %d: every address has an @, so emulators pass it on", u.Index)
		require.Len(t, u.Password, 16)
		syntax := v.ParseAddress(u.Email)
		switch u.Kind {
		case Valid:
			require.True(t, syntax.Valid, "user %d (%s): valid address fails syntax", u.Index, u.Domain)
			require.False(t, v.IsDisposable(u.Domain), u.Domain)
			require.True(t, strings.HasSuffix(u.Email, "@"+u.Domain))
		case Disposable:
			require.True(t, syntax.Valid, "user %d (%s): disposable address fails syntax", u.Index, u.Domain)
			require.True(t, v.IsDisposable(u.Domain), u.Domain)
		case Invalid:
			require.False(t, syntax.Valid, "user %d (%s): invalid address passes syntax", u.Index, u.Domain)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{name: "no client", opts: Options{UserPoolID: "p"}, want: "bad simulation options: the app client id is required"},
		{name: "no pool nor code", opts: Options{ClientID: "c"}, want: "bad simulation options: the user pool id is required to confirm users (or give a confirmation code)"},
		{name: "negative users", opts: Options{ClientID: "c", UserPoolID: "p", Users: -1}, want: "bad simulation options: users -1 is negative"},
		{name: "shares over one", opts: Options{ClientID: "c", UserPoolID: "p", Disposable: 0.8, Invalid: 0.3}, want: "bad simulation options: disposable 0.8 + invalid 0.3 is more than 1"},
		{name: "wrong over one", opts: Options{ClientID: "c", UserPoolID: "p", WrongPassword: 1.5}, want: "bad simulation options: wrong-password share 1.5 is more than 1"},
		{name: "legacy over one", opts: Options{ClientID: "c", UserPoolID: "p", Legacy: 1.5, Directory: &directory{}}, want: "bad simulation options: legacy share 1.5 is more than 1"},
		{name: "legacy without a directory", opts: Options{ClientID: "c", UserPoolID: "p", Legacy: 0.2}, want: "bad simulation options: legacy users need the directory of the pool's migration trigger"},
		{name: "negative concurrency", opts: Options{ClientID: "c", UserPoolID: "p", Concurrency: -2}, want: "bad simulation options: concurrency -2 is negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Plan(tc.opts)
			require.ErrorIs(t, err, ErrConfig)
			require.EqualError(t, err, tc.want)
		})
	}
}

// directory is a Directory in memory.
type directory struct {
	mu    sync.Mutex
	users map[string]string // user name → password
	email map[string]string
}

func (d *directory) Add(username, password, email string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.users == nil {
		d.users, d.email = map[string]string{}, map[string]string{}
	}
	d.users[username], d.email[username] = password, email
}

func (d *directory) lookup(username string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	pw, ok := d.users[username]
	return pw, ok
}

// TestPlanLegacy: legacy users come after the users who sign up, whose plan
// the seed keeps as it was before legacy users existed; a quarter of them
// are unknown, and only known ones type a wrong password first. With no
// directory there are none.
func TestPlanLegacy(t *testing.T) {
	with := Options{Users: 40, Seed: 42, RunID: "a", ClientID: "c", UserPoolID: "p", Directory: &directory{}}
	without := with
	without.Directory = nil
	a, err := Plan(with)
	require.NoError(t, err)
	b, err := Plan(without)
	require.NoError(t, err)
	require.Len(t, b, 40, "no directory, no legacy users")
	require.Equal(t, b, a[:40], "the seed's plan for the users who sign up")
	legacy := LegacyUsers(a)
	require.Len(t, legacy, 8, "DefaultLegacy of 40")
	require.Equal(t, legacy, a[40:])
	unknown, wrong := 0, 0
	for i, u := range legacy {
		require.Equal(t, 40+i, u.Index)
		require.Equal(t, Valid, u.Kind)
		require.Contains(t, ValidDomains, u.Domain)
		require.Equal(t, "cw-a-legacy-"+fmt.Sprint(40+i)+"@"+u.Domain, u.Email)
		require.False(t, u.Refresh || u.Forgot || u.Phone != "", "a legacy user only signs in")
		require.False(t, u.Unknown && u.WrongPassword, "an unknown user's password is neither right nor wrong")
		unknown += boolN(u.Unknown)
		wrong += boolN(u.WrongPassword)
	}
	require.Equal(t, 2, unknown, "a quarter of 8")
	require.Positive(t, wrong)
	again, err := Plan(with)
	require.NoError(t, err)
	require.Equal(t, a, again, "a pure function of the options")
	none := with
	none.Legacy = -1
	c, err := Plan(none)
	require.NoError(t, err)
	require.Equal(t, b, c)
}
