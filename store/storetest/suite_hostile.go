package storetest

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func hostileTests() []test {
	return []test{
		{"Snapshot", testHostileSnapshot},
		{"EventsLifecyclesRollups", testHostileRows},
		{"Endpoints", testHostileEndpoints},
		{"NULBytes", testNUL},
	}
}

// hostileVcenters are vCenter names that break naive SQL, CSV or HTML.
var hostileVcenters = []string{
	`vc'; DROP TABLE vm_hourly_stats; --`,
	"vc \"quoted\" \\ 🖥️ e\u0301",
	"=cmd|' /C calc'!A0",
}

// hostileSnapshot returns a snapshot whose names, ids, attributes and
// references are hostile strings.
func (e *env) hostileSnapshot(vc string, seed int64) *store.WriteSnapshotParams {
	h := HostileStrings()
	p := e.snapshot(vc, t0, len(h), seed)
	st := p.State
	rename := func(oldID, newID string) {
		for i := range st.VMs {
			if st.VMs[i].HostID == oldID {
				st.VMs[i].HostID = newID
			}
		}
		for i := range st.Datastores {
			for j, id := range st.Datastores[i].HostIDs {
				if id == oldID {
					st.Datastores[i].HostIDs[j] = newID
				}
			}
		}
	}
	for i := range st.Hosts {
		if i < 2 {
			old := st.Hosts[i].ID
			st.Hosts[i].ID = fmt.Sprintf("host-%d-%s", i, h[3+i])
			rename(old, st.Hosts[i].ID)
		}
		st.Hosts[i].Name, st.Hosts[i].Model = h[i%len(h)], h[(i+5)%len(h)]
	}
	for i := range st.Datastores {
		st.Datastores[i].Name, st.Datastores[i].URL = h[(i+7)%len(h)], h[(i+8)%len(h)]
	}
	for i := range st.Networks {
		st.Networks[i].Name, st.Networks[i].VLAN = h[(i+9)%len(h)], h[(i+10)%len(h)]
	}
	for i := range st.ResourcePools {
		st.ResourcePools[i].Path = st.ResourcePools[i].Path + "/" + h[i%len(h)]
	}
	for i := range st.Clusters {
		st.Clusters[i].Name = h[(i+11)%len(h)]
	}
	for i := range st.VMs {
		vm := &st.VMs[i]
		x, y := h[i%len(h)], h[(i+1)%len(h)]
		if i < 4 {
			vm.ID = "vm-" + x
		}
		vm.Name, vm.Folder, vm.GuestOS, vm.Host = x, y, h[(i+2)%len(h)], h[(i+3)%len(h)]
		vm.Attributes = map[string]string{x: y, "plain": x, "": "empty key", "empty value": ""}
		p.Samples[i] = vm.Sample(t0)
	}
	return p
}

func testHostileSnapshot(e *env) {
	n := e.n
	for i, vc := range hostileVcenters {
		p := e.hostileSnapshot(vc, int64(i))
		res := e.write(p)
		e.checkSnapshotStored(p, res)
		want := n.state(p)
		for _, vm := range want.VMs[:6] {
			got, err := e.st.GetVM(e.ctx, &store.GetVMParams{Vcenter: vc, VMID: vm.ID})
			e.ok(err, "GetVM(%q, %q)", vc, vm.ID)
			checkEq(e.t, fmt.Sprintf("GetVM(%q, %q)", vc, vm.ID), &vm, got)
			tr, err := e.st.TraceVM(e.ctx, &store.TraceVMParams{Vcenter: vc, Name: vm.Name})
			e.ok(err, "TraceVM")
			checkList(e.t, fmt.Sprintf("TraceVM{Name: %q}", vm.Name), n.samples(filter(p.Samples, func(s inventory.Sample) bool { return s.Name == vm.Name })), tr)
		}
		for _, hst := range want.Hosts[:2] {
			checkList(e.t, fmt.Sprintf("ListVMs{HostID: %q}", hst.ID), filter(want.VMs, func(v inventory.VM) bool { return v.HostID == hst.ID }),
				e.listVMs(store.ListVMsParams{Vcenter: vc, HostID: hst.ID, Limit: 2}))
			dss, err := e.st.ListDatastores(e.ctx, &store.ListDatastoresParams{Vcenter: vc, HostID: hst.ID})
			e.ok(err, "ListDatastores")
			checkList(e.t, fmt.Sprintf("ListDatastores{HostID: %q}", hst.ID), filter(want.Datastores, func(d inventory.Datastore) bool {
				for _, id := range d.HostIDs {
					if id == hst.ID {
						return true
					}
				}
				return false
			}), dss)
		}
		checkList(e.t, "ListVMs in pages of 3 (cursors over hostile ids)", want.VMs, e.listVMs(store.ListVMsParams{Vcenter: vc, Limit: 3}))
	}
	// The vCenters are distinct and none leaked into another.
	d := e.dump()
	if len(d.StateTimes) != len(hostileVcenters) {
		e.t.Errorf("StateTimes has %d vCenters, want %d: %v", len(d.StateTimes), len(hostileVcenters), d.StateTimes)
	}
}

