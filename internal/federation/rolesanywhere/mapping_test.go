package rolesanywhere

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/store"
	"github.com/hatrack/hatrack/store/memory"
)

var (
	oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidDC  = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
)

// sanExtension builds a Subject Alternative Name extension with DNS names,
// URIs and one directory name (which the standard library cannot write).
func sanExtension(t *testing.T, dns, uris []string, dir *pkix.Name) pkix.Extension {
	t.Helper()
	var names []asn1.RawValue
	for _, d := range dns {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(d)})
	}
	if dir != nil {
		der, err := asn1.Marshal(dir.ToRDNSequence())
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: der})
	}
	for _, u := range uris {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(u)})
	}
	v, err := asn1.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oidSAN, Value: v}
}

// mappingCert: a CA whose subject has C, O, OU, ST, L and CN, and a leaf
// with repeated OUs and DCs, a UID, an attribute no mapping knows
// (serialNumber), and a SAN of two DNS names, two URIs and a directory
// name.
func mappingCert(t *testing.T, withSAN bool) *x509.Certificate {
	t.Helper()
	now := time.Now()
	caKey := genKey(t)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
		Subject: pkix.Name{Country: []string{"US"}, Organization: []string{"Amazon"}, OrganizationalUnit: []string{"IAM"},
			Province: []string{"Washington"}, Locality: []string{"Seattle"}, CommonName: "RolesAnywhere"}}
	ca := mkCert(t, caT, caT, caKey.Public(), caKey)
	lk := genKey(t)
	lT := leafTmpl(7, "", now)
	lT.Subject = pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"Security", "Engineering"}, SerialNumber: "12345",
		ExtraNames: []pkix.AttributeTypeAndValue{{Type: oidUID, Value: "u-1"}, {Type: oidDC, Value: "example"}, {Type: oidDC, Value: "com"}}}
	if withSAN {
		lT.ExtraExtensions = []pkix.Extension{sanExtension(t, []string{"a.example.com", "b.example.com"},
			[]string{"spiffe://example.com/alice", "spiffe://example.com/other"},
			&pkix.Name{CommonName: "Alice", OrganizationalUnit: []string{"Dir"}})}
	}
	return mkCert(t, lT, ca, lk.Public(), caKey)
}

func tagMap(tags []Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m
}

var (
	subjectTags = map[string]string{"x509Subject/CN": "alice", "x509Subject/OU": "Security/Engineering", "x509Subject/UID": "u-1",
		"x509Subject/DC": "example/com"}
	issuerTags = map[string]string{"x509Issuer/C": "US", "x509Issuer/O": "Amazon", "x509Issuer/OU": "IAM", "x509Issuer/ST": "Washington",
		"x509Issuer/L": "Seattle", "x509Issuer/CN": "RolesAnywhere"}
	sanTags = map[string]string{"x509SAN/DNS": "a.example.com", "x509SAN/URI": "spiffe://example.com/alice",
		"x509SAN/Name/CN": "Alice", "x509SAN/Name/OU": "Dir"}
)

