package orgs

import (
	"context"
	"testing"
)

func TestResourceARN(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "dev")
	ou := must(s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads"))
	p := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "NoUsers", Type: TypeSCP, Content: denyCreateUser}))

	base := "arn:aws:organizations::" + mgmt + ":"
	acctARN := base + "account/" + o.ID + "/" + member
	ouARN := base + "ou/" + o.ID + "/" + ou.ID
	rootARN := base + "root/" + o.ID + "/" + o.RootID
	tests := []struct {
		name   string
		caller string
		kind   ResourceKind
		id     string
		want   string
	}{
		{"account", mgmt, ResourceAccount, member, acctARN},
		{"unknown account: still its ARN", mgmt, ResourceAccount, "123456789012", base + "account/" + o.ID + "/123456789012"},
		{"management account", mgmt, ResourceAccount, mgmt, base + "account/" + o.ID + "/" + mgmt},
		{"malformed account", mgmt, ResourceAccount, "1234", "*"},
		{"empty account", mgmt, ResourceAccount, "", "*"},
		{"OU id as an account", mgmt, ResourceAccount, ou.ID, "*"},
		{"ou", mgmt, ResourceOU, ou.ID, ouARN},
		{"unknown ou", mgmt, ResourceOU, "ou-abcd-12345678", base + "ou/" + o.ID + "/ou-abcd-12345678"},
		{"root id as an OU", mgmt, ResourceOU, o.RootID, "*"},
		{"root", mgmt, ResourceRoot, o.RootID, rootARN},
		{"unknown root", mgmt, ResourceRoot, "r-zzzz", base + "root/" + o.ID + "/r-zzzz"},
		{"parent: root", mgmt, ResourceParent, o.RootID, rootARN},
		{"parent: ou", mgmt, ResourceParent, ou.ID, ouARN},
		{"parent: account", mgmt, ResourceParent, member, "*"},
		{"child: account", mgmt, ResourceChild, member, acctARN},
		{"child: ou", mgmt, ResourceChild, ou.ID, ouARN},
		{"child: root", mgmt, ResourceChild, o.RootID, "*"},
		{"target: root", mgmt, ResourceTarget, o.RootID, rootARN},
		{"target: ou", mgmt, ResourceTarget, ou.ID, ouARN},
		{"target: account", mgmt, ResourceTarget, member, acctARN},
		{"target: malformed", mgmt, ResourceTarget, "bogus", "*"},
		{"customer policy", mgmt, ResourcePolicy, p.ID, base + "policy/" + o.ID + "/service_control_policy/" + p.ID},
		{"AWS-managed policy", mgmt, ResourcePolicy, FullAWSAccessID, "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"},
		{"unknown policy", mgmt, ResourcePolicy, "p-abcdefgh", base + "policy/" + o.ID + "/service_control_policy/p-abcdefgh"},
		{"malformed policy", mgmt, ResourcePolicy, "p-1", "*"},
		{"member caller", member, ResourceAccount, member, "*"},
		{"outsider caller", "999999999999", ResourceOU, ou.ID, "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.ResourceARN(ctx, tc.caller, tc.kind, tc.id); got != tc.want {
				t.Fatalf("ResourceARN(%v, %q) = %q, want %q", tc.kind, tc.id, got, tc.want)
			}
		})
	}
	// The ARN agrees with what the API returns for the resource.
	if got := s.ResourceARN(ctx, mgmt, ResourcePolicy, p.ID); got != p.ARN {
		t.Fatalf("policy ARN %q, CreatePolicy said %q", got, p.ARN)
	}
	if got := s.ResourceARN(ctx, mgmt, ResourceAccount, member); got != must(s.DescribeAccount(ctx, mgmt, member)).ARN {
		t.Fatalf("account ARN %q", got)
	}
	if got := s.ResourceARN(ctx, mgmt, ResourceRoot, o.RootID); got != o.RootARN() {
		t.Fatalf("root ARN %q, want %q", got, o.RootARN())
	}

	for _, tc := range []struct{ caller, id, want string }{
		{mgmt, p.ID, TypeSCP},
		{mgmt, FullAWSAccessID, TypeSCP},
		{mgmt, "p-abcdefgh", ""},
		{mgmt, "nope", ""},
		{member, p.ID, ""},
	} {
		if got := s.PolicyType(ctx, tc.caller, tc.id); got != tc.want {
			t.Errorf("PolicyType(%s, %s) = %q, want %q", tc.caller, tc.id, got, tc.want)
		}
	}
}
