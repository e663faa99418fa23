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
// deprecated ones included (the messages, which Cognito still reports). One
// is left out on purpose: AdminCreateUserConfig.UnusedAccountValidityDays
// when the password policy sets TemporaryPasswordValidityDays, which
// Cognito reports as the same value but refuses beside it ("Please use
// TemporaryPasswordValidityDays in PasswordPolicy instead of
// UnusedAccountValidityDays"). Settings UpdateUserPool does not take
// (schema, alias and username attributes, username case sensitivity, the
// domain) cannot change, and MFA factors set with SetUserPoolMfaConfig are
// not part of it.
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
	if a := pool.AdminCreateUserConfig; a != nil && a.UnusedAccountValidityDays != 0 && temporaryPasswordDays(pool) != 0 {
		c := *a
		c.UnusedAccountValidityDays = 0
		in.AdminCreateUserConfig = &c
	}
	return in
}

func temporaryPasswordDays(pool *types.UserPoolType) int32 {
	if pool.Policies == nil || pool.Policies.PasswordPolicy == nil {
		return 0
	}
	return pool.Policies.PasswordPolicy.TemporaryPasswordValidityDays
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
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			out = append(out, f.Name)
		}
	}
	return out
}

// sameLambdaConfig reports whether a and b hold the same triggers; nil is
// the empty configuration.
func sameLambdaConfig(a, b *types.LambdaConfigType) bool {
	return reflect.DeepEqual(lambdaConfigOrEmpty(a), lambdaConfigOrEmpty(b))
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
