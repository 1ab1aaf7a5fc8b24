package api

import (
	"context"
	"net/http"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/orgs"
	"github.com/hatrack/hatrack/policy"
)

// Organizations on the wire (AWS JSON 1.1, X-Amz-Target
// AWSOrganizationsV20161128.<Op>, signing name "organizations").

var orgsService = JSONService{
	TargetPrefix:       "AWSOrganizationsV20161128",
	SigningName:        "organizations",
	AccessDeniedStatus: http.StatusBadRequest,
	InternalError: awserr.New(http.StatusInternalServerError, "ServiceException",
		"AWS Organizations can't complete your request because of an internal service error. Try again later."),
}

type orgsHandler func(ctx context.Context, c *Call, s *orgs.Service) (any, error)

func orgsOps(s *orgs.Service) []*Op {
	def := func(name string, mutates bool, h orgsHandler) *Op {
		return &Op{Service: orgsService.SigningName, Name: name, Mutates: mutates,
			Handle: func(ctx context.Context, c *Call) (any, error) { return h(ctx, c, s) }}
	}
	// Resources and condition keys follow the Service Authorization
	// Reference ("Actions, resources, and condition keys for AWS
	// Organizations"): an op whose row lists resource types is authorized
	// against the ARN of the resource the request names (for AttachPolicy
	// and DetachPolicy, the policy and the target, each of which must be
	// allowed); the others against "*".
	//
	// addContext adds condition keys to those the op already sets.
	addContext := func(op *Op, fn func(c *Call, pc *policy.Context)) *Op {
		prev := op.Context
		op.Context = func(c *Call, pc *policy.Context) {
			if prev != nil {
				prev(c, pc)
			}
			fn(c, pc)
		}
		return op
	}
	// on also sets aws:ResourceTag/${TagKey} from the tags of the account,
	// OU, root or policy the request names (the condition key of those
	// resource types).
	on := func(op *Op, kind orgs.ResourceKind, id func(orgsIDs) string) *Op {
		op.Resource = func(c *Call) string {
			var in orgsIDs
			if c.decodeJSON(&in) != nil {
				return "*" // the handler answers SerializationException
			}
			return s.ResourceARN(callContext(c), c.Account(), kind, id(in))
		}
		if kind == orgs.ResourceHandshake {
			return op // handshakes have no tags
		}
		return addContext(op, func(c *Call, pc *policy.Context) {
			var in orgsIDs
			if c.decodeJSON(&in) != nil {
				return
			}
			for _, t := range s.ResourceTags(callContext(c), c.Account(), kind, id(in)) {
				pc.Set("aws:ResourceTag/"+t.Key, t.Value)
			}
		})
	}
	// withRequestTags sets aws:RequestTag/${TagKey} and aws:TagKeys from
	// the request's Tags.
	withRequestTags := func(op *Op) *Op {
		return addContext(op, func(c *Call, pc *policy.Context) {
			var in struct{ Tags []jsonTag }
			if c.decodeJSON(&in) != nil || len(in.Tags) == 0 {
				return
			}
			keys := make([]string, 0, len(in.Tags))
			for _, t := range in.Tags {
				pc.Set("aws:RequestTag/"+t.Key, t.Value)
				keys = append(keys, t.Key)
			}
			pc.Set("aws:TagKeys", keys...)
		})
	}
	// withTagKeys sets aws:TagKeys from the request's TagKeys.
	withTagKeys := func(op *Op) *Op {
		return addContext(op, func(c *Call, pc *policy.Context) {
			var in struct{ TagKeys []string }
			if c.decodeJSON(&in) != nil || len(in.TagKeys) == 0 {
				return
			}
			pc.Set("aws:TagKeys", in.TagKeys...)
		})
	}
	// withTarget also authorizes the request's TargetId (an account, OU
	// or root: AttachPolicy's and DetachPolicy's optional resource types).
	withTarget := func(op *Op) *Op {
		op.MoreResources = func(c *Call) []string {
			var in orgsIDs
			if c.decodeJSON(&in) != nil {
				return nil
			}
			if arn := s.ResourceARN(callContext(c), c.Account(), orgs.ResourceTarget, in.TargetId); arn != "*" {
				return []string{arn}
			}
			return nil
		}
		return op
	}
	// organizations:PolicyType: the type of the policy the request names,
	// or the type in the request.
	ofPolicy := func(op *Op) *Op {
		return addContext(op, func(c *Call, pc *policy.Context) {
			var in orgsIDs
			if c.decodeJSON(&in) != nil {
				return
			}
			if t := s.PolicyType(callContext(c), c.Account(), in.PolicyId); t != "" {
				pc.Set("organizations:PolicyType", t)
			}
		})
	}
	ofParam := func(op *Op, param func(orgsIDs) string) *Op {
		return addContext(op, func(c *Call, pc *policy.Context) {
			var in orgsIDs
			if c.decodeJSON(&in) != nil {
				return
			}
			if t := param(in); t != "" {
				pc.Set("organizations:PolicyType", t)
			}
		})
	}
	// withServicePrincipal sets organizations:ServicePrincipal from the
	// request's ServicePrincipal.
	withServicePrincipal := func(op *Op) *Op {
		return addContext(op, func(c *Call, pc *policy.Context) {
			var in orgsIDs
			if c.decodeJSON(&in) == nil && in.ServicePrincipal != "" {
				pc.Set("organizations:ServicePrincipal", in.ServicePrincipal)
			}
		})
	}
	// delegable marks a read-only operation the organization's delegation
	// policy (PutResourcePolicy) may grant to a member account's
	// principals: the handler runs with the caller as orgs.Delegate, and
	// the domain lets a member account through only when that policy
	// allows the principal the action on the resource named by id (nil:
	// "*"). No other operation is ever delegated.
	delegable := func(op *Op, kind orgs.ResourceKind, id func(orgsIDs) string) *Op {
		h := op.Handle
		op.Handle = func(ctx context.Context, c *Call) (any, error) {
			if c.Caller == nil {
				return h(ctx, c)
			}
			d := orgs.Delegate{Principal: orgsPrincipal(c.Caller), Action: "organizations:" + op.Name}
			if id != nil {
				var in orgsIDs
				if c.decodeJSON(&in) == nil {
					d.Kind, d.ID = kind, id(in)
				}
			}
			return h(orgs.WithDelegate(ctx, d), c)
		}
		return op
	}
	account := func(in orgsIDs) string { return in.AccountId }
	ou := func(in orgsIDs) string { return in.OrganizationalUnitId }
	parent := func(in orgsIDs) string { return in.ParentId }
	root := func(in orgsIDs) string { return in.RootId }
	pol := func(in orgsIDs) string { return in.PolicyId }
	handshake := func(in orgsIDs) string { return in.HandshakeId }
	resource := func(in orgsIDs) string { return in.ResourceId }
	child := func(in orgsIDs) string { return in.ChildId }
	target := func(in orgsIDs) string { return in.TargetId }
	return []*Op{
		def("DescribeOrganization", false, orgsDescribeOrganization),
		delegable(def("ListRoots", false, orgsListRoots), 0, nil),
		ofParam(on(def("EnablePolicyType", true, orgsEnablePolicyType), orgs.ResourceRoot, root), func(in orgsIDs) string { return in.PolicyType }),
		ofParam(on(def("DisablePolicyType", true, orgsDisablePolicyType), orgs.ResourceRoot, root), func(in orgsIDs) string { return in.PolicyType }),
		withRequestTags(def("CreateAccount", true, orgsCreateAccount)),
		def("DescribeCreateAccountStatus", false, orgsDescribeCreateAccountStatus),
		def("ListCreateAccountStatus", false, orgsListCreateAccountStatus),
		delegable(def("ListAccounts", false, orgsListAccounts), 0, nil),
		delegable(on(def("ListAccountsForParent", false, orgsListAccountsForParent), orgs.ResourceParent, parent), orgs.ResourceParent, parent),
		delegable(on(def("DescribeAccount", false, orgsDescribeAccount), orgs.ResourceAccount, account), orgs.ResourceAccount, account),
		on(def("MoveAccount", true, orgsMoveAccount), orgs.ResourceAccount, account),
		on(def("CloseAccount", true, orgsCloseAccount), orgs.ResourceAccount, account),
		on(def("RemoveAccountFromOrganization", true, orgsRemoveAccount), orgs.ResourceAccount, account),
		withRequestTags(on(def("CreateOrganizationalUnit", true, orgsCreateOU), orgs.ResourceParent, parent)),
		delegable(on(def("DescribeOrganizationalUnit", false, orgsDescribeOU), orgs.ResourceOU, ou), orgs.ResourceOU, ou),
		on(def("UpdateOrganizationalUnit", true, orgsUpdateOU), orgs.ResourceOU, ou),
		on(def("DeleteOrganizationalUnit", true, orgsDeleteOU), orgs.ResourceOU, ou),
		delegable(on(def("ListOrganizationalUnitsForParent", false, orgsListOUsForParent), orgs.ResourceParent, parent), orgs.ResourceParent, parent),
		delegable(on(def("ListChildren", false, orgsListChildren), orgs.ResourceParent, parent), orgs.ResourceParent, parent),
		delegable(on(def("ListParents", false, orgsListParents), orgs.ResourceChild, child), orgs.ResourceChild, child),
		withRequestTags(ofParam(def("CreatePolicy", true, orgsCreatePolicy), func(in orgsIDs) string { return in.Type })),
		delegable(ofPolicy(on(def("DescribePolicy", false, orgsDescribePolicy), orgs.ResourcePolicy, pol)), orgs.ResourcePolicy, pol),
		ofPolicy(on(def("UpdatePolicy", true, orgsUpdatePolicy), orgs.ResourcePolicy, pol)),
		ofPolicy(on(def("DeletePolicy", true, orgsDeletePolicy), orgs.ResourcePolicy, pol)),
		withTarget(ofPolicy(on(def("AttachPolicy", true, orgsAttachPolicy), orgs.ResourcePolicy, pol))),
		withTarget(ofPolicy(on(def("DetachPolicy", true, orgsDetachPolicy), orgs.ResourcePolicy, pol))),
		delegable(ofParam(def("ListPolicies", false, orgsListPolicies), func(in orgsIDs) string { return in.Filter }), 0, nil),
		delegable(ofParam(on(def("ListPoliciesForTarget", false, orgsListPoliciesForTarget), orgs.ResourceTarget, target),
			func(in orgsIDs) string { return in.Filter }), orgs.ResourceTarget, target),
		delegable(ofPolicy(on(def("ListTargetsForPolicy", false, orgsListTargetsForPolicy), orgs.ResourcePolicy, pol)), orgs.ResourcePolicy, pol),
		// Handshakes: Accept, Decline, Cancel and Describe act on the
		// handshake; Invite and the lists on "*".
		withRequestTags(def("InviteAccountToOrganization", true, orgsInviteAccount)),
		on(def("AcceptHandshake", true, orgsAcceptHandshake), orgs.ResourceHandshake, handshake),
		on(def("DeclineHandshake", true, orgsDeclineHandshake), orgs.ResourceHandshake, handshake),
		on(def("CancelHandshake", true, orgsCancelHandshake), orgs.ResourceHandshake, handshake),
		on(def("DescribeHandshake", false, orgsDescribeHandshake), orgs.ResourceHandshake, handshake),
		def("ListHandshakesForAccount", false, orgsListHandshakesForAccount),
		def("ListHandshakesForOrganization", false, orgsListHandshakesForOrganization),
		// Tags: the account, OU, root or policy named by ResourceId.
		withRequestTags(on(def("TagResource", true, orgsTagResource), orgs.ResourceTaggable, resource)),
		withTagKeys(on(def("UntagResource", true, orgsUntagResource), orgs.ResourceTaggable, resource)),
		delegable(on(def("ListTagsForResource", false, orgsListTagsForResource), orgs.ResourceTaggable, resource), orgs.ResourceTaggable, resource),
		// The organization itself, trusted access, delegated
		// administrators and the delegation policy: "*", but the
		// delegated administrator operations act on the account.
		def("CreateOrganization", true, orgsCreateOrganization),
		def("DeleteOrganization", true, orgsDeleteOrganization),
		def("LeaveOrganization", true, orgsLeaveOrganization),
		def("EnableAllFeatures", true, orgsEnableAllFeatures),
		withServicePrincipal(def("EnableAWSServiceAccess", true, orgsEnableAWSServiceAccess)),
		withServicePrincipal(def("DisableAWSServiceAccess", true, orgsDisableAWSServiceAccess)),
		def("ListAWSServiceAccessForOrganization", false, orgsListAWSServiceAccess),
		withServicePrincipal(on(def("RegisterDelegatedAdministrator", true, orgsRegisterDelegatedAdmin), orgs.ResourceAccount, account)),
		withServicePrincipal(on(def("DeregisterDelegatedAdministrator", true, orgsDeregisterDelegatedAdmin), orgs.ResourceAccount, account)),
		withServicePrincipal(def("ListDelegatedAdministrators", false, orgsListDelegatedAdmins)),
		on(def("ListDelegatedServicesForAccount", false, orgsListDelegatedServices), orgs.ResourceAccount, account),
		withTagKeys(withRequestTags(def("PutResourcePolicy", true, orgsPutResourcePolicy))),
		def("DescribeResourcePolicy", false, orgsDescribeResourcePolicy),
		def("DeleteResourcePolicy", true, orgsDeleteResourcePolicy),
		ofParam(on(def("DescribeEffectivePolicy", false, orgsDescribeEffectivePolicy), orgs.ResourceTarget, target),
			func(in orgsIDs) string { return in.PolicyType }),
	}
}

