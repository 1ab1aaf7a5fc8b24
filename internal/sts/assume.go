package sts

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/policy"
)

// RequestInfo is what the transport knows about a request, for condition
// keys.
type RequestInfo struct {
	SourceIP  string
	UserAgent string
	Region    string
	Secure    bool
	Time      time.Time
}

// AssumeRoleInput is AssumeRole's request. Set flags tell members that were
// sent from members that were not.
type AssumeRoleInput struct {
	RoleArn           string
	RoleSessionName   string
	PolicyArns        []string
	Policy            string
	PolicySet         bool
	DurationSeconds   int64 // 0 = not sent
	DurationSet       bool
	Tags              []token.Tag
	TransitiveTagKeys []string
	ExternalID        string
	ExternalIDSet     bool
	SerialNumber      string
	TokenCode         string
	SourceIdentity    string
	SourceIdentitySet bool
}

// AssumeRoleOutput is AssumeRole's result.
type AssumeRoleOutput struct {
	Issued
	PackedPolicySize *int
	SourceIdentity   string
}

// Messages of AssumeRole's own AccessDenied answers.
const (
	MsgRootAssume = "Roles may not be assumed by root accounts."
	MsgMFAInvalid = "MultiFactorAuthentication failed with invalid MFA one time pass code."
	MsgMFAPair    = "MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code."
)

