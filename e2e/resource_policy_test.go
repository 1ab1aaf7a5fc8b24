package e2e

// Scenario 19 (SCENARIOS.md): cross-account through a resource policy,
// with Hatrack as the IAM of another service: the service stores a
// resource policy for its resource and forwards the requests it receives
// to Hatrack's authorization endpoint, through authzclient.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hatrack/hatrack/authzclient"
	"github.com/hatrack/hatrack/internal/sigv4"
)

const queueA = "arn:aws:sqs:us-east-1:" + accountA + ":queue-a"

// signedBy builds a request to the (fictional) queue service signed by c,
// as the service would receive it.
func signedBy(t *testing.T, c Creds, body string) (*http.Request, []byte) {
	t.Helper()
	b := []byte(body)
	r, err := http.NewRequest(http.MethodPost, "https://sqs.us-east-1.example.test/", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sigv4.Sign(r, b, sigv4.Credentials{AccessKeyID: c.ID, SecretAccessKey: c.Secret, SessionToken: c.Token}, "us-east-1", "sqs", time.Now())
	return r, b
}

func wantDecision(t *testing.T, out *authzclient.AuthorizeOutput, err error, decision, principal, msg string) {
	t.Helper()
	if err != nil {
		t.Fatalf("authorize: %v", err)
	}
	if out.Decision != decision {
		t.Fatalf("decision %s (%s), want %s", out.Decision, out.Message, decision)
	}
	if principal != "" && out.Principal.Arn != principal {
		t.Fatalf("principal %+v, want %s", out.Principal, principal)
	}
	if msg == "" && out.Message != "" && decision == authzclient.Allowed {
		t.Fatalf("allowed with message %q", out.Message)
	}
	if msg != "" && out.Message != msg {
		t.Fatalf("message\n %q\nwant\n %q", out.Message, msg)
	}
}

func wantClientErr(t *testing.T, err error, code string, forwarded bool) {
	t.Helper()
	e, ok := authzclient.AsError(err)
	if !ok {
		t.Fatalf("want %s, got %v", code, err)
	}
	if e.Code != code || e.Forwarded != forwarded {
		t.Fatalf("want %s (forwarded %v), got %+v", code, forwarded, e)
	}
}

func userWithKey(t *testing.T, ctx context.Context, c *iamsdk.Client, name string) Creds {
	t.Helper()
	must(c.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String(name)}))
	k := must(c.CreateAccessKey(ctx, &iamsdk.CreateAccessKeyInput{UserName: aws.String(name)})).AccessKey
	return Creds{ID: aws.ToString(k.AccessKeyId), Secret: aws.ToString(k.SecretAccessKey)}
}

