package storetest

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

func storeTests() []test {
	return []test{
		{"Capabilities", func(e *env) {
			c := e.caps
			if c.Backend == "" {
				e.t.Error("Capabilities().Backend is empty")
			}
			if c.TimePrecision <= 0 || c.TimePrecision > time.Second || time.Second%c.TimePrecision != 0 {
				e.t.Errorf("Capabilities().TimePrecision = %v, want a divisor of one second", c.TimePrecision)
			}
		}},
		{"MigrateIdempotent", func(e *env) {
			e.write(e.snapshot("vc-a", t0, 8, 1))
			before := e.dump()
			for i := 0; i < 2; i++ {
				e.ok(e.st.Migrate(e.ctx), "Migrate #%d on a migrated store", i+1)
			}
			e.unchanged(before, "Migrate on a migrated store")
		}},
		{"NilParams", testNilParams},
	}
}

// testNilParams calls every method with nil params: list methods treat them
// as the zero value, methods that need params return *InvalidParamsError,
// none panics or writes.
func testNilParams(e *env) {
	t, ctx, st := e.t, e.ctx, e.st
	e.write(e.snapshot("vc-a", t0, 6, 1))
	e.ok(st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0,
		Lifecycles: Lifecycles("vc-a", t0, 3, 1), Events: Events("vc-a", t0, 3, 1)}), "ApplyReconcile")
	e.ok(st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day0, Rows: DailyRollups("vc-a", day0, 2, 1)}), "WriteDailyRollups")
	e.ok(st.WriteMonthlyRollups(ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-a", Month: mon0, Rows: MonthlyRollups("vc-a", mon0, 2, 1)}), "WriteMonthlyRollups")
	_, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: Endpoint("vc-a")})
	e.ok(err, "UpsertEndpoint")
	e.ok(st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: "vc-a", LastAttempt: t0}}), "RecordCaptureStatus")
	before := e.dump()

	call := func(name string, f func() error) (err error) {
		t.Helper()
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("%s(ctx, nil) panicked: %v", name, r)
				err = errors.New("panic")
			}
		}()
		return f()
	}
	invalid := func(op string, f func() error) {
		t.Helper()
		wantInvalid(t, call(op, f), op, "with nil params")
	}
	// invalidOrNotFound accepts either reading of "nil is the zero value".
	invalidOrNotFound := func(op string, f func() error) {
		t.Helper()
		err := call(op, f)
		var ipe *store.InvalidParamsError
		if !errors.As(err, &ipe) && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s(ctx, nil): got %v, want *store.InvalidParamsError or store.ErrNotFound", op, err)
		}
	}
	noPanic := func(op string, f func() error) {
		t.Helper()
		if err := call(op, f); err != nil {
			var ipe *store.InvalidParamsError
			if !errors.As(err, &ipe) {
				t.Errorf("%s(ctx, nil): got %v, want nil or *store.InvalidParamsError", op, err)
			}
		}
	}
	same := func(op string, f func() error) {
		t.Helper()
		if err := call(op, f); err != nil {
			t.Errorf("%s(ctx, nil): %v, want the zero-params result", op, err)
		}
	}

	invalid("WriteSnapshot", func() error { _, err := st.WriteSnapshot(ctx, nil); return err })
	noPanic("WriteSamples", func() error { return st.WriteSamples(ctx, nil) })
	same("ScanSamples", func() error {
		var got []inventory.Sample
		err := st.ScanSamples(ctx, nil, func(s *inventory.Sample) error { got = append(got, copySample(s)); return nil })
		checkList(t, "ScanSamples(nil)", before.Samples, got)
		return err
	})
	invalid("TraceVM", func() error { _, err := st.TraceVM(ctx, nil); return err })
	noPanic("SnapshotTimes", func() error { _, err := st.SnapshotTimes(ctx, nil); return err })
	invalid("DeleteSamples", func() error { _, err := st.DeleteSamples(ctx, nil); return err })
	same("ListVMs", func() error {
		pg, err := st.ListVMs(ctx, nil)
		if err == nil {
			checkList(t, "ListVMs(nil).VMs", before.VMs, pg.VMs)
		}
		return err
	})
	invalidOrNotFound("GetVM", func() error { _, err := st.GetVM(ctx, nil); return err })
	same("ListHosts", func() error {
		got, err := st.ListHosts(ctx, nil)
		checkList(t, "ListHosts(nil)", before.Hosts, got)
		return err
	})
	same("ListClusters", func() error {
		got, err := st.ListClusters(ctx, nil)
		checkList(t, "ListClusters(nil)", before.Clusters, got)
		return err
	})
	same("ListDatastores", func() error {
		got, err := st.ListDatastores(ctx, nil)
		checkList(t, "ListDatastores(nil)", before.Datastores, got)
		return err
	})
	same("ListNetworks", func() error {
		got, err := st.ListNetworks(ctx, nil)
		checkList(t, "ListNetworks(nil)", before.Networks, got)
		return err
	})
	same("ListResourcePools", func() error {
		got, err := st.ListResourcePools(ctx, nil)
		checkList(t, "ListResourcePools(nil)", before.ResourcePools, got)
		return err
	})
	noPanic("ApplyReconcile", func() error { return st.ApplyReconcile(ctx, nil) })
	same("ListLifecycles", func() error {
		pg, err := st.ListLifecycles(ctx, nil)
		if err == nil {
			checkList(t, "ListLifecycles(nil)", before.Lifecycles, pg.Lifecycles)
		}
		return err
	})
	invalidOrNotFound("GetLifecycle", func() error { _, err := st.GetLifecycle(ctx, nil); return err })
	noPanic("AppendEvents", func() error { return st.AppendEvents(ctx, nil) })
	same("ListEvents", func() error {
		pg, err := st.ListEvents(ctx, nil)
		if err == nil {
			checkList(t, "ListEvents(nil)", before.Events, pg.Events)
		}
		return err
	})
	invalid("WriteDailyRollups", func() error { return st.WriteDailyRollups(ctx, nil) })
	invalid("WriteMonthlyRollups", func() error { return st.WriteMonthlyRollups(ctx, nil) })
	same("ScanDailyRollups", func() error {
		var got []inventory.DailyRollup
		err := st.ScanDailyRollups(ctx, nil, func(r *inventory.DailyRollup) error { got = append(got, *r); return nil })
		checkList(t, "ScanDailyRollups(nil)", before.DailyRollups, got)
		return err
	})
	same("ScanMonthlyRollups", func() error {
		var got []inventory.MonthlyRollup
		err := st.ScanMonthlyRollups(ctx, nil, func(r *inventory.MonthlyRollup) error { got = append(got, *r); return nil })
		checkList(t, "ScanMonthlyRollups(nil)", before.MonthlyRollups, got)
		return err
	})
	same("ListTotals", func() error {
		got, err := st.ListTotals(ctx, nil)
		checkList(t, "ListTotals(nil)", before.Totals, got)
		return err
	})
	same("LatestTotals", func() error {
		got, err := st.LatestTotals(ctx, nil)
		checkList(t, "LatestTotals(nil)", before.LatestTotals, got)
		return err
	})
	invalid("RefreshAggregateTotals", func() error { _, err := st.RefreshAggregateTotals(ctx, nil); return err })
	same("ListAggregateTotals", func() error {
		got, err := st.ListAggregateTotals(ctx, nil)
		checkList(t, "ListAggregateTotals(nil)", before.AggregateTotals, got)
		return err
	})
	invalid("RegisterSnapshot", func() error { return st.RegisterSnapshot(ctx, nil) })
	same("ListSnapshots", func() error {
		got, err := st.ListSnapshots(ctx, nil)
		checkList(t, "ListSnapshots(nil)", before.Snapshots, got)
		return err
	})
	invalid("UpsertEndpoint", func() error { _, err := st.UpsertEndpoint(ctx, nil); return err })
	invalidOrNotFound("GetEndpoint", func() error { _, err := st.GetEndpoint(ctx, nil); return err })
	same("ListEndpoints", func() error {
		got, err := st.ListEndpoints(ctx, nil)
		checkList(t, "ListEndpoints(nil)", before.Endpoints, got)
		return err
	})
	invalidOrNotFound("DeleteEndpoint", func() error { return st.DeleteEndpoint(ctx, nil) })
	invalid("RecordCaptureStatus", func() error { return st.RecordCaptureStatus(ctx, nil) })
	same("ListCaptureStatus", func() error {
		got, err := st.ListCaptureStatus(ctx, nil)
		checkList(t, "ListCaptureStatus(nil)", before.CaptureStatus, got)
		return err
	})
	if ct, ok := st.(store.CompatTables); ok {
		invalid("WriteCompatHourly", func() error { return ct.WriteCompatHourly(ctx, nil) })
		invalidOrNotFound("ScanCompatHourly", func() error {
			return ct.ScanCompatHourly(ctx, nil, func(*inventory.Sample) error { return nil })
		})
		invalidOrNotFound("ReadCompatDaily", func() error { _, err := ct.ReadCompatDaily(ctx, nil); return err })
		invalidOrNotFound("ReadCompatMonthly", func() error { _, err := ct.ReadCompatMonthly(ctx, nil); return err })
		same("ListCompatTables", func() error {
			got, err := ct.ListCompatTables(ctx, nil)
			checkList(t, "ListCompatTables(nil)", before.CompatTables, got)
			return err
		})
		invalid("DropCompatTable", func() error { return ct.DropCompatTable(ctx, nil) })
	}
	e.unchanged(before, "calls with nil params")
}

