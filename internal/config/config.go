package config

import (
	"maps"
	"strings"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
)

// Config is the daemon configuration. Its String, GoString, Format,
// MarshalJSON, LogValue (slog) and MarshalLogObject (zap) all render the
// redacted form: endpoint passwords and the DSN password never appear.
type Config struct {
	Store    StoreConfig    `yaml:"store"`
	Location string         `yaml:"location"`
	HTTP     HTTPConfig     `yaml:"http"`
	API      APIConfig      `yaml:"api"`
	UI       UIConfig       `yaml:"ui"`
	Log      LogConfig      `yaml:"log"`
	Keys     KeysConfig     `yaml:"keys"`
	Schedule ScheduleConfig `yaml:"schedule"`
	Live     LiveConfig     `yaml:"live"`
	Alerts   AlertsConfig   `yaml:"alerts"`
	Metrics  MetricsConfig  `yaml:"metrics"`
	// Settings are the pipeline settings (the Settings table of
	// docs/architecture.md, vinventory.Settings). settings.location may be
	// given instead of the top-level location; Location is authoritative.
	Settings  vinventory.Settings `yaml:"settings"`
	Endpoints []EndpointConfig    `yaml:"endpoints"`

	// lines maps a key path ("settings.hourly_snapshot_concurrency") to
	// its line in the file, so validation errors can name it.
	lines map[string]int
	file  string
	// origins maps a key path set by the environment or a flag to
	// {variable, flag}.
	origins map[string][2]string
}

// StoreConfig selects the store backend.
type StoreConfig struct {
	// Driver is "sqlite" or "postgres". Defaults to "sqlite".
	Driver string `yaml:"driver"`
	// Path is the SQLite database file. Defaults to "./vinventory.db".
	Path string `yaml:"path,omitempty"`
	// DSN is the PostgreSQL connection string (URL or key=value form). It
	// may hold a password: it is redacted in every rendering.
	DSN string `yaml:"dsn,omitempty"`
}

// HTTPConfig is the health and metrics server.
type HTTPConfig struct {
	// Listen is the address of /healthz and /metrics. Defaults to "127.0.0.1:8080" (this host only);
	// empty disables the server.
	Listen string `yaml:"listen"`
}

// APIConfig configures the JSON API, served under /api/ on http.listen.
type APIConfig struct {
	// Tokens are the bootstrap API tokens. Without any, every /api call
	// is refused (401) unless NoAuth is set.
	Tokens []APITokenConfig `yaml:"tokens"`
	// NoAuth serves every /api call as admin without a token: for a demo
	// on a trusted host only; run warns about it at start.
	NoAuth bool `yaml:"no_auth"`
}

// UIConfig configures the web pages, served at / on http.listen.
type UIConfig struct {
	// RequireLogin makes every page ask for an API token first. Defaults
	// to false: pages are readable by anyone who reaches http.listen
	// (as a viewer); actions on them need a sign-in.
	RequireLogin bool `yaml:"require_login"`
}

// APITokenConfig is one bootstrap token. Its secret (at least 32
// characters, e.g. from `openssl rand -base64 33`) comes from an
// environment variable or a file, never the configuration itself.
type APITokenConfig struct {
	// Name names the token in logs and the audit log.
	Name string `yaml:"name"`
	// Role is viewer, operator or admin.
	Role string `yaml:"role"`
	// SecretEnv names the environment variable holding the secret.
	SecretEnv string `yaml:"secret_env,omitempty"`
	// SecretFile is a file holding the secret (trailing newline ignored).
	SecretFile string `yaml:"secret_file,omitempty"`
}

// LogConfig configures logging.
type LogConfig struct {
	// Level is debug, info, warn or error. Defaults to "info".
	Level string `yaml:"level"`
	// Format is json or console. Defaults to "json".
	Format string `yaml:"format"`
}

// KeysConfig says where the credential keyring comes from.
type KeysConfig struct {
	// Env is the environment variable holding "id:base64key,..." Defaults
	// to "VINVENTORY_KEYS".
	Env string `yaml:"env"`
	// File is a key file (one id:base64key per line, mode 0600). When set
	// it is used instead of Env. Defaults to none.
	File string `yaml:"file"`
}

