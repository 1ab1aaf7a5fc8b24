package orgs

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/hatrack/hatrack/policy"
)

const (
	rcpDenyOutside = `{"Version":"2012-10-17","Statement":[{"Sid":"Perimeter","Effect":"Deny","Principal":"*","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-example"}}}]}`
	rcpDenySQS     = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}]}`
	rcpFullARN     = "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
)

// levelIDs renders policy levels as "id,id|id|…" (sorted within a level).
func levelIDs(levels [][]*policy.Policy) string {
	if levels == nil {
		return "nil"
	}
	var out []string
	for _, l := range levels {
		var ids []string
		for _, p := range l {
			ids = append(ids, p.ID())
		}
		sort.Strings(ids)
		out = append(out, strings.Join(ids, ","))
	}
	return strings.Join(out, "|")
}

func policyIDs(ps []*Policy) string {
	var ids []string
	for _, p := range ps {
		ids = append(ids, p.ID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ",")
}

func TestRCPTypeEnableDisable(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")
	ou := must(s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads"))

	// Not enabled: nothing of the type may be attached, nothing applies.
	rcp := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "perimeter", Type: TypeRCP, Content: rcpDenyOutside}))
	wantErr(t, s.AttachPolicy(ctx, mgmt, rcp.ID, member), "PolicyTypeNotEnabledException", "")
	if l := must(s.RCPs(ctx, member)); l != nil {
		t.Fatalf("RCPs before enabling: %s", levelIDs(l))
	}

	_, err := s.EnablePolicyType(ctx, mgmt, o.RootID, TypeRCP)
	ok(t, err)
	_, err = s.EnablePolicyType(ctx, mgmt, o.RootID, TypeRCP)
	wantErr(t, err, "PolicyTypeAlreadyEnabledException", "")
	o = must(s.DescribeOrganization(ctx, mgmt))
	if fmt.Sprint(o.EnabledTypes) != "[RESOURCE_CONTROL_POLICY SERVICE_CONTROL_POLICY]" {
		t.Fatalf("enabled types %v", o.EnabledTypes)
	}

	// RCPFullAWSAccess: AWS-managed, with its AWS ARN and content,
	// attached to the root, the OU and every account.
	full := must(s.DescribePolicy(ctx, mgmt, RCPFullAWSAccessID))
	if full.ARN != rcpFullARN || !full.AWSManaged || full.Type != TypeRCP || full.Name != "RCPFullAWSAccess" ||
		!strings.Contains(full.Content, `"Principal": "*"`) {
		t.Fatalf("RCPFullAWSAccess %+v", full)
	}
	if _, err := policy.Parse(full.Content, policy.RCP); err != nil {
		t.Fatalf("RCPFullAWSAccess content: %v", err)
	}
	targets := must(s.ListTargetsForPolicy(ctx, mgmt, RCPFullAWSAccessID))
	var tids []string
	for _, tg := range targets {
		tids = append(tids, tg.ID)
	}
	sort.Strings(tids)
	want := []string{mgmt, member, o.RootID, ou.ID}
	sort.Strings(want)
	if fmt.Sprint(tids) != fmt.Sprint(want) {
		t.Fatalf("RCPFullAWSAccess targets %v, want %v", tids, want)
	}
	// New targets get it too.
	later := createAccount(t, s, "later")
	ou2 := must(s.CreateOrganizationalUnit(ctx, mgmt, ou.ID, "Inner"))
	for _, id := range []string{later, ou2.ID} {
		if got := policyIDs(must(s.ListPoliciesForTarget(ctx, mgmt, id, TypeRCP))); got != RCPFullAWSAccessID {
			t.Fatalf("RCPs of new target %s: %s", id, got)
		}
		if got := policyIDs(must(s.ListPoliciesForTarget(ctx, mgmt, id, TypeSCP))); got != FullAWSAccessID {
			t.Fatalf("SCPs of new target %s: %s", id, got)
		}
	}

	// ListPolicies by filter keeps the types apart.
	if got := policyIDs(must(s.ListPolicies(ctx, mgmt, TypeRCP))); got != strings.Join(sortedStrings(RCPFullAWSAccessID, rcp.ID), ",") {
		t.Fatalf("ListPolicies RCP: %s", got)
	}
	if got := policyIDs(must(s.ListPolicies(ctx, mgmt, TypeSCP))); got != FullAWSAccessID {
		t.Fatalf("ListPolicies SCP: %s", got)
	}

	// Attach to the OU, move the member under it: levels root → OU →
	// account, in RCPs; SCPs keep only SCPs.
	ok(t, s.MoveAccount(ctx, mgmt, member, o.RootID, ou.ID))
	ok(t, s.AttachPolicy(ctx, mgmt, rcp.ID, ou.ID))
	rcpARN := must(s.DescribePolicy(ctx, mgmt, rcp.ID)).ARN
	if !strings.HasPrefix(rcpARN, "arn:aws:organizations::"+mgmt+":policy/"+o.ID+"/resource_control_policy/p-") {
		t.Fatalf("RCP ARN %s", rcpARN)
	}
	if got, want := levelIDs(must(s.RCPs(ctx, member))), rcpFullARN+"|"+strings.Join(sortedStrings(rcpFullARN, rcpARN), ",")+"|"+rcpFullARN; got != want {
		t.Fatalf("RCP levels\n %s\nwant\n %s", got, want)
	}
	scpFull := "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
	if got, want := levelIDs(must(s.SCPs(ctx, member))), scpFull+"|"+scpFull+"|"+scpFull; got != want {
		t.Fatalf("SCP levels %s, want %s", got, want)
	}
	// Never for the management account's resources, nor outside.
	if l := must(s.RCPs(ctx, mgmt)); l != nil {
		t.Fatalf("management RCPs %s", levelIDs(l))
	}
	if l := must(s.RCPs(ctx, "999999999999")); l != nil {
		t.Fatalf("outsider RCPs %s", levelIDs(l))
	}
	// Organization paths.
	if id, path := must2(s.OrgPath(ctx, member)); id != o.ID || path != o.ID+"/"+o.RootID+"/"+ou.ID+"/" {
		t.Fatalf("member path %s %s", id, path)
	}
	if id, path := must2(s.OrgPath(ctx, mgmt)); id != o.ID || path != o.ID+"/"+o.RootID+"/" {
		t.Fatalf("management path %s %s", id, path)
	}
	if id, path := must2(s.OrgPath(ctx, "999999999999")); id != "" || path != "" {
		t.Fatalf("outsider path %q %q", id, path)
	}

	// Disabling SCPs leaves RCP attachments alone (and the reverse).
	_, err = s.DisablePolicyType(ctx, mgmt, o.RootID, TypeSCP)
	ok(t, err)
	if l := must(s.SCPs(ctx, member)); l != nil {
		t.Fatalf("SCPs after disabling: %s", levelIDs(l))
	}
	if got := policyIDs(must(s.ListPoliciesForTarget(ctx, mgmt, ou.ID, TypeRCP))); got != strings.Join(sortedStrings(RCPFullAWSAccessID, rcp.ID), ",") {
		t.Fatalf("RCPs of OU after disabling SCPs: %s", got)
	}
	_, err = s.EnablePolicyType(ctx, mgmt, o.RootID, TypeSCP)
	ok(t, err)
	_, err = s.DisablePolicyType(ctx, mgmt, o.RootID, TypeRCP)
	ok(t, err)
	if l := must(s.RCPs(ctx, member)); l != nil {
		t.Fatalf("RCPs after disabling: %s", levelIDs(l))
	}
	if n := len(must(s.ListTargetsForPolicy(ctx, mgmt, rcp.ID))); n != 0 {
		t.Fatalf("RCP still attached to %d targets", n)
	}
	if got := policyIDs(must(s.ListPoliciesForTarget(ctx, mgmt, ou.ID, TypeSCP))); got != FullAWSAccessID {
		t.Fatalf("SCPs of OU after disabling RCPs: %s", got)
	}
	_, err = s.DisablePolicyType(ctx, mgmt, o.RootID, TypeRCP)
	wantErr(t, err, "PolicyTypeNotEnabledException", "")
	// Other types stay unavailable.
	_, err = s.EnablePolicyType(ctx, mgmt, o.RootID, "TAG_POLICY")
	wantErr(t, err, "PolicyTypeNotAvailableForOrganizationException", "")
}

func sortedStrings(s ...string) []string {
	sort.Strings(s)
	return s
}

func must2[A, B any](a A, b B, err error) (A, B) {
	if err != nil {
		panic(err)
	}
	return a, b
}

func TestRCPContentValidation(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	cases := []struct {
		name, content, code, reason string
	}{
		{"allow statement", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, "MalformedPolicyDocumentException", ""},
		{"scoped allow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, "MalformedPolicyDocumentException", ""},
		{"no principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, "MalformedPolicyDocumentException", ""},
		{"named principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":"*"}]}`, "MalformedPolicyDocumentException", ""},
		{"an SCP", scpDenyCreateUser, "MalformedPolicyDocumentException", ""},
		{"not JSON", `{`, "MalformedPolicyDocumentException", ""},
		{"too large", `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 5120) + `","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}`, "ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED"},
		{"empty", "", "InvalidInputException", "INPUT_REQUIRED"},
	}
	for _, c := range cases {
		_, err := s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "x", Type: TypeRCP, Content: c.content})
		if err == nil {
			t.Fatalf("%s: created", c.name)
		}
		wantErr(t, err, c.code, c.reason)
	}
	// An RCP document is not an SCP either (Principal).
	_, err := s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "x", Type: TypeSCP, Content: rcpDenySQS})
	wantErr(t, err, "MalformedPolicyDocumentException", "")

	// Valid; UpdatePolicy validates against the policy's own type.
	p := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "nosqs", Type: TypeRCP, Content: rcpDenySQS}))
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`
	_, err = s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: p.ID, Content: &bad})
	wantErr(t, err, "MalformedPolicyDocumentException", "")
	_, err = s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: p.ID, Content: ptr(scpDenyCreateUser)})
	wantErr(t, err, "MalformedPolicyDocumentException", "")
	up := must(s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: p.ID, Content: ptr(rcpDenyOutside)}))
	if up.Content != rcpDenyOutside || up.Type != TypeRCP {
		t.Fatalf("updated %+v", up)
	}
	// The AWS-managed one cannot change.
	_, err = s.UpdatePolicy(ctx, mgmt, UpdatePolicyInput{ID: RCPFullAWSAccessID, Content: ptr(rcpDenySQS)})
	wantErr(t, err, "InvalidInputException", "IMMUTABLE_POLICY")
	wantErr(t, s.DeletePolicy(ctx, mgmt, RCPFullAWSAccessID), "InvalidInputException", "IMMUTABLE_POLICY")
}

