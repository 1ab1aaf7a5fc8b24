package audit

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/authn"
	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/token"
)

// EventVersion is the CloudTrail record format version Hatrack writes.
const EventVersion = "1.09"

// Params is the read side of a query-protocol request's parameters
// (query.Values satisfies it).
type Params interface {
	Names() []string
	Get(name string) string
}

// Request is one answered request, as the transport hands it over. The
// trail keeps the pointers until the event is built in the background; the
// values they point to must not change afterwards (the dispatcher never
// changes a Call, a Caller or a result once answered).
type Request struct {
	RequestID string
	// Service is the signing name: "iam", "sts", "organizations", …
	Service string
	Action  string
	// Mutates marks operations that change stored state.
	Mutates bool
	// Unsigned operations (AssumeRoleWithWebIdentity, AssumeRoleWithSAML)
	// have no Caller.
	Unsigned bool
	// Params are the query-protocol parameters; Body is the JSON body of
	// JSON-protocol requests (one of them is set).
	Params Params
	Body   []byte
	Caller *authn.Caller
	Region string
	// SourceIP and UserAgent as the client sent them.
	SourceIP  string
	UserAgent string
	Time      time.Time
	// TLS details, when the request came over TLS.
	TLSVersion  string
	CipherSuite string
	Host        string
	// Result is the operation's answer (nil on error); Err the error.
	Result any
	Err    *awserr.Error

	done chan struct{} // flush marker (internal)
}

// Event is one CloudTrail-shaped record. Field order follows CloudTrail's.
type Event struct {
	EventVersion       string          `json:"eventVersion"`
	UserIdentity       *UserIdentity   `json:"userIdentity"`
	EventTime          string          `json:"eventTime"`
	EventSource        string          `json:"eventSource"`
	EventName          string          `json:"eventName"`
	AwsRegion          string          `json:"awsRegion"`
	SourceIPAddress    string          `json:"sourceIPAddress"`
	UserAgent          string          `json:"userAgent"`
	ErrorCode          string          `json:"errorCode,omitempty"`
	ErrorMessage       string          `json:"errorMessage,omitempty"`
	RequestParameters  any             `json:"requestParameters"`
	ResponseElements   any             `json:"responseElements"`
	RequestID          string          `json:"requestID"`
	EventID            string          `json:"eventID"`
	ReadOnly           bool            `json:"readOnly"`
	Resources          []EventResource `json:"resources,omitempty"`
	EventType          string          `json:"eventType"`
	ManagementEvent    bool            `json:"managementEvent"`
	RecipientAccountID string          `json:"recipientAccountId"`
	SharedEventID      string          `json:"sharedEventID,omitempty"`
	EventCategory      string          `json:"eventCategory"`
	TLSDetails         *TLSDetails     `json:"tlsDetails,omitempty"`

	// time is EventTime with full precision (for the store key).
	time time.Time
	// username and resources feed LookupEvents.
	username string
	lookup   []Resource
}

