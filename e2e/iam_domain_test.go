package e2e

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

const iamTrustRoot = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}`

func iamAllow(action string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"*"}]}`
}

// iamNewUser creates a user with an access key and returns its creds.
func iamNewUser(t *testing.T, c *iam.Client, name string) Creds {
	t.Helper()
	ctx := context.Background()
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	k := must(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	return Creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
}

func iamDecode(t *testing.T, s string) string {
	t.Helper()
	d, err := url.QueryUnescape(s)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", s, err)
	}
	return d
}

func TestIAMRolesGoSDK(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	c := iamClient(s, rootCreds)

	// A trust policy naming a user is stored by unique id and shown by ARN.
	u := must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("trusted")}))
	trust := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"" + aws.ToString(u.User.Arn) + "\"}, \"Action\": \"sts:AssumeRole\"}]\n}"
	r := must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("deploy"), Path: aws.String("/app/"),
		AssumeRolePolicyDocument: aws.String(trust), Description: aws.String("d1"), MaxSessionDuration: aws.Int32(7200),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}))
	if got := aws.ToString(r.Role.Arn); got != "arn:aws:iam::"+accountA+":role/app/deploy" {
		t.Fatalf("role ARN %s", got)
	}
	if id := aws.ToString(r.Role.RoleId); !strings.HasPrefix(id, "AROA") || len(id) != 21 {
		t.Fatalf("role id %s", id)
	}
	raw := aws.ToString(r.Role.AssumeRolePolicyDocument)
	if !strings.Contains(raw, "%22") || strings.Contains(raw, "{") {
		t.Fatalf("document not URL-encoded: %s", raw)
	}
	if got := iamDecode(t, raw); got != trust {
		t.Fatalf("document not kept as submitted:\n%s\nwant\n%s", got, trust)
	}
	g := must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("DEPLOY")}))
	if aws.ToInt32(g.Role.MaxSessionDuration) != 7200 || aws.ToString(g.Role.Description) != "d1" || len(g.Role.Tags) != 1 || g.Role.RoleLastUsed == nil {
		t.Fatalf("GetRole %+v", g.Role)
	}
	// Deleting the trusted user leaves its raw unique id in the policy.
	must(c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("trusted")}))
	g = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")}))
	doc := iamDecode(t, aws.ToString(g.Role.AssumeRolePolicyDocument))
	if !strings.Contains(doc, `"AWS": "`+aws.ToString(u.User.UserId)+`"`) {
		t.Fatalf("deleted principal not shown as its unique id: %s", doc)
	}
	// Recreating the user does not restore the grant.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("trusted")}))
	g = must(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("deploy")}))
	if !strings.Contains(iamDecode(t, aws.ToString(g.Role.AssumeRolePolicyDocument)), aws.ToString(u.User.UserId)) {
		t.Fatal("recreated user took over the old grant")
	}

	bad := strings.Replace(iamTrustRoot, "arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:role/nope", 1)
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r2"), AssumeRolePolicyDocument: aws.String(bad)})
	apiErr(t, err, "MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:role/nope"`)
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Deploy"), AssumeRolePolicyDocument: aws.String(iamTrustRoot)})
	apiErr(t, err, "EntityAlreadyExists", 409, "Role with name Deploy already exists.")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r3"), AssumeRolePolicyDocument: aws.String(iamAllow("s3:*"))})
	apiErr(t, err, "MalformedPolicyDocument", 400, "")
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r4"), AssumeRolePolicyDocument: aws.String(iamTrustRoot), MaxSessionDuration: aws.Int32(100)})
	apiErr(t, err, "ValidationError", 400, "Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
	big := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 2100) + `","Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}]}`
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r5"), AssumeRolePolicyDocument: aws.String(big)})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048")
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("ghost")})
	apiErr(t, err, "NoSuchEntity", 404, "The role with name ghost cannot be found.")

	// ListRoles omits tags and boundary; UpdateRole; tags.
	lr := must(c.ListRoles(ctx, &iam.ListRolesInput{}))
	if len(lr.Roles) != 1 || len(lr.Roles[0].Tags) != 0 || lr.Roles[0].PermissionsBoundary != nil || lr.Roles[0].AssumeRolePolicyDocument == nil {
		t.Fatalf("ListRoles %+v", lr.Roles)
	}
	must(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("deploy"), MaxSessionDuration: aws.Int32(43200)}))
	must(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("deploy"), Tags: []types.Tag{{Key: aws.String("TEAM"), Value: aws.String("dev")}}}))
	tags := must(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("deploy")}))
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "TEAM" {
		t.Fatalf("tags %+v", tags.Tags)
	}
	must(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("deploy"), PolicyDocument: aws.String(iamTrustRoot)}))

	// DeleteRole conflicts.
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("p"), PolicyDocument: aws.String(iamAllow("s3:*"))}))
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	gp := must(c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("p")}))
	if iamDecode(t, aws.ToString(gp.PolicyDocument)) != iamAllow("s3:*") || aws.ToString(gp.RoleName) != "deploy" {
		t.Fatalf("GetRolePolicy %+v", gp)
	}
	must(c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("deploy"), PolicyName: aws.String("p")}))
	must(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("deploy"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")
	must(c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("deploy"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	must(c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	must(c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("deploy")}))
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
	must(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("other"), AssumeRolePolicyDocument: aws.String(iamTrustRoot)}))
	_, err = c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("other")})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
	ip := must(c.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	if len(ip.InstanceProfile.Roles) != 1 || aws.ToString(ip.InstanceProfile.Roles[0].RoleName) != "deploy" {
		t.Fatalf("instance profile %+v", ip.InstanceProfile)
	}
	fr := must(c.ListInstanceProfilesForRole(ctx, &iam.ListInstanceProfilesForRoleInput{RoleName: aws.String("deploy")}))
	if len(fr.InstanceProfiles) != 1 {
		t.Fatalf("ListInstanceProfilesForRole %+v", fr)
	}
	_, err = c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")})
	apiErr(t, err, "DeleteConflict", 409, "must remove roles from instance profile first")
	must(c.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: aws.String("web"), RoleName: aws.String("deploy")}))
	must(c.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: aws.String("web")}))
	must(c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("deploy")}))

	// Service-linked roles.
	slr := must(c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")}))
	if got := aws.ToString(slr.Role.Arn); got != "arn:aws:iam::"+accountA+":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" {
		t.Fatalf("SLR ARN %s", got)
	}
	_, err = c.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	apiErr(t, err, "InvalidInput", 400, "has been taken in this account")
	_, err = c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("AWSServiceRoleForAutoScaling"), PolicyDocument: aws.String(iamTrustRoot)})
	apiErr(t, err, "UnmodifiableEntity", 400, "Cannot perform the operation on the protected role 'AWSServiceRoleForAutoScaling' - this role is only modifiable by AWS")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")})
	apiErr(t, err, "UnmodifiableEntity", 400, "")
	att := must(c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")}))
	if len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy" {
		t.Fatalf("SLR policies %+v", att.AttachedPolicies)
	}
	del := must(c.DeleteServiceLinkedRole(ctx, &iam.DeleteServiceLinkedRoleInput{RoleName: aws.String("AWSServiceRoleForAutoScaling")}))
	st := must(c.GetServiceLinkedRoleDeletionStatus(ctx, &iam.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: del.DeletionTaskId}))
	if st.Status != types.DeletionTaskStatusTypeSucceeded {
		t.Fatalf("deletion status %s", st.Status)
	}
}

func TestIAMPoliciesGoSDK(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	c := iamClient(s, rootCreds)

	p := must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p1"), Path: aws.String("/team/"),
		PolicyDocument: aws.String(iamAllow("s3:GetObject")), Description: aws.String("first")}))
	arn := aws.ToString(p.Policy.Arn)
	if arn != "arn:aws:iam::"+accountA+":policy/team/p1" || aws.ToString(p.Policy.DefaultVersionId) != "v1" || !p.Policy.IsAttachable {
		t.Fatalf("CreatePolicy %+v", p.Policy)
	}
	_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("P1"), PolicyDocument: aws.String(iamAllow("s3:*"))})
	apiErr(t, err, "EntityAlreadyExists", 409, "")
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("big"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 6200) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("bad"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`)})
	apiErr(t, err, "MalformedPolicyDocument", 400, "Policy statement must contain resources.")

	// Versions: at most five, ids never reused.
	for i := 2; i <= 5; i++ {
		v := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(iamAllow(fmt.Sprintf("s3:Op%d", i))), SetAsDefault: i == 3}))
		if aws.ToString(v.PolicyVersion.VersionId) != fmt.Sprintf("v%d", i) {
			t.Fatalf("version id %s", aws.ToString(v.PolicyVersion.VersionId))
		}
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(iamAllow("s3:x"))})
	apiErr(t, err, "LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v3")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete the default version of a policy.")
	must(c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v5")}))
	v6 := must(c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(iamAllow("s3:x"))}))
	if aws.ToString(v6.PolicyVersion.VersionId) != "v6" {
		t.Fatalf("version id reused: %s", aws.ToString(v6.PolicyVersion.VersionId))
	}
	must(c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")}))
	gv := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")}))
	if !gv.PolicyVersion.IsDefaultVersion || iamDecode(t, aws.ToString(gv.PolicyVersion.Document)) != iamAllow("s3:Op2") {
		t.Fatalf("GetPolicyVersion %+v", gv.PolicyVersion)
	}
	lv := must(c.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(arn)}))
	if len(lv.Versions) != 5 {
		t.Fatalf("ListPolicyVersions %d", len(lv.Versions))
	}

	// AWS-managed policies: real documents, immutable, counted.
	admin := "arn:aws:iam::aws:policy/AdministratorAccess"
	ga := must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(admin)}))
	if aws.ToInt32(ga.Policy.AttachmentCount) != 0 || aws.ToString(ga.Policy.DefaultVersionId) != "v1" {
		t.Fatalf("AdministratorAccess %+v", ga.Policy)
	}
	av := must(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(admin), VersionId: aws.String("v1")}))
	if d := iamDecode(t, aws.ToString(av.PolicyVersion.Document)); !strings.Contains(d, `"Action": "*"`) {
		t.Fatalf("AdministratorAccess document %s", d)
	}
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(admin), PolicyDocument: aws.String(iamAllow("s3:*"))})
	apiErr(t, err, "AccessDenied", 403, "is not authorized to perform: iam:CreatePolicyVersion on resource: policy arn:aws:iam::aws:policy/AdministratorAccess")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(admin)})
	apiErr(t, err, "AccessDenied", 403, "")

	// Attachments and their quota.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(admin)}))
	must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(arn)}))
	ga = must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(admin)}))
	if aws.ToInt32(ga.Policy.AttachmentCount) != 1 {
		t.Fatalf("attachment count %d", aws.ToInt32(ga.Policy.AttachmentCount))
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(arn)})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	ents := must(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(arn)}))
	if len(ents.PolicyUsers) != 1 || aws.ToString(ents.PolicyUsers[0].UserName) != "u" {
		t.Fatalf("ListEntitiesForPolicy %+v", ents)
	}
	for i := 0; i < 8; i++ {
		must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("q%d", i)), PolicyDocument: aws.String(iamAllow("s3:*"))}))
		must(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String(fmt.Sprintf("arn:aws:iam::%s:policy/q%d", accountA, i))}))
	}
	must(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("q8"), PolicyDocument: aws.String(iamAllow("s3:*"))}))
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::" + accountA + ":policy/q8")})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")
	_, err = c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u"), PolicyArn: aws.String("arn:aws:iam::aws:policy/NoSuch")})
	apiErr(t, err, "NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuch does not exist or is not attachable.")
	la := must(c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("u")}))
	if len(la.AttachedPolicies) != 10 {
		t.Fatalf("attached %d", len(la.AttachedPolicies))
	}
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must detach all policies first.")

	lp := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws, OnlyAttached: true}))
	if len(lp.Policies) != 1 || aws.ToString(lp.Policies[0].PolicyName) != "AdministratorAccess" {
		t.Fatalf("ListPolicies AWS attached %+v", lp.Policies)
	}
	local := must(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, PathPrefix: aws.String("/team/")}))
	if len(local.Policies) != 1 {
		t.Fatalf("ListPolicies local %+v", local.Policies)
	}

	// Inline user policy aggregate quota.
	must(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("small")}))
	half := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("b", 1000) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("small"), PolicyName: aws.String("a"), PolicyDocument: aws.String(half)}))
	_, err = c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("small"), PolicyName: aws.String("b"), PolicyDocument: aws.String(half)})
	apiErr(t, err, "LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user small")
	must(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("small"), PolicyName: aws.String("a"), PolicyDocument: aws.String(half)}))
	_, err = c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String("small"), PolicyName: aws.String("zz")})
	apiErr(t, err, "NoSuchEntity", 404, "The user policy with name zz cannot be found.")

	// Groups.
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
	must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("small")}))
	gg := must(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("devs")}))
	if len(gg.Users) != 1 || !strings.HasPrefix(aws.ToString(gg.Group.GroupId), "AGPA") {
		t.Fatalf("GetGroup %+v", gg)
	}
	_, err = c.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("devs")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
	for i := 0; i < 9; i++ {
		must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(fmt.Sprintf("g%d", i))}))
		must(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(fmt.Sprintf("g%d", i)), UserName: aws.String("small")}))
	}
	must(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g9")}))
	_, err = c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g9"), UserName: aws.String("small")})
	apiErr(t, err, "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10")
	fg := must(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("small")}))
	if len(fg.Groups) != 10 {
		t.Fatalf("ListGroupsForUser %d", len(fg.Groups))
	}
	must(c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("small"), PolicyName: aws.String("a")}))
	_, err = c.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("small")})
	apiErr(t, err, "DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")

	// Login profiles.
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("u"), Password: aws.String("short")})
	apiErr(t, err, "PasswordPolicyViolation", 400, "")
	lpr := must(c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("u"), Password: aws.String("Correct-Horse-9"), PasswordResetRequired: true}))
	if aws.ToString(lpr.LoginProfile.UserName) != "u" || !lpr.LoginProfile.PasswordResetRequired {
		t.Fatalf("login profile %+v", lpr.LoginProfile)
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("u"), Password: aws.String("Correct-Horse-9")})
	apiErr(t, err, "EntityAlreadyExists", 409, "")
	_, err = c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String("small")})
	apiErr(t, err, "NoSuchEntity", 404, "Login Profile for User small cannot be found.")

	// Boundaries.
	must(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("small"), PermissionsBoundary: aws.String(arn)}))
	ga = must(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)}))
	if aws.ToInt32(ga.Policy.PermissionsBoundaryUsageCount) != 1 {
		t.Fatalf("boundary usage %d", aws.ToInt32(ga.Policy.PermissionsBoundaryUsageCount))
	}
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("small"), PermissionsBoundary: aws.String("arn:aws:iam::" + accountA + ":policy/none")})
	apiErr(t, err, "NoSuchEntity", 404, "does not exist or is not attachable")

	// Account-level operations.
	must(c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("my-corp")}))
	al := must(c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{}))
	if len(al.AccountAliases) != 1 || al.AccountAliases[0] != "my-corp" {
		t.Fatalf("aliases %v", al.AccountAliases)
	}
	_, err = c.CreateAccountAlias(ctx, &iam.CreateAccountAliasInput{AccountAlias: aws.String("Bad_Alias")})
	apiErr(t, err, "ValidationError", 400, "accountAlias")
	sum := must(c.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{}))
	if sum.SummaryMap["Users"] != 2 || sum.SummaryMap["Groups"] != 11 || sum.SummaryMap["AttachedPoliciesPerRoleQuota"] != 10 || sum.SummaryMap["Policies"] != 10 {
		t.Fatalf("summary %v", sum.SummaryMap)
	}
	_, err = c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
	apiErr(t, err, "ReportNotPresent", 410, "")
	gen := must(c.GenerateCredentialReport(ctx, &iam.GenerateCredentialReportInput{}))
	if gen.State != types.ReportStateTypeStarted {
		t.Fatalf("generate state %s", gen.State)
	}
	rep := must(c.GetCredentialReport(ctx, &iam.GetCredentialReportInput{}))
	if !strings.HasPrefix(string(rep.Content), "user,arn,user_creation_time,password_enabled") || !strings.Contains(string(rep.Content), "\nu,arn:aws:iam::"+accountA+":user/u,") {
		t.Fatalf("credential report:\n%s", rep.Content)
	}
	details := must(c.GetAccountAuthorizationDetails(ctx, &iam.GetAccountAuthorizationDetailsInput{}))
	if len(details.UserDetailList) != 2 || len(details.GroupDetailList) != 11 {
		t.Fatalf("auth details users %d groups %d", len(details.UserDetailList), len(details.GroupDetailList))
	}
	found := false
	for _, mp := range details.Policies {
		if aws.ToString(mp.Arn) == arn {
			for _, v := range mp.PolicyVersionList {
				if aws.ToString(v.VersionId) == "v2" && iamDecode(t, aws.ToString(v.Document)) == iamAllow("s3:Op2") {
					found = true
				}
			}
		}
	}
	if !found {
		t.Fatal("GetAccountAuthorizationDetails lacks the encoded policy version")
	}
}

