package e2e

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// setupAdmin makes the IAM user that runs apply: AWS lets no root user
// assume roles, and apply works in member accounts through
// OrganizationAccountAccessRole.
func setupAdmin(t *testing.T, s *Server) Creds {
	t.Helper()
	ctx := context.Background()
	c := iamClient(s, rootCreds)
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("setup-admin")}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("setup-admin"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("setup-admin")})).AccessKey
	return Creds{ID: aws.ToString(k.AccessKeyId), Secret: aws.ToString(k.SecretAccessKey)}
}

// hatrackCmd runs the built binary as a client of s with creds c.
func hatrackCmd(t *testing.T, s *Server, c Creds, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(hatrackBin(t), args...)
	cmd.Env = append(cleanEnv(), cliEnv(s, c)...)
	cmd.Env = append(cmd.Env, "HATRACK_ENDPOINT="+s.URL)
	var o, e strings.Builder
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return o.String(), e.String(), ee.ExitCode()
		}
		t.Fatal(err)
	}
	return o.String(), e.String(), 0
}

// memberIAM is an IAM client inside a member account, reached as apply
// reaches it.
func memberIAM(t *testing.T, s *Server, c Creds, account string) *iam.Client {
	t.Helper()
	out := must(stsClient(s, c).AssumeRole(context.Background(), &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole"), RoleSessionName: aws.String("check"),
	}))
	cr := out.Credentials
	return iamClient(s, Creds{aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)})
}

func decodeDoc(t *testing.T, s *string) string {
	t.Helper()
	d, err := url.QueryUnescape(aws.ToString(s))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestApplyExampleOrganization(t *testing.T) {
	ctx := context.Background()
	example, err := filepath.Abs("../examples/organization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := StartServer(t)
	admin := setupAdmin(t, s)
	orgs := orgsClient(s, admin)

	// --dry-run prints the plan and changes nothing.
	out, errOut, code := hatrackCmd(t, s, admin, "apply", "-f", example, "--dry-run")
	if code != 0 || !strings.Contains(out, "+ create account prod (prod@example.com)") || !strings.Contains(out, "+ create role app/deploy") ||
		!strings.Contains(out, "Dry run: nothing was changed.") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := iamClient(s, admin).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}); err == nil {
		t.Fatal("dry run created alice")
	}

	// Apply: an empty server becomes a multi-account organization.
	out, errOut, code = hatrackCmd(t, s, admin, "apply", "-f", example)
	if code != 0 || !strings.Contains(out, "Applied ") {
		t.Fatalf("apply: exit %d\n%s\n%s", code, out, errOut)
	}

	accounts := map[string]orgtypes.Account{}
	for _, a := range must(orgs.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts {
		accounts[aws.ToString(a.Name)] = a
	}
	for name, email := range map[string]string{"security": "security@example.com", "prod": "prod@example.com", "dev": "dev@example.com"} {
		if aws.ToString(accounts[name].Email) != email {
			t.Fatalf("account %s: %+v", name, accounts[name])
		}
	}
	prodID, devID := aws.ToString(accounts["prod"].Id), aws.ToString(accounts["dev"].Id)
	parent := must(orgs.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(prodID)})).Parents[0]
	ou := must(orgs.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: parent.Id}))
	if aws.ToString(ou.OrganizationalUnit.Name) != "Prod" {
		t.Fatalf("prod is under %+v", ou.OrganizationalUnit)
	}
	var scps []string
	for _, p := range must(orgs.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: parent.Id, Filter: orgtypes.PolicyTypeServiceControlPolicy})).Policies {
		scps = append(scps, aws.ToString(p.Name))
	}
	gp := must(orgs.ListParents(ctx, &organizations.ListParentsInput{ChildId: parent.Id})).Parents[0]
	for _, p := range must(orgs.ListPoliciesForTarget(ctx, &organizations.ListPoliciesForTargetInput{TargetId: gp.Id, Filter: orgtypes.PolicyTypeServiceControlPolicy})).Policies {
		scps = append(scps, aws.ToString(p.Name))
	}
	sort.Strings(scps)
	if !strings.Contains(strings.Join(scps, ","), "ProtectAccessRole") {
		t.Fatalf("SCPs on Workloads and Workloads/Prod: %v", scps)
	}

	mi := iamClient(s, admin)
	alice := must(mi.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})).User
	if aws.ToString(alice.Path) != "/people/" || len(alice.Tags) != 2 {
		t.Fatalf("alice: %+v", alice)
	}
	must(mi.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("alice")}))
	groups := must(mi.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("alice")})).Groups
	if len(groups) != 1 || aws.ToString(groups[0].GroupName) != "admins" {
		t.Fatalf("alice's groups: %+v", groups)
	}
	attached := must(mi.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String("admins")})).AttachedPolicies
	if len(attached) != 2 {
		t.Fatalf("admins' policies: %+v", attached)
	}

	pi := memberIAM(t, s, admin, prodID)
	deploy := must(pi.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")})).Role
	if aws.ToString(deploy.Path) != "/app/" || deploy.PermissionsBoundary == nil ||
		aws.ToString(deploy.PermissionsBoundary.PermissionsBoundaryArn) != "arn:aws:iam::"+prodID+":policy/boundaries/DeployBoundary" {
		t.Fatalf("deploy role: %+v", deploy)
	}
	if trust := decodeDoc(t, deploy.AssumeRolePolicyDocument); !strings.Contains(trust, "arn:aws:iam::"+prodID+":oidc-provider/token.actions.githubusercontent.com") {
		t.Fatalf("deploy trust policy: %s", trust)
	}
	must(pi.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("write-logs")}))
	must(pi.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String("arn:aws:iam::" + prodID + ":oidc-provider/token.actions.githubusercontent.com")}))
	must(pi.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::" + prodID + ":saml-provider/corp-idp")}))
	if r := must(pi.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("sso-admin")})).Role; aws.ToInt32(r.MaxSessionDuration) != 14400 {
		t.Fatalf("sso-admin: %+v", r)
	}
	di := memberIAM(t, s, admin, devID)
	if g := must(di.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("ci")})).Groups; len(g) != 1 || aws.ToString(g[0].GroupName) != "developers" {
		t.Fatalf("ci's groups: %+v", g)
	}
	if trust := decodeDoc(t, must(di.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("developer")})).Role.AssumeRolePolicyDocument); !strings.Contains(trust, "arn:aws:iam::"+accountA+":root") {
		t.Fatalf("developer trust: %s", trust)
	}

	// Apply twice: the second time there is nothing to do.
	out, errOut, code = hatrackCmd(t, s, admin, "apply", "-f", example)
	if code != 0 || !strings.Contains(out, "No changes: the server matches the file.") || strings.Contains(out, "done ") {
		t.Fatalf("second apply: exit %d\n%s\n%s", code, out, errOut)
	}

	// Export, apply the export to an empty server, export that: the same.
	dir := t.TempDir()
	e1, e2 := filepath.Join(dir, "one.yaml"), filepath.Join(dir, "two.yaml")
	if _, errOut, code = hatrackCmd(t, s, admin, "export", "-o", e1); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, errOut)
	}
	s2 := StartServer(t)
	admin2 := setupAdmin(t, s2)
	if out, errOut, code = hatrackCmd(t, s2, admin2, "apply", "-f", e1); code != 0 {
		t.Fatalf("apply of the export: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, errOut, code = hatrackCmd(t, s2, admin2, "export", "-o", e2); code != 0 {
		t.Fatalf("export of the second server: exit %d\n%s", code, errOut)
	}
	one, _ := os.ReadFile(e1)
	two, _ := os.ReadFile(e2)
	if string(one) != string(two) {
		t.Fatalf("exports differ:\n--- first server\n%s\n--- second server\n%s", one, two)
	}
	for _, want := range []string{"name: prod", "unit: Workloads/Prod", "${account:management}", "corp-idp", "DenyLeavingTheOrganization"} {
		if !strings.Contains(string(one), want) {
			t.Fatalf("export lacks %q:\n%s", want, one)
		}
	}
	if strings.Contains(string(one), prodID) {
		t.Fatalf("export holds an account id:\n%s", one)
	}
}

