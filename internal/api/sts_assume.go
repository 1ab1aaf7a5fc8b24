package api

import (
	"context"

	"github.com/hatrack/hatrack/internal/sts"
	"github.com/hatrack/hatrack/internal/token"
	"github.com/hatrack/hatrack/policy"
)

// STS session operations on the wire (sts-api.md §3, §6, §7, §10).

type xmlCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      Timestamp
}

func toXMLCredentials(c *sts.Credentials) xmlCredentials {
	return xmlCredentials{AccessKeyId: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: TS(c.Expiration)}
}

type stsAssumedRoleUser struct {
	Arn           string
	AssumedRoleId string
}

type assumeRoleResult struct {
	Credentials      xmlCredentials
	AssumedRoleUser  stsAssumedRoleUser
	PackedPolicySize *int   `xml:",omitempty" json:",omitempty"`
	SourceIdentity   string `xml:",omitempty" json:",omitempty"`
}

func (c *Call) requestInfo() sts.RequestInfo {
	return sts.RequestInfo{SourceIP: c.SourceIP, UserAgent: c.UserAgent, Region: c.Region,
		Secure: c.HTTP != nil && c.HTTP.TLS != nil, Time: c.Time}
}

// sessionTags reads Tags.member.N.Key/Value as session tags.
func (c *Call) sessionTags() ([]token.Tag, error) {
	structs, _, err := c.Params.Structs("Tags")
	if err != nil {
		return nil, err
	}
	out := make([]token.Tag, 0, len(structs))
	for _, s := range structs {
		out = append(out, token.Tag{Key: s.Get("Key"), Value: s.Get("Value")})
	}
	return out, nil
}

// policyArns reads PolicyArns.member.N.arn.
func (c *Call) policyArns() ([]string, error) {
	structs, _, err := c.Params.Structs("PolicyArns")
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(structs))
	for _, s := range structs {
		out = append(out, s.Get("arn"))
	}
	return out, nil
}

func stsSessionOps(svc *sts.Service) []*Op {
	return []*Op{
		// AssumeRole makes its own trust decision (internal/sts + authz).
		{Service: "sts", Name: "AssumeRole", NoAuthz: true,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				in := &sts.AssumeRoleInput{RoleArn: c.str("RoleArn"), RoleSessionName: c.str("RoleSessionName"),
					Policy: c.str("Policy"), PolicySet: c.has("Policy"),
					ExternalID: c.str("ExternalId"), ExternalIDSet: c.has("ExternalId"),
					SerialNumber: c.str("SerialNumber"), TokenCode: c.str("TokenCode"),
					SourceIdentity: c.str("SourceIdentity"), SourceIdentitySet: c.has("SourceIdentity")}
				var err error
				if in.DurationSeconds, in.DurationSet, err = c.intParam("DurationSeconds", "durationSeconds"); err != nil {
					return nil, err
				}
				if in.PolicyArns, err = c.policyArns(); err != nil {
					return nil, err
				}
				if in.Tags, err = c.sessionTags(); err != nil {
					return nil, err
				}
				if in.TransitiveTagKeys, err = c.strList("TransitiveTagKeys"); err != nil {
					return nil, err
				}
				out, err := svc.AssumeRole(ctx, c.Caller, in, c.requestInfo())
				if err != nil {
					return nil, err
				}
				return &assumeRoleResult{Credentials: toXMLCredentials(&out.Credentials),
					AssumedRoleUser:  stsAssumedRoleUser{out.AssumedRoleUser.Arn, out.AssumedRoleUser.AssumedRoleId},
					PackedPolicySize: out.PackedPolicySize, SourceIdentity: out.SourceIdentity}, nil
			}},
		// GetSessionToken cannot be controlled by policy (evaluation.md §8).
		{Service: "sts", Name: "GetSessionToken", NoAuthz: true,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				in := &sts.GetSessionTokenInput{SerialNumber: c.str("SerialNumber"), TokenCode: c.str("TokenCode")}
				var err error
				if in.DurationSeconds, in.DurationSet, err = c.intParam("DurationSeconds", "durationSeconds"); err != nil {
					return nil, err
				}
				creds, err := svc.GetSessionToken(ctx, c.Caller, in)
				if err != nil {
					return nil, err
				}
				return &struct{ Credentials xmlCredentials }{toXMLCredentials(creds)}, nil
			}},
		{Service: "sts", Name: "GetFederationToken",
			Resource: func(c *Call) string { return sts.FederatedUserARN(c.Account(), c.str("Name")) },
			Context: func(c *Call, pc *policy.Context) {
				tags, _ := c.sessionTags()
				if len(tags) == 0 {
					return
				}
				keys := make([]string, len(tags))
				for i, t := range tags {
					keys[i] = t.Key
					pc.Set("aws:RequestTag/"+t.Key, t.Value)
				}
				pc.Set("aws:TagKeys", keys...)
			},
			Handle: func(ctx context.Context, c *Call) (any, error) {
				in := &sts.GetFederationTokenInput{Name: c.str("Name"), Policy: c.str("Policy"), PolicySet: c.has("Policy")}
				var err error
				if in.DurationSeconds, in.DurationSet, err = c.intParam("DurationSeconds", "durationSeconds"); err != nil {
					return nil, err
				}
				if in.PolicyArns, err = c.policyArns(); err != nil {
					return nil, err
				}
				if in.Tags, err = c.sessionTags(); err != nil {
					return nil, err
				}
				out, err := svc.GetFederationToken(ctx, c.Caller, in)
				if err != nil {
					return nil, err
				}
				return &struct {
					Credentials      xmlCredentials
					FederatedUser    struct{ FederatedUserId, Arn string }
					PackedPolicySize *int `xml:",omitempty" json:",omitempty"`
				}{toXMLCredentials(&out.Credentials), struct{ FederatedUserId, Arn string }{out.FederatedUser.FederatedUserId, out.FederatedUser.Arn}, out.PackedPolicySize}, nil
			}},
		{Service: "sts", Name: "DecodeAuthorizationMessage",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				msg, err := svc.DecodeAuthorizationMessage(ctx, c.Caller, c.str("EncodedMessage"))
				if err != nil {
					return nil, err
				}
				return &struct{ DecodedMessage string }{msg}, nil
			}},
	}
}
