package policy

import (
	"regexp"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`,
	`{"Version":"2012-10-17","Id":"x","Statement":[{"Sid":"A","Effect":"Deny","NotAction":["iam:*","sts:Get?"],"NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"StringLike":{"s3:prefix":["${aws:username}/*","a${*}"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"NumericLessThan":{"n:x":1e3},"Bool":{"aws:SecureTransport":false},"ForAllValues:StringEquals":{"aws:TagKeys":["a"]},"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"},"Null":{"a:b":"true"}}}]}`,
	`{"Statement":{"Effect":"Allow","Principal":{"AWS":["111111111111","arn:aws:sts::111111111111:assumed-role/R/s"],"Service":"ec2.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
	`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:*"}]}`,
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/x"}}}}`,
	`{"Statement":"x"}`, `[]`, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:\u0041*","Resource":"*","Condition":{"BinaryEquals":{"k:b":"QQ=="}}}]}`,
}

// FuzzParse: Parse never panics; an accepted document's canonical form
// parses again, to the same canonical form (same meaning), for every kind.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, doc string, k uint8) {
		kind := Kind(int(k)%int(RCP) + 1)
		_ = Size(doc)
		_ = Lint(doc, kind)
		p, err := Parse(doc, kind)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("non-ParseError %T", err)
			}
			return
		}
		c1 := p.Canonical()
		q, err := Parse(c1, kind)
		if err != nil {
			t.Fatalf("canonical form rejected: %v\n%s\nfrom %s", err, c1, doc)
		}
		if c2 := q.Canonical(); c2 != c1 {
			t.Fatalf("canonical not stable:\n%s\n%s", c1, c2)
		}
		// Both compile to the same decisions on a probe request.
		ctx := NewContext()
		ctx.Set("aws:username", "bob")
		ctx.Set("aws:SourceIp", "10.1.1.1")
		for _, action := range []string{"s3:GetObject", "iam:ListRoles", "sts:AssumeRole"} {
			req := &Request{Principal: userBob, Action: action, Resource: "arn:aws:s3:::b/bob/x", Context: ctx}
			var s1, s2 Set
			switch kind {
			case Resource, Trust:
				s1, s2 = Set{Resource: p, Trust: kind == Trust}, Set{Resource: q, Trust: kind == Trust}
			case SCP:
				s1, s2 = Set{SCPs: [][]*Policy{{p}}}, Set{SCPs: [][]*Policy{{q}}}
			default:
				s1, s2 = Set{Identity: []*Policy{p}}, Set{Identity: []*Policy{q}}
			}
			r1, r2 := Evaluate(req, &s1), Evaluate(req, &s2)
			if r1.Decision != r2.Decision || r1.DecidedBy != r2.DecidedBy {
				t.Fatalf("canonical form decides differently for %s: %v vs %v", action, r1.Decision, r2.Decision)
			}
		}
	})
}

// refGlob is an independent reference matcher built on regexp.
func refGlob(pattern, s string, arn bool) bool {
	if arn {
		if pattern != "" && strings.Trim(pattern, "*") == "" {
			return true // a pattern of only stars matches any ARN
		}
		pf := strings.SplitN(pattern, ":", 6)
		sf := strings.SplitN(s, ":", 6)
		if len(pf) != len(sf) {
			return false
		}
		for i := range pf {
			if !refGlob(pf[i], sf[i], false) {
				return false
			}
		}
		return true
	}
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String()).MatchString(s)
}

// FuzzGlob checks the token matcher (StringLike and ArnLike modes) against
// the regexp reference, and condition evaluation never panics.
func FuzzGlob(f *testing.F) {
	f.Add("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b")
	f.Add("arn:aws:*:*:111122223333:finance/*", "arn:aws:x:us-east-2:999999999999:store/abc:111122223333:finance/doc")
	f.Add("a*b?c*", "aXXbYcZZ")
	f.Add("*:*", "a:b:c")
	f.Add("é?*", "éüx")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 128 {
			return
		}
		if strings.Contains(pattern, "${") || !utf8Valid(pattern) || !utf8Valid(s) {
			return
		}
		tm := compileTmpl(pattern, false, true, false)
		got, _ := tm.match(s, mGlob, nil)
		if want := refGlob(pattern, s, false); got != want {
			t.Fatalf("StringLike %q vs %q = %v, want %v", pattern, s, got, want)
		}
		gotArn, _ := tm.match(s, mArn, nil)
		if wantArn := refGlob(pattern, s, true); gotArn != wantArn {
			t.Fatalf("ArnLike %q vs %q = %v, want %v", pattern, s, gotArn, wantArn)
		}
		// Condition evaluation with arbitrary values must not panic.
		for _, op := range []string{"StringLike", "ArnLike", "NumericLessThan", "DateLessThan", "IpAddress", "Bool", "BinaryEquals"} {
			doc := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"` + op + `":{"k:k":` + jsonQuote(pattern) + `}}}}`
			p, err := Parse(doc, Identity)
			if err != nil {
				continue
			}
			ctx := NewContext()
			ctx.Set("k:k", s)
			_ = Evaluate(&Request{Principal: userBob, Action: "a:b", Resource: "*", Context: ctx}, &Set{Identity: []*Policy{p}})
		}
	})
}

func jsonQuote(s string) string {
	var b strings.Builder
	writeJSONString(&b, s)
	return b.String()
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

func TestRefGlobAgrees(t *testing.T) {
	// Deterministic run of the fuzz property over a small grid.
	pats := []string{"*", "a*", "*a", "a?c", "arn:aws:s3:::b/*", "arn:*:iam::*:role/*", "arn:aws:x:*:1:a/*", "**", "?*?", "a:*:c"}
	subs := []string{"", "a", "abc", "arn:aws:s3:::b/k:1", "arn:aws:iam::1:role/r", "arn:aws:x:r:1:a/b:c", "a:b:c", "a:b:d:c"}
	for _, p := range pats {
		tm := compileTmpl(p, false, true, false)
		for _, s := range subs {
			if got, _ := tm.match(s, mGlob, nil); got != refGlob(p, s, false) {
				t.Errorf("glob %q %q", p, s)
			}
			if got, _ := tm.match(s, mArn, nil); got != refGlob(p, s, true) {
				t.Errorf("arn %q %q = %v", p, s, got)
			}
		}
	}
}
