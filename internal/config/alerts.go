package config

import (
	"fmt"
	"time"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/inventory"
)

// AlertsConfig configures alerting (package alert, docs/alerts.md): rules
// and notification channels kept in the store (those given here are
// written at start, marked as coming from the configuration, and are
// read-only through the API), the evaluator and the notifier.
type AlertsConfig struct {
	// Enabled runs the evaluator (after each capture, after live updates
	// and every EvaluateInterval) and the notifier. Defaults to true.
	Enabled bool `yaml:"enabled"`
	// EvaluateInterval is the timer of the evaluation (staleness, debounce
	// windows). Defaults to 1m; 5s to 1h.
	EvaluateInterval time.Duration `yaml:"evaluate_interval"`
	// NotifyInterval is how often the notifier looks for due
	// notifications. Defaults to 5s; 1s to 5m.
	NotifyInterval time.Duration `yaml:"notify_interval"`
	// FlapWindow and FlapLimit damp flapping: an alert that reopens
	// FlapLimit times within FlapWindow stops notifying until it stays
	// quiet for FlapWindow. Defaults to 30m and 3.
	FlapWindow time.Duration `yaml:"flap_window"`
	FlapLimit  int           `yaml:"flap_limit"`
	// NotificationRetention is how long delivered and failed
	// notifications are kept (the cleanup job prunes older ones; alerts
	// and their history are kept). Defaults to 720h (30 days); at least
	// 1h.
	NotificationRetention time.Duration `yaml:"notification_retention"`
	// MaxAttempts is how often a notification is tried before it is given
	// up. Defaults to 8; 1 to 100.
	MaxAttempts int `yaml:"max_attempts"`
	// Rules are written to the store at start (origin "config"); a
	// config rule no longer listed is deleted from the store.
	Rules []AlertRuleConfig `yaml:"rules"`
	// Channels are written to the store at start, their secret sealed
	// with the keyring.
	Channels []AlertChannelConfig `yaml:"channels"`
}

// AlertRuleConfig is one rule (inventory.AlertRule in YAML).
type AlertRuleConfig struct {
	ID       string                  `yaml:"id"`
	Name     string                  `yaml:"name"`
	Kind     inventory.AlertRuleKind `yaml:"kind"`
	Severity inventory.AlertSeverity `yaml:"severity"`
	// Enabled defaults to true.
	Enabled   *bool            `yaml:"enabled"`
	Scope     AlertScopeConfig `yaml:"scope"`
	Threshold float64          `yaml:"threshold"`
	Clear     float64          `yaml:"clear"`
	Duration  time.Duration    `yaml:"duration"`
	For       time.Duration    `yaml:"for"`
	Channels  []string         `yaml:"channels"`
}

// AlertScopeConfig is inventory.AlertScope in YAML.
type AlertScopeConfig struct {
	Vcenters    []string `yaml:"vcenters"`
	Datacenters []string `yaml:"datacenters"`
	Clusters    []string `yaml:"clusters"`
	Attribute   string   `yaml:"attribute"`
	Name        string   `yaml:"name"`
}

// Rule returns the rule as inventory.AlertRule (origin "config").
func (r AlertRuleConfig) Rule() inventory.AlertRule {
	enabled := r.Enabled == nil || *r.Enabled
	return inventory.AlertRule{
		ID: r.ID, Name: r.Name, Kind: r.Kind, Severity: r.Severity, Enabled: enabled,
		Scope: inventory.AlertScope{Vcenters: r.Scope.Vcenters, Datacenters: r.Scope.Datacenters,
			Clusters: r.Scope.Clusters, Attribute: r.Scope.Attribute, Name: r.Scope.Name},
		Threshold: r.Threshold, Clear: r.Clear, Duration: r.Duration, For: r.For, Channels: r.Channels,
		Origin: inventory.RuleFromConfig,
	}
}

// AlertChannelConfig is one notification channel. Its secret (the Slack
// or Teams webhook URL, the webhook's HMAC key, the SMTP password) comes
// from SecretEnv or SecretFile, never inline.
type AlertChannelConfig struct {
	Name string `yaml:"name"`
	// Kind is webhook, slack, teams or email.
	Kind string `yaml:"kind"`
	// Enabled defaults to true.
	Enabled     *bool                   `yaml:"enabled"`
	MinSeverity inventory.AlertSeverity `yaml:"min_severity"`
	// URL is the webhook's endpoint (kind webhook only).
	URL      string   `yaml:"url"`
	SMTPHost string   `yaml:"smtp_host"`
	SMTPPort int      `yaml:"smtp_port"`
	From     string   `yaml:"from"`
	To       []string `yaml:"to"`
	Username string   `yaml:"username"`
	TLS      string   `yaml:"tls"`
	// RatePerMinute defaults to 20; DigestAfter to 5.
	RatePerMinute int `yaml:"rate_per_minute"`
	DigestAfter   int `yaml:"digest_after"`
	// SecretEnv names the environment variable, SecretFile the file,
	// holding the secret (at most one; trailing newline removed).
	SecretEnv  string `yaml:"secret_env"`
	SecretFile string `yaml:"secret_file"`
}

