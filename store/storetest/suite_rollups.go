package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// rollupKit abstracts daily and monthly rollups so both get the same tests.
type rollupKit[T any] struct {
	op, kind  string // "WriteDailyRollups", "daily"
	compat    store.CompatKind
	periods   [2]time.Time
	build     func(vc string, period time.Time, n int, seed int64) []T
	write     func(e *env, vc string, period time.Time, rows []T, compat bool, batch int) error
	scan      func(e *env, p *store.ScanRollupsParams, fn func(*T) error) error
	readTable func(e *env, p *store.ScanCompatParams) ([]T, error)
	norm      func(n norm, rows []T) []T
	parts     func(r T) (vc string, period time.Time, key string)
	setPeriod func(r *T, t time.Time)
	roll      func(r *T) *inventory.Rollup
	table     func(period time.Time) string
	// asCompat returns a row as its compatibility table holds it (nil:
	// unchanged).
	asCompat func(rows []T) []T
}

func dailyKit() rollupKit[inventory.DailyRollup] {
	return rollupKit[inventory.DailyRollup]{
		op: "WriteDailyRollups", kind: "daily", compat: store.CompatDaily, periods: [2]time.Time{day0, day0.AddDate(0, 0, 1)},
		build: DailyRollups,
		write: func(e *env, vc string, period time.Time, rows []inventory.DailyRollup, compat bool, batch int) error {
			return e.st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: vc, Day: period, Rows: rows, Compat: compat, BatchSize: batch})
		},
		scan: func(e *env, p *store.ScanRollupsParams, fn func(*inventory.DailyRollup) error) error {
			return e.st.ScanDailyRollups(e.ctx, p, fn)
		},
		readTable: func(e *env, p *store.ScanCompatParams) ([]inventory.DailyRollup, error) {
			return e.ct.ReadCompatDaily(e.ctx, p)
		},
		norm:      norm.daily,
		parts:     func(r inventory.DailyRollup) (string, time.Time, string) { return r.Vcenter, r.Day, r.VMKey },
		setPeriod: func(r *inventory.DailyRollup, t time.Time) { r.Day = t },
		roll:      func(r *inventory.DailyRollup) *inventory.Rollup { return &r.Rollup },
		table:     inventory.DailyTableName,
		asCompat:  compatDaily,
	}
}

func monthlyKit() rollupKit[inventory.MonthlyRollup] {
	return rollupKit[inventory.MonthlyRollup]{
		op: "WriteMonthlyRollups", kind: "monthly", compat: store.CompatMonthly, periods: [2]time.Time{mon0, mon0.AddDate(0, 1, 0)},
		build: MonthlyRollups,
		write: func(e *env, vc string, period time.Time, rows []inventory.MonthlyRollup, compat bool, batch int) error {
			return e.st.WriteMonthlyRollups(e.ctx, &store.WriteMonthlyRollupsParams{Vcenter: vc, Month: period, Rows: rows, Compat: compat, BatchSize: batch})
		},
		scan: func(e *env, p *store.ScanRollupsParams, fn func(*inventory.MonthlyRollup) error) error {
			return e.st.ScanMonthlyRollups(e.ctx, p, fn)
		},
		readTable: func(e *env, p *store.ScanCompatParams) ([]inventory.MonthlyRollup, error) {
			return e.ct.ReadCompatMonthly(e.ctx, p)
		},
		norm:      norm.monthly,
		parts:     func(r inventory.MonthlyRollup) (string, time.Time, string) { return r.Vcenter, r.Month, r.VMKey },
		setPeriod: func(r *inventory.MonthlyRollup, t time.Time) { r.Month = t },
		roll:      func(r *inventory.MonthlyRollup) *inventory.Rollup { return &r.Rollup },
		table:     inventory.MonthlyTableName,
		// The monthly summary tables keep the replaced system's layout:
		// no billable sums or coverage.
		asCompat: compatMonthly,
	}
}

func rollupTests() []test {
	var out []test
	out = append(out, kitTests(dailyKit(), "Daily")...)
	out = append(out, test{"DailyUtilisation", testDailyUtilisation}) // suite_rollup_util.go
	out = append(out, kitTests(monthlyKit(), "Monthly")...)
	return out
}

func kitTests[T any](k rollupKit[T], prefix string) []test {
	return []test{
		{prefix + "Replace", k.testReplace},
		{prefix + "ScanFilters", k.testScan},
		{prefix + "Compat", k.testCompat},
		{prefix + "Idempotent", k.testIdempotent},
		{prefix + "InvalidParams", k.testInvalid},
		{prefix + "Attributes", k.testAttributes}, // suite_rollup_attrs.go
	}
}

