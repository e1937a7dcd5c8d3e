package storetest

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The Metrics section (store.MetricStore): writes are all or nothing,
// replace a point with the same key and second, and keep seconds; raw
// downsampling aligns buckets to From, computes count/avg/max/min/p95 as
// inventory.MetricBucket defines them (checked against figures this file
// computes from the values it wrote, never with package driver), leaves
// empty buckets out, orders series and sums them with CombineSum; the
// tier is chosen as QueryMetricsParams.Tier says and a forced tier that
// does not fit is refused; hour and day rollups give the raw figures at
// their width and combine by the documented rule over wider steps,
// buckets past the watermark come from the raw points, reruns change
// nothing, a zero From starts at the watermark, the watermark only moves
// forward and a rerun with From picks up a late point; PruneMetrics drops
// exactly the expired rows of each tier and the series left empty;
// ListMetricKeys filters and orders; MetricStats counts; hostile entity
// IDs round-trip; invalid params are refused naming their field.
func metricTests() []test {
	return []test{
		{"WriteAllOrNothing", testMetricWriteAtomic},
		{"WriteReplaceSeconds", testMetricWriteReplace},
		{"RawDownsampling", testMetricRawDownsampling},
		{"TierChoice", testMetricTierChoice},
		{"HourRollup", testMetricHourRollup},
		{"HourCombination", testMetricHourCombination},
		{"DayTier", testMetricDayTier},
		{"RollupRerun", testMetricRollupRerun},
		{"LatePoint", testMetricLatePoint},
		{"Prune", testMetricPrune},
		{"ListKeys", testMetricListKeys},
		{"Stats", testMetricStats},
		{"Hostile", testMetricHostile},
		{"InvalidParams", testMetricInvalid},
	}
}

func (e *env) mst() store.MetricStore { return e.st.(store.MetricStore) }

// metricT0 is the suite's base time for metrics: a UTC midnight.
var metricT0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

const metricVC = "vc-metrics"

func mkey(id string, m inventory.Metric) inventory.MetricKey {
	return inventory.MetricKey{Vcenter: metricVC, EntityType: inventory.EntityVM, EntityID: id, Metric: m}
}

// genPoints returns n points of each key, point i at from + i×every
// plus, when jitter, a random offset in [0, every) whole seconds; values
// have two decimals in [0, 1000).
func genPoints(keys []inventory.MetricKey, from time.Time, n int, every time.Duration, jitter bool, seed uint64) []inventory.MetricPoint {
	r := rand.New(rand.NewPCG(seed, 20))
	var out []inventory.MetricPoint
	for _, k := range keys {
		for i := range n {
			at := from.Add(time.Duration(i) * every)
			if jitter {
				at = at.Add(time.Duration(r.IntN(int(every/time.Second))) * time.Second)
			}
			out = append(out, inventory.MetricPoint{MetricKey: k, Time: at, Value: float64(r.IntN(100000)) / 100})
		}
	}
	return out
}

func (e *env) writeMetrics(pts []inventory.MetricPoint) {
	e.t.Helper()
	e.ok(e.mst().WriteMetrics(e.ctx, &store.WriteMetricsParams{Points: pts}), "WriteMetrics(%d points)", len(pts))
}

func (e *env) queryMetrics(p store.QueryMetricsParams) []inventory.MetricSeries {
	e.t.Helper()
	out, err := e.mst().QueryMetrics(e.ctx, &p)
	e.ok(err, "QueryMetrics%s", describe(&p))
	return out
}

func (e *env) rollup(tier inventory.MetricTier, from, to time.Time) *store.RollupMetricsResult {
	e.t.Helper()
	res, err := e.mst().RollupMetrics(e.ctx, &store.RollupMetricsParams{Tier: tier, From: from, To: to})
	e.ok(err, "RollupMetrics(%s, %s, %s)", tier, from, to)
	return res
}

func (e *env) metricStats(vc string) *store.MetricStats {
	e.t.Helper()
	st, err := e.mst().MetricStats(e.ctx, &store.MetricStatsParams{Vcenter: vc})
	e.ok(err, "MetricStats(%q)", vc)
	return st
}

// tierStats returns the stats of tier (failing when it is missing).
func (e *env) tierStats(st *store.MetricStats, tier inventory.MetricTier) store.MetricTierStats {
	e.t.Helper()
	i := slices.IndexFunc(st.Tiers, func(t store.MetricTierStats) bool { return t.Tier == tier })
	if i < 0 {
		e.t.Fatalf("MetricStats has no tier %s: %+v", tier, st)
	}
	return st.Tiers[i]
}

// statsView is MetricStats without Bytes (which may grow with dead
// tuples), for comparing stores' contents.
func statsView(st *store.MetricStats) *store.MetricStats {
	out := &store.MetricStats{Series: st.Series}
	for _, t := range st.Tiers {
		t.Bytes = 0
		out.Tiers = append(out.Tiers, t)
	}
	slices.SortFunc(out.Tiers, func(a, b store.MetricTierStats) int { return cmp.Compare(a.Tier, b.Tier) })
	return out
}

// ---------------------------------------------------------------------------
// Expected figures, computed here from the values written.

// wantFigures returns the bucket of vals as inventory.MetricBucket
// defines it: nearest-rank P95 at rank ceil(0.95 × n).
func wantFigures(start time.Time, vals []float64) inventory.MetricBucket {
	s := slices.Clone(vals)
	slices.Sort(s)
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	rank := int(math.Ceil(0.95 * float64(len(s))))
	return inventory.MetricBucket{Start: start, Count: int64(len(s)), Avg: sum / float64(len(s)), Max: s[len(s)-1], Min: s[0], P95: s[rank-1]}
}

// wantBuckets groups the points of key in [from, to) into buckets of step
// from from and returns their figures, oldest first, empty ones left out.
func wantBuckets(pts []inventory.MetricPoint, key inventory.MetricKey, from, to time.Time, step time.Duration) []inventory.MetricBucket {
	groups := map[int64][]float64{}
	for _, p := range pts {
		at := p.Time.UTC().Truncate(time.Second)
		if p.MetricKey != key || at.Before(from) || !at.Before(to) {
			continue
		}
		i := int64(at.Sub(from) / step)
		groups[i] = append(groups[i], p.Value)
	}
	var out []inventory.MetricBucket
	for _, i := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, wantFigures(from.Add(time.Duration(i)*step), groups[i]))
	}
	return out
}

