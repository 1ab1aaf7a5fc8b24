package ids

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestAccountFromAccessKeyIDPublicExamples(t *testing.T) {
	// Public examples: ASIAY34FZKBOKMUTVV7A → 609629065308 (Aidan Steele /
	// Tal Be'ery write-ups); ASIAQAAAAAAAGMKEM7X5 → 000000000000 and
	// AKIARZPUZDIKGB2VALC4 (LocalStack; the §2 formula gives the familiar
	// example account 123456789012, while LocalStack's docstring prints
	// 123456688022, which the formula does not produce).
	tests := []struct {
		id, want string
		ok       bool
	}{
		{"ASIAY34FZKBOKMUTVV7A", "609629065308", true},
		{"AKIARZPUZDIKGB2VALC4", "123456789012", true},
		{"ASIAQAAAAAAAGMKEM7X5", "000000000000", true},
		{"AKIAIOSFODNN7EXAMPLE", "", false}, // pre-2019 doc example: special-cased below
		{"", "", false},
		{"ASIA", "", false},
		{"ASIAY34FZKBOKMUTVV7", "", false},   // 19 chars
		{"ASIAY34FZKBOKMUTVV7AA", "", false}, // 21 chars
		{"ASIAY34FZKBOKMUTVV1A", "", false},  // '1' not base32
		{"asiaY34FZKBOKMUTVV7A", "", false},  // lower-case prefix
		{"ASIA777777777777777A", "", false},  // decodes above 999999999999
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			got, ok := AccountFromAccessKeyID(tc.id)
			if tc.id == "AKIAIOSFODNN7EXAMPLE" {
				// All characters are in A-Z2-7, so it decodes; it just
				// does not carry a real account. Only require 12 digits.
				if ok && !ValidAccountID(got) {
					t.Fatalf("got %q", got)
				}
				return
			}
			if ok != tc.ok || got != tc.want {
				t.Fatalf("AccountFromAccessKeyID(%q) = %q, %v; want %q, %v", tc.id, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestAccessKeyIDRoundTrip(t *testing.T) {
	fixed := []string{"000000000000", "000000000001", "123456789012", "999999999999", "549755813887", "549755813888"}
	for _, prefix := range []string{PrefixAccessKey, PrefixTempAccessKey} {
		accounts := append([]string(nil), fixed...)
		for range 2000 {
			accounts = append(accounts, NewAccountID())
		}
		seen := map[string]bool{}
		for _, acct := range accounts {
			id, err := NewAccessKeyID(prefix, acct)
			if err != nil {
				t.Fatal(err)
			}
			if !ValidAccessKeyID(id) || id[:4] != prefix {
				t.Fatalf("invalid id %q", id)
			}
			if got, ok := AccountFromAccessKeyID(id); !ok || got != acct {
				t.Fatalf("round trip %s: %q → %q, %v", acct, id, got, ok)
			}
			if seen[id] {
				t.Fatalf("duplicate id %q", id)
			}
			seen[id] = true
		}
	}
	// Same account, different ids.
	a, _ := NewAccessKeyID(PrefixAccessKey, "123456789012")
	b, _ := NewAccessKeyID(PrefixAccessKey, "123456789012")
	if a == b {
		t.Fatal("two access key ids for the same account are equal")
	}
	// Like AWS, keys of one account share the 8 characters after the prefix
	// (bits 47..8 of the decoded value: the marker bit and the account).
	if a[:12] != b[:12] {
		t.Errorf("account part differs: %s vs %s", a, b)
	}
}

func TestNewAccessKeyIDErrors(t *testing.T) {
	tests := []struct{ prefix, account string }{
		{"AIDA", "123456789012"},
		{"akia", "123456789012"},
		{"AKIA", "12345678901"},
		{"AKIA", "1234567890123"},
		{"AKIA", "12345678901a"},
		{"ASIA", ""},
	}
	for _, tc := range tests {
		if id, err := NewAccessKeyID(tc.prefix, tc.account); err == nil {
			t.Errorf("NewAccessKeyID(%q, %q) = %q, want error", tc.prefix, tc.account, id)
		}
	}
}

func TestNewUniqueID(t *testing.T) {
	re := regexp.MustCompile(`^[A-Z]{4}[A-Z2-7]{17}$`)
	for _, p := range []string{PrefixUser, PrefixRole, PrefixGroup, PrefixPolicy, PrefixInstanceProfile, PrefixCertificate} {
		seen := map[string]bool{}
		for range 1000 {
			id := NewUniqueID(p)
			if !re.MatchString(id) || !strings.HasPrefix(id, p) || len(id) != UniqueIDLen {
				t.Fatalf("bad id %q", id)
			}
			if !ValidUniqueID(id, p) || !ValidUniqueID(id, "") {
				t.Fatalf("ValidUniqueID(%q) = false", id)
			}
			if seen[id] {
				t.Fatalf("duplicate %q", id)
			}
			seen[id] = true
		}
	}
	for _, bad := range []string{"", "AID", "AIDAX", "aida", "AID1"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewUniqueID(%q) did not panic", bad)
				}
			}()
			NewUniqueID(bad)
		}()
	}
}

func TestValidUniqueID(t *testing.T) {
	tests := []struct {
		id, prefix string
		want       bool
	}{
		{"AROADBQP57FF2AEXAMPLE", "AROA", true},
		{"AROADBQP57FF2AEXAMPLE", "", true},
		{"AROADBQP57FF2AEXAMPLE", "AIDA", false},
		{"AROA1234567890EXAMPLE", "AROA", false}, // doc example uses 0/1/8/9
		{"AROADBQP57FF2AEXAMPL", "AROA", false},
		{"aroaDBQP57FF2AEXAMPLE", "", false},
	}
	for _, tc := range tests {
		if got := ValidUniqueID(tc.id, tc.prefix); got != tc.want {
			t.Errorf("ValidUniqueID(%q, %q) = %v", tc.id, tc.prefix, got)
		}
	}
}

func TestNewSecretAccessKey(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)
	counts := map[byte]int{}
	const n = 5000
	seen := map[string]bool{}
	for range n {
		s := NewSecretAccessKey()
		if !re.MatchString(s) || !ValidSecretAccessKey(s) {
			t.Fatalf("bad secret shape (len %d)", len(s))
		}
		if seen[s] {
			t.Fatal("duplicate secret")
		}
		seen[s] = true
		for i := 0; i < len(s); i++ {
			counts[s[i]]++
		}
	}
	// Unbiased: every one of the 64 characters appears about n*40/64 = 3125
	// times. A biased generator (e.g. byte % 62) would skew heavily.
	if len(counts) != 64 {
		t.Fatalf("only %d distinct characters", len(counts))
	}
	exp := float64(n*40) / 64
	for c, k := range counts {
		if float64(k) < exp*0.85 || float64(k) > exp*1.15 {
			t.Errorf("character %q appears %d times, expected ≈%.0f", c, k, exp)
		}
	}
	for _, bad := range []string{"", strings.Repeat("a", 39), strings.Repeat("a", 41), strings.Repeat("-", 40)} {
		if ValidSecretAccessKey(bad) {
			t.Errorf("ValidSecretAccessKey(%q) = true", bad)
		}
	}
}

