package rolesanywhere

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hatrack/hatrack/store/memory"
)

func TestCheckTagList(t *testing.T) {
	many := func(n int) []Tag {
		out := make([]Tag, n)
		for i := range out {
			out[i] = Tag{Key: fmt.Sprintf("k%d", i), Value: "v"}
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		tags   []Tag
		create string // checkCreateTags: "" = accepted, else a message part
		list   string // checkTagList (TagResource's request)
	}{
		{"none", nil, "", ""},
		{"plain", []Tag{{"team", "pki"}, {"env", ""}}, "", ""},
		{"every allowed character", []Tag{{"a Z9_.:/=+@-", "a Z9_.:/=+@-"}}, "", ""},
		{"empty key", []Tag{{"", "v"}}, "tags.member.key", "tags.member.key"},
		{"key of 128", []Tag{{strings.Repeat("k", 128), "v"}}, "", ""},
		{"key of 129", []Tag{{strings.Repeat("k", 129), "v"}}, "tags.member.key", "tags.member.key"},
		{"value of 256", []Tag{{"k", strings.Repeat("v", 256)}}, "", ""},
		{"value of 257", []Tag{{"k", strings.Repeat("v", 257)}}, "tags.member.value", "tags.member.value"},
		{"key with a comma", []Tag{{"a,b", "v"}}, "tags.member.key", "tags.member.key"},
		{"value with a star", []Tag{{"k", "v*"}}, "tags.member.value", "tags.member.value"},
		{"reserved prefix", []Tag{{"aws:owner", "v"}}, "reserved", "reserved"},
		{"reserved prefix, any case", []Tag{{"AWS:owner", "v"}}, "reserved", "reserved"},
		{"duplicate key", []Tag{{"k", "1"}, {"k", "2"}}, "Duplicate", "Duplicate"},
		{"keys differing in case", []Tag{{"k", "1"}, {"K", "2"}}, "", ""},
		{"50 tags", many(50), "", ""},
		{"51 tags: too many for a resource", many(51), "at most 50", ""},
		{"200 tags", many(200), "at most 50", ""},
		{"201 tags: longer than the model's list", many(201), "length less than or equal to 200", "length less than or equal to 200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, c := range []struct {
				what string
				err  error
				want string
			}{{"create", checkCreateTags(tc.tags), tc.create}, {"list", checkTagList(tc.tags), tc.list}} {
				if c.want == "" {
					if c.err != nil {
						t.Fatalf("%s: %v", c.what, c.err)
					}
					continue
				}
				apiErr(t, c.err, "ValidationException", c.want)
			}
		})
	}
}

