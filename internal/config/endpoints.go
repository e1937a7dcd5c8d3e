package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"strings"

	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Keyring loads the credential keyring named by the keys section: the key
// file when keys.file is set, else the environment variable keys.env
// looked up with getenv.
func (c *Config) Keyring(getenv Getenv) (*secrets.Keyring, error) {
	if c.Keys.File != "" {
		kr, err := secrets.LoadKeyFile(c.Keys.File)
		if err != nil {
			return nil, &Error{Path: "keys.file", Err: err}
		}
		return kr, nil
	}
	if c.Keys.Env == "" {
		return nil, &Error{Path: "keys", Err: errors.New("neither env nor file is set")}
	}
	if getenv == nil {
		getenv = func(string) (string, bool) { return "", false }
	}
	kr, err := secrets.FromLookup(c.Keys.Env, getenv)
	if err != nil {
		return nil, &Error{Path: "keys.env", Err: err}
	}
	return kr, nil
}

// ResolvePassword resolves the endpoint's password from password_env (looked up
// with getenv), password_file (trailing newline removed) or the inline
// password. Errors name the source, never the value.
func (e EndpointConfig) ResolvePassword(getenv Getenv) (secrets.Secret, error) {
	v, err := readSecret(getenv, "password", e.PasswordEnv, e.PasswordFile)
	switch {
	case err != nil:
		return "", err
	case v != "":
		return secrets.Secret(v), nil
	case !e.Password.IsZero():
		return e.Password, nil
	}
	return "", &Error{Path: "password", Err: errors.New("no password_env, password_file or password")}
}

// readSecret reads a secret from the environment variable env (looked up
// with getenv) or the file (trailing newline removed); "" when neither is
// named. Errors name "<key>_env" or "<key>_file" and the source, never
// the value.
func readSecret(getenv Getenv, key, env, file string) (string, error) {
	switch {
	case env != "":
		var v string
		ok := false
		if getenv != nil {
			v, ok = getenv(env)
		}
		if !ok || v == "" {
			return "", &Error{Path: key + "_env", Err: fmt.Errorf("environment variable %s is not set or empty", env)}
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", &Error{Path: key + "_file", Err: err}
		}
		v := strings.TrimRight(string(b), "\r\n")
		clear(b)
		if v == "" {
			return "", &Error{Path: key + "_file", Err: fmt.Errorf("%s is empty", file)}
		}
		return v, nil
	}
	return "", nil
}

// ResolveEndpoints returns the configured endpoints as inventory.Endpoints whose
// Credential is the password encrypted by kr with the endpoint name as
// context. Every failure is reported, joined, each an *Error naming
// endpoints[i].
func (c *Config) ResolveEndpoints(kr *secrets.Keyring, getenv Getenv) ([]inventory.Endpoint, error) {
	if kr == nil && len(c.Endpoints) > 0 {
		return nil, &Error{Path: "keys", Err: errors.New("a keyring is required to encrypt endpoint passwords")}
	}
	out := make([]inventory.Endpoint, 0, len(c.Endpoints))
	var errs []error
	for i, e := range c.Endpoints {
		p := fmt.Sprintf("endpoints[%d]", i)
		pw, err := e.ResolvePassword(getenv)
		if err != nil {
			errs = append(errs, prefixPath(p, err))
			continue
		}
		ep := e.Endpoint()
		ep.Credential, err = kr.Encrypt([]byte(pw.Reveal()), e.Name)
		if err != nil {
			errs = append(errs, &Error{Path: p, Err: err})
			continue
		}
		out = append(out, ep)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func prefixPath(prefix string, err error) error {
	var ce *Error
	if errors.As(err, &ce) {
		c := *ce
		c.Path = join(prefix, c.Path)
		return &c
	}
	return &Error{Path: prefix, Err: err}
}

// SyncResult counts what SyncEndpoints did.
type SyncResult struct {
	// Created endpoints were not in the registry.
	Created []string
	// Updated endpoints differed from the registry (fields or password).
	Updated []string
	// Unchanged endpoints already matched the configuration; their stored
	// credential was kept.
	Unchanged []string
	// Kept are registry endpoints the configuration does not name; they
	// are left as they are.
	Kept []string
}

// SyncEndpoints upserts the configured endpoints into the registry: the
// configuration wins for the endpoints it names, endpoints only in the
// registry stay. An endpoint whose fields and (decrypted) password already
// match is not rewritten, so its credential blob and UpdatedAt are stable
// across restarts.
func (c *Config) SyncEndpoints(ctx context.Context, st store.Endpoints, kr *secrets.Keyring, getenv Getenv) (SyncResult, error) {
	var res SyncResult
	eps, err := c.ResolveEndpoints(kr, getenv)
	if err != nil {
		return res, err
	}
	existing, err := st.ListEndpoints(ctx, &store.ListEndpointsParams{})
	if err != nil {
		return res, fmt.Errorf("config: listing endpoints: %w", err)
	}
	byName := make(map[string]inventory.Endpoint, len(existing))
	for _, e := range existing {
		byName[e.Name] = e
	}
	named := map[string]bool{}
	var errs []error
	for i, ep := range eps {
		named[ep.Name] = true
		old, ok := byName[ep.Name]
		if ok && sameEndpoint(old, ep) && samePassword(kr, old, ep) {
			res.Unchanged = append(res.Unchanged, ep.Name)
			continue
		}
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
			errs = append(errs, &Error{Path: fmt.Sprintf("endpoints[%d]", i), Err: err})
			continue
		}
		if ok {
			res.Updated = append(res.Updated, ep.Name)
		} else {
			res.Created = append(res.Created, ep.Name)
		}
	}
	for _, e := range existing {
		if !named[e.Name] {
			res.Kept = append(res.Kept, e.Name)
		}
	}
	return res, errors.Join(errs...)
}

func sameEndpoint(a, b inventory.Endpoint) bool {
	return a.Name == b.Name && a.URL == b.URL && a.EffectiveKind() == b.EffectiveKind() &&
		a.Username == b.Username && a.TLS == b.TLS && maps.Equal(a.Tags, b.Tags) &&
		a.PollInterval == b.PollInterval && a.Enabled == b.Enabled
}

func samePassword(kr *secrets.Keyring, stored, fresh inventory.Endpoint) bool {
	if len(stored.Credential) == 0 {
		return false
	}
	// A blob under an older key is rewritten under the newest one.
	if id, err := secrets.KeyID(stored.Credential); err != nil || id != kr.NewestID() {
		return false
	}
	a, err := kr.Decrypt(stored.Credential, stored.Name)
	if err != nil {
		return false
	}
	b, err := kr.Decrypt(fresh.Credential, fresh.Name)
	if err != nil {
		return false
	}
	eq := bytes.Equal(a, b)
	clear(a)
	clear(b)
	return eq
}
