package local

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/local/lambdahost"
	"github.com/cogwatch/cogwatch/warmers"
)

// warmInstances is how many execution environments of each trigger the
// local warmer keeps warm.
const warmInstances = 2

// warmerFunctions builds the warmer as its Lambda runs it: its Lambda client
// (the SDK's default configuration) reaches the host through
// AWS_ENDPOINT_URL_LAMBDA, so warm-ups travel the Invoke API.
func (s *Stack) warmerFunctions() ([]lambdahost.Function, error) {
	w, err := s.functionLog(WarmerFunction)
	if err != nil {
		return nil, err
	}
	getenv := s.env(map[string]string{
		"COGWATCH_WARM_TARGETS":     strings.Join(TriggerFunctionNames(), ","),
		"COGWATCH_WARM_CONCURRENCY": itoa(warmInstances),
		"POWERTOOLS_SERVICE_NAME":   "cogwatch-local",
	})
	return []lambdahost.Function{{
		Name:    WarmerFunction,
		Timeout: 30 * time.Second,
		New:     func(ctx context.Context) (lambda.Handler, error) { return warmers.FromEnv(ctx, getenv, w) },
	}}, nil
}

// startWarmer invokes the warmer at once and then every WarmInterval, as
// its EventBridge Scheduler schedule does.
func (s *Stack) startWarmer(ctx context.Context) {
	if s.opts.WarmInterval < 0 || !s.served(WarmerFunction) {
		return
	}
	s.wg.Go(func() {
		t := time.NewTicker(s.opts.WarmInterval)
		defer t.Stop()
		for {
			if _, err := s.host.Invoke(ctx, WarmerFunction, []byte(`{}`)); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "warmer invocation failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
}
