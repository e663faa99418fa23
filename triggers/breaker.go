package triggers

import (
	"context"
	"errors"
	"log/slog"

	"github.com/sony/gobreaker/v2"
)

// codeBreakerOpen is the failure code of an event the open breaker kept
// from SNS: the spill reason on its event line.
const codeBreakerOpen = "BreakerOpen"

// errNotAttempted reports a publish that never started (no time was left):
// it tells the breaker nothing about SNS.
var errNotAttempted = errors.New("publish not attempted")

// breaker is the per-instance circuit breaker of the SNS publish: after
// Failures failed publishes in a row (errors or budget overruns) it opens and
// the trigger skips SNS, writing events to the log instead; after Cooldown it
// lets one publish through as a probe, within ProbeBudget, and closes on its
// success or opens again on its failure.
//
// It is sony/gobreaker's two-step breaker: the publish runs between Allow
// and its done callback, retry included, so one event is one outcome. Its
// generations drop the outcome of a publish that began in an earlier state
// (a slow call ending after the breaker opened or closed). Half-open lets
// exactly one call through; concurrent invocations meanwhile skip SNS.
type breaker struct {
	cb *gobreaker.TwoStepCircuitBreaker[struct{}]
}

// newBreaker returns the breaker c describes, or nil when c turns it off.
// State changes are logged: they are rare, and tell on-call when SNS went
// and came back as this instance saw it.
func newBreaker(c BreakerConfig, log *slog.Logger) *breaker {
	if c.Failures <= 0 {
		return nil
	}
	failures := uint32(c.Failures)
	return &breaker{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "sns-publish",
		MaxRequests: 1, // one probe; its success closes the breaker
		Timeout:     c.Cooldown,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= failures },
		IsExcluded:  func(err error) bool { return errors.Is(err, errNotAttempted) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			level := slog.LevelInfo
			if to == gobreaker.StateOpen {
				level = slog.LevelWarn
			}
			// No invocation context: the change belongs to the instance.
			log.Log(context.Background(), level, "SNS circuit breaker "+to.String(),
				"from", from.String(), "to", to.String(), "cooldown", c.Cooldown, "failures", c.Failures)
		},
	})}
}

// allow asks whether this invocation may call SNS. When it may (ok), done
// must be called with the outcome, and probe says the breaker is half-open
// and this call is its one probe.
func (b *breaker) allow() (done func(error), probe, ok bool) {
	done, err := b.cb.Allow()
	if err != nil { // open, or half-open with the probe already out
		return nil, false, false
	}
	return done, b.cb.State() == gobreaker.StateHalfOpen, true
}
