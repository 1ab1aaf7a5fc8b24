package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The audit trail end to end (SCENARIOS.md 24): who used which role, every
// denied request, no secrets — seen through CloudTrail's LookupEvents
// (boto3 and the AWS CLI), the --audit-log JSON lines and hatrack audit.

// auditLookupPy runs cloudtrail.lookup_events with one attribute (all
// pages) and prints [{"event": <Event>, "record": <CloudTrailEvent parsed>}].
const auditLookupPy = `
import json, os, sys, boto3
ct = boto3.client("cloudtrail", endpoint_url=os.environ["HATRACK_URL"], region_name="us-east-1",
    aws_access_key_id=os.environ["KEY"], aws_secret_access_key=os.environ["SECRET"],
    aws_session_token=os.environ.get("TOKEN") or None)
kwargs = {}
if len(sys.argv) > 2:
    kwargs["LookupAttributes"] = [{"AttributeKey": sys.argv[1], "AttributeValue": sys.argv[2]}]
out = []
for page in ct.get_paginator("lookup_events").paginate(PaginationConfig={"PageSize": 2}, **kwargs):
    for e in page["Events"]:
        rec = json.loads(e.pop("CloudTrailEvent"))
        e["EventTime"] = e["EventTime"].isoformat()
        out.append({"event": e, "record": rec})
try:
    ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "x"}, {"AttributeKey": "Username", "AttributeValue": "y"}])
    print("two attributes accepted", file=sys.stderr); sys.exit(3)
except ct.exceptions.InvalidLookupAttributesException:
    pass
print(json.dumps(out))
`

type lookedUp struct {
	Event  map[string]any `json:"event"`
	Record map[string]any `json:"record"`
}

func botoLookup(t *testing.T, s *Server, c Creds, key, value string) []lookedUp {
	t.Helper()
	py := requireBoto3(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + s.URL, "KEY=" + c.ID, "SECRET=" + c.Secret, "TOKEN=" + c.Token}, py, "-c", auditLookupPy, key, value)
	if code != 0 {
		t.Fatalf("boto3 lookup_events %s=%s: exit %d\n%s", key, value, code, errOut)
	}
	var evs []lookedUp
	if err := json.Unmarshal([]byte(out), &evs); err != nil {
		t.Fatalf("boto3 output %q: %v", out, err)
	}
	return evs
}

