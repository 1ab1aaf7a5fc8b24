package iam

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam/managed"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Managed-policy quotas (iam-api.md §10).
const (
	maxPoliciesPerAccount = 1500
	maxPolicySize         = 6144
	maxPolicyVersions     = 5
)

// AWSAccount is the account field of AWS-managed policy ARNs.
const AWSAccount = "aws"

// ManagedPolicy is a customer-managed policy, or (Account "aws") an
// AWS-managed one.
type ManagedPolicy struct {
	Account        string
	Name           string
	ID             string
	Path           string
	Description    string `json:",omitempty"`
	Created        time.Time
	Updated        time.Time
	DefaultVersion string
	// NextVersion numbers the next version (ids are never reused).
	NextVersion int
	Versions    []PolicyVersion
	Tags        []Tag `json:",omitempty"`

	// Filled by reads, never stored.
	AttachmentCount int `json:"-"`
	BoundaryCount   int `json:"-"`
}

// PolicyVersion is one version of a managed policy.
type PolicyVersion struct {
	ID       string
	Document string
	Created  time.Time
}

// ARN is the policy's ARN.
func (p *ManagedPolicy) ARN() string {
	return "arn:" + Partition + ":iam::" + p.Account + ":policy" + p.Path + p.Name
}

// IsAWS reports whether the policy is AWS-managed.
func (p *ManagedPolicy) IsAWS() bool { return p.Account == AWSAccount }

// IsAttachable reports whether the policy can be attached by accounts
// (AWS's service-linked-role policies cannot).
func (p *ManagedPolicy) IsAttachable() bool {
	return !(p.IsAWS() && strings.HasPrefix(p.Path, "/aws-service-role/"))
}

// Version returns a version by id.
func (p *ManagedPolicy) Version(id string) (*PolicyVersion, bool) {
	for i := range p.Versions {
		if p.Versions[i].ID == id {
			return &p.Versions[i], true
		}
	}
	return nil, false
}

// DefaultDocument is the default version's document.
func (p *ManagedPolicy) DefaultDocument() string {
	if v, ok := p.Version(p.DefaultVersion); ok {
		return v.Document
	}
	return ""
}

func fromAWS(m *managed.Policy) *ManagedPolicy {
	return &ManagedPolicy{Account: AWSAccount, Name: m.Name, ID: m.ID, Path: m.Path, Created: m.Created, Updated: m.Updated,
		DefaultVersion: m.DefaultVersionID, Versions: []PolicyVersion{{ID: m.DefaultVersionID, Document: m.Document, Created: m.Updated}}}
}

// CreatePolicyInput is CreatePolicy's request.
type CreatePolicyInput struct {
	PolicyName  string
	Path        string
	Document    string
	Description string
	Tags        []Tag
}

func errNoSuchPolicy(arn string) error {
	return awserr.NoSuchEntity("Policy %s was not found.", arn)
}

func errNotAttachable(arn string) error {
	return awserr.NoSuchEntity("Policy %s does not exist or is not attachable.", arn)
}

func checkPolicyPath(v *awserr.Validation, member, path string) {
	if path == "" {
		return
	}
	if len(path) > 512 {
		v.Add(path, member, "Member must have length less than or equal to 512")
	}
	if !rePolicyPath.MatchString(path) {
		v.Add(path, member, "Member must satisfy regular expression pattern: "+patPolicyPath)
	}
}

// checkManagedDocument validates a managed policy version's document.
func checkManagedDocument(doc string) error {
	if _, err := policy.Parse(doc, policy.Identity); err != nil {
		return err
	}
	if policy.Size(doc) > maxPolicySize {
		return awserr.LimitExceeded("Cannot exceed quota for PolicySize: %d", maxPolicySize)
	}
	return nil
}

