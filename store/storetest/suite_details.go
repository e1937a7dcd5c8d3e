package storetest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// The Details section: every field of the RVTools-depth detail
// round-trips (times in UTC at the store's precision, hostile strings
// intact), a write replaces the vCenter's detail (a removed VM, disk or
// host is gone, other vCenters are untouched), reads filter by vCenter and
// VM and come back in (vcenter, id) order with each VM's items in written
// order, and a failed or invalid write changes nothing.
func detailsTests() []test {
	return []test{
		{"RoundTrip", testDetailsRoundTrip},
		{"Hostile", testDetailsHostile},
		{"Replace", testDetailsReplace},
		{"Filter", testDetailsFilter},
		{"Order", testDetailsOrder},
		{"Empty", testDetailsEmpty},
		{"InvalidParams", testDetailsInvalid},
		{"Atomic", testDetailsAtomic},
	}
}

// detailZone is a non-UTC location the section writes times in.
var detailZone = time.FixedZone("UTC+05:45", 5*3600+45*60)

// detailsFor is nVMs VMs (vm-1 ... vm-n) of vc with every detail field
// set from gen, and two hosts, a cluster, two datastores and a switch.
// Times are in detailZone with nanoseconds; strs, when not empty, give the
// free-text values in turn (hostile strings).
func detailsFor(vc string, nVMs, gen int, strs ...string) *store.WriteDetailsParams {
	k := 0
	s := func(def string) string {
		if len(strs) == 0 {
			return def
		}
		k++
		return strs[k%len(strs)]
	}
	base := time.Date(2026, 3, 1, 8, 30, 15, 123456789, detailZone).Add(time.Duration(gen) * time.Minute)
	p := &store.WriteDetailsParams{Vcenter: vc, SnapshotTime: t0.Add(time.Duration(gen) * time.Hour)}
	d := &p.Details
	for i := 1; i <= nVMs; i++ {
		n := i + 10*gen
		v := inventory.VMDetail{
			Vcenter: vc, VMID: fmt.Sprintf("vm-%d", i), HardwareVersion: fmt.Sprintf("vmx-%d", 13+n%8),
			Firmware: []string{"bios", "efi"}[n%2], Annotation: s(fmt.Sprintf("note %d\nsecond line", n)),
			DNSName: s(fmt.Sprintf("vm%d.example.com", n)), IPAddresses: []string{fmt.Sprintf("10.0.%d.%d", gen, i), "fe80::1"},
			GuestState: "running", GuestFullName: s("Ubuntu Linux (64-bit)"), GuestHeartbeat: "green",
			OverallStatus: "yellow", ConfigStatus: "green", ConnectionState: "connected",
			ConsolidationNeeded: n%2 == 1, BootTime: base.Add(-time.Duration(i) * time.Hour),
			ToolsRunningStatus: "guestToolsRunning", ToolsVersionStatus: "guestToolsNeedUpgrade",
			ToolsVersion: fmt.Sprint(12352 + n), ToolsUpgradePolicy: "manual", CoresPerSocket: 1 + n%4,
			CPU:       inventory.Allocation{Reservation: int64(100 * n), Limit: -1, Shares: inventory.Shares{Level: "normal", Shares: int32(1000 * n)}},
			Memory:    inventory.Allocation{Reservation: 512, Limit: int64(8192 + n), Shares: inventory.Shares{Level: "custom", Shares: int32(n)}},
			CPUHotAdd: true, CPUHotRemove: n%3 == 0, MemoryHotAdd: n%2 == 0, HARestartPriority: "high",
			VMXPath: s(fmt.Sprintf("[ds1] vm%d/vm%d.vmx", i, i)), FolderPath: s(fmt.Sprintf("/DC1/vm/Prod/vm%d", i)),
			Snapshots: []inventory.VMSnapshot{
				{ID: 1, Name: s("before patch"), Description: s("desc"), Created: base.Add(-48 * time.Hour), Quiesced: true,
					State: inventory.PoweredOn, Depth: 1, File: s("[ds1] vm/vm-Snapshot1.vmsn"), SizeMB: 1024.125},
				{ID: int32(2 + gen), Name: s("after"), Created: base.Add(-time.Hour), State: inventory.PoweredOff, Depth: 2,
					Current: true, SizeMB: 0.5 + float64(n)},
			},
			Disks: []inventory.VirtualDisk{
				{Key: 2000, Label: s("Hard disk 1"), CapacityMB: int64(40960 + n), Provisioning: inventory.DiskThin,
					DatastoreID: "datastore-1", Datastore: s("ds1"), FilePath: s(fmt.Sprintf("[ds1] vm%d/vm%d.vmdk", i, i)),
					Controller: s("SCSI controller 0"), UnitNumber: 0, Mode: "persistent",
					Shares: inventory.Shares{Level: "normal", Shares: 1000}, LimitIOPS: -1},
				{Key: 2001, Label: "Hard disk 2", CapacityMB: 102400, Provisioning: inventory.DiskEagerZeroedThick,
					DatastoreID: "datastore-2", Datastore: "ds2", FilePath: "[ds2] vm/vm_1.vmdk", Controller: "SCSI controller 0",
					UnitNumber: 1, Mode: "independent_persistent", Shares: inventory.Shares{Level: "high", Shares: 2000},
					LimitIOPS: int64(500 + gen)},
			},
			NICs: []inventory.VirtualNIC{{Key: 4000, Label: s("Network adapter 1"), AdapterType: "vmxnet3",
				NetworkID: "dvportgroup-1", Network: s("VM Network"), MAC: fmt.Sprintf("00:50:56:%02x:%02x:01", gen, i),
				Connected: true, StartConnected: n%2 == 0}},
			Removables: []inventory.RemovableDrive{{Key: 3002, Kind: inventory.DriveCDROM, Label: s("CD/DVD drive 1"),
				Connected: n%2 == 0, StartConnected: true, Backing: s("[iso] ubuntu.iso")}},
			Partitions: []inventory.GuestPartition{{Path: s("/"), CapacityMB: 30000, FreeMB: int64(1000 * n)},
				{Path: "/boot", CapacityMB: 1024, FreeMB: 512}},
		}
		d.VMs = append(d.VMs, v)
	}
	for h := 1; h <= 2; h++ {
		d.Hosts = append(d.Hosts, inventory.HostDetail{
			Vcenter: vc, HostID: fmt.Sprintf("host-%d", h), BootTime: base.Add(-time.Duration(100*h) * time.Hour),
			OverallStatus: "green", AlarmCount: h + gen, Hyperthreading: h == 1,
			NTPServers: []string{s("ntp1.example.com"), "ntp2"}, DNSServers: []string{"10.0.0.53"},
			NICs: []inventory.HostNIC{{Device: "vmnic0", Driver: "ixgben", SpeedMb: 10000, FullDuplex: true,
				MAC: "3c:fd:fe:00:00:01", PCI: "0000:3b:00.0"}, {Device: "vmnic1", Driver: s("ixgben")}},
			HBAs: []inventory.HostHBA{{Device: "vmhba1", Type: "FibreChannel", Model: s("QLE2692"), Driver: "qlnativefc",
				Status: "online", WWN: "21:00:00:24:ff:00:00:01"}},
			VSwitches:  []inventory.HostSwitch{{Name: s("vSwitch0"), NumPorts: 128, FreePorts: int32(120 - gen), MTU: 1500, Uplinks: []string{"vmnic0", "vmnic1"}}},
			Portgroups: []inventory.HostPortgroup{{Name: s("Management Network"), VSwitch: "vSwitch0", VLAN: int32(gen)}},
		})
	}
	d.Clusters = []inventory.ClusterDetail{{Vcenter: vc, ClusterID: "domain-c1", OverallStatus: "green",
		EVCMode: s("intel-icelake"), DRSBehavior: "fullyAutomated", DRSVmotionRate: 3, HAAdmissionControl: true,
		HAHostMonitoring: "enabled", HARestartPriority: "medium", HAIsolationResponse: "powerOff",
		HAVMMonitoring: "vmMonitoringOnly", HAFailoverLevel: 1, EffectiveHosts: 2, EffectiveCPUMHz: int64(90000 + gen),
		EffectiveMemoryMB: 1000000, NumCPUCores: 64, NumCPUThreads: 128}}
	for i := 1; i <= 2; i++ {
		d.Datastores = append(d.Datastores, inventory.DatastoreDetail{Vcenter: vc, DatastoreID: fmt.Sprintf("datastore-%d", i),
			OverallStatus: "green", VMFSVersion: "6.82", BlockSizeMB: 1, Extents: []string{s("naa.600a0b80001"), "naa.2"},
			NFSServer: s(""), NFSPath: s(""), MaintenanceMode: "normal", MultipleHostAccess: i == 1, VMCount: nVMs + gen})
	}
	d.Switches = []inventory.DistributedSwitch{{Vcenter: vc, ID: "dvs-1", Name: s("DSwitch"), Datacenter: "DC1",
		Vendor: "VMware, Inc.", Version: "8.0.0", Description: s("main"), Created: base.Add(-1000 * time.Hour),
		HostIDs: []string{"host-1", "host-2"}, NumPorts: 512, MaxPorts: 2048, MaxMTU: int32(1500 + gen)}}
	return p
}

