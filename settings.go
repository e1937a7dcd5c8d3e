package vinventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
)

// RetrySettings are the attempts and exponential backoff of a retried
// operation.
type RetrySettings struct {
	// Attempts is the number of tries, the first one included. Must be at
	// least 1.
	Attempts int `yaml:"attempts" json:"attempts"`
	// Backoff is the wait before the second try; it doubles before each
	// later try. Must be positive.
	Backoff time.Duration `yaml:"backoff" json:"backoff"`
	// MaxBackoff caps the wait. Must not be below Backoff.
	MaxBackoff time.Duration `yaml:"max_backoff" json:"max_backoff"`
}

// RetentionSettings say how long stored data and reports are kept. Zero
// keeps everything (the default). Ages are measured from the clock's "now"
// to the time of the data: a sample's snapshot time, a compatibility
// table's period (see store.CompatTable.Period), a report's snapshot time
// or period start.
type RetentionSettings struct {
	// HourlyRows is how long vm_hourly_stats samples are kept. When set it
	// must be at least 48 hours (32 days with
	// monthly_aggregation_granularity = hourly), so that samples outlive
	// the aggregation that reads them. Rollups, totals and the snapshot
	// registry are kept.
	HourlyRows time.Duration `yaml:"hourly_rows" json:"hourly_rows"`
	// CompatTables is how long inventory_hourly_*, inventory_daily_summary_*
	// and inventory_monthly_summary_* tables are kept.
	CompatTables time.Duration `yaml:"compat_tables" json:"compat_tables"`
	// Reports is how long report files are kept.
	Reports time.Duration `yaml:"reports" json:"reports"`
}

// Settings configure a Pipeline. Their YAML names are part of the
// contract (ARCHITECTURE "Settings"). Start from DefaultSettings (or decode
// YAML over it with ParseSettings): the zero value is not valid.
type Settings struct {
	// CaptureWriteBatchSize is rows per batched write during capture.
	// Defaults to 1000.
	CaptureWriteBatchSize int `yaml:"capture_write_batch_size" json:"capture_write_batch_size"`
	// SnapshotTableCompatMode also writes the inventory_hourly_* and summary
	// compatibility tables (on backends that support them). Defaults to
	// true.
	SnapshotTableCompatMode bool `yaml:"snapshot_table_compat_mode" json:"snapshot_table_compat_mode"`
	// AsyncReportGeneration defers XLSX generation off the hot path: the
	// Run* jobs write no reports and RunReports produces them later. When
	// false, RunHourly, RunDaily and RunMonthly write their period's reports
	// inline. Defaults to true.
	AsyncReportGeneration bool `yaml:"async_report_generation" json:"async_report_generation"`
	// HourlySnapshotConcurrency is the number of endpoints captured at
	// once. Defaults to 4.
	HourlySnapshotConcurrency int `yaml:"hourly_snapshot_concurrency" json:"hourly_snapshot_concurrency"`
	// MonthlyAggregationGranularity is the source of monthly aggregation:
	// inventory.Daily ("daily", the default: vm_daily_rollup, the scheduled
	// path) or inventory.Hourly ("hourly": every hourly sample of the month;
	// for a manual rebuild or validation).
	MonthlyAggregationGranularity inventory.Granularity `yaml:"monthly_aggregation_granularity" json:"monthly_aggregation_granularity"`
	// CaptureRetry retries each endpoint's capture and reconcile. Defaults
	// to 3 attempts, 2 s backoff, 1 min max backoff.
	CaptureRetry RetrySettings `yaml:"capture_retry" json:"capture_retry"`
	// DeletionGuardFraction: a snapshot lacking more than this fraction of
	// the previous snapshot's VMs infers no deletion (SEMANTICS §3). In
	// (0, 1]. Defaults to lifecycle.DefaultGuardFraction (0.5).
	DeletionGuardFraction float64 `yaml:"deletion_guard_fraction" json:"deletion_guard_fraction"`
	// DeletionGuardMinVMs: the guard applies only when the previous
	// snapshot had at least this many VMs. At least 1. Defaults to
	// lifecycle.DefaultGuardMinVMs (10).
	DeletionGuardMinVMs int `yaml:"deletion_guard_min_vms" json:"deletion_guard_min_vms"`
	// FirstEventLookback is how far before a vCenter's first snapshot its
	// VM creation events are read (SEMANTICS §3). Positive. Defaults to
	// lifecycle.DefaultFirstEventLookback (7 days).
	FirstEventLookback time.Duration `yaml:"first_event_lookback" json:"first_event_lookback"`
	// PoolTiers maps resource pool names (compared case-insensitively) to
	// tiers (Tin, Bronze, Silver, Gold). Defaults to each tier's own name.
	PoolTiers map[string]inventory.Tier `yaml:"pool_tiers" json:"pool_tiers"`
	// Location is the IANA time zone that cuts days and months, such as
	// "Europe/Paris". Defaults to "UTC".
	Location string `yaml:"location" json:"location"`
	// Retention of samples, compatibility tables and reports. Defaults to
	// keeping everything.
	Retention RetentionSettings `yaml:"retention" json:"retention"`
	// ReportDir is the directory XLSX reports are written to. Empty turns
	// reports off. Defaults to empty.
	ReportDir string `yaml:"report_dir" json:"report_dir"`
	// ReportCatalog keeps every report in the store's report catalog
	// (store.ReportCatalog), where any node can list and serve it; the
	// store must implement that interface. With ReportDir also set, each
	// report is mirrored there as a file. Defaults to false.
	ReportCatalog bool `yaml:"report_catalog" json:"report_catalog"`
	// ReportRetry retries each report. Defaults to 3 attempts, 1 s
	// backoff, 30 s max backoff.
	ReportRetry RetrySettings `yaml:"report_retry" json:"report_retry"`
}