// ScheduleConfig is when the daemon's jobs run. Times of day are in
// Config.Location.
type ScheduleConfig struct {
	// HourlyMinute is the minute past the hour of the hourly capture.
	// Defaults to 0.
	HourlyMinute int `yaml:"hourly_minute"`
	// Stagger spreads endpoint captures across this window. Defaults to 2m.
	Stagger time.Duration `yaml:"stagger"`
	// DailyAt is when the prior day is aggregated. Defaults to 00:15.
	DailyAt TimeOfDay `yaml:"daily_at"`
	// MonthlyAt is when, on the 1st, the prior month is aggregated.
	// Defaults to 01:00.
	MonthlyAt TimeOfDay `yaml:"monthly_at"`
	// ReportsEvery is the interval of deferred report generation. Defaults
	// to 5m.
	ReportsEvery time.Duration `yaml:"reports_every"`
	// CleanupAt is when retention cleanup runs. Defaults to 03:00.
	CleanupAt TimeOfDay `yaml:"cleanup_at"`
	// LoginFailureBackoff is how long an endpoint whose credentials were
	// refused stays parked (no login) unless its credential or
	// configuration changes first. Defaults to 30m; at least 1m.
	LoginFailureBackoff time.Duration `yaml:"login_failure_backoff"`
}

// LiveConfig configures the live watchers: one property-collector watcher
// per enabled endpoint (capture.Watch) that keeps the latest state and the
// change events current between the hourly captures.
type LiveConfig struct {
	// Enabled runs the watchers. Defaults to false (the demo turns it on).
	// With several replicas on PostgreSQL exactly one replica watches each
	// endpoint (a PostgreSQL advisory lock per endpoint).
	Enabled bool `yaml:"enabled"`
	// FlushInterval is the longest a seen change waits before it is
	// written. Defaults to 500ms; 10ms to 1m.
	FlushInterval time.Duration `yaml:"flush_interval"`
	// FlushChanges writes a batch as soon as this many changes wait.
	// Defaults to 500; 1 to 100000.
	FlushChanges int `yaml:"flush_changes"`
	// MaxWaitSeconds bounds one wait for updates at the endpoint. Defaults
	// to 30; 1 to 300.
	MaxWaitSeconds int `yaml:"max_wait_seconds"`
	// MaxObjectUpdates caps the objects of one answer from the endpoint.
	// Defaults to 500; 1 to 100000.
	MaxObjectUpdates int `yaml:"max_object_updates"`
	// RetryBackoff is the first wait before a failed watcher starts again
	// (doubling up to 5m; reset after an hour without failure). Defaults
	// to 5s; 1s to 5m.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	// ChangeRetention is how long the change log keeps a change (readers
	// of /api/stream resume within it); the cleanup job prunes older
	// changes. Defaults to 168h (7 days); at least 1h.
	ChangeRetention time.Duration `yaml:"change_retention"`
}

// EndpointConfig is one endpoint. Exactly one of PasswordEnv, PasswordFile
// and Password names its password.
type EndpointConfig struct {
	// Name identifies the endpoint (the "vcenter" of its rows) and is the
	// encryption context of its credential.
	Name string `yaml:"name"`
	// URL of the SDK, e.g. https://vc1.example.com/sdk (no password).
	URL string `yaml:"url"`
	// Kind is vcenter or esxi. Defaults to vcenter.
	Kind inventory.EndpointKind `yaml:"kind"`
	// Username to log in with.
	Username string `yaml:"username"`
	// PasswordEnv is the environment variable holding the password.
	PasswordEnv string `yaml:"password_env,omitempty"`
	// PasswordFile is a file holding the password (trailing newline
	// removed).
	PasswordFile string `yaml:"password_file,omitempty"`
	// Password inline; accepted with a warning.
	Password secrets.Secret `yaml:"password,omitempty"`
	// TLS verification (inventory.TLSOptions).
	TLS TLSConfig `yaml:"tls"`
	// Tags are free-form labels.
	Tags map[string]string `yaml:"tags,omitempty"`
	// PollInterval between captures. Defaults to 1h.
	PollInterval time.Duration `yaml:"poll_interval"`
	// MetricsInterval between two metrics collections of this endpoint.
	// Defaults to metrics.interval; 1m to 1h.
	MetricsInterval time.Duration `yaml:"metrics_interval,omitempty"`
	// Enabled endpoints are captured. Defaults to true.
	Enabled bool `yaml:"enabled"`
}

