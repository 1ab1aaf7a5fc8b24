package iam

import (
	"context"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// The IAM policy simulator's view of the domain: the policies of a user
// (with its groups'), group or role, each named the way
// SimulatePrincipalPolicy's MatchedStatements name their source.

// SimPolicy is a compiled policy with its simulator source id and type
// (user, group, role, aws-managed, user-managed, resource, none).
type SimPolicy struct {
	Policy     *policy.Policy
	SourceID   string
	SourceType string
}

// SimSubject is what SimulatePrincipalPolicy evaluates for a source ARN.
type SimSubject struct {
	Principal policy.Principal
	Identity  []SimPolicy
	Boundary  *SimPolicy
}

func simEntityPolicies(ctx context.Context, s *Service, r store.Reader, account string, e entityRef) ([]SimPolicy, error) {
	var out []SimPolicy
	inl, err := inlineOf(ctx, r, account, e)
	if err != nil {
		return nil, err
	}
	for _, ip := range inl {
		p, err := policy.Parse(ip.Document, policy.Identity)
		if err != nil {
			return nil, err
		}
		out = append(out, SimPolicy{Policy: p, SourceID: ip.Name, SourceType: e.Type})
	}
	att, err := attachedOf(ctx, r, account, e)
	if err != nil {
		return nil, err
	}
	for _, a := range att {
		mp, _, err := s.loadPolicy(ctx, r, account, a.ARN, errNotAttachable)
		if awserr.HasCode(err, "NoSuchEntity") {
			continue
		}
		if err != nil {
			return nil, err
		}
		sp, err := simManaged(mp)
		if err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

func simManaged(mp *ManagedPolicy) (SimPolicy, error) {
	p, err := compileManaged(mp)
	if err != nil {
		return SimPolicy{}, err
	}
	typ := "user-managed"
	if mp.IsAWS() {
		typ = "aws-managed"
	}
	return SimPolicy{Policy: p, SourceID: mp.Name, SourceType: typ}, nil
}

// SimulationSubject resolves a PolicySourceArn (user, group or role of
// account) to its principal and policies.
func (s *Service) SimulationSubject(ctx context.Context, account, arn string) (*SimSubject, error) {
	var typ string
	var acct, path, name string
	for _, t := range []string{EntityUser, EntityGroup, EntityRole} {
		var ok bool
		if acct, path, name, ok = splitIAMARN(arn, t); ok {
			typ = t
			break
		}
	}
	if typ == "" {
		return nil, awserr.InvalidInput("Invalid ARN: %s", arn)
	}
	if acct != account {
		return nil, awserr.NoSuchEntity("The %s with name %s cannot be found.", typ, name)
	}
	sub := &SimSubject{}
	err := s.store.View(ctx, func(r store.Reader) error {
		e, err := s.entity(ctx, r, account, typ, name)
		if err != nil {
			return err
		}
		if e.Path != path {
			return awserr.NoSuchEntity("The %s with name %s cannot be found.", typ, name)
		}
		if sub.Identity, err = simEntityPolicies(ctx, s, r, account, e); err != nil {
			return err
		}
		switch typ {
		case EntityUser:
			sub.Principal = policy.Principal{Type: policy.User, Account: account, ARN: e.arn(account), UniqueID: e.ID}
			groups, err := s.groupsOf(ctx, r, account, e.ID)
			if err != nil {
				return err
			}
			for _, g := range groups {
				gp, err := simEntityPolicies(ctx, s, r, account, entityRef{Type: EntityGroup, ID: g.ID, Name: g.Name})
				if err != nil {
					return err
				}
				sub.Identity = append(sub.Identity, gp...)
			}
		case EntityRole:
			sub.Principal = policy.Principal{Type: policy.AssumedRole, Account: account,
				ARN: "arn:" + Partition + ":sts::" + account + ":assumed-role/" + e.Name + "/simulation", PrincipalARN: e.arn(account), UniqueID: e.ID}
		default:
			sub.Principal = policy.Principal{Type: policy.User, Account: account, ARN: e.arn(account)}
		}
		if e.Boundary != "" {
			mp, _, err := s.loadPolicy(ctx, r, account, e.Boundary, errNotAttachable)
			if err == nil {
				sp, err := simManaged(mp)
				if err != nil {
					return err
				}
				sub.Boundary = &sp
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sub, nil
}
