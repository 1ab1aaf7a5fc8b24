package console

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/sigv4"
	"github.com/hatrack/hatrack/internal/token"
)

const (
	acctA      = "111111111111"
	acctB      = "222222222222"
	rootKey    = "AKIAFAKEROOT00000001"
	rootSecret = "fake-root-secret-0000000000000000000001"
	aliceKey   = "AKIAFAKEALICE0000001"
	aliceSec   = "fake-alice-secret-000000000000000000001"
	deployment = "dep-test"
)

// fakeAPI stands in for the dispatcher: it verifies every request's SigV4
// signature (opening session tokens with the keyring, as the real resolver
// does) and answers a few actions the way IAM and STS do.
type fakeAPI struct {
	t    *testing.T
	kr   *keyring.Keyring
	now  func() time.Time
	mu   sync.Mutex
	seen []string // "Action by ARN"
	// extra records the Extra claims of the last console session seen.
	extra map[string]string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	auth, err := sigv4.Parse(r)
	if err != nil {
		writeErr(w, 403, "IncompleteSignature", err.Error())
		return
	}
	var secret, arn, typ string
	switch {
	case auth.AccessKeyID == rootKey:
		secret, arn, typ = rootSecret, "arn:aws:iam::"+acctA+":root", "root"
	case auth.AccessKeyID == aliceKey:
		secret, arn, typ = aliceSec, "arn:aws:iam::"+acctA+":user/alice", "user"
	case strings.HasPrefix(auth.AccessKeyID, "ASIA"):
		cl, err := token.Open(f.kr, auth.AccessKeyID, auth.SecurityToken, deployment)
		if err != nil || cl.Expired(f.now()) {
			writeErr(w, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
			return
		}
		secret = cl.SecretAccessKey
		switch cl.Type {
		case token.AssumedRole:
			arn, typ = "arn:aws:sts::"+cl.Account+":assumed-role/"+cl.RoleName+"/"+cl.SessionName, "role"
		default:
			arn, typ = cl.PrincipalARN, "session"
			f.mu.Lock()
			f.extra = cl.Extra
			f.mu.Unlock()
		}
	default:
		writeErr(w, 403, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	if err := auth.Verify(r, body, []byte(secret), f.now(), nil); err != nil {
		writeErr(w, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
		return
	}
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	f.mu.Lock()
	f.seen = append(f.seen, action+" by "+arn)
	f.mu.Unlock()
	ok := func(inner string) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<%sResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><%sResult>%s</%sResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>`,
			action, action, inner, action, action)
	}
	switch action {
	case "GetCallerIdentity":
		ok("<Arn>" + arn + "</Arn><UserId>X</UserId><Account>" + arnAccount(arn) + "</Account>")
	case "AssumeRole":
		if strings.HasSuffix(arn, ":root") {
			writeErr(w, 403, "AccessDenied", "Roles may not be assumed by root accounts.")
			return
		}
		roleARN := form.Get("RoleArn")
		name := roleARN[strings.LastIndexByte(roleARN, '/')+1:]
		akid, _ := ids.NewAccessKeyID(ids.PrefixTempAccessKey, arnAccount(roleARN))
		cl := &token.Claims{Type: token.AssumedRole, AccessKeyID: akid, SecretAccessKey: ids.NewSecretAccessKey(),
			Account: arnAccount(roleARN), PrincipalARN: roleARN, RoleName: name, SessionName: form.Get("RoleSessionName"),
			IssuedAt: f.now(), Expires: f.now().Add(time.Hour), Deployment: deployment}
		tok, err := token.Mint(f.kr, cl)
		if err != nil {
			f.t.Error(err)
		}
		ok("<Credentials><AccessKeyId>" + akid + "</AccessKeyId><SecretAccessKey>" + cl.SecretAccessKey + "</SecretAccessKey><SessionToken>" + tok +
			"</SessionToken><Expiration>" + cl.Expires.UTC().Format(time.RFC3339) + "</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::" +
			cl.Account + ":assumed-role/" + name + "/" + cl.SessionName + "</Arn><AssumedRoleId>AROAFAKE:" + cl.SessionName + "</AssumedRoleId></AssumedRoleUser>")
	case "ListUsers", "CreateUser":
		if typ == "role" {
			writeErr(w, 403, "AccessDenied", "User: "+arn+" is not authorized to perform: iam:"+action+" on resource: arn:aws:iam::"+arnAccount(arn)+
				":user/"+form.Get("UserName")+" because no identity-based policy allows the iam:"+action+" action")
			return
		}
		ok("<Users><member><UserName>alice</UserName><Path>/</Path><Arn>arn:aws:iam::" + acctA + ":user/alice</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate></member></Users><IsTruncated>false</IsTruncated>")
	case "ListRoles":
		trust := url.PathEscape(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::` + acctA + `:user/alice"],"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)
		ok("<Roles><member><RoleName>ReadOnly</RoleName><Path>/</Path><Arn>arn:aws:iam::" + acctA + ":role/ReadOnly</Arn><AssumeRolePolicyDocument>" + trust +
			"</AssumeRolePolicyDocument></member></Roles><IsTruncated>false</IsTruncated>")
	default:
		writeErr(w, 400, "InvalidAction", "Could not find operation "+action+" for version "+form.Get("Version"))
	}
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-err</RequestId></ErrorResponse>`, code, html.EscapeString(msg))
}

type browser struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
}

func newBrowser(t *testing.T, signIn SignInFunc) (*browser, *fakeAPI) {
	kr := keyring.Generate()
	now := time.Now
	api := &fakeAPI{t: t, kr: kr, now: now}
	con := New(Config{API: api, Keys: kr, Deployment: deployment, SignIn: signIn, Now: now})
	mux := http.NewServeMux()
	mux.Handle("/console/", con)
	mux.Handle("/", RedirectBrowsers(api))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, srv: srv, c: &http.Client{Jar: jar}}, api
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := reCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", page)
	}
	return html.UnescapeString(m[1])
}

