package snstest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cogwatch/cogwatch/consumers/exporter/snsverify"
)

// TimeFormat is the layout of SNS Timestamps.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// Signer holds an RSA-2048 signing key and its self-signed certificate.
type Signer struct {
	Key     *rsa.PrivateKey
	CertPEM []byte
}

// NewSigner generates a signing key and certificate valid for a day.
func NewSigner() (*Signer, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return signerFor(key, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
}

// LoadSigner returns a Signer of a PEM-encoded PKCS#8 RSA key (a fixed test
// key), with a certificate valid from 2000 to 2100, so that fixtures signed
// with it verify under a fixed test clock.
func LoadSigner(keyPEM []byte) (*Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("snstest: key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("snstest: key is %T, not RSA", k)
	}
	return signerFor(key, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
}

func signerFor(key *rsa.PrivateKey, notBefore, notAfter time.Time) (*Signer, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &Signer{Key: key, CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

// Sign sets m's SignatureVersion ("1" or "2") and Signature.
func (s *Signer) Sign(m *snsverify.Message, version string) {
	m.SignatureVersion = version
	var digest []byte
	hash := crypto.SHA256
	if version == "1" {
		d := sha1.Sum(m.StringToSign())
		digest, hash = d[:], crypto.SHA1
	} else {
		d := sha256.Sum256(m.StringToSign())
		digest = d[:]
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.Key, hash, digest)
	if err != nil {
		panic(err) // a 2048-bit key signs any digest
	}
	m.Signature = base64.StdEncoding.EncodeToString(sig)
}

// Marshal encodes m as SNS posts it: fields in SNS's order, UnsubscribeURL
// and MessageAttributes on notifications (unsigned, as in real deliveries).
func Marshal(m *snsverify.Message) []byte {
	type attr struct{ Type, Value string }
	var v any
	if m.Type == snsverify.TypeNotification {
		v = struct {
			Type              string
			MessageID         string `json:"MessageId"`
			TopicArn          string
			Subject           string `json:",omitempty"`
			Message           string
			Timestamp         string
			SignatureVersion  string
			Signature         string
			SigningCertURL    string
			UnsubscribeURL    string
			MessageAttributes map[string]attr
		}{m.Type, m.MessageID, m.TopicARN, m.Subject, m.Message, m.Timestamp, m.SignatureVersion, m.Signature,
			m.SigningCertURL, "https://sns.example.invalid/?Action=Unsubscribe&SubscriptionArn=" + m.TopicARN + ":x",
			map[string]attr{"type": {"String", "cogwatch.signin.succeeded"}}}
	} else {
		v = struct {
			Type             string
			MessageID        string `json:"MessageId"`
			Token            string
			TopicArn         string
			Message          string
			SubscribeURL     string
			Timestamp        string
			SignatureVersion string
			Signature        string
			SigningCertURL   string
		}{m.Type, m.MessageID, m.Token, m.TopicARN, m.Message, m.SubscribeURL, m.Timestamp, m.SignatureVersion,
			m.Signature, m.SigningCertURL}
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// NewID returns a random UUID-shaped id.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Server is a TLS server on 127.0.0.1 that poses as the SNS host of a
// region: it serves the signer's certificate at
// /SimpleNotificationService-<hex>.pem and answers ConfirmSubscription
// GETs at /. Client trusts it and dials it whatever the host name.
type Server struct {
	*Signer
	Region   string
	Host     string // sns.<region>.amazonaws.com
	CertPath string // /SimpleNotificationService-<hex>.pem
	srv      *httptest.Server
	client   *http.Client

	certFetches   atomic.Int64
	mu            sync.Mutex
	confirmations []url.Values
}

// NewServer starts a Server for region (us-east-1 if empty) that signs with
// signer (a new one if nil). The certificate path derives from the key, so a
// fixed key gives fixed URLs and signatures that stay valid across runs.
func NewServer(region string, signer *Signer) (*Server, error) {
	if region == "" {
		region = "us-east-1"
	}
	if signer == nil {
		var err error
		if signer, err = NewSigner(); err != nil {
			return nil, err
		}
	}
	id := sha256.Sum256(signer.Key.PublicKey.N.Bytes())
	s := &Server{Signer: signer, Region: region, Host: "sns." + region + ".amazonaws.com",
		CertPath: "/SimpleNotificationService-" + hex.EncodeToString(id[:16]) + ".pem"}
	tlsCert, pool, err := serverCert(s.Host)
	if err != nil {
		return nil, err
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{tlsCert}}
	s.srv.StartTLS()
	addr := s.srv.Listener.Addr().String()
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			if host, _, _ := net.SplitHostPort(hostport); host == s.Host {
				hostport = addr
			}
			return (&net.Dialer{}).DialContext(ctx, network, hostport)
		},
	}
	s.client = &http.Client{Transport: tr, Timeout: 5 * time.Second}
	return s, nil
}

func serverCert(host string) (tls.Certificate, *x509.CertPool, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == s.CertPath:
		s.certFetches.Add(1)
		_, _ = w.Write(s.CertPEM)
	case r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.Query().Get("Action") == "ConfirmSubscription":
		s.mu.Lock()
		s.confirmations = append(s.confirmations, r.URL.Query())
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>%s:%s</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>",
			r.URL.Query().Get("TopicArn"), NewID())
	default:
		http.NotFound(w, r)
	}
}

// Client returns an HTTP client that trusts the server and dials it for its
// host name (sns.<region>.amazonaws.com); other hosts are dialled as usual.
func (s *Server) Client() *http.Client { return s.client }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// CertURL returns the certificate URL, as SNS writes it.
func (s *Server) CertURL() string { return "https://" + s.Host + s.CertPath }

// CertFetches returns how many times the certificate was fetched.
func (s *Server) CertFetches() int64 { return s.certFetches.Load() }

// Confirmations returns the query of every ConfirmSubscription received.
func (s *Server) Confirmations() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.confirmations...)
}

// TopicARN returns the ARN of a topic named name in the server's region.
func (s *Server) TopicARN(name string) string {
	return "arn:aws:sns:" + s.Region + ":123456789012:" + name
}

// Notification returns a notification of message on topic, published at t,
// signed with version.
func (s *Server) Notification(topic, message string, t time.Time, version string) *snsverify.Message {
	m := &snsverify.Message{
		Type: snsverify.TypeNotification, MessageID: NewID(), TopicARN: topic, Message: message,
		Timestamp: t.UTC().Format(TimeFormat), SigningCertURL: s.CertURL(),
	}
	s.Sign(m, version)
	return m
}

// Confirmation returns a SubscriptionConfirmation for topic, sent at t.
func (s *Server) Confirmation(topic string, t time.Time, version string) *snsverify.Message {
	token := strings.Repeat(strings.ReplaceAll(NewID(), "-", ""), 4)
	m := &snsverify.Message{
		Type: snsverify.TypeSubscriptionConfirmation, MessageID: NewID(), Token: token, TopicARN: topic,
		Message:      "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: "https://" + s.Host + "/?Action=ConfirmSubscription&TopicArn=" + topic + "&Token=" + token,
		Timestamp:    t.UTC().Format(TimeFormat), SigningCertURL: s.CertURL(),
	}
	s.Sign(m, version)
	return m
}
