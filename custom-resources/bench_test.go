package customresources

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
)

// BenchmarkAnswer answers a successful Create over loopback HTTP, with the
// runtime and with aws-lambda-go's cfn.LambdaWrap, to show what the watchdog,
// size guard and logging cost beside the PUT itself.
func BenchmarkAnswer(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	defer srv.Close()
	ev := testEvent(srv.URL+"/r", cfn.RequestCreate, "", map[string]any{"Name": "x"})
	payload, _ := json.Marshal(ev)
	data := map[string]any{"Answer": "42"}

	rt := New(func(context.Context, cfn.Event) (Result, error) {
		return Result{PhysicalResourceID: "thing-1", Data: data}, nil
	}, Options{Send: SendOptions{Client: http.DefaultClient}})
	wrapped := cfn.LambdaWrap(func(context.Context, cfn.Event) (string, map[string]any, error) {
		return "thing-1", data, nil
	})

	b.Run("cogwatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rt.Invoke(b.Context(), payload); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cfn.LambdaWrap", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var e cfn.Event
			if err := json.Unmarshal(payload, &e); err != nil {
				b.Fatal(err)
			}
			if _, err := wrapped(b.Context(), e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
