package orgs

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/store"
)

// KindHandshake holds handshakes; Name = ID = h-…, Parent = the id of the
// invited account (the recipient).
const KindHandshake = "orghandshake"

// Handshake actions, party types and states (Organizations API).
const (
	ActionInvite = "INVITE"

	PartyAccount      = "ACCOUNT"
	PartyEmail        = "EMAIL"
	PartyOrganization = "ORGANIZATION"

	StateOpen     = "OPEN"
	StateAccepted = "ACCEPTED"
	StateDeclined = "DECLINED"
	StateCanceled = "CANCELED"
	StateExpired  = "EXPIRED"
)

const (
	// handshakeLifetime is how long an invitation stays OPEN before it
	// expires.
	handshakeLifetime = 15 * 24 * time.Hour
	// handshakeRetention is how long a handshake that is no longer OPEN
	// stays visible.
	handshakeRetention = 30 * 24 * time.Hour
	// maxInvitesPerDay is the number of invitations an organization may
	// send in 24 hours.
	maxInvitesPerDay = 20
	maxNotes         = 1024
	maxPartyID       = 64
)

var reHandshakeID = regexp.MustCompile(`^h-[0-9a-z]{8,32}$`)

// actionTypes is the ActionType enum.
var actionTypes = map[string]bool{
	ActionInvite: true, "ENABLE_ALL_FEATURES": true, "APPROVE_ALL_FEATURES": true,
	"ADD_ORGANIZATIONS_SERVICE_LINKED_ROLE": true, "TRANSFER_RESPONSIBILITY": true,
}

// HandshakeParty is a party of a handshake (and InviteAccountToOrganization's
// Target).
type HandshakeParty struct {
	ID   string
	Type string
}

// HandshakeResource is a resource of a handshake, with its own resources.
type HandshakeResource struct {
	Type      string
	Value     string
	Resources []HandshakeResource
}

// Handshake is an invitation to join the organization, as stored. The
// organization's details are recorded when it is sent, as the invitation
// shows them.
type Handshake struct {
	ID     string
	Action string
	// State is OPEN, ACCEPTED, DECLINED or CANCELED as stored; an OPEN
	// handshake past Expires is EXPIRED (StateAt). The Service's answers
	// carry the state at the time of the request.
	State string
	// PartyType and PartyID are the invited party as the request named it
	// (ACCOUNT and an account id, or EMAIL and an email address);
	// AccountID is the account it denotes.
	PartyType string
	PartyID   string
	AccountID string
	Notes     string `json:",omitempty"`
	// Tags go to the account when it accepts.
	Tags      []Tag `json:",omitempty"`
	Requested time.Time
	Expires   time.Time
	// Changed is when the handshake left OPEN (accepted, declined,
	// canceled).
	Changed time.Time

	OrganizationID    string
	ManagementAccount string
	ManagementEmail   string
	ManagementName    string
	FeatureSet        string
}

// StateAt is the handshake's state at now.
func (h *Handshake) StateAt(now time.Time) string {
	if h.State == StateOpen && !now.Before(h.Expires) {
		return StateExpired
	}
	return h.State
}

// visible reports whether the handshake is still shown at now: an OPEN
// one always, the others for 30 days after they left OPEN.
func (h *Handshake) visible(now time.Time) bool {
	switch h.StateAt(now) {
	case StateOpen:
		return true
	case StateExpired:
		return now.Before(h.Expires.Add(handshakeRetention))
	}
	return now.Before(h.Changed.Add(handshakeRetention))
}

// transition moves an OPEN handshake to the state to (ACCEPTED, DECLINED
// or CANCELED) at now: HandshakeAlreadyInStateException when it is in that
// state already, InvalidHandshakeTransitionException from any other state
// (EXPIRED included).
func (h *Handshake) transition(to string, now time.Time) error {
	switch cur := h.StateAt(now); {
	case cur == to:
		return errHandshakeAlreadyInState
	case cur != StateOpen:
		return errHandshakeTransition
	}
	h.State, h.Changed = to, now
	return nil
}

// ARN is the handshake's ARN.
func (h *Handshake) ARN() string {
	o := Organization{ID: h.OrganizationID, ManagementAccount: h.ManagementAccount}
	return o.handshakeARN(h.Action, h.ID)
}

