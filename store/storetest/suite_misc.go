package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// ---------------------------------------------------------------------------
// Limits

func limitTests() []test {
	return []test{{"DefaultsAndMaxima", testLimits}}
}

func testLimits(e *env) {
	if testing.Short() {
		e.t.Skip("loads 30,000 rows; skipped with -short")
	}
	const big = 10001
	st := &inventory.State{}
	for i := 0; i < big; i++ {
		st.VMs = append(st.VMs, inventory.VM{Vcenter: "vc-big", ID: fmt.Sprintf("vm-%05d", i), Name: fmt.Sprint("n", i), PowerState: inventory.PoweredOn})
	}
	e.write(&store.WriteSnapshotParams{Vcenter: "vc-big", SnapshotTime: t0, State: st, RegisteredAt: t0})
	page := func(p store.ListVMsParams, wantLen int, wantMore bool) {
		e.t.Helper()
		pg, err := e.st.ListVMs(e.ctx, &p)
		e.ok(err, "ListVMs(Limit %d)", p.Limit)
		if len(pg.VMs) != wantLen || (pg.NextCursor != "") != wantMore {
			e.t.Errorf("ListVMs(Limit %d): %d VMs, NextCursor %q; want %d VMs, more=%v (default 1000, max 10000)", p.Limit, len(pg.VMs), pg.NextCursor, wantLen, wantMore)
		}
	}
	page(store.ListVMsParams{}, 1000, true)
	page(store.ListVMsParams{Limit: -5}, 1000, true)
	page(store.ListVMsParams{Limit: 10001}, 10000, true)
	page(store.ListVMsParams{Limit: 1 << 30}, 10000, true)
	first, err := e.st.ListVMs(e.ctx, &store.ListVMsParams{Limit: 10000})
	e.ok(err, "ListVMs")
	page(store.ListVMsParams{Limit: 1 << 30, Cursor: first.NextCursor}, 1, false)

	evs := make([]inventory.Event, 0, big)
	for i := 0; i < big; i++ {
		evs = append(evs, inventory.Event{Vcenter: "vc-big", SnapshotTime: t0, Kind: inventory.EventPower, VMID: fmt.Sprintf("vm-%05d", i)})
	}
	e.ok(e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: evs}), "AppendEvents")
	for _, c := range []struct{ limit, want int }{{0, 100}, {-1, 100}, {20000, 10000}} {
		pg, err := e.st.ListEvents(e.ctx, &store.ListEventsParams{Limit: c.limit})
		e.ok(err, "ListEvents")
		if len(pg.Events) != c.want || pg.NextCursor == "" {
			e.t.Errorf("ListEvents(Limit %d): %d events, NextCursor %q; want %d and a cursor (default 100, max 10000)", c.limit, len(pg.Events), pg.NextCursor, c.want)
		}
	}

	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-big", SnapshotTime: t0, Lifecycles: Lifecycles("vc-big", t0, 1001, 1)}), "ApplyReconcile")
	for _, c := range []struct{ limit, want int }{{0, 1000}, {100000, 1001}, {1 << 30, 1001}} {
		pg, err := e.st.ListLifecycles(e.ctx, &store.ListLifecyclesParams{Limit: c.limit})
		e.ok(err, "ListLifecycles")
		if len(pg.Lifecycles) != c.want || (pg.NextCursor != "") != (c.want == 1000) {
			e.t.Errorf("ListLifecycles(Limit %d): %d rows, NextCursor %q; want %d (default 1000, max 100000)", c.limit, len(pg.Lifecycles), pg.NextCursor, c.want)
		}
	}

	samples := make([]inventory.Sample, 0, big)
	for i := 0; i < big; i++ {
		samples = append(samples, inventory.Sample{Vcenter: "vc-big", SnapshotTime: t0.Add(time.Duration(i) * time.Minute), VMID: "vm-1", Name: "one"})
	}
	e.ok(e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: samples}), "WriteSamples")
	tr, err := e.st.TraceVM(e.ctx, &store.TraceVMParams{VMID: "vm-1"})
	e.ok(err, "TraceVM")
	if len(tr) != 10000 || !tr[0].SnapshotTime.Equal(samples[1].SnapshotTime) || !tr[len(tr)-1].SnapshotTime.Equal(samples[big-1].SnapshotTime) {
		e.t.Errorf("TraceVM with the default Limit: %d rows; want the newest 10000, ascending", len(tr))
	}
	tr, err = e.st.TraceVM(e.ctx, &store.TraceVMParams{VMID: "vm-1", Limit: 20000})
	e.ok(err, "TraceVM")
	if len(tr) != big {
		e.t.Errorf("TraceVM(Limit 20000): %d rows, want %d", len(tr), big)
	}
}

