package orgs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// KindResourcePolicy holds the organization's resource-based delegation
// policy (PutResourcePolicy); Name "organization".
const KindResourcePolicy = "orgresourcepolicy"

// reRPID is the form of a resource policy id.
var reRPID = regexp.MustCompile(`^rp-[0-9a-zA-Z_]{4,128}$`)

// maxResourcePolicy is PutResourcePolicy's Content limit (characters).
const maxResourcePolicy = 40000

// DelegationPolicy is the organization's delegation policy.
type DelegationPolicy struct {
	ID      string
	Content string
	Updated time.Time
	ARN     string `json:"-"`
}

// resourcePolicyARN is the delegation policy's ARN.
func (o *Organization) resourcePolicyARN(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:resourcepolicy/%s/%s", o.ManagementAccount, o.ID, id)
}

var (
	errResourcePolicyNotFound = orgErr("ResourcePolicyNotFoundException",
		"We can't find a resource policy request with the parameter that you specified.")
)

func errInvalidResourcePolicy() *Error {
	return reasonErr("InvalidInputException", "INVALID_RESOURCE_POLICY_JSON",
		"You provided a resource policy that isn't valid JSON or isn't a valid resource-based policy.")
}

func errUnsupportedActionInRP() *Error {
	return reasonErr("InvalidInputException", "UNSUPPORTED_ACTION_IN_RESOURCE_POLICY",
		"You specified an action in the resource policy that isn't an AWS Organizations action.")
}

func errInvalidPrincipal() *Error {
	return reasonErr("InvalidInputException", "INVALID_PRINCIPAL",
		"You specified an invalid principal element in the policy.")
}

// Delegate is the caller of a read-only operation, for the delegation
// policy: the principal, the action ("organizations:ListAccounts") and the
// resource the operation acts on (Kind 0: "*"). The transport puts it in
// the context of the read-only operations the delegation policy may grant
// (WithDelegate); nothing else is ever delegated.
type Delegate struct {
	Principal policy.Principal
	Action    string
	Kind      ResourceKind
	ID        string
}

type delegateKey struct{}

// WithDelegate returns ctx carrying d.
func WithDelegate(ctx context.Context, d Delegate) context.Context {
	return context.WithValue(ctx, delegateKey{}, &d)
}

func withoutDelegate(ctx context.Context) context.Context {
	if ctx.Value(delegateKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, delegateKey{}, (*Delegate)(nil))
}

// delegated lets a member account's principal use a management-only
// read operation when the organization's delegation policy explicitly
// allows it (and denies nothing of it); AccessDeniedException otherwise.
// It fails closed: no delegate in the context, a principal of another
// account, no policy, a policy that no longer parses, a missing condition
// key — all refuse.
func delegated(ctx context.Context, r store.Reader, org *Organization, caller string) error {
	d, _ := ctx.Value(delegateKey{}).(*Delegate)
	if d == nil || d.Principal.Account != caller || d.Action == "" || caller == org.ManagementAccount {
		return errMemberDenied
	}
	rp, err := get[DelegationPolicy](ctx, r, KindResourcePolicy, organizationRecID)
	if notFound(err) {
		return errMemberDenied
	}
	if err != nil {
		return err
	}
	doc, err := policy.Parse(rp.Content, policy.Resource)
	if err != nil {
		return errMemberDenied
	}
	res := "*"
	if d.Kind != 0 {
		if res, err = org.resourceARN(ctx, r, d.Kind, d.ID); err != nil {
			return err
		}
	}
	pctx := policy.NewContext()
	p := d.Principal
	pctx.SetPrincipalKeys(&p)
	pctx.Set("aws:PrincipalOrgID", org.ID)
	pctx.Set("aws:ResourceAccount", org.ManagementAccount)
	pctx.Set("aws:ResourceOrgID", org.ID)
	// The caller's own identity policies were evaluated by the
	// dispatcher: the request is cross-account (the organization's data
	// belongs to the management account), so the delegation policy must
	// allow it as well.
	req := &policy.Request{Principal: p, Action: d.Action, Resource: res, ResourceAccount: org.ManagementAccount, Context: pctx}
	set := &policy.Set{Identity: []*policy.Policy{allowAll}, Resource: doc, ResourceMustAllow: true}
	if !policy.Evaluate(req, set).Allowed() {
		return errMemberDenied
	}
	return nil
}

