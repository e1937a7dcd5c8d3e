package driver

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// This file is the backend authors' kit for store.MetricStore: the
// validation of every method's params (each violation an
// *InvalidParamsError naming the field), the stored form of metric times
// (MetricPrecision), the tier choice and bucket arithmetic of
// QueryMetrics, the range of RollupMetrics, and the one computation of
// bucket figures (SummariseValues, CombineBuckets, SumBuckets) so every
// backend returns identical floats.

// MetricPrecision is the time resolution of metric points.
const MetricPrecision = time.Second

// NormMetricTime returns t in UTC truncated to MetricPrecision; zero stays
// zero.
func NormMetricTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(MetricPrecision)
}

// ceilMetricTime returns t in UTC rounded up to MetricPrecision.
func ceilMetricTime(t time.Time) time.Time {
	n := NormMetricTime(t)
	if n.Before(t) {
		n = n.Add(MetricPrecision)
	}
	return n
}

// metricKeyError returns an *InvalidParamsError naming the field of k
// (prefix + ".Vcenter", ".EntityType", ".EntityID" or ".Metric") that
// MetricKey.Validate refuses, or nil.
func metricKeyError(op, prefix string, k inventory.MetricKey) error {
	err := k.Validate()
	if err == nil {
		return nil
	}
	field := "Metric"
	switch {
	case k.Vcenter == "" || badString(k.Vcenter) != "":
		field = "Vcenter"
	case k.EntityID == "" || badString(k.EntityID) != "":
		field = "EntityID"
	case !slices.Contains(inventory.EntityTypes(), k.EntityType):
		field = "EntityType"
	}
	return Invalid(op, prefix+"."+field, err.Error())
}

// PrepareWriteMetrics checks WriteMetricsParams (every point: a valid
// key, a non-zero time, a finite value; nil params are refused, no
// points is a no-op) and returns copies of the points with their times at
// MetricPrecision in UTC, in the order given. A field is named
// "Points[i].Vcenter" (or .EntityType, .EntityID, .Metric, .Time,
// .Value).
func PrepareWriteMetrics(p *store.WriteMetricsParams) ([]inventory.MetricPoint, error) {
	const op = "WriteMetrics"
	if p == nil {
		return nil, Invalid(op, "params", "must not be nil")
	}
	if p.BatchSize < 0 {
		return nil, Invalid(op, "BatchSize", "must not be negative")
	}
	out := make([]inventory.MetricPoint, len(p.Points))
	for i, pt := range p.Points {
		prefix := indexed("Points", i)
		if err := metricKeyError(op, prefix, pt.MetricKey); err != nil {
			return nil, err
		}
		if pt.Time.IsZero() {
			return nil, Invalid(op, prefix+".Time", "must not be zero")
		}
		if badFloat(pt.Value) {
			return nil, Invalid(op, prefix+".Value", "must be a finite number")
		}
		pt.Time = NormMetricTime(pt.Time)
		out[i] = pt
	}
	return out, nil
}

// MetricQuery is what PrepareQueryMetrics makes of QueryMetricsParams.
type MetricQuery struct {
	// Vcenter, EntityType and Combine are the params'.
	Vcenter    string
	EntityType inventory.EntityType
	Combine    store.Combine
	// EntityIDs and Metrics are the params' sorted ascending without
	// duplicates: the order of the result's series.
	EntityIDs []string
	Metrics   []inventory.Metric
	// From is the params' From truncated to MetricPrecision, To the
	// params' To rounded up to it (both UTC): the same whole-second
	// points fall in [From, To).
	From, To time.Time
	Step     time.Duration
	// Tier is the tier the buckets are computed from (the params' or the
	// one chosen, see QueryMetricsParams.Tier).
	Tier inventory.MetricTier
	// Buckets is the number of buckets of each series over [From, To)
	// (ceil((To − From) / Step)).
	Buckets int
}