// wantCombined combines a rollup tier's buckets (one query bucket's) as
// inventory.MetricBucket documents.
func wantCombined(start time.Time, bs []inventory.MetricBucket) inventory.MetricBucket {
	out := inventory.MetricBucket{Start: start, Max: math.Inf(-1), Min: math.Inf(1)}
	var weighted float64
	var p95s []float64
	for _, b := range bs {
		out.Count += b.Count
		weighted += b.Avg * float64(b.Count)
		out.Max, out.Min = math.Max(out.Max, b.Max), math.Min(out.Min, b.Min)
		p95s = append(p95s, b.P95)
	}
	out.Avg = weighted / float64(out.Count)
	slices.Sort(p95s)
	out.P95 = p95s[int(math.Ceil(0.95*float64(len(p95s))))-1]
	return out
}

// regroup combines tier buckets into buckets of step from from.
func regroup(tier []inventory.MetricBucket, from time.Time, step time.Duration) []inventory.MetricBucket {
	groups := map[int64][]inventory.MetricBucket{}
	for _, b := range tier {
		i := int64(b.Start.Sub(from) / step)
		groups[i] = append(groups[i], b)
	}
	var out []inventory.MetricBucket
	for _, i := range slices.Sorted(maps.Keys(groups)) {
		out = append(out, wantCombined(from.Add(time.Duration(i)*step), groups[i]))
	}
	return out
}

// closeTo compares floats to a relative 1e-9: averages may be summed in
// another order by a backend.
func closeTo(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// checkBuckets compares buckets: Start (UTC), Count, Max, Min and P95
// exactly, Avg to closeTo (every figure to closeTo when loose, for sums).
func checkBuckets(e *env, what string, want, got []inventory.MetricBucket, loose bool) {
	e.t.Helper()
	if len(want) != len(got) {
		e.t.Errorf("%s: %d buckets, want %d\n got: %s\nwant: %s", what, len(got), len(want), bucketsText(got), bucketsText(want))
		return
	}
	for i := range want {
		w, g := want[i], got[i]
		ok := w.Start.Equal(g.Start) && g.Start.Location() == time.UTC && w.Count == g.Count && closeTo(w.Avg, g.Avg)
		if loose {
			ok = ok && closeTo(w.Max, g.Max) && closeTo(w.Min, g.Min) && closeTo(w.P95, g.P95)
		} else {
			ok = ok && w.Max == g.Max && w.Min == g.Min && w.P95 == g.P95
		}
		if !ok {
			e.t.Errorf("%s: bucket %d = %s, want %s", what, i, bucketText(g), bucketText(w))
			return
		}
	}
}

func bucketText(b inventory.MetricBucket) string {
	return fmt.Sprintf("{%s n=%d avg=%v max=%v min=%v p95=%v}", b.Start.Format(time.RFC3339), b.Count, b.Avg, b.Max, b.Min, b.P95)
}

func bucketsText(bs []inventory.MetricBucket) string {
	var s []string
	for _, b := range bs {
		s = append(s, bucketText(b))
	}
	return strings.Join(s, " ")
}

// oneSeries returns the only series of out, failing otherwise.
func oneSeries(e *env, what string, out []inventory.MetricSeries) inventory.MetricSeries {
	e.t.Helper()
	if len(out) != 1 {
		e.t.Fatalf("%s: %d series, want 1", what, len(out))
	}
	return out[0]
}

func vmQuery(ids []string, metrics []inventory.Metric, from, to time.Time, step time.Duration) store.QueryMetricsParams {
	return store.QueryMetricsParams{Vcenter: metricVC, EntityType: inventory.EntityVM, EntityIDs: ids, Metrics: metrics, From: from, To: to, Step: step}
}

var (
	mCPU = inventory.MetricCPUUsagePct
	mMem = inventory.MetricMemUsagePct
)

// ---------------------------------------------------------------------------
// Writes

func testMetricWriteAtomic(e *env) {
	keys := []inventory.MetricKey{mkey("vm-1", mCPU), mkey("vm-2", mCPU)}
	pts := genPoints(keys, metricT0, 5, 5*time.Minute, false, 1)
	for _, c := range []struct {
		name, field string
		mut         func(p *inventory.MetricPoint)
	}{
		{"NaN value", "Points[4].Value", func(p *inventory.MetricPoint) { p.Value = math.NaN() }},
		{"infinite value", "Points[4].Value", func(p *inventory.MetricPoint) { p.Value = math.Inf(1) }},
		{"zero time", "Points[4].Time", func(p *inventory.MetricPoint) { p.Time = time.Time{} }},
		{"empty entity ID", "Points[4].", func(p *inventory.MetricPoint) { p.EntityID = "" }},
		{"unknown entity type", "Points[4].", func(p *inventory.MetricPoint) { p.EntityType = "galaxy" }},
		{"bad metric name", "Points[4].", func(p *inventory.MetricPoint) { p.Metric = "cpu usage" }},
		{"NUL in vcenter", "Points[4].", func(p *inventory.MetricPoint) { p.Vcenter = "vc\x00" }},
	} {
		bad := slices.Clone(pts)
		c.mut(&bad[4])
		err := e.mst().WriteMetrics(e.ctx, &store.WriteMetricsParams{Points: bad, BatchSize: 2})
		if ipe := wantInvalid(e.t, err, "WriteMetrics", c.name); ipe != nil && !strings.HasPrefix(ipe.Field, c.field) {
			e.t.Errorf("WriteMetrics %s: Field %q, want %q", c.name, ipe.Field, c.field)
		}
		if st := e.metricStats(""); st.Series != 0 || e.tierStats(st, inventory.TierRaw).Rows != 0 {
			e.t.Fatalf("WriteMetrics %s stored something: %+v", c.name, st)
		}
	}
	// The valid points are then stored whole, in batches of 2.
	e.ok(e.mst().WriteMetrics(e.ctx, &store.WriteMetricsParams{Points: pts, BatchSize: 2}), "WriteMetrics")
	if st := e.metricStats(""); st.Series != 2 || e.tierStats(st, inventory.TierRaw).Rows != 10 {
		e.t.Fatalf("after writing 10 points of 2 series: %+v", st)
	}
}

func testMetricWriteReplace(e *env) {
	k := mkey("vm-1", mCPU)
	at := metricT0.Add(10 * time.Second)
	q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, metricT0, metricT0.Add(time.Hour), time.Minute)
	value := func() inventory.MetricBucket {
		e.t.Helper()
		s := oneSeries(e, "query", e.queryMetrics(q))
		if len(s.Buckets) != 1 {
			e.t.Fatalf("%d buckets, want 1: %s", len(s.Buckets), bucketsText(s.Buckets))
		}
		return s.Buckets[0]
	}
	e.writeMetrics([]inventory.MetricPoint{{MetricKey: k, Time: at, Value: 1}})
	e.writeMetrics([]inventory.MetricPoint{{MetricKey: k, Time: at, Value: 2}})
	if b := value(); b.Count != 1 || b.Avg != 2 || !b.Start.Equal(metricT0) {
		e.t.Errorf("after replacing: %s, want one point of 2", bucketText(b))
	}
	// The same second in another zone with a fraction is the same point.
	e.writeMetrics([]inventory.MetricPoint{{MetricKey: k, Time: at.Add(400 * time.Millisecond).In(time.FixedZone("UTC+2", 7200)), Value: 3}})
	if b := value(); b.Count != 1 || b.Avg != 3 || b.Max != 3 {
		e.t.Errorf("after writing the same second: %s, want one point of 3", bucketText(b))
	}
	raw := e.tierStats(e.metricStats(""), inventory.TierRaw)
	if raw.Rows != 1 || !raw.Oldest.Equal(at) || raw.Oldest.Location() != time.UTC || !raw.Newest.Equal(at) {
		e.t.Errorf("raw stats %+v, want 1 row at %s UTC", raw, at)
	}
	// The next second is another point.
	e.writeMetrics([]inventory.MetricPoint{{MetricKey: k, Time: at.Add(time.Second), Value: 5}})
	if b := value(); b.Count != 2 || b.Avg != 4 || b.Min != 3 || b.Max != 5 {
		e.t.Errorf("after a second point: %s, want 2 points of 3 and 5", bucketText(b))
	}
	// Writing a collection again changes nothing.
	pts := genPoints([]inventory.MetricKey{mkey("vm-2", mCPU), mkey("vm-2", mMem)}, metricT0, 12, 5*time.Minute, true, 2)
	e.writeMetrics(pts)
	before, statsBefore := e.queryMetrics(vmQuery([]string{"vm-2"}, []inventory.Metric{mCPU, mMem}, metricT0, metricT0.Add(time.Hour), time.Minute)), statsView(e.metricStats(""))
	e.writeMetrics(pts)
	after, statsAfter := e.queryMetrics(vmQuery([]string{"vm-2"}, []inventory.Metric{mCPU, mMem}, metricT0, metricT0.Add(time.Hour), time.Minute)), statsView(e.metricStats(""))
	checkEq(e.t, "query after writing again", before, after)
	checkEq(e.t, "stats after writing again", statsBefore, statsAfter)
	if r := e.tierStats(statsAfter, inventory.TierRaw).Rows; r != 2+24 {
		e.t.Errorf("raw rows %d, want 26", r)
	}
}

