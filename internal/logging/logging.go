// Package logging builds the JSON slog logger every cogwatch binary uses.
//
// Lines follow Lambda's advanced logging controls: JSON, "timestamp" and
// "message" keys, the invocation's requestId when the context carries one.
// Unlike lambdacontext.NewLogHandler it always writes JSON, so CloudWatch Logs
// Insights can query every line whatever AWS_LAMBDA_LOG_FORMAT says.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/cogwatch/cogwatch/internal/envconf"
)

// Config is the logging configuration every function shares.
type Config struct {
	// Level is the minimum level: AWS_LAMBDA_LOG_LEVEL (Lambda's advanced
	// logging controls), else POWERTOOLS_LOG_LEVEL, else INFO.
	Level slog.Level
	// Service is written on every line as "service"
	// (POWERTOOLS_SERVICE_NAME). Optional.
	Service string
}

// DefaultConfig is the configuration with no variable set.
var DefaultConfig = Config{Level: slog.LevelInfo}

// Variables lists the variables LoadConfig reads.
var Variables = []envconf.Variable{
	{Name: "POWERTOOLS_LOG_LEVEL", Default: "INFO", Description: "Minimum log level: DEBUG, INFO, WARN or ERROR. Lambda's AWS_LAMBDA_LOG_LEVEL wins when set."},
	{Name: "AWS_LAMBDA_LOG_LEVEL", Description: "Set by Lambda's advanced logging controls (TRACE, DEBUG, INFO, WARN, ERROR, FATAL; TRACE logs as DEBUG, FATAL as ERROR)."},
	{Name: "POWERTOOLS_SERVICE_NAME", Description: "Service name added to every log line as `service`."},
}

// LoadConfig reads the logging configuration from getenv, starting from
// DefaultConfig. An error names the variable whose level it cannot read.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := DefaultConfig
	c.Service = strings.TrimSpace(getenv("POWERTOOLS_SERVICE_NAME"))
	var errs []error
	var levels []slog.Level
	for _, name := range []string{"AWS_LAMBDA_LOG_LEVEL", "POWERTOOLS_LOG_LEVEL"} {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		l, ok := parseLevel(v)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %q is not DEBUG, INFO, WARN or ERROR", name, v))
			continue
		}
		levels = append(levels, l)
	}
	if len(levels) > 0 {
		c.Level = levels[0]
	}
	return c, errors.Join(errs...)
}

// parseLevel reads slog's level names and Lambda's TRACE and FATAL, in any
// case.
func parseLevel(v string) (slog.Level, bool) {
	switch v = strings.ToUpper(v); v {
	case "TRACE":
		return slog.LevelDebug, true
	case "FATAL":
		return slog.LevelError, true
	}
	var l slog.Level
	return l, l.UnmarshalText([]byte(v)) == nil
}

// Level returns the level LoadConfig reads from getenv; a name it cannot
// read is passed over (INFO when neither can be read).
func Level(getenv func(string) string) slog.Level {
	c, _ := LoadConfig(getenv)
	return c.Level
}

// NewLogger returns a JSON logger writing to w at c's level, with c's
// service name on every line.
func NewLogger(w io.Writer, c Config) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: c.Level, ReplaceAttr: lambdacontext.ReplaceAttr})
	l := slog.New(requestIDHandler{h})
	if c.Service != "" {
		l = l.With("service", c.Service)
	}
	return l
}

// New returns NewLogger with the configuration getenv holds, for a
// function that has not loaded it: a level it cannot read is passed over,
// as in Level.
func New(w io.Writer, getenv func(string) string) *slog.Logger {
	c, _ := LoadConfig(getenv)
	return NewLogger(w, c)
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
