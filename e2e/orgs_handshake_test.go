package e2e

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
)

// handshakeReason is the Reason of a HandshakeConstraintViolationException.
func handshakeReason(t *testing.T, err error) string {
	t.Helper()
	var hc *orgtypes.HandshakeConstraintViolationException
	if !errors.As(err, &hc) {
		t.Fatalf("want HandshakeConstraintViolationException, got %v", err)
	}
	return string(hc.Reason)
}

func inviteAccount(id string) *organizations.InviteAccountToOrganizationInput {
	return &organizations.InviteAccountToOrganizationInput{Target: &orgtypes.HandshakeParty{Id: aws.String(id), Type: orgtypes.HandshakePartyTypeAccount}}
}

func hsID(h *orgtypes.Handshake) *string { return h.Id }

// TestOrgsHandshakeInviteBack: an account removed from the organization
// is invited back and accepts with its own credentials; it rejoins under
// the root, INVITED, and the root's SCPs bind it again.
func TestOrgsHandshakeInviteBack(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	org := must(mo.DescribeOrganization(ctx, nil)).Organization
	orgID := aws.ToString(org.Id)
	rootID := must(mo.ListRoots(ctx, nil)).Roots[0].Id
	dev, test := createMember(t, mo, "dev"), createMember(t, mo, "test")
	devRoot, testRoot := memberRootKeys(t, s, dev), memberRootKeys(t, s, test)
	devOrgs, devIAM := orgsClient(s, devRoot), iamClient(s, devRoot)

	deny := must(mo.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String("NoNewUsers"), Description: aws.String("d"),
		Type: orgtypes.PolicyTypeServiceControlPolicy, Content: aws.String(scpDenyCreateUser)})).Policy.PolicySummary
	must(mo.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: deny.Id, TargetId: rootID}))
	_, err := devIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("u1")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")

	must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(dev)}))
	must(devIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("u1")}))

	before := time.Now().Add(-time.Second)
	h := must(mo.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &orgtypes.HandshakeParty{Id: aws.String(dev), Type: orgtypes.HandshakePartyTypeAccount},
		Notes:  aws.String("come back"), Tags: []orgtypes.Tag{{Key: aws.String("returning"), Value: aws.String("yes")}}})).Handshake
	id := aws.ToString(h.Id)
	if h.State != orgtypes.HandshakeStateOpen || h.Action != orgtypes.ActionTypeInviteAccountToOrganization ||
		aws.ToString(h.Arn) != "arn:aws:organizations::"+accountA+":handshake/"+orgID+"/invite/"+id ||
		h.RequestedTimestamp.Before(before) || h.ExpirationTimestamp.Sub(*h.RequestedTimestamp) != 15*24*time.Hour {
		t.Fatalf("handshake %+v", h)
	}
	parties := fmt.Sprint(mapParties(h.Parties))
	if parties != "[ORGANIZATION="+orgID+" ACCOUNT="+dev+"]" {
		t.Fatalf("parties %s", parties)
	}
	if got := fmt.Sprint(flatResources(h.Resources)); got != "[ORGANIZATION="+orgID+" MASTER_EMAIL="+aws.ToString(org.MasterAccountEmail)+" MASTER_NAME=management ORGANIZATION_FEATURE_SET=ALL ACCOUNT="+dev+" NOTES=come back]" {
		t.Fatalf("resources %s", got)
	}

	// Both parties see it; others do not.
	if hs := must(devOrgs.ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})).Handshakes; len(hs) != 1 || aws.ToString(hs[0].Id) != id {
		t.Fatalf("dev's handshakes %+v", hs)
	}
	if hs := must(mo.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{
		Filter: &orgtypes.HandshakeFilter{ActionType: orgtypes.ActionTypeInviteAccountToOrganization}})).Handshakes; len(hs) != 1 || aws.ToString(hs[0].Id) != id {
		t.Fatalf("organization's handshakes %+v", hs)
	}
	must(devOrgs.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: aws.String(id)}))
	testOrgs := orgsClient(s, testRoot)
	_, err = testOrgs.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "HandshakeNotFoundException", 400, "We can't find a handshake with the HandshakeId that you specified.")
	_, err = testOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "HandshakeNotFoundException", 400, "We can't find a handshake with the HandshakeId that you specified.")
	_, err = testOrgs.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")

	// The wrong party, a duplicate, an account already in, unknown ids.
	_, err = mo.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	_, err = mo.DeclineHandshake(ctx, &organizations.DeclineHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	_, err = devOrgs.CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	_, err = mo.InviteAccountToOrganization(ctx, inviteAccount(dev))
	apiErr(t, err, "DuplicateHandshakeException", 400, "A handshake with the same action and target already exists.")
	_, err = mo.InviteAccountToOrganization(ctx, inviteAccount(test))
	apiErr(t, err, "HandshakeConstraintViolationException", 400, "The handshake request is invalid because the invited account is already a member of an organization.")
	if r := handshakeReason(t, err); r != "ALREADY_IN_AN_ORGANIZATION" {
		t.Fatalf("reason %s", r)
	}
	_, err = devOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String("h-0000000000")})
	apiErr(t, err, "HandshakeNotFoundException", 400, "We can't find a handshake with the HandshakeId that you specified.")
	_, err = devOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String("H-1")})
	apiErr(t, err, "InvalidInputException", 400, "You provided a value that doesn't match the required pattern.")
	wantReason(t, err, "INVALID_PATTERN")
	_, err = devOrgs.DescribeOrganization(ctx, nil)
	apiErr(t, err, "AWSOrganizationsNotInUseException", 400, "Your account is not a member of an organization.")

	// Accepted: dev is back, under the root, INVITED, tagged, and the
	// root's SCP binds it again at once.
	acc := must(devOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})).Handshake
	if acc.State != orgtypes.HandshakeStateAccepted || aws.ToString(acc.Id) != id {
		t.Fatalf("accepted %+v", acc)
	}
	var joined *orgtypes.Account
	for _, a := range must(mo.ListAccounts(ctx, &organizations.ListAccountsInput{})).Accounts {
		if aws.ToString(a.Id) == dev {
			joined = &a
		}
	}
	if joined == nil || joined.JoinedMethod != orgtypes.AccountJoinedMethodInvited || joined.State != orgtypes.AccountStateActive ||
		aws.ToString(joined.Arn) != "arn:aws:organizations::"+accountA+":account/"+orgID+"/"+dev {
		t.Fatalf("rejoined account %+v", joined)
	}
	if ps := must(mo.ListParents(ctx, &organizations.ListParentsInput{ChildId: aws.String(dev)})).Parents; len(ps) != 1 || aws.ToString(ps[0].Id) != aws.ToString(rootID) {
		t.Fatalf("parents %+v", ps)
	}
	if tags := must(mo.ListTagsForResource(ctx, &organizations.ListTagsForResourceInput{ResourceId: aws.String(dev)})).Tags; len(tags) != 1 || aws.ToString(tags[0].Key) != "returning" {
		t.Fatalf("tags %+v", tags)
	}
	_, err = devIAM.CreateUser(ctx, &iamsdk.CreateUserInput{UserName: aws.String("u2")})
	apiErr(t, err, "AccessDenied", 403, "with an explicit deny in a service control policy")
	if o := must(devOrgs.DescribeOrganization(ctx, nil)).Organization; aws.ToString(o.Id) != orgID {
		t.Fatalf("dev's organization %+v", o)
	}
	if got := must(mo.DescribeHandshake(ctx, &organizations.DescribeHandshakeInput{HandshakeId: aws.String(id)})).Handshake.State; got != orgtypes.HandshakeStateAccepted {
		t.Fatalf("state %s", got)
	}
	_, err = devOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "HandshakeAlreadyInStateException", 400, "The specified handshake is already in the requested state.")
	_, err = mo.CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: aws.String(id)})
	apiErr(t, err, "InvalidHandshakeTransitionException", 400, "You can't perform the operation on the handshake in its current state.")
}

