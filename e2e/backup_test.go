package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hatrack/hatrack/store/postgres"
	"github.com/hatrack/hatrack/store/sqlite"
)

// TestBackupRestoreCLI takes an online backup with `hatrack backup` while
// the server serves writes, then restores it with `hatrack restore`.
func TestBackupRestoreCLI(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	for i := range 20 {
		must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("before-%d", i))}))
	}
	k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("before-0")}))
	key := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}

	// Writes keep going while the backup runs: the backup is one
	// consistent snapshot and the server is not disturbed.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var during atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("during-%d", i))}); err != nil {
				t.Errorf("write during backup: %v", err)
				return
			}
			during.Add(1)
		}
	}()
	file := filepath.Join(t.TempDir(), "hatrack.backup")
	out, errOut, code := hatrackCLI(t, nil, "backup", "--data", s.DataDir, "--out", file)
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"written to " + file, "schema version", "keyring is NOT in the backup", "keyring.json"} {
		if !strings.Contains(out, want) {
			t.Fatalf("backup output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("backup while %d writes ran: %s", during.Load(), strings.SplitN(out, "\n", 2)[0])

	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("after-backup")}))

	// Restore refuses while the server has the database open.
	out, errOut, code = hatrackCLI(t, nil, "restore", "--data", s.DataDir, "--from", file)
	if code == 0 || !strings.Contains(errOut, "in use") {
		t.Fatalf("restore while serving: exit %d\n%s%s", code, out, errOut)
	}
	must(root.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("after-backup")}))

	s.Stop()
	out, errOut, code = hatrackCLI(t, nil, "restore", "--data", s.DataDir, "--from", file)
	if code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	s.StartAgain()
	root = iamClient(s, rootCreds)
	users := listAllUsers(t, root)
	if slices.Contains(users, "after-backup") {
		t.Fatal("a user created after the backup survived the restore")
	}
	for i := range 20 {
		if !slices.Contains(users, fmt.Sprintf("before-%d", i)) {
			t.Fatalf("before-%d missing after restore: %v", i, users)
		}
	}
	// The during-N users in the backup are a prefix: a consistent snapshot.
	n := 0
	for slices.Contains(users, fmt.Sprintf("during-%d", n)) {
		n++
	}
	for _, u := range users {
		if strings.HasPrefix(u, "during-") {
			var i int
			fmt.Sscanf(u, "during-%d", &i)
			if i >= n {
				t.Fatalf("backup holds during-%d but not during-%d: not a snapshot", i, n)
			}
		}
	}
	// The key sealed before the backup opens with the keyring in place.
	id := must(stsClient(s, key).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.HasSuffix(aws.ToString(id.Arn), ":user/before-0") {
		t.Fatalf("restored key is %s", aws.ToString(id.Arn))
	}

	// Restoring onto a new machine without the keyring warns loudly.
	fresh := t.TempDir()
	out, _, code = hatrackCLI(t, nil, "restore", "--data", fresh, "--from", file)
	if code != 0 || !strings.Contains(out, "WARNING: no keyring") {
		t.Fatalf("restore without keyring: exit %d\n%s", code, out)
	}
	// A garbage backup is refused and leaves the store alone.
	bad := filepath.Join(t.TempDir(), "bad.backup")
	os.WriteFile(bad, []byte("not a database"), 0o600)
	s.Stop()
	if _, errOut, code := hatrackCLI(t, nil, "restore", "--data", s.DataDir, "--from", bad); code == 0 {
		t.Fatalf("restore of garbage succeeded: %s", errOut)
	}
	s.StartAgain()
	must(iamClient(s, rootCreds).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("before-0")}))
}

// TestMigrateCLI applies the schema on purpose to an empty embedded store
// and an empty PostgreSQL database, then again (a no-op).
func TestMigrateCLI(t *testing.T) {
	data := t.TempDir()
	out, errOut, code := hatrackCLI(t, nil, "migrate", "--data", data)
	want := fmt.Sprintf("schema version %d (migrated from 0)", sqlite.SchemaVersion())
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("migrate --data: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	out, _, code = hatrackCLI(t, nil, "migrate", "--data", data)
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate again: exit %d\n%s", code, out)
	}

	dsn := newPGDatabase(t)
	out, errOut, code = hatrackCLI(t, nil, "migrate", "--store", dsn)
	want = fmt.Sprintf("schema version %d (migrated from 0)", postgres.SchemaVersion())
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("migrate --store: exit %d, want %q\n%s%s", code, want, out, errOut)
	}
	out, _, code = hatrackCLI(t, []string{"HATRACK_STORE=" + dsn}, "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate with HATRACK_STORE: exit %d\n%s", code, out)
	}
	// A migrated store serves.
	kr := newKeyringEnv(t)
	n := startNode(t, dsn, kr)
	must(stsClient(n, rootCreds).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}))
	if _, errOut, code := hatrackCLI(t, nil, "migrate", "--store", "mysql://x"); code != 2 || !strings.Contains(errOut, "postgres://") {
		t.Fatalf("migrate with a bad DSN: exit %d %s", code, errOut)
	}
}