// CreatePolicy creates a customer-managed policy with version v1.
func (s *Service) CreatePolicy(ctx context.Context, account string, in CreatePolicyInput) (*ManagedPolicy, error) {
	var v awserr.Validation
	checkName(&v, "policyName", in.PolicyName, 128)
	checkPolicyPath(&v, "path", in.Path)
	checkDocument(&v, "policyDocument", in.Document)
	if utf8.RuneCountInString(in.Description) > 1000 {
		v.Add(in.Description, "description", "Member must have length less than or equal to 1000")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(in.Document); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	p := &ManagedPolicy{Account: account, Name: in.PolicyName, ID: ids.NewUniqueID("ANPA"), Path: orSlash(in.Path),
		Description: in.Description, Created: now, Updated: now, DefaultVersion: "v1", NextVersion: 2,
		Versions: []PolicyVersion{{ID: "v1", Document: in.Document, Created: now}}, Tags: in.Tags}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		err := createCounted(ctx, tx, store.Record{Kind: KindPolicy, Account: account, Name: p.Name, ID: p.ID, Data: encode(p)}, maxPoliciesPerAccount, "PoliciesPerAccount",
			awserr.EntityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", p.Name))
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// splitPolicyARN splits arn:aws:iam::ACCOUNT|aws:policy/PATH/NAME.
func splitPolicyARN(arn string) (account, path, name string, ok bool) {
	return splitIAMARN(arn, "policy")
}

func checkPolicyARN(member, arn string) error {
	var v awserr.Validation
	if arn == "" {
		v.AddNull(member)
		return v.Err()
	}
	if len(arn) < 20 || len(arn) > 2048 {
		v.Add(arn, member, "Member must have length greater than or equal to 20")
		if len(arn) > 2048 {
			v = awserr.Validation{}
			v.Add(arn, member, "Member must have length less than or equal to 2048")
		}
		return v.Err()
	}
	if _, _, _, ok := splitPolicyARN(arn); !ok {
		return awserr.InvalidInput("ARN %s is not valid.", arn)
	}
	return nil
}

// loadPolicy resolves a policy ARN visible to account: AWS-managed or the
// account's own. errNo builds the error for a missing policy.
func (s *Service) loadPolicy(ctx context.Context, r store.Reader, account, arn string, errNo func(string) error) (*ManagedPolicy, store.Record, error) {
	acct, path, name, ok := splitPolicyARN(arn)
	if !ok {
		return nil, store.Record{}, awserr.InvalidInput("ARN %s is not valid.", arn)
	}
	if acct == AWSAccount {
		m, ok := managed.ByARN(arn)
		if !ok {
			return nil, store.Record{}, errNo(arn)
		}
		return fromAWS(m), store.Record{}, nil
	}
	if acct != account {
		return nil, store.Record{}, errNo(arn)
	}
	p, rec, err := get[ManagedPolicy](ctx, r, KindPolicy, account, name)
	if notFound(err) || (err == nil && (p.Path != path || p.Name != name)) {
		return nil, rec, errNo(arn)
	}
	return p, rec, err
}

// counts fills a policy's attachment and boundary-usage counts for account.
func (s *Service) counts(ctx context.Context, r store.Reader, account string, p *ManagedPolicy) error {
	var err error
	prefix := p.ARN() + "|"
	if p.AttachmentCount, err = r.Count(ctx, store.Filter{Kind: KindAttachment, Account: account, NamePrefix: prefix}); err != nil {
		return err
	}
	p.BoundaryCount, err = r.Count(ctx, store.Filter{Kind: KindBoundaryUse, Account: account, NamePrefix: prefix})
	return err
}

// GetPolicy returns a managed policy's metadata and counts.
func (s *Service) GetPolicy(ctx context.Context, account, arn string) (*ManagedPolicy, error) {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return nil, err
	}
	var p *ManagedPolicy
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if p, _, err = s.loadPolicy(ctx, r, account, arn, errNoSuchPolicy); err != nil {
			return err
		}
		return s.counts(ctx, r, account, p)
	})
	return p, err
}

// GetPolicyVersion returns one version of a policy.
func (s *Service) GetPolicyVersion(ctx context.Context, account, arn, version string) (*ManagedPolicy, *PolicyVersion, error) {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return nil, nil, err
	}
	if err := checkVersionID(version); err != nil {
		return nil, nil, err
	}
	p, err := s.GetPolicy(ctx, account, arn)
	if err != nil {
		return nil, nil, err
	}
	pv, ok := p.Version(version)
	if !ok {
		return nil, nil, awserr.NoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, version)
	}
	return p, pv, nil
}

var errAWSManaged = func(arn string) error {
	return awserr.UnmodifiableEntity("Policy %s is an AWS managed policy and cannot be modified.", arn)
}

