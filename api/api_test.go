package api

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cogwatch/cogwatch/internal/logging"
)

const (
	issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
	client = "4f1j2k3l4m5n6o7p8q9r0s1t2u"
)

// request returns the recorded user request with edit applied to its JSON.
func request(t *testing.T, edit func(req map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/user-request.json")
	require.NoError(t, err)
	var req map[string]any
	require.NoError(t, json.Unmarshal(raw, &req))
	if edit != nil {
		edit(req)
	}
	out, err := json.Marshal(req)
	require.NoError(t, err)
	return out
}

func claims(req map[string]any) map[string]any {
	return req["requestContext"].(map[string]any)["authorizer"].(map[string]any)["claims"].(map[string]any)
}

type answer struct {
	StatusCode int               `json:"statusCode"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

func TestHandler(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		cfg        Config
		edit       func(req map[string]any)
		wantStatus int
		wantBody   string
	}{
		{name: "user with a valid ID token", cfg: Config{Issuer: issuer, ClientIDs: []string{client}}, wantStatus: 200,
			wantBody: `{"sub":"7d8ca528-4931-4254-9273-ea5ee853f271","username":"7d8ca528-4931-4254-9273-ea5ee853f271","email":"jane@example.com","emailVerified":true,"groups":["operators","admins"],"clientId":"4f1j2k3l4m5n6o7p8q9r0s1t2u"}`},
		{name: "guest without a token", wantStatus: 200, wantBody: `{"message":"hello, guest","authenticated":false}`,
			edit: func(req map[string]any) {
				req["resource"], req["path"] = "/guest", "/guest"
				delete(req["requestContext"].(map[string]any), "authorizer")
				delete(req["headers"].(map[string]any), "Authorization")
			}},
		{name: "guest with a token", wantStatus: 200, wantBody: `{"message":"hello, guest","authenticated":true}`,
			edit: func(req map[string]any) { req["resource"], req["path"] = "/guest", "/guest" }},
		{name: "user without a token", wantStatus: 401,
			wantBody: `{"error":"unauthorized","message":"a valid Cognito ID token is required in the Authorization header"}`,
			edit:     func(req map[string]any) { delete(req["requestContext"].(map[string]any), "authorizer") }},
		{name: "user with claims but no sub", wantStatus: 401,
			wantBody: `{"error":"unauthorized","message":"the token has no sub claim"}`,
			edit:     func(req map[string]any) { delete(claims(req), "sub") }},
		{name: "user with an access token", wantStatus: 403,
			wantBody: `{"error":"forbidden","message":"an ID token is required, not an \"access\" token"}`,
			edit:     func(req map[string]any) { claims(req)["token_use"] = "access" }},
		{name: "token of another user pool", cfg: Config{Issuer: issuer}, wantStatus: 403,
			wantBody: `{"error":"forbidden","message":"the token was not issued by this user pool"}`,
			edit: func(req map[string]any) {
				claims(req)["iss"] = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other"
			}},
		{name: "token of another app client", cfg: Config{ClientIDs: []string{"someoneelse"}}, wantStatus: 403,
			wantBody: `{"error":"forbidden","message":"the token was not issued to an app client of this API"}`},
		{name: "wrong method", wantStatus: 405, wantBody: `{"error":"method_not_allowed","message":"use GET"}`,
			edit: func(req map[string]any) { req["httpMethod"] = "DELETE" }},
		{name: "unknown path", wantStatus: 404, wantBody: `{"error":"not_found","message":"no such endpoint: try GET /guest or GET /user"}`,
			edit: func(req map[string]any) { req["resource"], req["path"] = "/admin", "/admin" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			h := New(tc.cfg, logging.New(&logs, func(string) string { return "" }))
			out, err := lambdaHandler(h).Invoke(t.Context(), request(t, tc.edit))
			require.NoError(t, err)
			var got answer
			require.NoError(t, json.Unmarshal(out, &got))
			require.Equal(t, tc.wantStatus, got.StatusCode)
			require.Equal(t, "application/json", got.Headers["Content-Type"])
			require.JSONEq(t, tc.wantBody, got.Body)
			require.NotContains(t, logs.String(), "@", "no email address in logs")
		})
	}
}

func TestParseGroups(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   any
		want []string
	}{
		{name: "API Gateway's bracketed string", in: "[operators admins]", want: []string{"operators", "admins"}},
		{name: "comma-separated", in: "operators,admins", want: []string{"operators", "admins"}},
		{name: "JSON array", in: []any{"operators", " ", 3}, want: []string{"operators"}},
		{name: "absent", in: nil, want: []string{}},
		{name: "empty brackets", in: "[]", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, ParseGroups(tc.in))
		})
	}
}

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string
	}{
		{name: "defaults", want: Config{}},
		{name: "issuer and clients", env: map[string]string{"COGWATCH_API_ISSUER": issuer, "COGWATCH_API_CLIENT_IDS": " a, b ,"},
			want: Config{Issuer: issuer, ClientIDs: []string{"a", "b"}}},
		{name: "issuer not a URL", env: map[string]string{"COGWATCH_API_ISSUER": "eu-west-1_AbC"},
			wantErr: `COGWATCH_API_ISSUER: "eu-west-1_AbC" is not an issuer URL`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestFromEnv(t *testing.T) {
	t.Parallel()
	_, err := FromEnv(t.Context(), func(k string) string {
		return map[string]string{"COGWATCH_API_ISSUER": "http://insecure"}[k]
	}, &bytes.Buffer{})
	require.ErrorContains(t, err, "COGWATCH_API_ISSUER")
	h, err := FromEnv(t.Context(), func(string) string { return "" }, &bytes.Buffer{})
	require.NoError(t, err)
	out, err := h.Invoke(t.Context(), []byte(`{"resource":"/guest","httpMethod":"GET"}`))
	require.NoError(t, err)
	require.True(t, strings.Contains(string(out), `"statusCode":200`), string(out))
}

func FuzzHandle(f *testing.F) {
	raw, err := os.ReadFile("testdata/user-request.json")
	require.NoError(f, err)
	f.Add(raw)
	f.Add([]byte(`{"resource":"/guest","httpMethod":"GET"}`))
	f.Add([]byte(`{"path":"/user","httpMethod":"GET","requestContext":{"authorizer":{"claims":"x"}}}`))
	h := lambdaHandler(New(Config{Issuer: issuer, ClientIDs: []string{client}}, nil))
	f.Fuzz(func(t *testing.T, payload []byte) {
		out, err := h.Invoke(t.Context(), payload)
		if err != nil {
			return // not an API Gateway event: the Lambda runtime reports it
		}
		var got answer
		require.NoError(t, json.Unmarshal(out, &got))
		require.Contains(t, []int{200, 401, 403, 404, 405}, got.StatusCode)
		require.True(t, json.Valid([]byte(got.Body)), got.Body)
		if got.StatusCode == 200 && strings.Contains(got.Body, `"sub"`) {
			// A user answer only for an ID token of this pool and client.
			var req struct {
				RequestContext struct {
					Authorizer map[string]any `json:"authorizer"`
				} `json:"requestContext"`
			}
			require.NoError(t, json.Unmarshal(payload, &req))
			c, _ := req.RequestContext.Authorizer["claims"].(map[string]any)
			require.Equal(t, "id", c["token_use"])
			require.Equal(t, issuer, c["iss"])
			require.Equal(t, client, c["aud"])
		}
	})
}
