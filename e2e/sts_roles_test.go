package e2e

import (
	"context"
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/hatrack/hatrack/internal/server"
	"github.com/hatrack/hatrack/internal/totp"
)

// Role assumption end to end with aws-sdk-go-v2 (SCENARIOS.md 2–12).

func trustUser(arn string, extra string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + arn + `"},"Action":"sts:AssumeRole"` + extra + `}]}`
}

func allowDoc(action, resource string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + resource + `"}]}`
}

// newUser creates a user with a key, as root of the server's account.
func newUser(t *testing.T, s *Server, admin Creds, name string) (Creds, *iamtypes.User) {
	t.Helper()
	ctx := context.Background()
	c := iamClient(s, admin)
	u := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	return Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}, u.User
}

func newRole(t *testing.T, s *Server, admin Creds, name, trust string, maxDur int32) *iamtypes.Role {
	t.Helper()
	in := &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)}
	if maxDur > 0 {
		in.MaxSessionDuration = aws.Int32(maxDur)
	}
	return must(iamClient(s, admin).CreateRole(context.Background(), in)).Role
}

func sessionCreds(c *ststypes.Credentials) Creds {
	return Creds{aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)}
}

func denyMsg(who, action, res string) string {
	return "User: " + who + " is not authorized to perform: " + action + " on resource: " + res
}

// apiErrExact is apiErr with the whole message.
func apiErrExact(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	apiErr(t, err, code, status, msg)
	if msg != "" && !strings.HasSuffix(err.Error(), msg) {
		t.Fatalf("want message exactly %q, got %v", msg, err)
	}
}