// Parties are the organization and the invited party.
func (h *Handshake) Parties() []HandshakeParty {
	return []HandshakeParty{{ID: h.OrganizationID, Type: PartyOrganization}, {ID: h.PartyID, Type: h.PartyType}}
}

// Resources are what the invitation shows: the organization (with its
// management account's email and name and its feature set), the invited
// account or email, and the notes when there are any.
func (h *Handshake) Resources() []HandshakeResource {
	out := []HandshakeResource{
		{Type: "ORGANIZATION", Value: h.OrganizationID, Resources: []HandshakeResource{
			{Type: "MASTER_EMAIL", Value: h.ManagementEmail},
			{Type: "MASTER_NAME", Value: h.ManagementName},
			{Type: "ORGANIZATION_FEATURE_SET", Value: h.FeatureSet},
		}},
		{Type: h.PartyType, Value: h.PartyID},
	}
	if h.Notes != "" {
		out = append(out, HandshakeResource{Type: "NOTES", Value: h.Notes})
	}
	return out
}

// Parties' roles in a handshake.
type handshakeRole int

const (
	roleNone handshakeRole = iota
	roleSender
	roleRecipient
)

func (h *Handshake) role(caller string) handshakeRole {
	switch caller {
	case h.ManagementAccount:
		return roleSender
	case h.AccountID:
		return roleRecipient
	}
	return roleNone
}

// InviteInput is InviteAccountToOrganization's request.
type InviteInput struct {
	// Target is the invited party (nil: absent from the request).
	Target *HandshakeParty
	Notes  string
	Tags   []Tag
}

func checkInvite(in InviteInput) error {
	t := in.Target
	if t == nil || t.ID == "" || t.Type == "" {
		return errInputRequired()
	}
	switch t.Type {
	case PartyAccount, PartyEmail:
	case PartyOrganization:
		return errInvalidPartyType()
	default:
		return errInvalidEnum()
	}
	if utf8.RuneCountInString(t.ID) > maxPartyID {
		return errMaxLength()
	}
	if utf8.RuneCountInString(in.Notes) > maxNotes {
		return errMaxLength()
	}
	if t.Type == PartyAccount && !reAccountID.MatchString(t.ID) {
		return errInvalidPattern()
	}
	if t.Type == PartyEmail && (len(t.ID) < 6 || !reEmail.MatchString(t.ID)) {
		return errInvalidEmailTarget()
	}
	return CheckTags(in.Tags)
}

// InviteAccountToOrganization sends an invitation (an INVITE handshake,
// OPEN for 15 days) to an account that is in no organization. A target
// of type EMAIL must be the email address of an account of this
// deployment. An account id that is no account of this deployment gets
// its invitation all the same (AWS does not tell whether an account
// exists); nobody can accept it and it expires.
func (s *Service) InviteAccountToOrganization(ctx context.Context, caller string, in InviteInput) (*Handshake, error) {
	if err := checkInvite(in); err != nil {
		return nil, err
	}
	var out *Handshake
	err := s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		account := in.Target.ID
		if in.Target.Type == PartyEmail {
			accts, err := iam.AccountsTx(ctx, tx)
			if err != nil {
				return err
			}
			account = ""
			for _, a := range accts {
				if strings.EqualFold(a.Email, in.Target.ID) {
					account = a.ID
					break
				}
			}
			if account == "" {
				return errInvalidEmailTarget()
			}
		}
		if err := joinable(ctx, tx, org, account); err != nil {
			return err
		}
		now := s.stamp()
		all, err := list[Handshake](ctx, tx, store.Filter{Kind: KindHandshake})
		if err != nil {
			return err
		}
		sent := 0
		for _, h := range all {
			if h.AccountID == account && h.Action == ActionInvite && h.StateAt(now) == StateOpen {
				return errDuplicateHandshake
			}
			if now.Sub(h.Requested) < 24*time.Hour {
				sent++
			}
		}
		if sent >= maxInvitesPerDay {
			return errHandshakeRate()
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindMember})
		if err != nil {
			return err
		}
		if n >= maxAccounts {
			return errHandshakeAccountNumber()
		}
		mgmt, err := getAccount(ctx, tx, org.ManagementAccount)
		if err != nil {
			return err
		}
		h := &Handshake{ID: "h-" + randID(10), Action: ActionInvite, State: StateOpen,
			PartyType: in.Target.Type, PartyID: in.Target.ID, AccountID: account, Notes: in.Notes, Tags: in.Tags,
			Requested: now, Expires: now.Add(handshakeLifetime),
			OrganizationID: org.ID, ManagementAccount: org.ManagementAccount, ManagementEmail: org.ManagementEmail,
			ManagementName: mgmt.Name, FeatureSet: org.FeatureSet}
		if err := tx.Create(ctx, store.Record{Kind: KindHandshake, Name: h.ID, ID: h.ID, Parent: account, Data: encode(h)}); err != nil {
			return err
		}
		out = h
		return nil
	})
	return out, err
}