// ---------------------------------------------------------------------------
// Raw downsampling

func testMetricRawDownsampling(e *env) {
	base := metricT0.Add(10 * time.Hour)
	ids := []string{"vm-3", "vm-1", "vm-2"}
	var keys []inventory.MetricKey
	for _, id := range ids {
		keys = append(keys, mkey(id, mMem), mkey(id, mCPU))
	}
	pts := genPoints(keys, base, 72, 5*time.Minute, true, 3) // 6 h
	// vm-2 has nothing from 2 h to 3 h 40 min: empty buckets.
	pts = slices.DeleteFunc(pts, func(p inventory.MetricPoint) bool {
		return p.EntityID == "vm-2" && !p.Time.Before(base.Add(2*time.Hour)) && p.Time.Before(base.Add(220*time.Minute))
	})
	e.writeMetrics(pts)
	// 20 min buckets hold about 4 points (P95 is their maximum), 100 min
	// ones 20 (P95 is the 19th).
	for _, step := range []time.Duration{20 * time.Minute, 100 * time.Minute} {
		e.t.Run(step.String(), func(t *testing.T) { e.withT(t).checkRawDownsampling(pts, base, step) })
	}
}

// withT returns a copy of e reporting to t (a subtest).
func (e *env) withT(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func (e *env) checkRawDownsampling(pts []inventory.MetricPoint, base time.Time, step time.Duration) {
	from, to := base.Add(7*time.Minute), base.Add(5*time.Hour+3*time.Minute)
	q := vmQuery([]string{"vm-3", "vm-absent", "vm-1", "vm-2"}, []inventory.Metric{mMem, mCPU}, from, to, step)
	got := e.queryMetrics(q)
	var wantKeys, gotKeys []inventory.MetricKey
	for _, id := range []string{"vm-1", "vm-2", "vm-3"} {
		wantKeys = append(wantKeys, mkey(id, mCPU), mkey(id, mMem))
	}
	for _, s := range got {
		gotKeys = append(gotKeys, s.MetricKey)
		if s.Tier != inventory.TierRaw {
			e.t.Errorf("%+v: tier %s, want raw (From is not on an hour)", s.MetricKey, s.Tier)
		}
	}
	checkList(e.t, "series (ordered by EntityID, Metric)", wantKeys, gotKeys)
	if len(got) != len(wantKeys) {
		e.t.FailNow()
	}
	perMetric := map[inventory.Metric][][]inventory.MetricBucket{}
	for i, k := range wantKeys {
		want := wantBuckets(pts, k, from, to, step)
		checkBuckets(e, fmt.Sprintf("%s %s", k.EntityID, k.Metric), want, got[i].Buckets, false)
		perMetric[k.Metric] = append(perMetric[k.Metric], want)
		if k.EntityID == "vm-2" && step == 20*time.Minute && len(want) >= 15 {
			e.t.Fatalf("test data: vm-2 has %d buckets, want a gap", len(want))
		}
	}
	// CombineSum: one series per metric, each figure summed over the
	// entities with a point in the bucket.
	q.Combine = store.CombineSum
	sums := e.queryMetrics(q)
	if len(sums) != 2 || sums[0].Metric != mCPU || sums[1].Metric != mMem || sums[0].EntityID != "" {
		e.t.Fatalf("CombineSum: got %d series %+v, want cpu then mem without EntityID", len(sums), sums)
	}
	for _, s := range sums {
		byStart := map[time.Time]inventory.MetricBucket{}
		for _, bs := range perMetric[s.Metric] {
			for _, b := range bs {
				t := byStart[b.Start]
				t.Start = b.Start
				t.Count += b.Count
				t.Avg, t.Max, t.Min, t.P95 = t.Avg+b.Avg, t.Max+b.Max, t.Min+b.Min, t.P95+b.P95
				byStart[b.Start] = t
			}
		}
		var want []inventory.MetricBucket
		for _, st := range slices.SortedFunc(maps.Keys(byStart), func(a, b time.Time) int { return a.Compare(b) }) {
			want = append(want, byStart[st])
		}
		checkBuckets(e, "CombineSum "+string(s.Metric), want, s.Buckets, true)
	}
}

func testMetricTierChoice(e *env) {
	e.writeMetrics(genPoints([]inventory.MetricKey{mkey("vm-1", mCPU)}, metricT0, 3*288, 5*time.Minute, true, 4))
	for _, c := range []struct {
		from  time.Time
		step  time.Duration
		force inventory.MetricTier
		want  inventory.MetricTier
	}{
		{metricT0.Add(time.Hour), time.Hour, "", inventory.TierHour},
		{metricT0.Add(time.Hour), 3 * time.Hour, "", inventory.TierHour},
		{metricT0.Add(time.Hour + time.Minute), time.Hour, "", inventory.TierRaw},
		{metricT0.Add(time.Hour), 90 * time.Minute, "", inventory.TierRaw},
		{metricT0.Add(time.Hour), 5 * time.Minute, "", inventory.TierRaw},
		{metricT0, 24 * time.Hour, "", inventory.TierDay},
		{metricT0, 48 * time.Hour, "", inventory.TierDay},
		{metricT0.Add(time.Hour), 24 * time.Hour, "", inventory.TierHour},
		{metricT0, time.Hour, "", inventory.TierHour},
		{metricT0, 24 * time.Hour, inventory.TierHour, inventory.TierHour},
		{metricT0, 24 * time.Hour, inventory.TierRaw, inventory.TierRaw},
		{metricT0.Add(time.Hour), time.Hour, inventory.TierRaw, inventory.TierRaw},
	} {
		q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, c.from, metricT0.Add(72*time.Hour), c.step)
		q.Tier = c.force
		if s := oneSeries(e, "tier choice", e.queryMetrics(q)); s.Tier != c.want {
			e.t.Errorf("From %s, Step %s, Tier %q: tier %s, want %s", c.from.Format(time.RFC3339), c.step, c.force, s.Tier, c.want)
		}
	}
	for _, c := range []struct {
		from time.Time
		step time.Duration
		tier inventory.MetricTier
	}{
		{metricT0.Add(time.Minute), time.Hour, inventory.TierHour},
		{metricT0, 30 * time.Minute, inventory.TierHour},
		{metricT0, time.Hour, inventory.TierDay},
		{metricT0.Add(time.Hour), 24 * time.Hour, inventory.TierDay},
	} {
		q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, c.from, metricT0.Add(72*time.Hour), c.step)
		q.Tier = c.tier
		_, err := e.mst().QueryMetrics(e.ctx, &q)
		what := fmt.Sprintf("From %s Step %s forced tier %s", c.from.Format(time.RFC3339), c.step, c.tier)
		if ipe := wantInvalid(e.t, err, "QueryMetrics", what); ipe != nil && ipe.Field != "Tier" {
			e.t.Errorf("%s: Field %q, want Tier", what, ipe.Field)
		}
	}
}