// AssumeRole makes the trust decision for caller and issues a role
// session (sts-api.md §3, sessions.md, evaluation.md §5).
func (s *Service) AssumeRole(ctx context.Context, c *authn.Caller, in *AssumeRoleInput, ri RequestInfo) (*AssumeRoleOutput, error) {
	// 1. Root credentials never assume roles.
	if c.IsRoot() {
		return nil, awserr.AccessDenied(MsgRootAssume)
	}
	if err := authz.Restrict(c, "sts:AssumeRole"); err != nil {
		return nil, err
	}
	// 2. Members.
	if err := validateAssumeRole(in); err != nil {
		return nil, err
	}
	chained := c.Session != nil && c.Session.Type == token.AssumedRole

	// 3. The role (a missing one is denied like an untrusting one).
	role, trust, err := s.role(ctx, in.RoleArn)
	if err != nil {
		return nil, err
	}
	// 4. Duration.
	var dur time.Duration
	if role != nil {
		if dur, err = CheckDuration(in.DurationSeconds, role.MaxSessionDuration, chained); err != nil {
			return nil, err
		}
	}

	// Inherited from the calling session: transitive tags, source identity,
	// MFA.
	var inherited []token.Tag
	var inheritedKeys []string
	sourceIdentity := ""
	mfa, mfaTime := false, time.Time{}
	if cs := c.Session; cs != nil {
		inherited, inheritedKeys = transitiveTags(cs)
		sourceIdentity = cs.SourceIdentity
		mfa, mfaTime = cs.MFAAuthenticated, cs.MFAAuthTime
	}
	if in.SourceIdentitySet {
		if strings.HasPrefix(strings.ToLower(in.SourceIdentity), "aws:") {
			return nil, awserr.ValidationError("SourceIdentity cannot start with 'aws:'.")
		}
		if sourceIdentity != "" && sourceIdentity != in.SourceIdentity {
			return nil, awserr.AccessDenied("User: %s is not authorized to perform: sts:SetSourceIdentity on resource: %s because the source identity of the calling session cannot be changed", c.ARN, in.RoleArn)
		}
		sourceIdentity = in.SourceIdentity
	}
	if err := CheckTags(in.Tags, in.TransitiveTagKeys, inherited); err != nil {
		return nil, err
	}

	// 6. MFA (checked before the trust decision, whose conditions see it).
	mfaNow := false
	if in.SerialNumber != "" || in.TokenCode != "" {
		if in.SerialNumber == "" || in.TokenCode == "" {
			return nil, awserr.AccessDenied(MsgMFAPair)
		}
		at, err := s.verifyMFA(ctx, c, in.SerialNumber, in.TokenCode)
		if err != nil {
			return nil, err
		}
		mfa, mfaTime, mfaNow = true, at, true
	}

	// 5. Trust decision: sts:AssumeRole, then sts:TagSession and
	// sts:SetSourceIdentity when the session carries tags or a source
	// identity.
	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 || len(inherited) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	t := &authz.Trust{Caller: c, RoleARN: in.RoleArn, Policy: trust, Actions: actions,
		SourceIP: ri.SourceIP, UserAgent: ri.UserAgent, Region: ri.Region, Secure: ri.Secure, Time: ri.Time}
	if role != nil {
		t.RoleAccount = role.Account
	} else if a := arnAccount(in.RoleArn); a != "" {
		t.RoleAccount = a
	}
	t.Extra = func(pc *policy.Context) {
		pc.Set("sts:RoleSessionName", in.RoleSessionName)
		if in.ExternalIDSet {
			pc.Set("sts:ExternalId", in.ExternalID)
		}
		if in.SourceIdentitySet {
			pc.Set("sts:SourceIdentity", in.SourceIdentity)
		}
		if len(in.TransitiveTagKeys) > 0 {
			pc.Set("sts:TransitiveTagKeys", in.TransitiveTagKeys...)
		}
		if len(in.Tags) > 0 {
			keys := make([]string, len(in.Tags))
			for i, tg := range in.Tags {
				keys[i] = tg.Key
				pc.Set("aws:RequestTag/"+tg.Key, tg.Value)
			}
			pc.Set("aws:TagKeys", keys...)
		}
		if role != nil {
			for k, v := range resourceTags(role, inherited) {
				pc.Set("aws:ResourceTag/"+k, v)
				pc.Set("iam:ResourceTag/"+k, v)
			}
		}
		if mfaNow {
			pc.SetBool("aws:MultiFactorAuthPresent", true)
			pc.SetInt("aws:MultiFactorAuthAge", 0)
		}
	}
	if err := s.cfg.Authz.AuthorizeTrust(ctx, t); err != nil {
		return nil, err
	}
	if role == nil {
		// Unreachable: a missing role trusts nobody.
		return nil, awserr.AccessDenied("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.ARN, in.RoleArn)
	}

	// 7–9. Session policies, tags, packed size.
	tags := append(append([]token.Tag(nil), inherited...), in.Tags...)
	packed, err := s.SessionPolicies(ctx, in.Policy, in.PolicySet, in.PolicyArns, tags)
	if err != nil {
		return nil, err
	}
	transitive := append(append([]string(nil), inheritedKeys...), in.TransitiveTagKeys...)

	// 11. Issue.
	iss, err := s.IssueRoleSession(ctx, &RoleSession{
		Role: role, SessionName: in.RoleSessionName, Duration: dur,
		SessionPolicy: in.Policy, PolicyARNs: in.PolicyArns,
		Tags: tags, TransitiveTagKeys: transitive, SourceIdentity: sourceIdentity,
		MFA: mfa, MFATime: mfaTime, SourceARN: c.ARN, SourceID: c.UniqueID, Chained: chained,
	})
	if err != nil {
		return nil, err
	}
	out := &AssumeRoleOutput{Issued: *iss, SourceIdentity: sourceIdentity}
	if in.PolicySet || len(in.PolicyArns) > 0 || len(tags) > 0 {
		out.PackedPolicySize = &packed
	}
	return out, nil
}

// verifyMFA checks a code against the caller's own virtual MFA device.
// The device must belong to the calling user (or root); role and
// federated sessions own no devices.
func (s *Service) verifyMFA(ctx context.Context, c *authn.Caller, serial, code string) (time.Time, error) {
	var owner string
	switch c.Type {
	case authn.TypeUser:
		owner = c.UniqueID
	case authn.TypeRoot:
		owner = ""
	default:
		return time.Time{}, awserr.AccessDenied(MsgMFAInvalid)
	}
	at, err := s.cfg.IAM.VerifyMFA(ctx, c.Account, owner, serial, code)
	if errors.Is(err, iam.ErrInvalidMFACode) {
		return time.Time{}, awserr.AccessDenied(MsgMFAInvalid)
	}
	return at, err
}

func validateAssumeRole(in *AssumeRoleInput) error {
	var v awserr.Validation
	if in.RoleArn == "" {
		v.AddNull("roleArn")
	} else {
		checkLen(&v, in.RoleArn, "roleArn", 20, 2048)
	}
	CheckSessionName(&v, in.RoleSessionName)
	if in.DurationSet {
		checkDurationMember(&v, in.DurationSeconds, maxRoleDuration)
	}
	if in.ExternalIDSet {
		checkLen(&v, in.ExternalID, "externalId", 2, 1224)
		checkPattern(&v, in.ExternalID, "externalId", reExternalID, patExternalID)
	}
	if in.SerialNumber != "" {
		checkLen(&v, in.SerialNumber, "serialNumber", 9, 256)
		checkPattern(&v, in.SerialNumber, "serialNumber", reSerial, patSerial)
	}
	if in.TokenCode != "" {
		checkLen(&v, in.TokenCode, "tokenCode", 6, 6)
		checkPattern(&v, in.TokenCode, "tokenCode", reTokenCode, patTokenCode)
	}
	if in.SourceIdentitySet {
		CheckSourceIdentity(&v, in.SourceIdentity)
	}
	return v.Err()
}

// transitiveTags returns the calling session's tags that pass to the next
// hop, and their keys.
func transitiveTags(cs *token.Claims) ([]token.Tag, []string) {
	if len(cs.TransitiveTagKeys) == 0 {
		return nil, nil
	}
	var out []token.Tag
	for _, t := range cs.Tags {
		for _, k := range cs.TransitiveTagKeys {
			if strings.EqualFold(k, t.Key) {
				out = append(out, t)
				break
			}
		}
	}
	return out, cs.TransitiveTagKeys
}

// resourceTags are the target role's tags as the trust policy sees them:
// inherited transitive tag values replace role tags of the same key
// (sessions.md §2).
func resourceTags(r *iam.Role, inherited []token.Tag) map[string]string {
	if len(r.Tags) == 0 {
		return nil
	}
	m := make(map[string]string, len(r.Tags))
	for _, t := range r.Tags {
		v := t.Value
		for _, it := range inherited {
			if strings.EqualFold(it.Key, t.Key) {
				v = it.Value
			}
		}
		m[t.Key] = v
	}
	return m
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && len(parts[4]) == 12 {
		if _, err := strconv.ParseUint(parts[4], 10, 64); err == nil {
			return parts[4]
		}
	}
	return ""
}