func checkHandshakeID(id string) error {
	if id == "" {
		return errInputRequired()
	}
	if len(id) > 34 {
		return errMaxLength()
	}
	if !reHandshakeID.MatchString(id) {
		return errInvalidPattern()
	}
	return nil
}

// AcceptHandshake accepts an invitation, by the invited account: it joins
// the organization in the root (JoinedMethod INVITED, the full-access
// policy of every enabled type attached, the invitation's tags on it). No
// OrganizationAccountAccessRole is made, as AWS makes none for an invited
// account.
func (s *Service) AcceptHandshake(ctx context.Context, caller, id string) (*Handshake, error) {
	return s.respond(ctx, caller, id, StateAccepted)
}

// DeclineHandshake declines an invitation, by the invited account.
func (s *Service) DeclineHandshake(ctx context.Context, caller, id string) (*Handshake, error) {
	return s.respond(ctx, caller, id, StateDeclined)
}

// CancelHandshake cancels an invitation, by the management account that
// sent it.
func (s *Service) CancelHandshake(ctx context.Context, caller, id string) (*Handshake, error) {
	return s.respond(ctx, caller, id, StateCanceled)
}

// respond moves a handshake to the state to on behalf of caller: a
// handshake caller is no party to is not found; the other party's
// response is AccessDeniedException.
func (s *Service) respond(ctx context.Context, caller, id, to string) (*Handshake, error) {
	if err := checkHandshakeID(id); err != nil {
		return nil, err
	}
	need := roleRecipient
	if to == StateCanceled {
		need = roleSender
	}
	var out *Handshake
	err := s.store.Update(ctx, func(tx store.Tx) error {
		now := s.stamp()
		h, err := findHandshake(ctx, tx, caller, id, now)
		if err != nil {
			return err
		}
		if h.role(caller) != need {
			return errMemberDenied
		}
		if err := h.transition(to, now); err != nil {
			return err
		}
		if to == StateAccepted {
			if err := s.join(ctx, tx, h, now); err != nil {
				return err
			}
		}
		if err := tx.Put(ctx, store.Record{Kind: KindHandshake, Name: h.ID, ID: h.ID, Parent: h.AccountID, Data: encode(h)}); err != nil {
			return err
		}
		out = h
		return nil
	})
	return out, err
}

// findHandshake returns the handshake id if caller is a party to it and
// it is still visible at now; HandshakeNotFoundException otherwise.
func findHandshake(ctx context.Context, r store.Reader, caller, id string, now time.Time) (*Handshake, error) {
	h, err := get[Handshake](ctx, r, KindHandshake, id)
	if notFound(err) {
		return nil, errHandshakeNotFound
	}
	if err != nil {
		return nil, err
	}
	if h.role(caller) == roleNone || !h.visible(now) {
		return nil, errHandshakeNotFound
	}
	return h, nil
}