// UserIdentity is CloudTrail's userIdentity element.
type UserIdentity struct {
	Type             string          `json:"type"`
	PrincipalID      string          `json:"principalId,omitempty"`
	ARN              string          `json:"arn,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	AccessKeyID      string          `json:"accessKeyId,omitempty"`
	UserName         string          `json:"userName,omitempty"`
	IdentityProvider string          `json:"identityProvider,omitempty"`
	SessionContext   *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes temporary credentials.
type SessionContext struct {
	SessionIssuer  *SessionIssuer    `json:"sessionIssuer,omitempty"`
	Attributes     SessionAttributes `json:"attributes"`
	SourceIdentity string            `json:"sourceIdentity,omitempty"`
}

// SessionIssuer is the role (or user) the session was issued for.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// SessionAttributes are the session's creation date and MFA state.
type SessionAttributes struct {
	CreationDate     string `json:"creationDate"`
	MFAAuthenticated string `json:"mfaAuthenticated"`
}

// EventResource is an element of the record's resources list.
type EventResource struct {
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// TLSDetails is CloudTrail's tlsDetails element.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion"`
	CipherSuite              string `json:"cipherSuite"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
}

// Resource is a LookupEvents resource (type and name).
type Resource struct {
	ResourceType string `json:"ResourceType,omitempty"`
	ResourceName string `json:"ResourceName,omitempty"`
}

// Audited reports whether a request becomes an event: every request of an
// authenticated caller and every unsigned role assumption. A signed request
// whose signature failed (no caller) is not an authenticated event.
func (r *Request) Audited() bool {
	return r.Caller != nil || r.Unsigned
}

// Build turns a request into its events: one for the recipient account,
// and for a cross-account role assumption a second one for the role's
// account, both carrying the same sharedEventID. It returns nil for
// requests that are not audited.
func Build(r *Request) []*Event {
	if !r.Audited() {
		return nil
	}
	e := &Event{
		EventVersion:    EventVersion,
		UserIdentity:    identity(r),
		EventTime:       r.Time.UTC().Format("2006-01-02T15:04:05Z"),
		EventSource:     eventSource(r.Service),
		EventName:       r.Action,
		AwsRegion:       r.Region,
		SourceIPAddress: r.SourceIP,
		UserAgent:       r.UserAgent,
		RequestID:       r.RequestID,
		EventID:         NewUUID(),
		ReadOnly:        readOnly(r),
		EventType:       "AwsApiCall",
		ManagementEvent: true,
		EventCategory:   "Management",
		time:            r.Time,
	}
	if e.AwsRegion == "" {
		e.AwsRegion = "us-east-1"
	}
	if r.TLSVersion != "" {
		e.TLSDetails = &TLSDetails{TLSVersion: r.TLSVersion, CipherSuite: r.CipherSuite, ClientProvidedHostHeader: r.Host}
	}
	if r.Err != nil {
		e.ErrorCode, e.ErrorMessage = r.Err.Code, r.Err.Message
	}
	var params map[string]any
	switch {
	case r.Params != nil:
		params = queryParameters(r.Params)
	case len(r.Body) > 0:
		params = jsonParameters(r.Body)
	}
	if len(params) > 0 {
		e.RequestParameters = params
	}
	if r.Err == nil && r.Result != nil && (!e.ReadOnly || issuesCredentials(r)) {
		e.ResponseElements = responseElements(r.Result)
	}
	e.username = username(e.UserIdentity)
	e.lookup = lookupResources(r, params, e.ResponseElements)

	recipient := ""
	if r.Caller != nil {
		recipient = r.Caller.Account
	}
	roleAcct := ""
	if isAssumption(r) {
		if arn := param(r, "RoleArn"); arn != "" {
			roleAcct = arnAccount(arn)
			if roleAcct != "" {
				e.Resources = []EventResource{{AccountID: roleAcct, Type: "AWS::IAM::Role", ARN: arn}}
			}
		}
	}
	if recipient == "" {
		recipient = roleAcct
	}
	if recipient == "" {
		return nil // an unsigned request naming no valid account has no recipient
	}
	e.RecipientAccountID = recipient
	if roleAcct == "" || roleAcct == recipient {
		return []*Event{e}
	}
	shared := NewUUID()
	e.SharedEventID = shared
	other := *e
	other.EventID = NewUUID()
	other.RecipientAccountID = roleAcct
	return []*Event{e, &other}
}

func param(r *Request, name string) string {
	if r.Params != nil {
		return r.Params.Get(name)
	}
	return ""
}

func eventSource(service string) string {
	if service == "" {
		service = "iam"
	}
	return service + ".amazonaws.com"
}

// mutatingPrefixes name operations that change state even if an operation
// forgot to say so.
var mutatingPrefixes = []string{"Create", "Delete", "Put", "Update", "Attach", "Detach", "Add", "Remove",
	"Set", "Tag", "Untag", "Upload", "Enable", "Disable", "Change", "Reset", "Resync", "Deactivate",
	"Invite", "Accept", "Decline", "Move", "Register", "Deregister", "Leave", "Cancel", "Close"}

func readOnly(r *Request) bool {
	if r.Mutates {
		return false
	}
	for _, p := range mutatingPrefixes {
		if strings.HasPrefix(r.Action, p) {
			return false
		}
	}
	return true
}

// isAssumption reports whether the request is a role assumption.
func isAssumption(r *Request) bool {
	return r.Service == "sts" && strings.HasPrefix(r.Action, "AssumeRole")
}

// issuesCredentials reports STS operations whose (read-only) answer is
// recorded: the role assumptions and session/federation tokens.
func issuesCredentials(r *Request) bool {
	return r.Service == "sts" && (strings.HasPrefix(r.Action, "Assume") || strings.HasSuffix(r.Action, "Token"))
}

// arnAccount returns the 12-digit account of an ARN, or "".
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	a := parts[4]
	if len(a) != 12 {
		return ""
	}
	for _, c := range a {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return a
}

func identity(r *Request) *UserIdentity {
	c := r.Caller
	if c == nil {
		return unsignedIdentity(r)
	}
	u := &UserIdentity{PrincipalID: c.UserID, ARN: c.ARN, AccountID: c.Account, AccessKeyID: c.AccessKeyID}
	s := c.Session
	switch c.Type {
	case authn.TypeRoot:
		u.Type = "Root"
		u.PrincipalID = c.Account
	case authn.TypeUser:
		u.Type = "IAMUser"
		u.UserName = c.UserName
	case authn.TypeAssumedRole:
		u.Type = "AssumedRole"
	case authn.TypeFederatedUser:
		u.Type = "FederatedUser"
	default:
		u.Type = c.Type
	}
	if s != nil {
		u.SessionContext = sessionContext(c, s)
	}
	return u
}

func sessionContext(c *authn.Caller, s *token.Claims) *SessionContext {
	sc := &SessionContext{
		Attributes:     SessionAttributes{CreationDate: s.IssuedAt.UTC().Format("2006-01-02T15:04:05Z"), MFAAuthenticated: "false"},
		SourceIdentity: s.SourceIdentity,
	}
	if s.MFAAuthenticated {
		sc.Attributes.MFAAuthenticated = "true"
	}
	switch c.Type {
	case authn.TypeAssumedRole:
		name := s.RoleName
		if name == "" {
			name = lastSegment(c.PrincipalARN)
		}
		sc.SessionIssuer = &SessionIssuer{Type: "Role", PrincipalID: c.UniqueID, ARN: c.PrincipalARN, AccountID: c.Account, UserName: name}
	case authn.TypeFederatedUser:
		if s.SourceARN != "" {
			typ := "IAMUser"
			if strings.HasSuffix(s.SourceARN, ":root") {
				typ = "Root"
			}
			sc.SessionIssuer = &SessionIssuer{Type: typ, PrincipalID: s.SourceID, ARN: s.SourceARN, AccountID: c.Account, UserName: lastSegment(s.SourceARN)}
		}
	}
	return sc
}

// unsignedIdentity describes the caller of AssumeRoleWithWebIdentity or
// AssumeRoleWithSAML from what the request and its answer say.
func unsignedIdentity(r *Request) *UserIdentity {
	if strings.Contains(r.Action, "SAML") {
		u := &UserIdentity{Type: "SAMLUser", IdentityProvider: param(r, "PrincipalArn")}
		if m, ok := resultMap(r.Result); ok {
			subject, _ := m["Subject"].(string)
			nq, _ := m["NameQualifier"].(string)
			u.UserName = subject
			if subject != "" {
				u.PrincipalID = nq + ":" + subject
			}
		}
		return u
	}
	u := &UserIdentity{Type: "WebIdentityUser", IdentityProvider: param(r, "ProviderId")}
	if m, ok := resultMap(r.Result); ok {
		sub, _ := m["SubjectFromWebIdentityToken"].(string)
		prov, _ := m["Provider"].(string)
		aud, _ := m["Audience"].(string)
		u.UserName = sub
		if prov != "" {
			u.IdentityProvider = prov
		}
		if sub != "" {
			u.PrincipalID = prov + ":" + aud + ":" + sub
		}
	}
	return u
}

// username is LookupEvents' Username: the user name, the role session name
// or "root".
func username(u *UserIdentity) string {
	switch u.Type {
	case "Root":
		return "root"
	case "IAMUser", "SAMLUser", "WebIdentityUser":
		if u.UserName != "" {
			return u.UserName
		}
	}
	if u.ARN != "" {
		return lastSegment(u.ARN)
	}
	return u.UserName
}

func lastSegment(arn string) string {
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// NewUUID returns a random (version 4) UUID in lowercase.
func NewUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
	return string(out[:])
}
