package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/spf13/cobra"

	"github.com/cogwatch/cogwatch/custom-resources/userpooltriggers"
	"github.com/cogwatch/cogwatch/triggers"
)

// poolTriggersFlags are attach's and detach's flags: the properties of
// Custom::UserPoolTriggers.
type poolTriggersFlags struct {
	userPoolID       string
	triggers, chain  []string // SLOT=ARN
	tokenVersion     string
	dryRun           bool
	endpoint, region string
}

func (f *poolTriggersFlags) bind(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.userPoolID, "user-pool-id", "", "the user pool (required)")
	fl.StringArrayVar(&f.triggers, "trigger", nil, "SLOT=ARN: cogwatch's function for a LambdaConfig slot ("+strings.Join(userpooltriggers.SlotNames(), ", ")+"); repeatable, at least one")
	fl.StringArrayVar(&f.chain, "chain", nil, "SLOT=ARN: the pool's own function of that slot, which cogwatch's trigger calls after its own work and which gets the slot back on detach (repeatable)")
	fl.StringVar(&f.tokenVersion, "pre-token-generation-version", "", "event version (V1_0, V2_0) an empty PreTokenGeneration slot gets with cogwatch's function (default "+string(userpooltriggers.DefaultPreTokenGenerationVersion)+"); a slot holding a function keeps its own")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the change of the pool's LambdaConfig, change nothing")
	fl.StringVar(&f.region, "region", "", "AWS region (default: the SDK's, e.g. AWS_REGION)")
	fl.StringVar(&f.endpoint, "endpoint", "", "Cognito API endpoint URL (default: the SDK's)")
}

// properties returns the flags as the resource's properties.
func (f *poolTriggersFlags) properties() (userpooltriggers.Properties, error) {
	p := userpooltriggers.Properties{UserPoolId: f.userPoolID, Triggers: map[string]string{}, Chained: map[string]string{},
		PreTokenGenerationVersion: types.PreTokenGenerationLambdaVersionType(f.tokenVersion)}
	for _, pairs := range []struct {
		flag string
		vals []string
		into map[string]string
	}{{"--trigger", f.triggers, p.Triggers}, {"--chain", f.chain, p.Chained}} {
		for _, v := range pairs.vals {
			slot, arn, ok := strings.Cut(v, "=")
			if !ok || slot == "" || arn == "" {
				return p, fmt.Errorf("%s %q: want SLOT=ARN", pairs.flag, v)
			}
			if _, dup := pairs.into[slot]; dup {
				return p, fmt.Errorf("%s: slot %s given twice", pairs.flag, slot)
			}
			pairs.into[slot] = arn
			if pairs.flag == "--trigger" {
				p.Slots = append(p.Slots, slot) // the slots named are the slots taken
			}
		}
	}
	p.ChainExisting = len(p.Chained) > 0
	if f.userPoolID == "" {
		return p, errors.New("--user-pool-id is required")
	}
	return p, p.Validate()
}

