package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/hatrack/hatrack/internal/sigv4"
)

// oidcIssuer is a local OpenID Connect issuer on a loopback port with a
// key generated per run: discovery document, JWKS and token minting.
type oidcIssuer struct {
	URL string // the iss value: http://127.0.0.1:PORT/realm
	key *rsa.PrivateKey
	kid string
	srv *httptest.Server
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &oidcIssuer{key: key, kid: "key-1"}
	iss.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/realm/.well-known/openid-configuration":
			json.NewEncoder(w).Encode(map[string]any{"issuer": iss.URL, "jwks_uri": iss.srv.URL + "/realm/jwks",
				"id_token_signing_alg_values_supported": []string{"RS256"}})
		case "/realm/jwks":
			json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: iss.kid, Use: "sig", Algorithm: "RS256"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(iss.srv.Close)
	iss.URL = iss.srv.URL + "/realm"
	return iss
}

// token signs claims (iss, iat, exp default) with key (nil = the issuer's).
func (i *oidcIssuer) token(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	if key == nil {
		key = i.key
	}
	now := time.Now().Unix()
	full := map[string]any{"iss": i.URL, "iat": now, "exp": now + 600}
	for k, v := range claims {
		if v == nil {
			delete(full, k)
			continue
		}
		full[k] = v
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", i.kid))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(full)
	jws, err := s.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// providerName is the issuer without its scheme (ARN suffix, key prefix).
func (i *oidcIssuer) providerName() string { return strings.TrimPrefix(i.URL, "http://") }

func webIdentityTrust(providerARN, keyPrefix, aud string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN +
		`"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"` + keyPrefix + `:aud":"` + aud + `"}}}]}`
}

// fedServer starts a server that may fetch keys from loopback issuers.
func fedServer(t *testing.T) *Server {
	return StartServer(t, "HATRACK_OIDC_ALLOW_HTTP_LOOPBACK=1")
}

func TestFedOIDCProviderCRUD(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	c := iamClient(s, rootCreds)
	tp := strings.Repeat("9e99a48a9960b14926bb7f3b02e22da2b0ab7280", 1)
	out := must(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://token.actions.githubusercontent.com"), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{tp}, Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("ci")}}}))
	arn := "arn:aws:iam::" + accountA + ":oidc-provider/token.actions.githubusercontent.com"
	if aws.ToString(out.OpenIDConnectProviderArn) != arn || len(out.Tags) != 1 {
		t.Fatalf("create: %+v", out)
	}
	_, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("https://token.actions.githubusercontent.com")})
	apiErrExact(t, err, "EntityAlreadyExists", 409, "Provider with url https://token.actions.githubusercontent.com already exists.")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://insecure.example.com")})
	apiErr(t, err, "InvalidInput", 400, "Invalid Open ID Connect Provider URL")
	_, err = c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String("http://127.0.0.1:9999/x")})
	apiErr(t, err, "InvalidInput", 400, "Invalid Open ID Connect Provider URL") // loopback http only with the server option
	must(c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("extra")}))
	must(c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), ClientID: aws.String("sts.amazonaws.com")}))
	must(c.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: aws.String(arn), ThumbprintList: []string{strings.Repeat("a", 40)}}))
	must(c.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), Tags: []iamtypes.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}))
	must(c.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn), TagKeys: []string{"team"}}))
	g := must(c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	if aws.ToString(g.Url) != "token.actions.githubusercontent.com" || strings.Join(g.ClientIDList, ",") != "extra" ||
		g.ThumbprintList[0] != strings.Repeat("a", 40) || len(g.Tags) != 1 || aws.ToString(g.Tags[0].Key) != "env" || g.CreateDate == nil {
		t.Fatalf("get: %+v", g)
	}
	tags := must(c.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)}))
	if len(tags.Tags) != 1 {
		t.Fatalf("tags %+v", tags.Tags)
	}
	l := must(c.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}))
	if len(l.OpenIDConnectProviderList) != 1 || aws.ToString(l.OpenIDConnectProviderList[0].Arn) != arn {
		t.Fatalf("list %+v", l.OpenIDConnectProviderList)
	}
	must(c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)}))
	_, err = c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(arn)})
	apiErrExact(t, err, "NoSuchEntity", 404, "OpenIDConnect Provider not found for arn "+arn)

	// A user without permissions is denied.
	bob, _ := newUser(t, s, rootCreds, "bob")
	_, err = iamClient(s, bob).ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	apiErr(t, err, "AccessDenied", 403, "iam:ListOpenIDConnectProviders")
}

