package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

func totalsTests() []test {
	return []test{
		{"ListTotals", testListTotals},
		{"LatestTotals", testLatestTotals},
		{"RefreshAggregateTotals", testRefreshAggregate},
		{"ListAggregateTotals", testListAggregate},
	}
}

// totalsData writes vc-a at t0, t0+1h, t0+2h and vc-b at t0+1h, and returns
// their totals in (vcenter, snapshot_time) order.
func (e *env) totalsData() []inventory.Totals {
	var out []inventory.Totals
	for i, p := range []*store.WriteSnapshotParams{
		e.snapshot("vc-a", t0.Add(2*time.Hour), 11, 3), e.snapshot("vc-a", t0, 9, 1), e.snapshot("vc-b", t0.Add(time.Hour), 4, 4),
		e.snapshot("vc-a", t0.Add(time.Hour), 10, 2),
	} {
		if i == 1 {
			p.Totals.RAMGBTotal, p.Totals.DatastoreCapacityGB, p.Totals.DatastoreFreeGB = 0.1, 123456.789, 1e-9
		}
		e.write(p)
		out = append(out, e.n.totals(p))
	}
	slices.SortFunc(out, func(a, b inventory.Totals) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), a.SnapshotTime.Compare(b.SnapshotTime))
	})
	return out
}

func testListTotals(e *env) {
	all := e.totalsData()
	for _, p := range []store.ListTotalsParams{
		{}, {Vcenter: "vc-a"}, {Vcenter: "vc-b"}, {Vcenter: "missing"},
		{From: t0.Add(time.Hour)}, {To: t0.Add(time.Hour)}, {Vcenter: "vc-a", From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)},
	} {
		got, err := e.st.ListTotals(e.ctx, &p)
		e.ok(err, "ListTotals%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListTotals%s", describe(p)), filter(all, func(x inventory.Totals) bool {
			return (p.Vcenter == "" || x.Vcenter == p.Vcenter) && inRange(x.SnapshotTime, p.From, p.To)
		}), got)
	}
}

func testLatestTotals(e *env) {
	all := e.totalsData()
	latest := []inventory.Totals{all[2], all[3]}
	for _, c := range []struct {
		vc   string
		want []inventory.Totals
	}{{"", latest}, {"vc-a", latest[:1]}, {"vc-b", latest[1:]}, {"missing", nil}} {
		checkList(e.t, fmt.Sprintf("LatestTotals{Vcenter: %q}", c.vc), c.want, e.latestTotals(c.vc))
	}
}

func testRefreshAggregate(e *env) {
	all := e.totalsData()
	vcA := filter(all, func(x inventory.Totals) bool { return x.Vcenter == "vc-a" })
	refresh := func(g inventory.Granularity, start, end time.Time) (*inventory.AggregateTotals, error) {
		return e.st.RefreshAggregateTotals(e.ctx, &store.RefreshAggregateTotalsParams{Vcenter: "vc-a", Granularity: g, PeriodStart: start, PeriodEnd: end})
	}
	day1 := day0.AddDate(0, 0, 1)
	got, err := refresh(inventory.Daily, day0, day1)
	e.ok(err, "RefreshAggregateTotals(daily)")
	want, _ := driver.MeanTotals("vc-a", inventory.Daily, day0, vcA)
	checkEq(e.t, "RefreshAggregateTotals(daily) = MeanTotals over the day's rows ordered by snapshot_time", &want, got)
	// A later snapshot in the day changes the aggregate on refresh (upsert).
	p := e.snapshot("vc-a", t0.Add(5*time.Hour), 3, 9)
	e.write(p)
	vcA = append(vcA, e.n.totals(p))
	got, err = refresh(inventory.Daily, day0, day1)
	e.ok(err, "RefreshAggregateTotals(daily) again")
	want, _ = driver.MeanTotals("vc-a", inventory.Daily, day0, vcA)
	checkEq(e.t, "RefreshAggregateTotals(daily) after another snapshot", &want, got)
	mon, err := refresh(inventory.Monthly, mon0, mon0.AddDate(0, 1, 0))
	e.ok(err, "RefreshAggregateTotals(monthly)")
	wantMon, _ := driver.MeanTotals("vc-a", inventory.Monthly, mon0, vcA)
	checkEq(e.t, "RefreshAggregateTotals(monthly)", &wantMon, mon)
	// A period cut in another location: the row's PeriodStart is its UTC
	// instant.
	ny := time.FixedZone("EST", -5*3600)
	nyDay := time.Date(2026, 3, 14, 0, 0, 0, 0, ny)
	got, err = refresh(inventory.Daily, nyDay, nyDay.AddDate(0, 0, 1))
	e.ok(err, "RefreshAggregateTotals(daily, UTC-5)")
	want, _ = driver.MeanTotals("vc-a", inventory.Daily, nyDay, filter(vcA, func(x inventory.Totals) bool { return !x.SnapshotTime.Before(nyDay) }))
	checkEq(e.t, "RefreshAggregateTotals(daily cut in UTC-5)", &want, got)

	aggs, err := e.st.ListAggregateTotals(e.ctx, &store.ListAggregateTotalsParams{Vcenter: "vc-a", Granularity: inventory.Daily})
	e.ok(err, "ListAggregateTotals")
	wantDaily, _ := driver.MeanTotals("vc-a", inventory.Daily, day0, vcA)
	checkList(e.t, "ListAggregateTotals{vc-a, daily}", []inventory.AggregateTotals{wantDaily, want}, aggs)

	// A period with no snapshots deletes the row and reports ErrNotFound.
	_, err = refresh(inventory.Daily, day0, day0.Add(time.Hour))
	wantNotFound(e.t, err, "RefreshAggregateTotals over a period without snapshots")
	aggs, err = e.st.ListAggregateTotals(e.ctx, &store.ListAggregateTotalsParams{Vcenter: "vc-a", Granularity: inventory.Daily})
	e.ok(err, "ListAggregateTotals")
	checkList(e.t, "ListAggregateTotals{vc-a, daily} after an empty refresh (row removed)", []inventory.AggregateTotals{want}, aggs)
	_, err = refresh(inventory.Monthly, mon0.AddDate(1, 0, 0), mon0.AddDate(1, 1, 0))
	wantNotFound(e.t, err, "RefreshAggregateTotals over a period that never had a row")

	before := e.dump()
	for name, p := range map[string]store.RefreshAggregateTotalsParams{
		"empty vcenter":   {Granularity: inventory.Daily, PeriodStart: day0, PeriodEnd: day1},
		"bad granularity": {Vcenter: "vc-a", Granularity: "weekly", PeriodStart: day0, PeriodEnd: day1},
		"end == start":    {Vcenter: "vc-a", Granularity: inventory.Daily, PeriodStart: day0, PeriodEnd: day0},
		"end < start":     {Vcenter: "vc-a", Granularity: inventory.Daily, PeriodStart: day1, PeriodEnd: day0},
		"zero start":      {Vcenter: "vc-a", Granularity: inventory.Daily, PeriodEnd: day0},
	} {
		_, err := e.st.RefreshAggregateTotals(e.ctx, &p)
		wantInvalid(e.t, err, "RefreshAggregateTotals", name)
	}
	e.unchanged(before, "invalid RefreshAggregateTotals")
}

