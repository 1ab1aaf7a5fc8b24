package rolesanywhere

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/hatrack/hatrack/store"
)

// Certificate fields a profile's attribute mappings name.
const (
	FieldSubject = "x509Subject"
	FieldIssuer  = "x509Issuer"
	FieldSAN     = "x509SAN"
)

// MappingRule is one specifier of a certificate field (CN, OU, … for the
// Subject and Issuer; DNS, URI, Name/* or Name/<RDN> for the SAN).
type MappingRule struct {
	Specifier string `json:"specifier"`
}

// AttributeMapping says which attributes of a certificate field become
// session tags.
type AttributeMapping struct {
	CertificateField string        `json:"certificateField"`
	MappingRules     []MappingRule `json:"mappingRules"`
}

// maxSpecifier is MappingRuleSpecifierString's maximum length.
const maxSpecifier = 60

// DefaultAttributeMappings are the mappings of a new profile, as the
// service documents them (listed by certificate field): every recognized
// RDN of the Subject and of the Issuer, and the first DNS name, URI and
// directory name (its RDNs) of the Subject Alternative Name.
func DefaultAttributeMappings() []AttributeMapping {
	return []AttributeMapping{
		{CertificateField: FieldIssuer, MappingRules: []MappingRule{{"*"}}},
		{CertificateField: FieldSAN, MappingRules: []MappingRule{{"DNS"}, {"URI"}, {"Name/*"}}},
		{CertificateField: FieldSubject, MappingRules: []MappingRule{{"*"}}},
	}
}

// rdn is a relative distinguished name attribute IAM Roles Anywhere
// recognizes: the RFC 4514 attribute type names.
type rdn struct {
	name string
	oid  asn1.ObjectIdentifier
}

var rdns = []rdn{
	{"CN", asn1.ObjectIdentifier{2, 5, 4, 3}},
	{"L", asn1.ObjectIdentifier{2, 5, 4, 7}},
	{"ST", asn1.ObjectIdentifier{2, 5, 4, 8}},
	{"O", asn1.ObjectIdentifier{2, 5, 4, 10}},
	{"OU", asn1.ObjectIdentifier{2, 5, 4, 11}},
	{"C", asn1.ObjectIdentifier{2, 5, 4, 6}},
	{"STREET", asn1.ObjectIdentifier{2, 5, 4, 9}},
	{"DC", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}},
	{"UID", asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}},
}

func rdnByName(name string) (rdn, bool) {
	for _, r := range rdns {
		if r.name == name {
			return r, true
		}
	}
	return rdn{}, false
}

func rdnByOID(oid asn1.ObjectIdentifier) (rdn, bool) {
	for _, r := range rdns {
		if r.oid.Equal(oid) {
			return r, true
		}
	}
	return rdn{}, false
}

var reProfileID = regexp.MustCompile(`[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}`)

// CheckProfileID validates a profileId path parameter (the model's Uuid).
func CheckProfileID(id string) error {
	if len(id) != 36 {
		return validation("1 validation error detected: Value '%s' at 'profileId' failed to satisfy constraint: Member must have length less than or equal to 36 and greater than or equal to 36", id)
	}
	if !reProfileID.MatchString(id) {
		return validation("1 validation error detected: Value '%s' at 'profileId' failed to satisfy constraint: Member must satisfy regular expression pattern: .*[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}.*", id)
	}
	return nil
}

// CheckCertificateField validates a certificateField member.
func CheckCertificateField(f string) error {
	switch f {
	case FieldSubject, FieldIssuer, FieldSAN:
		return nil
	}
	return validation("1 validation error detected: Value '%s' at 'certificateField' failed to satisfy constraint: Member must satisfy enum value set: [x509Subject, x509Issuer, x509SAN]", f)
}

// normalizeSpecifier returns the canonical form of a specifier of field
// ("Name" and "Name/" are shown as "Name/*"), or ok=false when the field
// has no such attribute.
func normalizeSpecifier(field, spec string) (string, bool) {
	switch field {
	case FieldSubject, FieldIssuer:
		if spec == "*" {
			return spec, true
		}
		_, ok := rdnByName(spec)
		return spec, ok
	case FieldSAN:
		switch spec {
		case "DNS", "URI":
			return spec, true
		case "Name", "Name/", "Name/*":
			return "Name/*", true
		}
		if r, ok := strings.CutPrefix(spec, "Name/"); ok {
			_, ok := rdnByName(r)
			return spec, ok
		}
	}
	return spec, false
}