// ChooseMetricTier returns the coarsest tier that fits step and from
// (QueryMetricsParams.Tier): TierDay when step is a whole number of days
// and from a UTC midnight, else TierHour when step is a whole number of
// hours and from on a UTC hour, else TierRaw.
func ChooseMetricTier(from time.Time, step time.Duration) inventory.MetricTier {
	for _, t := range []inventory.MetricTier{inventory.TierDay, inventory.TierHour} {
		if TierFits(t, from, step) {
			return t
		}
	}
	return inventory.TierRaw
}

// TierFits reports whether buckets of step starting at from can be
// computed from tier: always for TierRaw; for a rollup tier when step is
// a positive whole number of the tier's width and from is on a bucket of
// the tier (a UTC hour or midnight).
func TierFits(tier inventory.MetricTier, from time.Time, step time.Duration) bool {
	w := tier.Duration()
	switch {
	case tier == inventory.TierRaw:
		return true
	case w == 0 || step <= 0 || step%w != 0:
		return false
	}
	return TierStart(tier, from).Equal(from)
}

// TierStart returns the start of tier's bucket holding t (UTC): t
// truncated to the hour or the UTC day, or t itself (at MetricPrecision)
// for TierRaw.
func TierStart(tier inventory.MetricTier, t time.Time) time.Time {
	w := tier.Duration()
	if w == 0 {
		return NormMetricTime(t)
	}
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(w)
}

func knownTier(t inventory.MetricTier) bool {
	return t == inventory.TierRaw || t == inventory.TierHour || t == inventory.TierDay
}

// PrepareQueryMetrics checks QueryMetricsParams (Vcenter, a known
// EntityType, 1 to MaxMetricEntities non-empty EntityIDs, at least one
// valid metric, From before To, both set, a whole-second Step of at
// least MinMetricStep giving at most MaxMetricBuckets buckets, a known
// Tier that fits Step and From, a known Combine) and returns the query
// to run.
func PrepareQueryMetrics(p *store.QueryMetricsParams) (*MetricQuery, error) {
	const op = "QueryMetrics"
	if p == nil {
		return nil, Invalid(op, "params", "must not be nil")
	}
	switch {
	case p.Vcenter == "":
		return nil, Invalid(op, "Vcenter", "must not be empty")
	case !slices.Contains(inventory.EntityTypes(), p.EntityType):
		return nil, Invalid(op, "EntityType", fmt.Sprintf("unknown entity type %q", p.EntityType))
	case len(p.EntityIDs) == 0:
		return nil, Invalid(op, "EntityIDs", "must name at least one entity")
	case len(p.EntityIDs) > store.MaxMetricEntities:
		return nil, Invalid(op, "EntityIDs", fmt.Sprintf("%d entities, at most %d", len(p.EntityIDs), store.MaxMetricEntities))
	case len(p.Metrics) == 0:
		return nil, Invalid(op, "Metrics", "must name at least one metric")
	case p.From.IsZero():
		return nil, Invalid(op, "From", "must not be zero")
	case p.To.IsZero():
		return nil, Invalid(op, "To", "must not be zero")
	case !p.From.Before(p.To):
		return nil, Invalid(op, "To", "must be after From")
	case p.Step < store.MinMetricStep:
		return nil, Invalid(op, "Step", fmt.Sprintf("%s is below the minimum %s", p.Step, store.MinMetricStep))
	case p.Step%time.Second != 0:
		return nil, Invalid(op, "Step", fmt.Sprintf("%s is not a whole number of seconds", p.Step))
	case p.Combine != store.CombineNone && p.Combine != store.CombineSum:
		return nil, Invalid(op, "Combine", fmt.Sprintf("unknown combination %q", p.Combine))
	case p.Tier != "" && !knownTier(p.Tier):
		return nil, Invalid(op, "Tier", fmt.Sprintf("unknown tier %q", p.Tier))
	}
	if err := CheckStrings(op, "Vcenter", p.Vcenter); err != nil {
		return nil, err
	}
	for i, id := range p.EntityIDs {
		if id == "" {
			return nil, Invalid(op, indexed("EntityIDs", i), "must not be empty")
		}
		if err := CheckStrings(op, indexed("EntityIDs", i), id); err != nil {
			return nil, err
		}
	}
	for i, m := range p.Metrics {
		if err := m.Validate(); err != nil {
			return nil, Invalid(op, indexed("Metrics", i), err.Error())
		}
	}
	q := &MetricQuery{
		Vcenter: p.Vcenter, EntityType: p.EntityType, Combine: p.Combine,
		EntityIDs: sortedUnique(p.EntityIDs), Metrics: sortedUnique(p.Metrics),
		From: NormMetricTime(p.From), To: ceilMetricTime(p.To), Step: p.Step,
	}
	n := (q.To.Sub(q.From) + q.Step - 1) / q.Step
	if n > store.MaxMetricBuckets {
		return nil, Invalid(op, "Step", fmt.Sprintf("%s over %s gives %d buckets, at most %d", p.Step, q.To.Sub(q.From), n, store.MaxMetricBuckets))
	}
	q.Buckets = int(n)
	switch {
	case p.Tier == "":
		q.Tier = ChooseMetricTier(q.From, q.Step)
	case !TierFits(p.Tier, q.From, q.Step):
		return nil, Invalid(op, "Tier", fmt.Sprintf("tier %s does not fit a step of %s from %s", p.Tier, q.Step, q.From.Format(time.RFC3339)))
	default:
		q.Tier = p.Tier
	}
	return q, nil
}

