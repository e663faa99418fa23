// Package userpooldomain is the Custom::UserPoolDomain CloudFormation custom
// resource: a Cognito user-pool domain, prefix (auth-prefix.auth.<region>.amazoncognito.com)
// or custom (auth.example.com with an ACM certificate), with its managed-login
// version.
//
// Over the native AWS::Cognito::UserPoolDomain it adds: checks, before
// creating, of what Cognito would reject late (the parent domain's A record,
// a certificate outside us-east-1, reserved words in a prefix); a wait until
// the domain is ACTIVE, within the function's deadline; and the alias
// hosted-zone id of the partition (Z2FDTNDATAQYW2, Z3RFFRIM2A3IF5 in China)
// beside the CloudFront distribution, ready for a Route 53 alias record.
//
// Properties, named as on the native resource: UserPoolId, Domain,
// CustomDomainConfig.CertificateArn, ManagedLoginVersion. The physical id is
// the domain; a changed Domain is a replacement (CloudFormation then deletes
// the old one). Fn::GetAtt: CloudFrontDistribution, AliasHostedZoneId, Domain.
package userpooldomain