func testListAggregate(e *env) {
	all := e.totalsData()
	var rows []inventory.AggregateTotals
	for _, x := range all { // hourly rows written by WriteSnapshot
		m, _ := driver.MeanTotals(x.Vcenter, inventory.Hourly, x.SnapshotTime.Truncate(time.Hour), []inventory.Totals{x})
		rows = append(rows, m)
	}
	for _, vc := range []string{"vc-a", "vc-b"} {
		own := filter(all, func(x inventory.Totals) bool { return x.Vcenter == vc })
		for _, g := range []struct {
			g          inventory.Granularity
			start, end time.Time
		}{{inventory.Daily, day0, day0.AddDate(0, 0, 1)}, {inventory.Monthly, mon0, mon0.AddDate(0, 1, 0)}} {
			got, err := e.st.RefreshAggregateTotals(e.ctx, &store.RefreshAggregateTotalsParams{Vcenter: vc, Granularity: g.g, PeriodStart: g.start, PeriodEnd: g.end})
			e.ok(err, "RefreshAggregateTotals(%s, %s)", vc, g.g)
			m, _ := driver.MeanTotals(vc, g.g, g.start, own)
			checkEq(e.t, fmt.Sprintf("RefreshAggregateTotals(%s, %s)", vc, g.g), &m, got)
			rows = append(rows, m)
		}
	}
	slices.SortFunc(rows, func(a, b inventory.AggregateTotals) int {
		return cmp.Or(cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.Granularity, b.Granularity), a.PeriodStart.Compare(b.PeriodStart))
	})
	for _, p := range []store.ListAggregateTotalsParams{
		{}, {Vcenter: "vc-b"}, {Granularity: inventory.Hourly}, {Granularity: inventory.Monthly}, {Vcenter: "vc-a", Granularity: inventory.Daily},
		{From: day0}, {From: t0.Add(time.Hour)}, {To: t0.Add(time.Hour)}, {Granularity: inventory.Hourly, From: t0, To: t0.Add(2 * time.Hour)},
	} {
		got, err := e.st.ListAggregateTotals(e.ctx, &p)
		e.ok(err, "ListAggregateTotals%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListAggregateTotals%s (ordered by vcenter, granularity, period_start)", describe(p)), filter(rows, func(x inventory.AggregateTotals) bool {
			return (p.Vcenter == "" || x.Vcenter == p.Vcenter) && (p.Granularity == "" || x.Granularity == p.Granularity) && inRange(x.PeriodStart, p.From, p.To)
		}), got)
	}
}

func registryTests() []test {
	return []test{
		{"RegisterAndList", testRegistryList},
		{"ReRegisterKeepsRegisteredAt", testReRegister},
		{"InvalidParams", testRegistryInvalid},
	}
}

