package storetest

import (
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

func precisionTests() []test {
	return []test{
		{"TimesUTCAndTruncated", testPrecision},
		{"EventKeyAtPrecision", testEventKeyPrecision},
	}
}

// zone is a non-UTC location with a fractional offset.
var zone = time.FixedZone("UTC-07:30", -(7*3600 + 1800))

// testPrecision writes times with nanoseconds in a non-UTC location into
// every time field and checks they come back in UTC, truncated to
// TimePrecision (snapshot times to the second), zero times staying zero.
func testPrecision(e *env) {
	n, ctx, st := e.n, e.ctx, e.st
	base := time.Date(2026, 3, 14, 2, 45, 30, 123456789, zone) // 10:15:30.123456789Z
	p := e.snapshot("vc-p", base, 6, 1)
	for i := range p.State.VMs {
		vm := &p.State.VMs[i]
		vm.SnapshotTime = base
		switch i % 3 {
		case 0:
			vm.CreationTime = time.Time{}
		case 1:
			vm.CreationTime = base.Add(-time.Duration(i)*time.Hour - 789*time.Nanosecond)
		case 2:
			vm.CreationTime = time.Date(2001, 2, 3, 4, 5, 6, 999999999, time.FixedZone("X", 3600*13))
		}
		p.Samples[i] = vm.Sample(base)
	}
	p.RegisteredAt = base.Add(time.Minute + 1)
	p.Duration = 1234567891 * time.Nanosecond
	p.Location = zone
	res := e.write(p)
	sec := n.snap(base)
	if want := time.Date(2026, 3, 14, 10, 15, 30, 0, time.UTC); !sec.Equal(want) {
		e.t.Fatalf("suite bug: snapshot time %v, want %v", sec, want)
	}
	checkEq(e.t, "WriteSnapshot result.Record (times in UTC: SnapshotTime to the second, RegisteredAt to TimePrecision)", n.snapshotRecord(p), res.Record)
	checkTimes(e.t, "WriteSnapshot result", res, n.prec)
	checkList(e.t, "ScanSamples (SnapshotTime to the second, CreationTime to TimePrecision)", n.samples(p.Samples), e.scanAll(&store.ScanSamplesParams{}))
	e.checkState("state written at a non-UTC, sub-second time", "vc-p", n.state(p), sec)
	totals, err := st.ListTotals(ctx, &store.ListTotalsParams{})
	e.ok(err, "ListTotals")
	checkList(e.t, "ListTotals", []inventory.Totals{n.totals(p)}, totals)
	aggs, err := st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{})
	e.ok(err, "ListAggregateTotals")
	hour := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC) // 02:45:30 at UTC-07:30 lies in the local hour starting 02:00 = 09:30Z
	agg, _ := driver.MeanTotals("vc-p", inventory.Hourly, hour, []inventory.Totals{n.totals(p)})
	checkList(e.t, "ListAggregateTotals (hour cut at UTC-07:30, stored as UTC)", []inventory.AggregateTotals{agg}, aggs)
	if e.compat {
		checkList(e.t, "ScanCompatHourly", compatOrder(n.samples(p.Samples)), e.scanCompat(&store.ScanCompatParams{Name: inventory.HourlyTableName(sec)}))
	}
	// Bounds given in another location select the same instants.
	local := sec.In(zone)
	checkList(e.t, "ScanSamples{From: snapshot time in UTC-07:30}", n.samples(p.Samples), e.scanAll(&store.ScanSamplesParams{From: local}))
	checkList(e.t, "ScanSamples{To: snapshot time in UTC-07:30}", nil, e.scanAll(&store.ScanSamplesParams{To: local}))
	tr, err := st.TraceVM(ctx, &store.TraceVMParams{VMID: p.Samples[0].VMID, From: local, To: local.Add(time.Second)})
	e.ok(err, "TraceVM")
	checkList(e.t, "TraceVM{From, To in UTC-07:30}", n.samples(p.Samples[:1]), tr)

	lcs := []inventory.Lifecycle{
		{Vcenter: "vc-p", VMID: "vm-1", Name: "a", FirstSeen: base.Add(-48 * time.Hour), LastSeen: base, CreationTime: base.Add(-50*time.Hour + 1), CreationSource: inventory.SourceConfig},
		{Vcenter: "vc-p", VMID: "vm-2", Name: "b", FirstSeen: base.Add(-time.Hour), LastSeen: base.Add(-time.Hour + 999), Deleted: true,
			DeletionTime: base.Add(1), DeletionSource: inventory.SourceAbsence, CreationSource: inventory.SourceNone},
	}
	evs := []inventory.Event{{Vcenter: "vc-p", SnapshotTime: base, Kind: inventory.EventDeleted, VMID: "vm-2", Before: map[string]string{"deleted": "false"}}}
	e.ok(st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc-p", SnapshotTime: base, Lifecycles: lcs, Events: evs}), "ApplyReconcile")
	checkList(e.t, "ListLifecycles (times in UTC, truncated; zero stays zero)", n.lifecycles(lcs), e.listLifecycles(store.ListLifecyclesParams{}))
	checkList(e.t, "ListEvents", []inventory.Event{n.event(evs[0])}, e.listEvents(store.ListEventsParams{}), ignoreEventID)

	dayStart := time.Date(2026, 3, 14, 0, 0, 0, 0, zone)
	rows := DailyRollups("vc-p", dayStart, 3, 1)
	for i := range rows {
		rows[i].FirstSeen = base.Add(-time.Duration(i) * time.Hour)
		rows[i].LastSeen = base.Add(time.Duration(i) + 1)
		rows[i].CreationTime = time.Time{}
		if i == 1 {
			rows[i].CreationTime = base.Add(-1000 * time.Hour).In(time.FixedZone("Y", -3600))
		}
	}
	e.ok(st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-p", Day: dayStart, Rows: rows, Compat: e.compat}), "WriteDailyRollups")
	checkList(e.t, "ScanDailyRollups (Day = the UTC instant of local midnight)", n.daily(rows), e.scanDaily(&store.ScanRollupsParams{}))
	monStart := time.Date(2026, 3, 1, 0, 0, 0, 0, zone)
	mrows := MonthlyRollups("vc-p", monStart, 2, 1)
	mrows[0].LastSeen = base
	e.ok(st.WriteMonthlyRollups(ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-p", Month: monStart, Rows: mrows, Compat: e.compat}), "WriteMonthlyRollups")
	checkList(e.t, "ScanMonthlyRollups", n.monthly(mrows), e.scanMonthly(&store.ScanRollupsParams{}))
	if ct, ok := st.(store.CompatTables); ok {
		got, err := ct.ReadCompatDaily(ctx, &store.ScanCompatParams{Name: inventory.DailyTableName(dayStart)})
		e.ok(err, "ReadCompatDaily")
		checkList(e.t, "ReadCompatDaily", compatDaily(n.daily(rows)), got)
		gotM, err := ct.ReadCompatMonthly(ctx, &store.ScanCompatParams{Name: inventory.MonthlyTableName(monStart)})
		e.ok(err, "ReadCompatMonthly")
		checkList(e.t, "ReadCompatMonthly", compatMonthly(n.monthly(mrows)), gotM)
	}

	rec := inventory.SnapshotRecord{Vcenter: "vc-p", Kind: inventory.Daily, SnapshotTime: dayStart.Add(7), RowCount: 3, Duration: 1, RegisteredAt: base.Add(2*time.Hour + 5)}
	e.ok(st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: rec}), "RegisterSnapshot")
	recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Daily})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots{daily} (RegisterSnapshot times truncated to TimePrecision)", []inventory.SnapshotRecord{n.record(rec)}, recs)

	a, err := st.RefreshAggregateTotals(ctx, &store.RefreshAggregateTotalsParams{Vcenter: "vc-p", Granularity: inventory.Daily,
		PeriodStart: dayStart.Add(3), PeriodEnd: dayStart.AddDate(0, 0, 1)})
	e.ok(err, "RefreshAggregateTotals")
	wantAgg, _ := driver.MeanTotals("vc-p", inventory.Daily, dayStart.Add(3), []inventory.Totals{n.totals(p)})
	checkEq(e.t, "RefreshAggregateTotals (PeriodStart in UTC, truncated)", &wantAgg, a)

	_, err = st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: Endpoint("vc-p")})
	e.ok(err, "UpsertEndpoint")
	cs := inventory.CaptureStatus{Endpoint: "vc-p", LastAttempt: base.Add(3), LastDuration: 1234567891}
	e.ok(st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: cs}), "RecordCaptureStatus")
	sts, err := st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
	e.ok(err, "ListCaptureStatus")
	checkList(e.t, "ListCaptureStatus (LastAttempt truncated, LastSuccess zero)", []inventory.CaptureStatus{n.status(cs)}, sts)

	d := e.dump()
	checkTimes(e.t, "Dump", d, n.prec)
	if !d.StateTimes["vc-p"].Equal(sec) {
		e.t.Errorf("StateTime(vc-p) = %v, want %v", d.StateTimes["vc-p"], sec)
	}
}

// testEventKeyPrecision: the natural key of an event uses the stored
// (truncated) time, so re-appending with a time differing below the
// precision is a duplicate.
func testEventKeyPrecision(e *env) {
	base := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	ev := inventory.Event{Vcenter: "vc-a", SnapshotTime: base.Add(100), Kind: inventory.EventPower, VMID: "vm-1"}
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: []inventory.Event{ev}}), "AppendEvents")
	once := e.dump()
	ev.SnapshotTime = base.Add(e.n.prec - 1).In(zone)
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: []inventory.Event{ev}}), "AppendEvents")
	e.unchanged(once, "AppendEvents of an event whose time differs from a stored one below TimePrecision")
}