func snapshotTests() []test {
	return []test{
		{"RoundTrip", testSnapshotRoundTrip},
		{"StoreSetsTimeAndVcenter", testSnapshotSetsFields},
		{"RewriteReplacesSamples", testSnapshotRewrite},
		{"NewerReplacesState", testNewerReplacesState},
		{"StateChangesInPlace", testStateChanges},
		{"OlderKeepsState", testOlderKeepsState},
		{"EqualTimeReplacesState", testEqualTimeReplacesState},
		{"NilStateKeepsState", testNilState},
		{"EmptyState", testEmptyState},
		{"HourlyAggregate", testHourlyAggregate},
		{"RegisteredAtKept", testRegisteredAtKept},
		{"InvalidParams", testSnapshotInvalid},
		{"Idempotent", testSnapshotIdempotent},
		{"CancelledContext", testSnapshotCancelled},
	}
}

// checkSnapshotStored checks everything WriteSnapshot p stored when it was
// the only write of its vCenter.
func (e *env) checkSnapshotStored(p *store.WriteSnapshotParams, res *store.WriteSnapshotResult) {
	t, n := e.t, e.n
	t.Helper()
	vc, st := p.Vcenter, n.snap(p.SnapshotTime)
	if res.Samples != len(p.Samples) {
		t.Errorf("WriteSnapshot result.Samples = %d, want %d", res.Samples, len(p.Samples))
	}
	if !res.StateReplaced {
		t.Errorf("WriteSnapshot result.StateReplaced = false for the first snapshot of %q", vc)
	}
	wantTable := ""
	if p.Compat {
		wantTable = inventory.HourlyTableName(st)
	}
	if res.CompatTable != wantTable {
		t.Errorf("WriteSnapshot result.CompatTable = %q, want %q", res.CompatTable, wantTable)
	}
	wantRec := n.snapshotRecord(p)
	checkEq(t, "WriteSnapshot result.Record", wantRec, res.Record)

	checkList(t, "ScanSamples{Vcenter: "+vc+"}", n.samples(p.Samples), e.scanAll(&store.ScanSamplesParams{Vcenter: vc}))
	want := n.state(p)
	checkList(t, "ListVMs{Vcenter}", want.VMs, e.listVMs(store.ListVMsParams{Vcenter: vc}))
	hosts, err := e.st.ListHosts(e.ctx, &store.ListHostsParams{Vcenter: vc})
	e.ok(err, "ListHosts")
	checkList(t, "ListHosts{Vcenter}", want.Hosts, hosts)
	clusters, err := e.st.ListClusters(e.ctx, &store.ListClustersParams{Vcenter: vc})
	e.ok(err, "ListClusters")
	checkList(t, "ListClusters{Vcenter}", want.Clusters, clusters)
	dss, err := e.st.ListDatastores(e.ctx, &store.ListDatastoresParams{Vcenter: vc})
	e.ok(err, "ListDatastores")
	checkList(t, "ListDatastores{Vcenter}", want.Datastores, dss)
	nets, err := e.st.ListNetworks(e.ctx, &store.ListNetworksParams{Vcenter: vc})
	e.ok(err, "ListNetworks")
	checkList(t, "ListNetworks{Vcenter}", want.Networks, nets)
	pools, err := e.st.ListResourcePools(e.ctx, &store.ListResourcePoolsParams{Vcenter: vc})
	e.ok(err, "ListResourcePools")
	checkList(t, "ListResourcePools{Vcenter}", want.ResourcePools, pools)
	stime, err := e.st.StateTime(e.ctx, vc)
	e.ok(err, "StateTime(%q)", vc)
	checkEq(t, "StateTime", st, stime)

	tot := n.totals(p)
	totals, err := e.st.ListTotals(e.ctx, &store.ListTotalsParams{Vcenter: vc})
	e.ok(err, "ListTotals")
	checkList(t, "ListTotals{Vcenter}", []inventory.Totals{tot}, totals)
	latest, err := e.st.LatestTotals(e.ctx, &store.LatestTotalsParams{Vcenter: vc})
	e.ok(err, "LatestTotals")
	checkList(t, "LatestTotals{Vcenter}", []inventory.Totals{tot}, latest)
	agg, _ := driver.MeanTotals(vc, inventory.Hourly, inventory.HourOf(st, p.Location).Start, []inventory.Totals{tot})
	aggs, err := e.st.ListAggregateTotals(e.ctx, &store.ListAggregateTotalsParams{Vcenter: vc})
	e.ok(err, "ListAggregateTotals")
	checkList(t, "ListAggregateTotals{Vcenter} (hourly aggregate refreshed by WriteSnapshot)", []inventory.AggregateTotals{agg}, aggs)
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Vcenter: vc})
	e.ok(err, "ListSnapshots")
	checkList(t, "ListSnapshots{Vcenter}", []inventory.SnapshotRecord{wantRec}, recs)

	if p.Compat {
		tables, err := e.ct.ListCompatTables(e.ctx, &store.ListCompatTablesParams{Kind: store.CompatHourly})
		e.ok(err, "ListCompatTables")
		checkList(t, "ListCompatTables{hourly}", []store.CompatTable{{Name: wantTable, Kind: store.CompatHourly, Period: st.Truncate(time.Minute)}}, tables)
		checkList(t, "ScanCompatHourly("+wantTable+")", compatOrder(n.samples(p.Samples)), e.scanCompat(&store.ScanCompatParams{Name: wantTable, Vcenter: vc}))
	}
	checkTimes(t, "Dump", e.dump(), n.prec)
}

