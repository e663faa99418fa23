package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/cogwatch/cogwatch/internal/envconf"
	"github.com/cogwatch/cogwatch/internal/logging"
)

// Config is the API's configuration.
type Config struct {
	// Issuer is the user pool's token issuer,
	// https://cognito-idp.<region>.amazonaws.com/<pool id> (COGWATCH_API_ISSUER).
	// Empty accepts any issuer the authorizer accepted.
	Issuer string
	// ClientIDs are the app clients whose ID tokens the user endpoint accepts
	// (COGWATCH_API_CLIENT_IDS, comma-separated). Empty accepts any.
	ClientIDs []string
}

// DefaultConfig holds the defaults LoadConfig starts from.
var DefaultConfig = Config{}

// Variables lists the variables LoadConfig reads (docs/configuration.md);
// logging's (internal/logging) come on top.
var Variables = []envconf.Variable{
	{Name: "COGWATCH_API_ISSUER", Description: "The user pool's token issuer, `https://cognito-idp.<region>.amazonaws.com/<pool id>`; the template sets it. Unset: any issuer the authorizer accepted."},
	{Name: "COGWATCH_API_CLIENT_IDS", Description: "Comma-separated app clients whose ID tokens `/user` accepts; the template sets the two mobile clients. Unset: any."},
}

// LoadConfig reads the configuration from getenv. Errors name the variable.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := DefaultConfig
	if v := strings.TrimSpace(getenv("COGWATCH_API_ISSUER")); v != "" {
		if !strings.HasPrefix(v, "https://") || strings.HasSuffix(v, "/") {
			return c, fmt.Errorf("COGWATCH_API_ISSUER: %q is not an issuer URL such as https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC", v)
		}
		c.Issuer = v
	}
	for id := range strings.SplitSeq(getenv("COGWATCH_API_CLIENT_IDS"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			c.ClientIDs = append(c.ClientIDs, id)
		}
	}
	return c, nil
}

// API answers the guest and user endpoints.
type API struct {
	cfg Config
	log *slog.Logger
}

// New returns the API. A nil logger discards.
func New(cfg Config, log *slog.Logger) *API {
	if log == nil {
		log = logging.Discard()
	}
	return &API{cfg: cfg, log: log}
}

// FromEnv builds the Lambda handler from getenv, logging to stdout, exactly
// as cmd/api does. It is not wrapped in warmup.Wrap.
func FromEnv(_ context.Context, getenv func(string) string, stdout io.Writer) (lambda.Handler, error) {
	cfg, err := LoadConfig(getenv)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return lambda.NewHandler(New(cfg, logging.New(stdout, getenv)).Handle), nil
}

// Error is the JSON body of every refusal.
type Error struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Guest is the guest endpoint's answer.
type Guest struct {
	Message       string `json:"message"`
	Authenticated bool   `json:"authenticated"`
}

// User is the user endpoint's answer: who the ID token says the caller is.
type User struct {
	Sub           string   `json:"sub"`
	Username      string   `json:"username,omitempty"`
	Email         string   `json:"email,omitempty"`
	EmailVerified bool     `json:"emailVerified"`
	Groups        []string `json:"groups"`
	ClientID      string   `json:"clientId"`
}

// Errors of the user endpoint, as their codes in Error.Error.
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
)

// refusal is why the user endpoint refused a request: code is ErrUnauthorized
// or ErrForbidden (its text is the body's error code), message what the
// caller reads.
type refusal struct {
	code    error
	message string
}

// Handle answers one API Gateway proxy request.
func (a *API) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	path := req.Resource
	if path == "" || strings.Contains(path, "{") {
		path = req.Path
	}
	switch strings.TrimSuffix(path, "/") {
	case "/guest":
		if req.HTTPMethod != http.MethodGet {
			return respond(http.StatusMethodNotAllowed, Error{"method_not_allowed", "use GET"}), nil
		}
		_, authed := req.RequestContext.Authorizer["claims"]
		return respond(http.StatusOK, Guest{Message: "hello, guest", Authenticated: authed}), nil
	case "/user":
		if req.HTTPMethod != http.MethodGet {
			return respond(http.StatusMethodNotAllowed, Error{"method_not_allowed", "use GET"}), nil
		}
		u, ref := a.user(req.RequestContext.Authorizer)
		if ref != nil {
			status := http.StatusForbidden
			if errors.Is(ref.code, ErrUnauthorized) {
				status = http.StatusUnauthorized
			}
			a.log.InfoContext(ctx, "user endpoint refused", "status", status, "reason", ref.code.Error())
			return respond(status, Error{ref.code.Error(), ref.message}), nil
		}
		a.log.InfoContext(ctx, "user endpoint answered", "sub", u.Sub, "groups", len(u.Groups))
		return respond(http.StatusOK, u), nil
	}
	return respond(http.StatusNotFound, Error{"not_found", "no such endpoint: try GET /guest or GET /user"}), nil
}

// user reads and checks the ID token's claims the authorizer passed on.
func (a *API) user(authorizer map[string]any) (User, *refusal) {
	raw, ok := authorizer["claims"]
	if !ok || raw == nil {
		return User{}, &refusal{ErrUnauthorized, "a valid Cognito ID token is required in the Authorization header"}
	}
	claims, ok := raw.(map[string]any)
	if !ok {
		return User{}, &refusal{ErrUnauthorized, "the authorizer passed no claims"}
	}
	str := func(k string) string {
		switch v := claims[k].(type) {
		case string:
			return v
		case bool:
			return fmt.Sprint(v)
		}
		return ""
	}
	if str("sub") == "" {
		return User{}, &refusal{ErrUnauthorized, "the token has no sub claim"}
	}
	if tu := str("token_use"); tu != "id" {
		return User{}, &refusal{ErrForbidden, fmt.Sprintf("an ID token is required, not an %q token", tu)}
	}
	if a.cfg.Issuer != "" && str("iss") != a.cfg.Issuer {
		return User{}, &refusal{ErrForbidden, "the token was not issued by this user pool"}
	}
	if len(a.cfg.ClientIDs) > 0 && !slices.Contains(a.cfg.ClientIDs, str("aud")) {
		return User{}, &refusal{ErrForbidden, "the token was not issued to an app client of this API"}
	}
	return User{
		Sub:           str("sub"),
		Username:      str("cognito:username"),
		Email:         str("email"),
		EmailVerified: str("email_verified") == "true",
		Groups:        ParseGroups(claims["cognito:groups"]),
		ClientID:      str("aud"),
	}, nil
}

// ParseGroups reads the cognito:groups claim as API Gateway passes it: a
// JSON array, or one string such as "[admins operators]" or "admins,operators".
func ParseGroups(v any) []string {
	out := []string{}
	switch v := v.(type) {
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok && strings.TrimSpace(s) != "" {
				out = append(out, strings.TrimSpace(s))
			}
		}
	case string:
		s := strings.TrimSpace(v)
		s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		out = append(out, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })...)
	}
	return out
}

func respond(status int, body any) events.APIGatewayProxyResponse {
	b, err := json.Marshal(body)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal","message":"cannot encode the answer"}`)
	}
	return events.APIGatewayProxyResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
		Body:       string(b),
	}
}