// ---------------------------------------------------------------------------
// Concurrency

func concurrencyTests() []test {
	return []test{{"Writers", testConcurrency}}
}

// concurrentJobs returns 8 workers' writes: snapshots of 4 vCenters (two
// workers per vCenter, at different times; the four vCenters share times and
// so compatibility tables), events, lifecycles and rollups.
func (e *env) concurrentJobs() [][]func(ctx context.Context, st store.Store) error {
	var workers [][]func(ctx context.Context, st store.Store) error
	for g := 0; g < 8; g++ {
		vc := fmt.Sprintf("vc-%d", g%4)
		var jobs []func(ctx context.Context, st store.Store) error
		for k := 0; k < 3; k++ {
			at := t0.Add(time.Duration(g/4*3+k) * time.Hour)
			p := e.snapshot(vc, at, 8+g, int64(10*g+k))
			p.BatchSize = 4
			evs := Events(vc, at, 5, int64(g))
			lcs := Lifecycles(vc, at, 4, int64(g))
			for i := range lcs {
				lcs[i].VMID = fmt.Sprintf("g%d-%s", g, lcs[i].VMID)
			}
			jobs = append(jobs,
				func(ctx context.Context, st store.Store) error { _, err := st.WriteSnapshot(ctx, p); return err },
				func(ctx context.Context, st store.Store) error {
					return st.AppendEvents(ctx, &store.AppendEventsParams{Events: evs})
				},
				func(ctx context.Context, st store.Store) error {
					return st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: vc, SnapshotTime: at, Lifecycles: lcs})
				},
			)
		}
		day := day0.AddDate(0, 0, g/4)
		rows := DailyRollups(vc, day, 6, int64(g))
		jobs = append(jobs, func(ctx context.Context, st store.Store) error {
			return st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: vc, Day: day, Rows: rows, Compat: e.compat, BatchSize: 4})
		})
		workers = append(workers, jobs)
	}
	return workers
}

