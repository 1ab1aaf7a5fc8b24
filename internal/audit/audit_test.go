package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/query"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

var (
	rootA = &authn.Caller{Type: authn.TypeRoot, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root",
		PrincipalARN: "arn:aws:iam::" + acctA + ":root", UserID: acctA, UniqueID: acctA, AccessKeyID: "AKIAROOT0000000000001"}
	alice = &authn.Caller{Type: authn.TypeUser, Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/alice",
		PrincipalARN: "arn:aws:iam::" + acctA + ":user/alice", UserID: "AIDAALICE", UniqueID: "AIDAALICE", UserName: "alice",
		AccessKeyID: "AKIAALICE00000000001"}
	issued   = time.Date(2026, 8, 7, 13, 0, 0, 0, time.UTC)
	roleSess = &authn.Caller{Type: authn.TypeAssumedRole, Account: acctA,
		ARN:          "arn:aws:sts::" + acctA + ":assumed-role/deploy/ci-42",
		PrincipalARN: "arn:aws:iam::" + acctA + ":role/deploy", UserID: "AROADEPLOY:ci-42", UniqueID: "AROADEPLOY",
		AccessKeyID: "ASIASESSION000000001",
		Session: &token.Claims{Type: token.AssumedRole, RoleName: "deploy", SessionName: "ci-42", SourceIdentity: "alice@example.com",
			MFAAuthenticated: true, IssuedAt: issued, SecretAccessKey: "session-secret-must-not-leak", AccessKeyID: "ASIASESSION000000001"}}
)

