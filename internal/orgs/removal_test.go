package orgs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

// wantMessage asserts err's AWS message.
func wantMessage(t *testing.T, err error, msg string) {
	t.Helper()
	e, ok := awserr.As(err)
	if !ok || e.Message != msg {
		t.Fatalf("want message %q, got %v", msg, err)
	}
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newServiceOn is newService over st with a settable clock.
func newServiceOn(t *testing.T, st store.Store) (*Service, *iam.Service, *clock) {
	t.Helper()
	kr, err := keyring.New(keyring.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	is := iam.New(st, kr, c.now)
	ctx := context.Background()
	if _, err := is.Bootstrap(ctx, iam.Deployment{ID: "d", ManagementAccount: mgmt}, iam.Account{ID: mgmt, Name: "management", Email: "root@example.com"}, "", ""); err != nil {
		t.Fatal(err)
	}
	s := New(st, is, c.now)
	if _, err := s.EnsureOrganization(ctx, mgmt); err != nil {
		t.Fatal(err)
	}
	return s, is, c
}

func TestCloseAccount(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")
	other := createAccount(t, s, "test")
	ou := must(s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads"))
	ok(t, s.MoveAccount(ctx, mgmt, member, o.RootID, ou.ID))

	refused := []struct {
		name, caller, account, code, reason string
	}{
		{"no id", mgmt, "", "InvalidInputException", "INPUT_REQUIRED"},
		{"malformed id", mgmt, "12345", "InvalidInputException", "INVALID_PATTERN"},
		{"unknown account", mgmt, "123456789012", "AccountNotFoundException", ""},
		{"management account", mgmt, mgmt, "ConstraintViolationException", "CANNOT_CLOSE_MANAGEMENT_ACCOUNT"},
		{"member caller", other, member, "AccessDeniedException", ""},
		{"outsider caller", "999999999999", member, "AWSOrganizationsNotInUseException", ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.CloseAccount(ctx, tc.caller, tc.account), tc.code, tc.reason)
		})
	}
	wantMessage(t, s.CloseAccount(ctx, mgmt, mgmt), "You attempted to close the management account. To close the management account for the organization, you must first either remove or close all member accounts in the organization. Follow standard account closure process using root credentials.")
	wantMessage(t, s.CloseAccount(ctx, mgmt, "123456789012"), "You specified an account that doesn't exist.")
	if a := must(s.DescribeAccount(ctx, mgmt, member)); a.Status != "ACTIVE" || a.State != "ACTIVE" {
		t.Fatalf("a refused close changed the account: %+v", a)
	}

	ok(t, s.CloseAccount(ctx, mgmt, member))
	a := must(s.DescribeAccount(ctx, mgmt, member))
	if a.Status != "SUSPENDED" || a.State != "CLOSED" || a.Name != "dev" || a.JoinedMethod != "CREATED" {
		t.Fatalf("closed account %+v", a)
	}
	err := s.CloseAccount(ctx, mgmt, member)
	wantErr(t, err, "AccountAlreadyClosedException", "")
	wantMessage(t, err, "You attempted to close an account that is already closed.")

	// The closed account stays in the organization, in its OU, listed as
	// SUSPENDED; the other member is untouched.
	states := map[string]string{}
	for _, acct := range must(s.ListAccounts(ctx, mgmt)) {
		states[acct.ID] = acct.Status + "/" + acct.State
	}
	want := map[string]string{mgmt: "ACTIVE/ACTIVE", member: "SUSPENDED/CLOSED", other: "ACTIVE/ACTIVE"}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Fatalf("accounts %v, want %v", states, want)
	}
	inOU := must(s.ListAccountsForParent(ctx, mgmt, ou.ID))
	if len(inOU) != 1 || inOU[0].ID != member || inOU[0].Status != "SUSPENDED" {
		t.Fatalf("accounts in OU %+v", inOU)
	}

	// Its IAM side stays (AWS keeps it 90 days) but nothing is allowed:
	// one SCP level that allows nothing, even with SCPs disabled.
	_ = must(is.GetAccount(ctx, member))
	_ = must(is.RoleByARN(ctx, "arn:aws:iam::"+member+":role/"+DefaultAccessRole))
	if l := must(s.SCPs(ctx, member)); len(l) != 1 || len(l[0]) != 0 {
		t.Fatalf("closed account levels %v", l)
	}
	if res := evalSCPs(t, s, member, "iam:ListUsers"); res.Allowed() {
		t.Fatal("a closed account's principal is allowed")
	}
	if !evalSCPs(t, s, other, "iam:ListUsers").Allowed() {
		t.Fatal("closing one account denies another")
	}
	_ = must(s.DisablePolicyType(ctx, mgmt, o.RootID, TypeSCP))
	if evalSCPs(t, s, member, "iam:ListUsers").Allowed() {
		t.Fatal("a closed account is allowed while SCPs are disabled")
	}
	if l := must(s.SCPs(ctx, other)); l != nil {
		t.Fatalf("open member levels with SCPs disabled %v", l)
	}
}

