package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Creds are access keys (and a session token for temporary ones).
type Creds struct {
	ID, Secret, Token string
}

var rootCreds = Creds{rootKeyID, rootSecret, ""}

func awsConfig(s *Server, c Creds) aws.Config {
	return aws.Config{
		Region:           "us-west-2", // a custom endpoint is signed with the client's own region
		Credentials:      credentials.NewStaticCredentialsProvider(c.ID, c.Secret, c.Token),
		BaseEndpoint:     aws.String(s.URL),
		RetryMaxAttempts: 1,
	}
}

func stsClient(s *Server, c Creds) *sts.Client { return sts.NewFromConfig(awsConfig(s, c)) }
func iamClient(s *Server, c Creds) *iam.Client { return iam.NewFromConfig(awsConfig(s, c)) }

// apiErr asserts err is an AWS API error with the code, HTTP status and a
// message containing msg.
func apiErr(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want code %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if msg != "" && !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("want message containing %q, got %q", msg, ae.ErrorMessage())
	}
	var re *awshttp.ResponseError
	if status != 0 && errors.As(err, &re) && re.HTTPStatusCode() != status {
		t.Fatalf("want HTTP %d, got %d", status, re.HTTPStatusCode())
	}
}

// must returns v or fails the test by panicking with err (the test's
// cleanups still run and stop its servers).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestGoSDKIdentityAndKeys(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	rootSTS, rootIAM := stsClient(s, rootCreds), iamClient(s, rootCreds)

	id := must(rootSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:iam::"+accountA+":root" || aws.ToString(id.UserId) != accountA || aws.ToString(id.Account) != accountA {
		t.Fatalf("root identity: %+v", id)
	}

	u := must(rootIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice"), Path: aws.String("/eng/")}))
	if got := aws.ToString(u.User.Arn); got != "arn:aws:iam::"+accountA+":user/eng/alice" {
		t.Fatalf("user ARN %s", got)
	}
	if !strings.HasPrefix(aws.ToString(u.User.UserId), "AIDA") || len(aws.ToString(u.User.UserId)) != 21 {
		t.Fatalf("user id %s", aws.ToString(u.User.UserId))
	}
	_, err := rootIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("ALICE")})
	apiErr(t, err, "EntityAlreadyExists", 409, "User with name ALICE already exists.")
	_, err = rootIAM.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bad name")})
	apiErr(t, err, "ValidationError", 400, "at 'userName' failed to satisfy constraint")
	_, err = rootIAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nobody")})
	apiErr(t, err, "NoSuchEntity", 404, "The user with name nobody cannot be found.")

	k := must(rootIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	alice := Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
	if !strings.HasPrefix(alice.ID, "AKIA") || len(alice.Secret) != 40 {
		t.Fatalf("key %q secret length %d", alice.ID, len(alice.Secret))
	}
	id = must(stsClient(s, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != aws.ToString(u.User.Arn) || aws.ToString(id.UserId) != aws.ToString(u.User.UserId) {
		t.Fatalf("alice identity: %+v", id)
	}
	info := must(rootSTS.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(alice.ID)}))
	if aws.ToString(info.Account) != accountA {
		t.Fatalf("GetAccessKeyInfo account %s", aws.ToString(info.Account))
	}

	// At most two keys, counting inactive ones.
	k2 := must(rootIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	_, err = rootIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k2.AccessKey.AccessKeyId, Status: "Inactive"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rootIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")

	// Wrong secret, unknown key, inactive key.
	_, err = stsClient(s, Creds{alice.ID, strings.Repeat("x", 40), ""}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "SignatureDoesNotMatch", 403, "The request signature we calculated does not match")
	_, err = stsClient(s, Creds{"AKIAQZZZZZZZZZZZZZZZ", alice.Secret, ""}).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	inactive := Creds{aws.ToString(k2.AccessKey.AccessKeyId), aws.ToString(k2.AccessKey.SecretAccessKey), ""}
	_, err = stsClient(s, inactive).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "")
	// Active again: takes effect on the next request.
	must(rootIAM.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: k2.AccessKey.AccessKeyId, Status: "Active"}))
	must(stsClient(s, inactive).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))

	keys := must(rootIAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("alice")}))
	if len(keys.AccessKeyMetadata) != 2 {
		t.Fatalf("ListAccessKeys: %d keys", len(keys.AccessKeyMetadata))
	}
	_, err = rootIAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	apiErr(t, err, "DeleteConflict", 409, "must delete access keys first")

	// Restart: nothing acknowledged is lost; keys still verify.
	s.Restart()
	id = must(stsClient(s, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != aws.ToString(u.User.Arn) {
		t.Fatalf("after restart: %+v", id)
	}
	got := must(iamClient(s, rootCreds).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")}))
	if aws.ToString(got.User.UserId) != aws.ToString(u.User.UserId) {
		t.Fatalf("after restart user id %s", aws.ToString(got.User.UserId))
	}

	// Delete a key: refused on the next request.
	must(iamClient(s, rootCreds).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(alice.ID)}))
	_, err = stsClient(s, alice).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "")
}

func TestGoSDKPagination(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	c := iamClient(s, rootCreds)
	for _, n := range []string{"u3", "u1", "U2", "u5", "u4"} {
		must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(n)}))
	}
	var names []string
	p := iam.NewListUsersPaginator(c, &iam.ListUsersInput{MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out := must(p.NextPage(ctx))
		pages++
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
	}
	if strings.Join(names, ",") != "u1,U2,u3,u4,u5" || pages != 3 {
		t.Fatalf("pages=%d names=%v", pages, names)
	}
	_, err := c.ListUsers(ctx, &iam.ListUsersInput{MaxItems: aws.Int32(1001)})
	apiErr(t, err, "ValidationError", 400, "maxItems")
}