func TestSTSAssumeRoleScenarios(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	omkar, omkarUser := newUser(t, s, rootCreds, "omkar")
	other, otherUser := newUser(t, s, rootCreds, "other")

	// 3. A role for one user, with rds:* from a managed policy.
	role := newRole(t, s, rootCreds, "AWSIAMRoleForRDS", trustUser(aws.ToString(omkarUser.Arn), ""), 0)
	pol := must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("rds-full"), PolicyDocument: aws.String(allowDoc("rds:*", "*"))}))
	must(root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role.RoleName, PolicyArn: pol.Policy.Arn}))

	out := must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("omkar-rds")}))
	wantArn := "arn:aws:sts::" + accountA + ":assumed-role/AWSIAMRoleForRDS/omkar-rds"
	if aws.ToString(out.AssumedRoleUser.Arn) != wantArn || aws.ToString(out.AssumedRoleUser.AssumedRoleId) != aws.ToString(role.RoleId)+":omkar-rds" {
		t.Fatalf("AssumedRoleUser %+v", out.AssumedRoleUser)
	}
	if id := aws.ToString(out.Credentials.AccessKeyId); !strings.HasPrefix(id, "ASIA") || len(id) != 20 {
		t.Fatalf("AccessKeyId %s", id)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("default expiration in %v", d)
	}
	if out.PackedPolicySize != nil {
		t.Fatalf("PackedPolicySize %d without session policy or tags", *out.PackedPolicySize)
	}
	rds := sessionCreds(out.Credentials)
	id := must(stsClient(s, rds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != wantArn || aws.ToString(id.Account) != accountA {
		t.Fatalf("identity %+v", id)
	}
	_, err := iamClient(s, rds).ListRoles(ctx, &iam.ListRolesInput{})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(wantArn, "iam:ListRoles", "arn:aws:iam::"+accountA+":role/")+" because no identity-based policy allows the iam:ListRoles action")
	// The role session cannot get session or federation tokens.
	_, err = stsClient(s, rds).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	apiErrExact(t, err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
	_, err = stsClient(s, rds).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("x1")})
	apiErrExact(t, err, "AccessDenied", 403, "Cannot call GetFederationToken with session credentials")

	// Untrusted user and missing role: the same AccessDenied.
	_, err = stsClient(s, other).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(otherUser.Arn), "sts:AssumeRole", aws.ToString(role.Arn)))
	missing := "arn:aws:iam::" + accountA + ":role/NoSuchRole"
	_, err = stsClient(s, other).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(missing), RoleSessionName: aws.String("sess")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(otherUser.Arn), "sts:AssumeRole", missing))
	// Root may not.
	_, err = stsClient(s, rootCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess")})
	apiErrExact(t, err, "AccessDenied", 403, "Roles may not be assumed by root accounts.")
	// Bad session name.
	_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("has space")})
	apiErrExact(t, err, "ValidationError", 400, `1 validation error detected: Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`)

	// 4. An empty principal lets nobody in: IAM refuses the document, or
	// the role it stores trusts no one.
	if nobody, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Nobody"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		apiErr(t, err, "MalformedPolicyDocument", 400, "")
	} else {
		_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: nobody.Role.Arn, RoleSessionName: aws.String("sess")})
		apiErr(t, err, "AccessDenied", 403, "")
	}

	// 5. Durations.
	_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess"), DurationSeconds: aws.Int32(3601)})
	apiErrExact(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess"), DurationSeconds: aws.Int32(899)})
	apiErr(t, err, "ValidationError", 400, "Member must have value greater than or equal to 900")
	must(root.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: role.RoleName, MaxSessionDuration: aws.Int32(7200)}))
	long := must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess"), DurationSeconds: aws.Int32(7200)}))
	if d := time.Until(aws.ToTime(long.Credentials.Expiration)); d < 119*time.Minute {
		t.Fatalf("7200 s session expires in %v", d)
	}

	// 6 (same account). Chaining: all four conditions, and one hour.
	u1, u1User := newUser(t, s, rootCreds, "u1")
	r1 := newRole(t, s, rootCreds, "R1", trustUser(aws.ToString(u1User.Arn), ""), 0)
	r2 := newRole(t, s, rootCreds, "R2", trustUser(aws.ToString(r1.Arn), ""), 43200)
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("u1"), PolicyName: aws.String("assume-r1"), PolicyDocument: aws.String(allowDoc("sts:AssumeRole", aws.ToString(r1.Arn)))}))
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("R1"), PolicyName: aws.String("assume-r2"), PolicyDocument: aws.String(allowDoc("sts:AssumeRole", aws.ToString(r2.Arn)))}))
	hop1 := sessionCreds(must(stsClient(s, u1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r1.Arn, RoleSessionName: aws.String("hop1")})).Credentials)
	_, err = stsClient(s, hop1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r2.Arn, RoleSessionName: aws.String("hop2"), DurationSeconds: aws.Int32(7200)})
	apiErrExact(t, err, "ValidationError", 400, "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	hop2 := must(stsClient(s, hop1).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r2.Arn, RoleSessionName: aws.String("hop2")}))
	if aws.ToString(hop2.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountA+":assumed-role/R2/hop2" {
		t.Fatalf("hop2 %+v", hop2.AssumedRoleUser)
	}
	// No implicit self-trust.
	_, err = stsClient(s, sessionCreds(hop2.Credentials)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: r2.Arn, RoleSessionName: aws.String("self")})
	apiErr(t, err, "AccessDenied", 403, denyMsg("arn:aws:sts::"+accountA+":assumed-role/R2/hop2", "sts:AssumeRole", aws.ToString(r2.Arn)))

	// 9. Session policies narrow, never widen.
	narrowed := sessionCreds(must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("narrow"),
		Policy: aws.String(allowDoc("iam:GetUser", "*"))})).Credentials)
	_, err = iamClient(s, narrowed).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("omkar")})
	apiErr(t, err, "AccessDenied", 403, "because no identity-based policy allows the iam:GetUser action")
	// The role's permissions as the upper bound: widen to iam:* fails too.
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role.RoleName, PolicyName: aws.String("read-users"), PolicyDocument: aws.String(allowDoc("iam:Get*", "*"))}))
	full := sessionCreds(must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("full")})).Credentials)
	must(iamClient(s, full).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("omkar")}))
	narrow2 := must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("narrow2"),
		Policy: aws.String(allowDoc("iam:GetRole", "*"))}))
	if narrow2.PackedPolicySize == nil || *narrow2.PackedPolicySize < 1 {
		t.Fatalf("PackedPolicySize %v", narrow2.PackedPolicySize)
	}
	_, err = iamClient(s, sessionCreds(narrow2.Credentials)).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("omkar")})
	apiErr(t, err, "AccessDenied", 403, "because no session policy allows the iam:GetUser action")
	must(iamClient(s, sessionCreds(narrow2.Credentials)).GetRole(ctx, &iam.GetRoleInput{RoleName: role.RoleName}))
	_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("big"),
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 2100) + `"}]}`)})
	apiErr(t, err, "ValidationError", 400, "at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048")

	// 10. External id.
	third := newRole(t, s, rootCreds, "ThirdParty", trustUser(aws.ToString(omkarUser.Arn), `,"Condition":{"StringEquals":{"sts:ExternalId":"ext-4711"}}`), 0)
	_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: third.Arn, RoleSessionName: aws.String("sess")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(omkarUser.Arn), "sts:AssumeRole", aws.ToString(third.Arn)))
	_, err = stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: third.Arn, RoleSessionName: aws.String("sess"), ExternalId: aws.String("ext-0000")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(omkarUser.Arn), "sts:AssumeRole", aws.ToString(third.Arn)))
	must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: third.Arn, RoleSessionName: aws.String("sess"), ExternalId: aws.String("ext-4711")}))

	// Revocation: AWSRevokeOlderSessions denies sessions issued before now.
	before := sessionCreds(must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("old")})).Credentials)
	must(iamClient(s, before).GetRole(ctx, &iam.GetRoleInput{RoleName: role.RoleName}))
	time.Sleep(1100 * time.Millisecond)
	cut := time.Now().UTC().Format("2006-01-02T15:04:05Z")
	must(root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role.RoleName, PolicyName: aws.String("AWSRevokeOlderSessions"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + cut + `"}}}]}`)}))
	_, err = iamClient(s, before).GetRole(ctx, &iam.GetRoleInput{RoleName: role.RoleName})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in an identity-based policy")
	time.Sleep(1100 * time.Millisecond)
	after := sessionCreds(must(stsClient(s, omkar).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("new")})).Credentials)
	must(iamClient(s, after).GetRole(ctx, &iam.GetRoleInput{RoleName: role.RoleName}))

	// 12. Unique ids: delete omkar, create a new omkar: not trusted.
	must(root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("omkar"), AccessKeyId: aws.String(omkar.ID)}))
	must(root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("omkar")}))
	omkar2, omkar2User := newUser(t, s, rootCreds, "omkar")
	_, err = stsClient(s, omkar2).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(omkar2User.Arn), "sts:AssumeRole", aws.ToString(role.Arn)))
	got := must(root.GetRole(ctx, &iam.GetRoleInput{RoleName: role.RoleName}))
	if doc := aws.ToString(got.Role.AssumeRolePolicyDocument); !strings.Contains(doc, aws.ToString(omkarUser.UserId)) {
		t.Fatalf("trust policy after delete-and-recreate does not show the old unique id: %s", doc)
	}
}

