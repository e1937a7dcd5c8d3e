package memstore

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var _ store.MetricStore = (*Store)(nil)

// metricState holds the series of store.MetricStore. Callers hold the
// lock.
type metricState struct {
	series map[inventory.MetricKey]*metricSeries
	// watermark is each rollup tier's watermark.
	watermark map[inventory.MetricTier]time.Time
}

// metricSeries is one series: raw points sorted by time (Unix seconds,
// distinct), and each rollup tier's buckets by start (Unix seconds).
type metricSeries struct {
	times  []int64
	values []float64
	tiers  map[inventory.MetricTier]map[int64]inventory.MetricBucket
}

func (m *metricSeries) empty() bool {
	return len(m.times) == 0 && len(m.tiers[inventory.TierHour]) == 0 && len(m.tiers[inventory.TierDay]) == 0
}

// put inserts or replaces the value at t.
func (m *metricSeries) put(t int64, v float64) {
	n := len(m.times)
	if n == 0 || m.times[n-1] < t {
		m.times, m.values = append(m.times, t), append(m.values, v)
		return
	}
	i, found := slices.BinarySearch(m.times, t)
	if found {
		m.values[i] = v
		return
	}
	m.times, m.values = slices.Insert(m.times, i, t), slices.Insert(m.values, i, v)
}

// span returns the index range of the raw points in [from, to).
func (m *metricSeries) span(from, to int64) (lo, hi int) {
	lo, _ = slices.BinarySearch(m.times, from)
	hi, _ = slices.BinarySearch(m.times, to)
	return lo, max(lo, hi)
}

// raw returns the raw points in [from, to) as driver.MetricValue.
func (m *metricSeries) raw(from, to int64) []driver.MetricValue {
	lo, hi := m.span(from, to)
	out := make([]driver.MetricValue, hi-lo)
	for i := lo; i < hi; i++ {
		out[i-lo] = driver.MetricValue{Time: time.Unix(m.times[i], 0).UTC(), Value: m.values[i]}
	}
	return out
}

// rollup computes tier's buckets starting in [from, to) from the raw
// points, oldest first.
func (m *metricSeries) rollup(tier inventory.MetricTier, from, to time.Time) []inventory.MetricBucket {
	pts := m.raw(from.Unix(), to.Unix())
	if len(pts) == 0 {
		return nil
	}
	return driver.DownsampleValues(from, tier.Duration(), pts)
}

// metrics returns the metric state, creating it on first use. Callers
// hold the write lock.
func (s *Store) metrics() *metricState {
	if s.metric == nil {
		s.metric = &metricState{series: map[inventory.MetricKey]*metricSeries{}, watermark: map[inventory.MetricTier]time.Time{}}
	}
	return s.metric
}

// readMetrics takes the read lock and returns the metric state (an empty
// one when nothing was written yet).
func (s *Store) readMetrics(op string) (*metricState, func(), error) {
	unlock, err := s.read(op)
	if err != nil {
		return nil, nil, err
	}
	if s.metric == nil {
		return &metricState{}, unlock, nil
	}
	return s.metric, unlock, nil
}

// WriteMetrics stores points, all or nothing (store.MetricStore).
func (s *Store) WriteMetrics(ctx context.Context, p *store.WriteMetricsParams) error {
	const op = "WriteMetrics"
	if err := s.usable(op); err != nil {
		return err
	}
	pts, err := driver.PrepareWriteMetrics(p)
	if err != nil {
		return err
	}
	we := &store.WriteError{Op: op}
	b := newBatches(ctx, p.BatchSize, we, "metrics")
	for range pts {
		if err := b.next(); err != nil {
			return err
		}
	}
	return s.commit(ctx, we, func() {
		ms := s.metrics()
		for _, pt := range pts {
			sr := ms.series[pt.MetricKey]
			if sr == nil {
				sr = &metricSeries{}
				ms.series[pt.MetricKey] = sr
			}
			sr.put(pt.Time.Unix(), pt.Value)
		}
	})
}

