package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
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

func (e *Exporter) serve(ctx context.Context, snsL net.Listener, serveMetrics func(*http.Server) error) error {
	errLog := slog.NewLogLogger(e.log.Handler(), slog.LevelWarn)
	snsSrv := &http.Server{Handler: e.SNSHandler(), ReadHeaderTimeout: e.o.ReadHeaderTimeout,
		ReadTimeout: 4 * e.o.ReadHeaderTimeout, IdleTimeout: 2 * time.Minute, ErrorLog: errLog}
	metricsSrv := &http.Server{Handler: e.MetricsHandler(), ReadHeaderTimeout: e.o.ReadHeaderTimeout, ErrorLog: errLog}
	snsFile, systemd := e.o.SNSWebConfigFile, false
	snsFlags := &web.FlagConfig{WebListenAddresses: &[]string{snsL.Addr().String()}, WebSystemdSocket: &systemd, WebConfigFile: &snsFile}

	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Go(func() { errc <- web.Serve(snsL, snsSrv, snsFlags, e.log.With("listener", "sns")) })
	wg.Go(func() { errc <- serveMetrics(metricsSrv) })

	var first error
	select {
	case <-ctx.Done():
	case first = <-errc:
		e.log.Error("server failed, shutting down", "err", first)
	}
	e.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.o.ShutdownTimeout)
	defer cancel()
	for _, srv := range []*http.Server{snsSrv, metricsSrv} {
		if err := srv.Shutdown(sctx); err != nil {
			e.log.Warn("graceful shutdown incomplete", "err", err)
		}
	}
	wg.Wait()
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