func testSnapshotRoundTrip(e *env) {
	p := e.snapshot("vc-a", t0, 40, 1)
	res := e.write(p)
	e.checkSnapshotStored(p, res)
}

// testSnapshotSetsFields: state rows and totals carry whatever SnapshotTime
// the caller left (zero or stale) and Totals no Vcenter; the store sets them.
func testSnapshotSetsFields(e *env) {
	p := e.snapshot("vc-a", t0, 12, 2)
	stale := t0.Add(-72 * time.Hour)
	for i := range p.State.VMs {
		if i%2 == 0 {
			p.State.VMs[i].SnapshotTime = stale
		}
	}
	p.State.Hosts[0].SnapshotTime = stale
	p.State.Datastores[0].SnapshotTime = stale
	p.Totals.Vcenter, p.Totals.SnapshotTime = "", stale
	res := e.write(p)
	e.checkSnapshotStored(p, res)

	// RegisteredAt defaults to the current time.
	q := e.snapshot("vc-b", t0, 3, 2)
	q.RegisteredAt = time.Time{}
	before := time.Now()
	res = e.write(q)
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Vcenter: "vc-b"})
	e.ok(err, "ListSnapshots")
	if len(recs) != 1 {
		e.t.Fatalf("ListSnapshots{vc-b}: %d records, want 1", len(recs))
	}
	if recs[0].RegisteredAt.IsZero() {
		e.t.Errorf("WriteSnapshot with zero RegisteredAt: stored RegisteredAt is zero, want the current time (about %v)", before.UTC())
	}
	checkEq(e.t, "WriteSnapshot result.Record (zero RegisteredAt)", recs[0], res.Record)
}