func union(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func pick(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestSessionTags(t *testing.T) {
	cert := mappingCert(t, true)
	m := func(field string, specs ...string) AttributeMapping {
		am := AttributeMapping{CertificateField: field}
		for _, s := range specs {
			am.MappingRules = append(am.MappingRules, MappingRule{s})
		}
		return am
	}
	for _, tc := range []struct {
		name     string
		mappings []AttributeMapping
		want     map[string]string
	}{
		{"defaults", DefaultAttributeMappings(), union(subjectTags, issuerTags, sanTags)},
		{"no mappings", []AttributeMapping{}, map[string]string{}},
		{"subject CN only", []AttributeMapping{m(FieldSubject, "CN")}, pick(subjectTags, "x509Subject/CN")},
		{"subject OU joins repeated values", []AttributeMapping{m(FieldSubject, "OU", "UID")}, pick(subjectTags, "x509Subject/OU", "x509Subject/UID")},
		{"subject RDN the certificate lacks", []AttributeMapping{m(FieldSubject, "ST")}, map[string]string{}},
		{"issuer CN and O", []AttributeMapping{m(FieldIssuer, "CN", "O")}, pick(issuerTags, "x509Issuer/CN", "x509Issuer/O")},
		{"issuer all, subject none", []AttributeMapping{m(FieldIssuer, "*")}, issuerTags},
		{"SAN DNS only (first name)", []AttributeMapping{m(FieldSAN, "DNS")}, pick(sanTags, "x509SAN/DNS")},
		{"SAN URI only (first URI)", []AttributeMapping{m(FieldSAN, "URI")}, pick(sanTags, "x509SAN/URI")},
		{"SAN directory name CN", []AttributeMapping{m(FieldSAN, "Name/CN")}, pick(sanTags, "x509SAN/Name/CN")},
		{"SAN directory name all", []AttributeMapping{m(FieldSAN, "Name/*")}, pick(sanTags, "x509SAN/Name/CN", "x509SAN/Name/OU")},
		{"everything from the subject, DNS from the SAN", []AttributeMapping{m(FieldSubject, "*"), m(FieldSAN, "DNS")},
			union(subjectTags, pick(sanTags, "x509SAN/DNS"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tagMap(SessionTags(cert, tc.mappings))
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("tags\n got %v\nwant %v", got, tc.want)
			}
		})
	}
	// Without a SAN extension the SAN rules map nothing.
	if got := tagMap(SessionTags(mappingCert(t, false), DefaultAttributeMappings())); !reflect.DeepEqual(got, union(subjectTags, issuerTags)) {
		t.Fatalf("no SAN: %v", got)
	}
	// Tags come in a stable order: subject, issuer, SAN.
	var keys []string
	for _, tg := range SessionTags(cert, DefaultAttributeMappings()) {
		keys = append(keys, strings.SplitN(tg.Key, "/", 2)[0])
	}
	if !sort.SliceIsSorted(keys, func(i, j int) bool {
		rank := map[string]int{FieldSubject: 0, FieldIssuer: 1, FieldSAN: 2}
		return rank[keys[i]] < rank[keys[j]]
	}) {
		t.Fatalf("order %v", keys)
	}
}

func TestDefaultAttributeMappingsDocumented(t *testing.T) {
	// The service's documented default, in its JSON form.
	const want = `[{"certificateField":"x509Issuer","mappingRules":[{"specifier":"*"}]},` +
		`{"certificateField":"x509SAN","mappingRules":[{"specifier":"DNS"},{"specifier":"URI"},{"specifier":"Name/*"}]},` +
		`{"certificateField":"x509Subject","mappingRules":[{"specifier":"*"}]}]`
	if got := string(mustJSON(DefaultAttributeMappings())); got != want {
		t.Fatalf("defaults %s", got)
	}
}

func specs(ms []AttributeMapping) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for _, r := range m.MappingRules {
			out[m.CertificateField] = append(out[m.CertificateField], r.Specifier)
		}
	}
	return out
}

