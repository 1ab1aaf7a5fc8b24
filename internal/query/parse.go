package query

import (
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"
)

// MaxParams bounds the number of parameters of one request.
const MaxParams = 1000

// Parse decodes the parameters of r: its URL query string merged with body
// when r is a POST with a form (or absent) Content-Type. body is the complete
// request body (the caller bounds and reads it). Errors are *Error.
func Parse(r *http.Request, body []byte) (Values, error) {
	v := Values{m: make(map[string]string)}
	n := 0
	if r.URL != nil {
		if err := v.add(r.URL.RawQuery, &n); err != nil {
			return Values{}, err
		}
	}
	if r.Method == http.MethodPost && len(body) > 0 && isForm(r.Header.Get("Content-Type")) {
		if err := v.add(string(body), &n); err != nil {
			return Values{}, err
		}
	}
	return v, nil
}

func isForm(ct string) bool {
	switch ct {
	case "", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-8":
		return true // what SDKs send, without parsing
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// ParseString decodes a form-encoded string (for tests and clients).
func ParseString(s string) (Values, error) {
	v := Values{m: make(map[string]string)}
	n := 0
	if err := v.add(s, &n); err != nil {
		return Values{}, err
	}
	return v, nil
}

func (v Values) add(s string, n *int) error {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if *n++; *n > MaxParams {
			return malformed("Too many parameters: the limit is 1000.")
		}
		rk, rv, _ := strings.Cut(pair, "=")
		k, err := unescape(rk)
		if err != nil {
			return err
		}
		val, err := unescape(rv)
		if err != nil {
			return err
		}
		if k == "" {
			return malformed("Parameter without a name: '" + pair + "'.")
		}
		if old, dup := v.m[k]; dup && old != val {
			return malformed("Parameter '" + k + "' is given more than once with different values.")
		}
		v.m[k] = val
	}
	return nil
}

// unescape decodes a form component strictly: '+' and %20 are spaces, every
// '%' must start a two-digit hex escape, and the result must be UTF-8.
func unescape(s string) (string, error) {
	if strings.IndexAny(s, "%+") < 0 {
		if !utf8.ValidString(s) {
			return "", malformed("Parameters must be UTF-8.")
		}
		return s, nil
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || !ishex(s[i+1]) || !ishex(s[i+2]) {
				end := min(i+3, len(s))
				return "", malformed("Malformed percent-encoding '" + s[i:end] + "' in the query string.")
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	if !utf8.Valid(b) {
		return "", malformed("Parameters must be UTF-8.")
	}
	return string(b), nil
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