func (b *browser) post(path string, form url.Values, origin string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (b *browser) signInKeys(id, secret string) (int, string) {
	_, page := b.get("/console/signin")
	return b.post("/console/signin", url.Values{"csrf": {csrfOf(b.t, page)}, "method": {methodAccessKey},
		"access_key_id": {id}, "secret_access_key": {secret}}, b.srv.URL)
}

func mustContain(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(page, w) {
			t.Fatalf("page lacks %q:\n%s", w, page)
		}
	}
}

func TestConsoleUnsignedRedirectsToSignIn(t *testing.T) {
	b, _ := newBrowser(t, nil)
	_, page := b.get("/")
	mustContain(t, page, "Hatrack has no root password", "Password sign-in is not available")
	_, page = b.get("/console/users")
	mustContain(t, page, `id="form-keys"`)
}

func TestConsoleSignInSwitchDenySwitchBack(t *testing.T) {
	b, api := newBrowser(t, nil)
	status, page := b.signInKeys(aliceKey, aliceSec)
	if status != 200 {
		t.Fatalf("sign-in: %d\n%s", status, page)
	}
	mustContain(t, page, `id="identity"`, "arn:aws:iam::"+acctA+":user/alice")
	if api.extra[ExtraConsoleSignIn] != methodAccessKey {
		t.Fatalf("console session not marked as a console sign-in: %v", api.extra)
	}
	// The console's session is its own ASIA credentials, not alice's keys.
	for _, s := range api.seen[1:] {
		if !strings.HasSuffix(s, "user/alice") {
			t.Fatalf("unexpected caller: %v", api.seen)
		}
	}

	_, page = b.get("/console/users")
	mustContain(t, page, "arn:aws:iam::"+acctA+":user/alice</code>")

	_, page = b.get("/console/switch")
	csrf := csrfOf(t, page)
	status, page = b.post("/console/switch", url.Values{"csrf": {csrf}, "account": {acctA}, "role": {"ReadOnly"}}, b.srv.URL)
	if status != 200 {
		t.Fatalf("switch: %d\n%s", status, page)
	}
	mustContain(t, page, ">ReadOnly@"+acctA+"</span>", "arn:aws:sts::"+acctA+":assumed-role/ReadOnly/alice", `id="switch-back"`)

	status, page = b.get("/console/users")
	if status != 403 {
		t.Fatalf("denied page status %d", status)
	}
	mustContain(t, page, "AccessDenied", "User: arn:aws:sts::"+acctA+":assumed-role/ReadOnly/alice is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::"+acctA+":user/ because no identity-based policy allows the iam:ListUsers action")

	status, page = b.post("/console/users/create", url.Values{"csrf": {csrf}, "username": {"mallory"}}, b.srv.URL)
	if status != 403 {
		t.Fatalf("create user as role: %d", status)
	}
	mustContain(t, page, "is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::"+acctA+":user/mallory because no identity-based policy allows the iam:CreateUser action")

	_, page = b.post("/console/switchback", url.Values{"csrf": {csrf}}, b.srv.URL)
	mustContain(t, page, "arn:aws:iam::"+acctA+":user/alice</span>")
	if strings.Contains(page, "switch-back") {
		t.Fatal("still switched after Switch back")
	}

	_, page = b.get("/console/switch")
	mustContain(t, page, "Recently used roles", "ReadOnly@"+acctA)

	_, page = b.get("/console/graph")
	mustContain(t, page, "<svg", "account "+acctB, "node principal kind-aws foreign", "edge conditional", "ec2.amazonaws.com", ">ReadOnly<")

	_, page = b.post("/console/signout", url.Values{"csrf": {csrf}}, b.srv.URL)
	mustContain(t, page, "You have signed out")
	_, page = b.get("/console/users")
	mustContain(t, page, `id="form-keys"`)
}

