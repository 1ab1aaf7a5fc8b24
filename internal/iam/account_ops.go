package iam

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/store"
)

// Account-level IAM operations: aliases, the account summary, the
// credential report and the authorization details.

var reAlias = regexp.MustCompile(`^[a-z0-9]([a-z0-9]|-[a-z0-9])*$`)

type aliasRecord struct {
	Alias   string
	Account string
}

// CreateAccountAlias sets the account's alias (one per account, unique
// across the deployment); an existing alias is replaced.
func (s *Service) CreateAccountAlias(ctx context.Context, account, alias string) error {
	var v awserr.Validation
	switch {
	case alias == "":
		v.AddNull("accountAlias")
	case len(alias) < 3 || len(alias) > 63:
		v.Add(alias, "accountAlias", "Member must have length between 3 and 63")
	case !reAlias.MatchString(alias) || strings.Contains(alias, "--"):
		v.Add(alias, "accountAlias", "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(alias) == 12 && strings.Trim(alias, "0123456789") == "" {
		return awserr.ValidationError("The account alias must not be a 12-digit number.")
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		if rec, err := tx.Get(ctx, KindAccountAlias, "", alias); err == nil {
			var a aliasRecord
			if err := jsonDecode(rec.Data, &a); err != nil {
				return err
			}
			if a.Account == account {
				return nil
			}
			return awserr.EntityAlreadyExists("The account alias %s already exists.", alias)
		} else if !notFound(err) {
			return err
		}
		acct, rec, err := get[Account](ctx, tx, KindAccount, "", account)
		if err != nil {
			return err
		}
		if acct.Alias != "" {
			if err := tx.Delete(ctx, KindAccountAlias, "", acct.Alias); err != nil && !notFound(err) {
				return err
			}
		}
		acct.Alias = alias
		rec.Data = encode(acct)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
		err = tx.Create(ctx, store.Record{Kind: KindAccountAlias, Name: alias, Data: encode(&aliasRecord{Alias: alias, Account: account})})
		if errors.Is(err, store.ErrAlreadyExists) {
			return awserr.EntityAlreadyExists("The account alias %s already exists.", alias)
		}
		return err
	})
}

// AccountForAlias returns the account whose alias is alias (aliases are
// unique across the deployment), or ok false when no account has it.
func (s *Service) AccountForAlias(ctx context.Context, alias string) (account string, ok bool, err error) {
	if alias == "" {
		return "", false, nil
	}
	err = s.store.View(ctx, func(r store.Reader) error {
		rec, err := r.Get(ctx, KindAccountAlias, "", alias)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		var a aliasRecord
		if err := jsonDecode(rec.Data, &a); err != nil {
			return err
		}
		account, ok = a.Account, true
		return nil
	})
	return account, ok, err
}

// DeleteAccountAlias removes the account's alias.
func (s *Service) DeleteAccountAlias(ctx context.Context, account, alias string) error {
	var v awserr.Validation
	if alias == "" {
		v.AddNull("accountAlias")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		acct, rec, err := get[Account](ctx, tx, KindAccount, "", account)
		if err != nil {
			return err
		}
		if acct.Alias == "" || acct.Alias != alias {
			return awserr.NoSuchEntity("The account alias %s cannot be found.", alias)
		}
		acct.Alias = ""
		rec.Data = encode(acct)
		if err := tx.Put(ctx, rec); err != nil {
			return err
		}
		if err := tx.Delete(ctx, KindAccountAlias, "", alias); err != nil && !notFound(err) {
			return err
		}
		return nil
	})
}

// ListAccountAliases returns the account's alias (zero or one).
func (s *Service) ListAccountAliases(ctx context.Context, account string) ([]string, error) {
	a, err := s.GetAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	if a.Alias == "" {
		return []string{}, nil
	}
	return []string{a.Alias}, nil
}

// SummaryEntry is one key of GetAccountSummary's SummaryMap.
type SummaryEntry struct {
	Key   string
	Value int
}