// checkRules validates PutAttributeMapping's rules for field and returns
// them normalized, without duplicates, in the order given.
func checkRules(field string, rules []MappingRule) ([]MappingRule, error) {
	out := make([]MappingRule, 0, len(rules))
	seen := map[string]bool{}
	for i, r := range rules {
		if len(r.Specifier) > maxSpecifier {
			return nil, validation("1 validation error detected: Value '%s' at 'mappingRules.%d.member.specifier' failed to satisfy constraint: Member must have length less than or equal to %d", r.Specifier, i+1, maxSpecifier)
		}
		spec, ok := normalizeSpecifier(field, r.Specifier)
		if !ok {
			return nil, validation("Invalid specifier '%s' for certificate field %s", r.Specifier, field)
		}
		if !seen[spec] {
			seen[spec] = true
			out = append(out, MappingRule{Specifier: spec})
		}
	}
	return out, nil
}

// putMapping replaces field's rules in ms (an empty rule list removes the
// field's mapping) and returns the mappings ordered by field.
func putMapping(ms []AttributeMapping, field string, rules []MappingRule) []AttributeMapping {
	out := make([]AttributeMapping, 0, len(ms)+1)
	for _, m := range ms {
		if m.CertificateField != field {
			out = append(out, m)
		}
	}
	if len(rules) > 0 {
		out = append(out, AttributeMapping{CertificateField: field, MappingRules: rules})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CertificateField < out[j].CertificateField })
	return out
}

// deleteMapping removes specifiers from field's rules (all of them when
// specifiers is empty); a field left without rules is removed.
func deleteMapping(ms []AttributeMapping, field string, specifiers []string) []AttributeMapping {
	drop := map[string]bool{}
	for _, s := range specifiers {
		n, _ := normalizeSpecifier(field, s)
		drop[n] = true
	}
	out := make([]AttributeMapping, 0, len(ms))
	for _, m := range ms {
		if m.CertificateField != field {
			out = append(out, m)
			continue
		}
		if len(specifiers) == 0 {
			continue
		}
		var keep []MappingRule
		for _, r := range m.MappingRules {
			if !drop[r.Specifier] {
				keep = append(keep, r)
			}
		}
		if len(keep) > 0 {
			out = append(out, AttributeMapping{CertificateField: field, MappingRules: keep})
		}
	}
	return out
}

// nameAttrs groups a distinguished name's recognized attributes by RDN, in
// certificate order, each RDN's values joined with "/" (principal tags
// hold one value; the service joins repeated attributes with slashes).
func nameAttrs(n pkix.Name) (order []string, values map[string]string) {
	values = map[string]string{}
	for _, atv := range n.Names {
		r, ok := rdnByOID(atv.Type)
		if !ok {
			continue
		}
		s, ok := atv.Value.(string)
		if !ok || s == "" {
			continue
		}
		if v, seen := values[r.name]; seen {
			values[r.name] = v + "/" + s
			continue
		}
		order = append(order, r.name)
		values[r.name] = s
	}
	return order, values
}

// nameTags maps a distinguished name to tags prefix/<RDN> under rules ("*"
// for every recognized RDN, else the named ones).
func nameTags(prefix string, n pkix.Name, specs []string) []Tag {
	order, values := nameAttrs(n)
	all := false
	want := map[string]bool{}
	for _, s := range specs {
		if s == "*" {
			all = true
		}
		want[s] = true
	}
	var out []Tag
	for _, k := range order {
		if all || want[k] {
			out = append(out, Tag{Key: prefix + "/" + k, Value: values[k]})
		}
	}
	return out
}

var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// firstDirectoryName returns the first directoryName of the certificate's
// Subject Alternative Name extension (the standard library does not parse
// them).
func firstDirectoryName(c *x509.Certificate) (pkix.Name, bool) {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidSAN) {
			continue
		}
		var seq asn1.RawValue
		if rest, err := asn1.Unmarshal(ext.Value, &seq); err != nil || len(rest) != 0 || !seq.IsCompound {
			return pkix.Name{}, false
		}
		rest := seq.Bytes
		for len(rest) > 0 {
			var gn asn1.RawValue
			var err error
			if rest, err = asn1.Unmarshal(rest, &gn); err != nil {
				return pkix.Name{}, false
			}
			// directoryName [4] Name: explicitly tagged (Name is a CHOICE).
			if gn.Class != asn1.ClassContextSpecific || gn.Tag != 4 {
				continue
			}
			var seqName pkix.RDNSequence
			if r, err := asn1.Unmarshal(gn.Bytes, &seqName); err != nil || len(r) != 0 {
				return pkix.Name{}, false
			}
			var n pkix.Name
			n.FillFromRDNSequence(&seqName)
			return n, true
		}
	}
	return pkix.Name{}, false
}