// orgsIDs are the request members that name the resource an operation
// acts on, or its policy type, read for authorization before the handler
// runs. Only string members: a request whose members have other types is
// not decoded (and is answered SerializationException by the handler).
type orgsIDs struct {
	AccountId, OrganizationalUnitId, ParentId, ChildId, TargetId, PolicyId, RootId string
	HandshakeId, ResourceId                                                        string
	PolicyType, Type, Filter                                                       string
	ServicePrincipal                                                               string
}

// orgsPrincipal is the caller as the policy engine names it, for the
// delegation policy.
func orgsPrincipal(c *authn.Caller) policy.Principal {
	p := policy.Principal{Account: c.Account, ARN: c.ARN, PrincipalARN: c.PrincipalARN, UniqueID: c.UniqueID}
	switch c.Type {
	case authn.TypeRoot:
		p.Type = policy.Root
	case authn.TypeUser:
		p.Type = policy.User
	case authn.TypeAssumedRole:
		p.Type = policy.AssumedRole
	case authn.TypeFederatedUser:
		p.Type = policy.FederatedUser
		if c.Session != nil {
			p.UserARN = c.Session.SourceARN
		}
	default:
		p.Type = policy.Anonymous // matches no principal: fails closed
	}
	return p
}

// callContext is the request's context (Background for calls built
// without an HTTP request).
func callContext(c *Call) context.Context {
	if c.HTTP != nil {
		return c.HTTP.Context()
	}
	return context.Background()
}

