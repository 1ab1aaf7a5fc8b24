package api

import (
	"context"

	"github.com/hatrack/hatrack/internal/iam"
)

// IAM OpenID Connect and SAML identity providers on the wire.

type xmlOIDCProvider struct {
	Url            string
	ClientIDList   []string `xml:"ClientIDList>member"`
	ThumbprintList []string `xml:"ThumbprintList>member"`
	CreateDate     Timestamp
	Tags           []xmlTag `xml:"Tags>member"`
}

type xmlArn struct{ Arn string }

type xmlSAMLListEntry struct {
	Arn        string
	ValidUntil Timestamp
	CreateDate Timestamp
}

// xmlSAMLPrivateKey is a SAMLPrivateKey: the key's id and upload time,
// never the key.
type xmlSAMLPrivateKey struct {
	KeyId     string
	Timestamp Timestamp
}

// optStr is a member's value, nil when the request does not carry it.
func optStr(c *Call, name string) *string {
	if !c.has(name) {
		return nil
	}
	v := c.str(name)
	return &v
}

type xmlTagList struct {
	Tags        []xmlTag `xml:"Tags>member"`
	IsTruncated bool
}

func providerARNParam(name string) func(c *Call) string {
	return func(c *Call) string {
		if v := c.str(name); v != "" {
			return v
		}
		return "*"
	}
}

func oidcCreateARN(c *Call) string {
	u := c.str("Url")
	for _, scheme := range []string{"https://", "http://"} {
		if len(u) > len(scheme) && u[:len(scheme)] == scheme {
			u = u[len(scheme):]
			break
		}
	}
	return "arn:aws:iam::" + c.Account() + ":oidc-provider/" + u
}

