package storetest

import (
	"errors"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func compatTests() []test {
	return []test{
		{"WriteCompatHourly", testCompatHourly},
		{"ScanStopAndError", testCompatScanStop},
		{"ListCompatTables", testCompatList},
		{"DropCompatTable", testCompatDrop},
		{"NotFound", testCompatNotFound},
	}
}

func withoutCompatTests() []test {
	return []test{{"CompatFlagRefused", testCompatUnsupported}}
}

func compatSamples(vc string, at time.Time, n, seed int) []inventory.Sample {
	var out []inventory.Sample
	for i := n; i >= 1; i-- {
		out = append(out, sample(vc, at, fmt.Sprintf("vm-%d", i), fmt.Sprintf("u-%d", i), fmt.Sprintf("n%d-%d", i, seed), i+seed))
	}
	if n > 2 {
		out = append(out, sample(vc, at, "", "u-legacy", "legacy", seed))
	}
	return out
}

func (e *env) writeCompat(vc string, at time.Time, rows []inventory.Sample) {
	e.t.Helper()
	e.ok(e.ct.WriteCompatHourly(e.ctx, &store.WriteCompatHourlyParams{Vcenter: vc, SnapshotTime: at, Samples: rows, BatchSize: 2}),
		"WriteCompatHourly(%s, %s, %d rows)", vc, at.Format(time.RFC3339), len(rows))
}

func testCompatHourly(e *env) {
	e.requireCompat()
	n := e.n
	a, b := compatSamples("vc-a", t0, 5, 1), compatSamples("vc-b", t0, 3, 2)
	e.writeCompat("vc-b", t0, b)
	e.writeCompat("vc-a", t0, a)
	name := inventory.HourlyTableName(t0)
	checkList(e.t, "ScanCompatHourly("+name+") (ordered by vcenter, vm_key)", compatOrder(n.samples(append(a, b...))), e.scanCompat(&store.ScanCompatParams{Name: name}))
	checkList(e.t, "ScanCompatHourly("+name+", vc-b)", compatOrder(n.samples(b)), e.scanCompat(&store.ScanCompatParams{Name: name, Vcenter: "vc-b"}))
	checkList(e.t, "ScanCompatHourly("+name+", missing vcenter)", nil, e.scanCompat(&store.ScanCompatParams{Name: name, Vcenter: "vc-z"}))
	// Re-writing vc-a replaces its rows only.
	a2 := compatSamples("vc-a", t0, 2, 3)
	e.writeCompat("vc-a", t0, a2)
	checkList(e.t, "ScanCompatHourly after re-writing vc-a with fewer rows (vc-b kept)", compatOrder(n.samples(append(a2, b...))), e.scanCompat(&store.ScanCompatParams{Name: name}))
	once := e.dump()
	e.writeCompat("vc-a", t0, a2)
	e.unchanged(once, "WriteCompatHourly of the same rows again")
	// Compatibility tables are separate from vm_hourly_stats.
	checkList(e.t, "ScanSamples after WriteCompatHourly (vm_hourly_stats untouched)", nil, e.scanAll(&store.ScanSamplesParams{}))

	before := e.dump()
	bad := compatSamples("vc-a", t0, 3, 4)
	bad[1].Vcenter = "vc-b"
	err := e.ct.WriteCompatHourly(e.ctx, &store.WriteCompatHourlyParams{Vcenter: "vc-a", SnapshotTime: t0, Samples: bad})
	wantInvalid(e.t, err, "WriteCompatHourly", "with a row of another vcenter")
	bad = compatSamples("vc-a", t0, 3, 4)
	bad[2].VMID = bad[0].VMID
	err = e.ct.WriteCompatHourly(e.ctx, &store.WriteCompatHourlyParams{Vcenter: "vc-a", SnapshotTime: t0, Samples: bad})
	wantInvalid(e.t, err, "WriteCompatHourly", "with a duplicate VM key")
	err = e.ct.WriteCompatHourly(e.ctx, &store.WriteCompatHourlyParams{SnapshotTime: t0, Samples: compatSamples("", t0, 1, 1)})
	wantInvalid(e.t, err, "WriteCompatHourly", "without Vcenter")
	e.unchanged(before, "invalid WriteCompatHourly")
}

func testCompatScanStop(e *env) {
	e.requireCompat()
	a := compatSamples("vc-a", t0, 5, 1)
	e.writeCompat("vc-a", t0, a)
	name := inventory.HourlyTableName(t0)
	var got []inventory.Sample
	err := e.ct.ScanCompatHourly(e.ctx, &store.ScanCompatParams{Name: name}, func(s *inventory.Sample) error {
		got = append(got, copySample(s))
		if len(got) == 2 {
			return store.ErrStopScan
		}
		return nil
	})
	if err != nil {
		e.t.Errorf("ScanCompatHourly stopped with ErrStopScan: error %v, want nil", err)
	}
	checkList(e.t, "ScanCompatHourly rows before ErrStopScan", compatOrder(e.n.samples(a))[:2], got)
	calls := 0
	err = e.ct.ScanCompatHourly(e.ctx, &store.ScanCompatParams{Name: name}, func(*inventory.Sample) error { calls++; return errCallback })
	if !errors.Is(err, errCallback) || calls != 1 {
		e.t.Errorf("ScanCompatHourly with a failing callback: error %v after %d calls, want the callback's error (wrapped) after 1", err, calls)
	}
}

// compatTablesData creates two hourly, two daily and one monthly table.
func (e *env) compatTablesData() []store.CompatTable {
	h1, h2 := t0.Add(90*time.Minute), t0
	e.writeCompat("vc-a", h1, compatSamples("vc-a", h1, 2, 1))
	e.write(&store.WriteSnapshotParams{Vcenter: "vc-a", SnapshotTime: h2, Samples: compatSamples("vc-a", h2, 3, 2), Compat: true, RegisteredAt: t0})
	d1, d2 := day0, day0.AddDate(0, 0, -40)
	for _, d := range []time.Time{d1, d2} {
		e.ok(e.st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: d, Rows: DailyRollups("vc-a", d, 2, 1), Compat: true}), "WriteDailyRollups")
	}
	e.ok(e.st.WriteMonthlyRollups(e.ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-a", Month: mon0, Rows: MonthlyRollups("vc-a", mon0, 2, 1), Compat: true}), "WriteMonthlyRollups")
	return []store.CompatTable{
		{Name: inventory.HourlyTableName(h2), Kind: store.CompatHourly, Period: h2},
		{Name: inventory.HourlyTableName(h1), Kind: store.CompatHourly, Period: h1},
		{Name: inventory.DailyTableName(d2), Kind: store.CompatDaily, Period: d2},
		{Name: inventory.DailyTableName(d1), Kind: store.CompatDaily, Period: d1},
		{Name: inventory.MonthlyTableName(mon0), Kind: store.CompatMonthly, Period: mon0},
	}
}

func testCompatList(e *env) {
	e.requireCompat()
	all := e.compatTablesData()
	for _, p := range []store.ListCompatTablesParams{
		{}, {Kind: store.CompatHourly}, {Kind: store.CompatDaily}, {Kind: store.CompatMonthly},
		{From: day0}, {To: day0}, {From: mon0, To: t0.Add(time.Hour)}, {Kind: store.CompatHourly, From: t0.Add(time.Minute)},
	} {
		got, err := e.ct.ListCompatTables(e.ctx, &p)
		e.ok(err, "ListCompatTables%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListCompatTables%s (ordered by kind, period)", describe(p)), filter(all, func(c store.CompatTable) bool {
			return (p.Kind == "" || c.Kind == p.Kind) && inRange(c.Period, p.From, p.To)
		}), got)
	}
}

