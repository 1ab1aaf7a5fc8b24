package e2e

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// GET /metrics after real traffic: counters with the right labels.

func scrapeMetrics(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	b, _ := io.ReadAll(resp.Body)
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsAfterTraffic(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mia")}))
	_, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("mia")})
	apiErr(t, err, "EntityAlreadyExists", 409, "")
	k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("mia")}))
	mia := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	_, err = iamClient(s, mia).ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403, "")
	_, err = iamClient(s, Creds{mia.ID, "not-the-secret-not-the-secret-not-the-s", ""}).ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "SignatureDoesNotMatch", 403, "")
	must(stsClient(s, mia).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))

	// Audit events are written by a background writer in groups (up to
	// 20 ms after the request): wait, within a bound, for the first group.
	m := scrapeMetrics(t, s.URL)
	for deadline := time.Now().Add(2 * time.Second); m[`hatrack_audit_events_written_total`] <= 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		m = scrapeMetrics(t, s.URL)
	}
	for series, want := range map[string]float64{
		`hatrack_requests_total{action="CreateUser",code="OK",service="iam"}`:                   1,
		`hatrack_requests_total{action="CreateUser",code="EntityAlreadyExists",service="iam"}`:  1,
		`hatrack_requests_total{action="ListUsers",code="AccessDenied",service="iam"}`:          1,
		`hatrack_requests_total{action="ListUsers",code="SignatureDoesNotMatch",service="iam"}`: 1,
		`hatrack_requests_total{action="GetCallerIdentity",code="OK",service="sts"}`:            1,
		`hatrack_request_duration_seconds_count{action="CreateUser",service="iam"}`:             2,
		`hatrack_authz_decisions_total{result="deny"}`:                                          1,
		`hatrack_authz_decisions_total{result="allow"}`:                                         3, // CreateUser ×2, CreateAccessKey
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	for _, series := range []string{
		`hatrack_store_operation_duration_seconds_count{op="update"}`,
		`hatrack_store_operation_duration_seconds_count{op="get"}`,
		`hatrack_http_requests_total{code="403"}`,
		`hatrack_audit_events_written_total`,
		`go_goroutines`,
	} {
		if m[series] <= 0 {
			t.Errorf("%s = %v, want > 0", series, m[series])
		}
	}
	// Labels never carry callers, accounts or request values.
	for series := range m {
		if strings.Contains(series, accountA) || strings.Contains(series, "mia") || strings.Contains(series, mia.ID) {
			t.Errorf("series leaks a request value: %s", series)
		}
	}
}

func TestMetricsCanBeTurnedOff(t *testing.T) {
	s := StartServerArgs(t, []string{"--metrics=false"})
	resp, err := http.Get(s.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == 200 {
		t.Fatal("/metrics answered with --metrics=false")
	}
}
