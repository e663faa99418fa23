package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/spf13/cobra"

	customresources "github.com/cogwatch/cogwatch/custom-resources"
)

// maxEventFile bounds what `cfn respond` reads: an event is a few KB.
const maxEventFile = 1 << 20

type cfnRespondFlags struct {
	eventFile  string
	status     string
	reason     string
	physicalID string
	data       map[string]string
	dryRun     bool
	timeout    time.Duration
}

func newCfnCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cfn",
		Short: "Work with cogwatch's CloudFormation custom resources",
	}
	cmd.AddCommand(newCfnRespondCmd())
	return cmd
}

func newCfnRespondCmd() *cobra.Command {
	var f cfnRespondFlags
	cmd := &cobra.Command{
		Use:   "respond --event FILE --status SUCCESS|FAILED [--reason TEXT]",
		Short: "Answer a stuck custom resource by hand",
		Long: `Answer CloudFormation for a custom-resource event, by hand: for a stack stuck
waiting on a custom resource whose function never answered (deleted, broken,
out of time), instead of waiting for the resource's ServiceTimeout.

--event is the event CloudFormation sent (- for standard input): the JSON
document itself, or the "custom resource event" log line the cogwatch runtime
writes for every event, which carries it under "event". The answer is PUT to
the event's pre-signed ResponseURL (valid for about two hours), with retries.

The physical id defaults to the event's; a failed Create gets the runtime's
marker id, so that CloudFormation's Delete succeeds without touching
anything. A successful Create needs --physical-id.`,
		Example: `  aws logs filter-log-events --log-group-name /aws/lambda/cogwatch-UserPoolDomainFunction \
    --filter-pattern '"custom resource event"' --query 'events[-1].message' --output text > event.json
  cogwatch cfn respond --event event.json --status FAILED --reason "answered by hand: see ticket 123"`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCfnRespond(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.eventFile, "event", "", "file holding the event JSON or the runtime's log line, - for standard input (required)")
	fl.StringVar(&f.status, "status", "", "SUCCESS or FAILED (required)")
	fl.StringVar(&f.reason, "reason", "", "reason shown in the stack events (FAILED: default \"answered by hand\")")
	fl.StringVar(&f.physicalID, "physical-id", "", "physical resource id to answer (default: the event's, or the failed-create marker)")
	fl.StringToStringVar(&f.data, "data", nil, "Data for Fn::GetAtt, as KEY=VALUE pairs (repeatable)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the answer instead of sending it")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "deadline of the answer, retries included")
	return cmd
}

func runCfnRespond(ctx context.Context, stdin io.Reader, stdout io.Writer, f cfnRespondFlags) error {
	status := cfn.StatusType(strings.ToUpper(f.status))
	if status != cfn.StatusSuccess && status != cfn.StatusFailed {
		return usageErrorf("--status %q: want SUCCESS or FAILED", f.status)
	}
	if f.eventFile == "" {
		return usageErrorf("--event is required")
	}
	in := stdin
	if f.eventFile != "-" {
		file, err := os.Open(f.eventFile)
		if err != nil {
			return usageError(err)
		}
		defer file.Close()
		in = file
	}
	raw, err := io.ReadAll(io.LimitReader(in, maxEventFile+1))
	if err != nil {
		return fmt.Errorf("read %s: %w", f.eventFile, err)
	}
	if len(raw) > maxEventFile {
		return usageErrorf("%s: larger than %d KiB: not an event", f.eventFile, maxEventFile>>10)
	}
	ev, err := customresources.DecodeEvent(eventOf(raw))
	if err != nil {
		return usageErrorf("%s: %v", f.eventFile, err)
	}
	id := f.physicalID
	switch {
	case id != "":
	case ev.RequestType != cfn.RequestCreate:
		id = ev.PhysicalResourceID
	case status == cfn.StatusFailed:
		id = customresources.FailedCreateID(ev.RequestID)
	default:
		return usageErrorf("a successful Create needs --physical-id: the id of what exists")
	}
	reason := f.reason
	if reason == "" && status == cfn.StatusFailed {
		reason = "answered by hand"
	}
	resp := customresources.NewResponse(ev, status, id, reason)
	if len(f.data) > 0 {
		resp.Data = make(map[string]any, len(f.data))
		for k, v := range f.data {
			resp.Data[k] = v
		}
	}
	body, sent, err := customresources.Body(resp)
	if err != nil {
		return err
	}
	if sent.Status != status {
		return fmt.Errorf("the answer does not fit CloudFormation's limit: %s", sent.Reason)
	}
	if f.dryRun {
		var out bytes.Buffer
		_ = json.Indent(&out, body, "", "  ")
		_, err := fmt.Fprintln(stdout, out.String())
		return err
	}
	if err := customresources.Send(ctx, ev.ResponseURL, body, customresources.SendOptions{Timeout: f.timeout}); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "answered %s for %s (%s %s, physical id %s)\n", status, ev.LogicalResourceID, ev.RequestType, ev.RequestID, id)
	return err
}

// eventOf returns the event in raw: raw itself, or the "event" member of a
// runtime log line.
func eventOf(raw []byte) []byte {
	var line struct {
		Event json.RawMessage `json:"event"`
	}
	if json.Unmarshal(raw, &line) == nil && len(line.Event) > 0 && line.Event[0] == '{' {
		return line.Event
	}
	return raw
}
