package iam

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/hatrack/hatrack/internal/awserr"
	"github.com/hatrack/hatrack/internal/totp"
	"github.com/hatrack/hatrack/store"
)

// KindMFA holds virtual MFA devices (Name = path without the leading "/"
// + device name, ID = serial number ARN; Parent = "mfa:"+owner while the
// device is enabled for a user or the root user).
const KindMFA = "mfa"

// maxMFAPerUser is "MFA devices in use per user / root" (iam-api.md §10).
const maxMFAPerUser = 8

// mfaSkewSteps accepts codes one 30-second step either side of now.
const mfaSkewSteps = 1

// MFADevice is a virtual MFA device. Its seed is sealed under the keyring
// (secrets-at-rest, bound to the serial number).
type MFADevice struct {
	Account    string
	Path       string
	Name       string
	Serial     string
	SealedSeed []byte
	Created    time.Time
	// Owner: UserID/UserName of the user it is enabled for; Root when
	// enabled for the account's root user; all empty when unassigned.
	UserID     string    `json:",omitempty"`
	UserName   string    `json:",omitempty"`
	Root       bool      `json:",omitempty"`
	EnableDate time.Time `json:",omitempty"`
	// LastStep is the TOTP step of the last accepted code: a code is never
	// accepted twice.
	LastStep int64 `json:",omitempty"`
	Tags     []Tag `json:",omitempty"`
}

// Assigned reports whether the device is enabled for someone.
func (d *MFADevice) Assigned() bool { return d.UserID != "" || d.Root }

func mfaParent(account, userID string) string {
	if userID == "" {
		return "mfa:root:" + account
	}
	return "mfa:user:" + userID
}

func mfaRecord(d *MFADevice) store.Record {
	r := store.Record{Kind: KindMFA, Account: d.Account, Name: strings.TrimPrefix(d.Path, "/") + d.Name, ID: d.Serial, Data: encode(d)}
	if d.Assigned() {
		r.Parent = mfaParent(d.Account, d.UserID)
	}
	return r
}

// ErrInvalidMFACode is returned by VerifyMFA for a wrong, reused or
// unassigned device/code pair; STS turns it into its own AccessDenied.
var ErrInvalidMFACode = errors.New("iam: invalid MFA code")

var (
	reSerial    = regexp.MustCompile(`^[\w+=/:,.@-]*$`)
	reAuthCode  = regexp.MustCompile(`^[\d]+$`)
	errNoDevice = func(serial string) error {
		return awserr.NoSuchEntity("VirtualMFADevice with serial %s not found.", serial)
	}
)

func errInvalidAuthCode() error {
	return awserr.New(http.StatusForbidden, "InvalidAuthenticationCode", "Authentication code for device is not valid.")
}

func init() {
	userDeleteChecks = append(userDeleteChecks, func(ctx context.Context, r store.Reader, u *User) error {
		n, err := r.Count(ctx, store.Filter{Kind: KindMFA, Account: u.Account, Parent: mfaParent(u.Account, u.ID)})
		if err != nil {
			return err
		}
		if n > 0 {
			return awserr.DeleteConflict("Cannot delete entity, must delete MFA device first.")
		}
		return nil
	})
}