func testHostileRows(e *env) {
	n := e.n
	h := HostileStrings()
	vc := hostileVcenters[0]
	var evs []inventory.Event
	var lcs []inventory.Lifecycle
	var days []inventory.DailyRollup
	var mons []inventory.MonthlyRollup
	for i, x := range h {
		y := h[(i+1)%len(h)]
		evs = append(evs, inventory.Event{Vcenter: vc, SnapshotTime: t0, Kind: inventory.EventKind("k-" + x), VMID: y, VMUUID: x, Name: x,
			Before: map[string]string{x: y, "": x}, After: map[string]string{"v": x, y: ""}})
		lcs = append(lcs, inventory.Lifecycle{Vcenter: vc, VMID: x, VMUUID: y, Name: y, FirstSeen: t0, LastSeen: t0,
			CreationSource: inventory.LifecycleSource(x), DeletionSource: inventory.LifecycleSource(y)})
		d := DailyRollups(vc, day0, 1, int64(i))[0]
		d.VMKey, d.VMID, d.Name, d.Folder, d.ResourcePool, d.GuestOS = x, y, x, y, x, y
		d.Attributes = map[string]string{x: y, "tag:" + y: x, "": "empty key"}
		days = append(days, d)
		m := MonthlyRollups(vc, mon0, 1, int64(i))[0]
		m.VMKey, m.Name, m.Host = x, y, x
		m.Attributes = map[string]string{"tag:" + x: y, y: "", "plain": x}
		mons = append(mons, m)
	}
	e.ok(e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: vc, SnapshotTime: t0, Lifecycles: lcs, Events: evs}), "ApplyReconcile")
	e.ok(e.st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: vc, Day: day0, Rows: days, Compat: e.compat, BatchSize: 5}), "WriteDailyRollups")
	e.ok(e.st.WriteMonthlyRollups(e.ctx, &store.WriteMonthlyRollupsParams{Vcenter: vc, Month: mon0, Rows: mons, Compat: e.compat}), "WriteMonthlyRollups")
	reg := inventory.SnapshotRecord{Vcenter: vc, Kind: inventory.Daily, SnapshotTime: day0, TableName: h[4], RowCount: len(days), RegisteredAt: t0}
	e.ok(e.st.RegisterSnapshot(e.ctx, &store.RegisterSnapshotParams{Record: reg}), "RegisterSnapshot")

	var wantEv []inventory.Event
	for _, ev := range evs {
		wantEv = append(wantEv, n.event(ev))
	}
	checkList(e.t, "ListEvents (hostile strings)", wantEv, e.listEvents(store.ListEventsParams{Vcenter: vc}), ignoreEventID)
	checkList(e.t, "ListEvents{Kinds: hostile}", []inventory.Event{wantEv[2], wantEv[5]},
		e.listEvents(store.ListEventsParams{Kinds: []inventory.EventKind{evs[5].Kind, evs[2].Kind}}), ignoreEventID)
	checkList(e.t, "ListEvents{VMID: hostile}", []inventory.Event{wantEv[3]}, e.listEvents(store.ListEventsParams{Vcenter: vc, VMID: evs[3].VMID}), ignoreEventID)
	checkList(e.t, "ListEvents in pages of 4", wantEv, e.listEvents(store.ListEventsParams{Vcenter: vc, Limit: 4}), ignoreEventID)

	wantLc := n.lifecycles(lcs)
	checkList(e.t, "ListLifecycles (hostile VM ids)", wantLc, e.listLifecycles(store.ListLifecyclesParams{Vcenter: vc, Limit: 3}))
	checkList(e.t, "ListLifecycles{VMIDs: hostile}", n.lifecycles([]inventory.Lifecycle{lcs[1], lcs[4]}),
		e.listLifecycles(store.ListLifecyclesParams{VMIDs: []string{h[4], h[1]}}))
	got, err := e.st.GetLifecycle(e.ctx, &store.GetLifecycleParams{Vcenter: vc, VMID: h[3]})
	e.ok(err, "GetLifecycle")
	checkEq(e.t, "GetLifecycle(hostile)", ptr(n.lifecycle(lcs[3])), got)

	checkList(e.t, "ScanDailyRollups (hostile vm_keys)", n.daily(days), e.scanDaily(&store.ScanRollupsParams{Vcenter: vc}))
	checkList(e.t, "ScanDailyRollups{VMKey: hostile}", n.daily(days[6:7]), e.scanDaily(&store.ScanRollupsParams{VMKey: h[6]}))
	checkList(e.t, "ScanMonthlyRollups (hostile vm_keys)", n.monthly(mons), e.scanMonthly(&store.ScanRollupsParams{}))
	if e.compat {
		rows, err := e.ct.ReadCompatDaily(e.ctx, &store.ScanCompatParams{Name: inventory.DailyTableName(day0), Vcenter: vc})
		e.ok(err, "ReadCompatDaily")
		checkList(e.t, "ReadCompatDaily (hostile strings)", compatDaily(n.daily(days)), rows)
		mrows, err := e.ct.ReadCompatMonthly(e.ctx, &store.ScanCompatParams{Name: inventory.MonthlyTableName(mon0)})
		e.ok(err, "ReadCompatMonthly")
		checkList(e.t, "ReadCompatMonthly (hostile strings)", compatMonthly(n.monthly(mons)), mrows)
	}
	recs, err := e.st.ListSnapshots(e.ctx, &store.ListSnapshotsParams{Vcenter: vc})
	e.ok(err, "ListSnapshots")
	checkList(e.t, "ListSnapshots (hostile vcenter and table name)", []inventory.SnapshotRecord{n.record(reg)}, recs)
}