func params(t *testing.T, s string) query.Values {
	t.Helper()
	v, err := query.ParseString(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func eventJSON(t *testing.T, e *Event) map[string]any {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func get(m map[string]any, path string) any {
	var cur any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	return cur
}

type credsResult struct {
	Credentials struct {
		AccessKeyId     string
		SecretAccessKey string
		SessionToken    string
		Expiration      string
	}
	AssumedRoleUser struct{ AssumedRoleId, Arn string }
	SourceIdentity  string
}

func TestBuildCreateUserByRoot(t *testing.T) {
	type user struct{ Path, UserName, UserId, Arn, CreateDate string }
	res := &struct{ User user }{user{"/", "bob", "AIDABOB", "arn:aws:iam::" + acctA + ":user/bob", "2026-08-07T13:34:41Z"}}
	r := &Request{RequestID: "req-1", Service: "iam", Action: "CreateUser", Mutates: true,
		Params: params(t, "Action=CreateUser&Version=2010-05-08&UserName=bob&Tags.member.1.Key=team&Tags.member.1.Value=true&X-Amz-Signature=abc"),
		Caller: rootA, Region: "us-east-1", SourceIP: "10.0.0.1", UserAgent: "aws-cli/2", Time: issued, Result: res}
	evs := Build(r)
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	m := eventJSON(t, evs[0])
	want := map[string]any{
		"eventVersion": EventVersion, "eventSource": "iam.amazonaws.com", "eventName": "CreateUser",
		"awsRegion": "us-east-1", "sourceIPAddress": "10.0.0.1", "userAgent": "aws-cli/2", "requestID": "req-1",
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": acctA,
		"eventTime":         "2026-08-07T13:00:00Z",
		"userIdentity.type": "Root", "userIdentity.principalId": acctA, "userIdentity.arn": "arn:aws:iam::" + acctA + ":root",
		"userIdentity.accessKeyId":       "AKIAROOT0000000000001",
		"requestParameters.userName":     "bob",
		"responseElements.user.userName": "bob", "responseElements.user.createDate": "Aug 7, 2026, 1:34:41 PM",
	}
	for k, v := range want {
		if got := get(m, k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	tags, _ := get(m, "requestParameters.tags").([]any)
	if len(tags) != 1 || tags[0].(map[string]any)["key"] != "team" || tags[0].(map[string]any)["value"] != "true" {
		t.Errorf("tags = %#v", get(m, "requestParameters.tags"))
	}
	for _, k := range []string{"action", "version", "x-Amz-Signature", "X-Amz-Signature"} {
		if _, ok := get(m, "requestParameters").(map[string]any)[k]; ok {
			t.Errorf("requestParameters holds transport member %s", k)
		}
	}
	if id, _ := m["eventID"].(string); len(id) != 36 {
		t.Errorf("eventID %q", id)
	}
	if len(evs[0].lookup) != 1 || evs[0].lookup[0] != (Resource{"AWS::IAM::User", "bob"}) {
		t.Errorf("lookup resources %#v", evs[0].lookup)
	}
	if evs[0].username != "root" {
		t.Errorf("username %q", evs[0].username)
	}
}

func TestBuildReadOnlyHasNoResponse(t *testing.T) {
	r := &Request{Service: "iam", Action: "GetUser", Params: params(t, "Action=GetUser&UserName=bob"), Caller: alice, Time: issued,
		Result: &struct{ User struct{ UserName string } }{}}
	m := eventJSON(t, Build(r)[0])
	if m["responseElements"] != nil || m["readOnly"] != true {
		t.Fatalf("read-only event: %v", m)
	}
	if get(m, "userIdentity.type") != "IAMUser" || get(m, "userIdentity.userName") != "alice" || get(m, "userIdentity.principalId") != "AIDAALICE" {
		t.Fatalf("identity %v", m["userIdentity"])
	}
	// A Mutates flag forgotten by an operation is caught by its name.
	r = &Request{Service: "iam", Action: "DeleteUser", Caller: alice, Time: issued}
	if Build(r)[0].ReadOnly {
		t.Fatal("DeleteUser recorded as read-only")
	}
}

func TestBuildSecretsNeverRecorded(t *testing.T) {
	secrets := []string{"Pa55word!x", "N3wPa55!y", "123456", "PHNhbWw+", "eyJhbGciOi", "-----BEGIN PRIVATE KEY-----", "654321",
		"wJalrXUtnFEMI/K7MDENG", "FwoGZXIvYXdzEJr", "session-secret-must-not-leak", "JBSWY3DPEHPK3PXP"}
	cases := []*Request{
		{Service: "iam", Action: "CreateLoginProfile", Mutates: true, Caller: rootA, Time: issued,
			Params: params(t, "UserName=bob&Password=Pa55word!x&PasswordResetRequired=true")},
		{Service: "iam", Action: "ChangePassword", Mutates: true, Caller: alice, Time: issued,
			Params: params(t, "OldPassword=Pa55word!x&NewPassword=N3wPa55!y")},
		{Service: "sts", Action: "AssumeRole", Caller: alice, Time: issued,
			Params: params(t, "RoleArn=arn:aws:iam::"+acctA+":role/deploy&RoleSessionName=s&SerialNumber=arn:aws:iam::"+acctA+":mfa/alice&TokenCode=123456")},
		{Service: "sts", Action: "AssumeRoleWithSAML", Unsigned: true, Time: issued,
			Params: params(t, "RoleArn=arn:aws:iam::"+acctA+":role/saml&PrincipalArn=arn:aws:iam::"+acctA+":saml-provider/idp&SAMLAssertion=PHNhbWw%2B")},
		{Service: "sts", Action: "AssumeRoleWithWebIdentity", Unsigned: true, Time: issued,
			Params: params(t, "RoleArn=arn:aws:iam::"+acctA+":role/oidc&RoleSessionName=x&WebIdentityToken=eyJhbGciOi")},
		{Service: "iam", Action: "UploadServerCertificate", Mutates: true, Caller: rootA, Time: issued,
			Params: params(t, "ServerCertificateName=c&CertificateBody=x&PrivateKey=-----BEGIN%20PRIVATE%20KEY-----")},
		{Service: "iam", Action: "EnableMFADevice", Mutates: true, Caller: rootA, Time: issued,
			Params: params(t, "UserName=bob&SerialNumber=s&AuthenticationCode1=123456&AuthenticationCode2=654321")},
		{Service: "iam", Action: "CreateAccessKey", Mutates: true, Caller: rootA, Time: issued,
			Result: &struct {
				AccessKey struct{ AccessKeyId, SecretAccessKey, Status string }
			}{struct{ AccessKeyId, SecretAccessKey, Status string }{"AKIANEW", "wJalrXUtnFEMI/K7MDENG", "Active"}}},
		{Service: "iam", Action: "CreateVirtualMFADevice", Mutates: true, Caller: rootA, Time: issued,
			Result: &struct {
				VirtualMFADevice struct{ SerialNumber, Base32StringSeed, QRCodePNG string }
			}{struct{ SerialNumber, Base32StringSeed, QRCodePNG string }{"arn:mfa", "JBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP"}}},
		{Service: "sts", Action: "GetCallerIdentity", Caller: roleSess, Time: issued},
		{Service: "organizations", Action: "CreateAccount", Mutates: true, Caller: rootA, Time: issued,
			Body: []byte(`{"AccountName":"x","Email":"a@b.c","Password":"Pa55word!x"}`)},
		{Service: "iam", Action: "UpdateSAMLProvider", Mutates: true, Caller: rootA, Time: issued,
			Params: params(t, "SAMLProviderArn=arn:aws:iam::"+acctA+":saml-provider/idp&AddPrivateKey=-----BEGIN%20PRIVATE%20KEY-----")},
		{Service: "iam", Action: "UpdateSAMLProvider", Mutates: true, Caller: rootA, Time: issued,
			Params: params(t, "SAMLProviderArn=arn:aws:iam::"+acctA+":saml-provider/idp&RemovePrivateKey=KEYIDKEYIDKEYIDKEYIDKEYID")},
	}
	ar := &credsResult{}
	ar.Credentials.AccessKeyId, ar.Credentials.SecretAccessKey, ar.Credentials.SessionToken = "ASIANEW", "wJalrXUtnFEMI/K7MDENG", "FwoGZXIvYXdzEJr"
	cases[2].Result = ar
	for _, r := range cases {
		evs := Build(r)
		if len(evs) == 0 {
			t.Fatalf("%s: no event", r.Action)
		}
		for _, e := range evs {
			b, _ := json.Marshal(e)
			for _, s := range secrets {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s event holds secret %q: %s", r.Action, s, b)
				}
			}
		}
	}
	// Settings named like secrets are kept.
	m := eventJSON(t, Build(cases[0])[0])
	if get(m, "requestParameters.passwordResetRequired") != true || get(m, "requestParameters.password") != Hidden {
		t.Errorf("CreateLoginProfile parameters: %v", m["requestParameters"])
	}
	// RemovePrivateKey names a key id, which CloudTrail shows.
	m = eventJSON(t, Build(cases[len(cases)-1])[0])
	if get(m, "requestParameters.removePrivateKey") != "KEYIDKEYIDKEYIDKEYIDKEYID" {
		t.Errorf("UpdateSAMLProvider parameters: %v", m["requestParameters"])
	}
	m = eventJSON(t, Build(cases[7])[0])
	if get(m, "responseElements.accessKey.accessKeyId") != "AKIANEW" {
		t.Errorf("CreateAccessKey response: %v", m["responseElements"])
	}
}

func TestBuildAssumeRoleCrossAccount(t *testing.T) {
	ar := &credsResult{SourceIdentity: "alice"}
	ar.Credentials.AccessKeyId, ar.Credentials.SecretAccessKey, ar.Credentials.SessionToken, ar.Credentials.Expiration =
		"ASIANEW0000000000001", "secret", "token", "2026-08-07T14:00:00Z"
	roleARN := "arn:aws:iam::" + acctB + ":role/audit"
	r := &Request{RequestID: "r", Service: "sts", Action: "AssumeRole", Region: "eu-west-1", Caller: roleSess, Time: issued,
		Params: params(t, "RoleArn="+roleARN+"&RoleSessionName=chain&DurationSeconds=900"), Result: ar}
	evs := Build(r)
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	a, b := eventJSON(t, evs[0]), eventJSON(t, evs[1])
	if a["recipientAccountId"] != acctA || b["recipientAccountId"] != acctB {
		t.Fatalf("recipients %v %v", a["recipientAccountId"], b["recipientAccountId"])
	}
	if a["sharedEventID"] == nil || a["sharedEventID"] != b["sharedEventID"] || a["eventID"] == b["eventID"] {
		t.Fatalf("shared %v %v ids %v %v", a["sharedEventID"], b["sharedEventID"], a["eventID"], b["eventID"])
	}
	if a["readOnly"] != true || get(a, "requestParameters.durationSeconds") != float64(900) {
		t.Errorf("readOnly %v durationSeconds %v", a["readOnly"], get(a, "requestParameters.durationSeconds"))
	}
	want := map[string]any{
		"userIdentity.type":                                       "AssumedRole",
		"userIdentity.principalId":                                "AROADEPLOY:ci-42",
		"userIdentity.arn":                                        roleSess.ARN,
		"userIdentity.sessionContext.sessionIssuer.type":          "Role",
		"userIdentity.sessionContext.sessionIssuer.arn":           roleSess.PrincipalARN,
		"userIdentity.sessionContext.sessionIssuer.userName":      "deploy",
		"userIdentity.sessionContext.sessionIssuer.principalId":   "AROADEPLOY",
		"userIdentity.sessionContext.attributes.creationDate":     "2026-08-07T13:00:00Z",
		"userIdentity.sessionContext.attributes.mfaAuthenticated": "true",
		"userIdentity.sessionContext.sourceIdentity":              "alice@example.com",
		"responseElements.credentials.accessKeyId":                "ASIANEW0000000000001",
		"responseElements.credentials.expiration":                 "Aug 7, 2026, 2:00:00 PM",
		"responseElements.sourceIdentity":                         "alice",
	}
	for k, v := range want {
		if got := get(b, k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	cr := get(a, "responseElements.credentials").(map[string]any)
	if _, ok := cr["secretAccessKey"]; ok {
		t.Error("secretAccessKey recorded")
	}
	if _, ok := cr["sessionToken"]; ok {
		t.Error("sessionToken recorded")
	}
	res, _ := a["resources"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["ARN"] != roleARN || res[0].(map[string]any)["accountId"] != acctB {
		t.Errorf("resources %v", a["resources"])
	}
	if evs[0].username != "ci-42" {
		t.Errorf("username %q", evs[0].username)
	}
}

func TestBuildDeniedAndUnauthenticated(t *testing.T) {
	denied := &awserr.Error{Code: "AccessDenied", Message: "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/x", Status: 403}
	r := &Request{Service: "sts", Action: "AssumeRole", Caller: alice, Time: issued, Err: denied,
		Params: params(t, "RoleArn=arn:aws:iam::"+acctA+":role/x&RoleSessionName=s")}
	m := eventJSON(t, Build(r)[0])
	if m["errorCode"] != "AccessDenied" || m["errorMessage"] != denied.Message || m["responseElements"] != nil {
		t.Fatalf("denied event %v", m)
	}
	// A signed request whose signature failed has no caller: no event.
	r = &Request{Service: "iam", Action: "ListUsers", Time: issued, Err: &awserr.Error{Code: "SignatureDoesNotMatch"}}
	if evs := Build(r); evs != nil {
		t.Fatalf("unauthenticated request audited: %v", evs)
	}
	// An unsigned assumption is audited in the role's account.
	r = &Request{Service: "sts", Action: "AssumeRoleWithWebIdentity", Unsigned: true, Time: issued,
		Err:    &awserr.Error{Code: "InvalidIdentityToken", Message: "Incorrect token audience"},
		Params: params(t, "RoleArn=arn:aws:iam::"+acctB+":role/gh&RoleSessionName=x&WebIdentityToken=t")}
	evs := Build(r)
	if len(evs) != 1 || evs[0].RecipientAccountID != acctB || evs[0].UserIdentity.Type != "WebIdentityUser" {
		t.Fatalf("web identity events %+v", evs)
	}
	// …but not when it names no account.
	r.Params = params(t, "RoleArn=nonsense")
	if evs := Build(r); evs != nil {
		t.Fatal("event without recipient")
	}
}

func TestBuildFederatedUser(t *testing.T) {
	c := &authn.Caller{Type: authn.TypeFederatedUser, Account: acctA, ARN: "arn:aws:sts::" + acctA + ":federated-user/bob",
		UserID: acctA + ":bob", AccessKeyID: "ASIAFED",
		Session: &token.Claims{Type: token.FederatedUser, FederatedName: "bob", SourceARN: "arn:aws:iam::" + acctA + ":user/alice", SourceID: "AIDAALICE", IssuedAt: issued}}
	e := Build(&Request{Service: "iam", Action: "ListUsers", Caller: c, Time: issued})[0]
	u := e.UserIdentity
	if u.Type != "FederatedUser" || u.PrincipalID != acctA+":bob" || u.SessionContext.SessionIssuer.Type != "IAMUser" ||
		u.SessionContext.SessionIssuer.UserName != "alice" || u.SessionContext.Attributes.MFAAuthenticated != "false" || e.username != "bob" {
		t.Fatalf("federated identity %+v %+v", u, u.SessionContext)
	}
}

func TestJSONParameters(t *testing.T) {
	r := &Request{Service: "organizations", Action: "CreateOrganizationalUnit", Mutates: true, Caller: rootA, Time: issued,
		Body: []byte(`{"ParentId":"r-abcd","Name":"eng","Tags":[{"Key":"a","Value":"b"}]}`)}
	m := eventJSON(t, Build(r)[0])
	if get(m, "requestParameters.parentId") != "r-abcd" || get(m, "eventSource") != "organizations.amazonaws.com" {
		t.Fatalf("%v", m)
	}
	tags := get(m, "requestParameters.tags").([]any)
	if tags[0].(map[string]any)["key"] != "a" {
		t.Fatalf("tags %v", tags)
	}
}

func newTrail(t *testing.T, st store.Store, export *bytes.Buffer) *Trail {
	t.Helper()
	opt := Options{Store: st}
	if export != nil {
		opt.Export = export
	}
	tr := New(opt)
	t.Cleanup(func() { tr.Close(context.Background()) })
	return tr
}

func seedAccounts(t *testing.T, st store.Store, ids ...string) {
	t.Helper()
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for _, id := range ids {
			if err := tx.Create(context.Background(), store.Record{Kind: accountKind, Name: id, ID: id}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestTrailStoresExportsAndLooksUp(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	var out bytes.Buffer
	tr := newTrail(t, st, &out)
	base := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 120; i++ {
		c, action := alice, "ListUsers"
		if i%3 == 0 {
			c, action = rootA, "CreateUser"
		}
		tr.Record(&Request{RequestID: "r", Service: "iam", Action: action, Caller: c, Time: base.Add(time.Duration(i) * time.Minute),
			Params: params(t, "UserName=u"+string(rune('a'+i%26)))})
	}
	// A failed signature is not recorded.
	tr.Record(&Request{Service: "iam", Action: "ListUsers", Time: base})
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.Written() != 120 {
		t.Fatalf("written %d", tr.Written())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 120 {
		t.Fatalf("%d exported lines", len(lines))
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first["eventName"] == nil {
		t.Fatalf("exported line %q: %v", lines[0], err)
	}

	// Newest first, paginated.
	var all []StoredEvent
	q := Query{Account: acctA, Max: 50}
	for pages := 0; ; pages++ {
		p, err := Lookup(ctx, st, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p.Events...)
		if p.NextToken == "" {
			break
		}
		q.Token = p.NextToken
		if pages > 5 {
			t.Fatal("endless pages")
		}
	}
	if len(all) != 120 {
		t.Fatalf("looked up %d", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].Time.After(all[i-1].Time) {
			t.Fatalf("not newest first at %d", i)
		}
	}
	// Attribute filters.
	for _, c := range []struct {
		key, value string
		want       int
	}{
		{AttrEventName, "CreateUser", 40}, {AttrUsername, "alice", 80}, {AttrUsername, "root", 40},
		{AttrAccessKeyID, alice.AccessKeyID, 80}, {AttrReadOnly, "false", 40}, {AttrReadOnly, "true", 80},
		{AttrResourceName, "ua", 5}, {AttrResourceType, "AWS::IAM::User", 120}, {AttrEventSource, "iam.amazonaws.com", 120},
		{AttrEventName, "Nope", 0},
	} {
		n := 0
		q := Query{Account: acctA, Key: c.key, Value: c.value}
		for {
			p, err := Lookup(ctx, st, q)
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Events)
			if p.NextToken == "" {
				break
			}
			q.Token = p.NextToken
		}
		if n != c.want {
			t.Errorf("%s=%s: %d events, want %d", c.key, c.value, n, c.want)
		}
	}
	// Time range, inclusive, whole seconds.
	p, err := Lookup(ctx, st, Query{Account: acctA, Start: base.Add(10 * time.Minute), End: base.Add(19*time.Minute + 500*time.Millisecond)})
	if err != nil || len(p.Events) != 10 || !p.Events[0].Time.Equal(base.Add(19*time.Minute)) || !p.Events[9].Time.Equal(base.Add(10*time.Minute)) {
		t.Fatalf("range: %d events, %v", len(p.Events), err)
	}
	// Event id, scoped to the account.
	p, _ = Lookup(ctx, st, Query{Account: acctA, Key: AttrEventID, Value: all[7].EventID})
	if len(p.Events) != 1 || p.Events[0].EventID != all[7].EventID {
		t.Fatalf("by id: %v", p.Events)
	}
	if p, _ = Lookup(ctx, st, Query{Account: acctB, Key: AttrEventID, Value: all[7].EventID}); len(p.Events) != 0 {
		t.Fatal("another account's event found by id")
	}
	if p, _ = Lookup(ctx, st, Query{Account: acctB}); len(p.Events) != 0 {
		t.Fatal("another account sees events")
	}
	// A token for other parameters is refused.
	p, _ = Lookup(ctx, st, Query{Account: acctA, Max: 5})
	if _, err := Lookup(ctx, st, Query{Account: acctA, Max: 5, Key: AttrUsername, Value: "alice", Token: p.NextToken}); err != ErrInvalidToken {
		t.Fatalf("token reuse: %v", err)
	}
	if _, err := Lookup(ctx, st, Query{Account: acctA, Token: "garbage"}); err != ErrInvalidToken {
		t.Fatalf("garbage token: %v", err)
	}
}

func TestTrimRetention(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	seedAccounts(t, st, acctA, acctB)
	now := time.Date(2026, 8, 7, 0, 0, 0, 0, time.UTC)
	tr := New(Options{Store: st, Retention: 48 * time.Hour, Now: func() time.Time { return now }})
	defer tr.Close(ctx)
	for i := 0; i < 5; i++ {
		for _, c := range []*authn.Caller{rootA, {Type: authn.TypeRoot, Account: acctB}} {
			tr.Record(&Request{Service: "iam", Action: "ListUsers", Caller: c, Time: now.Add(-time.Duration(i) * 24 * time.Hour)})
		}
	}
	tr.Flush(ctx)
	n, err := tr.Trim(ctx)
	if err != nil || n != 4 { // days 3 and 4, in both accounts
		t.Fatalf("trimmed %d, %v", n, err)
	}
	for _, a := range []string{acctA, acctB} {
		p, _ := Lookup(ctx, st, Query{Account: a})
		if len(p.Events) != 3 {
			t.Fatalf("%s keeps %d", a, len(p.Events))
		}
		for _, e := range p.Events {
			if now.Sub(e.Time) > 48*time.Hour {
				t.Fatalf("kept an expired event %v", e.Time)
			}
		}
	}
}

func TestTrailConcurrentRecordAndClose(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	tr := New(Options{Store: st, QueueSize: 8, BatchSize: 4})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				tr.Record(&Request{Service: "iam", Action: "ListUsers", Caller: alice, Time: time.Now()})
			}
		}()
	}
	wg.Wait()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Everything recorded before Close is stored: nothing is dropped even
	// with a queue much smaller than the load.
	if tr.Written() != 400 || tr.Failed() != 0 {
		t.Fatalf("written %d failed %d", tr.Written(), tr.Failed())
	}
	evs, err := st.ListEvents(ctx, store.EventFilter{Account: acctA})
	if err != nil || len(evs) != 400 {
		t.Fatalf("stored %d (%v)", len(evs), err)
	}
}

func paramsFor(s string) (query.Values, error) { return query.ParseString(s) }
