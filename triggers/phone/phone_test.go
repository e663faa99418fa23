package phone

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// callingCode reports whether s is 1 to 3 digits not starting with 0.
func callingCode(s string) bool {
	if len(s) < 1 || len(s) > 3 || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// TestCountryCode: the country calling code of numbers from many countries,
// including codes shared by several (+1 US and American Samoa, +44 UK and
// Jersey), and what does not parse.
func TestCountryCode(t *testing.T) {
	tests := []struct{ number, want string }{
		{"+14155550100", "1"},     // United States
		{"+16846330000", "1"},     // American Samoa: +1-684, still +1
		{"+16135550100", "1"},     // Canada
		{"+447700900123", "44"},   // United Kingdom
		{"+447797712345", "44"},   // Jersey
		{"+74951234567", "7"},     // Russia
		{"+77012345678", "7"},     // Kazakhstan
		{"+8613812345678", "86"},  // China
		{"+919812345678", "91"},   // India
		{"+2348031234567", "234"}, // Nigeria
		{"+380501234567", "380"},  // Ukraine
		{"+998901234567", "998"},  // Uzbekistan
		{"+33612345678", "33"},    // France
		{"+5511912345678", "55"},  // Brazil
		{"+61412345678", "61"},    // Australia
		{"+2250712345678", "225"}, // Côte d'Ivoire
		{"+35312345678", "353"},   // Ireland
		{"+44 7700 900123", "44"}, // spaces
		{"", ""},
		{"4155550100", ""},    // no +, no default region
		{"+999123456", ""},    // no such code
		{"+0123456", ""},      // codes never start with 0
		{"not a number", ""},  // letters
		{"+", ""},             // nothing after +
		{"+1", ""},            // a code alone
		{"+44abcdefghij", ""}, // letters after the code
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			got := CountryCode(tc.number)
			require.Equal(t, tc.want, got)
			if got != "" {
				require.True(t, callingCode(got), got)
			}
		})
	}
}

// FuzzCountryCode: any string gives "" or a country calling code.
func FuzzCountryCode(f *testing.F) {
	for _, s := range []string{"+447700900123", "+16846330000", "+998901234567", "+", "+0", "4155550100", "+1 (415) 555-0100", "+44\u00a07700", "++44"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, number string) {
		if cc := CountryCode(number); cc != "" {
			require.True(t, callingCode(cc), "%q from %q", cc, number)
		}
	})
}

// BenchmarkCountryCode is the cost per SMS of finding the destination's
// country calling code.
func BenchmarkCountryCode(b *testing.B) {
	for _, n := range []string{"+447700900123", "+16846330000", "+998901234567"} {
		b.Run(n[:4], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = CountryCode(n)
			}
		})
	}
}

// TestOnlyCustomMessageLinksTheLibrary: the library's metadata loads at
// program start, so no other function may link it (their cold starts would
// pay for it).
func TestOnlyCustomMessageLinksTheLibrary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, cmd := range []string{"presignup", "authentication", "postconfirmation", "pretokengeneration", "custommessage"} {
		out, err := exec.Command("go", "list", "-deps", "../../cmd/"+cmd).CombinedOutput()
		require.NoError(t, err, "%s", out)
		links := strings.Contains(string(out), "github.com/nyaruka/phonenumbers\n")
		require.Equal(t, cmd == "custommessage", links, "cmd/%s links the phone number library: %v", cmd, links)
	}
}
