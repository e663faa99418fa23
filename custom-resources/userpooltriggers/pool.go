package userpooltriggers

import (
	"reflect"

	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// UpdateInput returns the UpdateUserPool request that gives pool back every
// setting it has, with lc as its LambdaConfig.
//
// UpdateUserPool sets every setting it is not given to Cognito's default
// (https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_UpdateUserPool.html),
// so each field of UpdateUserPoolInput is copied from the description, the
// deprecated ones included (the messages, which Cognito still reports).
// Settings UpdateUserPool does not take (schema, alias and username
// attributes, username case sensitivity, the domain) cannot change, and MFA
// factors set with SetUserPoolMfaConfig are not part of it. See
// withoutUnusedAccountValidityDays for the one field Cognito may refuse.
func UpdateInput(pool *types.UserPoolType, lc *types.LambdaConfigType) *cip.UpdateUserPoolInput {
	in := &cip.UpdateUserPoolInput{
		UserPoolId:                  pool.Id,
		AccountRecoverySetting:      pool.AccountRecoverySetting,
		AdminCreateUserConfig:       pool.AdminCreateUserConfig,
		AutoVerifiedAttributes:      pool.AutoVerifiedAttributes,
		DeletionProtection:          pool.DeletionProtection,
		DeviceConfiguration:         pool.DeviceConfiguration,
		EmailConfiguration:          pool.EmailConfiguration,
		EmailVerificationMessage:    pool.EmailVerificationMessage,
		EmailVerificationSubject:    pool.EmailVerificationSubject,
		IssuerConfiguration:         pool.IssuerConfiguration,
		KeyConfiguration:            pool.KeyConfiguration,
		LambdaConfig:                lc,
		MfaConfiguration:            pool.MfaConfiguration,
		Policies:                    pool.Policies,
		PoolName:                    pool.Name,
		SmsAuthenticationMessage:    pool.SmsAuthenticationMessage,
		SmsConfiguration:            pool.SmsConfiguration,
		SmsVerificationMessage:      pool.SmsVerificationMessage,
		UserAttributeUpdateSettings: pool.UserAttributeUpdateSettings,
		UserPoolAddOns:              pool.UserPoolAddOns,
		UserPoolTags:                pool.UserPoolTags,
		UserPoolTier:                pool.UserPoolTier,
		VerificationMessageTemplate: pool.VerificationMessageTemplate,
	}
	return in
}

// withoutUnusedAccountValidityDays returns in without the deprecated
// AdminCreateUserConfig.UnusedAccountValidityDays when the password policy
// sets TemporaryPasswordValidityDays, which supersedes it; nil when in does
// not set both. Cognito reports the deprecated field but may refuse it beside
// the new one ("Please use TemporaryPasswordValidityDays in PasswordPolicy
// instead of UnusedAccountValidityDays", an InvalidParameterException):
// the update is tried once more without it.
func withoutUnusedAccountValidityDays(in *cip.UpdateUserPoolInput) *cip.UpdateUserPoolInput {
	a := in.AdminCreateUserConfig
	if a == nil || a.UnusedAccountValidityDays == 0 || in.Policies == nil || in.Policies.PasswordPolicy == nil ||
		in.Policies.PasswordPolicy.TemporaryPasswordValidityDays == 0 {
		return nil
	}
	out := *in
	c := *a
	c.UnusedAccountValidityDays = 0
	out.AdminCreateUserConfig = &c
	return &out
}

func temporaryPasswordDays(pool *types.UserPoolType) int32 {
	if pool.Policies == nil || pool.Policies.PasswordPolicy == nil {
		return 0
	}
	return pool.Policies.PasswordPolicy.TemporaryPasswordValidityDays
}

// comparable returns the setting of field name of pool as compared between
// two reads: AdminCreateUserConfig without UnusedAccountValidityDays when
// TemporaryPasswordValidityDays supersedes it (an update that Cognito
// refused with it is written without it).
func comparable(pool *types.UserPoolType, name string, v reflect.Value) any {
	if name == "AdminCreateUserConfig" && pool.AdminCreateUserConfig != nil && temporaryPasswordDays(pool) != 0 {
		c := *pool.AdminCreateUserConfig
		c.UnusedAccountValidityDays = 0
		return c
	}
	return v.Interface()
}

// volatile are the fields of a description that change without anyone
// changing the pool's settings (users sign up, Cognito reports on its
// senders), or whenever anyone does (LastModifiedDate).
var volatile = map[string]bool{
	"EstimatedNumberOfUsers":    true,
	"LastModifiedDate":          true,
	"SmsConfigurationFailure":   true,
	"EmailConfigurationFailure": true,
	"Status":                    true,
}

// changedFields returns the names of the fields of UserPoolType that differ
// between a and b, LambdaConfig and the volatile ones left out.
func changedFields(a, b *types.UserPoolType) []string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	t := va.Type()
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || volatile[f.Name] || f.Name == "LambdaConfig" {
			continue
		}
		if !reflect.DeepEqual(comparable(a, f.Name, va.Field(i)), comparable(b, f.Name, vb.Field(i))) {
			out = append(out, f.Name)
		}
	}
	return out
}

// sameLambdaConfig reports whether a and b hold the same triggers; nil is
// the empty configuration. The two spellings of one pre token generation
// trigger are the same (see preTokenCanonical).
func sameLambdaConfig(a, b *types.LambdaConfigType) bool {
	return reflect.DeepEqual(preTokenCanonical(a), preTokenCanonical(b))
}

// preTokenCanonical returns c with its pre token generation trigger in one
// spelling: PreTokenGenerationConfig alone. AWS documents the legacy
// PreTokenGeneration ARN as the same value as PreTokenGenerationConfig's
// (UpdateUserPool refuses two different ones) and a pool with the legacy
// field alone as sending V1_0 events, so a description that reports either
// spelling of what cogwatch wrote is not another writer's change.
func preTokenCanonical(c *types.LambdaConfigType) types.LambdaConfigType {
	out := lambdaConfigOrEmpty(c)
	if out.PreTokenGenerationConfig == nil && out.PreTokenGeneration != nil {
		out.PreTokenGenerationConfig = &types.PreTokenGenerationVersionConfigType{LambdaArn: out.PreTokenGeneration, LambdaVersion: PreTokenV1}
	}
	if out.PreTokenGenerationConfig != nil && out.PreTokenGenerationConfig.LambdaArn != nil {
		out.PreTokenGeneration = nil
	}
	return out
}

func lambdaConfigOrEmpty(c *types.LambdaConfigType) types.LambdaConfigType {
	if c == nil {
		return types.LambdaConfigType{}
	}
	return *c
}

// cloneLambdaConfig returns a copy of c (never nil) whose slots can be set
// without touching c. The nested configurations are shared: they are only
// read.
func cloneLambdaConfig(c *types.LambdaConfigType) *types.LambdaConfigType {
	out := lambdaConfigOrEmpty(c)
	return &out
}