// DefaultSettings returns the documented defaults.
func DefaultSettings() Settings {
	return Settings{
		CaptureWriteBatchSize:         1000,
		SnapshotTableCompatMode:       true,
		AsyncReportGeneration:         true,
		HourlySnapshotConcurrency:     4,
		MonthlyAggregationGranularity: inventory.Daily,
		CaptureRetry:                  RetrySettings{Attempts: 3, Backoff: 2 * time.Second, MaxBackoff: time.Minute},
		DeletionGuardFraction:         lifecycle.DefaultGuardFraction,
		DeletionGuardMinVMs:           lifecycle.DefaultGuardMinVMs,
		FirstEventLookback:            lifecycle.DefaultFirstEventLookback,
		PoolTiers: map[string]inventory.Tier{
			"Tin": inventory.TierTin, "Bronze": inventory.TierBronze,
			"Silver": inventory.TierSilver, "Gold": inventory.TierGold,
		},
		Location:    "UTC",
		ReportRetry: RetrySettings{Attempts: 3, Backoff: time.Second, MaxBackoff: 30 * time.Second},
	}
}

// SettingError is one invalid setting. Setting is its YAML name (dotted for
// nested settings, such as "capture_retry.attempts").
type SettingError struct {
	Setting string
	Reason  string
}

func (e *SettingError) Error() string { return "setting " + e.Setting + ": " + e.Reason }

