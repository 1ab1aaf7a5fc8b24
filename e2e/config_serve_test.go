package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// hatrack serve's configuration: YAML file + environment + flags with
// flag > env > file > default, every problem reported at once, and TLS.

// serveProc is a hatrack serve started with exactly the given arguments.
type serveProc struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	stdout *syncBuffer
	exited chan struct{}
}

// stop stops the server gracefully and waits for it to exit.
func (p *serveProc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		t.Error("server did not stop on SIGTERM")
	}
}

// startServe runs hatrack serve with args and env (plus the test root
// keys) and waits until url/healthz answers through client.
func startServe(t *testing.T, args, env []string, url string, client *http.Client) *serveProc {
	t.Helper()
	p := &serveProc{stderr: &syncBuffer{}, stdout: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd = exec.Command(hatrackBin(t), append([]string{"serve"}, args...)...)
	p.cmd.Env = append(cleanEnv(), append([]string{"HATRACK_ACCOUNT_ID=" + accountA,
		"HATRACK_ROOT_ACCESS_KEY_ID=" + rootKeyID, "HATRACK_ROOT_SECRET_ACCESS_KEY=" + rootSecret}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() { p.stop(t) })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			t.Fatalf("server exited\nstderr:\n%s", p.stderr)
		default:
		}
		resp, err := client.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server at %s did not become healthy\nstderr:\n%s", url, p.stderr)
	return nil
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	fileAddr, envAddr, flagAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	cfg := writeFile(t, dir, "hatrack.yaml", "# serve settings\naddr: "+fileAddr+"\ndata: "+filepath.Join(dir, "data")+
		"\nlog_level: debug\nlog-format: text\naudit-retention: 30d\n")

	// File only: its address, its log level (debug lines appear).
	p := startServe(t, []string{"--config", cfg}, nil, "http://"+fileAddr, http.DefaultClient)
	if !strings.Contains(p.stderr.String(), "level=INFO msg=serving") || !strings.Contains(p.stderr.String(), "addr="+fileAddr) {
		t.Fatalf("file settings not applied:\n%s", p.stderr)
	}
	p.stop(t)

	// The environment beats the file (HATRACK_CONFIG names the file).
	p = startServe(t, nil, []string{"HATRACK_CONFIG=" + cfg, "HATRACK_ADDR=" + envAddr, "HATRACK_LOG_LEVEL=warn"},
		"http://"+envAddr, http.DefaultClient)
	if reachable(fileAddr) {
		t.Fatal("the file's address is served although HATRACK_ADDR is set")
	}
	if strings.Contains(p.stderr.String(), "msg=serving") {
		t.Fatalf("HATRACK_LOG_LEVEL=warn did not beat the file's debug:\n%s", p.stderr)
	}
	p.stop(t)

	// A flag beats the environment.
	p = startServe(t, []string{"--config", cfg, "--addr", flagAddr, "--log-level", "info"},
		[]string{"HATRACK_ADDR=" + envAddr, "HATRACK_LOG_LEVEL=error"}, "http://"+flagAddr, http.DefaultClient)
	if reachable(envAddr) {
		t.Fatal("HATRACK_ADDR is served although --addr is given")
	}
	if !strings.Contains(p.stderr.String(), "msg=serving") {
		t.Fatalf("--log-level info did not beat HATRACK_LOG_LEVEL=error:\n%s", p.stderr)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := writeFile(t, dir, "bad.yaml", strings.Join([]string{
		"log-levle: info",         // 1: unknown key
		"log-level: loud",         // 2: bad level
		"audit-retention: 90x",    // 3: bad duration
		"tls-cert: " + dir + "/c", // 4: cert without key
		"addr: nowhere",           // 5: bad address
		"log-format: xml",         // 6: bad format
		"",
	}, "\n"))
	out, errOut, code := run(t, []string{"HATRACK_METRICS=maybe"}, hatrackBin(t), "serve", "--config", cfg, "--data", dir)
	if code != 2 {
		t.Fatalf("exit %d, want 2\nstdout:%s\nstderr:%s", code, out, errOut)
	}
	for _, want := range []string{
		"7 configuration problems",
		cfg + `:1: unknown setting "log-levle" (did you mean "log-level"?)`,
		cfg + `:2: log-level: unknown log level "loud"`,
		cfg + `:3: audit-retention: invalid duration "90x"`,
		cfg + `:4: tls-cert: --tls-cert needs --tls-key`,
		cfg + `:5: addr: invalid listen address "nowhere"`,
		cfg + `:6: log-format: unknown log format "xml"`,
		`HATRACK_METRICS: invalid value "maybe": want true or false`,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Nothing was started: no store was created.
	if _, err := os.Stat(filepath.Join(dir, "hatrack.db")); err == nil {
		t.Error("a store was created despite the invalid configuration")
	}
	// A structurally broken file is reported too.
	broken := writeFile(t, dir, "broken.yaml", "addr: [1, 2]\nlog-level: info\nlog-level: debug\n")
	_, errOut, code = run(t, nil, hatrackBin(t), "serve", "--config", broken, "--data", dir)
	if code != 2 || !strings.Contains(errOut, broken+":1: addr: must be a single value") || !strings.Contains(errOut, `:3: "log-level" is set twice`) {
		t.Fatalf("broken file: exit %d\n%s", code, errOut)
	}
	_, errOut, code = run(t, nil, hatrackBin(t), "serve", "--config", filepath.Join(dir, "missing.yaml"), "--data", dir)
	if code != 2 || !strings.Contains(errOut, "missing.yaml") {
		t.Fatalf("missing file: exit %d\n%s", code, errOut)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their paths and a pool trusting it.
func selfSigned(t *testing.T, dir string) (certPath, keyPath string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "hatrack test"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPath = writeFile(t, dir, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyPath = writeFile(t, dir, "key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})))
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return certPath, keyPath, pool
}

func TestConfigTLS(t *testing.T) {
	dir := t.TempDir()
	certPath, keyPath, pool := selfSigned(t, dir)
	addr := freeAddr(t)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 5 * time.Second}
	cfg := writeFile(t, dir, "tls.yaml", "tls-cert: "+certPath+"\ntls-key: "+keyPath+"\n")
	p := startServe(t, []string{"--config", cfg, "--addr", addr, "--data", filepath.Join(dir, "data"), "--log-format", "text"},
		nil, "https://"+addr, client)
	if !strings.Contains(p.stderr.String(), "scheme=https") {
		t.Errorf("serving line does not say https:\n%s", p.stderr)
	}

	// The Go SDK, trusting only the test CA, talks to it over HTTPS.
	c := sts.NewFromConfig(aws.Config{Region: "us-east-1", HTTPClient: client, BaseEndpoint: aws.String("https://" + addr),
		Credentials: awsConfig(&Server{URL: "https://" + addr}, rootCreds).Credentials, RetryMaxAttempts: 1})
	id := must(c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Account) != accountA {
		t.Fatalf("identity over TLS: %+v", id)
	}
	// Plain HTTP is not served, and a client not trusting the CA fails.
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered 200 on the TLS port")
		}
		resp.Body.Close()
	}
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get("https://" + addr + "/healthz"); err == nil {
		t.Error("a client without the CA accepted the self-signed certificate")
	}
	// The audit event records the TLS details.
	p.stop(t)
	out, errOut, code := run(t, nil, hatrackBin(t), "audit", "--data", filepath.Join(dir, "data"), "--event-name", "GetCallerIdentity")
	if code != 0 || !strings.Contains(out, `"tlsDetails":{"tlsVersion":"TLSv1.3"`) {
		t.Fatalf("audit event of a TLS request: %d %s\n%s", code, errOut, out)
	}
}