// TLSConfig is inventory.TLSOptions in YAML.
type TLSConfig struct {
	// Insecure disables verification. Defaults to false.
	Insecure bool `yaml:"insecure"`
	// Thumbprint pins the certificate (SHA-1 or SHA-256).
	Thumbprint string `yaml:"thumbprint"`
	// CAFile is a PEM bundle of extra trusted roots.
	CAFile string `yaml:"ca_file"`
	// AllowPlaintext accepts an http:// URL (the password then crosses the
	// network in clear). Defaults to false.
	AllowPlaintext bool `yaml:"allow_plaintext"`
}

// Defaults.
const (
	DefaultDriver     = "sqlite"
	DefaultSQLitePath = "./vinventory.db"
	DefaultListen     = "127.0.0.1:8080"
	DefaultKeysEnv    = "VINVENTORY_KEYS"
	DefaultReportDir  = "./reports"
)

// Default returns the configuration used when no file is given: SQLite at
// ./vinventory.db, UTC, every setting at its documented default, no
// endpoints.
func Default() *Config {
	return &Config{
		Store:    StoreConfig{Driver: DefaultDriver, Path: DefaultSQLitePath},
		Location: "UTC",
		HTTP:     HTTPConfig{Listen: DefaultListen},
		Log:      LogConfig{Level: "info", Format: "json"},
		Keys:     KeysConfig{Env: DefaultKeysEnv},
		Schedule: ScheduleConfig{
			HourlyMinute:        0,
			Stagger:             2 * time.Minute,
			DailyAt:             TimeOfDay{0, 15},
			MonthlyAt:           TimeOfDay{1, 0},
			ReportsEvery:        5 * time.Minute,
			LoginFailureBackoff: 30 * time.Minute,
			CleanupAt:           TimeOfDay{3, 0},
		},
		Live: LiveConfig{FlushInterval: 500 * time.Millisecond, FlushChanges: 500, MaxWaitSeconds: 30, MaxObjectUpdates: 500,
			RetryBackoff: 5 * time.Second, ChangeRetention: 7 * 24 * time.Hour},
		Alerts:   defaultAlerts(),
		Metrics:  defaultMetrics(),
		Settings: DefaultSettings(),
	}
}

// DefaultSettings returns vinventory.DefaultSettings with the daemon's
// reports on (the library default writes none): kept in the store's report
// catalog, where every replica can list and serve them, and mirrored as
// files in ./reports.
func DefaultSettings() vinventory.Settings {
	s := vinventory.DefaultSettings()
	s.ReportDir = DefaultReportDir
	s.ReportCatalog = true
	return s
}

// defaultEndpoint is the starting value of every endpoints[] entry.
func defaultEndpoint() EndpointConfig {
	return EndpointConfig{Kind: inventory.KindVCenter, PollInterval: inventory.DefaultPollInterval, Enabled: true}
}

// LoadLocation returns the time.Location named by Location ("" is UTC;
// "Local" is refused, as by vinventory.Settings).
func (c *Config) LoadLocation() (*time.Location, error) {
	s := vinventory.Settings{Location: c.Location}
	return s.TimeLocation()
}

// PipelineSettings returns the settings for vinventory.NewPipeline, with
// Location taken from the top-level location key.
func (c *Config) PipelineSettings() vinventory.Settings {
	s := c.Settings
	s.PoolTiers = maps.Clone(c.Settings.PoolTiers)
	s.Location = c.Location
	return s
}

func canonicalTier(t inventory.Tier) inventory.Tier {
	for _, c := range inventory.Tiers() {
		if strings.EqualFold(string(c), string(t)) {
			return c
		}
	}
	return t
}

// Endpoint returns e as an inventory.Endpoint without its credential.
func (e EndpointConfig) Endpoint() inventory.Endpoint {
	var tags map[string]string
	if len(e.Tags) > 0 {
		tags = make(map[string]string, len(e.Tags))
		for k, v := range e.Tags {
			tags[k] = v
		}
	}
	return inventory.Endpoint{
		Name:     e.Name,
		URL:      e.URL,
		Kind:     e.Kind,
		Username: e.Username,
		TLS: inventory.TLSOptions{Insecure: e.TLS.Insecure, Thumbprint: e.TLS.Thumbprint, CAFile: e.TLS.CAFile,
			AllowPlaintext: e.TLS.AllowPlaintext},
		Tags:         tags,
		PollInterval: e.PollInterval,
		Enabled:      e.Enabled,
	}
}
