package orgs

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/hatrack/hatrack/store"
)

func checkOUName(name string) error {
	if name == "" {
		return errInputRequired()
	}
	if utf8.RuneCountInString(name) > 128 {
		return errMaxLength()
	}
	return nil
}

func checkOUID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if !reOUID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}

// ouDepth is the number of OUs from the root down to id, inclusive.
func ouDepth(ctx context.Context, r store.Reader, org *Organization, id string) (int, error) {
	depth := 0
	for id != org.RootID {
		ou, err := get[OU](ctx, r, KindOU, id)
		if err != nil {
			return 0, err
		}
		depth++
		id = ou.ParentID
	}
	return depth, nil
}

// CreateOrganizationalUnit creates an OU in a root or OU, with tags;
// the full-access policy of every enabled type (FullAWSAccess,
// RCPFullAWSAccess) is attached to it.
func (s *Service) CreateOrganizationalUnit(ctx context.Context, caller, parent, name string, tags ...Tag) (*OU, error) {
	if err := checkParentID(parent); err != nil {
		return nil, err
	}
	if err := checkOUName(name); err != nil {
		return nil, err
	}
	if err := CheckTags(tags); err != nil {
		return nil, err
	}
	var out *OU
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if ok, err := containerExists(ctx, tx, org, parent); err != nil {
			return err
		} else if !ok {
			return errParentNotFound
		}
		depth, err := ouDepth(ctx, tx, org, parent)
		if err != nil {
			return err
		}
		if depth >= maxOUDepth {
			return errOUDepth()
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindOU})
		if err != nil {
			return err
		}
		if n >= maxOUs {
			return errOUNumber()
		}
		siblings, err := list[OU](ctx, tx, store.Filter{Kind: KindOU, Parent: parent})
		if err != nil {
			return err
		}
		for _, sib := range siblings {
			if sib.Name == name {
				return errDuplicateOU
			}
		}
		out = &OU{ID: "ou-" + strings.TrimPrefix(org.RootID, "r-") + "-" + randID(8), Name: name, ParentID: parent}
		if err := tx.Create(ctx, store.Record{Kind: KindOU, Name: out.ID, ID: out.ID, Parent: parent, Data: encode(out)}); err != nil {
			return err
		}
		if err := tagNew(ctx, tx, out.ID, tags); err != nil {
			return err
		}
		return attachDefaults(ctx, tx, org, out.ID)
	})
	return out, err
}

// DescribeOrganizationalUnit describes an OU.
func (s *Service) DescribeOrganizationalUnit(ctx context.Context, caller, id string) (*OU, error) {
	if err := checkOUID(id); err != nil {
		return nil, err
	}
	var out *OU
	err := s.view(ctx, caller, true, func(r store.Reader, _ *Organization) error {
		var err error
		out, err = get[OU](ctx, r, KindOU, id)
		if notFound(err) {
			return errOUNotFound
		}
		return err
	})
	return out, err
}

// UpdateOrganizationalUnit renames an OU.
func (s *Service) UpdateOrganizationalUnit(ctx context.Context, caller, id, name string) (*OU, error) {
	if err := checkOUID(id); err != nil {
		return nil, err
	}
	if name != "" {
		if err := checkOUName(name); err != nil {
			return nil, err
		}
	}
	var out *OU
	err := s.update(ctx, caller, func(tx store.Tx, _ *Organization) error {
		ou, err := get[OU](ctx, tx, KindOU, id)
		if notFound(err) {
			return errOUNotFound
		}
		if err != nil {
			return err
		}
		if name != "" && name != ou.Name {
			siblings, err := list[OU](ctx, tx, store.Filter{Kind: KindOU, Parent: ou.ParentID})
			if err != nil {
				return err
			}
			for _, sib := range siblings {
				if sib.Name == name {
					return errDuplicateOU
				}
			}
			ou.Name = name
			if err := tx.Put(ctx, store.Record{Kind: KindOU, Name: ou.ID, ID: ou.ID, Parent: ou.ParentID, Data: encode(ou)}); err != nil {
				return err
			}
		}
		out = ou
		return nil
	})
	return out, err
}

// DeleteOrganizationalUnit deletes an empty OU, its tags and its policy
// attachments.
func (s *Service) DeleteOrganizationalUnit(ctx context.Context, caller, id string) error {
	if err := checkOUID(id); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, _ *Organization) error {
		if _, err := tx.Get(ctx, KindOU, "", id); notFound(err) {
			return errOUNotFound
		} else if err != nil {
			return err
		}
		for _, kind := range []string{KindOU, KindMember} {
			n, err := tx.Count(ctx, store.Filter{Kind: kind, Parent: id})
			if err != nil {
				return err
			}
			if n > 0 {
				return errOUNotEmpty
			}
		}
		if err := forgetTarget(ctx, tx, id); err != nil {
			return err
		}
		return tx.Delete(ctx, KindOU, "", id)
	})
}

// ListOrganizationalUnitsForParent lists the OUs directly in a root or OU.
func (s *Service) ListOrganizationalUnitsForParent(ctx context.Context, caller, parent string) ([]*OU, error) {
	if err := checkParentID(parent); err != nil {
		return nil, err
	}
	var out []*OU
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		if ok, err := containerExists(ctx, r, org, parent); err != nil {
			return err
		} else if !ok {
			return errParentNotFound
		}
		var err error
		out, err = list[OU](ctx, r, store.Filter{Kind: KindOU, Parent: parent})
		return err
	})
	return out, err
}

// Child is an entry of ListChildren and ListParents.
type Child struct {
	ID   string
	Type string // ACCOUNT, ORGANIZATIONAL_UNIT or ROOT
}

// ListChildren lists the accounts or OUs directly in a root or OU.
func (s *Service) ListChildren(ctx context.Context, caller, parent, childType string) ([]Child, error) {
	if err := checkParentID(parent); err != nil {
		return nil, err
	}
	var kind string
	switch childType {
	case "":
		return nil, errInputRequired()
	case TargetAccount:
		kind = KindMember
	case TargetOU:
		kind = KindOU
	default:
		return nil, errInvalidEnum()
	}
	var out []Child
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		if ok, err := containerExists(ctx, r, org, parent); err != nil {
			return err
		} else if !ok {
			return errParentNotFound
		}
		recs, err := r.List(ctx, store.Filter{Kind: kind, Parent: parent})
		if err != nil {
			return err
		}
		out = make([]Child, 0, len(recs))
		for _, rec := range recs {
			out = append(out, Child{ID: rec.Name, Type: childType})
		}
		return nil
	})
	return out, err
}

// ListParents returns the root or OU that directly contains an account or
// OU.
func (s *Service) ListParents(ctx context.Context, caller, child string) ([]Child, error) {
	if child == "" {
		return nil, errInputRequired()
	}
	if !reAccountID.MatchString(child) && !reOUID.MatchString(child) {
		return nil, errInvalidPattern()
	}
	var out []Child
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		kind := KindMember
		if reOUID.MatchString(child) {
			kind = KindOU
		}
		rec, err := r.Get(ctx, kind, "", child)
		if notFound(err) {
			return errChildNotFound
		}
		if err != nil {
			return err
		}
		t := TargetOU
		if rec.Parent == org.RootID {
			t = TargetRoot
		}
		out = []Child{{ID: rec.Parent, Type: t}}
		return nil
	})
	return out, err
}
