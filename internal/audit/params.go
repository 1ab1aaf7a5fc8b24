package audit

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Hidden replaces the value of a secret request member, as CloudTrail does.
const Hidden = "HIDDEN_DUE_TO_SECURITY_REASONS"

// secretMembers are request members whose values never reach an event
// (compared ignoring case, on the member's own name).
var secretMembers = map[string]bool{
	"password": true, "newpassword": true, "oldpassword": true, "servicepassword": true,
	"tokencode": true, "samlassertion": true, "webidentitytoken": true,
	"privatekey": true, "authenticationcode1": true, "authenticationcode2": true,
	"secretaccesskey": true, "sessiontoken": true, "securitytoken": true,
	"clientsecret": true, "base32stringseed": true, "qrcodepng": true,
	"x-amz-security-token": true, "x-amz-signature": true, "x-amz-credential": true,
	"signature": true, "tradeintoken": true, "contextassertion": true,
}

// isSecret reports whether a member name (any case) holds a secret. Names
// are matched exactly (or by a secret-only suffix): PasswordReusePrevention
// or PasswordResetRequired are settings, not secrets.
func isSecret(name string) bool {
	l := strings.ToLower(name)
	if l == "removeprivatekey" {
		return false // a key id (UpdateSAMLProvider), not a key
	}
	return secretMembers[l] || strings.HasSuffix(l, "secret") || strings.HasSuffix(l, "secretaccesskey") ||
		strings.HasSuffix(l, "privatekey")
}

// transportMembers are query parameters that belong to the protocol, not
// to the operation.
func transportMember(name string) bool {
	switch name {
	case "Action", "Version", "AWSAccessKeyId", "SignatureMethod", "SignatureVersion", "Timestamp", "Signature":
		return true
	}
	return len(name) > 6 && strings.EqualFold(name[:6], "X-Amz-")
}

// queryParameters builds requestParameters from Query-protocol parameters:
// members in lower camel case, X.member.N lists as arrays, X.Field
// structures as objects, secrets hidden.
func queryParameters(p Params) map[string]any {
	names := p.Names()
	if len(names) == 0 {
		return nil
	}
	root := make(map[string]any, len(names))
	for _, name := range names {
		if transportMember(name) {
			continue
		}
		insert(root, strings.Split(name, "."), p.Get(name), true)
	}
	return root
}

func insert(m map[string]any, segs []string, value string, top bool) {
	raw := segs[0]
	key := lowerFirst(raw)
	if isSecret(raw) {
		m[key] = Hidden
		return
	}
	if len(segs) == 1 {
		if top {
			m[key] = coerce(raw, value)
		} else {
			m[key] = value
		}
		return
	}
	if segs[1] == "member" && len(segs) >= 3 {
		idx, err := strconv.Atoi(segs[2])
		if err == nil && idx >= 1 && idx <= 1000 {
			list, _ := m[key].([]any)
			for len(list) < idx {
				list = append(list, nil)
			}
			if len(segs) == 3 {
				list[idx-1] = value
			} else {
				sub, _ := list[idx-1].(map[string]any)
				if sub == nil {
					sub = map[string]any{}
					list[idx-1] = sub
				}
				insert(sub, segs[3:], value, false)
			}
			m[key] = list
			return
		}
	}
	sub, _ := m[key].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		m[key] = sub
	}
	insert(sub, segs[1:], value, false)
}

// coerce renders top-level numeric and boolean members as CloudTrail does
// (durationSeconds: 3600, not "3600").
func coerce(name, v string) any {
	if v == "true" || v == "false" {
		return v == "true"
	}
	for _, suf := range []string{"Seconds", "MaxItems", "MaxResults", "Duration", "Age", "Length", "Prevention"} {
		if strings.HasSuffix(name, suf) {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return v
}

// jsonParameters builds requestParameters from a JSON-protocol body.
func jsonParameters(body []byte) map[string]any {
	var v any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		return nil
	}
	m, ok := camel(v, false).(map[string]any)
	if !ok || len(m) == 0 {
		return nil
	}
	return m
}

// responseElements renders an operation's result as CloudTrail does:
// members in lower camel case, secrets dropped, dates in CloudTrail's
// "Jan 2, 2006, 3:04:05 PM" form.
func responseElements(result any) any {
	out, ok := plainCamel(result)
	if !ok {
		var v any
		b, err := json.Marshal(result)
		if err != nil {
			return nil
		}
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil
		}
		out = camel(v, true)
	}
	if m, ok := out.(map[string]any); ok && len(m) == 0 {
		return nil
	}
	return out
}

// camel lower-cases the first letter of every member name and removes
// (drop) or hides secret members.
func camel(v any, drop bool) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if isSecret(k) {
				if !drop {
					out[lowerFirst(k)] = Hidden
				}
				continue
			}
			key := lowerFirst(k)
			if s, ok := val.(string); ok && drop && (strings.HasSuffix(key, "Date") || key == "expiration") {
				out[key] = trailDate(s)
				continue
			}
			out[key] = camel(val, drop)
		}
		return out
	case []any:
		for i := range x {
			x[i] = camel(x[i], drop)
		}
		return x
	}
	return v
}

// trailDate turns an ISO 8601 timestamp into CloudTrail's response form.
func trailDate(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("Jan 2, 2006, 3:04:05 PM")
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}

// resultMap is a result as a JSON object with the wire member names.
func resultMap(result any) (map[string]any, bool) {
	if result == nil {
		return nil, false
	}
	b, err := json.Marshal(result)
	if err != nil {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil, false
	}
	return m, true
}

// resourceMembers map request members to the resource types LookupEvents
// reports (and filters on).
var resourceMembers = []struct{ member, typ string }{
	{"userName", "AWS::IAM::User"},
	{"newUserName", "AWS::IAM::User"},
	{"roleName", "AWS::IAM::Role"},
	{"roleArn", "AWS::IAM::Role"},
	{"groupName", "AWS::IAM::Group"},
	{"newGroupName", "AWS::IAM::Group"},
	{"policyArn", "AWS::IAM::Policy"},
	{"policyName", "AWS::IAM::Policy"},
	{"instanceProfileName", "AWS::IAM::InstanceProfile"},
	{"accessKeyId", "AWS::IAM::AccessKey"},
	{"sAMLProviderArn", "AWS::IAM::SAMLProvider"},
	{"openIDConnectProviderArn", "AWS::IAM::OIDCProvider"},
	{"serialNumber", "AWS::IAM::MFADevice"},
	{"virtualMFADeviceName", "AWS::IAM::MFADevice"},
	{"accountId", "AWS::Organizations::Account"},
	{"organizationalUnitId", "AWS::Organizations::OrganizationalUnit"},
	{"policyId", "AWS::Organizations::Policy"},
}

// lookupResources lists the resources an event references.
func lookupResources(r *Request, params map[string]any, resp any) []Resource {
	var out []Resource
	seen := map[Resource]bool{}
	add := func(typ, name string) {
		if name == "" || name == Hidden {
			return
		}
		res := Resource{ResourceType: typ, ResourceName: name}
		if !seen[res] {
			seen[res] = true
			out = append(out, res)
		}
	}
	for _, rm := range resourceMembers {
		if s, ok := params[rm.member].(string); ok {
			add(rm.typ, s)
		}
	}
	// The temporary access key an assumption issued.
	if m, ok := resp.(map[string]any); ok {
		if cr, ok := m["credentials"].(map[string]any); ok {
			if id, ok := cr["accessKeyId"].(string); ok {
				add("AWS::IAM::AccessKey", id)
			}
		}
	}
	return out
}