// QueryMetrics downsamples series (store.MetricStore).
func (s *Store) QueryMetrics(ctx context.Context, p *store.QueryMetricsParams) ([]inventory.MetricSeries, error) {
	const op = "QueryMetrics"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	q, err := driver.PrepareQueryMetrics(p)
	if err != nil {
		return nil, err
	}
	ms, unlock, err := s.readMetrics(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.MetricSeries
	for _, id := range q.EntityIDs {
		if err := ctx.Err(); err != nil {
			return nil, readErr(op, err)
		}
		for _, m := range q.Metrics {
			key := inventory.MetricKey{Vcenter: q.Vcenter, EntityType: q.EntityType, EntityID: id, Metric: m}
			sr := ms.series[key]
			if sr == nil {
				continue
			}
			if bs := ms.buckets(sr, q); len(bs) > 0 {
				out = append(out, inventory.MetricSeries{MetricKey: key, Tier: q.Tier, Buckets: bs})
			}
		}
	}
	if q.Combine != store.CombineSum {
		return out, nil
	}
	var sums []inventory.MetricSeries
	for _, m := range q.Metrics {
		var each [][]inventory.MetricBucket
		for _, sr := range out {
			if sr.Metric == m {
				each = append(each, sr.Buckets)
			}
		}
		if len(each) > 0 {
			key := inventory.MetricKey{Vcenter: q.Vcenter, EntityType: q.EntityType, Metric: m}
			sums = append(sums, inventory.MetricSeries{MetricKey: key, Tier: q.Tier, Buckets: driver.SumSeries(each)})
		}
	}
	return sums, nil
}

// buckets computes one series' buckets of q.
func (ms *metricState) buckets(sr *metricSeries, q *driver.MetricQuery) []inventory.MetricBucket {
	if q.Tier == inventory.TierRaw {
		return driver.DownsampleValues(q.From, q.Step, sr.raw(q.From.Unix(), q.To.Unix()))
	}
	// The stored rollups before the watermark, the raw points' rollups
	// from it on.
	wm := ms.watermark[q.Tier]
	stored := earlier(wm, q.To)
	if stored.Before(q.From) {
		stored = q.From
	}
	var tier []inventory.MetricBucket
	for start, b := range sr.tiers[q.Tier] {
		if start >= q.From.Unix() && start < stored.Unix() {
			tier = append(tier, b)
		}
	}
	slices.SortFunc(tier, func(a, b inventory.MetricBucket) int { return a.Start.Compare(b.Start) })
	if stored.Before(q.To) {
		tier = append(tier, sr.rollup(q.Tier, stored, q.To)...)
	}
	return driver.CombineTierBuckets(q.From, q.Step, tier)
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// RollupMetrics computes rollups from the raw points (store.MetricStore).
func (s *Store) RollupMetrics(ctx context.Context, p *store.RollupMetricsParams) (*store.RollupMetricsResult, error) {
	const op = "RollupMetrics"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateRollupMetrics(p); err != nil {
		return nil, err
	}
	res := &store.RollupMetricsResult{}
	err := s.commit(ctx, &store.WriteError{Op: op}, func() {
		ms := s.metrics()
		var oldest time.Time
		for _, sr := range ms.series {
			if len(sr.times) > 0 {
				if t := time.Unix(sr.times[0], 0).UTC(); oldest.IsZero() || t.Before(oldest) {
					oldest = t
				}
			}
		}
		res.From, res.To = driver.RollupRange(p, ms.watermark[p.Tier], oldest)
		if res.From.Before(res.To) {
			for _, sr := range ms.series {
				bs := sr.rollup(p.Tier, res.From, res.To)
				if len(bs) == 0 {
					continue
				}
				if sr.tiers == nil {
					sr.tiers = map[inventory.MetricTier]map[int64]inventory.MetricBucket{}
				}
				t := sr.tiers[p.Tier]
				if t == nil {
					t = map[int64]inventory.MetricBucket{}
					sr.tiers[p.Tier] = t
				}
				for _, b := range bs {
					t[b.Start.Unix()] = b
				}
				res.Buckets += int64(len(bs))
			}
		}
		ms.watermark[p.Tier] = driver.RollupWatermark(ms.watermark[p.Tier], res.To)
		res.Watermark = ms.watermark[p.Tier]
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// PruneMetrics deletes expired rows (store.MetricStore).
func (s *Store) PruneMetrics(ctx context.Context, p *store.PruneMetricsParams) (*store.PruneMetricsResult, error) {
	const op = "PruneMetrics"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	cut, err := driver.ValidatePruneMetrics(p)
	if err != nil {
		return nil, err
	}
	res := &store.PruneMetricsResult{}
	err = s.commit(ctx, &store.WriteError{Op: op}, func() {
		if s.metric == nil {
			return
		}
		ms := s.metric
		for key, sr := range ms.series {
			if !cut.RawBefore.IsZero() {
				lo, _ := sr.span(cut.RawBefore.Unix(), cut.RawBefore.Unix())
				if lo > 0 {
					res.Raw += int64(lo)
					sr.times, sr.values = slices.Clone(sr.times[lo:]), slices.Clone(sr.values[lo:])
				}
			}
			for tier, before := range map[inventory.MetricTier]time.Time{inventory.TierHour: cut.HourBefore, inventory.TierDay: cut.DayBefore} {
				if before.IsZero() {
					continue
				}
				for start := range sr.tiers[tier] {
					if start < before.Unix() {
						delete(sr.tiers[tier], start)
						if tier == inventory.TierHour {
							res.Hour++
						} else {
							res.Day++
						}
					}
				}
			}
			if sr.empty() {
				delete(ms.series, key)
				res.Series++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// MetricStats describes the series (store.MetricStore); Bytes is 0.
func (s *Store) MetricStats(ctx context.Context, p *store.MetricStatsParams) (*store.MetricStats, error) {
	const op = "MetricStats"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateMetricStats(p); err != nil {
		return nil, err
	}
	ms, unlock, err := s.readMetrics(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	tiers := []inventory.MetricTier{inventory.TierRaw, inventory.TierHour, inventory.TierDay}
	out := &store.MetricStats{Tiers: make([]store.MetricTierStats, len(tiers))}
	type span struct {
		set            bool
		oldest, newest int64
	}
	spans := make([]span, len(tiers))
	widen := func(i int, t int64) {
		sp := &spans[i]
		if !sp.set || t < sp.oldest {
			sp.oldest = t
		}
		if !sp.set || t > sp.newest {
			sp.newest = t
		}
		sp.set = true
	}
	for key, sr := range ms.series {
		if p.WatermarksOnly || (p.Vcenter != "" && key.Vcenter != p.Vcenter) {
			continue
		}
		out.Series++
		if n := len(sr.times); n > 0 {
			out.Tiers[0].Rows += int64(n)
			widen(0, sr.times[0])
			widen(0, sr.times[n-1])
		}
		for i, tier := range tiers[1:] {
			for start := range sr.tiers[tier] {
				out.Tiers[i+1].Rows++
				widen(i+1, start)
			}
		}
	}
	for i, tier := range tiers {
		ts := &out.Tiers[i]
		ts.Tier = tier
		if spans[i].set {
			ts.Oldest, ts.Newest = time.Unix(spans[i].oldest, 0).UTC(), time.Unix(spans[i].newest, 0).UTC()
		}
		if tier != inventory.TierRaw {
			ts.Watermark = ms.watermark[tier]
		}
	}
	return out, nil
}

// ListMetricKeys lists the series of the matching entities
// (store.MetricStore).
func (s *Store) ListMetricKeys(ctx context.Context, p *store.ListMetricKeysParams) ([]inventory.MetricKey, error) {
	const op = "ListMetricKeys"
	if err := s.usable(op); err != nil {
		return nil, err
	}
	if err := driver.ValidateListMetricKeys(p); err != nil {
		return nil, err
	}
	ms, unlock, err := s.readMetrics(op)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var out []inventory.MetricKey
	for key := range ms.series {
		if key.Vcenter == p.Vcenter && (p.EntityType == "" || key.EntityType == p.EntityType) && (p.EntityID == "" || key.EntityID == p.EntityID) {
			out = append(out, key)
		}
	}
	slices.SortFunc(out, func(a, b inventory.MetricKey) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.EntityType, b.EntityType),
			cmp.Compare(a.EntityID, b.EntityID), cmp.Compare(a.Metric, b.Metric))
	})
	return out, nil
}
