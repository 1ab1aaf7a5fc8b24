package orgs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hatrack/hatrack/store"
)

func TestCheckTags(t *testing.T) {
	many := func(n int) []Tag {
		out := make([]Tag, n)
		for i := range out {
			out[i] = Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"}
		}
		return out
	}
	cases := []struct {
		name         string
		tags         []Tag
		code, reason string
	}{
		{"none", nil, "", ""},
		{"plain", []Tag{{Key: "team", Value: "blue"}, {Key: "cost-center", Value: ""}}, "", ""},
		{"unicode and punctuation", []Tag{{Key: "équipe 1_.:/=+-@", Value: "données 2"}}, "", ""},
		{"max lengths", []Tag{{Key: strings.Repeat("k", 128), Value: strings.Repeat("v", 256)}}, "", ""},
		{"fifty", many(50), "", ""},
		{"empty key", []Tag{{Key: "", Value: "v"}}, "InvalidInputException", "MIN_LENGTH_EXCEEDED"},
		{"long key", []Tag{{Key: strings.Repeat("k", 129), Value: "v"}}, "InvalidInputException", "MAX_LENGTH_EXCEEDED"},
		{"long value", []Tag{{Key: "k", Value: strings.Repeat("v", 257)}}, "InvalidInputException", "MAX_LENGTH_EXCEEDED"},
		{"bad key", []Tag{{Key: "a*b", Value: "v"}}, "InvalidInputException", "INVALID_PATTERN"},
		{"bad value", []Tag{{Key: "k", Value: "a#b"}}, "InvalidInputException", "INVALID_PATTERN"},
		{"system key", []Tag{{Key: "AWS:owner", Value: "v"}}, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER"},
		{"duplicate key", []Tag{{Key: "k", Value: "1"}, {Key: "k", Value: "2"}}, "InvalidInputException", "DUPLICATE_TAG_KEY"},
		{"keys differ by case", []Tag{{Key: "k", Value: "1"}, {Key: "K", Value: "2"}}, "", ""},
		{"fifty-one", many(51), "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckTags(c.tags)
			if c.code == "" {
				ok(t, err)
				return
			}
			wantErr(t, err, c.code, c.reason)
		})
	}
}