// storedDetails is p's detail as ReadDetails returns it: sorted by id,
// times in UTC at the store's precision.
func storedDetails(p *store.WriteDetailsParams) *inventory.Details {
	d := cloneDetails(&p.Details)
	normTimes := func(t *time.Time) { *t = driver.NormTime(*t) }
	for i := range d.VMs {
		normTimes(&d.VMs[i].BootTime)
		for j := range d.VMs[i].Snapshots {
			normTimes(&d.VMs[i].Snapshots[j].Created)
		}
	}
	for i := range d.Hosts {
		normTimes(&d.Hosts[i].BootTime)
	}
	for i := range d.Switches {
		normTimes(&d.Switches[i].Created)
	}
	slices.SortStableFunc(d.VMs, func(a, b inventory.VMDetail) int { return strings.Compare(a.VMID, b.VMID) })
	slices.SortStableFunc(d.Hosts, func(a, b inventory.HostDetail) int { return strings.Compare(a.HostID, b.HostID) })
	slices.SortStableFunc(d.Clusters, func(a, b inventory.ClusterDetail) int { return strings.Compare(a.ClusterID, b.ClusterID) })
	slices.SortStableFunc(d.Datastores, func(a, b inventory.DatastoreDetail) int {
		return strings.Compare(a.DatastoreID, b.DatastoreID)
	})
	slices.SortStableFunc(d.Switches, func(a, b inventory.DistributedSwitch) int { return strings.Compare(a.ID, b.ID) })
	return d
}