func sortedUnique[T cmp.Ordered](vals []T) []T {
	out := slices.Clone(vals)
	slices.Sort(out)
	return slices.Compact(out)
}

// ValidateRollupMetrics checks RollupMetricsParams: Tier TierHour or
// TierDay, To set, From (when set) not after To.
func ValidateRollupMetrics(p *store.RollupMetricsParams) error {
	const op = "RollupMetrics"
	switch {
	case p == nil:
		return Invalid(op, "params", "must not be nil")
	case p.Tier != inventory.TierHour && p.Tier != inventory.TierDay:
		return Invalid(op, "Tier", fmt.Sprintf("must be %s or %s, not %q", inventory.TierHour, inventory.TierDay, p.Tier))
	case p.To.IsZero():
		return Invalid(op, "To", "must not be zero")
	case !p.From.IsZero() && p.From.After(p.To):
		return Invalid(op, "From", "must not be after To")
	}
	return nil
}

// RollupRange returns the range of bucket starts RollupMetrics rolls up:
// From and To truncated to the tier's width; a zero From starts at
// watermark, or at oldestRaw (the oldest raw point; zero when there is
// none) when watermark is zero, or at To when both are zero. From is
// never after To. Call it after ValidateRollupMetrics.
func RollupRange(p *store.RollupMetricsParams, watermark, oldestRaw time.Time) (from, to time.Time) {
	to = TierStart(p.Tier, p.To)
	from = p.From
	switch {
	case !from.IsZero():
	case !watermark.IsZero():
		from = watermark
	case !oldestRaw.IsZero():
		from = oldestRaw
	default:
		from = to
	}
	from = TierStart(p.Tier, from)
	if from.After(to) {
		from = to
	}
	return from, to
}

// RollupWatermark returns a tier's watermark after a rollup up to to: to
// when it is after old, else old.
func RollupWatermark(old, to time.Time) time.Time {
	if to.After(old) {
		return to
	}
	return old
}

