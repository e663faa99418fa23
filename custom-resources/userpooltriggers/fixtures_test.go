package userpooltriggers

import (
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

const (
	poolID  = "eu-west-1_AbCdEfGhI"
	pool2ID = "eu-west-1_ZyXwVuTsR"

	cogPreSignUp = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PreSignUpFunction-1A2B3C"
	cogAuth      = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-AuthenticationFunction-4D5E6F"
	cogPostConf  = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PostConfirmationFunction-7G8H9I"
	cogAuthNew   = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-AuthenticationFunction-NEW123"
	cogTokens    = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-PreTokenGenerationFunction-J1K2L3"
	cogMessage   = "arn:aws:lambda:eu-west-1:123456789012:function:cogwatch-CustomMessageFunction-M4N5O6"

	// The adopter's own functions: an alias, a version, an unqualified one.
	theirPreSignUp = "arn:aws:lambda:eu-west-1:123456789012:function:signup-rules:live"
	theirPostConf  = "arn:aws:lambda:eu-west-1:123456789012:function:welcome-mail:7"
	theirMessage   = "arn:aws:lambda:eu-west-1:123456789012:function:custom-message"
	theirSender    = "arn:aws:lambda:eu-west-1:123456789012:function:sms-sender:prod"
	theirTokens    = "arn:aws:lambda:eu-west-1:123456789012:function:token-claims:3"
	kmsKey         = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

// cogwatch is the stack's Triggers property: cogwatch's functions.
func cogwatch() map[string]string {
	return map[string]string{"PreSignUp": cogPreSignUp, "PreAuthentication": cogAuth, "PostAuthentication": cogAuth, "PostConfirmation": cogPostConf}
}

// cogwatchAll is cogwatch's function for every slot it handles.
func cogwatchAll() map[string]string {
	m := cogwatch()
	m["PreTokenGeneration"], m["CustomMessage"] = cogTokens, cogMessage
	return m
}

// productionPool is a pool with every setting a production pool may have,
// custom senders with their KMS key and version and alias ARNs in slots.
func productionPool(id string, lc *types.LambdaConfigType) *types.UserPoolType {
	created := time.Date(2023, 5, 4, 10, 0, 0, 0, time.UTC)
	return &types.UserPoolType{
		Id:                     aws.String(id),
		Name:                   aws.String("production-users"),
		Arn:                    aws.String("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/" + id),
		CreationDate:           &created,
		EstimatedNumberOfUsers: 184220,
		DeletionProtection:     types.DeletionProtectionTypeActive,
		UserPoolTier:           types.UserPoolTierTypePlus,
		MfaConfiguration:       types.UserPoolMfaTypeOptional,
		Policies: &types.UserPoolPolicyType{
			PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(14), PasswordHistorySize: aws.Int32(5),
				RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 3},
			SignInPolicy: &types.SignInPolicyType{AllowedFirstAuthFactors: []types.AuthFactorType{types.AuthFactorTypePassword, types.AuthFactorTypeEmailOtp}},
		},
		LambdaConfig:           lc,
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		UsernameConfiguration:  &types.UsernameConfigurationType{CaseSensitive: aws.Bool(false)},
		SchemaAttributes: []types.SchemaAttributeType{
			{Name: aws.String("email"), AttributeDataType: types.AttributeDataTypeString, Required: aws.Bool(true), Mutable: aws.Bool(true)},
			{Name: aws.String("custom:tenant"), AttributeDataType: types.AttributeDataTypeString, Mutable: aws.Bool(false),
				StringAttributeConstraints: &types.StringAttributeConstraintsType{MinLength: aws.String("1"), MaxLength: aws.String("64")}},
		},
		SmsVerificationMessage:   aws.String("Your Acme code is {####}"),
		EmailVerificationMessage: aws.String("Your Acme code is {####}"),
		EmailVerificationSubject: aws.String("Your Acme code"),
		SmsAuthenticationMessage: aws.String("Your Acme sign-in code is {####}"),
		VerificationMessageTemplate: &types.VerificationMessageTemplateType{
			DefaultEmailOption: types.DefaultEmailOptionTypeConfirmWithCode,
			EmailMessage:       aws.String("Your Acme code is {####}"), EmailSubject: aws.String("Your Acme code"),
			SmsMessage: aws.String("Your Acme code is {####}"),
		},
		SmsConfiguration: &types.SmsConfigurationType{SnsCallerArn: aws.String("arn:aws:iam::123456789012:role/cognito-sms"),
			ExternalId: aws.String("acme-sms"), SnsRegion: aws.String("eu-west-1")},
		EmailConfiguration: &types.EmailConfigurationType{EmailSendingAccount: types.EmailSendingAccountTypeDeveloper,
			SourceArn: aws.String("arn:aws:ses:eu-west-1:123456789012:identity/acme.example"), From: aws.String("Acme <no-reply@acme.example>"),
			ReplyToEmailAddress: aws.String("support@acme.example"), ConfigurationSet: aws.String("cognito")},
		DeviceConfiguration: &types.DeviceConfigurationType{ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true},
		AdminCreateUserConfig: &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: false,
			InviteMessageTemplate: &types.MessageTemplateType{EmailMessage: aws.String("Welcome {username}, your password is {####}"),
				EmailSubject: aws.String("Welcome to Acme"), SMSMessage: aws.String("Acme: {username} {####}")}},
		UserPoolTags:           map[string]string{"team": "identity", "cost-center": "42"},
		AccountRecoverySetting: &types.AccountRecoverySettingType{RecoveryMechanisms: []types.RecoveryOptionType{{Name: types.RecoveryOptionNameTypeVerifiedEmail, Priority: aws.Int32(1)}}},
		UserAttributeUpdateSettings: &types.UserAttributeUpdateSettingsType{
			AttributesRequireVerificationBeforeUpdate: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail}},
		UserPoolAddOns:      &types.UserPoolAddOnsType{AdvancedSecurityMode: types.AdvancedSecurityModeTypeAudit},
		IssuerConfiguration: &types.IssuerConfigurationType{Type: "STANDARD"},
		KeyConfiguration:    &types.KeyConfigurationType{KeyType: "CUSTOMER_MANAGED_KEY", KmsKeyArn: aws.String(kmsKey)},
		Domain:              aws.String("acme-login"),
	}
}

