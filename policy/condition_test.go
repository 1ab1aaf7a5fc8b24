package policy

import (
	"testing"
)

type kv map[string][]string

func ctxOf(m kv) *Context {
	c := NewContext()
	for k, v := range m {
		c.Set(k, v...)
	}
	return c
}

// condHolds evaluates an Allow statement carrying condJSON and reports
// whether it allowed.
func condHolds(t *testing.T, version, condJSON string, ctx kv) bool {
	t.Helper()
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	doc := `{` + v + `"Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + condJSON + `}}`
	p, err := Parse(doc, Identity)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	req := &Request{Principal: Principal{Type: User, Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/u"}, Action: "s3:GetObject", Resource: "*", Context: ctxOf(ctx)}
	return Evaluate(req, &Set{Identity: []*Policy{p}}).Allowed()
}

func TestConditionOperators(t *testing.T) {
	const v12 = Version2012
	tests := []struct {
		name string
		spec string
		ver  string
		cond string
		ctx  kv
		want bool
	}{
		// String family (conditions.md §2, §4)
		{"StringEquals case-sensitive", "conditions.md §4 row 1", v12, `{"StringEquals":{"aws:username":"johndoe"}}`, kv{"aws:username": {"JohnDoe"}}, false},
		{"StringEquals match", "conditions.md §2 String", v12, `{"StringEquals":{"aws:username":"johndoe"}}`, kv{"aws:username": {"johndoe"}}, true},
		{"StringEqualsIgnoreCase", "conditions.md §4 row 2", v12, `{"StringEqualsIgnoreCase":{"aws:username":"johndoe"}}`, kv{"aws:username": {"JohnDoe"}}, true},
		{"StringNotEqualsIgnoreCase", "conditions.md §2", v12, `{"StringNotEqualsIgnoreCase":{"aws:username":"johndoe"}}`, kv{"aws:username": {"JOHNDOE"}}, false},
		{"StringEquals no wildcard", "conditions.md §2 exact", v12, `{"StringEquals":{"aws:username":"j*"}}`, kv{"aws:username": {"john"}}, false},
		{"StringLike star", "conditions.md §2 StringLike *", v12, `{"StringLike":{"s3:prefix":"home/*"}}`, kv{"s3:prefix": {"home/a/b"}}, true},
		{"StringLike star empty", "conditions.md §2 * incl. empty", v12, `{"StringLike":{"s3:prefix":"home/*"}}`, kv{"s3:prefix": {"home/"}}, true},
		{"StringLike qmark", "conditions.md §2 ? exactly one", v12, `{"StringLike":{"s3:prefix":"a?c"}}`, kv{"s3:prefix": {"abc"}}, true},
		{"StringLike qmark not zero", "conditions.md §2 ? exactly one", v12, `{"StringLike":{"s3:prefix":"a?c"}}`, kv{"s3:prefix": {"ac"}}, false},
		{"StringLike case-sensitive", "conditions.md §2 case-sensitive glob", v12, `{"StringLike":{"s3:prefix":"Home/*"}}`, kv{"s3:prefix": {"home/x"}}, false},
		{"StringLike literal star via ${*}", "conditions.md §5 ${*}", v12, `{"StringLike":{"s3:prefix":"a${*}"}}`, kv{"s3:prefix": {"ab"}}, false},
		{"StringLike literal star via ${*} match", "conditions.md §5 ${*}", v12, `{"StringLike":{"s3:prefix":"a${*}"}}`, kv{"s3:prefix": {"a*"}}, true},
		{"StringLike ${?} ${$}", "conditions.md §5 ${?} ${$}", v12, `{"StringLike":{"s3:prefix":"${?}${$}"}}`, kv{"s3:prefix": {"?$"}}, true},
		{"StringNotLike", "conditions.md §2", v12, `{"StringNotLike":{"s3:prefix":["a*","b*"]}}`, kv{"s3:prefix": {"c"}}, true},
		{"StringNotLike any match", "conditions.md §1 negated = none match", v12, `{"StringNotLike":{"s3:prefix":["a*","b*"]}}`, kv{"s3:prefix": {"b1"}}, false},
		{"multi-value OR", "conditions.md §1 values OR", v12, `{"StringEquals":{"aws:PrincipalAccount":["A","B"]}}`, kv{"aws:PrincipalAccount": {"B"}}, true},
		{"multi-key AND", "conditions.md §1 keys AND", v12, `{"StringEquals":{"a:x":"1","a:y":"2"}}`, kv{"a:x": {"1"}, "a:y": {"3"}}, false},
		{"multi-operator AND", "conditions.md §1 operators AND", v12, `{"StringEquals":{"a:x":"1"},"StringLike":{"a:y":"2*"}}`, kv{"a:x": {"1"}, "a:y": {"20"}}, true},
		{"key case-insensitive", "conditions.md §1 key names case-insensitive", v12, `{"IpAddress":{"AWS:sourceip":"10.0.0.0/8"}}`, kv{"aws:SourceIp": {"10.1.1.1"}}, true},
		{"tag key case-insensitive", "conditions.md §1 tag-key part case-insensitive", v12, `{"StringEquals":{"aws:ResourceTag/TagKey1":"v"}}`, kv{"aws:resourcetag/tagkey1": {"v"}}, true},
		{"operator name case-insensitive", "AMBIGUITIES.md operator case", v12, `{"stringequals":{"a:x":"1"}}`, kv{"a:x": {"1"}}, true},
		// Missing keys (conditions.md §1)
		{"missing key positive false", "conditions.md §1 missing key", v12, `{"StringEquals":{"a:x":"1"}}`, kv{}, false},
		{"missing key negated true", "conditions.md §1 negated on absent key", v12, `{"StringNotEquals":{"a:x":"1"}}`, kv{}, true},
		{"missing key IfExists true", "conditions.md §1 IfExists", v12, `{"StringEqualsIfExists":{"a:x":"1"}}`, kv{}, true},
		{"present key IfExists evaluates", "conditions.md §2 IfExists", v12, `{"StringEqualsIfExists":{"a:x":"1"}}`, kv{"a:x": {"2"}}, false},
		{"empty value list is absent", "conditions.md §1", v12, `{"StringEquals":{"a:x":"1"}}`, kv{"a:x": {}}, false},
		// Numeric
		{"NumericEquals", "conditions.md §2 Numeric", v12, `{"NumericEquals":{"n:x":"10"}}`, kv{"n:x": {"10.0"}}, true},
		{"NumericNotEquals", "conditions.md §2 Numeric", v12, `{"NumericNotEquals":{"n:x":10}}`, kv{"n:x": {"11"}}, true},
		{"NumericLessThan", "conditions.md §2", v12, `{"NumericLessThan":{"n:x":"10"}}`, kv{"n:x": {"9.5"}}, true},
		{"NumericLessThan equal", "conditions.md §2", v12, `{"NumericLessThan":{"n:x":"10"}}`, kv{"n:x": {"10"}}, false},
		{"NumericLessThanEquals", "conditions.md §2", v12, `{"NumericLessThanEquals":{"n:x":"10"}}`, kv{"n:x": {"10"}}, true},
		{"NumericGreaterThan", "conditions.md §2", v12, `{"NumericGreaterThan":{"n:x":"-1"}}`, kv{"n:x": {"0"}}, true},
		{"NumericGreaterThanEquals", "conditions.md §2", v12, `{"NumericGreaterThanEquals":{"n:x":"3600"}}`, kv{"n:x": {"3599"}}, false},
		{"Numeric big ints exact", "conditions.md §2 integer comparison", v12, `{"NumericEquals":{"n:x":"9007199254740993"}}`, kv{"n:x": {"9007199254740992"}}, false},
		{"Numeric unparsable request", "conditions.md §1 unparsable → false", v12, `{"NumericEquals":{"n:x":"1"}}`, kv{"n:x": {"one"}}, false},
		// Date
		{"DateLessThan revocation", "conditions.md §4 last row", v12, `{"DateLessThan":{"aws:TokenIssueTime":"2026-01-01T00:00:00Z"}}`, kv{"aws:TokenIssueTime": {"2025-06-01T10:00:00Z"}}, true},
		{"DateGreaterThan", "conditions.md §2 Date", v12, `{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01"}}`, kv{"aws:CurrentTime": {"2020-01-01T00:00:01Z"}}, true},
		{"DateEquals epoch vs iso", "conditions.md §2 epoch seconds", v12, `{"DateEquals":{"aws:CurrentTime":"1577836800"}}`, kv{"aws:CurrentTime": {"2020-01-01T00:00:00Z"}}, true},
		{"DateNotEquals", "conditions.md §2", v12, `{"DateNotEquals":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, kv{"aws:CurrentTime": {"2020-01-01T01:00:00+01:00"}}, false},
		{"DateLessThanEquals year-month", "conditions.md §2 YYYY-MM", v12, `{"DateLessThanEquals":{"aws:CurrentTime":"2020-02"}}`, kv{"aws:CurrentTime": {"2020-02-01T00:00:00Z"}}, true},
		{"DateGreaterThanEquals fractional", "conditions.md §2 hh:mm:ss.sTZD", v12, `{"DateGreaterThanEquals":{"aws:CurrentTime":"2020-01-01T00:00:00.5Z"}}`, kv{"aws:CurrentTime": {"2020-01-01T00:00:00.4Z"}}, false},
		{"Date year only", "conditions.md §2 YYYY", v12, `{"DateLessThan":{"aws:CurrentTime":"2021"}}`, kv{"aws:CurrentTime": {"2020-12-31T23:59:59Z"}}, true},
		{"Date hh:mm", "conditions.md §2 Thh:mmTZD", v12, `{"DateEquals":{"aws:CurrentTime":"2020-01-01T10:30Z"}}`, kv{"aws:CurrentTime": {"2020-01-01T10:30:00Z"}}, true},
		{"EpochTime numeric", "conditions.md §2 EpochTime with Numeric", v12, `{"NumericGreaterThan":{"aws:EpochTime":1577836800}}`, kv{"aws:EpochTime": {"1577836801"}}, true},
		// Bool
		{"Bool true", "conditions.md §2 Bool", v12, `{"Bool":{"aws:SecureTransport":"true"}}`, kv{"aws:SecureTransport": {"true"}}, true},
		{"Bool json true", "policy-language.md §1 bool unquoted", v12, `{"Bool":{"aws:SecureTransport":true}}`, kv{"aws:SecureTransport": {"TRUE"}}, true},
		{"Bool false mismatch", "conditions.md §2 Bool", v12, `{"Bool":{"aws:SecureTransport":"false"}}`, kv{"aws:SecureTransport": {"true"}}, false},
		{"Bool absent", "conditions.md §4 Bool on absent key false", v12, `{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`, kv{}, false},
		{"BoolIfExists absent", "conditions.md §4 BoolIfExists absent → true", v12, `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}`, kv{}, true},
		{"Bool garbage policy value", "conditions.md §2 Bool", v12, `{"Bool":{"aws:SecureTransport":"yes"}}`, kv{"aws:SecureTransport": {"false"}}, false},
		// Binary
		{"BinaryEquals", "conditions.md §2 base64", v12, `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWU="}}`, kv{"k:b": {"QmluYXJ5VmFsdWU="}}, true},
		{"BinaryEquals raw", "conditions.md §2 byte comparison", v12, `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWU="}}`, kv{"k:b": {"BinaryValue"}}, true},
		{"BinaryEquals differ", "conditions.md §2", v12, `{"BinaryEquals":{"k:b":"QmluYXJ5VmFsdWU="}}`, kv{"k:b": {"QQ=="}}, false},
		// IP
		{"IpAddress v4", "conditions.md §2 IP", v12, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"203.0.113.9"}}, true},
		{"IpAddress v4 out", "conditions.md §2 IP", v12, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{"aws:SourceIp": {"203.0.114.9"}}, false},
		{"IpAddress bare v4 = /32", "conditions.md §2 bare IPv4 /32", v12, `{"IpAddress":{"aws:SourceIp":"203.0.113.5"}}`, kv{"aws:SourceIp": {"203.0.113.5"}}, true},
		{"IpAddress v6", "conditions.md §2 IPv6", v12, `{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}`, kv{"aws:SourceIp": {"2001:db8:1234:5678::1"}}, true},
		{"IpAddress mixed list", "conditions.md §2 mixing v4/v6", v12, `{"IpAddress":{"aws:SourceIp":["2001:DB8::/32","10.0.0.0/8"]}}`, kv{"aws:SourceIp": {"10.9.9.9"}}, true},
		{"IpAddress absent (VPC endpoint)", "conditions.md §4 IpAddress absent → false", v12, `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, kv{}, false},
		{"NotIpAddress", "conditions.md §2", v12, `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, kv{"aws:SourceIp": {"8.8.8.8"}}, true},
		{"NotIpAddress inside", "conditions.md §2", v12, `{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]}}`, kv{"aws:SourceIp": {"192.168.1.1"}}, false},
		{"IpAddress v4-mapped", "IPv4-mapped IPv6 source", v12, `{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, kv{"aws:SourceIp": {"::ffff:10.1.2.3"}}, true},
		// ARN
		{"ArnLike role wildcard", "conditions.md §4 ArnLike PrincipalArn", v12, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}}`, kv{"aws:PrincipalArn": {"arn:aws:iam::111111111111:role/AdminX"}}, true},
		{"ArnLike per field", "conditions.md §2 ArnLike example (no match)", v12, `{"ArnLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, kv{"aws:SourceArn": {"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/doc"}}, false},
		{"StringLike crosses fields", "conditions.md §2 ArnLike example (StringLike matches)", v12, `{"StringLike":{"aws:SourceArn":"arn:aws:someservice:*:111122223333:finance/*"}}`, kv{"aws:SourceArn": {"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/doc"}}, true},
		{"ArnEquals behaves like ArnLike", "conditions.md §2 identical behaviour", v12, `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111111111111:topic"}}`, kv{"aws:SourceArn": {"arn:aws:sns:us-east-1:111111111111:topic"}}, true},
		{"ArnLike resource part crosses colon", "conditions.md §2 6th field = rest", v12, `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111111111111:log-group:*"}}`, kv{"aws:SourceArn": {"arn:aws:logs:us-east-1:111111111111:log-group:a:log-stream:b"}}, true},
		{"ArnLike case-sensitive", "conditions.md §2 case-sensitive", v12, `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/admin"}}`, kv{"aws:SourceArn": {"arn:aws:iam::1:role/Admin"}}, false},
		{"ArnNotLike", "conditions.md §2", v12, `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}`, kv{"aws:PrincipalArn": {"arn:aws:iam::1:role/Other"}}, true},
		{"ArnNotEquals absent", "conditions.md §1 negated absent → true", v12, `{"ArnNotEquals":{"aws:SourceArn":"arn:aws:iam::1:role/x"}}`, kv{}, true},
		// Null
		{"Null true absent", "conditions.md §4 Null TokenIssueTime true", v12, `{"Null":{"aws:TokenIssueTime":"true"}}`, kv{}, true},
		{"Null true present", "conditions.md §2 Null", v12, `{"Null":{"aws:TokenIssueTime":"true"}}`, kv{"aws:TokenIssueTime": {"2020-01-01T00:00:00Z"}}, false},
		{"Null false present", "conditions.md §2 Null", v12, `{"Null":{"aws:TokenIssueTime":false}}`, kv{"aws:TokenIssueTime": {"x"}}, true},
		{"Null false absent", "conditions.md §2 Null", v12, `{"Null":{"aws:TokenIssueTime":"false"}}`, kv{}, false},
		{"Null empty string is null", "conditions.md §1 empty string is null", v12, `{"Null":{"a:x":"true"}}`, kv{"a:x": {""}}, true},
		// Set operators (conditions.md §3)
		{"ForAllValues vacuous", "conditions.md §4 ForAllValues no tags → allowed", v12, `{"ForAllValues:StringEquals":{"aws:TagKeys":["Dept"]}}`, kv{}, true},
		{"ForAllValues empty string", "conditions.md §3 null/empty-string → true", v12, `{"ForAllValues:StringEquals":{"aws:TagKeys":["Dept"]}}`, kv{"aws:TagKeys": {""}}, true},
		{"ForAllValues subset", "conditions.md §3 every value matches", v12, `{"ForAllValues:StringEquals":{"aws:TagKeys":["Dept","Team"]}}`, kv{"aws:TagKeys": {"Dept", "Team"}}, true},
		{"ForAllValues not subset", "conditions.md §3", v12, `{"ForAllValues:StringEquals":{"aws:TagKeys":["Dept"]}}`, kv{"aws:TagKeys": {"Dept", "Cost"}}, false},
		{"ForAnyValue absent", "conditions.md §4 ForAnyValue no tags → not allowed", v12, `{"ForAnyValue:StringEquals":{"aws:TagKeys":["Dept"]}}`, kv{}, false},
		{"ForAnyValue one", "conditions.md §3 at least one", v12, `{"ForAnyValue:StringEquals":{"aws:TagKeys":["Dept"]}}`, kv{"aws:TagKeys": {"Cost", "Dept"}}, true},
		{"ForAnyValue IfExists absent", "conditions.md §2 set+IfExists", v12, `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["Dept"]}}`, kv{}, true},
		{"ForAllValues:StringNotEquals", "conditions.md §3 negated per element", v12, `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["Secret"]}}`, kv{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAllValues:StringNotEquals hit", "conditions.md §3", v12, `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["Secret"]}}`, kv{"aws:TagKeys": {"a", "Secret"}}, false},
		{"ForAnyValue:StringNotEquals", "conditions.md §3 some element outside", v12, `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a"]}}`, kv{"aws:TagKeys": {"a", "b"}}, true},
		{"ForAnyValue:StringLike", "conditions.md §3 wildcards need StringLike", v12, `{"ForAnyValue:StringLike":{"aws:TagKeys":["team-*"]}}`, kv{"aws:TagKeys": {"x", "team-a"}}, true},
		{"plain op on multivalued = any", "conditions.md §3 plain op on multivalued", v12, `{"StringEquals":{"aws:TagKeys":"b"}}`, kv{"aws:TagKeys": {"a", "b"}}, true},
		{"plain negated op on multivalued", "conditions.md §1 negated = none", v12, `{"StringNotEquals":{"aws:TagKeys":"b"}}`, kv{"aws:TagKeys": {"a", "b"}}, false},
		// Variables (conditions.md §5)
		{"variable 2012", "conditions.md §5", v12, `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`, kv{"aws:username": {"bob"}, "s3:prefix": {"bob/x"}}, true},
		{"variable 2008 literal", "conditions.md §4 2008-10-17 literal", Version2008, `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`, kv{"aws:username": {"bob"}, "s3:prefix": {"bob/x"}}, false},
		{"variable 2008 literal match", "conditions.md §4 2008-10-17 literal", Version2008, `{"StringLike":{"s3:prefix":"${aws:username}/*"}}`, kv{"s3:prefix": {"${aws:username}/x"}}, true},
		{"variable absent version literal", "policy-language.md §2 absent ⇒ 2008", "", `{"StringEquals":{"s3:prefix":"${aws:username}"}}`, kv{"aws:username": {"bob"}, "s3:prefix": {"bob"}}, false},
		{"variable key case-insensitive", "conditions.md §5 case-insensitive", v12, `{"StringEquals":{"s3:prefix":"${AWS:UserName}"}}`, kv{"aws:username": {"bob"}, "s3:prefix": {"bob"}}, true},
		{"variable principal tag", "conditions.md §5 tag variables", v12, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv{"aws:PrincipalTag/team": {"red"}, "aws:ResourceTag/team": {"red"}}, true},
		{"variable missing positive false", "conditions.md §5 unresolvable → false", v12, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv{"aws:ResourceTag/team": {""}}, false},
		{"variable missing negated true", "conditions.md §5 unresolvable → negated true", v12, `{"StringNotEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team}"}}`, kv{"aws:ResourceTag/team": {"red"}}, true},
		{"variable default", "conditions.md §5 default value", v12, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'company-wide'}"}}`, kv{"aws:ResourceTag/team": {"company-wide"}}, true},
		{"variable default unused", "conditions.md §5 default only when absent", v12, `{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'company-wide'}"}}`, kv{"aws:PrincipalTag/team": {"red"}, "aws:ResourceTag/team": {"company-wide"}}, false},
		{"variable multivalued not substituted", "conditions.md §5 only single-valued keys", v12, `{"StringEquals":{"a:x":"${aws:TagKeys}"}}`, kv{"aws:TagKeys": {"a", "b"}, "a:x": {"a"}}, false},
		{"variable in ArnLike", "conditions.md §2 variables with Arn*", v12, `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::${aws:PrincipalAccount}:role/*"}}`, kv{"aws:PrincipalAccount": {"111111111111"}, "aws:SourceArn": {"arn:aws:iam::111111111111:role/x"}}, true},
		{"variable value with colons in ArnEquals", "conditions.md §2 Arn* variables", v12, `{"ArnEquals":{"aws:SourceArn":"${aws:PrincipalArn}"}}`, kv{"aws:PrincipalArn": {"arn:aws:iam::1:role/x"}, "aws:SourceArn": {"arn:aws:iam::1:role/x"}}, true},
		{"variable value is literal", "conditions.md §5 substituted text is literal", v12, `{"StringLike":{"a:x":"${a:y}"}}`, kv{"a:y": {"b*"}, "a:x": {"bcd"}}, false},
		{"variable StringEqualsIgnoreCase", "conditions.md §2 String* variables", v12, `{"StringEqualsIgnoreCase":{"a:x":"pre-${aws:username}"}}`, kv{"aws:username": {"Bob"}, "a:x": {"PRE-bob"}}, true},
		{"no variable in Numeric", "conditions.md §2 Numeric: no variables", v12, `{"NumericEqualsIfExists":{"a:x":"1"}}`, kv{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := condHolds(t, tc.ver, tc.cond, tc.ctx); got != tc.want {
				t.Fatalf("[%s] %s with %v = %v, want %v", tc.spec, tc.cond, tc.ctx, got, tc.want)
			}
		})
	}
}

func TestDenyWithNegatedOnAbsentKey(t *testing.T) {
	// conditions.md §1: Deny + StringNotEquals on an absent key denies;
	// conditions.md §4: StringNotEquals aws:PrincipalAccount [A,B] + Deny.
	p := MustParse(doc12(
		`{"Effect":"Allow","Action":"*","Resource":"*"}`,
		`{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":["111111111111","222222222222"]}}}`), Identity)
	for _, tc := range []struct {
		acct []string
		want Decision
	}{{nil, ExplicitDeny}, {[]string{"333333333333"}, ExplicitDeny}, {[]string{"111111111111"}, Allowed}} {
		ctx := NewContext()
		if tc.acct != nil {
			ctx.Set("aws:PrincipalAccount", tc.acct...)
		}
		req := &Request{Principal: Principal{Type: User, Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/u"}, Action: "s3:GetObject", Resource: "*", Context: ctx}
		if got := Evaluate(req, &Set{Identity: []*Policy{p}}).Decision; got != tc.want {
			t.Errorf("account %v: got %v want %v", tc.acct, got, tc.want)
		}
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want int64 // seconds
	}{
		{"2020-01-01T00:00:00Z", true, 1577836800},
		{"2020-01-01T01:00:00+01:00", true, 1577836800},
		{"2019-12-31T19:00:00-05:00", true, 1577836800},
		{"2020", true, 1577836800},
		{"2020-01", true, 1577836800},
		{"2020-01-01", true, 1577836800},
		{"1577836800", true, 1577836800},
		{"2020-13-01", false, 0},
		{"2020-01-01T", false, 0},
		{"20x0", false, 0},
		{"", false, 0},
		{"2020-01-01T00:00:00+0100", false, 0},
	} {
		got, ok := parseDate(tc.in)
		if ok != tc.ok || (ok && got != tc.want*1e9) {
			t.Errorf("parseDate(%q) = %d,%v want %d,%v", tc.in, got, ok, tc.want*1e9, tc.ok)
		}
	}
}

func TestContext(t *testing.T) {
	c := NewContext()
	c.Set("AWS:SourceIp", "1.2.3.4")
	c.Add("aws:TagKeys", "a")
	c.Add("AWS:TAGKEYS", "b")
	if v, ok := c.Get("aws:sourceip"); !ok || v[0] != "1.2.3.4" {
		t.Fatal("case-insensitive Get")
	}
	if v, _ := c.Get("aws:tagkeys"); len(v) != 2 {
		t.Fatalf("Add = %v", v)
	}
	c.Delete("aws:sourceIP")
	if _, ok := c.Get("aws:SourceIp"); ok || c.Len() != 1 {
		t.Fatal("Delete")
	}
	d := c.Clone()
	c.Reset()
	if c.Len() != 0 || d.Len() != 1 {
		t.Fatal("Reset/Clone")
	}
	c.SetBool("b:b", true)
	c.SetInt("n:n", 5)
	if v, _ := c.Get("b:b"); v[0] != "true" {
		t.Fatal("SetBool")
	}
	if allocs := testing.AllocsPerRun(100, func() {
		c.Reset()
		c.Set("aws:SourceIp", "1.2.3.4")
		c.Set("aws:username", "bob")
		c.Set("b:b", "true")
	}); allocs != 0 {
		t.Errorf("reused Context allocates %v per fill", allocs)
	}
}

func TestSetPrincipalKeys(t *testing.T) {
	// sessions.md §4 table.
	p, _ := PrincipalFromARN("arn:aws:sts::111111111111:assumed-role/R/s")
	p.UniqueID = "AROAEXAMPLEEXAMPLE01"
	c := NewContext()
	c.SetPrincipalKeys(&p)
	want := map[string]string{
		"aws:PrincipalArn":     "arn:aws:iam::111111111111:role/R",
		"aws:PrincipalType":    "AssumedRole",
		"aws:userid":           "AROAEXAMPLEEXAMPLE01:s",
		"aws:PrincipalAccount": "111111111111",
	}
	for k, v := range want {
		if got, _ := c.Get(k); len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v want %s", k, got, v)
		}
	}
	if _, ok := c.Get("aws:username"); ok {
		t.Error("aws:username must be absent for role sessions")
	}
	u, _ := PrincipalFromARN("arn:aws:iam::111111111111:user/div/bob")
	c.Reset()
	c.SetPrincipalKeys(&u)
	if v, _ := c.Get("aws:username"); len(v) != 1 || v[0] != "bob" {
		t.Errorf("aws:username = %v", v)
	}
	r, _ := PrincipalFromARN("111111111111")
	c.Reset()
	c.SetPrincipalKeys(&r)
	if v, _ := c.Get("aws:userid"); v[0] != "111111111111" {
		t.Errorf("root userid = %v", v)
	}
	if v, _ := c.Get("aws:PrincipalType"); v[0] != "Account" {
		t.Errorf("root type = %v", v)
	}
}
