package rolesanywhere

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// Record kinds (named by id, per account).
const (
	KindTrustAnchor = "ra-trustanchor"
	KindProfile     = "ra-profile"
	KindSubject     = "ra-subject"
)

// Source types of a trust anchor.
const (
	SourceBundle   = "CERTIFICATE_BUNDLE"
	SourceACMPCA   = "AWS_ACM_PCA"
	SourceSelfRepo = "SELF_SIGNED_REPOSITORY"
)

// Tag is a Roles Anywhere resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// SourceData is a trust anchor's source data.
type SourceData struct {
	X509CertificateData string `json:"x509CertificateData,omitempty"`
	AcmPcaArn           string `json:"acmPcaArn,omitempty"`
}

// Source is a trust anchor's source.
type Source struct {
	SourceType string     `json:"sourceType"`
	SourceData SourceData `json:"sourceData"`
}

// TrustAnchor is a CA trusted to issue workload certificates.
type TrustAnchor struct {
	Account       string    `json:"-"`
	Region        string    `json:"-"`
	TrustAnchorID string    `json:"trustAnchorId"`
	ARN           string    `json:"trustAnchorArn"`
	Name          string    `json:"name"`
	Source        Source    `json:"source"`
	Enabled       bool      `json:"enabled"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	Tags          []Tag     `json:"-"`
}

// Certificates parses the anchor's CA bundle.
func (t *TrustAnchor) Certificates() []*x509.Certificate {
	certs, _ := parseBundle(t.Source.SourceData.X509CertificateData)
	return certs
}

// Profile lists the roles a certificate may assume and the session's shape.
type Profile struct {
	Account               string    `json:"-"`
	ProfileID             string    `json:"profileId"`
	ARN                   string    `json:"profileArn"`
	Name                  string    `json:"name"`
	RoleArns              []string  `json:"roleArns"`
	SessionPolicy         string    `json:"sessionPolicy,omitempty"`
	ManagedPolicyArns     []string  `json:"managedPolicyArns"`
	DurationSeconds       int       `json:"durationSeconds"`
	Enabled               bool      `json:"enabled"`
	RequireInstanceProps  bool      `json:"requireInstanceProperties"`
	AcceptRoleSessionName bool      `json:"acceptRoleSessionName"`
	CreatedBy             string    `json:"createdBy"`
	CreatedAt             time.Time `json:"createdAt"`
	UpdatedAt             time.Time `json:"updatedAt"`
	// AttributeMappings decide which certificate attributes become the
	// session's principal tags (DefaultAttributeMappings for a new
	// profile).
	AttributeMappings []AttributeMapping `json:"attributeMappings"`
	Tags              []Tag              `json:"-"`
}

// stored wraps an entity with the fields kept out of its wire form.
type storedAnchor struct {
	TrustAnchor
	Account string
	Region  string
	Tags    []Tag
}

type storedProfile struct {
	Profile
	Account string
	Tags    []Tag
}

// Subject records a certificate that authenticated.
type Subject struct {
	SubjectID   string    `json:"subjectId"`
	ARN         string    `json:"subjectArn"`
	X509Subject string    `json:"x509Subject"`
	Enabled     bool      `json:"enabled"`
	LastSeenAt  time.Time `json:"lastSeenAt"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
	Account     string    `json:"-"`
}

// APIError is a Roles Anywhere REST-JSON error.
type APIError struct {
	Status int
	Type   string // ValidationException, ResourceNotFoundException, AccessDeniedException, ConflictException
	Msg    string
}

func (e *APIError) Error() string { return e.Type + ": " + e.Msg }

