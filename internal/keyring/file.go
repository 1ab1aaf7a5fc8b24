package keyring

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// fileVersion is the key file format version.
const fileVersion = 1

// maxFileSize bounds what Load reads.
const maxFileSize = 1 << 20

// ErrInsecurePermissions is returned when a key file is writable by its group
// or accessible by other users.
var ErrInsecurePermissions = errors.New("keyring: key file permissions too open (want 0600)")

// keyFile is the on-disk JSON form:
//
//	{"version":1,"primary":"kabcdefg","keys":[{"id":"kabcdefg","key":"<base64 std>","created":"2026-01-02T03:04:05Z"}]}
type keyFile struct {
	Version int       `json:"version"`
	Primary string    `json:"primary"`
	Keys    []fileKey `json:"keys"`
}

type fileKey struct {
	ID      string    `json:"id"`
	Key     string    `json:"key"`
	Created time.Time `json:"created,omitzero"`
}

// Load reads a key file. The file must exist, be a regular file, and not be
// group-writable or accessible by others (0600, 0400, 0640 and 0440 are
// accepted, so a group-readable Kubernetes secret volume works).
func Load(path string) (*Keyring, error) {
	kf, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	return kf.keyring(path)
}

// LoadOrCreate loads the key file at path, creating it (mode 0600, one new
// random primary key) if it does not exist. Concurrent first-time callers on
// the same path agree on a single key.
func LoadOrCreate(path string) (*Keyring, error) {
	kr, err := Load(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return kr, err
	}
	k := NewKey()
	kf := &keyFile{Version: fileVersion, Primary: k.ID, Keys: []fileKey{{
		ID: k.ID, Key: base64.StdEncoding.EncodeToString(k.Secret), Created: time.Now().UTC().Truncate(time.Second),
	}}}
	if err := writeKeyFile(path, kf, true); err != nil {
		if errors.Is(err, fs.ErrExist) { // lost a creation race: use the winner's file
			return Load(path)
		}
		return nil, err
	}
	return Load(path)
}

// Rotate adds a new random key to the key file at path and makes it primary.
// Existing keys stay (so data they sealed stays readable) until Remove. The
// file is replaced atomically (temporary file, fsync, rename, fsync of the
// directory). Rotate must not run concurrently with another Rotate or Remove
// on the same file. Nodes that already loaded the file keep their old
// keyring until they reload it.
func Rotate(path string) (*Keyring, error) {
	kf, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := kf.keyring(path); err != nil {
		return nil, err
	}
	k := NewKey()
	for kf.has(k.ID) { // astronomically unlikely
		k.ID = newKeyID()
	}
	kf.Keys = append([]fileKey{{
		ID: k.ID, Key: base64.StdEncoding.EncodeToString(k.Secret), Created: time.Now().UTC().Truncate(time.Second),
	}}, kf.Keys...)
	kf.Primary = k.ID
	if err := writeKeyFile(path, kf, false); err != nil {
		return nil, err
	}
	return kf.keyring(path)
}

// Remove deletes the key with the given id from the key file at path
// (atomically, like Rotate). The primary key cannot be removed. Data sealed
// with the removed key can no longer be opened.
func Remove(path, id string) (*Keyring, error) {
	kf, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := kf.keyring(path); err != nil {
		return nil, err
	}
	if id == kf.Primary {
		return nil, fmt.Errorf("keyring: %s: cannot remove primary key %q", path, id)
	}
	if !kf.has(id) {
		return nil, fmt.Errorf("keyring: %s: no key %q", path, id)
	}
	keys := kf.Keys[:0]
	for _, k := range kf.Keys {
		if k.ID != id {
			keys = append(keys, k)
		}
	}
	kf.Keys = keys
	if err := writeKeyFile(path, kf, false); err != nil {
		return nil, err
	}
	return kf.keyring(path)
}

func (kf *keyFile) has(id string) bool {
	for _, k := range kf.Keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// keyring converts the file form, primary first then the others in file order.
func (kf *keyFile) keyring(path string) (*Keyring, error) {
	if kf.Version != fileVersion {
		return nil, fmt.Errorf("keyring: %s: unsupported key file version %d", path, kf.Version)
	}
	if !kf.has(kf.Primary) {
		return nil, fmt.Errorf("keyring: %s: primary key %q not present", path, kf.Primary)
	}
	keys := make([]Key, 0, len(kf.Keys))
	for i, fk := range kf.Keys {
		secret, err := decodeKey(fk.Key)
		if err != nil {
			return nil, fmt.Errorf("keyring: %s: key %d (%q): %w", path, i, fk.ID, err)
		}
		k := Key{ID: fk.ID, Secret: secret}
		if fk.ID == kf.Primary {
			keys = append([]Key{k}, keys...)
		} else {
			keys = append(keys, k)
		}
	}
	kr, err := New(keys...)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return kr, nil
}

func readKeyFile(path string) (*keyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError: path and reason only
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("keyring: %s: not a regular file", path)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o027 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o", ErrInsecurePermissions, path, st.Mode().Perm())
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("keyring: %s: file too large", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: read: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("keyring: %s: file too large", path)
	}
	defer clear(data)
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		// Do not wrap: json errors can quote fragments of the input.
		return nil, fmt.Errorf("keyring: %s: not a valid key file (JSON syntax)", path)
	}
	return &kf, nil
}

// writeKeyFile writes kf to path atomically with mode 0600. With exclusive,
// it fails with fs.ErrExist if path already exists.
func writeKeyFile(path string, kf *keyFile, exclusive bool) error {
	data, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return errors.New("keyring: encoding key file failed")
	}
	data = append(data, '\n')
	defer clear(data)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // no-op after a successful rename/link+remove
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("keyring: write %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if exclusive {
		// link(2) fails if path exists: first creator wins.
		if err := os.Link(tmpName, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return err
			}
			// Filesystem without hard links: best-effort (racy) check, then rename.
			if _, statErr := os.Lstat(path); statErr == nil {
				return &fs.PathError{Op: "create", Path: path, Err: fs.ErrExist}
			}
			if err := os.Rename(tmpName, path); err != nil {
				return err
			}
		}
	} else if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keyring: fsync %s: %w", dir, err)
	}
	return nil
}

// FromEnv parses an environment-variable value of the form
//
//	id1:base64key1,id2:base64key2
//
// where the first key is primary and each key is 32 bytes in standard or
// URL-safe base64 (padding optional). Whitespace around entries is ignored.
func FromEnv(value string) (*Keyring, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, errors.New("keyring: empty key list")
	}
	var keys []Key
	for i, entry := range strings.Split(value, ",") {
		entry = strings.TrimSpace(entry)
		id, b64, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("keyring: entry %d: want id:base64key", i)
		}
		secret, err := decodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("keyring: entry %d: %w", i, err)
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: secret})
	}
	return New(keys...)
}

// EnvValue formats the keyring in the FromEnv format (primary first). The
// result contains key material: handle with care.
func (kr *Keyring) EnvValue() string {
	var b strings.Builder
	for i := range kr.ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kr.ids[i])
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(kr.secrets[i][:]))
	}
	return b.String()
}

var errBadKey = fmt.Errorf("key material must be %d bytes in base64", KeySize)

// decodeKey decodes base64 (std or URL alphabet, padded or not). The error
// never echoes the input.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimRight(s, "=")
	enc := base64.RawStdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.RawURLEncoding
	}
	b, err := enc.DecodeString(s)
	if err != nil || len(b) != KeySize {
		clear(b)
		return nil, errBadKey
	}
	return b, nil
}
