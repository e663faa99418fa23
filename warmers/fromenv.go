package warmers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-lambda-go/lambda"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	awslambda "github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/cogwatch/cogwatch/emf"
	"github.com/cogwatch/cogwatch/internal/awsconf"
	"github.com/cogwatch/cogwatch/internal/catalog"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// FromEnv builds the warmer Lambda's handler from the environment: the
// configuration (LoadConfig), the AWS clients, EMF and logs on stdout. The handler
// is not wrapped in warmup.Wrap; cmd/warmer does that.
func FromEnv(ctx context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	metrics := emf.NewWriter(stdout, emf.Options{Namespace: cfg.Namespace, DimensionSets: [][]string{{catalog.DimFunction}}})
	if err := metrics.Err(); err != nil {
		return nil, fmt.Errorf("POWERTOOLS_METRICS_NAMESPACE: %w", err)
	}
	awsCfg, err := awsconf.Load(ctx, getenv)
	if err != nil {
		return nil, err
	}
	w := New(awslambda.NewFromConfig(awsCfg, func(o *awslambda.Options) {
		if ep := awsconf.Endpoint(getenv, awslambda.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	}).Invoke, cip.NewFromConfig(awsCfg, func(o *cip.Options) {
		if ep := awsconf.Endpoint(getenv, cip.ServiceID); ep != nil {
			o.BaseEndpoint = ep
		}
	}).DescribeUserPool,
		Options{Config: cfg, Metrics: metrics, Logger: logging.New(stdout, getenv)})
	return Handler(w), nil
}

// Handler returns w as a lambda.Handler. An empty or null payload is the
// empty Input (the configured defaults); an unknown field is an error, so a
// misspelt schedule input does not silently warm the defaults.
func Handler(w *Warmer) lambda.Handler { return handler{w} }

type handler struct{ w *Warmer }

func (h handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in Input
	if p := bytes.TrimSpace(payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(p))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("warmer input: %w", err)
		}
	}
	rep, err := h.w.Handle(ctx, in)
	if err != nil {
		return nil, err
	}
	return json.Marshal(rep)
}
