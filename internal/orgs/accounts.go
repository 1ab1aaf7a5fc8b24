package orgs

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// DefaultAccessRole is the role CreateAccount makes in a new account.
const DefaultAccessRole = "OrganizationAccountAccessRole"

// CreateAccountInput is CreateAccount's request.
type CreateAccountInput struct {
	AccountName string
	Email       string
	RoleName    string
	// Tags go to the new account.
	Tags []Tag
}

// CreateAccount creates a member account in the root, with its access
// role, in one transaction. The request completes at once: its status is
// SUCCEEDED, or FAILED with AWS's FailureReason (EMAIL_ALREADY_EXISTS).
func (s *Service) CreateAccount(ctx context.Context, caller string, in CreateAccountInput) (*CreateStatus, error) {
	if in.AccountName == "" || in.Email == "" {
		return nil, errInputRequired()
	}
	if n := utf8.RuneCountInString(in.AccountName); n > 50 {
		return nil, errMaxLength()
	}
	if len(in.Email) < 6 {
		return nil, errMinLength()
	}
	if len(in.Email) > 64 {
		return nil, errMaxLength()
	}
	if !reEmail.MatchString(in.Email) {
		return nil, reasonErr("InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET", "You specified an invalid email address for the invited account owner.")
	}
	role := in.RoleName
	if role == "" {
		role = DefaultAccessRole
	}
	if !reRoleName.MatchString(role) {
		return nil, errInvalidPattern()
	}
	if err := CheckTags(in.Tags); err != nil {
		return nil, err
	}
	var st *CreateStatus
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		now := s.stamp()
		st = &CreateStatus{ID: "car-" + randID(32), AccountName: in.AccountName, Requested: now, Completed: now}
		accts, err := iam.AccountsTx(ctx, tx)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if strings.EqualFold(a.Email, in.Email) {
				st.State, st.FailureReason = "FAILED", "EMAIL_ALREADY_EXISTS"
				return tx.Create(ctx, store.Record{Kind: KindCreateStatus, Name: st.ID, ID: st.ID, Data: encode(st)})
			}
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindMember})
		if err != nil {
			return err
		}
		if n >= maxAccounts {
			return errAccountNumber()
		}
		id := ids.NewAccountID()
		for tries := 0; ; tries++ {
			if _, err := tx.Get(ctx, iam.KindAccount, "", id); notFound(err) {
				break
			} else if err != nil {
				return err
			}
			id = ids.NewAccountID()
		}
		if _, err := s.iam.CreateMemberAccountTx(ctx, tx, iam.Account{ID: id, Name: in.AccountName, Email: in.Email}, role, org.ManagementAccount); err != nil {
			return err
		}
		m := &Member{AccountID: id, ParentID: org.RootID, JoinedMethod: "CREATED", Joined: now}
		if err := tx.Create(ctx, store.Record{Kind: KindMember, Name: id, ID: id, Parent: m.ParentID, Data: encode(m)}); err != nil {
			return err
		}
		if err := attachDefaults(ctx, tx, org, id); err != nil {
			return err
		}
		if err := tagNew(ctx, tx, id, in.Tags); err != nil {
			return err
		}
		st.State, st.AccountID = "SUCCEEDED", id
		return tx.Create(ctx, store.Record{Kind: KindCreateStatus, Name: st.ID, ID: st.ID, Data: encode(st)})
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// DescribeCreateAccountStatus returns a CreateAccount request's status.
func (s *Service) DescribeCreateAccountStatus(ctx context.Context, caller, id string) (*CreateStatus, error) {
	if id == "" {
		return nil, errInputRequired()
	}
	if !reCARID.MatchString(id) {
		return nil, errInvalidPattern()
	}
	var out *CreateStatus
	err := s.view(ctx, caller, true, func(r store.Reader, _ *Organization) error {
		var err error
		out, err = get[CreateStatus](ctx, r, KindCreateStatus, id)
		if notFound(err) {
			return errCASNotFound
		}
		return err
	})
	return out, err
}

