package policy

import (
	"errors"
	"strings"
	"testing"
)

// stmt wraps statement JSON into a 2012-10-17 document.
func doc12(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func TestParseValidation(t *testing.T) {
	const allowAll = `{"Effect":"Allow","Action":"*","Resource":"*"}`
	tests := []struct {
		name string
		spec string // the AWS behaviour pinned
		kind Kind
		doc  string
		msg  string // "" = must be accepted
	}{
		{"version 2012", "policy-language.md §2 Version", Identity, doc12(allowAll), ""},
		{"version 2008", "policy-language.md §2 Version", Identity, `{"Version":"2008-10-17","Statement":` + allowAll + `}`, ""},
		{"version absent", "policy-language.md §2 Version: absent ⇒ 2008", Identity, `{"Statement":` + allowAll + `}`, ""},
		{"version bad", "policy-language.md §2 Version: other values malformed", Identity, `{"Version":"2012-10-18","Statement":` + allowAll + `}`, msgLegacy},
		{"version not first", "policy-language.md §1: accept any key order", Identity, `{"Statement":` + allowAll + `,"Version":"2012-10-17"}`, ""},
		{"statement object", "policy-language.md §1 Statement := statement | [..]", Identity, `{"Version":"2012-10-17","Statement":` + allowAll + `}`, ""},
		{"statement missing", "policy-language.md §1 Statement required", Identity, `{"Version":"2012-10-17"}`, msgMissingStatement},
		{"statement empty array", "policy-language.md §1 Statement required", Identity, `{"Version":"2012-10-17","Statement":[]}`, msgMissingStatement},
		{"not json", "policy-language.md §6 invalid JSON", Identity, `{"Version":`, msgSyntax},
		{"trailing garbage", "policy-language.md §6 invalid JSON", Identity, doc12(allowAll) + `x`, msgSyntax},
		{"top-level array", "policy-language.md §6 invalid JSON", Identity, `[` + allowAll + `]`, msgSyntax},
		{"duplicate key", "policy-language.md §1 duplicate key malformed", Identity, doc12(`{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}`), msgSyntax},
		{"unknown top element", "policy-language.md §6 unknown element", Identity, `{"Version":"2012-10-17","Foo":1,"Statement":` + allowAll + `}`, msgSyntax},
		{"unknown stmt element", "policy-language.md §6 unknown element", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Foo":"x"}`), msgSyntax},
		{"id allowed", "policy-language.md §2 Id optional", Resource, `{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}}`, ""},
		{"missing effect", "policy-language.md §2 Effect required", Identity, doc12(`{"Action":"*","Resource":"*"}`), msgMissingEffect},
		{"effect lower-case", "policy-language.md §2 Effect case-sensitive", Identity, doc12(`{"Effect":"allow","Action":"*","Resource":"*"}`), "Invalid effect: allow"},
		{"missing action", "policy-language.md §6 Policy statement must contain actions.", Identity, doc12(`{"Effect":"Allow","Resource":"*"}`), msgNoActions},
		{"empty action list", "policy-language.md §6 must contain actions", Identity, doc12(`{"Effect":"Allow","Action":[],"Resource":"*"}`), msgNoActions},
		{"action two colons", "policy-language.md §6 only one colon", Identity, doc12(`{"Effect":"Allow","Action":"iam:a:b","Resource":"*"}`), msgOneColon},
		{"action no vendor", "policy-language.md §2 missing prefix", Identity, doc12(`{"Effect":"Allow","Action":"ListRoles","Resource":"*"}`), msgVendor},
		{"unknown action accepted", "policy-language.md §2 IAM does not reject unknown actions", Identity, doc12(`{"Effect":"Allow","Action":"iam:NoSuchThing","Resource":"*"}`), ""},
		{"action and notaction", "policy-language.md §2 exactly one of Action/NotAction", Identity, doc12(`{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}`), msgSyntax},
		{"missing resource identity", "policy-language.md §6 must contain resources", Identity, doc12(`{"Effect":"Allow","Action":"*"}`), msgNoResources},
		{"missing resource boundary", "policy-language.md §3 boundary: resource required", Boundary, doc12(`{"Effect":"Allow","Action":"*"}`), msgNoResources},
		{"missing resource session", "policy-language.md §3 session: resource required", Session, doc12(`{"Effect":"Allow","Action":"*"}`), msgNoResources},
		{"missing resource resource-policy ok", "policy-language.md §2 resource policies: Resource optional", Resource, doc12(`{"Effect":"Allow","Principal":"*","Action":"s3:*"}`), ""},
		{"iam resource with region", "policy-language.md §6 IAM resource region", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:iam:us-east-1:111111111111:role/x"}`), "IAM resource arn:aws:iam:us-east-1:111111111111:role/x cannot contain region information."},
		{"resource not arn", "IAM: resource must be ARN or *", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"vpc-123"}`), `Resource vpc-123 must be in ARN format or "*".`},
		{"principal in identity", "policy-language.md §6 principal in identity policy", Identity, doc12(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), msgNoPrincipalAllow},
		{"principal in session", "policy-language.md §6 principal in session policy", Session, doc12(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), msgNoPrincipalAllow},
		{"notprincipal in boundary", "policy-language.md §2 NotPrincipal not in identity policies", Boundary, doc12(`{"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},"Action":"*","Resource":"*"}`), msgNoPrincipalAllow},
		{"principal in scp", "policy-language.md §3 SCP: principal forbidden", SCP, doc12(`{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}`), msgNoPrincipalAllow},
		{"trust without principal", "policy-language.md §6 Missing required field Principal", Trust, doc12(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), msgMissingPrincipal},
		{"resource policy without principal", "policy-language.md §2 Principal required in resource policies", Resource, doc12(`{"Effect":"Allow","Action":"s3:*"}`), msgMissingPrincipal},
		{"trust with resource", "policy-language.md §6 Has prohibited field Resource.", Trust, doc12(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:AssumeRole","Resource":"*"}`), msgProhibitResource},
		{"trust non-sts action", "policy-language.md §6 AssumeRole policy may only specify STS AssumeRole actions.", Trust, doc12(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"s3:GetObject"}`), msgTrustActions},
		{"trust sts actions", "policy-language.md §3 trust: AssumeRole* TagSession SetSourceIdentity SetContext", Trust, doc12(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity","sts:SetContext","STS:AssumeRoleWithSAML","sts:AssumeRoleWithWebIdentity"]}`), ""},
		{"trust sts wildcard", "policy-language.md §3 sts:* acceptance unconfirmed → accepted", Trust, doc12(`{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"sts:*"}`), ""},
		{"trust notprincipal", "policy-language.md §2 NotPrincipal forbidden in trust policies", Trust, doc12(`{"Effect":"Deny","NotPrincipal":{"AWS":"111111111111"},"Action":"sts:AssumeRole"}`), msgProhibitNotPrinc},
		{"partial wildcard principal", "policy-language.md §2 no partial wildcards in principals", Resource, doc12(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:user/*"},"Action":"s3:*"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:user/*"`},
		{"group principal", "policy-language.md §2 groups cannot be principals", Resource, doc12(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:group/g"},"Action":"s3:*"}`), `Invalid principal in policy: "AWS":"arn:aws:iam::111111111111:group/g"`},
		{"unknown principal key", "policy-language.md §1 Principal keys", Resource, doc12(`{"Effect":"Allow","Principal":{"Foo":"x"},"Action":"s3:*"}`), `Invalid principal in policy: "Foo":"x"`},
		{"all principal forms", "policy-language.md §2 Principal element forms", Resource, doc12(`{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:iam::111111111111:root","arn:aws:iam::111111111111:user/p/Bob","arn:aws:iam::111111111111:role/R","arn:aws:sts::111111111111:assumed-role/R/s","arn:aws:sts::111111111111:federated-user/N","AIDAEXAMPLEEXAMPLE01","AROAEXAMPLEEXAMPLE01"],"Service":["ec2.amazonaws.com"],"Federated":"accounts.google.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*"}`), ""},
		{"sid alnum", "policy-language.md §2 Sid [A-Za-z0-9]", Identity, doc12(`{"Sid":"Bad Sid","Effect":"Allow","Action":"*","Resource":"*"}`), msgBadSid},
		{"sid with space in resource policy", "policy-language.md §2 other services allow more characters", Resource, doc12(`{"Sid":"Any Sid","Effect":"Allow","Principal":"*","Action":"s3:*"}`), ""},
		{"duplicate sid", "policy-language.md §6 Sids unique", Identity, doc12(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}`, `{"Sid":"A","Effect":"Deny","Action":"*","Resource":"*"}`), msgDupSid},
		{"unknown operator", "policy-language.md §6 unknown condition operator", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"x"}}}`), "Invalid Condition type : StringEqualz"},
		{"null ifexists", "conditions.md §2 IfExists for every operator except Null", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:username":"true"}}}`), "Invalid Condition type : NullIfExists"},
		{"unknown key accepted", "policy-language.md §2 unknown condition keys accepted", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"foo:bar":"x"}}}`), ""},
		{"condition bool and number values", "policy-language.md §1 quotes optional for numbers/booleans", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":true},"NumericLessThan":{"aws:MultiFactorAuthAge":3600}}}`), ""},
		{"bad cidr", "conditions.md §1 unparsable value (reading: rejected)", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}}`), "Invalid Condition value for IpAddress: 10.0.0.0/33"},
		{"bad number", "conditions.md §1 unparsable value (reading: rejected)", Identity, doc12(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"aws:MultiFactorAuthAge":"ten"}}}`), "Invalid Condition value for NumericEquals: ten"},
		{"rcp principal must be star", "policy-language.md §3 RCP: Principal required (\"*\")", RCP, doc12(`{"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}`), msgRCPPrincipal},
		{"rcp allow only full access", "policy-language.md §3 RCP: Allow only in RCPFullAWSAccess", RCP, doc12(`{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}`), msgRCPAllow},
		{"rcp full access", "policy-language.md §3 RCPFullAWSAccess", RCP, doc12(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`), ""},
		{"scp", "policy-language.md §3 SCP", SCP, doc12(`{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}}`), ""},
		{"invalid utf8", "policy-language.md §6 syntax", Identity, "{\"Statement\":{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"\xff\"}}", msgSyntax},
		{"escaped strings", "JSON escapes decode", Identity, doc12(`{"Effect":"Allow","Action":"iam:\u004cist*","Resource":"*"}`), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc, tc.kind)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("[%s] want accepted, got %v", tc.spec, err)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("[%s] want ParseError %q, got %v", tc.spec, tc.msg, err)
			}
			if pe.Error() != tc.msg || pe.Code() != "MalformedPolicyDocument" {
				t.Fatalf("[%s] got %q (%s), want %q", tc.spec, pe.Error(), pe.Code(), tc.msg)
			}
		})
	}
}

func TestParseInvalidKind(t *testing.T) {
	if _, err := Parse(`{}`, KindNone); err == nil {
		t.Fatal("KindNone must be rejected")
	}
}

func TestStatementPositions(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"},\n    {\"Sid\": \"B\",\n     \"Effect\": \"Deny\", \"Action\": \"iam:*\", \"Resource\": \"*\"}\n  ]\n}"
	p := MustParse(doc, Identity)
	st := p.Statements()
	if len(st) != 2 {
		t.Fatalf("statements = %d", len(st))
	}
	if st[0].Start != (Position{Line: 4, Column: 5, Offset: strings.Index(doc, `{"Sid": "A"`)}) {
		t.Errorf("stmt 0 start = %+v", st[0].Start)
	}
	if st[1].Start.Line != 5 || st[1].End.Line != 6 || st[1].Sid != "B" || st[1].Effect != Deny {
		t.Errorf("stmt 1 = %+v", st[1])
	}
	if doc[st[1].End.Offset-1] != '}' {
		t.Errorf("end offset not past '}'")
	}
}

func TestParseErrorPosition(t *testing.T) {
	doc := "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"},\n{\"Effect\":\"Maybe\",\"Action\":\"*\",\"Resource\":\"*\"}]}"
	_, err := Parse(doc, Identity)
	pe, ok := err.(*ParseError)
	if !ok || pe.Statement != 1 || pe.Pos.Line != 3 {
		t.Fatalf("got %#v", err)
	}
}

func TestSize(t *testing.T) {
	// policy-language.md §3: size counted as non-whitespace characters
	// (whitespace inside strings counts, outside does not).
	tests := []struct {
		doc  string
		want int
	}{
		{`{}`, 2},
		{"{ \n\t\r}", 2},
		{`{"a b": "c d"}`, 13},
		{`{"a\"  b": 1}`, 12},
		{`{"é": 1}`, 7},
	}
	for _, tc := range tests {
		if got := Size(tc.doc); got != tc.want {
			t.Errorf("Size(%q) = %d, want %d", tc.doc, got, tc.want)
		}
	}
	p := MustParse(doc12(`{"Effect":"Allow","Action":"*","Resource":"*"}`), Identity)
	if p.Size() != Size(doc12(`{"Effect":"Allow","Action":"*","Resource":"*"}`)) {
		t.Error("Policy.Size mismatch")
	}
}

func TestValidCharset(t *testing.T) {
	// policy-language.md §6 character set: TAB, LF, CR, U+0020..U+00FF.
	if !ValidCharset("{\t\n\r \"é\u00ff\"}") {
		t.Error("valid charset rejected")
	}
	if ValidCharset("{\"\u0100\"}") || ValidCharset("\x01") {
		t.Error("invalid charset accepted")
	}
}

func TestAccessors(t *testing.T) {
	p := MustParse(`{"Version":"2012-10-17","Id":"doc1","Statement":{"Sid":"S","Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::b/${aws:username}","Condition":{"StringEquals":{"aws:PrincipalTag/Team":"${aws:PrincipalTag/x}"}}}}`, Identity)
	q := p.WithID("my-id")
	if p.ID() != "" || q.ID() != "my-id" || q.Version() != Version2012 || q.DocumentID() != "doc1" || q.Kind() != Identity {
		t.Fatalf("accessors: %q %q %q %q", p.ID(), q.ID(), q.Version(), q.DocumentID())
	}
	keys := strings.Join(p.ConditionKeys(), ",")
	if keys != "aws:username,aws:PrincipalTag/Team,aws:PrincipalTag/x" {
		t.Fatalf("ConditionKeys = %s", keys)
	}
	if k, ok := ParseKind("SCP"); !ok || k != SCP || k.String() != "scp" {
		t.Fatal("ParseKind")
	}
	if _, ok := ParseKind("bogus"); ok {
		t.Fatal("ParseKind bogus")
	}
}
