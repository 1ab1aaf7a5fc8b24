package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
)

func TestIAMBoto3(t *testing.T) {
	py := requireBoto3(t)
	s := StartServer(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + s.URL, "ROOT_KEY=" + rootKeyID, "ROOT_SECRET=" + rootSecret, "ACCOUNT=" + accountA}, py, "testdata/iam_domain.py")
	if code != 0 || !strings.Contains(out, "boto3 iam: ok") {
		t.Fatalf("boto3 script failed (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// Both AWS CLIs: roles and policies, documents read back (v1 decodes them
// like botocore; v2 as well), enforcement and error codes.
func testIAMCLI(t *testing.T, major string) {
	bin := awsCLI(t, major)
	s := StartServer(t)
	dir := t.TempDir()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if err := os.WriteFile(dir+"/trust.json", []byte(trust), 0o600); err != nil {
		t.Fatal(err)
	}
	r := cliJSON(t, bin, s, rootCreds, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", "file://"+dir+"/trust.json")
	if dig(r, "Role", "Arn") != "arn:aws:iam::"+accountA+":role/cli-role" {
		t.Fatalf("create-role %v", r)
	}
	g := cliJSON(t, bin, s, rootCreds, "iam", "get-role", "--role-name", "cli-role")
	doc, _ := g["Role"].(map[string]any)["AssumeRolePolicyDocument"]
	var got any
	switch d := doc.(type) {
	case map[string]any:
		got = d
	case string: // a client that does not decode: it must be URL-encoded JSON
		dec, err := url.QueryUnescape(d)
		if err != nil {
			t.Fatal(err)
		}
		json.Unmarshal([]byte(dec), &got)
	}
	var want any
	json.Unmarshal([]byte(trust), &want)
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("document read back %s, want %s", gb, wb)
	}
	cliJSON(t, bin, s, rootCreds, "iam", "create-user", "--user-name", "cli-user")
	k := cliJSON(t, bin, s, rootCreds, "iam", "create-access-key", "--user-name", "cli-user")
	user := Creds{dig(k, "AccessKey", "AccessKeyId"), dig(k, "AccessKey", "SecretAccessKey"), ""}
	errOut := cliFail(t, bin, s, user, "AccessDenied", "iam", "list-roles")
	if !strings.Contains(errOut, "User: arn:aws:iam::111111111111:user/cli-user is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111111111111:role/ because no identity-based policy allows the iam:ListRoles action") {
		t.Fatalf("denial message: %s", errOut)
	}
	cliJSON(t, bin, s, rootCreds, "iam", "attach-user-policy", "--user-name", "cli-user", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
	roles := cliJSON(t, bin, s, user, "iam", "list-roles")
	if list, _ := roles["Roles"].([]any); len(list) != 1 {
		t.Fatalf("list-roles %v", roles)
	}
	pv := cliJSON(t, bin, s, rootCreds, "iam", "get-policy-version", "--policy-arn", "arn:aws:iam::aws:policy/IAMReadOnlyAccess", "--version-id", "v4")
	if !strings.Contains(func() string { b, _ := json.Marshal(pv); return string(b) }(), "iam:SimulatePrincipalPolicy") {
		t.Fatalf("get-policy-version %v", pv)
	}
	cliFail(t, bin, s, rootCreds, "NoSuchEntity", "iam", "get-role", "--role-name", "ghost")
	cliFail(t, bin, s, rootCreds, "EntityAlreadyExists", "iam", "create-role", "--role-name", "CLI-ROLE", "--assume-role-policy-document", "file://"+dir+"/trust.json")
	cliFail(t, bin, s, rootCreds, "MalformedPolicyDocument", "iam", "create-policy", "--policy-name", "p", "--policy-document", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)
	cliFail(t, bin, s, rootCreds, "DeleteConflict", "iam", "delete-user", "--user-name", "cli-user")
}

func TestIAMCLIv1(t *testing.T) { testIAMCLI(t, "1") }
func TestIAMCLIv2(t *testing.T) { testIAMCLI(t, "2") }
