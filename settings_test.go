package vinventory_test

import (
	"errors"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/memstore"
)

func TestDefaultSettings(t *testing.T) {
	s := vinventory.DefaultSettings()
	if err := s.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	// The documented defaults (ARCHITECTURE "Settings").
	if s.CaptureWriteBatchSize != 1000 || !s.SnapshotTableCompatMode || !s.AsyncReportGeneration ||
		s.HourlySnapshotConcurrency != 4 || s.MonthlyAggregationGranularity != inventory.Daily ||
		s.CaptureRetry.Attempts != 3 || s.DeletionGuardFraction != 0.5 || s.DeletionGuardMinVMs != 10 ||
		s.Location != "UTC" || s.Retention != (vinventory.RetentionSettings{}) {
		t.Fatalf("defaults differ from the contract: %+v", s)
	}
	tm, err := s.TierMap()
	if err != nil {
		t.Fatal(err)
	}
	for _, tier := range inventory.Tiers() {
		if tm.Of("DC0_C0/Resources/"+strings.ToUpper(string(tier))) != tier {
			t.Errorf("default pool_tiers do not map %s", tier)
		}
	}
	// Defaults are fresh copies.
	s.PoolTiers["Tin"] = inventory.TierGold
	if vinventory.DefaultSettings().PoolTiers["Tin"] != inventory.TierTin {
		t.Fatal("DefaultSettings shares its pool_tiers map")
	}
}

