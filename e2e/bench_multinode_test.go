package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	hiam "github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/postgres"
)

// benchClients is how many clients run concurrently, round-robin across
// the nodes.
const benchClients = 16

func benchHTTP() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}
}

func benchConfig(s *Server, c Creds) aws.Config {
	cfg := awsConfig(s, c)
	cfg.HTTPClient = benchHTTP()
	return cfg
}

// roundRobin runs op from benchClients goroutines, request i going to
// node i mod len(nodes), and reports requests per second.
func roundRobin(b *testing.B, nodes int, op func(ctx context.Context, node int) error) {
	b.ReportAllocs()
	ctx := context.Background()
	var next atomic.Uint64
	b.SetParallelism((benchClients + 1) / 2) // × GOMAXPROCS (2 here) goroutines
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(ctx, int(next.Add(1)%uint64(nodes))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}

// BenchmarkMultiNode measures reads through 1, 2 and 3 nodes on one
// PostgreSQL (loopback), with benchClients concurrent SDK clients spread
// round-robin across the nodes. Client, nodes and PostgreSQL share the
// machine's cores.
//
//	go test ./e2e -run '^$' -bench BenchmarkMultiNode -benchtime 2000x
func BenchmarkMultiNode(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			dsn := newPGDatabase(b)
			kr := newKeyringEnv(b)
			var nodes []*Server
			for range n {
				nodes = append(nodes, startNode(b, dsn, kr))
			}
			ctx := context.Background()
			root := iamClient(nodes[0], rootCreds)
			for i := range 50 {
				if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("user-%02d", i))}); err != nil {
					b.Fatal(err)
				}
			}
			k, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("user-00")})
			if err != nil {
				b.Fatal(err)
			}
			user := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
			var stsC []*sts.Client
			var rootC, userC []*iam.Client
			for _, s := range nodes {
				stsC = append(stsC, sts.NewFromConfig(benchConfig(s, user)))
				rootC = append(rootC, iam.NewFromConfig(benchConfig(s, rootCreds)))
				userC = append(userC, iam.NewFromConfig(benchConfig(s, user)))
			}
			b.Run("GetCallerIdentity", func(b *testing.B) {
				roundRobin(b, n, func(ctx context.Context, i int) error {
					_, err := stsC[i].GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
					return err
				})
			})
			b.Run("ListUsersRoot", func(b *testing.B) {
				roundRobin(b, n, func(ctx context.Context, i int) error {
					_, err := rootC[i].ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(20)})
					return err
				})
			})
			// An IAM read a policy allows, when inline user policies are
			// served.
			_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("user-00"), PolicyName: aws.String("read"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GetUser","iam:List*"],"Resource":"*"}]}`)})
			if err != nil {
				b.Logf("PutUserPolicy not available (%v): GetUserWithPolicy skipped", err)
				return
			}
			b.Run("GetUserWithPolicy", func(b *testing.B) {
				roundRobin(b, n, func(ctx context.Context, i int) error {
					_, err := userC[i].GetUser(ctx, &iam.GetUserInput{UserName: aws.String("user-01")})
					return err
				})
			})
		})
	}
}

// BenchmarkColdStart100k starts a node on a PostgreSQL store holding 100k
// roles and 100k managed policies (inserted with the store API) and
// reports the time to /healthz and to the first authorized request.
//
//	go test ./e2e -run '^$' -bench BenchmarkColdStart100k -benchtime 3x
func BenchmarkColdStart100k(b *testing.B) {
	dsn := newPGDatabase(b)
	kr := newKeyringEnv(b)
	first := startNode(b, dsn, kr) // the first start: deployment and account
	first.Stop()
	b.Run("empty", func(b *testing.B) { measureColdStart(b, dsn, kr) })

	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	const each, batch = 100_000, 5000
	t0 := time.Now()
	now := time.Now().UTC().Truncate(time.Second)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountA + `:root"},"Action":"sts:AssumeRole"}]}`
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`
	for lo := 0; lo < each; lo += batch {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := lo; i < lo+batch; i++ {
				role := hiam.Role{Account: accountA, Path: "/bench/", Name: fmt.Sprintf("role-%06d", i), ID: ids.NewUniqueID("AROA"),
					Created: now, TrustPolicy: trust, MaxSessionDuration: 3600}
				data, _ := json.Marshal(role)
				if err := tx.Create(ctx, store.Record{Kind: hiam.KindRole, Account: accountA, Name: role.Name, ID: role.ID, Data: data}); err != nil {
					return err
				}
				// The managed-policy record as internal/iam stores it (kind
				// "policy", iam.ManagedPolicy), written as plain JSON so that
				// this benchmark does not depend on that struct's details.
				pol := map[string]any{"Account": accountA, "Name": fmt.Sprintf("policy-%06d", i), "ID": ids.NewUniqueID("ANPA"),
					"Path": "/bench/", "Created": now, "Updated": now, "DefaultVersion": "v1", "NextVersion": 2,
					"Versions": []map[string]any{{"ID": "v1", "Document": doc, "Created": now}}}
				data, _ = json.Marshal(pol)
				if err := tx.Create(ctx, store.Record{Kind: "policy", Account: accountA, Name: pol["Name"].(string), ID: pol["ID"].(string), Data: data}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	b.Logf("inserted %d roles and %d policies in %v", each, each, time.Since(t0).Round(time.Millisecond))
	b.Run("roles=100k,policies=100k", func(b *testing.B) { measureColdStart(b, dsn, kr) })
}

// measureColdStart starts a node b.N times and reports the mean time from
// exec to /healthz answering 200 and to the first authorized request
// (ListUsers as root) answering.
func measureColdStart(b *testing.B, dsn, kr string) {
	b.ReportAllocs()
	ctx := context.Background()
	var health, firstReq time.Duration
	for range b.N {
		addr := freeAddr(b)
		url := "http://" + addr
		cmd := exec.Command(hatrackBin(b), "serve", "--addr", addr, "--store", dsn, "--log-format", "text")
		cmd.Env = append(cleanEnv(), "HATRACK_KEYRING="+kr)
		var stderr syncBuffer
		cmd.Stderr = &stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := http.Get(url + "/healthz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > time.Minute {
				cmd.Process.Kill()
				b.Fatalf("not healthy after a minute:\n%s", stderr.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
		health += time.Since(start)
		if _, err := iamClient(&Server{URL: url}, rootCreds).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
			b.Fatal(err)
		}
		firstReq += time.Since(start)
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("%v\n%s", err, stderr.String())
		}
	}
	b.ReportMetric(float64(health.Microseconds())/1000/float64(b.N), "ms-to-healthz")
	b.ReportMetric(float64(firstReq.Microseconds())/1000/float64(b.N), "ms-to-first-request")
}
