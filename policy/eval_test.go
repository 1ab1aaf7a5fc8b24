package policy

import (
	"strings"
	"testing"
)

const (
	acctA = "111111111111"
	acctB = "222222222222"
)

var (
	userBob  = Principal{Type: User, Account: acctA, ARN: "arn:aws:iam::111111111111:user/bob", UniqueID: "AIDAEXAMPLEBOB000001"}
	roleSess = Principal{Type: AssumedRole, Account: acctA, ARN: "arn:aws:sts::111111111111:assumed-role/R/s", PrincipalARN: "arn:aws:iam::111111111111:role/path/R", UniqueID: "AROAEXAMPLEROLE00001"}
	rootA    = Principal{Type: Root, Account: acctA, ARN: "arn:aws:iam::111111111111:root"}
	fedUser  = Principal{Type: FederatedUser, Account: acctA, ARN: "arn:aws:sts::111111111111:federated-user/fed", UserARN: "arn:aws:iam::111111111111:user/bob"}
	userB    = Principal{Type: User, Account: acctB, ARN: "arn:aws:iam::222222222222:user/carol"}
	svcEC2   = Principal{Type: ServicePrincipal, Service: "ec2.amazonaws.com"}
	webID    = Principal{Type: WebIdentity, Provider: "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"}
)

func TestActionMatching(t *testing.T) {
	// policy-language.md §4 Actions: case-insensitive, * and ?.
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"iam:ListRoles", "iam:listroles", true},
		{"IAM:LISTROLES", "iam:ListRoles", true},
		{"iam:List*", "iam:ListRoles", true},
		{"iam:List*", "iam:GetRole", false},
		{"iam:*", "iam:GetRole", true},
		{"*", "sts:AssumeRole", true},
		{"iam:Get?ole", "iam:GetRole", true},
		{"iam:Get?ole", "iam:GetRRole", false},
		{"s3:*Object", "s3:GetObject", true},
		{"s3:*Object", "s3:GetObjectAcl", false},
		{"*:GetObject", "s3:GetObject", true},
		{"iam:ListRoles", "iam:ListRolesX", false},
		{"s3:Get*Acl", "s3:getobjectacl", true},
	}
	for _, tc := range tests {
		tm := compileTmpl(tc.pattern, false, true, true)
		if got, _ := tm.match(tc.action, mGlobASCIIFold, nil); got != tc.want {
			t.Errorf("action %q vs %q = %v want %v", tc.pattern, tc.action, got, tc.want)
		}
	}
}

