// Package lambdahost serves the Lambda Invoke API on loopback for the
// functions of cogwatch's local stack, running the same lambda.Handler each
// function's main hands to lambda.Start.
//
// It behaves like Lambda where the local stack depends on it:
//
//   - POST /2015-03-31/functions/{name}/invocations, by function name or ARN;
//     an unknown name answers 404 ResourceNotFoundException;
//   - every invocation gets Lambda's deadline in its context (the function's
//     timeout) and a lambdacontext.LambdaContext with a fresh request id;
//   - a function error answers 200 with X-Amz-Function-Error: Unhandled and
//     {"errorMessage","errorType"}, as aws-lambda-go reports it; a timeout
//     answers Sandbox.Timedout; a panic, Runtime.ExitError;
//   - the deadline is a wall: an answer at or after it is a timeout, and the
//     answer is discarded, however the race with the deadline's timer goes;
//   - each function has a pool of simulated execution environments, each
//     built by the function's New (its init phase) with its own warm-up
//     instance (warmup.NewInstance, warmup.WrapInstance): an environment serves
//     one invocation at a time, so N concurrent invocations reach N
//     environments, and an environment that timed out or panicked is dropped,
//     as Lambda replaces it.
//
// It is not a sandbox: handlers run as goroutines of this process.
// See https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html.
package lambdahost
