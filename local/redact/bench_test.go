package redact_test

import (
	"regexp"
	"testing"

	"github.com/cogwatch/cogwatch/local/redact"
)

// emailRE is the obvious alternative: one regular expression over the line.
var emailRE = regexp.MustCompile("[\\p{L}\\p{N}\\p{M}.!#$%&'*+/=?^_`{|}~-]+@([\\p{L}\\p{N}.\\[-])")

// BenchmarkEmails compares the byte scan with the regular expression on
// lines as cognito-local prints them: most hold no address.
func BenchmarkEmails(b *testing.B) {
	inputs := map[string][]byte{
		"no address": []byte(`[1795614957370] INFO: NONE NONE Cognito Local running on http://127.0.0.1:44519` + "\n"),
		"box line":   []byte("│   Destination: some.body+tag@example.org              │\n"),
		"json, two":  []byte(`{"reqId":"0af51a95","target":"SignUp","a":"x@example.com","b":"y.z@example.net"}` + "\n"),
	}
	for name, line := range inputs {
		b.Run(name+"/scan", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				redact.Emails(line)
			}
		})
		b.Run(name+"/regexp", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				emailRE.ReplaceAll(line, []byte("***@${1}"))
			}
		})
	}
}
