package sts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/token"
)

// Default and cap durations of GetSessionToken / GetFederationToken
// (sessions.md §1).
const (
	defaultTokenDuration = 43200 * time.Second
	rootTokenCap         = time.Hour
)

// GetSessionTokenInput is GetSessionToken's request.
type GetSessionTokenInput struct {
	DurationSeconds int64
	DurationSet     bool
	SerialNumber    string
	TokenCode       string
}

// GetSessionToken issues a session of the calling IAM user or root, with
// MFA when a device code is given. Only long-term credentials may call it.
func (s *Service) GetSessionToken(ctx context.Context, c *authn.Caller, in *GetSessionTokenInput) (*Credentials, error) {
	if c.Session != nil {
		return nil, awserr.AccessDenied("Cannot call GetSessionToken with session credentials")
	}
	var v awserr.Validation
	if in.DurationSet {
		checkDurationMember(&v, in.DurationSeconds, maxTokenDuration)
	}
	if in.SerialNumber != "" {
		checkLen(&v, in.SerialNumber, "serialNumber", 9, 256)
		checkPattern(&v, in.SerialNumber, "serialNumber", reSerial, patSerial)
	}
	if in.TokenCode != "" {
		checkLen(&v, in.TokenCode, "tokenCode", 6, 6)
		checkPattern(&v, in.TokenCode, "tokenCode", reTokenCode, patTokenCode)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	dur := tokenDuration(in.DurationSeconds, c.IsRoot())
	cl := &token.Claims{Type: token.SessionToken, Account: c.Account, PrincipalARN: c.ARN, PrincipalID: c.UniqueID,
		SourceARN: c.ARN, SourceID: c.UniqueID}
	if in.SerialNumber != "" || in.TokenCode != "" {
		if in.SerialNumber == "" || in.TokenCode == "" {
			return nil, awserr.AccessDenied(MsgMFAPair)
		}
		at, err := s.verifyMFA(ctx, c, in.SerialNumber, in.TokenCode)
		if err != nil {
			return nil, err
		}
		cl.MFAAuthenticated, cl.MFAAuthTime = true, at.UTC()
	}
	now := s.now().UTC()
	cl.IssuedAt, cl.Expires = now, now.Add(dur)
	return s.mint(cl)
}

func tokenDuration(requested int64, root bool) time.Duration {
	d := defaultTokenDuration
	if requested != 0 {
		d = time.Duration(requested) * time.Second
	}
	if root && d > rootTokenCap {
		d = rootTokenCap // silently reduced for root (sessions.md §1)
	}
	return d
}

// GetFederationTokenInput is GetFederationToken's request.
type GetFederationTokenInput struct {
	Name            string
	Policy          string
	PolicySet       bool
	PolicyArns      []string
	DurationSeconds int64
	DurationSet     bool
	Tags            []token.Tag
}

// FederatedUser identifies a federated-user session.
type FederatedUser struct {
	FederatedUserId string
	Arn             string
}

// GetFederationTokenOutput is GetFederationToken's result.
type GetFederationTokenOutput struct {
	Credentials      Credentials
	FederatedUser    FederatedUser
	PackedPolicySize *int
}

// FederatedUserARN is the ARN of a federated user (the resource that
// sts:GetFederationToken is authorized on).
func FederatedUserARN(account, name string) string {
	return "arn:" + iam.Partition + ":sts::" + account + ":federated-user/" + name
}

// GetFederationToken issues a federated-user session for the calling IAM
// user: its permissions are the user's identity policies intersected with
// the session policies passed here (none passed: none at all). The caller
// was authorized for sts:GetFederationToken by the dispatcher.
func (s *Service) GetFederationToken(ctx context.Context, c *authn.Caller, in *GetFederationTokenInput) (*GetFederationTokenOutput, error) {
	if c.Session != nil {
		return nil, awserr.AccessDenied("Cannot call GetFederationToken with session credentials")
	}
	var v awserr.Validation
	if in.Name == "" {
		v.AddNull("name")
	} else {
		checkLen(&v, in.Name, "name", 2, 32)
		checkPattern(&v, in.Name, "name", reSessionName, patSessionName)
	}
	if in.DurationSet {
		checkDurationMember(&v, in.DurationSeconds, maxTokenDuration)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := CheckTags(in.Tags, nil, nil); err != nil {
		return nil, err
	}
	// The user's tags, overridden by session tags of the same key.
	var tags []token.Tag
	if c.Type == authn.TypeUser {
		u, err := s.cfg.IAM.UserByID(ctx, c.UniqueID)
		if err == nil {
			for _, t := range u.Tags {
				overridden := false
				for _, st := range in.Tags {
					if strings.EqualFold(st.Key, t.Key) {
						overridden = true
					}
				}
				if !overridden {
					tags = append(tags, token.Tag{Key: t.Key, Value: t.Value})
				}
			}
		}
	}
	tags = append(tags, in.Tags...)
	packed, err := s.SessionPolicies(ctx, in.Policy, in.PolicySet, in.PolicyArns, in.Tags)
	if err != nil {
		return nil, err
	}
	dur := tokenDuration(in.DurationSeconds, c.IsRoot())
	now := s.now().UTC()
	fedARN := FederatedUserARN(c.Account, in.Name)
	cl := &token.Claims{Type: token.FederatedUser, Account: c.Account, PrincipalARN: fedARN, PrincipalID: c.UniqueID,
		FederatedName: in.Name, SourceARN: c.ARN, SourceID: c.UniqueID,
		SessionPolicy: in.Policy, SessionPolicyARNs: in.PolicyArns, Tags: tags,
		IssuedAt: now, Expires: now.Add(dur)}
	creds, err := s.mint(cl)
	if err != nil {
		return nil, err
	}
	out := &GetFederationTokenOutput{Credentials: *creds,
		FederatedUser: FederatedUser{FederatedUserId: c.Account + ":" + in.Name, Arn: fedARN}}
	if in.PolicySet || len(in.PolicyArns) > 0 || len(in.Tags) > 0 {
		out.PackedPolicySize = &packed
	}
	return out, nil
}

// Authorization messages: an encoded message is the JSON decision sealed
// under the keyring (purpose "authorization-message"), base64url without
// padding. Only this deployment's keys open it.
const purposeAuthzMessage = "authorization-message"

// EncodeAuthorizationMessage seals a decoded message for a client to pass
// to DecodeAuthorizationMessage.
func (s *Service) EncodeAuthorizationMessage(msg *AuthorizationMessage) (string, error) {
	b, err := json.Marshal(msg)
	if err != nil {
		return "", err
	}
	sealed, err := s.cfg.Keyring.Seal(purposeAuthzMessage, b, []byte(s.cfg.Deployment))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// AuthorizationMessage is the decoded form (sts-api.md §10).
type AuthorizationMessage struct {
	Allowed           bool       `json:"allowed"`
	ExplicitDeny      bool       `json:"explicitDeny"`
	MatchedStatements items[any] `json:"matchedStatements"`
	Failures          items[any] `json:"failures"`
	Context           struct {
		Principal struct {
			ID   string `json:"id"`
			Name string `json:"name,omitempty"`
			ARN  string `json:"arn"`
		} `json:"principal"`
		Action     string               `json:"action"`
		Resource   string               `json:"resource"`
		Conditions items[ConditionItem] `json:"conditions"`
	} `json:"context"`
}

type items[T any] struct {
	Items []T `json:"items"`
}

// ConditionItem is one context key of an authorization message.
type ConditionItem struct {
	Key    string `json:"key"`
	Values struct {
		Items []struct {
			Value string `json:"value"`
		} `json:"items"`
	} `json:"values"`
}

// NewAuthorizationMessage builds a message for a decision.
func NewAuthorizationMessage(c *authn.Caller, action, resource string, allowed, explicitDeny bool, keys map[string][]string) *AuthorizationMessage {
	m := &AuthorizationMessage{Allowed: allowed, ExplicitDeny: explicitDeny}
	m.MatchedStatements.Items = []any{}
	m.Failures.Items = []any{}
	m.Context.Principal.ID, m.Context.Principal.ARN = c.UserID, c.ARN
	m.Context.Principal.Name = c.UserName
	m.Context.Action, m.Context.Resource = action, resource
	m.Context.Conditions.Items = []ConditionItem{}
	for k, vs := range keys {
		var ci ConditionItem
		ci.Key = k
		for _, v := range vs {
			ci.Values.Items = append(ci.Values.Items, struct {
				Value string `json:"value"`
			}{v})
		}
		m.Context.Conditions.Items = append(m.Context.Conditions.Items, ci)
	}
	return m
}

// DecodeAuthorizationMessage opens an encoded message. The caller was
// authorized for sts:DecodeAuthorizationMessage by the dispatcher.
func (s *Service) DecodeAuthorizationMessage(ctx context.Context, c *authn.Caller, encoded string) (string, error) {
	var v awserr.Validation
	if encoded == "" {
		v.AddNull("encodedMessage")
	} else {
		checkLen(&v, encoded, "encodedMessage", 1, 10240)
	}
	if err := v.Err(); err != nil {
		return "", err
	}
	invalid := awserr.New(http.StatusBadRequest, "InvalidAuthorizationMessageException", "Message is not valid.")
	if strings.ContainsAny(encoded, "\r\n") {
		return "", invalid // the decoder would skip line breaks; AWS refuses them
	}
	raw, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil {
		return "", invalid
	}
	b, err := s.cfg.Keyring.Open(purposeAuthzMessage, raw, []byte(s.cfg.Deployment))
	if err != nil || !json.Valid(b) {
		return "", invalid
	}
	return string(b), nil
}
