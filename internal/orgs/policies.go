package orgs

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

func attachmentName(policyID, target string) string { return policyID + "/" + target }

// attach records an attachment (no checks).
func attach(ctx context.Context, tx store.Tx, policyID, target string) error {
	a := &Attachment{PolicyID: policyID, TargetID: target}
	return tx.Create(ctx, store.Record{Kind: KindAttachment, Name: attachmentName(policyID, target), Parent: target, Data: encode(a)})
}

func checkPolicyID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if !rePolicyID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}

func checkTargetID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if !reRootID.MatchString(id) && !reOUID.MatchString(id) && !reAccountID.MatchString(id) {
		return errInvalidTargetPattern()
	}
	return nil
}

// checkSize checks a policy document's presence and size (the parse
// against its type's grammar is checkContent's).
func checkSize(content string) error {
	if content == "" {
		return errInputRequired()
	}
	if utf8.RuneCountInString(content) > maxPolicyBytes {
		return errPolicyContentLimit()
	}
	return nil
}

// checkContent validates a customer-managed policy document of type t
// against the type's grammar (policy.SCP, policy.RCP). RCPs may only deny:
// the effect Allow is reserved to the AWS-managed RCPFullAWSAccess.
func checkContent(content, t string) error {
	if err := checkSize(content); err != nil {
		return err
	}
	p, err := policy.Parse(content, served[t].kind)
	if err != nil {
		var pe *policy.ParseError
		if errors.As(err, &pe) {
			return errMalformedPolicy
		}
		return err
	}
	if t == TypeRCP {
		for _, st := range p.Statements() {
			if st.Effect != policy.Deny {
				return errMalformedPolicy
			}
		}
	}
	return nil
}

func checkPolicyName(name string) error {
	if name == "" {
		return errInputRequired()
	}
	if utf8.RuneCountInString(name) > 128 {
		return errMaxLength()
	}
	return nil
}

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > 512 {
		return errMaxLength()
	}
	return nil
}

func getPolicy(ctx context.Context, r store.Reader, org *Organization, id string) (*Policy, error) {
	p, err := getByID[Policy](ctx, r, KindPolicy, id)
	if notFound(err) {
		return nil, errPolicyNotFound
	}
	if err != nil {
		return nil, err
	}
	p.ARN = org.PolicyARN(p)
	return p, nil
}

func putPolicy(ctx context.Context, tx store.Tx, p *Policy) error {
	err := tx.Create(ctx, store.Record{Kind: KindPolicy, Name: p.Name, ID: p.ID, Data: encode(p)})
	if errors.Is(err, store.ErrAlreadyExists) {
		return errDuplicatePolicy
	}
	return err
}

// CreatePolicyInput is CreatePolicy's request.
type CreatePolicyInput struct {
	Name, Description, Type, Content string
	// Tags go to the new policy.
	Tags []Tag
}

// CreatePolicy creates a customer-managed SCP or RCP after validating its
// content as a document of its type.
func (s *Service) CreatePolicy(ctx context.Context, caller string, in CreatePolicyInput) (*Policy, error) {
	if err := checkPolicyName(in.Name); err != nil {
		return nil, err
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	if err := checkPolicyType(in.Type); err != nil {
		return nil, err
	}
	if err := checkContent(in.Content, in.Type); err != nil {
		return nil, err
	}
	if err := CheckTags(in.Tags); err != nil {
		return nil, err
	}
	var out *Policy
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		all, err := list[Policy](ctx, tx, store.Filter{Kind: KindPolicy})
		if err != nil {
			return err
		}
		n := 0
		for _, p := range all {
			if p.Type == in.Type && !p.AWSManaged {
				n++
			}
		}
		if n >= maxPolicies {
			return errPolicyNumberLimit()
		}
		p := &Policy{ID: "p-" + randID(8), Name: in.Name, Description: in.Description, Type: in.Type, Content: in.Content}
		if err := putPolicy(ctx, tx, p); err != nil {
			return err
		}
		if err := tagNew(ctx, tx, p.ID, in.Tags); err != nil {
			return err
		}
		p.ARN = org.PolicyARN(p)
		out = p
		return nil
	})
	return out, err
}

// DescribePolicy returns a policy with its content.
func (s *Service) DescribePolicy(ctx context.Context, caller, id string) (*Policy, error) {
	if err := checkPolicyID(id); err != nil {
		return nil, err
	}
	var out *Policy
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		var err error
		out, err = getPolicy(ctx, r, org, id)
		return err
	})
	return out, err
}

