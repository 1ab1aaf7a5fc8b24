package sts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Config assembles a Service.
type Config struct {
	IAM   *iam.Service
	Authz *authz.Authorizer
	// Keyring seals session tokens and authorization messages.
	Keyring *keyring.Keyring
	// Deployment binds tokens to this deployment.
	Deployment string
	// Node names the issuing node (informational, in the token).
	Node string
	Now  func() time.Time
}

// Service is the STS domain. It is safe for concurrent use.
type Service struct {
	cfg Config

	mu sync.RWMutex
	// roles caches roles by lower-cased ARN and trust policies by role
	// id; both are dropped from the change log (Invalidate).
	roles map[string]*cachedRole
	gen   uint64
}

type cachedRole struct {
	role  *iam.Role // nil: no such role (negative entry)
	trust *policy.Policy
}

// New returns the STS domain.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, roles: make(map[string]*cachedRole)}
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// Invalidate drops cached roles that a committed change may have made
// stale (any role change of the account).
func (s *Service) Invalidate(c store.Change) {
	if c.Kind != iam.KindRole && c.Kind != iam.KindAccount && c.Account != "" {
		return
	}
	s.mu.Lock()
	s.gen++
	for k, e := range s.roles {
		if c.Account == "" || e.role == nil || e.role.Account == c.Account {
			delete(s.roles, k)
		}
	}
	s.mu.Unlock()
}

// Flush drops every cached role.
func (s *Service) Flush() {
	s.mu.Lock()
	s.gen++
	s.roles = make(map[string]*cachedRole)
	s.mu.Unlock()
}

// role resolves a role ARN with its compiled trust policy. A missing role
// is (nil, nil, nil).
func (s *Service) role(ctx context.Context, arn string) (*iam.Role, *policy.Policy, error) {
	key := strings.ToLower(arn)
	s.mu.RLock()
	e, gen := s.roles[key], s.gen
	s.mu.RUnlock()
	if e != nil {
		return e.role, e.trust, nil
	}
	r, err := s.cfg.IAM.RoleByARN(ctx, arn)
	if errors.Is(err, store.ErrNotFound) {
		r, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	e = &cachedRole{role: r}
	if r != nil {
		// A stored trust policy that no longer parses trusts nobody.
		if p, perr := policy.Parse(r.TrustPolicy, policy.Trust); perr == nil {
			e.trust = p.WithID(r.ARN() + "#trust")
		}
		if e.trust == nil {
			e.role = nil
		}
	}
	s.mu.Lock()
	if s.gen == gen && len(s.roles) < 100_000 {
		s.roles[key] = e
	}
	s.mu.Unlock()
	return e.role, e.trust, nil
}

// Credentials are temporary security credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Expiration      time.Time
}

// AssumedRoleUser identifies a role session.
type AssumedRoleUser struct {
	Arn           string
	AssumedRoleId string
}

// RoleSession is everything a role session is made of, after the trust
// decision.
type RoleSession struct {
	Role        *iam.Role
	SessionName string
	Duration    time.Duration
	// SessionPolicy is the inline session policy as sent; PolicyARNs the
	// managed session policies.
	SessionPolicy string
	PolicyARNs    []string
	// Tags are the session tags (inherited transitive tags first, then the
	// passed ones); TransitiveTagKeys the keys that pass to the next hop.
	Tags              []token.Tag
	TransitiveTagKeys []string
	SourceIdentity    string
	MFA               bool
	MFATime           time.Time
	// Source is the calling principal (ARN and unique id); empty for
	// federation.
	SourceARN, SourceID string
	Chained             bool
	Extra               map[string]string
}

// Issued is a minted role session.
type Issued struct {
	Credentials     Credentials
	AssumedRoleUser AssumedRoleUser
	IssuedAt        time.Time
}

// IssueRoleSession mints credentials for a role session whose inputs have
// been validated and whose trust decision was made.
func (s *Service) IssueRoleSession(ctx context.Context, in *RoleSession) (*Issued, error) {
	r := in.Role
	now := s.now().UTC()
	cl := &token.Claims{
		Type:              token.AssumedRole,
		Account:           r.Account,
		PrincipalARN:      r.ARN(),
		PrincipalID:       r.ID,
		RoleName:          r.Name,
		RolePath:          r.Path,
		SessionName:       in.SessionName,
		SourceARN:         in.SourceARN,
		SourceID:          in.SourceID,
		SessionPolicy:     in.SessionPolicy,
		SessionPolicyARNs: in.PolicyARNs,
		Tags:              in.Tags,
		TransitiveTagKeys: in.TransitiveTagKeys,
		SourceIdentity:    in.SourceIdentity,
		MFAAuthenticated:  in.MFA,
		MFAAuthTime:       in.MFATime,
		IssuedAt:          now,
		Expires:           now.Add(in.Duration),
		Chained:           in.Chained,
		Extra:             in.Extra,
	}
	creds, err := s.mint(cl)
	if err != nil {
		return nil, err
	}
	return &Issued{Credentials: *creds, IssuedAt: now, AssumedRoleUser: AssumedRoleUser{
		Arn:           "arn:" + iam.Partition + ":sts::" + r.Account + ":assumed-role/" + r.Name + "/" + in.SessionName,
		AssumedRoleId: r.ID + ":" + in.SessionName,
	}}, nil
}

// mint fills the credential fields of cl and seals it.
func (s *Service) mint(cl *token.Claims) (*Credentials, error) {
	id, err := ids.NewAccessKeyID("ASIA", cl.Account)
	if err != nil {
		return nil, err
	}
	cl.AccessKeyID = id
	cl.SecretAccessKey = ids.NewSecretAccessKey()
	cl.Deployment = s.cfg.Deployment
	cl.IssuerNode = s.cfg.Node
	// Expiration is reported to the second, as AWS does; the session ends
	// exactly then.
	cl.Expires = cl.Expires.Truncate(time.Second)
	tok, err := token.Mint(s.cfg.Keyring, cl)
	if err != nil {
		return nil, err
	}
	return &Credentials{AccessKeyID: id, SecretAccessKey: cl.SecretAccessKey, SessionToken: tok, Expiration: cl.Expires}, nil
}
