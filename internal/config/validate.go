package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
)

// Validate checks the whole configuration and returns every problem
// joined (errors.Join), each an *Error naming its key path, e.g.
// "endpoints[1].url: must not be empty" or
// "settings.hourly_snapshot_concurrency: must be >= 1". No error contains
// a password, a DSN password or key material.
func (c *Config) Validate() error {
	var errs []error
	add := func(path, format string, args ...any) {
		e := &Error{Path: path, Err: fmt.Errorf(format, args...)}
		if o, ok := c.origins[path]; ok {
			e.Env, e.Flag = o[0], o[1]
		} else {
			e.File, e.Line = c.file, c.lineOf(path)
		}
		errs = append(errs, e)
	}

	// store
	switch c.Store.Driver {
	case "sqlite":
		if strings.TrimSpace(c.Store.Path) == "" {
			add("store.path", "must not be empty with driver sqlite")
		}
	case "postgres":
		if strings.TrimSpace(c.Store.DSN) == "" {
			add("store.dsn", "must not be empty with driver postgres")
		} else if reason := checkDSN(c.Store.DSN); reason != "" {
			add("store.dsn", "%s", reason) // never echo the DSN: it may be all password
		}
	default:
		add("store.driver", "must be sqlite or postgres, got %q", c.Store.Driver)
	}

	if _, err := c.LoadLocation(); err != nil {
		if c.Location == "Local" {
			add("location", `"Local" is not allowed; name the zone (an IANA name such as UTC or Europe/Paris)`)
		} else {
			add("location", "unknown time zone %q (want an IANA name such as UTC or Europe/Paris)", c.Location)
		}
	}

	if c.HTTP.Listen != "" {
		host, port, err := net.SplitHostPort(c.HTTP.Listen)
		_ = host
		if err != nil {
			add("http.listen", "must be host:port or :port, got %q", c.HTTP.Listen)
		} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			add("http.listen", "port must be 0 to 65535, got %q", port)
		}
	}

	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "console":
	default:
		add("log.format", "must be json or console, got %q", c.Log.Format)
	}

	if c.Keys.File == "" && c.Keys.Env == "" && len(c.Endpoints) > 0 {
		add("keys", "env or file must name the keyring source (endpoints need it to encrypt their passwords)")
	}
	if c.Keys.Env != "" && !validEnvName(c.Keys.Env) {
		add("keys.env", "must be an environment variable name (letters, digits, _), got %q", c.Keys.Env)
	}

	s := c.Schedule
	if s.HourlyMinute < 0 || s.HourlyMinute > 59 {
		add("schedule.hourly_minute", "must be 0 to 59, got %d", s.HourlyMinute)
	}
	if s.Stagger < 0 || s.Stagger >= time.Hour {
		add("schedule.stagger", "must be at least 0 and less than 1h, got %s", s.Stagger)
	}
	l := c.Live
	if l.FlushInterval < 10*time.Millisecond || l.FlushInterval > time.Minute {
		add("live.flush_interval", "must be between 10ms and 1m, got %s", l.FlushInterval)
	}
	if l.FlushChanges < 1 || l.FlushChanges > 100000 {
		add("live.flush_changes", "must be between 1 and 100000, got %d", l.FlushChanges)
	}
	if l.MaxWaitSeconds < 1 || l.MaxWaitSeconds > 300 {
		add("live.max_wait_seconds", "must be between 1 and 300, got %d", l.MaxWaitSeconds)
	}
	if l.MaxObjectUpdates < 1 || l.MaxObjectUpdates > 100000 {
		add("live.max_object_updates", "must be between 1 and 100000, got %d", l.MaxObjectUpdates)
	}
	if l.RetryBackoff < time.Second || l.RetryBackoff > 5*time.Minute {
		add("live.retry_backoff", "must be between 1s and 5m, got %s", l.RetryBackoff)
	}
	if l.ChangeRetention < time.Hour {
		add("live.change_retention", "must be at least 1h, got %s", l.ChangeRetention)
	}
	c.validateAlerts(add)
	c.validateMetrics(add)
	if s.LoginFailureBackoff < time.Minute {
		add("schedule.login_failure_backoff", "must be at least 1m (vCenter SSO locks an account after 5 failures in 3 minutes), got %s", s.LoginFailureBackoff)
	}
	if s.ReportsEvery <= 0 {
		add("schedule.reports_every", "must be > 0, got %s", s.ReportsEvery)
	}

	st := c.PipelineSettings()
	if err := st.Validate(); err != nil {
		for _, e := range flatten(err) {
			var se *vinventory.SettingError
			if !errors.As(e, &se) {
				errs = append(errs, &Error{Path: "settings", Err: e})
				continue
			}
			if se.Setting == "location" {
				continue // reported above
			}
			add("settings."+se.Setting, "%s", se.Reason)
		}
	}
	if strings.TrimSpace(st.ReportDir) == "" {
		add("settings.report_dir", "must not be empty")
	}

	names := map[string]int{}
	for i, e := range c.Endpoints {
		p := fmt.Sprintf("endpoints[%d]", i)
		ep := e.Endpoint()
		if err := ep.Validate(); err != nil {
			for _, fe := range inventory.FieldErrors(err) {
				add(p+"."+fe.Field, "%s", fe.Reason)
			}
		}
		if prev, dup := names[e.Name]; dup && e.Name != "" {
			add(p+".name", "duplicate endpoint name %q (also endpoints[%d])", e.Name, prev)
		} else {
			names[e.Name] = i
		}
		if strings.TrimSpace(e.Username) == "" {
			add(p+".username", "must not be empty")
		}
		n := 0
		if e.PasswordEnv != "" {
			n++
			if !validEnvName(e.PasswordEnv) {
				add(p+".password_env", "must be an environment variable name (letters, digits, _)")
			}
		}
		if e.PasswordFile != "" {
			n++
		}
		if !e.Password.IsZero() {
			n++
			if e.Password.Reveal() == secrets.Redacted {
				add(p+".password", "is the redaction placeholder %q (this file was produced by Redacted); set the real password source", secrets.Redacted)
			}
		}
		switch n {
		case 0:
			add(p, "one of password_env, password_file or password is required")
		case 1:
		default:
			add(p, "password_env, password_file and password are mutually exclusive; set exactly one")
		}
	}
	seenTokens := map[string]bool{}
	for i, tok := range c.API.Tokens {
		path := fmt.Sprintf("api.tokens[%d]", i)
		switch {
		case tok.Name == "":
			add(path+".name", "required")
		case seenTokens[tok.Name]:
			add(path+".name", "%q is listed twice", tok.Name)
		}
		seenTokens[tok.Name] = true
		if tok.Role != "viewer" && tok.Role != "operator" && tok.Role != "admin" {
			add(path+".role", "%q is not viewer, operator or admin", tok.Role)
		}
		if (tok.SecretEnv == "") == (tok.SecretFile == "") {
			add(path, "give secret_env or secret_file (one of them)")
		}
	}
	return errors.Join(errs...)
}

