package setup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is a policy document: written in the file as YAML (a mapping) or as a
// JSON string, kept as decoded JSON. Strings may hold ${account} (the
// account the document lives in) and ${account:NAME} (another account of
// the file), replaced by account ids when the document is sent.
type Doc struct {
	value any
	Line  int
	err   string
}

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Doc) UnmarshalYAML(n *yaml.Node) error {
	d.Line = n.Line
	var raw any
	if err := n.Decode(&raw); err != nil {
		d.err = err.Error()
		return nil
	}
	if s, ok := raw.(string); ok {
		v, err := decodeJSON(s)
		if err != nil {
			d.err = "document is not valid JSON: " + err.Error()
			return nil
		}
		d.value = v
	} else {
		// Round-trip through JSON: YAML's types become JSON's.
		b, err := json.Marshal(raw)
		if err != nil {
			d.err = "document: " + err.Error()
			return nil
		}
		d.value, _ = decodeJSON(string(b))
	}
	if m, ok := d.value.(map[string]any); !ok {
		d.err = "a policy document must be an object"
	} else if _, ok := m["Statement"]; !ok {
		d.err = "a policy document needs a Statement"
	}
	return nil
}

// NewDoc parses a document as IAM returns it (JSON, possibly URL-encoded).
func NewDoc(s string) (*Doc, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "{") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	v, err := decodeJSON(s)
	if err != nil {
		return nil, fmt.Errorf("policy document: %w", err)
	}
	return &Doc{value: v}, nil
}

func decodeJSON(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("text after the document")
	}
	return v, nil
}

// text is the compact JSON of the document, placeholders unreplaced.
func (d *Doc) text() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(d.value)
	return strings.TrimSpace(b.String())
}

// Render returns the JSON to send, placeholders replaced: ${account} by
// self, ${account:NAME} by ids(NAME).
func (d *Doc) Render(self string, ids func(name string) (string, error)) (string, error) {
	var firstErr error
	out := placeholderRE.ReplaceAllStringFunc(d.text(), func(m string) string {
		name := placeholderRE.FindStringSubmatch(m)[1]
		if name == "" {
			return self
		}
		id, err := ids(name)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return id
	})
	return out, firstErr
}

// canonical is the document's semantic form: one-element lists are their
// element, lists of scalars are sorted, scalars are strings, keys sorted.
func canonical(s string) string {
	v, err := decodeJSON(s)
	if err != nil {
		return s
	}
	b, _ := json.Marshal(canonValue(v))
	return string(b)
}

func canonValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = canonValue(x)
		}
		return out
	case []any:
		scalars := true
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = canonValue(x)
			if _, ok := out[i].(string); !ok {
				scalars = false
			}
		}
		if scalars {
			sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
		}
		if len(out) == 1 {
			return out[0]
		}
		return out
	case json.Number:
		return t.String()
	case bool:
		return fmt.Sprint(t)
	case nil:
		return nil
	}
	return v
}

// sameDoc compares a rendered document with one read from the server.
func sameDoc(a, b string) bool { return canonical(a) == canonical(b) }

var accountIDRE = regexp.MustCompile(`\b\d{12}\b`)

// templated replaces known account ids by placeholders (the inverse of
// Render), for export.
func (d *Doc) templated(self string, names map[string]string) *Doc {
	s := accountIDRE.ReplaceAllStringFunc(d.text(), func(id string) string {
		if n, ok := names[id]; ok {
			if id == self {
				return "${account}"
			}
			return "${account:" + n + "}"
		}
		return id
	})
	nd, err := NewDoc(s)
	if err != nil {
		return d
	}
	return nd
}

// keyOrder puts policy keys in the order people write them.
var keyOrder = map[string]int{
	"Version": 0, "Id": 1, "Statement": 2,
	"Sid": 10, "Effect": 11, "Principal": 12, "NotPrincipal": 13,
	"Action": 14, "NotAction": 15, "Resource": 16, "NotResource": 17, "Condition": 18,
}

// MarshalYAML implements yaml.Marshaler: the document as a YAML mapping in
// the usual key order.
func (d *Doc) MarshalYAML() (any, error) { return yamlNode(d.value), nil }

func yamlNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		keys := sortedMapKeys(t)
		sort.SliceStable(keys, func(i, j int) bool {
			oi, iok := keyOrder[keys[i]]
			oj, jok := keyOrder[keys[j]]
			if iok && jok {
				return oi < oj
			}
			return iok && !jok
		})
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, yamlNode(t[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, x := range t {
			n.Content = append(n.Content, yamlNode(x))
		}
		return n
	case json.Number:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: t.String()}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(t)}
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v)}
}
