package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// crashRounds is how many times each crash test kills a node.
const crashRounds = 6

// renamed is a user that the crash tests rename back and forth: UpdateUser
// with a new name is a multi-record operation (the user record moves and
// its access keys are rewritten in the same transaction), so a crash can
// only leave it wholly before or wholly after.
type renamed struct {
	id    string // the user's unique id, which a rename keeps
	key   Creds
	mu    sync.Mutex
	acked string   // the last name a rename of which was acknowledged
	maybe []string // names of renames in flight when the node died
}

// crashLoad writes through the SDK to the victim node until it dies and
// returns the acknowledged user names and the names whose creation was
// in flight (they may or may not exist, but nothing else may).
func crashLoad(t *testing.T, victim *Server, round int, users []*renamed, kill func()) (acked, inflight []string) {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	const writers = 4
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := iamClient(victim, rootCreds)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("c%d-%d-%d", round, w, i)
				_, err := cl.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)})
				mu.Lock()
				if err == nil {
					acked = append(acked, name)
				} else {
					inflight = append(inflight, name)
				}
				mu.Unlock()
				if err != nil {
					return // the node is gone
				}
			}
		}()
	}
	for j, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := iamClient(victim, rootCreds)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				u.mu.Lock()
				cur := u.acked
				u.mu.Unlock()
				next := fmt.Sprintf("r%d-%d-%d", j, round, i)
				_, err := cl.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String(cur), NewUserName: aws.String(next)})
				u.mu.Lock()
				if err == nil {
					u.acked = next
				} else {
					u.maybe = append(u.maybe, next)
				}
				u.mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	time.Sleep(time.Duration(150+rand.IntN(350)) * time.Millisecond)
	kill()
	close(stop)
	wg.Wait()
	return acked, inflight
}

// checkAfterCrash verifies, on a live node, that every acknowledged write
// is there and nothing is half made.
func checkAfterCrash(t *testing.T, s *Server, round int, wantUsers map[string]bool, inflight map[string]bool, users []*renamed) {
	t.Helper()
	ctx := context.Background()
	got := listAllUsers(t, iamClient(s, rootCreds))
	have := map[string]bool{}
	for _, n := range got {
		have[n] = true
	}
	for n := range wantUsers {
		if !have[n] {
			t.Fatalf("round %d: acknowledged CreateUser %s lost after kill -9", round, n)
		}
	}
	renamedIDs := map[string]*renamed{}
	for _, u := range users {
		renamedIDs[u.id] = u
	}
	for _, n := range got {
		if wantUsers[n] || strings.HasPrefix(n, "r") {
			continue
		}
		if !inflight[n] {
			t.Fatalf("round %d: user %s exists but was never written", round, n)
		}
		wantUsers[n] = true // it committed before the kill: it stays from now on
	}
	for j, u := range users {
		// Exactly one user carries u's id, under the acknowledged name or
		// one whose rename was in flight.
		var names []string
		for _, n := range got {
			if strings.HasPrefix(n, fmt.Sprintf("r%d-", j)) {
				names = append(names, n)
			}
		}
		if len(names) != 1 {
			t.Fatalf("round %d: renamed user %d appears as %v (want exactly one name)", round, j, names)
		}
		name := names[0]
		u.mu.Lock()
		ok := name == u.acked || slices.Contains(u.maybe, name)
		u.mu.Unlock()
		if !ok {
			t.Fatalf("round %d: renamed user %d is %s; acknowledged %s", round, j, name, u.acked)
		}
		gu := must(iamClient(s, rootCreds).GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)}))
		if aws.ToString(gu.User.UserId) != u.id {
			t.Fatalf("round %d: %s has id %s, want %s", round, name, aws.ToString(gu.User.UserId), u.id)
		}
		// Its key moved with it, in the same transaction.
		keys := must(iamClient(s, rootCreds).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)}))
		if len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].UserName) != name ||
			aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != u.key.ID {
			t.Fatalf("round %d: keys of %s after crash: %+v", round, name, keys.AccessKeyMetadata)
		}
		id := must(stsClient(s, u.key).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		if !strings.HasSuffix(aws.ToString(id.Arn), ":user/"+name) {
			t.Fatalf("round %d: key of %s authenticates as %s", round, name, aws.ToString(id.Arn))
		}
		u.mu.Lock()
		u.acked, u.maybe = name, nil
		u.mu.Unlock()
	}
}

func makeRenamed(t *testing.T, s *Server, n int) []*renamed {
	ctx := context.Background()
	var users []*renamed
	for j := range n {
		name := fmt.Sprintf("r%d-init", j)
		u := must(iamClient(s, rootCreds).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
		k := must(iamClient(s, rootCreds).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
		users = append(users, &renamed{id: aws.ToString(u.User.UserId), acked: name,
			key: Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}})
	}
	return users
}

// TestCrashSQLite kills a single node on the embedded store with SIGKILL
// in the middle of a stream of writes, many times.
func TestCrashSQLite(t *testing.T) {
	s := StartServer(t)
	users := makeRenamed(t, s, 3)
	want, inflight := map[string]bool{}, map[string]bool{}
	total := 0
	for round := range crashRounds {
		acked, maybe := crashLoad(t, s, round, users, s.Kill)
		for _, n := range acked {
			want[n] = true
		}
		for _, n := range maybe {
			inflight[n] = true
		}
		total += len(acked)
		s.StartAgain()
		checkAfterCrash(t, s, round, want, inflight, users)
	}
	t.Logf("%d kills; %d acknowledged CreateUser all present; renames atomic", crashRounds, total)
	if total < crashRounds {
		t.Fatalf("only %d writes acknowledged over %d rounds: the load did not run", total, crashRounds)
	}
}

// TestCrashPostgres kills one of two nodes on PostgreSQL with SIGKILL in
// the middle of writes to it; the other node sees every acknowledged write
// at once, and the killed node comes back to the same state.
func TestCrashPostgres(t *testing.T) {
	dsn := newPGDatabase(t)
	kr := newKeyringEnv(t)
	a, b := startNode(t, dsn, kr), startNode(t, dsn, kr)
	users := makeRenamed(t, a, 3)
	want, inflight := map[string]bool{}, map[string]bool{}
	total := 0
	for round := range crashRounds {
		acked, maybe := crashLoad(t, a, round, users, a.Kill)
		for _, n := range acked {
			want[n] = true
		}
		for _, n := range maybe {
			inflight[n] = true
		}
		total += len(acked)
		checkAfterCrash(t, b, round, want, inflight, users)
		a.StartAgain()
		checkAfterCrash(t, a, round, want, inflight, users)
	}
	t.Logf("%d kills; %d acknowledged CreateUser all present on both nodes; renames atomic", crashRounds, total)
	if total < crashRounds {
		t.Fatalf("only %d writes acknowledged over %d rounds: the load did not run", total, crashRounds)
	}
}
