package orgs

import (
	"context"
	"fmt"
	"strings"

	"github.com/hatrack/hatrack/store"
)

// ResourceKind names what an id in an Organizations request denotes: one
// of the resource types of the Service Authorization Reference (account,
// organizationalunit, root, policy) or a parameter that may denote several
// of them (a ParentId, ChildId or TargetId).
type ResourceKind int

// Resource kinds of Organizations requests.
const (
	ResourceAccount ResourceKind = iota + 1
	ResourceOU
	ResourceRoot
	ResourcePolicy
	// ResourceParent is a root or OU id (ParentId).
	ResourceParent
	// ResourceChild is an account or OU id (ChildId).
	ResourceChild
	// ResourceTarget is a root, OU or account id (TargetId).
	ResourceTarget
	// ResourceTaggable is a root, OU, account or policy id (ResourceId of
	// TagResource, UntagResource and ListTagsForResource).
	ResourceTaggable
	// ResourceHandshake is a handshake id (HandshakeId).
	ResourceHandshake
)

// RootARNFor is the ARN of the root id in this organization.
func (o *Organization) RootARNFor(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:root/%s/%s", o.ManagementAccount, o.ID, id)
}

// policyARN is the ARN of a policy of type t with id: AWS-managed
// policies live under "aws", without an organization.
func (o *Organization) policyARN(t, id string, awsManaged bool) string {
	t = strings.ToLower(t)
	if awsManaged {
		return "arn:aws:organizations::aws:policy/" + t + "/" + id
	}
	return fmt.Sprintf("arn:aws:organizations::%s:policy/%s/%s/%s", o.ManagementAccount, o.ID, t, id)
}

// ResourceARN returns the ARN an IAM policy names for the Organizations
// resource id (of kind) that a request by caller's account acts on, for
// authorization before the operation runs. The ARN is built from the id
// whether or not the resource exists, so that a caller allowed on it then
// gets the operation's own answer (AccountNotFoundException, …) and a
// caller not allowed on it is denied.
//
// It returns "*" — which only a policy naming every resource matches —
// when the id does not have the form of its kind, when there is no
// organization, and when caller is not the management account (member
// accounts are refused by the operations themselves, with
// AccessDeniedException, and their principals cannot be granted the
// management account's resources by their own policies).
func (s *Service) ResourceARN(ctx context.Context, caller string, kind ResourceKind, id string) string {
	arn := "*"
	_ = s.store.View(ctx, func(r store.Reader) error {
		org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
		if err != nil || org.ManagementAccount != caller {
			return err
		}
		arn, err = org.resourceARN(ctx, r, kind, id)
		if err != nil {
			arn = "*"
		}
		return err
	})
	return arn
}

// resourceARN builds the ARN of id (of kind); "*" for a malformed id.
func (o *Organization) resourceARN(ctx context.Context, r store.Reader, kind ResourceKind, id string) (string, error) {
	isAccount, isOU, isRoot := reAccountID.MatchString(id), reOUID.MatchString(id), reRootID.MatchString(id)
	switch {
	case isAccount && (kind == ResourceAccount || kind == ResourceChild || kind == ResourceTarget || kind == ResourceTaggable):
		return o.AccountARN(id), nil
	case isOU && (kind == ResourceOU || kind == ResourceParent || kind == ResourceChild || kind == ResourceTarget || kind == ResourceTaggable):
		return o.OUARN(id), nil
	case isRoot && (kind == ResourceRoot || kind == ResourceParent || kind == ResourceTarget || kind == ResourceTaggable):
		return o.RootARNFor(id), nil
	case kind == ResourceHandshake && reHandshakeID.MatchString(id):
		h, err := get[Handshake](ctx, r, KindHandshake, id)
		if notFound(err) {
			// An unknown handshake: the form of an invitation (the only
			// handshake this deployment makes).
			return o.handshakeARN(ActionInvite, id), nil
		}
		if err != nil {
			return "", err
		}
		return o.handshakeARN(h.Action, h.ID), nil
	case (kind == ResourcePolicy || kind == ResourceTaggable) && rePolicyID.MatchString(id):
		p, err := getByID[Policy](ctx, r, KindPolicy, id)
		if notFound(err) {
			// An unknown policy: the form of a customer-managed SCP (the
			// only type this deployment serves).
			return o.policyARN(TypeSCP, id, false), nil
		}
		if err != nil {
			return "", err
		}
		return o.PolicyARN(p), nil
	}
	return "*", nil
}

// handshakeARN is the ARN of a handshake: its action, in lower case,
// names its type.
func (o *Organization) handshakeARN(action, id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:handshake/%s/%s/%s", o.ManagementAccount, o.ID, strings.ToLower(action), id)
}

// PolicyType returns the type of the policy id, for the
// organizations:PolicyType condition key of a request by caller's
// account; "" when the policy is unknown or caller is not the management
// account.
func (s *Service) PolicyType(ctx context.Context, caller, id string) string {
	if !rePolicyID.MatchString(id) {
		return ""
	}
	t := ""
	_ = s.store.View(ctx, func(r store.Reader) error {
		org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
		if err != nil || org.ManagementAccount != caller {
			return err
		}
		p, err := getByID[Policy](ctx, r, KindPolicy, id)
		if err != nil {
			return err
		}
		t = p.Type
		return nil
	})
	return t
}
