package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type opCode uint8

const (
	opStrEq opCode = iota + 1
	opStrEqIC
	opStrLike
	opNumEq
	opNumLt
	opNumLe
	opNumGt
	opNumGe
	opDateEq
	opDateLt
	opDateLe
	opDateGt
	opDateGe
	opBool
	opBinary
	opIP
	opArn
	opNull
)

type opInfo struct {
	code opCode
	neg  bool
	name string // canonical spelling
}

var operators = map[string]opInfo{}

func init() {
	for _, o := range []opInfo{
		{opStrEq, false, "StringEquals"}, {opStrEq, true, "StringNotEquals"},
		{opStrEqIC, false, "StringEqualsIgnoreCase"}, {opStrEqIC, true, "StringNotEqualsIgnoreCase"},
		{opStrLike, false, "StringLike"}, {opStrLike, true, "StringNotLike"},
		{opNumEq, false, "NumericEquals"}, {opNumEq, true, "NumericNotEquals"},
		{opNumLt, false, "NumericLessThan"}, {opNumLe, false, "NumericLessThanEquals"},
		{opNumGt, false, "NumericGreaterThan"}, {opNumGe, false, "NumericGreaterThanEquals"},
		{opDateEq, false, "DateEquals"}, {opDateEq, true, "DateNotEquals"},
		{opDateLt, false, "DateLessThan"}, {opDateLe, false, "DateLessThanEquals"},
		{opDateGt, false, "DateGreaterThan"}, {opDateGe, false, "DateGreaterThanEquals"},
		{opBool, false, "Bool"}, {opBinary, false, "BinaryEquals"},
		{opIP, false, "IpAddress"}, {opIP, true, "NotIpAddress"},
		{opArn, false, "ArnEquals"}, {opArn, false, "ArnLike"},
		{opArn, true, "ArnNotEquals"}, {opArn, true, "ArnNotLike"},
		{opNull, false, "Null"},
	} {
		operators[strings.ToLower(o.name)] = o
	}
}

// Operators returns the canonical names of every supported condition
// operator (without IfExists / set-operator decorations).
func Operators() []string {
	out := make([]string, 0, len(operators))
	for _, o := range operators {
		out = append(out, o.name)
	}
	return out
}

type setMode uint8

const (
	setNone setMode = iota
	setAny
	setAll
)

type numVal struct {
	i     int64
	f     float64
	isInt bool
}