func TestAttributeMappingOperations(t *testing.T) {
	ctx := context.Background()
	svc := &Service{Store: memory.New()}
	const acct = "111111111111"
	p, err := svc.CreateProfile(ctx, acct, "us-east-1", "arn:aws:iam::111111111111:root", ProfileInput{Name: "p",
		RoleArns: []string{"arn:aws:iam::111111111111:role/r"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p.AttributeMappings, DefaultAttributeMappings()) {
		t.Fatalf("new profile mappings %v", p.AttributeMappings)
	}
	defaults := specs(DefaultAttributeMappings())
	rules := func(ss ...string) []MappingRule {
		var out []MappingRule
		for _, s := range ss {
			out = append(out, MappingRule{s})
		}
		return out
	}
	steps := []struct {
		name string
		do   func() (*Profile, error)
		want map[string][]string
	}{
		{"put replaces the field's rules", func() (*Profile, error) {
			return svc.PutAttributeMapping(ctx, acct, p.ProfileID, FieldSubject, rules("CN", "OU", "CN"))
		}, map[string][]string{FieldIssuer: defaults[FieldIssuer], FieldSAN: defaults[FieldSAN], FieldSubject: {"CN", "OU"}}},
		{"Name and Name/ are shown as Name/*", func() (*Profile, error) {
			return svc.PutAttributeMapping(ctx, acct, p.ProfileID, FieldSAN, rules("Name", "DNS", "Name/"))
		}, map[string][]string{FieldIssuer: defaults[FieldIssuer], FieldSAN: {"Name/*", "DNS"}, FieldSubject: {"CN", "OU"}}},
		{"delete one specifier", func() (*Profile, error) {
			return svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, FieldSubject, []string{"OU"})
		}, map[string][]string{FieldIssuer: defaults[FieldIssuer], FieldSAN: {"Name/*", "DNS"}, FieldSubject: {"CN"}}},
		{"delete a specifier not mapped changes nothing", func() (*Profile, error) {
			return svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, FieldSubject, []string{"O"})
		}, map[string][]string{FieldIssuer: defaults[FieldIssuer], FieldSAN: {"Name/*", "DNS"}, FieldSubject: {"CN"}}},
		{"delete by the Name alias", func() (*Profile, error) {
			return svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, FieldSAN, []string{"Name"})
		}, map[string][]string{FieldIssuer: defaults[FieldIssuer], FieldSAN: {"DNS"}, FieldSubject: {"CN"}}},
		{"delete the field's last specifier removes the field", func() (*Profile, error) {
			return svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, FieldSubject, []string{"CN"})
		}, map[string][]string{FieldIssuer: defaults[FieldIssuer], FieldSAN: {"DNS"}}},
		{"delete without specifiers removes the whole field", func() (*Profile, error) {
			return svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, FieldIssuer, nil)
		}, map[string][]string{FieldSAN: {"DNS"}}},
		{"delete everything: nothing is mapped (not the defaults)", func() (*Profile, error) {
			return svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, FieldSAN, nil)
		}, map[string][]string{}},
		{"put a field back", func() (*Profile, error) {
			return svc.PutAttributeMapping(ctx, acct, p.ProfileID, FieldIssuer, rules("CN"))
		}, map[string][]string{FieldIssuer: {"CN"}}},
	}
	for _, st := range steps {
		got, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if g := specs(got.AttributeMappings); !reflect.DeepEqual(g, st.want) {
			t.Fatalf("%s: answered %v, want %v", st.name, g, st.want)
		}
		again, err := svc.GetProfile(ctx, acct, p.ProfileID)
		if err != nil {
			t.Fatal(err)
		}
		if g := specs(again.AttributeMappings); !reflect.DeepEqual(g, st.want) {
			t.Fatalf("%s: stored %v, want %v", st.name, g, st.want)
		}
		if again.AttributeMappings == nil {
			t.Fatalf("%s: mappings read back as nil", st.name)
		}
		for i := 1; i < len(again.AttributeMappings); i++ {
			if again.AttributeMappings[i-1].CertificateField >= again.AttributeMappings[i].CertificateField {
				t.Fatalf("%s: mappings not ordered by field: %v", st.name, again.AttributeMappings)
			}
		}
	}
	// Other profile changes keep the mappings.
	up, err := svc.UpdateProfile(ctx, acct, p.ProfileID, func(p *Profile) error { p.Name = "renamed"; return nil })
	if err != nil || !reflect.DeepEqual(specs(up.AttributeMappings), map[string][]string{FieldIssuer: {"CN"}}) {
		t.Fatalf("UpdateProfile: %v %v", up, err)
	}
}