// Shapes of the Organizations API.

type jsonPolicyTypeSummary struct {
	Type   string
	Status string
}

type jsonOrganization struct {
	Id                   string
	Arn                  string
	FeatureSet           string
	MasterAccountArn     string
	MasterAccountId      string
	MasterAccountEmail   string
	AvailablePolicyTypes []jsonPolicyTypeSummary
}

type jsonRoot struct {
	Id          string
	Arn         string
	Name        string
	PolicyTypes []jsonPolicyTypeSummary
}

type jsonAccount struct {
	Id              string
	Arn             string
	Email           string
	Name            string
	Status          string
	State           string
	JoinedMethod    string
	JoinedTimestamp *EpochTime
}

type jsonOU struct {
	Id   string
	Arn  string
	Name string
}

type jsonPolicySummary struct {
	Id          string
	Arn         string
	Name        string
	Description string
	Type        string
	AwsManaged  bool
}

type jsonPolicy struct {
	PolicySummary jsonPolicySummary
	Content       string
}

type jsonTarget struct {
	TargetId string
	Arn      string
	Name     string
	Type     string
}

type jsonCreateStatus struct {
	Id                 string
	AccountName        string
	State              string
	RequestedTimestamp *EpochTime
	CompletedTimestamp *EpochTime `json:",omitempty"`
	AccountId          string     `json:",omitempty"`
	FailureReason      string     `json:",omitempty"`
}