func TestCloseQuota(t *testing.T) {
	for _, tc := range []struct{ members, quota int }{
		{0, 250}, {1, 250}, {1250, 250}, {1255, 251}, {2000, 400}, {5000, 1000}, {9999, 1000},
	} {
		if got := closeQuota(tc.members); got != tc.quota {
			t.Errorf("closeQuota(%d) = %d, want %d", tc.members, got, tc.quota)
		}
	}

	// 250 closures in 30 days, then the 251st is refused until the
	// first falls out of the rolling window.
	if testing.Short() {
		t.Skip("creates 252 accounts")
	}
	s, _, c := newServiceOn(t, memory.New())
	ctx := context.Background()
	var accts []string
	for i := 0; i < 252; i++ {
		st := must(s.CreateAccount(ctx, mgmt, CreateAccountInput{AccountName: fmt.Sprint("a", i), Email: fmt.Sprintf("a%d@example.com", i)}))
		accts = append(accts, st.AccountID)
	}
	start := c.t
	for i := 0; i < 250; i++ {
		c.t = start.Add(time.Duration(i) * time.Minute)
		ok(t, s.CloseAccount(ctx, mgmt, accts[i]))
	}
	c.t = start.Add(29 * 24 * time.Hour)
	err := s.CloseAccount(ctx, mgmt, accts[250])
	wantErr(t, err, "ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
	wantMessage(t, err, "You have exceeded close account quota for the past 30 days.")
	if a := must(s.DescribeAccount(ctx, mgmt, accts[250])); a.State != "ACTIVE" {
		t.Fatalf("refused close changed the account: %+v", a)
	}
	c.t = start.Add(30 * 24 * time.Hour) // the first closure leaves the window
	ok(t, s.CloseAccount(ctx, mgmt, accts[250]))
	wantErr(t, s.CloseAccount(ctx, mgmt, accts[251]), "ConstraintViolationException", "CLOSE_ACCOUNT_QUOTA_EXCEEDED")
}

func TestRemoveAccountFromOrganization(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")
	other := createAccount(t, s, "test")
	closed := createAccount(t, s, "old")
	ok(t, s.CloseAccount(ctx, mgmt, closed))
	ou := must(s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads"))
	ok(t, s.MoveAccount(ctx, mgmt, member, o.RootID, ou.ID))
	deny := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "NoUsers", Type: TypeSCP, Content: denyCreateUser}))
	ok(t, s.AttachPolicy(ctx, mgmt, deny.ID, member))
	ok(t, s.AttachPolicy(ctx, mgmt, deny.ID, other))
	if evalSCPs(t, s, member, "iam:CreateUser").Allowed() {
		t.Fatal("the deny SCP does not apply before removal")
	}

	refused := []struct {
		name, caller, account, code, reason string
	}{
		{"no id", mgmt, "", "InvalidInputException", "INPUT_REQUIRED"},
		{"malformed id", mgmt, "abc", "InvalidInputException", "INVALID_PATTERN"},
		{"unknown account", mgmt, "123456789012", "AccountNotFoundException", ""},
		{"management account", mgmt, mgmt, "MasterCannotLeaveOrganizationException", ""},
		{"member caller", member, member, "AccessDeniedException", ""},
		{"member removes another", other, member, "AccessDeniedException", ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, s.RemoveAccountFromOrganization(ctx, tc.caller, tc.account), tc.code, tc.reason)
		})
	}
	wantMessage(t, s.RemoveAccountFromOrganization(ctx, mgmt, mgmt),
		"You can't remove a management account from an organization. If you want the management account to become a member account in another organization, you must first delete the current organization of the management account.")

	ok(t, s.RemoveAccountFromOrganization(ctx, mgmt, member))
	_, err := s.DescribeAccount(ctx, mgmt, member)
	wantErr(t, err, "AccountNotFoundException", "")
	wantErr(t, s.RemoveAccountFromOrganization(ctx, mgmt, member), "AccountNotFoundException", "")
	wantErr(t, s.CloseAccount(ctx, mgmt, member), "AccountNotFoundException", "")
	// No SCP applies to it any more; its attachments are gone, the other
	// member's remain.
	if l := must(s.SCPs(ctx, member)); l != nil {
		t.Fatalf("removed account levels %v", l)
	}
	if !evalSCPs(t, s, member, "iam:CreateUser").Allowed() {
		t.Fatal("the removed account is still denied by the SCP")
	}
	if evalSCPs(t, s, other, "iam:CreateUser").Allowed() {
		t.Fatal("the other member lost its SCP")
	}
	targets := must(s.ListTargetsForPolicy(ctx, mgmt, deny.ID))
	if len(targets) != 1 || targets[0].ID != other {
		t.Fatalf("deny SCP targets %+v", targets)
	}
	ok(t, s.store.View(ctx, func(r store.Reader) error {
		n, err := r.Count(ctx, store.Filter{Kind: KindAttachment, Parent: member})
		if err == nil && n != 0 {
			t.Errorf("%d attachments of the removed account remain", n)
		}
		return err
	}))
	// The OU is empty again; the account is standalone: not in the
	// organization, its IAM side (the access role included) intact.
	if n := len(must(s.ListAccountsForParent(ctx, mgmt, ou.ID))); n != 0 {
		t.Fatalf("accounts in OU: %d", n)
	}
	ok(t, s.DeleteOrganizationalUnit(ctx, mgmt, ou.ID))
	if n := len(must(s.ListAccounts(ctx, mgmt))); n != 3 {
		t.Fatalf("accounts after removal: %d", n)
	}
	_, err = s.DescribeOrganization(ctx, member)
	wantErr(t, err, "AWSOrganizationsNotInUseException", "")
	_ = must(is.GetAccount(ctx, member))
	_ = must(is.RoleByARN(ctx, "arn:aws:iam::"+member+":role/"+DefaultAccessRole))

	// A closed account can be removed too; it stays closed: denied
	// everything, and its closure still counts.
	ok(t, s.RemoveAccountFromOrganization(ctx, mgmt, closed))
	_, err = s.DescribeAccount(ctx, mgmt, closed)
	wantErr(t, err, "AccountNotFoundException", "")
	if l := must(s.SCPs(ctx, closed)); len(l) != 1 || len(l[0]) != 0 {
		t.Fatalf("removed closed account levels %v", l)
	}
	if evalSCPs(t, s, closed, "iam:ListUsers").Allowed() {
		t.Fatal("a removed closed account's principal is allowed")
	}
}

