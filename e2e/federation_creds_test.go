package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// testCA issues workload certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, Organization: []string{"Hatrack Tests"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))}
}

// issue writes a workload certificate and key to dir and returns their paths.
func (ca *testCA) issue(t *testing.T, dir, cn string, notAfter time.Time) (certPath, keyPath string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"workloads"}},
		NotBefore: time.Now().Add(-2 * time.Hour), NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	certPath, keyPath = filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	return certPath, keyPath
}

// raCall sends a SigV4-signed Roles Anywhere control-plane request.
func raCall(t *testing.T, s *Server, c Creds, method, path string, body any) (int, map[string]any) {
	t.Helper()
	code, _, out := raCallFull(t, s, c, method, path, body)
	return code, out
}

const raTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},` +
	`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/OU":"workloads"}}}]}`

// Scenario 18: IAM Roles Anywhere through the credential_process helper.
func TestFedRolesAnywhere(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	ca := newTestCA(t, "Workload CA")
	other := newTestCA(t, "Other CA")
	role := newRole(t, s, rootCreds, "WorkloadRole", raTrust, 0)

	// Control plane.
	code, ta := raCall(t, s, rootCreds, "POST", "/trustanchors", map[string]any{"name": "corp-ca", "enabled": true,
		"source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": ca.pem}}})
	if code != 201 {
		t.Fatalf("CreateTrustAnchor %d %v\n%s", code, ta, s.Logs())
	}
	anchorARN := dig(ta, "trustAnchor", "trustAnchorArn")
	if !strings.HasPrefix(anchorARN, "arn:aws:rolesanywhere:us-east-1:"+accountA+":trust-anchor/") {
		t.Fatalf("anchor %v", ta)
	}
	code, pr := raCall(t, s, rootCreds, "POST", "/profiles", map[string]any{"name": "workloads", "enabled": true,
		"roleArns": []string{aws.ToString(role.Arn)}, "durationSeconds": 1800})
	if code != 201 {
		t.Fatalf("CreateProfile %d %v", code, pr)
	}
	profileARN := dig(pr, "profile", "profileArn")
	if code, _ := raCall(t, s, rootCreds, "GET", "/trustanchor/"+dig(ta, "trustAnchor", "trustAnchorId"), nil); code != 200 {
		t.Fatalf("GetTrustAnchor %d", code)
	}
	if code, l := raCall(t, s, rootCreds, "GET", "/profiles", nil); code != 200 || len(l["profiles"].([]any)) != 1 {
		t.Fatalf("ListProfiles %d %v", code, l)
	}
	if code, e := raCall(t, s, rootCreds, "GET", "/profile/00000000-0000-0000-0000-000000000000", nil); code != 404 {
		t.Fatalf("GetProfile unknown: %d %v", code, e)
	}
	bob, _ := newUser(t, s, rootCreds, "bob")
	if code, e := raCall(t, s, bob, "GET", "/trustanchors", nil); code != 403 {
		t.Fatalf("ListTrustAnchors as bob: %d %v", code, e)
	}

	bin := hatrackBin(t)
	certPath, keyPath := ca.issue(t, dir, "app-1", time.Now().Add(time.Hour))
	args := func(cert, key string) []string {
		return []string{"credentials", "--certificate", cert, "--private-key", key, "--trust-anchor-arn", anchorARN,
			"--profile-arn", profileARN, "--role-arn", aws.ToString(role.Arn), "--endpoint-url", s.URL}
	}
	out, errOut, rc := run(t, nil, bin, args(certPath, keyPath)...)
	if rc != 0 {
		t.Fatalf("hatrack credentials: %d %s\n%s", rc, errOut, s.Logs())
	}
	var cp map[string]any
	if err := json.Unmarshal([]byte(out), &cp); err != nil || cp["Version"] != float64(1) || !strings.HasPrefix(cp["AccessKeyId"].(string), "ASIA") {
		t.Fatalf("credential_process output %q", out)
	}
	id := must(stsClient(s, Creds{cp["AccessKeyId"].(string), cp["SecretAccessKey"].(string), cp["SessionToken"].(string)}).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
	if !strings.Contains(aws.ToString(id.Arn), ":assumed-role/WorkloadRole/") {
		t.Fatalf("identity %s", aws.ToString(id.Arn))
	}

	// Negative cases: another CA, an expired certificate, a disabled profile.
	oc, ok := other.issue(t, dir, "intruder", time.Now().Add(time.Hour))
	if _, e, rc := run(t, nil, bin, args(oc, ok)...); rc == 0 || !strings.Contains(e, "AccessDeniedException") {
		t.Fatalf("other CA: %d %s", rc, e)
	}
	ec, ek := ca.issue(t, dir, "old", time.Now().Add(-time.Hour))
	if _, e, rc := run(t, nil, bin, args(ec, ek)...); rc == 0 || !strings.Contains(e, "AccessDeniedException") {
		t.Fatalf("expired cert: %d %s", rc, e)
	}

	// The AWS CLI v2 using it as credential_process.
	cli := awsCLI(t, "2")
	cfg := filepath.Join(dir, "config")
	os.WriteFile(cfg, []byte("[profile ra]\nregion = us-east-1\ncredential_process = "+bin+" "+strings.Join(args(certPath, keyPath), " ")+"\n"), 0o600)
	cliOut, cliErr, rc := run(t, []string{"AWS_CONFIG_FILE=" + cfg, "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "HOME=" + dir, "AWS_PAGER="},
		cli, "--profile", "ra", "--endpoint-url", s.URL, "--output", "json", "sts", "get-caller-identity")
	if rc != 0 || !strings.Contains(cliOut, ":assumed-role/WorkloadRole/") {
		t.Fatalf("aws cli credential_process: %d %s %s", rc, cliOut, cliErr)
	}

	code, _ = raCall(t, s, rootCreds, "POST", "/profile/"+dig(pr, "profile", "profileId")+"/disable", nil)
	if code != 200 {
		t.Fatalf("DisableProfile %d", code)
	}
	if _, e, rc := run(t, nil, bin, args(certPath, keyPath)...); rc == 0 || !strings.Contains(e, "AccessDeniedException") {
		t.Fatalf("disabled profile: %d %s", rc, e)
	}
}

// credsFixture: a user "base" with keys in a credentials file, roles that
// trust it, and a config file with role profiles.
type credsFixture struct {
	s        *Server
	dir, cfg string
	creds    string
	roleARN  string
	env      []string
}

func newCredsFixture(t *testing.T) *credsFixture {
	t.Helper()
	s := StartServer(t)
	dir := t.TempDir()
	base, u := newUser(t, s, rootCreds, "base")
	r1 := newRole(t, s, rootCreds, "AppRole", trustUser(aws.ToString(u.Arn), ""), 0)
	r2 := newRole(t, s, rootCreds, "AuditRole", trustUser(aws.ToString(r1.Arn), ""), 0)
	ctx := context.Background()
	// The operator running serve-imds resolves instance profiles.
	must(iamClient(s, rootCreds).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("base"), PolicyName: aws.String("ip"),
		PolicyDocument: aws.String(allowDoc("iam:GetInstanceProfile", "*"))}))
	must(iamClient(s, rootCreds).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("AppRole"), PolicyName: aws.String("chain"),
		PolicyDocument: aws.String(allowDoc("sts:AssumeRole", aws.ToString(r2.Arn)))}))
	f := &credsFixture{s: s, dir: dir, cfg: filepath.Join(dir, "config"), creds: filepath.Join(dir, "credentials"), roleARN: aws.ToString(r1.Arn)}
	os.WriteFile(f.creds, []byte("[base]\naws_access_key_id = "+base.ID+"\naws_secret_access_key = "+base.Secret+"\n"), 0o600)
	bin := hatrackBin(t)
	os.WriteFile(f.cfg, []byte(strings.Join([]string{
		"[profile base]", "region = us-east-1", "",
		"[profile app]", "role_arn = " + f.roleARN, "source_profile = base", "role_session_name = app-session", "",
		"[profile audit]", "role_arn = " + aws.ToString(r2.Arn), "source_profile = app", "role_session_name = audit-session", "",
		"[profile cp-app]", "region = us-east-1", "credential_process = " + bin + " credentials --profile app --endpoint-url " + s.URL, "",
		"[profile cp-audit]", "region = us-east-1", "credential_process = " + bin + " credentials --profile audit --endpoint-url " + s.URL, "",
		"[profile cp-loop]", "region = us-east-1", "credential_process = " + bin + " credentials --profile loop --endpoint-url " + s.URL, "",
		"[profile loop]", "role_arn = " + f.roleARN, "source_profile = loop2", "",
		"[profile loop2]", "role_arn = " + f.roleARN, "source_profile = loop", "",
	}, "\n")), 0o600)
	f.env = []string{"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=" + f.cfg, "AWS_SHARED_CREDENTIALS_FILE=" + f.creds, "HOME=" + dir, "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1"}
	return f
}

