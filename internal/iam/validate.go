package iam

import (
	"encoding/base64"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/awserr"
)

// Model patterns (../shared/spec/ids-and-arns.md, iam-api.md).
const (
	patName       = `[\w+=,.@-]+`
	patPath       = `(\u002F)|(\u002F[\u0021-\u007F]+\u002F)`
	patPathPrefix = `\u002F[\u0021-\u007F]*`
	patPolicyPath = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
)

var (
	reName       = regexp.MustCompile(`^[\w+=,.@-]+$`)
	rePath       = regexp.MustCompile(`^(/|/[\x21-\x7f]+/)$`)
	rePathPrefix = regexp.MustCompile(`^/[\x21-\x7f]*$`)
	rePolicyPath = regexp.MustCompile(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
	reTagKey     = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	reTagValue   = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// checkName validates an entity name against the model's length and
// pattern, recording AWS-worded failures.
func checkName(v *awserr.Validation, member, name string, max int) {
	if name == "" {
		v.AddNull(member)
		return
	}
	if n := utf8.RuneCountInString(name); n > max {
		v.Add(name, member, "Member must have length less than or equal to "+itoa(max))
	}
	if !reName.MatchString(name) {
		v.Add(name, member, "Member must satisfy regular expression pattern: "+patName)
	}
}

// checkPath validates an entity path; "" means the default "/".
func checkPath(v *awserr.Validation, member, path string) {
	if path == "" {
		return
	}
	if len(path) > 512 {
		v.Add(path, member, "Member must have length less than or equal to 512")
	}
	if !rePath.MatchString(path) {
		v.Add(path, member, "Member must satisfy regular expression pattern: "+patPath)
	}
}

func checkPathPrefix(v *awserr.Validation, member, prefix string) {
	if prefix == "" {
		return
	}
	if len(prefix) > 512 {
		v.Add(prefix, member, "Member must have length less than or equal to 512")
	}
	if !rePathPrefix.MatchString(prefix) {
		v.Add(prefix, member, "Member must satisfy regular expression pattern: "+patPathPrefix)
	}
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// checkTags validates tags for a create or tag call: at most 50, keys
// unique ignoring case, model patterns, no aws: prefix.
func checkTags(tags []Tag) error {
	if len(tags) > 50 {
		return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
	}
	var v awserr.Validation
	seen := make(map[string]bool, len(tags))
	for i, t := range tags {
		member := "tags." + itoa(i+1) + ".member.key"
		if t.Key == "" || utf8.RuneCountInString(t.Key) > 128 {
			v.Add(t.Key, member, "Member must have length between 1 and 128")
		} else if !reTagKey.MatchString(t.Key) {
			v.Add(t.Key, member, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		}
		vm := "tags." + itoa(i+1) + ".member.value"
		if utf8.RuneCountInString(t.Value) > 256 {
			v.Add(t.Value, vm, "Member must have length less than or equal to 256")
		} else if !reTagValue.MatchString(t.Value) {
			v.Add(t.Value, vm, `Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	for _, t := range tags {
		lk := strings.ToLower(t.Key)
		if strings.HasPrefix(lk, "aws:") {
			return awserr.InvalidInput("User-defined tag keys can't start with \"aws:\".")
		}
		if seen[lk] {
			return awserr.InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lk] = true
	}
	return nil
}

// mergeTags applies TagX semantics: a key present (ignoring case) is
// replaced, keeping the new case; others are appended.
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

func removeTags(have []Tag, keys []string) []Tag {
	out := have[:0:0]
	for _, t := range have {
		drop := false
		for _, k := range keys {
			if strings.EqualFold(t.Key, k) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, t)
		}
	}
	return out
}

// Page is a pagination request: Marker from the previous answer and
// MaxItems (default 100, 1..1000).
type Page struct {
	Marker   string
	MaxItems int
}

// limit validates the page and returns the cursor name and item cap.
func (p Page) limit() (after string, max int, err error) {
	max = p.MaxItems
	if max == 0 {
		max = 100
	}
	if max < 1 || max > 1000 {
		var v awserr.Validation
		v.Add(itoa(p.MaxItems), "maxItems", "Member must have value between 1 and 1000")
		return "", 0, v.Err()
	}
	if p.Marker != "" {
		b, derr := base64.RawURLEncoding.DecodeString(p.Marker)
		if derr != nil || !utf8.Valid(b) {
			return "", 0, awserr.InvalidInput("Invalid Marker.")
		}
		after = string(b)
	}
	return after, max, nil
}

func marker(lastName string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(lastName))
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = digits[i%10]
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
