package orgs

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/hatrack/hatrack/internal/iam"
	"github.com/hatrack/hatrack/policy"
	"github.com/hatrack/hatrack/store"
)

// Record kinds owned by this package; all are global (Account "").
const (
	KindOrganization = "org"           // Name "organization"
	KindOU           = "orgou"         // Name = ID = ou-…, Parent = parent id
	KindMember       = "orgmember"     // Name = ID = account id, Parent = parent id
	KindPolicy       = "orgpolicy"     // Name = policy name, ID = p-…
	KindAttachment   = "orgattachment" // Name = policy id + "/" + target id, Parent = target id
	KindCreateStatus = "orgcreate"     // Name = ID = car-…
	// KindClosed marks an account CloseAccount closed; it outlives the
	// account's membership (a closed account stays closed once removed).
	KindClosed = "orgclosed" // Name = ID = account id
)

// Policy types and the ones this deployment serves.
const (
	TypeSCP = "SERVICE_CONTROL_POLICY"
	TypeRCP = "RESOURCE_CONTROL_POLICY"
	// FullAWSAccessID is the AWS-managed SCP attached everywhere by default.
	FullAWSAccessID   = "p-FullAWSAccess"
	fullAWSAccessName = "FullAWSAccess"
	fullAWSAccessDoc  = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`
	fullAWSAccessDesc = "Allows access to every operation"
	// RCPFullAWSAccessID is the AWS-managed RCP attached to the root, every
	// OU and every account while RCPs are enabled; it cannot be detached
	// (only it may Allow: customer RCPs only deny).
	RCPFullAWSAccessID   = "p-RCPFullAWSAccess"
	rcpFullAWSAccessName = "RCPFullAWSAccess"
	rcpFullAWSAccessDoc  = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": "*",
      "Action": "*",
      "Resource": "*"
    }
  ]
}`
	rcpFullAWSAccessDesc = "Allows access to every operation"
)

// servedType is a policy type this deployment serves: the policy grammar
// its documents are validated against and the AWS-managed policy attached
// everywhere while the type is enabled.
type servedType struct {
	kind policy.Kind
	full Policy
}

// served are the policy types enforced here: SCPs (on the principals of an
// account) and RCPs (on the resources of an account).
var served = map[string]servedType{
	TypeSCP: {policy.SCP, Policy{ID: FullAWSAccessID, Name: fullAWSAccessName, Description: fullAWSAccessDesc,
		Type: TypeSCP, AWSManaged: true, Content: fullAWSAccessDoc}},
	TypeRCP: {policy.RCP, Policy{ID: RCPFullAWSAccessID, Name: rcpFullAWSAccessName, Description: rcpFullAWSAccessDesc,
		Type: TypeRCP, AWSManaged: true, Content: rcpFullAWSAccessDoc}},
}

// Quotas of Organizations.
const (
	// maxPerTarget: policies of one type attached to one root, OU or
	// account (SCPs and RCPs alike; the full-access policy counts).
	maxPerTarget      = 5
	maxPolicyBytes    = 5120
	maxPolicies       = 1000 // of each type, AWS-managed ones not counted
	maxOUDepth        = 5
	maxOUs            = 2000
	maxAccounts       = 10000
	organizationRecID = "organization"
)

// All policy types of the PolicyType enum; only those in served are
// available here.
var policyTypes = map[string]bool{
	TypeSCP: true, "TAG_POLICY": true, "BACKUP_POLICY": true, "AISERVICES_OPT_OUT_POLICY": true,
	"CHATBOT_POLICY": true, "DECLARATIVE_POLICY_EC2": true, "RESOURCE_CONTROL_POLICY": true,
	"SECURITYHUB_POLICY": true, "INSPECTOR_POLICY": true, "UPGRADE_ROLLOUT_POLICY": true,
	"BEDROCK_POLICY": true, "S3_POLICY": true, "NETWORK_SECURITY_DIRECTOR_POLICY": true,
}

// Organization is the management account's organization.
type Organization struct {
	ID                string
	ManagementAccount string
	ManagementEmail   string
	RootID            string
	FeatureSet        string
	// EnabledTypes are the policy types enabled in the root.
	EnabledTypes []string
	Created      time.Time
}

// ARN is the organization's ARN.
func (o *Organization) ARN() string {
	return fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.ManagementAccount, o.ID)
}

// RootARN is the root's ARN.
func (o *Organization) RootARN() string {
	return fmt.Sprintf("arn:aws:organizations::%s:root/%s/%s", o.ManagementAccount, o.ID, o.RootID)
}

