package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
)

// benchRequest is a botocore-style STS POST as the server sees it
// (SignedHeaders=content-type;host;x-amz-date, ~75-byte body).
func benchRequest(b *testing.B) *http.Request {
	return botocoreRequest(b, stsBody, testCreds, testTime)
}

// BenchmarkVerifyCached measures Parse + Verify with a warm key cache.
func BenchmarkVerifyCached(b *testing.B) {
	r := benchRequest(b)
	c := NewKeyCache(0)
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(r, stsBody, secret, testTime, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOnlyCached measures Verify alone (Auth parsed once).
func BenchmarkVerifyOnlyCached(b *testing.B) {
	r := benchRequest(b)
	c := NewKeyCache(0)
	a, err := Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Verify(r, stsBody, secret, testTime, c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyUncached measures Parse + Verify deriving the key each time.
func BenchmarkVerifyUncached(b *testing.B) {
	r := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		a, err := Parse(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(r, stsBody, secret, testTime, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	r := benchRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(r); err != nil {
			b.Fatal(err)
		}
	}
}

// rawInputs returns the canonical request and scope inputs of the bench
// request, computed once.
func rawInputs(b *testing.B) (canonical []byte, a *Auth) {
	r := benchRequest(b)
	a, err := Parse(r)
	if err != nil {
		b.Fatal(err)
	}
	s := getScratch()
	canonical = append([]byte(nil), s.canonicalRequest(r, a, hexSHA256(stsBody), true)...)
	putScratch(s)
	return canonical, a
}

func stdHMAC(key []byte, msg string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return h.Sum(nil)
}

// BenchmarkRawCrypto is the baseline: only the cryptography of an uncached
// verification with the standard library (SHA-256 of the body and of the
// canonical request, the four-HMAC key derivation and the final HMAC), no
// parsing or canonicalisation.
func BenchmarkRawCrypto(b *testing.B) {
	canonical, a := rawInputs(b)
	prefix := a.Algorithm + "\n" + a.AmzDate + "\n" + a.Scope() + "\n"
	b.ReportAllocs()
	for b.Loop() {
		bodySum := sha256.Sum256(stsBody)
		crSum := sha256.Sum256(canonical)
		k := stdHMAC(append([]byte("AWS4"), secret...), a.DateStamp)
		k = stdHMAC(k, a.Region)
		k = stdHMAC(k, a.Service)
		k = stdHMAC(k, ScopeTerminator)
		sig := stdHMAC(k, prefix+hex.EncodeToString(crSum[:]))
		if sig[0] == 0 && bodySum[0] == 0 {
			b.Log("unlikely")
		}
	}
}

// BenchmarkRawCryptoCachedKey is the baseline for a cached key: SHA-256 of
// body and canonical request plus the final HMAC (standard library).
func BenchmarkRawCryptoCachedKey(b *testing.B) {
	canonical, a := rawInputs(b)
	prefix := a.Algorithm + "\n" + a.AmzDate + "\n" + a.Scope() + "\n"
	key, _ := deriveKey(nil, secret, a.DateStamp, a.Region, a.Service, a.Terminator)
	b.ReportAllocs()
	for b.Loop() {
		bodySum := sha256.Sum256(stsBody)
		crSum := sha256.Sum256(canonical)
		sig := stdHMAC(key[:], prefix+hex.EncodeToString(crSum[:]))
		if sig[0] == 0 && bodySum[0] == 0 {
			b.Log("unlikely")
		}
	}
}

func BenchmarkSign(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		r, _ := http.NewRequest("POST", "https://sts.amazonaws.com/", nil)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		Sign(r, stsBody, testCreds, "us-east-1", "sts", testTime)
	}
}
