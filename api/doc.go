// Package api is the Lambda behind the stack's API Gateway: a guest endpoint
// anyone may call and a user endpoint that reads the caller's Cognito ID
// token.
//
// API Gateway's Cognito authorizer verifies the token's signature and expiry
// and passes its claims in requestContext.authorizer.claims; this package
// then checks what the authorizer does not: that the token is an ID token
// (not an access token), issued by this stack's user pool, for one of its
// app clients. Every refusal is a JSON error with a stable code:
// 401 unauthorized (no claims), 403 forbidden (claims that do not fit),
// 404 not_found, 405 method_not_allowed.
//
// It never logs the email address or any other claim but the user's sub.
package api
