package keyring

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func mustKey(t testing.TB, id string, fill byte) Key {
	t.Helper()
	return Key{ID: id, Secret: bytes.Repeat([]byte{fill}, KeySize)}
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := Generate()
	tests := []struct {
		name    string
		purpose string
		pt, aad []byte
	}{
		{"empty", PurposeSecretsAtRest, nil, nil},
		{"secret key", PurposeSecretsAtRest, []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), []byte("AKIAIOSFODNN7EXAMPLE")},
		{"token", PurposeSessionToken, bytes.Repeat([]byte{0xAB}, 4096), []byte("aad")},
		{"custom purpose", "something-else", []byte("x"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := kr.Seal(tc.purpose, tc.pt, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(ct) - len(tc.pt); got != kr.Overhead() {
				t.Errorf("overhead = %d, want %d", got, kr.Overhead())
			}
			if len(tc.pt) > 8 && bytes.Contains(ct, tc.pt[:8]) {
				t.Error("ciphertext contains plaintext")
			}
			if ct[0] != version {
				t.Errorf("version byte = %d", ct[0])
			}
			id, err := KeyID(ct)
			if err != nil || id != kr.PrimaryID() {
				t.Errorf("KeyID = %q, %v; want %q", id, err, kr.PrimaryID())
			}
			got, err := kr.Open(tc.purpose, ct, tc.aad)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.pt) {
				t.Error("round trip mismatch")
			}
		})
	}
}

func TestNoncesDiffer(t *testing.T) {
	kr := Generate()
	a, _ := kr.Seal(PurposeSecretsAtRest, []byte("same"), nil)
	b, _ := kr.Seal(PurposeSecretsAtRest, []byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same plaintext are identical")
	}
}

func TestOpenFailures(t *testing.T) {
	kr := Generate()
	other := Generate()
	pt, aad := []byte("secret-value"), []byte("AKIAEXAMPLE")
	ct, err := kr.Seal(PurposeSecretsAtRest, pt, aad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(ct)
		c[i] ^= 1
		return c
	}
	// Same key id, different key material.
	impostor, _ := New(Key{ID: kr.PrimaryID(), Secret: make([]byte, KeySize)})
	tests := []struct {
		name    string
		kr      *Keyring
		purpose string
		ct, aad []byte
		want    error
	}{
		{"wrong aad", kr, PurposeSecretsAtRest, ct, []byte("AKIAOTHER"), ErrDecrypt},
		{"nil aad", kr, PurposeSecretsAtRest, ct, nil, ErrDecrypt},
		{"wrong purpose", kr, PurposeSessionToken, ct, aad, ErrDecrypt},
		{"other keyring", other, PurposeSecretsAtRest, ct, aad, ErrUnknownKey},
		{"same id other key", impostor, PurposeSecretsAtRest, ct, aad, ErrDecrypt},
		{"flipped last byte", kr, PurposeSecretsAtRest, flip(len(ct) - 1), aad, ErrDecrypt},
		{"flipped nonce", kr, PurposeSecretsAtRest, flip(2 + len(kr.PrimaryID())), aad, ErrDecrypt},
		{"flipped key id", kr, PurposeSecretsAtRest, flip(2), aad, ErrUnknownKey},
		{"bad version", kr, PurposeSecretsAtRest, flip(0), aad, ErrMalformed},
		{"truncated", kr, PurposeSecretsAtRest, ct[:len(ct)-len(pt)-1], aad, ErrMalformed},
		{"empty", kr, PurposeSecretsAtRest, nil, aad, ErrMalformed},
		{"zero key id len", kr, PurposeSecretsAtRest, append([]byte{version, 0}, make([]byte, 40)...), aad, ErrMalformed},
		{"empty purpose", kr, "", ct, aad, ErrNoPurpose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.kr.Open(tc.purpose, tc.ct, tc.aad)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Fatal("returned plaintext on failure")
			}
		})
	}
	if _, err := kr.Seal("", pt, nil); !errors.Is(err, ErrNoPurpose) {
		t.Errorf("Seal empty purpose: %v", err)
	}
}

