package inventory

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Metric names one measured quantity of an entity; the suffix is its
// unit. Percentages are 0–100 in metric series (unlike the fractions of
// rollups and reports).
type Metric string

// Metrics read from summary.quickStats and the datastores' summary at
// each collection, stamped with the collection time.
const (
	// MetricCPUUsageMHz is a VM's or host's overallCpuUsage; a cluster's
	// is the sum over its connected hosts.
	MetricCPUUsageMHz Metric = "cpu.usage.mhz"
	// MetricCPUCapacityMHz is a host's cores × core MHz (hardware); a
	// cluster's is the sum over its connected hosts. A VM has none.
	MetricCPUCapacityMHz Metric = "cpu.capacity.mhz"
	// MetricCPUUsagePct is 100 × usage / capacity. A VM's capacity is its
	// vCPU count × the core MHz of its host.
	MetricCPUUsagePct Metric = "cpu.usage.pct"
	// MetricMemUsageMB is a host's overallMemoryUsage (a cluster's sum)
	// and a VM's guestMemoryUsage (active guest memory).
	MetricMemUsageMB Metric = "mem.usage.mb"
	// MetricMemCapacityMB is a host's memory size in MB (a cluster's sum).
	MetricMemCapacityMB Metric = "mem.capacity.mb"
	// MetricMemUsagePct is 100 × usage / capacity; a VM's capacity is its
	// configured memory.
	MetricMemUsagePct Metric = "mem.usage.pct"
	// MetricMemHostMB is a VM's hostMemoryUsage (consumed host memory).
	MetricMemHostMB Metric = "mem.host.mb"
	// MetricMemBalloonedMB and MetricMemSwappedMB are a VM's ballooned
	// and swapped memory.
	MetricMemBalloonedMB Metric = "mem.ballooned.mb"
	MetricMemSwappedMB   Metric = "mem.swapped.mb"
	// MetricUptimeSeconds is a VM's or host's uptime.
	MetricUptimeSeconds Metric = "uptime.seconds"
	// Datastore space: capacity, free, used (capacity − free),
	// uncommitted, and used % (100 × used / capacity).
	MetricDiskCapacityGB    Metric = "disk.capacity.gb"
	MetricDiskFreeGB        Metric = "disk.free.gb"
	MetricDiskUsedGB        Metric = "disk.used.gb"
	MetricDiskUncommittedGB Metric = "disk.uncommitted.gb"
	MetricDiskUsedPct       Metric = "disk.used.pct"
)

// Metrics read from the endpoint's PerformanceManager (QueryPerf, the
// real-time 20 s interval), for hosts and VMs, where the endpoint serves
// them. One point per collection holds the mean of the samples taken
// since the previous collection, stamped with the newest sample's time.
const (
	// MetricPerfCPUUsagePct is cpu.usage.average (reported in 1/100 %).
	MetricPerfCPUUsagePct Metric = "perf.cpu.usage.pct"
	// MetricPerfCPUReadyPct is cpu.ready.summation (ms of ready time in
	// a sample) as 100 × ms / (sample seconds × 1000), divided by the
	// VM's vCPU count (a host's: its cores), as Aria shows CPU ready.
	MetricPerfCPUReadyPct Metric = "perf.cpu.ready.pct"
	// MetricPerfMemUsagePct is mem.usage.average (reported in 1/100 %).
	MetricPerfMemUsagePct Metric = "perf.mem.usage.pct"
	// MetricPerfDiskUsageKBps is disk.usage.average (KB/s).
	MetricPerfDiskUsageKBps Metric = "perf.disk.usage.kbps"
	// MetricPerfNetUsageKBps is net.usage.average (KB/s).
	MetricPerfNetUsageKBps Metric = "perf.net.usage.kbps"
	// MetricPerfDatastoreReadLatencyMs and ...WriteLatencyMs are
	// datastore.totalReadLatency.average and totalWriteLatency.average
	// (ms), the highest over the entity's datastore instances.
	MetricPerfDatastoreReadLatencyMs  Metric = "perf.datastore.read.latency.ms"
	MetricPerfDatastoreWriteLatencyMs Metric = "perf.datastore.write.latency.ms"
)