func TestSTSMFA(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	alice, aliceUser := newUser(t, s, rootCreds, "alice")
	role := newRole(t, s, rootCreds, "NeedsMFA", trustUser(aws.ToString(aliceUser.Arn), `,"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}`), 0)

	dev := must(root.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("alice-phone")}))
	serial := aws.ToString(dev.VirtualMFADevice.SerialNumber)
	if serial != "arn:aws:iam::"+accountA+":mfa/alice-phone" {
		t.Fatalf("serial %s", serial)
	}
	seed, err := totp.DecodeSecret(string(dev.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatal(err)
	}
	_, err = root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial), AuthenticationCode1: aws.String("123456"), AuthenticationCode2: aws.String("654321")})
	apiErr(t, err, "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
	step := totp.Step(time.Now())
	must(root.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totp.GenerateStep(seed, step-1)), AuthenticationCode2: aws.String(totp.GenerateStep(seed, step))}))
	devs := must(root.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String("alice")}))
	if len(devs.MFADevices) != 1 || aws.ToString(devs.MFADevices[0].SerialNumber) != serial {
		t.Fatalf("ListMFADevices %+v", devs.MFADevices)
	}
	got := must(root.GetMFADevice(ctx, &iam.GetMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}))
	if aws.ToString(got.UserName) != "alice" || aws.ToString(got.SerialNumber) != serial || got.EnableDate == nil || time.Since(*got.EnableDate) > time.Minute {
		t.Fatalf("GetMFADevice %+v", got)
	}
	_, err = root.GetMFADevice(ctx, &iam.GetMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial + "x")})
	apiErr(t, err, "NoSuchEntity", 404, "")
	// As root without a user name: root's own devices (none).
	_, err = root.GetMFADevice(ctx, &iam.GetMFADeviceInput{SerialNumber: aws.String(serial)})
	apiErr(t, err, "NoSuchEntity", 404, "")
	v := must(root.ListVirtualMFADevices(ctx, &iam.ListVirtualMFADevicesInput{AssignmentStatus: iamtypes.AssignmentStatusTypeAssigned}))
	if len(v.VirtualMFADevices) != 1 || aws.ToString(v.VirtualMFADevices[0].User.UserName) != "alice" {
		t.Fatalf("ListVirtualMFADevices %+v", v.VirtualMFADevices)
	}
	_, err = root.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("alice")})
	apiErr(t, err, "DeleteConflict", 409, "")

	aliceSTS := stsClient(s, alice)
	// Missing TOTP: the trust condition fails.
	_, err = aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(aliceUser.Arn), "sts:AssumeRole", aws.ToString(role.Arn)))
	// Wrong TOTP.
	wrong := "000000"
	if totp.Generate(seed, time.Now()) == wrong {
		wrong = "000001"
	}
	_, err = aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess"), SerialNumber: aws.String(serial), TokenCode: aws.String(wrong)})
	apiErrExact(t, err, "AccessDenied", 403, "MultiFactorAuthentication failed with invalid MFA one time pass code.")
	// The code used to enable the device cannot be replayed; the next one works once.
	next := totp.GenerateStep(seed, step+1)
	for time.Now().Before(time.Unix((step+1)*30, 0)) {
		time.Sleep(200 * time.Millisecond)
	}
	out := must(aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess"), SerialNumber: aws.String(serial), TokenCode: aws.String(next)}))
	if !strings.HasPrefix(aws.ToString(out.Credentials.AccessKeyId), "ASIA") {
		t.Fatalf("%+v", out.Credentials)
	}
	_, err = aliceSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: aws.String("sess"), SerialNumber: aws.String(serial), TokenCode: aws.String(next)})
	apiErrExact(t, err, "AccessDenied", 403, "MultiFactorAuthentication failed with invalid MFA one time pass code.")

	// GetSessionToken: without MFA the session may not call IAM.
	plain := must(aliceSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}))
	_, err = iamClient(s, sessionCreds(plain.Credentials)).GetUser(ctx, &iam.GetUserInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid")
	id := must(stsClient(s, sessionCreds(plain.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != aws.ToString(aliceUser.Arn) {
		t.Fatalf("GetSessionToken identity %s", aws.ToString(id.Arn))
	}

	must(root.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("alice"), SerialNumber: aws.String(serial)}))
	must(root.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serial)}))
	_ = base64.StdEncoding
}

