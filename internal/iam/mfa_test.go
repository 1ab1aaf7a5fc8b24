package iam

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/totp"
)

// A virtual device's bootstrap holds its seed; GetMFADevice answers only
// for the user the device is assigned to.
func TestVirtualMFADeviceBootstrapAndGet(t *testing.T) {
	s := newTestService(t)
	ctx := context.Background()
	for _, n := range []string{"alice", "bob"} {
		if _, err := s.CreateUser(ctx, testAcct, CreateUserInput{UserName: n}); err != nil {
			t.Fatal(err)
		}
	}
	d, boot, err := s.CreateVirtualMFADevice(ctx, testAcct, "alice-phone", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(boot.QRCodePNG, []byte("\x89PNG")) {
		t.Fatal("QRCodePNG is not a PNG")
	}
	seed, err := totp.DecodeSecret(boot.Base32StringSeed)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.GetMFADevice(ctx, testAcct, "alice", d.Serial)
	wantCode(t, err, "NoSuchEntity", "") // not assigned yet
	step := totp.Step(time.Now())
	if err := s.EnableMFADevice(ctx, testAcct, "alice", d.Serial, totp.GenerateStep(seed, step-1), totp.GenerateStep(seed, step)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetMFADevice(ctx, testAcct, "alice", d.Serial)
	if err != nil || got.Serial != d.Serial || got.UserName != "alice" || got.EnableDate.IsZero() {
		t.Fatalf("GetMFADevice = %+v, %v", got, err)
	}
	_, err = s.GetMFADevice(ctx, testAcct, "bob", d.Serial)
	wantCode(t, err, "NoSuchEntity", "")
	_, err = s.GetMFADevice(ctx, testAcct, "nobody", d.Serial)
	wantCode(t, err, "NoSuchEntity", "")
	_, err = s.GetMFADevice(ctx, testAcct, "alice", "short")
	wantCode(t, err, "ValidationError", "")
}
