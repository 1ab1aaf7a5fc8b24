package token

import (
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hatrack/hatrack/internal/keyring"
)

const (
	testAKID   = "ASIAY34FZKBOKMUTVV7A"
	testDeploy = "prod-eu-1"
)

var t0 = time.Date(2026, 8, 7, 12, 0, 0, 0, time.UTC)

// typicalRole is a typical AssumeRole session with a few tags.
func typicalRole() *Claims {
	return &Claims{
		Type:              AssumedRole,
		AccessKeyID:       testAKID,
		SecretAccessKey:   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		Account:           "123456789012",
		PrincipalARN:      "arn:aws:iam::123456789012:role/service/deploy-role",
		PrincipalID:       "AROADBQP57FF2AEXAMPLE",
		RoleName:          "deploy-role",
		RolePath:          "/service/",
		SessionName:       "ci-pipeline-4711",
		SourceARN:         "arn:aws:iam::123456789012:user/alice",
		SourceID:          "AIDAJQABLZS4A3QDU576Q",
		Tags:              []Tag{{"team", "platform"}, {"env", "prod"}, {"cost-center", "4711"}},
		TransitiveTagKeys: []string{"team"},
		SourceIdentity:    "alice@example.com",
		IssuedAt:          t0,
		Expires:           t0.Add(time.Hour),
		IssuerNode:        "node-a",
		Deployment:        testDeploy,
	}
}

// fullClaims sets every field, including nanoseconds and empty tag values.
func fullClaims() *Claims {
	c := typicalRole()
	c.FederatedName = "bob"
	c.SessionPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	c.SessionPolicyARNs = []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/x"}
	c.Tags = append(c.Tags, Tag{"empty", ""}, Tag{"ünïcode", "välue"})
	c.TransitiveTagKeys = []string{"team", "env"}
	c.MFAAuthenticated = true
	c.MFAAuthTime = t0.Add(-time.Minute + 123456789)
	c.IssuedAt = t0.Add(987654321)
	c.Expires = t0.Add(12 * time.Hour)
	c.Chained = true
	c.Extra = map[string]string{"oidc:sub": "repo:org/repo:ref:refs/heads/main", "oidc:aud": "sts.amazonaws.com", "empty": ""}
	return c
}

func claimsEqual(a, b *Claims) bool {
	times := func(c *Claims) [3]time.Time { return [3]time.Time{c.MFAAuthTime, c.IssuedAt, c.Expires} }
	ta, tb := times(a), times(b)
	for i := range ta {
		if !ta[i].Equal(tb[i]) || ta[i].IsZero() != tb[i].IsZero() {
			return false
		}
	}
	x, y := *a, *b
	x.MFAAuthTime, x.IssuedAt, x.Expires = time.Time{}, time.Time{}, time.Time{}
	y.MFAAuthTime, y.IssuedAt, y.Expires = time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

func TestRoundTrip(t *testing.T) {
	kr := keyring.Generate()
	fed := &Claims{
		Type: FederatedUser, AccessKeyID: testAKID, SecretAccessKey: "s", Account: "123456789012",
		PrincipalARN: "arn:aws:sts::123456789012:federated-user/bob", PrincipalID: "123456789012:bob",
		FederatedName: "bob", SourceARN: "arn:aws:iam::123456789012:user/bob", SourceID: "AIDAEXAMPLEEXAMPLEEXA",
		IssuedAt: t0, Expires: t0.Add(12 * time.Hour), Deployment: testDeploy,
	}
	gst := &Claims{
		Type: SessionToken, AccessKeyID: testAKID, SecretAccessKey: "s", Account: "123456789012",
		PrincipalARN: "arn:aws:iam::123456789012:root", PrincipalID: "123456789012",
		MFAAuthenticated: true, MFAAuthTime: t0, IssuedAt: t0, Expires: t0.Add(time.Hour), Deployment: testDeploy,
	}
	minimal := &Claims{Type: AssumedRole, AccessKeyID: "ASIA0", Expires: time.Unix(1, 0).UTC(), Deployment: "d"}
	preEpoch := &Claims{Type: AssumedRole, AccessKeyID: testAKID, Expires: time.Date(1900, 1, 1, 0, 0, 0, 5, time.UTC),
		IssuedAt: time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), Deployment: "d"}
	tests := []struct {
		name string
		c    *Claims
	}{
		{"typical role", typicalRole()},
		{"all fields", fullClaims()},
		{"federated user", fed},
		{"get session token root", gst},
		{"minimal", minimal},
		{"pre-epoch times", preEpoch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := Mint(kr, tc.c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := base64.StdEncoding.DecodeString(tok); err != nil {
				t.Fatalf("token is not std base64: %v", err)
			}
			if strings.Contains(tok, tc.c.SecretAccessKey) && len(tc.c.SecretAccessKey) > 4 {
				t.Fatal("secret visible in token")
			}
			got, err := Open(kr, tc.c.AccessKeyID, tok, tc.c.Deployment)
			if err != nil {
				t.Fatal(err)
			}
			if !claimsEqual(got, tc.c) {
				t.Fatalf("round trip mismatch:\n got %+v\nwant %+v", got, tc.c)
			}
			for _, tm := range []time.Time{got.IssuedAt, got.Expires, got.MFAAuthTime} {
				if !tm.IsZero() && tm.Location() != time.UTC {
					t.Errorf("time not UTC: %v", tm)
				}
			}
		})
	}
}