func testHostileEndpoints(e *env) {
	n := e.n
	h := HostileStrings()
	var want []inventory.Endpoint
	for i, x := range h {
		ep := Endpoint("ep")
		ep.Name = fmt.Sprintf("%02d %s", i, x)
		if len(ep.Name) > 255 {
			continue
		}
		ep.Username, ep.TLS.CAFile = x, h[(i+1)%len(h)]
		ep.Tags = map[string]string{x: h[(i+2)%len(h)], "k": x}
		got := e.upsert(ep)
		checkEq(e.t, fmt.Sprintf("UpsertEndpoint(%q)", ep.Name), n.endpoint(ep), *got, ignoreStamps)
		stored, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: ep.Name})
		e.ok(err, "GetEndpoint(%q)", ep.Name)
		checkEq(e.t, fmt.Sprintf("GetEndpoint(%q)", ep.Name), n.endpoint(ep), *stored, ignoreStamps)
		e.ok(e.st.RecordCaptureStatus(e.ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: ep.Name, LastAttempt: t0, LastError: x}}), "RecordCaptureStatus")
		want = append(want, n.endpoint(ep))
	}
	got, err := e.st.ListEndpoints(e.ctx, &store.ListEndpointsParams{})
	e.ok(err, "ListEndpoints")
	checkList(e.t, "ListEndpoints (hostile names, ordered by name)", want, got, ignoreStamps)
	sts, err := e.st.ListCaptureStatus(e.ctx, &store.ListCaptureStatusParams{})
	e.ok(err, "ListCaptureStatus")
	if len(sts) != len(want) {
		e.t.Fatalf("ListCaptureStatus: %d rows, want %d", len(sts), len(want))
	}
	for i, s := range sts {
		if s.Endpoint != want[i].Name || s.LastError != want[i].Username {
			e.t.Errorf("ListCaptureStatus[%d] = {%q, LastError %q}, want {%q, %q}", i, s.Endpoint, s.LastError, want[i].Name, want[i].Username)
		}
	}
}

