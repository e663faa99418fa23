// Package answer is the body of the start-cost programs that build a trigger
// handler as its command does and answer one event with it.
package answer

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"

	"github.com/aws/aws-lambda-go/lambda"
)

// Build builds a handler from its environment, as the triggers' FromEnv
// functions do.
type Build func(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error)

// Once builds the handler with an empty environment, invokes it with event
// and prints the string value of the member of its EMF line named member:
// what the handler counted. It exits 2 when the handler cannot be built, and
// prints the error when the invocation fails.
func Once(build Build, event, member string) {
	var out bytes.Buffer
	h, err := build(context.Background(), func(string) string { return "" }, &out)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(2)
	}
	if _, err := h.Invoke(context.Background(), []byte(event)); err != nil {
		os.Stdout.WriteString(err.Error() + "\n")
		return
	}
	m := regexp.MustCompile(`"` + member + `":"([^"]*)"`).FindSubmatch(out.Bytes())
	if m == nil {
		os.Stdout.WriteString("no " + member + "\n")
		return
	}
	os.Stdout.Write(append(m[1], '\n'))
}