// Channel returns the channel as inventory.AlertChannel, without its
// secret.
func (c AlertChannelConfig) Channel() inventory.AlertChannel {
	return inventory.AlertChannel{Name: c.Name, Kind: c.Kind, Enabled: c.Enabled == nil || *c.Enabled,
		MinSeverity: c.MinSeverity, URL: c.URL, SMTPHost: c.SMTPHost, SMTPPort: c.SMTPPort, From: c.From,
		To: c.To, Username: c.Username, TLS: c.TLS, RatePerMinute: c.RatePerMinute, DigestAfter: c.DigestAfter}
}

// ResolveSecret reads the channel's secret from SecretEnv (looked up with
// getenv) or SecretFile; "" when neither is set. Errors name the source,
// never the value.
func (c AlertChannelConfig) ResolveSecret(getenv Getenv) (string, error) {
	return readSecret(getenv, "secret", c.SecretEnv, c.SecretFile)
}

func defaultAlerts() AlertsConfig {
	return AlertsConfig{Enabled: true, EvaluateInterval: time.Minute, NotifyInterval: 5 * time.Second,
		FlapWindow: 30 * time.Minute, FlapLimit: 3, NotificationRetention: 30 * 24 * time.Hour, MaxAttempts: 8}
}

// validateAlerts checks the alerts section; add reports one problem.
func (c *Config) validateAlerts(add func(path, format string, args ...any)) {
	a := c.Alerts
	if a.EvaluateInterval < 5*time.Second || a.EvaluateInterval > time.Hour {
		add("alerts.evaluate_interval", "must be between 5s and 1h, got %s", a.EvaluateInterval)
	}
	if a.NotifyInterval < time.Second || a.NotifyInterval > 5*time.Minute {
		add("alerts.notify_interval", "must be between 1s and 5m, got %s", a.NotifyInterval)
	}
	if a.FlapWindow < time.Minute {
		add("alerts.flap_window", "must be at least 1m, got %s", a.FlapWindow)
	}
	if a.FlapLimit < 1 {
		add("alerts.flap_limit", "must be at least 1, got %d", a.FlapLimit)
	}
	if a.NotificationRetention < time.Hour {
		add("alerts.notification_retention", "must be at least 1h, got %s", a.NotificationRetention)
	}
	if a.MaxAttempts < 1 || a.MaxAttempts > 100 {
		add("alerts.max_attempts", "must be between 1 and 100, got %d", a.MaxAttempts)
	}
	channels := map[string]int{}
	for i, ch := range a.Channels {
		p := fmt.Sprintf("alerts.channels[%d]", i)
		if !alert.ValidName(ch.Name) {
			add(p+".name", "must be 1–100 characters of a-z, 0-9, '_', '.', '-', got %q", ch.Name)
		} else if prev, dup := channels[ch.Name]; dup {
			add(p+".name", "duplicate channel name %q (also alerts.channels[%d])", ch.Name, prev)
		} else {
			channels[ch.Name] = i
		}
		switch ch.Kind {
		case inventory.ChannelWebhook, inventory.ChannelSlack, inventory.ChannelTeams, inventory.ChannelEmail:
		default:
			add(p+".kind", "must be webhook, slack, teams or email, got %q", ch.Kind)
		}
		if ch.SecretEnv != "" && ch.SecretFile != "" {
			add(p, "secret_env and secret_file are mutually exclusive; set one")
		}
		if ch.SecretEnv != "" && !validEnvName(ch.SecretEnv) {
			add(p+".secret_env", "must be an environment variable name (letters, digits, _)")
		}
		if (ch.Kind == inventory.ChannelSlack || ch.Kind == inventory.ChannelTeams) && ch.SecretEnv == "" && ch.SecretFile == "" {
			add(p, "a %s channel needs its webhook URL from secret_env or secret_file", ch.Kind)
		}
		if ch.Kind == inventory.ChannelWebhook && ch.SecretEnv == "" && ch.SecretFile == "" {
			add(p, "a webhook channel needs its HMAC key from secret_env or secret_file")
		}
		if (ch.Kind == inventory.ChannelSlack || ch.Kind == inventory.ChannelTeams) && ch.URL != "" {
			add(p+".url", "a %s URL carries a token: give it through secret_env or secret_file", ch.Kind)
		}
	}
	if (len(a.Channels) > 0) && c.Keys.File == "" && c.Keys.Env == "" {
		add("keys", "env or file must name the keyring source (alert channels need it to encrypt their secrets)")
	}
	ids := map[string]int{}
	for i, r := range a.Rules {
		p := fmt.Sprintf("alerts.rules[%d]", i)
		rule := r.Rule()
		for _, fe := range inventory.FieldErrors(alert.ValidateRule(&rule)) {
			add(p+"."+fe.Field, "%s", fe.Reason)
		}
		if prev, dup := ids[r.ID]; dup && r.ID != "" {
			add(p+".id", "duplicate rule id %q (also alerts.rules[%d])", r.ID, prev)
		} else {
			ids[r.ID] = i
		}
	}
}