type jsonChild struct {
	Id   string
	Type string
}

func toJSONOrganization(o *orgs.Organization) jsonOrganization {
	out := jsonOrganization{Id: o.ID, Arn: o.ARN(), FeatureSet: o.FeatureSet,
		MasterAccountArn: "arn:aws:organizations::" + o.ManagementAccount + ":account/" + o.ID + "/" + o.ManagementAccount,
		MasterAccountId:  o.ManagementAccount, MasterAccountEmail: o.ManagementEmail,
		AvailablePolicyTypes: []jsonPolicyTypeSummary{}}
	if o.SCPEnabled() {
		out.AvailablePolicyTypes = append(out.AvailablePolicyTypes, jsonPolicyTypeSummary{Type: orgs.TypeSCP, Status: "ENABLED"})
	}
	return out
}

func toJSONRoot(o *orgs.Organization) jsonRoot {
	r := jsonRoot{Id: o.RootID, Arn: o.RootARN(), Name: "Root", PolicyTypes: []jsonPolicyTypeSummary{}}
	for _, t := range o.EnabledTypes {
		r.PolicyTypes = append(r.PolicyTypes, jsonPolicyTypeSummary{Type: t, Status: "ENABLED"})
	}
	return r
}

func toJSONAccount(a *orgs.Account) jsonAccount {
	return jsonAccount{Id: a.ID, Arn: a.ARN, Email: a.Email, Name: a.Name, Status: a.Status, State: a.State,
		JoinedMethod: a.JoinedMethod, JoinedTimestamp: Epoch(a.Joined)}
}

func toJSONOU(o *orgs.Organization, ou *orgs.OU) jsonOU {
	return jsonOU{Id: ou.ID, Arn: o.OUARN(ou.ID), Name: ou.Name}
}

func toJSONPolicySummary(p *orgs.Policy) jsonPolicySummary {
	return jsonPolicySummary{Id: p.ID, Arn: p.ARN, Name: p.Name, Description: p.Description, Type: p.Type, AwsManaged: p.AWSManaged}
}

func toJSONCreateStatus(s *orgs.CreateStatus) jsonCreateStatus {
	return jsonCreateStatus{Id: s.ID, AccountName: s.AccountName, State: s.State,
		RequestedTimestamp: Epoch(s.Requested), CompletedTimestamp: Epoch(s.Completed),
		AccountId: s.AccountID, FailureReason: s.FailureReason}
}

// pageInput is the NextToken/MaxResults pair of list operations.
type pageInput struct {
	NextToken  *string
	MaxResults *int
}

// orgsPage pages items (sorted by key) the way Organizations does:
// MaxResults 1..20, default 20.
func orgsPage[T any](in pageInput, items []T, key func(T) string) ([]T, *string, error) {
	max := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 {
			return nil, nil, orgs.ErrMaxResults(false)
		}
		if *in.MaxResults > 20 {
			return nil, nil, orgs.ErrMaxResults(true)
		}
		max = *in.MaxResults
	}
	tok := ""
	if in.NextToken != nil {
		tok = *in.NextToken
	}
	page, next, ok := paginate(items, tok, max, key)
	if !ok {
		return nil, nil, orgs.ErrInvalidNextToken()
	}
	if next == "" {
		return page, nil, nil
	}
	return page, &next, nil
}