// ValidatePruneMetrics checks PruneMetricsParams (not nil) and returns
// them with the cutoffs rounded up to MetricPrecision in UTC (zero stays
// zero), which deletes the same whole-second rows.
func ValidatePruneMetrics(p *store.PruneMetricsParams) (store.PruneMetricsParams, error) {
	if p == nil {
		return store.PruneMetricsParams{}, Invalid("PruneMetrics", "params", "must not be nil")
	}
	// Stored times are whole seconds, so one is before a fractional
	// cutoff exactly when it is before the cutoff rounded up.
	return store.PruneMetricsParams{
		RawBefore: ceilOrZero(p.RawBefore), HourBefore: ceilOrZero(p.HourBefore), DayBefore: ceilOrZero(p.DayBefore),
	}, nil
}

func ceilOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return ceilMetricTime(t)
}

// ValidateMetricStats checks MetricStatsParams (not nil, a storable
// Vcenter).
func ValidateMetricStats(p *store.MetricStatsParams) error {
	if p == nil {
		return Invalid("MetricStats", "params", "must not be nil")
	}
	return CheckStrings("MetricStats", "Vcenter", p.Vcenter)
}

// ValidateListMetricKeys checks ListMetricKeysParams: Vcenter set, a known
// EntityType when set, storable strings.
func ValidateListMetricKeys(p *store.ListMetricKeysParams) error {
	const op = "ListMetricKeys"
	switch {
	case p == nil:
		return Invalid(op, "params", "must not be nil")
	case p.Vcenter == "":
		return Invalid(op, "Vcenter", "must not be empty")
	case p.EntityType != "" && !slices.Contains(inventory.EntityTypes(), p.EntityType):
		return Invalid(op, "EntityType", fmt.Sprintf("unknown entity type %q", p.EntityType))
	}
	return stringFields(op, "Vcenter", p.Vcenter, "EntityID", p.EntityID)
}

// ---------------------------------------------------------------------------
// Bucket figures

// P95Rank returns the 1-based nearest rank of the 95th percentile of n
// values: ceil(0.95 × n), computed in integers (0 when n is 0).
func P95Rank(n int) int {
	if n <= 0 {
		return 0
	}
	return (95*n + 99) / 100
}

