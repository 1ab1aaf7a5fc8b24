package resources

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Kind is the store kind of resource-policy records.
const Kind = "resource-policy"

// Limits.
const (
	// MaxARNLength bounds a resource ARN (IAM's ARN limit).
	MaxARNLength = 2048
	// MaxPolicyLength bounds a policy document (S3 bucket policies: 20 KB).
	MaxPolicyLength = 20480
	// MaxListResults is the largest (and default) page size of List.
	MaxListResults = 100
)

// ResourcePolicy is one stored policy.
type ResourcePolicy struct {
	ResourceArn    string
	PolicyDocument string
	Created        time.Time
	Updated        time.Time
}

type data struct {
	Arn      string `json:"arn"`
	Document string `json:"document"`
}

// Service stores resource policies. It is safe for concurrent use.
type Service struct {
	st store.Store

	mu    sync.Mutex
	cache map[string]compiled // ARN → compiled policy at a revision
}

type compiled struct {
	rev int64
	p   *policy.Policy
}

// maxCached bounds the compiled-policy cache.
const maxCached = 4096

// New returns the service over st.
func New(st store.Store) *Service {
	return &Service{st: st, cache: make(map[string]compiled)}
}

// ValidationError is the error of a malformed request member.
func validation(format string, args ...any) *awserr.Error {
	return awserr.New(http.StatusBadRequest, "ValidationException", format, args...)
}

// NotFound is the error when no policy is stored for an ARN.
func notFound(arn string) *awserr.Error {
	return awserr.New(http.StatusNotFound, "ResourceNotFoundException", "No resource policy exists for %s.", arn)
}

