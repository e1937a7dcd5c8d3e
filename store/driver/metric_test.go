package driver_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

var mt0 = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)

func TestSummariseValues(t *testing.T) {
	for _, c := range []struct {
		vals []float64
		want inventory.MetricBucket
	}{
		// sorted 1 1 2 3 3 4 5 5 6 9: sum 39, rank ceil(9.5) = 10.
		{[]float64{3, 1, 4, 1, 5, 9, 2, 6, 5, 3}, inventory.MetricBucket{Count: 10, Avg: 3.9, Max: 9, Min: 1, P95: 9}},
		// 1..20: rank ceil(19) = 19 (0.95 × 20 must not round up to 20).
		{seq(20), inventory.MetricBucket{Count: 20, Avg: 10.5, Max: 20, Min: 1, P95: 19}},
		// 1..21: rank ceil(19.95) = 20.
		{seq(21), inventory.MetricBucket{Count: 21, Avg: 11, Max: 21, Min: 1, P95: 20}},
		// 1..100: rank 95.
		{seq(100), inventory.MetricBucket{Count: 100, Avg: 50.5, Max: 100, Min: 1, P95: 95}},
		{[]float64{-2.5}, inventory.MetricBucket{Count: 1, Avg: -2.5, Max: -2.5, Min: -2.5, P95: -2.5}},
		{nil, inventory.MetricBucket{}},
	} {
		in := append([]float64(nil), c.vals...)
		if got := driver.SummariseValues(c.vals); got != c.want {
			t.Errorf("SummariseValues(%v) = %+v, want %+v", in, got, c.want)
		}
		if !cmp.Equal(in, c.vals) {
			t.Errorf("SummariseValues modified its input")
		}
	}
	// The sum is taken in ascending order, so the order given does not
	// change the average's bits.
	a := driver.SummariseValues([]float64{1e16, 1, -1e16, 1})
	b := driver.SummariseValues([]float64{1, 1, 1e16, -1e16})
	if a != b {
		t.Errorf("order changes the figures: %+v vs %+v", a, b)
	}
	for n, rank := range map[int]int{0: 0, 1: 1, 2: 2, 19: 19, 20: 19, 40: 38, 41: 39, 12: 12} {
		if got := driver.P95Rank(n); got != rank {
			t.Errorf("P95Rank(%d) = %d, want %d", n, got, rank)
		}
	}
}

func seq(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[n-1-i] = float64(i + 1) // descending, to check the sort
	}
	return out
}

func TestCombineAndSumBuckets(t *testing.T) {
	b1 := inventory.MetricBucket{Start: mt0, Count: 2, Avg: 1.5, Max: 2, Min: 1, P95: 2}
	b2 := inventory.MetricBucket{Start: mt0.Add(time.Hour), Count: 4, Avg: 3, Max: 5, Min: 0.5, P95: 5}
	b3 := inventory.MetricBucket{Start: mt0.Add(2 * time.Hour), Count: 1, Avg: 7, Max: 7, Min: 7, P95: 7}
	// (1.5×2 + 3×4) / 6 = 2.5; P95 of {2, 5}: rank 2.
	want := inventory.MetricBucket{Start: mt0, Count: 6, Avg: 2.5, Max: 5, Min: 0.5, P95: 5}
	if got := driver.CombineBuckets(mt0, []inventory.MetricBucket{b1, b2}); got != want {
		t.Errorf("CombineBuckets = %+v, want %+v", got, want)
	}
	// One bucket comes back as it is.
	odd := inventory.MetricBucket{Start: mt0, Count: 3, Avg: 0.1 + 0.2, Max: 1, Min: 0, P95: 1}
	if got := driver.CombineBuckets(mt0, []inventory.MetricBucket{odd}); got != odd {
		t.Errorf("CombineBuckets of one = %+v, want %+v", got, odd)
	}
	// Over 2 h steps from mt0: {b1, b2} and {b3}.
	got := driver.CombineTierBuckets(mt0, 2*time.Hour, []inventory.MetricBucket{b1, b2, b3})
	b3at := b3
	if d := cmp.Diff([]inventory.MetricBucket{want, b3at}, got); d != "" {
		t.Errorf("CombineTierBuckets (-want +got):\n%s", d)
	}
	sum := driver.SumBuckets(mt0, []inventory.MetricBucket{b1, b2})
	if w := (inventory.MetricBucket{Start: mt0, Count: 6, Avg: 4.5, Max: 7, Min: 1.5, P95: 7}); sum != w {
		t.Errorf("SumBuckets = %+v, want %+v", sum, w)
	}
	// SumSeries: series a has buckets at 0 h and 1 h, b at 1 h and 2 h.
	s := driver.SumSeries([][]inventory.MetricBucket{{b1, b2}, {withStart(b1, mt0.Add(time.Hour)), b3}})
	wantS := []inventory.MetricBucket{b1,
		{Start: mt0.Add(time.Hour), Count: 6, Avg: 4.5, Max: 7, Min: 1.5, P95: 7}, b3}
	if d := cmp.Diff(wantS, s); d != "" {
		t.Errorf("SumSeries (-want +got):\n%s", d)
	}
}