func testSnapshotRewrite(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 10, 1)
	e.write(p1)
	other := e.snapshot("vc-b", t0, 4, 1)
	e.write(other)
	p2 := e.snapshot("vc-a", t0, 6, 2) // same time, fewer VMs, other figures
	p2.RegisteredAt = t0.Add(time.Hour)
	p2.Duration = 42 * time.Second
	res := e.write(p2)
	if !res.StateReplaced {
		e.t.Error("rewrite at the same SnapshotTime: StateReplaced = false, want true (SnapshotTime >= StateTime)")
	}
	checkList(e.t, "ScanSamples{vc-a} after rewrite with fewer samples", n.samples(p2.Samples), e.scanAll(&store.ScanSamplesParams{Vcenter: "vc-a"}))
	checkList(e.t, "ScanSamples{vc-b} (other vCenter, same time)", n.samples(other.Samples), e.scanAll(&store.ScanSamplesParams{Vcenter: "vc-b"}))
	checkList(e.t, "ListVMs{vc-a} after rewrite", n.state(p2).VMs, e.listVMs(store.ListVMsParams{Vcenter: "vc-a"}))
	totals, err := e.st.ListTotals(e.ctx, &store.ListTotalsParams{Vcenter: "vc-a"})
	e.ok(err, "ListTotals")
	checkList(e.t, "ListTotals{vc-a} after rewrite", []inventory.Totals{n.totals(p2)}, totals)
	want := n.snapshotRecord(p2)
	want.RegisteredAt, want.Duration = n.t(p1.RegisteredAt), p1.Duration
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Vcenter: "vc-a"})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots{vc-a} after rewrite (RowCount new; RegisteredAt and Duration first)", []inventory.SnapshotRecord{want}, recs)
	checkEq(e.t, "WriteSnapshot result.Record of the rewrite", want, res.Record)
	if e.compat {
		name := inventory.HourlyTableName(t0)
		checkList(e.t, "ScanCompatHourly after rewrite of vc-a", compatOrder(append(n.samples(p2.Samples), n.samples(other.Samples)...)),
			e.scanCompat(&store.ScanCompatParams{Name: name}))
	}
}

