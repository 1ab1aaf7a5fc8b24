package rolesanywhere

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/hatrack/hatrack/store"
)

// maxResourceTags is how many tags one trust anchor, profile or CRL holds.
const maxResourceTags = 50

func tooManyTags() error {
	return &APIError{http.StatusBadRequest, "TooManyTagsException", "Too many tags."}
}

// checkTagKey validates one tag key (TagKey: 1 to 128 characters of
// [ a-zA-Z0-9_.:/=+@-]; the aws: prefix is reserved).
func checkTagKey(member, k string) error {
	if len(k) < 1 || len(k) > 128 || !reTagKeyVal.MatchString(k) {
		return validation("1 validation error detected: Value at '%s' failed to satisfy constraint: Member must have length between 1 and 128 and satisfy regular expression pattern: [ a-zA-Z0-9_.:/=+@-]*", member)
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return validation("Tag keys starting with 'aws:' are reserved for AWS use")
	}
	return nil
}

// checkTagList validates a request's tag list: the model's constraints, no
// reserved keys and no key given twice.
func checkTagList(tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range tags {
		if err := checkTagKey("tags.member.key", t.Key); err != nil {
			return err
		}
		if seen[t.Key] {
			return validation("Duplicate tag key '%s' in the request", t.Key)
		}
		seen[t.Key] = true
	}
	return nil
}

// checkCreateTags validates the tags a create request gives its resource.
func checkCreateTags(tags []Tag) error {
	if err := checkTagList(tags); err != nil {
		return err
	}
	if len(tags) > maxResourceTags {
		return validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: a resource can have at most %d tags", maxResourceTags)
	}
	return nil
}

// mergeTags sets tags on have (a key already present takes the new value)
// and checks the resource's limit.
func mergeTags(have, tags []Tag) ([]Tag, error) {
	out := append([]Tag(nil), have...)
	for _, t := range tags {
		found := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value, found = t.Value, true
				break
			}
		}
		if !found {
			out = append(out, t)
		}
	}
	if len(out) > maxResourceTags {
		return nil, tooManyTags()
	}
	return out, nil
}

// removeTags drops keys from have.
func removeTags(have []Tag, keys []string) []Tag {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	out := []Tag{}
	for _, t := range have {
		if !drop[t.Key] {
			out = append(out, t)
		}
	}
	return out
}

// taggable parses the ARN of a taggable resource of account (trust anchor,
// profile or CRL).
func taggable(account, resourceARN string) (kind, id string, err error) {
	if len(resourceARN) < 1 || len(resourceARN) > 1011 {
		return "", "", validation("1 validation error detected: Value '%s' at 'resourceArn' failed to satisfy constraint: Member must have length between 1 and 1011", resourceARN)
	}
	acct, kind, id, ok := splitARN(resourceARN)
	if !ok {
		return "", "", validation("Invalid resource ARN: %s", resourceARN)
	}
	switch kind {
	case "trust-anchor", "profile", "crl":
	default:
		return "", "", notFound("Resource not found")
	}
	if acct != account {
		return "", "", notFound("Resource not found")
	}
	return kind, id, nil
}

// editTags loads the tags of the resource named by resourceARN (in
// account) and, when fn is not nil, stores fn's result, in one
// transaction. It returns the tags after the edit.
func (s *Service) editTags(ctx context.Context, account, resourceARN string, fn func([]Tag) ([]Tag, error)) ([]Tag, error) {
	kind, id, err := taggable(account, resourceARN)
	if err != nil {
		return nil, err
	}
	var out []Tag
	run := func(r store.Reader, tx store.Tx) error {
		var recKind string
		switch kind {
		case "trust-anchor":
			recKind = KindTrustAnchor
		case "profile":
			recKind = KindProfile
		default:
			if CheckCrlID(id) != nil {
				return notFound("Resource not found")
			}
			recKind = KindCRL
		}
		rec, err := r.Get(ctx, recKind, account, id)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Resource not found")
		}
		if err != nil {
			return err
		}
		var arn string
		var tags *[]Tag
		var save func() store.Record
		switch kind {
		case "trust-anchor":
			var t storedAnchor
			if err := json.Unmarshal(rec.Data, &t); err != nil {
				return err
			}
			arn, tags = t.ARN, &t.Tags
			save = func() store.Record {
				return store.Record{Kind: KindTrustAnchor, Account: account, Name: id, ID: "ta-" + id, Data: mustJSON(&t)}
			}
		case "profile":
			p, err := loadProfile(rec.Data)
			if err != nil {
				return err
			}
			arn, tags = p.ARN, &p.Tags
			save = func() store.Record { return profileRecord(p) }
		default:
			var c crlRecord
			if err := json.Unmarshal(rec.Data, &c); err != nil {
				return err
			}
			arn, tags = c.ARN, &c.Tags
			save = func() store.Record { return crlStoreRecord(&c) }
		}
		if arn != resourceARN {
			return notFound("Resource not found")
		}
		if fn != nil {
			nt, err := fn(*tags)
			if err != nil {
				return err
			}
			*tags = nt
			if err := tx.Put(ctx, save()); err != nil {
				return err
			}
		}
		out = append([]Tag{}, *tags...)
		return nil
	}
	if fn == nil {
		err = s.Store.View(ctx, func(r store.Reader) error { return run(r, nil) })
	} else {
		err = s.Store.Update(ctx, func(tx store.Tx) error { return run(tx, tx) })
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResourceTags returns the tags of a trust anchor, profile or CRL of
// account, named by its ARN.
func (s *Service) ResourceTags(ctx context.Context, account, resourceARN string) ([]Tag, error) {
	return s.editTags(ctx, account, resourceARN, nil)
}

// TagResource adds tags to a trust anchor, profile or CRL (a key already
// present takes the new value).
func (s *Service) TagResource(ctx context.Context, account, resourceARN string, tags []Tag) error {
	if err := checkTagList(tags); err != nil {
		return err
	}
	_, err := s.editTags(ctx, account, resourceARN, func(have []Tag) ([]Tag, error) { return mergeTags(have, tags) })
	return err
}

// checkTagKeys validates UntagResource's tag keys.
func checkTagKeys(keys []string) error {
	if len(keys) > maxTags {
		return validation("1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	for _, k := range keys {
		if err := checkTagKey("tagKeys.member", k); err != nil {
			return err
		}
	}
	return nil
}

// UntagResource removes tags (by key) from a trust anchor, profile or CRL;
// keys the resource does not have are ignored.
func (s *Service) UntagResource(ctx context.Context, account, resourceARN string, keys []string) error {
	if err := checkTagKeys(keys); err != nil {
		return err
	}
	_, err := s.editTags(ctx, account, resourceARN, func(have []Tag) ([]Tag, error) { return removeTags(have, keys), nil })
	return err
}