// TestOrgsHandshakeDeclineCancel: an invitation by email declined, one
// canceled, and the invitations AWS refuses.
func TestOrgsHandshakeDeclineCancel(t *testing.T) {
	s := StartServer(t)
	ctx := context.Background()
	mo := orgsClient(s, rootCreds)
	test, gone := createMember(t, mo, "test"), createMember(t, mo, "gone")
	testRoot := memberRootKeys(t, s, test)
	must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(test)}))
	must(mo.CloseAccount(ctx, &organizations.CloseAccountInput{AccountId: aws.String(gone)}))
	must(mo.RemoveAccountFromOrganization(ctx, &organizations.RemoveAccountFromOrganizationInput{AccountId: aws.String(gone)}))
	testOrgs := orgsClient(s, testRoot)

	h := must(mo.InviteAccountToOrganization(ctx, &organizations.InviteAccountToOrganizationInput{
		Target: &orgtypes.HandshakeParty{Id: aws.String("test@example.com"), Type: orgtypes.HandshakePartyTypeEmail}})).Handshake
	if got := fmt.Sprint(mapParties(h.Parties)); got != "[ORGANIZATION="+aws.ToString(h.Parties[0].Id)+" EMAIL=test@example.com]" {
		t.Fatalf("parties %s", got)
	}
	d := must(testOrgs.DeclineHandshake(ctx, &organizations.DeclineHandshakeInput{HandshakeId: hsID(h)})).Handshake
	if d.State != orgtypes.HandshakeStateDeclined {
		t.Fatalf("declined %+v", d)
	}
	_, err := testOrgs.DeclineHandshake(ctx, &organizations.DeclineHandshakeInput{HandshakeId: hsID(h)})
	apiErr(t, err, "HandshakeAlreadyInStateException", 400, "The specified handshake is already in the requested state.")
	_, err = testOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: hsID(h)})
	apiErr(t, err, "InvalidHandshakeTransitionException", 400, "You can't perform the operation on the handshake in its current state.")
	_, err = mo.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String(test)})
	apiErr(t, err, "AccountNotFoundException", 400, "You specified an account that doesn't exist.")

	h2 := must(mo.InviteAccountToOrganization(ctx, inviteAccount(test))).Handshake
	c := must(mo.CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: hsID(h2)})).Handshake
	if c.State != orgtypes.HandshakeStateCanceled {
		t.Fatalf("canceled %+v", c)
	}
	_, err = mo.CancelHandshake(ctx, &organizations.CancelHandshakeInput{HandshakeId: hsID(h2)})
	apiErr(t, err, "HandshakeAlreadyInStateException", 400, "The specified handshake is already in the requested state.")
	_, err = testOrgs.AcceptHandshake(ctx, &organizations.AcceptHandshakeInput{HandshakeId: hsID(h2)})
	apiErr(t, err, "InvalidHandshakeTransitionException", 400, "You can't perform the operation on the handshake in its current state.")

	states := map[string]orgtypes.HandshakeState{}
	for _, x := range must(testOrgs.ListHandshakesForAccount(ctx, &organizations.ListHandshakesForAccountInput{})).Handshakes {
		states[aws.ToString(x.Id)] = x.State
	}
	if want := map[string]orgtypes.HandshakeState{aws.ToString(h.Id): "DECLINED", aws.ToString(h2.Id): "CANCELED"}; fmt.Sprint(states) != fmt.Sprint(want) {
		t.Fatalf("handshakes %v, want %v", states, want)
	}

	refused := []struct {
		name, code, msg, reason string
		in                      *organizations.InviteAccountToOrganizationInput
	}{
		{"unknown email", "InvalidInputException", "You specified an invalid email address for the invited account owner.", "INVALID_EMAIL_ADDRESS_TARGET",
			&organizations.InviteAccountToOrganizationInput{Target: &orgtypes.HandshakeParty{Id: aws.String("nobody@example.com"), Type: orgtypes.HandshakePartyTypeEmail}}},
		{"organization", "InvalidInputException", "You specified the wrong type of entity (account, organization, or email) as a party.", "INVALID_PARTY_TYPE_TARGET",
			&organizations.InviteAccountToOrganizationInput{Target: &orgtypes.HandshakeParty{Id: aws.String("o-abcdefghij"), Type: orgtypes.HandshakePartyTypeOrganization}}},
		{"closed account", "InvalidInputException", "You can't perform the specified operation on that target entity.", "TARGET_NOT_SUPPORTED", inviteAccount(gone)},
		{"system tag", "InvalidInputException", "You specified a tag key that is a system tag.", "INVALID_SYSTEM_TAGS_PARAMETER",
			&organizations.InviteAccountToOrganizationInput{Target: inviteAccount(test).Target, Tags: []orgtypes.Tag{{Key: aws.String("aws:x"), Value: aws.String("v")}}}},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			_, err := mo.InviteAccountToOrganization(ctx, r.in)
			apiErr(t, err, r.code, 400, r.msg)
			wantReason(t, err, r.reason)
		})
	}
	_, err = mo.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{
		Filter: &orgtypes.HandshakeFilter{ActionType: orgtypes.ActionTypeInviteAccountToOrganization, ParentHandshakeId: hsID(h)}})
	apiErr(t, err, "InvalidInputException", 400, "You can specify only one filter parameter for the operation.")
	wantReason(t, err, "MAX_LIMIT_EXCEEDED_FILTER")
	// Only the management account invites.
	other := createMember(t, mo, "other")
	_, err = orgsClient(s, memberRootKeys(t, s, other)).InviteAccountToOrganization(ctx, inviteAccount(test))
	apiErr(t, err, "AccessDeniedException", 400, "You don't have permissions to access this resource.")
	if n := len(must(mo.ListHandshakesForOrganization(ctx, &organizations.ListHandshakesForOrganizationInput{})).Handshakes); n != 2 {
		t.Fatalf("handshakes after refusals: %d", n)
	}
}

func mapParties(ps []orgtypes.HandshakeParty) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p.Type) + "=" + aws.ToString(p.Id)
	}
	return out
}

// flatResources lists a handshake's resources depth first as TYPE=value.
func flatResources(rs []orgtypes.HandshakeResource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, string(r.Type)+"="+aws.ToString(r.Value))
		out = append(out, flatResources(r.Resources)...)
	}
	return out
}
