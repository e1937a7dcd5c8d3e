package api

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
)

// TokenSource authenticates bearer token secrets.
type TokenSource interface {
	// Authenticate returns the principal of secret, or false when no
	// token has it (unknown or revoked).
	Authenticate(ctx context.Context, secret string) (Principal, bool, error)
}

// Token is a stored token: its name, role and the SHA-256 of its secret
// (the secret itself is shown once, at creation, and kept nowhere).
type Token struct {
	Name string
	Role Role
	// Vcenters scopes the token to these vCenters; empty means all.
	Vcenters []string
	Hash     [sha256.Size]byte
}

// tokenPrefix starts every secret, so scanners can spot leaked ones.
const tokenPrefix = "vinv_"

// NewToken makes a token with a random secret of 32 bytes and returns the
// secret (to show once) and the token to keep.
func NewToken(name string, role Role) (secret string, t Token, err error) {
	if name == "" {
		return "", Token{}, errors.New("api: NewToken: empty name")
	}
	if role < RoleViewer || role > RoleAdmin {
		return "", Token{}, fmt.Errorf("api: NewToken: %s is not a role", role)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", Token{}, err
	}
	secret = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, Token{Name: name, Role: role, Hash: sha256.Sum256([]byte(secret))}, nil
}

// TokenFromSecret keeps a given secret (a bootstrap token from the
// configuration) as a token; it must be at least 32 characters.
func TokenFromSecret(name string, role Role, secret string) (Token, error) {
	if len(secret) < 32 {
		return Token{}, fmt.Errorf("api: token %q: the secret has %d characters, want at least 32", name, len(secret))
	}
	return Token{Name: name, Role: role, Hash: sha256.Sum256([]byte(secret))}, nil
}

// Tokens is a fixed set of tokens.
type Tokens []Token

// Authenticate compares secret's hash with every token's in constant time.
func (ts Tokens) Authenticate(_ context.Context, secret string) (Principal, bool, error) {
	h := sha256.Sum256([]byte(secret))
	var found Principal
	ok := 0
	for _, t := range ts {
		if subtle.ConstantTimeCompare(h[:], t.Hash[:]) == 1 {
			found, ok = Principal{Name: t.Name, Role: t.Role, Vcenters: t.Vcenters}, 1
		}
	}
	return found, ok == 1, nil
}