// AccountSummary counts the account's IAM entities against the quotas.
func (s *Service) AccountSummary(ctx context.Context, account string) ([]SummaryEntry, error) {
	var out []SummaryEntry
	err := s.store.View(ctx, func(r store.Reader) error {
		count := func(kind string) (int, error) { return r.Count(ctx, store.Filter{Kind: kind, Account: account}) }
		var users, groups, roles, policies, profiles int
		var err error
		for _, c := range []struct {
			dst  *int
			kind string
		}{{&users, KindUser}, {&groups, KindGroup}, {&roles, KindRole}, {&policies, KindPolicy}, {&profiles, KindInstanceProfile}} {
			if *c.dst, err = count(c.kind); err != nil {
				return err
			}
		}
		recs, err := r.List(ctx, store.Filter{Kind: KindPolicy, Account: account})
		if err != nil {
			return err
		}
		versions := 0
		mps, err := decodeAll[ManagedPolicy](recs)
		if err != nil {
			return err
		}
		for _, mp := range mps {
			versions += len(mp.Versions)
		}
		rootKeys, err := r.Count(ctx, store.Filter{Kind: KindAccessKey, Account: account, Parent: keyOwner(account, "")})
		if err != nil {
			return err
		}
		mfa, _ := count("mfadevice")
		providers := 0
		for _, k := range []string{"oidcprovider", "samlprovider"} {
			n, _ := count(k)
			providers += n
		}
		out = []SummaryEntry{
			{"AccessKeysPerUserQuota", maxKeysPerUser},
			{"AccountAccessKeysPresent", b2i(rootKeys > 0)},
			{"AccountMFAEnabled", 0},
			{"AccountPasswordPresent", 0},
			{"AccountSigningCertificatesPresent", 0},
			{"AssumeRolePolicySizeQuota", maxTrustPolicySize},
			{"AttachedPoliciesPerGroupQuota", maxAttachedPerEntity},
			{"AttachedPoliciesPerRoleQuota", maxAttachedPerEntity},
			{"AttachedPoliciesPerUserQuota", maxAttachedPerEntity},
			{"GlobalEndpointTokenVersion", 1},
			{"GroupPolicySizeQuota", inlineQuota[EntityGroup]},
			{"Groups", groups},
			{"GroupsPerUserQuota", maxGroupsPerUser},
			{"GroupsQuota", maxGroupsPerAccount},
			{"InstanceProfiles", profiles},
			{"InstanceProfilesQuota", maxInstanceProfiles},
			{"MFADevices", mfa},
			{"MFADevicesInUse", mfa},
			{"Policies", policies},
			{"PoliciesQuota", maxPoliciesPerAccount},
			{"PolicySizeQuota", maxPolicySize},
			{"PolicyVersionsInUse", versions},
			{"PolicyVersionsInUseQuota", 10000},
			{"Providers", providers},
			{"RolePolicySizeQuota", inlineQuota[EntityRole]},
			{"Roles", roles},
			{"RolesQuota", maxRolesPerAccount},
			{"ServerCertificates", 0},
			{"ServerCertificatesQuota", 20},
			{"SigningCertificatesPerUserQuota", 2},
			{"UserPolicySizeQuota", inlineQuota[EntityUser]},
			{"Users", users},
			{"UsersQuota", maxUsersPerAccount},
			{"VersionsPerPolicyQuota", maxPolicyVersions},
		}
		return nil
	})
	return out, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CredentialReport is a generated credential report.
type CredentialReport struct {
	Generated time.Time
	Content   []byte // CSV
}

// GenerateCredentialReport builds the account's credential report and
// returns the state IAM reports: STARTED when no report existed (or it was
// older than four hours), COMPLETE otherwise.
func (s *Service) GenerateCredentialReport(ctx context.Context, account string) (string, string, error) {
	state, desc := "COMPLETE", ""
	now := s.now().UTC().Truncate(time.Second)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		old, _, err := get[CredentialReport](ctx, tx, KindCredReport, account, "report")
		if err == nil && now.Sub(old.Generated) < 4*time.Hour {
			return nil
		}
		if err != nil && !notFound(err) {
			return err
		}
		state, desc = "STARTED", "No report exists. Starting a new report generation task"
		content, err := s.credentialCSV(ctx, tx, account, now)
		if err != nil {
			return err
		}
		return tx.Put(ctx, store.Record{Kind: KindCredReport, Account: account, Name: "report", Data: encode(&CredentialReport{Generated: now, Content: content})})
	})
	return state, desc, err
}