func testConcurrency(e *env) {
	workers := e.concurrentJobs()
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	start := make(chan struct{})
	for g, jobs := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i, job := range jobs {
				if err := job(e.ctx, e.st); err != nil {
					errs <- fmt.Errorf("worker %d job %d: %w", g, i, err)
				}
				// Readers run alongside the writers.
				if _, err := e.st.ListVMs(e.ctx, &store.ListVMsParams{Vcenter: fmt.Sprintf("vc-%d", g%4)}); err != nil {
					errs <- fmt.Errorf("worker %d ListVMs: %w", g, err)
				}
				if err := e.st.ScanSamples(e.ctx, &store.ScanSamplesParams{Vcenter: fmt.Sprintf("vc-%d", g%4)}, func(*inventory.Sample) error { return nil }); err != nil {
					errs <- fmt.Errorf("worker %d ScanSamples: %w", g, err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Errorf("concurrent write failed: %v", err)
	}
	if e.t.Failed() {
		return
	}
	ref := e.newStore(e.t)
	for g, jobs := range e.concurrentJobs() {
		for i, job := range jobs {
			if err := job(e.ctx, ref); err != nil {
				e.t.Fatalf("reference store: worker %d job %d: %v", g, i, err)
			}
		}
	}
	got, want := e.dump(), Dump(e.t, ref)
	ids := map[int64]bool{}
	for _, ev := range got.Events {
		if ev.ID <= 0 || ids[ev.ID] {
			e.t.Errorf("event ID %d is not positive or not unique", ev.ID)
		}
		ids[ev.ID] = true
	}
	if d := diffIgnoringEventIDs(sortEvents(want), sortEvents(got)); d != "" {
		e.t.Errorf("after concurrent writes the store differs from one written sequentially (-sequential +concurrent):\n%s", d)
	}
}

// sortEvents orders a dump's events by natural key (concurrent appends may
// interleave vCenters differently).
func sortEvents(c *Contents) *Contents {
	cp := *c
	cp.Events = slices.Clone(c.Events)
	slices.SortStableFunc(cp.Events, func(a, b inventory.Event) int {
		return cmp.Or(a.SnapshotTime.Compare(b.SnapshotTime), cmp.Compare(a.Vcenter, b.Vcenter), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.VMID, b.VMID))
	})
	return &cp
}

// ---------------------------------------------------------------------------
// Isolation: callers mutating what they passed or got must not change the
// store.

func isolationTests() []test {
	return []test{{"CallerMutations", testIsolation}}
}

// isolationWrites performs writes whose inputs a caller could mutate later.
func (e *env) isolationWrites(st store.Store) (mutate func()) {
	t := e.t
	p := e.snapshot("vc-a", t0, 12, 1)
	mustWrite(t, e.ctx, st, p)
	samples := []inventory.Sample{sample("vc-b", t0, "vm-1", "u", "n", 3)}
	evs := Events("vc-a", t0, 9, 1)
	lcs := Lifecycles("vc-a", t0, 3, 1)
	rows := DailyRollups("vc-a", day0, 3, 1)
	ep := Endpoint("vc-a")
	rec := inventory.SnapshotRecord{Vcenter: "vc-z", Kind: inventory.Daily, SnapshotTime: day0, RegisteredAt: t0}
	for _, err := range []error{
		st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: samples}),
		st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: lcs, Events: evs}),
		st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day0, Rows: rows, Compat: e.compat}),
		st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: rec}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.UpsertEndpoint(e.ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	return func() {
		for i := range p.Samples {
			p.Samples[i].Name = "mutated"
			for k := range p.Samples[i].Attributes {
				p.Samples[i].Attributes[k] = "mutated"
			}
		}
		for i := range p.State.VMs {
			vm := &p.State.VMs[i]
			vm.Name = "mutated"
			if len(vm.DatastoreIDs) > 0 {
				vm.DatastoreIDs[0] = "mutated"
			}
			if len(vm.NetworkIDs) > 0 {
				vm.NetworkIDs[0] = "mutated"
			}
			if vm.Attributes != nil {
				vm.Attributes["new"] = "mutated"
			}
		}
		p.State.Datastores[0].HostIDs[0] = "mutated"
		p.State.Hosts[0].Name = "mutated"
		samples[0].Attributes["owner"] = "mutated"
		evs[4].Before["vcpu_count"], evs[2].After = "mutated", nil
		for i := range evs {
			if evs[i].After != nil {
				evs[i].After["new"] = "mutated"
			}
		}
		lcs[0].Name = "mutated"
		rows[0].Name = "mutated"
		rows[1].Attributes["owner"], rows[2].Attributes = "mutated", map[string]string{"new": "mutated"}
		ep.Credential[1] ^= 0xff
		ep.Tags["site"] = "mutated"
	}
}

