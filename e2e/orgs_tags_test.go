package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

func orgTags(kv ...string) []orgtypes.Tag {
	out := make([]orgtypes.Tag, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, orgtypes.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func tagString(ts []orgtypes.Tag) string {
	out := ""
	for _, t := range ts {
		out += aws.ToString(t.Key) + "=" + aws.ToString(t.Value) + ";"
	}
	return out
}

// TestOrgsTags: tags on accounts, OUs, roots and policies, set at creation
// or later, AWS's refusals, and IAM policies deciding on
// aws:ResourceTag, aws:RequestTag and aws:TagKeys.
func TestOrgsTags(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	rootID := aws.ToString(must(mo.ListRoots(ctx, nil)).Roots[0].Id)

	st := must(mo.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String("dev"), Email: aws.String("dev@example.com"),
		Tags: orgTags("env", "dev", "cost", "42")})).CreateAccountStatus
	dev := aws.ToString(st.AccountId)
	blue := aws.ToString(must(mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Blue"),
		Tags: orgTags("team", "blue")})).OrganizationalUnit.Id)
	red := aws.ToString(must(mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Red"),
		Tags: orgTags("team", "red")})).OrganizationalUnit.Id)
	pol := aws.ToString(must(mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("NoNewUsers"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(scpDenyCreateUser), Tags: orgTags("owner", "security")})).Policy.PolicySummary.Id)
	must(mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(rootID), Tags: orgTags("scope", "all")}))

	list := func(id string) string {
		return tagString(must(mo.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(id)})).Tags)
	}
	for id, want := range map[string]string{dev: "cost=42;env=dev;", blue: "team=blue;", red: "team=red;", pol: "owner=security;", rootID: "scope=all;", accountA: ""} {
		if got := list(id); got != want {
			t.Errorf("%s: tags %q, want %q", id, got, want)
		}
	}
	must(mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags("env", "prod", "zone", "a")}))
	must(mo.UntagResource(ctx, &organizations.UntagResourceInput{ResourceId: aws.String(dev), TagKeys: []string{"cost", "absent"}}))
	if got := list(dev); got != "env=prod;zone=a;" {
		t.Fatalf("dev's tags %q", got)
	}

	// Refusals.
	_, err := mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String("123456789012"), Tags: orgTags("k", "v")})
	apiErr(t, err, "TargetNotFoundException", 400, "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	_, err = mo.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String("p-abcdefgh")})
	apiErr(t, err, "TargetNotFoundException", 400, "We can't find a root, OU, account, or policy with the TargetId that you specified.")
	_, err = mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String("bad-id"), Tags: orgTags("k", "v")})
	apiErr(t, err, "InvalidInputException", 400, "You provided a value that doesn't match the required pattern.")
	wantReason(t, err, "INVALID_PATTERN")
	_, err = mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags("aws:owner", "v")})
	apiErr(t, err, "InvalidInputException", 400, "You specified a tag key that is a system tag.")
	wantReason(t, err, "INVALID_SYSTEM_TAGS_PARAMETER")
	_, err = mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags("k", "1", "k", "2")})
	apiErr(t, err, "InvalidInputException", 400, "Tag keys must be unique among the tags attached to the same entity.")
	wantReason(t, err, "DUPLICATE_TAG_KEY")
	var fifty []string
	for i := 0; i < 49; i++ {
		fifty = append(fifty, fmt.Sprintf("k%02d", i), "v")
	}
	_, err = mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags(fifty...)})
	apiErr(t, err, "ConstraintViolationException", 400, "You have exceeded the number of tags allowed on this resource.")
	wantReason(t, err, "MAX_TAG_LIMIT_EXCEEDED")
	if got := list(dev); got != "env=prod;zone=a;" {
		t.Fatalf("a refused TagResource changed the tags: %q", got)
	}
	_, err = mo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Bad"), Tags: orgTags("aws:x", "v")})
	wantReason(t, err, "INVALID_SYSTEM_TAGS_PARAMETER")
	_, err = orgsClient(s, memberRootKeys(t, s, dev)).ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(dev)})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")

	// IAM policies deciding on tags.
	doc := `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"organizations:DescribeOrganizationalUnit","Resource":"*",
		 "Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":"organizations:TagResource","Resource":"*",
		 "Condition":{"StringEquals":{"aws:RequestTag/env":"dev"},"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}},
		{"Effect":"Allow","Action":"organizations:UntagResource","Resource":"*",
		 "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["scratch"]}}},
		{"Effect":"Allow","Action":"organizations:CreateOrganizationalUnit","Resource":"*",
		 "Condition":{"Null":{"aws:RequestTag/team":"false"}}}
	]}`
	uo := orgsClient(s, scopedOrgsUser(t, s, "tagger", doc))
	denied := func(t *testing.T, err error, action string) {
		t.Helper()
		apiErr(t, err, "AccessDeniedException", 400, "User: arn:aws:iam::"+accountA+":user/tagger is not authorized to perform: organizations:"+action)
	}
	must(uo.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(blue)}))
	_, err = uo.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(red)})
	denied(t, err, "DescribeOrganizationalUnit")
	// Retagging red blue changes the decision at once.
	must(mo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(red), Tags: orgTags("team", "blue")}))
	must(uo.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: aws.String(red)}))

	must(uo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags("env", "dev")}))
	_, err = uo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags("env", "prod")})
	denied(t, err, "TagResource")
	_, err = uo.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(dev), Tags: orgTags("env", "dev", "owner", "me")})
	denied(t, err, "TagResource")
	if got := list(dev); got != "env=dev;zone=a;" {
		t.Fatalf("dev's tags after the user's calls %q", got)
	}
	must(uo.UntagResource(ctx, &organizations.UntagResourceInput{ResourceId: aws.String(dev), TagKeys: []string{"scratch"}}))
	_, err = uo.UntagResource(ctx, &organizations.UntagResourceInput{ResourceId: aws.String(dev), TagKeys: []string{"env"}})
	denied(t, err, "UntagResource")

	_, err = uo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Untagged")})
	denied(t, err, "CreateOrganizationalUnit")
	ou := must(uo.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(rootID), Name: aws.String("Green"),
		Tags: orgTags("team", "green")})).OrganizationalUnit
	if got := list(aws.ToString(ou.Id)); got != "team=green;" {
		t.Fatalf("green's tags %q", got)
	}
}