// ListCreateAccountStatus lists CreateAccount requests (by request id),
// optionally only those in the given states.
func (s *Service) ListCreateAccountStatus(ctx context.Context, caller string, states []string) ([]*CreateStatus, error) {
	want := map[string]bool{}
	for _, st := range states {
		switch st {
		case "IN_PROGRESS", "SUCCEEDED", "FAILED":
			want[st] = true
		default:
			return nil, errInvalidEnum()
		}
	}
	var out []*CreateStatus
	err := s.view(ctx, caller, true, func(r store.Reader, _ *Organization) error {
		all, err := list[CreateStatus](ctx, r, store.Filter{Kind: KindCreateStatus})
		if err != nil {
			return err
		}
		for _, st := range all {
			if len(want) == 0 || want[st.State] {
				out = append(out, st)
			}
		}
		return nil
	})
	return out, err
}

// isClosed reports whether CloseAccount closed account.
func isClosed(ctx context.Context, r store.Reader, account string) (bool, error) {
	_, err := r.Get(ctx, KindClosed, "", account)
	if notFound(err) {
		return false, nil
	}
	return err == nil, err
}

func describe(ctx context.Context, r store.Reader, org *Organization, m *Member, closed bool) (*Account, error) {
	a, err := getAccount(ctx, r, m.AccountID)
	if err != nil {
		return nil, err
	}
	out := &Account{ID: a.ID, ARN: org.AccountARN(a.ID), Name: a.Name, Email: a.Email, Status: "ACTIVE", State: "ACTIVE",
		JoinedMethod: m.JoinedMethod, Joined: m.Joined}
	if closed {
		// CloseAccount completes at once: no PENDING_CLOSURE here.
		out.Status, out.State = "SUSPENDED", "CLOSED"
	}
	return out, nil
}

func members(ctx context.Context, r store.Reader, org *Organization, parent string) ([]*Account, error) {
	ms, err := list[Member](ctx, r, store.Filter{Kind: KindMember, Parent: parent})
	if err != nil {
		return nil, err
	}
	closures, err := list[Closure](ctx, r, store.Filter{Kind: KindClosed})
	if err != nil {
		return nil, err
	}
	closed := make(map[string]bool, len(closures))
	for _, c := range closures {
		closed[c.AccountID] = true
	}
	out := make([]*Account, 0, len(ms))
	for _, m := range ms {
		a, err := describe(ctx, r, org, m, closed[m.AccountID])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ListAccounts lists every account of the organization (ordered by id).
func (s *Service) ListAccounts(ctx context.Context, caller string) ([]*Account, error) {
	var out []*Account
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		var err error
		out, err = members(ctx, r, org, "")
		return err
	})
	return out, err
}

// ListAccountsForParent lists the accounts directly in a root or OU.
func (s *Service) ListAccountsForParent(ctx context.Context, caller, parent string) ([]*Account, error) {
	if err := checkParentID(parent); err != nil {
		return nil, err
	}
	var out []*Account
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		if ok, err := containerExists(ctx, r, org, parent); err != nil {
			return err
		} else if !ok {
			return errParentNotFound
		}
		var err error
		out, err = members(ctx, r, org, parent)
		return err
	})
	return out, err
}

// DescribeAccount describes a member account.
func (s *Service) DescribeAccount(ctx context.Context, caller, id string) (*Account, error) {
	if err := checkAccountID(id); err != nil {
		return nil, err
	}
	var out *Account
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		m, err := get[Member](ctx, r, KindMember, id)
		if notFound(err) {
			return errAccountNotFound
		}
		if err != nil {
			return err
		}
		closed, err := isClosed(ctx, r, id)
		if err != nil {
			return err
		}
		out, err = describe(ctx, r, org, m, closed)
		return err
	})
	return out, err
}

