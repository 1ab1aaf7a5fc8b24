package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/keyring"
	"github.com/hatrack/hatrack/store"
)

// Record kinds owned by this package.
const (
	KindAccount   = "account"
	KindUser      = "user"
	KindAccessKey = "accesskey"
)

// Partition is the only partition Hatrack serves.
const Partition = "aws"

// Tag is an IAM resource tag.
type Tag struct {
	Key   string
	Value string
}

// Account is one AWS account held by this deployment.
type Account struct {
	ID      string
	Name    string
	Email   string
	Alias   string `json:",omitempty"`
	Created time.Time
	// RootID is the id of the account's root user for
	// aws:userid (the account id itself, as AWS answers).
}

// RootARN is the account's root principal ARN.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// User is an IAM user.
type User struct {
	Account             string
	Path                string
	Name                string
	ID                  string
	Created             time.Time
	PermissionsBoundary string `json:",omitempty"`
	Tags                []Tag  `json:",omitempty"`
	PasswordLastUsed    time.Time
}

// ARN is the user's ARN, path included.
func (u *User) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:user%s%s", Partition, u.Account, u.Path, u.Name)
}

// Access key statuses.
const (
	StatusActive   = "Active"
	StatusInactive = "Inactive"
)

// AccessKey is a long-term access key of a user or of an account's root.
// The secret is sealed under the keyring ("secrets-at-rest", bound to the
// key id) and never stored in plain text.
type AccessKey struct {
	ID           string
	Account      string
	UserName     string // "" for the root user
	UserID       string // the user's unique id; "" for root
	Status       string
	Created      time.Time
	SealedSecret []byte
	LastUsed     *KeyUse `json:",omitempty"`
}

// KeyUse records where a key was last used.
type KeyUse struct {
	Date    time.Time
	Service string
	Region  string
}

// IsRoot reports whether the key belongs to the account's root user.
func (k *AccessKey) IsRoot() bool { return k.UserName == "" }

// owner is the Parent value that groups an owner's keys.
func keyOwner(account, userID string) string {
	if userID == "" {
		return "root:" + account
	}
	return "user:" + userID
}

const secretPurpose = "secrets-at-rest"

func sealSecret(kr *keyring.Keyring, keyID, secret string) ([]byte, error) {
	return kr.Seal(secretPurpose, []byte(secret), []byte(keyID))
}

// OpenSecret returns the key's secret access key.
func (k *AccessKey) OpenSecret(kr *keyring.Keyring) ([]byte, error) {
	return kr.Open(secretPurpose, k.SealedSecret, []byte(k.ID))
}

// get loads and decodes one record.
func get[T any](ctx context.Context, r store.Reader, kind, account, name string) (*T, store.Record, error) {
	rec, err := r.Get(ctx, kind, account, name)
	if err != nil {
		return nil, rec, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, rec, fmt.Errorf("decode %s %q: %w", kind, name, err)
	}
	return v, rec, nil
}

func getByID[T any](ctx context.Context, r store.Reader, kind, id string) (*T, store.Record, error) {
	rec, err := r.GetByID(ctx, kind, id)
	if err != nil {
		return nil, rec, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, rec, fmt.Errorf("decode %s %q: %w", kind, id, err)
	}
	return v, rec, nil
}

// createCounted creates rec unless its account already holds quota records
// of its kind (LimitExceeded, naming quotaName as IAM does) or one of the
// same name (exists).
func createCounted(ctx context.Context, tx store.Tx, rec store.Record, quota int, quotaName string, exists error) error {
	n, err := tx.Count(ctx, store.Filter{Kind: rec.Kind, Account: rec.Account})
	if err != nil {
		return err
	}
	if n >= quota {
		return awserr.LimitExceeded("Cannot exceed quota for %s: %d", quotaName, quota)
	}
	err = tx.Create(ctx, rec)
	if errors.Is(err, store.ErrAlreadyExists) {
		return exists
	}
	return err
}

// listAll reads and decodes every record f matches, in one view.
func listAll[T any](ctx context.Context, st store.Store, f store.Filter) ([]*T, error) {
	var out []*T
	err := st.View(ctx, func(r store.Reader) error {
		recs, err := r.List(ctx, f)
		if err != nil {
			return err
		}
		out, err = decodeAll[T](recs)
		return err
	})
	return out, err
}

func decodeAll[T any](recs []store.Record) ([]*T, error) {
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
		// Only plain data structs are encoded; failure is a programming error.
		panic(err)
	}
	return b
}

func notFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
