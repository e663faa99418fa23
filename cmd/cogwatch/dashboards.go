package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cogwatch/cogwatch/dashboards"
)

func newDashboardsCmd() *cobra.Command {
	group := &cobra.Command{
		Use:   "dashboards",
		Short: "Render the dashboards, alarms and alerting rules",
		Long: `The dashboards, alarms and alerting rules are one Go definition (package
dashboards); these commands render it.`,
	}
	group.AddCommand(newDashboardsRenderCmd())
	return group
}

func newDashboardsRenderCmd() *cobra.Command {
	var (
		out      string
		template string
		check    bool
		params   map[string]string
	)
	cmd := &cobra.Command{
		Use:   "render",
		Short: "Write the CloudWatch dashboards and alarms, the Grafana dashboard and the Prometheus rules",
		Long: `Write every rendering of the dashboards' definition under --out:

  cloudwatch/summary.json, cloudwatch/detail.json   CloudWatch dashboard bodies
  cloudwatch/template-resources.yaml                the dashboards and alarms as CloudFormation resources
  grafana/cogwatch.json                             Grafana dashboard over cogwatch-exporter's metrics
  prometheus/cogwatch.rules.yml                     Prometheus alerting rules over the same metrics

Dimension values are placeholders such as ${UserPool} and ${PreSignUpFunction}
(CloudFormation's Fn::Sub fills them in template.yaml); --param fills them for a
dashboard created by hand with PutDashboard.

With --template, the generated part of the SAM template (between its BEGIN
GENERATED and END GENERATED markers) is rewritten too; with --check as well,
nothing is written and the command fails when the template is out of date.`,
		Example: `cogwatch dashboards render --out build/dashboards
cogwatch dashboards render --out /tmp/d --param UserPool=eu-west-1_AbC --param AWS::Region=eu-west-1
cogwatch dashboards render --template template.yaml --check`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" && template == "" {
				return usageErrorf("give --out, --template or both")
			}
			if check && template == "" {
				return usageErrorf("--check needs --template")
			}
			if len(params) > 0 && out == "" {
				return usageErrorf("--param fills the dashboards written under --out: give --out")
			}
			if err := checkParams(params); err != nil {
				return usageError(err)
			}
			w := cmd.OutOrStdout()
			if out != "" {
				written, err := dashboards.Render(out, dashboards.Params(params))
				if err != nil {
					return err
				}
				for _, p := range written {
					fmt.Fprintln(w, p)
				}
			}
			if template == "" {
				return nil
			}
			if check {
				old, err := os.ReadFile(template)
				if err != nil {
					return usageError(err)
				}
				gen, err := dashboards.TemplateResources()
				if err != nil {
					return err
				}
				want, err := dashboards.ReplaceGenerated(old, gen)
				if err != nil {
					return usageError(err)
				}
				if string(want) != string(old) {
					return errors.New(template + " is out of date: run cogwatch dashboards render --template " + template)
				}
				fmt.Fprintln(w, template+" is up to date")
				return nil
			}
			changed, err := dashboards.UpdateTemplate(template)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) || errors.Is(err, dashboards.ErrNoMarkers) {
					return usageError(err)
				}
				return err
			}
			if changed {
				fmt.Fprintln(w, template+" updated")
			} else {
				fmt.Fprintln(w, template+" is up to date")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "directory to write the renderings to")
	cmd.Flags().StringVar(&template, "template", "", "SAM template whose generated dashboards and alarms to rewrite (template.yaml)")
	cmd.Flags().BoolVar(&check, "check", false, "with --template: write nothing, fail when the template is out of date")
	cmd.Flags().StringToStringVar(&params, "param", nil, "fill a placeholder of the dashboards, NAME=VALUE (repeatable), e.g. UserPool=eu-west-1_AbC; an unknown NAME is an error that lists the names")
	return cmd
}

// checkParams refuses --param names that no dashboard has as a placeholder:
// a misspelt name would otherwise leave its placeholders unfilled, silently.
func checkParams(params map[string]string) error {
	if len(params) == 0 {
		return nil
	}
	valid, err := placeholderNames()
	if err != nil {
		return err
	}
	var unknown []string
	for name := range params {
		if !slices.Contains(valid, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return fmt.Errorf("--param %s: no such placeholder in the dashboards; the names are %s",
		strings.Join(unknown, ", "), strings.Join(valid, ", "))
}

// placeholderNames lists, sorted, the ${NAME} placeholders of the
// dashboards' bodies: what --param can fill.
func placeholderNames() ([]string, error) {
	var names []string
	for _, d := range dashboards.Dashboards() {
		body, err := d.Body(nil)
		if err != nil {
			return nil, err
		}
		for _, p := range dashboards.Placeholders(string(body)) {
			if !slices.Contains(names, p) {
				names = append(names, p)
			}
		}
	}
	slices.Sort(names)
	return names, nil
}
