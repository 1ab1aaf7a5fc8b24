package policy

import (
	"fmt"
	"strings"
	"testing"
)

// benchSet builds 5 identity policies with 4 statements each (20
// statements): wildcard ARNs, one StringLike with a policy variable (when
// withVar) and an IpAddress condition. The allowing statement is the last
// statement of the last policy, so every statement is examined.
func benchSet(b testing.TB, withVar bool) (*Request, *Set) {
	var pols []*Policy
	for i := 0; i < 5; i++ {
		var stmts []string
		for j := 0; j < 4; j++ {
			n := i*4 + j
			stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":["s3:Get*","s3:List%d*"],"Resource":"arn:aws:s3:::bucket-%d/*"}`, n, n, n))
		}
		if i == 3 {
			stmts[1] = `{"Sid":"DenyOutside","Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16","2001:db8::/32"]}}}`
		}
		if i == 4 {
			v := "home/bob/*"
			if withVar {
				v = "home/${aws:username}/*"
			}
			stmts[3] = `{"Sid":"Home","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::shared-*/home/*","Condition":{"StringLike":{"s3:prefix":["` + v + `"]},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`
		}
		doc := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
		pols = append(pols, MustParse(doc, Identity).WithID(fmt.Sprintf("p%d", i)))
	}
	ctx := NewContext()
	ctx.Set("aws:username", "bob")
	ctx.Set("aws:SourceIp", "10.1.2.3")
	ctx.Set("s3:prefix", "home/bob/docs")
	ctx.Set("aws:PrincipalArn", "arn:aws:iam::111111111111:user/bob")
	req := &Request{
		Principal: Principal{Type: User, Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/bob", UniqueID: "AIDAEXAMPLEEXAMPLE01"},
		Action:    "s3:PutObject",
		Resource:  "arn:aws:s3:::shared-data/home/bob/docs/a.txt",
		Context:   ctx,
	}
	return req, &Set{Identity: pols}
}

func BenchmarkEvaluateWithVariable(b *testing.B) {
	req, set := benchSet(b, true)
	if r := Evaluate(req, set); !r.Allowed() {
		b.Fatalf("want allowed, got %v by %v", r.Decision, r.DecidedBy)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Evaluate(req, set)
	}
}

func BenchmarkEvaluateNoVariable(b *testing.B) {
	req, set := benchSet(b, false)
	if r := Evaluate(req, set); !r.Allowed() {
		b.Fatalf("want allowed, got %v", r.Decision)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Evaluate(req, set)
	}
}

// A big set: 10 identity policies x 20 statements, boundary, session
// policy, 3 SCP levels and a resource policy.
func BenchmarkEvaluateBigSet(b *testing.B) {
	var ids []*Policy
	for i := 0; i < 10; i++ {
		var stmts []string
		for j := 0; j < 20; j++ {
			stmts = append(stmts, fmt.Sprintf(`{"Effect":"Allow","Action":["ec2:Describe%d*","s3:Get%d*"],"Resource":["arn:aws:s3:::b-%d-%d/*","arn:aws:ec2:*:*:instance/i-%d*"],"Condition":{"StringEquals":{"aws:PrincipalTag/team":"t%d"}}}`, j, j, i, j, j, j))
		}
		ids = append(ids, MustParse(`{"Version":"2012-10-17","Statement":[`+strings.Join(stmts, ",")+`]}`, Identity))
	}
	ids = append(ids, MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:111111111111:q-*"}}`, Identity))
	all := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`
	scp := MustParse(all, SCP)
	set := &Set{
		Identity: ids,
		Boundary: MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:*","s3:*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}`, Boundary),
		Session:  []*Policy{MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:Send*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}`, Session)},
		SCPs:     [][]*Policy{{scp}, {scp, MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"sqs:DeleteQueue","Resource":"*"}}`, SCP)}, {scp}},
		Resource: MustParse(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}`, Resource),
	}
	ctx := NewContext()
	ctx.Set("aws:PrincipalTag/team", "t3")
	ctx.Set("aws:SecureTransport", "true")
	req := &Request{
		Principal: Principal{Type: AssumedRole, Account: "111111111111", ARN: "arn:aws:sts::111111111111:assumed-role/R/s", PrincipalARN: "arn:aws:iam::111111111111:role/R"},
		Action:    "sqs:SendMessage",
		Resource:  "arn:aws:sqs:us-east-1:111111111111:q-orders",
		Context:   ctx,
	}
	if r := Evaluate(req, set); !r.Allowed() {
		b.Fatalf("want allowed, got %v by %v", r.Decision, r.DecidedBy)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = Evaluate(req, set)
	}
}

func BenchmarkParse(b *testing.B) {
	doc := `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "A", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": ["arn:aws:s3:::bucket/${aws:username}/*", "arn:aws:s3:::bucket"],
     "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}, "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]}}},
    {"Sid": "B", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}}
  ]
}`
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := Parse(doc, Identity); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluateDenyMessage measures rendering the message (allocates).
func BenchmarkEvaluateReport(b *testing.B) {
	req, set := benchSet(b, true)
	b.ReportAllocs()
	for b.Loop() {
		_ = EvaluateReport(req, set)
	}
}
