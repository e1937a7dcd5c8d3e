package storetest

import (
	"fmt"
	"math"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The EntityHistory section: as-of reads pick each vCenter's latest
// history snapshot at or before the time (not a later one, not another
// vCenter's rows), a rewritten snapshot replaces its rows (no duplicates,
// none left over), ranges are [From, To) and filter by kind and ID, and
// every field round-trips.
func entityHistoryTests() []test {
	return []test{
		{"RoundTrip", testHistoryRoundTrip},
		{"AsOf", testHistoryAsOf},
		{"Rewrite", testHistoryRewrite},
		{"Range", testHistoryRange},
		{"Delete", testHistoryDelete},
		{"InvalidParams", testHistoryInvalid},
	}
}

// historyAt is a snapshot of vc at t whose values depend on gen: two
// hosts (the second in maintenance when gen is odd), one cluster and two
// datastores (free space shrinking with gen).
func historyAt(vc string, t time.Time, gen int) *store.WriteEntityHistoryParams {
	p := &store.WriteEntityHistoryParams{Vcenter: vc, SnapshotTime: t}
	for i := 1; i <= 2; i++ {
		p.Hosts = append(p.Hosts, inventory.Host{
			Vcenter: vc, ID: fmt.Sprintf("host-%d", i), Name: fmt.Sprintf("esx%d.%s", i, vc), Datacenter: "DC'1",
			ClusterID: "domain-c1", Cluster: "Clüster", ConnectionState: "connected", PowerState: inventory.PoweredOn,
			InMaintenance: i == 2 && gen%2 == 1, Vendor: "Dell", Model: "R750", CPUModel: "Xeon",
			CPUSockets: 2, CPUCores: 32, CPUThreads: 64, CPUMhz: 2000, MemoryMB: 524288, Version: "8.0.2", Build: "1",
			CPUUsageMHz: int64(1000*gen + i), MemoryUsageMB: int64(2000*gen + i),
		})
	}
	p.Clusters = []inventory.Cluster{{Vcenter: vc, ID: "domain-c1", Name: "Clüster", Datacenter: "DC'1", NumHosts: 2,
		TotalCPUMhz: 128000, TotalMemoryMB: 1048576 + int64(gen), DRSEnabled: gen%2 == 0, HAEnabled: true}}
	for i := 1; i <= 2; i++ {
		p.Datastores = append(p.Datastores, inventory.Datastore{
			Vcenter: vc, ID: fmt.Sprintf("datastore-%d", i), Name: fmt.Sprintf("ds%d", i), Datacenter: "DC'1",
			Type: "VMFS", URL: fmt.Sprintf("ds:///vmfs/volumes/%d/", i), CapacityGB: 1024.5,
			FreeGB: 900.25 - float64(gen), UncommittedGB: 10.125 * float64(gen), Accessible: gen != 3,
		})
	}
	// VMs the scope left out: one always, a second in odd generations.
	for i := 1; i <= 1+gen%2; i++ {
		p.Excluded = append(p.Excluded, inventory.ExcludedVM{Vcenter: vc, VMID: fmt.Sprintf("vm-%d", 100+i),
			VMUUID: fmt.Sprintf("uuid-%d-%d", i, gen), Name: fmt.Sprintf("=tmp-%d <script>", i), Reason: "exclude folder=/DC'1/vm/Tëst"})
	}
	return p
}

// stamped is p's rows as the store returns them: at SnapshotTime, in ID
// order, datastores without HostIDs.
func stamped(p *store.WriteEntityHistoryParams) *store.EntityRows {
	st := store.SnapshotTime(p.SnapshotTime)
	out := &store.EntityRows{Snapshots: []store.EntitySnapshot{{Vcenter: p.Vcenter, SnapshotTime: st}}}
	for _, h := range p.Hosts {
		h.SnapshotTime = st
		out.Hosts = append(out.Hosts, h)
	}
	for _, c := range p.Clusters {
		c.SnapshotTime = st
		out.Clusters = append(out.Clusters, c)
	}
	for _, d := range p.Datastores {
		d.SnapshotTime, d.HostIDs = st, nil
		out.Datastores = append(out.Datastores, d)
	}
	for _, x := range p.Excluded {
		x.SnapshotTime = st
		out.Excluded = append(out.Excluded, x)
	}
	return out
}

// joined concatenates rows (given in (vcenter, time) order).
func joined(rows ...*store.EntityRows) *store.EntityRows {
	out := &store.EntityRows{}
	for _, r := range rows {
		out.Snapshots = append(out.Snapshots, r.Snapshots...)
		out.Hosts = append(out.Hosts, r.Hosts...)
		out.Clusters = append(out.Clusters, r.Clusters...)
		out.Datastores = append(out.Datastores, r.Datastores...)
		out.Excluded = append(out.Excluded, r.Excluded...)
	}
	return out
}

func (e *env) writeHistory(p *store.WriteEntityHistoryParams) {
	e.t.Helper()
	e.ok(e.st.(store.EntityHistory).WriteEntityHistory(e.ctx, p), "WriteEntityHistory(%s, %s)", p.Vcenter, p.SnapshotTime)
}

func (e *env) asOf(vc string, at time.Time) *store.EntityRows {
	e.t.Helper()
	r, err := e.st.(store.EntityHistory).EntitiesAsOf(e.ctx, &store.EntitiesAsOfParams{Vcenter: vc, At: at})
	e.ok(err, "EntitiesAsOf(%q, %s)", vc, at)
	return r
}

func (e *env) wantRows(what string, got, want *store.EntityRows) {
	e.t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("%s: rows differ (-want +got):\n%s", what, d)
	}
}