func validation(format string, args ...any) error {
	return &APIError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func notFound(msg string) error {
	return &APIError{http.StatusNotFound, "ResourceNotFoundException", msg}
}

// AccessDenied is the CreateSession refusal.
func AccessDenied(format string, args ...any) error {
	return &APIError{http.StatusForbidden, "AccessDeniedException", fmt.Sprintf(format, args...)}
}

// Service is the Roles Anywhere control plane over the store.
type Service struct {
	Store store.Store
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

var reName = regexp.MustCompile(`^[ a-zA-Z0-9\-_]*$`)

func checkName(name string) error {
	if len(name) < 1 || len(name) > 255 || !reName.MatchString(name) {
		return validation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [ a-zA-Z0-9-_]*", name)
	}
	return nil
}

func parseBundle(data string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	rest := []byte(data)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no certificate")
	}
	return out, nil
}

func arn(region, account, kind, id string) string {
	return "arn:aws:rolesanywhere:" + region + ":" + account + ":" + kind + "/" + id
}

// CreateTrustAnchor stores a trust anchor. Only CERTIFICATE_BUNDLE sources
// can be verified by a self-contained deployment.
func (s *Service) CreateTrustAnchor(ctx context.Context, account, region string, name string, src Source, enabled bool, tags []Tag) (*TrustAnchor, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if err := checkCreateTags(tags); err != nil {
		return nil, err
	}
	switch src.SourceType {
	case SourceBundle:
		if len(src.SourceData.X509CertificateData) == 0 || len(src.SourceData.X509CertificateData) > 204800 {
			return nil, validation("x509CertificateData must be 1 to 204800 characters")
		}
		certs, err := parseBundle(src.SourceData.X509CertificateData)
		if err != nil {
			return nil, validation("Invalid certificate bundle: the source data must hold PEM CA certificates")
		}
		for _, c := range certs {
			if !c.IsCA {
				return nil, validation("Invalid certificate bundle: certificates must be CA certificates")
			}
		}
	case SourceACMPCA, SourceSelfRepo:
		return nil, validation("Source type %s is not supported by this deployment; use %s", src.SourceType, SourceBundle)
	default:
		return nil, validation("1 validation error detected: Value '%s' at 'source.sourceType' failed to satisfy constraint: Member must satisfy enum value set: [AWS_ACM_PCA, CERTIFICATE_BUNDLE, SELF_SIGNED_REPOSITORY]", src.SourceType)
	}
	id := ids.NewRequestID()
	now := s.now()
	t := &storedAnchor{TrustAnchor: TrustAnchor{TrustAnchorID: id, ARN: arn(region, account, "trust-anchor", id), Name: name,
		Source: src, Enabled: enabled, CreatedAt: now, UpdatedAt: now}, Account: account, Region: region, Tags: tags}
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, store.Record{Kind: KindTrustAnchor, Account: account, Name: id, ID: "ta-" + id, Data: mustJSON(t)})
	})
	if err != nil {
		return nil, err
	}
	return s.anchorOut(t), nil
}