func testIsolation(e *env) {
	mutate := e.isolationWrites(e.st)
	mutate()
	// Mutate everything the store hands out.
	for _, v := range e.listVMs(store.ListVMsParams{}) {
		if len(v.DatastoreIDs) > 0 {
			v.DatastoreIDs[0] = "mutated"
		}
		for k := range v.Attributes {
			v.Attributes[k] = "mutated"
		}
	}
	if vm, err := e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: "vc-a", VMID: "vm-3"}); err == nil {
		vm.Attributes["owner"], vm.NetworkIDs[0] = "mutated", "mutated"
	} else {
		e.t.Fatalf("GetVM: %v", err)
	}
	dss, err := e.st.ListDatastores(e.ctx, &store.ListDatastoresParams{})
	e.ok(err, "ListDatastores")
	dss[0].HostIDs[0] = "mutated"
	e.ok(e.st.ScanSamples(e.ctx, &store.ScanSamplesParams{}, func(s *inventory.Sample) error {
		for k := range s.Attributes {
			s.Attributes[k] = "mutated"
		}
		s.Name = "mutated"
		return nil
	}), "ScanSamples")
	tr, err := e.st.TraceVM(e.ctx, &store.TraceVMParams{VMID: "vm-3"})
	e.ok(err, "TraceVM")
	for _, s := range tr {
		s.Attributes["owner"] = "mutated"
	}
	for _, ev := range e.listEvents(store.ListEventsParams{}) {
		for k := range ev.Before {
			ev.Before[k] = "mutated"
		}
		for k := range ev.After {
			ev.After[k] = "mutated"
		}
	}
	e.ok(e.st.ScanDailyRollups(e.ctx, &store.ScanRollupsParams{}, func(r *inventory.DailyRollup) error {
		r.Name = "mutated"
		for k := range r.Attributes {
			r.Attributes[k] = "mutated"
		}
		return nil
	}), "ScanDailyRollups")
	ep, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: "vc-a"})
	e.ok(err, "GetEndpoint")
	ep.Credential[0] ^= 0xff
	ep.Tags["site"] = "mutated"
	eps, err := e.st.ListEndpoints(e.ctx, &store.ListEndpointsParams{})
	e.ok(err, "ListEndpoints")
	eps[0].Credential[2] ^= 0xff
	eps[0].Tags["env"] = "mutated"
	if e.compat {
		e.ok(e.ct.ScanCompatHourly(e.ctx, &store.ScanCompatParams{Name: inventory.HourlyTableName(t0)}, func(s *inventory.Sample) error {
			for k := range s.Attributes {
				s.Attributes[k] = "mutated"
			}
			return nil
		}), "ScanCompatHourly")
		rows, err := e.ct.ReadCompatDaily(e.ctx, &store.ScanCompatParams{Name: inventory.DailyTableName(day0)})
		e.ok(err, "ReadCompatDaily")
		rows[0].Name = "mutated"
	}

	ref := e.newStore(e.t)
	e.isolationWrites(ref)
	got, want := e.dump(), Dump(e.t, ref)
	for _, c := range []*Contents{got, want} {
		for i := range c.Endpoints {
			c.Endpoints[i].CreatedAt, c.Endpoints[i].UpdatedAt = time.Time{}, time.Time{}
		}
	}
	if d := diffIgnoringEventIDs(want, got); d != "" {
		e.t.Errorf("mutating values passed to or returned by the store changed it (-want +got):\n%s", d)
	}
}

// ---------------------------------------------------------------------------
// Close

func closeTests() []test {
	return []test{{"MethodsReturnErrClosed", testClose}}
}

