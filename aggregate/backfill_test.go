package aggregate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
	"github.com/accessvault/vinventory/store/storetest"
)

// bfStart is the first hour of the backfill histories: three days across
// a month boundary.
var bfStart = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)

const bfHours = 72

// bfAt is the snapshot time of vc at hour h: a few seconds past the hour,
// as real captures are stamped, and different per vCenter, so both
// vCenters' rows share each minute-named hourly compatibility table.
func bfAt(vc string, h int) time.Time {
	off := 4 * time.Second
	if vc == "vc-b" {
		off = 17 * time.Second
	}
	return bfStart.Add(time.Duration(h)*time.Hour + off)
}

// bfSamples returns the samples of vc at hour h of a deterministic history
// with churn (late births, deletions, a VM absent for a few hours that
// comes back), resizes and pool moves.
func bfSamples(vc string, h int) []inventory.Sample {
	rng := rand.New(rand.NewSource(int64(h)*7 + int64(len(vc))))
	pools := []string{"Resources/Tin", "Resources/Bronze", "Resources/Silver", "Resources/Gold", "Resources"}
	var out []inventory.Sample
	for i := 0; i < 8; i++ {
		switch {
		case i == 1 && h < 20, // born late
			i == 2 && h >= 40,           // deleted
			i == 3 && h >= 10 && h < 14, // absent for four hours, back
			vc == "vc-b" && i >= 5:
			continue
		}
		var created time.Time
		if i%3 != 0 {
			created = bfStart.Add(-time.Duration(24*(i+1)) * time.Hour)
		}
		out = append(out, inventory.Sample{Vcenter: vc, SnapshotTime: bfAt(vc, h),
			VMID: fmt.Sprintf("vm-%d", i), VMUUID: fmt.Sprintf("uuid-%s-%d", vc, i), Name: fmt.Sprintf("%s-%d", vc, i),
			Cluster: "C1", Host: "esx-1", ResourcePool: pools[(i+h/11)%len(pools)], PowerState: inventory.PoweredOn,
			VCPUCount: 1 + (i+h/17)%4, RAMMB: int64(1024 * (1 + (i+h/23)%3)), ProvisionedDiskGB: float64(10 * (i + 1)),
			UsedDiskGB: float64(rng.Intn(10)), CreationTime: created})
	}
	return out
}

// bfLifecycles computes the lifecycle rows of the history by hand (§3):
// first/last seen, creation from the earliest createDate, deletion at the
// first snapshot after last_seen.
func bfLifecycles(vc string) []inventory.Lifecycle {
	m := map[string]*inventory.Lifecycle{}
	var ids []string
	for h := 0; h < bfHours; h++ {
		for _, s := range bfSamples(vc, h) {
			l, ok := m[s.VMID]
			if !ok {
				l = &inventory.Lifecycle{Vcenter: vc, VMID: s.VMID, FirstSeen: s.SnapshotTime, CreationSource: inventory.SourceNone}
				m[s.VMID] = l
				ids = append(ids, s.VMID)
			}
			l.LastSeen, l.VMUUID, l.Name = s.SnapshotTime, s.VMUUID, s.Name
			if !s.CreationTime.IsZero() {
				l.CreationTime, l.CreationSource = s.CreationTime, inventory.SourceConfig
			}
		}
	}
	var out []inventory.Lifecycle
	for _, id := range ids {
		l := m[id]
		if next := l.LastSeen.Add(time.Hour); next.Before(bfStart.Add(bfHours * time.Hour)) {
			l.Deleted, l.DeletionTime, l.DeletionSource = true, next, inventory.SourceAbsence
		}
		out = append(out, *l)
	}
	return out
}

// bfClock is "now" for the backfill tests: after both months of the history
// ended, so every period is complete.
func bfClock() time.Time { return bfStart.AddDate(0, 2, 0) }

// bfOriginal writes the full history the normal way and aggregates it.
func bfOriginal(t *testing.T, st store.Store) {
	bfWrite(t, st)
	bfAggregate(t, st, bfHours/24)
}