func TestConsoleRootCannotSwitch(t *testing.T) {
	b, _ := newBrowser(t, nil)
	if status, page := b.signInKeys(rootKey, rootSecret); status != 200 || !strings.Contains(page, "arn:aws:iam::"+acctA+":root") {
		t.Fatalf("root sign-in: %d\n%s", status, page)
	}
	_, page := b.get("/console/switch")
	status, page := b.post("/console/switch", url.Values{"csrf": {csrfOf(t, page)}, "account": {acctA}, "role": {"ReadOnly"}}, b.srv.URL)
	if status != 403 {
		t.Fatalf("root switch: %d", status)
	}
	mustContain(t, page, "AccessDenied", "Roles may not be assumed by root accounts.")
}

func TestConsoleSignInFailures(t *testing.T) {
	b, _ := newBrowser(t, nil)
	status, page := b.signInKeys(rootKey, "wrong-secret")
	if status != 401 {
		t.Fatalf("wrong secret: %d", status)
	}
	mustContain(t, page, msgBadKeys)
	if strings.Contains(page, "SignatureDoesNotMatch") {
		t.Fatal("sign-in failure leaks the API's reason")
	}
	if status, _ := b.signInKeys("ASIAFAKE000000000001", rootSecret); status != 401 {
		t.Fatalf("temporary key: %d", status)
	}
	// Without the double-submit token, or from another origin: refused.
	if status, _ := b.post("/console/signin", url.Values{"method": {methodAccessKey}, "access_key_id": {rootKey}, "secret_access_key": {rootSecret}}, b.srv.URL); status != 403 {
		t.Fatalf("sign-in without CSRF token: %d", status)
	}
	_, page = b.get("/console/signin")
	if status, _ := b.post("/console/signin", url.Values{"csrf": {csrfOf(t, page)}, "method": {methodAccessKey}, "access_key_id": {rootKey}, "secret_access_key": {rootSecret}}, "http://evil.example"); status != 403 {
		t.Fatalf("cross-origin sign-in: %d", status)
	}
}