// Scenario 16: web identity with aws-sdk-go-v2.
func TestFedOIDCWebIdentity(t *testing.T) {
	s := fedServer(t)
	ctx := context.Background()
	issuer := newOIDCIssuer(t)
	c := iamClient(s, rootCreds)
	prov := must(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(issuer.URL), ClientIDList: []string{"client-a", "client-b"}}))
	provARN := aws.ToString(prov.OpenIDConnectProviderArn)
	if provARN != "arn:aws:iam::"+accountA+":oidc-provider/"+issuer.providerName() {
		t.Fatalf("provider ARN %s", provARN)
	}
	role := newRole(t, s, rootCreds, "WebRole", webIdentityTrust(provARN, issuer.providerName(), "client-a"), 0)
	anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1})
	assume := func(tok string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
		return anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn,
			RoleSessionName: aws.String("web-session"), WebIdentityToken: aws.String(tok)})
	}

	out, err := assume(issuer.token(t, nil, map[string]any{"sub": "user-42", "aud": "client-a"}))
	if err != nil {
		t.Fatalf("assume: %v\n%s", err, s.Logs())
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != "user-42" || aws.ToString(out.Audience) != "client-a" ||
		aws.ToString(out.Provider) != issuer.URL ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountA+":assumed-role/WebRole/web-session" {
		t.Fatalf("answer %+v %+v", out, out.AssumedRoleUser)
	}
	id := must(stsClient(s, sessionCreds(out.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:sts::"+accountA+":assumed-role/WebRole/web-session" {
		t.Fatalf("identity %s", aws.ToString(id.Arn))
	}
	// The session's later requests carry the token's sub and aud and the
	// provider (conditions.md): a role policy conditioned on them decides.
	cond := func(sub string) string {
		return `{"StringEquals":{"` + issuer.providerName() + `:sub":"` + sub + `","` + issuer.providerName() +
			`:aud":"client-a","aws:FederatedProvider":"` + provARN + `"}}`
	}
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("WebRole"), PolicyName: aws.String("by-subject"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":` + cond("user-42") + `},` +
			`{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":` + cond("someone-else") + `}]}`)}))
	webIAM := iamClient(s, sessionCreds(out.Credentials))
	if _, err := webIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("WebRole")}); err != nil {
		t.Fatalf("GetRole allowed by the session's sub: %v", err)
	}
	_, err = webIAM.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "")

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, tc := range []struct {
		name, code string
		status     int
		msg        string
		tok        string
	}{
		{"audience the trust refuses", "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity",
			issuer.token(t, nil, map[string]any{"sub": "u", "aud": "client-b"})},
		{"audience unknown to the provider", "InvalidIdentityToken", 400, "Incorrect token audience",
			issuer.token(t, nil, map[string]any{"sub": "u", "aud": "client-z"})},
		{"wrong signer", "InvalidIdentityToken", 400, "", issuer.token(t, other, map[string]any{"sub": "u", "aud": "client-a"})},
		{"tampered payload", "InvalidIdentityToken", 400, "", tamperJWT(issuer.token(t, nil, map[string]any{"sub": "u", "aud": "client-a"}))},
		{"expired", "ExpiredTokenException", 400, "Token expired",
			issuer.token(t, nil, map[string]any{"sub": "u", "aud": "client-a", "iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()})},
		{"unknown provider", "InvalidIdentityToken", 400, "No OpenIDConnect provider found in your account for https://unknown.example.com",
			issuer.token(t, nil, map[string]any{"sub": "u", "aud": "client-a", "iss": "https://unknown.example.com"})},
		{"not a JWT", "InvalidIdentityToken", 400, "", "not-a-token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assume(tc.tok)
			apiErr(t, err, tc.code, tc.status, tc.msg)
		})
	}

	// Session tags and source identity from the token's AWS claims need
	// sts:TagSession / sts:SetSourceIdentity in the trust.
	tagged := issuer.token(t, nil, map[string]any{"sub": "u", "aud": "client-a",
		"https://aws.amazon.com/tags":            map[string]any{"principal_tags": map[string]any{"team": []string{"blue"}}},
		"https://aws.amazon.com/source_identity": "alice"})
	_, err = assume(tagged)
	apiErr(t, err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
	tagTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provARN +
		`"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"` +
		issuer.providerName() + `:sub":"u"}}}]}`
	tagRole := newRole(t, s, rootCreds, "TagRole", tagTrust, 0)
	tout, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: tagRole.Arn,
		RoleSessionName: aws.String("tagged"), WebIdentityToken: aws.String(tagged)})
	if err != nil || aws.ToString(tout.SourceIdentity) != "alice" || tout.PackedPolicySize == nil {
		t.Fatalf("tagged session: %v %+v", err, tout)
	}

	// The SDK's web-identity provider reads the token file on every
	// refresh (what web_identity_token_file does).
	dir := t.TempDir()
	tokFile := filepath.Join(dir, "token")
	os.WriteFile(tokFile, []byte(issuer.token(t, nil, map[string]any{"sub": "pod-1", "aud": "client-a"})), 0o600)
	prov2 := stscreds.NewWebIdentityRoleProvider(anon, aws.ToString(role.Arn), stscreds.IdentityTokenFile(tokFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "sdk-session" })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: aws.NewCredentialsCache(prov2), RetryMaxAttempts: 1}
	id = must(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.HasSuffix(aws.ToString(id.Arn), ":assumed-role/WebRole/sdk-session") {
		t.Fatalf("sdk identity %s", aws.ToString(id.Arn))
	}

	// And the shared-config profile form, web_identity_token_file.
	cfgFile := filepath.Join(dir, "config")
	os.WriteFile(cfgFile, []byte("[profile web]\nrole_arn = "+aws.ToString(role.Arn)+"\nweb_identity_token_file = "+tokFile+
		"\nrole_session_name = profile-session\nregion = us-east-1\n"), 0o600)
	lc, err := config.LoadDefaultConfig(ctx, config.WithSharedConfigFiles([]string{cfgFile}), config.WithSharedCredentialsFiles([]string{os.DevNull}),
		config.WithSharedConfigProfile("web"), config.WithBaseEndpoint(s.URL), config.WithRetryMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	id = must(sts.NewFromConfig(lc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.HasSuffix(aws.ToString(id.Arn), ":assumed-role/WebRole/profile-session") {
		t.Fatalf("profile identity %s", aws.ToString(id.Arn))
	}

	// boto3 with a web_identity_token_file profile.
	py := requireTool(t, "python3")
	requirePy(t, py, "boto3")
	bout, berr, code := run(t, []string{"AWS_CONFIG_FILE=" + cfgFile, "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=web",
		"AWS_ENDPOINT_URL=" + s.URL, "AWS_MAX_ATTEMPTS=1"}, py, "-c",
		"import boto3; print(boto3.client('sts').get_caller_identity()['Arn'])")
	if code != 0 || !strings.Contains(bout, ":assumed-role/WebRole/profile-session") {
		t.Fatalf("boto3 (exit %d): %s\n%s", code, bout, berr)
	}
}

// requirePy fails under CI (skips elsewhere) when a Python module is absent.
func requirePy(t *testing.T, py, module string) {
	t.Helper()
	if out, _, code := run(t, nil, py, "-c", "import "+module); code != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python module %s is required in CI: %s", module, out)
		}
		t.Skipf("python module %s not installed", module)
	}
}

// tamperJWT changes the payload of a compact JWS, keeping its signature.
func tamperJWT(tok string) string {
	parts := strings.Split(tok, ".")
	b, _ := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.RS256})
	var claims map[string]any
	json.Unmarshal(b.UnsafePayloadWithoutVerification(), &claims)
	claims["sub"] = "admin"
	nb, _ := json.Marshal(claims)
	parts[1] = strings.TrimRight(b64url(nb), "=")
	return strings.Join(parts, ".")
}

