// Package totp owns virtual-MFA one-time passwords: RFC 6238 TOTP with
// HMAC-SHA1, a 30-second step and 6 digits (what IAM virtual MFA devices and
// authenticator apps use), secret generation, the Base32 seed format of IAM's
// Base32StringSeed, otpauth:// URIs, and their QR code images (IAM's
// QRCodePNG).
//
// Validate compares codes in constant time and returns the matched time step
// so that callers can refuse reuse of a code (store the last accepted step
// per device and reject steps <= it).
//
// This package imports nothing from the Hatrack module; besides the
// standard library it uses github.com/boombuler/barcode to draw QR codes.
package totp
