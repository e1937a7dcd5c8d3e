package secrets

import (
	"fmt"
	"io"
	"log/slog"
)

// Redacted is what every rendering of a Secret prints.
const Redacted = "[redacted]"

// Secret is a string, such as a password, that must never be printed. Its
// String, GoString, Format (every fmt verb), MarshalJSON, MarshalText,
// MarshalYAML and LogValue (log/slog) all give "[redacted]"; zap renders it
// through fmt.Stringer (zap.Any, zap.Stringer) or MarshalJSON (zap.Reflect)
// and so prints "[redacted]" too. Use Reveal to get the value.
//
// Decoding (YAML, JSON) into a Secret works like a string.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String returns "[redacted]".
func (s Secret) String() string { return Redacted }

// GoString returns "[redacted]".
func (s Secret) GoString() string { return Redacted }

// Format writes "[redacted]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { io.WriteString(f, Redacted) }

// MarshalJSON returns "[redacted]" as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText returns "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// MarshalYAML returns "[redacted]".
func (s Secret) MarshalYAML() (any, error) { return Redacted, nil }

// LogValue returns "[redacted]" for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// UnmarshalText sets the secret (encoding.TextUnmarshaler, so JSON and
// flag-style decoding work despite MarshalText).
func (s *Secret) UnmarshalText(b []byte) error { *s = Secret(b); return nil }

var _ fmt.Formatter = Secret("")
