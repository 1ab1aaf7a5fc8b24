package policy

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A minimal JSON reader that, unlike encoding/json, keeps byte offsets of
// every value (for statement positions), keeps number literals verbatim,
// preserves object key order and reports duplicate keys (IAM rejects them).

type jkind uint8

const (
	jObject jkind = iota + 1
	jArray
	jString
	jNumber
	jBool
	jNull
)

type jval struct {
	kind  jkind
	str   string // string value; number literal text; "true"/"false"
	keys  []string
	vals  []*jval // object members (parallel to keys) or array elements
	start int     // byte offset of the first character
	end   int     // byte offset just past the last character
}

func (v *jval) get(key string) (*jval, bool) {
	for i, k := range v.keys {
		if k == key {
			return v.vals[i], true
		}
	}
	return nil, false
}

var (
	errSyntax  = errors.New("syntax")
	errDupKey  = errors.New("duplicate key")
	errTooDeep = errors.New("too deep")
)

const maxJSONDepth = 64

type jparser struct {
	s     string
	pos   int
	depth int
	dup   string
}

func parseJSON(s string) (*jval, error) {
	if !utf8.ValidString(s) {
		return nil, errSyntax
	}
	p := &jparser{s: s}
	p.ws()
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.s) {
		return nil, errSyntax
	}
	return v, nil
}

func (p *jparser) ws() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jparser) value() (*jval, error) {
	if p.pos >= len(p.s) {
		return nil, errSyntax
	}
	start := p.pos
	switch c := p.s[p.pos]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		str, err := p.str()
		if err != nil {
			return nil, err
		}
		return &jval{kind: jString, str: str, start: start, end: p.pos}, nil
	case c == 't':
		if strings.HasPrefix(p.s[p.pos:], "true") {
			p.pos += 4
			return &jval{kind: jBool, str: "true", start: start, end: p.pos}, nil
		}
	case c == 'f':
		if strings.HasPrefix(p.s[p.pos:], "false") {
			p.pos += 5
			return &jval{kind: jBool, str: "false", start: start, end: p.pos}, nil
		}
	case c == 'n':
		if strings.HasPrefix(p.s[p.pos:], "null") {
			p.pos += 4
			return &jval{kind: jNull, start: start, end: p.pos}, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	}
	return nil, errSyntax
}

func (p *jparser) number() (*jval, error) {
	start := p.pos
	s := p.s
	i := p.pos
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return nil, errSyntax
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return nil, errSyntax
	}
	if i < len(s) && s[i] == '.' {
		i++
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return nil, errSyntax
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		d := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == d {
			return nil, errSyntax
		}
	}
	p.pos = i
	return &jval{kind: jNumber, str: s[start:i], start: start, end: i}, nil
}

func (p *jparser) str() (string, error) {
	// p.s[p.pos] == '"'
	p.pos++
	start := p.pos
	// fast path: no escapes
	for i := p.pos; i < len(p.s); i++ {
		c := p.s[i]
		if c == '"' {
			p.pos = i + 1
			return p.s[start:i], nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", errSyntax
		}
	}
	var b strings.Builder
	i := p.pos
	for i < len(p.s) {
		c := p.s[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return b.String(), nil
		case c < 0x20:
			return "", errSyntax
		case c == '\\':
			i++
			if i >= len(p.s) {
				return "", errSyntax
			}
			switch p.s[i] {
			case '"', '\\', '/':
				b.WriteByte(p.s[i])
				i++
			case 'b':
				b.WriteByte('\b')
				i++
			case 'f':
				b.WriteByte('\f')
				i++
			case 'n':
				b.WriteByte('\n')
				i++
			case 'r':
				b.WriteByte('\r')
				i++
			case 't':
				b.WriteByte('\t')
				i++
			case 'u':
				r, n, ok := hex4(p.s, i+1)
				if !ok {
					return "", errSyntax
				}
				i = n
				if utf16.IsSurrogate(r) {
					r2, n2, ok2 := rune(0), 0, false
					if i+1 < len(p.s) && p.s[i] == '\\' && p.s[i+1] == 'u' {
						r2, n2, ok2 = hex4(p.s, i+2)
					}
					if ok2 {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							r = dec
							i = n2
						} else {
							return "", errSyntax
						}
					} else {
						return "", errSyntax
					}
				}
				b.WriteRune(r)
			default:
				return "", errSyntax
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", errSyntax
}

func hex4(s string, i int) (rune, int, bool) {
	if i+4 > len(s) {
		return 0, 0, false
	}
	n, err := strconv.ParseUint(s[i:i+4], 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(n), i + 4, true
}

func (p *jparser) object() (*jval, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return nil, errTooDeep
	}
	defer func() { p.depth-- }()
	v := &jval{kind: jObject, start: p.pos}
	p.pos++
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		v.end = p.pos
		return v, nil
	}
	for {
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return nil, errSyntax
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		for _, old := range v.keys {
			if old == k {
				p.dup = k
				return nil, errDupKey
			}
		}
		p.ws()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, errSyntax
		}
		p.pos++
		p.ws()
		m, err := p.value()
		if err != nil {
			return nil, err
		}
		v.keys = append(v.keys, k)
		v.vals = append(v.vals, m)
		p.ws()
		if p.pos >= len(p.s) {
			return nil, errSyntax
		}
		if p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.s[p.pos] == '}' {
			p.pos++
			v.end = p.pos
			return v, nil
		}
		return nil, errSyntax
	}
}

func (p *jparser) array() (*jval, error) {
	p.depth++
	if p.depth > maxJSONDepth {
		return nil, errTooDeep
	}
	defer func() { p.depth-- }()
	v := &jval{kind: jArray, start: p.pos}
	p.pos++
	p.ws()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		v.end = p.pos
		return v, nil
	}
	for {
		p.ws()
		m, err := p.value()
		if err != nil {
			return nil, err
		}
		v.vals = append(v.vals, m)
		p.ws()
		if p.pos >= len(p.s) {
			return nil, errSyntax
		}
		if p.s[p.pos] == ',' {
			p.pos++
			continue
		}
		if p.s[p.pos] == ']' {
			p.pos++
			v.end = p.pos
			return v, nil
		}
		return nil, errSyntax
	}
}

// Size returns the size of a policy document the way IAM counts it for its
// quotas: every character except whitespace (space, TAB, CR, LF) that lies
// outside JSON string literals. Characters are counted as Unicode code points.
// Size does not validate the document; limits are enforced by the caller.
func Size(doc string) int {
	n := 0
	in, esc := false, false
	for _, r := range doc {
		if in {
			n++
			switch {
			case esc:
				esc = false
			case r == '\\':
				esc = true
			case r == '"':
				in = false
			}
			continue
		}
		switch r {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			in = true
		}
		n++
	}
	return n
}

// ValidCharset reports whether doc contains only the characters IAM's
// policy-document parameter pattern allows: TAB, LF, CR and U+0020..U+00FF.
// (IAM answers a violation with ValidationError, not MalformedPolicyDocument,
// so Parse does not check this; the caller decides.)
func ValidCharset(doc string) bool {
	for _, r := range doc {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0xFF) {
			continue
		}
		return false
	}
	return true
}

// Position is a location in a policy document: 1-based line and column
// (column counted in bytes) and the 0-based byte offset.
type Position struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Offset int `json:"offset"`
}

func positionOf(doc string, off int) Position {
	line, col := 1, 1
	for i := 0; i < off && i < len(doc); i++ {
		if doc[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return Position{Line: line, Column: col, Offset: off}
}
