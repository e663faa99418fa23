package exporter_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify/snstest"
	"github.com/cogwatch/cogwatch/event"
)

func get(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// TestServe runs both listeners on loopback, with basic auth on /metrics
// from an exporter-toolkit web config file, and shuts down on cancel.
func TestServe(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	require.NoError(t, err)
	cfg := filepath.Join(t.TempDir(), "web.yml")
	require.NoError(t, os.WriteFile(cfg, []byte("basic_auth_users:\n  prometheus: "+string(hash)+"\n"), 0o600))

	s, err := snstest.NewServer("us-east-1", nil)
	require.NoError(t, err)
	defer s.Close()
	topic := s.TopicARN("user-events")
	addrs, systemd := []string{"127.0.0.1:0"}, false
	reg := prometheus.NewRegistry()
	e, err := exporter.New(exporter.Options{
		Topics: []string{topic}, HTTPClient: s.Client(), Registerer: reg, Gatherer: reg,
		Web: &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &cfg},
	})
	require.NoError(t, err)
	snsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, snsL, metricsL) }()
	snsURL, metricsURL := "http://"+snsL.Addr().String(), "http://"+metricsL.Addr().String()

	require.Eventually(t, func() bool {
		code, _ := get(t, snsURL+"/-/ready", "", "")
		return code == http.StatusOK
	}, 5*time.Second, 10*time.Millisecond)
	body := snstest.Marshal(s.Notification(topic, userEvent(t, "e1", event.SignInSucceeded, "c1", "", 3), time.Now(), "2"))
	resp, err := http.Post(snsURL+"/sns", "text/plain", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	code, _ := get(t, metricsURL+"/metrics", "", "")
	require.Equal(t, http.StatusUnauthorized, code, "web config's basic auth guards /metrics")
	code, text := get(t, metricsURL+"/metrics", "prometheus", "secret")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, text, `cogwatch_user_events_total{client_id="c1",reason="",type="cogwatch.signin.succeeded",user_pool_id="us-east-1_AbC123"} 1`)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	_, err = http.Get(snsURL + "/-/healthy")
	require.Error(t, err, "listeners are closed after shutdown")
}

func TestRunFailsOnBusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	err = exporter.Run(t.Context(), exporter.Options{SNSListenAddress: l.Addr().String(), Registerer: prometheus.NewRegistry()})
	require.ErrorContains(t, err, "SNS listener")
}

// TestServeSNSOverTLS serves the SNS listener with TLS from an
// exporter-toolkit web configuration file (--sns.web.config.file).
func TestServeSNSOverTLS(t *testing.T) {
	dir := t.TempDir()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	certFile, keyFile, cfg := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"), filepath.Join(dir, "sns.yml")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	require.NoError(t, os.WriteFile(cfg, []byte("tls_server_config:\n  cert_file: "+certFile+"\n  key_file: "+keyFile+"\n"), 0o600))

	reg := prometheus.NewRegistry()
	e, err := exporter.New(exporter.Options{Registerer: reg, Gatherer: reg, SNSWebConfigFile: cfg})
	require.NoError(t, err)
	snsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.Serve(ctx, snsL, metricsL) }()

	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	var resp *http.Response
	require.Eventually(t, func() bool {
		resp, err = client.Get("https://" + snsL.Addr().String() + "/-/ready")
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotNil(t, resp.TLS, "the SNS listener speaks TLS")
	cancel()
	require.NoError(t, <-done)
}
