package query

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Values are decoded Query-protocol parameters. The zero value is empty.
type Values struct {
	m map[string]string
}

// Get returns the value of name, or "".
func (v Values) Get(name string) string { return v.m[name] }

// Has reports whether name is present (possibly with an empty value).
func (v Values) Has(name string) bool {
	_, ok := v.m[name]
	return ok
}

// Len returns the number of parameters.
func (v Values) Len() int { return len(v.m) }

// Names returns the parameter names, sorted.
func (v Values) Names() []string {
	names := make([]string, 0, len(v.m))
	for k := range v.m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Action returns the Action parameter.
func (v Values) Action() string { return v.m["Action"] }

// Version returns the Version parameter.
func (v Values) Version() string { return v.m["Version"] }

// Int returns the decimal integer parameter name; ok is false when absent.
func (v Values) Int(name string) (n int64, ok bool, err error) {
	s, ok := v.m[name]
	if !ok {
		return 0, false, nil
	}
	n, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil {
		return 0, true, invalidValue("Value '" + s + "' for parameter " + name + " is not a valid integer.")
	}
	return n, true, nil
}

// Bool returns the boolean parameter name ("true"/"false", any case); ok is
// false when absent.
func (v Values) Bool(name string) (b, ok bool, err error) {
	s, ok := v.m[name]
	if !ok {
		return false, false, nil
	}
	switch {
	case strings.EqualFold(s, "true"):
		return true, true, nil
	case strings.EqualFold(s, "false"):
		return false, true, nil
	}
	return false, true, invalidValue("Value '" + s + "' for parameter " + name + " is not a valid boolean.")
}

// Sub returns the members of the structure prefix ("Prefix.Field" →
// "Field"); ok reports whether any was present.
func (v Values) Sub(prefix string) (sub Values, ok bool) {
	sub = Values{m: make(map[string]string)}
	p := prefix + "."
	for k, val := range v.m {
		if rest, found := strings.CutPrefix(k, p); found && rest != "" {
			sub.m[rest] = val
		}
	}
	return sub, len(sub.m) > 0
}

// List returns the scalar list prefix (Prefix.member.1, Prefix.member.2, …)
// in index order. present reports whether the list was given at all,
// including as the bare empty form "Prefix=" (then list is empty, non-nil).
func (v Values) List(prefix string) (list []string, present bool, err error) {
	members, present, err := v.members(prefix)
	if err != nil || !present {
		return nil, present, err
	}
	list = make([]string, len(members))
	for i, m := range members {
		val, ok := m.m[""]
		if !ok || len(m.m) != 1 {
			return nil, true, invalidValue("Parameter " + prefix + ".member." + strconv.Itoa(i+1) + " must be a single value.")
		}
		list[i] = val
	}
	return list, true, nil
}

// Structs returns the structure list prefix (Prefix.member.N.Field) in index
// order, one Values per member keyed by the field path after
// "Prefix.member.N." — so nested lists are reachable, e.g.
// Structs("ContextEntries")[0].List("ContextKeyValues").
func (v Values) Structs(prefix string) (list []Values, present bool, err error) {
	members, present, err := v.members(prefix)
	if err != nil || !present {
		return nil, present, err
	}
	for i, m := range members {
		if _, scalar := m.m[""]; scalar {
			return nil, true, invalidValue("Parameter " + prefix + ".member." + strconv.Itoa(i+1) + " must be a structure.")
		}
	}
	return members, true, nil
}

// members groups Prefix.member.N[.rest] by N; the scalar value of a member is
// stored under "". The result is contiguous from 1.
func (v Values) members(prefix string) ([]Values, bool, error) {
	p := prefix + ".member."
	byIndex := map[int]Values{}
	maxIdx := 0
	for k, val := range v.m {
		rest, ok := strings.CutPrefix(k, p)
		if !ok {
			continue
		}
		num, field, _ := strings.Cut(rest, ".")
		idx, err := strconv.Atoi(num)
		if err != nil || idx < 1 || num[0] == '0' || num[0] == '+' {
			return nil, true, invalidValue("Invalid list index in parameter " + k + ".")
		}
		if strings.Contains(rest, ".") && field == "" {
			return nil, true, invalidValue("Invalid list member parameter " + k + ".")
		}
		m, ok := byIndex[idx]
		if !ok {
			m = Values{m: make(map[string]string)}
			byIndex[idx] = m
		}
		m.m[field] = val
		maxIdx = max(maxIdx, idx)
	}
	if len(byIndex) == 0 {
		bare, ok := v.m[prefix]
		switch {
		case !ok:
			return nil, false, nil
		case bare != "":
			return nil, true, invalidValue("Parameter " + prefix + " must be a list; use " + prefix + ".member.N.")
		}
		return []Values{}, true, nil
	}
	if maxIdx != len(byIndex) {
		for i := 1; i <= len(byIndex)+1; i++ { // the first gap is at most len+1
			if _, ok := byIndex[i]; !ok {
				return nil, true, invalidValue("List " + prefix + " is missing member " + strconv.Itoa(i) + ".")
			}
		}
	}
	out := make([]Values, maxIdx)
	for i := range out {
		out[i] = byIndex[i+1]
	}
	return out, true, nil
}

// Encode form-encodes the values, sorted by name (spaces as %20), so that
// Parse(Encode(v)) equals v.
func (v Values) Encode() string {
	var b strings.Builder
	for i, k := range v.Names() {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(escape(k))
		b.WriteByte('=')
		b.WriteString(escape(v.m[k]))
	}
	return b.String()
}

func escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