// SummariseValues returns the figures of a bucket holding values (Start
// left zero): Count, Avg (the sum of the values in ascending order over
// Count, so the order given does not matter), Max, Min and the
// nearest-rank P95, sorted[ceil(0.95 × n) − 1]. values is not modified.
// No values give a zero bucket.
func SummariseValues(values []float64) inventory.MetricBucket {
	if len(values) == 0 {
		return inventory.MetricBucket{}
	}
	s := slices.Clone(values)
	slices.Sort(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return inventory.MetricBucket{
		Count: int64(len(s)), Avg: sum / float64(len(s)),
		Min: s[0], Max: s[len(s)-1], P95: s[P95Rank(len(s))-1],
	}
}

// CombineBuckets returns the bucket starting at start that combines a
// rollup tier's buckets bs (in time order), as inventory.MetricBucket
// documents: Count summed, Avg weighted by Count (Σ Avg×Count / Σ Count,
// summed in the order given), Max and Min exact, P95 the nearest-rank
// 95th percentile of the buckets' P95 values. A single bucket is returned
// as it is (with start), so a step of the tier's width gives exactly the
// tier's figures. No buckets give a zero bucket.
func CombineBuckets(start time.Time, bs []inventory.MetricBucket) inventory.MetricBucket {
	switch len(bs) {
	case 0:
		return inventory.MetricBucket{Start: start}
	case 1:
		b := bs[0]
		b.Start = start
		return b
	}
	out := inventory.MetricBucket{Start: start, Max: bs[0].Max, Min: bs[0].Min}
	weighted := 0.0
	p95s := make([]float64, len(bs))
	for i, b := range bs {
		out.Count += b.Count
		weighted += b.Avg * float64(b.Count)
		out.Max, out.Min = max(out.Max, b.Max), min(out.Min, b.Min)
		p95s[i] = b.P95
	}
	if out.Count > 0 {
		out.Avg = weighted / float64(out.Count)
	}
	slices.Sort(p95s)
	out.P95 = p95s[P95Rank(len(p95s))-1]
	return out
}

// SumBuckets returns the bucket starting at start of store.CombineSum:
// Count, Avg, Max, Min and P95 each summed over bs in the order given
// (the entities' order, EntityID ascending).
func SumBuckets(start time.Time, bs []inventory.MetricBucket) inventory.MetricBucket {
	out := inventory.MetricBucket{Start: start}
	for _, b := range bs {
		out.Count += b.Count
		out.Avg += b.Avg
		out.Max += b.Max
		out.Min += b.Min
		out.P95 += b.P95
	}
	return out
}

// BucketIndex returns the index of the bucket of step starting at from
// that holds t: floor((t − from) / step), negative when t is before from.
func BucketIndex(from time.Time, step time.Duration, t time.Time) int {
	d := t.Sub(from)
	i := d / step
	if d < 0 && d%step != 0 {
		i--
	}
	return int(i)
}

// BucketStart returns the start of the bucket of step starting at from
// that holds t: from + BucketIndex × step, in UTC.
func BucketStart(from time.Time, step time.Duration, t time.Time) time.Time {
	return from.Add(time.Duration(BucketIndex(from, step, t)) * step).UTC()
}

// MetricValue is one raw point's time and value.
type MetricValue struct {
	Time  time.Time
	Value float64
}

// DownsampleValues groups points (sorted by time) into buckets of step
// aligned to from and returns them oldest first with SummariseValues'
// figures; buckets without points are left out. Points before from are
// ignored.
func DownsampleValues(from time.Time, step time.Duration, points []MetricValue) []inventory.MetricBucket {
	var out []inventory.MetricBucket
	var vals []float64
	cur := -1
	flush := func() {
		if len(vals) > 0 {
			b := SummariseValues(vals)
			b.Start = from.Add(time.Duration(cur) * step).UTC()
			out = append(out, b)
		}
		vals = vals[:0]
	}
	for _, p := range points {
		i := BucketIndex(from, step, p.Time)
		if i < 0 {
			continue
		}
		if i != cur {
			flush()
			cur = i
		}
		vals = append(vals, p.Value)
	}
	flush()
	return out
}

// CombineTierBuckets groups a rollup tier's buckets (sorted by start)
// into buckets of step aligned to from with CombineBuckets, oldest
// first. Tier buckets starting before from are ignored.
func CombineTierBuckets(from time.Time, step time.Duration, tier []inventory.MetricBucket) []inventory.MetricBucket {
	var out []inventory.MetricBucket
	for i := 0; i < len(tier); {
		k := BucketIndex(from, step, tier[i].Start)
		j := i + 1
		for j < len(tier) && BucketIndex(from, step, tier[j].Start) == k {
			j++
		}
		if k >= 0 {
			out = append(out, CombineBuckets(from.Add(time.Duration(k)*step).UTC(), tier[i:j]))
		}
		i = j
	}
	return out
}

// SumSeries merges the bucket lists of several series (each oldest first,
// in the entities' order) into the buckets of store.CombineSum: one
// bucket per start any series has, SumBuckets over the series with a
// bucket at that start, in the order given.
func SumSeries(series [][]inventory.MetricBucket) []inventory.MetricBucket {
	var starts []time.Time
	for _, s := range series {
		for _, b := range s {
			starts = append(starts, b.Start)
		}
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
	starts = slices.CompactFunc(starts, func(a, b time.Time) bool { return a.Equal(b) })
	pos := make([]int, len(series))
	out := make([]inventory.MetricBucket, 0, len(starts))
	var at []inventory.MetricBucket
	for _, st := range starts {
		at = at[:0]
		for i, s := range series {
			if pos[i] < len(s) && s[pos[i]].Start.Equal(st) {
				at = append(at, s[pos[i]])
				pos[i]++
			}
		}
		out = append(out, SumBuckets(st, at))
	}
	return out
}