func TestApplyReportsAWSErrorsAndStops(t *testing.T) {
	s := StartServer(t)
	admin := setupAdmin(t, s)
	f := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(f, []byte(`accounts:
  - name: main
    management: true
    policies:
      - name: Fine
        document: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "s3:GetObject", Resource: "*"}]}
    roles:
      - name: broken
        trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Action: "sts:AssumeRole", Resource: "*"}]}
      - name: never
        trustPolicy: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {AWS: "${account}"}, Action: "sts:AssumeRole"}]}
`), 0o644)
	out, errOut, code := hatrackCmd(t, s, admin, "apply", "-f", f)
	if code != 1 || !strings.Contains(out, "done  [main] + create policy Fine") || !strings.Contains(out, "FAILED [main] + create role broken") ||
		!strings.Contains(errOut, "MalformedPolicyDocument: ") || !strings.Contains(errOut, "stopped after 1 of 3 changes") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	ctx := context.Background()
	must(iamClient(s, admin).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::" + accountA + ":policy/Fine")}))
	if _, err := iamClient(s, admin).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("never")}); err == nil {
		t.Fatal("apply went on after the failure")
	}

	// A file with problems changes nothing and names every line.
	os.WriteFile(f, []byte("accounts:\n  - name: main\n    management: true\n    users:\n      - name: x\n        colour: red\n      - name: y\n        groups: [ghosts]\n"), 0o644)
	_, errOut, code = hatrackCmd(t, s, admin, "apply", "-f", f)
	if code != 2 || !strings.Contains(errOut, "bad.yaml:6: unknown field \"colour\" in user") || !strings.Contains(errOut, "bad.yaml:7: account main: user y: group \"ghosts\"") {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
}