func TestResourceMatching(t *testing.T) {
	// policy-language.md §4 Resources; ids-and-arns.md §4.
	p := &Policy{vars: true}
	tests := []struct {
		pattern, res string
		want         bool
	}{
		{"*", "arn:aws:iam::111111111111:role/x", true},
		{"*", "*", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket//x", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/1/test/", true},
		{"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket", false},
		{"arn:aws:s3:::Bucket/*", "arn:aws:s3:::bucket/x", false},
		{"arn:aws:iam::111111111111:user/*", "arn:aws:iam::111111111111:user/div/sub/Jane", true},
		{"arn:aws:iam::111111111111:user/division_abc*", "arn:aws:iam::111111111111:user/division_abc/x", true},
		{"arn:aws:iam::*:role/R", "arn:aws:iam::222222222222:role/R", true},
		{"arn:aws:iam::*:role/R", "arn:aws:iam::222222222222:role/R/x", false},
		{"arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:us-east-1:111111111111:instance/i-1", true},
		{"arn:aws:ec2:us-*:*:instance/*", "arn:aws:ec2:eu-west-1:111111111111:instance/i-1", false},
		{"arn:aws:s3:::*", "arn:aws:s3:::b/k:with:colons", true},
		{"arn:aws:iam::111111111111:role/*", "*", false},
		{"arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/bob/x", true},
		{"arn:aws:s3:::home/${aws:username}/*", "arn:aws:s3:::home/alice/x", false},
		{"arn:aws:s3:::home/${aws:nope}/*", "arn:aws:s3:::home/bob/x", false},
		{"arn:aws:s3:::home/${aws:nope, 'bob'}/*", "arn:aws:s3:::home/bob/x", true},
		{"arn:aws:s3:::a${*}b", "arn:aws:s3:::a*b", true},
		{"arn:aws:s3:::a${*}b", "arn:aws:s3:::axb", false},
		// variables only in the resource part (policy-language.md §4)
		{"arn:aws:iam::${aws:PrincipalAccount}:role/x", "arn:aws:iam::111111111111:role/x", false},
	}
	ctx := NewContext()
	ctx.Set("aws:username", "bob")
	ctx.Set("aws:PrincipalAccount", "111111111111")
	for _, tc := range tests {
		tm := p.compileResource(tc.pattern)
		if got, _ := tm.match(tc.res, mArn, ctx); got != tc.want {
			t.Errorf("resource %q vs %q = %v want %v", tc.pattern, tc.res, got, tc.want)
		}
	}
	// Version 2008: variables are literal text in Resource too.
	p08 := &Policy{}
	tm := p08.compileResource("arn:aws:s3:::home/${aws:username}/*")
	if ok, _ := tm.match("arn:aws:s3:::home/bob/x", mArn, ctx); ok {
		t.Error("2008 resource variable substituted")
	}
}

func TestPrincipalMatching(t *testing.T) {
	// policy-language.md §2/§4 Principal forms; evaluation.md §3 grant kinds.
	tests := []struct {
		name  string
		princ string
		p     Principal
		want  grantKind
	}{
		{"star", `"*"`, userB, gDirect},
		{"AWS star anonymous", `{"AWS":"*"}`, Principal{Type: Anonymous}, gDirect},
		{"account id", `{"AWS":"111111111111"}`, userBob, gAccount},
		{"account root arn", `{"AWS":"arn:aws:iam::111111111111:root"}`, roleSess, gAccount},
		{"account root arn root", `{"AWS":"arn:aws:iam::111111111111:root"}`, rootA, gAccount},
		{"account other", `{"AWS":"111111111111"}`, userB, gNone},
		{"user arn", `{"AWS":"arn:aws:iam::111111111111:user/bob"}`, userBob, gDirect},
		{"user arn case-sensitive", `{"AWS":"arn:aws:iam::111111111111:user/Bob"}`, userBob, gNone},
		{"user unique id", `{"AWS":"AIDAEXAMPLEBOB000001"}`, userBob, gDirect},
		{"role arn matches session", `{"AWS":"arn:aws:iam::111111111111:role/path/R"}`, roleSess, gRole},
		{"role arn without path no match", `{"AWS":"arn:aws:iam::111111111111:role/R"}`, roleSess, gNone},
		{"role unique id", `{"AWS":"AROAEXAMPLEROLE00001"}`, roleSess, gRole},
		{"session arn", `{"AWS":"arn:aws:sts::111111111111:assumed-role/R/s"}`, roleSess, gDirect},
		{"other session", `{"AWS":"arn:aws:sts::111111111111:assumed-role/R/t"}`, roleSess, gNone},
		{"federated user session", `{"AWS":"arn:aws:sts::111111111111:federated-user/fed"}`, fedUser, gDirect},
		{"user arn for fed session", `{"AWS":"arn:aws:iam::111111111111:user/bob"}`, fedUser, gUserFed},
		{"service", `{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]}`, svcEC2, gDirect},
		{"service not AWS", `{"AWS":"111111111111"}`, svcEC2, gNone},
		{"federated", `{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"}`, webID, gDirect},
		{"federated other", `{"Federated":"accounts.google.com"}`, webID, gNone},
		{"canonical", `{"CanonicalUser":"abc"}`, Principal{Type: User, Account: acctA, ARN: "x", CanonicalUser: "abc"}, gDirect},
		{"user not via role arn", `{"AWS":"arn:aws:iam::111111111111:role/path/R"}`, userBob, gNone},
	}
	for _, tc := range tests {
		p := MustParse(doc12(`{"Effect":"Allow","Principal":`+tc.princ+`,"Action":"s3:*"}`), Resource)
		if got := p.stmts[0].principals.match(&tc.p); got != tc.want {
			t.Errorf("%s: got %v want %v", tc.name, got, tc.want)
		}
	}
}

func TestNotPrincipal(t *testing.T) {
	// reference_policies_elements_notprincipal: with Deny list account +
	// role + session ARNs to exclude a session.
	full := MustParse(doc12(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:role/path/R","arn:aws:sts::111111111111:assumed-role/R/s"]},"Action":"s3:*","Resource":"*"}`), Resource)
	onlyRole := MustParse(doc12(`{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111111111111:role/path/R"]},"Action":"s3:*","Resource":"*"}`), Resource)
	if full.stmts[0].principals.excludes(&roleSess) != true {
		t.Error("fully listed session must be excluded")
	}
	if onlyRole.stmts[0].principals.excludes(&roleSess) {
		t.Error("listing only the role ARN must not exclude the session (account not listed)")
	}
	if full.stmts[0].principals.excludes(&userBob) {
		t.Error("user not listed must not be excluded")
	}
	set := &Set{Identity: []*Policy{MustParse(doc12(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), Identity)}, Resource: full}
	if r := Evaluate(&Request{Principal: userBob, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, set); r.Decision != ExplicitDeny || r.DecidedBy != Resource {
		t.Errorf("NotPrincipal deny for bob: %v %v", r.Decision, r.DecidedBy)
	}
	if r := Evaluate(&Request{Principal: roleSess, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k"}, set); r.Decision != Allowed {
		t.Errorf("NotPrincipal excluded session: %v", r.Decision)
	}
}

func pol(kind Kind, id string, stmts ...string) *Policy {
	return MustParse(doc12(stmts...), kind).WithID(id)
}

func TestDecisionProcedure(t *testing.T) {
	allowS3 := pol(Identity, "id-s3", `{"Sid":"S3","Effect":"Allow","Action":"s3:*","Resource":"*"}`)
	allowAll := pol(Identity, "id-all", `{"Effect":"Allow","Action":"*","Resource":"*"}`)
	denyDel := pol(Identity, "id-deny", `{"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"}`)
	bdS3 := pol(Boundary, "bd", `{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`)
	bdSts := pol(Boundary, "bd-sts", `{"Effect":"Allow","Action":"sts:*","Resource":"*"}`)
	sessGet := pol(Session, "sess", `{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`)
	scpAll := pol(SCP, "FullAWSAccess", `{"Effect":"Allow","Action":"*","Resource":"*"}`)
	scpNoIAM := pol(SCP, "scp-deny", `{"Effect":"Deny","Action":"iam:*","Resource":"*"}`)
	scpS3Only := pol(SCP, "scp-s3", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)
	rcpAll := MustParse(doc12(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), RCP)
	rcpDeny := MustParse(doc12(`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}`), RCP)
	rcpDenySQS := MustParse(doc12(`{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*"}`), RCP)
	rpUser := func(p string) *Policy {
		return pol(Resource, "rp", `{"Effect":"Allow","Principal":{"AWS":"`+p+`"},"Action":"s3:*","Resource":"*"}`)
	}
	rpDeny := pol(Resource, "rp-deny", `{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*"}`)
	trust := func(p string) *Policy {
		return pol(Trust, "trust", `{"Effect":"Allow","Principal":{"AWS":"`+p+`"},"Action":"sts:AssumeRole"}`)
	}
	assumeID := pol(Identity, "id-assume", `{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}`)
	const obj = "arn:aws:s3:::b/k"
	const roleT = "arn:aws:iam::111111111111:role/T"
	const roleTB = "arn:aws:iam::222222222222:role/T"

	tests := []struct {
		name     string
		spec     string
		p        Principal
		action   string
		resource string
		resAcct  string
		set      Set
		want     Decision
		by       Kind
	}{
		{"default implicit deny", "evaluation.md §2.1", userBob, "s3:GetObject", obj, "", Set{}, ImplicitDeny, Identity},
		{"identity allow", "evaluation.md §2.6", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}}, Allowed, Identity},
		{"explicit deny wins", "evaluation.md §2.2", userBob, "s3:DeleteObject", obj, "", Set{Identity: []*Policy{allowS3, denyDel}}, ExplicitDeny, Identity},
		{"root default allow", "evaluation.md §2.1 root", rootA, "iam:CreateUser", "*", "", Set{}, Allowed, KindNone},
		{"root limited by SCP", "evaluation.md §2.4 SCPs affect member root", rootA, "iam:CreateUser", "*", "", Set{SCPs: [][]*Policy{{scpAll, scpNoIAM}}}, ExplicitDeny, SCP},
		{"root limited by resource deny", "evaluation.md §2.1 root: explicit deny in resource policy", rootA, "s3:GetObject", obj, "", Set{Resource: rpDeny}, ExplicitDeny, Resource},
		{"scp implicit deny", "evaluation.md §2.4 every level must allow", userBob, "sqs:SendMessage", "*", "", Set{Identity: []*Policy{allowAll}, SCPs: [][]*Policy{{scpAll}, {scpS3Only}}}, ImplicitDeny, SCP},
		{"scp all levels allow", "evaluation.md §2.4", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowAll}, SCPs: [][]*Policy{{scpAll}, {scpS3Only}}}, Allowed, Identity},
		{"scp nil not subject", "evaluation.md §2.4 management account", userBob, "sqs:SendMessage", "*", "", Set{Identity: []*Policy{allowAll}}, Allowed, Identity},
		{"rcp deny", "evaluation.md §2.3", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowAll}, RCPs: [][]*Policy{{rcpAll, rcpDeny}}}, ExplicitDeny, RCP},
		{"rcp no allow", "evaluation.md §2.3 no RCP allow → deny", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowAll}, RCPs: [][]*Policy{{rcpDenySQS}}}, ImplicitDeny, RCP},
		{"boundary limits", "evaluation.md §2.7", userBob, "s3:PutObject", obj, "", Set{Identity: []*Policy{allowS3}, Boundary: bdS3}, ImplicitDeny, Boundary},
		{"boundary allows", "evaluation.md §2.7", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}, Boundary: bdS3}, Allowed, Identity},
		{"boundary alone grants nothing", "evaluation.md §2.6", userBob, "s3:GetObject", obj, "", Set{Boundary: bdS3}, ImplicitDeny, Identity},
		{"session policy limits", "evaluation.md §2.8", roleSess, "s3:PutObject", obj, "", Set{Identity: []*Policy{allowS3}, Session: []*Policy{sessGet}}, ImplicitDeny, Session},
		{"session policy allows", "evaluation.md §2.8", roleSess, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}, Session: []*Policy{sessGet}}, Allowed, Identity},
		{"session restricted empty", "evaluation.md §2.8 passed but none allows", roleSess, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}, SessionRestricted: true}, ImplicitDeny, Session},
		{"role session without session policy", "evaluation.md §2.8 none passed → allow", roleSess, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}}, Allowed, Identity},
		{"federated user without session policy", "evaluation.md §2.8 federated-user → deny", fedUser, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}}, ImplicitDeny, Session},
		{"federated user with session policy", "evaluation.md §2.8", fedUser, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowS3}, Session: []*Policy{sessGet}}, Allowed, Identity},
		// Same-account resource policy grant table (evaluation.md §3)
		{"rp user arn direct", "evaluation.md §3 user ARN: no identity needed", userBob, "s3:GetObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:user/bob")}, Allowed, Resource},
		{"rp user arn ignores boundary", "evaluation.md §3 user ARN: not limited by boundary", userBob, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:user/bob"), Boundary: bdS3}, Allowed, Resource},
		{"rp role arn no identity needed", "evaluation.md §3 role ARN: identity not needed", roleSess, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:role/path/R")}, Allowed, Resource},
		{"rp role arn limited by boundary", "evaluation.md §3 role ARN: boundary limits", roleSess, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:role/path/R"), Boundary: bdS3}, ImplicitDeny, Boundary},
		{"rp role arn limited by session", "evaluation.md §3 role ARN: session limits", roleSess, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:role/path/R"), Session: []*Policy{sessGet}}, ImplicitDeny, Session},
		{"rp session arn bypasses all", "evaluation.md §3 session ARN: no limits", roleSess, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:sts::111111111111:assumed-role/R/s"), Boundary: bdS3, Session: []*Policy{sessGet}}, Allowed, Resource},
		{"rp fed session arn", "evaluation.md §3 federated session ARN: no limits", fedUser, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:sts::111111111111:federated-user/fed")}, Allowed, Resource},
		{"rp user arn for fed session limited by session", "evaluation.md §3 user ARN, federated session: session limits", fedUser, "s3:PutObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:user/bob"), Session: []*Policy{sessGet}}, ImplicitDeny, Session},
		{"rp account needs identity", "evaluation.md §3 account: identity must allow", userBob, "s3:GetObject", obj, "", Set{Resource: rpUser("111111111111")}, ImplicitDeny, Identity},
		{"rp account with identity", "evaluation.md §3 account", userBob, "s3:GetObject", obj, "", Set{Resource: rpUser("arn:aws:iam::111111111111:root"), Identity: []*Policy{allowS3}}, Allowed, Identity},
		{"rp star direct", "evaluation.md §3 * treated as direct grant", userBob, "s3:GetObject", obj, "", Set{Resource: rpUser("*")}, Allowed, Resource},
		{"rp explicit deny", "evaluation.md §2.2", userBob, "s3:GetObject", obj, "", Set{Resource: rpDeny, Identity: []*Policy{allowS3}}, ExplicitDeny, Resource},
		// Cross-account (evaluation.md §4)
		{"cross no rp", "evaluation.md §4 resource side must allow", userB, "s3:GetObject", obj, acctA, Set{Identity: []*Policy{allowS3}}, ImplicitDeny, Resource},
		{"cross rp but no identity", "evaluation.md §4 both sides", userB, "s3:GetObject", obj, acctA, Set{Resource: rpUser("arn:aws:iam::222222222222:user/carol")}, ImplicitDeny, Identity},
		{"cross both", "evaluation.md §4 both sides", userB, "s3:GetObject", obj, acctA, Set{Resource: rpUser("222222222222"), Identity: []*Policy{allowS3}}, Allowed, Identity},
		{"cross rp other account", "evaluation.md §4 must name principal", userB, "s3:GetObject", obj, acctA, Set{Resource: rpUser("333333333333"), Identity: []*Policy{allowS3}}, ImplicitDeny, Resource},
		{"cross resource account from ARN", "Request.ResourceAccount derived from ARN", userB, "iam:GetRole", "arn:aws:iam::111111111111:role/x", "", Set{Identity: []*Policy{allowAll}}, ImplicitDeny, Resource},
		// Trust policies (evaluation.md §5)
		{"trust user arn same account", "evaluation.md §5 user ARN: no identity needed", userBob, "sts:AssumeRole", roleT, "", Set{Resource: trust("arn:aws:iam::111111111111:user/bob"), Trust: true}, Allowed, Trust},
		{"trust user arn boundary must allow", "evaluation.md §5 documented AssumeRole boundary rule", userBob, "sts:AssumeRole", roleT, "", Set{Resource: trust("arn:aws:iam::111111111111:user/bob"), Trust: true, Boundary: bdS3}, ImplicitDeny, Boundary},
		{"trust user arn boundary allows", "evaluation.md §5", userBob, "sts:AssumeRole", roleT, "", Set{Resource: trust("arn:aws:iam::111111111111:user/bob"), Trust: true, Boundary: bdSts}, Allowed, Trust},
		{"trust account needs identity", "evaluation.md §5 account: identity must allow", userBob, "sts:AssumeRole", roleT, "", Set{Resource: trust("111111111111"), Trust: true}, ImplicitDeny, Identity},
		{"trust account with identity", "evaluation.md §5", userBob, "sts:AssumeRole", roleT, "", Set{Resource: trust("111111111111"), Trust: true, Identity: []*Policy{assumeID}}, Allowed, Identity},
		{"identity alone never assumes", "evaluation.md §2.5 trust must always allow", userBob, "sts:AssumeRole", roleT, "", Set{Resource: trust("333333333333"), Trust: true, Identity: []*Policy{allowAll}}, ImplicitDeny, Trust},
		{"no trust policy", "evaluation.md §2.5", userBob, "sts:AssumeRole", roleT, "", Set{Trust: true, Identity: []*Policy{allowAll}}, ImplicitDeny, Trust},
		{"trust role arn limited by session", "evaluation.md §5 role-ARN grants limited by session policy", roleSess, "sts:AssumeRole", roleT, "", Set{Resource: trust("arn:aws:iam::111111111111:role/path/R"), Trust: true, Session: []*Policy{sessGet}}, ImplicitDeny, Session},
		{"trust role arn", "evaluation.md §5 role ARN", roleSess, "sts:AssumeRole", roleT, "", Set{Resource: trust("arn:aws:iam::111111111111:role/path/R"), Trust: true}, Allowed, Trust},
		{"trust cross-account needs identity", "evaluation.md §5 cross-account", userB, "sts:AssumeRole", roleT, "", Set{Resource: trust("arn:aws:iam::222222222222:user/carol"), Trust: true}, ImplicitDeny, Identity},
		{"trust cross-account both", "evaluation.md §5 cross-account", userB, "sts:AssumeRole", roleT, "", Set{Resource: trust("222222222222"), Trust: true, Identity: []*Policy{assumeID}}, Allowed, Identity},
		{"trust self not implicit", "evaluation.md §5 role does not trust itself", Principal{Type: AssumedRole, Account: acctB, ARN: "arn:aws:sts::222222222222:assumed-role/T/x", PrincipalARN: roleTB}, "sts:AssumeRole", roleTB, "", Set{Resource: trust("arn:aws:iam::222222222222:user/carol"), Trust: true, Identity: []*Policy{allowAll}}, ImplicitDeny, Trust},
		{"web identity federated", "evaluation.md §5 Federated: trust only", webID, "sts:AssumeRoleWithWebIdentity", roleT, "", Set{Resource: pol(Trust, "t", `{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}`), Trust: true}, Allowed, Trust},
		{"web identity untrusted", "evaluation.md §5", webID, "sts:AssumeRoleWithWebIdentity", roleT, "", Set{Resource: trust("111111111111"), Trust: true}, ImplicitDeny, Trust},
		{"service principal", "evaluation.md §7", svcEC2, "sts:AssumeRole", roleT, "", Set{Resource: pol(Trust, "t", `{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`), Trust: true}, Allowed, Trust},
		{"trust explicit deny", "errors.md §4 trust explicit deny", userBob, "sts:AssumeRole", roleT, "", Set{Resource: pol(Trust, "t", `{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}`, `{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111111111111:user/bob"},"Action":"sts:AssumeRole"}`), Trust: true, Identity: []*Policy{assumeID}}, ExplicitDeny, Trust},
		{"kms-like must allow", "evaluation.md §6 key policies must allow", userBob, "kms:Decrypt", "*", "", Set{Identity: []*Policy{allowAll}, ResourceMustAllow: true}, ImplicitDeny, Resource},
		{"NotAction allow", "policy-language.md §2 NotAction+Allow", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{pol(Identity, "na", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)}}, Allowed, Identity},
		{"NotAction allow excluded", "policy-language.md §2 NotAction+Allow", userBob, "iam:ListRoles", "*", "", Set{Identity: []*Policy{pol(Identity, "na", `{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`)}}, ImplicitDeny, Identity},
		{"NotAction deny", "policy-language.md §2 NotAction+Deny", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{allowAll, pol(Identity, "na", `{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}`)}}, ExplicitDeny, Identity},
		{"NotResource", "policy-language.md §2 NotResource", userBob, "s3:GetObject", obj, "", Set{Identity: []*Policy{pol(Identity, "nr", `{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::b/*"}`)}}, ImplicitDeny, Identity},
		{"deny ordering scp first", "errors.md §4 one type named", userBob, "iam:CreateUser", "*", "", Set{Identity: []*Policy{pol(Identity, "d", `{"Effect":"Deny","Action":"*","Resource":"*"}`)}, SCPs: [][]*Policy{{scpAll, scpNoIAM}}}, ExplicitDeny, SCP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &Request{Principal: tc.p, Action: tc.action, Resource: tc.resource, ResourceAccount: tc.resAcct}
			r := Evaluate(req, &tc.set)
			if r.Decision != tc.want || r.DecidedBy != tc.by {
				t.Fatalf("[%s] got %v by %v, want %v by %v", tc.spec, r.Decision, r.DecidedBy, tc.want, tc.by)
			}
			rep := EvaluateReport(req, &tc.set)
			if rep.Decision != r.Decision || rep.DecidedBy != r.DecidedBy {
				t.Fatalf("EvaluateReport disagrees: %v by %v", rep.Decision, rep.DecidedBy)
			}
		})
	}
}

