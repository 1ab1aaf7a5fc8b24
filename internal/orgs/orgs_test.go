package orgs

import (
	"context"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store/memory"
)

const mgmt = "111111111111"

func newService(t *testing.T) (*Service, *iam.Service) {
	t.Helper()
	kr, err := keyring.New(keyring.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	st := memory.New()
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	is := iam.New(st, kr, now)
	ctx := context.Background()
	if _, err := is.Bootstrap(ctx, iam.Deployment{ID: "d", ManagementAccount: mgmt}, iam.Account{ID: mgmt, Name: "management", Email: "root@example.com"}, "", ""); err != nil {
		t.Fatal(err)
	}
	s := New(st, is, now)
	if _, err := s.EnsureOrganization(ctx, mgmt); err != nil {
		t.Fatal(err)
	}
	return s, is
}

// wantErr asserts err is the AWS error code (with Reason, when given).
func wantErr(t *testing.T, err error, code, reason string) {
	t.Helper()
	e, ok := awserr.As(err)
	if !ok {
		t.Fatalf("want %s, got %v", code, err)
	}
	if e.Code != code || e.Status != 400 {
		t.Fatalf("want %s (400), got %s (%d): %s", code, e.Code, e.Status, e.Message)
	}
	if reason != "" {
		oe, ok := err.(*Error)
		if !ok || oe.Reason != reason {
			t.Fatalf("want reason %s, got %v", reason, err)
		}
	}
}

// must returns v or fails the test by panicking with err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func createAccount(t *testing.T, s *Service, name string) string {
	t.Helper()
	st := must(s.CreateAccount(context.Background(), mgmt, CreateAccountInput{AccountName: name, Email: name + "@example.com"}))
	if st.State != "SUCCEEDED" || len(st.AccountID) != 12 {
		t.Fatalf("create account: %+v", st)
	}
	return st.AccountID
}

func TestOrganizationAndAccess(t *testing.T) {
	s, is := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	if o.FeatureSet != "ALL" || !reRootID.MatchString(o.RootID) || !o.SCPEnabled() || o.ManagementEmail != "root@example.com" {
		t.Fatalf("organization %+v", o)
	}
	again := must(s.EnsureOrganization(ctx, mgmt))
	if again.ID != o.ID {
		t.Fatal("EnsureOrganization is not idempotent")
	}
	member := createAccount(t, s, "dev")
	role := must(is.RoleByARN(ctx, "arn:aws:iam::"+member+":role/OrganizationAccountAccessRole"))
	if role.Account != member || role.MaxSessionDuration != 3600 {
		t.Fatalf("role %+v", role)
	}
	_ = must(is.GetAccount(ctx, member))
	attached, _, err := is.ListAttachedPolicies(ctx, member, iam.EntityRole, DefaultAccessRole, "", iam.Page{})
	if err != nil || len(attached) != 1 || attached[0].ARN != iam.AdministratorAccessARN {
		t.Fatalf("access role policies %v %v", attached, err)
	}

	tests := []struct {
		name   string
		call   func(caller string) error
		caller string
		code   string
	}{
		{"member describes", func(c string) error { _, err := s.DescribeOrganization(ctx, c); return err }, member, ""},
		{"member lists", func(c string) error { _, err := s.ListAccounts(ctx, c); return err }, member, "AccessDeniedException"},
		{"member creates", func(c string) error {
			_, err := s.CreateAccount(ctx, c, CreateAccountInput{AccountName: "x", Email: "x@example.com"})
			return err
		}, member, "AccessDeniedException"},
		{"outsider describes", func(c string) error { _, err := s.DescribeOrganization(ctx, c); return err }, "999999999999", "AWSOrganizationsNotInUseException"},
		{"management lists", func(c string) error { _, err := s.ListAccounts(ctx, c); return err }, mgmt, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(tc.caller)
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, tc.code, "")
		})
	}

	accts := must(s.ListAccounts(ctx, mgmt))
	if len(accts) != 2 {
		t.Fatalf("accounts %+v", accts)
	}
	st := must(s.CreateAccount(ctx, mgmt, CreateAccountInput{AccountName: "dup", Email: "DEV@example.com"}))
	if st.State != "FAILED" || st.FailureReason != "EMAIL_ALREADY_EXISTS" || st.AccountID != "" {
		t.Fatalf("duplicate email: %+v", st)
	}
	got := must(s.DescribeCreateAccountStatus(ctx, mgmt, st.ID))
	if got.State != "FAILED" {
		t.Fatalf("status %+v", got)
	}
	_, err = s.DescribeCreateAccountStatus(ctx, mgmt, "car-00000000")
	wantErr(t, err, "CreateAccountStatusNotFoundException", "")
	_, err = s.DescribeAccount(ctx, mgmt, "123456789012")
	wantErr(t, err, "AccountNotFoundException", "")
	_, err = s.DescribeAccount(ctx, mgmt, "12345")
	wantErr(t, err, "InvalidInputException", "INVALID_PATTERN")
}

