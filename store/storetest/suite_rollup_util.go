package storetest

import (
	"math"
	"slices"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// testDailyUtilisation: daily rows keep their Utilisation exactly (a row
// without any reads back zero); re-writing the day replaces it; the daily
// summary compatibility table has no utilisation columns (zero read
// back); a figure that is not finite, or a negative UtilSamples, is
// refused naming the field and changes nothing.
func testDailyUtilisation(e *env) {
	k := dailyKit()
	day := k.periods[0]
	rows := DailyRollups("vc-a", day, 6, 31)
	rows[0].Utilisation = inventory.Utilisation{UtilSamples: 288, AvgCPUMHz: 1234.5678901234, PeakCPUMHz: 9876.54321,
		AvgCPUPct: 12.345678901234567, PeakCPUPct: 100, AvgMemPct: 0.1 + 0.2, PeakMemPct: 99.99999999999999}
	rows[1].Utilisation = inventory.Utilisation{}
	rows[2].Utilisation = inventory.Utilisation{UtilSamples: 1, AvgCPUMHz: 0, PeakCPUMHz: 0, AvgCPUPct: 0, PeakCPUPct: 0, AvgMemPct: 55, PeakMemPct: 55}
	k.mustWrite(e, "vc-a", day, rows, e.compat)
	want := k.all(e.n, rows)
	got := k.scanAll(e, &store.ScanRollupsParams{})
	checkList(e.t, "Scan daily rollups with utilisation", want, got)
	for i := range got {
		if got[i].VMKey == rows[0].VMKey && got[i].Utilisation != rows[0].Utilisation {
			e.t.Errorf("row %s: Utilisation %+v, want %+v", got[i].VMKey, got[i].Utilisation, rows[0].Utilisation)
		}
	}
	if e.compat {
		ct, err := e.ct.ReadCompatDaily(e.ctx, &store.ScanCompatParams{Name: k.table(day)})
		e.ok(err, "ReadCompatDaily")
		checkList(e.t, "compat table "+k.table(day)+" (no utilisation columns)", compatDaily(want), ct)
	}

	// Re-writing the day replaces each row's utilisation.
	next := slices.Clone(rows)
	next[0].Utilisation = inventory.Utilisation{}
	next[1].Utilisation = inventory.Utilisation{UtilSamples: 12, AvgCPUMHz: 1, PeakCPUMHz: 2, AvgCPUPct: 3, PeakCPUPct: 4, AvgMemPct: 5, PeakMemPct: 6}
	k.mustWrite(e, "vc-a", day, next, e.compat)
	checkList(e.t, "Scan daily rollups after re-writing the day with other utilisation", k.all(e.n, next), k.scanAll(e, &store.ScanRollupsParams{}))

	before := e.dump()
	for _, c := range []struct {
		name  string
		u     inventory.Utilisation
		field string
	}{
		{"NaN average CPU MHz", inventory.Utilisation{UtilSamples: 1, AvgCPUMHz: math.NaN()}, "Rows[3].Utilisation"},
		{"infinite peak memory %", inventory.Utilisation{UtilSamples: 1, PeakMemPct: math.Inf(1)}, "Rows[3].Utilisation"},
		{"negative UtilSamples", inventory.Utilisation{UtilSamples: -1}, "Rows[3].Utilisation.UtilSamples"},
	} {
		bad := slices.Clone(next)
		bad[3].Utilisation = c.u
		ipe := wantInvalid(e.t, k.write(e, "vc-a", day, bad, e.compat, 2), k.op, c.name)
		if ipe != nil && ipe.Field != c.field {
			e.t.Errorf("%s with a %s: field %q, want %q", k.op, c.name, ipe.Field, c.field)
		}
		e.unchanged(before, "%s with a %s", k.op, c.name)
	}
}
