package api

import (
	"strconv"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
)

// Parameter helpers: the handlers' only way to read a request, so the
// query decoder's API is used in one place.

func (c *Call) str(name string) string { return c.Params.Get(name) }

func (c *Call) has(name string) bool { return c.Params.Has(name) }

// strList reads Name.member.N.
func (c *Call) strList(name string) ([]string, error) {
	l, _, err := c.Params.List(name)
	return l, err
}

// tags reads Name.member.N.Key / .Value.
func (c *Call) tags(name string) ([]iam.Tag, error) {
	structs, _, err := c.Params.Structs(name)
	if err != nil {
		return nil, err
	}
	out := make([]iam.Tag, 0, len(structs))
	for _, s := range structs {
		out = append(out, iam.Tag{Key: s.Get("Key"), Value: s.Get("Value")})
	}
	return out, nil
}

// intParam reads an optional integer member; member is its lower-camel
// name for error messages.
func (c *Call) intParam(name, member string) (int64, bool, error) {
	s := c.Params.Get(name)
	if !c.Params.Has(name) || s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		var v awserr.Validation
		v.Add(s, member, "Member must be an integer")
		return 0, false, v.Err()
	}
	return n, true, nil
}

// boolParam reads an optional boolean member.
func (c *Call) boolParam(name, member string) (bool, bool, error) {
	s := c.Params.Get(name)
	if !c.Params.Has(name) || s == "" {
		return false, false, nil
	}
	switch s {
	case "true", "True", "TRUE":
		return true, true, nil
	case "false", "False", "FALSE":
		return false, true, nil
	}
	var v awserr.Validation
	v.Add(s, member, "Member must be a boolean")
	return false, false, v.Err()
}

// page reads Marker and MaxItems.
func (c *Call) page() (iam.Page, error) {
	n, ok, err := c.intParam("MaxItems", "maxItems")
	if err != nil {
		return iam.Page{}, err
	}
	p := iam.Page{Marker: c.str("Marker")}
	if ok {
		if n < 1 || n > 1000 {
			var v awserr.Validation
			v.Add(strconv.FormatInt(n, 10), "maxItems", "Member must have value greater than or equal to 1")
			if n > 1000 {
				v = awserr.Validation{}
				v.Add(strconv.FormatInt(n, 10), "maxItems", "Member must have value less than or equal to 1000")
			}
			return p, v.Err()
		}
		p.MaxItems = int(n)
	}
	return p, nil
}

// required records missing required members.
func (c *Call) required(names ...string) error {
	var v awserr.Validation
	for _, n := range names {
		if c.str(n) == "" {
			v.AddNull(lowerFirst(n))
		}
	}
	return v.Err()
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'A' && b[0] <= 'Z' {
		b[0] += 'a' - 'A'
	}
	return string(b)
}
