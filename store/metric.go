package store

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// This file holds the optional interface utilisation metrics are kept
// through (package metrics, the daemon's metrics jobs, the API's
// /api/metrics): MetricStore. memstore, sqlitestore and pgstore implement
// it.

// MetricStore keeps utilisation time series (inventory.MetricKey): raw
// points, and 1-hour and 1-day rollups of them (inventory.TierHour,
// TierDay; buckets aligned to UTC hours and days), each tier pruned on
// its own retention. It is an optional interface (see Store).
type MetricStore interface {
	// WriteMetrics stores p.Points in one transaction, in batches of
	// BatchSize (COPY on PostgreSQL): all or nothing. Times are stored at
	// second resolution. A point whose key and time are already stored
	// replaces the stored value, so writing a collection again changes
	// nothing. A point with an invalid key (MetricKey.Validate), a zero
	// time or a NaN or infinite value is refused with an
	// *InvalidParamsError naming it (Field "Points[i].Value") before
	// anything is written.
	WriteMetrics(ctx context.Context, p *WriteMetricsParams) error

	// QueryMetrics downsamples the series of p.Metrics of the entities
	// p.EntityIDs into buckets of p.Step over [p.From, p.To): bucket i
	// holds the points with From + i×Step <= Time < From + (i+1)×Step
	// and starts at From + i×Step. Buckets are computed from the tier
	// p.Tier (see QueryMetricsParams.Tier); a rollup tier's buckets at or
	// after its watermark (see RollupMetrics) are computed from the raw
	// points, as RollupMetrics would, so the newest hours are never
	// missing. It returns one series per (entity, metric) that has at
	// least one bucket, ordered by (EntityID, Metric), or with
	// p.Combine = CombineSum one series per metric (EntityID empty).
	// Invalid params give an *InvalidParamsError.
	QueryMetrics(ctx context.Context, p *QueryMetricsParams) ([]inventory.MetricSeries, error)

	// RollupMetrics computes the buckets of p.Tier (TierHour or TierDay)
	// starting in [From, To) from the raw points and replaces the
	// rollups stored for those buckets, in one transaction: rerunning it
	// changes nothing. A bucket without raw points (never written, or
	// pruned) keeps the rollup it has. From and To are truncated to the
	// tier's width; a zero From starts at the tier's watermark, or at the
	// oldest raw point when the tier has none. The tier's watermark moves
	// to To when To is after it.
	RollupMetrics(ctx context.Context, p *RollupMetricsParams) (*RollupMetricsResult, error)

	// PruneMetrics deletes the raw points with Time before RawBefore, the
	// hourly rollups starting before HourBefore and the daily rollups
	// starting before DayBefore, in one transaction (a zero time leaves
	// its tier as it is), and series left with nothing in any tier.
	// PostgreSQL drops whole partitions that hold nothing newer.
	PruneMetrics(ctx context.Context, p *PruneMetricsParams) (*PruneMetricsResult, error)

	// MetricStats describes what the store holds in each tier.
	MetricStats(ctx context.Context, p *MetricStatsParams) (*MetricStats, error)

	// ListMetricKeys returns the series stored for the entities that
	// match p, ordered by (Vcenter, EntityType, EntityID, Metric).
	ListMetricKeys(ctx context.Context, p *ListMetricKeysParams) ([]inventory.MetricKey, error)
}

// WriteMetricsParams carry points to store.
type WriteMetricsParams struct {
	Points []inventory.MetricPoint
	// BatchSize is the number of points per statement. Defaults to 1000.
	BatchSize int
}

// Combine says how QueryMetrics combines the entities' series.
type Combine string

// Ways of combining series.
const (
	// CombineNone returns one series per entity and metric.
	CombineNone Combine = ""
	// CombineSum returns one series per metric whose bucket figures are
	// the sums of the entities' bucket figures (Count, Avg, Max, Min and
	// P95 each summed over the entities with a point in the bucket): a
	// cluster's total, with Max and P95 as if every entity peaked at
	// once (an upper bound).
	CombineSum Combine = "sum"
)

// Limits of QueryMetrics.
const (
	// MaxMetricEntities is the most entities one query names.
	MaxMetricEntities = 10000
	// MaxMetricBuckets is the most buckets one series may have
	// ((To − From) / Step, rounded up).
	MaxMetricBuckets = 10000
	// MinMetricStep is the smallest step.
	MinMetricStep = time.Minute
)

// QueryMetricsParams select series and how to downsample them.
type QueryMetricsParams struct {
	// Vcenter and EntityType are required; EntityIDs holds 1 to
	// MaxMetricEntities entity IDs and Metrics at least one metric.
	Vcenter    string
	EntityType inventory.EntityType
	EntityIDs  []string
	Metrics    []inventory.Metric
	// From and To bound the range [From, To); both are required and From
	// must be before To.
	From, To time.Time
	// Step is the bucket width, a whole number of seconds, at least
	// MinMetricStep, at most MaxMetricBuckets buckets over the range.
	Step time.Duration
	// Tier is the resolution buckets are computed from. Empty chooses
	// the coarsest tier that fits: TierDay when Step is a whole number of
	// days and From is a UTC midnight, else TierHour when Step is a whole
	// number of hours and From is on a UTC hour, else TierRaw. A rollup
	// tier that does not fit Step and From is refused.
	Tier    inventory.MetricTier
	Combine Combine
}

// RollupMetricsParams name the tier and range to roll up.
type RollupMetricsParams struct {
	// Tier is TierHour or TierDay.
	Tier inventory.MetricTier
	// From (optional, see RollupMetrics) and To (required) bound the
	// buckets' starts.
	From, To time.Time
}

// RollupMetricsResult says what a rollup wrote.
type RollupMetricsResult struct {
	// From and To are the range rolled up (after truncation and the
	// watermark default).
	From, To time.Time
	// Buckets is the number of rollup rows written (series × buckets).
	Buckets int64
	// Watermark is the tier's watermark afterwards.
	Watermark time.Time
}

// PruneMetricsParams give each tier's cutoff.
type PruneMetricsParams struct {
	RawBefore, HourBefore, DayBefore time.Time
}

// PruneMetricsResult counts what was deleted.
type PruneMetricsResult struct {
	Raw, Hour, Day int64
	// Series is the number of series deleted because nothing of them was
	// left.
	Series int64
}

// MetricStatsParams select what MetricStats describes (every series
// when empty).
type MetricStatsParams struct {
	Vcenter string
	// WatermarksOnly returns just each tier's Tier and Watermark (Series,
	// Rows, Oldest, Newest and Bytes left zero), read without scanning
	// any series or points: what retention needs on any size of store.
	WatermarksOnly bool
}

// MetricStats describe the store's series.
type MetricStats struct {
	Series int64
	Tiers  []MetricTierStats
}

// MetricTierStats describe one tier.
type MetricTierStats struct {
	Tier inventory.MetricTier
	// Rows is the number of raw points, or of rollup buckets.
	Rows int64
	// Oldest and Newest are the oldest and newest point time or bucket
	// start (zero when the tier is empty).
	Oldest, Newest time.Time
	// Watermark is a rollup tier's watermark (zero for raw or when never
	// rolled up).
	Watermark time.Time
	// Bytes is the storage the tier takes (tables and indexes), when the
	// backend can tell (0 otherwise; memstore reports 0).
	Bytes int64
}

// ListMetricKeysParams filter series: Vcenter is required; EntityType
// and EntityID narrow it when set.
type ListMetricKeysParams struct {
	Vcenter    string
	EntityType inventory.EntityType
	EntityID   string
}
