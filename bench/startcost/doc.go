// Package startcost measures what a trigger's dependencies cost at process
// start: BenchmarkStart builds the tiny programs beneath it and runs each once
// per iteration, reporting wall time from exec to exit and peak RSS.
//
//	empty       answers a lookup with nothing loaded (the baseline)
//	disposable  answers it from triggers/disposable's embedded list
//	upstream    answers it with github.com/AfterShip/email-verifier
//	presignup   builds the pre sign-up handler as cmd/presignup does and
//	            answers one Cognito event, publishing off; with "sns", builds
//	            it with a topic (SDK configuration and SNS client) instead
package startcost
