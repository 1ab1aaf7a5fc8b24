package setup

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

func mustParse(t *testing.T, src string) *File {
	t.Helper()
	f, err := Parse([]byte(src), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func steps(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.String())
	}
	return out
}

func emptyState() *State {
	return &State{
		File: &File{Accounts: []*Account{{Name: "management", Management: true, ID: "111111111111"}}}, ManagementID: "111111111111",
		UnitIDs: map[string]string{}, SCPIDs: map[string]string{}, Parent: map[string]string{}, Read: map[string]bool{},
	}
}

// stateOf is the state a server would report after applying f: what Read
// returns, as Read builds it (ids, defaults, ARNs of attached policies).
func stateOf(t *testing.T, f *File) *State {
	t.Helper()
	st := emptyState()
	data, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	g := mustParse(t, string(data))
	ids := map[string]string{}
	for i, a := range g.Accounts {
		a.ID = "111111111111"
		if !a.Management {
			a.ID = strings.Repeat(string(rune('2'+i)), 12)
		}
		ids[a.Name] = a.ID
	}
	for _, a := range g.Accounts {
		self := a.ID
		render := func(d *Doc) *Doc {
			if d == nil {
				return nil
			}
			s, err := d.Render(self, func(n string) (string, error) { return ids[n], nil })
			if err != nil {
				t.Fatal(err)
			}
			// As IAM returns it: URL-encoded, reformatted.
			nd, err := NewDoc(url.QueryEscape(strings.ReplaceAll(s, ",", ", ")))
			if err != nil {
				t.Fatal(err)
			}
			return nd
		}
		for _, p := range a.Policies {
			p.Document = render(p.Document)
		}
		for _, r := range a.Roles {
			r.Trust = render(r.Trust)
			for _, ip := range r.Policies {
				ip.Document = render(ip.Document)
			}
		}
		for _, u := range a.Users {
			for _, ip := range u.Policies {
				ip.Document = render(ip.Document)
			}
		}
		for _, gr := range a.Groups {
			for _, ip := range gr.Policies {
				ip.Document = render(ip.Document)
			}
		}
	}
	st.File = g
	st.OrgInUse, st.SCPEnabled, st.RootID = true, true, "r-root"
	if g.Organization != nil {
		var walk func(string, []*Unit)
		walk = func(prefix string, us []*Unit) {
			for _, u := range us {
				st.UnitIDs[prefix+u.Name] = "ou-" + u.Name
				walk(prefix+u.Name+"/", u.Units)
			}
		}
		walk("", g.Organization.Units)
		for _, s := range g.Organization.SCPs {
			st.SCPIDs[s.Name] = "p-" + s.Name
			d, _ := s.Document.Render("111111111111", func(n string) (string, error) { return ids[n], nil })
			s.Document, _ = NewDoc(d)
		}
	}
	return st
}

const small = `organization:
  units:
    - name: W
      units: [{name: P}]
  serviceControlPolicies:
    - name: guard
      document: {Version: "2012-10-17", Statement: [{Effect: Deny, Action: "organizations:LeaveOrganization", Resource: "*"}]}
      targets: [root, "ou:W/P"]
accounts:
  - name: main
    management: true
    users:
      - name: alice
        groups: [admins]
    groups:
      - name: admins
        managedPolicies: [Ops]
    policies:
      - name: Ops
        document: {Version: "2012-10-17", Statement: {Effect: Allow, Action: "s3:*", Resource: "*"}}
  - name: prod
    email: prod@example.com
    unit: W/P
    roles:
      - name: deploy
        path: /app/
        trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::${account:main}:root"}, Action: "sts:AssumeRole"}]}
        managedPolicies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
`