func parseNum(s string) (numVal, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return numVal{i: i, f: float64(i), isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f {
		return numVal{}, false
	}
	return numVal{f: f}, true
}

func cmpNum(a, b numVal) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// parseDate accepts the W3C ISO-8601 profiles (YYYY, YYYY-MM, YYYY-MM-DD,
// YYYY-MM-DDThh:mm[:ss[.s+]]TZD; a missing TZD means UTC) and epoch seconds
// (integer or decimal; exactly four digits are read as a year). It returns
// Unix nanoseconds.
func parseDate(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	if len(s) != 4 {
		if n, ok := parseNum(s); ok {
			if n.isInt {
				if n.i > 9e9 || n.i < -9e9 {
					return 0, false
				}
				return n.i * 1e9, true
			}
			if n.f > 9e9 || n.f < -9e9 {
				return 0, false
			}
			return int64(n.f * 1e9), true
		}
	}
	num := func(s string) (int, bool) {
		if len(s) == 0 {
			return 0, false
		}
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	if len(s) < 4 {
		return 0, false
	}
	year, ok := num(s[:4])
	if !ok {
		return 0, false
	}
	month, day := 1, 1
	rest := s[4:]
	if len(rest) > 0 {
		if len(rest) < 3 || rest[0] != '-' {
			return 0, false
		}
		if month, ok = num(rest[1:3]); !ok || month < 1 || month > 12 {
			return 0, false
		}
		rest = rest[3:]
		if len(rest) > 0 {
			if len(rest) < 3 || rest[0] != '-' {
				return 0, false
			}
			if day, ok = num(rest[1:3]); !ok || day < 1 || day > 31 {
				return 0, false
			}
			rest = rest[3:]
		}
	}
	hh, mm, ss, nanos := 0, 0, 0, 0
	offset := 0
	if len(rest) > 0 {
		if rest[0] != 'T' && rest[0] != 't' || len(rest) < 6 || rest[3] != ':' {
			return 0, false
		}
		if hh, ok = num(rest[1:3]); !ok || hh > 24 {
			return 0, false
		}
		if mm, ok = num(rest[4:6]); !ok || mm > 59 {
			return 0, false
		}
		rest = rest[6:]
		if len(rest) >= 3 && rest[0] == ':' {
			if ss, ok = num(rest[1:3]); !ok || ss > 60 {
				return 0, false
			}
			rest = rest[3:]
			if len(rest) > 1 && rest[0] == '.' {
				i := 1
				scale := 100000000
				for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
					nanos += int(rest[i]-'0') * scale
					scale /= 10
					i++
				}
				if i == 1 {
					return 0, false
				}
				rest = rest[i:]
			}
		}
		switch {
		case rest == "" || rest == "Z" || rest == "z":
		case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
			oh, ok1 := num(rest[1:3])
			om, ok2 := num(rest[4:6])
			if !ok1 || !ok2 || oh > 23 || om > 59 {
				return 0, false
			}
			offset = (oh*60 + om) * 60
			if rest[0] == '-' {
				offset = -offset
			}
		default:
			return 0, false
		}
	}
	t := time.Date(year, time.Month(month), day, hh, mm, ss, nanos, time.UTC)
	return t.Unix()*1e9 + int64(t.Nanosecond()) - int64(offset)*1e9, true
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

func parseIPValue(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// cval is a compiled condition value.
type cval struct {
	t    tmpl
	num  numVal
	date int64
	pfx  netip.Prefix
	bin  []byte
	b    bool
}

// cond is one (operator, key) pair of a Condition block.
type cond struct {
	opName   string // operator as written
	key      string // key as written
	op       opCode
	neg      bool
	ifExists bool
	set      setMode
	vals     []cval
}

// parseOperator decodes "ForAnyValue:StringLikeIfExists" etc.
func parseOperator(name string) (op opInfo, set setMode, ifExists bool, ok bool) {
	n := name
	if i := strings.IndexByte(n, ':'); i >= 0 {
		switch strings.ToLower(n[:i]) {
		case "forallvalues":
			set = setAll
		case "foranyvalue":
			set = setAny
		default:
			return op, 0, false, false
		}
		n = n[i+1:]
	}
	l := strings.ToLower(n)
	if strings.HasSuffix(l, "ifexists") {
		ifExists = true
		l = l[:len(l)-len("ifexists")]
	}
	op, ok = operators[l]
	if !ok {
		return op, 0, false, false
	}
	if op.code == opNull && (ifExists || set != setNone) {
		return op, 0, false, false
	}
	return op, set, ifExists, true
}

func compileCondValue(op opCode, s string, vars bool) (cval, bool) {
	var v cval
	switch op {
	case opStrEq, opStrEqIC, opBool:
		v.t = compileTmpl(s, vars, false, false)
		if op == opBool {
			v.b, _ = parseBool(s)
		}
	case opStrLike:
		v.t = compileTmpl(s, vars, true, false)
	case opArn:
		v.t = compileTmpl(s, vars, true, false)
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		n, ok := parseNum(s)
		if !ok {
			return v, false
		}
		v.num = n
		v.t.raw = s
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		d, ok := parseDate(s)
		if !ok {
			return v, false
		}
		v.date = d
		v.t.raw = s
	case opIP:
		p, ok := parseIPValue(s)
		if !ok {
			return v, false
		}
		v.pfx = p
		v.t.raw = s
	case opBinary:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return v, false
		}
		v.bin = b
		v.t.raw = s
	case opNull:
		b, ok := parseBool(s)
		if !ok {
			return v, false
		}
		v.b = b
		v.t.raw = s
	}
	return v, true
}

// matchOne reports whether the request value rv matches policy value pv
// under the positive form of the operator.
func (c *cond) matchOne(pv *cval, rv string, e *evaluator) bool {
	switch c.op {
	case opStrEq:
		ok, un := pv.t.match(rv, mExact, e.ctx)
		if un {
			e.missingVars(&pv.t)
		}
		return ok
	case opStrEqIC:
		ok, un := pv.t.match(rv, mFold, e.ctx)
		if un {
			e.missingVars(&pv.t)
		}
		return ok
	case opStrLike:
		ok, un := pv.t.match(rv, mGlob, e.ctx)
		if un {
			e.missingVars(&pv.t)
		}
		return ok
	case opArn:
		ok, un := pv.t.match(rv, mArn, e.ctx)
		if un {
			e.missingVars(&pv.t)
		}
		return ok
	case opBool:
		if pv.t.vars {
			ok, un := pv.t.match(rv, mFold, e.ctx)
			if un {
				e.missingVars(&pv.t)
			}
			return ok
		}
		b, ok := parseBool(rv)
		return ok && b == pv.b && (pv.b || strings.EqualFold(pv.t.lit, "false"))
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		n, ok := parseNum(rv)
		if !ok {
			return false
		}
		r := cmpNum(n, pv.num)
		switch c.op {
		case opNumEq:
			return r == 0
		case opNumLt:
			return r < 0
		case opNumLe:
			return r <= 0
		case opNumGt:
			return r > 0
		}
		return r >= 0
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		d, ok := parseDate(rv)
		if !ok {
			return false
		}
		switch c.op {
		case opDateEq:
			return d == pv.date
		case opDateLt:
			return d < pv.date
		case opDateLe:
			return d <= pv.date
		case opDateGt:
			return d > pv.date
		}
		return d >= pv.date
	case opIP:
		a, err := netip.ParseAddr(rv)
		if err != nil {
			return false
		}
		return pv.pfx.Contains(a.Unmap())
	case opBinary:
		var buf [96]byte
		dst := buf[:]
		if n := base64.StdEncoding.DecodedLen(len(rv)); n > len(dst) {
			dst = make([]byte, n)
		}
		n, err := base64.StdEncoding.Decode(dst, []byte(rv))
		if err != nil {
			return rv == string(pv.bin)
		}
		return bytes.Equal(dst[:n], pv.bin)
	}
	return false
}

// matchAny: the request value matches at least one policy value.
func (c *cond) matchAny(rv string, e *evaluator) bool {
	for i := range c.vals {
		if c.matchOne(&c.vals[i], rv, e) {
			return true
		}
	}
	return false
}

// eval evaluates the condition against the request context
// (conditions.md §1–§3).
func (c *cond) eval(e *evaluator) bool {
	vals, _ := e.ctx.Get(c.key)
	present := len(vals) > 0
	if c.op == opNull {
		isNull := !present || (len(vals) == 1 && vals[0] == "")
		for i := range c.vals {
			if c.vals[i].b == isNull {
				return true
			}
		}
		return false
	}
	if !present {
		e.missingKey(c.key)
	}
	switch c.set {
	case setAny:
		if !present {
			return c.ifExists
		}
		for _, v := range vals {
			if c.matchAny(v, e) != c.neg {
				return true
			}
		}
		return false
	case setAll:
		if !present || (len(vals) == 1 && vals[0] == "") {
			return true
		}
		for _, v := range vals {
			if c.matchAny(v, e) == c.neg {
				return false
			}
		}
		return true
	}
	if !present {
		return c.ifExists || c.neg
	}
	for _, v := range vals {
		if c.matchAny(v, e) {
			return !c.neg
		}
	}
	return c.neg
}