func testHistoryRoundTrip(e *env) {
	p := historyAt("vc-a", t0.Add(1500*time.Millisecond), 3)
	p.Datastores[0].HostIDs = []string{"host-1"}
	// Rows come back in ID order, whatever the order written.
	p.Hosts[0], p.Hosts[1] = p.Hosts[1], p.Hosts[0]
	p.Excluded[0], p.Excluded[1] = p.Excluded[1], p.Excluded[0]
	e.writeHistory(p)
	want := stamped(historyAt("vc-a", t0.Add(time.Second), 3))
	e.wantRows("EntitiesAsOf", e.asOf("vc-a", t0.Add(time.Hour)), want)
	if got := e.asOf("vc-a", t0.Add(time.Hour)); len(got.Datastores) == 2 && got.Datastores[0].ProvisionedGB() != 1024.5-897.25+30.375 {
		e.t.Errorf("ProvisionedGB = %v, want %v", got.Datastores[0].ProvisionedGB(), 1024.5-897.25+30.375)
	}
}

func testHistoryAsOf(e *env) {
	t1, t2, t3 := t0, t0.Add(time.Hour), t0.Add(2*time.Hour)
	a1, a2, a3 := historyAt("vc-a", t1, 1), historyAt("vc-a", t2, 2), historyAt("vc-a", t3, 3)
	b := historyAt("vc-b", t1.Add(30*time.Minute), 5)
	// Written out of order: the pick is by time, not by write order.
	for _, p := range []*store.WriteEntityHistoryParams{a3, b, a1, a2} {
		e.writeHistory(p)
	}
	for _, c := range []struct {
		name string
		vc   string
		at   time.Time
		want *store.EntityRows
	}{
		{"before any", "", t1.Add(-time.Second), joined()},
		{"at the first", "vc-a", t1, stamped(a1)},
		{"between", "vc-a", t3.Add(-time.Microsecond), stamped(a2)},
		{"at the last", "vc-a", t3, stamped(a3)},
		{"after the last", "vc-a", t3.AddDate(1, 0, 0), stamped(a3)},
		{"every vCenter", "", t2.Add(time.Minute), joined(stamped(a2), stamped(b))},
		{"only vc-b", "vc-b", t3, stamped(b)},
		{"vc-b before its first", "vc-b", t1.Add(29 * time.Minute), joined()},
		{"unknown vCenter", "vc-x", t3, joined()},
	} {
		e.wantRows(fmt.Sprintf("EntitiesAsOf %s (%q, %s)", c.name, c.vc, c.at.Format(time.RFC3339Nano)), e.asOf(c.vc, c.at), c.want)
	}
}

