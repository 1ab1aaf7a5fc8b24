package policy

import (
	"encoding/json"
	"sort"
	"strings"
)

// Canonical renders the policy in a canonical JSON form: fixed key order
// (Version, Id, Statement; Sid, Effect, Principal, Action, Resource,
// Condition), Statement always an array, every list an array, condition
// values as strings, no whitespace. Parse(p.Canonical(), p.Kind()) yields a
// policy with the same meaning (and the same canonical form).
func (p *Policy) Canonical() string {
	var b strings.Builder
	b.WriteByte('{')
	first := true
	field := func(name string) {
		if !first {
			b.WriteByte(',')
		}
		first = false
		writeJSONString(&b, name)
		b.WriteByte(':')
	}
	if p.version != "" {
		field("Version")
		writeJSONString(&b, p.version)
	}
	if p.hasID {
		field("Id")
		writeJSONString(&b, p.docID)
	}
	field("Statement")
	b.WriteByte('[')
	for i := range p.stmts {
		if i > 0 {
			b.WriteByte(',')
		}
		p.stmts[i].canonical(&b)
	}
	b.WriteString("]}")
	return b.String()
}

func writeJSONString(b *strings.Builder, s string) {
	j, _ := json.Marshal(s)
	b.Write(j)
}

func writeList(b *strings.Builder, list []string) {
	b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, s)
	}
	b.WriteByte(']')
}

func (st *statement) canonical(b *strings.Builder) {
	b.WriteByte('{')
	if st.info.Sid != "" {
		b.WriteString(`"Sid":`)
		writeJSONString(b, st.info.Sid)
		b.WriteByte(',')
	}
	b.WriteString(`"Effect":`)
	writeJSONString(b, st.info.Effect.String())
	if st.hasPrinc {
		if st.notPrinc {
			b.WriteString(`,"NotPrincipal":`)
		} else {
			b.WriteString(`,"Principal":`)
		}
		if st.princStar {
			b.WriteString(`"*"`)
		} else {
			keys := make([]string, 0, len(st.princRaw))
			for k := range st.princRaw {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			b.WriteByte('{')
			for i, k := range keys {
				if i > 0 {
					b.WriteByte(',')
				}
				writeJSONString(b, k)
				b.WriteByte(':')
				writeList(b, st.princRaw[k])
			}
			b.WriteByte('}')
		}
	}
	if st.notAction {
		b.WriteString(`,"NotAction":`)
	} else {
		b.WriteString(`,"Action":`)
	}
	acts := make([]string, len(st.actions))
	for i := range st.actions {
		acts[i] = st.actions[i].raw
	}
	writeList(b, acts)
	if st.hasResource {
		if st.notResource {
			b.WriteString(`,"NotResource":`)
		} else {
			b.WriteString(`,"Resource":`)
		}
		res := make([]string, len(st.resources))
		for i := range st.resources {
			res[i] = st.resources[i].raw
		}
		writeList(b, res)
	}
	if len(st.conds) > 0 {
		b.WriteString(`,"Condition":{`)
		for i := 0; i < len(st.conds); {
			j := i
			for j < len(st.conds) && st.conds[j].opName == st.conds[i].opName {
				j++
			}
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, st.conds[i].opName)
			b.WriteString(":{")
			for k := i; k < j; k++ {
				if k > i {
					b.WriteByte(',')
				}
				writeJSONString(b, st.conds[k].key)
				b.WriteByte(':')
				vals := make([]string, len(st.conds[k].vals))
				for v := range st.conds[k].vals {
					vals[v] = st.conds[k].vals[v].t.raw
				}
				writeList(b, vals)
			}
			b.WriteByte('}')
			i = j
		}
		b.WriteByte('}')
	}
	b.WriteByte('}')
}
