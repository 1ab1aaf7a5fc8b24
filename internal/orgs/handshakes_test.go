package orgs

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/store/memory"
)

func TestHandshakeTransitions(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	inTime := start.Add(time.Hour)
	late := start.Add(handshakeLifetime)
	cases := []struct {
		from string
		at   time.Time
		to   string
		code string // "" = the transition happens
	}{
		{StateOpen, inTime, StateAccepted, ""},
		{StateOpen, inTime, StateDeclined, ""},
		{StateOpen, inTime, StateCanceled, ""},
		{StateOpen, late, StateAccepted, "InvalidHandshakeTransitionException"},
		{StateOpen, late, StateDeclined, "InvalidHandshakeTransitionException"},
		{StateOpen, late, StateCanceled, "InvalidHandshakeTransitionException"},
		{StateAccepted, inTime, StateAccepted, "HandshakeAlreadyInStateException"},
		{StateAccepted, inTime, StateDeclined, "InvalidHandshakeTransitionException"},
		{StateAccepted, inTime, StateCanceled, "InvalidHandshakeTransitionException"},
		{StateDeclined, inTime, StateDeclined, "HandshakeAlreadyInStateException"},
		{StateDeclined, inTime, StateAccepted, "InvalidHandshakeTransitionException"},
		{StateDeclined, inTime, StateCanceled, "InvalidHandshakeTransitionException"},
		{StateCanceled, inTime, StateCanceled, "HandshakeAlreadyInStateException"},
		{StateCanceled, inTime, StateAccepted, "InvalidHandshakeTransitionException"},
		{StateCanceled, inTime, StateDeclined, "InvalidHandshakeTransitionException"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s@%s→%s", c.from, c.at.Format("Jan2"), c.to), func(t *testing.T) {
			h := &Handshake{State: c.from, Requested: start, Expires: start.Add(handshakeLifetime), Changed: start}
			err := h.transition(c.to, c.at)
			if c.code != "" {
				wantErr(t, err, c.code, "")
				if h.State != c.from {
					t.Fatalf("state changed to %s on a refused transition", h.State)
				}
				return
			}
			ok(t, err)
			if h.State != c.to || !h.Changed.Equal(c.at) {
				t.Fatalf("after transition: %+v", h)
			}
		})
	}
}

func TestHandshakeStateAndVisibility(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := &Handshake{State: StateOpen, Requested: start, Expires: start.Add(handshakeLifetime)}
	for _, c := range []struct {
		at      time.Duration
		state   string
		visible bool
	}{
		{0, StateOpen, true},
		{handshakeLifetime - time.Millisecond, StateOpen, true},
		{handshakeLifetime, StateExpired, true},
		{handshakeLifetime + handshakeRetention - time.Millisecond, StateExpired, true},
		{handshakeLifetime + handshakeRetention, StateExpired, false},
	} {
		now := start.Add(c.at)
		if got := h.StateAt(now); got != c.state {
			t.Errorf("at +%v: state %s, want %s", c.at, got, c.state)
		}
		if got := h.visible(now); got != c.visible {
			t.Errorf("at +%v: visible %v, want %v", c.at, got, c.visible)
		}
	}
	d := &Handshake{State: StateDeclined, Requested: start, Expires: start.Add(handshakeLifetime), Changed: start.Add(time.Hour)}
	if !d.visible(start.Add(time.Hour+handshakeRetention-time.Millisecond)) || d.visible(start.Add(time.Hour+handshakeRetention)) {
		t.Fatal("declined handshake retention")
	}
}

// standalone makes an account of the deployment outside the organization.
func standalone(t *testing.T, is *iam.Service, id, name string) string {
	t.Helper()
	must(is.CreateAccount(context.Background(), iam.Account{ID: id, Name: name, Email: name + "@example.com"}))
	return id
}

