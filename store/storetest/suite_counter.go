package storetest

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The SnapshotCounter section: per-period counts agree with the records
// ListSnapshots returns, for irregular bounds (days of 23 and 25 hours),
// more periods than one statement may cover, other kinds and records
// outside the bounds.
func snapshotCounterTests() []test {
	return []test{
		{"AgreesWithListSnapshots", testCountAgrees},
		{"InvalidParams", testCountInvalid},
	}
}

// countRecords registers hourly records of three vCenters at random hours
// over 60 days after t0 (some before and after the range counted later),
// and a daily record at each t0 + n days; the test reads them back with
// ListSnapshots.
func (e *env) countRecords(seed uint64) {
	e.t.Helper()
	r := rand.New(rand.NewPCG(seed, 5))
	for _, vc := range []string{"vc-a", "vc-b", "vc-é'\"<x>"} {
		for h := -48; h < 60*24+48; h++ {
			at := t0.Add(time.Duration(h) * time.Hour)
			rec := inventory.SnapshotRecord{Vcenter: vc, Kind: inventory.Daily, SnapshotTime: at,
				RegisteredAt: at.Add(time.Duration(r.IntN(7200)) * time.Second)}
			if h%24 == 0 {
				e.ok(e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: rec}), "RegisterSnapshot %s", describe(rec))
			}
			if r.IntN(3) == 0 {
				continue
			}
			rec.Kind = inventory.Hourly
			e.ok(e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: rec}), "RegisterSnapshot %s", describe(rec))
		}
	}
}

func testCountAgrees(e *env) {
	e.countRecords(1)
	sc := e.st.(store.SnapshotCounter)
	all, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly})
	e.ok(err, "ListSnapshots")
	for name, bounds := range map[string][]time.Time{
		// Days in a zone with DST (23- and 25-hour days) over the range.
		"days": e.dayBounds("America/New_York", t0.AddDate(0, 0, 1), 58),
		// Hours: more periods than one SQL statement covers.
		"hours": func() []time.Time {
			var b []time.Time
			for h := 0; h <= 1000; h++ {
				b = append(b, t0.Add(time.Duration(h)*time.Hour+30*time.Minute))
			}
			return b
		}(),
		"one period": {t0, t0.AddDate(0, 0, 7)},
	} {
		got, err := sc.CountSnapshots(e.ctx, &store.CountSnapshotsParams{Kind: inventory.Hourly, Bounds: bounds})
		e.ok(err, "CountSnapshots(%s)", name)
		want := countByPeriod(all, bounds)
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			e.t.Errorf("CountSnapshots(%s) differs from counting ListSnapshots (-want +got):\n%s", name, diff)
		}
	}
	// Daily records counted as their own kind.
	got, err := sc.CountSnapshots(e.ctx, &store.CountSnapshotsParams{Kind: inventory.Daily, Bounds: []time.Time{t0, t0.AddDate(0, 0, 10)}})
	e.ok(err, "CountSnapshots(daily)")
	for _, c := range got {
		if c.Count != 10 {
			e.t.Errorf("CountSnapshots(daily, 10 days) for %q = %d, want 10", c.Vcenter, c.Count)
		}
	}
	if len(got) != 3 {
		e.t.Errorf("CountSnapshots(daily) returned %d vCenters, want 3", len(got))
	}
}

// dayBounds returns n+1 midnights in zone name from the day of start.
func (e *env) dayBounds(name string, start time.Time, n int) []time.Time {
	loc, err := time.LoadLocation(name)
	e.ok(err, "LoadLocation(%s)", name)
	d := inventory.DayOf(start, loc).Start
	b := []time.Time{d}
	for range n {
		d = inventory.DayOf(d, loc).End
		b = append(b, d)
	}
	return b
}

// countByPeriod is the reference: the records of recs per vCenter and
// period of bounds.
func countByPeriod(recs []inventory.SnapshotRecord, bounds []time.Time) []store.SnapshotCount {
	var out []store.SnapshotCount
	for i := 0; i+1 < len(bounds); i++ {
		by := map[string]*store.SnapshotCount{}
		var vcs []string
		for _, r := range recs {
			if r.SnapshotTime.Before(bounds[i]) || !r.SnapshotTime.Before(bounds[i+1]) {
				continue
			}
			c := by[r.Vcenter]
			if c == nil {
				c = &store.SnapshotCount{Vcenter: r.Vcenter, Period: i}
				by[r.Vcenter] = c
				vcs = append(vcs, r.Vcenter)
			}
			c.Count++
			if r.RegisteredAt.After(c.NewestRegisteredAt) {
				c.NewestRegisteredAt = r.RegisteredAt
			}
		}
		slices.Sort(vcs)
		for _, vc := range vcs {
			out = append(out, *by[vc])
		}
	}
	return out
}

func testCountInvalid(e *env) {
	sc := e.st.(store.SnapshotCounter)
	for name, p := range map[string]*store.CountSnapshotsParams{
		"nil":           nil,
		"bad kind":      {Kind: "weekly", Bounds: []time.Time{t0, t0.Add(time.Hour)}},
		"one bound":     {Kind: inventory.Hourly, Bounds: []time.Time{t0}},
		"zero bound":    {Kind: inventory.Hourly, Bounds: []time.Time{{}, t0}},
		"not ascending": {Kind: inventory.Hourly, Bounds: []time.Time{t0, t0.Add(time.Hour), t0.Add(time.Hour)}},
	} {
		_, err := sc.CountSnapshots(e.ctx, p)
		wantInvalid(e.t, err, "CountSnapshots", name)
	}
}