// The enforcement matrix: what each kind of grant lets a user do.
func TestIAMEnforcementGoSDK(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	root := iamClient(s, rootCreds)
	must(root.ListRoles(ctx, &iam.ListRolesInput{})) // root is allowed

	xc := iamNewUser(t, root, "x")
	x := iamClient(s, xc)
	_, err := x.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::111111111111:user/x is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111111111111:role/ because no identity-based policy allows the iam:ListRoles action")

	// Attached AWS-managed policy.
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("x"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	must(x.ListRoles(ctx, &iam.ListRolesInput{}))
	_, err = x.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("nope")})
	apiErr(t, err, "AccessDenied", 403, "because no identity-based policy allows the iam:CreateGroup action")
	must(root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String("x"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	_, err = x.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "no identity-based policy allows")

	// Inline policy.
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("x"), PolicyName: aws.String("lr"), PolicyDocument: aws.String(iamAllow("iam:ListRoles"))}))
	must(x.ListRoles(ctx, &iam.ListRolesInput{}))
	must(root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("x"), PolicyName: aws.String("lr")}))

	// A group's customer-managed policy, and its new default version.
	p := must(root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("grp"), PolicyDocument: aws.String(iamAllow("iam:ListRoles"))}))
	must(root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("readers")}))
	must(root.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("readers"), PolicyArn: p.Policy.Arn}))
	must(root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("readers"), UserName: aws.String("x")}))
	must(x.ListRoles(ctx, &iam.ListRolesInput{}))
	must(root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: p.Policy.Arn, PolicyDocument: aws.String(iamAllow("iam:ListUsers")), SetAsDefault: true}))
	_, err = x.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "no identity-based policy allows")
	must(x.ListUsers(ctx, &iam.ListUsersInput{}))

	// Boundary: allowed by identity, not by the boundary.
	must(root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("x"), PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMFullAccess")}))
	must(root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("x"), PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	must(x.ListRoles(ctx, &iam.ListRolesInput{}))
	_, err = x.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g2")})
	apiErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::111111111111:user/x is not authorized to perform: iam:CreateGroup on resource: arn:aws:iam::111111111111:group/g2 because no permissions boundary allows the iam:CreateGroup action")
	must(root.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("x")}))
	must(x.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g2")}))

	// Explicit deny wins.
	must(root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("readers"), PolicyName: aws.String("deny"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:Delete*","Resource":"*"}]}`)}))
	_, err = x.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g2")})
	apiErr(t, err, "AccessDenied", 403, "User: arn:aws:iam::111111111111:user/x is not authorized to perform: iam:DeleteGroup on resource: arn:aws:iam::111111111111:group/g2 with an explicit deny in an identity-based policy")

	// iam:PolicyARN condition on attachment.
	must(root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("y")}))
	must(root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("x"), PolicyName: aws.String("deny-admin"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"iam:AttachUserPolicy","Resource":"*","Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::aws:policy/AdministratorAccess"}}}]}`)}))
	_, err = x.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("y"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in an identity-based policy")
	must(x.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("y"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))

	// Everything survives a restart.
	s.Restart()
	x = iamClient(s, xc)
	must(x.ListUsers(ctx, &iam.ListUsersInput{}))
	_, err = x.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: aws.String("g2")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in an identity-based policy")
}

// Many goroutines create the same names: exactly one of each succeeds.
func TestIAMConcurrentCreate(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	c := iamClient(s, rootCreds)
	for _, kind := range []string{"role", "policy", "group"} {
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok, conflicts := 0, 0
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				name := aws.String("Same")
				if i%2 == 1 {
					name = aws.String("same")
				}
				var err error
				switch kind {
				case "role":
					_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(iamTrustRoot)})
				case "policy":
					_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: name, PolicyDocument: aws.String(iamAllow("s3:*"))})
				case "group":
					_, err = c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: name})
				}
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if strings.Contains(err.Error(), "EntityAlreadyExists") {
					conflicts++
				} else {
					t.Errorf("%s: %v", kind, err)
				}
			}(i)
		}
		wg.Wait()
		if ok != 1 || conflicts != 15 {
			t.Fatalf("%s: %d successes, %d conflicts", kind, ok, conflicts)
		}
	}
}
