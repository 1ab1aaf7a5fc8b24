package managed

import (
	"strings"
	"testing"

	"github.com/hatrack/hatrack/policy"
)

func TestEmbeddedPoliciesParse(t *testing.T) {
	required := []string{"AdministratorAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess",
		"AmazonS3FullAccess", "AmazonS3ReadOnlyAccess", "AmazonRDSFullAccess", "AWSLambda_FullAccess", "PowerUserAccess"}
	for _, n := range required {
		p, ok := ByARN("arn:aws:iam::aws:policy/" + n)
		if !ok {
			t.Errorf("%s missing", n)
			continue
		}
		if !strings.HasPrefix(p.ID, "ANPA") || len(p.ID) != 21 {
			t.Errorf("%s id %q", n, p.ID)
		}
	}
	for _, p := range All() {
		if _, err := policy.Parse(p.Document, policy.Identity); err != nil {
			t.Errorf("%s does not parse: %v", p.Name, err)
		}
		if p.DefaultVersionID == "" || p.Created.IsZero() || !strings.HasPrefix(p.Path, "/") {
			t.Errorf("%s metadata %+v", p.Name, p)
		}
	}
	if _, ok := ByARN("arn:aws:iam::aws:policy/NoSuchPolicy"); ok {
		t.Fatal("unknown ARN found")
	}
	admin, _ := ByARN("arn:aws:iam::aws:policy/AdministratorAccess")
	pol := policy.MustParse(admin.Document, policy.Identity)
	req := &policy.Request{Principal: policy.Principal{Type: policy.User, Account: "111111111111", ARN: "arn:aws:iam::111111111111:user/u"}, Action: "s3:GetObject", Resource: "*"}
	if !policy.Evaluate(req, &policy.Set{Identity: []*policy.Policy{pol}}).Allowed() {
		t.Fatal("AdministratorAccess does not allow")
	}
}
