// Package orgs is the AWS Organizations domain: the organization of the
// management account, its root, organizational units, member accounts
// (created with their OrganizationAccountAccessRole, closed, removed),
// service and resource control policies and their attachments, the SCP
// levels the authorizer applies to a member account's principals and the
// RCP levels it applies to a member account's resources, each account's
// organization id and path (aws:PrincipalOrgID, aws:ResourceOrgID, …),
// invitations
// (INVITE handshakes: an account outside the organization, a removed one
// included, is invited and joins when it accepts; handshakes.go), the
// tags of roots, OUs, accounts and policies (tags.go), the ARNs of the
// resources requests name, for resource-level permissions (arns.go), the
// organization's own lifecycle (CreateOrganization, DeleteOrganization,
// LeaveOrganization, EnableAllFeatures; lifecycle.go), trusted access and
// delegated administrators (services.go), and the delegation policy: the
// one way a member account's principals may use the management account's
// read-only operations (delegation.go).
//
// Every record lives in the store's global space (Account ""), so the
// authorizer's cache drops everything when any of them changes. Each
// operation runs in one store.Update: it is all-or-nothing. Errors are
// *awserr.Error values (or *Error, which adds the Reason member of
// ConstraintViolationException and InvalidInputException) carrying
// Organizations' codes and words.
//
// Imports: store (the contract, never a backend), internal/iam (accounts
// and the member account's role), internal/awserr, internal/ids and the
// policy engine. Never the transport.
package orgs
