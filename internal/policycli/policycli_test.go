package policycli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "good.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`)
	bad := write(t, dir, "bad.json", "{\"Version\":\"2012-10-17\",\n\"Statement\":{\"Effect\":\"Allow\",\"Resource\":\"*\"}}")
	warn := write(t, dir, "warn.json", `{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`)
	trust := write(t, dir, "trust.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}}`)

	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"ok", []string{"policy", "validate", good}, 0, []string{"good.json: OK (identity policy, size"}},
		{"error", []string{"validate", bad}, 1, []string{"bad.json:2:13: ERROR MALFORMED_POLICY_DOCUMENT: Policy statement must contain actions. [statement 0]"}},
		{"warnings only exit 0", []string{"validate", warn}, 0, []string{"WARNING MISSING_VERSION", "SECURITY_WARNING ALLOW_WITH_NOT_ACTION"}},
		{"kind trust", []string{"validate", "--kind", "trust", trust}, 0, []string{"SECURITY_WARNING PUBLIC_ACCESS_WITHOUT_CONDITION"}},
		{"wrong kind", []string{"validate", "--kind", "identity", trust}, 1, []string{"Policy document should not specify a principal."}},
		{"several files", []string{"validate", good, bad}, 1, []string{"good.json: OK", "bad.json:2:13"}},
		{"bad kind", []string{"validate", "--kind", "nope", good}, 2, nil},
		{"no files", []string{"validate"}, 2, nil},
		{"missing file", []string{"validate", filepath.Join(dir, "nope.json")}, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, _ := run("validate", "--json", bad)
	var reports []struct {
		File     string `json:"file"`
		Findings []struct {
			Type string `json:"findingType"`
			Code string `json:"issueCode"`
		} `json:"findings"`
	}
	if code != 1 || json.Unmarshal([]byte(out), &reports) != nil || len(reports) != 1 || reports[0].Findings[0].Type != "ERROR" {
		t.Fatalf("json validate: %d %s", code, out)
	}
}

func TestEval(t *testing.T) {
	dir := t.TempDir()
	id := write(t, dir, "id.json", `{"Version":"2012-10-17","Statement":[{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}},{"Sid":"NoDel","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}]}`)
	bd := write(t, dir, "bd.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}}`)
	trust := write(t, dir, "trust.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}}`)
	scpAll := write(t, dir, "scp-all.json", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`)
	scpS3 := write(t, dir, "scp-s3.json", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:Put*","Resource":"*"}}`)
	badDoc := write(t, dir, "bad.json", `{"Statement":{}}`)
	const bob = "arn:aws:iam::111111111111:user/bob"
	tests := []struct {
		name string
		args []string
		code int
		out  []string
	}{
		{"allowed", []string{"eval", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id, "--context", "aws:SourceIp=ip:10.1.2.3"}, 0,
			[]string{"Decision: Allowed", "Decided by: identity", "Allow identity policy " + id + " statement 0 Sid=S3 (line 1)"}},
		{"ip mismatch", []string{"eval", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id, "--context", "aws:SourceIp=8.8.8.8"}, 1,
			[]string{"Decision: ImplicitDeny", "Message: User: arn:aws:iam::111111111111:user/bob is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::home/bob/x because no identity-based policy allows the s3:GetObject action"}},
		{"missing context", []string{"eval", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id}, 1,
			[]string{"Missing context values: aws:SourceIp"}},
		{"explicit deny", []string{"eval", "--action", "s3:DeleteObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id}, 1,
			[]string{"Decision: ExplicitDeny", "with an explicit deny in an identity-based policy", "Sid=NoDel"}},
		{"boundary", []string{"eval", "--action", "s3:PutObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id, "--boundary", bd, "--context", "aws:SourceIp=ip:10.0.0.1"}, 1,
			[]string{"because no permissions boundary allows the s3:PutObject action"}},
		{"scp levels", []string{"eval", "--action", "s3:PutObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id, "--scp", scpAll, "--scp", scpAll + "," + scpS3, "--context", "aws:SourceIp=ip:10.0.0.1"}, 1,
			[]string{"with an explicit deny in a service control policy"}},
		{"trust account", []string{"eval", "--action", "sts:AssumeRole", "--resource", "arn:aws:iam::111111111111:role/T", "--principal", bob, "--trust-policy", trust}, 1,
			[]string{"because no identity-based policy allows the sts:AssumeRole action"}},
		{"root default", []string{"eval", "--action", "iam:CreateUser", "--principal", "111111111111"}, 0, []string{"Decided by: default (root user)"}},
		{"bad policy", []string{"eval", "--action", "a:b", "--principal", bob, "--identity", badDoc}, 2, nil},
		{"missing flags", []string{"eval", "--action", "a:b"}, 2, nil},
		{"bad context", []string{"eval", "--action", "a:b", "--principal", bob, "--context", "aws:SourceIp=ip:nope"}, 2, nil},
		{"bad principal", []string{"eval", "--action", "a:b", "--principal", "arn:aws:s3:::b"}, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
	code, out, _ := run("eval", "--json", "--action", "s3:GetObject", "--resource", "arn:aws:s3:::home/bob/x", "--principal", bob, "--identity", id, "--context", "aws:SourceIp=ip:10.1.2.3")
	var res struct {
		Decision string `json:"decision"`
		Allowed  bool   `json:"allowed"`
		Deciding []struct {
			Sid       string `json:"sid"`
			StartLine int    `json:"startLine"`
		} `json:"deciding"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Decision != "Allowed" || !res.Allowed || len(res.Deciding) != 1 || res.Deciding[0].Sid != "S3" {
		t.Fatalf("json eval: %d %s", code, out)
	}
}

func TestParseContextFlag(t *testing.T) {
	tests := []struct {
		in, key, val string
		ok           bool
	}{
		{"aws:SourceIp=ip:1.2.3.4", "aws:SourceIp", "1.2.3.4", true},
		{"aws:PrincipalArn=arn:aws:iam::1:role/x", "aws:PrincipalArn", "arn:aws:iam::1:role/x", true},
		{"aws:PrincipalArn=arn:arn:aws:iam::1:role/x", "aws:PrincipalArn", "arn:aws:iam::1:role/x", true},
		{"k:x=string:a:b", "k:x", "a:b", true},
		{"k:x=plain", "k:x", "plain", true},
		{"k:x=numeric:12", "k:x", "12", true},
		{"k:x=numeric:x", "", "", false},
		{"k:x=bool:maybe", "", "", false},
		{"k:x=date:2020-01-01T00:00:00Z", "k:x", "2020-01-01T00:00:00Z", true},
		{"k:x=binary:QQ==", "k:x", "QQ==", true},
		{"novalue", "", "", false},
	}
	for _, tc := range tests {
		k, v, err := parseContextFlag(tc.in)
		if (err == nil) != tc.ok || (tc.ok && (k != tc.key || v != tc.val)) {
			t.Errorf("%s: %q %q %v", tc.in, k, v, err)
		}
	}
}

func TestUsage(t *testing.T) {
	if code, _, _ := run(); code != 2 {
		t.Error("no args")
	}
	if code, out, _ := run("help"); code != 0 || !strings.Contains(out, "hatrack policy eval") {
		t.Error("help")
	}
	if code, _, _ := run("bogus"); code != 2 {
		t.Error("unknown command")
	}
}
