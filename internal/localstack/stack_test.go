package localstack_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/localstack"
)

func TestStackStartsAndStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cognito-local and goaws")
	}
	s, err := localstack.Start(t.Context(), localstack.Options{WarmInterval: -1})
	require.NoError(t, err)
	defer s.Close()
	e := s.Endpoints()
	for _, u := range []string{e.Cognito + "/health", e.SNS + "/health", e.Exporter + "/metrics"} {
		resp, err := http.Get(u)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, u)
	}
	require.NotEmpty(t, e.UserPoolID)
	require.NotEmpty(t, e.ClientID)
	require.NotEmpty(t, e.Exporter)
	require.Contains(t, e.TopicARN, ":"+localstack.TopicName)

	path := filepath.Join(t.TempDir(), "endpoints.json")
	require.NoError(t, s.WriteEndpoints(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var keys map[string]any
	require.NoError(t, json.Unmarshal(b, &keys))
	for _, k := range []string{"cognito", "sns", "lambda", "exporter", "userPoolId", "clientId", "topicArn"} {
		require.Contains(t, keys, k)
	}

	pids := s.ChildPIDs()
	require.Len(t, pids, 1)
	dir := s.Dir()
	require.NoError(t, s.Close())
	for _, pid := range pids {
		require.False(t, localstack.GroupAlive(pid), "process group %d outlived Close", pid)
	}
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist, "the temporary run directory is removed")
	_, err = http.Get(e.Cognito + "/health")
	require.Error(t, err)
}

func TestCrashedEmulatorIsReportedAndNothingOutlivesClose(t *testing.T) {
	if testing.Short() {
		t.Skip("starts cognito-local and goaws")
	}
	s, err := localstack.Start(t.Context(), localstack.Options{WarmInterval: -1})
	require.NoError(t, err)
	defer s.Close()
	pids := s.ChildPIDs()
	require.Len(t, pids, 1)
	require.NoError(t, syscall.Kill(pids[0], syscall.SIGKILL))
	select {
	case err := <-s.Crashed():
		require.ErrorContains(t, err, "cognito-local: signal: killed")
	case <-time.After(10 * time.Second):
		t.Fatal("the crash was not reported")
	}
	require.NoError(t, s.Close())
	require.False(t, localstack.GroupAlive(pids[0]))
}