// Scenario 20: credential_process with role profiles (and a chain) in
// Debian's AWS CLI v2.
func TestFedCredentialProcessCLI(t *testing.T) {
	cli := awsCLI(t, "2")
	f := newCredsFixture(t)
	for profile, want := range map[string]string{
		"cp-app":   ":assumed-role/AppRole/app-session",
		"cp-audit": ":assumed-role/AuditRole/audit-session",
	} {
		out, errOut, rc := run(t, f.env, cli, "--profile", profile, "--endpoint-url", f.s.URL, "--output", "json", "sts", "get-caller-identity")
		if rc != 0 || !strings.Contains(out, want) {
			t.Fatalf("%s: %d %s %s", profile, rc, out, errOut)
		}
	}
	_, errOut, rc := run(t, f.env, cli, "--profile", "cp-loop", "--endpoint-url", f.s.URL, "sts", "get-caller-identity")
	if rc == 0 || !strings.Contains(errOut, "infinite loop") {
		t.Fatalf("loop: %d %s", rc, errOut)
	}
	// Direct: --role-arn on top of a profile, JSON shape.
	out, errOut, rc := run(t, f.env, hatrackBin(t), "credentials", "--profile", "base", "--role-arn", f.roleARN, "--role-session-name", "direct",
		"--duration-seconds", "900", "--endpoint-url", f.s.URL)
	var cp map[string]any
	if rc != 0 || json.Unmarshal([]byte(out), &cp) != nil || cp["Version"] != float64(1) || cp["Expiration"] == nil || cp["SessionToken"] == nil {
		t.Fatalf("credentials: %d %q %s", rc, out, errOut)
	}
	exp, _ := time.Parse(time.RFC3339, cp["Expiration"].(string))
	if d := time.Until(exp); d > 16*time.Minute || d < 10*time.Minute {
		t.Fatalf("duration 900 gave %v", d)
	}
}