// ---------------------------------------------------------------------------
// Rollups

func testMetricHourRollup(e *env) {
	keys := []inventory.MetricKey{mkey("vm-1", mCPU), mkey("vm-2", mCPU)}
	pts := genPoints(keys, metricT0, 576, 5*time.Minute, true, 5) // 2 days
	e.writeMetrics(pts)
	wm := metricT0.Add(30 * time.Hour)
	res := e.rollup(inventory.TierHour, time.Time{}, wm)
	if !res.From.Equal(metricT0) || !res.To.Equal(wm) || !res.Watermark.Equal(wm) || res.Buckets != 2*30 {
		e.t.Errorf("RollupMetrics(hour, zero From, %s) = %+v, want [%s, %s) 60 buckets, watermark %s", wm, res, metricT0, wm, wm)
	}
	end := metricT0.Add(48 * time.Hour)
	check := func(what string) {
		e.t.Helper()
		got := e.queryMetrics(vmQuery([]string{"vm-1", "vm-2"}, []inventory.Metric{mCPU}, metricT0, end, time.Hour))
		if len(got) != 2 {
			e.t.Fatalf("%s: %d series, want 2", what, len(got))
		}
		for i, k := range keys {
			if got[i].Tier != inventory.TierHour {
				e.t.Errorf("%s: tier %s, want hour", what, got[i].Tier)
			}
			checkBuckets(e, what+" "+k.EntityID, wantBuckets(pts, k, metricT0, end, time.Hour), got[i].Buckets, false)
		}
	}
	// A 1 h step gives exactly the raw figures: from the rollups before
	// the watermark, from the raw points after it.
	check("1h step after the rollup")
	raw := vmQuery([]string{"vm-1", "vm-2"}, []inventory.Metric{mCPU}, metricT0, end, time.Hour)
	raw.Tier = inventory.TierRaw
	for i, s := range e.queryMetrics(raw) {
		checkBuckets(e, "forced raw tier "+s.EntityID, wantBuckets(pts, keys[i], metricT0, end, time.Hour), s.Buckets, false)
	}
	// Points written past the watermark show at once.
	late := inventory.MetricPoint{MetricKey: keys[0], Time: metricT0.Add(40*time.Hour + 90*time.Second), Value: 5000.5}
	e.writeMetrics([]inventory.MetricPoint{late})
	pts = append(pts, late)
	check("after a point past the watermark")
	// With the raw points before the watermark pruned, the hours before
	// it still come from the rollups.
	pr, err := e.mst().PruneMetrics(e.ctx, &store.PruneMetricsParams{RawBefore: wm})
	e.ok(err, "PruneMetrics")
	if pr.Raw != 2*360 {
		e.t.Errorf("pruned %d raw points, want 720", pr.Raw)
	}
	check("after pruning the raw points behind the watermark")
}

