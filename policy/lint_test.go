package policy

import (
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		doc  string
		want []string // SEVERITY/CODE expected
		not  []string // codes that must not appear
	}{
		{"parse error", Identity, `{"Statement":{"Effect":"Allow"}}`, []string{"ERROR/" + CodeMalformed}, nil},
		{"clean", Identity, doc12(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), nil, []string{CodeMissingVersion}},
		{"missing version", Identity, `{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, []string{"WARNING/" + CodeMissingVersion}, nil},
		{"variable without version", Identity, `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/${aws:username}"}}`, []string{"WARNING/" + CodeVariableWithoutVersion}, nil},
		{"public access", Resource, doc12(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), []string{"SECURITY_WARNING/" + CodePublicAccess}, nil},
		{"public access with condition", Resource, doc12(`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`), nil, []string{CodePublicAccess}},
		{"trust star string", Trust, doc12(`{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}`), []string{"WARNING/" + CodeTrustPrincipalStar}, nil},
		{"allow notaction", Identity, doc12(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), []string{"SECURITY_WARNING/" + CodeAllowNotAction}, nil},
		{"allow notresource", Identity, doc12(`{"Effect":"Allow","Action":"s3:*","NotResource":"arn:aws:s3:::secret/*"}`), []string{"SECURITY_WARNING/" + CodeAllowNotResource}, nil},
		{"deny notaction fine", Identity, doc12(`{"Effect":"Deny","NotAction":"iam:*","Resource":"*"}`), nil, []string{CodeAllowNotAction}},
		{"allow notprincipal", Resource, doc12(`{"Effect":"Allow","NotPrincipal":{"AWS":"111111111111"},"Action":"s3:*","Resource":"*"}`), []string{"SECURITY_WARNING/" + CodeAllowNotPrincipal}, nil},
		{"passrole star", Identity, doc12(`{"Effect":"Allow","Action":["iam:PassRole","iam:GetRole"],"Resource":"*"}`), []string{"SECURITY_WARNING/" + CodePassRoleStar}, nil},
		{"passrole scoped", Identity, doc12(`{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::111111111111:role/app-*"}`), nil, []string{CodePassRoleStar}},
		{"forallvalues allow", Identity, doc12(`{"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]}}}`), []string{"SECURITY_WARNING/" + CodeForAllValuesWithAllow}, nil},
		{"forallvalues with null", Identity, doc12(`{"Effect":"Allow","Action":"iam:TagRole","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"Null":{"aws:TagKeys":"false"}}}`), nil, []string{CodeForAllValuesWithAllow}},
		{"set op single valued", Identity, doc12(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:username":"x"}}}`), []string{"WARNING/" + CodeSetOpSingleValued}, nil},
		{"multi valued without set op", Identity, doc12(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:TagKeys":"x"}}}`), []string{"WARNING/" + CodeMultiValuedWithoutSetOp}, nil},
		{"unknown global key", Identity, doc12(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:SourceIP2":"x"}}}`), []string{"WARNING/" + CodeUnknownGlobalKey}, nil},
		{"known tag key", Identity, doc12(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/x":"x"}}}`), nil, []string{CodeUnknownGlobalKey}},
		{"variable in numeric", Identity, doc12(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":"x"},"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}`), nil, []string{CodeVariableUnsupportedOp}},
		{"wildcard in StringEquals", Identity, doc12(`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}}`), []string{"WARNING/" + CodeWildcardInStringEquals}, nil},
		{"id in identity", Identity, `{"Version":"2012-10-17","Id":"x","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`, []string{"WARNING/" + CodeIDInIdentityPolicy}, nil},
		{"redundant action", Identity, doc12(`{"Effect":"Allow","Action":["s3:*","s3:GetObject","S3:Get*"],"Resource":"*"}`), []string{"SUGGESTION/" + CodeRedundantAction}, nil},
		{"redundant resource", Identity, doc12(`{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/k"]}`), []string{"SUGGESTION/" + CodeRedundantResource}, nil},
		{"not redundant", Identity, doc12(`{"Effect":"Allow","Action":["s3:Get?","s3:Get*x"],"Resource":["arn:aws:s3:::b/*","arn:aws:s3:::c"]}`), nil, []string{CodeRedundantAction, CodeRedundantResource}},
		{"duplicate statement", Identity, doc12(`{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`, `{"Sid":"B","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), []string{"SUGGESTION/" + CodeDuplicateStatement}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := Lint(tc.doc, tc.kind)
			var got []string
			for _, f := range fs {
				got = append(got, string(f.Type)+"/"+f.Code)
				if f.Message == "" || f.String() == "" {
					t.Errorf("empty message in %+v", f)
				}
			}
			all := strings.Join(got, " ")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("want %s in %s", w, all)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(all, n) {
					t.Errorf("unexpected %s in %s", n, all)
				}
			}
		})
	}
	if n := len(Lint(doc12(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}`), Identity)); n != 0 {
		t.Errorf("clean policy has %d findings", n)
	}
}

func TestCanonical(t *testing.T) {
	doc := `{"Statement":[{"Effect":"Allow","Sid":"A","Resource":"*","Action":"s3:GetObject","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"n:x":[1,"2"]}}}],"Id":"i","Version":"2012-10-17"}`
	p := MustParse(doc, Identity)
	want := `{"Version":"2012-10-17","Id":"i","Statement":[{"Sid":"A","Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"],"Condition":{"Bool":{"aws:SecureTransport":["true"]},"NumericLessThan":{"n:x":["1","2"]}}}]}`
	if got := p.Canonical(); got != want {
		t.Fatalf("canonical:\n got %s\nwant %s", got, want)
	}
	r := MustParse(doc12(`{"Effect":"Allow","Principal":{"Service":"b","AWS":["111111111111"]},"Action":"s3:*"}`), Resource)
	if got := r.Canonical(); !strings.Contains(got, `"Principal":{"AWS":["111111111111"],"Service":["b"]}`) {
		t.Fatalf("principal canonical: %s", got)
	}
}