// Scenario 22: hatrack exec gives the command only the role's credentials.
func TestFedExec(t *testing.T) {
	f := newCredsFixture(t)
	py := requireTool(t, "python3")
	env := append(append([]string{}, f.env...), "AWS_ACCESS_KEY_ID=AKIAOUTEROUTEROUTER1", "AWS_SECRET_ACCESS_KEY=outer", "AWS_PROFILE=base")
	out, errOut, rc := run(t, env, hatrackBin(t), "exec", "--profile", "base", "--role-arn", f.roleARN, "--role-session-name", "exec-session",
		"--endpoint-url", f.s.URL, "--", py, "-c",
		"import os,json; print(json.dumps({k: v for k, v in os.environ.items() if k.startswith('AWS_')}))")
	if rc != 0 {
		t.Fatalf("exec: %d %s", rc, errOut)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if !strings.HasPrefix(got["AWS_ACCESS_KEY_ID"], "ASIA") || got["AWS_SESSION_TOKEN"] == "" || got["AWS_PROFILE"] != "" || got["AWS_SECRET_ACCESS_KEY"] == "outer" {
		t.Fatalf("child environment %v", got)
	}
	// The exit code passes through, and the identity is the role's.
	if _, _, rc := run(t, f.env, hatrackBin(t), "exec", "--profile", "app", "--endpoint-url", f.s.URL, "--", py, "-c", "raise SystemExit(7)"); rc != 7 {
		t.Fatalf("exit code %d", rc)
	}
	cli := awsCLI(t, "2")
	out, errOut, rc = run(t, f.env, hatrackBin(t), "exec", "--profile", "app", "--endpoint-url", f.s.URL, "--", cli, "--endpoint-url", f.s.URL, "--output", "text", "--query", "Arn", "sts", "get-caller-identity")
	if rc != 0 || !strings.Contains(out, ":assumed-role/AppRole/app-session") {
		t.Fatalf("exec aws: %d %s %s", rc, out, errOut)
	}
}

// startCredServer runs `hatrack credentials serve-…` and returns the
// environment lines it prints.
func startCredServer(t *testing.T, env []string, args ...string) map[string]string {
	t.Helper()
	cmd := exec.Command(hatrackBin(t), args...)
	cmd.Env = append(cleanEnv(), env...)
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	out := map[string]string{}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	timeout := time.After(30 * time.Second)
	want := 2
	if args[1] == "serve-imds" {
		want = 1
	}
	for len(out) < want {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%v exited: %s", args, stderr.String())
			}
			k, v, _ := strings.Cut(l, "=")
			out[k] = v
		case <-timeout:
			t.Fatalf("%v: no endpoint printed: %s", args, stderr.String())
		}
	}
	return out
}

