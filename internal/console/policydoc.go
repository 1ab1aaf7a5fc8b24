package console

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// decodeDocument undoes IAM's URL encoding of policy documents (RFC 3986
// percent-encoding). A document that is not encoded is returned as is.
func decodeDocument(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "{") {
		return s
	}
	if d, err := url.PathUnescape(s); err == nil && json.Valid([]byte(d)) {
		return d
	}
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// prettyDocument is an (encoded or plain) policy document, indented.
func prettyDocument(s string) string {
	d := decodeDocument(s)
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(d), "", "  "); err != nil {
		return d
	}
	return buf.String()
}

// trustEdge is one "principal may assume role" relationship read from a
// role's trust policy.
type trustEdge struct {
	Kind        string // "AWS", "Service", "Federated", "*"
	Principal   string // as written: ARN, account id, service name, "*"
	Account     string // the principal's account, when it names one
	Actions     []string
	Conditional bool
	Deny        bool
}

// Label is a short display name for the principal.
func (e trustEdge) Label() string {
	p := e.Principal
	switch {
	case p == "*":
		return "anyone (*)"
	case e.Kind == "AWS" && isAccountID(p):
		return "account " + p
	case e.Kind == "AWS" && strings.HasSuffix(p, ":root"):
		return "account " + e.Account
	case strings.HasPrefix(p, "arn:"):
		parts := strings.SplitN(p, ":", 6)
		if len(parts) == 6 {
			return parts[5]
		}
	}
	return p
}

// trustEdges reads a trust policy: every statement's principals with the
// sts:AssumeRole* actions it grants (or denies).
func trustEdges(doc string) []trustEdge {
	var pol struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(decodeDocument(doc)), &pol); err != nil {
		return nil
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(pol.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if json.Unmarshal(pol.Statement, &one) != nil {
			return nil
		}
		stmts = []map[string]json.RawMessage{one}
	}
	var out []trustEdge
	for _, st := range stmts {
		var effect string
		json.Unmarshal(st["Effect"], &effect)
		actions := stringList(st["Action"])
		var assume []string
		for _, a := range actions {
			la := strings.ToLower(a)
			if la == "*" || la == "sts:*" || strings.HasPrefix(la, "sts:assumerole") {
				assume = append(assume, a)
			}
		}
		if len(assume) == 0 {
			continue
		}
		cond := len(st["Condition"]) > 0 && string(st["Condition"]) != "{}"
		base := trustEdge{Actions: assume, Conditional: cond, Deny: effect == "Deny"}
		raw := st["Principal"]
		var star string
		if json.Unmarshal(raw, &star) == nil && star == "*" {
			e := base
			e.Kind, e.Principal = "*", "*"
			out = append(out, e)
			continue
		}
		var principals map[string]json.RawMessage
		if json.Unmarshal(raw, &principals) != nil {
			continue
		}
		kinds := make([]string, 0, len(principals))
		for k := range principals {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, kind := range kinds {
			for _, p := range stringList(principals[kind]) {
				e := base
				e.Kind, e.Principal = kind, p
				e.Account = principalAccount(kind, p)
				out = append(out, e)
			}
		}
	}
	return out
}

// stringList reads a JSON string or array of strings.
func stringList(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	json.Unmarshal(raw, &many)
	return many
}

// principalAccount is the account an AWS principal belongs to.
func principalAccount(kind, p string) string {
	if kind != "AWS" && kind != "Federated" {
		return ""
	}
	if isAccountID(p) {
		return p
	}
	if parts := strings.SplitN(p, ":", 6); len(parts) == 6 && strings.HasPrefix(p, "arn:") {
		return parts[4]
	}
	return ""
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// arnAccount is the account field of an ARN.
func arnAccount(arn string) string {
	if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
		return parts[4]
	}
	return ""
}
