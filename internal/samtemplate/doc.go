// Package samtemplate loads CloudFormation and SAM templates the way the
// project's tests check them: short-form intrinsics (!Ref, !Sub, …) turned
// into their JSON forms by goformation, then resolved for one set of
// parameter values and conditions, so that the result can be validated
// against goformation's CloudFormation and SAM JSON schemas, which know no
// intrinsic functions.
//
// Its tests check template.yaml and pipeline.yaml at the repository root.
// It is not a CloudFormation engine: Fn::GetAtt and references to resources
// resolve to placeholder strings of the right type.
package samtemplate
