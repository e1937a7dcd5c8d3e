package secrets

import (
	"bufio"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/accessvault/vinventory/inventory"
)

// KeySize is the size in bytes of every key (AES-256).
const KeySize = 32

// Version is the format version written by Encrypt.
const Version byte = 1

// MaxKeyIDLen is the longest key id, in bytes.
const MaxKeyIDLen = 64

const nonceSize = 12

// adPrefix separates this format's additional data from any other use of
// the same key.
const adPrefix = "vinventory/secrets\x00"

var (
	// ErrDecrypt is returned when a blob does not authenticate: it was
	// tampered with, encrypted for another context (endpoint), or under a
	// different key that happens to share the id.
	ErrDecrypt = errors.New("secrets: decryption failed (tampered data, wrong context or wrong key)")
	// ErrMalformed is matched (errors.Is) by every *MalformedError.
	ErrMalformed = errors.New("secrets: malformed ciphertext")
)

// UnknownKeyError reports a blob encrypted under a key id the keyring does
// not hold.
type UnknownKeyError struct {
	// ID is the key id named by the blob.
	ID string
}

func (e *UnknownKeyError) Error() string {
	return fmt.Sprintf("secrets: unknown key id %q (keyring lacks the key this value was encrypted with)", e.ID)
}

// MalformedError reports a blob that is not in the format Encrypt writes.
type MalformedError struct {
	// Reason says what is wrong, e.g. "unsupported version 7".
	Reason string
}

func (e *MalformedError) Error() string { return "secrets: malformed ciphertext: " + e.Reason }

// Is makes errors.Is(err, ErrMalformed) true.
func (e *MalformedError) Is(target error) bool { return target == ErrMalformed }

// KeyError reports a key that cannot be used: a bad id, bad base64 or a
// wrong length. It never contains key material.
type KeyError struct {
	// Source is where the key came from, e.g. "spec entry 2" or
	// "/etc/vinventory/keys:3".
	Source string
	// ID is the key id, when it could be read.
	ID     string
	Reason string
}

func (e *KeyError) Error() string {
	s := "secrets: key"
	if e.ID != "" {
		s += fmt.Sprintf(" %q", e.ID)
	}
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s + ": " + e.Reason
}

// InsecureFileError reports a key file that group or others may read.
type InsecureFileError struct {
	Path string
	Mode os.FileMode
}

func (e *InsecureFileError) Error() string {
	return fmt.Sprintf("secrets: key file %s has mode %#o: it must not be accessible by group or others (chmod 600 it)", e.Path, e.Mode.Perm())
}

// Key is one keyring key. Its String, GoString and Format never print the
// key bytes.
type Key struct {
	// ID names the key inside ciphertexts: 1 to 64 bytes of letters,
	// digits, '.', '_' or '-'.
	ID string
	// Bytes is the 32-byte AES-256 key.
	Bytes []byte
}

// String returns the key id only.
func (k Key) String() string {
	return "secrets.Key{ID: " + fmt.Sprintf("%q", k.ID) + ", Bytes: [redacted]}"
}

// GoString is String.
func (k Key) GoString() string { return k.String() }

// Format prints String for every verb, so no formatting reveals the key.
func (k Key) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

type entry struct {
	id   string
	aead cipher.AEAD
}

// Keyring encrypts with its newest key and decrypts with any of its keys.
// It is safe for concurrent use. Its String never prints key material.
type Keyring struct {
	keys []entry // oldest first
	byID map[string]cipher.AEAD
}

// New returns a keyring of keys, oldest first: the last key encrypts. At
// least one key is required; ids must be distinct. The key bytes are not
// retained beyond the AES key schedule.
func New(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, &KeyError{Reason: "keyring needs at least one key"}
	}
	kr := &Keyring{byID: make(map[string]cipher.AEAD, len(keys))}
	for i, k := range keys {
		src := fmt.Sprintf("key %d", i+1)
		if err := checkID(k.ID); err != nil {
			return nil, &KeyError{Source: src, Reason: err.Error()}
		}
		if _, dup := kr.byID[k.ID]; dup {
			return nil, &KeyError{Source: src, ID: k.ID, Reason: "duplicate key id"}
		}
		if len(k.Bytes) != KeySize {
			return nil, &KeyError{Source: src, ID: k.ID, Reason: fmt.Sprintf("must be %d bytes, got %d", KeySize, len(k.Bytes))}
		}
		block, err := aes.NewCipher(k.Bytes)
		if err != nil {
			return nil, &KeyError{Source: src, ID: k.ID, Reason: "cannot build AES cipher"}
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, &KeyError{Source: src, ID: k.ID, Reason: "cannot build GCM"}
		}
		kr.keys = append(kr.keys, entry{id: k.ID, aead: aead})
		kr.byID[k.ID] = aead
	}
	return kr, nil
}

