package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/stretchr/testify/require"
)

func TestCfnRespond(t *testing.T) {
	var mu sync.Mutex
	var puts []cfn.Response
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var resp cfn.Response
		if r.Method != http.MethodPut || json.Unmarshal(b, &resp) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		puts = append(puts, resp)
		mu.Unlock()
	}))
	defer srv.Close()

	event := func(typ, physicalID string) string {
		ev := map[string]any{"RequestType": typ, "RequestId": "req-9", "ResponseURL": srv.URL + "/r?sig=x",
			"StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1", "LogicalResourceId": "UserPoolDomain",
			"ResourceType": "Custom::UserPoolDomain", "ResourceProperties": map[string]any{"Domain": "acme-auth"}}
		if physicalID != "" {
			ev["PhysicalResourceId"] = physicalID
		}
		b, _ := json.Marshal(ev)
		return string(b)
	}
	logLine := func(ev string) string {
		return `{"timestamp":"2026-01-01T00:00:00Z","level":"INFO","message":"custom resource event","requestType":"Delete","event":` + ev + `}`
	}
	write := func(content string) string {
		p := filepath.Join(t.TempDir(), "event.json")
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}

	tests := []struct {
		name    string
		input   string
		args    []string
		stdin   string
		want    cfn.Response
		wantOut string
	}{
		{name: "failed create gets the marker id", input: event("Create", ""), args: []string{"--status", "FAILED"},
			want: cfn.Response{Status: cfn.StatusFailed, PhysicalResourceID: "cogwatch-failed-create-req-9", Reason: "answered by hand"}},
		{name: "successful delete from a log line", input: logLine(event("Delete", "acme-auth")), args: []string{"--status", "success", "--reason", "gone already"},
			want: cfn.Response{Status: cfn.StatusSuccess, PhysicalResourceID: "acme-auth", Reason: "gone already"}},
		{name: "successful create with id and data, from stdin", stdin: event("Create", ""), args: []string{"--status", "SUCCESS", "--physical-id", "acme-auth", "--data", "AliasHostedZoneId=Z2FDTNDATAQYW2"},
			want: cfn.Response{Status: cfn.StatusSuccess, PhysicalResourceID: "acme-auth", Data: map[string]any{"AliasHostedZoneId": "Z2FDTNDATAQYW2"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			puts = nil
			mu.Unlock()
			file := "-"
			if tc.input != "" {
				file = write(tc.input)
			}
			r := cogwatch(t.Context(), strings.NewReader(tc.stdin), append([]string{"cfn", "respond", "--event", file}, tc.args...)...)
			require.Equal(t, 0, r.code, r.stderr)
			require.Contains(t, r.stdout, "answered "+string(tc.want.Status)+" for UserPoolDomain")
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, puts, 1)
			tc.want.RequestID, tc.want.LogicalResourceID, tc.want.StackID = "req-9", "UserPoolDomain", "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1"
			require.Equal(t, tc.want, puts[0])
		})
	}

	t.Run("dry run sends nothing", func(t *testing.T) {
		mu.Lock()
		puts = nil
		mu.Unlock()
		r := cogwatch(t.Context(), nil, "cfn", "respond", "--event", write(event("Update", "acme-auth")), "--status", "FAILED", "--dry-run")
		require.Equal(t, 0, r.code, r.stderr)
		require.Contains(t, r.stdout, `"PhysicalResourceId": "acme-auth"`)
		require.Empty(t, puts)
	})

	usage := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "bad status", args: []string{"--event", write(event("Create", "")), "--status", "DONE"}, wantErr: `--status "DONE": want SUCCESS or FAILED`},
		{name: "no event", args: []string{"--status", "FAILED"}, wantErr: "--event is required"},
		{name: "not an event", args: []string{"--event", write(`{"hello":1}`), "--status", "FAILED"}, wantErr: "invalid custom resource event"},
		{name: "successful create without id", args: []string{"--event", write(event("Create", "")), "--status", "SUCCESS"}, wantErr: "a successful Create needs --physical-id"},
		{name: "missing file", args: []string{"--event", filepath.Join(t.TempDir(), "none.json"), "--status", "FAILED"}, wantErr: "no such file"},
	}
	for _, tc := range usage {
		t.Run(tc.name, func(t *testing.T) {
			r := cogwatch(t.Context(), nil, append([]string{"cfn", "respond"}, tc.args...)...)
			require.Equal(t, 2, r.code)
			require.Contains(t, r.stderr, tc.wantErr)
		})
	}

	t.Run("refused answer fails", func(t *testing.T) {
		gone := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
		defer gone.Close()
		ev := strings.Replace(event("Delete", "x"), srv.URL, gone.URL, 1)
		r := cogwatch(t.Context(), nil, "cfn", "respond", "--event", write(ev), "--status", "SUCCESS")
		require.Equal(t, 1, r.code)
		require.Contains(t, r.stderr, "response URL answered 403")
	})
}
