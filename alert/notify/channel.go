package notify

import (
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/inventory"
)

// Channel defaults (see Defaults).
const (
	DefaultRatePerMinute = 20
	DefaultDigestAfter   = 5
	DefaultSMTPPort      = 587
	DefaultImplicitPort  = 465 // TLS "tls" (implicit TLS)
)

// TLS modes of an email channel (AlertChannel.TLS).
const (
	TLSStartTLS      = "starttls"      // STARTTLS required (the default)
	TLSOpportunistic = "opportunistic" // STARTTLS when the server offers it
	TLSImplicit      = "tls"           // TLS from the first byte (usually port 465)
	TLSNone          = "none"          // no encryption; refuses SMTP auth
)

// MinHMACKey is the shortest webhook HMAC key ValidateChannel accepts, in
// bytes.
const MinHMACKey = 16

// Secret is a channel's secret, handed to the senders through
// DispatcherOptions.OpenSecret. A channel has one secret value, which
// the caller keeps encrypted in AlertChannel.Secret (the daemon seals it
// with its keyring); KindSecret puts it in the field its kind reads:
//
//   - slack, teams: URL, the incoming or workflow webhook URL (it carries
//     the token);
//   - webhook: HMACKey, the key signing each request (see package doc);
//   - email: Password, the SMTP password (when the channel has a
//     Username).
//
// Its String, GoString and LogValue methods never show the values.
type Secret struct {
	URL      string `json:"url,omitempty"`
	HMACKey  string `json:"hmac_key,omitempty"`
	Password string `json:"password,omitempty"`
}

// KindSecret returns the Secret of a channel of kind whose one secret
// value is value.
func KindSecret(kind, value string) Secret {
	switch kind {
	case inventory.ChannelWebhook:
		return Secret{HMACKey: value}
	case inventory.ChannelEmail:
		return Secret{Password: value}
	}
	return Secret{URL: value}
}

// String hides the secret's values.
func (s Secret) String() string { return "notify.Secret{redacted}" }

// GoString hides the secret's values (%#v).
func (s Secret) GoString() string { return s.String() }