// TestSettingNames checks that the YAML names are exactly the contract's.
func TestSettingNames(t *testing.T) {
	out, err := yaml.Marshal(vinventory.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k, v := range doc {
		keys = append(keys, k)
		if sub, ok := v.(map[string]any); ok && k != "pool_tiers" {
			for sk := range sub {
				keys = append(keys, k+"."+sk)
			}
		}
	}
	sort.Strings(keys)
	want := []string{
		"async_report_generation", "capture_retry", "capture_retry.attempts", "capture_retry.backoff", "capture_retry.max_backoff",
		"capture_write_batch_size", "deletion_guard_fraction", "deletion_guard_min_vms", "first_event_lookback", "hourly_snapshot_concurrency",
		"location", "monthly_aggregation_granularity", "pool_tiers", "report_catalog", "report_dir", "report_retry", "report_retry.attempts",
		"report_retry.backoff", "report_retry.max_backoff", "retention", "retention.compat_tables", "retention.hourly_rows",
		"retention.reports", "snapshot_table_compat_mode",
	}
	if !slices.Equal(keys, want) {
		t.Fatalf("setting names:\n%s", cmp.Diff(want, keys))
	}
	// And they round-trip.
	back, err := vinventory.ParseSettings(strings.NewReader(string(out)))
	if err != nil {
		t.Fatalf("ParseSettings of marshalled defaults: %v\n%s", err, out)
	}
	if d := cmp.Diff(vinventory.DefaultSettings(), back); d != "" {
		t.Fatalf("round trip:\n%s", d)
	}
}

func TestParseSettings(t *testing.T) {
	s, err := vinventory.ParseSettings(strings.NewReader(`
async_report_generation: false
hourly_snapshot_concurrency: 8
location: Europe/Paris
pool_tiers: {Prod: Gold, Dev: Tin}
capture_retry: {attempts: 5}
retention: {hourly_rows: 2160h, reports: 720h}
report_dir: /var/lib/vinventory/reports
`))
	if err != nil {
		t.Fatal(err)
	}
	want := vinventory.DefaultSettings()
	want.AsyncReportGeneration = false
	want.HourlySnapshotConcurrency = 8
	want.Location = "Europe/Paris"
	want.PoolTiers = map[string]inventory.Tier{"Prod": inventory.TierGold, "Dev": inventory.TierTin} // replaced, not merged
	want.CaptureRetry.Attempts = 5                                                                   // other fields keep defaults
	want.Retention = vinventory.RetentionSettings{HourlyRows: 90 * 24 * time.Hour, Reports: 30 * 24 * time.Hour}
	want.ReportDir = "/var/lib/vinventory/reports"
	if d := cmp.Diff(want, s); d != "" {
		t.Fatalf("parsed settings (-want +got):\n%s", d)
	}
	if s, err := vinventory.ParseSettings(strings.NewReader("")); err != nil || !cmp.Equal(s, vinventory.DefaultSettings()) {
		t.Fatalf("empty document: %+v, %v; want defaults", s, err)
	}

	for _, c := range []struct{ doc, want string }{
		{"capture_batch_size: 10\n", "capture_batch_size"}, // unknown (misspelt) setting
		{"capture_retry: {backoff: 5}\n", "line 1"},        // a bare number is not a duration
		{"hourly_snapshot_concurrency: 0\n", "hourly_snapshot_concurrency"},
		{"location: Mars/Olympus\n", "location"},
	} {
		_, err := vinventory.ParseSettings(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSettings(%q) = %v, want an error naming %s", c.doc, err, c.want)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	for _, c := range []struct {
		setting string
		mutate  func(*vinventory.Settings)
	}{
		{"capture_write_batch_size", func(s *vinventory.Settings) { s.CaptureWriteBatchSize = 0 }},
		{"hourly_snapshot_concurrency", func(s *vinventory.Settings) { s.HourlySnapshotConcurrency = -1 }},
		{"monthly_aggregation_granularity", func(s *vinventory.Settings) { s.MonthlyAggregationGranularity = "weekly" }},
		{"capture_retry.attempts", func(s *vinventory.Settings) { s.CaptureRetry.Attempts = 0 }},
		{"capture_retry.backoff", func(s *vinventory.Settings) { s.CaptureRetry.Backoff = 0 }},
		{"capture_retry.max_backoff", func(s *vinventory.Settings) { s.CaptureRetry.MaxBackoff = time.Second }},
		{"report_retry.attempts", func(s *vinventory.Settings) { s.ReportRetry.Attempts = -3 }},
		{"deletion_guard_fraction", func(s *vinventory.Settings) { s.DeletionGuardFraction = 1.5 }},
		{"deletion_guard_fraction", func(s *vinventory.Settings) { s.DeletionGuardFraction = math.NaN() }},
		{"deletion_guard_min_vms", func(s *vinventory.Settings) { s.DeletionGuardMinVMs = 0 }},
		{"pool_tiers", func(s *vinventory.Settings) { s.PoolTiers = nil }},
		{"pool_tiers", func(s *vinventory.Settings) { s.PoolTiers = map[string]inventory.Tier{"Prod": "Platinum"} }},
		{"pool_tiers", func(s *vinventory.Settings) { s.PoolTiers = map[string]inventory.Tier{"gold": "Gold", "GOLD": "Tin"} }},
		{"location", func(s *vinventory.Settings) { s.Location = "Nowhere/Special" }},
		{"location", func(s *vinventory.Settings) { s.Location = "Local" }},
		{"retention.hourly_rows", func(s *vinventory.Settings) { s.Retention.HourlyRows = -time.Hour }},
		{"retention.hourly_rows", func(s *vinventory.Settings) { s.Retention.HourlyRows = 24 * time.Hour }},
		{"retention.hourly_rows", func(s *vinventory.Settings) {
			s.MonthlyAggregationGranularity = inventory.Hourly
			s.Retention.HourlyRows = 10 * 24 * time.Hour
		}},
		{"retention.compat_tables", func(s *vinventory.Settings) { s.Retention.CompatTables = -1 }},
		{"retention.reports", func(s *vinventory.Settings) { s.Retention.Reports = -1 }},
		{"report_dir", func(s *vinventory.Settings) { s.ReportDir = "a\x00b" }},
	} {
		s := vinventory.DefaultSettings()
		c.mutate(&s)
		err := s.Validate()
		var se *vinventory.SettingError
		if !errors.As(err, &se) || se.Setting != c.setting || !strings.Contains(err.Error(), c.setting) {
			t.Errorf("%s: Validate() = %v, want a *SettingError naming it", c.setting, err)
		}
		if _, perr := vinventory.NewPipeline(memstore.New(memstore.Options{}), s, nil); !errors.As(perr, &se) {
			t.Errorf("%s: NewPipeline accepted invalid settings: %v", c.setting, perr)
		}
	}

	// Every problem is reported, not only the first.
	s := vinventory.DefaultSettings()
	s.CaptureWriteBatchSize, s.DeletionGuardMinVMs, s.Location = 0, 0, "bogus"
	err := s.Validate()
	for _, name := range []string{"capture_write_batch_size", "deletion_guard_min_vms", "location"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("joined error %v does not name %s", err, name)
		}
	}
	if _, err := vinventory.NewPipeline(nil, vinventory.DefaultSettings(), nil); err == nil {
		t.Error("NewPipeline accepted a nil store")
	}
}
