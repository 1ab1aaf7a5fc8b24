package iam

import (
	"context"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/ids"
	"github.com/hatrack/hatrack/store"
)

// NewKey is a freshly created access key with its secret, which is shown
// once and never again.
type NewKey struct {
	AccessKey
	Secret string
}

// keyOwnerOf resolves the owner of keys named by userName ("" = root).
func (s *Service) keyOwnerOf(ctx context.Context, r store.Reader, account, userName string) (userID, name string, err error) {
	if userName == "" {
		return "", "", nil
	}
	u, err := s.getUser(ctx, r, account, userName)
	if err != nil {
		return "", "", err
	}
	return u.ID, u.Name, nil
}

// CreateAccessKey creates an access key for userName, or for the root user
// of account when userName is "". secret, when not empty, is used instead
// of a generated one (first-start root keys from the environment); id
// likewise.
func (s *Service) CreateAccessKey(ctx context.Context, account, userName string) (*NewKey, error) {
	return s.createAccessKey(ctx, account, userName, "", "")
}

// ImportRootKey stores a root access key with a given id and secret (the
// HATRACK_ROOT_ACCESS_KEY_ID / _SECRET_ACCESS_KEY first-start contract).
func (s *Service) ImportRootKey(ctx context.Context, account, id, secret string) (*NewKey, error) {
	return s.createAccessKey(ctx, account, "", id, secret)
}

func (s *Service) createAccessKey(ctx context.Context, account, userName, id, secret string) (*NewKey, error) {
	if id == "" {
		var err error
		if id, err = ids.NewAccessKeyID("AKIA", account); err != nil {
			return nil, err
		}
	}
	if secret == "" {
		secret = ids.NewSecretAccessKey()
	}
	sealed, err := sealSecret(s.keys, id, secret)
	if err != nil {
		return nil, err
	}
	k := &NewKey{Secret: secret}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		uid, uname, err := s.keyOwnerOf(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		owner := keyOwner(account, uid)
		n, err := tx.Count(ctx, store.Filter{Kind: KindAccessKey, Account: account, Parent: owner})
		if err != nil {
			return err
		}
		if n >= maxKeysPerUser {
			return awserr.LimitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxKeysPerUser)
		}
		k.AccessKey = AccessKey{
			ID: id, Account: account, UserName: uname, UserID: uid,
			Status: StatusActive, Created: s.now().UTC().Truncate(time.Second), SealedSecret: sealed,
		}
		err = tx.Create(ctx, store.Record{Kind: KindAccessKey, Account: account, Name: id, ID: id, Parent: owner, Data: encode(&k.AccessKey)})
		if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ListAccessKeys lists the keys of userName ("" = root).
func (s *Service) ListAccessKeys(ctx context.Context, account, userName string, p Page) ([]*AccessKey, string, error) {
	var keys []*AccessKey
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		uid, _, err := s.keyOwnerOf(ctx, r, account, userName)
		if err != nil {
			return err
		}
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindAccessKey, Account: account, Parent: keyOwner(account, uid)}, p, nil)
		if err != nil {
			return err
		}
		next = nx
		keys, err = decodeAll[AccessKey](recs)
		return err
	})
	return keys, next, err
}

func errNoSuchKey(id string) error {
	return awserr.NoSuchEntity("The Access Key with id %s cannot be found.", id)
}

// ownedKey loads key id and checks it belongs to userName ("" = root).
func (s *Service) ownedKey(ctx context.Context, r store.Reader, account, userName, id string) (*AccessKey, store.Record, error) {
	var v awserr.Validation
	if len(id) < 16 || len(id) > 128 {
		v.Add(id, "accessKeyId", "Member must have length between 16 and 128")
		return nil, store.Record{}, v.Err()
	}
	uid, _, err := s.keyOwnerOf(ctx, r, account, userName)
	if err != nil {
		return nil, store.Record{}, err
	}
	k, rec, err := get[AccessKey](ctx, r, KindAccessKey, account, id)
	if notFound(err) || (err == nil && k.UserID != uid) {
		return nil, rec, errNoSuchKey(id)
	}
	return k, rec, err
}

// UpdateAccessKey sets a key Active or Inactive.
func (s *Service) UpdateAccessKey(ctx context.Context, account, userName, id, status string) error {
	if status != StatusActive && status != StatusInactive {
		var v awserr.Validation
		v.Add(status, "status", "Member must satisfy enum value set: [Active, Inactive]")
		if status == "" {
			v = awserr.Validation{}
			v.AddNull("status")
		}
		return v.Err()
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		k, rec, err := s.ownedKey(ctx, tx, account, userName, id)
		if err != nil {
			return err
		}
		k.Status = status
		rec.Data = encode(k)
		return tx.Put(ctx, rec)
	})
}

// DeleteAccessKey deletes a key.
func (s *Service) DeleteAccessKey(ctx context.Context, account, userName, id string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		if _, _, err := s.ownedKey(ctx, tx, account, userName, id); err != nil {
			return err
		}
		return tx.Delete(ctx, KindAccessKey, account, id)
	})
}

// AccessKeyByID finds any account's key by id (authentication).
func (s *Service) AccessKeyByID(ctx context.Context, id string) (*AccessKey, error) {
	var k *AccessKey
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		k, _, err = getByID[AccessKey](ctx, r, KindAccessKey, id)
		return err
	})
	return k, err
}

// RecordKeyUse stores last-used information for keys (batched by the
// caller; see internal/authn).
func (s *Service) RecordKeyUse(ctx context.Context, uses map[string]KeyUse) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		for id, use := range uses {
			k, rec, err := getByID[AccessKey](ctx, tx, KindAccessKey, id)
			if notFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			u := use
			k.LastUsed = &u
			rec.Data = encode(k)
			if err := tx.Put(ctx, rec); err != nil {
				return err
			}
		}
		return nil
	})
}