func TestMatchesAndMessages(t *testing.T) {
	id := pol(Identity, "arn:aws:iam::111111111111:policy/P",
		`{"Sid":"Allow","Effect":"Allow","Action":"iam:*","Resource":"*"}`,
		`{"Sid":"NoDelete","Effect":"Deny","Action":"iam:Delete*","Resource":"*"}`)
	req := &Request{Principal: roleSess, Action: "iam:DeleteRole", Resource: "arn:aws:iam::111111111111:role/x"}
	r := Evaluate(req, &Set{Identity: []*Policy{id}})
	if r.Matched.Len() != 1 || r.Matched.At(0).PolicyID() != "arn:aws:iam::111111111111:policy/P" || r.Matched.At(0).Statement.Sid != "NoDelete" || r.Matched.At(0).Statement.Index != 1 || r.Matched.At(0).Type != Identity {
		t.Fatalf("matched = %+v", r.Matched.Slice())
	}
	want := "User: arn:aws:sts::111111111111:assumed-role/R/s is not authorized to perform: iam:DeleteRole on resource: arn:aws:iam::111111111111:role/x with an explicit deny in an identity-based policy"
	if got := r.DenyMessage(req); got != want {
		t.Fatalf("message:\n got %s\nwant %s", got, want)
	}
	// The example.
	req2 := &Request{Principal: roleSess, Action: "iam:ListRoles", Resource: "arn:aws:iam::111111111111:role/"}
	r2 := Evaluate(req2, &Set{})
	want2 := "User: arn:aws:sts::111111111111:assumed-role/R/s is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111111111111:role/ because no identity-based policy allows the iam:ListRoles action"
	if got := r2.DenyMessage(req2); got != want2 {
		t.Fatalf("message:\n got %s\nwant %s", got, want2)
	}
	if r2.ShortDenyMessage(req2) != "User: arn:aws:sts::111111111111:assumed-role/R/s is not authorized to perform: iam:ListRoles on resource: arn:aws:iam::111111111111:role/" {
		t.Fatal("short message")
	}
	// Allowed: identity + boundary + session matches recorded.
	bd := pol(Boundary, "bd", `{"Sid":"B","Effect":"Allow","Action":"iam:List*","Resource":"*"}`)
	ss := pol(Session, "ss", `{"Sid":"S","Effect":"Allow","Action":"*","Resource":"*"}`)
	r3 := Evaluate(req2, &Set{Identity: []*Policy{id}, Boundary: bd, Session: []*Policy{ss}})
	if !r3.Allowed() || r3.Matched.Len() != 3 || r3.DenyMessage(req2) != "" {
		t.Fatalf("allowed matches = %v %d", r3.Decision, r3.Matched.Len())
	}
	var types []string
	for _, m := range r3.Matched.All() {
		types = append(types, m.Type.String())
	}
	if strings.Join(types, ",") != "identity,boundary,session" {
		t.Fatalf("types = %v", types)
	}
}

