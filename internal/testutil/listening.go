package testutil

import (
	"bufio"
	"encoding/json"
	"io"
	"testing"
	"time"
)

// ListeningOn reads an exporter's JSON logs until n listeners have said
// where they listen (exporter-toolkit's "Listening on" line) and returns
// their addresses by listener: "sns" for the SNS one, "" for the metrics
// one, which logs no listener name. It fails t when the logs end first or a
// minute passes.
func ListeningOn(t testing.TB, logs io.Reader, n int) map[string]string {
	t.Helper()
	found := make(chan map[string]string, 1)
	ended := make(chan string, 1)
	go func() {
		addrs, all := map[string]string{}, ""
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			all += sc.Text() + "\n"
			var line struct{ Msg, Address, Listener string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "Listening on" {
				if addrs[line.Listener] = line.Address; len(addrs) == n {
					found <- addrs
				}
			}
		}
		ended <- all
	}()
	select {
	case addrs := <-found:
		return addrs
	case all := <-ended:
		t.Fatalf("the exporter stopped before it listened:\n%s", all)
	case <-time.After(time.Minute):
		t.Fatal("the exporter did not say where it listens")
	}
	return nil
}
