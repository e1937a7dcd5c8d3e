package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory/inventory"
)

// ParseDuration parses a Go duration ("90s", "2m", "1h30m"), a whole
// number of days or weeks ("30d", "2w") or a bare "0".
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty duration (want e.g. 90s, 2m, 1h, 30d)")
	}
	if s == "0" {
		return 0, nil
	}
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if num, ok := strings.CutSuffix(s, suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n < -1<<20 || n > 1<<20 {
				return 0, fmt.Errorf("invalid duration %q (want e.g. 90s, 2m, 1h, 30d)", s)
			}
			return time.Duration(n) * unit, nil
		}
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 90s, 2m, 1h, 30d)", s)
	}
	return v, nil
}

// TimeOfDay is a wall-clock time "HH:MM" (24-hour) in the configured
// location.
type TimeOfDay struct {
	Hour, Minute int
}

// ParseTimeOfDay parses "HH:MM" (00:00 to 23:59).
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if ok && len(m) == 2 && len(h) >= 1 && len(h) <= 2 {
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hh >= 0 && hh < 24 && mm >= 0 && mm < 60 {
			return TimeOfDay{Hour: hh, Minute: mm}, nil
		}
	}
	return TimeOfDay{}, fmt.Errorf("invalid time of day %q (want HH:MM, 00:00 to 23:59)", s)
}

// String formats t as "HH:MM".
func (t TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", t.Hour, t.Minute) }

// Offset returns t as a duration after midnight.
func (t TimeOfDay) Offset() time.Duration {
	return time.Duration(t.Hour)*time.Hour + time.Duration(t.Minute)*time.Minute
}

// UnmarshalYAML decodes "HH:MM".
func (t *TimeOfDay) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New(`must be a time of day such as "00:15"`)
	}
	v, err := ParseTimeOfDay(n.Value)
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalYAML encodes t as "HH:MM".
func (t TimeOfDay) MarshalYAML() (any, error) { return t.String(), nil }

// MarshalText encodes t as "HH:MM".
func (t TimeOfDay) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// ParsePoolTiers parses "pool=tier,pool=tier" (the environment form).
func ParsePoolTiers(s string) (map[string]inventory.Tier, error) {
	m := map[string]inventory.Tier{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid entry %q (want pool=tier,pool=tier)", f)
		}
		m[strings.TrimSpace(k)] = canonicalTier(inventory.Tier(strings.TrimSpace(v)))
	}
	return m, nil
}
