package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// scratch holds the reusable buffers of one canonicalisation/signature
// computation; it lives in scratchPool.
type scratch struct {
	buf   []byte  // canonical request, then string to sign
	hbuf  []byte  // HMAC input
	pbuf  []byte  // normalised path
	qbuf  []byte  // encoded query components
	pairs []qpair // offsets into qbuf
}

type qpair struct{ k0, k1, v0, v1 int }

var scratchPool = sync.Pool{New: func() any {
	return &scratch{
		buf:   make([]byte, 0, 1024),
		hbuf:  make([]byte, 0, 512),
		pbuf:  make([]byte, 0, 64),
		qbuf:  make([]byte, 0, 256),
		pairs: make([]qpair, 0, 16),
	}
}}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(s *scratch) {
	if cap(s.buf) > 64<<10 || cap(s.qbuf) > 64<<10 || cap(s.hbuf) > 64<<10 {
		return // do not keep huge buffers alive
	}
	scratchPool.Put(s)
}

// canonicalRequest writes the canonical request of r into s.buf and returns
// it. normalize selects the dot-segment-removing path form used for non-S3
// services; excludeSig drops X-Amz-Signature (presigned requests).
func (s *scratch) canonicalRequest(r *http.Request, a *Auth, payloadHash string, normalize bool) []byte {
	b := append(s.buf[:0], r.Method...)
	b = append(b, '\n')
	path := requestPath(r)
	if normalize {
		s.pbuf = normalizePath(s.pbuf[:0], path)
		b = appendEscapedPath(b, s.pbuf)
	} else {
		b = appendEscapedPath(b, path)
	}
	b = append(b, '\n')
	b = s.appendCanonicalQuery(b, rawQuery(r), a.Presigned)
	b = append(b, '\n')
	for _, name := range a.SignedHeaders {
		b = append(b, name...)
		b = append(b, ':')
		b = appendHeaderValues(b, r, name)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	b = append(b, a.signedHeadersRaw...)
	b = append(b, '\n')
	b = append(b, payloadHash...)
	s.buf = b
	return b
}

// stringToSign writes the string to sign for the canonical request in s.buf
// into s.buf (after it) and returns it.
func (s *scratch) stringToSign(a *Auth, canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	var hx [64]byte
	hex.Encode(hx[:], sum[:])
	b := append(s.buf[:0], a.Algorithm...)
	b = append(b, '\n')
	b = append(b, a.AmzDate...)
	b = append(b, '\n')
	b = append(b, a.scope...)
	b = append(b, '\n')
	b = append(b, hx[:]...)
	s.buf = b
	return b
}

// requestPath returns the escaped path as the client sent it: the raw
// request target on the server side, the URL's escaped path on the client
// side.
func requestPath(r *http.Request) string {
	if u := r.RequestURI; u != "" && u != "*" {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
		if !strings.HasPrefix(u, "/") { // absolute-form: scheme://authority/path
			if i := strings.Index(u, "://"); i >= 0 {
				u = u[i+3:]
				if j := strings.IndexByte(u, '/'); j >= 0 {
					u = u[j:]
				} else {
					u = ""
				}
			}
		}
		if u == "" {
			return "/"
		}
		return u
	}
	if r.URL == nil {
		return "/"
	}
	if o := r.URL.Opaque; o != "" { // "//host/path" form used by some SDKs
		o = strings.TrimPrefix(o, "//")
		if i := strings.IndexByte(o, '/'); i >= 0 {
			return o[i:]
		}
		return "/"
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

func rawQuery(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.RawQuery
}

// normalizePath removes empty and "." segments and resolves ".." like
// botocore's remove_dot_segments; the result is "/" for an empty path.
func normalizePath(dst []byte, path string) []byte {
	start := len(dst)
	rest := path
	n := 0
	for rest != "" {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		switch seg {
		case "", ".":
		case "..":
			if n > 0 {
				i := bytes.LastIndexByte(dst[start:], '/')
				dst = dst[:start+i]
				n--
			}
		default:
			dst = append(dst, '/')
			dst = append(dst, seg...)
			n++
		}
	}
	if n > 0 && strings.HasSuffix(path, "/") {
		dst = append(dst, '/')
	}
	if len(dst) == start {
		dst = append(dst, '/')
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

// unreserved reports the RFC 3986 unreserved characters.
var unreserved = func() (t [256]bool) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c], t[c+'a'-'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

// appendEscapedPath URI-encodes an (already escaped) path once more,
// keeping '/': the SigV4 double encoding for non-S3 services.
func appendEscapedPath[T string | []byte](dst []byte, p T) []byte {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if unreserved[c] || c == '/' {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendQueryComponent decodes a form-encoded query component ('+' is a
// space; malformed escapes are taken literally) and re-encodes it the RFC
// 3986 way SigV4 requires.
func appendQueryComponent(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' {
			c = ' '
		} else if c == '%' && i+2 < len(s) {
			if hi, ok1 := unhex(s[i+1]); ok1 {
				if lo, ok2 := unhex(s[i+2]); ok2 {
					c = hi<<4 | lo
					i += 2
				}
			}
		}
		if unreserved[c] {
			dst = append(dst, c)
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendCanonicalQuery appends the canonical query string of raw: every
// name and value re-encoded, pairs sorted by name then value.
func (s *scratch) appendCanonicalQuery(dst []byte, raw string, presigned bool) []byte {
	if raw == "" {
		return dst
	}
	q := s.qbuf[:0]
	pairs := s.pairs[:0]
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if presigned && k == paramSignature {
			continue
		}
		var p qpair
		p.k0 = len(q)
		q = appendQueryComponent(q, k)
		p.k1, p.v0 = len(q), len(q)
		q = appendQueryComponent(q, v)
		p.v1 = len(q)
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(x, y qpair) int {
		if c := bytes.Compare(q[x.k0:x.k1], q[y.k0:y.k1]); c != 0 {
			return c
		}
		return bytes.Compare(q[x.v0:x.v1], q[y.v0:y.v1])
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = append(dst, q[p.k0:p.k1]...)
		dst = append(dst, '=')
		dst = append(dst, q[p.v0:p.v1]...)
	}
	s.qbuf, s.pairs = q, pairs
	return dst
}

// appendHeaderValues appends the canonical value of the signed header name:
// all values joined by ',', each trimmed with inner runs of spaces collapsed.
func appendHeaderValues(dst []byte, r *http.Request, name string) []byte {
	switch {
	case strings.EqualFold(name, "host"), name == ":authority":
		return appendTrimmed(dst, requestHost(r))
	}
	vs := lookupHeader(r.Header, name)
	if vs == nil {
		switch {
		case strings.EqualFold(name, "content-length") && r.ContentLength >= 0:
			return strconv.AppendInt(dst, r.ContentLength, 10)
		case strings.EqualFold(name, "transfer-encoding"):
			vs = r.TransferEncoding
		}
	}
	for i, v := range vs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendTrimmed(dst, v)
	}
	return dst
}

func requestHost(r *http.Request) string {
	if r.Host != "" {
		return r.Host
	}
	if r.URL != nil {
		return r.URL.Host
	}
	return ""
}

// appendTrimmed appends v without leading/trailing spaces and with runs of
// spaces collapsed to one.
func appendTrimmed(dst []byte, v string) []byte {
	v = strings.Trim(v, " ")
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		dst = append(dst, c)
	}
	return dst
}

// lookupHeader finds the values of a header named case-insensitively
// without allocating for ordinary names.
func lookupHeader(h http.Header, name string) []string {
	var kb [64]byte
	if len(name) <= len(kb) {
		k := kb[:len(name)]
		upper := true
		for i := 0; i < len(name); i++ {
			c := name[i]
			if upper && 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			} else if !upper && 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			k[i] = c
			upper = c == '-'
		}
		if v, ok := h[string(k)]; ok {
			return v
		}
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}