func (s *Service) anchorOut(t *storedAnchor) *TrustAnchor {
	out := t.TrustAnchor
	out.Account, out.Region, out.Tags = t.Account, t.Region, t.Tags
	return &out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// GetTrustAnchor loads one anchor of account.
func (s *Service) GetTrustAnchor(ctx context.Context, account, id string) (*TrustAnchor, error) {
	var t storedAnchor
	err := s.Store.View(ctx, func(r store.Reader) error {
		rec, err := r.Get(ctx, KindTrustAnchor, account, id)
		if err != nil {
			return err
		}
		return json.Unmarshal(rec.Data, &t)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	if err != nil {
		return nil, err
	}
	return s.anchorOut(&t), nil
}

// TrustAnchorByARN loads an anchor from its ARN.
func (s *Service) TrustAnchorByARN(ctx context.Context, a string) (*TrustAnchor, error) {
	account, kind, id, ok := splitARN(a)
	if !ok || kind != "trust-anchor" {
		return nil, notFound("Resource not found")
	}
	return s.GetTrustAnchor(ctx, account, id)
}

// ProfileByARN loads a profile from its ARN.
func (s *Service) ProfileByARN(ctx context.Context, a string) (*Profile, error) {
	account, kind, id, ok := splitARN(a)
	if !ok || kind != "profile" {
		return nil, notFound("Resource not found")
	}
	return s.GetProfile(ctx, account, id)
}

func splitARN(a string) (account, kind, id string, ok bool) {
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "rolesanywhere" || len(parts[4]) != 12 {
		return "", "", "", false
	}
	kind, id, ok = strings.Cut(parts[5], "/")
	return parts[4], kind, id, ok && id != ""
}

// ListTrustAnchors lists the account's anchors.
func (s *Service) ListTrustAnchors(ctx context.Context, account string) ([]*TrustAnchor, error) {
	var out []*TrustAnchor
	err := s.Store.View(ctx, func(r store.Reader) error {
		recs, err := r.List(ctx, store.Filter{Kind: KindTrustAnchor, Account: account})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			var t storedAnchor
			if err := json.Unmarshal(rec.Data, &t); err != nil {
				return err
			}
			out = append(out, s.anchorOut(&t))
		}
		return nil
	})
	return out, err
}

// UpdateTrustAnchor changes an anchor (fn edits it) and returns it.
func (s *Service) UpdateTrustAnchor(ctx context.Context, account, id string, fn func(t *TrustAnchor) error) (*TrustAnchor, error) {
	var out *TrustAnchor
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		rec, err := tx.Get(ctx, KindTrustAnchor, account, id)
		if err != nil {
			return err
		}
		var t storedAnchor
		if err := json.Unmarshal(rec.Data, &t); err != nil {
			return err
		}
		if err := fn(&t.TrustAnchor); err != nil {
			return err
		}
		t.UpdatedAt = s.now()
		out = s.anchorOut(&t)
		return tx.Put(ctx, store.Record{Kind: KindTrustAnchor, Account: account, Name: id, ID: "ta-" + id, Data: mustJSON(&t)})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	return out, err
}

// DeleteTrustAnchor deletes an anchor and returns it.
func (s *Service) DeleteTrustAnchor(ctx context.Context, account, id string) (*TrustAnchor, error) {
	t, err := s.GetTrustAnchor(ctx, account, id)
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, KindTrustAnchor, account, id) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	return t, err
}

// ProfileInput is CreateProfile's request.
type ProfileInput struct {
	Name                  string   `json:"name"`
	RoleArns              []string `json:"roleArns"`
	SessionPolicy         string   `json:"sessionPolicy"`
	ManagedPolicyArns     []string `json:"managedPolicyArns"`
	DurationSeconds       *int     `json:"durationSeconds"`
	Enabled               *bool    `json:"enabled"`
	RequireInstanceProps  bool     `json:"requireInstanceProperties"`
	AcceptRoleSessionName bool     `json:"acceptRoleSessionName"`
	Tags                  []Tag    `json:"tags"`
}

func checkProfile(p *Profile) error {
	if err := checkName(p.Name); err != nil {
		return err
	}
	if len(p.RoleArns) > 250 {
		return validation("roleArns must hold at most 250 role ARNs")
	}
	for _, r := range p.RoleArns {
		if !strings.HasPrefix(r, "arn:aws:iam::") || !strings.Contains(r, ":role/") {
			return validation("Invalid role ARN: %s", r)
		}
	}
	if len(p.ManagedPolicyArns) > 50 {
		return validation("managedPolicyArns must hold at most 50 policy ARNs")
	}
	if p.DurationSeconds < 900 || p.DurationSeconds > 43200 {
		return validation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", p.DurationSeconds)
	}
	if p.SessionPolicy != "" && !json.Valid([]byte(p.SessionPolicy)) {
		return validation("sessionPolicy must be a JSON policy document")
	}
	return nil
}

// CreateProfile stores a profile.
func (s *Service) CreateProfile(ctx context.Context, account, region, createdBy string, in ProfileInput) (*Profile, error) {
	id := ids.NewRequestID()
	now := s.now()
	p := &storedProfile{Profile: Profile{ProfileID: id, ARN: arn(region, account, "profile", id), Name: in.Name,
		RoleArns: append([]string{}, in.RoleArns...), SessionPolicy: in.SessionPolicy, ManagedPolicyArns: append([]string{}, in.ManagedPolicyArns...),
		DurationSeconds: 3600, Enabled: false, RequireInstanceProps: in.RequireInstanceProps, AcceptRoleSessionName: in.AcceptRoleSessionName,
		CreatedBy: createdBy, CreatedAt: now, UpdatedAt: now, AttributeMappings: DefaultAttributeMappings()}, Account: account, Tags: append([]Tag(nil), in.Tags...)}
	if in.DurationSeconds != nil {
		p.DurationSeconds = *in.DurationSeconds
	}
	if in.Enabled != nil {
		p.Enabled = *in.Enabled
	}
	if err := checkProfile(&p.Profile); err != nil {
		return nil, err
	}
	if err := checkCreateTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		return tx.Create(ctx, profileRecord(p))
	})
	if err != nil {
		return nil, err
	}
	out := p.Profile
	out.Account, out.Tags = account, p.Tags
	return &out, nil
}