func (e *env) checkState(what, vc string, want inventory.State, wantTime time.Time) {
	e.t.Helper()
	checkList(e.t, what+": ListVMs", want.VMs, e.listVMs(store.ListVMsParams{Vcenter: vc}))
	hosts, err := e.st.ListHosts(e.ctx, &store.ListHostsParams{Vcenter: vc})
	e.ok(err, "ListHosts")
	checkList(e.t, what+": ListHosts", want.Hosts, hosts)
	clusters, err := e.st.ListClusters(e.ctx, &store.ListClustersParams{Vcenter: vc})
	e.ok(err, "ListClusters")
	checkList(e.t, what+": ListClusters", want.Clusters, clusters)
	dss, err := e.st.ListDatastores(e.ctx, &store.ListDatastoresParams{Vcenter: vc})
	e.ok(err, "ListDatastores")
	checkList(e.t, what+": ListDatastores", want.Datastores, dss)
	nets, err := e.st.ListNetworks(e.ctx, &store.ListNetworksParams{Vcenter: vc})
	e.ok(err, "ListNetworks")
	checkList(e.t, what+": ListNetworks", want.Networks, nets)
	pools, err := e.st.ListResourcePools(e.ctx, &store.ListResourcePoolsParams{Vcenter: vc})
	e.ok(err, "ListResourcePools")
	checkList(e.t, what+": ListResourcePools", want.ResourcePools, pools)
	stime, err := e.st.StateTime(e.ctx, vc)
	e.ok(err, "StateTime(%q)", vc)
	checkEq(e.t, what+": StateTime", wantTime, stime)
}

func (e *env) latestTotals(vc string) []inventory.Totals {
	e.t.Helper()
	got, err := e.st.LatestTotals(e.ctx, &store.LatestTotalsParams{Vcenter: vc})
	e.ok(err, "LatestTotals{%q}", vc)
	return got
}

func testNewerReplacesState(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 30, 1)
	e.write(p1)
	b := e.snapshot("vc-b", t0, 9, 3)
	e.write(b)
	p2 := e.snapshot("vc-a", t0.Add(time.Hour), 12, 2) // fewer VMs, hosts, datastores
	res := e.write(p2)
	if !res.StateReplaced {
		e.t.Error("newer snapshot: WriteSnapshot result.StateReplaced = false, want true")
	}
	e.checkState("vc-a after a newer snapshot (objects absent from it are gone)", "vc-a", n.state(p2), n.snap(p2.SnapshotTime))
	e.checkState("vc-b (untouched)", "vc-b", n.state(b), t0)
	checkList(e.t, "LatestTotals{vc-a} after a newer snapshot", []inventory.Totals{n.totals(p2)}, e.latestTotals("vc-a"))
	all, err := e.st.LatestTotals(e.ctx, &store.LatestTotalsParams{})
	e.ok(err, "LatestTotals")
	checkList(e.t, "LatestTotals{} (ordered by vcenter)", []inventory.Totals{n.totals(p2), n.totals(b)}, all)
	totals, err := e.st.ListTotals(e.ctx, &store.ListTotalsParams{Vcenter: "vc-a"})
	e.ok(err, "ListTotals")
	checkList(e.t, "ListTotals{vc-a}", []inventory.Totals{n.totals(p1), n.totals(p2)}, totals)
	checkList(e.t, "ScanSamples{vc-a} (both snapshots kept)", n.samples(append(p1.Samples, p2.Samples...)), e.scanAll(&store.ScanSamplesParams{Vcenter: "vc-a"}))
}

