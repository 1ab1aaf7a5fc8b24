package e2e

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"
)

// readQR decodes a QR code PNG with an independent reader (ZXing's port).
func readQR(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code in the image: %v", err)
	}
	return res.GetText()
}

// checkBootstrapURI checks the QR code's content against IAM's documented
// form and returns its secret.
func checkBootstrapURI(t *testing.T, uri, device string) string {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/"+device+"@"+accountA {
		t.Fatalf("QR code holds %q, want otpauth://totp/%s@%s?secret=…", uri, device, accountA)
	}
	return u.Query().Get("secret")
}

// A new virtual MFA device comes with its seed twice: in Base32 and as a
// QR code an authenticator app scans; both hold the same secret.
func TestVirtualMFABootstrapGoSDK(t *testing.T) {
	s := StartServer(t)
	root := iamClient(s, rootCreds)
	dev := must(root.CreateVirtualMFADevice(context.Background(), &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("bob-phone")}))
	seed := string(dev.VirtualMFADevice.Base32StringSeed)
	if len(seed) < 16 {
		t.Fatalf("Base32StringSeed %q", seed)
	}
	if got := checkBootstrapURI(t, readQR(t, dev.VirtualMFADevice.QRCodePNG), "bob-phone"); got != seed {
		t.Fatalf("QR code secret %q, Base32StringSeed %q", got, seed)
	}
}

// The CLI's --outfile/--bootstrap-method writes the chosen blob to a file.
func testVirtualMFABootstrapCLI(t *testing.T, major string) {
	bin := awsCLI(t, major)
	s := StartServer(t)
	dir := t.TempDir()
	qrFile, seedFile := filepath.Join(dir, "qr.png"), filepath.Join(dir, "seed.txt")
	out := cliJSON(t, bin, s, rootCreds, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-phone",
		"--outfile", qrFile, "--bootstrap-method", "QRCodePNG")
	if dig(out, "VirtualMFADevice", "SerialNumber") != "arn:aws:iam::"+accountA+":mfa/cli-phone" {
		t.Fatalf("create-virtual-mfa-device %v", out)
	}
	qr, err := os.ReadFile(qrFile)
	if err != nil {
		t.Fatalf("the CLI wrote no QR code: %v", err)
	}
	if secret := checkBootstrapURI(t, readQR(t, qr), "cli-phone"); len(secret) < 16 {
		t.Fatalf("secret %q", secret)
	}
	cliJSON(t, bin, s, rootCreds, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "cli-phone-2",
		"--outfile", seedFile, "--bootstrap-method", "Base32StringSeed")
	seed, err := os.ReadFile(seedFile)
	if err != nil || len(strings.TrimSpace(string(seed))) < 16 || strings.Trim(string(seed), "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") != "" {
		t.Fatalf("seed file %q, %v", seed, err)
	}
}

func TestVirtualMFABootstrapCLIv1(t *testing.T) { testVirtualMFABootstrapCLI(t, "1") }
func TestVirtualMFABootstrapCLIv2(t *testing.T) { testVirtualMFABootstrapCLI(t, "2") }