// Scenario 15 and the container endpoint: boto3 and aws-sdk-go-v2 read
// role credentials from serve-ecs and serve-imds.
func TestFedContainerAndIMDS(t *testing.T) {
	f := newCredsFixture(t)
	ctx := context.Background()
	ic := iamClient(f.s, rootCreds)
	must(ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	must(ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("AppRole")}))

	ecs := startCredServer(t, f.env, "credentials", "serve-ecs", "--profile", "base", "--role-arn", f.roleARN, "--role-session-name", "ecs-task", "--endpoint-url", f.s.URL)
	uri, tok := ecs["AWS_CONTAINER_CREDENTIALS_FULL_URI"], ecs["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
	if !strings.HasPrefix(uri, "http://127.0.0.1:") || tok == "" {
		t.Fatalf("serve-ecs printed %v", ecs)
	}
	// Without the token: refused.
	if resp, err := http.Get(uri); err != nil || resp.StatusCode != 401 {
		t.Fatalf("unauthenticated container request: %v %v", resp, err)
	}
	ep := endpointcreds.New(uri, func(o *endpointcreds.Options) { o.AuthorizationToken = tok })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(f.s.URL), Credentials: aws.NewCredentialsCache(ep), RetryMaxAttempts: 1}
	id := must(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.HasSuffix(aws.ToString(id.Arn), ":assumed-role/AppRole/ecs-task") {
		t.Fatalf("go container identity %s", aws.ToString(id.Arn))
	}

	imdsEnv := startCredServer(t, f.env, "credentials", "serve-imds", "--profile", "base", "--instance-profile", "web", "--endpoint-url", f.s.URL)
	imdsURL := imdsEnv["AWS_EC2_METADATA_SERVICE_ENDPOINT"]
	if !strings.HasPrefix(imdsURL, "http://127.0.0.1:") {
		t.Fatalf("serve-imds printed %v", imdsEnv)
	}
	rc := ec2rolecreds.New(func(o *ec2rolecreds.Options) { o.Client = imds.New(imds.Options{Endpoint: imdsURL}) })
	cfg.Credentials = aws.NewCredentialsCache(rc)
	id = must(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.Contains(aws.ToString(id.Arn), ":assumed-role/AppRole/i-") {
		t.Fatalf("go imds identity %s", aws.ToString(id.Arn))
	}

	py := requireTool(t, "python3")
	requirePy(t, py, "boto3")
	script := "import boto3; s = boto3.session.Session(); print(s.get_credentials().method); print(s.client('sts', endpoint_url='" + f.s.URL + "').get_caller_identity()['Arn'])"
	base := []string{"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_DEFAULT_REGION=us-east-1", "HOME=" + f.dir}
	out, errOut, code := run(t, append(base, "AWS_CONTAINER_CREDENTIALS_FULL_URI="+uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN="+tok), py, "-c", script)
	if code != 0 || !strings.Contains(out, "container-role") || !strings.Contains(out, ":assumed-role/AppRole/ecs-task") {
		t.Fatalf("boto3 container: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, append(base, "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imdsURL), py, "-c", script)
	if code != 0 || !strings.Contains(out, "iam-role") || !strings.Contains(out, ":assumed-role/AppRole/i-") {
		t.Fatalf("boto3 imds: %d %s %s", code, out, errOut)
	}

	// The JavaScript SDK v3 (e2e/js), when its dependencies are installed.
	node := requireTool(t, "node")
	mods, _ := filepath.Abs("js/node_modules")
	if _, err := os.Stat(filepath.Join(mods, "@aws-sdk/credential-providers")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("e2e/js dependencies are required in CI (cd e2e/js && npm ci): %v", err)
		}
		t.Skip("e2e/js/node_modules missing")
	}
	js := `const cp = require(process.env.MODS + "/@aws-sdk/credential-providers");
const { STSClient, GetCallerIdentityCommand } = require(process.env.MODS + "/@aws-sdk/client-sts");
(async () => {
  const provider = process.env.KIND === "ecs" ? cp.fromContainerMetadata({ maxRetries: 0 }) : cp.fromInstanceMetadata({ maxRetries: 0 });
  const sts = new STSClient({ endpoint: process.env.HATRACK_URL, region: "us-east-1", credentials: provider, maxAttempts: 1 });
  const id = await sts.send(new GetCallerIdentityCommand({}));
  console.log(id.Arn);
})().catch((e) => { console.error(e); process.exit(1); });`
	jsBase := []string{"MODS=" + mods, "HATRACK_URL=" + f.s.URL, "HOME=" + f.dir}
	out, errOut, code = run(t, append(jsBase, "KIND=ecs", "AWS_CONTAINER_CREDENTIALS_FULL_URI="+uri, "AWS_CONTAINER_AUTHORIZATION_TOKEN="+tok), node, "-e", js)
	if code != 0 || !strings.Contains(out, ":assumed-role/AppRole/ecs-task") {
		t.Fatalf("js container: %d %s %s", code, out, errOut)
	}
	out, errOut, code = run(t, append(jsBase, "KIND=imds", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imdsURL), node, "-e", js)
	if code != 0 || !strings.Contains(out, ":assumed-role/AppRole/i-") {
		t.Fatalf("js imds: %d %s %s", code, out, errOut)
	}
}
