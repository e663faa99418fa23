package samtemplate

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/cogwatch/cogwatch/internal/awsconf"
)

// loopbackCallTimeout bounds one call to the loopback stub: every call that leaves the process has a deadline.
const loopbackCallTimeout = 5 * time.Second

const benchHashKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL" // 48 characters, as HashKeySecret generates

// BenchmarkHashKeyAtStart measures, per cold start, what a trigger's init
// spends in its own process to get the hash key under the two designs
// docs/deploy.md weighs:
//
//   - environment: template.yaml's choice. The key is an environment
//     variable encrypted with the stack's key (KmsKeyArn); Lambda decrypts
//     it before the runtime starts, so the process only reads it.
//   - secretsmanager: the alternative. The process reads the secret at start
//     (GetSecretValue) through the SDK over a new TLS connection, against a
//     loopback stub: the in-process part only (client, signing, TLS
//     handshake, JSON), without the network round trip to Secrets Manager.
//     The SDK configuration is loaded once, outside the loop: the triggers
//     load it anyway for SNS.
func BenchmarkHashKeyAtStart(b *testing.B) {
	b.Run("environment", func(b *testing.B) {
		b.Setenv("COGWATCH_HASH_KEY", benchHashKey)
		b.ReportAllocs()
		for b.Loop() {
			if os.Getenv("COGWATCH_HASH_KEY") != benchHashKey {
				b.Fatal("no key")
			}
		}
	})
	b.Run("secretsmanager", func(b *testing.B) {
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue" {
				http.Error(w, "unexpected call", http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			_, _ = io.WriteString(w, `{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:hash-AbCdEf","Name":"hash",`+
				`"SecretString":"`+benchHashKey+`","VersionId":"v1","VersionStages":["AWSCURRENT"]}`)
		}))
		defer srv.Close()
		env := map[string]string{"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
		cfg, err := awsconf.Load(b.Context(), func(k string) string { return env[k] })
		if err != nil {
			b.Fatal(err)
		}
		pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
		b.ReportAllocs()
		for b.Loop() {
			// A cold start: a new client and a new connection.
			tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
			c := secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				o.HTTPClient = &http.Client{Transport: tr}
			})
			ctx, cancel := context.WithTimeout(b.Context(), loopbackCallTimeout)
			out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("hash")})
			cancel()
			if err != nil {
				b.Fatal(err)
			}
			if aws.ToString(out.SecretString) != benchHashKey {
				b.Fatal("wrong secret")
			}
			tr.CloseIdleConnections()
		}
	})
}