// KnownMetrics returns every metric the collector writes, in a stable
// order.
func KnownMetrics() []Metric {
	return []Metric{
		MetricCPUUsageMHz, MetricCPUCapacityMHz, MetricCPUUsagePct,
		MetricMemUsageMB, MetricMemCapacityMB, MetricMemUsagePct, MetricMemHostMB,
		MetricMemBalloonedMB, MetricMemSwappedMB, MetricUptimeSeconds,
		MetricDiskCapacityGB, MetricDiskFreeGB, MetricDiskUsedGB, MetricDiskUncommittedGB, MetricDiskUsedPct,
		MetricPerfCPUUsagePct, MetricPerfCPUReadyPct, MetricPerfMemUsagePct,
		MetricPerfDiskUsageKBps, MetricPerfNetUsageKBps,
		MetricPerfDatastoreReadLatencyMs, MetricPerfDatastoreWriteLatencyMs,
	}
}

// MetricNameMaxLen is the longest metric name a store accepts.
const MetricNameMaxLen = 64

// Validate checks a metric name: 1–64 bytes of ASCII letters, digits,
// '.', '_' and '-'. Names outside KnownMetrics are allowed (an embedder
// may write its own series).
func (m Metric) Validate() error {
	if m == "" || len(m) > MetricNameMaxLen {
		return fmt.Errorf("metric name %q: must be 1 to %d bytes", string(m), MetricNameMaxLen)
	}
	for _, r := range string(m) {
		ok := r == '.' || r == '_' || r == '-' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return fmt.Errorf("metric name %q: character %q not allowed (letters, digits, '.', '_', '-')", string(m), r)
		}
	}
	return nil
}

// MetricKey names one series: a metric of one entity of one endpoint.
type MetricKey struct {
	Vcenter    string     `json:"vcenter"`
	EntityType EntityType `json:"entity_type"`
	EntityID   string     `json:"entity_id"`
	Metric     Metric     `json:"metric"`
}

// Validate checks a key: every field set, valid UTF-8 without NUL bytes,
// a known entity type, a valid metric name.
func (k MetricKey) Validate() error {
	for _, f := range []struct{ name, v string }{{"vcenter", k.Vcenter}, {"entity_id", k.EntityID}} {
		if f.v == "" {
			return fmt.Errorf("metric key: %s is empty", f.name)
		}
		if !utf8.ValidString(f.v) || strings.IndexByte(f.v, 0) >= 0 {
			return fmt.Errorf("metric key: %s is not valid UTF-8 text", f.name)
		}
	}
	known := false
	for _, t := range EntityTypes() {
		known = known || t == k.EntityType
	}
	if !known {
		return fmt.Errorf("metric key: unknown entity type %q", string(k.EntityType))
	}
	return k.Metric.Validate()
}

// MetricPoint is one raw value of a series.
type MetricPoint struct {
	MetricKey
	// Time is when the value was measured, stored at second resolution
	// (UTC).
	Time  time.Time `json:"time"`
	Value float64   `json:"value"`
}

// MetricTier is a resolution the store keeps a series at.
type MetricTier string

// The tiers: raw points, and 1-hour and 1-day rollups of them (buckets
// aligned to UTC hours and days).
const (
	TierRaw  MetricTier = "raw"
	TierHour MetricTier = "hour"
	TierDay  MetricTier = "day"
)

// Duration returns the tier's bucket width (0 for raw).
func (t MetricTier) Duration() time.Duration {
	switch t {
	case TierHour:
		return time.Hour
	case TierDay:
		return 24 * time.Hour
	}
	return 0
}

// MetricBucket is one bucket of a downsampled series: the points with
// Start <= Time < Start+step.
type MetricBucket struct {
	Start time.Time `json:"start"`
	// Count is the number of raw points the bucket summarises.
	Count int64 `json:"count"`
	// Avg, Max, Min and P95 of the bucket's values. P95 is the nearest
	// rank 95th percentile: the value at rank ceil(0.95 × Count) of the
	// values sorted ascending (PostgreSQL's percentile_disc(0.95)).
	// Buckets served from a rollup tier combine that tier's buckets:
	// Avg weighted by Count, Max and Min exact, P95 the nearest-rank
	// 95th percentile of the tier buckets' P95 values (exact when the
	// step equals the tier's width).
	Avg float64 `json:"avg"`
	Max float64 `json:"max"`
	Min float64 `json:"min"`
	P95 float64 `json:"p95"`
}

// MetricSeries is one series' buckets over a queried range, oldest first;
// buckets without points are left out.
type MetricSeries struct {
	MetricKey
	// Tier is the resolution the buckets were computed from.
	Tier    MetricTier     `json:"tier"`
	Buckets []MetricBucket `json:"buckets"`
}
