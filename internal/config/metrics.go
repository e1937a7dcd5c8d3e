package config

import (
	"fmt"
	"time"

	"github.com/accessvault/vinventory/metrics"
)

// MetricsConfig configures utilisation metrics (package metrics,
// docs/metrics.md): a collection per endpoint on its own schedule, the
// rollup tiers brought up to date after each collection, and each tier's
// retention applied by the cleanup job.
type MetricsConfig struct {
	// Enabled runs the collections. Defaults to true.
	Enabled bool `yaml:"enabled"`
	// Interval between two collections of an endpoint (an endpoint's
	// metrics_interval overrides it). Defaults to 5m; 1m to 1h.
	Interval time.Duration `yaml:"interval"`
	// Perf reads the PerformanceManager counters (CPU ready, disk and
	// network rates, datastore latency) where the endpoint serves them,
	// besides quickStats and datastore space. Defaults to true.
	Perf bool `yaml:"perf"`
	// PerfBatchSize is the number of entities per QueryPerf call.
	// Defaults to 100; 1 to 1000.
	PerfBatchSize int `yaml:"perf_batch_size"`
	// RawRetention, HourRetention and DayRetention are how long raw
	// points, 1-hour and 1-day rollups are kept (metrics.Retention).
	// Default to 7d, 90d and 730d; raw at least 48h, each at least the
	// one before.
	RawRetention  time.Duration `yaml:"raw_retention"`
	HourRetention time.Duration `yaml:"hour_retention"`
	DayRetention  time.Duration `yaml:"day_retention"`
}

func defaultMetrics() MetricsConfig {
	return MetricsConfig{Enabled: true, Interval: 5 * time.Minute, Perf: true, PerfBatchSize: 100,
		RawRetention: metrics.DefaultRawRetention, HourRetention: metrics.DefaultHourRetention, DayRetention: metrics.DefaultDayRetention}
}

// Retention returns the section's retention for package metrics.
func (m MetricsConfig) Retention() metrics.Retention {
	return metrics.Retention{Raw: m.RawRetention, Hour: m.HourRetention, Day: m.DayRetention}
}

// MetricsInterval returns the collection interval of the endpoint named
// name: its metrics_interval, else metrics.interval.
func (c *Config) MetricsInterval(name string) time.Duration {
	for _, ep := range c.Endpoints {
		if ep.Name == name && ep.MetricsInterval > 0 {
			return ep.MetricsInterval
		}
	}
	return c.Metrics.Interval
}

// validateMetrics checks the metrics section and the endpoints'
// metrics_interval; add reports one problem.
func (c *Config) validateMetrics(add func(path, format string, args ...any)) {
	m := c.Metrics
	if m.Interval < time.Minute || m.Interval > time.Hour {
		add("metrics.interval", "must be between 1m and 1h, got %s", m.Interval)
	}
	for i, ep := range c.Endpoints {
		if ep.MetricsInterval != 0 && (ep.MetricsInterval < time.Minute || ep.MetricsInterval > time.Hour) {
			add(fmt.Sprintf("endpoints[%d].metrics_interval", i), "must be between 1m and 1h, got %s", ep.MetricsInterval)
		}
	}
	if m.PerfBatchSize < 1 || m.PerfBatchSize > 1000 {
		add("metrics.perf_batch_size", "must be between 1 and 1000, got %d", m.PerfBatchSize)
	}
	if m.RawRetention < 48*time.Hour {
		add("metrics.raw_retention", "must be at least 48h (a day is rolled up from its raw points), got %s", m.RawRetention)
	}
	if m.HourRetention < m.RawRetention {
		add("metrics.hour_retention", "must be at least metrics.raw_retention (%s), got %s", m.RawRetention, m.HourRetention)
	}
	if m.DayRetention < m.HourRetention {
		add("metrics.day_retention", "must be at least metrics.hour_retention (%s), got %s", m.HourRetention, m.DayRetention)
	}
}