// jpath reads a dotted path from a decoded JSON object.
func jpath(m map[string]any, p string) any {
	var cur any = m
	for _, k := range strings.Split(p, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func TestAuditTrailEndToEnd(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "audit.jsonl")
	s := StartServerArgs(t, []string{"--audit-log", logFile})
	ctx := context.Background()
	root := iamClient(s, rootCreds)

	// A user with a key and a console password, and a role she may assume.
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("dana")}))
	k := must(root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("dana")}))
	dana := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	const password = "Audit-Pa55word-never-logged!"
	must(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("dana"), Password: aws.String(password)}))
	danaARN := "arn:aws:iam::" + accountA + ":user/dana"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + danaARN + `"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"]}]}`
	role := must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deployer"), AssumeRolePolicyDocument: aws.String(trust)})).Role
	roleARN := aws.ToString(role.Arn)

	// dana assumes the role with a source identity.
	ar := must(stsClient(s, dana).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN),
		RoleSessionName: aws.String("release-7"), SourceIdentity: aws.String("dana@laptop")}))
	sess := Creds{aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken)}
	must(stsClient(s, sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))

	// A wrong secret is not an authenticated request: no event.
	_, err := iamClient(s, Creds{dana.ID, "wrong-secret-wrong-secret-wrong-secret00", ""}).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("probe")})
	apiErr(t, err, "SignatureDoesNotMatch", 403, "")
	// A denied request is an event.
	_, err = iamClient(s, dana).ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "")
	// A denied role assumption is an event.
	_, err = stsClient(s, rootCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("root-try")})
	apiErr(t, err, "AccessDenied", 403, "")

	// LookupEvents (boto3): every role assumption, allowed or denied.
	assumptions := botoLookup(t, s, rootCreds, "EventName", "AssumeRole")
	if len(assumptions) != 2 {
		t.Fatalf("AssumeRole events: %d, want 2: %+v", len(assumptions), assumptions)
	}
	denied, allowed := assumptions[0].Record, assumptions[1].Record // newest first
	if denied["errorCode"] != "AccessDenied" || jpath(denied, "userIdentity.type") != "Root" ||
		jpath(denied, "requestParameters.roleSessionName") != "root-try" {
		t.Errorf("denied assumption: %v", denied)
	}
	for k, want := range map[string]any{
		"userIdentity.type": "IAMUser", "userIdentity.arn": danaARN, "userIdentity.userName": "dana",
		"userIdentity.accessKeyId": dana.ID, "requestParameters.roleArn": roleARN,
		"requestParameters.roleSessionName": "release-7", "requestParameters.sourceIdentity": "dana@laptop",
		"responseElements.credentials.accessKeyId": sess.ID, "eventSource": "sts.amazonaws.com",
		"recipientAccountId": accountA, "eventType": "AwsApiCall", "readOnly": true,
	} {
		if got := jpath(allowed, k); got != want {
			t.Errorf("allowed assumption %s = %#v, want %#v", k, got, want)
		}
	}
	if _, ok := allowed["errorCode"]; ok {
		t.Errorf("allowed assumption has an errorCode: %v", allowed["errorCode"])
	}
	if ev := assumptions[1].Event; ev["Username"] != "dana" || ev["AccessKeyId"] != dana.ID || ev["ReadOnly"] != "true" {
		t.Errorf("LookupEvents fields: %v", ev)
	}

	// The session's own call names the role, the session and the source
	// identity.
	mine := botoLookup(t, s, rootCreds, "AccessKeyId", sess.ID)
	if len(mine) != 1 {
		t.Fatalf("session events: %d", len(mine))
	}
	for k, want := range map[string]any{
		"eventName": "GetCallerIdentity", "userIdentity.type": "AssumedRole",
		"userIdentity.arn": "arn:aws:sts::" + accountA + ":assumed-role/deployer/release-7",
		"userIdentity.sessionContext.sessionIssuer.type":          "Role",
		"userIdentity.sessionContext.sessionIssuer.arn":           roleARN,
		"userIdentity.sessionContext.sessionIssuer.userName":      "deployer",
		"userIdentity.sessionContext.sourceIdentity":              "dana@laptop",
		"userIdentity.sessionContext.attributes.mfaAuthenticated": "false",
	} {
		if got := jpath(mine[0].Record, k); got != want {
			t.Errorf("session event %s = %#v, want %#v", k, got, want)
		}
	}

	// Every denied request, and no unauthenticated one.
	danaEvents := botoLookup(t, s, rootCreds, "Username", "dana")
	var deniedList, badSig int
	for _, e := range danaEvents {
		switch e.Record["errorCode"] {
		case "AccessDenied":
			deniedList++
			if e.Record["eventName"] != "ListRoles" {
				t.Errorf("unexpected denial %v", e.Record["eventName"])
			}
		case "SignatureDoesNotMatch":
			badSig++
		}
	}
	if deniedList != 1 || badSig != 0 {
		t.Fatalf("dana: %d denied, %d bad-signature events (want 1, 0)", deniedList, badSig)
	}

	// The AWS CLI sees the same trail; dana may not look (no policy).
	cli := awsCLI(t, "1")
	got := cliJSON(t, cli, s, rootCreds, "cloudtrail", "lookup-events", "--lookup-attributes",
		"AttributeKey=ResourceName,AttributeValue=dana", "--max-results", "50")
	events, _ := got["Events"].([]any)
	names := map[string]bool{}
	for _, e := range events {
		names[e.(map[string]any)["EventName"].(string)] = true
	}
	for _, n := range []string{"CreateUser", "CreateAccessKey", "CreateLoginProfile"} {
		if !names[n] {
			t.Errorf("CLI lookup by resource dana lacks %s: %v", n, names)
		}
	}
	cliFail(t, cli, s, dana, "AccessDeniedException", "cloudtrail", "lookup-events")

	// hatrack audit prints the events from the store.
	out, errOut, code := run(t, nil, hatrackBin(t), "audit", "--data", s.DataDir, "--event-name", "AssumeRole")
	if code != 0 {
		t.Fatalf("hatrack audit: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"errorCode":"AccessDenied"`) || !strings.Contains(lines[1], `"roleSessionName":"release-7"`) {
		t.Fatalf("hatrack audit --event-name AssumeRole:\n%s", out)
	}
	out, _, _ = run(t, nil, hatrackBin(t), "audit", "--data", s.DataDir, "--user", "dana", "--errors")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"eventName":"LookupEvents"`) || !strings.Contains(lines[1], `"eventName":"ListRoles"`) {
		t.Fatalf("hatrack audit --user dana --errors: %d lines\n%s", len(lines), out)
	}
	if _, errOut, code := run(t, nil, hatrackBin(t), "audit", "--data", s.DataDir, "--since", "yesterday"); code != 2 || !strings.Contains(errOut, "--since") {
		t.Fatalf("bad --since: %d %s", code, errOut)
	}

	// After a graceful stop everything answered is in the log; no event
	// anywhere holds a secret.
	s.Stop()
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	all, _, _ := run(t, nil, hatrackBin(t), "audit", "--data", s.DataDir)
	for where, text := range map[string]string{"--audit-log": string(b), "hatrack audit": all} {
		if !strings.Contains(text, `"eventName":"GetCallerIdentity"`) || !strings.Contains(text, `"eventName":"LookupEvents"`) {
			t.Errorf("%s misses events", where)
		}
		for name, secret := range map[string]string{"dana's secret key": dana.Secret, "the session's secret key": sess.Secret,
			"the session token": sess.Token, "the password": password, "root's secret key": rootSecret} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %s", where, name)
			}
		}
		if !strings.Contains(text, `"password":"HIDDEN_DUE_TO_SECURITY_REASONS"`) {
			t.Errorf("%s: CreateLoginProfile's password is not shown as hidden", where)
		}
	}
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("audit log line %d is not JSON: %v", i+1, err)
		}
		if m["errorCode"] == "SignatureDoesNotMatch" {
			t.Errorf("unauthenticated request logged: %s", line)
		}
	}
}