// OUARN is an OU's ARN.
func (o *Organization) OUARN(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:ou/%s/%s", o.ManagementAccount, o.ID, id)
}

// AccountARN is a member account's ARN.
func (o *Organization) AccountARN(id string) string {
	return fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.ManagementAccount, o.ID, id)
}

// PolicyARN is a policy's ARN (AWS-managed policies live under "aws").
func (o *Organization) PolicyARN(p *Policy) string {
	return o.policyARN(p.Type, p.ID, p.AWSManaged)
}

// SCPEnabled reports whether SCPs are enabled in the root.
func (o *Organization) SCPEnabled() bool { return o.typeEnabled(TypeSCP) }

// RCPEnabled reports whether RCPs are enabled in the root.
func (o *Organization) RCPEnabled() bool { return o.typeEnabled(TypeRCP) }

func (o *Organization) typeEnabled(t string) bool {
	for _, e := range o.EnabledTypes {
		if e == t {
			return true
		}
	}
	return false
}

// OU is an organizational unit.
type OU struct {
	ID       string
	Name     string
	ParentID string
}

// Member is an account's place in the organization.
type Member struct {
	AccountID    string
	ParentID     string
	JoinedMethod string // CREATED or INVITED
	Joined       time.Time
}

// Account is a member account as Organizations describes it.
type Account struct {
	ID    string
	ARN   string
	Name  string
	Email string
	// Status is the account's Status (ACTIVE, SUSPENDED, PENDING_CLOSURE)
	// and State its State (ACTIVE, CLOSED, …): a closed account is
	// SUSPENDED and CLOSED.
	Status       string
	State        string
	JoinedMethod string
	Joined       time.Time
}

// Closure records an account's closure.
type Closure struct {
	AccountID string
	Closed    time.Time
}

// Policy is an Organizations policy.
type Policy struct {
	ID          string
	Name        string
	Description string
	Type        string
	AWSManaged  bool
	Content     string
	ARN         string `json:"-"`
}

// Attachment ties a policy to a target.
type Attachment struct {
	PolicyID string
	TargetID string
}

// CreateStatus is a CreateAccount request's status.
type CreateStatus struct {
	ID            string
	AccountName   string
	State         string // SUCCEEDED or FAILED
	Requested     time.Time
	Completed     time.Time
	AccountID     string `json:",omitempty"`
	FailureReason string `json:",omitempty"`
}

// Target types.
const (
	TargetRoot    = "ROOT"
	TargetOU      = "ORGANIZATIONAL_UNIT"
	TargetAccount = "ACCOUNT"
)

// Target is a root, OU or account a policy is attached to.
type Target struct {
	ID   string
	ARN  string
	Name string
	Type string
}

// Identifier patterns (Organizations API reference).
var (
	reAccountID = regexp.MustCompile(`^\d{12}$`)
	reRootID    = regexp.MustCompile(`^r-[0-9a-z]{4,32}$`)
	reOUID      = regexp.MustCompile(`^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$`)
	rePolicyID  = regexp.MustCompile(`^p-[0-9a-zA-Z_]{8,128}$`)
	reCARID     = regexp.MustCompile(`^car-[a-z0-9]{8,32}$`)
	reEmail     = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	reRoleName  = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randID returns n random characters of [a-z0-9].
func randID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b)
}

func get[T any](ctx context.Context, r store.Reader, kind, name string) (*T, error) {
	rec, err := r.Get(ctx, kind, "", name)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s %q: %w", kind, name, err)
	}
	return v, nil
}

func getByID[T any](ctx context.Context, r store.Reader, kind, id string) (*T, error) {
	rec, err := r.GetByID(ctx, kind, id)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s %q: %w", kind, id, err)
	}
	return v, nil
}

func list[T any](ctx context.Context, r store.Reader, f store.Filter) ([]*T, error) {
	recs, err := r.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]*T, 0, len(recs))
	for _, rec := range recs {
		v := new(T)
		if err := json.Unmarshal(rec.Data, v); err != nil {
			return nil, fmt.Errorf("decode %s %q: %w", rec.Kind, rec.Name, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data structs only
	}
	return b
}

func notFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Service is the Organizations domain over one store. It is safe for
// concurrent use.
type Service struct {
	store store.Store
	iam   *iam.Service
	now   func() time.Time
}

// New returns the Organizations domain.
func New(st store.Store, iamSvc *iam.Service, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, iam: iamSvc, now: now}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }
