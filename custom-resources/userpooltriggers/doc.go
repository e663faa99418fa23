// Package userpooltriggers is the Custom::UserPoolTriggers CloudFormation
// custom resource: it attaches cogwatch's trigger functions to the
// LambdaConfig slots of a user pool that already exists (PreSignUp,
// PreAuthentication, PostAuthentication, PostConfirmation,
// PreTokenGeneration, CustomMessage: Slots), and gives the slots back on
// Delete. `cogwatch attach` and `detach` run the same code.
//
// UpdateUserPool resets every setting it is not given, so each write starts
// from DescribeUserPool and copies every mutable setting back (UpdateInput),
// changing cogwatch's slots only; a read after the write compares the whole
// description with the read before and fails when anything but those slots
// differs. Cognito has no conditional update: a second read just before the
// write starts over when the pool changed since the first (another writer),
// and the read after it catches a writer that came after.
//
// A slot that holds another function fails the resource, unless
// ChainExisting is "true" and Chained names that very function: cogwatch's
// trigger, configured with the same ARN (COGWATCH_CHAIN_* variables, set by
// the template from the same parameters), calls it after its own work and
// answers Cognito with its response. Delete gives each slot that still holds
// cogwatch's function back to the function it chained (or empties it); a
// slot someone changed since is left as it is.
//
// The pre token generation slot spans the legacy PreTokenGeneration ARN and
// PreTokenGenerationConfig (ARN and event version): a slot that holds a
// function keeps its version and fields, so a chained function gets the
// events it was written for; an empty one gets PreTokenGenerationVersion.
//
// Properties: UserPoolId, Triggers (slot → cogwatch's function ARN), Slots
// (the slots taken; absent, DefaultSlots), PreTokenGenerationVersion,
// ChainExisting, Chained (slot → the pool's own function ARN). The physical
// id is the user pool id; a new UserPoolId is a replacement (the clean-up
// Delete detaches from the old pool). Fn::GetAtt: UserPoolId.
// See https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html
package userpooltriggers