func TestTagResources(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	dev := must(s.CreateAccount(ctx, mgmt, CreateAccountInput{AccountName: "dev", Email: "dev@example.com",
		Tags: []Tag{{Key: "env", Value: "dev"}}})).AccountID
	ou := must(s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Workloads", Tag{Key: "tier", Value: "1"}))
	p := must(s.CreatePolicy(ctx, mgmt, CreatePolicyInput{Name: "deny", Type: TypeSCP, Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","Resource":"*"}]}`,
		Tags: []Tag{{Key: "owner", Value: "sec"}}}))
	for id, want := range map[string]string{dev: "[{env dev}]", ou.ID: "[{tier 1}]", p.ID: "[{owner sec}]", o.RootID: "[]", mgmt: "[]"} {
		if got := fmt.Sprint(must(s.ListTagsForResource(ctx, mgmt, id))); got != want {
			t.Errorf("%s: tags %s, want %s", id, got, want)
		}
	}

	// Tag, overwrite, untag (absent keys ignored); sorted by key.
	ok(t, s.TagResource(ctx, mgmt, o.RootID, []Tag{{Key: "b", Value: "1"}, {Key: "a", Value: "2"}}))
	ok(t, s.TagResource(ctx, mgmt, o.RootID, []Tag{{Key: "b", Value: "3"}}))
	if got := fmt.Sprint(must(s.ListTagsForResource(ctx, mgmt, o.RootID))); got != "[{a 2} {b 3}]" {
		t.Fatalf("root tags %s", got)
	}
	ok(t, s.UntagResource(ctx, mgmt, o.RootID, []string{"a", "zz"}))
	if got := fmt.Sprint(must(s.ListTagsForResource(ctx, mgmt, o.RootID))); got != "[{b 3}]" {
		t.Fatalf("root tags after untag %s", got)
	}
	if got := fmt.Sprint(s.ResourceTags(ctx, mgmt, ResourceRoot, o.RootID)); got != "[{b 3}]" {
		t.Fatalf("ResourceTags %s", got)
	}
	if got := s.ResourceTags(ctx, dev, ResourceRoot, o.RootID); got != nil {
		t.Fatalf("ResourceTags for a member %v", got)
	}

	// The quota counts what the resource already has; all or nothing.
	ok(t, s.TagResource(ctx, mgmt, ou.ID, func() []Tag {
		var out []Tag
		for i := 0; i < 49; i++ {
			out = append(out, Tag{Key: fmt.Sprintf("k%02d", i), Value: "v"})
		}
		return out
	}()))
	err := s.TagResource(ctx, mgmt, ou.ID, []Tag{{Key: "tier", Value: "2"}, {Key: "one-more", Value: "v"}})
	wantErr(t, err, "ConstraintViolationException", "MAX_TAG_LIMIT_EXCEEDED")
	if tags := must(s.ListTagsForResource(ctx, mgmt, ou.ID)); len(tags) != 50 {
		t.Fatalf("OU has %d tags", len(tags))
	}
	ok(t, s.TagResource(ctx, mgmt, ou.ID, []Tag{{Key: "tier", Value: "2"}})) // replacing is no new tag

	refused := []struct {
		name         string
		err          error
		code, reason string
	}{
		{"no id", s.TagResource(ctx, mgmt, "", []Tag{{Key: "k", Value: "v"}}), "InvalidInputException", "INPUT_REQUIRED"},
		{"bad id", s.TagResource(ctx, mgmt, "x-1", []Tag{{Key: "k", Value: "v"}}), "InvalidInputException", "INVALID_PATTERN"},
		{"no tags", s.TagResource(ctx, mgmt, dev, nil), "InvalidInputException", "INPUT_REQUIRED"},
		{"no keys", s.UntagResource(ctx, mgmt, dev, nil), "InvalidInputException", "INPUT_REQUIRED"},
		{"system key untag", s.UntagResource(ctx, mgmt, dev, []string{"aws:cloudformation:stack"}), "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER"},
		{"unknown account", s.TagResource(ctx, mgmt, "123456789012", []Tag{{Key: "k", Value: "v"}}), "TargetNotFoundException", ""},
		{"unknown OU", s.TagResource(ctx, mgmt, "ou-abcd-abcdefgh", []Tag{{Key: "k", Value: "v"}}), "TargetNotFoundException", ""},
		{"unknown policy", s.TagResource(ctx, mgmt, "p-abcdefgh", []Tag{{Key: "k", Value: "v"}}), "TargetNotFoundException", ""},
		{"resource policy", s.TagResource(ctx, mgmt, "rp-abcd", []Tag{{Key: "k", Value: "v"}}), "TargetNotFoundException", ""},
		{"AWS-managed policy", s.TagResource(ctx, mgmt, FullAWSAccessID, []Tag{{Key: "k", Value: "v"}}), "InvalidInputException", "IMMUTABLE_POLICY"},
		{"member caller", s.TagResource(ctx, dev, dev, []Tag{{Key: "k", Value: "v"}}), "AccessDeniedException", ""},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.err, c.code, c.reason) })
	}
	_, err = s.ListTagsForResource(ctx, mgmt, "999999999999")
	wantErr(t, err, "TargetNotFoundException", "")

	// Invalid tags fail the creation as a whole.
	_, err = s.CreateOrganizationalUnit(ctx, mgmt, o.RootID, "Bad", Tag{Key: "aws:x", Value: "v"})
	wantErr(t, err, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER")
	if n := len(must(s.ListOrganizationalUnitsForParent(ctx, mgmt, o.RootID))); n != 1 {
		t.Fatalf("OUs %d", n)
	}

	// Tags go with their resource; a removed account that rejoins starts
	// without its old tags.
	ok(t, s.DeletePolicy(ctx, mgmt, p.ID))
	ok(t, s.RemoveAccountFromOrganization(ctx, mgmt, dev))
	h := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: dev, Type: PartyAccount}}))
	must(s.AcceptHandshake(ctx, dev, h.ID))
	if tags := must(s.ListTagsForResource(ctx, mgmt, dev)); len(tags) != 0 {
		t.Fatalf("rejoined account's tags %v", tags)
	}
	for _, k := range []string{p.ID} {
		if tags, _ := getTagsView(t, s, k); len(tags) != 0 {
			t.Fatalf("deleted policy's tags %v", tags)
		}
	}
}

func getTagsView(t *testing.T, s *Service, id string) ([]Tag, error) {
	t.Helper()
	var out []Tag
	err := s.store.View(context.Background(), func(r store.Reader) error {
		var err error
		out, err = getTags(context.Background(), r, id)
		return err
	})
	return out, err
}
