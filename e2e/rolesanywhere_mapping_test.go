package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// defaultMappingsJSON is a new profile's attributeMappings as the service
// documents them.
const defaultMappingsJSON = `[{"certificateField":"x509Issuer","mappingRules":[{"specifier":"*"}]},` +
	`{"certificateField":"x509SAN","mappingRules":[{"specifier":"DNS"},{"specifier":"URI"},{"specifier":"Name/*"}]},` +
	`{"certificateField":"x509Subject","mappingRules":[{"specifier":"*"}]}]`

func mappingsOf(t *testing.T, out map[string]any) string {
	t.Helper()
	p, _ := out["profile"].(map[string]any)
	b, err := json.Marshal(p["attributeMappings"])
	if err != nil || p["attributeMappings"] == nil {
		t.Fatalf("no attributeMappings in %v", out)
	}
	return string(b)
}

// Attribute mappings decide the session's principal tags: a role whose
// trust policy requires aws:PrincipalTag/x509Subject/CN is assumable while
// the profile maps the subject's CN and refused once DeleteAttributeMapping
// removes it; and the tagging routes on trust anchors, profiles and CRLs.
func TestRolesAnywhereMapping(t *testing.T) {
	s := StartServer(t)
	dir := t.TempDir()
	ca := newTestCA(t, "Mapping CA")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"app-1"}}}]}`
	roleARN := aws.ToString(newRole(t, s, rootCreds, "MappedRole", trust, 0).Arn)

	code, ta := raCall(t, s, rootCreds, "POST", "/trustanchors", map[string]any{"name": "map-ca", "enabled": true,
		"source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": ca.pem}},
		"tags":   []map[string]string{{"key": "team", "value": "security"}}})
	if code != 201 {
		t.Fatalf("CreateTrustAnchor %d %v\n%s", code, ta, s.Logs())
	}
	anchorARN := dig(ta, "trustAnchor", "trustAnchorArn")
	code, pr := raCall(t, s, rootCreds, "POST", "/profiles", map[string]any{"name": "mapped", "enabled": true, "roleArns": []string{roleARN},
		"tags": []map[string]string{{"key": "team", "value": "pki"}, {"key": "env", "value": "test"}}})
	if code != 201 {
		t.Fatalf("CreateProfile %d %v", code, pr)
	}
	if got := mappingsOf(t, pr); got != defaultMappingsJSON {
		t.Fatalf("CreateProfile attributeMappings %s", got)
	}
	profileID, profileARN := dig(pr, "profile", "profileId"), dig(pr, "profile", "profileArn")
	for _, path := range []string{"/profile/" + profileID, "/profiles"} {
		_, out := raCall(t, s, rootCreds, "GET", path, nil)
		if path == "/profiles" {
			out = map[string]any{"profile": out["profiles"].([]any)[0]}
		}
		if got := mappingsOf(t, out); got != defaultMappingsJSON {
			t.Fatalf("GET %s attributeMappings %s", path, got)
		}
	}

	cp, kp := ca.issue(t, dir, "app-1", time.Now().Add(time.Hour))
	w := loadWorkload(t, cp, kp)
	wantSession := func(what string) {
		t.Helper()
		code, typ, out := raSession(t, s, w, profileARN, roleARN, anchorARN)
		if code != 201 {
			t.Fatalf("%s: CreateSession %d %s %v\n%s", what, code, typ, out, s.Logs())
		}
	}
	wantRefused := func(what string) {
		t.Helper()
		code, typ, out := raSession(t, s, w, profileARN, roleARN, anchorARN)
		if code != 403 || typ != "AccessDeniedException" || !strings.Contains(fmt.Sprint(out["message"]), "Unable to assume role for arn: "+roleARN) {
			t.Fatalf("%s: CreateSession %d %s %v", what, code, typ, out)
		}
	}
	mappingsPath := "/profiles/" + profileID + "/mappings"
	put := func(field string, specs ...string) map[string]any {
		t.Helper()
		var rules []map[string]string
		for _, sp := range specs {
			rules = append(rules, map[string]string{"specifier": sp})
		}
		code, typ, out := raCallFull(t, s, rootCreds, "PUT", mappingsPath, map[string]any{"certificateField": field, "mappingRules": rules})
		if code != 200 {
			t.Fatalf("PutAttributeMapping %s %v: %d %s %v", field, specs, code, typ, out)
		}
		return out
	}
	del := func(field string, specs ...string) map[string]any {
		t.Helper()
		q := url.Values{"certificateField": {field}}
		for _, sp := range specs {
			q.Add("specifiers", sp)
		}
		code, typ, out := raCallFull(t, s, rootCreds, "DELETE", mappingsPath+"?"+q.Encode(), nil)
		if code != 200 {
			t.Fatalf("DeleteAttributeMapping %s %v: %d %s %v", field, specs, code, typ, out)
		}
		return out
	}

	// The defaults map the subject's CN.
	wantSession("default mappings")
	// Mapping only the OU and the CN: still allowed.
	out := put("x509Subject", "OU", "CN")
	if got := mappingsOf(t, out); !strings.Contains(got, `{"certificateField":"x509Subject","mappingRules":[{"specifier":"OU"},{"specifier":"CN"}]}`) {
		t.Fatalf("PutAttributeMapping answered %s", got)
	}
	wantSession("subject OU and CN mapped")
	// Deleting the CN rule: the tag is gone and the trust policy refuses.
	out = del("x509Subject", "CN")
	if got := mappingsOf(t, out); !strings.Contains(got, `{"certificateField":"x509Subject","mappingRules":[{"specifier":"OU"}]}`) {
		t.Fatalf("DeleteAttributeMapping answered %s", got)
	}
	wantRefused("subject CN no longer mapped")
	// Mapping it back: allowed again; deleting the whole field: refused.
	put("x509Subject", "CN")
	wantSession("subject CN mapped again")
	out = del("x509Subject")
	if got := mappingsOf(t, out); strings.Contains(got, "x509Subject") {
		t.Fatalf("DeleteAttributeMapping of the field answered %s", got)
	}
	wantRefused("no subject mapping")
	_, g := raCall(t, s, rootCreds, "GET", "/profile/"+profileID, nil)
	if got := mappingsOf(t, g); got != `[{"certificateField":"x509Issuer","mappingRules":[{"specifier":"*"}]},`+
		`{"certificateField":"x509SAN","mappingRules":[{"specifier":"DNS"},{"specifier":"URI"},{"specifier":"Name/*"}]}]` {
		t.Fatalf("GetProfile after the deletes: %s", got)
	}
	put("x509Subject", "*")
	wantSession("subject * mapped")

	// Validation and unknown profiles.
	for _, tc := range []struct {
		name, method, path string
		body               any
		code               int
		typ, msg           string
	}{
		{"unknown field", "PUT", mappingsPath, map[string]any{"certificateField": "x509Extension", "mappingRules": []map[string]string{{"specifier": "CN"}}},
			400, "ValidationException", "certificateField"},
		{"no mappingRules", "PUT", mappingsPath, map[string]any{"certificateField": "x509Subject"}, 400, "ValidationException", "mappingRules"},
		{"no certificateField", "PUT", mappingsPath, map[string]any{"mappingRules": []map[string]string{{"specifier": "CN"}}}, 400, "ValidationException", "certificateField"},
		{"rule without specifier", "PUT", mappingsPath, map[string]any{"certificateField": "x509Subject", "mappingRules": []map[string]string{{}}},
			400, "ValidationException", "specifier"},
		{"specifier of 61", "PUT", mappingsPath, map[string]any{"certificateField": "x509Subject", "mappingRules": []map[string]string{{"specifier": strings.Repeat("C", 61)}}},
			400, "ValidationException", "60"},
		{"unknown profile", "PUT", "/profiles/00000000-0000-4000-8000-000000000000/mappings",
			map[string]any{"certificateField": "x509Subject", "mappingRules": []map[string]string{{"specifier": "CN"}}}, 404, "ResourceNotFoundException", ""},
		{"delete without certificateField", "DELETE", mappingsPath, nil, 400, "ValidationException", "certificateField"},
		{"delete on an unknown profile", "DELETE", "/profiles/00000000-0000-4000-8000-000000000000/mappings?certificateField=x509SAN", nil,
			404, "ResourceNotFoundException", ""},
	} {
		code, typ, e := raCallFull(t, s, rootCreds, tc.method, tc.path, tc.body)
		if code != tc.code || typ != tc.typ || !strings.Contains(fmt.Sprint(e["message"]), tc.msg) {
			t.Fatalf("%s: %d %s %v", tc.name, code, typ, e)
		}
	}
	wantSession("after refused mapping changes")

	// Tags: given at create, read back, added, replaced and removed.
	crlDER := ca.crl(t, 1)
	code, imp := raCall(t, s, rootCreds, "POST", "/crls", map[string]any{"name": "map-crl", "trustAnchorArn": anchorARN,
		"crlData": base64.StdEncoding.EncodeToString(crlDER), "tags": []map[string]string{{"key": "k", "value": "v"}}})
	if code != 201 {
		t.Fatalf("ImportCrl %d %v", code, imp)
	}
	crlARN := dig(imp, "crl", "crlArn")
	listTags := func(c Creds, arn string) (int, string, map[string]any) {
		return raCallFull(t, s, c, "GET", "/ListTagsForResource?"+url.Values{"resourceArn": {arn}}.Encode(), nil)
	}
	wantTags := func(what, arn string, want ...string) {
		t.Helper()
		code, typ, out := listTags(rootCreds, arn)
		tags, ok := out["tags"].([]any)
		if code != 200 || !ok {
			t.Fatalf("%s: ListTagsForResource %d %s %v", what, code, typ, out)
		}
		got := []string{}
		for _, tg := range tags {
			m := tg.(map[string]any)
			got = append(got, fmt.Sprint(m["key"], "=", m["value"]))
		}
		if want == nil {
			want = []string{}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: tags %v, want %v", what, got, want)
		}
	}
	wantTags("anchor at create", anchorARN, "team=security")
	wantTags("profile at create", profileARN, "team=pki", "env=test")
	wantTags("crl at import", crlARN, "k=v")
	code, typ, e := raCallFull(t, s, rootCreds, "POST", "/TagResource", map[string]any{"resourceArn": profileARN,
		"tags": []map[string]string{{"key": "env", "value": "prod"}, {"key": "owner", "value": "alice"}}})
	if code != 201 || typ != "" || len(e) != 0 {
		t.Fatalf("TagResource %d %s %v", code, typ, e)
	}
	wantTags("profile after TagResource", profileARN, "team=pki", "env=prod", "owner=alice")
	code, typ, e = raCallFull(t, s, rootCreds, "POST", "/UntagResource", map[string]any{"resourceArn": profileARN, "tagKeys": []string{"owner", "nope"}})
	if code != 200 || len(e) != 0 {
		t.Fatalf("UntagResource %d %s %v", code, typ, e)
	}
	wantTags("profile after UntagResource", profileARN, "team=pki", "env=prod")
	if code, _, e := raCallFull(t, s, rootCreds, "POST", "/UntagResource", map[string]any{"resourceArn": crlARN, "tagKeys": []string{"k"}}); code != 200 {
		t.Fatalf("UntagResource crl %d %v", code, e)
	}
	wantTags("crl after UntagResource", crlARN)
	var many []map[string]string
	for i := 0; i < 50; i++ {
		many = append(many, map[string]string{"key": fmt.Sprintf("k%d", i), "value": "v"})
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		code               int
		typ, msg           string
	}{
		{"too many tags", "POST", "/TagResource", map[string]any{"resourceArn": anchorARN, "tags": many}, 400, "TooManyTagsException", "Too many tags"},
		{"reserved key", "POST", "/TagResource", map[string]any{"resourceArn": anchorARN, "tags": []map[string]string{{"key": "aws:x", "value": "v"}}}, 400, "ValidationException", "aws:"},
		{"bad value", "POST", "/TagResource", map[string]any{"resourceArn": anchorARN, "tags": []map[string]string{{"key": "k", "value": "a*b"}}}, 400, "ValidationException", "value"},
		{"no tags", "POST", "/TagResource", map[string]any{"resourceArn": anchorARN}, 400, "ValidationException", "tags"},
		{"unknown resource", "POST", "/TagResource", map[string]any{"resourceArn": strings.Replace(profileARN, profileID, "00000000-0000-4000-8000-000000000000", 1),
			"tags": []map[string]string{{"key": "a", "value": "b"}}}, 404, "ResourceNotFoundException", ""},
		{"untag without keys", "POST", "/UntagResource", map[string]any{"resourceArn": anchorARN}, 400, "ValidationException", "tagKeys"},
		{"list without an ARN", "GET", "/ListTagsForResource", nil, 400, "ValidationException", "resourceArn"},
		{"list an unknown CRL", "GET", "/ListTagsForResource?resourceArn=" + url.QueryEscape(arnOf("crl", "00000000-0000-4000-8000-000000000000")), nil,
			404, "ResourceNotFoundException", ""},
	} {
		code, typ, e := raCallFull(t, s, rootCreds, tc.method, tc.path, tc.body)
		if code != tc.code || typ != tc.typ || !strings.Contains(fmt.Sprint(e["message"]), tc.msg) {
			t.Fatalf("%s: %d %s %v", tc.name, code, typ, e)
		}
	}
	wantTags("anchor after refusals", anchorARN, "team=security")

	// Authorization: rolesanywhere:<Operation> on the resource's ARN, with
	// aws:RequestTag/…, aws:TagKeys and aws:ResourceTag/….
	bob, _ := newUser(t, s, rootCreds, "map-bob")
	policy := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Action":"rolesanywhere:TagResource","Resource":"` + profileARN + `","Condition":{"StringEquals":{"aws:RequestTag/env":"dev"},"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}},` +
		`{"Effect":"Allow","Action":"rolesanywhere:ListTagsForResource","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"pki"}}},` +
		`{"Effect":"Allow","Action":"rolesanywhere:CreateProfile","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"pki"}}}]}`
	must(iamClient(s, rootCreds).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{UserName: aws.String("map-bob"),
		PolicyName: aws.String("tags"), PolicyDocument: aws.String(policy)}))
	denied := func(what string, code int, typ string, e map[string]any, action, resource string) {
		t.Helper()
		msg := fmt.Sprint(e["message"])
		if code != 403 || typ != "AccessDeniedException" || !strings.Contains(msg, action) || !strings.Contains(msg, resource) {
			t.Fatalf("%s: %d %s %v", what, code, typ, e)
		}
	}
	if code, typ, e := raCallFull(t, s, bob, "POST", "/TagResource", map[string]any{"resourceArn": profileARN,
		"tags": []map[string]string{{"key": "env", "value": "dev"}}}); code != 201 {
		t.Fatalf("TagResource as bob with env=dev: %d %s %v", code, typ, e)
	}
	wantTags("profile tagged by bob", profileARN, "team=pki", "env=dev")
	code, typ, e = raCallFull(t, s, bob, "POST", "/TagResource", map[string]any{"resourceArn": profileARN, "tags": []map[string]string{{"key": "env", "value": "prod"}}})
	denied("TagResource as bob with env=prod", code, typ, e, "rolesanywhere:TagResource", profileARN)
	code, typ, e = raCallFull(t, s, bob, "POST", "/TagResource", map[string]any{"resourceArn": profileARN,
		"tags": []map[string]string{{"key": "env", "value": "dev"}, {"key": "x", "value": "y"}}})
	denied("TagResource as bob with another key", code, typ, e, "rolesanywhere:TagResource", profileARN)
	code, typ, e = raCallFull(t, s, bob, "POST", "/TagResource", map[string]any{"resourceArn": anchorARN, "tags": []map[string]string{{"key": "env", "value": "dev"}}})
	denied("TagResource as bob on the anchor", code, typ, e, "rolesanywhere:TagResource", anchorARN)
	if code, typ, e := listTags(bob, profileARN); code != 200 {
		t.Fatalf("ListTagsForResource as bob on a team=pki profile: %d %s %v", code, typ, e)
	}
	code, typ, e = listTags(bob, anchorARN)
	denied("ListTagsForResource as bob on a team=security anchor", code, typ, e, "rolesanywhere:ListTagsForResource", anchorARN)
	code, typ, e = raCallFull(t, s, bob, "POST", "/UntagResource", map[string]any{"resourceArn": profileARN, "tagKeys": []string{"env"}})
	denied("UntagResource as bob", code, typ, e, "rolesanywhere:UntagResource", profileARN)
	code, typ, e = raCallFull(t, s, bob, "PUT", mappingsPath, map[string]any{"certificateField": "x509Subject", "mappingRules": []map[string]string{{"specifier": "CN"}}})
	denied("PutAttributeMapping as bob", code, typ, e, "rolesanywhere:PutAttributeMapping", profileARN)
	code, typ, e = raCallFull(t, s, bob, "DELETE", mappingsPath+"?certificateField=x509Subject", nil)
	denied("DeleteAttributeMapping as bob", code, typ, e, "rolesanywhere:DeleteAttributeMapping", profileARN)
	if code, typ, e := raCallFull(t, s, bob, "POST", "/profiles", map[string]any{"name": "bobs", "roleArns": []string{roleARN},
		"tags": []map[string]string{{"key": "team", "value": "pki"}}}); code != 201 {
		t.Fatalf("CreateProfile as bob with team=pki: %d %s %v", code, typ, e)
	}
	code, typ, e = raCallFull(t, s, bob, "POST", "/profiles", map[string]any{"name": "bobs2", "roleArns": []string{roleARN}})
	denied("CreateProfile as bob without tags", code, typ, e, "rolesanywhere:CreateProfile", "")

	// boto3 drives the new routes through the service model.
	botoMapping(t, s, profileID, profileARN, anchorARN)
	wantSession("after boto3's mapping changes")
}