func TestDiffEmptyServerOrdersTheWholePlan(t *testing.T) {
	st := emptyState()
	p := Diff(mustParse(t, small), st, Options{})
	want := []string{
		"+ create organization (all features)",
		"+ enable service control policies on root",
		"+ create unit W",
		"+ create unit W/P",
		"+ create account prod (prod@example.com)",
		"~ move account prod to ou:W/P",
		"+ create policy Ops",
		"+ create group admins",
		"+ attach policy Ops to group admins",
		"+ create user alice",
		"+ add user alice to group admins",
		"+ create role app/deploy",
		"+ attach policy arn:aws:iam::aws:policy/ReadOnlyAccess to role deploy",
		"+ create scp guard",
		"+ attach scp guard to root",
		"+ attach scp guard to ou:W/P",
	}
	if got := steps(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.Steps[6].Account != "main" || p.Steps[11].Account != "prod" || p.Steps[0].Account != "" {
		t.Fatal("steps carry their account")
	}
}

func TestDiffOfAppliedStateIsEmpty(t *testing.T) {
	f := mustParse(t, small)
	if p := Diff(f, stateOf(t, f), Options{}); !p.Empty() {
		t.Fatalf("want no changes, got:\n%s", strings.Join(steps(p), "\n"))
	}
	ex, err := ParseFile("../../examples/organization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if p := Diff(ex, stateOf(t, ex), Options{}); !p.Empty() || len(p.Unmanaged) > 0 {
		t.Fatalf("example: want no changes, got:\n%s\n%v", strings.Join(steps(p), "\n"), p.Unmanaged)
	}
}

func TestDiffUpdatesDetachesAndPrune(t *testing.T) {
	f := mustParse(t, small)
	st := stateOf(t, f)
	prod := st.File.Accounts[1]
	// The server drifted: another trust policy, an extra managed policy, an extra role.
	prod.Roles[0].Trust, _ = NewDoc(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}`)
	prod.Roles[0].ManagedPolicies = append(prod.Roles[0].ManagedPolicies, "arn:aws:iam::aws:policy/AdministratorAccess")
	legacy, _ := NewDoc(`{"Version":"2012-10-17","Statement":[]}`)
	prod.Roles = append(prod.Roles, &Role{Name: "legacy", Path: "/", Trust: legacy, MaxSession: 3600,
		Policies: []*InlinePolicy{{Name: "p", Document: legacy}}, ManagedPolicies: []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}})
	prod.Roles = append(prod.Roles, &Role{Name: DefaultAccessRole, Path: "/", Trust: legacy, MaxSession: 3600})

	p := Diff(f, st, Options{})
	want := []string{
		"~ update trust policy role deploy",
		"- detach policy arn:aws:iam::aws:policy/AdministratorAccess from role deploy",
	}
	if got := steps(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plan:\n%s", strings.Join(got, "\n"))
	}
	if len(p.Unmanaged) != 1 || p.Unmanaged[0] != "account prod: role legacy" {
		t.Fatalf("unmanaged: %v (the access role is never reported)", p.Unmanaged)
	}

	p = Diff(f, st, Options{Prune: true})
	want = append(want,
		"- delete inline policy p from role legacy",
		"- detach policy arn:aws:iam::aws:policy/ReadOnlyAccess from role legacy",
		"- delete role legacy",
	)
	if got := steps(p); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("prune plan:\n%s", strings.Join(got, "\n"))
	}
}

func TestDiffOrganizationPrune(t *testing.T) {
	f := mustParse(t, small)
	st := stateOf(t, f)
	st.UnitIDs["Old"], st.UnitIDs["Old/Child"] = "ou-old", "ou-child"
	st.File.Organization.SCPs = append(st.File.Organization.SCPs, &SCP{Name: "stale", Document: f.Organization.SCPs[0].Document, Targets: []string{"root"}})
	st.File.Accounts = append(st.File.Accounts, &Account{Name: "other", ID: "444444444444"})
	p := Diff(f, st, Options{})
	if !p.Empty() || strings.Join(p.Unmanaged, ",") != "account other (444444444444),scp stale,unit Old,unit Old/Child" {
		t.Fatalf("steps %v unmanaged %v", steps(p), p.Unmanaged)
	}
	p = Diff(f, st, Options{Prune: true})
	want := "- detach scp stale from root\n- delete scp stale\n- delete unit Old/Child\n- delete unit Old"
	if got := strings.Join(steps(p), "\n"); got != want {
		t.Fatalf("prune plan:\n%s", got)
	}
	if strings.Join(p.Unmanaged, ",") != "account other (444444444444)" {
		t.Fatalf("accounts are never pruned: %v", p.Unmanaged)
	}
}

func TestExportThenParseRoundTrips(t *testing.T) {
	ex, err := ParseFile("../../examples/organization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	st := stateOf(t, ex)
	data, err := Marshal(Export(st, ""))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "111111111111") || !strings.Contains(string(data), "${account:management}") {
		t.Fatalf("export must not hold account ids:\n%s", data)
	}
	back := mustParse(t, string(data))
	if p := Diff(back, st, Options{}); !p.Empty() {
		t.Fatalf("export then apply: want no changes, got %v", steps(p))
	}
}

func TestDocumentsCompareSemantically(t *testing.T) {
	a := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}]}`
	same := []string{
		url.QueryEscape(a),
		`{"Statement":{"Resource":["*"],"Action":["s3:List*","s3:Get*"],"Effect":"Allow","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"3600"}}},"Version":"2012-10-17"}`,
	}
	for _, s := range same {
		d, err := NewDoc(s)
		if err != nil {
			t.Fatal(err)
		}
		if !sameDoc(a, d.text()) {
			t.Errorf("should be the same document: %s", s)
		}
	}
	if sameDoc(a, strings.Replace(a, "Allow", "Deny", 1)) || sameDoc(a, strings.Replace(a, `"s3:List*"`, `"s3:Put*"`, 1)) {
		t.Fatal("different documents compare equal")
	}
}

func TestPlaceholders(t *testing.T) {
	d, _ := NewDoc(`{"Statement":[{"Resource":["arn:aws:iam::${account}:role/x","arn:aws:iam::${account:prod}:root"]}]}`)
	s, err := d.Render("111111111111", func(n string) (string, error) {
		if n == "prod" {
			return "222222222222", nil
		}
		return "", errors.New("unknown")
	})
	if err != nil || !strings.Contains(s, "111111111111:role/x") || !strings.Contains(s, "222222222222:root") {
		t.Fatalf("render: %s %v", s, err)
	}
	back := (&Doc{value: mustDoc(t, s).value}).templated("111111111111", map[string]string{"111111111111": "main", "222222222222": "prod"})
	if back.text() != d.text() {
		t.Fatalf("templated %s, want %s", back.text(), d.text())
	}
}

func mustDoc(t *testing.T, s string) *Doc {
	d, err := NewDoc(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// fakeIAM records calls and fails AttachUserPolicy; any other call would
// panic on the nil embedded interface.
type fakeIAM struct {
	IAM
	calls []string
}

func (f *fakeIAM) CreateUser(_ context.Context, in *iam.CreateUserInput, _ ...func(*iam.Options)) (*iam.CreateUserOutput, error) {
	f.calls = append(f.calls, "CreateUser "+*in.UserName+" "+*in.Path)
	return &iam.CreateUserOutput{}, nil
}

func (f *fakeIAM) PutUserPolicy(_ context.Context, in *iam.PutUserPolicyInput, _ ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error) {
	f.calls = append(f.calls, "PutUserPolicy "+*in.PolicyDocument)
	return &iam.PutUserPolicyOutput{}, nil
}

func (f *fakeIAM) AttachUserPolicy(_ context.Context, in *iam.AttachUserPolicyInput, _ ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error) {
	f.calls = append(f.calls, "AttachUserPolicy "+*in.PolicyArn)
	return nil, &smithy.GenericAPIError{Code: "NoSuchEntity", Message: "Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable."}
}

func TestApplyStopsAtFirstFailure(t *testing.T) {
	f := mustParse(t, `accounts:
  - name: main
    management: true
    users:
      - name: carol
        path: /x/
        inlinePolicies:
          - name: own
            document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "iam:GetUser", Resource: "arn:aws:iam::${account}:user/x/carol"}]}
        managedPolicies: [arn:aws:iam::aws:policy/Nope, arn:aws:iam::aws:policy/Later]
`)
	p := Diff(f, emptyState(), Options{})
	fake := &fakeIAM{}
	done, err := Apply(context.Background(), &Conn{IAM: fake}, p, nil)
	var se *StepError
	if !errors.As(err, &se) || done != 2 {
		t.Fatalf("done %d err %v", done, err)
	}
	if se.Step.String() != "+ attach policy arn:aws:iam::aws:policy/Nope to user carol" || Describe(err) != "NoSuchEntity: Policy arn:aws:iam::aws:policy/Nope does not exist or is not attachable." {
		t.Fatalf("step %q, error %q", se.Step, Describe(err))
	}
	want := []string{
		"CreateUser carol /x/",
		`PutUserPolicy {"Statement":[{"Action":"iam:GetUser","Effect":"Allow","Resource":"arn:aws:iam::111111111111:user/x/carol"}],"Version":"2012-10-17"}`,
		"AttachUserPolicy arn:aws:iam::aws:policy/Nope",
	}
	if strings.Join(fake.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s", strings.Join(fake.calls, "\n"))
	}
}