// cloneDetails deep-copies d (independently of the driver's copy).
func cloneDetails(d *inventory.Details) *inventory.Details {
	out := &inventory.Details{VMs: slices.Clone(d.VMs), Hosts: slices.Clone(d.Hosts), Clusters: slices.Clone(d.Clusters),
		Datastores: slices.Clone(d.Datastores), Switches: slices.Clone(d.Switches)}
	for i := range out.VMs {
		v := &out.VMs[i]
		v.IPAddresses, v.Snapshots, v.Disks = slices.Clone(v.IPAddresses), slices.Clone(v.Snapshots), slices.Clone(v.Disks)
		v.NICs, v.Removables, v.Partitions = slices.Clone(v.NICs), slices.Clone(v.Removables), slices.Clone(v.Partitions)
	}
	for i := range out.Hosts {
		h := &out.Hosts[i]
		h.NTPServers, h.DNSServers, h.NICs = slices.Clone(h.NTPServers), slices.Clone(h.DNSServers), slices.Clone(h.NICs)
		h.HBAs, h.VSwitches, h.Portgroups = slices.Clone(h.HBAs), slices.Clone(h.VSwitches), slices.Clone(h.Portgroups)
		for j := range h.VSwitches {
			h.VSwitches[j].Uplinks = slices.Clone(h.VSwitches[j].Uplinks)
		}
	}
	for i := range out.Datastores {
		out.Datastores[i].Extents = slices.Clone(out.Datastores[i].Extents)
	}
	for i := range out.Switches {
		out.Switches[i].HostIDs = slices.Clone(out.Switches[i].HostIDs)
	}
	return out
}