// adoptersConfig is a LambdaConfig with the adopter's functions, custom
// senders under a KMS key and a V2 pre token generation.
func adoptersConfig(preSignUp string) *types.LambdaConfigType {
	return &types.LambdaConfigType{
		PreSignUp:        aws.String(preSignUp),
		PostConfirmation: aws.String(theirPostConf),
		CustomMessage:    aws.String(theirMessage),
		KMSKeyID:         aws.String(kmsKey),
		CustomSMSSender:  &types.CustomSMSLambdaVersionConfigType{LambdaArn: aws.String(theirSender), LambdaVersion: types.CustomSMSSenderLambdaVersionTypeV10},
		CustomEmailSender: &types.CustomEmailLambdaVersionConfigType{LambdaArn: aws.String(theirSender),
			LambdaVersion: types.CustomEmailSenderLambdaVersionTypeV10},
		PreTokenGeneration:       aws.String(theirTokens),
		PreTokenGenerationConfig: &types.PreTokenGenerationVersionConfigType{LambdaArn: aws.String(theirTokens), LambdaVersion: types.PreTokenGenerationLambdaVersionTypeV20},
	}
}

// filledPool is a pool whose every field, at every depth, holds a value
// (strings a Lambda ARN, numbers 7, booleans true), so that a field the
// copy forgets shows.
func filledPool(id string) *types.UserPoolType {
	p := &types.UserPoolType{}
	fill(reflect.ValueOf(p).Elem())
	p.Id = aws.String(id)
	return p
}

const filled = "arn:aws:lambda:eu-west-1:123456789012:function:filled"

func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.Type().Elem().Kind() == reflect.Struct && v.Type().Elem() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(aws.Time(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC))))
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString(filled)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int32, reflect.Int64, reflect.Int:
		v.SetInt(7)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0))
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}
