package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/hatrack/hatrack/internal/authz"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/federation/oidc"
	"github.com/hatrack/hatrack/internal/federation/saml"
	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/internal/sts"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// TrustAuthorizer makes role-trust decisions (authz.Authorizer).
type TrustAuthorizer interface {
	AuthorizeTrust(ctx context.Context, t *authz.Trust) error
}

// Federation is what the federated sign-ins (AssumeRoleWithWebIdentity,
// AssumeRoleWithSAML, Roles Anywhere CreateSession) need.
type Federation struct {
	IAM   *iam.Service
	STS   *sts.Service
	Trust TrustAuthorizer
	// Keys fetches OIDC issuers' signing keys.
	Keys *oidc.KeySource
	Now  func() time.Time
}

func (f *Federation) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

// fedRole loads a role and its compiled trust policy; a missing role (or
// one whose trust no longer parses) is (nil, nil).
func (f *Federation) fedRole(ctx context.Context, arn string) (*iam.Role, *policy.Policy, error) {
	r, err := f.IAM.RoleByARN(ctx, arn)
	if errors.Is(err, store.ErrNotFound) || awserr.HasCode(err, "NoSuchEntity") {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	p, perr := policy.Parse(r.TrustPolicy, policy.Trust)
	if perr != nil {
		return nil, nil, nil
	}
	return r, p.WithID(r.ARN() + "#trust"), nil
}

// roleAccount is the account field of a role ARN ("" if malformed).
func roleAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || len(parts[4]) != 12 || !strings.HasPrefix(parts[5], "role/") {
		return ""
	}
	return parts[4]
}

// fedCommon holds what both unsigned assumptions read from the request.
type fedCommon struct {
	roleARN     string
	duration    int64
	policyDoc   string
	policySet   bool
	policyARNs  []string
	sessionName string
}

func readFedCommon(c *Call, v *awserr.Validation, withSessionName bool) (*fedCommon, error) {
	fc := &fedCommon{roleARN: c.str("RoleArn"), policyDoc: c.str("Policy"), policySet: c.has("Policy")}
	if fc.roleARN == "" {
		v.AddNull("roleArn")
	} else if len(fc.roleARN) < 20 || len(fc.roleARN) > 2048 {
		v.Add(fc.roleARN, "roleArn", "Member must have length between 20 and 2048")
	}
	if withSessionName {
		fc.sessionName = c.str("RoleSessionName")
		sts.CheckSessionName(v, fc.sessionName)
	}
	d, ok, err := c.intParam("DurationSeconds", "durationSeconds")
	if err != nil {
		return nil, err
	}
	if ok {
		if d < 900 {
			v.Add(strconv.FormatInt(d, 10), "durationSeconds", "Member must have value greater than or equal to 900")
		} else if d > 43200 {
			v.Add(strconv.FormatInt(d, 10), "durationSeconds", "Member must have value less than or equal to 43200")
		}
		fc.duration = d
	}
	structs, _, err := c.Params.Structs("PolicyArns")
	if err != nil {
		return nil, err
	}
	for _, s := range structs {
		fc.policyARNs = append(fc.policyARNs, s.Get("arn"))
	}
	return fc, nil
}

// notAuthorized is the denial both unsigned assumptions answer, whatever
// refused (AWS does not say which).
func notAuthorized(action string) error {
	return awserr.AccessDenied("Not authorized to perform %s", action)
}

