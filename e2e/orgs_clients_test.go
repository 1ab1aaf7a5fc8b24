package e2e

import (
	"strings"
	"testing"
)

// Organizations through the AWS CLI (JSON 1.1 from botocore v1 and v2).
func testOrgsCLI(t *testing.T, major string) {
	bin := awsCLI(t, major)
	s := StartServer(t)
	org := cliJSON(t, bin, s, rootCreds, "organizations", "describe-organization")
	if dig(org, "Organization", "MasterAccountId") != accountA || dig(org, "Organization", "FeatureSet") != "ALL" ||
		!strings.HasPrefix(dig(org, "Organization", "Id"), "o-") {
		t.Fatalf("describe-organization %v", org)
	}
	created := cliJSON(t, bin, s, rootCreds, "organizations", "create-account", "--account-name", "cli", "--email", "cli@example.com")
	member := dig(created, "CreateAccountStatus", "AccountId")
	if dig(created, "CreateAccountStatus", "State") != "SUCCEEDED" || len(member) != 12 {
		t.Fatalf("create-account %v", created)
	}
	list := cliJSON(t, bin, s, rootCreds, "organizations", "list-accounts")
	accts, _ := list["Accounts"].([]any)
	if len(accts) != 2 {
		t.Fatalf("list-accounts %v", list)
	}
	found := false
	for _, a := range accts {
		m, _ := a.(map[string]any)
		if dig(m, "Id") == member && dig(m, "Email") == "cli@example.com" && dig(m, "Status") == "ACTIVE" {
			found = true
		}
	}
	if !found {
		t.Fatalf("member missing from list-accounts %v", list)
	}
	roots := cliJSON(t, bin, s, rootCreds, "organizations", "list-roots")
	rl, _ := roots["Roots"].([]any)
	if len(rl) != 1 {
		t.Fatalf("list-roots %v", roots)
	}
	rootID := dig(rl[0].(map[string]any), "Id")
	errOut := cliFail(t, bin, s, rootCreds, "ConstraintViolationException", "organizations", "detach-policy", "--policy-id", "p-FullAWSAccess", "--target-id", rootID)
	if !strings.Contains(errOut, "fewer than the minimum number of policies") {
		t.Fatalf("detach-policy error %s", errOut)
	}
	mroot := memberRootKeys(t, s, member)
	cliFail(t, bin, s, mroot, "AccessDeniedException", "organizations", "list-accounts")
	cliFail(t, bin, s, rootCreds, "AccountNotFoundException", "organizations", "describe-account", "--account-id", "123456789012")
}

func TestOrgsCLIv1(t *testing.T) { testOrgsCLI(t, "1") }
func TestOrgsCLIv2(t *testing.T) { testOrgsCLI(t, "2") }

func TestOrgsBoto3(t *testing.T) {
	py := requireBoto3(t)
	s := StartServer(t)
	env := []string{"HATRACK_URL=" + s.URL, "ROOT_KEY=" + rootKeyID, "ROOT_SECRET=" + rootSecret, "ACCOUNT=" + accountA,
		"HATRACK_BIN=" + hatrackBin(t), "HATRACK_DATA=" + s.DataDir}
	out, errOut, code := run(t, env, py, "testdata/orgs_boto3.py")
	if code != 0 || !strings.Contains(out, "boto3 orgs: ok") {
		t.Fatalf("boto3 script failed (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

// The hatrack account command against a stopped server's data, then the
// server sees the account.
func TestOrgsAccountCommand(t *testing.T) {
	s := StartServer(t)
	s.Stop()
	bin := hatrackBin(t)
	out, errOut, code := run(t, nil, bin, "account", "create", "--data", s.DataDir, "--name", "offline", "--email", "offline@example.com")
	if code != 0 || len(strings.TrimSpace(out)) != 12 {
		t.Fatalf("account create: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.TrimSpace(out)
	_, errOut, code = run(t, nil, bin, "account", "create", "--data", s.DataDir, "--name", "again", "--email", "offline@example.com")
	if code != 1 || !strings.Contains(errOut, "EMAIL_ALREADY_EXISTS") {
		t.Fatalf("duplicate email: exit %d %s", code, errOut)
	}
	out, errOut, code = run(t, nil, bin, "account", "list", "--data", s.DataDir)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, accountA) {
		t.Fatalf("account list: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = run(t, nil, bin, "account", "root-keys", "--data", s.DataDir, "--account", "123456789012")
	if code != 1 || !strings.Contains(errOut, "no account 123456789012") {
		t.Fatalf("root-keys for a missing account: exit %d %s", code, errOut)
	}
	_, errOut, code = run(t, nil, bin, "account", "list", "--data", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "no deployment") {
		t.Fatalf("empty data dir: exit %d %s", code, errOut)
	}
	s.start()
	mroot := memberRootKeys(t, s, id)
	bin2 := awsCLI(t, "2")
	who := cliJSON(t, bin2, s, mroot, "sts", "get-caller-identity")
	if dig(who, "Account") != id {
		t.Fatalf("member identity %v", who)
	}
}