func mapSlice[T, U any](in []T, f func(T) U) []U {
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

func orgsDescribeOrganization(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	o, err := s.DescribeOrganization(ctx, c.Account())
	if err != nil {
		return nil, err
	}
	return struct{ Organization jsonOrganization }{toJSONOrganization(o)}, nil
}

func orgsListRoots(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in pageInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	o, err := s.Roots(ctx, c.Account())
	if err != nil {
		return nil, err
	}
	roots, next, err := orgsPage(in, []jsonRoot{toJSONRoot(o)}, func(r jsonRoot) string { return r.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		Roots     []jsonRoot
		NextToken *string `json:",omitempty"`
	}{roots, next}, nil
}

type policyTypeInput struct {
	RootId     string
	PolicyType string
}

func orgsEnablePolicyType(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in policyTypeInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	o, err := s.EnablePolicyType(ctx, c.Account(), in.RootId, in.PolicyType)
	if err != nil {
		return nil, err
	}
	return struct{ Root jsonRoot }{toJSONRoot(o)}, nil
}

func orgsDisablePolicyType(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in policyTypeInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	o, err := s.DisablePolicyType(ctx, c.Account(), in.RootId, in.PolicyType)
	if err != nil {
		return nil, err
	}
	return struct{ Root jsonRoot }{toJSONRoot(o)}, nil
}

func orgsCreateAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		AccountName            string
		Email                  string
		RoleName               string
		IamUserAccessToBilling string
		Tags                   []jsonTag
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	switch in.IamUserAccessToBilling {
	case "", "ALLOW", "DENY":
	default:
		return nil, orgs.ErrInvalidEnum()
	}
	st, err := s.CreateAccount(ctx, c.Account(), orgs.CreateAccountInput{AccountName: in.AccountName, Email: in.Email, RoleName: in.RoleName, Tags: fromJSONTags(in.Tags)})
	if err != nil {
		return nil, err
	}
	return struct{ CreateAccountStatus jsonCreateStatus }{toJSONCreateStatus(st)}, nil
}

func orgsDescribeCreateAccountStatus(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ CreateAccountRequestId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	st, err := s.DescribeCreateAccountStatus(ctx, c.Account(), in.CreateAccountRequestId)
	if err != nil {
		return nil, err
	}
	return struct{ CreateAccountStatus jsonCreateStatus }{toJSONCreateStatus(st)}, nil
}

func orgsListCreateAccountStatus(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		States []string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	sts, err := s.ListCreateAccountStatus(ctx, c.Account(), in.States)
	if err != nil {
		return nil, err
	}
	page, next, err := orgsPage(in.pageInput, mapSlice(sts, toJSONCreateStatus), func(j jsonCreateStatus) string { return j.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		CreateAccountStatuses []jsonCreateStatus
		NextToken             *string `json:",omitempty"`
	}{page, next}, nil
}

func accountsAnswer(in pageInput, accts []*orgs.Account) (any, error) {
	page, next, err := orgsPage(in, mapSlice(accts, toJSONAccount), func(a jsonAccount) string { return a.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		Accounts  []jsonAccount
		NextToken *string `json:",omitempty"`
	}{page, next}, nil
}

func orgsListAccounts(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in pageInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	accts, err := s.ListAccounts(ctx, c.Account())
	if err != nil {
		return nil, err
	}
	return accountsAnswer(in, accts)
}

func orgsListAccountsForParent(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		ParentId string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	accts, err := s.ListAccountsForParent(ctx, c.Account(), in.ParentId)
	if err != nil {
		return nil, err
	}
	return accountsAnswer(in.pageInput, accts)
}

func orgsDescribeAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ AccountId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	a, err := s.DescribeAccount(ctx, c.Account(), in.AccountId)
	if err != nil {
		return nil, err
	}
	return struct{ Account jsonAccount }{toJSONAccount(a)}, nil
}

func orgsMoveAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ AccountId, SourceParentId, DestinationParentId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.MoveAccount(ctx, c.Account(), in.AccountId, in.SourceParentId, in.DestinationParentId)
}

func orgsCloseAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ AccountId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.CloseAccount(ctx, c.Account(), in.AccountId)
}

func orgsRemoveAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ AccountId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.RemoveAccountFromOrganization(ctx, c.Account(), in.AccountId)
}

// ouAnswer needs the organization for the OU's ARN.
func ouAnswer(ctx context.Context, c *Call, s *orgs.Service, ou *orgs.OU) (any, error) {
	o, err := s.DescribeOrganization(ctx, c.Account())
	if err != nil {
		return nil, err
	}
	return struct{ OrganizationalUnit jsonOU }{toJSONOU(o, ou)}, nil
}

func orgsCreateOU(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		ParentId, Name string
		Tags           []jsonTag
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ou, err := s.CreateOrganizationalUnit(ctx, c.Account(), in.ParentId, in.Name, fromJSONTags(in.Tags)...)
	if err != nil {
		return nil, err
	}
	return ouAnswer(ctx, c, s, ou)
}

func orgsDescribeOU(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ OrganizationalUnitId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ou, err := s.DescribeOrganizationalUnit(ctx, c.Account(), in.OrganizationalUnitId)
	if err != nil {
		return nil, err
	}
	return ouAnswer(ctx, c, s, ou)
}

func orgsUpdateOU(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ OrganizationalUnitId, Name string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ou, err := s.UpdateOrganizationalUnit(ctx, c.Account(), in.OrganizationalUnitId, in.Name)
	if err != nil {
		return nil, err
	}
	return ouAnswer(ctx, c, s, ou)
}

func orgsDeleteOU(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ OrganizationalUnitId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.DeleteOrganizationalUnit(ctx, c.Account(), in.OrganizationalUnitId)
}