func testHistoryRewrite(e *env) {
	t1, t2 := t0, t0.Add(time.Hour)
	e.writeHistory(historyAt("vc-a", t1, 1))
	e.writeHistory(historyAt("vc-b", t2, 1))
	e.writeHistory(historyAt("vc-a", t2, 2))
	// A re-capture of t2 with other values and one host and datastore
	// fewer replaces the snapshot's rows.
	again := historyAt("vc-a", t2, 4)
	again.Hosts, again.Datastores = again.Hosts[:1], again.Datastores[1:]
	e.writeHistory(again)
	e.writeHistory(again)
	e.wantRows("EntitiesAsOf after a rewrite", e.asOf("vc-a", t2), stamped(again))
	e.wantRows("EntitiesAsOf of the earlier snapshot", e.asOf("vc-a", t1), stamped(historyAt("vc-a", t1, 1)))
	e.wantRows("EntitiesAsOf of the other vCenter", e.asOf("vc-b", t2), stamped(historyAt("vc-b", t2, 1)))
	// An empty snapshot is recorded: as of it there is nothing.
	e.writeHistory(&store.WriteEntityHistoryParams{Vcenter: "vc-a", SnapshotTime: t2.Add(time.Hour)})
	e.wantRows("EntitiesAsOf an empty snapshot", e.asOf("vc-a", t2.Add(2*time.Hour)),
		&store.EntityRows{Snapshots: []store.EntitySnapshot{{Vcenter: "vc-a", SnapshotTime: t2.Add(time.Hour)}}})
}

func testHistoryRange(e *env) {
	eh := e.st.(store.EntityHistory)
	var want []*store.EntityRows
	for i := range 4 {
		p := historyAt("vc-a", t0.Add(time.Duration(i)*time.Hour), i)
		e.writeHistory(p)
		want = append(want, stamped(p))
	}
	e.writeHistory(historyAt("vc-b", t0.Add(time.Hour), 9))
	rng := func(p store.EntityHistoryRangeParams) *store.EntityRows {
		e.t.Helper()
		r, err := eh.EntityHistoryRange(e.ctx, &p)
		e.ok(err, "EntityHistoryRange(%+v)", p)
		return r
	}
	e.wantRows("EntityHistoryRange [t0+1h, t0+3h) of vc-a",
		rng(store.EntityHistoryRangeParams{Vcenter: "vc-a", From: t0.Add(time.Hour), To: t0.Add(3 * time.Hour)}),
		joined(want[1], want[2]))
	all := rng(store.EntityHistoryRangeParams{To: t0.Add(24 * time.Hour)})
	if len(all.Snapshots) != 5 || len(all.Hosts) != 10 || len(all.Datastores) != 10 || len(all.Excluded) != 8 {
		e.t.Errorf("EntityHistoryRange of every vCenter: %d snapshots, %d hosts, %d datastores, %d excluded VMs, want 5, 10, 10, 8",
			len(all.Snapshots), len(all.Hosts), len(all.Datastores), len(all.Excluded))
	}
	// The VMs excluded from one snapshot.
	ex := rng(store.EntityHistoryRangeParams{Vcenter: "vc-a", Kind: store.EntityExcluded, From: t0.Add(time.Hour), To: t0.Add(time.Hour + time.Second)})
	if d := cmp.Diff(want[1].Excluded, ex.Excluded); d != "" || len(ex.Hosts)+len(ex.Datastores) != 0 {
		e.t.Errorf("EntityHistoryRange of the excluded VMs at t0+1h: %d hosts, %d datastores (want none), excluded (-want +got):\n%s",
			len(ex.Hosts), len(ex.Datastores), d)
	}
	// One datastore's series.
	got := rng(store.EntityHistoryRangeParams{Vcenter: "vc-a", Kind: store.EntityDatastore, IDs: []string{"datastore-2"},
		From: t0, To: t0.Add(24 * time.Hour)})
	var series []inventory.Datastore
	for _, w := range want {
		series = append(series, w.Datastores[1])
	}
	if d := cmp.Diff(series, got.Datastores); d != "" || len(got.Hosts)+len(got.Clusters) != 0 {
		e.t.Errorf("EntityHistoryRange of datastore-2: %d hosts, %d clusters (want none), datastores (-want +got):\n%s",
			len(got.Hosts), len(got.Clusters), d)
	}
}