// GetCredentialReport returns the last generated report.
func (s *Service) GetCredentialReport(ctx context.Context, account string) (*CredentialReport, error) {
	var rep *CredentialReport
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		rep, _, err = get[CredentialReport](ctx, r, KindCredReport, account, "report")
		if notFound(err) {
			return awserr.New(410, "ReportNotPresent", "Credential report is not present. Use GenerateCredentialReport to generate a report.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if s.now().Sub(rep.Generated) > 4*time.Hour {
		return nil, awserr.New(410, "ReportExpired", "The report is expired. Generate a new report.")
	}
	return rep, nil
}

func isoOrNA(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return t.UTC().Format("2006-01-02T15:04:05+00:00")
}

func (s *Service) credentialCSV(ctx context.Context, r store.Reader, account string, now time.Time) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
		"password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
		"access_key_1_last_used_region", "access_key_1_last_used_service", "access_key_2_active", "access_key_2_last_rotated",
		"access_key_2_last_used_date", "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active",
		"cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"})
	keyCols := func(owner string) ([]string, error) {
		recs, err := r.List(ctx, store.Filter{Kind: KindAccessKey, Account: account, Parent: owner})
		if err != nil {
			return nil, err
		}
		keys, err := decodeAll[AccessKey](recs)
		if err != nil {
			return nil, err
		}
		var cols []string
		for i := 0; i < 2; i++ {
			if i >= len(keys) {
				cols = append(cols, "false", "N/A", "N/A", "N/A", "N/A")
				continue
			}
			k := keys[i]
			lu, reg, svc := "N/A", "N/A", "N/A"
			if k.LastUsed != nil {
				lu, reg, svc = isoOrNA(k.LastUsed.Date), k.LastUsed.Region, k.LastUsed.Service
			}
			cols = append(cols, boolStr(k.Status == StatusActive), isoOrNA(k.Created), lu, reg, svc)
		}
		return cols, nil
	}
	acct, _, err := get[Account](ctx, r, KindAccount, "", account)
	if err != nil {
		return nil, err
	}
	cols, err := keyCols(keyOwner(account, ""))
	if err != nil {
		return nil, err
	}
	w.Write(append([]string{"<root_account>", RootARN(account), isoOrNA(acct.Created), "not_supported", "N/A", "not_supported", "not_supported", "false"},
		append(cols, "false", "N/A", "false", "N/A")...))
	recs, err := r.List(ctx, store.Filter{Kind: KindUser, Account: account})
	if err != nil {
		return nil, err
	}
	users, err := decodeAll[User](recs)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		pw, changed := "false", "N/A"
		if lp, _, err := get[LoginProfile](ctx, r, KindLoginProfile, account, u.ID); err == nil {
			pw, changed = "true", isoOrNA(lp.Created)
		}
		lastUsed := "N/A"
		if pw == "true" {
			lastUsed = "no_information"
			if !u.PasswordLastUsed.IsZero() {
				lastUsed = isoOrNA(u.PasswordLastUsed)
			}
		}
		cols, err := keyCols(keyOwner(account, u.ID))
		if err != nil {
			return nil, err
		}
		w.Write(append([]string{u.Name, u.ARN(), isoOrNA(u.Created), pw, lastUsed, changed, "N/A", "false"},
			append(cols, "false", "N/A", "false", "N/A")...))
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// AuthDetails is GetAccountAuthorizationDetails' answer.
type AuthDetails struct {
	Users    []UserDetail
	Groups   []GroupDetail
	Roles    []RoleDetail
	Policies []*ManagedPolicy
}

// UserDetail is one user with its policies and groups.
type UserDetail struct {
	User     *User
	Inline   []*InlinePolicy
	Attached []AttachedPolicy
	Groups   []string
}

// GroupDetail is one group with its policies.
type GroupDetail struct {
	Group    *Group
	Inline   []*InlinePolicy
	Attached []AttachedPolicy
}

// RoleDetail is one role with its policies and instance profiles.
type RoleDetail struct {
	Role     *Role
	Inline   []*InlinePolicy
	Attached []AttachedPolicy
	Profiles []*InstanceProfile
}