// SessionTags derives the session's principal tags from a certificate under
// a profile's attribute mappings: x509Subject/<RDN>, x509Issuer/<RDN>,
// x509SAN/DNS, x509SAN/URI and x509SAN/Name/<RDN>. A field without a
// mapping yields no tags. Values are as in the certificate; the caller
// drops those the session-tag grammar refuses.
func SessionTags(c *x509.Certificate, mappings []AttributeMapping) []Tag {
	specs := map[string][]string{}
	for _, m := range mappings {
		for _, r := range m.MappingRules {
			specs[m.CertificateField] = append(specs[m.CertificateField], r.Specifier)
		}
	}
	var out []Tag
	out = append(out, nameTags(FieldSubject, c.Subject, specs[FieldSubject])...)
	out = append(out, nameTags(FieldIssuer, c.Issuer, specs[FieldIssuer])...)
	var nameSpecs []string
	for _, s := range specs[FieldSAN] {
		switch s {
		case "DNS":
			if len(c.DNSNames) > 0 {
				out = append(out, Tag{Key: FieldSAN + "/DNS", Value: c.DNSNames[0]})
			}
		case "URI":
			if len(c.URIs) > 0 {
				out = append(out, Tag{Key: FieldSAN + "/URI", Value: c.URIs[0].String()})
			}
		default:
			if r, ok := strings.CutPrefix(s, "Name/"); ok {
				nameSpecs = append(nameSpecs, r)
			}
		}
	}
	if len(nameSpecs) > 0 {
		if n, ok := firstDirectoryName(c); ok {
			out = append(out, nameTags(FieldSAN+"/Name", n, nameSpecs)...)
		}
	}
	return out
}

// PutAttributeMapping sets the rules of one certificate field of a profile
// (replacing the field's earlier rules) and returns the profile.
func (s *Service) PutAttributeMapping(ctx context.Context, account, id, field string, rules []MappingRule) (*Profile, error) {
	if err := CheckProfileID(id); err != nil {
		return nil, err
	}
	if err := CheckCertificateField(field); err != nil {
		return nil, err
	}
	norm, err := checkRules(field, rules)
	if err != nil {
		return nil, err
	}
	return s.UpdateProfile(ctx, account, id, func(p *Profile) error {
		p.AttributeMappings = putMapping(p.AttributeMappings, field, norm)
		return nil
	})
}

// DeleteAttributeMapping removes specifiers (all, when none are given) from
// a certificate field's rules of a profile and returns the profile.
func (s *Service) DeleteAttributeMapping(ctx context.Context, account, id, field string, specifiers []string) (*Profile, error) {
	if err := CheckProfileID(id); err != nil {
		return nil, err
	}
	if err := CheckCertificateField(field); err != nil {
		return nil, err
	}
	return s.UpdateProfile(ctx, account, id, func(p *Profile) error {
		p.AttributeMappings = deleteMapping(p.AttributeMappings, field, specifiers)
		return nil
	})
}

// loadProfile reads a stored profile; one stored before attribute mappings
// existed has the defaults.
func loadProfile(data []byte) (*storedProfile, error) {
	var p storedProfile
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, err
	}
	if p.AttributeMappings == nil {
		p.AttributeMappings = DefaultAttributeMappings()
	}
	return &p, nil
}

// profileRecord is a profile's store record; mappings are always stored
// as a list (an empty list is "map nothing", not "the defaults").
func profileRecord(p *storedProfile) store.Record {
	if p.AttributeMappings == nil {
		p.AttributeMappings = []AttributeMapping{}
	}
	return store.Record{Kind: KindProfile, Account: p.Account, Name: p.ProfileID, ID: "pr-" + p.ProfileID, Data: mustJSON(p)}
}

// SourceIdentity is the source identity of a session the certificate
// authenticates, by the service's rules: "CN=" and the subject's common
// name when it has at most 61 characters, the common name alone when it
// has 62 to 64, and "ID=" and the serial number in hexadecimal (padded
// with a zero to an even length) when the subject has no common name.
func SourceIdentity(c *x509.Certificate) string {
	cn := c.Subject.CommonName
	switch {
	case cn == "":
		h := c.SerialNumber.Text(16)
		if len(h)%2 == 1 {
			h = "0" + h
		}
		return "ID=" + h
	case len(cn) <= 61:
		return "CN=" + cn
	default:
		return cn
	}
}