func testMetricHourCombination(e *env) {
	keys := []inventory.MetricKey{mkey("vm-1", mCPU)}
	pts := genPoints(keys, metricT0, 600, 5*time.Minute, true, 6) // 50 h
	e.writeMetrics(pts)
	e.rollup(inventory.TierHour, time.Time{}, metricT0.Add(31*time.Hour))
	hours := wantBuckets(pts, keys[0], metricT0, metricT0.Add(50*time.Hour), time.Hour)
	// 2 h steps: the bucket [30 h, 32 h) combines a rollup with the raw
	// points' hour past the watermark.
	s := oneSeries(e, "2h step", e.queryMetrics(vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, metricT0, metricT0.Add(50*time.Hour), 2*time.Hour)))
	if s.Tier != inventory.TierHour {
		e.t.Errorf("2h step: tier %s, want hour", s.Tier)
	}
	checkBuckets(e, "2h step over the hour tier", regroup(hours, metricT0, 2*time.Hour), s.Buckets, false)
	// 24 h steps from 01:00: 24 hourly buckets each, P95 the 23rd of
	// their P95s.
	from := metricT0.Add(time.Hour)
	s = oneSeries(e, "24h step", e.queryMetrics(vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, from, from.Add(48*time.Hour), 24*time.Hour)))
	want := regroup(hours[1:49], from, 24*time.Hour)
	if s.Tier != inventory.TierHour {
		e.t.Errorf("24h step from 01:00: tier %s, want hour", s.Tier)
	}
	checkBuckets(e, "24h step over the hour tier", want, s.Buckets, false)
	// The raw figures of a day differ from the combined ones (the test
	// data is not degenerate).
	if rawDay := wantBuckets(pts, keys[0], from, from.Add(24*time.Hour), 24*time.Hour)[0]; rawDay.P95 == want[0].P95 {
		e.t.Fatalf("test data: a day's raw P95 equals its combined P95 (%v)", rawDay.P95)
	}
}

func testMetricDayTier(e *env) {
	keys := []inventory.MetricKey{mkey("vm-1", mCPU)}
	pts := genPoints(keys, metricT0, 3*288, 5*time.Minute, true, 7)
	e.writeMetrics(pts)
	res := e.rollup(inventory.TierDay, time.Time{}, metricT0.Add(48*time.Hour+5*time.Hour))
	if !res.From.Equal(metricT0) || !res.To.Equal(metricT0.Add(48*time.Hour)) || res.Buckets != 2 {
		e.t.Errorf("RollupMetrics(day) = %+v, want [%s, +48h), 2 buckets", res, metricT0)
	}
	end := metricT0.Add(72 * time.Hour)
	days := wantBuckets(pts, keys[0], metricT0, end, 24*time.Hour)
	s := oneSeries(e, "24h step", e.queryMetrics(vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, metricT0, end, 24*time.Hour)))
	if s.Tier != inventory.TierDay {
		e.t.Errorf("24h step at midnight: tier %s, want day", s.Tier)
	}
	// Two days from the rollups, the third from the raw points.
	checkBuckets(e, "24h step over the day tier", days, s.Buckets, false)
	q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, metricT0, end, 48*time.Hour)
	q.Tier = inventory.TierDay
	s = oneSeries(e, "48h step", e.queryMetrics(q))
	checkBuckets(e, "48h step over the day tier", regroup(days, metricT0, 48*time.Hour), s.Buckets, false)
	if st := e.tierStats(e.metricStats(metricVC), inventory.TierDay); st.Rows != 2 || !st.Watermark.Equal(metricT0.Add(48*time.Hour)) ||
		!st.Oldest.Equal(metricT0) || !st.Newest.Equal(metricT0.Add(24*time.Hour)) {
		e.t.Errorf("day tier stats %+v", st)
	}
}

// metricView is what a rollup rerun must leave as it is.
func (e *env) metricView(ids []string, end time.Time) string {
	e.t.Helper()
	hour := vmQuery(ids, []inventory.Metric{mCPU, mMem}, metricT0, end, time.Hour)
	hour.Tier = inventory.TierHour
	day := vmQuery(ids, []inventory.Metric{mCPU, mMem}, metricT0, end, 24*time.Hour)
	return fmt.Sprintf("%+v\n%+v\n%+v", statsView(e.metricStats("")), e.queryMetrics(hour), e.queryMetrics(day))
}

func testMetricRollupRerun(e *env) {
	keys := []inventory.MetricKey{mkey("vm-1", mCPU), mkey("vm-2", mMem)}
	pts := genPoints(keys, metricT0, 288, 5*time.Minute, true, 8)
	e.writeMetrics(pts)
	ids, end := []string{"vm-1", "vm-2"}, metricT0.Add(24*time.Hour)
	r1 := e.rollup(inventory.TierHour, time.Time{}, metricT0.Add(12*time.Hour))
	e.rollup(inventory.TierDay, time.Time{}, end)
	before := e.metricView(ids, end)
	r2 := e.rollup(inventory.TierHour, metricT0, metricT0.Add(12*time.Hour))
	e.rollup(inventory.TierDay, metricT0, end)
	if r2.Buckets != r1.Buckets || r1.Buckets != 24 {
		e.t.Errorf("rerun wrote %d buckets, first run %d, want 24 each", r2.Buckets, r1.Buckets)
	}
	if after := e.metricView(ids, end); after != before {
		e.t.Errorf("rerunning the rollups changed the store:\nbefore: %s\nafter:  %s", before, after)
	}
	// A zero From starts at the watermark; From and To are truncated.
	r3 := e.rollup(inventory.TierHour, time.Time{}, metricT0.Add(20*time.Hour+30*time.Minute))
	if !r3.From.Equal(metricT0.Add(12*time.Hour)) || !r3.To.Equal(metricT0.Add(20*time.Hour)) || r3.Buckets != 2*8 || !r3.Watermark.Equal(r3.To) {
		e.t.Errorf("rollup from the watermark: %+v, want [12h, 20h), 16 buckets", r3)
	}
	// An earlier range does not move the watermark back.
	r4 := e.rollup(inventory.TierHour, metricT0.Add(2*time.Hour+10*time.Minute), metricT0.Add(5*time.Hour))
	if !r4.From.Equal(metricT0.Add(2*time.Hour)) || r4.Buckets != 2*3 || !r4.Watermark.Equal(metricT0.Add(20*time.Hour)) {
		e.t.Errorf("rollup of an earlier range: %+v, want From 2h, 6 buckets, watermark 20h", r4)
	}
	if st := e.tierStats(e.metricStats(""), inventory.TierHour); !st.Watermark.Equal(metricT0.Add(20*time.Hour)) || st.Rows != 2*20 {
		e.t.Errorf("hour tier stats %+v, want 40 rows, watermark 20h", st)
	}
}