func TestNewRequestID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		if !re.MatchString(id) {
			t.Fatalf("bad request id %q", id)
		}
		if seen[id] {
			t.Fatal("duplicate")
		}
		seen[id] = true
	}
}

func TestNewAccountID(t *testing.T) {
	first := map[byte]bool{}
	for range 2000 {
		a := NewAccountID()
		if !ValidAccountID(a) || a[0] == '0' {
			t.Fatalf("bad account %q", a)
		}
		if _, err := strconv.ParseUint(a, 10, 64); err != nil {
			t.Fatal(err)
		}
		first[a[0]] = true
	}
	if len(first) != 9 {
		t.Errorf("leading digits seen: %d, want 9", len(first))
	}
}

func TestValidAccountID(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"123456789012", true},
		{"000000000000", true},
		{"12345678901", false},
		{"1234567890123", false},
		{"12345678901a", false},
		{"１２３４５６７８９０１２", false},
		{"", false},
		{" 23456789012", false},
	}
	for _, tc := range tests {
		if got := ValidAccountID(tc.s); got != tc.want {
			t.Errorf("ValidAccountID(%q) = %v", tc.s, got)
		}
	}
}

func FuzzAccountFromAccessKeyID(f *testing.F) {
	f.Add("ASIAY34FZKBOKMUTVV7A")
	f.Add("AKIA")
	f.Fuzz(func(t *testing.T, id string) {
		acct, ok := AccountFromAccessKeyID(id)
		if ok != ValidAccountID(acct) {
			t.Fatalf("ok=%v but account %q", ok, acct)
		}
	})
}

func BenchmarkNewAccessKeyID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = NewAccessKeyID(PrefixTempAccessKey, "123456789012")
	}
}

func BenchmarkAccountFromAccessKeyID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, _ = AccountFromAccessKeyID("ASIAY34FZKBOKMUTVV7A")
	}
}

func BenchmarkNewSecretAccessKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = NewSecretAccessKey()
	}
}
