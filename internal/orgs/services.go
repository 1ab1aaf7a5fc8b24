package orgs

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hatrack/hatrack/store"
)

// Record kinds of trusted access and delegated administrators.
const (
	// KindServiceAccess: Name = the service principal with trusted access.
	KindServiceAccess = "orgservice"
	// KindDelegatedAdmin: Name = account id + "/" + service principal,
	// Parent = account id.
	KindDelegatedAdmin = "orgdelegated"
)

var (
	// reServicePrincipal is the ServicePrincipal member's pattern.
	reServicePrincipal = regexp.MustCompile(`^[\w+=,.@-]*$`)
	// reAWSService is the form of the service principals recognized here:
	// an AWS service's name under amazonaws.com.
	reAWSService = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*\.amazonaws\.com$`)
)

var (
	errAccountAlreadyRegistered = orgErr("AccountAlreadyRegisteredException",
		"The specified account is already a delegated administrator for this Amazon Web Services service.")
	errAccountNotRegistered = orgErr("AccountNotRegisteredException",
		"The specified account is not a delegated administrator for this Amazon Web Services service.")
)

func errUnrecognizedServicePrincipal() *Error {
	return reasonErr("InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL",
		"You specified a service principal that isn't recognized.")
}

func errCannotRegisterMaster() *Error {
	return reasonErr("ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
		"You attempted to register the management account of the organization as a delegated administrator for an Amazon Web Services service integrated with Organizations. You can designate only a member account as a delegated administrator.")
}

func errCannotRegisterSuspended() *Error {
	return reasonErr("ConstraintViolationException", "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR",
		"You cannot register a suspended account as a delegated administrator.")
}

func errServiceAccessNotEnabled() *Error {
	return reasonErr("ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED",
		"You attempted to register a delegated administrator before you enabled service access. Call the EnableAWSServiceAccess API first.")
}

func errCannotRemoveDelegatedAdmin() *Error {
	return reasonErr("ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
		"You attempted to remove an account that is registered as a delegated administrator for a service integrated with your organization. To complete this operation, you must first deregister this account as a delegated administrator.")
}

// CheckServicePrincipal validates a ServicePrincipal value: present, 1 to
// 128 characters of [\w+=,.@-], and the principal of an AWS service
// (name.amazonaws.com; UNRECOGNIZED_SERVICE_PRINCIPAL otherwise).
func CheckServicePrincipal(sp string) error {
	if sp == "" {
		return errInputRequired()
	}
	if len(sp) > 128 {
		return errMaxLength()
	}
	if !reServicePrincipal.MatchString(sp) {
		return errInvalidPattern()
	}
	if !reAWSService.MatchString(sp) {
		return errUnrecognizedServicePrincipal()
	}
	return nil
}

// ServiceAccess is a service with trusted access.
type ServiceAccess struct {
	ServicePrincipal string
	Enabled          time.Time
}

// DelegatedAdmin is a delegated administrator registration.
type DelegatedAdmin struct {
	AccountID        string
	ServicePrincipal string
	Enabled          time.Time
}

// DelegatedAdministrator is a delegated administrator account as
// ListDelegatedAdministrators describes it.
type DelegatedAdministrator struct {
	Account
	// Enabled is when the account first became a delegated
	// administrator (of the services listed, the earliest).
	Enabled time.Time
}

func delegatedAdminName(account, sp string) string { return account + "/" + sp }

// EnableAWSServiceAccess gives a service trusted access to the
// organization (idempotent: enabling it again keeps its date).
func (s *Service) EnableAWSServiceAccess(ctx context.Context, caller, sp string) error {
	if err := CheckServicePrincipal(sp); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, _ *Organization) error {
		if _, err := tx.Get(ctx, KindServiceAccess, "", sp); err == nil || !notFound(err) {
			return err
		}
		a := &ServiceAccess{ServicePrincipal: sp, Enabled: s.stamp()}
		return tx.Create(ctx, store.Record{Kind: KindServiceAccess, Name: sp, Data: encode(a)})
	})
}

// DisableAWSServiceAccess withdraws a service's trusted access
// (idempotent). The service's delegated administrators are deregistered
// with it.
func (s *Service) DisableAWSServiceAccess(ctx context.Context, caller, sp string) error {
	if err := CheckServicePrincipal(sp); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, _ *Organization) error {
		if err := tx.Delete(ctx, KindServiceAccess, "", sp); err != nil && !notFound(err) {
			return err
		}
		admins, err := list[DelegatedAdmin](ctx, tx, store.Filter{Kind: KindDelegatedAdmin})
		if err != nil {
			return err
		}
		for _, a := range admins {
			if a.ServicePrincipal == sp {
				if err := tx.Delete(ctx, KindDelegatedAdmin, "", delegatedAdminName(a.AccountID, sp)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ListAWSServiceAccessForOrganization lists the services with trusted
// access (by service principal), to the management account or a
// delegated administrator.
func (s *Service) ListAWSServiceAccessForOrganization(ctx context.Context, caller string) ([]*ServiceAccess, error) {
	var out []*ServiceAccess
	err := s.view(ctx, caller, false, func(r store.Reader, org *Organization) error {
		if err := adminAccess(ctx, r, org, caller); err != nil {
			return err
		}
		var err error
		out, err = list[ServiceAccess](ctx, r, store.Filter{Kind: KindServiceAccess})
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ServicePrincipal < out[j].ServicePrincipal })
	return out, err
}

// isDelegatedAdmin reports whether account is a delegated administrator
// of any service.
func isDelegatedAdmin(ctx context.Context, r store.Reader, account string) (bool, error) {
	n, err := r.Count(ctx, store.Filter{Kind: KindDelegatedAdmin, Parent: account})
	return n > 0, err
}

// adminAccess lets the management account and delegated administrators
// through (member accounts that are neither: AccessDeniedException).
func adminAccess(ctx context.Context, r store.Reader, org *Organization, caller string) error {
	if caller == org.ManagementAccount {
		return nil
	}
	ok, err := isDelegatedAdmin(ctx, r, caller)
	if err != nil {
		return err
	}
	if !ok {
		return errMemberDenied
	}
	return nil
}

// RegisterDelegatedAdministrator makes a member account the delegated
// administrator of a service that has trusted access.
func (s *Service) RegisterDelegatedAdministrator(ctx context.Context, caller, account, sp string) error {
	if err := checkAccountID(account); err != nil {
		return err
	}
	if err := CheckServicePrincipal(sp); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, org *Organization) error {
		if _, err := tx.Get(ctx, KindMember, "", account); notFound(err) {
			return errAccountNotFound
		} else if err != nil {
			return err
		}
		if account == org.ManagementAccount {
			return errCannotRegisterMaster()
		}
		if closed, err := isClosed(ctx, tx, account); err != nil {
			return err
		} else if closed {
			return errCannotRegisterSuspended()
		}
		if _, err := tx.Get(ctx, KindServiceAccess, "", sp); notFound(err) {
			return errServiceAccessNotEnabled()
		} else if err != nil {
			return err
		}
		if _, err := tx.Get(ctx, KindDelegatedAdmin, "", delegatedAdminName(account, sp)); err == nil {
			return errAccountAlreadyRegistered
		} else if !notFound(err) {
			return err
		}
		a := &DelegatedAdmin{AccountID: account, ServicePrincipal: sp, Enabled: s.stamp()}
		return tx.Create(ctx, store.Record{Kind: KindDelegatedAdmin, Name: delegatedAdminName(account, sp), Parent: account, Data: encode(a)})
	})
}

// DeregisterDelegatedAdministrator removes a delegated administrator
// registration.
func (s *Service) DeregisterDelegatedAdministrator(ctx context.Context, caller, account, sp string) error {
	if err := checkAccountID(account); err != nil {
		return err
	}
	if err := CheckServicePrincipal(sp); err != nil {
		return err
	}
	return s.update(ctx, caller, func(tx store.Tx, _ *Organization) error {
		if _, err := tx.Get(ctx, KindMember, "", account); notFound(err) {
			return errAccountNotFound
		} else if err != nil {
			return err
		}
		err := tx.Delete(ctx, KindDelegatedAdmin, "", delegatedAdminName(account, sp))
		if notFound(err) {
			return errAccountNotRegistered
		}
		return err
	})
}

// ListDelegatedAdministrators lists the delegated administrator accounts
// (by account id), of one service when sp is not empty, to the management
// account or a delegated administrator.
func (s *Service) ListDelegatedAdministrators(ctx context.Context, caller, sp string) ([]*DelegatedAdministrator, error) {
	if sp != "" {
		if err := CheckServicePrincipal(sp); err != nil {
			return nil, err
		}
	}
	var out []*DelegatedAdministrator
	err := s.view(ctx, caller, false, func(r store.Reader, org *Organization) error {
		if err := adminAccess(ctx, r, org, caller); err != nil {
			return err
		}
		admins, err := list[DelegatedAdmin](ctx, r, store.Filter{Kind: KindDelegatedAdmin})
		if err != nil {
			return err
		}
		byAccount := map[string]*DelegatedAdministrator{}
		for _, a := range admins {
			if sp != "" && a.ServicePrincipal != sp {
				continue
			}
			if d, ok := byAccount[a.AccountID]; ok {
				if a.Enabled.Before(d.Enabled) {
					d.Enabled = a.Enabled
				}
				continue
			}
			m, err := get[Member](ctx, r, KindMember, a.AccountID)
			if err != nil {
				return err
			}
			closed, err := isClosed(ctx, r, a.AccountID)
			if err != nil {
				return err
			}
			acct, err := describe(ctx, r, org, m, closed)
			if err != nil {
				return err
			}
			d := &DelegatedAdministrator{Account: *acct, Enabled: a.Enabled}
			byAccount[a.AccountID] = d
			out = append(out, d)
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, err
}

// ListDelegatedServicesForAccount lists the services (by principal) a
// delegated administrator account administers, to the management account
// or a delegated administrator.
func (s *Service) ListDelegatedServicesForAccount(ctx context.Context, caller, account string) ([]*DelegatedAdmin, error) {
	if err := checkAccountID(account); err != nil {
		return nil, err
	}
	var out []*DelegatedAdmin
	err := s.view(ctx, caller, false, func(r store.Reader, org *Organization) error {
		if err := adminAccess(ctx, r, org, caller); err != nil {
			return err
		}
		if _, err := r.Get(ctx, KindMember, "", account); notFound(err) {
			return errAccountNotFound
		} else if err != nil {
			return err
		}
		var err error
		out, err = list[DelegatedAdmin](ctx, r, store.Filter{Kind: KindDelegatedAdmin, Parent: account})
		if err != nil {
			return err
		}
		if len(out) == 0 {
			return errAccountNotRegistered
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].ServicePrincipal, out[j].ServicePrincipal) < 0 })
	return out, err
}
