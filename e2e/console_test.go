package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/chromedp/chromedp"
)

// The console scenario (SCENARIOS.md 23) in a real browser: headless
// Chromium, driven by chromedp, against a real hatrack serve. Screenshots
// of each step go to e2e/screenshots/ (git-ignored) as artifacts.

const (
	chromiumPath    = "/usr/bin/chromium"
	accountB        = "222222222222"
	alicePassword   = "Correct-Horse-Battery-9"
	readOnlyPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*","sts:GetCallerIdentity"],"Resource":"*"}]}`
	aliceSelfPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole"],"Resource":"arn:aws:iam::111111111111:role/*"},{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`
)

// browser starts headless Chromium with a fresh profile. A missing
// Chromium skips the test, and fails it under CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := requireTool(t, chromiumPath)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		if os.Getenv("CI") == "true" {
			t.Fatalf("starting Chromium: %v", err)
		}
		t.Skipf("Chromium does not start: %v", err)
	}
	return ctx
}

// shot saves a full-page screenshot to e2e/screenshots/<name>.png.
func shot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		if err := os.MkdirAll("screenshots", 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join("screenshots", name+".png"), buf, 0o644)
	})
}

// setUpConsoleWorld creates, through the Go SDK as root: alice with a
// console password who may assume roles and read IAM, a ReadOnly role
// alice may assume (IAM reads only), and an Auditor role trusted by
// another account under a condition.
func setUpConsoleWorld(t *testing.T, s *Server) {
	t.Helper()
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	must(root.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("alice"), Password: aws.String(alicePassword)}))
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("self"), PolicyDocument: aws.String(aliceSelfPolicy)}))
	must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ReadOnly"), Description: aws.String("reads IAM"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountA + `:user/alice"},"Action":"sts:AssumeRole"}]}`)}))
	pol := must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("IAMRead"), PolicyDocument: aws.String(readOnlyPolicy)}))
	must(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("ReadOnly"), PolicyArn: pol.Policy.Arn}))
	must(root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Auditor"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountB + `:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}))
}

// text stores the visible text of the first element sel matches.
func text(sel string, out *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)(ctx, t)
		*out = strings.TrimSpace(v)
		return err
	})
}

// outerHTML stores the markup of the first element sel matches.
func outerHTML(sel string, out *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := chromedp.OuterHTML(chromedp.CSS(sel))(ctx, t)
		*out = v
		return err
	})
}

// location stores the page's URL.
func location(out *string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := chromedp.Location()(ctx, t)
		*out = v
		return err
	})
}

// pageText is the text of the page's main element, for failure messages.
func pageText(ctx context.Context) string {
	v, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	return v
}

// signInAlice signs alice in with her password from the sign-in page.
func signInAlice(s *Server) chromedp.Action[chromedp.Void] { return signInAliceAt(s, accountA) }

// signInAliceAt is signInAlice typing account (an id or an alias).
func signInAliceAt(s *Server, account string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(s.URL+"/"), // a browser at "/" is sent to the console
		chromedp.WaitVisible(chromedp.CSS("#form-password")),
		shot("console-01-signin"),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name=account]`), account),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name=username]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name=password]`), alicePassword),
		chromedp.Click(chromedp.CSS(`#form-password button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#identity")),
	)
}

func TestConsoleSwitchRoleDeniedSwitchBack(t *testing.T) {
	s := StartServer(t)
	setUpConsoleWorld(t, s)
	ctx := browser(t)

	var ident, callerARN string
	if err := chromedp.Do(ctx, signInAlice(s), text("#identity", &ident), text("#caller-arn", &callerARN), shot("console-02-home")); err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::" + accountA + ":user/alice"; ident != want || callerARN != want {
		t.Fatalf("identity after sign-in: banner %q, caller %q; want %q", ident, callerARN, want)
	}

	// Switch role by account and role name.
	var errText string
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#switch-role")),
		chromedp.WaitVisible(chromedp.CSS("#form-switch")),
		chromedp.SendKeys(chromedp.CSS("#switch-account"), accountA),
		chromedp.SendKeys(chromedp.CSS("#switch-rolename"), "ReadOnly"),
		shot("console-03-switch-form"),
		chromedp.Click(chromedp.CSS("#switch-submit")),
		chromedp.WaitVisible(chromedp.CSS("#switch-back")),
		text("#identity", &ident), text("#caller-arn", &callerARN),
		shot("console-04-switched"),
	)
	if err != nil {
		t.Fatalf("switch role: %v\npage: %s", err, pageText(ctx))
	}
	if ident != "ReadOnly@"+accountA {
		t.Fatalf("banner after switching: %q", ident)
	}
	if callerARN != "arn:aws:sts::"+accountA+":assumed-role/ReadOnly/alice" {
		t.Fatalf("caller after switching: %q", callerARN)
	}

	// The role reads IAM...
	var users string
	if err := chromedp.Do(ctx, chromedp.Navigate(s.URL+"/console/users"), text("#users", &users), shot("console-05-users-as-role")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(users, "alice") {
		t.Fatalf("users page as ReadOnly: %q", users)
	}
	// ...but may not create a user: the console shows the API's denial.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#create-username"), "mallory"),
		chromedp.Click(chromedp.CSS("#create-user")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
		text("#error .message", &errText),
		shot("console-06-denied"),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := "User: arn:aws:sts::" + accountA + ":assumed-role/ReadOnly/alice is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::" +
		accountA + ":user/mallory because no identity-based policy allows the iam:CreateUser action"
	if errText != want {
		t.Fatalf("denial message:\n got %q\nwant %q", errText, want)
	}
	// The same call through the SDK with the same kind of credentials gives
	// the same message: checked by the API tests; here the code is shown too.
	var code string
	if err := chromedp.Do(ctx, text("#error .code", &code)); err != nil || !strings.HasPrefix(code, "AccessDenied") {
		t.Fatalf("error code %q (%v)", code, err)
	}

	// The trust graph, read as the role.
	var graph, table string
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/console/graph"),
		chromedp.WaitVisible(chromedp.CSS("#trust-graph svg")),
		text("#trust-table", &table),
		outerHTML("#trust-graph", &graph),
		shot("console-07-trust-graph"),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"arn:aws:iam::" + accountA + ":user/alice", "arn:aws:iam::" + accountB + ":root", "ReadOnly", "Auditor"} {
		if !strings.Contains(table, w) {
			t.Fatalf("trust table lacks %q: %q", w, table)
		}
	}
	if !strings.Contains(graph, "foreign") || !strings.Contains(graph, "conditional") {
		t.Fatalf("graph does not mark the other account's conditional trust: %s", graph)
	}

	// Switch back to alice.
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/console/"),
		chromedp.Click(chromedp.CSS("#switch-back")),
		chromedp.WaitVisible(chromedp.CSS("#switch-role")),
		text("#identity", &ident), text("#caller-arn", &callerARN),
		shot("console-08-switched-back"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:iam::" + accountA + ":user/alice"; ident != want || callerARN != want {
		t.Fatalf("after Switch back: banner %q, caller %q", ident, callerARN)
	}

	// Sign out: the console no longer opens.
	var signin string
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS("#form-keys")),
		chromedp.Navigate(s.URL+"/console/users"),
		chromedp.WaitVisible(chromedp.CSS("#form-keys")),
		location(&signin),
	)
	if err != nil || !strings.HasSuffix(signin, "/console/signin") {
		t.Fatalf("after sign-out: %q %v", signin, err)
	}
}

// TestConsoleSignedInUserReadsIAM: a person signed in to the console uses
// IAM with their own permissions (a console session is not a
// GetSessionToken session without MFA, which IAM would refuse).
func TestConsoleSignedInUserReadsIAM(t *testing.T) {
	s := StartServer(t)
	setUpConsoleWorld(t, s)
	ctx := browser(t)
	var roles string
	err := chromedp.Do(ctx, signInAlice(s),
		chromedp.Navigate(s.URL+"/console/roles"),
		chromedp.WaitVisible(chromedp.CSS("#roles, #error")),
		shot("console-09-roles-as-alice"),
	)
	if err != nil {
		t.Fatal(err)
	}
	roles = pageText(ctx)
	if !strings.Contains(roles, "arn:aws:iam::"+accountA+":role/ReadOnly") {
		t.Fatalf("roles page as alice:\n%s", roles)
	}
}

// "Account ID or alias": the account's alias (in any case) signs in to
// the same account; an alias nobody has is a failed sign-in.
func TestConsoleSignInByAlias(t *testing.T) {
	s := StartServer(t)
	setUpConsoleWorld(t, s)
	must(iamClient(s, rootCreds).CreateAccountAlias(context.Background(), &iam.CreateAccountAliasInput{AccountAlias: aws.String("acme-dev")}))
	ctx := browser(t)
	var ident, errText string
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/console/signin"),
		chromedp.WaitVisible(chromedp.CSS("#form-password")),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name=account]`), "no-such-alias"),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name=username]`), "alice"),
		chromedp.SendKeys(chromedp.CSS(`#form-password input[name=password]`), alicePassword),
		chromedp.Click(chromedp.CSS(`#form-password button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
		text("#signin-error", &errText),
	)
	if err != nil {
		t.Fatal(err)
	}
	if errText == "" {
		t.Fatal("an unknown alias signed in without an error")
	}
	if err := chromedp.Do(ctx, signInAliceAt(s, "Acme-Dev"), text("#identity", &ident)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ident, "arn:aws:iam::"+accountA+":user/alice") {
		t.Fatalf("identity after alias sign-in: %q", ident)
	}
}

func TestConsoleRootSignInWithKeys(t *testing.T) {
	s := StartServer(t)
	ctx := browser(t)
	var ident, errText string
	err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/console/signin"),
		chromedp.WaitVisible(chromedp.CSS("#form-keys")),
		chromedp.SendKeys(chromedp.CSS("#access_key_id"), rootKeyID),
		chromedp.SendKeys(chromedp.CSS("#secret_access_key"), "not-the-secret"),
		chromedp.Click(chromedp.CSS("#signin-keys")),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
		text("#signin-error", &errText),
		chromedp.SendKeys(chromedp.CSS("#secret_access_key"), rootSecret),
		chromedp.Click(chromedp.CSS("#signin-keys")),
		chromedp.WaitVisible(chromedp.CSS("#identity")),
		text("#identity", &ident),
		shot("console-10-root"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if errText != "The access key ID or secret access key is not valid." {
		t.Fatalf("wrong-secret message %q", errText)
	}
	if ident != "arn:aws:iam::"+accountA+":root" {
		t.Fatalf("root banner %q", ident)
	}
	// Root may not switch roles (AWS: "Roles may not be assumed by root
	// accounts."): the console shows the API's refusal.
	var msg string
	err = chromedp.Do(ctx,
		chromedp.Navigate(s.URL+"/console/switch?account="+accountA+"&roleName=Nope"),
		chromedp.WaitVisible(chromedp.CSS("#form-switch")),
		chromedp.Click(chromedp.CSS("#switch-submit")),
		chromedp.WaitVisible(chromedp.CSS("#error")),
		text("#error .message", &msg),
	)
	if err != nil {
		t.Fatal(err)
	}
	if msg != "Roles may not be assumed by root accounts." {
		t.Fatalf("root switch message %q", msg)
	}
}
