package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI finds the AWS CLI of the given major version: v1 is the one
// installed with Python (pip), v2 is Debian's awscli package.
func awsCLI(t *testing.T, major string) string {
	t.Helper()
	candidates := []string{"/usr/bin/aws", "/usr/local/bin/aws"}
	if p, err := exec.LookPath("aws"); err == nil {
		candidates = append([]string{p}, candidates...)
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, home+"/.pyenv/shims/aws", home+"/.local/bin/aws")
	}
	for _, c := range candidates {
		out, err := exec.Command(c, "--version").CombinedOutput()
		if err == nil && strings.HasPrefix(string(out), "aws-cli/"+major+".") {
			return c
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("AWS CLI v%s is required in CI but not found", major)
	}
	t.Skipf("AWS CLI v%s not found", major)
	return ""
}

func cliEnv(s *Server, c Creds) []string {
	env := []string{
		"AWS_ACCESS_KEY_ID=" + c.ID,
		"AWS_SECRET_ACCESS_KEY=" + c.Secret,
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
		"HOME=" + os.TempDir(),
	}
	if c.Token != "" {
		env = append(env, "AWS_SESSION_TOKEN="+c.Token)
	}
	return env
}

func cliJSON(t *testing.T, bin string, s *Server, c Creds, args ...string) map[string]any {
	t.Helper()
	full := append([]string{"--endpoint-url", s.URL, "--output", "json"}, args...)
	out, errOut, code := run(t, cliEnv(s, c), bin, full...)
	if code != 0 {
		t.Fatalf("aws %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	var m map[string]any
	if strings.TrimSpace(out) == "" {
		return m
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}

func cliFail(t *testing.T, bin string, s *Server, c Creds, wantCode string, args ...string) string {
	t.Helper()
	full := append([]string{"--endpoint-url", s.URL, "--output", "json"}, args...)
	_, errOut, code := run(t, cliEnv(s, c), bin, full...)
	if code == 0 {
		t.Fatalf("aws %s: want failure %s, got success", strings.Join(args, " "), wantCode)
	}
	if !strings.Contains(errOut, "("+wantCode+")") {
		t.Fatalf("aws %s: want (%s) in error, got:\n%s", strings.Join(args, " "), wantCode, errOut)
	}
	return errOut
}

func dig(m map[string]any, path ...string) string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = mm[p]
	}
	s, _ := cur.(string)
	return s
}

// The newcomer's path from the issue: as root, create a user and a key,
// then get-caller-identity as root and as the user — with both CLIs.
func testCLICore(t *testing.T, major string) {
	bin := awsCLI(t, major)
	s := StartServer(t)
	id := cliJSON(t, bin, s, rootCreds, "sts", "get-caller-identity")
	if dig(id, "Arn") != "arn:aws:iam::"+accountA+":root" || dig(id, "Account") != accountA || dig(id, "UserId") != accountA {
		t.Fatalf("root identity %v", id)
	}
	u := cliJSON(t, bin, s, rootCreds, "iam", "create-user", "--user-name", "carol")
	if dig(u, "User", "Arn") != "arn:aws:iam::"+accountA+":user/carol" {
		t.Fatalf("create-user %v", u)
	}
	k := cliJSON(t, bin, s, rootCreds, "iam", "create-access-key", "--user-name", "carol")
	carol := Creds{dig(k, "AccessKey", "AccessKeyId"), dig(k, "AccessKey", "SecretAccessKey"), ""}
	if dig(k, "AccessKey", "Status") != "Active" || carol.Secret == "" {
		t.Fatalf("create-access-key %v", k)
	}
	id = cliJSON(t, bin, s, carol, "sts", "get-caller-identity")
	if dig(id, "Arn") != "arn:aws:iam::"+accountA+":user/carol" || dig(id, "UserId") != dig(u, "User", "UserId") {
		t.Fatalf("carol identity %v", id)
	}
	users := cliJSON(t, bin, s, rootCreds, "iam", "list-users")
	if list, _ := users["Users"].([]any); len(list) != 1 {
		t.Fatalf("list-users %v", users)
	}
	cliFail(t, bin, s, Creds{carol.ID, strings.Repeat("y", 40), ""}, "SignatureDoesNotMatch", "sts", "get-caller-identity")
	cliFail(t, bin, s, rootCreds, "NoSuchEntity", "iam", "get-user", "--user-name", "nobody")
	cliFail(t, bin, s, rootCreds, "EntityAlreadyExists", "iam", "create-user", "--user-name", "CAROL")
}

func TestCLIv1Core(t *testing.T) { testCLICore(t, "1") }
func TestCLIv2Core(t *testing.T) { testCLICore(t, "2") }

func TestBoto3Core(t *testing.T) {
	py := requireBoto3(t)
	s := StartServer(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + s.URL, "ROOT_KEY=" + rootKeyID, "ROOT_SECRET=" + rootSecret, "ACCOUNT=" + accountA}, py, "testdata/boto3_core.py")
	if code != 0 || !strings.Contains(out, "boto3 core: ok") {
		t.Fatalf("boto3 script failed (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