// UpdatePolicyInput is UpdatePolicy's request; nil members are unchanged.
type UpdatePolicyInput struct {
	ID                         string
	Name, Description, Content *string
}

// UpdatePolicy changes a customer-managed policy's name, description or
// content.
func (s *Service) UpdatePolicy(ctx context.Context, caller string, in UpdatePolicyInput) (*Policy, error) {
	if err := checkPolicyID(in.ID); err != nil {
		return nil, err
	}
	if in.Name != nil {
		if err := checkPolicyName(*in.Name); err != nil {
			return nil, err
		}
	}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return nil, err
		}
	}
	if in.Content != nil {
		if err := checkSize(*in.Content); err != nil {
			return nil, err
		}
	}
	var out *Policy
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		p, err := getPolicy(ctx, tx, org, in.ID)
		if err != nil {
			return err
		}
		if p.AWSManaged {
			return errImmutablePolicy()
		}
		oldName := p.Name
		if in.Name != nil {
			p.Name = *in.Name
		}
		if in.Description != nil {
			p.Description = *in.Description
		}
		if in.Content != nil {
			if err := checkContent(*in.Content, p.Type); err != nil {
				return err
			}
			p.Content = *in.Content
		}
		if err := tx.Delete(ctx, KindPolicy, "", oldName); err != nil {
			return err
		}
		if err := putPolicy(ctx, tx, p); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// DeletePolicy deletes a customer-managed policy that is attached nowhere.
func (s *Service) DeletePolicy(ctx context.Context, caller, id string) error {
	if err := checkPolicyID(id); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		p, err := getPolicy(ctx, tx, org, id)
		if err != nil {
			return err
		}
		if p.AWSManaged {
			return errImmutablePolicy()
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindAttachment, NamePrefix: id + "/"})
		if err != nil {
			return err
		}
		if n > 0 {
			return errPolicyInUse
		}
		if err := deleteTags(ctx, tx, p.ID); err != nil {
			return err
		}
		return tx.Delete(ctx, KindPolicy, "", p.Name)
	})
}

// target resolves a root, OU or account id; nil when it does not exist.
func target(ctx context.Context, r store.Reader, org *Organization, id string) (*Target, error) {
	switch {
	case id == org.RootID:
		return &Target{ID: id, ARN: org.RootARN(), Name: "Root", Type: TargetRoot}, nil
	case reOUID.MatchString(id):
		ou, err := get[OU](ctx, r, KindOU, id)
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &Target{ID: id, ARN: org.OUARN(id), Name: ou.Name, Type: TargetOU}, nil
	case reAccountID.MatchString(id):
		if _, err := r.Get(ctx, KindMember, "", id); notFound(err) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		a, err := getAccount(ctx, r, id)
		if err != nil {
			return nil, err
		}
		return &Target{ID: id, ARN: org.AccountARN(id), Name: a.Name, Type: TargetAccount}, nil
	}
	return nil, nil
}

// AttachPolicy attaches an SCP or RCP to a root, OU or account (at most
// maxPerTarget of one type to one target).
func (s *Service) AttachPolicy(ctx context.Context, caller, policyID, targetID string) error {
	if err := checkPolicyID(policyID); err != nil {
		return err
	}
	if err := checkTargetID(targetID); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		p, err := getPolicy(ctx, tx, org, policyID)
		if err != nil {
			return err
		}
		t, err := target(ctx, tx, org, targetID)
		if err != nil {
			return err
		}
		if t == nil {
			return errTargetNotFound
		}
		if !org.typeEnabled(p.Type) {
			return errTypeNotEnabled
		}
		if _, err := tx.Get(ctx, KindAttachment, "", attachmentName(policyID, targetID)); err == nil {
			return errDuplicateAttachment
		} else if !notFound(err) {
			return err
		}
		n, err := countOfType(ctx, tx, org, targetID, p.Type)
		if err != nil {
			return err
		}
		if n >= maxPerTarget {
			return errMaxAttachment()
		}
		return attach(ctx, tx, policyID, targetID)
	})
}