// Validate checks every setting and returns every problem joined, each a
// *SettingError naming the setting.
func (s *Settings) Validate() error {
	var errs []error
	bad := func(setting, format string, a ...any) {
		errs = append(errs, &SettingError{Setting: setting, Reason: fmt.Sprintf(format, a...)})
	}
	if s.CaptureWriteBatchSize < 1 {
		bad("capture_write_batch_size", "must be at least 1, got %d", s.CaptureWriteBatchSize)
	}
	if s.HourlySnapshotConcurrency < 1 {
		bad("hourly_snapshot_concurrency", "must be at least 1, got %d", s.HourlySnapshotConcurrency)
	}
	switch s.MonthlyAggregationGranularity {
	case inventory.Daily, inventory.Hourly:
	default:
		bad("monthly_aggregation_granularity", "must be %q or %q, got %q", inventory.Daily, inventory.Hourly, string(s.MonthlyAggregationGranularity))
	}
	s.CaptureRetry.validate("capture_retry", bad)
	s.ReportRetry.validate("report_retry", bad)
	if !(s.DeletionGuardFraction > 0 && s.DeletionGuardFraction <= 1) { // also rejects NaN
		bad("deletion_guard_fraction", "must be in (0, 1], got %v", s.DeletionGuardFraction)
	}
	if s.DeletionGuardMinVMs < 1 {
		bad("deletion_guard_min_vms", "must be at least 1, got %d", s.DeletionGuardMinVMs)
	}
	if s.FirstEventLookback <= 0 {
		bad("first_event_lookback", "must be positive, got %v", s.FirstEventLookback)
	}
	if len(s.PoolTiers) == 0 {
		bad("pool_tiers", "must map at least one pool to a tier")
	} else if _, err := inventory.NewTierMap(s.PoolTiers); err != nil {
		var fe *inventory.FieldError
		if errors.As(err, &fe) {
			bad("pool_tiers", "%s", fe.Reason)
		} else {
			bad("pool_tiers", "%v", err)
		}
	}
	if _, err := s.TimeLocation(); err != nil {
		bad("location", "unknown time zone %q", s.Location)
	}
	r := s.Retention
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"retention.hourly_rows", r.HourlyRows}, {"retention.compat_tables", r.CompatTables}, {"retention.reports", r.Reports}} {
		if d.v < 0 {
			bad(d.name, "must not be negative (0 keeps everything), got %v", d.v)
		}
	}
	if r.HourlyRows > 0 {
		min := 48 * time.Hour
		if s.MonthlyAggregationGranularity == inventory.Hourly {
			min = 32 * 24 * time.Hour
		}
		if r.HourlyRows < min {
			bad("retention.hourly_rows", "must be 0 (keep all) or at least %v so samples outlive their aggregation, got %v", min, r.HourlyRows)
		}
	}
	if strings.ContainsRune(s.ReportDir, 0) {
		bad("report_dir", "must not contain NUL")
	}
	return errors.Join(errs...)
}

func (r RetrySettings) validate(name string, bad func(string, string, ...any)) {
	if r.Attempts < 1 {
		bad(name+".attempts", "must be at least 1, got %d", r.Attempts)
	}
	if r.Backoff <= 0 {
		bad(name+".backoff", "must be positive, got %v", r.Backoff)
	}
	if r.MaxBackoff < r.Backoff {
		bad(name+".max_backoff", "must not be below backoff (%v), got %v", r.Backoff, r.MaxBackoff)
	}
}

// TimeLocation loads Location ("" and "UTC" are UTC, "Local" is refused:
// a server's local zone is not a reproducible setting).
func (s *Settings) TimeLocation() (*time.Location, error) {
	switch s.Location {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		return nil, &SettingError{Setting: "location", Reason: `"Local" is not allowed; name the zone`}
	}
	l, err := time.LoadLocation(s.Location)
	if err != nil {
		return nil, &SettingError{Setting: "location", Reason: fmt.Sprintf("unknown time zone %q", s.Location)}
	}
	return l, nil
}

// TierMap returns PoolTiers as an inventory.TierMap.
func (s *Settings) TierMap() (inventory.TierMap, error) {
	tm, err := inventory.NewTierMap(s.PoolTiers)
	if err != nil {
		return inventory.TierMap{}, fmt.Errorf("setting pool_tiers: %w", err)
	}
	return tm, nil
}

// ParseSettings decodes YAML settings over DefaultSettings (absent settings
// keep their default), rejects unknown setting names, and validates the
// result. Durations are written as Go durations ("90s", "720h").
func ParseSettings(r io.Reader) (Settings, error) {
	s := DefaultSettings()
	data, err := io.ReadAll(r)
	if err != nil {
		return s, fmt.Errorf("read settings: %w", err)
	}
	if len(bytes.TrimSpace(data)) > 0 {
		// A pool_tiers given in the document replaces the default mapping
		// instead of being merged into it.
		defTiers := s.PoolTiers
		s.PoolTiers = nil
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil {
			return DefaultSettings(), fmt.Errorf("parse settings: %w", err)
		}
		if s.PoolTiers == nil {
			s.PoolTiers = defTiers
		}
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	return s, nil
}
