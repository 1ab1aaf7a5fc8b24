package credserver

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type fakeSource struct {
	n   int
	now *time.Time
	err error
}

func (f *fakeSource) get(context.Context) (Credentials, error) {
	if f.err != nil {
		return Credentials{}, f.err
	}
	f.n++
	return Credentials{AccessKeyID: "ASIA" + strings.Repeat("X", 15) + string(rune('0'+f.n)), SecretAccessKey: "s", SessionToken: "t",
		Issued: *f.now, Expiration: f.now.Add(time.Hour)}, nil
}

func TestCacheRefresh(t *testing.T) {
	now := time.Date(2026, 8, 7, 12, 0, 0, 0, time.UTC)
	src := &fakeSource{now: &now}
	c := &Cache{Source: src.get, Now: func() time.Time { return now }}
	for _, step := range []struct {
		advance time.Duration
		wantN   int
	}{
		{0, 1}, {30 * time.Minute, 1}, {16 * time.Minute, 2}, {time.Minute, 2},
	} {
		now = now.Add(step.advance)
		if _, err := c.Get(context.Background()); err != nil || src.n != step.wantN {
			t.Fatalf("after +%v: fetches %d, want %d (%v)", step.advance, src.n, step.wantN, err)
		}
	}
	// A failing source keeps serving still-valid credentials...
	src.err = errors.New("down")
	now = now.Add(50 * time.Minute)
	if _, err := c.Get(context.Background()); err != nil {
		t.Fatalf("stale-but-valid: %v", err)
	}
	// ...and fails once they expired.
	now = now.Add(time.Hour)
	if _, err := c.Get(context.Background()); err == nil {
		t.Fatal("expired credentials served")
	}
}

func do(t *testing.T, h http.Handler, method, path string, hdr map[string]string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

func TestIMDS(t *testing.T) {
	now := time.Now()
	src := &fakeSource{now: &now}
	m := &IMDS{Cache: &Cache{Source: src.get}, RoleName: "web", InstanceProfileArn: "arn:aws:iam::111111111111:instance-profile/web",
		InstanceProfileID: "AIPAEXAMPLE", AccountID: "111111111111"}
	h := m.Handler()
	for _, tc := range []struct {
		name, method, path string
		hdr                map[string]string
		want               int
	}{
		{"token without ttl", "PUT", "/latest/api/token", nil, 400},
		{"token ttl too big", "PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21601"}, 400},
		{"token via proxy", "PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "1.2.3.4"}, 400},
		{"token by GET", "GET", "/latest/api/token", nil, 405},
		{"v1 read", "GET", "/latest/meta-data/iam/security-credentials/", nil, 401},
		{"bad token", "GET", "/latest/meta-data/iam/security-credentials/", map[string]string{"X-aws-ec2-metadata-token": "nope"}, 401},
	} {
		if code, _ := do(t, h, tc.method, tc.path, tc.hdr); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	code, tok := do(t, h, "PUT", "/latest/api/token", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "21600"})
	if code != 200 || tok == "" {
		t.Fatalf("token: %d", code)
	}
	auth := map[string]string{"X-aws-ec2-metadata-token": tok}
	if code, body := do(t, h, "GET", "/latest/meta-data/iam/security-credentials/", auth); code != 200 || body != "web" {
		t.Fatalf("role list: %d %q", code, body)
	}
	if code, _ := do(t, h, "GET", "/latest/meta-data/iam/security-credentials/other", auth); code != 404 {
		t.Fatalf("other role: %d", code)
	}
	for _, p := range []string{"/latest/meta-data/iam/security-credentials/web", "/latest/meta-data/iam/security-credentials-extended/web"} {
		code, body := do(t, h, "GET", p, auth)
		var out map[string]string
		json.Unmarshal([]byte(body), &out)
		if code != 200 || out["Code"] != "Success" || out["Type"] != "AWS-HMAC" || out["Token"] != "t" || out["Expiration"] == "" {
			t.Fatalf("%s: %d %s", p, code, body)
		}
		if strings.Contains(p, "extended") != (out["AccountId"] == "111111111111") {
			t.Fatalf("%s: AccountId %q", p, out["AccountId"])
		}
	}
	code, body := do(t, h, "GET", "/latest/meta-data/iam/info", auth)
	if code != 200 || !strings.Contains(body, "AIPAEXAMPLE") {
		t.Fatalf("info: %d %s", code, body)
	}
}

func TestECS(t *testing.T) {
	now := time.Now()
	src := &fakeSource{now: &now}
	e := &ECS{Cache: &Cache{Source: src.get}, Token: "secret-token", RoleArn: "arn:aws:iam::111111111111:role/R"}
	h := e.Handler()
	for _, tc := range []struct {
		name, auth, path string
		want             int
	}{
		{"no token", "", "/credentials", 401},
		{"wrong token", "Bearer secret-token", "/credentials", 401},
		{"wrong path", "secret-token", "/other", 404},
		{"ok", "secret-token", "/credentials", 200},
	} {
		hdr := map[string]string{}
		if tc.auth != "" {
			hdr["Authorization"] = tc.auth
		}
		code, body := do(t, h, "GET", tc.path, hdr)
		if code != tc.want {
			t.Errorf("%s: %d %s", tc.name, code, body)
		}
		if code == 200 && (!strings.Contains(body, `"Token":"t"`) || !strings.Contains(body, `"RoleArn"`)) {
			t.Errorf("%s: body %s", tc.name, body)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:80": true, "[::1]:9": true, "localhost:1": true, "0.0.0.0:80": false, "10.0.0.1:80": false, "bad": false} {
		if IsLoopback(addr) != want {
			t.Errorf("%s", addr)
		}
	}
}