// bfWrite writes the history's snapshots and lifecycle rows.
func bfWrite(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, vc := range []string{"vc-a", "vc-b"} {
		for h := 0; h < bfHours; h++ {
			s := bfAt(vc, h)
			samples := bfSamples(vc, h)
			if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: s, Samples: samples,
				Totals: inventory.ComputeTotals(vc, s, samples, nil), Compat: true, RegisteredAt: bfClock()}); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: vc, SnapshotTime: bfAt(vc, bfHours-1),
			Lifecycles: bfLifecycles(vc)}); err != nil {
			t.Fatal(err)
		}
	}
}

// bfAggregate aggregates the first days of the history, then both months.
func bfAggregate(t *testing.T, st store.Store, days int) {
	t.Helper()
	ctx := context.Background()
	opts := aggregate.Options{Clock: bfClock}
	for d := 0; d < days; d++ {
		if _, err := aggregate.Daily(ctx, st, bfStart.AddDate(0, 0, d), opts); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []time.Time{bfStart, bfStart.AddDate(0, 0, 2)} {
		if _, err := aggregate.Monthly(ctx, st, m, opts); err != nil {
			t.Fatal(err)
		}
	}
}

// bfDamaged writes only the hourly compatibility tables: the canonical
// rows are gone.
func bfDamaged(t *testing.T, st store.Store) {
	t.Helper()
	for _, vc := range []string{"vc-a", "vc-b"} {
		for h := 0; h < bfHours; h++ {
			s := bfAt(vc, h)
			if err := st.(store.CompatTables).WriteCompatHourly(context.Background(), &store.WriteCompatHourlyParams{Vcenter: vc, SnapshotTime: s, Samples: bfSamples(vc, h)}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// onlyVcenter keeps the parts of c that belong to vc.
func onlyVcenter(c *storetest.Contents, vc string) *storetest.Contents {
	return &storetest.Contents{
		Samples:        ofVcenter(c.Samples, vc, func(x inventory.Sample) string { return x.Vcenter }),
		Lifecycles:     ofVcenter(c.Lifecycles, vc, func(x inventory.Lifecycle) string { return x.Vcenter }),
		DailyRollups:   ofVcenter(c.DailyRollups, vc, func(x inventory.DailyRollup) string { return x.Vcenter }),
		MonthlyRollups: ofVcenter(c.MonthlyRollups, vc, func(x inventory.MonthlyRollup) string { return x.Vcenter }),
		Totals:         ofVcenter(c.Totals, vc, func(x inventory.Totals) string { return x.Vcenter }),
		Snapshots:      ofVcenter(c.Snapshots, vc, func(x inventory.SnapshotRecord) string { return x.Vcenter }),
	}
}

// ofVcenter returns the elements of xs whose vCenter is vc.
func ofVcenter[T any](xs []T, vc string, vcOf func(T) string) []T {
	var out []T
	for _, x := range xs {
		if vcOf(x) == vc {
			out = append(out, x)
		}
	}
	return out
}

func TestRepairFromCompatTables(t *testing.T) {
	// Registry durations measure the run (on the monotonic clock), so
	// two runs differ in them and in nothing else.
	approx := cmp.Options{cmpopts.EquateApprox(1e-9, 0), cmpopts.IgnoreFields(inventory.SnapshotRecord{}, "Duration")}
	testbackends.ForEach(t, func(t *testing.T, orig store.Store) {
		ctx := context.Background()
		bfOriginal(t, orig)
		want := storetest.Dump(t, orig)
		if len(want.MonthlyRollups) == 0 || len(want.Lifecycles) == 0 {
			t.Fatal("original history has no monthly rows or lifecycles")
		}
		for _, action := range []aggregate.Action{aggregate.ActionRepair, aggregate.ActionBackfill} {
			t.Run(string(action), func(t *testing.T) {
				st := freshLike(t, orig)
				bfDamaged(t, st)
				var calls []aggregate.Progress
				opts := aggregate.BackfillOptions{From: bfStart, To: bfStart.AddDate(0, 0, 2), Granularity: inventory.Monthly,
					Vcenters: []string{"vc-a"}, Action: action, Aggregate: aggregate.Options{Clock: bfClock},
					Progress: func(p aggregate.Progress) { calls = append(calls, p) }}
				// One vCenter: vc-a is rebuilt, vc-b left untouched.
				res, err := aggregate.Backfill(ctx, st, opts)
				if err != nil {
					t.Fatal(err)
				}
				if res.ImportedSnapshots != bfHours || res.ImportedSamples == 0 {
					t.Fatalf("imported %d snapshots (%d samples), want %d", res.ImportedSnapshots, res.ImportedSamples, bfHours)
				}
				got := storetest.Dump(t, st)
				if d := cmp.Diff(onlyVcenter(want, "vc-a"), onlyVcenter(got, "vc-a"), approx); d != "" {
					t.Fatalf("vc-a after %s differs from the original (-want +got):\n%s", action, d)
				}
				if b := onlyVcenter(got, "vc-b"); len(b.Samples)+len(b.DailyRollups)+len(b.Lifecycles)+len(b.Snapshots) != 0 {
					t.Fatalf("vc-b was touched by a vc-a run: %d samples, %d daily rows, %d lifecycles, %d registry records",
						len(b.Samples), len(b.DailyRollups), len(b.Lifecycles), len(b.Snapshots))
				}
				checkProgress(t, calls)
				// Every vCenter: the whole store equals the original.
				opts.Vcenters, calls = nil, nil
				if _, err := aggregate.Backfill(ctx, st, opts); err != nil {
					t.Fatal(err)
				}
				checkProgress(t, calls)
				got = storetest.Dump(t, st)
				if d := cmp.Diff(want, got, approx); d != "" {
					t.Fatalf("store after %s differs from the original (-want +got):\n%s", action, d)
				}
				// A re-run changes nothing.
				res, err = aggregate.Backfill(ctx, st, opts)
				if err != nil {
					t.Fatal(err)
				}
				if res.ImportedSnapshots != 0 || res.Lifecycles != 0 {
					t.Fatalf("re-run imported %d snapshots and wrote %d lifecycles, want none", res.ImportedSnapshots, res.Lifecycles)
				}
				if action == aggregate.ActionBackfill && (res.Skipped == 0 || len(res.Daily) != 0) {
					t.Fatalf("backfill re-run: skipped %d, ran %d days; want every period skipped", res.Skipped, len(res.Daily))
				}
				if d := cmp.Diff(got, storetest.Dump(t, st), approx); d != "" {
					t.Fatalf("re-run changed the store:\n%s", d)
				}
			})
		}
		// Rebuild on the original recomputes the same rows.
		res, err := aggregate.Rebuild(ctx, orig.(aggregate.BackfillStore), aggregate.BackfillOptions{From: bfStart, To: bfStart.AddDate(0, 0, 2),
			Granularity: inventory.Monthly, Aggregate: aggregate.Options{Clock: bfClock, Mode: aggregate.ModeLegacy}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Daily) != 3 || len(res.Monthly) != 2 || res.ImportedSnapshots != 0 {
			t.Fatalf("rebuild ran %d days, %d months, imported %d; want 3, 2, 0", len(res.Daily), len(res.Monthly), res.ImportedSnapshots)
		}
		if d := cmp.Diff(want, storetest.Dump(t, orig), approx); d != "" {
			t.Fatalf("rebuild (legacy mode) changed the store:\n%s", d)
		}
	})
}

// checkProgress: within each stage Done counts 1, 2, ... up to Total.
func checkProgress(t *testing.T, calls []aggregate.Progress) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("Progress was never called")
	}
	last := map[aggregate.Stage]int{}
	for _, p := range calls {
		if p.Done != last[p.Stage]+1 || p.Done > p.Total {
			t.Fatalf("progress %+v after %d in stage %s", p, last[p.Stage], p.Stage)
		}
		last[p.Stage] = p.Done
	}
	for stage, n := range last {
		for _, p := range calls {
			if p.Stage == stage && p.Total != n {
				t.Fatalf("stage %s ended at %d of %d", stage, n, p.Total)
			}
		}
	}
	for _, stage := range []aggregate.Stage{aggregate.StageImport, aggregate.StageDaily, aggregate.StageMonthly} {
		if last[stage] == 0 {
			t.Fatalf("no progress reported for stage %s", stage)
		}
	}
}

func TestBackfillOptionErrors(t *testing.T) {
	st := memstoreNew()
	ctx := context.Background()
	for name, o := range map[string]aggregate.BackfillOptions{
		"no From":      {},
		"bad action":   {From: bfStart, Action: "fix"},
		"bad gran":     {From: bfStart, Granularity: inventory.Hourly},
		"To <= From":   {From: bfStart, To: bfStart.Add(-time.Hour)},
		"empty vc":     {From: bfStart, Vcenters: []string{""}},
		"bad mode":     {From: bfStart, Aggregate: aggregate.Options{Mode: "fast"}},
		"sql+hourly":   {From: bfStart, Granularity: inventory.Monthly, Aggregate: aggregate.Options{Mode: aggregate.ModeSQL, MonthlyGranularity: inventory.Hourly}},
		"sql on mem":   {From: bfStart, Aggregate: aggregate.Options{Mode: aggregate.ModeSQL}},
		"bad monthlyG": {From: bfStart, Aggregate: aggregate.Options{MonthlyGranularity: "weekly"}},
		"guard > 1":    {From: bfStart, DeletionGuardFraction: 1.5},
		"guard < 0":    {From: bfStart, DeletionGuardFraction: -0.1},
		"guard min":    {From: bfStart, DeletionGuardMinVMs: -1},
	} {
		_, err := aggregate.Backfill(ctx, st, o)
		var oe *aggregate.OptionError
		switch {
		case err == nil:
			t.Errorf("%s: no error", name)
		case name == "sql+hourly" || name == "sql on mem":
			if !errors.Is(err, store.ErrUnsupported) {
				t.Errorf("%s: %v, want ErrUnsupported", name, err)
			}
		case !errors.As(err, &oe):
			t.Errorf("%s: %v is not an *OptionError", name, err)
		}
	}
}

// TestBackfillMassAbsenceGuard: lifecycles derived from samples follow
// Reconcile's mass-absence guard (SEMANTICS §3). A last snapshot lacking
// most VMs infers no deletion; the next snapshot decides, with the
// deletion at the first absent snapshot; an ordinary absence deletes.
func TestBackfillMassAbsenceGuard(t *testing.T) {
	ctx := context.Background()
	st := memstoreNew()
	write := func(vc string, h int, vms []int) {
		t.Helper()
		at := bfStart.Add(time.Duration(h) * time.Hour)
		var samples []inventory.Sample
		for _, i := range vms {
			samples = append(samples, inventory.Sample{Vcenter: vc, SnapshotTime: at, VMID: fmt.Sprintf("vm-%d", i),
				VMUUID: fmt.Sprintf("uuid-%d", i), Name: fmt.Sprintf("%s-%d", vc, i), PowerState: inventory.PoweredOn, VCPUCount: 1, RAMMB: 1024})
		}
		if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at, Samples: samples,
			Totals: inventory.ComputeTotals(vc, at, samples, nil), RegisteredAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}
	for h := 0; h < 4; h++ {
		write("vc-mass", h, all)
		write("vc-few", h, all)
		write("vc-loose", h, all)
	}
	write("vc-mass", 4, []int{0, 1, 2})                     // 9 of 12 absent: guarded
	write("vc-few", 4, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) // 2 of 12 absent: deleted
	write("vc-loose", 4, []int{0, 1, 2})                    // 9 of 12, but a guard of 0.8
	deleted := func(vc string) map[string]time.Time {
		t.Helper()
		page, err := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: vc})
		if err != nil {
			t.Fatal(err)
		}
		rows := page.Lifecycles
		if len(rows) != 12 {
			t.Fatalf("%s: %d lifecycle rows, want 12", vc, len(rows))
		}
		out := map[string]time.Time{}
		for _, l := range rows {
			if l.Deleted {
				if l.DeletionSource != inventory.SourceAbsence {
					t.Errorf("%s %s: deletion source %q, want absence", vc, l.VMID, l.DeletionSource)
				}
				out[l.VMID] = l.DeletionTime
			}
		}
		return out
	}
	run := func(action aggregate.Action, vcs []string, fraction float64) {
		t.Helper()
		if _, err := aggregate.Backfill(ctx, st, aggregate.BackfillOptions{From: bfStart, Action: action, Vcenters: vcs,
			DeletionGuardFraction: fraction, Aggregate: aggregate.Options{Clock: bfClock}}); err != nil {
			t.Fatal(err)
		}
	}
	run(aggregate.ActionRepair, []string{"vc-mass", "vc-few"}, 0)
	run(aggregate.ActionRepair, []string{"vc-loose"}, 0.8)
	h4 := bfStart.Add(4 * time.Hour)
	if d := deleted("vc-mass"); len(d) != 0 {
		t.Fatalf("vc-mass: deletions %v inferred at a mass-absence snapshot", d)
	}
	if d := deleted("vc-few"); len(d) != 2 || !d["vm-10"].Equal(h4) || !d["vm-11"].Equal(h4) {
		t.Fatalf("vc-few: deletions %v, want vm-10 and vm-11 at %s", d, h4)
	}
	if d := deleted("vc-loose"); len(d) != 9 {
		t.Fatalf("vc-loose (guard fraction 0.8): %d deletions, want 9", len(d))
	}
	// The next snapshot decides: vm-4 is back, the other eight are deleted
	// at the first snapshot they were absent from.
	write("vc-mass", 5, []int{0, 1, 2, 4})
	run(aggregate.ActionRepair, []string{"vc-mass"}, 0)
	d := deleted("vc-mass")
	if len(d) != 8 {
		t.Fatalf("vc-mass after the next snapshot: deletions %v, want 8", d)
	}
	for id, at := range d {
		if id == "vm-4" || !at.Equal(h4) {
			t.Errorf("vc-mass: %s deleted at %s, want every VM but vm-4 deleted at %s", id, at, h4)
		}
	}
}

func memstoreNew() *memstore.Store { return memstore.New(memstore.Options{}) }

var freshSeq atomic.Int64

// freshLike returns a new, empty store of the same backend as st.
func freshLike(t *testing.T, st store.Store) store.Store {
	t.Helper()
	ctx := context.Background()
	switch st.Capabilities().Backend {
	case "memory":
		return memstoreNew()
	case "sqlite":
		s, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "fresh.db"), sqlitestore.Options{AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	case "postgres":
		schema := fmt.Sprintf("agg_fresh_%d_%d", os.Getpid(), freshSeq.Add(1))
		s, err := pgstore.Open(ctx, os.Getenv("VINVENTORY_TEST_PG_DSN"), pgstore.Options{Schema: schema, AutoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			s.Pool().Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
			s.Close()
		})
		return s
	}
	t.Fatalf("unknown backend %q", st.Capabilities().Backend)
	return nil
}

// TestBackfillMissingDayRefreshesMonth: a month aggregated while one of its
// days was not is recomputed when backfill aggregates that day; a month
// with nothing missing is skipped.
func TestBackfillMissingDayRefreshesMonth(t *testing.T) {
	// Registry durations measure the run (on the monotonic clock), so
	// two runs differ in them and in nothing else.
	approx := cmp.Options{cmpopts.EquateApprox(1e-9, 0), cmpopts.IgnoreFields(inventory.SnapshotRecord{}, "Duration")}
	testbackends.ForEach(t, func(t *testing.T, orig store.Store) {
		bfOriginal(t, orig)
		want := storetest.Dump(t, orig)
		st := freshLike(t, orig)
		bfWrite(t, st)
		bfAggregate(t, st, 2) // Oct 31, Nov 1; Nov 2 missing, November aggregated without it
		if d := cmp.Diff(want.MonthlyRollups, storetest.Dump(t, st).MonthlyRollups, approx); d == "" {
			t.Fatal("November without Nov 2 equals the full November: the test proves nothing")
		}
		res, err := aggregate.Backfill(context.Background(), st, aggregate.BackfillOptions{From: bfStart, To: bfStart.AddDate(0, 0, 2),
			Granularity: inventory.Monthly, Aggregate: aggregate.Options{Clock: bfClock}})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Daily) != 1 || len(res.Monthly) != 1 || !res.Monthly[0].Period.Start.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("ran %d days and months %+v; want Nov 2 and November only", len(res.Daily), res.Monthly)
		}
		if d := cmp.Diff(want, storetest.Dump(t, st), approx); d != "" {
			t.Fatalf("after backfill (-want +got):\n%s", d)
		}
	})
}
