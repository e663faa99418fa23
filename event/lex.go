package event

import "github.com/cogwatch/cogwatch/internal/jsonlex"

// lexer reads JSON the way encoding/json's scanner accepts it, for the fast
// decoding paths (fast.go), with the readers of the values events and SNS
// envelopes usually hold. Each method reports false when it is not sure:
// input it does not take (invalid JSON, or valid JSON it leaves to
// encoding/json), never input that encoding/json would read differently.
type lexer struct{ jsonlex.Lexer }

// maxSkipDepth bounds the nesting of the values of unknown envelope members.
const maxSkipDepth = 64

// known reads a string that is usually want, sharing want's memory then.
func (l *lexer) known(want string) (string, bool) {
	if l.Exact(want) {
		return want, true
	}
	return l.Text()
}

// oneOf reads a string that is usually one of want, sharing its memory then.
func oneOf[S ~string](l *lexer, want []S) (string, bool) {
	for _, w := range want {
		if l.Exact(string(w)) {
			return string(w), true
		}
	}
	return l.Text()
}