func TestInviteAndAccept(t *testing.T) {
	s, is, clk := newServiceOn(t, memory.New())
	ctx := context.Background()
	o := must(s.DescribeOrganization(ctx, mgmt))
	member := createAccount(t, s, "member")
	solo := standalone(t, is, "222222222222", "solo")

	h := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: solo, Type: PartyAccount}, Notes: "join us",
		Tags: []Tag{{Key: "team", Value: "blue"}}}))
	if !reHandshakeID.MatchString(h.ID) || h.State != StateOpen || h.Action != ActionInvite ||
		h.ARN() != "arn:aws:organizations::"+mgmt+":handshake/"+o.ID+"/invite/"+h.ID ||
		!h.Expires.Equal(h.Requested.Add(15*24*time.Hour)) {
		t.Fatalf("handshake %+v", h)
	}
	if got := fmt.Sprint(h.Parties()); got != fmt.Sprintf("[{%s ORGANIZATION} {%s ACCOUNT}]", o.ID, solo) {
		t.Fatalf("parties %s", got)
	}
	if got := fmt.Sprint(h.Resources()); got != fmt.Sprintf("[{ORGANIZATION %s [{MASTER_EMAIL root@example.com []} {MASTER_NAME management []} {ORGANIZATION_FEATURE_SET ALL []}]} {ACCOUNT %s []} {NOTES join us []}]", o.ID, solo) {
		t.Fatalf("resources %s", got)
	}

	// Who sees it, who may answer it.
	must(s.DescribeHandshake(ctx, mgmt, h.ID))
	must(s.DescribeHandshake(ctx, solo, h.ID))
	_, err := s.DescribeHandshake(ctx, member, h.ID)
	wantErr(t, err, "HandshakeNotFoundException", "")
	_, err = s.AcceptHandshake(ctx, member, h.ID)
	wantErr(t, err, "HandshakeNotFoundException", "")
	_, err = s.AcceptHandshake(ctx, mgmt, h.ID)
	wantErr(t, err, "AccessDeniedException", "")
	_, err = s.DeclineHandshake(ctx, mgmt, h.ID)
	wantErr(t, err, "AccessDeniedException", "")
	_, err = s.CancelHandshake(ctx, solo, h.ID)
	wantErr(t, err, "AccessDeniedException", "")
	_, err = s.AcceptHandshake(ctx, solo, "h-0000000000")
	wantErr(t, err, "HandshakeNotFoundException", "")
	_, err = s.AcceptHandshake(ctx, solo, "x-1")
	wantErr(t, err, "InvalidInputException", "INVALID_PATTERN")
	_, err = s.AcceptHandshake(ctx, solo, "")
	wantErr(t, err, "InvalidInputException", "INPUT_REQUIRED")

	// A second invitation while one is open.
	_, err = s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: solo, Type: PartyAccount}})
	wantErr(t, err, "DuplicateHandshakeException", "")
	if hs := must(s.ListHandshakesForAccount(ctx, solo, HandshakeFilter{})); len(hs) != 1 || hs[0].ID != h.ID {
		t.Fatalf("solo's handshakes %+v", hs)
	}
	if hs := must(s.ListHandshakesForAccount(ctx, member, HandshakeFilter{})); len(hs) != 0 {
		t.Fatalf("member's handshakes %+v", hs)
	}

	clk.t = clk.t.Add(time.Hour)
	acc := must(s.AcceptHandshake(ctx, solo, h.ID))
	if acc.State != StateAccepted {
		t.Fatalf("accepted %+v", acc)
	}
	a := must(s.DescribeAccount(ctx, mgmt, solo))
	if a.JoinedMethod != "INVITED" || !a.Joined.Equal(clk.t) || a.Name != "solo" {
		t.Fatalf("joined account %+v", a)
	}
	if ps := must(s.ListParents(ctx, mgmt, solo)); len(ps) != 1 || ps[0].ID != o.RootID {
		t.Fatalf("parents %+v", ps)
	}
	if ps := must(s.ListPoliciesForTarget(ctx, mgmt, solo, TypeSCP)); len(ps) != 1 || ps[0].ID != FullAWSAccessID {
		t.Fatalf("policies %+v", ps)
	}
	if tags := must(s.ListTagsForResource(ctx, mgmt, solo)); fmt.Sprint(tags) != "[{team blue}]" {
		t.Fatalf("tags %+v", tags)
	}
	if _, err := is.GetRole(ctx, solo, DefaultAccessRole); err == nil {
		t.Fatal("an invited account got the OrganizationAccountAccessRole")
	}
	if levels := must(s.SCPs(ctx, solo)); len(levels) != 2 {
		t.Fatalf("SCP levels %d", len(levels))
	}

	_, err = s.AcceptHandshake(ctx, solo, h.ID)
	wantErr(t, err, "HandshakeAlreadyInStateException", "")
	_, err = s.CancelHandshake(ctx, mgmt, h.ID)
	wantErr(t, err, "InvalidHandshakeTransitionException", "")
	_, err = s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: solo, Type: PartyAccount}})
	wantErr(t, err, "HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION")
	_, err = s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: mgmt, Type: PartyAccount}})
	wantErr(t, err, "HandshakeConstraintViolationException", "ALREADY_IN_AN_ORGANIZATION")
	// Members cannot invite.
	_, err = s.InviteAccountToOrganization(ctx, member, InviteInput{Target: &HandshakeParty{ID: "333333333333", Type: PartyAccount}})
	wantErr(t, err, "AccessDeniedException", "")
}

