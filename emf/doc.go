// Package emf writes CloudWatch Embedded Metric Format (EMF) log lines, and reads them back.
//
// It never calls an AWS API: a Lambda function writes the lines to stdout,
// CloudWatch Logs extracts the metrics. CloudWatch drops an invalid document
// silently (the line stays a log, the metric is lost), so the writer enforces
// the specification's limits itself, by splitting a batch over several lines
// or by a clear error:
//
//   - at most [MaxMetrics] metrics per document, [MaxValues] values per metric
//     per document, [MaxDimensions] dimensions per dimension set;
//   - metric names, dimension names and values of the lengths and characters
//     CloudWatch accepts (printable ASCII, see [Metrics.Put] and
//     [Metrics.SetDimension]), and the namespace's character set;
//   - only the 27 CloudWatch units ([Unit]) and storage resolution 1 or 60;
//   - a metric without dimensions gets the empty dimension set, written [[]];
//   - lines of at most [MaxDocumentBytes], well under CloudWatch Logs' event limit;
//   - no NaN or infinite values, nor values CloudWatch refuses (beyond 2^±360).
//
// A [Writer] holds what every line shares (namespace, default dimension sets
// and values) and is safe for concurrent use. Each invocation takes its own
// [Metrics] from [Writer.New], so invocations that aws-lambda-go runs at once
// (AWS_LAMBDA_MAX_CONCURRENCY) never mix their metrics:
//
//	w := emf.NewWriter(os.Stdout, emf.Options{
//		Namespace:     "Cogwatch",
//		DimensionSets: [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}},
//	})
//	m := w.New() // per invocation
//	m.SetDimension("UserPoolId", poolID)
//	m.SetDimension("ClientId", clientID) // "" (Cognito's null) leaves the second set out
//	m.Put("SignInSucceeded", 1, emf.Count)
//	err := m.Flush() // one line
//
// A dimension set that names a dimension without a value in the document is
// left out of that document: with the sets above and no ClientId, the line
// carries only [UserPoolId]. When every set of a metric is left out, the
// metric's values are still written as plain members (visible to Logs
// Insights) but no metric is extracted, and Flush says so in its error.
//
// [Parse] reads a line back as CloudWatch Logs extracts metrics from it, into
// a [Document] and its [Datum] values: the one reader of EMF lines for the
// local stack's in-memory CloudWatch and for tests.
//
// Specification:
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package emf