func withStart(b inventory.MetricBucket, s time.Time) inventory.MetricBucket { b.Start = s; return b }

func TestBucketArithmetic(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		i    int
		want time.Time
	}{
		{mt0, 0, mt0},
		{mt0.Add(59*time.Minute + 59*time.Second), 0, mt0},
		{mt0.Add(time.Hour), 1, mt0.Add(time.Hour)},
		{mt0.Add(-time.Second), -1, mt0.Add(-time.Hour)},
		{mt0.Add(-time.Hour), -1, mt0.Add(-time.Hour)},
		{mt0.Add(-time.Hour - time.Second), -2, mt0.Add(-2 * time.Hour)},
	} {
		if i := driver.BucketIndex(mt0, time.Hour, c.t); i != c.i {
			t.Errorf("BucketIndex(%s) = %d, want %d", c.t, i, c.i)
		}
		if s := driver.BucketStart(mt0, time.Hour, c.t); !s.Equal(c.want) {
			t.Errorf("BucketStart(%s) = %s, want %s", c.t, s, c.want)
		}
	}
	pts := []driver.MetricValue{{mt0.Add(-time.Second), 100}, {mt0, 1}, {mt0.Add(4 * time.Minute), 3}, {mt0.Add(11 * time.Minute), 5}}
	got := driver.DownsampleValues(mt0, 5*time.Minute, pts)
	want := []inventory.MetricBucket{
		{Start: mt0, Count: 2, Avg: 2, Max: 3, Min: 1, P95: 3},
		{Start: mt0.Add(10 * time.Minute), Count: 1, Avg: 5, Max: 5, Min: 5, P95: 5},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DownsampleValues (-want +got):\n%s", d)
	}
}

func TestPrepareWriteMetrics(t *testing.T) {
	key := inventory.MetricKey{Vcenter: "vc", EntityType: inventory.EntityVM, EntityID: "vm-1", Metric: inventory.MetricCPUUsagePct}
	ok := inventory.MetricPoint{MetricKey: key, Time: mt0.Add(1500 * time.Millisecond).In(time.FixedZone("X", 3600)), Value: 1}
	pts, err := driver.PrepareWriteMetrics(&store.WriteMetricsParams{Points: []inventory.MetricPoint{ok}})
	if err != nil {
		t.Fatal(err)
	}
	if at := pts[0].Time; !at.Equal(mt0.Add(time.Second)) || at.Location() != time.UTC {
		t.Errorf("time %s, want %s UTC", at, mt0.Add(time.Second))
	}
	for _, c := range []struct {
		mut   func(p *inventory.MetricPoint)
		field string
	}{
		{func(p *inventory.MetricPoint) { p.Value = math.NaN() }, "Points[1].Value"},
		{func(p *inventory.MetricPoint) { p.Value = math.Inf(-1) }, "Points[1].Value"},
		{func(p *inventory.MetricPoint) { p.Time = time.Time{} }, "Points[1].Time"},
		{func(p *inventory.MetricPoint) { p.Vcenter = "" }, "Points[1].Vcenter"},
		{func(p *inventory.MetricPoint) { p.EntityID = "a\x00b" }, "Points[1].EntityID"},
		{func(p *inventory.MetricPoint) { p.EntityType = "planet" }, "Points[1].EntityType"},
		{func(p *inventory.MetricPoint) { p.Metric = "cpu usage" }, "Points[1].Metric"},
	} {
		bad := ok
		c.mut(&bad)
		_, err := driver.PrepareWriteMetrics(&store.WriteMetricsParams{Points: []inventory.MetricPoint{ok, bad, ok}})
		if f := invalidField(t, err, "WriteMetrics"); f != c.field {
			t.Errorf("field %q, want %q (%v)", f, c.field, err)
		}
	}
}