func checkVersionID(id string) error {
	var v awserr.Validation
	if id == "" {
		v.AddNull("versionId")
		return v.Err()
	}
	ok := len(id) >= 2 && id[0] == 'v' && id[1] >= '1' && id[1] <= '9'
	if ok {
		for i := 2; i < len(id) && id[i] != '.'; i++ {
			if id[i] < '0' || id[i] > '9' {
				ok = false
			}
		}
	}
	if !ok {
		v.Add(id, "versionId", `Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	}
	return v.Err()
}

// updatePolicy loads a customer policy for change.
func (s *Service) updatePolicy(ctx context.Context, account, arn string, fn func(tx store.Tx, p *ManagedPolicy) error) (*ManagedPolicy, error) {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return nil, err
	}
	var out *ManagedPolicy
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, rec, err := s.loadPolicy(ctx, tx, account, arn, errNoSuchPolicy)
		if err != nil {
			return err
		}
		if p.IsAWS() {
			return errAWSManaged(arn)
		}
		if err := fn(tx, p); err != nil {
			return err
		}
		rec.Data = encode(p)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// CreatePolicyVersion adds a version (at most five are kept).
func (s *Service) CreatePolicyVersion(ctx context.Context, account, arn, doc string, setDefault bool) (*PolicyVersion, error) {
	var v awserr.Validation
	checkDocument(&v, "policyDocument", doc)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkManagedDocument(doc); err != nil {
		return nil, err
	}
	var pv PolicyVersion
	_, err := s.updatePolicy(ctx, account, arn, func(_ store.Tx, p *ManagedPolicy) error {
		if len(p.Versions) >= maxPolicyVersions {
			return awserr.LimitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		now := s.now().UTC().Truncate(time.Second)
		pv = PolicyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: doc, Created: now}
		p.NextVersion++
		p.Versions = append(p.Versions, pv)
		if setDefault {
			p.DefaultVersion = pv.ID
		}
		p.Updated = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &pv, nil
}

// SetDefaultPolicyVersion makes a version the default.
func (s *Service) SetDefaultPolicyVersion(ctx context.Context, account, arn, version string) error {
	if err := checkVersionID(version); err != nil {
		return err
	}
	_, err := s.updatePolicy(ctx, account, arn, func(_ store.Tx, p *ManagedPolicy) error {
		if _, ok := p.Version(version); !ok {
			return awserr.NoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, version)
		}
		p.DefaultVersion = version
		p.Updated = s.now().UTC().Truncate(time.Second)
		return nil
	})
	return err
}

// DeletePolicyVersion deletes a non-default version.
func (s *Service) DeletePolicyVersion(ctx context.Context, account, arn, version string) error {
	if err := checkVersionID(version); err != nil {
		return err
	}
	_, err := s.updatePolicy(ctx, account, arn, func(_ store.Tx, p *ManagedPolicy) error {
		if _, ok := p.Version(version); !ok {
			return awserr.NoSuchEntity("Policy %s version %s does not exist or is not attachable.", arn, version)
		}
		if p.DefaultVersion == version {
			return awserr.DeleteConflict("Cannot delete the default version of a policy.")
		}
		out := p.Versions[:0]
		for _, v := range p.Versions {
			if v.ID != version {
				out = append(out, v)
			}
		}
		p.Versions = out
		return nil
	})
	return err
}

// DeletePolicy deletes a customer-managed policy that is attached nowhere,
// used as no boundary and has only its default version left.
func (s *Service) DeletePolicy(ctx context.Context, account, arn string) error {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, _, err := s.loadPolicy(ctx, tx, account, arn, errNoSuchPolicy)
		if err != nil {
			return err
		}
		if p.IsAWS() {
			return errAWSManaged(arn)
		}
		if err := s.counts(ctx, tx, account, p); err != nil {
			return err
		}
		if p.AttachmentCount > 0 || p.BoundaryCount > 0 {
			return awserr.DeleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(p.Versions) > 1 {
			return awserr.DeleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return tx.Delete(ctx, KindPolicy, account, p.Name)
	})
}

// ListPoliciesInput filters ListPolicies.
type ListPoliciesInput struct {
	Scope        string // All (default), AWS, Local
	OnlyAttached bool
	PathPrefix   string
	UsageFilter  string // PermissionsPolicy, PermissionsBoundary
}

// ListPolicies lists AWS-managed and/or the account's policies.
func (s *Service) ListPolicies(ctx context.Context, account string, in ListPoliciesInput, p Page) ([]*ManagedPolicy, string, error) {
	var v awserr.Validation
	switch in.Scope {
	case "", "All", "AWS", "Local":
	default:
		v.Add(in.Scope, "scope", "Member must satisfy enum value set: [All, AWS, Local]")
	}
	switch in.UsageFilter {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		v.Add(in.UsageFilter, "policyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	checkPolicyPathPrefix(&v, in.PathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []*ManagedPolicy
	err := s.store.View(ctx, func(r store.Reader) error {
		var all []*ManagedPolicy
		if in.Scope != "Local" {
			for _, m := range managed.All() {
				all = append(all, fromAWS(m))
			}
		}
		if in.Scope != "AWS" {
			recs, err := r.List(ctx, store.Filter{Kind: KindPolicy, Account: account})
			if err != nil {
				return err
			}
			local, err := decodeAll[ManagedPolicy](recs)
			if err != nil {
				return err
			}
			all = append(all, local...)
		}
		for _, mp := range all {
			if in.PathPrefix != "" && !strings.HasPrefix(mp.Path, in.PathPrefix) {
				continue
			}
			if err := s.counts(ctx, r, account, mp); err != nil {
				return err
			}
			if in.OnlyAttached {
				used := mp.AttachmentCount > 0 || mp.BoundaryCount > 0
				switch in.UsageFilter {
				case "PermissionsPolicy":
					used = mp.AttachmentCount > 0
				case "PermissionsBoundary":
					used = mp.BoundaryCount > 0
				}
				if !used {
					continue
				}
			}
			out = append(out, mp)
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	// AWS and local policies may share a name: page by name then ARN.
	return pageSlice(out, func(m *ManagedPolicy) string { return m.Name + "\x00" + m.Account }, p)
}

func checkPolicyPathPrefix(v *awserr.Validation, prefix string) {
	if prefix == "" {
		return
	}
	if !rePathPrefix.MatchString(prefix) || len(prefix) > 512 {
		v.Add(prefix, "pathPrefix", "Member must satisfy regular expression pattern: "+patPathPrefix)
	}
}

// ListPolicyVersions lists a policy's versions (newest first, as IAM does).
func (s *Service) ListPolicyVersions(ctx context.Context, account, arn string) (*ManagedPolicy, error) {
	return s.GetPolicy(ctx, account, arn)
}

// TagPolicy adds or replaces tags on a customer-managed policy.
func (s *Service) TagPolicy(ctx context.Context, account, arn string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	_, err := s.updatePolicy(ctx, account, arn, func(_ store.Tx, p *ManagedPolicy) error {
		merged := mergeTags(p.Tags, tags)
		if len(merged) > 50 {
			return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
		}
		p.Tags = merged
		return nil
	})
	return err
}

// UntagPolicy removes tags from a customer-managed policy.
func (s *Service) UntagPolicy(ctx context.Context, account, arn string, keys []string) error {
	_, err := s.updatePolicy(ctx, account, arn, func(_ store.Tx, p *ManagedPolicy) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
	return err
}

// PolicyEntity is one entity a policy is attached to (or bounds).
type PolicyEntity struct {
	Type string // user, group, role
	Name string
	ID   string
	Path string
}

// ListEntitiesForPolicy lists the users, groups and roles a policy is
// attached to (usage PermissionsPolicy, default) or is the boundary of
// (PermissionsBoundary).
func (s *Service) ListEntitiesForPolicy(ctx context.Context, account, arn, filter, pathPrefix, usage string, p Page) ([]PolicyEntity, string, error) {
	if err := checkPolicyARN("policyArn", arn); err != nil {
		return nil, "", err
	}
	var v awserr.Validation
	switch filter {
	case "", "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
	default:
		v.Add(filter, "entityFilter", "Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]")
	}
	switch usage {
	case "", "PermissionsPolicy", "PermissionsBoundary":
	default:
		v.Add(usage, "policyUsageFilter", "Member must satisfy enum value set: [PermissionsPolicy, PermissionsBoundary]")
	}
	checkPathPrefix(&v, "pathPrefix", pathPrefix)
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	var out []PolicyEntity
	err := s.store.View(ctx, func(r store.Reader) error {
		mp, _, err := s.loadPolicy(ctx, r, account, arn, errNoSuchPolicy)
		if err != nil {
			return err
		}
		switch filter {
		case "LocalManagedPolicy":
			if mp.IsAWS() {
				return nil
			}
		case "AWSManagedPolicy":
			if !mp.IsAWS() {
				return nil
			}
		}
		var recs []store.Record
		for _, kind := range []string{KindAttachment, KindBoundaryUse} {
			if (usage == "PermissionsPolicy" && kind == KindBoundaryUse) || (usage == "PermissionsBoundary" && kind == KindAttachment) {
				continue
			}
			rs, err := r.List(ctx, store.Filter{Kind: kind, Account: account, NamePrefix: mp.ARN() + "|"})
			if err != nil {
				return err
			}
			recs = append(recs, rs...)
		}
		links, err := decodeLinks(recs)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, l := range links {
			if filter == "User" && l.EntityType != EntityUser || filter == "Role" && l.EntityType != EntityRole || filter == "Group" && l.EntityType != EntityGroup {
				continue
			}
			if seen[l.EntityType+l.EntityID] {
				continue
			}
			seen[l.EntityType+l.EntityID] = true
			e, ok, err := s.entityByID(ctx, r, l.EntityType, l.EntityID)
			if err != nil {
				return err
			}
			if !ok || (pathPrefix != "" && !strings.HasPrefix(e.Path, pathPrefix)) {
				continue
			}
			out = append(out, PolicyEntity{Type: e.Type, Name: e.Name, ID: e.ID, Path: e.Path})
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return pageSlice(out, func(e PolicyEntity) string { return e.Type + ":" + e.Name }, p)
}