// TestEveryFieldRoundTrips sets each Claims field on its own to a non-zero
// value and checks it survives; it fails when a field is added to Claims
// without being added to the codec.
func TestEveryFieldRoundTrips(t *testing.T) {
	kr := keyring.Generate()
	typ := reflect.TypeOf(Claims{})
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			c := &Claims{Type: SessionToken, AccessKeyID: testAKID, Expires: t0, Deployment: testDeploy}
			v := reflect.ValueOf(c).Elem().Field(i)
			switch x := v.Addr().Interface().(type) {
			case *Type:
				*x = FederatedUser
			case *string:
				if f.Name == "AccessKeyID" || f.Name == "Deployment" {
					return // envelope/AAD fields, covered by TestOpenErrors
				}
				*x = "value-of-" + f.Name
			case *bool:
				*x = true
			case *time.Time:
				*x = t0.Add(time.Duration(i) * time.Second)
			case *[]string:
				*x = []string{"a-" + f.Name, "", "b"}
			case *[]Tag:
				*x = []Tag{{"k", "v"}, {"k2", ""}}
			case *map[string]string:
				*x = map[string]string{"k": "v", "": "empty-key"}
			default:
				t.Fatalf("field %s has a type this test does not know: %T", f.Name, x)
			}
			tok, err := Mint(kr, c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Open(kr, testAKID, tok, testDeploy)
			if err != nil {
				t.Fatal(err)
			}
			if !claimsEqual(got, c) {
				t.Fatalf("field %s lost:\n got %+v\nwant %+v", f.Name, got, c)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	kr := keyring.Generate()
	other := keyring.Generate()
	c := typicalRole()
	tok, err := Mint(kr, c)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(tok)
	mutate := func(i int) string {
		r := append([]byte(nil), raw...)
		r[i] ^= 0x20
		return base64.StdEncoding.EncodeToString(r)
	}
	rotated, _ := keyring.New(append([]keyring.Key{keyring.NewKey()}, kr.Keys()...)...)
	tests := []struct {
		name   string
		kr     *keyring.Keyring
		akid   string
		tok    string
		deploy string
		want   error
	}{
		{"empty", kr, testAKID, "", testDeploy, ErrMalformed},
		{"not base64", kr, testAKID, "%%%%", testDeploy, ErrMalformed},
		{"url base64", kr, testAKID, strings.NewReplacer("+", "-", "/", "_").Replace(tok) + "-_", testDeploy, ErrMalformed},
		{"bad version", kr, testAKID, mutate(0), testDeploy, ErrMalformed},
		{"truncated", kr, testAKID, base64.StdEncoding.EncodeToString(raw[:30]), testDeploy, ErrMalformed},
		{"too long", kr, testAKID, strings.Repeat("A", MaxTokenLen+4), testDeploy, ErrMalformed},
		{"other access key", kr, "ASIAQAAAAAAAGMKEM7X5", tok, testDeploy, ErrMismatch},
		{"empty access key", kr, "", tok, testDeploy, ErrMismatch},
		{"envelope key id edited", kr, testAKID, mutate(3), testDeploy, ErrMismatch},
		{"other deployment", kr, testAKID, tok, "prod-us-1", ErrForeign},
		{"other keyring", other, testAKID, tok, testDeploy, ErrForeign},
		{"tampered payload", kr, testAKID, mutate(len(raw) - 20), testDeploy, ErrForeign},
		{"tampered tag", kr, testAKID, mutate(len(raw) - 1), testDeploy, ErrForeign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Open(tc.kr, tc.akid, tc.tok, tc.deploy)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Fatal("claims returned with error")
			}
			if strings.Contains(err.Error(), c.SecretAccessKey) {
				t.Fatal("secret in error")
			}
		})
	}
	// After rotation the old token still opens.
	if _, err := Open(rotated, testAKID, tok, testDeploy); err != nil {
		t.Errorf("rotated keyring: %v", err)
	}
	// A ciphertext for the secrets-at-rest purpose is not a token.
	sealed, _ := kr.Seal(keyring.PurposeSecretsAtRest, []byte{8, 1}, aad(testAKID, testDeploy))
	env := append([]byte{tokenVersion, byte(len(testAKID))}, testAKID...)
	if _, err := Open(kr, testAKID, base64.StdEncoding.EncodeToString(append(env, sealed...)), testDeploy); !errors.Is(err, ErrForeign) {
		t.Errorf("cross-purpose ciphertext: %v", err)
	}
}

