package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/server"
	"github.com/hatrack/hatrack/internal/sigv4"
)

// BenchmarkAssumeRoleLoopback measures signed AssumeRole round trips over
// HTTP on loopback with concurrent clients against the in-process server,
// and, in the same run, the same signed requests against a bare Go HTTP
// handler that answers a canned AssumeRole response (the floor: HTTP,
// signing and the client). Compare the two req/s figures.
//
//	go test -run xxx -bench AssumeRoleLoopback -benchmem ./e2e/
func BenchmarkAssumeRoleLoopback(b *testing.B) {
	ctx := context.Background()
	node, err := server.Open(ctx, server.Config{DataDir: b.TempDir(), AccountID: accountA,
		RootKeyID: rootKeyID, RootSecretKey: rootSecret, Out: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	defer node.Close()
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
	body := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {role.ARN()},
		"RoleSessionName": {"bench"}, "DurationSeconds": {"900"}}.Encode()
	creds := sigv4.Credentials{AccessKeyID: k.ID, SecretAccessKey: k.Secret}

	hatrack := httptest.NewServer(node.Handler())
	defer hatrack.Close()
	canned := []byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/BenchRole/bench</Arn><AssumedRoleId>AROAEXAMPLEEXAMPLE123:bench</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLEEXAMPLE12</AccessKeyId><SecretAccessKey>` +
		strings.Repeat("s", 40) + `</SecretAccessKey><SessionToken>` + strings.Repeat("t", 560) + `</SessionToken><Expiration>2026-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(canned)
	}))
	defer bare.Close()

	for _, target := range []struct{ name, url string }{{"bare", bare.URL}, {"hatrack", hatrack.URL}} {
		b.Run(target.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			b.SetParallelism(8) // 8 × GOMAXPROCS concurrent clients
			b.ReportAllocs()
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodPost, target.url+"/", strings.NewReader(body))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
					sigv4.Sign(req, []byte(body), creds, "us-east-1", "sts", time.Now())
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					out, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !strings.Contains(string(out), "<AccessKeyId>ASIA") {
						b.Errorf("status %d: %s", resp.StatusCode, out)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
		})
	}
}