func TestSTSFederationTokenAndDecode(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	fed, fedUser := newUser(t, s, rootCreds, "broker")
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("broker"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","iam:GetUser"],"Resource":"*"}]}`)}))
	out := must(stsClient(s, fed).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob"), DurationSeconds: aws.Int32(900)}))
	if aws.ToString(out.FederatedUser.Arn) != "arn:aws:sts::"+accountA+":federated-user/bob" || aws.ToString(out.FederatedUser.FederatedUserId) != accountA+":bob" {
		t.Fatalf("FederatedUser %+v", out.FederatedUser)
	}
	fc := sessionCreds(out.Credentials)
	id := must(stsClient(s, fc).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if aws.ToString(id.Arn) != "arn:aws:sts::"+accountA+":federated-user/bob" || aws.ToString(id.UserId) != accountA+":bob" {
		t.Fatalf("federated identity %+v", id)
	}
	_, err := iamClient(s, fc).GetUser(ctx, &iam.GetUserInput{UserName: aws.String("broker")})
	apiErr(t, err, "InvalidClientTokenId", 403, "")
	_, err = stsClient(s, fc).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + accountA + ":role/x"), RoleSessionName: aws.String("sess")})
	apiErr(t, err, "AccessDenied", 403, "")
	_ = fedUser

	// Not allowed: a user without sts:GetFederationToken.
	nofed, nofedUser := newUser(t, s, rootCreds, "nofed")
	_, err = stsClient(s, nofed).GetFederationToken(ctx, &sts.GetFederationTokenInput{Name: aws.String("bob")})
	apiErrExact(t, err, "AccessDenied", 403, denyMsg(aws.ToString(nofedUser.Arn), "sts:GetFederationToken", "arn:aws:sts::"+accountA+":federated-user/bob")+" because no identity-based policy allows the sts:GetFederationToken action")
	_, err = stsClient(s, nofed).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("abc")})
	apiErr(t, err, "AccessDenied", 403, "sts:DecodeAuthorizationMessage")
	_, err = stsClient(s, rootCreds).DecodeAuthorizationMessage(ctx, &sts.DecodeAuthorizationMessageInput{EncodedMessage: aws.String("not-a-message")})
	apiErr(t, err, "InvalidAuthorizationMessageException", 400, "")
}