func testMetricLatePoint(e *env) {
	k := mkey("vm-1", mCPU)
	pts := genPoints([]inventory.MetricKey{k}, metricT0, 288, 5*time.Minute, true, 9)
	e.writeMetrics(pts)
	wm := metricT0.Add(12 * time.Hour)
	e.rollup(inventory.TierHour, time.Time{}, wm)
	q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, metricT0, metricT0.Add(24*time.Hour), time.Hour)
	before := oneSeries(e, "hour query", e.queryMetrics(q)).Buckets
	// A point arrives late, behind the watermark: the hour keeps its
	// rollup until a rollup reruns over it.
	late := inventory.MetricPoint{MetricKey: k, Time: metricT0.Add(5*time.Hour + 17*time.Second), Value: 9999.5}
	e.writeMetrics([]inventory.MetricPoint{late})
	checkBuckets(e, "hour query after a late point", before, oneSeries(e, "hour query", e.queryMetrics(q)).Buckets, false)
	e.rollup(inventory.TierHour, time.Time{}, wm) // from the watermark: nothing
	checkBuckets(e, "hour query after a rollup from the watermark", before, oneSeries(e, "hour query", e.queryMetrics(q)).Buckets, false)
	res := e.rollup(inventory.TierHour, metricT0.Add(5*time.Hour), metricT0.Add(6*time.Hour))
	if res.Buckets != 1 || !res.Watermark.Equal(wm) {
		e.t.Errorf("rerun over the late point's hour: %+v, want 1 bucket, watermark %s", res, wm)
	}
	pts = append(pts, late)
	checkBuckets(e, "hour query after the rerun", wantBuckets(pts, k, metricT0, metricT0.Add(24*time.Hour), time.Hour),
		oneSeries(e, "hour query", e.queryMetrics(q)).Buckets, false)
}

// ---------------------------------------------------------------------------
// Prune, keys, stats

func testMetricPrune(e *env) {
	a, b := mkey("vm-1", mCPU), mkey("vm-2", mCPU)
	ptsA := genPoints([]inventory.MetricKey{a}, metricT0, 576, 5*time.Minute, false, 10) // 2 days
	e.writeMetrics(ptsA)
	e.rollup(inventory.TierHour, time.Time{}, metricT0.Add(48*time.Hour))
	e.rollup(inventory.TierDay, time.Time{}, metricT0.Add(48*time.Hour))
	// b has raw points only, behind the watermarks.
	e.writeMetrics(genPoints([]inventory.MetricKey{b}, metricT0, 72, 5*time.Minute, false, 11))
	rawCut := metricT0.Add(24*time.Hour + 35*time.Minute) // a point of a's
	var wantRaw int64 = 72
	for _, p := range ptsA {
		if p.Time.Before(rawCut) {
			wantRaw++
		}
	}
	res, err := e.mst().PruneMetrics(e.ctx, &store.PruneMetricsParams{RawBefore: rawCut, HourBefore: metricT0.Add(30 * time.Hour), DayBefore: metricT0.Add(24 * time.Hour)})
	e.ok(err, "PruneMetrics")
	if want := (store.PruneMetricsResult{Raw: wantRaw, Hour: 30, Day: 1, Series: 1}); res == nil || *res != want {
		e.t.Errorf("PruneMetrics = %+v, want %+v", res, want)
	}
	st := e.metricStats("")
	raw, hour, day := e.tierStats(st, inventory.TierRaw), e.tierStats(st, inventory.TierHour), e.tierStats(st, inventory.TierDay)
	if st.Series != 1 || raw.Rows != 576-(wantRaw-72) || !raw.Oldest.Equal(rawCut) || hour.Rows != 18 ||
		!hour.Oldest.Equal(metricT0.Add(30*time.Hour)) || day.Rows != 1 || !day.Oldest.Equal(metricT0.Add(24*time.Hour)) {
		e.t.Errorf("stats after prune: %+v (raw %+v, hour %+v, day %+v)", st, raw, hour, day)
	}
	keys, err := e.mst().ListMetricKeys(e.ctx, &store.ListMetricKeysParams{Vcenter: metricVC})
	e.ok(err, "ListMetricKeys")
	checkList(e.t, "series after prune", []inventory.MetricKey{a}, keys)
	// The point exactly at the cutoff stays.
	q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, rawCut, rawCut.Add(time.Minute), time.Minute)
	q.Tier = inventory.TierRaw
	checkBuckets(e, "the point at the raw cutoff", wantBuckets(ptsA, a, rawCut, rawCut.Add(time.Minute), time.Minute), oneSeries(e, "cutoff", e.queryMetrics(q)).Buckets, false)
	// Again: nothing left to delete; zero cutoffs delete nothing.
	for _, p := range []store.PruneMetricsParams{{RawBefore: rawCut, HourBefore: metricT0.Add(30 * time.Hour), DayBefore: metricT0.Add(24 * time.Hour)}, {}} {
		res, err := e.mst().PruneMetrics(e.ctx, &p)
		e.ok(err, "PruneMetrics again")
		if *res != (store.PruneMetricsResult{}) {
			e.t.Errorf("PruneMetrics%s again = %+v, want nothing deleted", describe(&p), res)
		}
	}
	checkEq(e.t, "stats after pruning nothing", statsView(st), statsView(e.metricStats("")))
}

