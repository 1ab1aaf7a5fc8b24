package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"
)

// pgAdminDSN returns HATRACK_TEST_POSTGRES. Without it the test is skipped
// locally but fails under CI=true: a skipped check must not pass there.
func pgAdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("HATRACK_TEST_POSTGRES")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("HATRACK_TEST_POSTGRES is not set but CI=true: multi-node tests must run in CI (eval \"$(bash .ci/postgres.sh)\")")
		}
		t.Skip("HATRACK_TEST_POSTGRES not set; run eval \"$(bash .ci/postgres.sh)\" for the multi-node tests")
	}
	return dsn
}

// newPGDatabase creates a fresh database, dropped when the test ends, and
// returns its DSN.
func newPGDatabase(t testing.TB) string {
	t.Helper()
	admin := pgAdminDSN(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to HATRACK_TEST_POSTGRES: %v", err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("hatrack_e2e_%d_%08x", os.Getpid(), rand.Uint32())
	if _, err := conn.Exec(ctx, `CREATE DATABASE `+name); err != nil {
		t.Fatalf("CREATE DATABASE: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("HATRACK_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// hatrackCLI runs the hatrack binary and returns stdout, stderr and the
// exit code.
func hatrackCLI(t testing.TB, env []string, args ...string) (string, string, int) {
	t.Helper()
	return run(t, env, hatrackBin(t), args...)
}

// newKeyringEnv makes a key file with `hatrack keyring show-env`, as an
// operator would, and returns the HATRACK_KEYRING value.
func newKeyringEnv(t testing.TB) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "keyring.json")
	out, errOut, code := hatrackCLI(t, nil, "keyring", "show-env", "--keyring", file)
	if code != 0 || !strings.Contains(errOut, "created") {
		t.Fatalf("keyring show-env: code %d\n%s%s", code, out, errOut)
	}
	v := strings.TrimSpace(out)
	if !strings.Contains(v, ":") || strings.Contains(v, "\n") {
		t.Fatalf("keyring show-env printed %q", v)
	}
	// Stable: a second call prints the same keys.
	again, _, _ := hatrackCLI(t, nil, "keyring", "show-env", "--keyring", file)
	if strings.TrimSpace(again) != v {
		t.Fatal("keyring show-env is not stable")
	}
	return v
}

// startNode starts a node of the shared store dsn with the keyring.
func startNode(t testing.TB, dsn, kr string) *Server {
	t.Helper()
	return StartServerArgs(t, []string{"--store", dsn}, "HATRACK_KEYRING="+kr)
}

// Kill kills the server with SIGKILL (no shutdown of any kind) and waits
// for it to be gone; Restart (or start) brings it back on the same data.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s.cmd = nil
}

// StartAgain starts a stopped or killed server on the same data (and a new
// port).
func (s *Server) StartAgain() { s.start() }

func isCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

// TestMultiNodeBootstrapRace starts three nodes on an empty PostgreSQL
// store at the same moment, several times: exactly one makes the first
// start, the others join its deployment, and the root key works on all.
func TestMultiNodeBootstrapRace(t *testing.T) {
	pgAdminDSN(t)
	kr := newKeyringEnv(t)
	for round := range 3 {
		dsn := newPGDatabase(t)
		type proc struct {
			cmd      *exec.Cmd
			out, err *syncBuffer
			url      string
		}
		procs := make([]*proc, 3)
		for i := range procs {
			addr := freeAddr(t)
			p := &proc{out: &syncBuffer{}, err: &syncBuffer{}, url: "http://" + addr}
			p.cmd = exec.Command(hatrackBin(t), "serve", "--addr", addr, "--store", dsn, "--log-format", "text")
			p.cmd.Env = append(cleanEnv(), "HATRACK_KEYRING="+kr, "HATRACK_ACCOUNT_ID="+accountA,
				"HATRACK_ROOT_ACCESS_KEY_ID="+rootKeyID, "HATRACK_ROOT_SECRET_ACCESS_KEY="+rootSecret)
			p.cmd.Stdout, p.cmd.Stderr = p.out, p.err
			p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			procs[i] = p
		}
		for _, p := range procs { // as close together as exec allows
			if err := p.cmd.Start(); err != nil {
				t.Fatal(err)
			}
		}
		stopAll := func() {
			for _, p := range procs {
				p.cmd.Process.Signal(syscall.SIGTERM)
				p.cmd.Wait()
			}
		}
		for i, p := range procs {
			deadline := time.Now().Add(30 * time.Second)
			for {
				resp, err := http.Get(p.url + "/healthz")
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						break
					}
				}
				if time.Now().After(deadline) {
					stopAll()
					t.Fatalf("round %d: node %d not healthy\nstdout:\n%s\nstderr:\n%s", round, i, p.out, p.err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		banners := 0
		for _, p := range procs {
			if strings.Contains(p.out.String(), "Hatrack created account") {
				banners++
			}
			s := &Server{URL: p.url}
			id, err := stsClient(s, rootCreds).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if err != nil || aws.ToString(id.Account) != accountA {
				stopAll()
				t.Fatalf("round %d: root on %s: %v %+v", round, p.url, err, id)
			}
		}
		joined := 0
		for _, p := range procs {
			if strings.Contains(p.err.String(), "another node created the deployment") {
				joined++
			}
		}
		stopAll()
		if banners != 1 {
			t.Fatalf("round %d: %d nodes made the first start, want exactly 1", round, banners)
		}
		t.Logf("round %d: one first start; %d of the other 2 lost the creation race and joined", round, joined)
	}
}

// TestMultiNodePostgres runs three nodes on one PostgreSQL store.
func TestMultiNodePostgres(t *testing.T) {
	dsn := newPGDatabase(t)
	kr := newKeyringEnv(t)
	a := startNode(t, dsn, kr)
	b := startNode(t, dsn, kr)
	c := startNode(t, dsn, kr)
	nodes := []*Server{a, b, c}
	ctx := context.Background()

	// The second and third node joined the first's deployment.
	if strings.Contains(b.Stdout(), "Hatrack created account") || strings.Contains(c.Stdout(), "Hatrack created account") {
		t.Fatal("a later node made a first start of its own")
	}

	// A user and a key made on A work on B and C at once.
	u := must(iamClient(a, rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	k := must(iamClient(a, rootCreds).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	alice := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	for _, n := range nodes {
		id := must(stsClient(n, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		if aws.ToString(id.Arn) != aws.ToString(u.User.Arn) {
			t.Fatalf("%s: alice is %s", n.URL, aws.ToString(id.Arn))
		}
		got := must(iamClient(n, rootCreds).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))
		if aws.ToString(got.User.UserId) != aws.ToString(u.User.UserId) {
			t.Fatalf("%s: GetUser id %s", n.URL, aws.ToString(got.User.UserId))
		}
	}

	t.Run("KeyRevocationPropagates", func(t *testing.T) {
		// alice's key is cached on A (used above). Set it Inactive on C
		// and measure until A refuses it; then Active again until A
		// accepts it.
		var delays []time.Duration
		for i := range 20 {
			status, wantRefused := iamtypes.StatusTypeInactive, true
			if i%2 == 1 {
				status, wantRefused = iamtypes.StatusTypeActive, false
			}
			writer := nodes[2-i%2] // C, then B
			must(iamClient(writer, rootCreds).UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{
				UserName: aws.String("alice"), AccessKeyId: aws.String(alice.ID), Status: status}))
			start := time.Now()
			cl := stsClient(a, alice)
			for {
				_, err := cl.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
				refused := isCode(err, "InvalidClientTokenId")
				if err != nil && !refused {
					t.Fatal(err)
				}
				if refused == wantRefused {
					break
				}
				if time.Since(start) > 2*time.Second {
					t.Fatalf("change %d (%s on %s) not seen on A after 2s", i, status, writer.URL)
				}
				time.Sleep(time.Millisecond)
			}
			delays = append(delays, time.Since(start))
		}
		slices.Sort(delays)
		med, worst := delays[len(delays)/2], delays[len(delays)-1]
		t.Logf("propagation C/B → A over %d changes: min %v, median %v, max %v", len(delays), delays[0], med, worst)
		if med > 500*time.Millisecond {
			t.Fatalf("median propagation delay %v, want well under a second", med)
		}
	})

	t.Run("ConcurrentCreateSameName", func(t *testing.T) {
		const names, perNode = 10, 6
		for n := range names {
			name := fmt.Sprintf("racer-%d", n)
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins, exists := 0, 0
			var other []error
			for i := range perNode * len(nodes) {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := iamClient(nodes[i%len(nodes)], rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins++
					case isCode(err, "EntityAlreadyExists"):
						exists++
					default:
						other = append(other, err)
					}
				}()
			}
			wg.Wait()
			if wins != 1 || exists != perNode*len(nodes)-1 || len(other) > 0 {
				t.Fatalf("%s: %d successes, %d EntityAlreadyExists, other errors %v", name, wins, exists, other)
			}
		}
	})

	t.Run("TagRacesSerializable", func(t *testing.T) {
		must(iamClient(b, rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tagged")}))
		const workers, ops = 9, 12
		type last struct {
			present bool
			value   string
		}
		final := make([]last, workers)
		var sharedWrites sync.Map // values of "shared" whose TagUser succeeded
		var wg sync.WaitGroup
		errc := make(chan error, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := iamClient(nodes[w%len(nodes)], rootCreds)
				key := fmt.Sprintf("k%d", w)
				rnd := rand.New(rand.NewPCG(uint64(w), 7))
				for i := range ops {
					var err error
					if rnd.IntN(3) == 0 {
						_, err = cl.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("tagged"), TagKeys: []string{key}})
						if err == nil {
							final[w] = last{}
						}
					} else {
						v := fmt.Sprintf("w%d-%d", w, i)
						_, err = cl.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("tagged"), Tags: []iamtypes.Tag{
							{Key: aws.String(key), Value: aws.String(v)}, {Key: aws.String("shared"), Value: aws.String(v)}}})
						if err == nil {
							final[w] = last{true, v}
							sharedWrites.Store(v, true)
						}
					}
					if err != nil {
						errc <- fmt.Errorf("worker %d op %d: %w", w, i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Fatal(err)
		}
		for _, n := range nodes { // every node sees the same final state
			tags := must(iamClient(n, rootCreds).ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("tagged")}))
			got := map[string]string{}
			for _, tg := range tags.Tags {
				got[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
			}
			for w, f := range final {
				key := fmt.Sprintf("k%d", w)
				v, ok := got[key]
				if ok != f.present || v != f.value {
					t.Fatalf("%s: tag %s = %q (present %v), but worker %d's last acknowledged op left %q (present %v): a lost update", n.URL, key, v, ok, w, f.value, f.present)
				}
			}
			if v, ok := got["shared"]; ok {
				if _, w := sharedWrites.Load(v); !w {
					t.Fatalf("shared = %q was never written", v)
				}
			}
		}
	})

	t.Run("ReadYourWritesAcrossNodes", func(t *testing.T) {
		// A write acknowledged by one node is visible to the next read on
		// any node: they read the same database, not a replica.
		for i := range 30 {
			name := fmt.Sprintf("ryw-%d", i)
			must(iamClient(nodes[i%3], rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
			must(iamClient(nodes[(i+1)%3], rootCreds).GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}))
			k := must(iamClient(nodes[(i+1)%3], rootCreds).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
			must(stsClient(nodes[(i+2)%3], Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}).
				GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		}
	})

	t.Run("NodeRestartKeepsDeployment", func(t *testing.T) {
		b.Restart()
		must(stsClient(b, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		users := listAllUsers(t, iamClient(b, rootCreds))
		if !slices.Contains(users, "alice") || !slices.Contains(users, "tagged") {
			t.Fatalf("after restart B lists %v", users)
		}
	})
}

// TestMultiNodeKeyringRotation rotates the shared keyring across two nodes
// the rolling way (stage, restart each node, promote, restart each node):
// keys sealed under the old key and under the new one verify everywhere.
func TestMultiNodeKeyringRotation(t *testing.T) {
	dsn := newPGDatabase(t)
	kr := newKeyringEnv(t)
	a, b := startNode(t, dsn, kr), startNode(t, dsn, kr)
	ctx := context.Background()
	mkUser := func(s *Server, name string) Creds {
		must(iamClient(s, rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		k := must(iamClient(s, rootCreds).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
		return Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	}
	old := mkUser(a, "old")

	out, errOut, code := hatrackCLI(t, []string{"HATRACK_KEYRING=" + kr}, "keyring", "rotate", "--stage")
	if code != 0 {
		t.Fatalf("rotate --stage: %d %s", code, errOut)
	}
	staged := strings.TrimSpace(out)
	newID, _, _ := strings.Cut(strings.Split(staged, ",")[1], ":")
	if strings.Split(staged, ",")[0] != kr {
		t.Fatalf("--stage changed the primary key")
	}
	for _, s := range []*Server{a, b} {
		s.env = append(s.env, "HATRACK_KEYRING="+staged) // later entries win
		s.Restart()
	}
	out, errOut, code = hatrackCLI(t, []string{"HATRACK_KEYRING=" + staged}, "keyring", "rotate", "--promote", newID)
	if code != 0 {
		t.Fatalf("rotate --promote: %d %s", code, errOut)
	}
	promoted := strings.TrimSpace(out)
	if !strings.HasPrefix(promoted, newID+":") {
		t.Fatalf("--promote: primary is not %s", newID)
	}
	// Rolling: A has the promoted ring, B still the staged one. A key
	// sealed by A under the new primary must open on B.
	a.env = append(a.env, "HATRACK_KEYRING="+promoted)
	a.Restart()
	fresh := mkUser(a, "fresh")
	for _, s := range []*Server{a, b} {
		for _, c := range []Creds{old, fresh} {
			if _, err := stsClient(s, c).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				t.Fatalf("%s with key %s: %v", s.URL, c.ID, err)
			}
		}
	}
}

func listAllUsers(t testing.TB, c *iam.Client) []string {
	t.Helper()
	var names []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(1000)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	sort.Strings(names)
	return names
}

// mustServe fails the test on any error of op.
func mustServe(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
}

// TestMultiNodeRoleSessions: a role made on A is assumed on B, its session
// used on C; revoking the role's older sessions on A (the
// AWSRevokeOlderSessions inline policy the console writes) is enforced on
// B within a bounded delay.
func TestMultiNodeRoleSessions(t *testing.T) {
	dsn := newPGDatabase(t)
	kr := newKeyringEnv(t)
	a, b, c := startNode(t, dsn, kr), startNode(t, dsn, kr), startNode(t, dsn, kr)
	ctx := context.Background()
	u := must(iamClient(a, rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	k := must(iamClient(a, rootCreds).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")}))
	bob := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aws.ToString(u.User.Arn) + `"},"Action":"sts:AssumeRole"}]}`
	role, err := iamClient(a, rootCreds).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ops"), AssumeRolePolicyDocument: aws.String(trust)})
	mustServe(t, "CreateRole", err)
	_, err = iamClient(a, rootCreds).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)})
	mustServe(t, "PutRolePolicy", err)

	out, err := sts.NewFromConfig(awsConfig(b, bob)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1")})
	mustServe(t, "AssumeRole", err)
	sess := Creds{aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)}
	id := must(stsClient(c, sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.Contains(aws.ToString(id.Arn), ":assumed-role/ops/s1") {
		t.Fatalf("session on C is %s", aws.ToString(id.Arn))
	}
	must(iamClient(c, sess).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops")}))
	must(iamClient(b, sess).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops")}))

	time.Sleep(1100 * time.Millisecond) // token issue times have second precision
	revoke := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"` +
		time.Now().UTC().Format(time.RFC3339) + `"}}}]}`
	must(iamClient(a, rootCreds).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("ops"),
		PolicyName: aws.String("AWSRevokeOlderSessions"), PolicyDocument: aws.String(revoke)}))
	start := time.Now()
	for {
		_, err := iamClient(b, sess).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops")})
		if isCode(err, "AccessDenied") {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if time.Since(start) > 2*time.Second {
			t.Fatal("revoked session still allowed on B after 2s")
		}
		time.Sleep(time.Millisecond)
	}
	t.Logf("revocation on A enforced on B after %v", time.Since(start))
	// A new session is not affected.
	out = must(sts.NewFromConfig(awsConfig(c, bob)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s2")}))
	fresh := Creds{aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)}
	must(iamClient(b, fresh).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ops")}))
}

// TestMultiNodeManagedPolicies: a managed policy created on A and attached
// on B is enforced on C; detached on C, it is refused on A within a bounded
// delay; racing attaches and detaches of the same policy from every node
// end in one state that every node reports and enforces alike.
func TestMultiNodeManagedPolicies(t *testing.T) {
	dsn := newPGDatabase(t)
	kr := newKeyringEnv(t)
	nodes := []*Server{startNode(t, dsn, kr), startNode(t, dsn, kr), startNode(t, dsn, kr)}
	a, b, c := nodes[0], nodes[1], nodes[2]
	ctx := context.Background()
	must(iamClient(a, rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))
	k := must(iamClient(a, rootCreds).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")}))
	carol := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	pol := must(iamClient(a, rootCreds).CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("list-users"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`)}))
	arn := pol.Policy.Arn

	_, err := iamClient(c, carol).ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "because no identity-based policy allows the iam:ListUsers action")
	must(iamClient(b, rootCreds).AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: arn}))
	waitFor(t, "attach on B enforced on C", func() bool {
		_, err := iamClient(c, carol).ListUsers(ctx, &iam.ListUsersInput{})
		return err == nil
	})
	must(iamClient(c, rootCreds).DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: arn}))
	waitFor(t, "detach on C enforced on A", func() bool {
		_, err := iamClient(a, carol).ListUsers(ctx, &iam.ListUsersInput{})
		return isCode(err, "AccessDenied")
	})

	// Racing attach/detach from all three nodes.
	var wg sync.WaitGroup
	for w := 0; w < 9; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			cl := iamClient(nodes[w%3], rootCreds)
			for i := 0; i < 6; i++ {
				var err error
				if (w+i)%2 == 0 {
					_, err = cl.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: arn})
				} else {
					_, err = cl.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("carol"), PolicyArn: arn})
				}
				// Detaching what is not attached is NoSuchEntity; anything
				// else is a failure.
				if err != nil && !isCode(err, "NoSuchEntity") && !isCode(err, "ConcurrentModification") {
					t.Errorf("worker %d: %v", w, err)
				}
			}
		}(w)
	}
	wg.Wait()
	attached := func(s *Server) bool {
		out := must(iamClient(s, rootCreds).ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("carol")}))
		if len(out.AttachedPolicies) > 1 {
			t.Fatalf("policy attached %d times", len(out.AttachedPolicies))
		}
		return len(out.AttachedPolicies) == 1
	}
	want := attached(a)
	pc := must(iamClient(a, rootCreds).GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}))
	if got := aws.ToInt32(pc.Policy.AttachmentCount); (got == 1) != want || got > 1 {
		t.Fatalf("AttachmentCount %d, attached %v", got, want)
	}
	for _, n := range nodes {
		if attached(n) != want {
			t.Fatalf("nodes disagree on the attachment")
		}
		n := n
		waitFor(t, "final state enforced on every node", func() bool {
			_, err := iamClient(n, carol).ListUsers(ctx, &iam.ListUsersInput{})
			return (err == nil) == want
		})
	}
}

// waitFor polls cond for up to 2 s (the bound on cross-node propagation).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 2*time.Second {
			t.Fatalf("%s: not within 2s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Logf("%s after %v", what, time.Since(start))
}