// TestAuthenticGarbagePayload seals payloads that are authentic but not
// decodable; Open must report ErrMalformed, never panic.
func TestAuthenticGarbagePayload(t *testing.T) {
	kr := keyring.Generate()
	good, _ := encode(nil, typicalRole())
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"no type", good[2:]},
		{"unknown critical field", append(append([]byte(nil), good...), 0xf8, 0x01, 0x00)}, // field 31 varint
		{"bad wire type", append(append([]byte(nil), good...), byte(fChained<<3|5))},
		{"string as varint", append(append([]byte(nil), good...), byte(fAccount<<3|wireVarint), 1)},
		{"truncated length", append(append([]byte(nil), good...), byte(fAccount<<3|wireBytes), 50, 'x')},
		{"unknown type code", append([]byte{byte(fType<<3 | wireVarint), 9}, good[2:]...)},
		{"nanoseconds overflow", append(append([]byte(nil), good...), byte(fExpiresNsec<<3|wireVarint), 0x80, 0x94, 0xeb, 0xdc, 0x03)},
		{"bad tag pair", append(append([]byte(nil), good...), byte(fTag<<3|wireBytes), 2, 9, 'k')},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sealed, err := kr.Seal(keyring.PurposeSessionToken, tc.payload, aad(testAKID, testDeploy))
			if err != nil {
				t.Fatal(err)
			}
			env := append([]byte{tokenVersion, byte(len(testAKID))}, testAKID...)
			tok := base64.StdEncoding.EncodeToString(append(env, sealed...))
			if _, err := Open(kr, testAKID, tok, testDeploy); !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
		})
	}
	// Unknown ignorable fields (>= 512) are skipped.
	p := appendString(append([]byte(nil), good...), 600, "future info")
	p = appendUint(p, 601, 7)
	var c Claims
	if err := decode(p, &c); err != nil {
		t.Fatalf("ignorable field rejected: %v", err)
	}
}