func testClose(e *env) {
	ctx, st, t := e.ctx, e.st, e.t
	e.write(e.snapshot("vc-a", t0, 3, 1))
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	called := false
	fn := func(*inventory.Sample) error { called = true; return nil }
	closed := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: error %v, want one wrapping store.ErrClosed", op, err)
		}
	}
	_, err := st.WriteSnapshot(ctx, e.snapshot("vc-a", t0.Add(time.Hour), 3, 1))
	closed("WriteSnapshot", err)
	closed("WriteSamples", st.WriteSamples(ctx, &store.WriteSamplesParams{Samples: []inventory.Sample{sample("vc-a", t0, "vm-1", "", "", 1)}}))
	closed("ScanSamples", st.ScanSamples(ctx, &store.ScanSamplesParams{}, fn))
	_, err = st.TraceVM(ctx, &store.TraceVMParams{VMID: "vm-1"})
	closed("TraceVM", err)
	_, err = st.SnapshotTimes(ctx, &store.SnapshotTimesParams{Vcenter: "vc-a"})
	closed("SnapshotTimes", err)
	_, err = st.DeleteSamples(ctx, &store.DeleteSamplesParams{Before: t0})
	closed("DeleteSamples", err)
	_, err = st.ListVMs(ctx, &store.ListVMsParams{})
	closed("ListVMs", err)
	_, err = st.GetVM(ctx, &store.GetVMParams{Vcenter: "vc-a", VMID: "vm-1"})
	closed("GetVM", err)
	_, err = st.ListHosts(ctx, &store.ListHostsParams{})
	closed("ListHosts", err)
	_, err = st.ListClusters(ctx, &store.ListClustersParams{})
	closed("ListClusters", err)
	_, err = st.ListDatastores(ctx, &store.ListDatastoresParams{})
	closed("ListDatastores", err)
	_, err = st.ListNetworks(ctx, &store.ListNetworksParams{})
	closed("ListNetworks", err)
	_, err = st.ListResourcePools(ctx, &store.ListResourcePoolsParams{})
	closed("ListResourcePools", err)
	_, err = st.StateTime(ctx, "vc-a")
	closed("StateTime", err)
	closed("ApplyReconcile", st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0, Lifecycles: Lifecycles("vc-a", t0, 1, 1)}))
	_, err = st.ListLifecycles(ctx, &store.ListLifecyclesParams{})
	closed("ListLifecycles", err)
	_, err = st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: "vc-a", VMID: "vm-1"})
	closed("GetLifecycle", err)
	closed("AppendEvents", st.AppendEvents(ctx, &store.AppendEventsParams{Events: Events("vc-a", t0, 1, 1)}))
	_, err = st.ListEvents(ctx, &store.ListEventsParams{})
	closed("ListEvents", err)
	closed("WriteDailyRollups", st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day0, Rows: DailyRollups("vc-a", day0, 1, 1)}))
	closed("ScanDailyRollups", st.ScanDailyRollups(ctx, &store.ScanRollupsParams{}, func(*inventory.DailyRollup) error { called = true; return nil }))
	closed("WriteMonthlyRollups", st.WriteMonthlyRollups(ctx, &store.WriteMonthlyRollupsParams{Vcenter: "vc-a", Month: mon0, Rows: MonthlyRollups("vc-a", mon0, 1, 1)}))
	closed("ScanMonthlyRollups", st.ScanMonthlyRollups(ctx, &store.ScanRollupsParams{}, func(*inventory.MonthlyRollup) error { called = true; return nil }))
	_, err = st.ListTotals(ctx, &store.ListTotalsParams{})
	closed("ListTotals", err)
	_, err = st.LatestTotals(ctx, &store.LatestTotalsParams{})
	closed("LatestTotals", err)
	_, err = st.RefreshAggregateTotals(ctx, &store.RefreshAggregateTotalsParams{Vcenter: "vc-a", Granularity: inventory.Daily, PeriodStart: day0, PeriodEnd: day0.AddDate(0, 0, 1)})
	closed("RefreshAggregateTotals", err)
	_, err = st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{})
	closed("ListAggregateTotals", err)
	closed("RegisterSnapshot", st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: inventory.SnapshotRecord{Vcenter: "vc-a", Kind: inventory.Daily, SnapshotTime: day0}}))
	_, err = st.ListSnapshots(ctx, &store.ListSnapshotsParams{})
	closed("ListSnapshots", err)
	_, err = st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: Endpoint("vc-a")})
	closed("UpsertEndpoint", err)
	_, err = st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc-a"})
	closed("GetEndpoint", err)
	_, err = st.ListEndpoints(ctx, &store.ListEndpointsParams{})
	closed("ListEndpoints", err)
	closed("DeleteEndpoint", st.DeleteEndpoint(ctx, &store.DeleteEndpointParams{Name: "vc-a"}))
	closed("RecordCaptureStatus", st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: "vc-a", LastAttempt: t0}}))
	_, err = st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
	closed("ListCaptureStatus", err)
	if ct, ok := st.(store.CompatTables); ok {
		closed("WriteCompatHourly", ct.WriteCompatHourly(ctx, &store.WriteCompatHourlyParams{Vcenter: "vc-a", SnapshotTime: t0, Samples: compatSamples("vc-a", t0, 1, 1)}))
		closed("ScanCompatHourly", ct.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: inventory.HourlyTableName(t0)}, fn))
		_, err = ct.ReadCompatDaily(ctx, &store.ScanCompatParams{Name: inventory.DailyTableName(day0)})
		closed("ReadCompatDaily", err)
		_, err = ct.ReadCompatMonthly(ctx, &store.ScanCompatParams{Name: inventory.MonthlyTableName(mon0)})
		closed("ReadCompatMonthly", err)
		_, err = ct.ListCompatTables(ctx, &store.ListCompatTablesParams{})
		closed("ListCompatTables", err)
		closed("DropCompatTable", ct.DropCompatTable(ctx, &store.DropCompatTableParams{Name: inventory.HourlyTableName(t0)}))
	}
	closed("Migrate", st.Migrate(ctx))
	if called {
		t.Error("a scan callback ran after Close")
	}
	if err := st.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("second Close: %v, want nil or an error wrapping store.ErrClosed", err)
	}
	_ = st.Capabilities() // must not panic
}
