package emf_test

import (
	"fmt"
	"os"
	"time"

	"github.com/cogwatch/cogwatch/emf"
)

// A Cognito trigger writes one line per invocation: the user pool and app
// client are dimensions; each invocation has its own Metrics.
func Example() {
	w := emf.NewWriter(os.Stdout, emf.Options{
		Namespace:     "Cogwatch",
		DimensionSets: [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}},
		Now:           func() time.Time { return time.UnixMilli(1700000000000) },
	})
	m := w.New()
	m.SetDimension("UserPoolId", "eu-west-1_AbCdEf123")
	m.SetDimension("ClientId", "4example7clientid")
	m.SetProperty("requestId", "5d5c3b9e-0f3a-4a51-9d1c-1b0a2e7c9f00")
	_ = m.Put("SignInSucceeded", 1, emf.Count)
	_ = m.Put("TriggerLatency", 14.2, emf.Milliseconds)
	if err := m.Flush(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"],["UserPoolId","ClientId"]],"Metrics":[{"Name":"SignInSucceeded","Unit":"Count"},{"Name":"TriggerLatency","Unit":"Milliseconds"}]}]},"UserPoolId":"eu-west-1_AbCdEf123","ClientId":"4example7clientid","requestId":"5d5c3b9e-0f3a-4a51-9d1c-1b0a2e7c9f00","SignInSucceeded":1,"TriggerLatency":14.2}
}

// Cognito sends a null clientId for some trigger sources. Its empty value
// leaves the [UserPoolId, ClientId] set out of the document; the metric is
// still counted per user pool.
func ExampleMetrics_SetDimension_missingValue() {
	w := emf.NewWriter(os.Stdout, emf.Options{
		Namespace:     "Cogwatch",
		DimensionSets: [][]string{{"UserPoolId"}, {"UserPoolId", "ClientId"}},
		Now:           func() time.Time { return time.UnixMilli(1700000000000) },
	})
	m := w.New()
	m.SetDimension("UserPoolId", "eu-west-1_AbCdEf123")
	m.SetDimension("ClientId", "") // Cognito's null
	_ = m.Put("UserConfirmed", 1, emf.Count)
	_ = m.Flush()
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"]],"Metrics":[{"Name":"UserConfirmed","Unit":"Count"}]}]},"UserPoolId":"eu-west-1_AbCdEf123","UserConfirmed":1}
}

// A metric with its own dimension sets goes in a second directive of the
// same line.
func ExampleMetrics_PutWithDimensions() {
	w := emf.NewWriter(os.Stdout, emf.Options{
		Namespace:     "Cogwatch",
		DimensionSets: [][]string{{"UserPoolId"}},
		Now:           func() time.Time { return time.UnixMilli(1700000000000) },
	})
	m := w.New()
	m.SetDimension("UserPoolId", "eu-west-1_AbCdEf123")
	m.SetDimension("Reason", "disposable_domain")
	_ = m.Put("SignUpRejected", 1, emf.Count)
	_ = m.PutWithDimensions("SignUpRejectedByReason", 1, emf.Count, []string{"UserPoolId", "Reason"})
	_ = m.Flush()
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[["UserPoolId"]],"Metrics":[{"Name":"SignUpRejected","Unit":"Count"}]},{"Namespace":"Cogwatch","Dimensions":[["UserPoolId","Reason"]],"Metrics":[{"Name":"SignUpRejectedByReason","Unit":"Count"}]}]},"UserPoolId":"eu-west-1_AbCdEf123","Reason":"disposable_domain","SignUpRejected":1,"SignUpRejectedByReason":1}
}

// Putting a metric again adds a value; a metric without dimension sets has
// the empty set; high-resolution metrics carry StorageResolution 1.
func ExampleMetrics_Put_values() {
	w := emf.NewWriter(os.Stdout, emf.Options{
		Namespace: "Cogwatch",
		Now:       func() time.Time { return time.UnixMilli(1700000000000) },
	})
	m := w.New()
	for _, ms := range []float64{12, 15.5, 9} {
		_ = m.Put("PublishLatency", ms, emf.Milliseconds)
	}
	_ = m.PutHighResolution("QueueDepth", 3, emf.Count)
	_ = m.Flush()
	// Output:
	// {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Cogwatch","Dimensions":[[]],"Metrics":[{"Name":"PublishLatency","Unit":"Milliseconds"},{"Name":"QueueDepth","Unit":"Count","StorageResolution":1}]}]},"PublishLatency":[12,15.5,9],"QueueDepth":3}
}

// A bad option is reported at start, not by a lost metric later.
func ExampleWriter_Err() {
	w := emf.NewWriter(os.Stdout, emf.Options{Namespace: "AWS/Cognito"})
	fmt.Println(w.Err())
	// Output:
	// emf: Options.Namespace: invalid namespace: "AWS/Cognito": AWS/ is reserved for AWS services
}
