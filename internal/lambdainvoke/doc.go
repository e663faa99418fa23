// Package lambdainvoke calls one operation of the Lambda API, Invoke
// (synchronous, RequestResponse), with the SDK's configuration: its
// credentials, SigV4 signer, HTTP client, retry policy and endpoint
// settings (AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL, FIPS, dual-stack).
//
// It is not a Lambda client. It exists because linking the SDK's
// service/lambda costs every process that links it a few milliseconds of
// package initialisation at each cold start (the schemas of all of Lambda's
// operations, about 670 KB allocated), and cogwatch's triggers call Invoke
// only to chain an adopted pool's own function, which most deployments never
// do. Commands that make other Lambda calls (the warmer, the CLI) use the SDK.
// See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
package lambdainvoke