func TestPurposeSubkeysDiffer(t *testing.T) {
	k := mustKey(t, "k1", 7)
	kr, err := New(k)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := kr.Seal("a", []byte("hello"), nil)
	if _, err := kr.Open("b", ct, nil); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("opened with another purpose: %v", err)
	}
	// The master key itself must not be the AEAD key.
	block, _ := aes.NewCipher(k.Secret)
	g, _ := cipher.NewGCM(block)
	hdr := 2 + len(k.ID)
	if _, err := g.Open(nil, ct[hdr:hdr+nonceSize], ct[hdr+nonceSize:], nil); err == nil {
		t.Fatal("ciphertext opens with the raw master key")
	}
}

func TestRotationInMemory(t *testing.T) {
	k1, k2 := mustKey(t, "k1", 1), mustKey(t, "k2", 2)
	old, _ := New(k1)
	rotated, err := New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	ctOld, _ := old.Seal(PurposeSecretsAtRest, []byte("v"), nil)
	if got, err := rotated.Open(PurposeSecretsAtRest, ctOld, nil); err != nil || string(got) != "v" {
		t.Fatalf("rotated keyring cannot open old ciphertext: %v", err)
	}
	if !rotated.NeedsReseal(ctOld) {
		t.Error("NeedsReseal(old) = false")
	}
	ctNew, _ := rotated.Seal(PurposeSecretsAtRest, []byte("v"), nil)
	if id, _ := KeyID(ctNew); id != "k2" {
		t.Errorf("new ciphertext key id = %q, want k2", id)
	}
	if rotated.NeedsReseal(ctNew) {
		t.Error("NeedsReseal(new) = true")
	}
	if _, err := old.Open(PurposeSecretsAtRest, ctNew, nil); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("old keyring opened new ciphertext: %v", err)
	}
}

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name string
		keys []Key
	}{
		{"none", nil},
		{"short key", []Key{{ID: "a", Secret: make([]byte, 16)}}},
		{"long key", []Key{{ID: "a", Secret: make([]byte, 33)}}},
		{"empty id", []Key{{ID: "", Secret: make([]byte, 32)}}},
		{"bad id char", []Key{{ID: "a:b", Secret: make([]byte, 32)}}},
		{"long id", []Key{{ID: strings.Repeat("a", 33), Secret: make([]byte, 32)}}},
		{"duplicate", []Key{{ID: "a", Secret: make([]byte, 32)}, {ID: "a", Secret: make([]byte, 32)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.keys...); err == nil {
				t.Fatal("expected error")
			}
		})
	}
}

func TestNoKeyMaterialInOutput(t *testing.T) {
	k := Key{ID: "kid1", Secret: []byte("0123456789abcdef0123456789ABCDEF")}
	kr, _ := New(k)
	b64 := base64.StdEncoding.EncodeToString(k.Secret)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		for _, v := range []any{kr, *kr, k, &k, kr.Keys(), []*Keyring{kr}} {
			out := fmt.Sprintf(verb, v)
			if strings.Contains(out, "0123456789") || strings.Contains(out, b64) || strings.Contains(out, "3031323334") || strings.Contains(out, "48 49 50 51") {
				t.Errorf("%s printed key material: %s", verb, out)
			}
		}
	}
	// Errors for bad env values must not echo the value.
	secretish := "kid:" + strings.Repeat("Zm9v", 7) + "!!"
	if _, err := FromEnv(secretish); err == nil || strings.Contains(err.Error(), "Zm9v") {
		t.Errorf("FromEnv error leaks input: %v", err)
	}
}