// testStateChanges replaces a state with one where a few objects were
// removed, added or changed and the rest is the same (what an hourly
// capture usually sees), then with the same objects at a later time:
// every read returns exactly the new state, whatever a backend does to
// avoid rewriting unchanged rows.
func testStateChanges(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 20, 1)
	e.write(p1)
	e.write(e.snapshot("vc-b", t0, 6, 3))
	changed := func(at time.Time) *store.WriteSnapshotParams {
		p := e.snapshot("vc-a", at, 20, 1) // p1's objects at another time
		st := p.State
		gone := st.VMs[3].ID
		st.VMs = append(st.VMs[:3:3], st.VMs[4:]...)
		var samples []inventory.Sample
		for _, s := range p.Samples {
			if s.VMID != gone {
				samples = append(samples, s)
			}
		}
		p.Samples = samples
		v := &st.VMs[5]
		h := st.Hosts[len(st.Hosts)-1]
		v.HostID, v.Host, v.Name, v.VCPUCount = h.ID, h.Name, v.Name+"-renamed", v.VCPUCount+2
		v.DatastoreIDs = []string{st.Datastores[len(st.Datastores)-1].ID}
		v.NetworkIDs = nil
		added := st.VMs[0]
		added.ID, added.UUID, added.Name = "vm-900001", "4200aaaa-0000-0000-0000-000000000001", "added-'vm'"
		added.DatastoreIDs = []string{st.Datastores[0].ID, st.Datastores[1%len(st.Datastores)].ID}
		st.VMs = append(st.VMs, added)
		sample := p.Samples[0]
		sample.VMID, sample.VMUUID, sample.Name = added.ID, added.UUID, added.Name
		p.Samples = append(p.Samples, sample)
		st.Hosts[0].Name += "-renamed"
		st.Datastores[0].HostIDs = st.Datastores[0].HostIDs[1:]
		st.Networks = st.Networks[1:]
		return p
	}
	p2 := changed(t0.Add(time.Hour))
	e.write(p2)
	e.checkState("vc-a after a few objects changed", "vc-a", n.state(p2), n.snap(p2.SnapshotTime))
	p3 := changed(t0.Add(2 * time.Hour))
	e.write(p3)
	e.checkState("vc-a at a later time, nothing changed", "vc-a", n.state(p3), n.snap(p3.SnapshotTime))
	e.write(p1) // older: the state stays p3's
	e.checkState("vc-a after an older snapshot", "vc-a", n.state(p3), n.snap(p3.SnapshotTime))
	e.checkState("vc-b (untouched)", "vc-b", n.state(e.snapshot("vc-b", t0, 6, 3)), t0)
}

func testOlderKeepsState(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 20, 1)
	e.write(p1)
	old := e.snapshot("vc-a", t0.Add(-time.Hour), 25, 7)
	res := e.write(old)
	if res.StateReplaced {
		e.t.Error("older snapshot: WriteSnapshot result.StateReplaced = true, want false")
	}
	if res.Samples != len(old.Samples) {
		e.t.Errorf("older snapshot: result.Samples = %d, want %d", res.Samples, len(old.Samples))
	}
	e.checkState("vc-a after an older snapshot (state kept)", "vc-a", n.state(p1), t0)
	checkList(e.t, "LatestTotals{vc-a} after an older snapshot (unchanged)", []inventory.Totals{n.totals(p1)}, e.latestTotals("vc-a"))
	totals, err := e.st.ListTotals(e.ctx, &store.ListTotalsParams{Vcenter: "vc-a"})
	e.ok(err, "ListTotals")
	checkList(e.t, "ListTotals{vc-a} (older row still written)", []inventory.Totals{n.totals(old), n.totals(p1)}, totals)
	checkList(e.t, "ScanSamples{vc-a} (older samples still written)", n.samples(append(old.Samples, p1.Samples...)), e.scanAll(&store.ScanSamplesParams{Vcenter: "vc-a"}))
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Vcenter: "vc-a"})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots{vc-a} (older snapshot registered)", []inventory.SnapshotRecord{n.snapshotRecord(old), n.snapshotRecord(p1)}, recs)
	if e.compat {
		checkList(e.t, "ScanCompatHourly of the older snapshot", compatOrder(n.samples(old.Samples)),
			e.scanCompat(&store.ScanCompatParams{Name: inventory.HourlyTableName(old.SnapshotTime)}))
	}
}

func testEqualTimeReplacesState(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 20, 1)
	e.write(p1)
	p2 := e.snapshot("vc-a", t0.Add(400*time.Millisecond), 8, 5) // same second
	res := e.write(p2)
	if !res.StateReplaced {
		e.t.Error("snapshot at SnapshotTime == StateTime: StateReplaced = false, want true")
	}
	e.checkState("vc-a after a rewrite at the same time", "vc-a", n.state(p2), t0)
	checkList(e.t, "LatestTotals{vc-a}", []inventory.Totals{n.totals(p2)}, e.latestTotals("vc-a"))
}

func testNilState(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 10, 1)
	e.write(p1)
	p2 := e.snapshot("vc-a", t0.Add(time.Hour), 4, 2)
	p2.State = nil
	res := e.write(p2)
	if res.StateReplaced {
		e.t.Error("WriteSnapshot with nil State: StateReplaced = true, want false")
	}
	e.checkState("vc-a after a snapshot without State", "vc-a", n.state(p1), t0)
	checkList(e.t, "ScanSamples{vc-a}", n.samples(append(p1.Samples, p2.Samples...)), e.scanAll(&store.ScanSamplesParams{Vcenter: "vc-a"}))
}

