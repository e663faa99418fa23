// Package logging builds the JSON slog logger every cogwatch binary uses.
//
// Lines follow Lambda's advanced logging controls: JSON, "timestamp" and
// "message" keys, the invocation's requestId when the context carries one.
// Unlike lambdacontext.NewLogHandler it always writes JSON, so CloudWatch Logs
// Insights can query every line whatever AWS_LAMBDA_LOG_FORMAT says.
package logging

import (
	"context"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Level returns the log level from AWS_LAMBDA_LOG_LEVEL, else
// POWERTOOLS_LOG_LEVEL, else INFO. Unknown names mean INFO.
func Level(getenv func(string) string) slog.Level {
	name := getenv("AWS_LAMBDA_LOG_LEVEL")
	if name == "" {
		name = getenv("POWERTOOLS_LOG_LEVEL")
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(strings.TrimSpace(name)))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// New returns a JSON logger writing to w at the level the environment asks
// for, with the service name (POWERTOOLS_SERVICE_NAME) on every line.
func New(w io.Writer, getenv func(string) string) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: Level(getenv), ReplaceAttr: lambdacontext.ReplaceAttr})
	l := slog.New(requestIDHandler{h})
	if svc := getenv("POWERTOOLS_SERVICE_NAME"); svc != "" {
		l = l.With("service", svc)
	}
	return l
}

// Discard returns a logger that writes nothing, for nil-logger defaults.
func Discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// requestIDHandler adds the Lambda request id from the record's context.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		r.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}
