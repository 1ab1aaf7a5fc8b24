package api

import "github.com/hatrack/hatrack/internal/iam"

// Services are the domain services the operations call.
type Services struct {
	IAM *iam.Service
}

// RegisterAll registers every operation Hatrack serves.
func RegisterAll(reg *Registry, s Services) {
	reg.Add(iamUserOps(s.IAM)...)
	reg.Add(iamAccessKeyOps(s.IAM)...)
	reg.Add(stsIdentityOps()...)
}
