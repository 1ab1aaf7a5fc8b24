package query

import "testing"

func TestIsForm(t *testing.T) {
	for ct, want := range map[string]bool{
		"":                                  true,
		"application/x-www-form-urlencoded": true,
		"application/x-www-form-urlencoded; charset=utf-8": true,
		"Application/X-WWW-Form-Urlencoded; Charset=UTF-8": true,
		"application/x-www-form-urlencoded;charset=utf-8":  true,
		"application/x-www-form-urlencoded; charset=":      false, // malformed parameter
		"application/json": false,
		"text/xml":         false,
		"application/x-www-form-urlencodedx; charset=utf-8": false,
		"application/x-amz-json-1.1":                        false,
	} {
		if got := isForm(ct); got != want {
			t.Errorf("isForm(%q) = %v, want %v", ct, got, want)
		}
	}
}