func testCompatDrop(e *env) {
	e.requireCompat()
	all := e.compatTablesData()
	before := e.dump()
	for _, name := range []string{
		"vm_hourly_stats", "vm_daily_rollup", "snapshot_registry", "", "inventory_hourly_",
		"inventory_hourly_202603141000; DROP TABLE vm_hourly_stats",
		`inventory_hourly_202603141000"; DROP TABLE vm_hourly_stats; --`,
		"inventory_hourly_2026031410'0", "inventory_daily_summary_2026031", "inventory_hourly_209913311299",
		"INVENTORY_HOURLY_202603141000", "public.inventory_hourly_202603141000", " inventory_hourly_202603141000",
	} {
		err := e.ct.DropCompatTable(e.ctx, &store.DropCompatTableParams{Name: name})
		wantInvalid(e.t, err, "DropCompatTable", fmt.Sprintf("of %q (not a compatibility table name)", name))
	}
	e.unchanged(before, "DropCompatTable of names that are not compatibility tables")

	for i, tb := range []store.CompatTable{all[0], all[2], all[4]} {
		e.ok(e.ct.DropCompatTable(e.ctx, &store.DropCompatTableParams{Name: tb.Name}), "DropCompatTable(%s)", tb.Name)
		err := e.ct.DropCompatTable(e.ctx, &store.DropCompatTableParams{Name: tb.Name})
		wantNotFound(e.t, err, "DropCompatTable("+tb.Name+") twice")
		got, err := e.ct.ListCompatTables(e.ctx, &store.ListCompatTablesParams{})
		e.ok(err, "ListCompatTables")
		var want []store.CompatTable
		for j, x := range all {
			if !(j == 0 || j == 2 && i >= 1 || j == 4 && i >= 2) {
				want = append(want, x)
			}
		}
		checkList(e.t, "ListCompatTables after DropCompatTable("+tb.Name+")", want, got)
	}
	wantNotFound(e.t, e.ct.ScanCompatHourly(e.ctx, &store.ScanCompatParams{Name: all[0].Name}, func(*inventory.Sample) error { return nil }),
		"ScanCompatHourly of a dropped table")
	_, err := e.ct.ReadCompatDaily(e.ctx, &store.ScanCompatParams{Name: all[2].Name})
	wantNotFound(e.t, err, "ReadCompatDaily of a dropped table")
	_, err = e.ct.ReadCompatMonthly(e.ctx, &store.ScanCompatParams{Name: all[4].Name})
	wantNotFound(e.t, err, "ReadCompatMonthly of a dropped table")
	// Canonical rows survive.
	after := e.dump()
	checkList(e.t, "ScanSamples after dropping compatibility tables", before.Samples, after.Samples)
	checkList(e.t, "Scan daily rollups after dropping compatibility tables", before.DailyRollups, after.DailyRollups)
	checkList(e.t, "Scan monthly rollups after dropping compatibility tables", before.MonthlyRollups, after.MonthlyRollups)
}

