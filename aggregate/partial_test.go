package aggregate_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/storetest"
)

// TestPartialPeriodRefusedOrMarked (SEMANTICS §5): aggregating a day (or
// month, or a backfill range) that has not ended is refused with an
// *IncompleteError and writes nothing; asked for, the result is marked
// partial in the registry and every row.
func TestPartialPeriodRefusedOrMarked(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		now := day.Add(10*time.Hour + 19*time.Minute) // 19 minutes after the last capture
		for h := range 11 {
			at := day.Add(time.Duration(h) * time.Hour)
			p := storetest.Snapshot("vc1", at, 5, int64(h))
			if _, err := st.WriteSnapshot(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		clock := func() time.Time { return now }
		before := storetest.Dump(t, st)
		var ie *aggregate.IncompleteError
		_, err := aggregate.Daily(ctx, st, day, aggregate.Options{Clock: clock})
		if !errors.As(err, &ie) || !errors.Is(err, aggregate.ErrPeriodIncomplete) || ie.Granularity != inventory.Daily {
			t.Fatalf("Daily of today: err = %v, want an *IncompleteError", err)
		}
		_, err = aggregate.Monthly(ctx, st, day, aggregate.Options{Clock: clock})
		if !errors.As(err, &ie) || ie.Granularity != inventory.Monthly {
			t.Fatalf("Monthly of this month: err = %v, want an *IncompleteError", err)
		}
		_, err = aggregate.Backfill(ctx, st.(aggregate.BackfillStore), aggregate.BackfillOptions{From: day.AddDate(0, 0, -2), To: day.AddDate(0, 0, 1),
			Aggregate: aggregate.Options{Clock: clock}})
		if !errors.As(err, &ie) {
			t.Fatalf("backfill through today: err = %v, want an *IncompleteError", err)
		}
		if d := cmp.Diff(before, storetest.Dump(t, st)); d != "" {
			t.Fatalf("a refused aggregation changed the store:\n%s", d)
		}

		res, err := aggregate.Daily(ctx, st, day, aggregate.Options{Clock: clock, AllowPartial: true})
		if err != nil || !res.Partial {
			t.Fatalf("Daily with AllowPartial: %+v, %v; want a partial result", res, err)
		}
		recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1", Kind: inventory.Daily})
		if err != nil || len(recs) != 1 || !recs[0].Partial {
			t.Fatalf("daily registry = %+v, %v; want one partial record", recs, err)
		}
		n := 0
		err = st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: "vc1"}, func(r *inventory.DailyRollup) error {
			n++
			if !r.Partial {
				t.Errorf("daily row %s not marked partial", r.VMKey)
			}
			return nil
		})
		if err != nil || n == 0 {
			t.Fatalf("%d daily rows, %v", n, err)
		}
		// Once the day has ended, aggregating it again clears the mark.
		if _, err := aggregate.Daily(ctx, st, day, aggregate.Options{Clock: func() time.Time { return day.AddDate(0, 0, 1) }}); err != nil {
			t.Fatal(err)
		}
		recs, _ = st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: "vc1", Kind: inventory.Daily})
		if len(recs) != 1 || recs[0].Partial {
			t.Errorf("daily registry after the day ended = %+v, want a complete record", recs)
		}
	})
}