func (k rollupKit[T]) mustWrite(e *env, vc string, period time.Time, rows []T, compat bool) {
	e.t.Helper()
	e.ok(k.write(e, vc, period, rows, compat, 3), "%s(%s, %s, %d rows, compat %v)", k.op, vc, period.Format(time.RFC3339), len(rows), compat)
}

func (k rollupKit[T]) scanAll(e *env, p *store.ScanRollupsParams) []T {
	e.t.Helper()
	var out []T
	e.ok(k.scan(e, p, func(r *T) error { out = append(out, *r); return nil }), "Scan %s rollups%s", k.kind, describe(p))
	return out
}

// data writes (vc-a, P1) 6 rows, (vc-a, P2) 4 rows and (vc-b, P1) 5 rows.
func (k rollupKit[T]) data(e *env, compat bool) (a1, a2, b1 []T) {
	p1, p2 := k.periods[0], k.periods[1]
	a1, a2, b1 = k.build("vc-a", p1, 6, 1), k.build("vc-a", p2, 4, 2), k.build("vc-b", p1, 5, 3)
	k.mustWrite(e, "vc-b", p1, b1, compat)
	k.mustWrite(e, "vc-a", p2, a2, compat)
	k.mustWrite(e, "vc-a", p1, a1, compat)
	return a1, a2, b1
}

func (k rollupKit[T]) all(n norm, parts ...[]T) []T {
	var out []T
	for _, p := range parts {
		out = append(out, p...)
	}
	return k.norm(n, out)
}

func (k rollupKit[T]) testReplace(e *env) {
	a1, a2, b1 := k.data(e, false)
	checkList(e.t, "Scan "+k.kind+" rollups (ordered by vcenter, period, vm_key)", k.all(e.n, a1, a2, b1), k.scanAll(e, &store.ScanRollupsParams{}))
	// A second write of (vc-a, P1) with fewer rows replaces that set only.
	fewer := k.build("vc-a", k.periods[0], 2, 9)
	k.mustWrite(e, "vc-a", k.periods[0], fewer, false)
	checkList(e.t, "Scan "+k.kind+" rollups after re-writing (vc-a, P1) with fewer rows", k.all(e.n, fewer, a2, b1), k.scanAll(e, &store.ScanRollupsParams{}))
	k.mustWrite(e, "vc-a", k.periods[0], nil, false)
	checkList(e.t, "Scan "+k.kind+" rollups after re-writing (vc-a, P1) with no rows", k.all(e.n, a2, b1), k.scanAll(e, &store.ScanRollupsParams{}))
}

func (k rollupKit[T]) testScan(e *env) {
	a1, a2, b1 := k.data(e, false)
	all := k.all(e.n, a1, a2, b1)
	p1, p2 := k.periods[0], k.periods[1]
	for _, p := range []store.ScanRollupsParams{
		{Vcenter: "vc-a"}, {Vcenter: "vc-b"}, {Vcenter: "missing"},
		{From: p2}, {To: p2}, {From: p1, To: p2}, {From: p1.Add(time.Nanosecond)}, {From: p1, To: p1},
		{VMKey: "vm-2"}, {VMKey: "uuid:5021-4"}, {Vcenter: "vc-a", VMKey: "vm-1", From: p2}, {VMKey: "vm-404"},
	} {
		want := filter(all, func(r T) bool {
			vc, per, key := k.parts(r)
			return (p.Vcenter == "" || vc == p.Vcenter) && (p.VMKey == "" || key == p.VMKey) && inRange(per, p.From, p.To)
		})
		checkList(e.t, fmt.Sprintf("Scan %s rollups%s", k.kind, describe(p)), want, k.scanAll(e, &p))
	}
	var got []T
	err := k.scan(e, &store.ScanRollupsParams{}, func(r *T) error {
		got = append(got, *r)
		if len(got) == 4 {
			return store.ErrStopScan
		}
		return nil
	})
	if err != nil {
		e.t.Errorf("Scan %s rollups stopped with ErrStopScan: error %v, want nil", k.kind, err)
	}
	checkList(e.t, "Scan "+k.kind+" rollups before ErrStopScan", all[:4], got)
	calls := 0
	err = k.scan(e, &store.ScanRollupsParams{}, func(*T) error { calls++; return errCallback })
	if !errors.Is(err, errCallback) || calls != 1 {
		e.t.Errorf("Scan %s rollups with a failing callback: error %v after %d calls, want the callback's error (wrapped) after 1", k.kind, err, calls)
	}
}