// Static keys (the Hatrack extension for closed networks): the issuer is
// never contacted; its JWKS is stored on the provider.
func TestFedOIDCStaticKeys(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	issuer := newOIDCIssuer(t)
	c := iamClient(s, rootCreds)
	const url = "https://idp.closed.example/realm"
	prov := must(c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(url), ClientIDList: []string{"client-a"}}))
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &issuer.key.PublicKey, KeyID: issuer.kid}}})
	if code, body := signedIAM(t, s, rootCreds, map[string]string{"Action": "SetOpenIDConnectProviderKeys",
		"OpenIDConnectProviderArn": aws.ToString(prov.OpenIDConnectProviderArn), "Keys": string(jwks)}); code != 200 {
		t.Fatalf("SetOpenIDConnectProviderKeys: %d %s", code, body)
	}
	role := newRole(t, s, rootCreds, "ClosedRole", webIdentityTrust(aws.ToString(prov.OpenIDConnectProviderArn), "idp.closed.example/realm", "client-a"), 0)
	anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1})
	tok := issuer.token(t, nil, map[string]any{"iss": url, "sub": "svc", "aud": "client-a"})
	out, err := anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn,
		RoleSessionName: aws.String("closed"), WebIdentityToken: aws.String(tok)})
	if err != nil || aws.ToString(out.SubjectFromWebIdentityToken) != "svc" {
		t.Fatalf("static keys: %v\n%s", err, s.Logs())
	}
	// Without static keys the unreachable issuer is an IDPCommunicationError.
	if code, body := signedIAM(t, s, rootCreds, map[string]string{"Action": "SetOpenIDConnectProviderKeys",
		"OpenIDConnectProviderArn": aws.ToString(prov.OpenIDConnectProviderArn), "Keys": ""}); code != 200 {
		t.Fatalf("clear keys: %d %s", code, body)
	}
	_, err = anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: role.Arn,
		RoleSessionName: aws.String("closed"), WebIdentityToken: aws.String(tok)})
	apiErr(t, err, "IDPCommunicationError", 400, "")
}

// signedIAM sends a SigV4-signed IAM query request (for Hatrack's
// extension operations, which no SDK knows).
func signedIAM(t *testing.T, s *Server, c Creds, params map[string]string) (int, string) {
	t.Helper()
	form := make([]string, 0, len(params)+1)
	form = append(form, "Version=2010-05-08")
	for k, v := range params {
		form = append(form, urlEscape(k)+"="+urlEscape(v))
	}
	body := []byte(strings.Join(form, "&"))
	r, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	sigv4.Sign(r, body, sigv4.Credentials{AccessKeyID: c.ID, SecretAccessKey: c.Secret, SessionToken: c.Token}, "us-east-1", "iam", time.Now())
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func urlEscape(s string) string { return url.QueryEscape(s) }