func arnOf(kind, id string) string {
	return "arn:aws:rolesanywhere:us-east-1:" + accountA + ":" + kind + "/" + id
}

const botoMappingScript = `
import os
import boto3, botocore.exceptions
from botocore.config import Config
c = boto3.client("rolesanywhere", endpoint_url=os.environ["HATRACK_URL"], aws_access_key_id=os.environ["ROOT_KEY"],
                 aws_secret_access_key=os.environ["ROOT_SECRET"], config=Config(retries={"max_attempts": 1}, region_name="us-east-1"))
pid, parn, anchor = os.environ["PROFILE_ID"], os.environ["PROFILE_ARN"], os.environ["ANCHOR"]
def fields(p):
    return {m["certificateField"]: [r["specifier"] for r in m["mappingRules"]] for m in p["attributeMappings"]}
p = c.put_attribute_mapping(profileId=pid, certificateField="x509Issuer", mappingRules=[{"specifier": "CN"}, {"specifier": "O"}])["profile"]
assert fields(p)["x509Issuer"] == ["CN", "O"] and p["profileId"] == pid, p
p = c.put_attribute_mapping(profileId=pid, certificateField="x509SAN", mappingRules=[{"specifier": "Name"}])["profile"]
assert fields(p)["x509SAN"] == ["Name/*"], p
p = c.delete_attribute_mapping(profileId=pid, certificateField="x509Issuer", specifiers=["O"])["profile"]
assert fields(p)["x509Issuer"] == ["CN"], p
p = c.delete_attribute_mapping(profileId=pid, certificateField="x509SAN")["profile"]
assert "x509SAN" not in fields(p), p
assert fields(c.get_profile(profileId=pid)["profile"]) == {"x509Issuer": ["CN"], "x509Subject": ["*"]}
r = c.tag_resource(resourceArn=parn, tags=[{"key": "boto", "value": "yes"}])
assert r["ResponseMetadata"]["HTTPStatusCode"] == 201, r
tags = c.list_tags_for_resource(resourceArn=parn)["tags"]
assert {"key": "boto", "value": "yes"} in tags, tags
c.untag_resource(resourceArn=parn, tagKeys=["boto"])
assert {"key": "boto", "value": "yes"} not in c.list_tags_for_resource(resourceArn=parn)["tags"]
assert c.list_tags_for_resource(resourceArn=anchor)["tags"] == [{"key": "team", "value": "security"}]
for fn, kw, code in ((c.tag_resource, {"resourceArn": anchor, "tags": [{"key": "k%d" % i, "value": "v"} for i in range(60)]}, "TooManyTagsException"),
                     (c.list_tags_for_resource, {"resourceArn": parn.replace(pid, "00000000-0000-4000-8000-000000000000")}, "ResourceNotFoundException"),
                     (c.put_attribute_mapping, {"profileId": pid, "certificateField": "x509SAN", "mappingRules": [{"specifier": "*"}]}, "ValidationException")):
    try:
        fn(**kw)
        raise AssertionError("no error")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
try:
    c.tag_resource(resourceArn=anchor, tags=[{"key": "k%d" % i, "value": "v"} for i in range(60)])
except c.exceptions.TooManyTagsException:
    pass
print("boto3 mapping: ok")
`

func botoMapping(t *testing.T, s *Server, profileID, profileARN, anchorARN string) {
	t.Helper()
	py := requireBoto3(t)
	out, errOut, code := run(t, []string{"HATRACK_URL=" + s.URL, "ROOT_KEY=" + rootKeyID, "ROOT_SECRET=" + rootSecret,
		"PROFILE_ID=" + profileID, "PROFILE_ARN=" + profileARN, "ANCHOR=" + anchorARN}, py, "-c", botoMappingScript)
	if code != 0 || !strings.Contains(out, "boto3 mapping: ok") {
		t.Fatalf("boto3 (exit %d)\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