func TestDenyMessageVariants(t *testing.T) {
	// errors.md §4 table.
	const a = "sts:AssumeRole"
	tests := []struct {
		d     Decision
		by    Kind
		trust bool
		want  string
	}{
		{ImplicitDeny, Identity, false, "because no identity-based policy allows the sts:AssumeRole action"},
		{ExplicitDeny, Identity, false, "with an explicit deny in an identity-based policy"},
		{ImplicitDeny, Resource, false, "because no resource-based policy allows the sts:AssumeRole action"},
		{ExplicitDeny, Resource, false, "with an explicit deny in a resource-based policy"},
		{ImplicitDeny, Trust, true, "because no role trust policy allows the sts:AssumeRole action"},
		{ExplicitDeny, Trust, true, "with an explicit deny in the role trust policy"},
		{ImplicitDeny, Boundary, false, "because no permissions boundary allows the sts:AssumeRole action"},
		{ExplicitDeny, Boundary, false, "with an explicit deny in a permissions boundary"},
		{ImplicitDeny, Session, false, "because no session policy allows the sts:AssumeRole action"},
		{ExplicitDeny, Session, false, "with an explicit deny in a sessions policy"},
		{ImplicitDeny, SCP, false, "with an explicit deny in a service control policy"},
		{ExplicitDeny, SCP, false, "with an explicit deny in a service control policy"},
		{ImplicitDeny, RCP, false, "because no resource control policy allows the sts:AssumeRole action"},
		{ExplicitDeny, RCP, false, "with an explicit deny in a resource control policy"},
	}
	for _, tc := range tests {
		r := Result{Decision: tc.d, DecidedBy: tc.by, Trust: tc.trust}
		if got := r.Reason(a); got != tc.want {
			t.Errorf("%v/%v: %q want %q", tc.d, tc.by, got, tc.want)
		}
	}
	req := &Request{Principal: userBob, Action: "iam:ListUsers", Resource: "*"}
	r := Result{Decision: ImplicitDeny, DecidedBy: Identity}
	if got := r.DenyMessage(req); got != "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: iam:ListUsers because no identity-based policy allows the iam:ListUsers action" {
		t.Errorf("no-resource message: %s", got)
	}
}

