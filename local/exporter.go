package local

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cogwatch/cogwatch/consumers/exporter"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// confirmLimit bounds the wait for the exporter to confirm its subscription.
const confirmLimit = 10 * time.Second

// startExporter runs the Prometheus exporter in this process on two
// loopback listeners (SNS and metrics) and subscribes it to the topic over
// HTTP, trusting goaws' plain-HTTP certificate and subscribe URLs.
func (s *Stack) startExporter(ctx context.Context) error {
	snsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	metricsL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		snsL.Close()
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(s.dir, "exporter.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		snsL.Close()
		metricsL.Close()
		return err
	}
	s.closers = append(s.closers, logFile.Close)
	reg := prometheus.NewRegistry()
	e, err := exporter.New(exporter.Options{
		Topics:             []string{s.ends.TopicARN},
		TrustedURLPrefixes: []string{s.goaws.URL() + "/"},
		Registerer:         reg,
		Gatherer:           reg,
		Logger:             logging.New(&lockedWriter{w: logFile}, func(string) string { return "" }),
	})
	if err != nil {
		snsL.Close()
		metricsL.Close()
		return fmt.Errorf("exporter: %w", err)
	}
	s.ends.Exporter = "http://" + metricsL.Addr().String()
	s.wg.Go(func() {
		if err := e.Serve(ctx, snsL, metricsL); err != nil && ctx.Err() == nil {
			s.crashed <- fmt.Errorf("exporter: %w", err)
		}
	})
	if _, err := s.sns.Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: aws.String(s.ends.TopicARN),
		Protocol: aws.String("http"),
		Endpoint: aws.String("http://" + snsL.Addr().String() + "/sns"),
	}); err != nil {
		return fmt.Errorf("subscribe the exporter: %w", err)
	}
	deadline := time.Now().Add(confirmLimit)
	for {
		if n := gathered(reg, exporter.MetricConfirmed); n >= 1 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the exporter did not confirm its subscription within %s (log: %s)", confirmLimit, logFile.Name())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// gathered sums the samples of the counter name in reg.
func gathered(reg prometheus.Gatherer, name string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// scrapeExporter scrapes the exporter's /metrics as Prometheus would and
// returns its cogwatch_* counters (and histogram counts), keyed by series.
func (s *Stack) scrapeExporter(ctx context.Context) (map[string]float64, error) {
	if s.ends.Exporter == "" {
		return nil, nil
	}
	return scrapeMetrics(ctx, s.ends.Exporter)
}

// scrapeMetrics scrapes the exporter at base as scrapeExporter does.
func scrapeMetrics(ctx context.Context, base string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape the exporter: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape the exporter: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse the exporter's metrics: %w", err)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, "cogwatch_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[series(name, m)] += m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[series(name+"_count", m)] += float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_GAUGE:
				out[series(name, m)] += m.GetGauge().GetValue()
			}
		}
	}
	return out, nil
}

// series renders name{label="value",...} with labels sorted, leaving out
// the pool and client ids, which differ per run: their series add up.
func series(name string, m *dto.Metric) string {
	var labels []string
	for _, l := range m.GetLabel() {
		switch l.GetName() {
		case "user_pool_id", "client_id":
			continue
		}
		labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	if len(labels) == 0 {
		return name
	}
	sort.Strings(labels)
	return name + "{" + strings.Join(labels, ",") + "}"
}