func TestAttributeMappingValidation(t *testing.T) {
	ctx := context.Background()
	svc := &Service{Store: memory.New()}
	const acct = "111111111111"
	p, err := svc.CreateProfile(ctx, acct, "us-east-1", "me", ProfileInput{Name: "p", RoleArns: []string{"arn:aws:iam::111111111111:role/r"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, id, field string
		rules           []MappingRule
		typ, msg        string
	}{
		{"unknown field", p.ProfileID, "x509Extension", []MappingRule{{"CN"}}, "ValidationException", "enum value set: [x509Subject, x509Issuer, x509SAN]"},
		{"specifier too long", p.ProfileID, FieldSubject, []MappingRule{{"CN"}, {strings.Repeat("A", 61)}}, "ValidationException", "'mappingRules.2.member.specifier'"},
		{"subject specifier the subject has no such RDN", p.ProfileID, FieldSubject, []MappingRule{{"DNS"}}, "ValidationException", "Invalid specifier 'DNS'"},
		{"empty specifier", p.ProfileID, FieldIssuer, []MappingRule{{""}}, "ValidationException", "Invalid specifier ''"},
		{"SAN does not take *", p.ProfileID, FieldSAN, []MappingRule{{"*"}}, "ValidationException", "Invalid specifier '*'"},
		{"SAN directory name of an unknown RDN", p.ProfileID, FieldSAN, []MappingRule{{"Name/XYZ"}}, "ValidationException", "Invalid specifier"},
		{"malformed profile id", "nope", FieldSubject, []MappingRule{{"CN"}}, "ValidationException", "'profileId'"},
		{"unknown profile", "00000000-0000-4000-8000-000000000000", FieldSubject, []MappingRule{{"CN"}}, "ResourceNotFoundException", "Resource not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.PutAttributeMapping(ctx, acct, tc.id, tc.field, tc.rules)
			apiErr(t, err, tc.typ, tc.msg)
		})
	}
	_, err = svc.DeleteAttributeMapping(ctx, acct, p.ProfileID, "x509Extension", nil)
	apiErr(t, err, "ValidationException", "certificateField")
	_, err = svc.DeleteAttributeMapping(ctx, acct, "00000000-0000-4000-8000-000000000000", FieldSubject, nil)
	apiErr(t, err, "ResourceNotFoundException", "")
	// Nothing was changed by the refusals.
	got, _ := svc.GetProfile(ctx, acct, p.ProfileID)
	if !reflect.DeepEqual(got.AttributeMappings, DefaultAttributeMappings()) {
		t.Fatalf("refusals changed the mappings: %v", got.AttributeMappings)
	}
}

// A profile stored before attribute mappings existed maps as AWS's
// defaults do (which is what CreateSession did before mappings).
func TestStoredProfileWithoutMappings(t *testing.T) {
	ctx := context.Background()
	st := memory.New()
	svc := &Service{Store: st}
	const acct, id = "111111111111", "0b1c2d3e-0000-4000-8000-000000000001"
	old := map[string]any{"profileId": id, "profileArn": arn("us-east-1", acct, "profile", id), "name": "old",
		"roleArns": []string{"arn:aws:iam::111111111111:role/r"}, "durationSeconds": 3600, "enabled": true, "Account": acct}
	data, _ := json.Marshal(old)
	if err := st.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, store.Record{Kind: KindProfile, Account: acct, Name: id, ID: "pr-" + id, Data: data})
	}); err != nil {
		t.Fatal(err)
	}
	p, err := svc.GetProfile(ctx, acct, id)
	if err != nil || !reflect.DeepEqual(p.AttributeMappings, DefaultAttributeMappings()) {
		t.Fatalf("old profile: %v %v", p, err)
	}
	ps, _ := svc.ListProfiles(ctx, acct)
	if len(ps) != 1 || !reflect.DeepEqual(ps[0].AttributeMappings, DefaultAttributeMappings()) {
		t.Fatalf("ListProfiles: %v", ps)
	}
	p, err = svc.DeleteAttributeMapping(ctx, acct, id, FieldSAN, nil)
	if err != nil || !reflect.DeepEqual(specs(p.AttributeMappings), map[string][]string{FieldIssuer: {"*"}, FieldSubject: {"*"}}) {
		t.Fatalf("DeleteAttributeMapping on an old profile: %v %v", p, err)
	}
}

func TestSourceIdentity(t *testing.T) {
	for _, tc := range []struct {
		cn     string
		serial int64
		want   string
	}{
		{"Alice", 1, "CN=Alice"},
		{strings.Repeat("a", 61), 1, "CN=" + strings.Repeat("a", 61)},
		{strings.Repeat("b", 62), 1, strings.Repeat("b", 62)},
		{strings.Repeat("c", 64), 1, strings.Repeat("c", 64)},
		{"", 291, "ID=0123"},
		{"", 17767, "ID=4567"},
	} {
		c := &x509.Certificate{Subject: pkix.Name{CommonName: tc.cn}, SerialNumber: big.NewInt(tc.serial)}
		if got := SourceIdentity(c); got != tc.want {
			t.Errorf("CN %q serial %d: %q, want %q", tc.cn, tc.serial, got, tc.want)
		}
	}
}