func (k rollupKit[T]) testCompat(e *env) {
	e.requireCompat()
	a1, a2, b1 := k.data(e, true)
	p1, p2 := k.periods[0], k.periods[1]
	name1, name2 := k.table(p1), k.table(p2)
	read := func(p store.ScanCompatParams) []T {
		e.t.Helper()
		rows, err := k.readTable(e, &p)
		e.ok(err, "Read compat %s%s", k.kind, describe(p))
		return rows
	}
	cw := func(parts ...[]T) []T {
		if k.asCompat != nil {
			return k.asCompat(k.all(e.n, parts...))
		}
		return k.all(e.n, parts...)
	}
	checkList(e.t, "compat table "+name1+" (every vCenter's rows, ordered by vcenter, vm_key)", cw(a1, b1), read(store.ScanCompatParams{Name: name1}))
	checkList(e.t, "compat table "+name1+" {Vcenter: vc-b}", cw(b1), read(store.ScanCompatParams{Name: name1, Vcenter: "vc-b"}))
	checkList(e.t, "compat table "+name2, cw(a2), read(store.ScanCompatParams{Name: name2}))
	// Re-writing vc-a's rows replaces them in the table; vc-b's stay.
	fewer := k.build("vc-a", p1, 2, 7)
	k.mustWrite(e, "vc-a", p1, fewer, true)
	checkList(e.t, "compat table "+name1+" after re-writing vc-a with fewer rows", cw(fewer, b1), read(store.ScanCompatParams{Name: name1}))
	tables, err := e.ct.ListCompatTables(e.ctx, &store.ListCompatTablesParams{Kind: k.compat})
	e.ok(err, "ListCompatTables")
	checkList(e.t, "ListCompatTables{"+string(k.compat)+"}", []store.CompatTable{
		{Name: name1, Kind: k.compat, Period: p1}, {Name: name2, Kind: k.compat, Period: p2}}, tables)

	// The table is named after the period start in its own location; the
	// rows keep the UTC instant.
	tokyo := time.FixedZone("JST", 9*3600)
	local := time.Date(p2.Year(), p2.Month(), p2.Day(), 0, 0, 0, 0, tokyo).AddDate(0, 1, 0)
	rows := k.build("vc-t", local, 3, 4)
	k.mustWrite(e, "vc-t", local, rows, true)
	name := k.table(local)
	checkList(e.t, "compat table "+name+" of a period cut in UTC+9", cw(rows), read(store.ScanCompatParams{Name: name}))
	checkList(e.t, "Scan "+k.kind+" rollups{vc-t} (period stored as its UTC instant)", k.all(e.n, rows), k.scanAll(e, &store.ScanRollupsParams{Vcenter: "vc-t"}))
	parsed, _ := driver.ParseCompatTableName(name)
	tables, err = e.ct.ListCompatTables(e.ctx, &store.ListCompatTablesParams{Kind: k.compat, From: parsed.Period})
	e.ok(err, "ListCompatTables")
	checkList(e.t, "ListCompatTables{From} (Period = midnight UTC of the date in the name)", []store.CompatTable{parsed}, tables)
}

func (k rollupKit[T]) testIdempotent(e *env) {
	a1, _, _ := k.data(e, e.compat)
	once := e.dump()
	k.mustWrite(e, "vc-a", k.periods[0], a1, e.compat)
	e.unchanged(once, "%s of the same rows twice", k.op)
}

func (k rollupKit[T]) testInvalid(e *env) {
	k.data(e, e.compat)
	before := e.dump()
	p1 := k.periods[0]
	type tc struct {
		name   string
		vc     string
		period time.Time
		mod    func(rows []T) []T
	}
	for _, c := range []tc{
		{"empty vcenter", "", p1, nil},
		{"zero period", "vc-a", time.Time{}, nil},
		{"row of another vcenter", "vc-a", p1, func(r []T) []T { k.roll(&r[1]).Vcenter = "vc-b"; return r }},
		{"row of another period", "vc-a", p1, func(r []T) []T { k.setPeriod(&r[2], p1.Add(time.Hour)); return r }},
		{"duplicate vm_key", "vc-a", p1, func(r []T) []T { k.roll(&r[2]).VMKey = k.roll(&r[0]).VMKey; return r }},
		{"empty vm_key", "vc-a", p1, func(r []T) []T { k.roll(&r[3]).VMKey = ""; return r }},
		{"NaN average", "vc-a", p1, func(r []T) []T { k.roll(&r[4]).AvgRAMGB = math.NaN(); return r }},
		{"Inf percentage", "vc-a", p1, func(r []T) []T { k.roll(&r[0]).PoolGoldPct = math.Inf(1); return r }},
	} {
		rows := k.build("vc-a", p1, 5, 11)
		if c.mod != nil {
			rows = c.mod(slices.Clone(rows))
		}
		err := k.write(e, c.vc, c.period, rows, e.compat, 2)
		wantInvalid(e.t, err, k.op, c.name)
		e.unchanged(before, "invalid %s (%s)", k.op, c.name)
	}
}