func TestResourceTags(t *testing.T) {
	ctx := context.Background()
	p := newCRLPKI(t)
	svc := &Service{Store: memory.New()}
	const acct, region = "111111111111", "us-east-1"
	anchor, err := svc.CreateTrustAnchor(ctx, acct, region, "root", Source{SourceType: SourceBundle,
		SourceData: SourceData{X509CertificateData: pemCert(p.root)}}, true, []Tag{{"team", "pki"}})
	if err != nil {
		t.Fatal(err)
	}
	prof, err := svc.CreateProfile(ctx, acct, region, "me", ProfileInput{Name: "p", RoleArns: []string{"arn:aws:iam::111111111111:role/r"},
		Tags: []Tag{{"app", "web"}, {"env", "prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	crl, err := svc.ImportCRL(ctx, acct, region, CRLInput{Name: "c", CrlData: p.crl(t, p.root, p.rootKey, 101), TrustAnchorARN: anchor.ARN, Enabled: true,
		Tags: []Tag{{"k", "v"}}})
	if err != nil {
		t.Fatal(err)
	}
	list := func(a string) []Tag {
		t.Helper()
		tags, err := svc.ResourceTags(ctx, acct, a)
		if err != nil {
			t.Fatalf("ResourceTags %s: %v", a, err)
		}
		return tags
	}
	// Tags given at creation are read back.
	for a, want := range map[string][]Tag{anchor.ARN: {{"team", "pki"}}, prof.ARN: {{"app", "web"}, {"env", "prod"}}, crl.ARN: {{"k", "v"}}} {
		if got := list(a); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: %v, want %v", a, got, want)
		}
	}

	// Tag: new keys are added, existing keys take the new value.
	if err := svc.TagResource(ctx, acct, prof.ARN, []Tag{{"env", "dev"}, {"owner", "alice"}}); err != nil {
		t.Fatal(err)
	}
	if got := list(prof.ARN); !reflect.DeepEqual(got, []Tag{{"app", "web"}, {"env", "dev"}, {"owner", "alice"}}) {
		t.Fatalf("after TagResource: %v", got)
	}
	// Untag: unknown keys are ignored.
	if err := svc.UntagResource(ctx, acct, prof.ARN, []string{"app", "missing"}); err != nil {
		t.Fatal(err)
	}
	if got := list(prof.ARN); !reflect.DeepEqual(got, []Tag{{"env", "dev"}, {"owner", "alice"}}) {
		t.Fatalf("after UntagResource: %v", got)
	}
	if err := svc.UntagResource(ctx, acct, crl.ARN, []string{"k"}); err != nil {
		t.Fatal(err)
	}
	if got := list(crl.ARN); len(got) != 0 || got == nil {
		t.Fatalf("CRL tags after untagging all: %#v", got)
	}
	// Tagging leaves the resources otherwise unchanged (the CRL still revokes).
	if c, err := svc.GetCRL(ctx, acct, crl.CrlID); err != nil || c.Name != "c" || len(c.Tags) != 0 {
		t.Fatalf("GetCrl after untag: %v %v", c, err)
	}
	if is, _ := svc.AnchorRevocations(ctx, anchor); !is(p.revoked) {
		t.Fatal("the CRL lost its revocations when untagged")
	}
	if pr, _ := svc.GetProfile(ctx, acct, prof.ProfileID); pr.Name != "p" || !reflect.DeepEqual(pr.AttributeMappings, DefaultAttributeMappings()) {
		t.Fatalf("profile after tagging: %v", pr)
	}

	// The resource's limit is 50 tags, counting those it has.
	var tags []Tag
	for i := 0; i < 48; i++ {
		tags = append(tags, Tag{Key: fmt.Sprintf("k%d", i), Value: "v"})
	}
	if err := svc.TagResource(ctx, acct, prof.ARN, tags); err != nil {
		t.Fatalf("50 tags: %v", err)
	}
	apiErr(t, svc.TagResource(ctx, acct, prof.ARN, []Tag{{"one-more", "v"}}), "TooManyTagsException", "Too many tags")
	if err := svc.TagResource(ctx, acct, prof.ARN, []Tag{{"k0", "changed"}}); err != nil {
		t.Fatalf("overwriting at the limit: %v", err)
	}
	if got := list(prof.ARN); len(got) != 50 {
		t.Fatalf("%d tags", len(got))
	}

	// Refusals.
	for _, tc := range []struct {
		name, arn string
		typ, msg  string
	}{
		{"another account's resource", strings.Replace(prof.ARN, acct, "222222222222", 1), "ResourceNotFoundException", "Resource not found"},
		{"unknown profile", arn(region, acct, "profile", "00000000-0000-4000-8000-000000000000"), "ResourceNotFoundException", ""},
		{"unknown CRL id form", arn(region, acct, "crl", "nope"), "ResourceNotFoundException", ""},
		{"a subject is not taggable", arn(region, acct, "subject", "00000000-0000-4000-8000-000000000000"), "ResourceNotFoundException", ""},
		{"another region's ARN", strings.Replace(anchor.ARN, region, "eu-west-1", 1), "ResourceNotFoundException", ""},
		{"not an ARN", "profile/x", "ValidationException", "Invalid resource ARN"},
		{"another service's ARN", "arn:aws:iam::111111111111:role/r", "ValidationException", "Invalid resource ARN"},
		{"empty", "", "ValidationException", "resourceArn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.ResourceTags(ctx, acct, tc.arn)
			apiErr(t, err, tc.typ, tc.msg)
			apiErr(t, svc.TagResource(ctx, acct, tc.arn, []Tag{{"a", "b"}}), tc.typ, tc.msg)
			apiErr(t, svc.UntagResource(ctx, acct, tc.arn, []string{"a"}), tc.typ, tc.msg)
		})
	}
	apiErr(t, svc.TagResource(ctx, acct, anchor.ARN, []Tag{{"aws:x", "v"}}), "ValidationException", "reserved")
	apiErr(t, svc.UntagResource(ctx, acct, anchor.ARN, []string{""}), "ValidationException", "tagKeys.member")
	if got := list(anchor.ARN); !reflect.DeepEqual(got, []Tag{{"team", "pki"}}) {
		t.Fatalf("refusals changed the anchor's tags: %v", got)
	}

	// Create requests check their tags too.
	_, err = svc.CreateProfile(ctx, acct, region, "me", ProfileInput{Name: "bad", RoleArns: []string{"arn:aws:iam::111111111111:role/r"},
		Tags: []Tag{{"aws:x", "v"}}})
	apiErr(t, err, "ValidationException", "reserved")
	_, err = svc.CreateTrustAnchor(ctx, acct, region, "bad", Source{SourceType: SourceBundle,
		SourceData: SourceData{X509CertificateData: pemCert(p.root)}}, true, []Tag{{"k", "a*b"}})
	apiErr(t, err, "ValidationException", "tags.member.value")
	if ps, _ := svc.ListProfiles(ctx, acct); len(ps) != 1 {
		t.Fatalf("a refused CreateProfile stored a profile: %d", len(ps))
	}
}
