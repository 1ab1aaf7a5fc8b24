package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Root credentials every test server starts with.
const (
	accountA   = "111111111111"
	rootKeyID  = "AKIAHATRACKROOT00001"
	rootSecret = "hatrack-root-secret-key-for-tests-000001"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// hatrackBin builds the binary once per test run.
func hatrackBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hatrack-e2e-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "hatrack")
		cmd := exec.Command("go", "build", "-o", binPath, "../cmd/hatrack")
		out, err := cmd.CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// Server is a running hatrack serve process.
type Server struct {
	t       testing.TB
	URL     string
	Addr    string
	DataDir string
	cmd     *exec.Cmd
	stdout  *syncBuffer
	stderr  *syncBuffer
	env     []string
	// args are extra serve flags (StartServerArgs), e.g. --store DSN.
	args []string
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// StartServer starts hatrack serve with a fresh data directory and the
// test root credentials.
func StartServer(t testing.TB, extraEnv ...string) *Server {
	t.Helper()
	return StartServerArgs(t, nil, extraEnv...)
}

// StartServerArgs is StartServer with extra serve flags, e.g.
// []string{"--store", dsn} for a node of a shared PostgreSQL store (give it
// HATRACK_KEYRING in extraEnv; its data directory then holds nothing).
func StartServerArgs(t testing.TB, args []string, extraEnv ...string) *Server {
	t.Helper()
	s := &Server{t: t, DataDir: t.TempDir(), args: args}
	s.env = append([]string{
		"HATRACK_ACCOUNT_ID=" + accountA,
		"HATRACK_ROOT_ACCESS_KEY_ID=" + rootKeyID,
		"HATRACK_ROOT_SECRET_ACCESS_KEY=" + rootSecret,
	}, extraEnv...)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	t := s.t
	t.Helper()
	s.Addr = freeAddr(t)
	s.URL = "http://" + s.Addr
	s.stdout, s.stderr = &syncBuffer{}, &syncBuffer{}
	s.cmd = exec.Command(hatrackBin(t), append([]string{"serve", "--addr", s.Addr, "--data", s.DataDir, "--log-format", "text"}, s.args...)...)
	s.cmd.Env = append(cleanEnv(), s.env...)
	s.cmd.Stdout, s.cmd.Stderr = s.stdout, s.stderr
	// The server dies with the test binary, whatever happens to it.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not become healthy\nstdout:\n%s\nstderr:\n%s", s.stdout, s.stderr)
}

// Stop stops the server gracefully (SIGTERM) and checks it exits cleanly.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			s.t.Errorf("server exited with %v\nstderr:\n%s", err, s.stderr)
		}
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-done
		s.t.Errorf("server did not stop on SIGTERM")
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on the same data.
func (s *Server) Restart() {
	s.Stop()
	s.start()
}

// Logs returns what the server wrote to stderr so far.
func (s *Server) Logs() string { return s.stderr.String() }

// Stdout returns what the server wrote to stdout so far.
func (s *Server) Stdout() string { return s.stdout.String() }

// cleanEnv is the environment without AWS_* variables that could leak
// real credentials or configuration into clients.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "HATRACK_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// requireTool finds an executable or skips — but fails under CI, where
// every client must be present.
func requireTool(t testing.TB, path string) string {
	t.Helper()
	p, err := exec.LookPath(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI but not found: %v", path, err)
		}
		t.Skipf("%s not found: %v", path, err)
	}
	return p
}

// requireBoto3 finds a python3 that imports boto3 or skips — but fails
// under CI, where every client must be present.
func requireBoto3(t testing.TB) string {
	t.Helper()
	py := requireTool(t, "python3")
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("boto3 is required in CI: %s", out)
		}
		t.Skip("boto3 not installed")
	}
	return py
}

// run runs a command with a timeout and returns stdout, stderr and the
// exit code.
func run(t testing.TB, env []string, name string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(cleanEnv(), env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out.String(), errb.String(), code
}

var _ = bufio.NewReader
var _ io.Reader
