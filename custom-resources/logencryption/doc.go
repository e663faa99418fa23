// Package logencryption is the Custom::LogEncryption CloudFormation custom
// resource: KMS encryption and retention for log groups the stack does not
// own — API Gateway's execution logs, groups created before the stack, every
// group under a prefix.
//
// For each group of LogGroupNames (created when missing) and each existing
// group under LogGroupPrefixes it associates KmsKeyId and sets
// RetentionInDays. An update applies the difference: a removed KmsKeyId is
// disassociated, a removed RetentionInDays deleted (logs never expire), where
// a group still has them and the old properties were valid (on an update
// rollback they are the refused ones, never applied); a
// group dropped from the properties is left as it is. Delete leaves every
// group and its logs in place, unless DeleteLogGroups is true, which deletes
// the LogGroupNames groups (never those matched by a prefix); a failed Create
// answers no physical id, so its rollback deletes nothing. Every call is
// idempotent: ResourceAlreadyExistsException and ResourceNotFoundException
// are expected answers, recognised by error code, and throttling is retried.
//
// Groups the stack owns need none of this: AWS::Logs::LogGroup has KmsKeyId
// and RetentionInDays, and a function's LoggingConfig names its group.
package logencryption