func testMetricListKeys(e *env) {
	var pts []inventory.MetricPoint
	add := func(vc string, et inventory.EntityType, id string, m inventory.Metric) {
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: et, EntityID: id, Metric: m}, Time: metricT0, Value: 1})
	}
	add("vc-a", inventory.EntityVM, "vm-2", mMem)
	add("vc-a", inventory.EntityVM, "vm-2", mCPU)
	add("vc-a", inventory.EntityVM, "vm-10", mCPU)
	add("vc-a", inventory.EntityHost, "host-1", inventory.MetricCPUCapacityMHz)
	add("vc-a", inventory.EntityDatastore, "datastore-1", inventory.MetricDiskUsedPct)
	add("vc-a", inventory.EntityHost, "vm-2", mCPU) // same ID, another type
	add("vc-b", inventory.EntityVM, "vm-2", mCPU)
	e.writeMetrics(pts)
	all := func(keep func(k inventory.MetricKey) bool) []inventory.MetricKey {
		var out []inventory.MetricKey
		for _, p := range pts {
			if keep(p.MetricKey) {
				out = append(out, p.MetricKey)
			}
		}
		slices.SortFunc(out, func(a, b inventory.MetricKey) int {
			return cmp.Or(strings.Compare(a.Vcenter, b.Vcenter), strings.Compare(string(a.EntityType), string(b.EntityType)),
				strings.Compare(a.EntityID, b.EntityID), strings.Compare(string(a.Metric), string(b.Metric)))
		})
		return out
	}
	for _, p := range []store.ListMetricKeysParams{
		{Vcenter: "vc-a"},
		{Vcenter: "vc-b"},
		{Vcenter: "vc-c"},
		{Vcenter: "vc-a", EntityType: inventory.EntityVM},
		{Vcenter: "vc-a", EntityType: inventory.EntityVM, EntityID: "vm-2"},
		{Vcenter: "vc-a", EntityID: "vm-2"},
		{Vcenter: "vc-a", EntityType: inventory.EntityCluster},
	} {
		got, err := e.mst().ListMetricKeys(e.ctx, &p)
		e.ok(err, "ListMetricKeys%s", describe(&p))
		want := all(func(k inventory.MetricKey) bool {
			return k.Vcenter == p.Vcenter && (p.EntityType == "" || k.EntityType == p.EntityType) && (p.EntityID == "" || k.EntityID == p.EntityID)
		})
		checkList(e.t, "ListMetricKeys"+describe(&p), want, got)
	}
}

func testMetricStats(e *env) {
	if st := e.metricStats(""); st.Series != 0 || len(st.Tiers) != 3 || e.tierStats(st, inventory.TierRaw).Rows != 0 ||
		!e.tierStats(st, inventory.TierHour).Oldest.IsZero() || !e.tierStats(st, inventory.TierDay).Watermark.IsZero() {
		e.t.Errorf("stats of an empty store: %+v", st)
	}
	ka, kb := mkey("vm-1", mCPU), mkey("vm-1", mMem)
	kb.Vcenter = "vc-other"
	e.writeMetrics(genPoints([]inventory.MetricKey{ka}, metricT0.Add(time.Hour), 24, 5*time.Minute, false, 12))
	e.writeMetrics(genPoints([]inventory.MetricKey{kb, mkey("vm-2", mMem)}, metricT0, 12, 10*time.Minute, false, 13))
	e.rollup(inventory.TierHour, time.Time{}, metricT0.Add(2*time.Hour+time.Minute))
	st := e.metricStats("")
	raw, hour, day := e.tierStats(st, inventory.TierRaw), e.tierStats(st, inventory.TierHour), e.tierStats(st, inventory.TierDay)
	wantRaw := store.MetricTierStats{Tier: inventory.TierRaw, Rows: 24 + 24, Oldest: metricT0, Newest: metricT0.Add(3*time.Hour - 5*time.Minute), Bytes: raw.Bytes}
	// Hour buckets: ka 01:00 (12 points), kb and vm-2 00:00 and 01:00.
	wantHour := store.MetricTierStats{Tier: inventory.TierHour, Rows: 1 + 2 + 2, Oldest: metricT0, Newest: metricT0.Add(time.Hour), Watermark: metricT0.Add(2 * time.Hour), Bytes: hour.Bytes}
	wantDay := store.MetricTierStats{Tier: inventory.TierDay, Bytes: day.Bytes}
	if st.Series != 3 {
		e.t.Errorf("Series %d, want 3", st.Series)
	}
	checkEq(e.t, "raw tier", wantRaw, raw)
	checkEq(e.t, "hour tier", wantHour, hour)
	checkEq(e.t, "day tier", wantDay, day)
	for _, t := range st.Tiers {
		if t.Bytes < 0 {
			e.t.Errorf("tier %s: Bytes %d", t.Tier, t.Bytes)
		}
	}
	// WatermarksOnly: the same watermarks, nothing counted.
	wmo, err := e.mst().MetricStats(e.ctx, &store.MetricStatsParams{WatermarksOnly: true})
	e.ok(err, "MetricStats(WatermarksOnly)")
	if wmo != nil {
		checkEq(e.t, "watermarks only", []store.MetricTierStats{{Tier: inventory.TierRaw},
			{Tier: inventory.TierHour, Watermark: metricT0.Add(2 * time.Hour)}, {Tier: inventory.TierDay}}, wmo.Tiers)
		if wmo.Series != 0 {
			e.t.Errorf("watermarks only: Series %d, want 0 (not counted)", wmo.Series)
		}
	}
	one := e.metricStats(metricVC)
	if r := e.tierStats(one, inventory.TierRaw); one.Series != 2 || r.Rows != 24+12 || !r.Oldest.Equal(metricT0) {
		e.t.Errorf("stats of %s: %+v (raw %+v)", metricVC, one, r)
	}
	if other := e.metricStats("vc-other"); other.Series != 1 || e.tierStats(other, inventory.TierRaw).Rows != 12 ||
		e.tierStats(other, inventory.TierHour).Rows != 2 {
		e.t.Errorf("stats of vc-other: %+v", other)
	}
}

// ---------------------------------------------------------------------------
// Hostile strings, invalid params