// LogValue hides the secret's values in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// values returns the secret strings (for scrubbing error texts).
func (s *Secret) values() []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, v := range []string{s.URL, s.HMACKey, s.Password} {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Defaults returns ch with the defaults filled in: MinSeverity info,
// RatePerMinute 20, DigestAfter 5 and, for email, TLS starttls and
// SMTPPort 587 (465 with TLS "tls").
func Defaults(ch inventory.AlertChannel) inventory.AlertChannel {
	if ch.MinSeverity == "" {
		ch.MinSeverity = inventory.SeverityInfo
	}
	if ch.RatePerMinute == 0 {
		ch.RatePerMinute = DefaultRatePerMinute
	}
	if ch.DigestAfter == 0 {
		ch.DigestAfter = DefaultDigestAfter
	}
	if ch.Kind == inventory.ChannelEmail {
		if ch.TLS == "" {
			ch.TLS = TLSStartTLS
		}
		if ch.SMTPPort == 0 {
			ch.SMTPPort = DefaultSMTPPort
			if ch.TLS == TLSImplicit {
				ch.SMTPPort = DefaultImplicitPort
			}
		}
	}
	return ch
}

// ValidateChannel checks a channel and, when s is not nil, its secret:
// the name, kind, minimum severity, the fields its kind reads (and no
// others), limits and the secret's fields. The error joins one
// *inventory.FieldError per problem, named by the channel's JSON field
// ("smtp_host", "to[1]") or "secret.<field>" for the secret. A nil s
// skips the secret (an update that keeps the stored one).
func ValidateChannel(ch *inventory.AlertChannel, s *Secret) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &inventory.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	text := func(v string) bool { return utf8.ValidString(v) && !strings.ContainsRune(v, 0) }
	if !alert.ValidName(ch.Name) {
		bad("name", "must be 1–100 characters of a-z, 0-9, '_', '.', '-'")
	}
	kinds := []string{inventory.ChannelWebhook, inventory.ChannelSlack, inventory.ChannelTeams, inventory.ChannelEmail}
	if !slices.Contains(kinds, ch.Kind) {
		bad("kind", "%q is not one of %s", ch.Kind, strings.Join(kinds, ", "))
	}
	if ch.MinSeverity != "" && !slices.Contains(inventory.AlertSeverities(), ch.MinSeverity) {
		bad("min_severity", "%q is not one of info, warning, critical", ch.MinSeverity)
	}
	if ch.RatePerMinute < 0 || ch.RatePerMinute > 1000 {
		bad("rate_per_minute", "must be between 1 and 1000 (0 means %d), got %d", DefaultRatePerMinute, ch.RatePerMinute)
	}
	if ch.DigestAfter < 0 || ch.DigestAfter > 1000 {
		bad("digest_after", "must be between 1 and 1000 (0 means %d), got %d", DefaultDigestAfter, ch.DigestAfter)
	}
	notRead := func(field string, set bool) {
		if set {
			bad(field, "is not read by kind %s", ch.Kind)
		}
	}
	email := ch.Kind == inventory.ChannelEmail
	if !email {
		notRead("smtp_host", ch.SMTPHost != "")
		notRead("smtp_port", ch.SMTPPort != 0)
		notRead("from", ch.From != "")
		notRead("to", len(ch.To) > 0)
		notRead("username", ch.Username != "")
		notRead("tls", ch.TLS != "")
	}
	switch ch.Kind {
	case inventory.ChannelWebhook:
		if reason := checkURL(ch.URL, false); reason != "" {
			bad("url", "%s", reason)
		}
		if s != nil {
			notRead("secret.url", s.URL != "")
			notRead("secret.password", s.Password != "")
			if len(s.HMACKey) < MinHMACKey {
				bad("secret.hmac_key", "must be at least %d bytes (it signs each request)", MinHMACKey)
			}
		}
	case inventory.ChannelSlack, inventory.ChannelTeams:
		if ch.URL != "" {
			bad("url", "must be empty: the %s webhook URL carries a token and goes in the secret", ch.Kind)
		}
		if s != nil {
			notRead("secret.hmac_key", s.HMACKey != "")
			notRead("secret.password", s.Password != "")
			if reason := checkURL(s.URL, true); reason != "" {
				// The reason never quotes the URL: it is secret.
				bad("secret.url", "%s", reason)
			}
		}
	case inventory.ChannelEmail:
		notRead("url", ch.URL != "")
		if ch.SMTPHost == "" || !text(ch.SMTPHost) || strings.ContainsAny(ch.SMTPHost, " /:@\r\n") {
			bad("smtp_host", "must be a host name or address")
		}
		if ch.SMTPPort < 0 || ch.SMTPPort > 65535 {
			bad("smtp_port", "must be between 1 and 65535 (0 means %d), got %d", DefaultSMTPPort, ch.SMTPPort)
		}
		if _, err := mail.ParseAddress(ch.From); err != nil || strings.ContainsAny(ch.From, "\r\n") {
			bad("from", "must be an email address")
		}
		if len(ch.To) == 0 {
			bad("to", "needs at least one address")
		}
		for i, to := range ch.To {
			if _, err := mail.ParseAddress(to); err != nil || strings.ContainsAny(to, "\r\n") {
				bad(fmt.Sprintf("to[%d]", i), "%q is not an email address", to)
			}
		}
		if !text(ch.Username) || strings.ContainsAny(ch.Username, "\r\n") {
			bad("username", "must be valid text")
		}
		modes := []string{TLSStartTLS, TLSOpportunistic, TLSImplicit, TLSNone}
		if ch.TLS != "" && !slices.Contains(modes, ch.TLS) {
			bad("tls", "%q is not one of %s", ch.TLS, strings.Join(modes, ", "))
		}
		if ch.TLS == TLSNone && ch.Username != "" {
			bad("tls", "none would send the SMTP password in clear: use starttls, opportunistic or tls with a username")
		}
		if s != nil {
			notRead("secret.url", s.URL != "")
			notRead("secret.hmac_key", s.HMACKey != "")
			if ch.Username != "" && s.Password == "" {
				bad("secret.password", "is required with a username")
			}
			if ch.Username == "" && s.Password != "" {
				bad("secret.password", "is not read without a username")
			}
		}
	}
	return errors.Join(errs...)
}

// checkURL returns why u is not a usable webhook URL, or "". It never
// quotes u (Slack and Teams URLs are secret).
func checkURL(u string, httpsOnly bool) string {
	if u == "" {
		return "is required"
	}
	p, err := url.Parse(u)
	if err != nil || p.Host == "" || !utf8.ValidString(u) {
		return "must be an absolute http(s) URL"
	}
	switch {
	case p.Scheme == "https":
	case p.Scheme == "http" && !httpsOnly:
	case httpsOnly:
		return "must be an https URL"
	default:
		return "must be an http or https URL"
	}
	if p.User != nil {
		return "must not carry a user name or password"
	}
	return ""
}