func orgsListOUsForParent(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		ParentId string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ous, err := s.ListOrganizationalUnitsForParent(ctx, c.Account(), in.ParentId)
	if err != nil {
		return nil, err
	}
	o, err := s.DescribeOrganization(ctx, c.Account())
	if err != nil {
		return nil, err
	}
	page, next, err := orgsPage(in.pageInput, mapSlice(ous, func(ou *orgs.OU) jsonOU { return toJSONOU(o, ou) }), func(j jsonOU) string { return j.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		OrganizationalUnits []jsonOU
		NextToken           *string `json:",omitempty"`
	}{page, next}, nil
}

func childrenAnswer(in pageInput, name string, cs []orgs.Child) (any, error) {
	page, next, err := orgsPage(in, mapSlice(cs, func(ch orgs.Child) jsonChild { return jsonChild{Id: ch.ID, Type: ch.Type} }), func(j jsonChild) string { return j.Id })
	if err != nil {
		return nil, err
	}
	out := map[string]any{name: page}
	if next != nil {
		out["NextToken"] = *next
	}
	return out, nil
}

func orgsListChildren(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		ParentId, ChildType string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	cs, err := s.ListChildren(ctx, c.Account(), in.ParentId, in.ChildType)
	if err != nil {
		return nil, err
	}
	return childrenAnswer(in.pageInput, "Children", cs)
}

func orgsListParents(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		ChildId string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ps, err := s.ListParents(ctx, c.Account(), in.ChildId)
	if err != nil {
		return nil, err
	}
	return childrenAnswer(in.pageInput, "Parents", ps)
}

func policyAnswer(p *orgs.Policy) any {
	return struct{ Policy jsonPolicy }{jsonPolicy{PolicySummary: toJSONPolicySummary(p), Content: p.Content}}
}

func orgsCreatePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		Name, Description, Type, Content string
		Tags                             []jsonTag
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	p, err := s.CreatePolicy(ctx, c.Account(), orgs.CreatePolicyInput{Name: in.Name, Description: in.Description, Type: in.Type, Content: in.Content,
		Tags: fromJSONTags(in.Tags)})
	if err != nil {
		return nil, err
	}
	return policyAnswer(p), nil
}

func orgsDescribePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ PolicyId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	p, err := s.DescribePolicy(ctx, c.Account(), in.PolicyId)
	if err != nil {
		return nil, err
	}
	return policyAnswer(p), nil
}

func orgsUpdatePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		PolicyId                   string
		Name, Description, Content *string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	p, err := s.UpdatePolicy(ctx, c.Account(), orgs.UpdatePolicyInput{ID: in.PolicyId, Name: in.Name, Description: in.Description, Content: in.Content})
	if err != nil {
		return nil, err
	}
	return policyAnswer(p), nil
}

func orgsDeletePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ PolicyId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.DeletePolicy(ctx, c.Account(), in.PolicyId)
}

func orgsAttachPolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ PolicyId, TargetId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.AttachPolicy(ctx, c.Account(), in.PolicyId, in.TargetId)
}

func orgsDetachPolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ PolicyId, TargetId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.DetachPolicy(ctx, c.Account(), in.PolicyId, in.TargetId)
}

func policiesAnswer(in pageInput, ps []*orgs.Policy) (any, error) {
	page, next, err := orgsPage(in, mapSlice(ps, toJSONPolicySummary), func(j jsonPolicySummary) string { return j.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		Policies  []jsonPolicySummary
		NextToken *string `json:",omitempty"`
	}{page, next}, nil
}

func orgsListPolicies(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		Filter string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ps, err := s.ListPolicies(ctx, c.Account(), in.Filter)
	if err != nil {
		return nil, err
	}
	return policiesAnswer(in.pageInput, sortPolicies(ps))
}

func orgsListPoliciesForTarget(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		TargetId, Filter string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ps, err := s.ListPoliciesForTarget(ctx, c.Account(), in.TargetId, in.Filter)
	if err != nil {
		return nil, err
	}
	return policiesAnswer(in.pageInput, sortPolicies(ps))
}

func orgsListTargetsForPolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		PolicyId string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	ts, err := s.ListTargetsForPolicy(ctx, c.Account(), in.PolicyId)
	if err != nil {
		return nil, err
	}
	sortTargets(ts)
	page, next, err := orgsPage(in.pageInput, mapSlice(ts, func(t *orgs.Target) jsonTarget {
		return jsonTarget{TargetId: t.ID, Arn: t.ARN, Name: t.Name, Type: t.Type}
	}), func(j jsonTarget) string { return j.TargetId })
	if err != nil {
		return nil, err
	}
	return struct {
		Targets   []jsonTarget
		NextToken *string `json:",omitempty"`
	}{page, next}, nil
}

// Tags.

type jsonTag struct {
	Key   string
	Value string
}

func fromJSONTags(in []jsonTag) []orgs.Tag {
	if in == nil {
		return nil
	}
	out := make([]orgs.Tag, len(in))
	for i, t := range in {
		out[i] = orgs.Tag{Key: t.Key, Value: t.Value}
	}
	return out
}

func orgsTagResource(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		ResourceId string
		Tags       []jsonTag
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.TagResource(ctx, c.Account(), in.ResourceId, fromJSONTags(in.Tags))
}

func orgsUntagResource(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		ResourceId string
		TagKeys    []string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.UntagResource(ctx, c.Account(), in.ResourceId, in.TagKeys)
}

// maxTagsPage is ListTagsForResource's page: a resource's tags fit in one.
const maxTagsPage = 50

