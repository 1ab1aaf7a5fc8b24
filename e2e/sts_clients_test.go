package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Role assumption through boto3, both AWS CLIs and the JS SDK.

type roleFixture struct {
	s                *Server
	user             Creds
	userName         string
	role, role2, ext string
}

// newRoleFixture: user "cli" may assume R1 (direct trust); R1 may assume
// R2 (R2 trusts R1, R1's policy allows it); ThirdParty needs an external id.
func newRoleFixture(t *testing.T) *roleFixture {
	t.Helper()
	ctx := context.Background()
	s := StartServer(t)
	root := iamClient(s, rootCreds)
	u, uu := newUser(t, s, rootCreds, "cli")
	r1 := newRole(t, s, rootCreds, "CliRole", trustUser(aws.ToString(uu.Arn), ""), 0)
	r2 := newRole(t, s, rootCreds, "CliRole2", trustUser(aws.ToString(r1.Arn), ""), 43200)
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: r1.RoleName, PolicyName: aws.String("chain"), PolicyDocument: aws.String(allowDoc("sts:AssumeRole", aws.ToString(r2.Arn)))}))
	ext := newRole(t, s, rootCreds, "CliThirdParty", trustUser(aws.ToString(uu.Arn), `,"Condition":{"StringEquals":{"sts:ExternalId":"ext-4711"}}`), 0)
	return &roleFixture{s: s, user: u, userName: "cli", role: aws.ToString(r1.Arn), role2: aws.ToString(r2.Arn), ext: aws.ToString(ext.Arn)}
}

func TestSTSBoto3(t *testing.T) {
	py := requireBoto3(t)
	f := newRoleFixture(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + f.s.URL, "ACCOUNT=" + accountA, "USER_KEY=" + f.user.ID, "USER_SECRET=" + f.user.Secret,
		"USER_NAME=" + f.userName, "ROLE_ARN=" + f.role, "ROLE2_ARN=" + f.role2, "EXT_ROLE_ARN=" + f.ext,
		"ROOT_KEY=" + rootKeyID, "ROOT_SECRET=" + rootSecret}, py, "testdata/sts_roles.py")
	if code != 0 || !strings.Contains(out, "boto3 sts: ok") {
		t.Fatalf("boto3 script failed (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// TestSTSCLIv1Profiles: [profile x] role_arn + source_profile, with
// external_id and a chained duration_seconds, the CLI assuming roles itself.
func TestSTSCLIv1Profiles(t *testing.T) {
	bin := awsCLI(t, "1")
	f := newRoleFixture(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte(`[profile src]
aws_access_key_id = `+f.user.ID+`
aws_secret_access_key = `+f.user.Secret+`

[profile rdsadmin]
role_arn = `+f.role+`
source_profile = src
role_session_name = cli-profile

[profile chained]
role_arn = `+f.role2+`
source_profile = rdsadmin
duration_seconds = 7200

[profile ext]
role_arn = `+f.ext+`
source_profile = src
external_id = ext-4711

[profile ext-wrong]
role_arn = `+f.ext+`
source_profile = src
external_id = ext-0000
`), 0o600)
	env := []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none"), "AWS_DEFAULT_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + f.s.URL, "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1", "HOME=" + dir}
	out, errOut, code := run(t, env, bin, "sts", "get-caller-identity", "--profile", "rdsadmin", "--output", "text", "--query", "Arn")
	if code != 0 || strings.TrimSpace(out) != "arn:aws:sts::"+accountA+":assumed-role/CliRole/cli-profile" {
		t.Fatalf("profile rdsadmin: exit %d out %q err %s", code, out, errOut)
	}
	out, errOut, code = run(t, env, bin, "sts", "get-caller-identity", "--profile", "ext", "--output", "text", "--query", "Arn")
	if code != 0 || !strings.HasPrefix(strings.TrimSpace(out), "arn:aws:sts::"+accountA+":assumed-role/CliThirdParty/") {
		t.Fatalf("profile ext: exit %d out %q err %s", code, out, errOut)
	}
	_, errOut, code = run(t, env, bin, "sts", "get-caller-identity", "--profile", "ext-wrong")
	if code == 0 || !strings.Contains(errOut, "(AccessDenied)") || !strings.Contains(errOut, "is not authorized to perform: sts:AssumeRole on resource: "+f.ext) {
		t.Fatalf("profile ext-wrong: exit %d err %s", code, errOut)
	}
	_, errOut, code = run(t, env, bin, "sts", "get-caller-identity", "--profile", "chained")
	if code == 0 || !strings.Contains(errOut, "(ValidationError)") || !strings.Contains(errOut, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.") {
		t.Fatalf("profile chained: exit %d err %s", code, errOut)
	}
}

// TestSTSCLIv2AssumeRole: Debian's CLI v2 predates configured endpoint
// URLs for nested clients, so it drives AssumeRole explicitly.
func TestSTSCLIv2AssumeRole(t *testing.T) {
	for _, major := range []string{"1", "2"} {
		t.Run("v"+major, func(t *testing.T) {
			bin := awsCLI(t, major)
			f := newRoleFixture(t)
			out := cliJSON(t, bin, f.s, f.user, "sts", "assume-role", "--role-arn", f.role, "--role-session-name", "cli-v"+major, "--duration-seconds", "900")
			if dig(out, "AssumedRoleUser", "Arn") != "arn:aws:sts::"+accountA+":assumed-role/CliRole/cli-v"+major {
				t.Fatalf("assume-role %v", out)
			}
			sess := Creds{dig(out, "Credentials", "AccessKeyId"), dig(out, "Credentials", "SecretAccessKey"), dig(out, "Credentials", "SessionToken")}
			id := cliJSON(t, bin, f.s, sess, "sts", "get-caller-identity")
			if dig(id, "Arn") != dig(out, "AssumedRoleUser", "Arn") {
				t.Fatalf("identity %v", id)
			}
			msg := cliFail(t, bin, f.s, sess, "ValidationError", "sts", "assume-role", "--role-arn", f.role2, "--role-session-name", "c1", "--duration-seconds", "7200")
			if !strings.Contains(msg, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.") {
				t.Fatal(msg)
			}
			msg = cliFail(t, bin, f.s, f.user, "AccessDenied", "sts", "assume-role", "--role-arn", f.ext, "--role-session-name", "c1")
			if !strings.Contains(msg, "User: arn:aws:iam::"+accountA+":user/cli is not authorized to perform: sts:AssumeRole on resource: "+f.ext) {
				t.Fatal(msg)
			}
			cliFail(t, bin, f.s, rootCreds, "AccessDenied", "sts", "assume-role", "--role-arn", f.role, "--role-session-name", "c1")
		})
	}
}

// TestSTSJavaScriptSDK runs e2e/js/sts_assume.mjs (AWS SDK for JavaScript
// v3: client-sts and credential-providers' fromTemporaryCredentials).
func TestSTSJavaScriptSDK(t *testing.T) {
	node := requireTool(t, "node")
	if _, err := os.Stat("js/node_modules/@aws-sdk/client-sts"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("e2e/js dependencies are required in CI (cd e2e/js && npm ci): %v", err)
		}
		t.Skip("e2e/js/node_modules missing: run (cd e2e/js && npm ci)")
	}
	f := newRoleFixture(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + f.s.URL, "ACCOUNT=" + accountA, "USER_KEY=" + f.user.ID, "USER_SECRET=" + f.user.Secret, "ROLE_ARN=" + f.role}, node, "js/sts_assume.mjs")
	if code != 0 || !strings.Contains(out, "js sts: ok") {
		t.Fatalf("js script failed (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
