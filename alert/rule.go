package alert

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accessvault/vinventory/inventory"
)

var idPattern = regexp.MustCompile(`^[a-z0-9_.-]{1,100}$`)

// ValidName reports whether s is a valid rule ID or channel name: 1–100
// characters of [a-z0-9_.-].
func ValidName(s string) bool { return idPattern.MatchString(s) }

// entityOf returns the entity type a rule kind is about.
func entityOf(k inventory.AlertRuleKind) inventory.EntityType {
	switch k {
	case inventory.RuleHostDisconnected, inventory.RuleHostMaintenance:
		return inventory.EntityHost
	case inventory.RuleDatastoreUsedPct, inventory.RuleDatastoreFreeGB:
		return inventory.EntityDatastore
	case inventory.RuleVMPoweredOff, inventory.RuleVMSnapshotAge, inventory.RuleVMSnapshotSize:
		return inventory.EntityVM
	case inventory.RuleCaptureFailing, inventory.RuleDataStale:
		return inventory.EntityEndpoint
	case inventory.RuleVMCPUUsagePct, inventory.RuleVMCPUReadyPct, inventory.RuleVMMemUsagePct:
		return inventory.EntityVM
	case inventory.RuleHostCPUUsagePct, inventory.RuleHostMemUsagePct:
		return inventory.EntityHost
	}
	return ""
}

// Limits of a metric rule's window (its Duration).
const (
	// DefaultMetricWindow is the window of a metric rule without a
	// Duration.
	DefaultMetricWindow = 15 * time.Minute
	// MinMetricWindow and MaxMetricWindow bound a metric rule's Duration.
	MinMetricWindow = time.Minute
	MaxMetricWindow = 24 * time.Hour
)

// MetricOf returns the metric a metric rule kind reads (false for the
// other kinds).
func MetricOf(k inventory.AlertRuleKind) (inventory.Metric, bool) {
	switch k {
	case inventory.RuleVMCPUUsagePct, inventory.RuleHostCPUUsagePct:
		return inventory.MetricCPUUsagePct, true
	case inventory.RuleVMCPUReadyPct:
		return inventory.MetricPerfCPUReadyPct, true
	case inventory.RuleVMMemUsagePct, inventory.RuleHostMemUsagePct:
		return inventory.MetricMemUsagePct, true
	}
	return "", false
}

// MetricWindowOf is the window a metric rule averages over: its Duration,
// or DefaultMetricWindow.
func MetricWindowOf(r *inventory.AlertRule) time.Duration {
	if r.Duration > 0 {
		return r.Duration
	}
	return DefaultMetricWindow
}

// EntityOf returns the entity type alerts of a rule kind are about
// (empty for an unknown kind).
func EntityOf(k inventory.AlertRuleKind) inventory.EntityType { return entityOf(k) }