func testHistoryInvalid(e *env) {
	eh := e.st.(store.EntityHistory)
	for name, p := range map[string]*store.WriteEntityHistoryParams{
		"nil":                            nil,
		"no vcenter":                     {SnapshotTime: t0},
		"no time":                        {Vcenter: "vc-a"},
		"other vcenter":                  {Vcenter: "vc-a", SnapshotTime: t0, Hosts: []inventory.Host{{Vcenter: "vc-b", ID: "host-1"}}},
		"repeated id":                    {Vcenter: "vc-a", SnapshotTime: t0, Datastores: []inventory.Datastore{{Vcenter: "vc-a", ID: "d"}, {Vcenter: "vc-a", ID: "d"}}},
		"empty id":                       {Vcenter: "vc-a", SnapshotTime: t0, Clusters: []inventory.Cluster{{Vcenter: "vc-a"}}},
		"NaN uncommitted":                {Vcenter: "vc-a", SnapshotTime: t0, Datastores: []inventory.Datastore{{Vcenter: "vc-a", ID: "d", UncommittedGB: math.NaN()}}},
		"bad UTF-8 name":                 {Vcenter: "vc-a", SnapshotTime: t0, Hosts: []inventory.Host{{Vcenter: "vc-a", ID: "h", Name: "\xff"}}},
		"excluded VM without id":         {Vcenter: "vc-a", SnapshotTime: t0, Excluded: []inventory.ExcludedVM{{Vcenter: "vc-a", Name: "x"}}},
		"excluded VM of another vcenter": {Vcenter: "vc-a", SnapshotTime: t0, Excluded: []inventory.ExcludedVM{{Vcenter: "vc-b", VMID: "vm-1"}}},
		"excluded VM bad UTF-8":          {Vcenter: "vc-a", SnapshotTime: t0, Excluded: []inventory.ExcludedVM{{Vcenter: "vc-a", VMID: "vm-1", Reason: "\xff"}}},
	} {
		wantInvalid(e.t, eh.WriteEntityHistory(e.ctx, p), "WriteEntityHistory", name)
	}
	_, err := eh.EntitiesAsOf(e.ctx, &store.EntitiesAsOfParams{Vcenter: "vc-a"})
	wantInvalid(e.t, err, "EntitiesAsOf", "no At")
	for name, p := range map[string]*store.EntityHistoryRangeParams{
		"nil":      nil,
		"no To":    {From: t0},
		"empty":    {From: t0, To: t0},
		"bad kind": {Kind: "vm", To: t0},
	} {
		_, err := eh.EntityHistoryRange(e.ctx, p)
		wantInvalid(e.t, err, "EntityHistoryRange", name)
	}
}

func testHistoryDelete(e *env) {
	eh := e.st.(store.EntityHistory)
	var keep []*store.EntityRows
	for i := range 3 {
		for _, vc := range []string{"vc-a", "vc-b"} {
			p := historyAt(vc, t0.Add(time.Duration(i)*time.Hour), i)
			e.writeHistory(p)
			if i == 2 {
				keep = append(keep, stamped(p))
			}
		}
	}
	// Before is exclusive: the snapshots at t0+2h stay.
	n, err := eh.DeleteEntityHistory(e.ctx, &store.DeleteEntityHistoryParams{Before: t0.Add(2 * time.Hour)})
	e.ok(err, "DeleteEntityHistory")
	if n != 4 {
		e.t.Errorf("DeleteEntityHistory: %d snapshots deleted, want 4", n)
	}
	got, err := eh.EntityHistoryRange(e.ctx, &store.EntityHistoryRangeParams{To: t0.Add(24 * time.Hour)})
	e.ok(err, "EntityHistoryRange")
	e.wantRows("EntityHistoryRange after DeleteEntityHistory", got, joined(keep...))
	e.wantRows("EntitiesAsOf a deleted snapshot", e.asOf("", t0.Add(time.Hour)), joined())
	_, err = eh.DeleteEntityHistory(e.ctx, &store.DeleteEntityHistoryParams{})
	wantInvalid(e.t, err, "DeleteEntityHistory", "no Before")
}