func TestConsolePostsNeedSessionCSRF(t *testing.T) {
	b, api := newBrowser(t, nil)
	b.signInKeys(aliceKey, aliceSec)
	n := len(api.seen)
	if status, _ := b.post("/console/switch", url.Values{"csrf": {"forged"}, "account": {acctA}, "role": {"ReadOnly"}}, b.srv.URL); status != 403 {
		t.Fatalf("forged token: %d", status)
	}
	_, page := b.get("/console/switch")
	if status, _ := b.post("/console/switch", url.Values{"csrf": {csrfOf(t, page)}, "account": {acctA}, "role": {"ReadOnly"}}, "http://evil.example"); status != 403 {
		t.Fatalf("cross-origin switch: %d", status)
	}
	for _, s := range api.seen[n:] {
		if strings.HasPrefix(s, "AssumeRole") {
			t.Fatalf("a refused form reached the API: %v", api.seen[n:])
		}
	}
}

func TestConsolePasswordSignIn(t *testing.T) {
	check := func(ctx context.Context, account, user, password string) (Principal, error) {
		if account == acctA && user == "alice" && password == "correct horse" {
			return Principal{Account: acctA, ARN: "arn:aws:iam::" + acctA + ":user/alice", ID: "AIDAALICE"}, nil
		}
		return Principal{}, errors.New("no")
	}
	b, api := newBrowser(t, check)
	_, page := b.get("/console/signin")
	csrf := csrfOf(t, page)
	status, page := b.post("/console/signin", url.Values{"csrf": {csrf}, "method": {methodPassword}, "account": {acctA}, "username": {"alice"}, "password": {"wrong"}}, "")
	if status != 401 || !strings.Contains(page, msgBadPassword) {
		t.Fatalf("wrong password: %d\n%s", status, page)
	}
	status, page = b.post("/console/signin", url.Values{"csrf": {csrf}, "method": {methodPassword}, "account": {acctA}, "username": {"alice"}, "password": {"correct horse"}}, "")
	if status != 200 {
		t.Fatalf("password sign-in: %d\n%s", status, page)
	}
	mustContain(t, page, "arn:aws:iam::"+acctA+":user/alice</span>")
	if api.extra[ExtraConsoleSignIn] != methodPassword {
		t.Fatalf("extra %v", api.extra)
	}
}

func TestTrustEdges(t *testing.T) {
	doc := url.PathEscape(`{"Statement":{"Effect":"Deny","Principal":"*","Action":["sts:AssumeRole","sts:TagSession"]}}`)
	e := trustEdges(doc)
	if len(e) != 1 || e[0].Kind != "*" || !e[0].Deny || len(e[0].Actions) != 1 {
		t.Fatalf("edges %+v", e)
	}
	e = trustEdges(`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012","Federated":"arn:aws:iam::111111111111:oidc-provider/x"},"Action":"sts:AssumeRoleWithWebIdentity"},{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}`)
	if len(e) != 2 || e[0].Kind != "AWS" || e[0].Account != "123456789012" || e[0].Label() != "account 123456789012" || e[1].Kind != "Federated" || e[1].Account != acctA {
		t.Fatalf("edges %+v", e)
	}
	if got := prettyDocument(url.PathEscape(`{"a":"b c+d"}`)); got != "{\n  \"a\": \"b c+d\"\n}" {
		t.Fatalf("pretty %q", got)
	}
}

func TestTrustGraphEscapes(t *testing.T) {
	svg := string(trustGraph(acctA, []graphRole{{Name: `<script>x</script>`, ARN: "arn", Edges: []trustEdge{{Kind: "AWS", Principal: `"><script>`, Actions: []string{"sts:AssumeRole"}}}}}))
	if strings.Contains(svg, "<script>") {
		t.Fatalf("unescaped: %s", svg)
	}
}