func invalidField(t *testing.T, err error, op string) string {
	t.Helper()
	var ip *store.InvalidParamsError
	if !errors.As(err, &ip) {
		t.Errorf("got %v, want *InvalidParamsError", err)
		return ""
	}
	if ip.Op != op {
		t.Errorf("Op %q, want %q", ip.Op, op)
	}
	return ip.Field
}

func TestPrepareQueryMetrics(t *testing.T) {
	midnight := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	base := func() *store.QueryMetricsParams {
		return &store.QueryMetricsParams{Vcenter: "vc", EntityType: inventory.EntityVM, EntityIDs: []string{"vm-2", "vm-1", "vm-2"},
			Metrics: []inventory.Metric{"b", "a"}, From: mt0, To: mt0.Add(24 * time.Hour), Step: time.Hour}
	}
	q, err := driver.PrepareQueryMetrics(base())
	if err != nil {
		t.Fatal(err)
	}
	if q.Tier != inventory.TierHour || q.Buckets != 24 || !cmp.Equal(q.EntityIDs, []string{"vm-1", "vm-2"}) || !cmp.Equal(q.Metrics, []inventory.Metric{"a", "b"}) {
		t.Errorf("query %+v", q)
	}
	for _, c := range []struct {
		from time.Time
		step time.Duration
		tier inventory.MetricTier
		n    int
	}{
		{mt0, time.Hour, inventory.TierHour, 24},
		{mt0.Add(time.Minute), time.Hour, inventory.TierRaw, 24},
		{mt0, 90 * time.Minute, inventory.TierRaw, 16},
		{mt0, 24 * time.Hour, inventory.TierHour, 1},
		{midnight, 24 * time.Hour, inventory.TierDay, 2},
		{midnight, 2 * time.Hour, inventory.TierHour, 17},
		{mt0, 7 * time.Minute, inventory.TierRaw, 206}, // 1440/7 = 205.7
	} {
		p := base()
		p.From, p.Step = c.from, c.step
		q, err := driver.PrepareQueryMetrics(p)
		if err != nil {
			t.Fatalf("%s step %s: %v", c.from, c.step, err)
		}
		if q.Tier != c.tier || q.Buckets != c.n {
			t.Errorf("%s step %s: tier %s, %d buckets; want %s, %d", c.from, c.step, q.Tier, q.Buckets, c.tier, c.n)
		}
	}
	for _, c := range []struct {
		mut   func(p *store.QueryMetricsParams)
		field string
	}{
		{func(p *store.QueryMetricsParams) { p.Vcenter = "" }, "Vcenter"},
		{func(p *store.QueryMetricsParams) { p.EntityType = "" }, "EntityType"},
		{func(p *store.QueryMetricsParams) { p.EntityIDs = nil }, "EntityIDs"},
		{func(p *store.QueryMetricsParams) { p.EntityIDs = make([]string, store.MaxMetricEntities+1) }, "EntityIDs"},
		{func(p *store.QueryMetricsParams) { p.EntityIDs = []string{"a", ""} }, "EntityIDs[1]"},
		{func(p *store.QueryMetricsParams) { p.Metrics = nil }, "Metrics"},
		{func(p *store.QueryMetricsParams) { p.Metrics = []inventory.Metric{"a", "b c"} }, "Metrics[1]"},
		{func(p *store.QueryMetricsParams) { p.From = time.Time{} }, "From"},
		{func(p *store.QueryMetricsParams) { p.To = time.Time{} }, "To"},
		{func(p *store.QueryMetricsParams) { p.To = p.From }, "To"},
		{func(p *store.QueryMetricsParams) { p.Step = 59 * time.Second }, "Step"},
		{func(p *store.QueryMetricsParams) { p.Step = time.Minute + time.Millisecond }, "Step"},
		{func(p *store.QueryMetricsParams) { p.To = p.From.Add(10001 * time.Minute); p.Step = time.Minute }, "Step"},
		{func(p *store.QueryMetricsParams) { p.Tier = "week" }, "Tier"},
		{func(p *store.QueryMetricsParams) { p.Tier = inventory.TierDay }, "Tier"},
		{func(p *store.QueryMetricsParams) { p.Tier = inventory.TierHour; p.Step = 30 * time.Minute }, "Tier"},
		{func(p *store.QueryMetricsParams) { p.Tier = inventory.TierHour; p.From = p.From.Add(time.Minute) }, "Tier"},
		{func(p *store.QueryMetricsParams) { p.Combine = "avg" }, "Combine"},
	} {
		p := base()
		c.mut(p)
		_, err := driver.PrepareQueryMetrics(p)
		if f := invalidField(t, err, "QueryMetrics"); f != c.field {
			t.Errorf("field %q, want %q (%v)", f, c.field, err)
		}
	}
	// Exactly MaxMetricBuckets is allowed; a forced raw tier always fits.
	p := base()
	p.To, p.Step, p.Tier = p.From.Add(10000*time.Minute), time.Minute, inventory.TierRaw
	if q, err := driver.PrepareQueryMetrics(p); err != nil || q.Buckets != 10000 || q.Tier != inventory.TierRaw {
		t.Errorf("10000 buckets: %+v, %v", q, err)
	}
}

