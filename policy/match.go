package policy

import (
	"strings"
	"unicode/utf8"
)

// tmpl is a compiled string pattern: literal text, wildcards (* and ?) and
// policy variables. All variable keys are stored lower-case.
type tmpl struct {
	raw  string // the source text (for canonical output and fast paths)
	lit  string // when !vars && !wild: the literal value (special vars expanded)
	toks []tok
	vars bool // contains a real ${key} variable
	wild bool // contains * or ?
	star bool // the pattern is exactly "*"
	// Fast paths for wildcard patterns without variables:
	prefix     string // literal text before the first wildcard
	prefixStar bool   // the pattern is exactly prefix + "*"
	arnSafe    bool   // prefix holds >= 5 colons (later wildcards are in the resource part)
}

type tokKind uint8

const (
	tLit tokKind = iota
	tStar
	tQ
	tVar
)

type tok struct {
	kind   tokKind
	s      string // literal text, or variable key (original spelling)
	def    string // default value for variables
	hasDef bool
}

// compileTmpl compiles s. vars: substitute ${...}; wild: * and ? are
// wildcards; lower: lower-case literals (ASCII; used for actions).
func compileTmpl(s string, vars, wild, lower bool) tmpl {
	t := tmpl{raw: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.toks = append(t.toks, tok{kind: tLit, s: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		if vars && c == '$' && i+1 < len(s) && s[i+1] == '{' {
			if j := strings.IndexByte(s[i+2:], '}'); j >= 0 {
				body := s[i+2 : i+2+j]
				i += 2 + j + 1
				switch body {
				case "*", "?", "$":
					lit.WriteString(body)
					continue
				}
				key, def, hasDef := body, "", false
				if k := strings.IndexByte(body, ','); k >= 0 {
					key = body[:k]
					d := strings.TrimSpace(body[k+1:])
					if len(d) >= 2 && d[0] == '\'' && d[len(d)-1] == '\'' {
						def, hasDef = d[1:len(d)-1], true
					} else {
						def, hasDef = d, true
					}
				}
				key = strings.TrimSpace(key)
				flush()
				t.toks = append(t.toks, tok{kind: tVar, s: key, def: def, hasDef: hasDef})
				t.vars = true
				continue
			}
		}
		if wild && (c == '*' || c == '?') {
			flush()
			if c == '*' {
				// collapse runs of stars
				if n := len(t.toks); n == 0 || t.toks[n-1].kind != tStar {
					t.toks = append(t.toks, tok{kind: tStar})
				}
			} else {
				t.toks = append(t.toks, tok{kind: tQ})
			}
			t.wild = true
			i++
			continue
		}
		if lower && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	if !t.vars && !t.wild {
		if len(t.toks) == 1 {
			t.lit = t.toks[0].s
		}
		t.toks = nil
	}
	t.star = len(t.toks) == 1 && t.toks[0].kind == tStar
	t.finish()
	return t
}

// finish computes the fast-path fields.
func (t *tmpl) finish() {
	t.prefix, t.prefixStar, t.arnSafe = "", false, false
	if t.vars || !t.wild || len(t.toks) == 0 {
		return
	}
	if t.toks[0].kind == tLit {
		t.prefix = t.toks[0].s
		t.prefixStar = len(t.toks) == 2 && t.toks[1].kind == tStar
		t.arnSafe = strings.Count(t.prefix, ":") >= 5
	}
}

// matchMode selects the comparison flavour of tmpl.match.
type matchMode uint8

const (
	mExact         matchMode = iota // case-sensitive equality (wildcards ignored)
	mFold                           // Unicode case-insensitive equality
	mGlob                           // case-sensitive glob
	mGlobASCIIFold                  // case-insensitive glob, pattern pre-lowered (actions)
	mArn                            // ArnLike: glob per colon field (first six fields)
)

// match reports whether s matches the template. ok=false with unresolved=true
// means a variable without default was missing.
func (t *tmpl) match(s string, mode matchMode, r *Context) (ok, unresolved bool) {
	if !t.vars && !t.wild {
		switch mode {
		case mFold:
			return strings.EqualFold(t.lit, s), false
		case mGlobASCIIFold:
			return equalFoldLower(s, t.lit), false
		}
		return t.lit == s, false
	}
	if t.star && mode != mExact && mode != mFold {
		return true, false
	}
	if t.prefix != "" && mode != mExact && mode != mFold {
		if !hasPrefixMode(s, t.prefix, mode) {
			return false, false
		}
		if t.prefixStar && (mode != mArn || t.arnSafe) {
			return true, false
		}
	}
	fifth := len(s)
	if mode == mArn {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] == ':' {
				n++
				if n == 5 {
					fifth = i
					break
				}
			}
		}
	}
	return globToks(t.toks, s, mode, fifth, r)
}

func equalFoldLower(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hasPrefixMode(s, p string, mode matchMode) bool {
	if len(s) < len(p) {
		return false
	}
	switch mode {
	case mGlobASCIIFold:
		return equalFoldLower(s[:len(p)], p)
	case mFold:
		return strings.EqualFold(s[:len(p)], p)
	}
	return s[:len(p)] == p
}

// globToks is the classic linear-backtracking wildcard matcher over tokens.
// Wildcards (* and ?) only consume characters when wildcard mode is on; in
// mArn mode they may not consume a ':' at or before the fifth colon of s
// (so every one of the first six ARN fields is matched separately).
func globToks(toks []tok, s string, mode matchMode, fifth int, r *Context) (bool, bool) {
	wild := mode == mGlob || mode == mGlobASCIIFold || mode == mArn
	canWild := func(i int) bool { return mode != mArn || s[i] != ':' || i > fifth }
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tStar:
				if wild {
					starTi, starSi = ti, si
					ti++
					continue
				}
				if hasPrefixMode(s[si:], "*", mode) {
					si++
					ti++
					continue
				}
			case tQ:
				if wild {
					if si < len(s) && canWild(si) {
						_, n := utf8.DecodeRuneInString(s[si:])
						si += n
						ti++
						continue
					}
				} else if hasPrefixMode(s[si:], "?", mode) {
					si++
					ti++
					continue
				}
			case tLit:
				if hasPrefixMode(s[si:], t.s, mode) {
					si += len(t.s)
					ti++
					continue
				}
			case tVar:
				v, ok := resolveTok(t, r)
				if !ok {
					return false, true
				}
				if hasPrefixMode(s[si:], v, mode) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true, false
		}
		if starTi < 0 || starSi >= len(s) || !canWild(starSi) {
			// A later variable might still be unresolved; report it so
			// the caller can list it as missing.
			for i := ti; i < len(toks); i++ {
				if toks[i].kind == tVar {
					if _, ok := resolveTok(&toks[i], r); !ok {
						return false, true
					}
				}
			}
			return false, false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		si = starSi
		ti = starTi + 1
	}
}

func resolveTok(t *tok, r *Context) (string, bool) {
	if v, ok := r.single(t.s); ok {
		return v, true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

// expand renders the template with variables substituted (for messages
// and the simulator); wildcards stay as * and ?.
func (t *tmpl) expand(r *Context) (string, bool) {
	if !t.vars && !t.wild {
		return t.lit, true
	}
	var b strings.Builder
	for i := range t.toks {
		switch tk := &t.toks[i]; tk.kind {
		case tLit:
			b.WriteString(tk.s)
		case tStar:
			b.WriteByte('*')
		case tQ:
			b.WriteByte('?')
		case tVar:
			v, ok := resolveTok(tk, r)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
	}
	return b.String(), true
}

// varKeys appends the variable keys used by the template.
func (t *tmpl) varKeys(dst []string) []string {
	for _, tk := range t.toks {
		if tk.kind == tVar {
			dst = append(dst, tk.s)
		}
	}
	return dst
}
