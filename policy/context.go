package policy

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Context holds the request's condition-key values. Keys are matched
// case-insensitively (conditions.md §1), every key may carry several values
// (multivalued keys such as aws:TagKeys). The zero value is an empty context
// ready to use. A Context is cheap to fill and can be reused with Reset (its
// storage is kept), which makes it suitable for a sync.Pool. A Context must
// not be modified while an evaluation that uses it runs; concurrent
// evaluations may share a Context that nobody modifies.
type Context struct {
	entries []ctxEntry
}

type ctxEntry struct {
	key  string
	vals []string
}

// NewContext returns an empty context.
func NewContext() *Context { return &Context{} }

// Reset removes every key but keeps the allocated storage.
func (c *Context) Reset() {
	for i := range c.entries {
		c.entries[i].key = ""
		clear(c.entries[i].vals)
		c.entries[i].vals = c.entries[i].vals[:0]
	}
	c.entries = c.entries[:0]
}

func (c *Context) find(key string) int {
	if c == nil {
		return -1
	}
	for i := range c.entries {
		e := &c.entries[i]
		if len(e.key) == len(key) && strings.EqualFold(e.key, key) {
			return i
		}
	}
	return -1
}

// Set replaces the values of key (case-insensitive). Set with no values
// makes the key present with an empty value set, which evaluation treats
// like an absent key.
func (c *Context) Set(key string, values ...string) {
	if i := c.find(key); i >= 0 {
		c.entries[i].vals = append(c.entries[i].vals[:0], values...)
		return
	}
	n := len(c.entries)
	if n < cap(c.entries) {
		c.entries = c.entries[:n+1]
	} else {
		c.entries = append(c.entries, ctxEntry{})
	}
	e := &c.entries[n]
	e.key = key
	e.vals = append(e.vals[:0], values...)
}

// Add appends values to key (creating it if needed).
func (c *Context) Add(key string, values ...string) {
	if i := c.find(key); i >= 0 {
		c.entries[i].vals = append(c.entries[i].vals, values...)
		return
	}
	c.Set(key, values...)
}

// Delete removes key.
func (c *Context) Delete(key string) {
	i := c.find(key)
	if i < 0 {
		return
	}
	last := len(c.entries) - 1
	c.entries[i], c.entries[last] = c.entries[last], c.entries[i]
	c.entries[last].key = ""
	c.entries[last].vals = c.entries[last].vals[:0]
	c.entries = c.entries[:last]
}

// Get returns the values of key and whether it is present.
func (c *Context) Get(key string) ([]string, bool) {
	if i := c.find(key); i >= 0 {
		return c.entries[i].vals, true
	}
	return nil, false
}

// Len returns the number of keys.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.entries)
}

// Keys returns the keys in insertion order (as they were first set).
func (c *Context) Keys() []string {
	if c == nil {
		return nil
	}
	out := make([]string, len(c.entries))
	for i := range c.entries {
		out[i] = c.entries[i].key
	}
	return out
}

// Clone returns an independent copy.
func (c *Context) Clone() *Context {
	n := &Context{}
	if c == nil {
		return n
	}
	for _, e := range c.entries {
		n.Set(e.key, e.vals...)
	}
	return n
}

// SetBool sets a Bool-typed key ("true"/"false").
func (c *Context) SetBool(key string, v bool) { c.Set(key, strconv.FormatBool(v)) }

// SetInt sets a Numeric-typed key.
func (c *Context) SetInt(key string, v int64) { c.Set(key, strconv.FormatInt(v, 10)) }

// SetTime sets a Date-typed key in ISO-8601 UTC form.
func (c *Context) SetTime(key string, t time.Time) {
	c.Set(key, t.UTC().Format("2006-01-02T15:04:05Z"))
}

// SetIP sets an IP-typed key.
func (c *Context) SetIP(key string, ip netip.Addr) { c.Set(key, ip.String()) }

// single returns the value of a single-valued key for policy-variable
// substitution: present with exactly one value.
func (c *Context) single(key string) (string, bool) {
	if i := c.find(key); i >= 0 {
		if v := c.entries[i].vals; len(v) == 1 {
			return v[0], true
		}
	}
	return "", false
}

// SetPrincipalKeys sets the global condition keys that describe the
// principal (sessions.md §4): aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalType, aws:userid, aws:username (IAM users only),
// aws:PrincipalIsAWSService and, for service principals,
// aws:PrincipalServiceName; aws:FederatedProvider for web-identity/SAML.
// Keys already present are overwritten.
func (c *Context) SetPrincipalKeys(p *Principal) {
	switch p.Type {
	case Anonymous:
		c.Set("aws:PrincipalAccount", "anonymous")
		c.Set("aws:PrincipalType", "Anonymous")
		c.Set("aws:userid", "anonymous")
		return
	case ServicePrincipal:
		c.Set("aws:PrincipalIsAWSService", "true")
		c.Set("aws:PrincipalServiceName", p.Service)
		return
	case WebIdentity, SAML:
		if p.Provider != "" {
			c.Set("aws:FederatedProvider", p.Provider)
		}
		return
	}
	c.Set("aws:PrincipalIsAWSService", "false")
	if pa := p.principalARN(); pa != "" {
		c.Set("aws:PrincipalArn", pa)
	}
	if p.Account != "" {
		c.Set("aws:PrincipalAccount", p.Account)
	}
	switch p.Type {
	case Root:
		c.Set("aws:PrincipalType", "Account")
		c.Set("aws:userid", p.Account)
	case User:
		c.Set("aws:PrincipalType", "User")
		if p.UniqueID != "" {
			c.Set("aws:userid", p.UniqueID)
		}
		if n := lastSegment(p.ARN); n != "" {
			c.Set("aws:username", n)
		}
	case AssumedRole:
		c.Set("aws:PrincipalType", "AssumedRole")
		if p.UniqueID != "" {
			c.Set("aws:userid", p.UniqueID+":"+lastSegment(p.ARN))
		}
	case FederatedUser:
		c.Set("aws:PrincipalType", "FederatedUser")
		c.Set("aws:userid", p.Account+":"+lastSegment(p.ARN))
	}
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return ""
}
