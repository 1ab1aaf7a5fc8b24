package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/server"
	"github.com/hatrack/hatrack/internal/sigv4"
)

// assumeRoleTargets starts the in-process server with a user allowed to
// assume a role, and a bare Go HTTP handler answering a canned AssumeRole
// response of the same shape; it returns their URLs and one signed
// request's body and credentials.
func assumeRoleTargets(b *testing.B) (hatrackURL, bareURL, body string, creds sigv4.Credentials) {
	ctx := context.Background()
	node, err := server.Open(ctx, server.Config{DataDir: b.TempDir(), AccountID: accountA,
		RootKeyID: rootKeyID, RootSecretKey: rootSecret, Out: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { node.Close() })
	u, err := node.IAM.CreateUser(ctx, accountA, iam.CreateUserInput{UserName: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	k, err := node.IAM.CreateAccessKey(ctx, accountA, "bench")
	if err != nil {
		b.Fatal(err)
	}
	role, err := node.IAM.CreateRole(ctx, accountA, iam.CreateRoleInput{RoleName: "BenchRole",
		AssumeRolePolicy: trustUser(u.ARN(), "")})
	if err != nil {
		b.Fatal(err)
	}
	body = url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {role.ARN()},
		"RoleSessionName": {"bench"}, "DurationSeconds": {"900"}}.Encode()
	creds = sigv4.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}

	hatrack := httptest.NewServer(node.Handler())
	b.Cleanup(hatrack.Close)
	canned := []byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/BenchRole/bench</Arn><AssumedRoleId>AROAEXAMPLEEXAMPLE123:bench</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId><SecretAccessKey>` +
		strings.Repeat("s", 40) + `</SecretAccessKey><SessionToken>` + strings.Repeat("t", 560) + `</SessionToken><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(canned)
	}))
	b.Cleanup(bare.Close)
	return hatrack.URL, bare.URL, body, creds
}

// assumeOnce sends one signed AssumeRole and checks that credentials came
// back.
func assumeOnce(client *http.Client, target, body string, creds sigv4.Credentials) error {
	req, _ := http.NewRequest(http.MethodPost, target+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sigv4.Sign(req, []byte(body), creds, "us-east-1", "sts", time.Now())
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(out), "<AccessKeyId>ASIA") {
		return fmt.Errorf("status %d: %s", resp.StatusCode, out)
	}
	return nil
}

// BenchmarkAssumeRoleLoopback measures signed AssumeRole round trips over
// HTTP on loopback with concurrent clients against the in-process server,
// and, in the same run, the same signed requests against a bare Go HTTP
// handler that answers a canned AssumeRole response (the floor: HTTP,
// signing and the client). Compare the two req/s figures; for the ratio
// under the same conditions see BenchmarkAssumeRoleVsBare.
//
//	go test -run xxx -bench AssumeRoleLoopback -benchmem ./e2e/
func BenchmarkAssumeRoleLoopback(b *testing.B) {
	hatrackURL, bareURL, body, creds := assumeRoleTargets(b)
	for _, target := range []struct{ name, url string }{{"bare", bareURL}, {"hatrack", hatrackURL}} {
		b.Run(target.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			b.SetParallelism(8) // 8 × GOMAXPROCS concurrent clients
			b.ReportAllocs()
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := assumeOnce(client, target.url, body, creds); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}

// BenchmarkAssumeRoleVsBare is the comparison made robust to a
// machine whose speed drifts: b.N AssumeRole requests against Hatrack and
// b.N against the bare handler, in alternating slices of b.N/10 (so both
// see the same conditions), each by 8 × GOMAXPROCS concurrent clients.
// It reports both rates and Hatrack's share of the bare rate (the bar is
// 0.5).
//
//	go test -run xxx -bench AssumeRoleVsBare -benchtime 40000x -count 5 ./e2e/
func BenchmarkAssumeRoleVsBare(b *testing.B) {
	hatrackURL, bareURL, body, creds := assumeRoleTargets(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	workers := 8 * runtime.GOMAXPROCS(0)
	// drive sends n requests to target with the workers and returns the
	// time they took.
	drive := func(target string, n int) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range workers {
			wg.Go(func() {
				for next.Add(1) <= int64(n) {
					if err := assumeOnce(client, target, body, creds); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	// Warm both (connections, caches) before measuring.
	drive(bareURL, 200)
	drive(hatrackURL, 200)
	const slices = 10
	var bare, hatrack time.Duration
	b.ResetTimer()
	for i := range slices {
		n := b.N / slices
		if i < b.N%slices {
			n++
		}
		bare += drive(bareURL, n)
		hatrack += drive(hatrackURL, n)
	}
	b.StopTimer()
	bareRate := float64(b.N) / bare.Seconds()
	hatrackRate := float64(b.N) / hatrack.Seconds()
	b.ReportMetric(bareRate, "bare-req/s")
	b.ReportMetric(hatrackRate, "hatrack-req/s")
	b.ReportMetric(hatrackRate/bareRate, "hatrack/bare")
}