// allowAll stands for the caller's identity policies, already found to
// allow the request.
var allowAll = func() *policy.Policy {
	p, err := policy.Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.Identity)
	if err != nil {
		panic(err)
	}
	return p
}()

// checkResourcePolicy validates a delegation policy: a resource-based
// policy (policy.Resource grammar: every statement names a principal)
// whose actions are all Organizations actions.
func checkResourcePolicy(content string) error {
	if content == "" {
		return errInputRequired()
	}
	if utf8.RuneCountInString(content) > maxResourcePolicy {
		return errMaxLength()
	}
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(content), &doc); err != nil {
		return errInvalidResourcePolicy()
	}
	if _, err := policy.Parse(content, policy.Resource); err != nil {
		var pe *policy.ParseError
		if errors.As(err, &pe) {
			if strings.Contains(strings.ToLower(pe.Error()), "principal") {
				return errInvalidPrincipal()
			}
			return errInvalidResourcePolicy()
		}
		return err
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			return errInvalidResourcePolicy()
		}
		stmts = []map[string]json.RawMessage{one}
	}
	for _, st := range stmts {
		if _, ok := st["NotAction"]; ok {
			return errUnsupportedActionInRP()
		}
		var actions []string
		if err := json.Unmarshal(st["Action"], &actions); err != nil {
			var a string
			if err := json.Unmarshal(st["Action"], &a); err != nil {
				return errInvalidResourcePolicy()
			}
			actions = []string{a}
		}
		for _, a := range actions {
			svc, _, ok := strings.Cut(a, ":")
			if !ok || !strings.EqualFold(svc, "organizations") {
				return errUnsupportedActionInRP()
			}
		}
	}
	return nil
}

// PutResourcePolicy creates or replaces the organization's delegation
// policy (management account only).
func (s *Service) PutResourcePolicy(ctx context.Context, caller, content string, tags []Tag) (*DelegationPolicy, error) {
	if err := checkResourcePolicy(content); err != nil {
		return nil, err
	}
	if err := CheckTags(tags); err != nil {
		return nil, err
	}
	var out *DelegationPolicy
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		rp, err := get[DelegationPolicy](ctx, tx, KindResourcePolicy, organizationRecID)
		if notFound(err) {
			rp, err = &DelegationPolicy{ID: "rp-" + randID(8)}, nil
		}
		if err != nil {
			return err
		}
		rp.Content, rp.Updated = content, s.stamp()
		if err := tx.Put(ctx, store.Record{Kind: KindResourcePolicy, Name: organizationRecID, ID: rp.ID, Data: encode(rp)}); err != nil {
			return err
		}
		if len(tags) > 0 {
			if err := deleteTags(ctx, tx, rp.ID); err != nil {
				return err
			}
			if err := tagNew(ctx, tx, rp.ID, tags); err != nil {
				return err
			}
		}
		rp.ARN = org.resourcePolicyARN(rp.ID)
		out = rp
		return nil
	})
	return out, err
}

// DescribeResourcePolicy returns the delegation policy, to the
// management account or a member account that is a delegated
// administrator.
func (s *Service) DescribeResourcePolicy(ctx context.Context, caller string) (*DelegationPolicy, error) {
	var out *DelegationPolicy
	err := s.view(ctx, caller, false, func(r store.Reader, org *Organization) error {
		if err := adminAccess(ctx, r, org, caller); err != nil {
			return err
		}
		rp, err := get[DelegationPolicy](ctx, r, KindResourcePolicy, organizationRecID)
		if notFound(err) {
			return errResourcePolicyNotFound
		}
		if err != nil {
			return err
		}
		rp.ARN = org.resourcePolicyARN(rp.ID)
		out = rp
		return nil
	})
	return out, err
}

// DeleteResourcePolicy deletes the delegation policy (management account
// only).
func (s *Service) DeleteResourcePolicy(ctx context.Context, caller string) error {
	return s.update(ctx, caller, func(tx store.Tx, _ *Organization) error {
		rp, err := get[DelegationPolicy](ctx, tx, KindResourcePolicy, organizationRecID)
		if notFound(err) {
			return errResourcePolicyNotFound
		}
		if err != nil {
			return err
		}
		if err := deleteTags(ctx, tx, rp.ID); err != nil {
			return err
		}
		return tx.Delete(ctx, KindResourcePolicy, "", organizationRecID)
	})
}