func checkID(id string) error {
	if id == "" {
		return errors.New("key id must not be empty")
	}
	if len(id) > MaxKeyIDLen {
		return fmt.Errorf("key id must be at most %d bytes", MaxKeyIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		if !ok {
			return errors.New("key id may contain only letters, digits, '.', '_' and '-'")
		}
	}
	return nil
}

// IDs returns the key ids, oldest first.
func (kr *Keyring) IDs() []string {
	out := make([]string, len(kr.keys))
	for i, k := range kr.keys {
		out[i] = k.id
	}
	return out
}

// NewestID returns the id of the key that encrypts.
func (kr *Keyring) NewestID() string { return kr.keys[len(kr.keys)-1].id }

// String lists the key ids, never the keys.
func (kr *Keyring) String() string {
	return "secrets.Keyring{ids: [" + strings.Join(kr.IDs(), ",") + "], newest: " + kr.NewestID() + "}"
}

// GoString is String.
func (kr *Keyring) GoString() string { return kr.String() }

// Encrypt seals plaintext under the newest key, bound to context (the
// endpoint name for credentials): Decrypt with another context fails.
func (kr *Keyring) Encrypt(plaintext []byte, context string) ([]byte, error) {
	k := kr.keys[len(kr.keys)-1]
	hdr := header(k.id)
	out := make([]byte, 0, len(hdr)+nonceSize+len(plaintext)+k.aead.Overhead())
	out = append(out, hdr...)
	nonce := make([]byte, nonceSize)
	if _, err := io.ReadFull(rand.Reader, nonce); err != nil {
		return nil, fmt.Errorf("secrets: reading random nonce: %w", err)
	}
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, additionalData(hdr, context)), nil
}