// ParseARN checks that arn is "arn:partition:service:region:account:resource"
// and returns its account field ("" when the ARN names none, as S3 bucket
// ARNs do).
func ParseARN(arn string) (account string, err error) {
	if arn == "" {
		return "", validation("ResourceArn is required.")
	}
	if len(arn) > MaxARNLength {
		return "", validation("ResourceArn must be at most %d characters.", MaxARNLength)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return "", validation("%s is not a valid ARN.", arn)
	}
	for _, r := range arn {
		if r < 0x20 || r == 0x7f {
			return "", validation("ResourceArn contains a control character.")
		}
	}
	acct := parts[4]
	if acct != "" && !isAccountID(acct) {
		return "", validation("%s is not a valid ARN: the account must be 12 digits.", arn)
	}
	return acct, nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ownedARN validates arn and checks that it belongs to callerAccount.
func ownedARN(callerAccount, arn string) (string, error) {
	acct, err := ParseARN(arn)
	if err != nil {
		return "", err
	}
	if acct == "" {
		return "", validation("%s names no account; a resource policy needs an ARN with the owning account.", arn)
	}
	if acct != callerAccount {
		return "", awserr.AccessDenied("The resource %s belongs to another account; only account %s may manage its resource policy.", arn, acct)
	}
	return acct, nil
}

// key is the record name of arn: its hex encoding, so that the store's
// case-insensitive names keep ARNs case-sensitive (and List orders by
// ARN bytes).
func key(arn string) string { return hex.EncodeToString([]byte(arn)) }

// Put validates doc as a resource-based policy and stores it for arn,
// replacing any previous one. callerAccount must own arn.
func (s *Service) Put(ctx context.Context, callerAccount, arn, doc string) (*ResourcePolicy, error) {
	acct, err := ownedARN(callerAccount, arn)
	if err != nil {
		return nil, err
	}
	if doc == "" {
		return nil, validation("PolicyDocument is required.")
	}
	if len(doc) > MaxPolicyLength {
		return nil, awserr.New(http.StatusBadRequest, "MalformedPolicyDocument", "Policy document exceeds the maximum length of %d characters.", MaxPolicyLength)
	}
	if _, err := policy.Parse(doc, policy.Resource); err != nil {
		return nil, err
	}
	b, err := json.Marshal(data{Arn: arn, Document: doc})
	if err != nil {
		return nil, err
	}
	var out ResourcePolicy
	err = s.st.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(ctx, store.Record{Kind: Kind, Account: acct, Name: key(arn), Data: b}); err != nil {
			return err
		}
		rec, err := tx.Get(ctx, Kind, acct, key(arn))
		if err != nil {
			return err
		}
		out = toPolicy(rec, data{Arn: arn, Document: doc})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func toPolicy(rec store.Record, d data) ResourcePolicy {
	return ResourcePolicy{ResourceArn: d.Arn, PolicyDocument: d.Document, Created: rec.Created, Updated: rec.Updated}
}

func decode(rec store.Record) (data, error) {
	var d data
	if err := json.Unmarshal(rec.Data, &d); err != nil {
		return d, err
	}
	return d, nil
}

// Get returns the policy stored for arn. callerAccount must own arn.
func (s *Service) Get(ctx context.Context, callerAccount, arn string) (*ResourcePolicy, error) {
	acct, err := ownedARN(callerAccount, arn)
	if err != nil {
		return nil, err
	}
	rec, d, err := s.load(ctx, acct, arn)
	if err != nil {
		return nil, err
	}
	p := toPolicy(rec, d)
	return &p, nil
}

func (s *Service) load(ctx context.Context, acct, arn string) (store.Record, data, error) {
	var rec store.Record
	err := s.st.View(ctx, func(r store.Reader) error {
		var err error
		rec, err = r.Get(ctx, Kind, acct, key(arn))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return rec, data{}, notFound(arn)
	}
	if err != nil {
		return rec, data{}, err
	}
	d, err := decode(rec)
	if err != nil {
		return rec, data{}, err
	}
	if d.Arn != arn { // never hand out another ARN's policy
		return rec, data{}, notFound(arn)
	}
	return rec, d, nil
}

// Delete removes the policy stored for arn. callerAccount must own arn.
func (s *Service) Delete(ctx context.Context, callerAccount, arn string) error {
	acct, err := ownedARN(callerAccount, arn)
	if err != nil {
		return err
	}
	err = s.st.Update(ctx, func(tx store.Tx) error {
		return tx.Delete(ctx, Kind, acct, key(arn))
	})
	if errors.Is(err, store.ErrNotFound) {
		return notFound(arn)
	}
	if err == nil {
		s.mu.Lock()
		delete(s.cache, arn)
		s.mu.Unlock()
	}
	return err
}

// List returns the account's policies ordered by ARN, at most max of
// them (0 or more than MaxListResults: MaxListResults), after the ARN
// after ("" for the first page); next is the ARN to continue after, ""
// when done.
func (s *Service) List(ctx context.Context, account, after string, max int) (page []ResourcePolicy, next string, err error) {
	if max <= 0 || max > MaxListResults {
		max = MaxListResults
	}
	f := store.Filter{Kind: Kind, Account: account, Limit: max + 1}
	if after != "" {
		f.After = key(after)
	}
	var recs []store.Record
	err = s.st.View(ctx, func(r store.Reader) error {
		var err error
		recs, err = r.List(ctx, f)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	for i, rec := range recs {
		if i == max {
			next = page[len(page)-1].ResourceArn
			break
		}
		d, err := decode(rec)
		if err != nil {
			return nil, "", err
		}
		page = append(page, toPolicy(rec, d))
	}
	return page, next, nil
}

// Compiled returns the compiled resource policy of arn for authorization,
// or nil when none is stored (or arn names no account). It does not check
// the caller's account: the authorization endpoint evaluates the policy of
// whatever resource it is asked about.
func (s *Service) Compiled(ctx context.Context, arn string) (*policy.Policy, error) {
	acct, err := ParseARN(arn)
	if err != nil {
		return nil, err
	}
	if acct == "" {
		return nil, nil
	}
	rec, d, err := s.load(ctx, acct, arn)
	if e, ok := awserr.As(err); ok && e.Code == "ResourceNotFoundException" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, ok := s.cache[arn]
	s.mu.Unlock()
	if ok && c.rev == rec.Revision && rec.Revision != 0 {
		return c.p, nil
	}
	p, err := policy.Parse(d.Document, policy.Resource)
	if err != nil {
		// Stored documents were validated; fail closed if one no longer
		// parses.
		return nil, err
	}
	p = p.WithID("resource-policy")
	s.mu.Lock()
	if len(s.cache) >= maxCached {
		clear(s.cache)
	}
	s.cache[arn] = compiled{rev: rec.Revision, p: p}
	s.mu.Unlock()
	return p, nil
}
