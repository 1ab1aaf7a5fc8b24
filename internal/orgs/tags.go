package orgs

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hatrack/hatrack/store"
)

// KindTags holds the tags of one taggable resource (a root, OU, member
// account or policy); Name = ID = the resource's id.
const KindTags = "orgtags"

// maxTags is the number of tags a resource may carry (system tags,
// aws:…, are refused rather than counted).
const maxTags = 50

// Tag is a key and value attached to a resource.
type Tag struct {
	Key   string
	Value string
}

// tagSet is a KindTags record's data.
type tagSet struct {
	Tags []Tag
}

// Tag keys and values (Organizations API reference, Tag).
var (
	reTagText      = regexp.MustCompile(`^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`)
	reTaggableID   = regexp.MustCompile(`^((r-[0-9a-z]{4,32})|(\d{12})|(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})|(p-[0-9a-zA-Z_]{8,128})|(rp-[0-9a-zA-Z_]{4,128})|(rt-[0-9a-zA-Z_]{8,32}))$`)
	maxResourceIDs = 130
)

// checkTagKey validates one tag key (TagResource's Tags, UntagResource's
// TagKeys).
func checkTagKey(k string) error {
	n := utf8.RuneCountInString(k)
	if n < 1 {
		return errMinLength()
	}
	if n > 128 {
		return errMaxLength()
	}
	if !reTagText.MatchString(k) {
		return errInvalidPattern()
	}
	if len(k) >= 4 && strings.EqualFold(k[:4], "aws:") {
		return errSystemTag()
	}
	return nil
}

// CheckTags validates the tags of a request (TagResource, and the Tags of
// CreateAccount, CreateOrganizationalUnit, CreatePolicy and
// InviteAccountToOrganization): each key and value, no key twice, at most
// the quota of a resource. The whole request fails on any invalid tag.
func CheckTags(tags []Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		if err := checkTagKey(t.Key); err != nil {
			return err
		}
		if utf8.RuneCountInString(t.Value) > 256 {
			return errMaxLength()
		}
		if !reTagText.MatchString(t.Value) {
			return errInvalidPattern()
		}
		if seen[t.Key] {
			return errDuplicateTagKey()
		}
		seen[t.Key] = true
	}
	if len(tags) > maxTags {
		return errTagLimit()
	}
	return nil
}

// mergeTags returns have with add applied (a key already present takes
// the new value), sorted by key; the quota error when the result carries
// more than maxTags.
func mergeTags(have, add []Tag) ([]Tag, error) {
	m := make(map[string]string, len(have)+len(add))
	for _, t := range have {
		m[t.Key] = t.Value
	}
	for _, t := range add {
		m[t.Key] = t.Value
	}
	if len(m) > maxTags {
		return nil, errTagLimit()
	}
	return sortedTags(m), nil
}

// removeTags returns have without the keys (absent keys are ignored).
func removeTags(have []Tag, keys []string) []Tag {
	drop := make(map[string]bool, len(keys))
	for _, k := range keys {
		drop[k] = true
	}
	out := make([]Tag, 0, len(have))
	for _, t := range have {
		if !drop[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

func sortedTags(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func getTags(ctx context.Context, r store.Reader, id string) ([]Tag, error) {
	ts, err := get[tagSet](ctx, r, KindTags, id)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ts.Tags, nil
}

// putTags stores a resource's tags (none: the record goes).
func putTags(ctx context.Context, tx store.Tx, id string, tags []Tag) error {
	if len(tags) == 0 {
		return deleteTags(ctx, tx, id)
	}
	return tx.Put(ctx, store.Record{Kind: KindTags, Name: id, ID: id, Data: encode(&tagSet{Tags: tags})})
}

// deleteTags drops a resource's tags, if any.
func deleteTags(ctx context.Context, tx store.Tx, id string) error {
	if err := tx.Delete(ctx, KindTags, "", id); err != nil && !notFound(err) {
		return err
	}
	return nil
}

// tagNew stores the tags of a resource just created (already checked).
func tagNew(ctx context.Context, tx store.Tx, id string, tags []Tag) error {
	if len(tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return putTags(ctx, tx, id, sortedTags(m))
}

func checkResourceID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if len(id) > maxResourceIDs {
		return errMaxLength()
	}
	if !reTaggableID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}

// taggable checks that id names a taggable resource of the organization:
// its root, an OU, a member account (the management account included) or
// a customer-managed policy. Resource policies and responsibility
// transfers, which this deployment does not serve, are not found.
func taggable(ctx context.Context, r store.Reader, org *Organization, id string) error {
	if strings.HasPrefix(id, "p-") {
		p, err := getByID[Policy](ctx, r, KindPolicy, id)
		if notFound(err) {
			return errTargetNotFound
		}
		if err != nil {
			return err
		}
		if p.AWSManaged {
			return errImmutablePolicy()
		}
		return nil
	}
	t, err := target(ctx, r, org, id)
	if err != nil {
		return err
	}
	if t == nil {
		return errTargetNotFound
	}
	return nil
}

// TagResource adds tags to a root, OU, account or policy, replacing the
// values of keys it already has; all or nothing.
func (s *Service) TagResource(ctx context.Context, caller, id string, tags []Tag) error {
	if err := checkResourceID(id); err != nil {
		return err
	}
	if tags == nil {
		return errInputRequired()
	}
	if err := CheckTags(tags); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if err := taggable(ctx, tx, org, id); err != nil {
			return err
		}
		have, err := getTags(ctx, tx, id)
		if err != nil {
			return err
		}
		merged, err := mergeTags(have, tags)
		if err != nil {
			return err
		}
		return putTags(ctx, tx, id, merged)
	})
}

// UntagResource removes the tags with the given keys (keys the resource
// does not have are ignored).
func (s *Service) UntagResource(ctx context.Context, caller, id string, keys []string) error {
	if err := checkResourceID(id); err != nil {
		return err
	}
	if keys == nil {
		return errInputRequired()
	}
	for _, k := range keys {
		if err := checkTagKey(k); err != nil {
			return err
		}
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if err := taggable(ctx, tx, org, id); err != nil {
			return err
		}
		have, err := getTags(ctx, tx, id)
		if err != nil {
			return err
		}
		return putTags(ctx, tx, id, removeTags(have, keys))
	})
}

// ListTagsForResource returns a resource's tags, sorted by key.
func (s *Service) ListTagsForResource(ctx context.Context, caller, id string) ([]Tag, error) {
	if err := checkResourceID(id); err != nil {
		return nil, err
	}
	var out []Tag
	err := s.view(ctx, caller, true, func(r store.Reader, org *Organization) error {
		if err := taggable(ctx, r, org, id); err != nil {
			return err
		}
		var err error
		out, err = getTags(ctx, r, id)
		return err
	})
	return out, err
}

// ResourceTags returns the tags of the root, OU, account or policy id of
// kind that a request by caller's account names, for the
// aws:ResourceTag/${TagKey} condition keys; nil when there are none, when
// the resource does not exist or caller is not the management account.
func (s *Service) ResourceTags(ctx context.Context, caller string, kind ResourceKind, id string) []Tag {
	var out []Tag
	_ = s.store.View(ctx, func(r store.Reader) error {
		org, err := get[Organization](ctx, r, KindOrganization, organizationRecID)
		if err != nil || org.ManagementAccount != caller {
			return err
		}
		if arn, err := org.resourceARN(ctx, r, kind, id); err != nil || arn == "*" {
			return err
		}
		out, err = getTags(ctx, r, id)
		return err
	})
	return out
}