func ptr[T any](v T) *T { return &v }

func TestRCPAttachmentQuotas(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")
	_, err := s.EnablePolicyType(ctx, mgmt, o.RootID, TypeRCP)
	ok(t, err)

	// RCPFullAWSAccess can never be detached.
	wantErr(t, s.DetachPolicy(ctx, mgmt, RCPFullAWSAccessID, member), "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	wantErr(t, s.DetachPolicy(ctx, mgmt, RCPFullAWSAccessID, o.RootID), "ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")

	// Five RCPs per target, counted apart from the SCPs (RCPFullAWSAccess
	// is one of the five).
	var ids []string
	for i := range 5 {
		p := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: fmt.Sprintf("r%d", i), Type: TypeRCP, Content: rcpDenySQS}))
		ids = append(ids, p.ID)
	}
	for _, id := range ids[:4] {
		ok(t, s.AttachPolicy(ctx, mgmt, id, member))
	}
	wantErr(t, s.AttachPolicy(ctx, mgmt, ids[4], member), "ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	wantErr(t, s.AttachPolicy(ctx, mgmt, ids[0], member), "DuplicatePolicyAttachmentException", "")
	// SCPs still fit: four more beside FullAWSAccess.
	for i := range 4 {
		p := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: fmt.Sprintf("s%d", i), Type: TypeSCP, Content: scpDenyCreateUser}))
		ok(t, s.AttachPolicy(ctx, mgmt, p.ID, member))
	}
	// What is stored is what applies: the account's level holds exactly
	// its five RCPs.
	levels := must(s.RCPs(ctx, member))
	if len(levels) != 2 || len(levels[0]) != 1 || len(levels[1]) != 5 {
		t.Fatalf("levels %s", levelIDs(levels))
	}
	// A customer RCP detaches freely; the type's SCP rule is unchanged.
	ok(t, s.DetachPolicy(ctx, mgmt, ids[0], member))
	wantErr(t, s.DetachPolicy(ctx, mgmt, ids[0], member), "PolicyNotAttachedException", "")
	wantErr(t, s.DeletePolicy(ctx, mgmt, ids[1]), "PolicyInUseException", "")
	ok(t, s.DeletePolicy(ctx, mgmt, ids[0]))
	if levels := must(s.RCPs(ctx, member)); len(levels[1]) != 4 {
		t.Fatalf("levels after detach %s", levelIDs(levels))
	}
}

const scpDenyCreateUser = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:CreateUser","Resource":"*"}]}`