// assume runs the trust decision and issues the session.
func (f *Federation) assume(ctx context.Context, c *Call, fc *fedCommon, principal *policy.Principal, action string,
	tags []token.Tag, transitive []string, sourceIdentity string, keys func(pc *policy.Context), extra map[string]string,
	capAt time.Time) (*sts.Issued, int, error) {
	role, trust, err := f.fedRole(ctx, fc.roleARN)
	if err != nil {
		return nil, 0, err
	}
	if len(tags) > 0 || len(transitive) > 0 {
		if err := sts.CheckTags(tags, transitive, nil); err != nil {
			return nil, 0, err
		}
	}
	if sourceIdentity != "" {
		var v awserr.Validation
		sts.CheckSourceIdentity(&v, sourceIdentity)
		if err := v.Err(); err != nil {
			return nil, 0, err
		}
	}
	actions := []string{action}
	if len(tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if sourceIdentity != "" {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	t := &authz.Trust{Principal: principal, RoleARN: fc.roleARN, RoleAccount: roleAccount(fc.roleARN), Policy: trust,
		Actions: actions, SourceIP: c.SourceIP, UserAgent: c.UserAgent, Region: c.Region, Secure: c.HTTP != nil && c.HTTP.TLS != nil,
		Time: c.Time, Extra: func(pc *policy.Context) {
			pc.Set("sts:RoleSessionName", fc.sessionName)
			if sourceIdentity != "" {
				pc.Set("sts:SourceIdentity", sourceIdentity)
			}
			if len(tags) > 0 {
				keysList := make([]string, 0, len(tags))
				for _, tg := range tags {
					pc.Set("aws:RequestTag/"+tg.Key, tg.Value)
					keysList = append(keysList, tg.Key)
				}
				pc.Set("aws:TagKeys", keysList...)
			}
			if len(transitive) > 0 {
				pc.Set("sts:TransitiveTagKeys", transitive...)
			}
			if keys != nil {
				keys(pc)
			}
		}}
	if err := f.Trust.AuthorizeTrust(ctx, t); err != nil {
		if awserr.HasCode(err, "AccessDenied") {
			return nil, 0, notAuthorized(action)
		}
		return nil, 0, err
	}
	if role == nil {
		return nil, 0, notAuthorized(action)
	}
	dur, err := sts.CheckDuration(fc.duration, role.MaxSessionDuration, false)
	if err != nil {
		return nil, 0, err
	}
	if !capAt.IsZero() {
		if left := capAt.Sub(f.now()); left < dur {
			dur = left
		}
		if dur <= 0 {
			return nil, 0, awserr.New(http.StatusBadRequest, "ExpiredTokenException", "Token expired")
		}
	}
	packed, err := f.STS.SessionPolicies(ctx, fc.policyDoc, fc.policySet, fc.policyARNs, tags)
	if err != nil {
		return nil, 0, err
	}
	iss, err := f.STS.IssueRoleSession(ctx, &sts.RoleSession{Role: role, SessionName: fc.sessionName, Duration: dur,
		SessionPolicy: fc.policyDoc, PolicyARNs: fc.policyARNs, Tags: tags, TransitiveTagKeys: transitive,
		SourceIdentity: sourceIdentity, Extra: extra})
	if err != nil {
		return nil, 0, err
	}
	if fc.policySet || len(fc.policyARNs) > 0 || len(tags) > 0 {
		return iss, packed, nil
	}
	return iss, -1, nil
}

type xmlFedCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      Timestamp
}

type xmlAssumedRoleUser struct {
	Arn           string
	AssumedRoleId string
}

func fedCreds(i *sts.Issued) (xmlFedCredentials, xmlAssumedRoleUser) {
	return xmlFedCredentials{i.Credentials.AccessKeyID, i.Credentials.SecretAccessKey, i.Credentials.SessionToken, TS(i.Credentials.Expiration)},
		xmlAssumedRoleUser{i.AssumedRoleUser.Arn, i.AssumedRoleUser.AssumedRoleId}
}

func packedPtr(n int) *int {
	if n < 0 {
		return nil
	}
	return &n
}

func federationOps(f *Federation) []*Op {
	return []*Op{
		{Service: "sts", Name: "AssumeRoleWithWebIdentity", Unsigned: true, NoAuthz: true,
			Handle: func(ctx context.Context, c *Call) (any, error) { return f.webIdentity(ctx, c) }},
		{Service: "sts", Name: "AssumeRoleWithSAML", Unsigned: true, NoAuthz: true,
			Handle: func(ctx context.Context, c *Call) (any, error) { return f.samlAssume(ctx, c) }},
	}
}

const actionWebIdentity = "sts:AssumeRoleWithWebIdentity"

func (f *Federation) webIdentity(ctx context.Context, c *Call) (any, error) {
	var v awserr.Validation
	fc, err := readFedCommon(c, &v, true)
	if err != nil {
		return nil, err
	}
	raw := c.str("WebIdentityToken")
	if raw == "" {
		v.AddNull("webIdentityToken")
	} else if len(raw) < 4 || len(raw) > oidc.MaxTokenChars {
		v.Add("***", "webIdentityToken", "Member must have length between 4 and 20000")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if c.has("ProviderId") {
		// OAuth 2.0 access tokens of www.amazon.com / graph.facebook.com
		// need those providers' token-info services, which a closed
		// deployment cannot call.
		return nil, awserr.New(http.StatusForbidden, "IDPRejectedClaim", "ProviderId %s is not supported; send an OpenID Connect ID token without ProviderId", c.str("ProviderId"))
	}
	tok, err := oidc.Parse(raw)
	if err != nil {
		return nil, err
	}
	account := roleAccount(fc.roleARN)
	if account == "" {
		return nil, notAuthorized(actionWebIdentity)
	}
	prov, ok, err := f.IAM.OIDCProviderForIssuer(ctx, account, tok.Issuer)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, oidc.InvalidToken("No OpenIDConnect provider found in your account for %s", tok.Issuer)
	}
	var set *jose.JSONWebKeySet
	if prov.StaticKeys != "" {
		if set, err = oidc.ParseKeySet(prov.StaticKeys); err != nil {
			return nil, oidc.InvalidToken("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
		}
	} else if set, err = f.Keys.Keys(ctx, tok.Issuer, tok.KeyID); err != nil {
		return nil, err
	}
	payload, err := tok.VerifySignature(set)
	if err != nil {
		return nil, err
	}
	claims, err := oidc.ParseClaims(payload, tok.Issuer, f.now())
	if err != nil {
		return nil, err
	}
	aud, ok := claims.MatchAudience(prov.ClientIDs)
	if !ok {
		return nil, oidc.InvalidToken("Incorrect token audience")
	}
	name := prov.URL
	var tags []token.Tag
	for _, t := range claims.Tags {
		tags = append(tags, token.Tag{Key: t[0], Value: t[1]})
	}
	principal := &policy.Principal{Type: policy.WebIdentity, Provider: prov.ARN()}
	extra := map[string]string{name + ":sub": claims.Subject, name + ":aud": aud, "aws:FederatedProvider": prov.ARN()}
	if len(claims.AMR) > 0 {
		extra[name+":amr"] = strings.Join(claims.AMR, ",")
	}
	keys := func(pc *policy.Context) {
		pc.Set(name+":aud", aud)
		pc.Set(name+":sub", claims.Subject)
		if claims.AZP != "" {
			pc.Set(name+":azp", claims.AZP)
			if len(claims.Audience) > 0 {
				pc.Set(name+":oaud", claims.Audience...)
			}
		}
		if len(claims.AMR) > 0 {
			pc.Set(name+":amr", claims.AMR...)
		}
		pc.Set("aws:FederatedProvider", prov.ARN())
	}
	iss, packed, err := f.assume(ctx, c, fc, principal, actionWebIdentity, tags, claims.TransitiveTag, claims.SourceIdentity, keys, extra, time.Time{})
	if err != nil {
		return nil, err
	}
	cr, aru := fedCreds(iss)
	return &struct {
		Credentials                 xmlFedCredentials
		SubjectFromWebIdentityToken string
		AssumedRoleUser             xmlAssumedRoleUser
		PackedPolicySize            *int `xml:",omitempty" json:",omitempty"`
		Provider                    string
		Audience                    string
		SourceIdentity              string `xml:",omitempty" json:",omitempty"`
	}{cr, claims.Subject, aru, packedPtr(packed), tok.Issuer, aud, claims.SourceIdentity}, nil
}

const actionSAML = "sts:AssumeRoleWithSAML"

func (f *Federation) samlAssume(ctx context.Context, c *Call) (any, error) {
	var v awserr.Validation
	fc, err := readFedCommon(c, &v, false)
	if err != nil {
		return nil, err
	}
	principalARN := c.str("PrincipalArn")
	if principalARN == "" {
		v.AddNull("principalArn")
	} else if len(principalARN) < 20 || len(principalARN) > 2048 {
		v.Add(principalARN, "principalArn", "Member must have length between 20 and 2048")
	}
	assertion := c.str("SAMLAssertion")
	if assertion == "" {
		v.AddNull("sAMLAssertion")
	} else if len(assertion) < 4 || len(assertion) > saml.MaxAssertionChars {
		v.Add("***", "sAMLAssertion", "Member must have length between 4 and 100000")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	prov, ok, err := f.IAM.SAMLProviderByARN(ctx, principalARN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, awserr.New(http.StatusBadRequest, "InvalidIdentityToken", "Specified provider doesn't exist")
	}
	dec, err := f.IAM.SAMLDecryption(prov)
	if err != nil {
		return nil, err
	}
	a, err := saml.VerifyEncrypted(assertion, prov.Certificates(), f.now(), dec)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(fc.roleARN, principalARN) {
		return nil, notAuthorized(actionSAML)
	}
	fc.sessionName = a.RoleSessionName()
	if fc.sessionName == "" {
		return nil, awserr.New(http.StatusBadRequest, "InvalidIdentityToken", "Missing RoleSessionName attribute in the SAML assertion")
	}
	var sv awserr.Validation
	sts.CheckSessionName(&sv, fc.sessionName)
	if err := sv.Err(); err != nil {
		return nil, awserr.New(http.StatusBadRequest, "InvalidIdentityToken", "Invalid RoleSessionName attribute in the SAML assertion")
	}
	capAt := a.SessionNotOnOrAfter
	if s, ok := a.SessionDuration(); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 900 || n > 43200 {
			return nil, awserr.New(http.StatusBadRequest, "InvalidIdentityToken", "Invalid SessionDuration attribute in the SAML assertion")
		}
		if fc.duration == 0 || int64(n) < fc.duration {
			if t := f.now().Add(time.Duration(n) * time.Second); capAt.IsZero() || t.Before(capAt) {
				capAt = t
			}
		}
	}
	var tags []token.Tag
	for _, t := range a.PrincipalTags() {
		tags = append(tags, token.Tag{Key: t[0], Value: t[1]})
	}
	qualifier := saml.NameQualifier(a.Issuer, prov.Account, prov.Name)
	subType := a.SubjectType
	principal := &policy.Principal{Type: policy.SAML, Provider: principalARN}
	extra := map[string]string{"saml:sub": a.Subject, "saml:sub_type": subType, "saml:namequalifier": qualifier,
		"saml:aud": a.Recipient, "aws:FederatedProvider": principalARN}
	keys := func(pc *policy.Context) {
		pc.Set("saml:aud", a.Recipient)
		pc.Set("saml:iss", a.Issuer)
		pc.Set("saml:sub", a.Subject)
		pc.Set("saml:sub_type", subType)
		pc.Set("saml:namequalifier", qualifier)
		pc.Set("saml:doc", prov.Account+"/"+prov.Name)
		for name, vals := range a.Attributes {
			// Only short attribute names become saml:<name> keys (URIs and
			// OIDs such as the AWS attributes do not).
			if strings.Contains(name, "://") || strings.HasPrefix(name, "urn:") {
				continue
			}
			pc.Set("saml:"+name, vals...)
		}
		pc.Set("aws:FederatedProvider", principalARN)
	}
	iss, packed, err := f.assume(ctx, c, fc, principal, actionSAML, tags, a.TransitiveTagKeys(), a.SourceIdentity(), keys, extra, capAt)
	if err != nil {
		return nil, err
	}
	cr, aru := fedCreds(iss)
	return &struct {
		Credentials      xmlFedCredentials
		AssumedRoleUser  xmlAssumedRoleUser
		PackedPolicySize *int `xml:",omitempty" json:",omitempty"`
		Subject          string
		SubjectType      string
		Issuer           string
		Audience         string
		NameQualifier    string
		SourceIdentity   string `xml:",omitempty" json:",omitempty"`
	}{cr, aru, packedPtr(packed), a.Subject, subType, a.Issuer, a.Recipient, qualifier, a.SourceIdentity()}, nil
}