func TestInviteRemovedAccountByEmailDeclineCancelExpire(t *testing.T) {
	s, is, clk := newServiceOn(t, memory.New())
	ctx := context.Background()
	dev := createAccount(t, s, "dev")
	ok(t, s.RemoveAccountFromOrganization(ctx, mgmt, dev))

	// By email, case aside: the party is the email, the account answers.
	h := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: "DEV@example.com", Type: PartyEmail}}))
	if h.AccountID != dev || fmt.Sprint(h.Parties()[1]) != "{DEV@example.com EMAIL}" || len(h.Resources()) != 2 {
		t.Fatalf("handshake %+v", h)
	}
	d := must(s.DeclineHandshake(ctx, dev, h.ID))
	if d.State != StateDeclined {
		t.Fatalf("declined %+v", d)
	}
	_, err := s.DeclineHandshake(ctx, dev, h.ID)
	wantErr(t, err, "HandshakeAlreadyInStateException", "")
	_, err = s.AcceptHandshake(ctx, dev, h.ID)
	wantErr(t, err, "InvalidHandshakeTransitionException", "")
	if _, err := s.DescribeAccount(ctx, mgmt, dev); err == nil {
		t.Fatal("declined account joined")
	}

	// Canceled by the sender.
	h2 := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: dev, Type: PartyAccount}}))
	if must(s.CancelHandshake(ctx, mgmt, h2.ID)).State != StateCanceled {
		t.Fatal("cancel")
	}
	_, err = s.CancelHandshake(ctx, mgmt, h2.ID)
	wantErr(t, err, "HandshakeAlreadyInStateException", "")
	_, err = s.AcceptHandshake(ctx, dev, h2.ID)
	wantErr(t, err, "InvalidHandshakeTransitionException", "")

	// Expired after 15 days: no answer, and a new invitation may go.
	h3 := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: dev, Type: PartyAccount}}))
	clk.t = clk.t.Add(15 * 24 * time.Hour)
	if got := must(s.DescribeHandshake(ctx, dev, h3.ID)).State; got != StateExpired {
		t.Fatalf("state after 15 days %s", got)
	}
	_, err = s.AcceptHandshake(ctx, dev, h3.ID)
	wantErr(t, err, "InvalidHandshakeTransitionException", "")
	h4 := must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: dev, Type: PartyAccount}}))

	// The organization's list, filtered.
	all := must(s.ListHandshakesForOrganization(ctx, mgmt, HandshakeFilter{}))
	states := map[string]string{}
	for _, x := range all {
		states[x.ID] = x.State
	}
	want := map[string]string{h.ID: StateDeclined, h2.ID: StateCanceled, h3.ID: StateExpired, h4.ID: StateOpen}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Fatalf("organization's handshakes %v, want %v", states, want)
	}
	if n := len(must(s.ListHandshakesForOrganization(ctx, mgmt, HandshakeFilter{ActionType: "ENABLE_ALL_FEATURES"}))); n != 0 {
		t.Fatalf("ENABLE_ALL_FEATURES handshakes: %d", n)
	}
	if n := len(must(s.ListHandshakesForAccount(ctx, dev, HandshakeFilter{ActionType: ActionInvite}))); n != 4 {
		t.Fatalf("INVITE handshakes: %d", n)
	}
	_, err = s.ListHandshakesForOrganization(ctx, mgmt, HandshakeFilter{ActionType: ActionInvite, ParentHandshakeID: h.ID})
	wantErr(t, err, "InvalidInputException", "MAX_LIMIT_EXCEEDED_FILTER")
	_, err = s.ListHandshakesForOrganization(ctx, mgmt, HandshakeFilter{ActionType: "JOIN"})
	wantErr(t, err, "InvalidInputException", "INVALID_ENUM")
	_, err = s.ListHandshakesForOrganization(ctx, dev, HandshakeFilter{})
	wantErr(t, err, "AWSOrganizationsNotInUseException", "")

	// 30 days after they ended, the old ones are gone.
	clk.t = clk.t.Add(30 * 24 * time.Hour)
	if hs := must(s.ListHandshakesForAccount(ctx, dev, HandshakeFilter{})); len(hs) != 1 || hs[0].ID != h4.ID || hs[0].State != StateExpired {
		t.Fatalf("after 30 days %+v", hs)
	}
	_, err = s.DescribeHandshake(ctx, mgmt, h.ID)
	wantErr(t, err, "HandshakeNotFoundException", "")
	_ = is
}

