// Package dashboards holds the one definition of what on-call looks at for a
// cogwatch deployment, and renders it to every form it is read in:
//
//   - CloudWatch dashboards (a two-week summary and an hours-long detail view,
//     on CloudWatch's 24-column grid) and CloudWatch alarms, embedded in
//     template.yaml by [UpdateTemplate];
//   - a Grafana dashboard and Prometheus alerting rules over the metrics of
//     cogwatch-exporter.
//
// `cogwatch local` draws the detail dashboard's widgets from the local stack's
// live data with local/dashboard; that page and its in-memory CloudWatch are
// not part of this package, which production code links.
//
// Every metric a widget or an alarm reads is either one cogwatch emits (listed
// in internal/catalog) or one AWS publishes (AWS/Lambda, AWS/SQS, AWS/SNS,
// AWS/Cognito, AWS/Usage); the tests prove it, so no widget is an orphan.
//
// It does not call any AWS API: CloudFormation creates what it renders.
package dashboards
