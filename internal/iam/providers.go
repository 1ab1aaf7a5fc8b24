package iam

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/oidc"
	"github.com/hatrack/hatrack/internal/federation/saml"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// Record kinds of identity providers. OIDC providers are named by their
// URL without "https://" (the ARN suffix); SAML providers by their name.
const (
	KindOIDCProvider = "oidcprovider"
	KindSAMLProvider = "samlprovider"
)

// Quotas (iam-api.md §10).
const (
	maxOIDCProviders    = 100
	maxSAMLProviders    = 100
	maxClientIDs        = 100
	maxThumbprints      = 5
	maxSAMLMetadataSize = 10000000
)

// OIDCProvider is an IAM OpenID Connect provider.
type OIDCProvider struct {
	Account     string
	URL         string // without "https://"
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag `json:",omitempty"`
	Created     time.Time
	// StaticKeys is a JWKS document used instead of fetching the issuer's
	// keys (a Hatrack extension for closed networks).
	StaticKeys string `json:",omitempty"`
}

// ARN is arn:aws:iam::ACCOUNT:oidc-provider/URL.
func (p *OIDCProvider) ARN() string {
	return "arn:" + Partition + ":iam::" + p.Account + ":oidc-provider/" + p.URL
}

// SAMLProvider is an IAM SAML provider.
type SAMLProvider struct {
	Account    string
	Name       string
	Metadata   string
	Certs      [][]byte // DER signing certificates from Metadata
	EntityID   string
	Tags       []Tag `json:",omitempty"`
	Created    time.Time
	ValidUntil time.Time
	UUID       string
	// EncryptionRequired refuses plain assertions (mode Required);
	// PrivateKeys decrypt encrypted ones (see saml_keys.go).
	EncryptionRequired bool             `json:",omitempty"`
	PrivateKeys        []SAMLPrivateKey `json:",omitempty"`
}

// ARN is arn:aws:iam::ACCOUNT:saml-provider/NAME.
func (p *SAMLProvider) ARN() string {
	return "arn:" + Partition + ":iam::" + p.Account + ":saml-provider/" + p.Name
}

// Certificates parses the stored signing certificates.
func (p *SAMLProvider) Certificates() []*x509.Certificate {
	var out []*x509.Certificate
	for _, der := range p.Certs {
		if c, err := x509.ParseCertificate(der); err == nil {
			out = append(out, c)
		}
	}
	return out
}

var (
	reThumbprint = regexp.MustCompile(`^[0-9a-fA-F]{40}$`)
	reSAMLName   = regexp.MustCompile(`^[\w._-]+$`)
)

// SplitProviderARN splits arn:aws:iam::ACCOUNT:oidc-provider/X or
// saml-provider/X into (account, kind, name).
func SplitProviderARN(arn string) (account, kind, name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != Partition || parts[2] != "iam" || parts[3] != "" || len(parts[4]) != 12 {
		return "", "", "", false
	}
	if n, found := strings.CutPrefix(parts[5], "oidc-provider/"); found && n != "" {
		return parts[4], KindOIDCProvider, n, true
	}
	if n, found := strings.CutPrefix(parts[5], "saml-provider/"); found && n != "" {
		return parts[4], KindSAMLProvider, n, true
	}
	return "", "", "", false
}

func checkARNMember(v *awserr.Validation, member, arn string) {
	if arn == "" {
		v.AddNull(member)
		return
	}
	if len(arn) < 20 || len(arn) > 2048 {
		v.Add(arn, member, "Member must have length greater than or equal to 20")
	}
}

func errNoOIDC(arn string) error {
	return awserr.NoSuchEntity("OpenIDConnect Provider not found for arn %s", arn)
}

func errNoSAML(arn string) error {
	return awserr.NoSuchEntity("Manifest not found for arn %s", arn)
}

// validOIDCURL checks CreateOpenIDConnectProvider's Url: https, a host, no
// port, query, fragment or user info. With loopback set (a server option
// for tests and local development) an http:// URL on a loopback address,
// port included, is accepted too.
func validOIDCURL(raw string, loopback bool) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.Contains(raw, "?") || strings.Contains(raw, "#") {
		return false
	}
	if loopback && isLoopbackHost(u.Hostname()) && (u.Scheme == "http" || u.Scheme == "https") && strings.HasPrefix(raw, u.Scheme+"://") {
		return true
	}
	return strings.HasPrefix(raw, "https://") && u.Port() == ""
}