func TestInviteRefusals(t *testing.T) {
	s, is, _ := newServiceOn(t, memory.New())
	ctx := context.Background()
	gone := createAccount(t, s, "gone")
	ok(t, s.CloseAccount(ctx, mgmt, gone))
	ok(t, s.RemoveAccountFromOrganization(ctx, mgmt, gone))
	solo := standalone(t, is, "222222222222", "solo")
	party := func(id, typ string) *HandshakeParty { return &HandshakeParty{ID: id, Type: typ} }
	cases := []struct {
		name         string
		in           InviteInput
		code, reason string
	}{
		{"no target", InviteInput{}, "InvalidInputException", "INPUT_REQUIRED"},
		{"no id", InviteInput{Target: party("", PartyAccount)}, "InvalidInputException", "INPUT_REQUIRED"},
		{"no type", InviteInput{Target: party(solo, "")}, "InvalidInputException", "INPUT_REQUIRED"},
		{"bad type", InviteInput{Target: party(solo, "USER")}, "InvalidInputException", "INVALID_ENUM"},
		{"organization", InviteInput{Target: party("o-abcdefghij", PartyOrganization)}, "InvalidInputException", "INVALID_PARTY_TYPE_TARGET"},
		{"bad account id", InviteInput{Target: party("12345", PartyAccount)}, "InvalidInputException", "INVALID_PATTERN"},
		{"bad email", InviteInput{Target: party("not-an-email", PartyEmail)}, "InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET"},
		{"unknown email", InviteInput{Target: party("nobody@example.com", PartyEmail)}, "InvalidInputException", "INVALID_EMAIL_ADDRESS_TARGET"},
		{"long id", InviteInput{Target: party(strings.Repeat("a", 60)+"@example.com", PartyEmail)}, "InvalidInputException", "MAX_LENGTH_EXCEEDED"},
		{"long notes", InviteInput{Target: party(solo, PartyAccount), Notes: strings.Repeat("n", 1025)}, "InvalidInputException", "MAX_LENGTH_EXCEEDED"},
		{"system tag", InviteInput{Target: party(solo, PartyAccount), Tags: []Tag{{Key: "aws:x", Value: "1"}}}, "InvalidInputException", "INVALID_SYSTEM_TAGS_PARAMETER"},
		{"closed account", InviteInput{Target: party(gone, PartyAccount)}, "InvalidInputException", "TARGET_NOT_SUPPORTED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.InviteAccountToOrganization(ctx, mgmt, c.in)
			wantErr(t, err, c.code, c.reason)
		})
	}
	if n := len(must(s.ListHandshakesForOrganization(ctx, mgmt, HandshakeFilter{}))); n != 0 {
		t.Fatalf("refused invitations left %d handshakes", n)
	}
}

func TestInviteRateLimit(t *testing.T) {
	s, _, clk := newServiceOn(t, memory.New())
	ctx := context.Background()
	for i := 0; i < maxInvitesPerDay; i++ {
		must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: fmt.Sprintf("3000000000%02d", i), Type: PartyAccount}}))
	}
	_, err := s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: "399999999999", Type: PartyAccount}})
	wantErr(t, err, "HandshakeConstraintViolationException", "HANDSHAKE_RATE_LIMIT_EXCEEDED")
	clk.t = clk.t.Add(24 * time.Hour)
	must(s.InviteAccountToOrganization(ctx, mgmt, InviteInput{Target: &HandshakeParty{ID: "399999999999", Type: PartyAccount}}))
}
