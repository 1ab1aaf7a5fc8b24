package iam

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzAWSPrincipals: the Principal.AWS scanner never panics, its spans are
// quoted literals inside the document, and replacing them keeps a
// document the scanner can read again with the same number of principals.
func FuzzAWSPrincipals(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:user/a","b"]},"Action":"sts:AssumeRole"}]}`,
		`{"Statement":{"Principal":{"AWS":"x"}}}`,
		`{"Statement":[{"Principal":"*"}]}`,
		`[`, `{"Statement":[{"Principal":{"AWS":"\u0041\"q"}}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		spans, err := awsPrincipals(doc)
		if err != nil {
			return
		}
		repl := make([]string, len(spans))
		for i, sp := range spans {
			if sp.Start < 0 || sp.End > len(doc) || sp.Start >= sp.End || doc[sp.Start] != '"' || doc[sp.End-1] != '"' {
				t.Fatalf("bad span %+v in %q", sp, doc)
			}
			repl[i] = "AIDAAAAAAAAAAAAAAAAAA"
		}
		out := replaceSpans(doc, spans, repl)
		again, err := awsPrincipals(out)
		if err != nil || len(again) != len(spans) {
			t.Fatalf("rewritten %q: %v (%d vs %d)", out, err, len(again), len(spans))
		}
	})
}

// FuzzEncodeDocument: every document round-trips through both Go
// unescapers (botocore's unquote decodes the same RFC 3986 form).
func FuzzEncodeDocument(f *testing.F) {
	f.Add(`{"a": "b c+d%e"}`)
	f.Add("\t\n\u00ff")
	f.Fuzz(func(t *testing.T, doc string) {
		enc := EncodeDocument(doc)
		if strings.ContainsAny(enc, " +") {
			t.Fatalf("%q", enc)
		}
		if d, err := url.QueryUnescape(enc); err != nil || d != doc {
			t.Fatalf("%q -> %q -> %q %v", doc, enc, d, err)
		}
	})
}