// joinDetails concatenates details (given in vCenter order).
func joinDetails(ds ...*inventory.Details) *inventory.Details {
	out := &inventory.Details{}
	for _, d := range ds {
		out.VMs = append(out.VMs, d.VMs...)
		out.Hosts = append(out.Hosts, d.Hosts...)
		out.Clusters = append(out.Clusters, d.Clusters...)
		out.Datastores = append(out.Datastores, d.Datastores...)
		out.Switches = append(out.Switches, d.Switches...)
	}
	return out
}

func (e *env) writeDetails(p *store.WriteDetailsParams) {
	e.t.Helper()
	e.ok(e.st.(store.Details).WriteDetails(e.ctx, p), "WriteDetails(%q, %s)", p.Vcenter, p.SnapshotTime)
}

func (e *env) readDetails(p store.ReadDetailsParams) *inventory.Details {
	e.t.Helper()
	d, err := e.st.(store.Details).ReadDetails(e.ctx, &p)
	e.ok(err, "ReadDetails(%+v)", p)
	if d == nil {
		e.t.Fatalf("ReadDetails(%+v) returned nil", p)
	}
	return d
}

func (e *env) wantDetails(what string, got, want *inventory.Details) {
	e.t.Helper()
	if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("%s: detail differs (-want +got):\n%s", what, d)
	}
}