// DetachPolicy detaches an SCP or RCP; the last SCP of a target cannot be
// detached while SCPs are enabled, nor RCPFullAWSAccess ever.
func (s *Service) DetachPolicy(ctx context.Context, caller, policyID, targetID string) error {
	if err := checkPolicyID(policyID); err != nil {
		return err
	}
	if err := checkTargetID(targetID); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		p, err := getPolicy(ctx, tx, org, policyID)
		if err != nil {
			return err
		}
		t, err := target(ctx, tx, org, targetID)
		if err != nil {
			return err
		}
		if t == nil {
			return errTargetNotFound
		}
		name := attachmentName(policyID, targetID)
		if _, err := tx.Get(ctx, KindAttachment, "", name); notFound(err) {
			return errNotAttached
		} else if err != nil {
			return err
		}
		if p.ID == RCPFullAWSAccessID {
			// The only RCP that allows: without it nothing would.
			return errMinAttachment()
		}
		n, err := countOfType(ctx, tx, org, targetID, p.Type)
		if err != nil {
			return err
		}
		if n <= 1 {
			return errMinAttachment()
		}
		return tx.Delete(ctx, KindAttachment, "", name)
	})
}

func checkFilter(f string) error {
	if f == "" {
		return errInputRequired()
	}
	if !policyTypes[f] {
		return errInvalidEnum()
	}
	return nil
}

// ListPolicies lists the policies of a type (only SCPs and RCPs exist
// here).
func (s *Service) ListPolicies(ctx context.Context, caller, filter string) ([]*Policy, error) {
	if err := checkFilter(filter); err != nil {
		return nil, err
	}
	var out []*Policy
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		all, err := list[Policy](ctx, r, store.Filter{Kind: KindPolicy})
		if err != nil {
			return err
		}
		for _, p := range all {
			if p.Type == filter {
				p.ARN = org.PolicyARN(p)
				out = append(out, p)
			}
		}
		return nil
	})
	return out, err
}

// ListPoliciesForTarget lists the policies of a type attached directly to
// a root, OU or account.
func (s *Service) ListPoliciesForTarget(ctx context.Context, caller, targetID, filter string) ([]*Policy, error) {
	if err := checkTargetID(targetID); err != nil {
		return nil, err
	}
	if err := checkFilter(filter); err != nil {
		return nil, err
	}
	var out []*Policy
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		t, err := target(ctx, r, org, targetID)
		if err != nil {
			return err
		}
		if t == nil {
			return errTargetNotFound
		}
		out, err = attachedPolicies(ctx, r, org, targetID)
		if err != nil {
			return err
		}
		kept := out[:0]
		for _, p := range out {
			if p.Type == filter {
				kept = append(kept, p)
			}
		}
		out = kept
		return nil
	})
	return out, err
}

// countOfType counts the policies of type t attached directly to target.
func countOfType(ctx context.Context, r store.Reader, org *Organization, targetID, t string) (int, error) {
	pols, err := attachedPolicies(ctx, r, org, targetID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pols {
		if p.Type == t {
			n++
		}
	}
	return n, nil
}

func attachedPolicies(ctx context.Context, r store.Reader, org *Organization, targetID string) ([]*Policy, error) {
	atts, err := list[Attachment](ctx, r, store.Filter{Kind: KindAttachment, Parent: targetID})
	if err != nil {
		return nil, err
	}
	out := make([]*Policy, 0, len(atts))
	for _, a := range atts {
		p, err := getPolicy(ctx, r, org, a.PolicyID)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ListTargetsForPolicy lists the roots, OUs and accounts a policy is
// attached to.
func (s *Service) ListTargetsForPolicy(ctx context.Context, caller, policyID string) ([]*Target, error) {
	if err := checkPolicyID(policyID); err != nil {
		return nil, err
	}
	var out []*Target
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		if _, err := getPolicy(ctx, r, org, policyID); err != nil {
			return err
		}
		atts, err := list[Attachment](ctx, r, store.Filter{Kind: KindAttachment, NamePrefix: policyID + "/"})
		if err != nil {
			return err
		}
		for _, a := range atts {
			if !strings.EqualFold(a.PolicyID, policyID) {
				continue
			}
			t, err := target(ctx, r, org, a.TargetID)
			if err != nil {
				return err
			}
			if t != nil {
				out = append(out, t)
			}
		}
		return nil
	})
	return out, err
}

// forgetTarget deletes what a target (an account leaving, an OU deleted)
// carries: its policy attachments and its tags.
func forgetTarget(ctx context.Context, tx store.Tx, id string) error {
	recs, err := tx.List(ctx, store.Filter{Kind: KindAttachment, Parent: id})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := tx.Delete(ctx, KindAttachment, "", rec.Name); err != nil {
			return err
		}
	}
	return deleteTags(ctx, tx, id)
}