func isLoopbackHost(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// oidcName is a provider URL without its scheme (the ARN suffix).
func oidcName(raw string) string {
	if n, ok := strings.CutPrefix(raw, "https://"); ok {
		return n
	}
	return strings.TrimPrefix(raw, "http://")
}

func checkClientIDs(v *awserr.Validation, member string, ids []string) {
	for i, id := range ids {
		if id == "" || utf8.RuneCountInString(id) > 255 {
			v.Add(id, member+"."+itoa(i+1)+".member", "Member must have length between 1 and 255")
		}
	}
}

func checkThumbprints(v *awserr.Validation, member string, tps []string) {
	for i, tp := range tps {
		if len(tp) != 40 {
			v.Add(tp, member+"."+itoa(i+1)+".member", "Member must have length greater than or equal to 40")
		}
	}
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// CreateOIDCProviderInput is CreateOpenIDConnectProvider's request.
type CreateOIDCProviderInput struct {
	URL         string
	ClientIDs   []string
	Thumbprints []string
	Tags        []Tag
	// AllowLoopbackHTTP accepts http:// loopback issuers (server option).
	AllowLoopbackHTTP bool
}

// CreateOIDCProvider creates an OpenID Connect provider.
func (s *Service) CreateOIDCProvider(ctx context.Context, account string, in CreateOIDCProviderInput) (*OIDCProvider, error) {
	var v awserr.Validation
	if in.URL == "" {
		v.AddNull("url")
	} else if utf8.RuneCountInString(in.URL) > 255 {
		v.Add(in.URL, "url", "Member must have length less than or equal to 255")
	}
	checkClientIDs(&v, "clientIDList", in.ClientIDs)
	checkThumbprints(&v, "thumbprintList", in.Thumbprints)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if !validOIDCURL(in.URL, in.AllowLoopbackHTTP) {
		return nil, awserr.InvalidInput("Invalid Open ID Connect Provider URL")
	}
	if len(in.Thumbprints) > maxThumbprints {
		return nil, awserr.InvalidInput("Thumbprint list must contain fewer than 5 entries.")
	}
	for _, tp := range in.Thumbprints {
		if !reThumbprint.MatchString(tp) {
			return nil, awserr.InvalidInput("Thumbprint %s is not a valid SHA-1 hex digest.", tp)
		}
	}
	ids := dedupe(in.ClientIDs)
	if len(ids) > maxClientIDs {
		return nil, awserr.LimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDs)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	p := &OIDCProvider{Account: account, URL: oidcName(in.URL), ClientIDs: ids,
		Thumbprints: dedupe(in.Thumbprints), Tags: in.Tags, Created: s.now().UTC().Truncate(time.Millisecond)}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		err := createCounted(ctx, tx, store.Record{Kind: KindOIDCProvider, Account: account, Name: p.URL, Data: encode(p)}, maxOIDCProviders, "OpenIdConnectProvidersPerAccount",
			awserr.EntityAlreadyExists("Provider with url %s already exists.", in.URL))
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// providerByARN validates a provider ARN (the request member named
// member) and loads the provider of kind from account; errNo words the
// NoSuchEntity, name reads the stored provider's name for an exact
// (case-sensitive) match.
func providerByARN[T any](ctx context.Context, r store.Reader, account, arn, member, kind string,
	errNo func(string) error, name func(*T) string) (*T, error) {
	var v awserr.Validation
	checkARNMember(&v, member, arn)
	if err := v.Err(); err != nil {
		return nil, err
	}
	acct, k, n, ok := SplitProviderARN(arn)
	if !ok || k != kind {
		return nil, awserr.InvalidInput("ARN %s is not valid.", arn)
	}
	if acct != account {
		return nil, errNo(arn)
	}
	p, _, err := get[T](ctx, r, kind, account, n)
	if notFound(err) || (err == nil && name(p) != n) {
		return nil, errNo(arn)
	}
	return p, err
}

// oidcByARN validates the ARN and loads the provider.
func oidcByARN(ctx context.Context, r store.Reader, account, arn string) (*OIDCProvider, error) {
	return providerByARN(ctx, r, account, arn, "openIDConnectProviderArn", KindOIDCProvider, errNoOIDC,
		func(p *OIDCProvider) string { return p.URL })
}

// GetOIDCProvider returns the provider named by arn in account.
func (s *Service) GetOIDCProvider(ctx context.Context, account, arn string) (*OIDCProvider, error) {
	var p *OIDCProvider
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		p, err = oidcByARN(ctx, r, account, arn)
		return err
	})
	return p, err
}

// OIDCProviderForIssuer finds the provider of account whose URL equals the
// token issuer iss (scheme stripped, exact match). ok is false when there
// is none.
func (s *Service) OIDCProviderForIssuer(ctx context.Context, account, iss string) (*OIDCProvider, bool, error) {
	name, found := strings.CutPrefix(iss, "https://")
	if !found {
		// Loopback test issuers may be http://; they are still matched by
		// the URL without scheme.
		name, found = strings.CutPrefix(iss, "http://")
		if !found {
			return nil, false, nil
		}
	}
	var p *OIDCProvider
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		p, _, err = get[OIDCProvider](ctx, r, KindOIDCProvider, account, name)
		return err
	})
	if notFound(err) || (err == nil && p.URL != name) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// ListOIDCProviders lists the account's OIDC providers.
