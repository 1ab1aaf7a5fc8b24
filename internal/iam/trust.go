package iam

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/store"
)

// Trust policies keep their text as submitted except that IAM user and
// role ARNs in Principal.AWS are stored as the entities' unique ids and
// shown as the entities' current ARNs (ids-and-arns.md §1).

// principalSpan is one Principal.AWS string literal: doc[Start:End] is the
// literal with its quotes.
type principalSpan struct {
	Start, End int
	Value      string
}

// awsPrincipals finds the Principal.AWS string literals of a policy
// document (a document that already parsed as a policy).
func awsPrincipals(doc string) ([]principalSpan, error) {
	type frame struct {
		obj       bool
		key       string
		expectKey bool
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var stack []frame
	var out []principalSpan
	path := func() string {
		var b strings.Builder
		for i, f := range stack {
			if f.obj {
				if i > 0 {
					b.WriteByte('/')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("/[]")
			}
		}
		return b.String()
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].expectKey = true
		}
	}
	for {
		off0 := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		off1 := dec.InputOffset()
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, frame{obj: true, expectKey: true})
			case '[':
				stack = append(stack, frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].expectKey {
				stack[n-1].key = t
				stack[n-1].expectKey = false
				continue
			}
			switch path() {
			case "Statement/Principal/AWS", "Statement/[]/Principal/AWS", "Statement/Principal/AWS/[]", "Statement/[]/Principal/AWS/[]":
				q := strings.IndexByte(doc[off0:off1], '"')
				if q >= 0 {
					out = append(out, principalSpan{Start: int(off0) + q, End: int(off1), Value: t})
				}
			}
			valueDone()
		default:
			valueDone()
		}
	}
}

// replaceSpans rewrites the literals whose replacement is not "".
func replaceSpans(doc string, spans []principalSpan, repl []string) string {
	var b strings.Builder
	last := 0
	for i, sp := range spans {
		if repl[i] == "" {
			continue
		}
		b.WriteString(doc[last:sp.Start])
		b.WriteByte('"')
		b.WriteString(repl[i])
		b.WriteByte('"')
		last = sp.End
	}
	if last == 0 {
		return doc
	}
	b.WriteString(doc[last:])
	return b.String()
}

// splitIAMARN splits arn:aws:iam::ACCOUNT:TYPE/PATH/NAME.
func splitIAMARN(arn, typ string) (account, path, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != Partition || parts[2] != "iam" || parts[3] != "" {
		return "", "", "", false
	}
	res, found := strings.CutPrefix(parts[5], typ+"/")
	if !found {
		return "", "", "", false
	}
	i := strings.LastIndexByte(res, '/')
	path, name = "/"+res[:i+1], res[i+1:]
	if name == "" {
		return "", "", "", false
	}
	return parts[4], path, name, true
}

func isEntityID(s string) bool {
	return len(s) == 21 && (strings.HasPrefix(s, "AIDA") || strings.HasPrefix(s, "AROA"))
}

// canonicalTrust resolves user and role ARNs (and unique ids) named in
// Principal.AWS to unique ids; a principal that does not exist is
// MalformedPolicyDocument "Invalid principal in policy".
func (s *Service) canonicalTrust(ctx context.Context, r store.Reader, doc string) (string, error) {
	spans, err := awsPrincipals(doc)
	if err != nil {
		return "", awserr.MalformedPolicyDocument("Syntax errors in policy.")
	}
	repl := make([]string, len(spans))
	for i, sp := range spans {
		v := sp.Value
		invalid := awserr.MalformedPolicyDocument(`Invalid principal in policy: "AWS":"%s"`, v)
		switch {
		case isEntityID(v):
			kind := KindUser
			if strings.HasPrefix(v, "AROA") {
				kind = KindRole
			}
			if _, err := r.GetByID(ctx, kind, v); err != nil {
				if notFound(err) {
					return "", invalid
				}
				return "", err
			}
		case strings.HasPrefix(v, "arn:"):
			for _, typ := range []string{EntityUser, EntityRole} {
				account, path, name, ok := splitIAMARN(v, typ)
				if !ok {
					continue
				}
				kind := KindUser
				if typ == EntityRole {
					kind = KindRole
				}
				rec, err := r.Get(ctx, kind, account, name)
				if notFound(err) {
					return "", invalid
				}
				if err != nil {
					return "", err
				}
				var e struct {
					Path, Name string
				}
				if err := json.Unmarshal(rec.Data, &e); err != nil {
					return "", err
				}
				// The ARN must name the entity exactly (path, and name case).
				if e.Path != path || e.Name != name {
					return "", invalid
				}
				repl[i] = rec.ID
			}
		}
	}
	return replaceSpans(doc, spans, repl), nil
}

// displayTrust maps stored unique ids back to the entities' current ARNs;
// ids of deleted entities stay raw ids, as IAM shows them.
func (s *Service) displayTrust(ctx context.Context, r store.Reader, doc string) string {
	spans, err := awsPrincipals(doc)
	if err != nil || len(spans) == 0 {
		return doc
	}
	repl := make([]string, len(spans))
	for i, sp := range spans {
		if !isEntityID(sp.Value) {
			continue
		}
		if strings.HasPrefix(sp.Value, "AIDA") {
			if u, _, err := getByID[User](ctx, r, KindUser, sp.Value); err == nil {
				repl[i] = u.ARN()
			}
		} else if ro, _, err := getByID[Role](ctx, r, KindRole, sp.Value); err == nil {
			repl[i] = ro.ARN()
		}
	}
	return replaceSpans(doc, spans, repl)
}