func testCompatNotFound(e *env) {
	e.requireCompat()
	e.compatTablesData()
	missingH, missingD, missingM := inventory.HourlyTableName(t0.Add(7*time.Hour)), inventory.DailyTableName(day0.AddDate(0, 0, 3)), inventory.MonthlyTableName(mon0.AddDate(0, 5, 0))
	wantNotFound(e.t, e.ct.ScanCompatHourly(e.ctx, &store.ScanCompatParams{Name: missingH}, func(*inventory.Sample) error { return nil }), "ScanCompatHourly of a missing table")
	_, err := e.ct.ReadCompatDaily(e.ctx, &store.ScanCompatParams{Name: missingD})
	wantNotFound(e.t, err, "ReadCompatDaily of a missing table")
	_, err = e.ct.ReadCompatMonthly(e.ctx, &store.ScanCompatParams{Name: missingM})
	wantNotFound(e.t, err, "ReadCompatMonthly of a missing table")
	wantNotFound(e.t, e.ct.DropCompatTable(e.ctx, &store.DropCompatTableParams{Name: missingH}), "DropCompatTable of a missing table")
	// Reading through another kind's method or with a hostile name fails
	// (InvalidParamsError or ErrNotFound) and changes nothing.
	before := e.dump()
	for _, name := range []string{inventory.DailyTableName(day0), "vm_hourly_stats", "inventory_hourly_202603141000; DROP TABLE vm_hourly_stats"} {
		err := e.ct.ScanCompatHourly(e.ctx, &store.ScanCompatParams{Name: name}, func(*inventory.Sample) error { return nil })
		var ipe *store.InvalidParamsError
		if !errors.As(err, &ipe) && !errors.Is(err, store.ErrNotFound) {
			e.t.Errorf("ScanCompatHourly(%q): error %v, want *store.InvalidParamsError or store.ErrNotFound", name, err)
		}
	}
	for _, name := range []string{inventory.HourlyTableName(t0), "snapshot_registry", `inventory_daily_summary_20260314' OR '1'='1`} {
		_, err := e.ct.ReadCompatDaily(e.ctx, &store.ScanCompatParams{Name: name})
		var ipe *store.InvalidParamsError
		if !errors.As(err, &ipe) && !errors.Is(err, store.ErrNotFound) {
			e.t.Errorf("ReadCompatDaily(%q): error %v, want *store.InvalidParamsError or store.ErrNotFound", name, err)
		}
		_, err = e.ct.ReadCompatMonthly(e.ctx, &store.ScanCompatParams{Name: name})
		if !errors.As(err, &ipe) && !errors.Is(err, store.ErrNotFound) {
			e.t.Errorf("ReadCompatMonthly(%q): error %v, want *store.InvalidParamsError or store.ErrNotFound", name, err)
		}
	}
	e.unchanged(before, "reads of missing or hostile compatibility table names")
}

// testCompatUnsupported: a store that does not implement CompatTables
// refuses a write's Compat flag with ErrUnsupported and stores nothing of
// that write.
func testCompatUnsupported(e *env) {
	e.write(Snapshot("vc-a", t0, 5, 1))
	before := e.dump()
	unsupported := func(op string, err error) {
		e.t.Helper()
		if !errors.Is(err, store.ErrUnsupported) {
			e.t.Errorf("%s on a store without store.CompatTables: error %v, want one wrapping store.ErrUnsupported", op, err)
		}
	}
	p := Snapshot("vc-a", t0.Add(time.Hour), 5, 2)
	p.Compat = true
	_, err := e.st.WriteSnapshot(e.ctx, p)
	unsupported("WriteSnapshot{Compat}", err)
	unsupported("WriteDailyRollups{Compat}", e.st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day0, Rows: DailyRollups("vc-a", day0, 2, 1), Compat: true}))
	unsupported("WriteMonthlyRollups{Compat}", e.st.WriteMonthlyRollups(e.ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-a", Month: mon0, Rows: MonthlyRollups("vc-a", mon0, 2, 1), Compat: true}))
	e.unchanged(before, "writes asking for compatibility tables on a store without them")
}
