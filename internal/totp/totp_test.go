package totp

import (
	"crypto/sha1"
	"net/url"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B, SHA1 (secret "12345678901234567890").
var rfc6238 = []struct {
	unix int64
	code string // 8 digits
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

var rfcSecret = []byte("12345678901234567890")

func TestRFC6238Vectors(t *testing.T) {
	for _, tc := range rfc6238 {
		tm := time.Unix(tc.unix, 0)
		if got := hotp(sha1.New, rfcSecret, uint64(Step(tm)), 8); got != tc.code {
			t.Errorf("8-digit at %d = %s, want %s", tc.unix, got, tc.code)
		}
		want6 := tc.code[2:]
		if got := Generate(rfcSecret, tm); got != want6 {
			t.Errorf("Generate at %d = %s, want %s", tc.unix, got, want6)
		}
		if step, ok := Validate(rfcSecret, want6, tm, 0); !ok || step != Step(tm) {
			t.Errorf("Validate at %d = %d, %v", tc.unix, step, ok)
		}
		if step, ok := validate(sha1.New, rfcSecret, tc.code, Step(tm), 0, 8); !ok || step != Step(tm) {
			t.Errorf("8-digit validate at %d = %d, %v", tc.unix, step, ok)
		}
	}
}

// RFC 4226 Appendix D HOTP values (counter 0..9).
func TestRFC4226Vectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := GenerateStep(rfcSecret, int64(i)); got != w {
			t.Errorf("counter %d = %s, want %s", i, got, w)
		}
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		unix int64
		want int64
	}{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {-1, -1}, {-30, -1}, {-31, -2},
	}
	for _, tc := range tests {
		if got := Step(time.Unix(tc.unix, 0)); got != tc.want {
			t.Errorf("Step(%d) = %d, want %d", tc.unix, got, tc.want)
		}
	}
}

func TestValidateSkew(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	cur := Step(now)
	tests := []struct {
		name   string
		codeAt int64 // step offset of the code
		skew   int
		ok     bool
	}{
		{"current", 0, 0, true},
		{"previous no skew", -1, 0, false},
		{"previous skew 1", -1, 1, true},
		{"next skew 1", 1, 1, true},
		{"two back skew 1", -2, 1, false},
		{"two ahead skew 2", 2, 2, true},
		{"negative skew", -1, -5, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code := GenerateStep(secret, cur+tc.codeAt)
			if code == GenerateStep(secret, cur) && tc.codeAt != 0 {
				t.Skip("code collision")
			}
			step, ok := Validate(secret, code, now, tc.skew)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && step != cur+tc.codeAt {
				t.Fatalf("step = %d, want %d", step, cur+tc.codeAt)
			}
			if !ok && step != 0 {
				t.Fatalf("step = %d on failure", step)
			}
		})
	}
}

func TestValidateRejectsMalformed(t *testing.T) {
	secret := rfcSecret
	now := time.Unix(59, 0)
	good := Generate(secret, now)
	for _, code := range []string{"", "12345", "1234567", " " + good[1:], good[:5] + "a", "９４２８７０", "+87082"} {
		if _, ok := Validate(secret, code, now, 1); ok {
			t.Errorf("Validate(%q) ok", code)
		}
	}
	if _, ok := Validate([]byte("another secret......"), good, now, 1); ok {
		t.Error("code valid under another secret")
	}
}

func TestReusePreventionPattern(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	code := Generate(secret, now)
	last, ok := Validate(secret, code, now, 1)
	if !ok {
		t.Fatal("first use rejected")
	}
	// Same code 10 s later: still inside the window, same step → caller
	// refuses because step <= last.
	step, ok := Validate(secret, code, now.Add(10*time.Second), 1)
	if !ok || step > last {
		t.Fatalf("replay step = %d, ok=%v; want step <= %d", step, ok, last)
	}
}

