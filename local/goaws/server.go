package goaws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/Admiral-Piett/goaws/app"
	"github.com/Admiral-Piett/goaws/app/gosqs"
	"github.com/Admiral-Piett/goaws/app/router"
	log "github.com/sirupsen/logrus"
)

// Region and AccountID are those of every ARN the local SNS and SQS hand out.
const (
	Region    = "us-east-1"
	AccountID = "000000000000"
)

// ErrRunning is returned by Start while another Server runs in this process.
var ErrRunning = errors.New("goaws: already runs in this process")

var running atomic.Bool

// Server is goaws serving SNS and SQS on one loopback port.
type Server struct {
	url  string
	srv  *http.Server
	quit chan struct{}
	done chan struct{}
}

// Options configure Start. The zero value works.
type Options struct {
	// Log receives goaws' own log lines (JSON); nil discards them.
	Log io.Writer
	// VisibilityTimeout is the default for queues created without one; 30s if zero.
	VisibilityTimeout time.Duration
}

// Start listens on a free loopback port and serves goaws there until Close.
func Start(opts Options) (*Server, error) {
	if !running.CompareAndSwap(false, true) {
		return nil, ErrRunning
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		running.Store(false)
		return nil, fmt.Errorf("goaws: listen: %w", err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	vis := int(opts.VisibilityTimeout / time.Second)
	if vis <= 0 {
		vis = 30
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	log.SetFormatter(&log.JSONFormatter{})
	log.SetOutput(opts.Log)
	log.SetLevel(log.WarnLevel)

	app.SyncQueues.Lock()
	app.SyncTopics.Lock()
	app.CurrentEnvironment = app.Environment{
		Host:      "127.0.0.1",
		Port:      port,
		Region:    Region, // goaws then puts the region in queue URLs' host; jsonSQS strips it
		AccountID: AccountID,
		QueueAttributeDefaults: app.EnvQueueAttributes{
			VisibilityTimeout:  vis,
			MaximumMessageSize: 262144,
		},
	}
	clear(app.SyncQueues.Queues)
	clear(app.SyncTopics.Topics)
	app.SyncTopics.Unlock()
	app.SyncQueues.Unlock()

	s := &Server{
		url:  "http://127.0.0.1:" + port,
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler:           jsonSQS(publishBatch(router.New()), "http://"+Region+".127.0.0.1:"+port, "http://127.0.0.1:"+port),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go gosqs.PeriodicTasks(time.Second, s.quit)
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns ErrServerClosed after Close
	}()
	return s, nil
}

// URL is the endpoint of both SNS and SQS, e.g. http://127.0.0.1:40123.
func (s *Server) URL() string { return s.url }

// CertURLPrefix is where goaws serves the certificate it signs notifications
// with: the prefix an SNS HTTP subscriber must be told to trust.
func (s *Server) CertURLPrefix() string { return s.url + "/SimpleNotificationService/" }

// Close stops serving, stops goaws' housekeeping and forgets every queue and
// topic, so another Start may follow.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = s.srv.Close()
	}
	<-s.done
	close(s.quit)
	app.SyncQueues.Lock()
	clear(app.SyncQueues.Queues)
	app.SyncQueues.Unlock()
	app.SyncTopics.Lock()
	clear(app.SyncTopics.Topics)
	app.SyncTopics.Unlock()
	running.Store(false)
	return err
}