func orgsListTagsForResource(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		ResourceId string
		NextToken  *string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	tags, err := s.ListTagsForResource(ctx, c.Account(), in.ResourceId)
	if err != nil {
		return nil, err
	}
	tok := ""
	if in.NextToken != nil {
		tok = *in.NextToken
	}
	page, next, ok := paginate(sortTags(mapSlice(tags, func(t orgs.Tag) jsonTag { return jsonTag{Key: t.Key, Value: t.Value} })), tok, maxTagsPage,
		func(t jsonTag) string { return t.Key })
	if !ok {
		return nil, orgs.ErrInvalidNextToken()
	}
	out := struct {
		Tags      []jsonTag
		NextToken *string `json:",omitempty"`
	}{Tags: page}
	if next != "" {
		out.NextToken = &next
	}
	return out, nil
}

// Handshakes.

type jsonHandshakeParty struct {
	Id   string
	Type string
}

type jsonHandshakeResource struct {
	Value     string
	Type      string
	Resources []jsonHandshakeResource `json:",omitempty"`
}

type jsonHandshake struct {
	Id                  string
	Arn                 string
	Parties             []jsonHandshakeParty
	State               string
	RequestedTimestamp  *EpochTime
	ExpirationTimestamp *EpochTime
	Action              string
	Resources           []jsonHandshakeResource
}

func toJSONHandshakeResources(rs []orgs.HandshakeResource) []jsonHandshakeResource {
	if len(rs) == 0 {
		return nil
	}
	return mapSlice(rs, func(r orgs.HandshakeResource) jsonHandshakeResource {
		return jsonHandshakeResource{Value: r.Value, Type: r.Type, Resources: toJSONHandshakeResources(r.Resources)}
	})
}

func toJSONHandshake(h *orgs.Handshake) jsonHandshake {
	return jsonHandshake{Id: h.ID, Arn: h.ARN(), State: h.State, Action: h.Action,
		Parties:            mapSlice(h.Parties(), func(p orgs.HandshakeParty) jsonHandshakeParty { return jsonHandshakeParty{Id: p.ID, Type: p.Type} }),
		RequestedTimestamp: Epoch(h.Requested), ExpirationTimestamp: Epoch(h.Expires),
		Resources: toJSONHandshakeResources(h.Resources())}
}

func handshakeAnswer(h *orgs.Handshake, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return struct{ Handshake jsonHandshake }{toJSONHandshake(h)}, nil
}

func orgsInviteAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		Target *struct{ Id, Type string }
		Notes  string
		Tags   []jsonTag
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	inv := orgs.InviteInput{Notes: in.Notes, Tags: fromJSONTags(in.Tags)}
	if in.Target != nil {
		inv.Target = &orgs.HandshakeParty{ID: in.Target.Id, Type: in.Target.Type}
	}
	return handshakeAnswer(s.InviteAccountToOrganization(ctx, c.Account(), inv))
}

type handshakeIDInput struct{ HandshakeId string }

func orgsAcceptHandshake(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in handshakeIDInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return handshakeAnswer(s.AcceptHandshake(ctx, c.Account(), in.HandshakeId))
}

func orgsDeclineHandshake(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in handshakeIDInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return handshakeAnswer(s.DeclineHandshake(ctx, c.Account(), in.HandshakeId))
}

func orgsCancelHandshake(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in handshakeIDInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return handshakeAnswer(s.CancelHandshake(ctx, c.Account(), in.HandshakeId))
}

func orgsDescribeHandshake(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in handshakeIDInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return handshakeAnswer(s.DescribeHandshake(ctx, c.Account(), in.HandshakeId))
}

type listHandshakesInput struct {
	pageInput
	Filter *struct{ ActionType, ParentHandshakeId string }
}

func (in listHandshakesInput) filter() orgs.HandshakeFilter {
	if in.Filter == nil {
		return orgs.HandshakeFilter{}
	}
	return orgs.HandshakeFilter{ActionType: in.Filter.ActionType, ParentHandshakeID: in.Filter.ParentHandshakeId}
}

