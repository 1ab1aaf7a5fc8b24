package setup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseExample(t *testing.T) {
	f, err := ParseFile("../../examples/organization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Accounts) != 4 || !f.Accounts[0].Management {
		t.Fatalf("accounts: %+v", f.Accounts)
	}
	prod := f.Accounts[2]
	if prod.Name != "prod" || prod.Unit != "Workloads/Prod" || len(prod.Roles) != 2 || len(prod.Policies) != 2 {
		t.Fatalf("prod: %+v", prod)
	}
	if p := prod.SAMLProviders[0]; !strings.Contains(p.Metadata, "X509Certificate") || p.MetadataFile != "" {
		t.Fatal("SAML metadata file was not read")
	}
	deploy := prod.Roles[0]
	if deploy.Path != "/app/" || deploy.MaxSession != 3600 || deploy.Boundary != "DeployBoundary" {
		t.Fatalf("deploy role: %+v", deploy)
	}
	// Defaults filled in.
	if f.Accounts[3].Roles[0].Path != "/" {
		t.Fatalf("default path: %q", f.Accounts[3].Roles[0].Path)
	}
	// The JSON-string document and the YAML documents parse alike.
	if !strings.Contains(prod.Policies[1].Document.text(), `"lambda:UpdateFunctionCode"`) {
		t.Fatalf("JSON document: %s", prod.Policies[1].Document.text())
	}
}

func TestParseReportsEveryProblemWithItsLine(t *testing.T) {
	src := `organization:
  units:
    - name: A
  serviceControlPolicies:
    - name: S
      document: {Version: "2012-10-17", Statement: []}
      targets: [ou:Missing, somewhere]
accounts:
  - name: main
    management: true
    colour: blue
    users:
      - name: "bad name!"
        groups: [nope]
      - name: ok
        managedPolicies: [NotDeclared]
    roles:
      - name: r
        maxSessionDuration: 60
        trustPolicy: "{not json"
  - name: member
    unit: B
    roles:
      - name: x
        trustPolicy:
          Version: "2012-10-17"
          Statement: [{Effect: Allow, Principal: {AWS: "arn:aws:iam::${account:ghost}:root"}, Action: sts:AssumeRole}]
  - name: member
    email: m@example.com
`
	_, err := Parse([]byte(src), t.TempDir())
	var pe ParseErrors
	if !errors.As(err, &pe) {
		t.Fatalf("want ParseErrors, got %v", err)
	}
	want := []string{
		`line 5: service control policy S: target "ou:Missing" names no unit in the file`,
		`line 5: service control policy S: target "somewhere" must be root, ou:PATH or account:NAME`,
		`line 11: unknown field "colour" in account`,
		`line 13: account main: user "bad name!": name must be`,
		`line 13: account main: user bad name!: group "nope" is not declared in this account`,
		`line 15: account main: user ok: managed policy "NotDeclared" is neither an ARN nor a policy`,
		`line 18: account main: role r: maxSessionDuration 60 must be 3600..43200`,
		`line 20: account main: role r trust policy: document is not valid JSON`,
		`line 21: account "member": email is required for a member account`,
		`line 21: account "member": unit "B" is not declared under organization.units`,
		`line 26: ${account:ghost} names no account in the file`,
		`line 28: account "member" is declared twice (first at line 21)`,
	}
	got := err.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	for i := 1; i < len(pe); i++ {
		if pe[i].Line < pe[i-1].Line {
			t.Fatalf("errors not in line order:\n%s", got)
		}
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse([]byte("accounts:\n  - name: a\n   bad: [\n"), "")
	var pe ParseErrors
	if !errors.As(err, &pe) || pe[0].Line == 0 {
		t.Fatalf("want a located syntax error, got %v", err)
	}
}

func TestParseMetadataFileRelativeToSetupFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "md.xml"), []byte("<EntityDescriptor/>"), 0o644)
	os.WriteFile(filepath.Join(dir, "s.yaml"), []byte("accounts:\n  - name: m\n    management: true\n    samlProviders:\n      - name: idp\n        metadataFile: md.xml\n      - name: other\n        metadataFile: missing.xml\n"), 0o644)
	_, err := ParseFile(filepath.Join(dir, "s.yaml"))
	if err == nil || !strings.Contains(err.Error(), "line 7:") || !strings.Contains(err.Error(), "missing.xml") {
		t.Fatalf("want the missing file at line 7, got %v", err)
	}
	if strings.Contains(err.Error(), "md.xml") {
		t.Fatalf("md.xml exists: %v", err)
	}
}

func TestParseEmptyEntriesAreErrorsNotCrashes(t *testing.T) {
	_, err := Parse([]byte("accounts:\n  - name: m\n    management: true\n    users:\n      -\n    roles: [~]\n"), "")
	if err == nil || !strings.Contains(err.Error(), "line 2: empty list entry") {
		t.Fatalf("got %v", err)
	}
}
