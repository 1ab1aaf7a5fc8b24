package sigv4

import (
	"crypto/sha256"
	"unsafe"
)

// hmacSHA256 computes HMAC-SHA256(key, msg) using buf as scratch space and
// returns the MAC and the (possibly grown) buffer. It does not allocate once
// buf is large enough; unlike crypto/hmac it needs no hash objects.
func hmacSHA256[M string | []byte](buf, key []byte, msg M) ([32]byte, []byte) {
	var kh [sha256.Size]byte
	if len(key) > sha256.BlockSize {
		kh = sha256.Sum256(key)
		key = kh[:]
	}
	b := buf[:0]
	for i := 0; i < sha256.BlockSize; i++ {
		var c byte
		if i < len(key) {
			c = key[i]
		}
		b = append(b, c^0x36)
	}
	b = append(b, msg...)
	inner := sha256.Sum256(b)
	b = b[:0]
	for i := 0; i < sha256.BlockSize; i++ {
		var c byte
		if i < len(key) {
			c = key[i]
		}
		b = append(b, c^0x5c)
	}
	b = append(b, inner[:]...)
	return sha256.Sum256(b), b
}

// deriveKey computes the SigV4 signing key
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(buf, secret []byte, date, region, service, terminator string) ([32]byte, []byte) {
	var kb [96]byte
	k := append(append(kb[:0], "AWS4"...), secret...)
	key, buf := hmacSHA256(buf, k, date)
	clear(kb[:]) // best effort: do not leave the secret on the stack
	key, buf = hmacSHA256(buf, key[:], region)
	key, buf = hmacSHA256(buf, key[:], service)
	key, buf = hmacSHA256(buf, key[:], terminator)
	return key, buf
}

// unsafeString views b as a string without copying; b must not change while
// the string is in use.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
