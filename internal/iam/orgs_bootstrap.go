package iam

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// Organizations creates member accounts: the account record and the role
// the management account assumes into it, in the caller's transaction so
// the whole account appears at once or not at all.

// AdministratorAccessARN is the AWS-managed policy attached to a member
// account's organization access role.
const AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"

// AccountsTx lists every account inside a transaction.
func AccountsTx(ctx context.Context, r store.Reader) ([]*Account, error) {
	recs, err := r.List(ctx, store.Filter{Kind: KindAccount, Account: ""})
	if err != nil {
		return nil, err
	}
	return decodeAll[Account](recs)
}

// CreateMemberAccountTx stores account a (Created set when zero) and, in
// it, the role roleName trusting the management account's root with
// AdministratorAccess attached. It fails with EntityAlreadyExists when the
// account id is taken.
func (s *Service) CreateMemberAccountTx(ctx context.Context, tx store.Tx, a Account, roleName, management string) (*Role, error) {
	now := s.now().UTC().Truncate(time.Second)
	if a.Created.IsZero() {
		a.Created = now
	}
	err := tx.Create(ctx, store.Record{Kind: KindAccount, Account: "", Name: a.ID, ID: a.ID, Data: encode(&a)})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, awserr.EntityAlreadyExists("Account %s already exists.", a.ID)
	}
	if err != nil {
		return nil, err
	}
	role := &Role{
		Account: a.ID,
		Path:    "/",
		Name:    roleName,
		ID:      ids.NewUniqueID("AROA"),
		Created: now,
		TrustPolicy: fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"%s"},"Action":"sts:AssumeRole"}]}`,
			RootARN(management)),
		MaxSessionDuration: 3600,
	}
	if err := tx.Create(ctx, store.Record{Kind: KindRole, Account: a.ID, Name: role.Name, ID: role.ID, Data: encode(role)}); err != nil {
		return nil, err
	}
	e := entityRef{Type: EntityRole, ID: role.ID, Name: role.Name, Path: role.Path}
	if err := attach(ctx, tx, a.ID, e, AdministratorAccessARN); err != nil {
		return nil, err
	}
	return role, nil
}
