package config

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"regexp"
	"strings"

	"go.uber.org/zap/zapcore"
	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
)

const dsnMask = "xxxxx"

var kvPassword = regexp.MustCompile(`(?i)\b(password|sslpassword)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// RedactDSN returns dsn with any password replaced by "xxxxx": the user
// info password and password/sslpassword query parameters of a URL, or
// password=/sslpassword= pairs of the key=value form. A URL that cannot be
// parsed is replaced entirely.
func RedactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	if isURLDSN(strings.TrimSpace(dsn)) || strings.Contains(dsn, "://") {
		u, err := url.Parse(strings.TrimSpace(dsn))
		if err != nil {
			return "[redacted: unparseable dsn]"
		}
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), dsnMask)
			}
		}
		q := u.Query()
		changed := false
		for k := range q {
			if strings.EqualFold(k, "password") || strings.EqualFold(k, "sslpassword") {
				q.Set(k, dsnMask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	return kvPassword.ReplaceAllString(dsn, "${1}${2}"+dsnMask)
}

func dsnHasPassword(dsn string) bool { return dsn != "" && RedactDSN(dsn) != dsn }

type plainConfig Config

// redactedCopy returns a copy whose DSN password is masked; endpoint
// passwords are Secrets and marshal as "[redacted]" by themselves.
func (c Config) redactedCopy() *plainConfig {
	cp := plainConfig(c)
	cp.Store.DSN = RedactDSN(c.Store.DSN)
	cp.lines = nil
	return &cp
}

// Redacted returns the configuration as YAML with secrets redacted: the
// DSN password shows as xxxxx and inline endpoint passwords as
// "[redacted]". Key references (password_env, password_file, keys.env,
// keys.file) are shown, they are not secrets. This is the output of
// `vinventoryd check-config`.
func (c Config) Redacted() string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c.redactedCopy()); err != nil {
		return "# cannot render configuration: " + err.Error() + "\n"
	}
	enc.Close()
	return b.String()
}

// String is Redacted.
func (c Config) String() string { return c.Redacted() }

// GoString is Redacted.
func (c Config) GoString() string { return c.Redacted() }

// Format writes Redacted for every verb, so %v, %+v and %#v are safe.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.Redacted()) }

// MarshalJSON encodes the redacted configuration with the YAML key names.
func (c Config) MarshalJSON() ([]byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(c.Redacted()), &m); err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// MarshalYAML encodes the redacted configuration, so yaml.Marshal of a
// *Config is safe too.
func (c Config) MarshalYAML() (any, error) { return c.redactedCopy(), nil }

// LogValue renders a summary for log/slog without secrets.
func (c Config) LogValue() slog.Value {
	names := make([]string, len(c.Endpoints))
	for i, e := range c.Endpoints {
		names[i] = e.Name
	}
	return slog.GroupValue(
		slog.String("store_driver", c.Store.Driver),
		slog.String("store_path", c.Store.Path),
		slog.String("store_dsn", RedactDSN(c.Store.DSN)),
		slog.String("location", c.Location),
		slog.String("http_listen", c.HTTP.Listen),
		slog.String("log_level", c.Log.Level),
		slog.String("keys_env", c.Keys.Env),
		slog.String("keys_file", c.Keys.File),
		slog.Any("endpoints", names),
	)
}

// MarshalLogObject renders a summary for zap without secrets.
func (c Config) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("store_driver", c.Store.Driver)
	enc.AddString("store_path", c.Store.Path)
	enc.AddString("store_dsn", RedactDSN(c.Store.DSN))
	enc.AddString("location", c.Location)
	enc.AddString("http_listen", c.HTTP.Listen)
	enc.AddString("log_level", c.Log.Level)
	enc.AddString("keys_env", c.Keys.Env)
	enc.AddString("keys_file", c.Keys.File)
	return enc.AddArray("endpoints", zapcore.ArrayMarshalerFunc(func(a zapcore.ArrayEncoder) error {
		for _, e := range c.Endpoints {
			if err := a.AppendObject(e); err != nil {
				return err
			}
		}
		return nil
	}))
}

type plainStore StoreConfig

// String describes the store with the DSN password masked.
func (s StoreConfig) String() string {
	switch s.Driver {
	case "postgres":
		return "postgres " + RedactDSN(s.DSN)
	case "sqlite":
		return "sqlite " + s.Path
	}
	return s.Driver
}

// GoString is String.
func (s StoreConfig) GoString() string { return "config.StoreConfig{" + s.String() + "}" }

// Format writes String for every verb.
func (s StoreConfig) Format(f fmt.State, _ rune) { io.WriteString(f, s.String()) }

// MarshalYAML encodes the store with the DSN password masked.
func (s StoreConfig) MarshalYAML() (any, error) {
	p := plainStore(s)
	p.DSN = RedactDSN(s.DSN)
	return p, nil
}

// MarshalJSON encodes the store with the DSN password masked.
func (s StoreConfig) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"driver": s.Driver, "path": s.Path, "dsn": RedactDSN(s.DSN)})
}

// LogValue renders the store for log/slog with the DSN password masked.
func (s StoreConfig) LogValue() slog.Value {
	return slog.GroupValue(slog.String("driver", s.Driver), slog.String("path", s.Path), slog.String("dsn", RedactDSN(s.DSN)))
}

// MarshalLogObject renders the store for zap with the DSN password masked.
func (s StoreConfig) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("driver", s.Driver)
	enc.AddString("path", s.Path)
	enc.AddString("dsn", RedactDSN(s.DSN))
	return nil
}

// PasswordSource describes where the password comes from ("env:NAME",
// "file:PATH", "inline" or "none"), never the password.
func (e EndpointConfig) PasswordSource() string {
	switch {
	case e.PasswordEnv != "":
		return "env:" + e.PasswordEnv
	case e.PasswordFile != "":
		return "file:" + e.PasswordFile
	case !e.Password.IsZero():
		return "inline"
	}
	return "none"
}

// String describes the endpoint without its password.
func (e EndpointConfig) String() string {
	ep := e.Endpoint()
	return fmt.Sprintf("%s (%s %s user=%s password=%s)", e.Name, ep.EffectiveKind(), ep.RedactedURL(), e.Username, e.PasswordSource())
}

// GoString is String.
func (e EndpointConfig) GoString() string { return "config.EndpointConfig{" + e.String() + "}" }

// Format writes String for every verb.
func (e EndpointConfig) Format(f fmt.State, _ rune) { io.WriteString(f, e.String()) }

// LogValue renders the endpoint for log/slog without its password.
func (e EndpointConfig) LogValue() slog.Value {
	ep := e.Endpoint()
	return slog.GroupValue(
		slog.String("name", e.Name),
		slog.String("kind", string(ep.EffectiveKind())),
		slog.String("url", ep.RedactedURL()),
		slog.String("username", e.Username),
		slog.String("password", e.PasswordSource()),
		slog.Bool("enabled", e.Enabled),
	)
}

// MarshalLogObject renders the endpoint for zap without its password.
func (e EndpointConfig) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	ep := e.Endpoint()
	enc.AddString("name", e.Name)
	enc.AddString("kind", string(ep.EffectiveKind()))
	enc.AddString("url", ep.RedactedURL())
	enc.AddString("username", e.Username)
	enc.AddString("password", e.PasswordSource())
	enc.AddBool("enabled", e.Enabled)
	return nil
}

var (
	_ slog.LogValuer          = Config{}
	_ zapcore.ObjectMarshaler = Config{}
	_ slog.LogValuer          = StoreConfig{}
	_ zapcore.ObjectMarshaler = StoreConfig{}
	_ slog.LogValuer          = EndpointConfig{}
	_ zapcore.ObjectMarshaler = EndpointConfig{}
	_                         = secrets.Redacted
	_                         = inventory.KindVCenter
)