func TestValidateConsecutive(t *testing.T) {
	secret := NewSecret()
	now := time.Unix(1_700_000_000, 0)
	cur := Step(now)
	c0, c1, c2 := GenerateStep(secret, cur-1), GenerateStep(secret, cur), GenerateStep(secret, cur+1)
	if step, ok := ValidateConsecutive(secret, c0, c1, now, 2); !ok || step != cur {
		t.Errorf("consecutive = %d, %v", step, ok)
	}
	if step, ok := ValidateConsecutive(secret, c1, c2, now, 2); !ok || step != cur+1 {
		t.Errorf("consecutive ahead = %d, %v", step, ok)
	}
	if _, ok := ValidateConsecutive(secret, c1, c0, now, 2); ok {
		t.Error("reversed order accepted")
	}
	if _, ok := ValidateConsecutive(secret, c0, c2, now, 2); ok {
		t.Error("non-consecutive accepted")
	}
	if _, ok := ValidateConsecutive(secret, c1, c1, now, 2); ok {
		t.Error("same code twice accepted")
	}
}

func TestSecretEncoding(t *testing.T) {
	s := NewSecret()
	if len(s) != SecretSize {
		t.Fatalf("len = %d", len(s))
	}
	enc := EncodeSecret(s)
	if len(enc) != 32 || strings.ContainsAny(enc, "=abcdefghijklmnopqrstuvwxyz01890") {
		t.Fatalf("EncodeSecret = %q", enc)
	}
	tests := []struct {
		in string
		ok bool
	}{
		{enc, true},
		{strings.ToLower(enc), true},
		{enc[:4] + " " + enc[4:8] + "-" + enc[8:], true},
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", true}, // "12345678901234567890"
		{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ====", true},
		{"GEZDGNBV", false}, // too short
		{"GEZDGNBVGY3TQOJ1", false},
		{"", false},
	}
	for _, tc := range tests {
		b, err := DecodeSecret(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("DecodeSecret(%q): %v", tc.in, err)
			continue
		}
		if err != nil && strings.Contains(err.Error(), tc.in) && tc.in != "" {
			t.Errorf("error echoes input: %v", err)
		}
		if tc.in == enc && string(b) != string(s) {
			t.Error("round trip mismatch")
		}
	}
	if b, _ := DecodeSecret("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"); string(b) != string(rfcSecret) {
		t.Errorf("decoded %q", b)
	}
}

func TestURI(t *testing.T) {
	secret := rfcSecret
	tests := []struct {
		issuer, account, wantLabel string
	}{
		{"Hatrack", "alice@123456789012", "Hatrack:alice@123456789012"},
		{"Amazon Web Services", "bob", "Amazon%20Web%20Services:bob"},
		{"", "carol", "carol"},
		{"a:b", "c:d", "a%3Ab:c%3Ad"},
	}
	for _, tc := range tests {
		u := URI(tc.issuer, tc.account, secret)
		if !strings.HasPrefix(u, "otpauth://totp/"+tc.wantLabel+"?") {
			t.Errorf("URI = %q, want label %q", u, tc.wantLabel)
		}
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		q := p.Query()
		if q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" || q.Get("issuer") != tc.issuer ||
			q.Get("algorithm") != "SHA1" || q.Get("digits") != "6" || q.Get("period") != "30" {
			t.Errorf("URI query = %v", q)
		}
		if p.Scheme != "otpauth" || p.Host != "totp" {
			t.Errorf("URI = %q", u)
		}
	}
}

func FuzzValidate(f *testing.F) {
	f.Add([]byte("12345678901234567890"), "287082", int64(59), 1)
	f.Fuzz(func(t *testing.T, secret []byte, code string, unix int64, skew int) {
		skew %= 10
		tm := time.Unix(unix, 0)
		step, ok := Validate(secret, code, tm, skew)
		if ok && GenerateStep(secret, step) != code {
			t.Fatalf("matched step %d does not generate %q", step, code)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	s := NewSecret()
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		_ = Generate(s, now)
	}
}

func BenchmarkValidateSkew1(b *testing.B) {
	s := NewSecret()
	now := time.Now()
	code := Generate(s, now.Add(-Period))
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Validate(s, code, now, 1); !ok {
			b.Fatal("rejected")
		}
	}
}
