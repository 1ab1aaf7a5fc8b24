package iam

import (
	"context"
	"errors"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// CreateAccount stores a new account. It fails with EntityAlreadyExists
// when the id is taken.
func (s *Service) CreateAccount(ctx context.Context, a Account) (*Account, error) {
	if a.Created.IsZero() {
		a.Created = s.now().UTC().Truncate(time.Second)
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		err := tx.Create(ctx, store.Record{Kind: KindAccount, Account: "", Name: a.ID, ID: a.ID, Data: encode(&a)})
		if errors.Is(err, store.ErrAlreadyExists) {
			return awserr.EntityAlreadyExists("Account %s already exists.", a.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// GetAccount loads an account; store.ErrNotFound when unknown.
func (s *Service) GetAccount(ctx context.Context, id string) (*Account, error) {
	var a *Account
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		a, _, err = get[Account](ctx, r, KindAccount, "", id)
		return err
	})
	return a, err
}

// Accounts lists every account.
func (s *Service) Accounts(ctx context.Context) ([]*Account, error) {
	return listAll[Account](ctx, s.store, store.Filter{Kind: KindAccount, Account: ""})
}

// KindMeta holds deployment-wide facts (one record per fact).
const KindMeta = "meta"

// Deployment is the record written once, on a deployment's first start.
type Deployment struct {
	ID                string
	ManagementAccount string
	Created           time.Time
}

// LoadDeployment returns the deployment record; store.ErrNotFound before
// the first start completed.
func (s *Service) LoadDeployment(ctx context.Context) (*Deployment, error) {
	var d *Deployment
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		d, _, err = get[Deployment](ctx, r, KindMeta, "", "deployment")
		return err
	})
	return d, err
}

// Bootstrap performs a deployment's first start in one transaction: the
// deployment record, the management account and its root access key (id
// and secret given, or generated when empty). It returns the new key.
func (s *Service) Bootstrap(ctx context.Context, d Deployment, acct Account, keyID, secret string) (*NewKey, error) {
	var err error
	now := s.now().UTC().Truncate(time.Second)
	d.Created, acct.Created = now, now
	if keyID == "" {
		if keyID, err = ids.NewAccessKeyID("AKIA", acct.ID); err != nil {
			return nil, err
		}
	}
	if secret == "" {
		secret = ids.NewSecretAccessKey()
	}
	sealed, err := sealSecret(s.keys, keyID, secret)
	if err != nil {
		return nil, err
	}
	k := &NewKey{Secret: secret, AccessKey: AccessKey{ID: keyID, Account: acct.ID, Status: StatusActive, Created: now, SealedSecret: sealed}}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.Create(ctx, store.Record{Kind: KindMeta, Name: "deployment", Data: encode(&d)}); err != nil {
			return err
		}
		if err := tx.Create(ctx, store.Record{Kind: KindAccount, Name: acct.ID, ID: acct.ID, Data: encode(&acct)}); err != nil {
			return err
		}
		return tx.Create(ctx, store.Record{Kind: KindAccessKey, Account: acct.ID, Name: keyID, ID: keyID,
			Parent: keyOwner(acct.ID, ""), Data: encode(&k.AccessKey)})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}
