package query

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func mustErr(t *testing.T, err error, code, msg string, status int) {
	t.Helper()
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("error = %v (%T), want *Error %s", err, err, code)
	}
	if e.Code != code || e.Status != status || (msg != "" && e.Message != msg) {
		t.Fatalf("error = {%q, %q, %d}\nwant    {%q, %q, %d}", e.Code, e.Message, e.Status, code, msg, status)
	}
}

func req(t *testing.T, method, rawQuery, ct string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, "https://sts.amazonaws.com/", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.URL.RawQuery = rawQuery
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	return r
}

func TestParseMerge(t *testing.T) {
	tests := []struct {
		name, method, query, ct, body string
		want                          map[string]string
	}{
		{"botocore post", "POST", "", "application/x-www-form-urlencoded; charset=utf-8",
			"Action=AssumeRole&Version=2011-06-15&RoleSessionName=a+b%20c&Policy=%7B%22x%22%3A1%7D",
			map[string]string{"Action": "AssumeRole", "Version": "2011-06-15", "RoleSessionName": "a b c", "Policy": `{"x":1}`}},
		{"get", "GET", "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", "", "ignored=1",
			map[string]string{"Action": "GetCallerIdentity", "Version": "2011-06-15", "X-Amz-Expires": "60"}},
		{"merge", "POST", "Action=ListUsers", "", "Version=2010-05-08&Action=ListUsers",
			map[string]string{"Action": "ListUsers", "Version": "2010-05-08"}},
		{"json body ignored", "POST", "Action=X", "application/json", `{"a":1}`,
			map[string]string{"Action": "X"}},
		{"bare and empty segments", "GET", "&&Tags&PolicyArns=&a=", "", "",
			map[string]string{"Tags": "", "PolicyArns": "", "a": ""}},
		{"utf8", "POST", "", "application/x-www-form-urlencoded", "Description=%E2%9C%93%C3%A9",
			map[string]string{"Description": "✓é"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse(req(t, tc.method, tc.query, tc.ct), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(v.m, tc.want) {
				t.Fatalf("got %v, want %v", v.m, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, query, body, msg string }{
		{"bad escape", "a=%zz", "", "Malformed percent-encoding '%zz' in the query string."},
		{"short escape", "a=b%2", "", "Malformed percent-encoding '%2' in the query string."},
		{"trailing percent", "", "Action=x%", "Malformed percent-encoding '%' in the query string."},
		{"bad escape in name", "a%g1=b", "", "Malformed percent-encoding '%g1' in the query string."},
		{"invalid utf8", "a=%ff", "", "Parameters must be UTF-8."},
		{"no name", "=x", "", "Parameter without a name: '=x'."},
		{"conflict", "Action=A", "Action=B", "Parameter 'Action' is given more than once with different values."},
		{"too many", strings.Repeat("a=1&", MaxParams) + "b=2", "", "Too many parameters: the limit is 1000."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Parse(req(t, "POST", tc.query, "application/x-www-form-urlencoded"), []byte(tc.body))
			mustErr(t, err, CodeMalformedQueryString, tc.msg, 404)
			if v.Len() != 0 {
				t.Fatal("values returned with error")
			}
		})
	}
	// Exactly MaxParams is fine.
	if _, err := ParseString(strings.Repeat("a=1&", MaxParams)); err != nil {
		t.Fatal(err)
	}
}

func TestAccessors(t *testing.T) {
	v, err := ParseString("Action=AssumeRole&Version=2011-06-15&DurationSeconds=3600&Bad=1x&" +
		"Flag=True&Off=false&Nope=yes&Empty=&Big=9223372036854775808&TaskPolicyArn.arn=arn%3Ax&TaskPolicyArn.extra=1")
	if err != nil {
		t.Fatal(err)
	}
	if v.Action() != "AssumeRole" || v.Version() != "2011-06-15" || v.Get("Missing") != "" {
		t.Fatal("Get")
	}
	if !v.Has("Empty") || v.Has("Missing") {
		t.Fatal("Has")
	}
	if n, ok, err := v.Int("DurationSeconds"); n != 3600 || !ok || err != nil {
		t.Fatalf("Int = %d %v %v", n, ok, err)
	}
	if _, ok, err := v.Int("Missing"); ok || err != nil {
		t.Fatal("Int missing")
	}
	for _, name := range []string{"Bad", "Empty", "Big"} {
		_, ok, err := v.Int(name)
		if !ok {
			t.Fatal("ok")
		}
		mustErr(t, err, CodeInvalidParameterValue, "Value '"+v.Get(name)+"' for parameter "+name+" is not a valid integer.", 400)
	}
	if b, ok, err := v.Bool("Flag"); !b || !ok || err != nil {
		t.Fatal("Bool true")
	}
	if b, ok, err := v.Bool("Off"); b || !ok || err != nil {
		t.Fatal("Bool false")
	}
	if _, ok, err := v.Bool("Missing"); ok || err != nil {
		t.Fatal("Bool missing")
	}
	_, _, err = v.Bool("Nope")
	mustErr(t, err, CodeInvalidParameterValue, "Value 'yes' for parameter Nope is not a valid boolean.", 400)
	sub, ok := v.Sub("TaskPolicyArn")
	if !ok || sub.Get("arn") != "arn:x" || sub.Len() != 2 {
		t.Fatalf("Sub = %v", sub.m)
	}
	if _, ok := v.Sub("Nothing"); ok {
		t.Fatal("Sub of nothing")
	}
	if got := strings.Join(v.Names(), ","); !strings.HasPrefix(got, "Action,Bad,Big,DurationSeconds,") {
		t.Fatalf("Names = %s", got)
	}
}

func TestList(t *testing.T) {
	tests := []struct {
		query   string
		want    []string
		present bool
		errMsg  string
	}{
		{"", nil, false, ""},
		{"Other.member.1=x", nil, false, ""},
		{"Names=", []string{}, true, ""},
		{"Names.member.1=a", []string{"a"}, true, ""},
		{"Names.member.10=j&Names.member.2=b&Names.member.1=a&Names.member.3=c&Names.member.4=d&Names.member.5=e&" +
			"Names.member.6=f&Names.member.7=g&Names.member.8=h&Names.member.9=i",
			[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, true, ""},
		{"Names=&Names.member.1=a", []string{"a"}, true, ""},
		{"Names=x", nil, true, "Parameter Names must be a list; use Names.member.N."},
		{"Names.member.1=a&Names.member.3=c", nil, true, "List Names is missing member 2."},
		{"Names.member.2=b", nil, true, "List Names is missing member 1."},
		{"Names.member.99999999999999999999=b", nil, true, "Invalid list index in parameter Names.member.99999999999999999999."},
		{"Names.member.999999999999=b", nil, true, "List Names is missing member 1."},
		{"Names.member.5000=b", nil, true, "List Names is missing member 1."},
		{"Names.member.0=a", nil, true, "Invalid list index in parameter Names.member.0."},
		{"Names.member.01=a", nil, true, "Invalid list index in parameter Names.member.01."},
		{"Names.member.%2B1=a", nil, true, "Invalid list index in parameter Names.member.+1."},
		{"Names.member.x=a", nil, true, "Invalid list index in parameter Names.member.x."},
		{"Names.member.1.Key=a", nil, true, "Parameter Names.member.1 must be a single value."},
		{"Names.member.1.=a", nil, true, "Invalid list member parameter Names.member.1.."},
	}
	for _, tc := range tests {
		v, err := ParseString(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		got, present, err := v.List("Names")
		if tc.errMsg != "" {
			mustErr(t, err, CodeInvalidParameterValue, tc.errMsg, 400)
			continue
		}
		if err != nil || present != tc.present || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: List = %#v, %v, %v; want %#v, %v", tc.query, got, present, err, tc.want, tc.present)
		}
	}
}

func TestStructs(t *testing.T) {
	v, err := ParseString("Tags.member.1.Key=team&Tags.member.1.Value=a+b&Tags.member.2.Key=env&Tags.member.2.Value=" +
		"&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnlyAccess" +
		"&ContextEntries.member.1.ContextKeyName=aws%3AUsername&ContextEntries.member.1.ContextKeyType=string" +
		"&ContextEntries.member.1.ContextKeyValues.member.1=bob&ContextEntries.member.1.ContextKeyValues.member.2=alice" +
		"&Scalars.member.1=x&Empty=")
	if err != nil {
		t.Fatal(err)
	}
	tags, present, err := v.Structs("Tags")
	if err != nil || !present || len(tags) != 2 {
		t.Fatalf("Tags = %v %v %v", tags, present, err)
	}
	if tags[0].Get("Key") != "team" || tags[0].Get("Value") != "a b" || tags[1].Get("Key") != "env" || !tags[1].Has("Value") {
		t.Fatalf("Tags = %v", tags)
	}
	arns, _, _ := v.Structs("PolicyArns")
	if len(arns) != 1 || arns[0].Get("arn") != "arn:aws:iam::aws:policy/ReadOnlyAccess" {
		t.Fatalf("PolicyArns = %v", arns)
	}
	ce, _, err := v.Structs("ContextEntries")
	if err != nil || len(ce) != 1 || ce[0].Get("ContextKeyName") != "aws:Username" {
		t.Fatalf("ContextEntries = %v %v", ce, err)
	}
	vals, present, err := ce[0].List("ContextKeyValues")
	if err != nil || !present || !reflect.DeepEqual(vals, []string{"bob", "alice"}) {
		t.Fatalf("ContextKeyValues = %v %v %v", vals, present, err)
	}
	_, _, err = v.Structs("Scalars")
	mustErr(t, err, CodeInvalidParameterValue, "Parameter Scalars.member.1 must be a structure.", 400)
	empty, present, err := v.Structs("Empty")
	if err != nil || !present || empty == nil || len(empty) != 0 {
		t.Fatalf("Empty = %#v %v %v", empty, present, err)
	}
	if none, present, err := v.Structs("None"); none != nil || present || err != nil {
		t.Fatal("None")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	v, err := ParseString("b=2+%2B&a=%E2%9C%93&c=&Tags.member.1.Key=x%26y%3Dz")
	if err != nil {
		t.Fatal(err)
	}
	enc := v.Encode()
	if enc != "Tags.member.1.Key=x%26y%3Dz&a=%E2%9C%93&b=2%20%2B&c=" {
		t.Fatalf("Encode = %s", enc)
	}
	w, err := ParseString(enc)
	if err != nil || !reflect.DeepEqual(v.m, w.m) {
		t.Fatalf("round trip: %v %v", w.m, err)
	}
	var zero Values
	if zero.Get("x") != "" || zero.Has("x") || zero.Len() != 0 || zero.Encode() != "" {
		t.Fatal("zero Values")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("Action=X&Tags.member.1.Key=a", "Version=1&a=%20+", "application/x-www-form-urlencoded")
	f.Add("a=%zz", "", "")
	f.Add("Names.member.2=b&Names.member.1=a&Names=", "PolicyArns=&S.member.1.L.member.1=x", "text/plain")
	f.Fuzz(func(t *testing.T, rawQuery, body, ct string) {
		r := &http.Request{Method: "POST", URL: &url.URL{Path: "/", RawQuery: rawQuery}, Header: http.Header{"Content-Type": {ct}}}
		v, err := Parse(r, []byte(body))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T", err)
			}
			return
		}
		w, err := ParseString(v.Encode())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", v.Encode(), err)
		}
		if !reflect.DeepEqual(v.m, w.m) {
			t.Fatalf("round trip differs:\n%v\n%v", v.m, w.m)
		}
		for _, name := range v.Names() {
			prefix, _, _ := strings.Cut(name, ".")
			if list, present, err := v.List(prefix); err == nil && present && list == nil {
				t.Fatal("present list is nil")
			}
			structs, _, _ := v.Structs(prefix)
			for _, s := range structs {
				_ = s.Names()
			}
			_, _, _ = v.Int(name)
			_, _, _ = v.Bool(name)
			_, _ = v.Sub(prefix)
		}
	})
}
