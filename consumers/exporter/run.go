package exporter

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
)

// Run builds an Exporter, listens on o.SNSListenAddress and o.Web, and serves
// until ctx ends (then shuts down gracefully) or a listener fails.
func Run(ctx context.Context, o Options) error {
	e, err := New(o)
	if err != nil {
		return err
	}
	return e.ListenAndServe(ctx)
}

// ListenAndServe listens on the Exporter's SNS and web addresses and serves
// until ctx ends or a server fails.
func (e *Exporter) ListenAndServe(ctx context.Context) error {
	flags := e.webFlags()
	snsL, err := net.Listen("tcp", e.o.SNSListenAddress)
	if err != nil {
		return fmt.Errorf("exporter: SNS listener: %w", err)
	}
	defer snsL.Close()
	return e.serve(ctx, snsL, func(srv *http.Server) error { return web.ListenAndServe(srv, flags, e.log) })
}

// Serve serves SNS on snsL and metrics on metricsL until ctx ends or a
// server fails, then shuts both down gracefully. It is for callers that
// choose their own listeners, such as 127.0.0.1:0 in the local stack; TLS
// and authentication still follow o.Web's and o.SNSWebConfigFile's files.
func (e *Exporter) Serve(ctx context.Context, snsL, metricsL net.Listener) error {
	flags := e.webFlags()
	return e.serve(ctx, snsL, func(srv *http.Server) error { return web.Serve(metricsL, srv, flags, e.log) })
}

func (e *Exporter) webFlags() *web.FlagConfig {
	if e.o.Web != nil {
		return e.o.Web
	}
	addrs, systemd, file := []string{DefaultWebListenAddress}, false, ""
	return &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &file}
}

// maxHeaderBytes bounds a request's headers on both listeners: SNS sends
// well under 2 KiB, Prometheus less.
const maxHeaderBytes = 32 << 10

// server returns an http.Server for h with the exporter's timeouts, its
// connection cap, and net/http's own log lines clipped.
func (e *Exporter) server(h http.Handler, conns *connLimit) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: e.o.ReadHeaderTimeout,
		ReadTimeout:       e.o.ReadTimeout,
		WriteTimeout:      e.o.WriteTimeout,
		IdleTimeout:       e.o.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ConnState:         conns.track,
		ConnContext:       conns.context,
		ErrorLog: log.New(writerFunc(func(p []byte) (int, error) {
			e.log.Warn(clip(strings.TrimSuffix(string(p), "\n")))
			return len(p), nil
		}), "", 0),
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (e *Exporter) serve(ctx context.Context, snsL net.Listener, serveMetrics func(*http.Server) error) error {
	if e.o.DedupeFile != "" { // at once, so that a path that cannot be written fails the start
		if err := e.saveDedupe(); err != nil {
			return fmt.Errorf("exporter: %w", err)
		}
	}
	snsSrv := e.server(e.SNSHandler(), e.snsConns)
	metricsSrv := e.server(e.MetricsHandler(), e.webConns)
	snsFile, systemd := e.o.SNSWebConfigFile, false
	snsFlags := &web.FlagConfig{WebListenAddresses: &[]string{snsL.Addr().String()}, WebSystemdSocket: &systemd, WebConfigFile: &snsFile}

	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errc <- web.Serve(snsL, snsSrv, snsFlags, e.log.With("listener", "sns")) })
	wg.Go(func() { errc <- serveMetrics(metricsSrv) })
	pullCtx, stopPulling := context.WithCancel(context.WithoutCancel(ctx))
	defer stopPulling()
	var pullers sync.WaitGroup
	for _, q := range e.o.SQSQueueURLs {
		for range e.o.SQSReceivers {
			pullers.Go(func() { _ = e.Pull(pullCtx, q) })
		}
	}
	stopSaving := make(chan struct{})
	var saver sync.WaitGroup
	if e.o.DedupeFile != "" {
		saver.Go(func() { e.saveDedupeEvery(stopSaving) })
	}

	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
		e.log.Error("server failed, shutting down", "err", first)
	}
	e.ready.Store(false)
	stopPulling()
	pullers.Wait() // each finishes the delete of the batch in hand
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.o.ShutdownTimeout)
	defer cancel()
	for _, srv := range []*http.Server{snsSrv, metricsSrv} {
		if err := srv.Shutdown(sctx); err != nil {
			e.log.Warn("graceful shutdown incomplete", "err", err)
		}
	}
	wg.Wait()
	close(stopSaving)
	saver.Wait()
	if e.o.DedupeFile != "" { // after the servers: nothing is added any more
		if err := e.saveDedupe(); err != nil {
			e.log.Error("dedupe window not saved", "err", err)
		} else {
			e.log.Info("dedupe window saved", "file", e.o.DedupeFile)
		}
	}
	close(errc)
	for err := range errc {
		if first == nil && !errors.Is(err, http.ErrServerClosed) {
			first = err
		}
	}
	if first != nil && !errors.Is(first, http.ErrServerClosed) {
		return fmt.Errorf("exporter: %w", first)
	}
	return nil
}

// saveDedupeEvery writes the dedupe file every DedupeSaveEvery until stop.
func (e *Exporter) saveDedupeEvery(stop <-chan struct{}) {
	t := time.NewTicker(e.o.DedupeSaveEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := e.saveDedupe(); err != nil {
				e.log.Error("dedupe window not saved", "err", err)
			}
		}
	}
}
