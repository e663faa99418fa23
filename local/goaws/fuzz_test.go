package goaws

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzJSONSQS feeds arbitrary JSON SQS requests through the translator in
// front of a goaws stand-in that answers every call with a valid or broken
// XML body: the translator never panics and always answers JSON.
func FuzzJSONSQS(f *testing.F) {
	for _, seed := range []struct{ op, body string }{
		{"ReceiveMessage", `{"QueueUrl":"http://127.0.0.1:1/000000000000/q","MaxNumberOfMessages":10,"MessageAttributeNames":["All"]}`},
		{"SendMessage", `{"QueueUrl":"u","MessageBody":"b","MessageAttributes":{"type":{"DataType":"String","StringValue":"x"}}}`},
		{"DeleteMessageBatch", `{"QueueUrl":"u","Entries":[{"Id":"0","ReceiptHandle":"r"}]}`},
		{"CreateQueue", `{"QueueName":"q","Attributes":{"VisibilityTimeout":"1"}}`},
		{"GetQueueAttributes", `{"QueueUrl":"u","AttributeNames":["All"]}`},
		{"Bogus", `{}`},
		{"SendMessage", `{"MessageAttributes":{"a":1}}`},
		{"SendMessage", `[1,2`},
	} {
		f.Add(seed.op, seed.body, true)
		f.Add(seed.op, seed.body, false)
	}
	f.Fuzz(func(t *testing.T, op, body string, goodXML bool) {
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				t.Fatalf("translated request does not parse: %v", err)
			}
			if goodXML {
				_, _ = w.Write([]byte(`<ReceiveMessageResponse><ReceiveMessageResult><Message><MessageId>m</MessageId><Body>b</Body></Message></ReceiveMessageResult></ReceiveMessageResponse>`))
				return
			}
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(body))
		})
		h := jsonSQS(next, "http://us-east-1.127.0.0.1:1", "http://127.0.0.1:1")
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+op)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body.String())
		}
	})
}