// CreateVirtualMFADevice creates an unassigned virtual MFA device and
// returns it with its seed, as Base32 and as a QR code (shown once).
func (s *Service) CreateVirtualMFADevice(ctx context.Context, account, name, path string, tags []Tag) (*MFADevice, *MFABootstrap, error) {
	var v awserr.Validation
	checkName(&v, "virtualMFADeviceName", name, 226)
	checkPath(&v, "path", path)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	if err := checkTags(tags); err != nil {
		return nil, nil, err
	}
	d := &MFADevice{Account: account, Path: orSlash(path), Name: name, Created: s.now().UTC().Truncate(time.Second), Tags: tags}
	d.Serial = "arn:" + Partition + ":iam::" + account + ":mfa" + d.Path + name
	seed := totp.NewSecret()
	b32 := totp.EncodeSecret(seed)
	// The QR code's content, as IAM documents it (the device has no user
	// yet: the account id stands for the account name). Drawn before the
	// device is stored, so that a failure stores nothing.
	png, err := totp.QRCodePNG("otpauth://totp/" + name + "@" + account + "?secret=" + b32)
	if err != nil {
		return nil, nil, err
	}
	boot := &MFABootstrap{Base32StringSeed: b32, QRCodePNG: png}
	sealed, err := s.keys.Seal(secretPurpose, seed, []byte(d.Serial))
	if err != nil {
		return nil, nil, err
	}
	d.SealedSeed = sealed
	err = s.store.Update(ctx, func(tx store.Tx) error {
		err := tx.Create(ctx, mfaRecord(d))
		if errors.Is(err, store.ErrAlreadyExists) {
			return awserr.EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return d, boot, nil
}

// MFABootstrap is what a new virtual MFA device's owner configures an
// authenticator app with: the seed in Base32 and the same as a QR code
// (otpauth://totp/<device name>@<account>?secret=<seed>).
type MFABootstrap struct {
	Base32StringSeed string
	QRCodePNG        []byte
}

// mfaBySerial loads a device of account by serial number.
func (s *Service) mfaBySerial(ctx context.Context, r store.Reader, account, serial string) (*MFADevice, error) {
	d, _, err := getByID[MFADevice](ctx, r, KindMFA, serial)
	if notFound(err) || err == nil && d.Account != account {
		return nil, errNoDevice(serial)
	}
	return d, err
}

// assignedDevice loads the device serial assigned to userName ("" = the
// root user); any other device, or none, is NoSuchEntity.
func (s *Service) assignedDevice(ctx context.Context, r store.Reader, account, userName, serial string) (*MFADevice, error) {
	uid, _, err := s.mfaOwner(ctx, r, account, userName)
	if err != nil {
		return nil, err
	}
	d, err := s.mfaBySerial(ctx, r, account, serial)
	if err != nil {
		return nil, err
	}
	if !d.Assigned() || !d.ownedBy(uid) {
		return nil, errNoDevice(serial)
	}
	return d, nil
}

// checkOwnerSerial validates a device's optional user name and serial.
func checkOwnerSerial(userName, serial string) error {
	var v awserr.Validation
	if userName != "" {
		checkName(&v, "userName", userName, 128)
	}
	checkSerial(&v, serial)
	return v.Err()
}

func checkSerial(v *awserr.Validation, serial string) {
	if serial == "" {
		v.AddNull("serialNumber")
		return
	}
	if len(serial) < 9 || len(serial) > 256 {
		v.Add(serial, "serialNumber", "Member must have length between 9 and 256")
	}
	if !reSerial.MatchString(serial) {
		v.Add(serial, "serialNumber", `Member must satisfy regular expression pattern: [\w+=/:,.@-]+`)
	}
}

func checkAuthCode(v *awserr.Validation, member, code string) {
	if code == "" {
		v.AddNull(member)
		return
	}
	if len(code) != 6 {
		v.Add(code, member, "Member must have length between 6 and 6")
	}
	if !reAuthCode.MatchString(code) {
		v.Add(code, member, `Member must satisfy regular expression pattern: [\d]+`)
	}
}

// mfaOwner resolves userName ("" = the account's root user).
func (s *Service) mfaOwner(ctx context.Context, r store.Reader, account, userName string) (id, name string, err error) {
	if userName == "" {
		return "", "", nil
	}
	u, err := s.getUser(ctx, r, account, userName)
	if err != nil {
		return "", "", err
	}
	return u.ID, u.Name, nil
}

func (d *MFADevice) ownedBy(userID string) bool {
	if userID == "" {
		return d.Root
	}
	return d.UserID == userID
}

// checkTwoCodes validates the members of EnableMFADevice and
// ResyncMFADevice.
func checkTwoCodes(userName, serial, code1, code2 string) error {
	var v awserr.Validation
	if userName != "" {
		checkName(&v, "userName", userName, 128)
	}
	checkSerial(&v, serial)
	checkAuthCode(&v, "authenticationCode1", code1)
	checkAuthCode(&v, "authenticationCode2", code2)
	return v.Err()
}

// EnableMFADevice assigns a virtual device to userName ("" = root) after
// checking two consecutive codes.
func (s *Service) EnableMFADevice(ctx context.Context, account, userName, serial, code1, code2 string) error {
	if err := checkTwoCodes(userName, serial, code1, code2); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		uid, uname, err := s.mfaOwner(ctx, tx, account, userName)
		if err != nil {
			return err
		}
		d, err := s.mfaBySerial(ctx, tx, account, serial)
		if err != nil {
			return err
		}
		if d.Assigned() {
			return awserr.EntityAlreadyExists("MFA Device is already in use.")
		}
		n, err := tx.Count(ctx, store.Filter{Kind: KindMFA, Account: account, Parent: mfaParent(account, uid)})
		if err != nil {
			return err
		}
		if n >= maxMFAPerUser {
			return awserr.LimitExceeded("Cannot exceed quota for MFADevicesInUsePerUser: %d", maxMFAPerUser)
		}
		step, err := s.checkTwoCodes(d, code1, code2)
		if err != nil {
			return err
		}
		d.UserID, d.UserName, d.Root = uid, uname, uid == ""
		d.EnableDate = s.now().UTC().Truncate(time.Second)
		d.LastStep = step
		return tx.Put(ctx, mfaRecord(d))
	})
}

func (s *Service) checkTwoCodes(d *MFADevice, code1, code2 string) (int64, error) {
	seed, err := s.keys.Open(secretPurpose, d.SealedSeed, []byte(d.Serial))
	if err != nil {
		return 0, err
	}
	defer clear(seed)
	step, ok := totp.ValidateConsecutive(seed, code1, code2, s.now(), mfaSkewSteps)
	if !ok || step <= d.LastStep {
		return 0, errInvalidAuthCode()
	}
	return step, nil
}

// ResyncMFADevice re-synchronises an enabled device with two consecutive
// codes.
func (s *Service) ResyncMFADevice(ctx context.Context, account, userName, serial, code1, code2 string) error {
	if err := checkTwoCodes(userName, serial, code1, code2); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		d, err := s.assignedDevice(ctx, tx, account, userName, serial)
		if err != nil {
			return err
		}
		step, err := s.checkTwoCodes(d, code1, code2)
		if err != nil {
			return err
		}
		d.LastStep = step
		return tx.Put(ctx, mfaRecord(d))
	})
}

