package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestProcessJSON(t *testing.T) {
	exp := time.Date(2026, 8, 7, 13, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		in   awsCreds
		want map[string]any
	}{
		{"session", awsCreds{ID: "ASIAX", Secret: "s", Token: "t", Expiration: exp},
			map[string]any{"Version": float64(1), "AccessKeyId": "ASIAX", "SecretAccessKey": "s", "SessionToken": "t", "Expiration": "2026-08-07T13:00:00Z"}},
		{"long-term", awsCreds{ID: "AKIAX", Secret: "s"},
			map[string]any{"Version": float64(1), "AccessKeyId": "AKIAX", "SecretAccessKey": "s"}},
	} {
		var got map[string]any
		if err := json.Unmarshal(processJSON(tc.in), &got); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tc.want) {
			t.Fatalf("%s: %v", tc.name, got)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Fatalf("%s: %s = %v, want %v", tc.name, k, got[k], v)
			}
		}
	}
}

func TestRoleEnv(t *testing.T) {
	env := []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=AKIAOUTER", "AWS_SECRET_ACCESS_KEY=outer", "AWS_PROFILE=p", "aws_session_token=x",
		"AWS_REGION=eu-west-1", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://x", "AWS_WEB_IDENTITY_TOKEN_FILE=/t"}
	got := roleEnv(env, awsCreds{ID: "ASIAROLE", Secret: "rs", Token: "rt", Expiration: time.Unix(0, 0)})
	joined := "\n" + strings.Join(got, "\n") + "\n"
	for _, want := range []string{"\nPATH=/bin\n", "\nAWS_REGION=eu-west-1\n", "\nAWS_ACCESS_KEY_ID=ASIAROLE\n", "\nAWS_SESSION_TOKEN=rt\n", "\nAWS_SHARED_CREDENTIALS_FILE=" + os.DevNull + "\n"} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in %v", want, got)
		}
	}
	for _, bad := range []string{"AKIAOUTER", "=outer", "AWS_PROFILE=", "aws_session_token=", "CONTAINER", "WEB_IDENTITY"} {
		if strings.Contains(joined, bad) {
			t.Errorf("leaked %q in %v", bad, got)
		}
	}
}

func TestReadINIAndProfiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	cr := filepath.Join(dir, "credentials")
	os.WriteFile(cfg, []byte("[default]\nregion = us-east-1\n[profile admin]\nrole_arn = arn:aws:iam::111111111111:role/A\nsource_profile = base\nservices = x\n  sts =\n    endpoint_url = http://nested\n# comment\n"), 0o600)
	os.WriteFile(cr, []byte("[base]\naws_access_key_id = AKIA1\naws_secret_access_key = S1\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", cfg)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", cr)
	p, err := loadProfiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ profile, key, want string }{
		{"default", "region", "us-east-1"},
		{"admin", "role_arn", "arn:aws:iam::111111111111:role/A"},
		{"admin", "endpoint_url", ""},
		{"base", "aws_access_key_id", "AKIA1"},
		{"nobody", "region", ""},
	} {
		if got := p.get(tc.profile, tc.key); got != tc.want {
			t.Errorf("%s.%s = %q, want %q", tc.profile, tc.key, got, tc.want)
		}
	}
	if !p.exists("admin") || !p.exists("base") || p.exists("nobody") {
		t.Error("exists")
	}
}