// Warnings returns non-fatal remarks about the configuration, such as
// inline passwords. They never contain secrets.
func (c *Config) Warnings() []string {
	if c == nil {
		return nil
	}
	var out []string
	if c.API.NoAuth {
		out = append(out, "API: api.no_auth serves every /api call as admin without a token; use it for a demo on a trusted host only")
	} else if len(c.API.Tokens) == 0 && c.HTTP.Listen != "" {
		out = append(out, "API: no api.tokens: every /api call will be refused (401)")
	}
	for i, e := range c.Endpoints {
		if !e.Password.IsZero() {
			out = append(out, fmt.Sprintf("endpoints[%d].password: inline passwords are discouraged; use password_env or password_file", i))
		}
		if e.TLS.Insecure {
			out = append(out, fmt.Sprintf("endpoints[%d].tls.insecure: certificate verification is disabled; prefer tls.thumbprint or tls.ca_file", i))
		}
		if e.TLS.AllowPlaintext && strings.HasPrefix(strings.ToLower(e.URL), "http://") {
			out = append(out, fmt.Sprintf("endpoints[%d].tls.allow_plaintext: PLAINTEXT: %s's password crosses the network unencrypted over http://; use https://", i, e.Name))
		}
	}
	if c.Store.Driver == "postgres" && dsnHasPassword(c.Store.DSN) {
		out = append(out, "store.dsn: contains a password; prefer a .pgpass file or PGPASSWORD")
	}
	return out
}

func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		ok := r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}

func isURLDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// checkDSN returns why dsn is not a usable PostgreSQL connection string,
// or "". The reason never contains the DSN.
func checkDSN(dsn string) string {
	dsn = strings.TrimSpace(dsn)
	if isURLDSN(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return "is not a valid postgres:// URL"
		}
		if u.Host == "" && u.Query().Get("host") == "" {
			return "must name a host"
		}
		return ""
	}
	if strings.Contains(dsn, "://") {
		return "URL scheme must be postgres:// or postgresql://"
	}
	if !strings.Contains(dsn, "=") {
		return "must be a postgres:// URL or key=value pairs"
	}
	return ""
}
