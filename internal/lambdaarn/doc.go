// Package lambdaarn parses the Lambda function ARNs that a user pool's
// LambdaConfig slots hold and that cogwatch chains: arn:<partition>:lambda:
// <region>:<account>:function:<name>, with an optional qualifier (a version
// such as 3, $LATEST or an alias such as live), which Cognito accepts in
// every slot.
//
// It checks the shape only (aws/arn splits the fields): whether the
// function exists is Lambda's to say. It is a leaf: the triggers, the
// Custom::UserPoolTriggers resource and the CLI import it. See
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax
package lambdaarn