func testDetailsRoundTrip(e *env) {
	p := detailsFor("vc-a", 4, 1)
	// Rows come back in id order whatever the order written.
	slices.Reverse(p.Details.VMs)
	slices.Reverse(p.Details.Hosts)
	// Zero times stay zero.
	p.Details.VMs[0].BootTime, p.Details.VMs[0].Snapshots[1].Created = time.Time{}, time.Time{}
	p.Details.Switches[0].Created = time.Time{}
	e.writeDetails(p)
	want := storedDetails(p)
	got := e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a"})
	e.wantDetails("ReadDetails(vc-a)", got, want)
	// A nil ReadDetailsParams reads everything.
	all, err := e.st.(store.Details).ReadDetails(e.ctx, nil)
	e.ok(err, "ReadDetails(nil)")
	e.wantDetails("ReadDetails(nil)", all, want)
	// Times come back in UTC, cut to the store's precision (not the
	// second).
	if len(got.VMs) == 4 && len(got.VMs[1].Snapshots) == 2 && len(got.Hosts) == 2 && len(got.Switches) == 1 {
		for what, tm := range map[string]time.Time{
			"VMs[1].BootTime": got.VMs[1].BootTime, "VMs[1].Snapshots[0].Created": got.VMs[1].Snapshots[0].Created,
			"Hosts[0].BootTime": got.Hosts[0].BootTime,
		} {
			if tm.Location() != time.UTC || tm.Nanosecond() != 123456000 {
				e.t.Errorf("%s = %s (%s), want UTC with 123456µs", what, tm.Format(time.RFC3339Nano), tm.Location())
			}
		}
		if !got.VMs[3].BootTime.IsZero() || !got.VMs[3].Snapshots[1].Created.IsZero() || !got.Switches[0].Created.IsZero() {
			e.t.Errorf("zero times came back as %s, %s, %s", got.VMs[3].BootTime, got.VMs[3].Snapshots[1].Created, got.Switches[0].Created)
		}
	}
	// The caller's detail is not changed by the write, nor the stored one
	// by changing what a read returned.
	if p.Details.VMs[0].VMID != "vm-4" || p.Details.VMs[1].BootTime.Location() != detailZone {
		e.t.Errorf("WriteDetails changed its params: VMs[0] = %s, BootTime in %s", p.Details.VMs[0].VMID, p.Details.VMs[1].BootTime.Location())
	}
	if len(got.VMs) > 0 && len(got.VMs[0].Disks) > 0 {
		got.VMs[0].Disks[0].Label = "changed"
		got.VMs[0].IPAddresses[0] = "changed"
		e.wantDetails("ReadDetails after changing a read's result", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a"}), want)
	}
	// Nor by changing the params after the write.
	p.Details.VMs[1].Disks[0].Label = "changed"
	p.Details.VMs[1].IPAddresses[0] = "changed"
	p.Details.Hosts[0].VSwitches[0].Uplinks[0] = "changed"
	p.Details.Switches[0].HostIDs[0] = "changed"
	p.Details.VMs[2].VMID = "changed"
	e.wantDetails("ReadDetails after changing the written params", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a"}), want)
}

func testDetailsHostile(e *env) {
	h := HostileStrings()
	var want []*inventory.Details
	vcs := slices.Clone(hostileVcenters)
	slices.Sort(vcs)
	for i, vc := range vcs {
		p := detailsFor(vc, 3, i, h[i:]...)
		// Hostile ids too: VM, host and switch ids.
		p.Details.VMs[0].VMID = h[(i+3)%len(h)]
		p.Details.Hosts[1].HostID = h[(i+4)%len(h)]
		p.Details.Switches[0].ID = h[(i+5)%len(h)]
		e.writeDetails(p)
		want = append(want, storedDetails(p))
	}
	for i, vc := range vcs {
		e.wantDetails(fmt.Sprintf("ReadDetails(%q)", vc), e.readDetails(store.ReadDetailsParams{Vcenter: vc}), want[i])
		id := want[i].VMs[len(want[i].VMs)-1].VMID
		got := e.readDetails(store.ReadDetailsParams{Vcenter: vc, VMIDs: []string{id}, VMsOnly: true})
		if len(got.VMs) != 1 || got.VMs[0].VMID != id {
			e.t.Errorf("ReadDetails(%q, VMIDs [%q]): %d VMs, want that one", vc, id, len(got.VMs))
		}
	}
	e.wantDetails("ReadDetails of every vCenter", e.readDetails(store.ReadDetailsParams{}), joinDetails(want...))
}

func testDetailsReplace(e *env) {
	e.writeDetails(detailsFor("vc-a", 4, 1))
	b := detailsFor("vc-b", 3, 2)
	e.writeDetails(b)
	// The next capture of vc-a: vm-2 is gone, vm-3 lost a disk, a
	// snapshot and its drives, vm-4 has other values, a host and the
	// switch are gone.
	p := detailsFor("vc-a", 4, 3)
	p.Details.VMs = slices.Delete(p.Details.VMs, 1, 2)
	v3 := &p.Details.VMs[1]
	v3.Disks, v3.Snapshots, v3.Removables, v3.IPAddresses = v3.Disks[1:], v3.Snapshots[:1], nil, nil
	p.Details.Hosts, p.Details.Switches = p.Details.Hosts[1:], nil
	e.writeDetails(p)
	e.wantDetails("ReadDetails(vc-a) after the next write", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a"}), storedDetails(p))
	e.wantDetails("ReadDetails(vc-b) after vc-a's write", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-b"}), storedDetails(b))
	// The same write again leaves the same rows (nothing doubled).
	e.writeDetails(p)
	e.wantDetails("ReadDetails after writing the same detail twice", e.readDetails(store.ReadDetailsParams{}),
		joinDetails(storedDetails(p), storedDetails(b)))
}

func testDetailsFilter(e *env) {
	a, b := detailsFor("vc-a", 5, 1), detailsFor("vc-b", 2, 2)
	e.writeDetails(b)
	e.writeDetails(a)
	wa, wb := storedDetails(a), storedDetails(b)
	e.wantDetails("ReadDetails of every vCenter", e.readDetails(store.ReadDetailsParams{}), joinDetails(wa, wb))
	e.wantDetails("ReadDetails(vc-b)", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-b"}), wb)
	e.wantDetails("ReadDetails(unknown vCenter)", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-x"}), &inventory.Details{})
	pick := func(d *inventory.Details, ids ...string) *inventory.Details {
		out := *d
		out.VMs = nil
		for _, v := range d.VMs {
			if slices.Contains(ids, v.VMID) {
				out.VMs = append(out.VMs, v)
			}
		}
		return &out
	}
	// VMIDs in any order, with an unknown one and one of vc-b's only.
	want := pick(wa, "vm-2", "vm-4")
	e.wantDetails("ReadDetails(vc-a, VMIDs vm-4 vm-2 vm-9)",
		e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a", VMIDs: []string{"vm-4", "vm-2", "vm-9"}}), want)
	e.wantDetails("ReadDetails(vc-b, VMIDs vm-5)", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-b", VMIDs: []string{"vm-5"}}),
		pick(wb))
	// Many VMIDs (more than fit a query's parameters comfortably).
	many := []string{"vm-3"}
	for i := range 2000 {
		many = append(many, fmt.Sprintf("absent-%d", i))
	}
	many = append(many, "vm-1")
	e.wantDetails("ReadDetails(vc-a, 2002 VMIDs)", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a", VMIDs: many}),
		pick(wa, "vm-1", "vm-3"))
	// VMsOnly leaves out the other kinds.
	e.wantDetails("ReadDetails(VMsOnly)", e.readDetails(store.ReadDetailsParams{VMsOnly: true}),
		&inventory.Details{VMs: append(slices.Clone(wa.VMs), wb.VMs...)})
	e.wantDetails("ReadDetails(vc-a, VMIDs vm-5, VMsOnly)",
		e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a", VMIDs: []string{"vm-5"}, VMsOnly: true}),
		&inventory.Details{VMs: pick(wa, "vm-5").VMs})
	// EntitiesOnly leaves out the VMs.
	ents := *wa
	ents.VMs = nil
	e.wantDetails("ReadDetails(vc-a, EntitiesOnly)", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a", EntitiesOnly: true}), &ents)
}

func testDetailsOrder(e *env) {
	p := detailsFor("vc-a", 12, 1) // vm-1, vm-10, vm-11, vm-12, vm-2, ... in id order
	// Items keep the order written, not key order.
	v := &p.Details.VMs[5]
	slices.Reverse(v.Disks)
	slices.Reverse(v.Snapshots)
	v.NICs = append(v.NICs, inventory.VirtualNIC{Key: 3999, Label: "Network adapter 0"}, inventory.VirtualNIC{Key: 4000, Label: "same key"})
	slices.Reverse(v.Partitions)
	slices.Reverse(p.Details.Datastores)
	rand := []int{7, 2, 11, 0, 5, 9, 1, 4, 10, 3, 8, 6}
	vms := make([]inventory.VMDetail, len(rand))
	for i, j := range rand {
		vms[i] = p.Details.VMs[j]
	}
	p.Details.VMs = vms
	e.writeDetails(p)
	got := e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a"})
	e.wantDetails("ReadDetails(vc-a)", got, storedDetails(p))
	var ids []string
	for _, v := range got.VMs {
		ids = append(ids, v.VMID)
	}
	if !slices.IsSorted(ids) {
		e.t.Errorf("ReadDetails VMs not in id order: %v", ids)
	}
}

func testDetailsEmpty(e *env) {
	ds := e.st.(store.Details)
	e.wantDetails("ReadDetails of an empty store", e.readDetails(store.ReadDetailsParams{}), &inventory.Details{})
	e.writeDetails(detailsFor("vc-a", 3, 1))
	b := detailsFor("vc-b", 1, 1)
	e.writeDetails(b)
	// An empty detail leaves vc-a with none.
	e.writeDetails(&store.WriteDetailsParams{Vcenter: "vc-a", SnapshotTime: t0.Add(5 * time.Hour)})
	e.wantDetails("ReadDetails(vc-a) after an empty write", e.readDetails(store.ReadDetailsParams{Vcenter: "vc-a"}), &inventory.Details{})
	e.wantDetails("ReadDetails after an empty write", e.readDetails(store.ReadDetailsParams{}), storedDetails(b))
	// A VM with no items and no values but its id.
	e.writeDetails(&store.WriteDetailsParams{Vcenter: "vc-a", SnapshotTime: t0, BatchSize: 1,
		Details: inventory.Details{VMs: []inventory.VMDetail{{Vcenter: "vc-a", VMID: "vm-bare"}}}})
	got, err := ds.ReadDetails(e.ctx, &store.ReadDetailsParams{Vcenter: "vc-a"})
	e.ok(err, "ReadDetails")
	e.wantDetails("ReadDetails(vc-a) of a bare VM", got, &inventory.Details{VMs: []inventory.VMDetail{{Vcenter: "vc-a", VMID: "vm-bare"}}})
}

func testDetailsInvalid(e *env) {
	ds := e.st.(store.Details)
	prior := detailsFor("vc-a", 2, 1)
	e.writeDetails(prior)
	bad := func(change func(p *store.WriteDetailsParams)) *store.WriteDetailsParams {
		p := detailsFor("vc-a", 3, 2)
		change(p)
		return p
	}
	for name, p := range map[string]*store.WriteDetailsParams{
		"nil":        nil,
		"no vcenter": bad(func(p *store.WriteDetailsParams) { p.Vcenter = "" }),
		"no time":    bad(func(p *store.WriteDetailsParams) { p.SnapshotTime = time.Time{} }),
		"VM of another vcenter": bad(func(p *store.WriteDetailsParams) {
			p.Details.VMs[2].Vcenter = "vc-b"
		}),
		"host of another vcenter":      bad(func(p *store.WriteDetailsParams) { p.Details.Hosts[1].Vcenter = "vc-b" }),
		"cluster without vcenter":      bad(func(p *store.WriteDetailsParams) { p.Details.Clusters[0].Vcenter = "" }),
		"datastore of another vcenter": bad(func(p *store.WriteDetailsParams) { p.Details.Datastores[0].Vcenter = "VC-A" }),
		"switch of another vcenter":    bad(func(p *store.WriteDetailsParams) { p.Details.Switches[0].Vcenter = "vc-b" }),
		"empty VM id":                  bad(func(p *store.WriteDetailsParams) { p.Details.VMs[1].VMID = "" }),
		"empty switch id":              bad(func(p *store.WriteDetailsParams) { p.Details.Switches[0].ID = "" }),
		"repeated VM id":               bad(func(p *store.WriteDetailsParams) { p.Details.VMs[2].VMID = "vm-1" }),
		"repeated host id":             bad(func(p *store.WriteDetailsParams) { p.Details.Hosts[1].HostID = "host-1" }),
		"NUL in an annotation":         bad(func(p *store.WriteDetailsParams) { p.Details.VMs[0].Annotation = "a\x00b" }),
		"bad UTF-8 disk label":         bad(func(p *store.WriteDetailsParams) { p.Details.VMs[2].Disks[1].Label = "\xff" }),
		"bad UTF-8 IP address":         bad(func(p *store.WriteDetailsParams) { p.Details.VMs[2].IPAddresses[1] = "\xc3" }),
		"NUL in a host uplink":         bad(func(p *store.WriteDetailsParams) { p.Details.Hosts[0].VSwitches[0].Uplinks[0] = "\x00" }),
		"bad UTF-8 extent":             bad(func(p *store.WriteDetailsParams) { p.Details.Datastores[1].Extents[0] = "\xfe" }),
		"NaN snapshot size":            bad(func(p *store.WriteDetailsParams) { p.Details.VMs[1].Snapshots[0].SizeMB = math.NaN() }),
		"infinite snapshot size":       bad(func(p *store.WriteDetailsParams) { p.Details.VMs[1].Snapshots[1].SizeMB = math.Inf(-1) }),
	} {
		ipe := wantInvalid(e.t, ds.WriteDetails(e.ctx, p), "WriteDetails", name)
		if ipe != nil && (ipe.Field == "" || ipe.Reason == "") {
			e.t.Errorf("WriteDetails %s: error %v names no field or reason", name, ipe)
		}
	}
	e.wantDetails("ReadDetails after invalid writes", e.readDetails(store.ReadDetailsParams{}), storedDetails(prior))
	_, err := ds.ReadDetails(e.ctx, &store.ReadDetailsParams{VMIDs: []string{"vm-1"}})
	wantInvalid(e.t, err, "ReadDetails", "VMIDs without Vcenter")
}

// testDetailsAtomic fails a replacing write at each of its context checks:
// nothing changes until it succeeds (with the store's Contents holding the
// detail, see Dump).
func testDetailsAtomic(e *env) {
	e.countdown("WriteDetails", func(st store.Store) {
		for _, p := range []*store.WriteDetailsParams{detailsFor("vc-a", 10, 1), detailsFor("vc-b", 3, 1)} {
			if err := st.(store.Details).WriteDetails(e.ctx, p); err != nil {
				e.t.Fatalf("WriteDetails: %v", err)
			}
		}
	}, func(ctx context.Context, st store.Store) error {
		p := detailsFor("vc-a", 8, 2)
		p.BatchSize = 5
		return st.(store.Details).WriteDetails(ctx, p)
	})
}
