package iam

import (
	"context"
	"errors"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/store"
)

// LoginProfile is a user's console password (bcrypt hash only).
type LoginProfile struct {
	UserID                string
	UserName              string `json:"-"`
	Hash                  []byte
	Created               time.Time
	PasswordResetRequired bool
}

const bcryptCost = 10

func errNoLoginProfile(user string) error {
	return awserr.NoSuchEntity("Login Profile for User %s cannot be found.", user)
}

// checkPassword applies IAM's default password policy: 8..128 characters
// and at least three of upper case, lower case, digits and symbols, and
// not the user name.
func checkPassword(user, pw string) error {
	var v awserr.Validation
	if pw == "" {
		v.AddNull("password")
		return v.Err()
	}
	if len([]rune(pw)) > 128 {
		v.Add("*****", "password", "Member must have length less than or equal to 128")
		return v.Err()
	}
	var up, lo, dg, sy int
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			up = 1
		case unicode.IsLower(r):
			lo = 1
		case unicode.IsDigit(r):
			dg = 1
		default:
			sy = 1
		}
	}
	if len([]rune(pw)) < 8 || up+lo+dg+sy < 3 || pw == user {
		return awserr.New(400, "PasswordPolicyViolation", "Password does not conform to the account password policy.")
	}
	return nil
}

// CreateLoginProfile gives a user a console password.
func (s *Service) CreateLoginProfile(ctx context.Context, account, user, password string, reset bool) (*LoginProfile, error) {
	var lp *LoginProfile
	err := s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.getUser(ctx, tx, account, user)
		if err != nil {
			return err
		}
		if err := checkPassword(u.Name, password); err != nil {
			return err
		}
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
		if err != nil {
			return err
		}
		lp = &LoginProfile{UserID: u.ID, UserName: u.Name, Hash: hash, Created: s.now().UTC().Truncate(time.Second), PasswordResetRequired: reset}
		err = tx.Create(ctx, store.Record{Kind: KindLoginProfile, Account: account, Name: u.ID, Data: encode(lp)})
		if errors.Is(err, store.ErrAlreadyExists) {
			return awserr.EntityAlreadyExists("Login Profile for user %s already exists.", u.Name)
		}
		return err
	})
	return lp, err
}

// GetLoginProfile returns a user's login profile (never the password).
func (s *Service) GetLoginProfile(ctx context.Context, account, user string) (*LoginProfile, error) {
	var lp *LoginProfile
	err := s.store.View(ctx, func(r store.Reader) error {
		u, err := s.getUser(ctx, r, account, user)
		if err != nil {
			return err
		}
		lp, _, err = get[LoginProfile](ctx, r, KindLoginProfile, account, u.ID)
		if notFound(err) {
			return errNoLoginProfile(u.Name)
		}
		if lp != nil {
			lp.UserName = u.Name
		}
		return err
	})
	return lp, err
}

// UpdateLoginProfile changes a user's password and/or reset flag.
func (s *Service) UpdateLoginProfile(ctx context.Context, account, user string, password *string, reset *bool) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.getUser(ctx, tx, account, user)
		if err != nil {
			return err
		}
		lp, rec, err := get[LoginProfile](ctx, tx, KindLoginProfile, account, u.ID)
		if notFound(err) {
			return errNoLoginProfile(u.Name)
		}
		if err != nil {
			return err
		}
		if password != nil {
			if err := checkPassword(u.Name, *password); err != nil {
				return err
			}
			if lp.Hash, err = bcrypt.GenerateFromPassword([]byte(*password), bcryptCost); err != nil {
				return err
			}
		}
		if reset != nil {
			lp.PasswordResetRequired = *reset
		}
		rec.Data = encode(lp)
		return tx.Put(ctx, rec)
	})
}

// DeleteLoginProfile removes a user's console password.
func (s *Service) DeleteLoginProfile(ctx context.Context, account, user string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		u, err := s.getUser(ctx, tx, account, user)
		if err != nil {
			return err
		}
		err = tx.Delete(ctx, KindLoginProfile, account, u.ID)
		if notFound(err) {
			return errNoLoginProfile(u.Name)
		}
		return err
	})
}

// CheckPassword reports whether password is the user's console password.
// It answers false (never an error naming why) for unknown users and users
// without a login profile; the comparison is bcrypt's, in constant time
// with respect to the password.
func (s *Service) CheckPassword(ctx context.Context, account, user, password string) (bool, error) {
	lp, err := s.GetLoginProfile(ctx, account, user)
	if awserr.HasCode(err, "NoSuchEntity") || awserr.HasCode(err, "ValidationError") {
		// Spend the same work as a real comparison.
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bcrypt.CompareHashAndPassword(lp.Hash, []byte(password)) == nil, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("hatrack-dummy-password"), bcryptCost)
