package samtemplate

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExporterQueue checks the exporter's pull-mode resources: absent by
// default; with ExporterQueue=true, a queue with a dead-letter queue,
// subscribed to the user-event topic, and a managed policy that lets the
// exporter receive and delete from that queue only, and decrypt through SQS.
func TestExporterQueue(t *testing.T) {
	t.Parallel()
	tmpl := load(t, templatePath)
	ids := []string{"ExporterEventsDLQ", "ExporterEventsQueue", "ExporterEventsQueuePolicy", "ExporterEventsSubscription", "ExporterPullPolicy"}
	for _, id := range ids {
		require.Equal(t, "HasExporterQueue", tmpl.Resources()[id]["Condition"], id)
	}
	off, err := tmpl.Resolve(nil)
	require.NoError(t, err)
	for _, id := range ids {
		require.NotContains(t, off.Resources(), id, "off by default")
	}

	on, err := tmpl.Resolve(map[string]any{"ExporterQueue": "true"})
	require.NoError(t, err)
	for _, id := range ids {
		require.Contains(t, on.Resources(), id)
	}
	sub := tmpl.Props("ExporterEventsSubscription")
	require.Equal(t, "UserEventsTopic", ref(sub["TopicArn"]))
	require.Equal(t, "ExporterEventsQueue", ref(sub["Endpoint"]))
	redrive, _ := tmpl.Props("ExporterEventsQueue")["RedrivePolicy"].(map[string]any)
	require.Equal(t, "ExporterEventsDLQ", ref(redrive["deadLetterTargetArn"]))
	require.Equal(t, "KmsKey", ref(tmpl.Props("ExporterEventsQueue")["KmsMasterKeyId"]))

	doc, _ := tmpl.Props("ExporterPullPolicy")["PolicyDocument"].(map[string]any)
	sts, _ := doc["Statement"].([]any)
	grants := map[string]string{}
	for _, s := range sts {
		st, _ := s.(map[string]any)
		require.Equal(t, "Allow", st["Effect"])
		for _, a := range strs(st["Action"]) {
			grants[a] = ref(st["Resource"])
		}
	}
	require.Equal(t, map[string]string{
		"sqs:ReceiveMessage": "ExporterEventsQueue",
		"sqs:DeleteMessage":  "ExporterEventsQueue", // DeleteMessageBatch's permission
		"kms:Decrypt":        "KmsKey",
	}, grants)
}