func handshakesAnswer(in pageInput, hs []*orgs.Handshake, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	page, next, err := orgsPage(in, mapSlice(sortHandshakes(hs), toJSONHandshake), func(j jsonHandshake) string { return j.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		Handshakes []jsonHandshake
		NextToken  *string `json:",omitempty"`
	}{page, next}, nil
}

func orgsListHandshakesForAccount(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in listHandshakesInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	hs, err := s.ListHandshakesForAccount(ctx, c.Account(), in.filter())
	return handshakesAnswer(in.pageInput, hs, err)
}

func orgsListHandshakesForOrganization(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in listHandshakesInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	hs, err := s.ListHandshakesForOrganization(ctx, c.Account(), in.filter())
	return handshakesAnswer(in.pageInput, hs, err)
}

// The organization's lifecycle.

func orgsCreateOrganization(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ FeatureSet string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	o, err := s.CreateOrganization(ctx, c.Account(), in.FeatureSet)
	if err != nil {
		return nil, err
	}
	return struct{ Organization jsonOrganization }{toJSONOrganization(o)}, nil
}

func orgsDeleteOrganization(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	return nil, s.DeleteOrganization(ctx, c.Account())
}

func orgsLeaveOrganization(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	return nil, s.LeaveOrganization(ctx, c.Account())
}

func orgsEnableAllFeatures(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	return handshakeAnswer(s.EnableAllFeatures(ctx, c.Account()))
}

// Trusted access and delegated administrators.

type servicePrincipalInput struct{ ServicePrincipal string }

func orgsEnableAWSServiceAccess(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in servicePrincipalInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.EnableAWSServiceAccess(ctx, c.Account(), in.ServicePrincipal)
}

func orgsDisableAWSServiceAccess(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in servicePrincipalInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.DisableAWSServiceAccess(ctx, c.Account(), in.ServicePrincipal)
}

type jsonEnabledServicePrincipal struct {
	ServicePrincipal string
	DateEnabled      *EpochTime
}

func orgsListAWSServiceAccess(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in pageInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	sas, err := s.ListAWSServiceAccessForOrganization(ctx, c.Account())
	if err != nil {
		return nil, err
	}
	page, next, err := orgsPage(in, mapSlice(sas, func(a *orgs.ServiceAccess) jsonEnabledServicePrincipal {
		return jsonEnabledServicePrincipal{ServicePrincipal: a.ServicePrincipal, DateEnabled: Epoch(a.Enabled)}
	}), func(j jsonEnabledServicePrincipal) string { return j.ServicePrincipal })
	if err != nil {
		return nil, err
	}
	return struct {
		EnabledServicePrincipals []jsonEnabledServicePrincipal
		NextToken                *string `json:",omitempty"`
	}{page, next}, nil
}

type delegatedAdminInput struct{ AccountId, ServicePrincipal string }

func orgsRegisterDelegatedAdmin(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in delegatedAdminInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.RegisterDelegatedAdministrator(ctx, c.Account(), in.AccountId, in.ServicePrincipal)
}

func orgsDeregisterDelegatedAdmin(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in delegatedAdminInput
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.DeregisterDelegatedAdministrator(ctx, c.Account(), in.AccountId, in.ServicePrincipal)
}

type jsonDelegatedAdministrator struct {
	jsonAccount
	DelegationEnabledDate *EpochTime
}

func orgsListDelegatedAdmins(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		ServicePrincipal string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	das, err := s.ListDelegatedAdministrators(ctx, c.Account(), in.ServicePrincipal)
	if err != nil {
		return nil, err
	}
	page, next, err := orgsPage(in.pageInput, mapSlice(das, func(d *orgs.DelegatedAdministrator) jsonDelegatedAdministrator {
		return jsonDelegatedAdministrator{jsonAccount: toJSONAccount(&d.Account), DelegationEnabledDate: Epoch(d.Enabled)}
	}), func(j jsonDelegatedAdministrator) string { return j.Id })
	if err != nil {
		return nil, err
	}
	return struct {
		DelegatedAdministrators []jsonDelegatedAdministrator
		NextToken               *string `json:",omitempty"`
	}{page, next}, nil
}

type jsonDelegatedService struct {
	ServicePrincipal      string
	DelegationEnabledDate *EpochTime
}

func orgsListDelegatedServices(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		pageInput
		AccountId string
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	das, err := s.ListDelegatedServicesForAccount(ctx, c.Account(), in.AccountId)
	if err != nil {
		return nil, err
	}
	page, next, err := orgsPage(in.pageInput, mapSlice(das, func(d *orgs.DelegatedAdmin) jsonDelegatedService {
		return jsonDelegatedService{ServicePrincipal: d.ServicePrincipal, DelegationEnabledDate: Epoch(d.Enabled)}
	}), func(j jsonDelegatedService) string { return j.ServicePrincipal })
	if err != nil {
		return nil, err
	}
	return struct {
		DelegatedServices []jsonDelegatedService
		NextToken         *string `json:",omitempty"`
	}{page, next}, nil
}

// The delegation policy.

type jsonOrgsResourcePolicySummary struct {
	Id  string
	Arn string
}

type jsonOrgsResourcePolicy struct {
	ResourcePolicySummary jsonOrgsResourcePolicySummary
	Content               string
}

func resourcePolicyAnswer(p *orgs.DelegationPolicy, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return struct{ ResourcePolicy jsonOrgsResourcePolicy }{jsonOrgsResourcePolicy{
		ResourcePolicySummary: jsonOrgsResourcePolicySummary{Id: p.ID, Arn: p.ARN}, Content: p.Content}}, nil
}

func orgsPutResourcePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct {
		Content string
		Tags    []jsonTag
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return resourcePolicyAnswer(s.PutResourcePolicy(ctx, c.Account(), in.Content, fromJSONTags(in.Tags)))
}

func orgsDescribeResourcePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	return resourcePolicyAnswer(s.DescribeResourcePolicy(ctx, c.Account()))
}

func orgsDeleteResourcePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	return nil, s.DeleteResourcePolicy(ctx, c.Account())
}

// DescribeEffectivePolicy: no management policy type is served, so there
// is never an effective policy (the domain answers
// EffectivePolicyNotFoundException after its checks).
func orgsDescribeEffectivePolicy(ctx context.Context, c *Call, s *orgs.Service) (any, error) {
	var in struct{ PolicyType, TargetId string }
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	return nil, s.DescribeEffectivePolicy(ctx, c.Account(), in.PolicyType, in.TargetId)
}