// testEmptyState: a vCenter with no objects has an (empty) latest state.
func testEmptyState(e *env) {
	n := e.n
	p1 := e.snapshot("vc-a", t0, 10, 1)
	e.write(p1)
	p2 := &store.WriteSnapshotParams{Vcenter: "vc-a", SnapshotTime: t0.Add(time.Hour), State: &inventory.State{}, Compat: e.compat, RegisteredAt: t0}
	res := e.write(p2)
	if !res.StateReplaced {
		e.t.Error("newer snapshot with an empty State: StateReplaced = false, want true")
	}
	e.checkState("vc-a after a newer, empty snapshot", "vc-a", inventory.State{}, n.snap(p2.SnapshotTime))
	checkList(e.t, "LatestTotals{vc-a}", []inventory.Totals{n.totals(p2)}, e.latestTotals("vc-a"))

	// A vCenter whose first snapshot is empty is registered and has a state.
	p3 := &store.WriteSnapshotParams{Vcenter: "vc-empty", SnapshotTime: t0, State: &inventory.State{}, Compat: e.compat, RegisteredAt: t0}
	res = e.write(p3)
	if res.Samples != 0 || !res.StateReplaced {
		e.t.Errorf("empty first snapshot: result = %+v, want Samples 0, StateReplaced true", res)
	}
	stime, err := e.st.StateTime(e.ctx, "vc-empty")
	e.ok(err, "StateTime of a vCenter whose state is empty")
	checkEq(e.t, "StateTime(vc-empty)", t0, stime)
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Vcenter: "vc-empty"})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots{vc-empty} (a snapshot with no VMs is registered)", []inventory.SnapshotRecord{n.snapshotRecord(p3)}, recs)
	if e.compat {
		name := inventory.HourlyTableName(t0)
		tables, err := e.ct.ListCompatTables(e.ctx, &store.ListCompatTablesParams{Kind: store.CompatHourly})
		e.ok(err, "ListCompatTables")
		found := false
		for _, tb := range tables {
			found = found || tb.Name == name
		}
		if !found {
			e.t.Errorf("ListCompatTables: %s missing after a Compat snapshot with no samples", name)
		}
	}
}

func testHourlyAggregate(e *env) {
	n := e.n
	at := func(h, m int) time.Time { return time.Date(2026, 3, 14, h, m, 0, 0, time.UTC) }
	a1, a2, a3 := e.snapshot("vc-a", at(10, 5), 6, 1), e.snapshot("vc-a", at(10, 35), 9, 2), e.snapshot("vc-a", at(11, 10), 7, 3)
	a2.Totals.RAMGBTotal, a2.Totals.DatastoreFreeGB = 0.1, 1e-9 // exact floats
	for _, p := range []*store.WriteSnapshotParams{a2, a1, a3} {
		e.write(p)
	}
	want := []inventory.AggregateTotals{}
	m, _ := driver.MeanTotals("vc-a", inventory.Hourly, at(10, 0), []inventory.Totals{n.totals(a1), n.totals(a2)})
	want = append(want, m)
	m, _ = driver.MeanTotals("vc-a", inventory.Hourly, at(11, 0), []inventory.Totals{n.totals(a3)})
	want = append(want, m)

	// A location with a fractional offset: hours start at local :00, UTC :30.
	ist := time.FixedZone("IST", 5*3600+1800)
	b1, b2, b3 := e.snapshot("vc-b", at(10, 45), 5, 4), e.snapshot("vc-b", at(10, 20), 5, 5), e.snapshot("vc-b", at(10, 59), 3, 6)
	for _, p := range []*store.WriteSnapshotParams{b1, b2, b3} {
		p.Location = ist
		e.write(p)
	}
	m, _ = driver.MeanTotals("vc-b", inventory.Hourly, at(9, 30), []inventory.Totals{n.totals(b2)})
	want = append(want, m)
	m, _ = driver.MeanTotals("vc-b", inventory.Hourly, at(10, 30), []inventory.Totals{n.totals(b1), n.totals(b3)})
	want = append(want, m)

	got, err := e.st.ListAggregateTotals(e.ctx, &store.ListAggregateTotalsParams{Granularity: inventory.Hourly})
	e.ok(err, "ListAggregateTotals")
	checkList(e.t, "ListAggregateTotals{hourly} = MeanTotals over each hour's totals ordered by snapshot_time", want, got)
}

func testRegisteredAtKept(e *env) {
	n := e.n
	p := e.snapshot("vc-a", t0, 5, 1)
	p.RegisteredAt = t0.Add(3 * time.Minute)
	e.write(p)
	q := e.snapshot("vc-a", t0, 7, 2)
	q.RegisteredAt = t0.Add(9 * time.Hour)
	q.Duration = 2*time.Hour + 1
	res := e.write(q)
	want := n.snapshotRecord(q)
	want.RegisteredAt, want.Duration = n.t(p.RegisteredAt), p.Duration
	checkEq(e.t, "result.Record of a re-written snapshot", want, res.Record)
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots after a re-written snapshot (first RegisteredAt and Duration kept)", []inventory.SnapshotRecord{want}, recs)
}

