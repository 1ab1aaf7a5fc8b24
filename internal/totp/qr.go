package totp

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// qrModulePixels is the side of one QR module in the image (AWS's images
// are a few hundred pixels wide; authenticator apps read them from a
// screen).
const qrModulePixels = 6

// QRCodePNG renders content (an otpauth:// URI) as a QR code PNG, with
// medium error correction and the quiet zone of four modules that readers
// need around the code.
func QRCodePNG(content string) ([]byte, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return nil, err
	}
	modules := code.Bounds().Dx()
	side := (modules + 8) * qrModulePixels
	// Scale the code to modules*px, then pad it with the quiet zone.
	scaled, err := barcode.Scale(code, modules*qrModulePixels, modules*qrModulePixels)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, quietZone(scaled, side)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// quietZone centres img on a white square of the given side.
func quietZone(img image.Image, side int) image.Image {
	out := image.NewGray(image.Rect(0, 0, side, side))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	b := img.Bounds()
	off := image.Pt((side-b.Dx())/2, (side-b.Dy())/2)
	draw.Draw(out, b.Sub(b.Min).Add(off), img, b.Min, draw.Src)
	return out
}
