package totp

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/makiuchi-d/gozxing"
	qrreader "github.com/makiuchi-d/gozxing/qrcode"
)

// The PNG is read back by an independent QR decoder (ZXing's port).
func TestQRCodePNGDecodes(t *testing.T) {
	for _, content := range []string{
		"otpauth://totp/alice-phone@111111111111?secret=" + EncodeSecret(bytes.Repeat([]byte{0xA5}, 40)),
		"otpauth://totp/" + string(bytes.Repeat([]byte("x"), 226)) + "@111111111111?secret=ABCDEFGH",
	} {
		b, err := QRCodePNG(content)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
			t.Fatalf("not a PNG: % x", b[:8])
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if bnd := img.Bounds(); bnd.Dx() != bnd.Dy() || bnd.Dx() < 150 {
			t.Fatalf("image %v", bnd)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(img)
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrreader.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("decoding the QR code: %v", err)
		}
		if res.GetText() != content {
			t.Fatalf("QR code holds %q, want %q", res.GetText(), content)
		}
	}
}