// MoveAccount moves an account from one root or OU to another.
func (s *Service) MoveAccount(ctx context.Context, caller, account, source, dest string) error {
	if err := checkAccountID(account); err != nil {
		return err
	}
	if err := checkParentID(source); err != nil {
		return err
	}
	if err := checkParentID(dest); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		m, err := get[Member](ctx, tx, KindMember, account)
		if notFound(err) {
			return errAccountNotFound
		}
		if err != nil {
			return err
		}
		if ok, err := containerExists(ctx, tx, org, source); err != nil {
			return err
		} else if !ok {
			return errSourceParentNotFound
		}
		if ok, err := containerExists(ctx, tx, org, dest); err != nil {
			return err
		} else if !ok {
			return errDestParentNotFound
		}
		if m.ParentID != source {
			return errSourceParentNotFound
		}
		if m.ParentID == dest {
			return errDuplicateAccount
		}
		m.ParentID = dest
		return tx.Put(ctx, store.Record{Kind: KindMember, Name: m.AccountID, ID: m.AccountID, Parent: dest, Data: encode(m)})
	})
}

// closeWindow is the rolling period of the account closure quota.
const closeWindow = 30 * 24 * time.Hour

// closeQuota is how many accounts an organization with members member
// accounts may close in closeWindow: the higher of 250 and 20% of its
// member accounts, at most 1,000 (CloseAccount, API reference).
func closeQuota(members int) int {
	q := members / 5
	if q < 250 {
		q = 250
	}
	if q > 1000 {
		q = 1000
	}
	return q
}

// CloseAccount closes a member account. The account stays in the
// organization, in its parent, with Status SUSPENDED and State CLOSED
// (AWS passes through PENDING_CLOSURE; here the request completes at
// once). Its IAM entities stay (AWS keeps a closed account 90 days for
// reinstatement) but its principals can no longer act: SCPs deny a closed
// account everything (see SCPs), in the organization or removed from it.
// The management account cannot be closed, nor more accounts than the
// quota in a rolling 30 days.
func (s *Service) CloseAccount(ctx context.Context, caller, id string) error {
	if err := checkAccountID(id); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if _, err := tx.Get(ctx, KindMember, "", id); notFound(err) {
			return errAccountNotFound
		} else if err != nil {
			return err
		}
		if id == org.ManagementAccount {
			return errCannotCloseManagement()
		}
		if _, err := tx.Get(ctx, KindClosed, "", id); err == nil {
			return errAccountAlreadyClosed
		} else if !notFound(err) {
			return err
		}
		now := s.stamp()
		closures, err := list[Closure](ctx, tx, store.Filter{Kind: KindClosed})
		if err != nil {
			return err
		}
		recent := 0
		for _, c := range closures {
			if now.Sub(c.Closed) < closeWindow {
				recent++
			}
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindMember})
		if err != nil {
			return err
		}
		if recent >= closeQuota(n-1) { // the management account is no member account
			return errCloseQuota()
		}
		c := &Closure{AccountID: id, Closed: now}
		return tx.Create(ctx, store.Record{Kind: KindClosed, Name: id, ID: id, Data: encode(c)})
	})
}

// RemoveAccountFromOrganization removes a member account (open or
// closed) from the organization: its place in the tree, its tags and its
// policy attachments go, so no SCP applies to it any more (a closed account
// stays closed). The account itself
// stays, standalone, with its IAM entities — the
// OrganizationAccountAccessRole included, as AWS leaves it. The
// management account cannot leave; a delegated administrator must be
// deregistered first.
func (s *Service) RemoveAccountFromOrganization(ctx context.Context, caller, id string) error {
	if err := checkAccountID(id); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if id == org.ManagementAccount {
			return errMasterCannotLeave
		}
		if _, err := tx.Get(ctx, KindMember, "", id); notFound(err) {
			return errAccountNotFound
		} else if err != nil {
			return err
		}
		return removeMember(ctx, tx, id)
	})
}

func checkAccountID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if !reAccountID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}

func checkParentID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if !reRootID.MatchString(id) && !reOUID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}

// containerExists reports whether id names the root or an existing OU.
func containerExists(ctx context.Context, r store.Reader, org *Organization, id string) (bool, error) {
	if id == org.RootID {
		return true, nil
	}
	if !reOUID.MatchString(id) {
		return false, nil
	}
	_, err := r.Get(ctx, KindOU, "", id)
	if notFound(err) {
		return false, nil
	}
	return err == nil, err
}
