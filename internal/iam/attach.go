package iam

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Attached managed policies, permissions boundaries and inline policies of
// users, groups and roles.

const maxAttachedPerEntity = 10

// Aggregate inline-policy sizes (non-whitespace characters).
var inlineQuota = map[string]int{EntityUser: 2048, EntityGroup: 5120, EntityRole: 10240}

var quotaName = map[string]string{EntityUser: "PoliciesPerUser", EntityGroup: "PoliciesPerGroup", EntityRole: "PoliciesPerRole"}

func init() {
	// CreateUser's PermissionsBoundary is checked against managed policies.
	boundaryCheck = func(ctx context.Context, r store.Reader, account, arn string) error {
		return checkBoundaryPolicy(ctx, r, account, arn)
	}
}

func checkBoundaryPolicy(ctx context.Context, r store.Reader, account, arn string) error {
	if err := checkPolicyARN("permissionsBoundary", arn); err != nil {
		return err
	}
	s := &Service{}
	mp, _, err := s.loadPolicy(ctx, r, account, arn, errNotAttachable)
	if err != nil {
		return err
	}
	if !mp.IsAttachable() {
		return awserr.PolicyNotAttachable("Cannot attach a Service Role Policy to a Customer Role.")
	}
	return nil
}

func attachmentName(arn string, e entityRef) string { return arn + "|" + e.key() }

// AttachPolicy attaches a managed policy to a user, group or role.
func (s *Service) AttachPolicy(ctx context.Context, account, typ, name, arn string) error {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := s.editableEntity(ctx, tx, account, typ, name)
		if err != nil {
			return err
		}
		mp, _, err := s.loadPolicy(ctx, tx, account, arn, errNotAttachable)
		if err != nil {
			return err
		}
		if !mp.IsAttachable() {
			return awserr.PolicyNotAttachable("Cannot attach a Service Role Policy to a Customer Role.")
		}
		return attach(ctx, tx, account, e, mp.ARN())
	})
}

func attach(ctx context.Context, tx store.Tx, account string, e entityRef, arn string) error {
	if _, err := tx.Get(ctx, KindAttachment, account, attachmentName(arn, e)); err == nil {
		return nil // already attached: a no-op, as IAM answers
	} else if !notFound(err) {
		return err
	}
	n, err := tx.Count(ctx, store.Filter{Kind: KindAttachment, Account: account, Parent: e.key()})
	if err != nil {
		return err
	}
	if n >= maxAttachedPerEntity {
		return awserr.LimitExceeded("Cannot exceed quota for %s: %d", quotaName[e.Type], maxAttachedPerEntity)
	}
	return tx.Create(ctx, store.Record{Kind: KindAttachment, Account: account, Name: attachmentName(arn, e), Parent: e.key(),
		Data: encode(&link{PolicyARN: arn, EntityType: e.Type, EntityID: e.ID})})
}

// DetachPolicy detaches a managed policy.
func (s *Service) DetachPolicy(ctx context.Context, account, typ, name, arn string) error {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := s.editableEntity(ctx, tx, account, typ, name)
		if err != nil {
			return err
		}
		err = tx.Delete(ctx, KindAttachment, account, attachmentName(arn, e))
		if notFound(err) {
			return awserr.NoSuchEntity("Policy %s was not found.", arn)
		}
		return err
	})
}

// AttachedPolicy is one attached managed policy.
type AttachedPolicy struct {
	Name string
	ARN  string
}

func attachedOf(ctx context.Context, r store.Reader, account string, e entityRef) ([]AttachedPolicy, error) {
	recs, err := r.List(ctx, store.Filter{Kind: KindAttachment, Account: account, Parent: e.key()})
	if err != nil {
		return nil, err
	}
	links, err := decodeLinks(recs)
	if err != nil {
		return nil, err
	}
	out := make([]AttachedPolicy, 0, len(links))
	for _, l := range links {
		_, _, name, _ := splitPolicyARN(l.PolicyARN)
		out = append(out, AttachedPolicy{Name: name, ARN: l.PolicyARN})
	}
	return out, nil
}