func testMetricHostile(e *env) {
	ids := []string{`'; DROP TABLE metric_points; --`, `<script>alert("x")</script>`, "Ünïcödé 日本 🚀", "=cmd|' /C calc'!A0", `a"b\c`, "tab\tnew\nline", "%_*"}
	vc := `vc'"<b>` + "é"
	var pts []inventory.MetricPoint
	for i, id := range ids {
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: inventory.EntityVM, EntityID: id, Metric: mCPU},
			Time: metricT0.Add(time.Duration(i) * time.Minute), Value: float64(i)})
	}
	e.writeMetrics(pts)
	keys, err := e.mst().ListMetricKeys(e.ctx, &store.ListMetricKeysParams{Vcenter: vc})
	e.ok(err, "ListMetricKeys")
	var want []inventory.MetricKey
	for _, p := range pts {
		want = append(want, p.MetricKey)
	}
	slices.SortFunc(want, func(a, b inventory.MetricKey) int { return strings.Compare(a.EntityID, b.EntityID) })
	checkList(e.t, "hostile keys", want, keys)
	for i, id := range ids {
		got, err := e.mst().ListMetricKeys(e.ctx, &store.ListMetricKeysParams{Vcenter: vc, EntityID: id})
		e.ok(err, "ListMetricKeys(%q)", id)
		checkList(e.t, "keys of "+id, []inventory.MetricKey{pts[i].MetricKey}, got)
	}
	out := e.queryMetrics(store.QueryMetricsParams{Vcenter: vc, EntityType: inventory.EntityVM, EntityIDs: ids, Metrics: []inventory.Metric{mCPU},
		From: metricT0, To: metricT0.Add(time.Hour), Step: time.Hour})
	if len(out) != len(ids) {
		e.t.Fatalf("%d series, want %d", len(out), len(ids))
	}
	for i, s := range out {
		j := slices.Index(ids, s.EntityID)
		if s.MetricKey != want[i] || j < 0 || len(s.Buckets) != 1 || s.Buckets[0].Avg != float64(j) {
			e.t.Errorf("series %d: %+v, want %+v with the value %d", i, s, want[i], j)
		}
	}
	// A LIKE pattern is not a pattern.
	if got, err := e.mst().ListMetricKeys(e.ctx, &store.ListMetricKeysParams{Vcenter: "vc%"}); err != nil || len(got) != 0 {
		e.t.Errorf("ListMetricKeys(vc%%) = %v, %v; want nothing", got, err)
	}
}

func testMetricInvalid(e *env) {
	e.writeMetrics(genPoints([]inventory.MetricKey{mkey("vm-1", mCPU)}, metricT0, 12, 5*time.Minute, false, 14))
	before := e.metricView([]string{"vm-1"}, metricT0.Add(24*time.Hour))
	query := func(f func(q *store.QueryMetricsParams)) func() error {
		q := vmQuery([]string{"vm-1"}, []inventory.Metric{mCPU}, metricT0, metricT0.Add(24*time.Hour), time.Hour)
		f(&q)
		return func() error { _, err := e.mst().QueryMetrics(e.ctx, &q); return err }
	}
	rollup := func(p store.RollupMetricsParams) func() error {
		return func() error { _, err := e.mst().RollupMetrics(e.ctx, &p); return err }
	}
	list := func(p store.ListMetricKeysParams) func() error {
		return func() error { _, err := e.mst().ListMetricKeys(e.ctx, &p); return err }
	}
	many := make([]string, store.MaxMetricEntities+1)
	for i := range many {
		many[i] = fmt.Sprintf("vm-%d", i)
	}
	for _, c := range []struct {
		name, op, field string
		call            func() error
	}{
		{"query without vcenter", "QueryMetrics", "Vcenter", query(func(q *store.QueryMetricsParams) { q.Vcenter = "" })},
		{"query of an unknown type", "QueryMetrics", "EntityType", query(func(q *store.QueryMetricsParams) { q.EntityType = "galaxy" })},
		{"query without entities", "QueryMetrics", "EntityIDs", query(func(q *store.QueryMetricsParams) { q.EntityIDs = nil })},
		{"query of too many entities", "QueryMetrics", "EntityIDs", query(func(q *store.QueryMetricsParams) { q.EntityIDs = many })},
		{"query without metrics", "QueryMetrics", "Metrics", query(func(q *store.QueryMetricsParams) { q.Metrics = nil })},
		{"query of a bad metric", "QueryMetrics", "Metrics[0]", query(func(q *store.QueryMetricsParams) { q.Metrics = []inventory.Metric{"a b"} })},
		{"query without From", "QueryMetrics", "From", query(func(q *store.QueryMetricsParams) { q.From = time.Time{} })},
		{"query without To", "QueryMetrics", "To", query(func(q *store.QueryMetricsParams) { q.To = time.Time{} })},
		{"query with To before From", "QueryMetrics", "To", query(func(q *store.QueryMetricsParams) { q.To = q.From.Add(-time.Hour) })},
		{"query with a step below a minute", "QueryMetrics", "Step", query(func(q *store.QueryMetricsParams) { q.Step = 30 * time.Second })},
		{"query with a fractional step", "QueryMetrics", "Step", query(func(q *store.QueryMetricsParams) { q.Step = time.Minute + time.Millisecond })},
		{"query of too many buckets", "QueryMetrics", "Step", query(func(q *store.QueryMetricsParams) { q.To = q.From.Add(10001 * time.Minute); q.Step = time.Minute })},
		{"query of an unknown tier", "QueryMetrics", "Tier", query(func(q *store.QueryMetricsParams) { q.Tier = "week" })},
		{"query of an unknown combination", "QueryMetrics", "Combine", query(func(q *store.QueryMetricsParams) { q.Combine = "avg" })},
		{"rollup of the raw tier", "RollupMetrics", "Tier", rollup(store.RollupMetricsParams{Tier: inventory.TierRaw, To: metricT0.Add(time.Hour)})},
		{"rollup without To", "RollupMetrics", "To", rollup(store.RollupMetricsParams{Tier: inventory.TierHour})},
		{"rollup with From after To", "RollupMetrics", "From", rollup(store.RollupMetricsParams{Tier: inventory.TierHour, From: metricT0.Add(2 * time.Hour), To: metricT0.Add(time.Hour)})},
		{"keys without vcenter", "ListMetricKeys", "Vcenter", list(store.ListMetricKeysParams{})},
		{"keys of an unknown type", "ListMetricKeys", "EntityType", list(store.ListMetricKeysParams{Vcenter: metricVC, EntityType: "galaxy"})},
		{"stats of a bad vcenter", "MetricStats", "Vcenter", func() error {
			_, err := e.mst().MetricStats(e.ctx, &store.MetricStatsParams{Vcenter: "vc\x00"})
			return err
		}},
	} {
		if ipe := wantInvalid(e.t, c.call(), c.op, c.name); ipe != nil && ipe.Field != c.field {
			e.t.Errorf("%s: Field %q, want %q", c.name, ipe.Field, c.field)
		}
	}
	if after := e.metricView([]string{"vm-1"}, metricT0.Add(24*time.Hour)); after != before {
		e.t.Errorf("invalid calls changed the store:\nbefore: %s\nafter:  %s", before, after)
	}
}
