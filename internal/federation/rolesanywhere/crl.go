package rolesanywhere

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// KindCRL is the record kind of certificate revocation lists (named by id,
// per account, with Parent "trust-anchor/<anchor id>").
const KindCRL = "ra-crl"

// Limits of the service model.
const (
	maxCRLData     = 300000
	maxTags        = 200
	defaultCRLPage = 50
)

// CRL is an imported certificate revocation list, tied to the trust anchor
// whose CA signed it.
type CRL struct {
	CrlID          string
	ARN            string
	Name           string
	Enabled        bool
	CrlData        []byte // as imported (PEM or DER)
	TrustAnchorARN string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Account        string
	Tags           []Tag
}

// crlRecord is a CRL as stored: the list as imported plus what CreateSession
// needs to check revocation without parsing it again (the CRL issuer's raw
// distinguished name and the revoked serial numbers, in decimal).
type crlRecord struct {
	CrlID          string    `json:"crlId"`
	ARN            string    `json:"crlArn"`
	Name           string    `json:"name"`
	Enabled        bool      `json:"enabled"`
	CrlData        []byte    `json:"crlData"`
	TrustAnchorARN string    `json:"trustAnchorArn"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
	Account        string    `json:"account"`
	Tags           []Tag     `json:"tags,omitempty"`
	Issuer         []byte    `json:"issuer"`
	Revoked        []string  `json:"revoked"`
}

func (r *crlRecord) out() *CRL {
	return &CRL{CrlID: r.CrlID, ARN: r.ARN, Name: r.Name, Enabled: r.Enabled, CrlData: append([]byte(nil), r.CrlData...),
		TrustAnchorARN: r.TrustAnchorARN, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Account: r.Account,
		Tags: append([]Tag(nil), r.Tags...)}
}

// ParseCRL parses a certificate revocation list given as PEM ("X509 CRL"
// block) or DER, with the standard library.
func ParseCRL(data []byte) (*x509.RevocationList, error) {
	der := data
	if t := bytes.TrimSpace(data); bytes.HasPrefix(t, []byte("-----BEGIN")) {
		der = nil
		rest := t
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type == "X509 CRL" || b.Type == "CRL" {
				der = b.Bytes
				break
			}
		}
		if der == nil {
			return nil, errors.New("no X509 CRL PEM block")
		}
	}
	return x509.ParseRevocationList(der)
}

// CheckCRL checks that rl is signed by one of the trust anchor's CA
// certificates and returns that certificate.
func CheckCRL(rl *x509.RevocationList, anchors []*x509.Certificate) (*x509.Certificate, error) {
	var last error = errors.New("no CA certificate")
	for _, ca := range anchors {
		err := rl.CheckSignatureFrom(ca)
		if err == nil {
			return ca, nil
		}
		last = err
	}
	return nil, last
}

// validateCRL parses data and checks it against the anchor's bundle,
// answering the service's validation errors.
func validateCRL(data []byte, anchor *TrustAnchor) (*crlRecord, error) {
	if len(data) == 0 || len(data) > maxCRLData {
		return nil, validation("1 validation error detected: Value at 'crlData' failed to satisfy constraint: Member must have length between 1 and %d", maxCRLData)
	}
	rl, err := ParseCRL(data)
	if err != nil {
		return nil, validation("Invalid certificate revocation list (CRL): crlData must be an X.509 v2 CRL in PEM or DER format")
	}
	if _, err := CheckCRL(rl, anchor.Certificates()); err != nil {
		return nil, validation("Invalid certificate revocation list (CRL): the CRL is not signed by a CA certificate of trust anchor %s", anchor.ARN)
	}
	rec := &crlRecord{CrlData: append([]byte(nil), data...), Issuer: append([]byte(nil), rl.RawIssuer...), Revoked: []string{}}
	for _, e := range rl.RevokedCertificateEntries {
		if e.SerialNumber != nil {
			rec.Revoked = append(rec.Revoked, e.SerialNumber.String())
		}
	}
	return rec, nil
}

var (
	reCrlID      = regexp.MustCompile(`^[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}$`)
	reAnchorARN  = regexp.MustCompile(`^arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:trust-anchor.*)$`)
	reTagKeyVal  = regexp.MustCompile(`^[ a-zA-Z0-9_.:/=+@-]*$`)
	errCrlAnchor = "Invalid trust anchor ARN: trust anchor not found"
)

// CheckCrlID validates a crlId path parameter.
func CheckCrlID(id string) error {
	if len(id) != 36 {
		return validation("1 validation error detected: Value '%s' at 'crlId' failed to satisfy constraint: Member must have length less than or equal to 36 and greater than or equal to 36", id)
	}
	if !reCrlID.MatchString(id) {
		return validation("1 validation error detected: Value '%s' at 'crlId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}", id)
	}
	return nil
}

func checkTags(tags []Tag) error {
	if len(tags) > maxTags {
		return validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to %d", maxTags)
	}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || !reTagKeyVal.MatchString(t.Key) {
			return validation("1 validation error detected: Value at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128 and satisfy regular expression pattern: [ a-zA-Z0-9_.:/=+@-]*")
		}
		if len(t.Value) > 256 || !reTagKeyVal.MatchString(t.Value) {
			return validation("1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256 and satisfy regular expression pattern: [ a-zA-Z0-9_.:/=+@-]*")
		}
	}
	return nil
}

// CRLInput is ImportCrl's request (crlData already base64-decoded).
type CRLInput struct {
	Name           string
	CrlData        []byte
	Enabled        bool
	Tags           []Tag
	TrustAnchorARN string
}

// anchorInTx loads the trust anchor a CRL names, which must belong to the
// caller's account.
func (s *Service) anchorInTx(ctx context.Context, r store.Reader, account, anchorARN string) (*TrustAnchor, error) {
	acct, kind, id, ok := splitARN(anchorARN)
	if !ok || kind != "trust-anchor" || acct != account {
		return nil, validation("%s", errCrlAnchor)
	}
	rec, err := r.Get(ctx, KindTrustAnchor, account, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, validation("%s", errCrlAnchor)
	}
	if err != nil {
		return nil, err
	}
	var t storedAnchor
	if err := json.Unmarshal(rec.Data, &t); err != nil {
		return nil, err
	}
	if t.ARN != anchorARN {
		return nil, validation("%s", errCrlAnchor)
	}
	return s.anchorOut(&t), nil
}

func crlParent(anchorID string) string { return "trust-anchor/" + anchorID }

func anchorIDOf(anchorARN string) string {
	_, _, id, _ := splitARN(anchorARN)
	return id
}

func crlStoreRecord(r *crlRecord) store.Record {
	return store.Record{Kind: KindCRL, Account: r.Account, Name: r.CrlID, ID: "crl-" + r.CrlID,
		Parent: crlParent(anchorIDOf(r.TrustAnchorARN)), Data: mustJSON(r)}
}

// ImportCRL validates a CRL against its trust anchor's CA certificates and
// stores it, in one transaction.
func (s *Service) ImportCRL(ctx context.Context, account, region string, in CRLInput) (*CRL, error) {
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if len(in.TrustAnchorARN) < 1 || len(in.TrustAnchorARN) > 1011 || !reAnchorARN.MatchString(in.TrustAnchorARN) {
		return nil, validation("1 validation error detected: Value '%s' at 'trustAnchorArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:trust-anchor.*)", in.TrustAnchorARN)
	}
	if err := checkCreateTags(in.Tags); err != nil {
		return nil, err
	}
	if len(in.CrlData) == 0 || len(in.CrlData) > maxCRLData {
		return nil, validation("1 validation error detected: Value at 'crlData' failed to satisfy constraint: Member must have length between 1 and %d", maxCRLData)
	}
	id := ids.NewRequestID()
	now := s.now()
	var out *CRL
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		anchor, err := s.anchorInTx(ctx, tx, account, in.TrustAnchorARN)
		if err != nil {
			return err
		}
		rec, err := validateCRL(in.CrlData, anchor)
		if err != nil {
			return err
		}
		rec.CrlID, rec.ARN, rec.Name, rec.Enabled = id, arn(region, account, "crl", id), in.Name, in.Enabled
		rec.TrustAnchorARN, rec.CreatedAt, rec.UpdatedAt, rec.Account = anchor.ARN, now, now, account
		rec.Tags = append([]Tag(nil), in.Tags...)
		if err := tx.Create(ctx, crlStoreRecord(rec)); err != nil {
			return err
		}
		out = rec.out()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func getCRL(ctx context.Context, r store.Reader, account, id string) (*crlRecord, error) {
	if err := CheckCrlID(id); err != nil {
		return nil, err
	}
	rec, err := r.Get(ctx, KindCRL, account, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	if err != nil {
		return nil, err
	}
	var c crlRecord
	if err := json.Unmarshal(rec.Data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// GetCRL loads one CRL of account.
func (s *Service) GetCRL(ctx context.Context, account, id string) (*CRL, error) {
	var out *CRL
	err := s.Store.View(ctx, func(r store.Reader) error {
		c, err := getCRL(ctx, r, account, id)
		if err != nil {
			return err
		}
		out = c.out()
		return nil
	})
	return out, err
}

// ListCRLs lists the account's CRLs, pageSize at a time (0: the default),
// from the opaque nextToken a previous page returned ("" = the first page).
func (s *Service) ListCRLs(ctx context.Context, account string, pageSize int, nextToken string) ([]*CRL, string, error) {
	if pageSize < 0 {
		return nil, "", validation("pageSize must be a positive integer")
	}
	if pageSize == 0 {
		pageSize = defaultCRLPage
	}
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || CheckCrlID(string(b)) != nil {
			return nil, "", validation("Invalid nextToken")
		}
		after = string(b)
	}
	var out []*CRL
	next := ""
	err := s.Store.View(ctx, func(r store.Reader) error {
		recs, err := r.List(ctx, store.Filter{Kind: KindCRL, Account: account, After: after, Limit: pageSize + 1})
		if err != nil {
			return err
		}
		if len(recs) > pageSize {
			recs = recs[:pageSize]
			next = base64.RawURLEncoding.EncodeToString([]byte(recs[len(recs)-1].Name))
		}
		for _, rec := range recs {
			var c crlRecord
			if err := json.Unmarshal(rec.Data, &c); err != nil {
				return err
			}
			out = append(out, c.out())
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// CRLUpdate is UpdateCrl's request: nil fields are left unchanged.
type CRLUpdate struct {
	Name    *string
	CrlData []byte // nil: unchanged
	Enabled *bool
}

// UpdateCRL changes a CRL in one transaction: new CRL data is validated
// against the trust anchor's CA certificates as on import.
func (s *Service) UpdateCRL(ctx context.Context, account, id string, u CRLUpdate) (*CRL, error) {
	if u.Name != nil {
		if err := checkName(*u.Name); err != nil {
			return nil, err
		}
	}
	var out *CRL
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		c, err := getCRL(ctx, tx, account, id)
		if err != nil {
			return err
		}
		if u.Name != nil {
			c.Name = *u.Name
		}
		if u.CrlData != nil {
			anchor, err := s.anchorInTx(ctx, tx, account, c.TrustAnchorARN)
			if err != nil {
				return err
			}
			nr, err := validateCRL(u.CrlData, anchor)
			if err != nil {
				return err
			}
			c.CrlData, c.Issuer, c.Revoked = nr.CrlData, nr.Issuer, nr.Revoked
		}
		if u.Enabled != nil {
			c.Enabled = *u.Enabled
		}
		c.UpdatedAt = s.now()
		if err := tx.Put(ctx, crlStoreRecord(c)); err != nil {
			return err
		}
		out = c.out()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCRL deletes a CRL and returns it.
func (s *Service) DeleteCRL(ctx context.Context, account, id string) (*CRL, error) {
	var out *CRL
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		c, err := getCRL(ctx, tx, account, id)
		if err != nil {
			return err
		}
		if err := tx.Delete(ctx, KindCRL, account, id); err != nil {
			return err
		}
		out = c.out()
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Resource not found")
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// revocationSet is what the enabled CRLs of one trust anchor revoke: serial
// numbers (decimal) per CRL issuer (raw distinguished name).
type revocationSet map[string]map[string]bool

func (rs revocationSet) add(issuer []byte, serials []string) {
	m := rs[string(issuer)]
	if m == nil {
		m = map[string]bool{}
		rs[string(issuer)] = m
	}
	for _, s := range serials {
		m[s] = true
	}
}

// revoked reports whether c is listed by a CRL of c's issuer (serial
// numbers are unique per issuer, RFC 5280 §4.1.2.2).
func (rs revocationSet) revoked(c *x509.Certificate) bool {
	return rs[string(c.RawIssuer)][c.SerialNumber.String()]
}

// RevocationSet builds the revocation set of CRLs (parsed lists), for
// callers that hold CRLs rather than stored records.
func RevocationSet(crls ...*x509.RevocationList) func(*x509.Certificate) bool {
	rs := revocationSet{}
	for _, rl := range crls {
		serials := make([]string, 0, len(rl.RevokedCertificateEntries))
		for _, e := range rl.RevokedCertificateEntries {
			if e.SerialNumber != nil {
				serials = append(serials, e.SerialNumber.String())
			}
		}
		rs.add(rl.RawIssuer, serials)
	}
	return rs.revoked
}

// RevokedError is CheckRevoked's refusal: Cert (the client certificate or
// an intermediate CA certificate of its chain) is listed by an enabled CRL.
// Its message is safe to show the client.
type RevokedError struct{ Cert *x509.Certificate }

func (e *RevokedError) Error() string {
	what := "certificate"
	if e.Cert.IsCA {
		what = "intermediate CA certificate"
	}
	return fmt.Sprintf("Certificate revoked: the %s with serial number %s is listed in an enabled certificate revocation list (CRL) of the trust anchor",
		what, e.Cert.SerialNumber.String())
}

// CheckRevoked returns a *RevokedError when every verified chain (leaf
// first, anchor CA certificate last, as x509.Certificate.Verify returns
// them) holds a certificate, other than the trust anchor's own CA
// certificate, that isRevoked lists.
func CheckRevoked(chains [][]*x509.Certificate, isRevoked func(*x509.Certificate) bool) error {
	var first *x509.Certificate
	for _, chain := range chains {
		var bad *x509.Certificate
		for i, c := range chain {
			if i == len(chain)-1 && len(chain) > 1 {
				break // the anchor's CA certificate itself
			}
			if isRevoked(c) {
				bad = c
				break
			}
		}
		if bad == nil {
			return nil
		}
		if first == nil {
			first = bad
		}
	}
	if first == nil {
		return nil
	}
	return &RevokedError{Cert: first}
}

// AnchorRevocations loads the enabled CRLs of a trust anchor and returns
// their revocation check.
func (s *Service) AnchorRevocations(ctx context.Context, anchor *TrustAnchor) (func(*x509.Certificate) bool, error) {
	rs := revocationSet{}
	err := s.Store.View(ctx, func(r store.Reader) error {
		recs, err := r.List(ctx, store.Filter{Kind: KindCRL, Account: anchor.Account, Parent: crlParent(anchor.TrustAnchorID)})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			var c crlRecord
			if err := json.Unmarshal(rec.Data, &c); err != nil {
				return err
			}
			if c.Enabled && c.TrustAnchorARN == anchor.ARN {
				rs.add(c.Issuer, c.Revoked)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rs.revoked, nil
}