// AuthorizationDetails returns every user, group, role and policy of the
// account (filter: User, Group, Role, LocalManagedPolicy,
// AWSManagedPolicy; empty = all). AWS-managed policies appear only when
// attached somewhere in the account.
func (s *Service) AuthorizationDetails(ctx context.Context, account string, filter []string) (*AuthDetails, error) {
	want := map[string]bool{}
	for _, f := range filter {
		switch f {
		case "User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy":
			want[f] = true
		default:
			var v awserr.Validation
			v.Add("["+strings.Join(filter, ", ")+"]", "filter", "Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]")
			return nil, v.Err()
		}
	}
	all := len(want) == 0
	out := &AuthDetails{}
	err := s.store.View(ctx, func(r store.Reader) error {
		if all || want["User"] {
			recs, err := r.List(ctx, store.Filter{Kind: KindUser, Account: account})
			if err != nil {
				return err
			}
			users, err := decodeAll[User](recs)
			if err != nil {
				return err
			}
			for _, u := range users {
				e := entityRef{Type: EntityUser, ID: u.ID}
				d := UserDetail{User: u}
				if d.Inline, err = inlineOf(ctx, r, account, e); err != nil {
					return err
				}
				if d.Attached, err = attachedOf(ctx, r, account, e); err != nil {
					return err
				}
				gs, err := s.groupsOf(ctx, r, account, u.ID)
				if err != nil {
					return err
				}
				for _, g := range gs {
					d.Groups = append(d.Groups, g.Name)
				}
				out.Users = append(out.Users, d)
			}
		}
		if all || want["Group"] {
			recs, err := r.List(ctx, store.Filter{Kind: KindGroup, Account: account})
			if err != nil {
				return err
			}
			groups, err := decodeAll[Group](recs)
			if err != nil {
				return err
			}
			for _, g := range groups {
				e := entityRef{Type: EntityGroup, ID: g.ID}
				d := GroupDetail{Group: g}
				if d.Inline, err = inlineOf(ctx, r, account, e); err != nil {
					return err
				}
				if d.Attached, err = attachedOf(ctx, r, account, e); err != nil {
					return err
				}
				out.Groups = append(out.Groups, d)
			}
		}
		if all || want["Role"] {
			recs, err := r.List(ctx, store.Filter{Kind: KindRole, Account: account})
			if err != nil {
				return err
			}
			roles, err := decodeAll[Role](recs)
			if err != nil {
				return err
			}
			for _, ro := range roles {
				ro.TrustDocument = s.displayTrust(ctx, r, ro.TrustPolicy)
				e := entityRef{Type: EntityRole, ID: ro.ID}
				d := RoleDetail{Role: ro}
				if d.Inline, err = inlineOf(ctx, r, account, e); err != nil {
					return err
				}
				if d.Attached, err = attachedOf(ctx, r, account, e); err != nil {
					return err
				}
				prs, err := r.List(ctx, store.Filter{Kind: KindProfileRole, Account: account, Parent: e.key()})
				if err != nil {
					return err
				}
				links, err := decodeLinks(prs)
				if err != nil {
					return err
				}
				for _, l := range links {
					ip, _, err := getByID[InstanceProfile](ctx, r, KindInstanceProfile, l.GroupID)
					if err != nil {
						continue
					}
					if err := s.fillProfile(ctx, r, ip); err != nil {
						return err
					}
					d.Profiles = append(d.Profiles, ip)
				}
				out.Roles = append(out.Roles, d)
			}
		}
		if all || want["LocalManagedPolicy"] {
			recs, err := r.List(ctx, store.Filter{Kind: KindPolicy, Account: account})
			if err != nil {
				return err
			}
			mps, err := decodeAll[ManagedPolicy](recs)
			if err != nil {
				return err
			}
			for _, mp := range mps {
				if err := s.counts(ctx, r, account, mp); err != nil {
					return err
				}
				out.Policies = append(out.Policies, mp)
			}
		}
		if all || want["AWSManagedPolicy"] {
			mps, _, err := s.listAWSUsed(ctx, r, account)
			if err != nil {
				return err
			}
			out.Policies = append(out.Policies, mps...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listAWSUsed returns the AWS-managed policies attached (or used as a
// boundary) in account.
func (s *Service) listAWSUsed(ctx context.Context, r store.Reader, account string) ([]*ManagedPolicy, string, error) {
	var out []*ManagedPolicy
	seen := map[string]bool{}
	for _, kind := range []string{KindAttachment, KindBoundaryUse} {
		recs, err := r.List(ctx, store.Filter{Kind: kind, Account: account, NamePrefix: "arn:aws:iam::aws:policy/"})
		if err != nil {
			return nil, "", err
		}
		links, err := decodeLinks(recs)
		if err != nil {
			return nil, "", err
		}
		for _, l := range links {
			if seen[l.PolicyARN] {
				continue
			}
			seen[l.PolicyARN] = true
			mp, _, err := s.loadPolicy(ctx, r, account, l.PolicyARN, errNoSuchPolicy)
			if err != nil {
				continue
			}
			if err := s.counts(ctx, r, account, mp); err != nil {
				return nil, "", err
			}
			out = append(out, mp)
		}
	}
	return out, "", nil
}

func jsonDecode(b []byte, v any) error { return json.Unmarshal(b, v) }
