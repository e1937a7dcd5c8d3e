package inventory

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// EndpointKind says what an endpoint is.
type EndpointKind string

const (
	// KindVCenter is a vCenter Server.
	KindVCenter EndpointKind = "vcenter"
	// KindESXi is a standalone ESXi host.
	KindESXi EndpointKind = "esxi"
)

// Valid reports whether k is a known kind.
func (k EndpointKind) Valid() bool { return k == KindVCenter || k == KindESXi }

// TLSOptions controls how the TLS certificate of an endpoint is verified.
// Verification against the system roots is on by default.
type TLSOptions struct {
	// Insecure disables certificate verification entirely. Off by default;
	// prefer Thumbprint.
	Insecure bool `json:"insecure,omitempty"`
	// Thumbprint pins the server certificate by its SHA-1 (vSphere style,
	// "AA:BB:...") or SHA-256 fingerprint. When set, the certificate is
	// accepted if and only if it matches.
	Thumbprint string `json:"thumbprint,omitempty"`
	// CAFile is an optional PEM bundle of additional trusted roots.
	CAFile string `json:"ca_file,omitempty"`
	// AllowPlaintext accepts an http:// URL, over which the password
	// crosses the network in clear. Off by default: Validate refuses
	// http:// without it.
	AllowPlaintext bool `json:"allow_plaintext,omitempty"`
}

// Endpoint is a vCenter or ESXi host that vinventory captures.
//
// Credential holds the endpoint password encrypted by the caller (the
// daemon uses AES-256-GCM under a keyring); stores keep it as an opaque blob
// and never interpret it. Endpoint's String, GoString and LogValue never
// print it.
type Endpoint struct {
	// Name identifies the endpoint and is the "vcenter" value of every row
	// captured from it.
	Name string `json:"name"`
	// URL of the SDK, e.g. https://vc1.example.com/sdk. It must not carry a
	// password.
	URL string `json:"url"`
	// Kind is KindVCenter or KindESXi. Defaults to KindVCenter.
	Kind EndpointKind `json:"kind"`
	// Username used to log in.
	Username string `json:"username"`
	// Credential is the encrypted password blob (opaque to stores).
	Credential []byte `json:"-"`
	// TLS verification options.
	TLS TLSOptions `json:"tls"`
	// Tags are free-form labels (site, environment, ...).
	Tags map[string]string `json:"tags,omitempty"`
	// PollInterval between captures. Defaults to one hour.
	PollInterval time.Duration `json:"poll_interval"`
	// Enabled endpoints are captured by schedules.
	Enabled bool `json:"enabled"`
	// Scope selects the VMs captured (include/exclude rules by folder,
	// attribute or tag, name). The zero Scope captures every VM.
	Scope Scope `json:"scope,omitzero"`
	// CreatedAt and UpdatedAt are maintained by stores.
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultPollInterval is the capture interval of an endpoint that sets none.
const DefaultPollInterval = time.Hour

// FieldError names one invalid field of a value and why it is invalid. It
// never carries the field's value when that could be a secret.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// FieldErrors flattens an error returned by a Validate method (a tree of
// errors.Join) into its field errors, in order. A leaf that is not a
// *FieldError comes back with an empty Field and its text as Reason.
func FieldErrors(err error) []*FieldError {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []*FieldError
		for _, e := range j.Unwrap() {
			out = append(out, FieldErrors(e)...)
		}
		return out
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return []*FieldError{fe}
	}
	return []*FieldError{{Reason: err.Error()}}
}

// Validate checks the endpoint and returns every problem joined, each a
// *FieldError. It never echoes a password.
func (e *Endpoint) Validate() error {
	var errs []error
	add := func(field, reason string) { errs = append(errs, &FieldError{Field: field, Reason: reason}) }
	if strings.TrimSpace(e.Name) == "" {
		add("name", "must not be empty")
	} else if len(e.Name) > 255 {
		add("name", "must be at most 255 bytes")
	}
	if e.Kind != "" && !e.Kind.Valid() {
		add("kind", fmt.Sprintf("must be %q or %q", KindVCenter, KindESXi))
	}
	if e.URL == "" {
		add("url", "must not be empty")
	} else if u, err := url.Parse(e.URL); err != nil {
		// url.Parse errors quote the URL, which may hold a password.
		add("url", "is not a valid URL")
	} else {
		switch {
		case u.Scheme == "http" && !e.TLS.AllowPlaintext:
			add("url", "is http://: the password would cross the network in clear; use https://, or set tls.allow_plaintext to accept that")
		case u.Scheme != "https" && u.Scheme != "http":
			add("url", "scheme must be https (or http with tls.allow_plaintext)")
		}
		if u.Host == "" {
			add("url", "must name a host")
		}
		if _, ok := u.User.Password(); ok {
			add("url", "must not contain a password; store it as the credential")
		}
	}
	if e.PollInterval < 0 {
		add("poll_interval", "must not be negative")
	}
	if e.TLS.Insecure && e.TLS.Thumbprint != "" {
		add("tls", "insecure and thumbprint are mutually exclusive")
	}
	if err := e.Scope.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// EffectiveKind returns Kind, or KindVCenter when unset.
func (e *Endpoint) EffectiveKind() EndpointKind {
	if e.Kind == "" {
		return KindVCenter
	}
	return e.Kind
}

// EffectivePollInterval returns PollInterval, or DefaultPollInterval when
// unset.
func (e *Endpoint) EffectivePollInterval() time.Duration {
	if e.PollInterval <= 0 {
		return DefaultPollInterval
	}
	return e.PollInterval
}

// RedactedURL returns the URL with any user information removed.
func (e Endpoint) RedactedURL() string {
	u, err := url.Parse(e.URL)
	if err != nil {
		return "<invalid url>"
	}
	u.User = nil
	return u.String()
}

// String describes the endpoint without its credential.
func (e Endpoint) String() string {
	return fmt.Sprintf("%s (%s %s user=%s)", e.Name, e.EffectiveKind(), e.RedactedURL(), e.Username)
}

// GoString is String, so %#v never prints the credential.
func (e Endpoint) GoString() string { return "inventory.Endpoint{" + e.String() + "}" }

// LogValue renders the endpoint for log/slog without its credential.
func (e Endpoint) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", e.Name),
		slog.String("kind", string(e.EffectiveKind())),
		slog.String("url", e.RedactedURL()),
		slog.String("username", e.Username),
	)
}

// CaptureStatus is the health of one endpoint's captures.
type CaptureStatus struct {
	Endpoint     string        `json:"endpoint"`
	LastAttempt  time.Time     `json:"last_attempt"`
	LastSuccess  time.Time     `json:"last_success"`
	LastError    string        `json:"last_error,omitempty"`
	LastDuration time.Duration `json:"last_duration"`
	// ConsecutiveFailures since the last success.
	ConsecutiveFailures int `json:"consecutive_failures"`
	// Counts of objects captured by the last successful capture.
	Counts ObjectCounts `json:"counts"`
}

// ObjectCounts counts captured objects by kind.
type ObjectCounts struct {
	VMs           int `json:"vms"`
	Hosts         int `json:"hosts"`
	Clusters      int `json:"clusters"`
	Datastores    int `json:"datastores"`
	Networks      int `json:"networks"`
	ResourcePools int `json:"resource_pools"`
}