// join makes the invited account a member of the organization.
func (s *Service) join(ctx context.Context, tx store.Tx, h *Handshake, now time.Time) error {
	org, err := get[Organization](ctx, tx, KindOrganization, organizationRecID)
	if notFound(err) {
		return errNotInUse
	}
	if err != nil {
		return err
	}
	account := h.AccountID
	if err := joinable(ctx, tx, org, account); err != nil {
		return err
	}
	if _, err := getAccount(ctx, tx, account); err != nil {
		return err
	}
	n, err := tx.Count(ctx, store.Filter{Kind: KindMember})
	if err != nil {
		return err
	}
	if n >= maxAccounts {
		return errHandshakeAccountNumber()
	}
	m := &Member{AccountID: account, ParentID: org.RootID, JoinedMethod: "INVITED", Joined: now}
	if err := tx.Create(ctx, store.Record{Kind: KindMember, Name: account, ID: account, Parent: m.ParentID, Data: encode(m)}); err != nil {
		return err
	}
	if err := attachDefaults(ctx, tx, org, account); err != nil {
		return err
	}
	if err := deleteTags(ctx, tx, account); err != nil {
		return err
	}
	return tagNew(ctx, tx, account, h.Tags)
}

// answer sets the state a handshake has at now, for an answer.
func answer(h *Handshake, now time.Time) *Handshake {
	h.State = h.StateAt(now)
	return h
}

// DescribeHandshake describes a handshake caller's account sent or
// received.
func (s *Service) DescribeHandshake(ctx context.Context, caller, id string) (*Handshake, error) {
	if err := checkHandshakeID(id); err != nil {
		return nil, err
	}
	var out *Handshake
	err := s.store.View(ctx, func(r store.Reader) error {
		now := s.stamp()
		h, err := findHandshake(ctx, r, caller, id, now)
		if err != nil {
			return err
		}
		out = answer(h, now)
		return nil
	})
	return out, err
}

// HandshakeFilter is the Filter of the ListHandshakes operations.
type HandshakeFilter struct {
	ActionType        string
	ParentHandshakeID string
}

func (f HandshakeFilter) check() error {
	if f.ActionType != "" && f.ParentHandshakeID != "" {
		return errFilterLimit()
	}
	if f.ActionType != "" && !actionTypes[f.ActionType] {
		return errInvalidEnum()
	}
	if f.ParentHandshakeID != "" {
		return checkHandshakeID(f.ParentHandshakeID)
	}
	return nil
}

// match reports whether h passes the filter. Invitations have no parent
// handshake, so a ParentHandshakeId filter matches none of them.
func (f HandshakeFilter) match(h *Handshake) bool {
	if f.ParentHandshakeID != "" {
		return false
	}
	return f.ActionType == "" || f.ActionType == h.Action
}

func (s *Service) listHandshakes(ctx context.Context, r store.Reader, filter store.Filter, f HandshakeFilter) ([]*Handshake, error) {
	all, err := list[Handshake](ctx, r, filter)
	if err != nil {
		return nil, err
	}
	now := s.stamp()
	out := make([]*Handshake, 0, len(all))
	for _, h := range all {
		if h.visible(now) && f.match(h) {
			out = append(out, answer(h, now))
		}
	}
	return out, nil
}

// ListHandshakesForAccount lists the handshakes caller's account
// received (any account may ask, in an organization or not).
func (s *Service) ListHandshakesForAccount(ctx context.Context, caller string, f HandshakeFilter) ([]*Handshake, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []*Handshake
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		out, err = s.listHandshakes(ctx, r, store.Filter{Kind: KindHandshake, Parent: caller}, f)
		return err
	})
	return out, err
}

// ListHandshakesForOrganization lists the handshakes the organization
// sent (management account only).
func (s *Service) ListHandshakesForOrganization(ctx context.Context, caller string, f HandshakeFilter) ([]*Handshake, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	var out []*Handshake
	err := s.view(ctx, caller, true, func(r store.Reader, _ *Organization) error {
		var err error
		out, err = s.listHandshakes(ctx, r, store.Filter{Kind: KindHandshake}, f)
		return err
	})
	return out, err
}

// joinable refuses an account that cannot join the organization: one
// already in it (the management account included) or a closed one.
func joinable(ctx context.Context, tx store.Tx, org *Organization, account string) error {
	if account == org.ManagementAccount {
		return errAlreadyInOrganization()
	}
	if _, err := tx.Get(ctx, KindMember, "", account); err == nil {
		return errAlreadyInOrganization()
	} else if !notFound(err) {
		return err
	}
	if closed, err := isClosed(ctx, tx, account); err != nil {
		return err
	} else if closed {
		return errTargetNotSupported()
	}
	return nil
}