func newAttachCmd() *cobra.Command {
	var f poolTriggersFlags
	cmd := &cobra.Command{
		Use:   "attach --user-pool-id ID --trigger SLOT=ARN... [--chain SLOT=ARN...] [--dry-run]",
		Short: "Put cogwatch's functions in an existing user pool's LambdaConfig, as Custom::UserPoolTriggers does",
		Long: `Give cogwatch's functions their LambdaConfig slots in a user pool you already
have, exactly as the stack's Custom::UserPoolTriggers resource does: the pool is
described, every setting UpdateUserPool would otherwise reset is copied back,
only the named slots change, and the pool is read again after the write and
compared with the read before.

A slot that holds another function is refused unless --chain names that very
function: cogwatch's function then calls it after its own work and answers with
its response or error, which needs that function to know it
(COGWATCH_CHAIN_PRE_SIGN_UP and its siblings; the template's Chain* parameters
set them). detach gives the slot back to it. A PreTokenGeneration slot keeps
the event version it has (PreTokenGenerationConfig.LambdaVersion), so the
chained function gets the events it was written for; an empty one gets
--pre-token-generation-version.

--dry-run prints the change as a diff of the pool's LambdaConfig and changes
nothing. Exits 1 when the pool cannot be attached (the reason says why).`,
		Example: `  cogwatch attach --user-pool-id eu-west-1_AbCdEfGhI --dry-run \
    --trigger PreSignUp=arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PreSignUpFunction-1A2B3C \
    --chain PreSignUp=arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAttach(cmd.Context(), cmd.OutOrStdout(), f, getenvOf(cmd.Context()))
		},
	}
	f.bind(cmd)
	return cmd
}

func newDetachCmd() *cobra.Command {
	var f poolTriggersFlags
	cmd := &cobra.Command{
		Use:   "detach --user-pool-id ID --trigger SLOT=ARN... [--chain SLOT=ARN...] [--dry-run]",
		Short: "Give a user pool's LambdaConfig slots back from cogwatch's functions, as Custom::UserPoolTriggers does on delete",
		Long: `Give each slot of the user pool that still holds the cogwatch function --trigger
names back to the function --chain names for it, or empty it, every other
setting copied back, exactly as the stack's Custom::UserPoolTriggers resource
does on delete. A slot that holds another function by now is left as it is
(and said so): someone changed it since, and their change stands.

--dry-run prints the change as a diff of the pool's LambdaConfig and changes
nothing.`,
		Example: `  cogwatch detach --user-pool-id eu-west-1_AbCdEfGhI \
    --trigger PreSignUp=arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PreSignUpFunction-1A2B3C \
    --chain PreSignUp=arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDetach(cmd.Context(), cmd.OutOrStdout(), f, getenvOf(cmd.Context()))
		},
	}
	f.bind(cmd)
	return cmd
}

// poolTriggers builds the resource's engine for the flags.
func poolTriggers(ctx context.Context, f poolTriggersFlags, getenv func(string) string) (*userpooltriggers.Resource, userpooltriggers.Properties, error) {
	p, err := f.properties()
	if err != nil {
		return nil, p, usageError(err)
	}
	c, err := cognitoClient(ctx, f.endpoint, f.region, getenv)
	if err != nil {
		return nil, p, usageError(err)
	}
	return userpooltriggers.New(c, userpooltriggers.Options{}), p, nil
}

func runAttach(ctx context.Context, stdout io.Writer, f poolTriggersFlags, getenv func(string) string) error {
	r, p, err := poolTriggers(ctx, f, getenv)
	if err != nil {
		return err
	}
	var plan userpooltriggers.Plan
	if f.dryRun {
		plan, err = r.PlanAttach(ctx, p, userpooltriggers.Properties{})
	} else {
		plan, err = r.Attach(ctx, p, userpooltriggers.Properties{})
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, plan.Diff())
	for _, cs := range triggers.ChainSlots {
		if arn := p.Chained[cs.Slot]; arn != "" {
			fmt.Fprintf(stdout, "cogwatch's %s function must have %s=%s to call it.\n", cs.Slot, cs.Variable, arn)
		}
	}
	return done(stdout, f.dryRun, len(plan.Changes()), "attached")
}

func runDetach(ctx context.Context, stdout io.Writer, f poolTriggersFlags, getenv func(string) string) error {
	r, p, err := poolTriggers(ctx, f, getenv)
	if err != nil {
		return err
	}
	var plan userpooltriggers.Plan
	if f.dryRun {
		plan, err = r.PlanDetach(ctx, p.UserPoolId, p)
	} else {
		plan, err = r.Detach(ctx, p.UserPoolId, p)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(stdout, plan.Diff())
	for _, c := range plan.Left {
		fmt.Fprintf(stdout, "%s holds %s, not cogwatch's function: left as it is.\n", c.Slot, c.From)
	}
	return done(stdout, f.dryRun, len(plan.Changes()), "detached")
}

// done says what happened.
func done(w io.Writer, dryRun bool, changes int, what string) error {
	switch {
	case dryRun:
		_, err := fmt.Fprintln(w, "Dry run: nothing changed.")
		return err
	case changes == 0:
		_, err := fmt.Fprintln(w, "Nothing to change.")
		return err
	}
	_, err := fmt.Fprintf(w, "%s %d slot(s); every other setting of the pool checked unchanged.\n", strings.ToUpper(what[:1])+what[1:], changes)
	return err
}