// TestSTSForeignAndExpiredTokens: a token from another deployment is
// InvalidClientTokenId; an expired session is ExpiredToken (in-process
// server with an injected clock, kept within SigV4's 15-minute skew).
func TestSTSForeignAndExpiredTokens(t *testing.T) {
	ctx := context.Background()
	s1 := StartServer(t)
	s2 := StartServer(t)
	alice, _ := newUser(t, s1, rootCreds, "alice")
	st := must(stsClient(s1, alice).GetSessionToken(ctx, &sts.GetSessionTokenInput{}))
	_, err := stsClient(s2, sessionCreds(st.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErrExact(t, err, "InvalidClientTokenId", 403, "The security token included in the request is invalid.")
	tampered := sessionCreds(st.Credentials)
	tampered.Token = tampered.Token[:len(tampered.Token)-8] + "AAAAAAA="
	_, err = stsClient(s1, tampered).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403, "")

	var mu sync.Mutex
	offset := -14 * time.Minute
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	node, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), AccountID: accountA, RootKeyID: rootKeyID, RootSecretKey: rootSecret, Now: now, Out: &strings.Builder{}})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	hs := httptest.NewServer(node.Handler())
	defer hs.Close()
	s := &Server{URL: hs.URL}
	bob, _ := newUser(t, s, rootCreds, "bob")
	short := must(stsClient(s, bob).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)}))
	must(stsClient(s, sessionCreds(short.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	mu.Lock()
	offset = 14 * time.Minute // 28 minutes later: past the 15-minute session
	mu.Unlock()
	_, err = stsClient(s, sessionCreds(short.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErrExact(t, err, "ExpiredToken", 403, "The security token included in the request is expired")
	// Long-term keys still work.
	must(stsClient(s, bob).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
}