// testNUL: NUL bytes cannot be stored by every database. Where the shared
// validation helpers check (samples, snapshot vcenter, event identity) a
// NUL is an *InvalidParamsError; elsewhere a store may reject the write (and
// store nothing) or store the string exactly — never truncate or alter it.
func testNUL(e *env) {
	e.write(e.snapshot("vc-a", t0, 3, 1))
	_, err := e.st.UpsertEndpoint(e.ctx, &store.UpsertEndpointParams{Endpoint: Endpoint("vc-a")})
	e.ok(err, "UpsertEndpoint")
	for _, c := range []struct {
		op, name string
		write    func() error
	}{
		{"WriteSnapshot", "sample name", func() error {
			p := e.snapshot("vc-a", t0.Add(time.Hour), 3, 1)
			p.Samples[0].Name = "a\x00b"
			_, err := e.st.WriteSnapshot(e.ctx, p)
			return err
		}},
		{"WriteSamples", "sample attribute value", func() error {
			s := sample("vc-a", t0, "vm-9", "", "x", 1)
			s.Attributes = map[string]string{"k": "\x00"}
			return e.st.WriteSamples(e.ctx, &store.WriteSamplesParams{Samples: []inventory.Sample{s}})
		}},
		{"AppendEvents", "event vm_id", func() error {
			return e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: []inventory.Event{{Vcenter: "vc-a", SnapshotTime: t0, Kind: "power", VMID: "vm\x001"}}})
		}},
	} {
		before := e.dump()
		wantInvalid(e.t, c.write(), c.op, "with a NUL byte in the "+c.name)
		e.unchanged(before, "a write with a NUL byte in the %s", c.name)
	}

	// Elsewhere: rejected with nothing written, or stored exactly.
	lenient := func(what string, write func() error, readBack func() (got, want any)) {
		e.t.Helper()
		before := e.dump()
		err := write()
		if err != nil {
			var ipe *store.InvalidParamsError
			if !errors.As(err, &ipe) && !isWriteFailure(err) {
				e.t.Errorf("%s: error %v (%T), want *store.InvalidParamsError or *store.WriteError", what, err, err)
			}
			e.unchanged(before, "%s (rejected)", what)
			e.t.Logf("%s: rejected (%v)", what, err)
			return
		}
		got, want := readBack()
		checkEq(e.t, what+", accepted: value read back", want, got)
	}
	lenient("state VM name with a NUL byte", func() error {
		p := e.snapshot("vc-a", t0.Add(2*time.Hour), 3, 1)
		p.State.VMs[0].Name = "a\x00b"
		_, err := e.st.WriteSnapshot(e.ctx, p)
		return err
	}, func() (any, any) {
		vms := e.listVMs(store.ListVMsParams{Vcenter: "vc-a"})
		for _, v := range vms {
			if strings.Contains(v.Name, "\x00") {
				return v.Name, "a\x00b"
			}
		}
		return "", "a\x00b"
	})
	lenient("event Before value with a NUL byte", func() error {
		return e.st.AppendEvents(e.ctx, &store.AppendEventsParams{Events: []inventory.Event{{Vcenter: "vc-a", SnapshotTime: t0, Kind: "power", VMID: "vm-1",
			Before: map[string]string{"power_state": "x\x00y"}}}})
	}, func() (any, any) {
		evs := e.listEvents(store.ListEventsParams{Vcenter: "vc-a", VMID: "vm-1"})
		if len(evs) != 1 {
			return len(evs), 1
		}
		return evs[0].Before["power_state"], "x\x00y"
	})
	lenient("lifecycle name with a NUL byte", func() error {
		return e.st.ApplyReconcile(e.ctx, &store.ApplyReconcileParams{Vcenter: "vc-a", SnapshotTime: t0,
			Lifecycles: []inventory.Lifecycle{{Vcenter: "vc-a", VMID: "vm-1", Name: "\x00", FirstSeen: t0, LastSeen: t0}}})
	}, func() (any, any) {
		l, err := e.st.GetLifecycle(e.ctx, &store.GetLifecycleParams{Vcenter: "vc-a", VMID: "vm-1"})
		e.ok(err, "GetLifecycle")
		return l.Name, "\x00"
	})
	lenient("daily rollup name with a NUL byte", func() error {
		rows := DailyRollups("vc-a", day0, 2, 1)
		rows[1].Name = "n\x00"
		return e.st.WriteDailyRollups(e.ctx, &store.WriteDailyRollupsParams{Vcenter: "vc-a", Day: day0, Rows: rows})
	}, func() (any, any) {
		rows := e.scanDaily(&store.ScanRollupsParams{})
		if len(rows) != 2 {
			return len(rows), 2
		}
		return rows[1].Name, "n\x00"
	})
	lenient("endpoint tag with a NUL byte", func() error {
		ep := Endpoint("vc-a")
		ep.Tags = map[string]string{"site": "a\x00b"}
		_, err := e.st.UpsertEndpoint(e.ctx, &store.UpsertEndpointParams{Endpoint: ep})
		return err
	}, func() (any, any) {
		ep, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: "vc-a"})
		e.ok(err, "GetEndpoint")
		return ep.Tags["site"], "a\x00b"
	})
	lenient("endpoint name with a NUL byte", func() error {
		_, err := e.st.UpsertEndpoint(e.ctx, &store.UpsertEndpointParams{Endpoint: Endpoint("vc\x00b")})
		return err
	}, func() (any, any) {
		ep, err := e.st.GetEndpoint(e.ctx, &store.GetEndpointParams{Name: "vc\x00b"})
		e.ok(err, "GetEndpoint")
		return ep.Name, "vc\x00b"
	})
	// Invalid UTF-8 in ids: rejected, or stored exactly and paginated
	// without repeating or skipping rows (cursors must be byte-exact).
	badIDs := []string{"vm-\xff1", "vm-\xff2", "vm-\xfe\xff3"}
	lenient("invalid UTF-8 VM ids (paged by 1)", func() error {
		st := &inventory.State{}
		for _, id := range badIDs {
			st.VMs = append(st.VMs, inventory.VM{Vcenter: "vc-u", ID: id, Name: id})
		}
		_, err := e.st.WriteSnapshot(e.ctx, &store.WriteSnapshotParams{Vcenter: "vc-u", SnapshotTime: t0, State: st, RegisteredAt: t0})
		return err
	}, func() (any, any) {
		var got []string
		p := store.ListVMsParams{Vcenter: "vc-u", Limit: 1}
		for page := 0; page < 10; page++ {
			pg, err := e.st.ListVMs(e.ctx, &p)
			e.ok(err, "ListVMs")
			for _, v := range pg.VMs {
				got = append(got, v.ID)
			}
			if pg.NextCursor == "" {
				break
			}
			p.Cursor = pg.NextCursor
		}
		return got, badIDs
	})
	lenient("capture status error with a NUL byte", func() error {
		return e.st.RecordCaptureStatus(e.ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: "vc-a", LastAttempt: t0, LastError: "boom\x00"}})
	}, func() (any, any) {
		sts, err := e.st.ListCaptureStatus(e.ctx, &store.ListCaptureStatusParams{Endpoint: "vc-a"})
		e.ok(err, "ListCaptureStatus")
		if len(sts) != 1 {
			return len(sts), 1
		}
		return sts[0].LastError, "boom\x00"
	})
}
