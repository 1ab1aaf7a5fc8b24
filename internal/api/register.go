package api

import (
	"github.com/hatrack/hatrack/internal/audit"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/orgs"
	"github.com/hatrack/hatrack/internal/sts"
)

// Services are the domain services the operations call.
type Services struct {
	IAM *iam.Service
	STS *sts.Service
	// Orgs is the Organizations domain (JSON 1.1).
	Orgs *orgs.Service
	// Audit is the audit trail CloudTrail's LookupEvents reads (JSON 1.1).
	Audit *audit.Trail
	// Federation serves AssumeRoleWithWebIdentity/SAML (sts_federation.go).
	Federation *Federation
	// Hatrack serves Hatrack's own API: resource policies and the
	// authorization endpoint (JSON 1.1, hatrack_ops.go).
	Hatrack *Hatrack
}

// RegisterAll registers every operation Hatrack serves.
func RegisterAll(reg *Registry, s Services) {
	reg.Add(iamUserOps(s.IAM)...)
	reg.Add(iamAccessKeyOps(s.IAM)...)
	reg.Add(iamRoleOps(s.IAM)...)
	reg.Add(iamPolicyOps(s.IAM)...)
	for _, noun := range []string{"User", "Group", "Role"} {
		reg.Add(iamEntityPolicyOps(s.IAM, noun)...)
	}
	reg.Add(iamGroupOps(s.IAM)...)
	reg.Add(iamAccountOps(s.IAM)...)
	reg.Add(iamSimulateOps(s.IAM)...)
	reg.Add(stsIdentityOps()...)
	if s.STS != nil {
		reg.Add(stsSessionOps(s.STS)...)
	}
	reg.Add(iamMFAOps(s.IAM)...)
	reg.Add(iamProviderOps(s.IAM, s.Federation != nil && s.Federation.Keys != nil && s.Federation.Keys.AllowHTTPLoopback)...)
	if s.Federation != nil {
		reg.Add(federationOps(s.Federation)...)
	}
}

// RegisterJSON registers every JSON 1.1 service Hatrack serves (json.go
// says how to add one).
func RegisterJSON(reg *JSONRegistry, s Services) {
	if s.Orgs != nil {
		reg.Add(orgsService, orgsOps(s.Orgs)...)
	}
	if s.Audit != nil {
		reg.Add(cloudTrailService, cloudTrailOps(s.Audit)...)
	}
	if s.Hatrack != nil {
		reg.Add(hatrackService, hatrackOps(s.Hatrack)...)
	}
}