func TestMintErrors(t *testing.T) {
	kr := keyring.Generate()
	mod := func(f func(c *Claims)) *Claims { c := typicalRole(); f(c); return c }
	tests := []struct {
		name string
		kr   *keyring.Keyring
		c    *Claims
	}{
		{"nil claims", kr, nil},
		{"nil keyring", nil, typicalRole()},
		{"no access key", kr, mod(func(c *Claims) { c.AccessKeyID = "" })},
		{"no deployment", kr, mod(func(c *Claims) { c.Deployment = "" })},
		{"no expiry", kr, mod(func(c *Claims) { c.Expires = time.Time{} })},
		{"bad type", kr, mod(func(c *Claims) { c.Type = "root" })},
		{"empty type", kr, mod(func(c *Claims) { c.Type = "" })},
		{"too big", kr, mod(func(c *Claims) { c.SessionPolicy = strings.Repeat("x", MaxTokenLen) })},
		{"long key id", kr, mod(func(c *Claims) { c.AccessKeyID = strings.Repeat("A", 129) })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tok, err := Mint(tc.kr, tc.c); !errors.Is(err, ErrInvalidClaims) || tok != "" {
				t.Fatalf("Mint = %q, %v; want ErrInvalidClaims", tok, err)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	c := &Claims{Expires: t0}
	tests := []struct {
		now  time.Time
		want bool
	}{
		{t0.Add(-time.Second), false},
		{t0.Add(-time.Nanosecond), false},
		{t0, true},
		{t0.Add(time.Second), true},
	}
	for _, tc := range tests {
		if got := c.Expired(tc.now); got != tc.want {
			t.Errorf("Expired(%v) = %v, want %v", tc.now, got, tc.want)
		}
	}
	if !(&Claims{}).Expired(t0) {
		t.Error("zero Expires must count as expired")
	}
}

func TestTokenSize(t *testing.T) {
	kr := keyring.Generate()
	tok, err := Mint(kr, typicalRole())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("typical role session token: %d bytes", len(tok))
	if len(tok) >= 1500 {
		t.Errorf("typical token is %d bytes, want < 1500", len(tok))
	}
	tok, _ = Mint(kr, fullClaims())
	t.Logf("all-fields token: %d bytes", len(tok))
}

func FuzzOpen(f *testing.F) {
	kr, _ := keyring.New(keyring.Key{ID: "k1", Secret: make([]byte, keyring.KeySize)})
	tok, _ := Mint(kr, typicalRole())
	f.Add(testAKID, tok, testDeploy)
	f.Add(testAKID, "", "")
	f.Add("", "AQ==", "x")
	f.Add(testAKID, "ARRBU0lBWTM0RlpLQk9LTVVUVlY3QQEC", testDeploy)
	f.Fuzz(func(t *testing.T, akid, s, deploy string) {
		c, err := Open(kr, akid, s, deploy)
		if err == nil {
			// Only genuine tokens (the seed, possibly re-minted in this
			// worker process) may open.
			if akid != testAKID || deploy != testDeploy || c.SessionName != typicalRole().SessionName {
				t.Fatalf("forged token opened: %q", s)
			}
			return
		}
		if c != nil {
			t.Fatal("claims with error")
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrForeign) && !errors.Is(err, ErrMismatch) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}

// FuzzDecode exercises the payload decoder directly (Open can only reach it
// with authentic payloads): no panics, and whatever decodes re-encodes to
// something that decodes to the same claims.
func FuzzDecode(f *testing.F) {
	good, _ := encode(nil, fullClaims())
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{8, 1, 0xb0, 1, 2})
	f.Fuzz(func(t *testing.T, p []byte) {
		var c Claims
		if err := decode(p, &c); err != nil {
			return
		}
		again, err := encode(nil, &c)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var c2 Claims
		if err := decode(again, &c2); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !claimsEqual(&c, &c2) {
			t.Fatalf("unstable:\n%+v\n%+v", c, c2)
		}
	})
}

func BenchmarkMint(b *testing.B) {
	kr := keyring.Generate()
	c := typicalRole()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Mint(kr, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	kr := keyring.Generate()
	tok, _ := Mint(kr, typicalRole())
	b.ReportAllocs()
	b.ReportMetric(float64(len(tok)), "token-bytes")
	for b.Loop() {
		if _, err := Open(kr, testAKID, tok, testDeploy); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenAllFields(b *testing.B) {
	kr := keyring.Generate()
	tok, _ := Mint(kr, fullClaims())
	b.ReportAllocs()
	b.ReportMetric(float64(len(tok)), "token-bytes")
	for b.Loop() {
		if _, err := Open(kr, testAKID, tok, testDeploy); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenForeign(b *testing.B) {
	kr := keyring.Generate()
	tok, _ := Mint(keyring.Generate(), typicalRole())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(kr, testAKID, tok, testDeploy); !errors.Is(err, ErrForeign) {
			b.Fatal(err)
		}
	}
}

func TestAADUnambiguous(t *testing.T) {
	if string(aad("a\x00b", "c")) == string(aad("a", "b\x00c")) || string(aad("ab", "c")) == string(aad("a", "bc")) {
		t.Fatal("ambiguous AAD")
	}
	if _, err := Open(nil, testAKID, "AQ==", testDeploy); !errors.Is(err, ErrForeign) {
		t.Fatalf("nil keyring: %v", err)
	}
}
