// Package setup is Hatrack's declarative setup: a YAML file that describes
// an organization (units, service control policies, member accounts) and,
// per account, the IAM users, groups, roles, customer-managed policies and
// identity providers it should hold.
//
// The package is a client of a running server. It reads the current state
// through the AWS APIs (IAM, STS, Organizations — the aws-sdk-go-v2 clients,
// behind the narrow interfaces in api.go), compares it with the file
// (Diff, a pure function over two Files), turns the differences into an
// ordered Plan of Steps, and executes the plan, stopping at the first
// failure. Export writes the current state in the same format, so that
// export followed by apply on an empty server reproduces it.
//
// Member accounts are reached as AWS Organizations users reach them: by
// sts:AssumeRole into OrganizationAccountAccessRole from the management
// account.
//
// Imports: the AWS SDK and yaml.v3 only; never the store or the domain.
package setup