func testSnapshotInvalid(e *env) {
	e.write(e.snapshot("vc-a", t0.Add(-time.Hour), 5, 1))
	before := e.dump()
	cases := []struct {
		name string
		mod  func(p *store.WriteSnapshotParams)
	}{
		{"empty Vcenter", func(p *store.WriteSnapshotParams) { p.Vcenter = "" }},
		{"zero SnapshotTime", func(p *store.WriteSnapshotParams) { p.SnapshotTime = time.Time{} }},
		{"duplicate VM key", func(p *store.WriteSnapshotParams) { p.Samples[3].VMID = p.Samples[1].VMID }},
		{"duplicate uuid-only key", func(p *store.WriteSnapshotParams) {
			p.Samples[2].VMID, p.Samples[4].VMID = "", ""
			p.Samples[4].VMUUID = p.Samples[2].VMUUID
		}},
		{"sample of another vcenter", func(p *store.WriteSnapshotParams) { p.Samples[len(p.Samples)-1].Vcenter = "vc-other" }},
		{"sample at another time", func(p *store.WriteSnapshotParams) { p.Samples[0].SnapshotTime = t0.Add(time.Second) }},
		{"sample without identity", func(p *store.WriteSnapshotParams) {
			p.Samples[5].VMID, p.Samples[5].VMUUID, p.Samples[5].Name = "", "", ""
		}},
		{"NaN disk", func(p *store.WriteSnapshotParams) { p.Samples[6].ProvisionedDiskGB = math.NaN() }},
		{"Inf used disk", func(p *store.WriteSnapshotParams) { p.Samples[7].UsedDiskGB = math.Inf(-1) }},
		{"NaN disk in state", func(p *store.WriteSnapshotParams) { p.State.VMs[2].ProvisionedDiskGB = math.NaN() }},
		{"NUL in sample name", func(p *store.WriteSnapshotParams) { p.Samples[1].Name = "a\x00b" }},
		{"NUL in attribute", func(p *store.WriteSnapshotParams) { p.Samples[2].Attributes = map[string]string{"k": "v\x00"} }},
		{"NUL in vcenter", func(p *store.WriteSnapshotParams) {
			p.Vcenter = "vc\x00a"
			for i := range p.Samples {
				p.Samples[i].Vcenter = p.Vcenter
			}
			p.State = nil
		}},
		{"state VM of another vcenter", func(p *store.WriteSnapshotParams) { p.State.VMs[0].Vcenter = "vc-other" }},
		{"state host without id", func(p *store.WriteSnapshotParams) { p.State.Hosts[1].ID = "" }},
		{"duplicate datastore id", func(p *store.WriteSnapshotParams) { p.State.Datastores[1].ID = p.State.Datastores[0].ID }},
		{"totals of another vcenter", func(p *store.WriteSnapshotParams) { p.Totals.Vcenter = "vc-other" }},
	}
	for _, c := range cases {
		p := e.snapshot("vc-a", t0, 12, 2)
		c.mod(p)
		res, err := e.st.WriteSnapshot(e.ctx, p)
		wantInvalid(e.t, err, "WriteSnapshot", c.name)
		if err == nil && res == nil {
			e.t.Errorf("WriteSnapshot %s: nil result and nil error", c.name)
		}
		e.unchanged(before, "invalid WriteSnapshot (%s)", c.name)
	}
}

func testSnapshotIdempotent(e *env) {
	p := e.snapshot("vc-a", t0, 25, 1)
	p.BatchSize = 7
	e.write(e.snapshot("vc-b", t0, 5, 1))
	e.write(p)
	once := e.dump()
	e.write(p)
	e.unchanged(once, "writing the same snapshot twice")
	// With a zero RegisteredAt the first one is kept, so a re-write is still
	// a no-op.
	q := e.snapshot("vc-c", t0, 3, 1)
	q.RegisteredAt = time.Time{}
	e.write(q)
	once = e.dump()
	e.write(q)
	e.unchanged(once, "writing the same snapshot (zero RegisteredAt) twice")
}

func testSnapshotCancelled(e *env) {
	e.write(e.snapshot("vc-a", t0, 5, 1))
	before := e.dump()
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	_, err := e.st.WriteSnapshot(ctx, e.snapshot("vc-a", t0.Add(time.Hour), 20, 2))
	if err == nil {
		e.t.Fatal("WriteSnapshot with a cancelled context succeeded, want an error")
	}
	if !isWriteFailure(err) {
		e.t.Errorf("WriteSnapshot with a cancelled context: error %v (%T), want a *store.WriteError or one wrapping context.Canceled", err, err)
	}
	e.unchanged(before, "WriteSnapshot with a cancelled context")
}