func TestFromEnv(t *testing.T) {
	s1 := bytes.Repeat([]byte{1}, 32)
	s2 := bytes.Repeat([]byte{0xfb}, 32) // base64 contains '+' / '/' or '-' / '_'
	std := base64.StdEncoding.EncodeToString
	tests := []struct {
		name    string
		value   string
		wantIDs []string
		wantErr bool
	}{
		{"one", "a:" + std(s1), []string{"a"}, false},
		{"two", "b:" + std(s2) + ",a:" + std(s1), []string{"b", "a"}, false},
		{"spaces", "  b : " + std(s2) + " , a:" + std(s1) + " ", []string{"b", "a"}, false},
		{"raw url", "a:" + base64.RawURLEncoding.EncodeToString(s2), []string{"a"}, false},
		{"raw std", "a:" + base64.RawStdEncoding.EncodeToString(s2), []string{"a"}, false},
		{"empty", "", nil, true},
		{"no colon", std(s1), nil, true},
		{"short key", "a:" + std(s1[:31]), nil, true},
		{"bad base64", "a:***", nil, true},
		{"dup", "a:" + std(s1) + ",a:" + std(s2), nil, true},
		{"trailing comma", "a:" + std(s1) + ",", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := FromEnv(tc.value)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if got := kr.IDs(); strings.Join(got, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("ids = %v, want %v", got, tc.wantIDs)
			}
			// EnvValue round-trips.
			kr2, err := FromEnv(kr.EnvValue())
			if err != nil {
				t.Fatal(err)
			}
			ct, _ := kr.Seal("p", []byte("x"), nil)
			if _, err := kr2.Open("p", ct, nil); err != nil {
				t.Errorf("EnvValue round trip: %v", err)
			}
		})
	}
}

func TestLoadOrCreateRotateRemove(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "keyring.json")
	kr1, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600", st.Mode().Perm())
	}
	again, err := LoadOrCreate(path)
	if err != nil {
		t.Fatal(err)
	}
	if again.PrimaryID() != kr1.PrimaryID() || again.Len() != 1 {
		t.Fatal("second LoadOrCreate did not load the same key")
	}
	ct1, _ := kr1.Seal(PurposeSecretsAtRest, []byte("one"), []byte("AKIA1"))

	kr2, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if kr2.Len() != 2 || kr2.PrimaryID() == kr1.PrimaryID() || kr2.IDs()[1] != kr1.PrimaryID() {
		t.Fatalf("after rotate ids = %v", kr2.IDs())
	}
	loaded, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(loaded.IDs(), ",") != strings.Join(kr2.IDs(), ",") {
		t.Fatalf("loaded ids %v != rotated ids %v", loaded.IDs(), kr2.IDs())
	}
	if got, err := loaded.Open(PurposeSecretsAtRest, ct1, []byte("AKIA1")); err != nil || string(got) != "one" {
		t.Fatalf("old ciphertext unreadable after rotate: %v", err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("mode after rotate = %o", st.Mode().Perm())
	}
	// No temp files left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory has %d entries, want 1", len(entries))
	}

	if _, err := Remove(path, kr2.PrimaryID()); err == nil {
		t.Error("removed primary key")
	}
	if _, err := Remove(path, "nope"); err == nil {
		t.Error("removed unknown key")
	}
	kr3, err := Remove(path, kr1.PrimaryID())
	if err != nil {
		t.Fatal(err)
	}
	if kr3.Len() != 1 || kr3.PrimaryID() != kr2.PrimaryID() {
		t.Fatalf("after remove ids = %v", kr3.IDs())
	}
	if _, err := kr3.Open(PurposeSecretsAtRest, ct1, []byte("AKIA1")); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("opened ciphertext of removed key: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"version":1,"primary":"a","keys":[{"id":"a","key":"` + base64.StdEncoding.EncodeToString(make([]byte, 32)) + `"}]}`
	tests := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"missing", filepath.Join(dir, "missing.json"), os.ErrNotExist},
		{"world readable", write("w.json", good, 0o644), ErrInsecurePermissions},
		{"group writable", write("g.json", good, 0o660), ErrInsecurePermissions},
		{"bad json", write("j.json", `{"version":1,"keys":[`+strings.Repeat("Zm9v", 4), 0o600), nil},
		{"bad version", write("v.json", strings.Replace(good, `"version":1`, `"version":2`, 1), 0o600), nil},
		{"no primary", write("p.json", strings.Replace(good, `"primary":"a"`, `"primary":"b"`, 1), 0o600), nil},
		{"short key", write("s.json", `{"version":1,"primary":"a","keys":[{"id":"a","key":"AAAA"}]}`, 0o600), nil},
		{"directory", dir, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.path)
			if err == nil {
				t.Fatal("expected error")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "Zm9v") || strings.Contains(err.Error(), "AAAA") {
				t.Errorf("error echoes file content: %v", err)
			}
		})
	}
	// group-readable 0640 is accepted.
	if _, err := Load(write("ok.json", good, 0o640)); err != nil {
		t.Errorf("0640: %v", err)
	}
	// LoadOrCreate must not overwrite an existing but invalid file.
	bad := write("keep.json", "garbage", 0o600)
	if _, err := LoadOrCreate(bad); err == nil {
		t.Error("LoadOrCreate accepted garbage")
	}
	if b, _ := os.ReadFile(bad); string(b) != "garbage" {
		t.Error("LoadOrCreate overwrote an existing file")
	}
}

func TestLoadOrCreateConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keyring.json")
	const n = 16
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			kr, err := LoadOrCreate(path)
			errs[i] = err
			if err == nil {
				ids[i] = kr.PrimaryID()
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("callers disagree on the key: %v", ids)
		}
	}
}

func FuzzOpen(f *testing.F) {
	kr, _ := New(mustKey(f, "k1", 1), mustKey(f, "k2", 2))
	ct, _ := kr.Seal(PurposeSecretsAtRest, []byte("hello"), []byte("aad"))
	f.Add(ct, []byte("aad"))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1, 2, 'k', '1'}, []byte(nil))
	f.Fuzz(func(t *testing.T, data, aad []byte) {
		pt, err := kr.Open(PurposeSecretsAtRest, data, aad)
		if err == nil {
			// Only a genuine seal of "hello" (the seed; the fuzz worker
			// process may have sealed its own copy with another nonce) opens.
			if len(data) != len(ct) || string(aad) != "aad" || string(pt) != "hello" {
				t.Fatalf("forged ciphertext opened: %x", data)
			}
		} else if pt != nil {
			t.Fatal("plaintext returned with error")
		}
		_, _ = KeyID(data)
		_ = kr.NeedsReseal(data)
	})
}

func BenchmarkSeal(b *testing.B) {
	kr := Generate()
	pt := make([]byte, 256)
	aad := []byte("ASIAEXAMPLEEXAMPLE00")
	b.ReportAllocs()
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := kr.Seal(PurposeSessionToken, pt, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	kr, _ := New(mustKey(b, "k2", 2), mustKey(b, "k1", 1))
	old, _ := New(mustKey(b, "k1", 1))
	pt := make([]byte, 256)
	aad := []byte("ASIAEXAMPLEEXAMPLE00")
	ct, _ := old.Seal(PurposeSessionToken, pt, aad) // opened with the non-primary key
	b.ReportAllocs()
	b.SetBytes(int64(len(pt)))
	for b.Loop() {
		if _, err := kr.Open(PurposeSessionToken, ct, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func TestAppendSealOpenInPlace(t *testing.T) {
	kr := Generate()
	prefix := []byte("prefix|")
	pt := []byte("in-place plaintext")
	out, err := kr.AppendSeal(append([]byte(nil), prefix...), PurposeSessionToken, pt, []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, prefix) {
		t.Fatal("AppendSeal clobbered dst")
	}
	ct := out[len(prefix):]
	if len(ct) != len(pt)+kr.Overhead() {
		t.Fatalf("len = %d", len(ct))
	}
	if got, err := kr.Open(PurposeSessionToken, ct, []byte("a")); err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open: %v", err)
	}
	got, err := kr.OpenInPlace(PurposeSessionToken, ct, []byte("a"))
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("OpenInPlace: %q, %v", got, err)
	}
	if &got[0] != &ct[kr.Overhead()-tagSize] {
		t.Error("OpenInPlace did not decrypt in place")
	}
	ct2, _ := kr.Seal(PurposeSessionToken, pt, nil)
	if _, err := kr.OpenInPlace(PurposeSessionToken, ct2, []byte("wrong")); !errors.Is(err, ErrDecrypt) {
		t.Errorf("OpenInPlace wrong aad: %v", err)
	}
}
