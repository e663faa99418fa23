package local_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/local"
)

// start brings a stack up for the test (skipped under -short) and closes
// it when the test ends, if the test did not.
func start(t *testing.T, opts local.Options) *local.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the local stack: cognito-local and goaws")
	}
	s, err := local.Start(t.Context(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestStackStartsAndStopsEverything(t *testing.T) {
	s := start(t, local.Options{WarmInterval: -1})
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
	require.Contains(t, e.TopicARN, ":"+local.TopicName)

	path := filepath.Join(t.TempDir(), "endpoints.json")
	require.NoError(t, s.WriteEndpoints(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var keys map[string]any
	require.NoError(t, json.Unmarshal(b, &keys))
	for _, k := range []string{"cognito", "sns", "lambda", "exporter", "dashboard", "userPoolId", "clientId", "topicArn"} {
		require.Contains(t, keys, k)
	}

	pids := s.ChildPIDs()
	require.Len(t, pids, 1)
	dir := s.Dir()
	require.NoError(t, s.Close())
	for _, pid := range pids {
		require.False(t, local.GroupAlive(pid), "process group %d outlived Close", pid)
	}
	_, err = os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist, "the temporary run directory is removed")
	_, err = http.Get(e.Cognito + "/health")
	require.Error(t, err)
}

func TestCrashedEmulatorIsReportedAndNothingOutlivesClose(t *testing.T) {
	s := start(t, local.Options{WarmInterval: -1})
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
	require.False(t, local.GroupAlive(pids[0]))
}