// DeactivateMFADevice unassigns a device from userName ("" = root); the
// virtual device itself remains.
func (s *Service) DeactivateMFADevice(ctx context.Context, account, userName, serial string) error {
	if err := checkOwnerSerial(userName, serial); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		d, err := s.assignedDevice(ctx, tx, account, userName, serial)
		if err != nil {
			return err
		}
		d.UserID, d.UserName, d.Root, d.EnableDate = "", "", false, time.Time{}
		return tx.Put(ctx, mfaRecord(d))
	})
}

// DeleteVirtualMFADevice deletes an unassigned virtual device.
func (s *Service) DeleteVirtualMFADevice(ctx context.Context, account, serial string) error {
	var v awserr.Validation
	checkSerial(&v, serial)
	if err := v.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		d, err := s.mfaBySerial(ctx, tx, account, serial)
		if err != nil {
			return err
		}
		if d.Assigned() {
			return awserr.DeleteConflict("MFA Device is still in use.")
		}
		return tx.Delete(ctx, KindMFA, account, mfaRecord(d).Name)
	})
}

// ListMFADevices lists the devices enabled for userName ("" = root).
func (s *Service) ListMFADevices(ctx context.Context, account, userName string, p Page) ([]*MFADevice, string, error) {
	var out []*MFADevice
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		uid, _, err := s.mfaOwner(ctx, r, account, userName)
		if err != nil {
			return err
		}
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindMFA, Account: account, Parent: mfaParent(account, uid)}, p, nil)
		if err != nil {
			return err
		}
		next = nx
		out, err = decodeAll[MFADevice](recs)
		return err
	})
	return out, next, err
}

// GetMFADevice returns the MFA device serial assigned to the user (the
// root user when userName is empty and the caller is root: see
// mfaOwner); a device that is not the user's is NoSuchEntity.
func (s *Service) GetMFADevice(ctx context.Context, account, userName, serial string) (*MFADevice, error) {
	if err := checkOwnerSerial(userName, serial); err != nil {
		return nil, err
	}
	var out *MFADevice
	err := s.store.View(ctx, func(r store.Reader) error {
		d, err := s.assignedDevice(ctx, r, account, userName, serial)
		out = d
		return err
	})
	return out, err
}

// ListVirtualMFADevices lists the account's virtual devices by assignment
// status ("Assigned", "Unassigned", "Any" or "").
func (s *Service) ListVirtualMFADevices(ctx context.Context, account, status string, p Page) ([]*MFADevice, string, error) {
	switch status {
	case "", "Any", "Assigned", "Unassigned":
	default:
		var v awserr.Validation
		v.Add(status, "assignmentStatus", "Member must satisfy enum value set: [Unassigned, Any, Assigned]")
		return nil, "", v.Err()
	}
	var out []*MFADevice
	var next string
	err := s.store.View(ctx, func(r store.Reader) error {
		recs, nx, err := listPage(ctx, r, store.Filter{Kind: KindMFA, Account: account}, p, func(rec store.Record) (bool, error) {
			switch status {
			case "Assigned":
				return rec.Parent != "", nil
			case "Unassigned":
				return rec.Parent == "", nil
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		next = nx
		out, err = decodeAll[MFADevice](recs)
		return err
	})
	return out, next, err
}

// VerifyMFA checks code against the device serial enabled for the
// principal userID of account ("" = root) and records its step so the
// same code is never accepted again. It returns ErrInvalidMFACode for any
// mismatch (unknown device, not the caller's, wrong or reused code) and
// the time the code was accepted.
func (s *Service) VerifyMFA(ctx context.Context, account, userID, serial, code string) (time.Time, error) {
	var at time.Time
	err := s.store.Update(ctx, func(tx store.Tx) error {
		d, _, err := getByID[MFADevice](ctx, tx, KindMFA, serial)
		if notFound(err) {
			return ErrInvalidMFACode
		}
		if err != nil {
			return err
		}
		if d.Account != account || !d.Assigned() || !d.ownedBy(userID) {
			return ErrInvalidMFACode
		}
		seed, err := s.keys.Open(secretPurpose, d.SealedSeed, []byte(d.Serial))
		if err != nil {
			return err
		}
		now := s.now()
		step, ok := totp.Validate(seed, code, now, mfaSkewSteps)
		clear(seed)
		if !ok || step <= d.LastStep {
			return ErrInvalidMFACode
		}
		d.LastStep = step
		at = now
		return tx.Put(ctx, mfaRecord(d))
	})
	return at, err
}