func (e *env) registryData() []inventory.SnapshotRecord {
	recs := []inventory.SnapshotRecord{
		{Vcenter: "vc-c", Kind: inventory.Hourly, SnapshotTime: t0.Add(2 * time.Hour), TableName: inventory.HourlyTableName(t0.Add(2 * time.Hour)), RowCount: 7, Duration: 1500 * time.Millisecond, RegisteredAt: t0.Add(3 * time.Hour)},
		{Vcenter: "vc-a", Kind: inventory.Hourly, SnapshotTime: t0, RowCount: 120, Duration: 42*time.Second + 1, RegisteredAt: t0.Add(time.Minute)},
		{Vcenter: "vc-b", Kind: inventory.Hourly, SnapshotTime: t0, RowCount: 0, Duration: time.Second, RegisteredAt: t0.Add(2 * time.Minute)},
		{Vcenter: "vc-a", Kind: inventory.Hourly, SnapshotTime: t0.Add(time.Hour), RowCount: 121, Duration: 40 * time.Second, RegisteredAt: t0.Add(61 * time.Minute)},
		{Vcenter: "vc-a", Kind: inventory.Daily, SnapshotTime: day0, TableName: inventory.DailyTableName(day0), RowCount: 118, Duration: 3 * time.Minute, RegisteredAt: day0.AddDate(0, 0, 1)},
		{Vcenter: "vc-b", Kind: inventory.Monthly, SnapshotTime: mon0, TableName: inventory.MonthlyTableName(mon0), RowCount: 3, Duration: time.Hour, RegisteredAt: mon0.AddDate(0, 1, 0)},
	}
	for _, r := range recs {
		e.ok(e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: r}), "RegisterSnapshot{Record: %s}", describe(r))
	}
	out := make([]inventory.SnapshotRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, e.n.record(r))
	}
	slices.SortFunc(out, func(a, b inventory.SnapshotRecord) int {
		return cmp.Or(a.SnapshotTime.Compare(b.SnapshotTime), cmp.Compare(a.Vcenter, b.Vcenter))
	})
	return out
}

func testRegistryList(e *env) {
	all := e.registryData()
	for _, p := range []store.ListSnapshotsParams{
		{}, {Vcenter: "vc-a"}, {Kind: inventory.Hourly}, {Kind: inventory.Daily}, {Vcenter: "vc-b", Kind: inventory.Monthly}, {Vcenter: "missing"},
		{From: t0}, {To: t0}, {From: day0, To: t0.Add(time.Hour)},
		{Descending: true}, {Descending: true, Kind: inventory.Hourly},
		{Limit: 2}, {Limit: 2, Descending: true}, {Limit: 1, Vcenter: "vc-a", Descending: true}, {Limit: 100},
	} {
		want := filter(all, func(r inventory.SnapshotRecord) bool {
			return (p.Vcenter == "" || r.Vcenter == p.Vcenter) && (p.Kind == "" || r.Kind == p.Kind) && inRange(r.SnapshotTime, p.From, p.To)
		})
		if p.Descending {
			slices.Reverse(want)
		}
		if p.Limit > 0 && len(want) > p.Limit {
			want = want[:p.Limit]
		}
		got, err := e.st.ListSnapshots(e.ctx, &p)
		e.ok(err, "ListSnapshots%s", describe(p))
		checkList(e.t, fmt.Sprintf("ListSnapshots%s (ordered by snapshot_time, vcenter)", describe(p)), want, got)
	}
}

func testReRegister(e *env) {
	all := e.registryData()
	r := inventory.SnapshotRecord{Vcenter: "vc-a", Kind: inventory.Hourly, SnapshotTime: t0, TableName: inventory.HourlyTableName(t0),
		RowCount: 99, Duration: 7 * time.Second, RegisteredAt: t0.Add(24 * time.Hour)}
	e.ok(e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: r}), "RegisterSnapshot (again)")
	for i := range all {
		if all[i].Vcenter == r.Vcenter && all[i].Kind == r.Kind && all[i].SnapshotTime.Equal(r.SnapshotTime) {
			keepAt, keepDur := all[i].RegisteredAt, all[i].Duration
			all[i] = e.n.record(r)
			all[i].RegisteredAt, all[i].Duration = keepAt, keepDur
		}
	}
	got, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots after re-registering a record (fields replaced, RegisteredAt and Duration kept)", all, got)
	once := e.dump()
	e.ok(e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: r}), "RegisterSnapshot (third time)")
	e.unchanged(once, "RegisterSnapshot of the same record again")
}

func testRegistryInvalid(e *env) {
	e.registryData()
	before := e.dump()
	for name, r := range map[string]inventory.SnapshotRecord{
		"empty vcenter": {Kind: inventory.Hourly, SnapshotTime: t0},
		"bad kind":      {Vcenter: "vc-a", Kind: "weekly", SnapshotTime: t0},
		"zero time":     {Vcenter: "vc-a", Kind: inventory.Hourly},
	} {
		err := e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: r})
		wantInvalid(e.t, err, "RegisterSnapshot", name)
	}
	e.unchanged(before, "invalid RegisterSnapshot")
}