func TestCreateAccountValidation(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	tests := []struct {
		in     CreateAccountInput
		reason string
	}{
		{CreateAccountInput{Email: "a@example.com"}, "INPUT_REQUIRED"},
		{CreateAccountInput{AccountName: "a"}, "INPUT_REQUIRED"},
		{CreateAccountInput{AccountName: "a", Email: "a@b.c"}, "MIN_LENGTH_EXCEEDED"},
		{CreateAccountInput{AccountName: "a", Email: "not-an-email"}, "INVALID_EMAIL_ADDRESS_TARGET"},
		{CreateAccountInput{AccountName: string(make([]byte, 51)), Email: "a@example.com"}, "MAX_LENGTH_EXCEEDED"},
		{CreateAccountInput{AccountName: "a", Email: "a@example.com", RoleName: "bad role"}, "INVALID_PATTERN"},
	}
	for _, tc := range tests {
		_, err := s.CreateAccount(ctx, mgmt, tc.in)
		wantErr(t, err, "InvalidInputException", tc.reason)
	}
	if n := len(must(s.ListAccounts(ctx, mgmt))); n != 1 {
		t.Fatalf("a refused request created an account: %d", n)
	}
}

const denyCreateUser = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`

func evalSCPs(t *testing.T, s *Service, account, action string) policy.Result {
	t.Helper()
	levels := must(s.SCPs(context.Background(), account))
	req := &policy.Request{Principal: policy.Principal{Type: policy.Root, Account: account, ARN: iam.RootARN(account)},
		Action: action, Resource: "*", Context: policy.NewContext()}
	return policy.Evaluate(req, &policy.Set{SCPs: levels})
}

func TestSCPLevelsAndRules(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")

	if l := must(s.SCPs(ctx, mgmt)); l != nil {
		t.Fatalf("management account is subject to SCPs: %v", l)
	}
	if l := must(s.SCPs(ctx, "999999999999")); l != nil {
		t.Fatalf("outsider is subject to SCPs: %v", l)
	}
	if l := must(s.SCPs(ctx, member)); len(l) != 2 || len(l[0]) != 1 || len(l[1]) != 1 {
		t.Fatalf("member levels %v", l)
	}
	if !evalSCPs(t, s, member, "iam:CreateUser").Allowed() {
		t.Fatal("FullAWSAccess does not allow")
	}

	ou := must(s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads"))
	_, err := s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads")
	wantErr(t, err, "DuplicateOrganizationalUnitException", "")
	ok(t, s.MoveAccount(ctx, mgmt, member, o.RootID, ou.ID))
	wantErr(t, s.MoveAccount(ctx, mgmt, member, o.RootID, ou.ID), "SourceParentNotFoundException", "")
	wantErr(t, s.MoveAccount(ctx, mgmt, member, ou.ID, ou.ID), "DuplicateAccountException", "")
	if l := must(s.SCPs(ctx, member)); len(l) != 3 {
		t.Fatalf("member levels with an OU: %v", l)
	}
	parents := must(s.ListParents(ctx, mgmt, member))
	if len(parents) != 1 || parents[0].ID != ou.ID || parents[0].Type != TargetOU {
		t.Fatalf("parents %+v", parents)
	}
	wantErr(t, s.DeleteOrganizationalUnit(ctx, mgmt, ou.ID), "OrganizationalUnitNotEmptyException", "")

	deny := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "NoUsers", Type: TypeSCP, Content: denyCreateUser}))
	_, err = s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "noUsers", Type: TypeSCP, Content: denyCreateUser})
	wantErr(t, err, "DuplicatePolicyException", "")
	ok(t, s.AttachPolicy(ctx, mgmt, deny.ID, ou.ID))
	wantErr(t, s.AttachPolicy(ctx, mgmt, deny.ID, ou.ID), "DuplicatePolicyAttachmentException", "")
	res := evalSCPs(t, s, member, "iam:CreateUser")
	if res.Allowed() || res.Reason("iam:CreateUser") != "with an explicit deny in a service control policy" {
		t.Fatalf("deny SCP: %+v", res)
	}
	if !evalSCPs(t, s, member, "iam:ListUsers").Allowed() {
		t.Fatal("deny SCP denies more than it says")
	}
	wantErr(t, s.DeletePolicy(ctx, mgmt, deny.ID), "PolicyInUseException", "")

	// The last SCP of a target cannot be detached.
	err = s.DetachPolicy(ctx, mgmt, FullAWSAccessID, member)
	wantErr(t, err, "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	ok(t, s.DetachPolicy(ctx, mgmt, FullAWSAccessID, ou.ID)) // the deny SCP remains
	wantErr(t, s.DetachPolicy(ctx, mgmt, FullAWSAccessID, ou.ID), "PolicyNotAttachedException", "")
	// Without an allow at the OU level everything is denied there.
	if evalSCPs(t, s, member, "iam:ListUsers").Allowed() {
		t.Fatal("a level without an allowing SCP allows")
	}
	ok(t, s.AttachPolicy(ctx, mgmt, FullAWSAccessID, ou.ID))
	ok(t, s.DetachPolicy(ctx, mgmt, deny.ID, ou.ID))
	ok(t, s.DeletePolicy(ctx, mgmt, deny.ID))
	_, err = s.DescribePolicy(ctx, mgmt, deny.ID)
	wantErr(t, err, "PolicyNotFoundException", "")

	targets := must(s.ListTargetsForPolicy(ctx, mgmt, FullAWSAccessID))
	if len(targets) != 4 { // root, management, member, OU
		t.Fatalf("targets %+v", targets)
	}
	wantErr(t, s.AttachPolicy(ctx, mgmt, FullAWSAccessID, "ou-zzzz-zzzzzzzz"), "TargetNotFoundException", "")
	wantErr(t, s.AttachPolicy(ctx, mgmt, FullAWSAccessID, "bogus"), "InvalidInputException", "INVALID_PATTERN_TARGET_ID")
	wantErr(t, s.AttachPolicy(ctx, mgmt, "p-12345678", ou.ID), "PolicyNotFoundException", "")
}

func TestPolicyValidation(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*","Sid":"` + string(make([]byte, 0)) + `"}]}`
	for len(big) <= maxPolicyBytes {
		big = big[:len(big)-4] + "      \"}]}"
	}
	tests := []struct {
		name   string
		in     CreatePolicyInput
		code   string
		reason string
	}{
		{"malformed", CreatePolicyInput{Name: "a", Type: TypeSCP, Content: `{"Statement":`}, "MalformedPolicyDocumentException", ""},
		{"principal in scp", CreatePolicyInput{Name: "a", Type: TypeSCP, Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`}, "MalformedPolicyDocumentException", ""},
		{"too big", CreatePolicyInput{Name: "a", Type: TypeSCP, Content: big}, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED"},
		{"no name", CreatePolicyInput{Type: TypeSCP, Content: denyCreateUser}, "InvalidInputException", "INPUT_REQUIRED"},
		{"bad type", CreatePolicyInput{Name: "a", Type: "NOPE", Content: denyCreateUser}, "InvalidInputException", "INVALID_ENUM"},
		{"other type", CreatePolicyInput{Name: "a", Type: "TAG_POLICY", Content: denyCreateUser}, "PolicyTypeNotAvailableForOrganizationException", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreatePolicy(ctx, mgmt, tc.in)
			wantErr(t, err, tc.code, tc.reason)
		})
	}
	name := "x"
	_, err := s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: FullAWSAccessID, Name: &name})
	wantErr(t, err, "InvalidInputException", "IMMUTABLE_POLICY")
	wantErr(t, s.DeletePolicy(ctx, mgmt, FullAWSAccessID), "InvalidInputException", "IMMUTABLE_POLICY")

	p := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "P", Type: TypeSCP, Content: denyCreateUser}))
	newName, desc := "Renamed", "d"
	up := must(s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: p.ID, Name: &newName, Description: &desc}))
	if up.Name != "Renamed" || up.Description != "d" || up.Content != denyCreateUser || up.ID != p.ID {
		t.Fatalf("updated %+v", up)
	}
	bad := `{"Version":"2012-10-17"}`
	_, err = s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: p.ID, Content: &bad})
	wantErr(t, err, "MalformedPolicyDocumentException", "")
}

func TestPolicyTypeSwitch(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")
	_, err := s.EnablePolicyType(ctx, mgmt, o.RootID, TypeSCP)
	wantErr(t, err, "PolicyTypeAlreadyEnabledException", "")
	_, err = s.DisablePolicyType(ctx, mgmt, "r-zzzz", TypeSCP)
	wantErr(t, err, "RootNotFoundException", "")
	must(s.DisablePolicyType(ctx, mgmt, o.RootID, TypeSCP))
	if l := must(s.SCPs(ctx, member)); l != nil {
		t.Fatalf("SCPs apply while disabled: %v", l)
	}
	wantErr(t, s.AttachPolicy(ctx, mgmt, FullAWSAccessID, member), "PolicyTypeNotEnabledException", "")
	must(s.EnablePolicyType(ctx, mgmt, o.RootID, TypeSCP))
	if l := must(s.SCPs(ctx, member)); len(l) != 2 || len(l[1]) != 1 {
		t.Fatalf("FullAWSAccess not re-attached: %v", l)
	}
}

func TestOUTree(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	parent := o.RootID
	var ids []string
	for i := 0; i < maxOUDepth; i++ {
		ou := must(s.CreateOrganizationalUnit(ctx, mgmt, parent, "level"))
		if !reOUID.MatchString(ou.ID) {
			t.Fatalf("ou id %q", ou.ID)
		}
		ids = append(ids, ou.ID)
		parent = ou.ID
	}
	_, err := s.CreateOrganizationalUnit(ctx, mgmt, parent, "too deep")
	wantErr(t, err, "ConstraintViolationException", "OU_DEPTH_LIMIT_EXCEEDED")
	_, err = s.CreateOrganizationalUnit(ctx, mgmt, "ou-zzzz-zzzzzzzz", "x")
	wantErr(t, err, "ParentNotFoundException", "")
	kids := must(s.ListChildren(ctx, mgmt, o.RootID, TargetOU))
	if len(kids) != 1 || kids[0].ID != ids[0] {
		t.Fatalf("children %+v", kids)
	}
	_, err = s.ListChildren(ctx, mgmt, o.RootID, "NOPE")
	wantErr(t, err, "InvalidInputException", "INVALID_ENUM")
	for i := len(ids) - 1; i >= 0; i-- {
		if err := s.DeleteOrganizationalUnit(ctx, mgmt, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.DescribeOrganizationalUnit(ctx, mgmt, ids[0])
	wantErr(t, err, "OrganizationalUnitNotFoundException", "")
	if targets := must(s.ListTargetsForPolicy(ctx, mgmt, FullAWSAccessID)); len(targets) != 2 {
		t.Fatalf("deleted OUs' attachments remain: %+v", targets)
	}
}