// Decrypt opens a blob made by Encrypt with the same context, using the key
// the blob names. Errors: *MalformedError, *UnknownKeyError, ErrDecrypt.
func (kr *Keyring) Decrypt(blob []byte, context string) ([]byte, error) {
	id, hdrLen, err := parseHeader(blob)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.byID[id]
	if !ok {
		return nil, &UnknownKeyError{ID: id}
	}
	rest := blob[hdrLen:]
	if len(rest) < nonceSize+aead.Overhead() {
		return nil, &MalformedError{Reason: "too short"}
	}
	pt, err := aead.Open(nil, rest[:nonceSize], rest[nonceSize:], additionalData(blob[:hdrLen], context))
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// KeyID returns the id of the key a blob was encrypted under, without
// decrypting it.
func KeyID(blob []byte) (string, error) {
	id, _, err := parseHeader(blob)
	return id, err
}

// DecryptCredential decrypts ep.Credential (context ep.Name) and returns
// the password: the keyring is a vsphere.Decrypter, so
// vsphere.NewOpener(kr, opts) opens registry endpoints with it.
func (kr *Keyring) DecryptCredential(_ context.Context, ep inventory.Endpoint) (string, error) {
	if len(ep.Credential) == 0 {
		return "", fmt.Errorf("secrets: endpoint %q has no stored credential", ep.Name)
	}
	pt, err := kr.Decrypt(ep.Credential, ep.Name)
	if err != nil {
		return "", fmt.Errorf("secrets: credential of endpoint %q: %w", ep.Name, err)
	}
	return string(pt), nil
}

func header(id string) []byte {
	h := make([]byte, 0, 2+len(id))
	h = append(h, Version, byte(len(id)))
	return append(h, id...)
}

func additionalData(hdr []byte, context string) []byte {
	ad := make([]byte, 0, len(adPrefix)+len(hdr)+len(context))
	ad = append(ad, adPrefix...)
	ad = append(ad, hdr...)
	return append(ad, context...)
}

func parseHeader(blob []byte) (id string, n int, err error) {
	if len(blob) == 0 {
		return "", 0, &MalformedError{Reason: "empty"}
	}
	if blob[0] != Version {
		return "", 0, &MalformedError{Reason: fmt.Sprintf("unsupported version %d", blob[0])}
	}
	if len(blob) < 2 {
		return "", 0, &MalformedError{Reason: "too short"}
	}
	l := int(blob[1])
	if l == 0 || l > MaxKeyIDLen || len(blob) < 2+l {
		return "", 0, &MalformedError{Reason: "bad key id length"}
	}
	id = string(blob[2 : 2+l])
	if checkID(id) != nil {
		return "", 0, &MalformedError{Reason: "bad key id"}
	}
	return id, 2 + l, nil
}

// ParseKeyring parses "id1:base64key,id2:base64key" (commas or newlines
// between entries, surrounding spaces ignored), oldest first: the last key
// encrypts. Keys are standard or URL-safe base64, padded or not, of 32
// bytes.
func ParseKeyring(spec string) (*Keyring, error) {
	fields := strings.FieldsFunc(spec, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	var keys []Key
	n := 0
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n++
		k, err := parseKeyLine(f, fmt.Sprintf("entry %d", n))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, &KeyError{Reason: "keyring spec is empty (want id:base64key[,id:base64key...])"}
	}
	return New(keys...)
}

func parseKeyLine(line, src string) (Key, error) {
	id, b64, ok := strings.Cut(line, ":")
	id = strings.TrimSpace(id)
	if !ok {
		// Do not echo the line: it may be a bare key.
		return Key{}, &KeyError{Source: src, Reason: "want id:base64key"}
	}
	if err := checkID(id); err != nil {
		return Key{}, &KeyError{Source: src, Reason: err.Error()}
	}
	raw, err := decodeB64(strings.TrimSpace(b64))
	if err != nil {
		return Key{}, &KeyError{Source: src, ID: id, Reason: "key is not valid base64"}
	}
	if len(raw) != KeySize {
		return Key{}, &KeyError{Source: src, ID: id, Reason: fmt.Sprintf("key must decode to %d bytes, got %d", KeySize, len(raw))}
	}
	return Key{ID: id, Bytes: raw}, nil
}

func decodeB64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("bad base64")
}

// LoadKeyFile reads a key file: one "id:base64key" per line, oldest first,
// blank lines and lines starting with # ignored. On Unix the file must not
// be accessible by group or others (*InsecureFileError).
func LoadKeyFile(path string) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("secrets: opening key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secrets: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("secrets: key file %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, &InsecureFileError{Path: path, Mode: fi.Mode()}
	}
	var keys []Key
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, err := parseKeyLine(s, fmt.Sprintf("%s:%d", path, line))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("secrets: reading key file %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, &KeyError{Source: path, Reason: "key file holds no keys"}
	}
	return New(keys...)
}

// FromFile is LoadKeyFile.
func FromFile(path string) (*Keyring, error) { return LoadKeyFile(path) }

// FromEnv parses the keyring spec in environment variable name (see
// ParseKeyring). It is meant for the example programs; the SDK never reads
// the environment.
func FromEnv(name string) (*Keyring, error) {
	return FromLookup(name, os.LookupEnv)
}

// FromLookup is FromEnv with an injectable environment lookup.
func FromLookup(name string, lookup func(string) (string, bool)) (*Keyring, error) {
	v, ok := lookup(name)
	if !ok || strings.TrimSpace(v) == "" {
		return nil, &KeyError{Source: "environment variable " + name, Reason: "is not set or empty (want id:base64key[,id:base64key...]; generate one with GenerateKey)"}
	}
	kr, err := ParseKeyring(v)
	if err != nil {
		var ke *KeyError
		if errors.As(err, &ke) {
			c := *ke
			c.Source = "environment variable " + name + " " + c.Source
			return nil, &c
		}
		return nil, err
	}
	return kr, nil
}

// GenerateKey returns a new random key as a key-file line / spec entry
// "id:base64key".
func GenerateKey(id string) (string, error) {
	if err := checkID(id); err != nil {
		return "", &KeyError{Reason: err.Error()}
	}
	b := make([]byte, KeySize)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", fmt.Errorf("secrets: reading random key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(b), nil
}