func (s *Service) ListOIDCProviders(ctx context.Context, account string) ([]*OIDCProvider, error) {
	return listAll[OIDCProvider](ctx, s.store, store.Filter{Kind: KindOIDCProvider, Account: account})
}

// DeleteOIDCProvider deletes a provider. AWS answers success for an
// unknown provider ARN of a well-formed kind.
func (s *Service) DeleteOIDCProvider(ctx context.Context, account, arn string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := oidcByARN(ctx, tx, account, arn)
		if err != nil {
			return err
		}
		return tx.Delete(ctx, KindOIDCProvider, account, p.URL)
	})
}

// UpdateOIDCProvider loads, changes (fn) and stores a provider in one
// transaction.
func (s *Service) updateOIDC(ctx context.Context, account, arn string, fn func(p *OIDCProvider) error) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := oidcByARN(ctx, tx, account, arn)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return tx.Put(ctx, store.Record{Kind: KindOIDCProvider, Account: account, Name: p.URL, Data: encode(p)})
	})
}

// AddClientIDToOIDCProvider adds an audience (no-op when present).
func (s *Service) AddClientIDToOIDCProvider(ctx context.Context, account, arn, clientID string) error {
	var v awserr.Validation
	if clientID == "" {
		v.AddNull("clientID")
	} else if utf8.RuneCountInString(clientID) > 255 {
		v.Add(clientID, "clientID", "Member must have length less than or equal to 255")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.updateOIDC(ctx, account, arn, func(p *OIDCProvider) error {
		for _, id := range p.ClientIDs {
			if id == clientID {
				return nil
			}
		}
		if len(p.ClientIDs) >= maxClientIDs {
			return awserr.LimitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, clientID)
		return nil
	})
}

// RemoveClientIDFromOIDCProvider removes an audience (no-op when absent).
func (s *Service) RemoveClientIDFromOIDCProvider(ctx context.Context, account, arn, clientID string) error {
	var v awserr.Validation
	if clientID == "" {
		v.AddNull("clientID")
	} else if utf8.RuneCountInString(clientID) > 255 {
		v.Add(clientID, "clientID", "Member must have length less than or equal to 255")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.updateOIDC(ctx, account, arn, func(p *OIDCProvider) error {
		out := p.ClientIDs[:0:0]
		for _, id := range p.ClientIDs {
			if id != clientID {
				out = append(out, id)
			}
		}
		p.ClientIDs = out
		return nil
	})
}

// UpdateOIDCProviderThumbprint replaces the thumbprint list.
func (s *Service) UpdateOIDCProviderThumbprint(ctx context.Context, account, arn string, tps []string) error {
	var v awserr.Validation
	if tps == nil {
		v.AddNull("thumbprintList")
	}
	checkThumbprints(&v, "thumbprintList", tps)
	if err := v.Err(); err != nil {
		return err
	}
	if len(tps) > maxThumbprints {
		return awserr.InvalidInput("Thumbprint list must contain fewer than 5 entries.")
	}
	for _, tp := range tps {
		if !reThumbprint.MatchString(tp) {
			return awserr.InvalidInput("Thumbprint %s is not a valid SHA-1 hex digest.", tp)
		}
	}
	return s.updateOIDC(ctx, account, arn, func(p *OIDCProvider) error {
		p.Thumbprints = dedupe(tps)
		return nil
	})
}

// SetOIDCProviderKeys sets (or, with "", clears) the provider's static
// JWKS: the Hatrack extension for issuers the server cannot reach.
func (s *Service) SetOIDCProviderKeys(ctx context.Context, account, arn, jwks string) error {
	if jwks != "" {
		if len(jwks) > 1<<16 {
			return awserr.InvalidInput("The key set must be at most 65536 characters.")
		}
		if _, err := oidc.ParseKeySet(jwks); err != nil {
			return awserr.InvalidInput("Invalid key set: %v", err)
		}
	}
	return s.updateOIDC(ctx, account, arn, func(p *OIDCProvider) error {
		p.StaticKeys = jwks
		return nil
	})
}

// TagOIDCProvider adds or replaces tags.
func (s *Service) TagOIDCProvider(ctx context.Context, account, arn string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	return s.updateOIDC(ctx, account, arn, func(p *OIDCProvider) error {
		merged := mergeTags(p.Tags, tags)
		if len(merged) > 50 {
			return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
		}
		p.Tags = merged
		return nil
	})
}

// UntagOIDCProvider removes tags by key.
func (s *Service) UntagOIDCProvider(ctx context.Context, account, arn string, keys []string) error {
	return s.updateOIDC(ctx, account, arn, func(p *OIDCProvider) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
}

// CreateSAMLProviderInput is CreateSAMLProvider's request.
type CreateSAMLProviderInput struct {
	Name     string
	Metadata string
	Tags     []Tag
	// AssertionEncryptionMode and AddPrivateKey: nil when absent.
	AssertionEncryptionMode *string
	AddPrivateKey           *string
}

func checkMetadataSize(v *awserr.Validation, doc string) {
	if doc == "" {
		v.AddNull("sAMLMetadataDocument")
		return
	}
	if len(doc) < 1000 {
		v.Add(doc, "sAMLMetadataDocument", "Member must have length greater than or equal to 1000")
	} else if len(doc) > maxSAMLMetadataSize {
		v.Add(doc[:64]+"…", "sAMLMetadataDocument", "Member must have length less than or equal to 10000000")
	}
}

func parseSAMLMetadata(doc string) (*saml.Metadata, error) {
	md, err := saml.ParseMetadata(doc)
	if err != nil {
		var me *saml.MetadataError
		if errors.As(err, &me) && strings.HasPrefix(me.Msg, "Cannot exceed quota") {
			return nil, awserr.LimitExceeded("%s", me.Msg)
		}
		return nil, awserr.InvalidInput("Could not parse metadata")
	}
	return md, nil
}

// CreateSAMLProvider creates a SAML provider from IdP metadata.
func (s *Service) CreateSAMLProvider(ctx context.Context, account string, in CreateSAMLProviderInput) (*SAMLProvider, error) {
	var v awserr.Validation
	if in.Name == "" {
		v.AddNull("name")
	} else {
		if utf8.RuneCountInString(in.Name) > 128 {
			v.Add(in.Name, "name", "Member must have length less than or equal to 128")
		}
		if !reSAMLName.MatchString(in.Name) {
			v.Add(in.Name, "name", `Member must satisfy regular expression pattern: [\w._-]+`)
		}
	}
	checkMetadataSize(&v, in.Metadata)
	checkEncryptionMode(&v, in.AssertionEncryptionMode)
	checkPrivateKeyMember(&v, in.AddPrivateKey)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	md, err := parseSAMLMetadata(in.Metadata)
	if err != nil {
		return nil, err
	}
	required := in.AssertionEncryptionMode != nil && *in.AssertionEncryptionMode == EncryptionRequired
	if required && in.AddPrivateKey == nil {
		return nil, errRequiredWithoutKey()
	}
	var key *rsa.PrivateKey
	if in.AddPrivateKey != nil {
		if key, err = parseSAMLPrivateKey(*in.AddPrivateKey); err != nil {
			return nil, err
		}
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	p := &SAMLProvider{Account: account, Name: in.Name, Metadata: in.Metadata, Certs: md.Certs, EntityID: md.EntityID,
		Tags: in.Tags, Created: now, ValidUntil: validUntil(md, now), UUID: ids.NewRequestID(), EncryptionRequired: required}
	if key != nil {
		if err := s.addSAMLKey(p, key, now); err != nil {
			return nil, err
		}
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		err := createCounted(ctx, tx, store.Record{Kind: KindSAMLProvider, Account: account, Name: p.Name, Data: encode(p)}, maxSAMLProviders, "SAMLProvidersPerAccount",
			awserr.EntityAlreadyExists("SAMLProvider %s already exists", p.Name))
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// validUntil is the metadata's validUntil, else 100 years from now (the
// value IAM shows for metadata without one).
func validUntil(md *saml.Metadata, now time.Time) time.Time {
	if !md.ValidUntil.IsZero() {
		return md.ValidUntil
	}
	return now.AddDate(100, 0, 0)
}

func samlByARN(ctx context.Context, r store.Reader, account, arn string) (*SAMLProvider, error) {
	return providerByARN(ctx, r, account, arn, "sAMLProviderArn", KindSAMLProvider, errNoSAML,
		func(p *SAMLProvider) string { return p.Name })
}

// GetSAMLProvider returns the provider named by arn in account.
func (s *Service) GetSAMLProvider(ctx context.Context, account, arn string) (*SAMLProvider, error) {
	var p *SAMLProvider
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		p, err = samlByARN(ctx, r, account, arn)
		return err
	})
	return p, err
}

// SAMLProviderByARN returns the provider named by a full ARN in any
// account (AssumeRoleWithSAML's PrincipalArn); ok is false when absent.
func (s *Service) SAMLProviderByARN(ctx context.Context, arn string) (*SAMLProvider, bool, error) {
	acct, kind, _, ok := SplitProviderARN(arn)
	if !ok || kind != KindSAMLProvider {
		return nil, false, nil
	}
	p, err := s.GetSAMLProvider(ctx, acct, arn)
	if awserr.HasCode(err, "NoSuchEntity") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return p, true, nil
}

// ListSAMLProviders lists the account's SAML providers.
func (s *Service) ListSAMLProviders(ctx context.Context, account string) ([]*SAMLProvider, error) {
	return listAll[SAMLProvider](ctx, s.store, store.Filter{Kind: KindSAMLProvider, Account: account})
}

func (s *Service) updateSAML(ctx context.Context, account, arn string, fn func(p *SAMLProvider) error) (*SAMLProvider, error) {
	var out *SAMLProvider
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := samlByARN(ctx, tx, account, arn)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		out = p
		return tx.Put(ctx, store.Record{Kind: KindSAMLProvider, Account: account, Name: p.Name, Data: encode(p)})
	})
	return out, err
}

// UpdateSAMLProvider replaces the provider's metadata (an empty metadata
// changes nothing and returns the provider). See
// UpdateSAMLProviderSettings for encryption settings and keys.
func (s *Service) UpdateSAMLProvider(ctx context.Context, account, arn, metadata string) (*SAMLProvider, error) {
	if metadata == "" {
		var v awserr.Validation
		checkARNMember(&v, "sAMLProviderArn", arn)
		if err := v.Err(); err != nil {
			return nil, err
		}
		return s.GetSAMLProvider(ctx, account, arn)
	}
	return s.UpdateSAMLProviderSettings(ctx, account, UpdateSAMLProviderInput{ARN: arn, Metadata: &metadata})
}

// DeleteSAMLProvider deletes a SAML provider.
func (s *Service) DeleteSAMLProvider(ctx context.Context, account, arn string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := samlByARN(ctx, tx, account, arn)
		if err != nil {
			return err
		}
		return tx.Delete(ctx, KindSAMLProvider, account, p.Name)
	})
}

// TagSAMLProvider adds or replaces tags.
func (s *Service) TagSAMLProvider(ctx context.Context, account, arn string, tags []Tag) error {
	if err := checkTags(tags); err != nil {
		return err
	}
	_, err := s.updateSAML(ctx, account, arn, func(p *SAMLProvider) error {
		merged := mergeTags(p.Tags, tags)
		if len(merged) > 50 {
			return awserr.LimitExceeded("Cannot exceed quota for TagsPerResource: 50")
		}
		p.Tags = merged
		return nil
	})
	return err
}

// UntagSAMLProvider removes tags by key.
func (s *Service) UntagSAMLProvider(ctx context.Context, account, arn string, keys []string) error {
	_, err := s.updateSAML(ctx, account, arn, func(p *SAMLProvider) error {
		p.Tags = removeTags(p.Tags, keys)
		return nil
	})
	return err
}