func TestRollupRange(t *testing.T) {
	wm := mt0.Add(3 * time.Hour)
	for _, c := range []struct {
		tier             inventory.MetricTier
		from, to         time.Time
		wm, oldest       time.Time
		wantFrom, wantTo time.Time
	}{
		{inventory.TierHour, mt0.Add(10 * time.Minute), mt0.Add(5*time.Hour + time.Minute), time.Time{}, time.Time{}, mt0, mt0.Add(5 * time.Hour)},
		{inventory.TierHour, time.Time{}, mt0.Add(5 * time.Hour), wm, mt0, wm, mt0.Add(5 * time.Hour)},
		{inventory.TierHour, time.Time{}, mt0.Add(5 * time.Hour), time.Time{}, mt0.Add(7 * time.Minute), mt0, mt0.Add(5 * time.Hour)},
		{inventory.TierHour, time.Time{}, mt0.Add(5 * time.Hour), time.Time{}, time.Time{}, mt0.Add(5 * time.Hour), mt0.Add(5 * time.Hour)},
		{inventory.TierHour, time.Time{}, mt0, wm, time.Time{}, mt0, mt0},
		{inventory.TierDay, time.Time{}, mt0.Add(48 * time.Hour), time.Time{}, mt0, time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 3, 0, 0, 0, 0, time.UTC)},
	} {
		f, to := driver.RollupRange(&store.RollupMetricsParams{Tier: c.tier, From: c.from, To: c.to}, c.wm, c.oldest)
		if !f.Equal(c.wantFrom) || !to.Equal(c.wantTo) {
			t.Errorf("%+v: [%s, %s), want [%s, %s)", c, f, to, c.wantFrom, c.wantTo)
		}
	}
	for _, c := range []struct {
		p     *store.RollupMetricsParams
		field string
	}{
		{nil, "params"},
		{&store.RollupMetricsParams{Tier: inventory.TierRaw, To: mt0}, "Tier"},
		{&store.RollupMetricsParams{Tier: inventory.TierHour}, "To"},
		{&store.RollupMetricsParams{Tier: inventory.TierHour, From: mt0.Add(time.Hour), To: mt0}, "From"},
	} {
		if f := invalidField(t, driver.ValidateRollupMetrics(c.p), "RollupMetrics"); f != c.field {
			t.Errorf("field %q, want %q", f, c.field)
		}
	}
	if !driver.RollupWatermark(wm, mt0).Equal(wm) || !driver.RollupWatermark(mt0, wm).Equal(wm) {
		t.Error("RollupWatermark moved backwards")
	}
}

func TestValidateMetricLists(t *testing.T) {
	for _, c := range []struct {
		p     *store.ListMetricKeysParams
		field string
	}{
		{nil, "params"},
		{&store.ListMetricKeysParams{}, "Vcenter"},
		{&store.ListMetricKeysParams{Vcenter: "vc", EntityType: "x"}, "EntityType"},
		{&store.ListMetricKeysParams{Vcenter: "vc", EntityID: "\xff"}, "EntityID"},
	} {
		if f := invalidField(t, driver.ValidateListMetricKeys(c.p), "ListMetricKeys"); f != c.field {
			t.Errorf("field %q, want %q", f, c.field)
		}
	}
	p, err := driver.ValidatePruneMetrics(&store.PruneMetricsParams{RawBefore: mt0.Add(500 * time.Millisecond), HourBefore: mt0})
	if err != nil || !p.RawBefore.Equal(mt0.Add(time.Second)) || !p.HourBefore.Equal(mt0) || !p.DayBefore.IsZero() {
		t.Errorf("ValidatePruneMetrics = %+v, %v", p, err)
	}
}