func TestResourcePolicyAuthorization(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()

	// Account B, a member of A's organization, with its user bob.
	st := must(orgsClient(s, rootCreds).CreateAccount(ctx, &organizations.CreateAccountInput{
		AccountName: aws.String("b"), Email: aws.String("b@example.com")})).CreateAccountStatus
	if st.State != orgtypes.CreateAccountStateSucceeded {
		t.Fatalf("create account %+v", st)
	}
	accountB := aws.ToString(st.AccountId)
	iamB := iamClient(s, memberRootKeys(t, s, accountB))
	bob := userWithKey(t, ctx, iamB, "bob")
	bobARN := "arn:aws:iam::" + accountB + ":user/bob"
	allowSend := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"` + queueA + `"}]}`
	must(iamB.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("send"), PolicyDocument: aws.String(allowSend)}))

	// Account A: alice (no identity policy) and a role she may assume.
	iamA := iamClient(s, rootCreds)
	alice := userWithKey(t, ctx, iamA, "alice")
	aliceARN := "arn:aws:iam::" + accountA + ":user/alice"
	must(iamA.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("worker"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":"sts:AssumeRole"}]}`)}))

	// The service is A's root.
	svc := authzclient.New(s.URL, authzclient.Credentials{AccessKeyID: rootKeyID, SecretAccessKey: rootSecret}, "us-east-1")
	resourcePolicy := func(extra string) string {
		return `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"FromB","Effect":"Allow","Principal":{"AWS":"` + bobARN + `"},"Action":"sqs:SendMessage","Resource":"` + queueA + `"},` +
			`{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"` + aliceARN + `"},"Action":"sqs:SendMessage","Resource":"` + queueA + `"},` +
			`{"Sid":"Worker","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountA + `:role/worker"},"Action":"sqs:ReceiveMessage","Resource":"` + queueA + `"}` +
			extra + `]}`
	}
	doc := resourcePolicy("")
	if _, err := svc.PutResourcePolicy(ctx, queueA, doc); err != nil {
		t.Fatal(err)
	}
	got, err := svc.GetResourcePolicy(ctx, queueA)
	if err != nil || got.PolicyDocument != doc || got.ResourceArn != queueA {
		t.Fatalf("get %+v %v", got, err)
	}
	_, err = svc.GetResourcePolicy(ctx, strings.ToUpper(queueA[:4])+queueA[4:])
	if err == nil {
		t.Fatal("ARNs must be case-sensitive")
	}
	list, next, err := svc.ListResourcePolicies(ctx, "", 0)
	if err != nil || len(list) != 1 || list[0].ResourceArn != queueA || next != "" {
		t.Fatalf("list %+v %q %v", list, next, err)
	}
	// A policy without principals is not a resource policy.
	_, err = svc.PutResourcePolicy(ctx, queueA, allowSend)
	wantClientErr(t, err, "MalformedPolicyDocument", false)
	// B may not store a policy on A's resource.
	bsvc := authzclient.New(s.URL, authzclient.Credentials{AccessKeyID: bob.ID, SecretAccessKey: bob.Secret}, "us-east-1")
	_, err = bsvc.PutResourcePolicy(ctx, queueA, doc)
	wantClientErr(t, err, "AccessDeniedException", false)

	// B's user reaches A's queue with its own credentials: both sides allow.
	r, body := signedBy(t, bob, "Action=SendMessage&MessageBody=hi")
	out, err := svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.Allowed, bobARN, "")
	if out.Principal.Account != accountB || out.Principal.Type != "User" || !strings.HasPrefix(out.Principal.UserId, "AIDA") {
		t.Fatalf("principal %+v", out.Principal)
	}
	if len(out.MatchedStatements) == 0 {
		t.Fatalf("no matched statements: %+v", out)
	}

	// A service of account B asks about A's queue: refused until A's
	// resource policy grants B hatrack:Authorize; then it gets the answer.
	bRoot := memberRootKeys(t, s, accountB)
	bService := authzclient.New(s.URL, authzclient.Credentials{AccessKeyID: bRoot.ID, SecretAccessKey: bRoot.Secret}, "us-east-1")
	_, err = bService.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantClientErr(t, err, "AccessDeniedException", false)
	grantB := resourcePolicy(`,{"Sid":"ServiceB","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + accountB + `:root"},"Action":"hatrack:Authorize","Resource":"` + queueA + `"}`)
	if _, err := svc.PutResourcePolicy(ctx, queueA, grantB); err != nil {
		t.Fatal(err)
	}
	out, err = bService.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.Allowed, bobARN, "")
	// The grant names the resource: another of A's resources stays closed.
	_, err = bService.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA+"-other")
	wantClientErr(t, err, "AccessDeniedException", false)
	if _, err := svc.PutResourcePolicy(ctx, queueA, doc); err != nil {
		t.Fatal(err)
	}
	_, err = bService.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantClientErr(t, err, "AccessDeniedException", false)

	// Without B's identity allow, the resource policy alone is not enough
	// across accounts.
	must(iamB.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("send")}))
	out, err = svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.ImplicitDeny, bobARN,
		"User: "+bobARN+" is not authorized to perform: sqs:SendMessage on resource: "+queueA+" because no identity-based policy allows the sqs:SendMessage action")
	must(iamB.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("send"), PolicyDocument: aws.String(allowSend)}))
	out, err = svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.Allowed, bobARN, "")

	// An explicit deny in the resource policy wins.
	denyBob := `,{"Sid":"NoBob","Effect":"Deny","Principal":{"AWS":"` + bobARN + `"},"Action":"sqs:*","Resource":"*"}`
	if _, err := svc.PutResourcePolicy(ctx, queueA, resourcePolicy(denyBob)); err != nil {
		t.Fatal(err)
	}
	out, err = svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.ExplicitDeny, bobARN,
		"User: "+bobARN+" is not authorized to perform: sqs:SendMessage on resource: "+queueA+" with an explicit deny in a resource-based policy")
	if len(out.MatchedStatements) != 1 || out.MatchedStatements[0].Sid != "NoBob" || out.MatchedStatements[0].PolicyType != "resource" ||
		out.MatchedStatements[0].Effect != "Deny" {
		t.Fatalf("matched %+v", out.MatchedStatements)
	}
	// … and so does one in B's identity policy.
	if _, err := svc.PutResourcePolicy(ctx, queueA, doc); err != nil {
		t.Fatal(err)
	}
	must(iamB.PutUserPolicy(ctx, &iamsdk.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"sqs:SendMessage","Resource":"*"}]}`)}))
	out, err = svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.ExplicitDeny, bobARN,
		"User: "+bobARN+" is not authorized to perform: sqs:SendMessage on resource: "+queueA+" with an explicit deny in an identity-based policy")
	must(iamB.DeleteUserPolicy(ctx, &iamsdk.DeleteUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("deny")}))

	// Same account: the resource policy alone grants alice.
	ra, abody := signedBy(t, alice, "Action=SendMessage&MessageBody=a")
	out, err = svc.AuthorizeRequest(ctx, ra, abody, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.Allowed, aliceARN, "")
	// … but not on a resource without a policy, nor for another action.
	out, err = svc.AuthorizeRequest(ctx, ra, abody, "sqs:SendMessage", queueA+"-other")
	wantDecision(t, out, err, authzclient.ImplicitDeny, aliceARN,
		"User: "+aliceARN+" is not authorized to perform: sqs:SendMessage on resource: "+queueA+"-other because no identity-based policy allows the sqs:SendMessage action")
	out, err = svc.AuthorizeRequest(ctx, ra, abody, "sqs:DeleteQueue", queueA)
	wantDecision(t, out, err, authzclient.ImplicitDeny, aliceARN, "")

	// A tampered forwarded request fails authentication.
	out, err = svc.AuthorizeRequest(ctx, r, []byte("Action=SendMessage&MessageBody=evil"), "sqs:SendMessage", queueA)
	if out != nil {
		t.Fatalf("tampered request decided: %+v", out)
	}
	wantClientErr(t, err, "SignatureDoesNotMatch", true)
	rt, tbody := signedBy(t, bob, "Action=SendMessage")
	rt.Header.Set("Content-Type", "text/plain")
	_, err = svc.AuthorizeRequest(ctx, rt, tbody, "sqs:SendMessage", queueA)
	wantClientErr(t, err, "SignatureDoesNotMatch", true)

	// AccessKeyId + SessionToken: a role session the service authenticated.
	cr := must(stsClient(s, alice).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accountA + ":role/worker"),
		RoleSessionName: aws.String("job")})).Credentials
	sessionARN := "arn:aws:sts::" + accountA + ":assumed-role/worker/job"
	out, err = svc.Authorize(ctx, authzclient.AuthorizeInput{Action: "sqs:ReceiveMessage", Resource: queueA,
		AccessKeyId: aws.ToString(cr.AccessKeyId), SessionToken: aws.ToString(cr.SessionToken)})
	wantDecision(t, out, err, authzclient.Allowed, sessionARN, "")
	if out.Principal.Type != "AssumedRole" {
		t.Fatalf("principal %+v", out.Principal)
	}
	out, err = svc.Authorize(ctx, authzclient.AuthorizeInput{Action: "sqs:SendMessage", Resource: queueA,
		AccessKeyId: aws.ToString(cr.AccessKeyId), SessionToken: aws.ToString(cr.SessionToken)})
	wantDecision(t, out, err, authzclient.ImplicitDeny, sessionARN, "")
	_, err = svc.Authorize(ctx, authzclient.AuthorizeInput{Action: "sqs:ReceiveMessage", Resource: queueA,
		AccessKeyId: aws.ToString(cr.AccessKeyId), SessionToken: "forged"})
	if e, ok := authzclient.AsError(err); !ok || !e.Forwarded {
		t.Fatalf("forged session token: %v", err)
	}

	// The caller of Authorize must be allowed hatrack:Authorize.
	asvc := authzclient.New(s.URL, authzclient.Credentials{AccessKeyID: alice.ID, SecretAccessKey: alice.Secret}, "us-east-1")
	_, err = asvc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantClientErr(t, err, "AccessDeniedException", false)
	// Context keys that come from the principal cannot be supplied.
	_, err = svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA,
		authzclient.ContextEntry{Key: "aws:PrincipalArn", Type: "String", Values: []string{aliceARN}})
	wantClientErr(t, err, "ValidationException", false)

	// A real service: an HTTP server that forwards what it receives.
	queue := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		out, err := svc.AuthorizeRequest(req.Context(), req, b, "sqs:SendMessage", queueA)
		switch {
		case err != nil:
			e, _ := authzclient.AsError(err)
			http.Error(w, e.Code, http.StatusForbidden)
		case !out.Allowed():
			http.Error(w, out.Message, http.StatusForbidden)
		default:
			io.WriteString(w, "sent by "+out.Principal.Arn)
		}
	}))
	defer queue.Close()
	send := func(c Creds, body string, tamper bool) (int, string) {
		t.Helper()
		b := []byte(body)
		req := must(http.NewRequest(http.MethodPost, queue.URL+"/queue-a?Version=2012-11-05", bytes.NewReader(b)))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sigv4.Sign(req, b, sigv4.Credentials{AccessKeyID: c.ID, SecretAccessKey: c.Secret, SessionToken: c.Token}, "us-east-1", "sqs", time.Now())
		if tamper {
			req.URL.RawQuery = "Version=2099-01-01"
		}
		resp := must(http.DefaultClient.Do(req))
		defer resp.Body.Close()
		rb, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(rb))
	}
	if code, msg := send(bob, "Action=SendMessage&MessageBody=hello", false); code != 200 || msg != "sent by "+bobARN {
		t.Fatalf("service answered %d %q", code, msg)
	}
	if code, msg := send(bob, "Action=SendMessage&MessageBody=hello", true); code != 403 || msg != "SignatureDoesNotMatch" {
		t.Fatalf("tampered: service answered %d %q", code, msg)
	}
	if code, msg := send(alice, "", false); code != 200 || msg != "sent by "+aliceARN {
		t.Fatalf("alice: service answered %d %q", code, msg)
	}

	if err := svc.DeleteResourcePolicy(ctx, queueA); err != nil {
		t.Fatal(err)
	}
	out, err = svc.AuthorizeRequest(ctx, r, body, "sqs:SendMessage", queueA)
	wantDecision(t, out, err, authzclient.ImplicitDeny, bobARN,
		"User: "+bobARN+" is not authorized to perform: sqs:SendMessage on resource: "+queueA+" because no resource-based policy allows the sqs:SendMessage action")
}