// iamProviderOps are the provider operations; allowLoopback accepts
// http:// loopback OIDC issuers (the server's test option).
func iamProviderOps(svc *iam.Service, allowLoopback bool) []*Op {
	oidcRes := providerARNParam("OpenIDConnectProviderArn")
	samlRes := providerARNParam("SAMLProviderArn")
	return []*Op{
		{Service: "iam", Name: "CreateOpenIDConnectProvider", Mutates: true, Resource: oidcCreateARN,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				ids, err := c.strList("ClientIDList")
				if err != nil {
					return nil, err
				}
				tps, err := c.strList("ThumbprintList")
				if err != nil {
					return nil, err
				}
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				p, err := svc.CreateOIDCProvider(ctx, c.Account(), iam.CreateOIDCProviderInput{
					URL: c.str("Url"), ClientIDs: ids, Thumbprints: tps, Tags: tags, AllowLoopbackHTTP: allowLoopback})
				if err != nil {
					return nil, err
				}
				return &struct {
					OpenIDConnectProviderArn string
					Tags                     []xmlTag `xml:"Tags>member,omitempty" json:",omitempty"`
				}{p.ARN(), toXMLTags(p.Tags)}, nil
			}},
		{Service: "iam", Name: "GetOpenIDConnectProvider", Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"))
				if err != nil {
					return nil, err
				}
				return &xmlOIDCProvider{Url: p.URL, ClientIDList: append([]string{}, p.ClientIDs...),
					ThumbprintList: append([]string{}, p.Thumbprints...), CreateDate: TS(p.Created),
					Tags: append([]xmlTag{}, toXMLTags(p.Tags)...)}, nil
			}},
		{Service: "iam", Name: "ListOpenIDConnectProviders",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				ps, err := svc.ListOIDCProviders(ctx, c.Account())
				if err != nil {
					return nil, err
				}
				out := &struct {
					OpenIDConnectProviderList []xmlArn `xml:"OpenIDConnectProviderList>member"`
				}{OpenIDConnectProviderList: []xmlArn{}}
				for _, p := range ps {
					out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, xmlArn{p.ARN()})
				}
				return out, nil
			}},
		{Service: "iam", Name: "DeleteOpenIDConnectProvider", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"))
			}},
		{Service: "iam", Name: "AddClientIDToOpenIDConnectProvider", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.AddClientIDToOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"), c.str("ClientID"))
			}},
		{Service: "iam", Name: "RemoveClientIDFromOpenIDConnectProvider", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.RemoveClientIDFromOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"), c.str("ClientID"))
			}},
		{Service: "iam", Name: "UpdateOpenIDConnectProviderThumbprint", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tps, present, err := c.Params.List("ThumbprintList")
				if err != nil {
					return nil, err
				}
				if !present {
					tps = nil
				} else if tps == nil {
					tps = []string{}
				}
				return nil, svc.UpdateOIDCProviderThumbprint(ctx, c.Account(), c.str("OpenIDConnectProviderArn"), tps)
			}},
		// SetOpenIDConnectProviderKeys is a Hatrack extension (not an AWS
		// operation): it stores a JWKS document (member Keys) that verifies
		// the provider's tokens instead of the keys fetched from the issuer,
		// for closed networks. An empty Keys clears it. Authorized as
		// iam:SetOpenIDConnectProviderKeys on the provider ARN.
		{Service: "iam", Name: "SetOpenIDConnectProviderKeys", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.SetOIDCProviderKeys(ctx, c.Account(), c.str("OpenIDConnectProviderArn"), c.str("Keys"))
			}},
		{Service: "iam", Name: "TagOpenIDConnectProvider", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				if tags == nil {
					tags = []iam.Tag{}
				}
				return nil, svc.TagOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"), tags)
			}},
		{Service: "iam", Name: "UntagOpenIDConnectProvider", Mutates: true, Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				keys, err := c.strList("TagKeys")
				if err != nil {
					return nil, err
				}
				return nil, svc.UntagOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"), keys)
			}},
		{Service: "iam", Name: "ListOpenIDConnectProviderTags", Resource: oidcRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetOIDCProvider(ctx, c.Account(), c.str("OpenIDConnectProviderArn"))
				if err != nil {
					return nil, err
				}
				return &xmlTagList{Tags: append([]xmlTag{}, toXMLTags(p.Tags)...)}, nil
			}},

		{Service: "iam", Name: "CreateSAMLProvider", Mutates: true,
			Resource: func(c *Call) string { return "arn:aws:iam::" + c.Account() + ":saml-provider/" + c.str("Name") },
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				p, err := svc.CreateSAMLProvider(ctx, c.Account(), iam.CreateSAMLProviderInput{
					Name: c.str("Name"), Metadata: c.str("SAMLMetadataDocument"), Tags: tags,
					AssertionEncryptionMode: optStr(c, "AssertionEncryptionMode"), AddPrivateKey: optStr(c, "AddPrivateKey")})
				if err != nil {
					return nil, err
				}
				return &struct {
					SAMLProviderArn string
					Tags            []xmlTag `xml:"Tags>member,omitempty" json:",omitempty"`
				}{p.ARN(), toXMLTags(p.Tags)}, nil
			}},
		{Service: "iam", Name: "GetSAMLProvider", Resource: samlRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetSAMLProvider(ctx, c.Account(), c.str("SAMLProviderArn"))
				if err != nil {
					return nil, err
				}
				keys := []xmlSAMLPrivateKey{}
				for _, k := range p.PrivateKeys {
					keys = append(keys, xmlSAMLPrivateKey{KeyId: k.KeyID, Timestamp: TS(k.Uploaded)})
				}
				return &struct {
					SAMLProviderUUID        string
					SAMLMetadataDocument    string
					CreateDate              Timestamp
					ValidUntil              Timestamp
					Tags                    []xmlTag `xml:"Tags>member"`
					AssertionEncryptionMode string
					PrivateKeyList          []xmlSAMLPrivateKey `xml:"PrivateKeyList>member"`
				}{p.UUID, p.Metadata, TS(p.Created), TS(p.ValidUntil), append([]xmlTag{}, toXMLTags(p.Tags)...), p.EncryptionMode(), keys}, nil
			}},
		{Service: "iam", Name: "ListSAMLProviders",
			Handle: func(ctx context.Context, c *Call) (any, error) {
				ps, err := svc.ListSAMLProviders(ctx, c.Account())
				if err != nil {
					return nil, err
				}
				out := &struct {
					SAMLProviderList []xmlSAMLListEntry `xml:"SAMLProviderList>member"`
				}{SAMLProviderList: []xmlSAMLListEntry{}}
				for _, p := range ps {
					out.SAMLProviderList = append(out.SAMLProviderList, xmlSAMLListEntry{p.ARN(), TS(p.ValidUntil), TS(p.Created)})
				}
				return out, nil
			}},
		{Service: "iam", Name: "UpdateSAMLProvider", Mutates: true, Resource: samlRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.UpdateSAMLProviderSettings(ctx, c.Account(), iam.UpdateSAMLProviderInput{
					ARN: c.str("SAMLProviderArn"), Metadata: optStr(c, "SAMLMetadataDocument"),
					AssertionEncryptionMode: optStr(c, "AssertionEncryptionMode"),
					AddPrivateKey:           optStr(c, "AddPrivateKey"), RemovePrivateKey: optStr(c, "RemovePrivateKey")})
				if err != nil {
					return nil, err
				}
				return &struct{ SAMLProviderArn string }{p.ARN()}, nil
			}},
		{Service: "iam", Name: "DeleteSAMLProvider", Mutates: true, Resource: samlRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				return nil, svc.DeleteSAMLProvider(ctx, c.Account(), c.str("SAMLProviderArn"))
			}},
		{Service: "iam", Name: "TagSAMLProvider", Mutates: true, Resource: samlRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				tags, err := c.tags("Tags")
				if err != nil {
					return nil, err
				}
				return nil, svc.TagSAMLProvider(ctx, c.Account(), c.str("SAMLProviderArn"), tags)
			}},
		{Service: "iam", Name: "UntagSAMLProvider", Mutates: true, Resource: samlRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				keys, err := c.strList("TagKeys")
				if err != nil {
					return nil, err
				}
				return nil, svc.UntagSAMLProvider(ctx, c.Account(), c.str("SAMLProviderArn"), keys)
			}},
		{Service: "iam", Name: "ListSAMLProviderTags", Resource: samlRes,
			Handle: func(ctx context.Context, c *Call) (any, error) {
				p, err := svc.GetSAMLProvider(ctx, c.Account(), c.str("SAMLProviderArn"))
				if err != nil {
					return nil, err
				}
				return &xmlTagList{Tags: append([]xmlTag{}, toXMLTags(p.Tags)...)}, nil
			}},
	}
}