func TestEvaluateReport(t *testing.T) {
	id := MustParse(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/${aws:username}/*"},
    {"Sid": "B", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "Bool": {"aws:MultiFactorAuthPresent": "true"}}},
    {"Sid": "C", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
    {"Sid": "D", "Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "x"}}}
  ]
}`, Identity).WithID("p")
	req := &Request{Principal: userBob, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/bob/k", Context: ctxOf(kv{"aws:SourceIp": {"10.0.0.1"}})}
	rep := EvaluateReport(req, &Set{Identity: []*Policy{id}})
	if !rep.Allowed() {
		t.Fatalf("decision %v", rep.Decision)
	}
	if got := strings.Join(rep.MissingContextValues, ","); got != "aws:username,aws:MultiFactorAuthPresent" {
		t.Errorf("missing = %s", got)
	}
	if len(rep.MatchedStatements) != 1 || rep.MatchedStatements[0].Statement.Sid != "C" || rep.MatchedStatements[0].Statement.Start.Line != 6 {
		t.Errorf("matched = %+v", rep.MatchedStatements)
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	req, set := benchSet(t, true)
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			ok := true
			for j := 0; j < 200; j++ {
				ok = ok && Evaluate(req, set).Allowed()
			}
			done <- ok
		}()
	}
	for i := 0; i < 4; i++ {
		if !<-done {
			t.Fatal("concurrent evaluation disagreed")
		}
	}
}

func TestZeroAllocs(t *testing.T) {
	// The SPEED requirement: no allocation per decision, with or without
	// variables (variables are resolved in place).
	for _, withVar := range []bool{false, true} {
		req, set := benchSet(t, withVar)
		if n := testing.AllocsPerRun(200, func() { _ = Evaluate(req, set) }); n != 0 {
			t.Errorf("withVar=%v: %v allocs per Evaluate", withVar, n)
		}
	}
}

func TestPrincipalFromARN(t *testing.T) {
	tests := []struct {
		in   string
		typ  PrincipalType
		parn string
	}{
		{"arn:aws:iam::111111111111:root", Root, "arn:aws:iam::111111111111:root"},
		{"111111111111", Root, "arn:aws:iam::111111111111:root"},
		{"arn:aws:iam::111111111111:user/a/b", User, "arn:aws:iam::111111111111:user/a/b"},
		{"arn:aws:sts::111111111111:assumed-role/R/s", AssumedRole, "arn:aws:iam::111111111111:role/R"},
		{"arn:aws:sts::111111111111:federated-user/f", FederatedUser, "arn:aws:sts::111111111111:federated-user/f"},
		{"ec2.amazonaws.com", ServicePrincipal, ""},
		{"anonymous", Anonymous, ""},
	}
	for _, tc := range tests {
		p, err := PrincipalFromARN(tc.in)
		if err != nil || p.Type != tc.typ || p.principalARN() != tc.parn {
			t.Errorf("%s: %+v %v", tc.in, p, err)
		}
	}
	if _, err := PrincipalFromARN("arn:aws:s3:::bucket"); err == nil {
		t.Error("bucket accepted as principal")
	}
}
