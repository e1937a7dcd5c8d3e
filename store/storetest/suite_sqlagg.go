package storetest

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The SQLAggregator section: rows computed in the database equal the
// aggregate package's Go builders' rows over the same data (to 1e-9
// relative; sums may differ in the last bits), on random histories with
// mass absences, reappearances, renames and samples without a vm_id.
func sqlAggregatorTests() []test {
	return []test{
		{"DailyAgreesWithGoBuilder", testSQLDaily},
		{"MonthlyAgreesWithGoBuilder", testSQLMonthly},
	}
}

// sqlAggHistory writes a random history of vc-a starting at t0, each
// snapshot reconciled by capture.Reconcile as a capture would be, and
// returns its snapshot times per day and the lifecycle rows.
func (e *env) sqlAggHistory(seed uint64) (map[time.Time][]time.Time, map[string]inventory.Lifecycle) {
	e.t.Helper()
	hist := RandomHistory(rand.New(rand.NewPCG(seed, 17)), "vc-a", t0)
	days := map[time.Time][]time.Time{}
	for _, samples := range hist {
		at := samples[0].SnapshotTime
		e.write(&store.WriteSnapshotParams{Vcenter: "vc-a", SnapshotTime: at, Samples: samples,
			Totals: inventory.ComputeTotals("vc-a", at, samples, nil), RegisteredAt: at})
		_, err := capture.Reconcile(e.ctx, e.st, NoEvents{Name: "vc-a"}, &capture.Result{Endpoint: "vc-a", SnapshotTime: at, Samples: samples}, capture.ReconcileOptions{})
		e.ok(err, "Reconcile @%s", at.Format(time.RFC3339))
		day := inventory.DayOf(at, nil).Start
		days[day] = append(days[day], at)
	}
	lcs := map[string]inventory.Lifecycle{}
	for cursor := ""; ; {
		page, err := e.st.ListLifecycles(e.ctx, &store.ListLifecyclesParams{Vcenter: "vc-a", Cursor: cursor})
		e.ok(err, "ListLifecycles")
		for _, l := range page.Lifecycles {
			lcs[l.VMID] = l
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	return days, lcs
}

// NoEvents is a capture.Source named Name whose endpoint records no
// events and retrieves an empty inventory: what capture.Reconcile needs to
// reconcile stored samples (histories written by tests).
type NoEvents struct{ Name string }

func (s NoEvents) Endpoint() inventory.Endpoint { return inventory.Endpoint{Name: s.Name} }
func (NoEvents) Retrieve(context.Context) (*inventory.State, error) {
	return &inventory.State{}, nil
}
func (NoEvents) Events(context.Context, time.Time, time.Time) ([]capture.VMEvent, error) {
	return nil, nil
}
func (NoEvents) Close(context.Context) error { return nil }

func testSQLDaily(e *env) {
	agg := e.st.(store.SQLAggregator)
	for seed := range uint64(3) {
		st := e.st
		if seed > 0 {
			st = e.newStore(e.t)
			agg = st.(store.SQLAggregator)
		}
		se := *e
		se.st = st
		days, lcs := se.sqlAggHistory(seed)
		for day, times := range days {
			win := inventory.DayOf(day, nil)
			b := aggregate.NewDaily(aggregate.DailyInput{Vcenter: "vc-a", Day: win, SnapshotTimes: times,
				Tiers: inventory.DefaultTierMap(), Lifecycles: lcs})
			e.ok(st.ScanSamples(e.ctx, &store.ScanSamplesParams{Vcenter: "vc-a", From: win.Start, To: win.End}, func(s *inventory.Sample) error {
				b.Add(s)
				return nil
			}), "ScanSamples")
			want := b.Rows()
			got, err := agg.AggregateDaily(e.ctx, &store.AggregateDailyParams{Vcenter: "vc-a", From: win.Start, To: win.End,
				SnapshotTimes: times, TotalSamples: len(times), Tiers: inventory.DefaultTierMap()})
			e.ok(err, "AggregateDaily(%s)", win.Start.Format(time.DateOnly))
			if len(want) == 0 {
				e.t.Fatalf("seed %d, %s: the Go builder made no rows", seed, win.Start.Format(time.DateOnly))
			}
			if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-9, 0), cmpopts.EquateEmpty()); d != "" {
				e.t.Errorf("seed %d, AggregateDaily(%s) differs from the Go builder (-go +sql):\n%s", seed, win.Start.Format(time.DateOnly), d)
			}
		}
	}
}

func testSQLMonthly(e *env) {
	agg := e.st.(store.SQLAggregator)
	days, lcs := e.sqlAggHistory(5)
	month := inventory.MonthOf(t0, nil)
	mb := aggregate.NewMonthly(aggregate.MonthlyInput{Vcenter: "vc-a", Month: month, Lifecycles: lcs})
	total := 0
	for day, times := range days {
		win := inventory.DayOf(day, nil)
		b := aggregate.NewDaily(aggregate.DailyInput{Vcenter: "vc-a", Day: win, SnapshotTimes: times,
			Tiers: inventory.DefaultTierMap(), Lifecycles: lcs})
		e.ok(e.st.ScanSamples(e.ctx, &store.ScanSamplesParams{Vcenter: "vc-a", From: win.Start, To: win.End}, func(s *inventory.Sample) error {
			b.Add(s)
			return nil
		}), "ScanSamples")
		rows := b.Rows()
		e.ok(e.st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: win.Start, Rows: rows}), "WriteDailyRollups")
		mb.AddDayTotal(win.Start, len(times))
		total += len(times)
		for i := range rows {
			mb.Add(&rows[i])
		}
	}
	want := mb.Rows()
	for i := range want { // the caller's part (see store.SQLAggregator)
		want[i].CoverageDays, want[i].DaysInMonth = 0, 0
	}
	got, err := agg.AggregateMonthly(e.ctx, &store.AggregateMonthlyParams{Vcenter: "vc-a", From: month.Start, To: month.End, TotalSamples: total})
	e.ok(err, "AggregateMonthly")
	if len(want) == 0 {
		e.t.Fatal("the Go builder made no monthly rows")
	}
	if d := cmp.Diff(want, got, cmpopts.EquateApprox(1e-9, 0), cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("AggregateMonthly differs from the Go builder (-go +sql):\n%s", d)
	}
}