// failingStore fails deleting a member record, after the operation's
// other writes in the same transaction.
type failingStore struct{ store.Store }

var errInjected = errors.New("injected failure")

func (f failingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.Update(ctx, func(tx store.Tx) error { return fn(failingTx{tx}) })
}

type failingTx struct{ store.Tx }

func (f failingTx) Delete(ctx context.Context, kind, account, name string) error {
	if kind == KindMember {
		return errInjected
	}
	return f.Tx.Delete(ctx, kind, account, name)
}

func TestRemoveAccountAllOrNothing(t *testing.T) {
	st := memory.New()
	s, _, _ := newServiceOn(t, failingStore{st})
	ctx := context.Background()
	member := createAccount(t, s, "dev")
	before := must(s.ListPoliciesForTarget(ctx, mgmt, member, TypeSCP))
	if len(before) != 1 {
		t.Fatalf("member policies %+v", before)
	}
	if err := s.RemoveAccountFromOrganization(ctx, mgmt, member); !errors.Is(err, errInjected) {
		t.Fatalf("want the injected failure, got %v", err)
	}
	// The attachment deleted before the failure is back: nothing changed.
	after := must(s.ListPoliciesForTarget(ctx, mgmt, member, TypeSCP))
	if len(after) != 1 || after[0].ID != FullAWSAccessID {
		t.Fatalf("member policies after a failed removal %+v", after)
	}
	if a := must(s.DescribeAccount(ctx, mgmt, member)); a.State != "ACTIVE" {
		t.Fatalf("account %+v", a)
	}
}