// ValidateRule checks a rule: its ID, kind, severity, scope, the
// thresholds and durations its kind reads (and no others), and its
// channel names. The error joins one *inventory.FieldError per problem,
// named by the rule's JSON field ("threshold", "scope.name", ...).
func ValidateRule(r *inventory.AlertRule) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &inventory.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
	}
	if !ValidName(r.ID) {
		bad("id", "must be 1–100 characters of a-z, 0-9, '_', '.', '-'")
	}
	if !utf8.ValidString(r.Name) || strings.ContainsRune(r.Name, 0) || utf8.RuneCountInString(r.Name) > 200 {
		bad("name", "must be valid text of at most 200 characters")
	}
	ent := entityOf(r.Kind)
	if ent == "" {
		kinds := make([]string, 0, len(inventory.AlertRuleKinds()))
		for _, k := range inventory.AlertRuleKinds() {
			kinds = append(kinds, string(k))
		}
		bad("kind", "%q is not one of %s", r.Kind, strings.Join(kinds, ", "))
	}
	if !slices.Contains(inventory.AlertSeverities(), r.Severity) {
		bad("severity", "%q is not one of info, warning, critical", r.Severity)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(r.Threshold) {
		bad("threshold", "must be a finite number")
	}
	if !finite(r.Clear) {
		bad("clear", "must be a finite number")
	}
	if r.For < 0 {
		bad("for", "must not be negative")
	}
	if r.Duration < 0 {
		bad("duration", "must not be negative")
	}
	noThreshold := func() {
		if r.Threshold != 0 {
			bad("threshold", "is not read by kind %s", r.Kind)
		}
		if r.Clear != 0 {
			bad("clear", "is not read by kind %s", r.Kind)
		}
	}
	noDuration := func() {
		if r.Duration != 0 {
			bad("duration", "is not read by kind %s", r.Kind)
		}
	}
	switch r.Kind {
	case inventory.RuleHostDisconnected, inventory.RuleVMPoweredOff:
		noThreshold()
		noDuration()
	case inventory.RuleHostMaintenance, inventory.RuleDataStale:
		noThreshold()
		if r.Duration <= 0 {
			bad("duration", "is required for kind %s (how long before it alerts, e.g. 4h)", r.Kind)
		}
	case inventory.RuleDatastoreUsedPct:
		noDuration()
		if r.Threshold <= 0 || r.Threshold > 100 {
			bad("threshold", "must be a percentage above 0 and at most 100 (raise at), got %v", r.Threshold)
		} else if r.Clear < 0 || r.Clear > r.Threshold {
			bad("clear", "must be between 0 and the threshold %v (clear below; 0 means the threshold), got %v", r.Threshold, r.Clear)
		}
	case inventory.RuleDatastoreFreeGB:
		noDuration()
		if r.Threshold <= 0 {
			bad("threshold", "must be a free size in GB above 0 (raise below), got %v", r.Threshold)
		} else if r.Clear != 0 && r.Clear < r.Threshold {
			bad("clear", "must be at least the threshold %v GB (clear above; 0 means the threshold), got %v", r.Threshold, r.Clear)
		}
	case inventory.RuleVMSnapshotAge, inventory.RuleVMSnapshotSize:
		noDuration()
		if r.Clear != 0 {
			bad("clear", "is not read by kind %s", r.Kind)
		}
		if r.Threshold <= 0 {
			unit := "days"
			if r.Kind == inventory.RuleVMSnapshotSize {
				unit = "GB"
			}
			bad("threshold", "must be above 0 (%s), got %v", unit, r.Threshold)
		}
	case inventory.RuleVMCPUUsagePct, inventory.RuleVMCPUReadyPct, inventory.RuleVMMemUsagePct,
		inventory.RuleHostCPUUsagePct, inventory.RuleHostMemUsagePct:
		if r.Duration != 0 && (r.Duration < MinMetricWindow || r.Duration > MaxMetricWindow || r.Duration%time.Second != 0) {
			bad("duration", "is the window the metric is averaged over: whole seconds from %s to %s (0 means %s), got %s",
				MinMetricWindow, MaxMetricWindow, DefaultMetricWindow, r.Duration)
		}
		if r.Threshold <= 0 || r.Threshold > 100 {
			bad("threshold", "must be a percentage above 0 and at most 100 (raise at), got %v", r.Threshold)
		} else if r.Clear < 0 || r.Clear > r.Threshold {
			bad("clear", "must be between 0 and the threshold %v (clear below; 0 means the threshold), got %v", r.Threshold, r.Clear)
		}
	case inventory.RuleCaptureFailing:
		noDuration()
		if r.Clear != 0 {
			bad("clear", "is not read by kind %s", r.Kind)
		}
		if r.Threshold < 1 || r.Threshold != math.Trunc(r.Threshold) {
			bad("threshold", "must be a whole number of failed captures, at least 1, got %v", r.Threshold)
		}
	}
	s := r.Scope
	for i, v := range s.Vcenters {
		if v == "" || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			bad(fmt.Sprintf("scope.vcenters[%d]", i), "must be an endpoint name")
		}
	}
	for _, l := range []struct {
		field string
		names []string
	}{{"scope.datacenters", s.Datacenters}, {"scope.clusters", s.Clusters}} {
		if len(l.names) > 0 && ent == inventory.EntityEndpoint {
			bad(l.field, "does not apply to kind %s (an endpoint rule)", r.Kind)
		}
		for i, v := range l.names {
			if v == "" || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				bad(fmt.Sprintf("%s[%d]", l.field, i), "must be a name")
			}
		}
	}
	if s.Attribute != "" {
		if ent != inventory.EntityVM && ent != "" {
			bad("scope.attribute", "applies only to VM rules, not kind %s", r.Kind)
		} else if strings.HasPrefix(s.Attribute, "=") {
			bad("scope.attribute", "%q has no key (want key=value or key)", s.Attribute)
		}
	}
	if s.Name != "" {
		if _, err := regexp.Compile(s.Name); err != nil {
			bad("scope.name", "is not a valid regular expression: %v", err)
		}
	}
	for i, c := range r.Channels {
		if !ValidName(c) {
			bad(fmt.Sprintf("channels[%d]", i), "%q is not a channel name", c)
		}
	}
	if r.Origin != "" && r.Origin != inventory.RuleFromConfig && r.Origin != inventory.RuleFromAPI {
		bad("origin", "must be %q or %q", inventory.RuleFromConfig, inventory.RuleFromAPI)
	}
	return errors.Join(errs...)
}