// GetProfile loads a profile of account.
func (s *Service) GetProfile(ctx context.Context, account, id string) (*Profile, error) {
	var p *storedProfile
	err := s.Store.View(ctx, func(r store.Reader) error {
		rec, err := r.Get(ctx, KindProfile, account, id)
		if err != nil {
			return err
		}
		p, err = loadProfile(rec.Data)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	if err != nil {
		return nil, err
	}
	out := p.Profile
	out.Account, out.Tags = p.Account, p.Tags
	return &out, nil
}

// ListProfiles lists the account's profiles.
func (s *Service) ListProfiles(ctx context.Context, account string) ([]*Profile, error) {
	var out []*Profile
	err := s.Store.View(ctx, func(r store.Reader) error {
		recs, err := r.List(ctx, store.Filter{Kind: KindProfile, Account: account})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			p, err := loadProfile(rec.Data)
			if err != nil {
				return err
			}
			o := p.Profile
			o.Account, o.Tags = p.Account, p.Tags
			out = append(out, &o)
		}
		return nil
	})
	return out, err
}

// UpdateProfile changes a profile (fn edits it) and returns it.
func (s *Service) UpdateProfile(ctx context.Context, account, id string, fn func(p *Profile) error) (*Profile, error) {
	var out *Profile
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		rec, err := tx.Get(ctx, KindProfile, account, id)
		if err != nil {
			return err
		}
		p, err := loadProfile(rec.Data)
		if err != nil {
			return err
		}
		if err := fn(&p.Profile); err != nil {
			return err
		}
		if err := checkProfile(&p.Profile); err != nil {
			return err
		}
		p.UpdatedAt = s.now()
		rec2 := profileRecord(p)
		o := p.Profile
		o.Account, o.Tags = p.Account, p.Tags
		out = &o
		return tx.Put(ctx, rec2)
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	return out, err
}

// DeleteProfile deletes a profile and returns it.
func (s *Service) DeleteProfile(ctx context.Context, account, id string) (*Profile, error) {
	p, err := s.GetProfile(ctx, account, id)
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error { return tx.Delete(ctx, KindProfile, account, id) })
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	return p, err
}

// RecordSubject notes that a certificate subject authenticated and returns
// its subject record (one per distinct subject DN and account).
func (s *Service) RecordSubject(ctx context.Context, account, region, x509Subject string) (*Subject, error) {
	var out Subject
	now := s.now()
	key := x509Subject
	if len(key) > 200 {
		key = key[:200]
	}
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		rec, err := tx.Get(ctx, KindSubject, account, key)
		if err == nil {
			if err := json.Unmarshal(rec.Data, &out); err != nil {
				return err
			}
		} else if errors.Is(err, store.ErrNotFound) {
			id := ids.NewRequestID()
			out = Subject{SubjectID: id, ARN: arn(region, account, "subject", id), X509Subject: x509Subject, Enabled: true, CreatedAt: now, Account: account}
		} else {
			return err
		}
		out.LastSeenAt, out.UpdatedAt = now, now
		return tx.Put(ctx, store.Record{Kind: KindSubject, Account: account, Name: key, Data: mustJSON(&out)})
	})
	return &out, err
}
