package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/beevik/etree"

	"github.com/hatrack/hatrack/internal/federation/saml"
	"github.com/hatrack/hatrack/internal/federation/saml/samltest"
)

func samlTrust(providerARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + providerARN +
		`"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`
}

// Scenario 17: SAML 2.0 with a test IdP whose assertions the test signs.
func TestFedSAML(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	idp, err := samltest.New("https://idp.example.com/saml/metadata", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	evil, _ := samltest.New("https://idp.example.com/saml/metadata", time.Now())
	c := iamClient(s, rootCreds)

	// Provider CRUD.
	_, err = c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"), SAMLMetadataDocument: aws.String(strings.Repeat("x", 1500))})
	apiErr(t, err, "InvalidInput", 400, "Could not parse metadata")
	p := must(c.CreateSAMLProvider(ctx, &iam.CreateSAMLProviderInput{Name: aws.String("Okta"), SAMLMetadataDocument: aws.String(idp.Metadata())}))
	provARN := aws.ToString(p.SAMLProviderArn)
	if provARN != "arn:aws:iam::"+accountA+":saml-provider/Okta" {
		t.Fatalf("ARN %s", provARN)
	}
	g := must(c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String(provARN)}))
	if aws.ToString(g.SAMLMetadataDocument) != idp.Metadata() || g.ValidUntil == nil || g.CreateDate == nil {
		t.Fatalf("get %+v", g)
	}
	l := must(c.ListSAMLProviders(ctx, &iam.ListSAMLProvidersInput{}))
	if len(l.SAMLProviderList) != 1 || aws.ToString(l.SAMLProviderList[0].Arn) != provARN {
		t.Fatalf("list %+v", l.SAMLProviderList)
	}
	_, err = c.GetSAMLProvider(ctx, &iam.GetSAMLProviderInput{SAMLProviderArn: aws.String("arn:aws:iam::" + accountA + ":saml-provider/Nope")})
	apiErrExact(t, err, "NoSuchEntity", 404, "Manifest not found for arn arn:aws:iam::"+accountA+":saml-provider/Nope")

	role := newRole(t, s, rootCreds, "SAMLRole", samlTrust(provARN), 0)
	roleARN := aws.ToString(role.Arn)
	anon := sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), RetryMaxAttempts: 1})
	attrs := []samltest.Attr{samltest.RoleAttr(roleARN + "," + provARN), samltest.SessionNameAttr("alice@example.com")}
	assume := func(xml []byte, principal string) (*sts.AssumeRoleWithSAMLOutput, error) {
		return anon.AssumeRoleWithSAML(ctx, &sts.AssumeRoleWithSAMLInput{RoleArn: aws.String(roleARN),
			PrincipalArn: aws.String(principal), SAMLAssertion: aws.String(samltest.Encode(xml))})
	}
	resp := func(idp *samltest.IdP, o samltest.Options) []byte {
		x, err := idp.Response(o)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}

	good := resp(idp, samltest.Options{NameID: "alice", Attributes: attrs, SignResponse: true})
	out, err := assume(good, provARN)
	if err != nil {
		t.Fatalf("assume: %v\n%s", err, s.Logs())
	}
	if aws.ToString(out.Subject) != "alice" || aws.ToString(out.SubjectType) != "persistent" ||
		aws.ToString(out.Issuer) != idp.EntityID || aws.ToString(out.Audience) != "https://signin.aws.amazon.com/saml" ||
		aws.ToString(out.NameQualifier) != saml.NameQualifier(idp.EntityID, accountA, "Okta") ||
		aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+accountA+":assumed-role/SAMLRole/alice@example.com" {
		t.Fatalf("answer %+v %+v", out, out.AssumedRoleUser)
	}
	id := must(stsClient(s, sessionCreds(out.Credentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if !strings.HasSuffix(aws.ToString(id.Arn), ":assumed-role/SAMLRole/alice@example.com") {
		t.Fatalf("identity %s", aws.ToString(id.Arn))
	}
	// Later requests keep saml:sub, saml:sub_type, saml:namequalifier and
	// aws:FederatedProvider, but not saml:aud (conditions.md).
	must(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("SAMLRole"), PolicyName: aws.String("by-subject"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[` +
			`{"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"saml:sub":"alice","saml:sub_type":"persistent",` +
			`"saml:namequalifier":"` + saml.NameQualifier(idp.EntityID, accountA, "Okta") + `","aws:FederatedProvider":"` + provARN + `"}}},` +
			`{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*","Condition":{"StringEquals":{"saml:aud":"https://signin.aws.amazon.com/saml"}}}]}`)}))
	samlIAM := iamClient(s, sessionCreds(out.Credentials))
	if _, err := samlIAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("SAMLRole")}); err != nil {
		t.Fatalf("GetRole allowed by the session's saml:sub: %v", err)
	}
	_, err = samlIAM.ListRoles(ctx, &iam.ListRolesInput{})
	apiErr(t, err, "AccessDenied", 403, "")
	// An assertion-level signature works as well; SessionDuration shortens.
	short := append(append([]samltest.Attr{}, attrs...), samltest.Attr{Name: "https://aws.amazon.com/SAML/Attributes/SessionDuration", Values: []string{"900"}})
	out, err = assume(resp(idp, samltest.Options{NameID: "alice", Attributes: short, SignAssertion: true}), provARN)
	if err != nil {
		t.Fatalf("assertion-signed: %v", err)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d > 16*time.Minute {
		t.Fatalf("SessionDuration 900 gave %v", d)
	}

	otherRole := "arn:aws:iam::" + accountA + ":role/OtherRole"
	for _, tc := range []struct {
		name, code string
		status     int
		msg        string
		xml        []byte
		principal  string
	}{
		{"unsigned", "InvalidIdentityToken", 400, "", resp(idp, samltest.Options{NameID: "alice", Attributes: attrs}), provARN},
		{"wrong signer", "InvalidIdentityToken", 400, "", resp(evil, samltest.Options{NameID: "alice", Attributes: attrs, SignResponse: true}), provARN},
		{"tampered", "InvalidIdentityToken", 400, "", samltest.Replace(good, ">alice<", ">root<"), provARN},
		{"wrapped signature", "InvalidIdentityToken", 400, "", wrapAssertion(t, resp(idp, samltest.Options{NameID: "alice", Attributes: attrs, SignAssertion: true})), provARN},
		{"expired", "ExpiredTokenException", 400, "", resp(idp, samltest.Options{NameID: "alice", Attributes: attrs, SignResponse: true,
			NotBefore: time.Now().Add(-time.Hour), NotOnOrAfter: time.Now().Add(-10 * time.Minute)}), provARN},
		{"wrong audience", "InvalidIdentityToken", 400, "", resp(idp, samltest.Options{NameID: "alice", Attributes: attrs, SignResponse: true,
			Recipient: "https://sp.example.com/acs"}), provARN},
		{"unknown provider", "InvalidIdentityToken", 400, "Specified provider doesn't exist", good, "arn:aws:iam::" + accountA + ":saml-provider/Nope"},
		{"role not in the assertion", "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML",
			resp(idp, samltest.Options{NameID: "alice", SignResponse: true, Attributes: []samltest.Attr{samltest.RoleAttr(otherRole + "," + provARN), samltest.SessionNameAttr("alice")}}), provARN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := assume(tc.xml, tc.principal)
			apiErr(t, err, tc.code, tc.status, tc.msg)
		})
	}

	// Replacing the provider's metadata (new signing key) takes effect.
	must(c.UpdateSAMLProvider(ctx, &iam.UpdateSAMLProviderInput{SAMLProviderArn: aws.String(provARN), SAMLMetadataDocument: aws.String(evil.Metadata())}))
	_, err = assume(resp(idp, samltest.Options{NameID: "alice", Attributes: attrs, SignResponse: true}), provARN)
	apiErr(t, err, "InvalidIdentityToken", 400, "")
	must(c.DeleteSAMLProvider(ctx, &iam.DeleteSAMLProviderInput{SAMLProviderArn: aws.String(provARN)}))
	_, err = assume(resp(evil, samltest.Options{NameID: "alice", Attributes: attrs, SignResponse: true}), provARN)
	apiErr(t, err, "InvalidIdentityToken", 400, "Specified provider doesn't exist")
}

// wrapAssertion puts an unsigned forged assertion first, keeping the
// genuine signed one after it (XML signature wrapping).
func wrapAssertion(t *testing.T, xml []byte) []byte {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatal(err)
	}
	root := doc.Root()
	for _, c := range root.ChildElements() {
		if c.Tag != "Assertion" {
			continue
		}
		forged := c.Copy()
		for _, s := range forged.ChildElements() {
			if s.Tag == "Signature" {
				forged.RemoveChild(s)
			}
		}
		forged.FindElement(".//NameID").SetText("root")
		root.InsertChildAt(0, forged)
		break
	}
	out, _ := doc.WriteToBytes()
	return out
}