// ListAttachedPolicies lists an entity's attached managed policies whose
// policy path starts with pathPrefix.
func (s *Service) ListAttachedPolicies(ctx context.Context, account, typ, name, pathPrefix string, p Page) ([]AttachedPolicy, string, error) {
	var v awserr.Validation
	checkPolicyPathPrefix(&v, pathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []AttachedPolicy
	err := s.store.View(ctx, func(r store.Reader) error {
		e, err := s.entity(ctx, r, account, typ, name)
		if err != nil {
			return err
		}
		all, err := attachedOf(ctx, r, account, e)
		if err != nil {
			return err
		}
		for _, a := range all {
			_, path, _, _ := splitPolicyARN(a.ARN)
			if pathPrefix == "" || strings.HasPrefix(path, pathPrefix) {
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(out, func(a AttachedPolicy) string { return a.Name + "\x00" + a.ARN }, p)
}

// setBoundaryUse records that e uses arn as its boundary (replacing old).
func setBoundaryUse(ctx context.Context, tx store.Tx, account string, e entityRef, old, arn string) error {
	if old != "" {
		if err := tx.Delete(ctx, KindBoundaryUse, account, attachmentName(old, e)); err != nil && !notFound(err) {
			return err
		}
	}
	if arn == "" {
		return nil
	}
	return tx.Put(ctx, store.Record{Kind: KindBoundaryUse, Account: account, Name: attachmentName(arn, e), Parent: e.key(),
		Data: encode(&link{PolicyARN: arn, EntityType: e.Type, EntityID: e.ID})})
}

func clearBoundaryUse(ctx context.Context, tx store.Tx, account string, e entityRef) error {
	recs, err := tx.List(ctx, store.Filter{Kind: KindBoundaryUse, Account: account, Parent: e.key()})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := tx.Delete(ctx, KindBoundaryUse, account, rec.Name); err != nil {
			return err
		}
	}
	return nil
}

// PutPermissionsBoundary sets a user's or role's permissions boundary
// ("" deletes it).
func (s *Service) PutPermissionsBoundary(ctx context.Context, account, typ, name, arn string) error {
	if arn != "" {
		if err := checkPolicyARN("permissionsBoundary", arn); err != nil {
			return err
		}
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := s.editableEntity(ctx, tx, account, typ, name)
		if err != nil {
			return err
		}
		if arn != "" {
			if err := checkBoundaryPolicy(ctx, tx, account, arn); err != nil {
				return err
			}
		}
		switch typ {
		case EntityUser:
			u, err := s.getUser(ctx, tx, account, name)
			if err != nil {
				return err
			}
			u.PermissionsBoundary = arn
			if err := tx.Put(ctx, store.Record{Kind: KindUser, Account: account, Name: u.Name, ID: u.ID, Data: encode(u)}); err != nil {
				return err
			}
		case EntityRole:
			ro, rec, err := s.getRole(ctx, tx, account, name)
			if err != nil {
				return err
			}
			ro.PermissionsBoundary = arn
			rec.Data = encode(ro)
			if err := tx.Put(ctx, rec); err != nil {
				return err
			}
		}
		return setBoundaryUse(ctx, tx, account, e, e.Boundary, arn)
	})
}

// InlinePolicy is an inline policy of a user, group or role.
type InlinePolicy struct {
	Name     string
	Document string
}

func inlineName(e entityRef, policyName string) string { return e.key() + "/" + policyName }

func errNoSuchInline(typ, name string) error {
	return awserr.NoSuchEntity("The %s policy with name %s cannot be found.", typ, name)
}

func checkInlineName(v *awserr.Validation, name string) {
	checkName(v, "policyName", name, 128)
}

// PutInlinePolicy creates or replaces an inline policy.
func (s *Service) PutInlinePolicy(ctx context.Context, account, typ, entityName, policyName, doc string) error {
	var v awserr.Validation
	checkName(&v, lowerType(typ)+"Name", entityName, 128)
	checkInlineName(&v, policyName)
	checkDocument(&v, "policyDocument", doc)
	if err := v.Err(); err != nil {
		return err
	}
	if _, err := policy.Parse(doc, policy.Identity); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := s.editableEntity(ctx, tx, account, typ, entityName)
		if err != nil {
			return err
		}
		recs, err := tx.List(ctx, store.Filter{Kind: KindInlinePolicy, Account: account, Parent: e.key()})
		if err != nil {
			return err
		}
		total := policy.Size(doc)
		for _, rec := range recs {
			if strings.EqualFold(rec.Name, inlineName(e, policyName)) {
				continue
			}
			var ip InlinePolicy
			if err := json.Unmarshal(rec.Data, &ip); err != nil {
				return err
			}
			total += policy.Size(ip.Document)
		}
		if max := inlineQuota[typ]; total > max {
			return awserr.LimitExceeded("Maximum policy size of %d bytes exceeded for %s %s", max, typ, e.Name)
		}
		return tx.Put(ctx, store.Record{Kind: KindInlinePolicy, Account: account, Name: inlineName(e, policyName), Parent: e.key(),
			Data: encode(&InlinePolicy{Name: policyName, Document: doc})})
	})
}

func lowerType(typ string) string { return typ }

// GetInlinePolicy returns an inline policy and the entity's name as stored.
func (s *Service) GetInlinePolicy(ctx context.Context, account, typ, entityName, policyName string) (string, *InlinePolicy, error) {
	var v awserr.Validation
	checkName(&v, typ+"Name", entityName, 128)
	checkInlineName(&v, policyName)
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	var ip *InlinePolicy
	var ename string
	err := s.store.View(ctx, func(r store.Reader) error {
		e, err := s.entity(ctx, r, account, typ, entityName)
		if err != nil {
			return err
		}
		ename = e.Name
		ip, _, err = get[InlinePolicy](ctx, r, KindInlinePolicy, account, inlineName(e, policyName))
		if notFound(err) {
			return errNoSuchInline(typ, policyName)
		}
		return err
	})
	return ename, ip, err
}

// DeleteInlinePolicy deletes an inline policy.
func (s *Service) DeleteInlinePolicy(ctx context.Context, account, typ, entityName, policyName string) error {
	var v awserr.Validation
	checkName(&v, typ+"Name", entityName, 128)
	checkInlineName(&v, policyName)
	if err := v.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := s.editableEntity(ctx, tx, account, typ, entityName)
		if err != nil {
			return err
		}
		err = tx.Delete(ctx, KindInlinePolicy, account, inlineName(e, policyName))
		if notFound(err) {
			return errNoSuchInline(typ, policyName)
		}
		return err
	})
}

func inlineOf(ctx context.Context, r store.Reader, account string, e entityRef) ([]*InlinePolicy, error) {
	recs, err := r.List(ctx, store.Filter{Kind: KindInlinePolicy, Account: account, Parent: e.key()})
	if err != nil {
		return nil, err
	}
	return decodeAll[InlinePolicy](recs)
}

// ListInlinePolicies lists an entity's inline policy names.
func (s *Service) ListInlinePolicies(ctx context.Context, account, typ, entityName string, p Page) ([]string, string, error) {
	var names []string
	err := s.store.View(ctx, func(r store.Reader) error {
		e, err := s.entity(ctx, r, account, typ, entityName)
		if err != nil {
			return err
		}
		ips, err := inlineOf(ctx, r, account, e)
		if err != nil {
			return err
		}
		for _, ip := range ips {
			names = append(names, ip.Name)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(names, func(s string) string { return s }, p)
}
