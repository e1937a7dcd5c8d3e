package report_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// rvSheets are the 20 sheets asked for, in RVTools 4.7's order (the
// research note's "Sheet order" less the sheets not asked for).
var rvSheets = []string{"vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vSnapshot", "vTools",
	"vSource", "vRP", "vCluster", "vHost", "vNIC", "vSwitch", "vPort", "dvSwitch", "dvPort", "vDatastore", "vHealth"}

// researchHeaders reads the header lists of docs/research/rvtools-4.7-headers.md:
// the code block under each "### <sheet> —" heading.
func researchHeaders(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "research", "rvtools-4.7-headers.md"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?ms)^### (\\S+) —[^\n]*\n```\n(.*?)\n```")
	out := map[string][]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		var hs []string
		for _, h := range strings.Split(m[2], "|") {
			hs = append(hs, strings.TrimSpace(h))
		}
		out[m[1]] = hs
	}
	if len(out) < 20 {
		t.Fatalf("found %d header lists in the research note", len(out))
	}
	return out
}

// withAttrs puts the custom attribute columns where the research note
// has "{custom attributes}" (VM sheets; none elsewhere).
func withAttrs(hs []string, vmSheet bool, attrs []string) []string {
	var out []string
	for _, h := range hs {
		if h == "{custom attributes}" {
			if vmSheet {
				out = append(out, attrs...)
			}
			continue
		}
		out = append(out, h)
	}
	return out
}

func isVMSheet(s string) bool {
	switch s {
	case "vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vSnapshot", "vTools":
		return true
	}
	return false
}

// detailStore is a memstore that also keeps detail (store.Details), for
// the detail sheets until the backends do.
type detailStore struct {
	*memstore.Store
	d inventory.Details
}

func (s *detailStore) ReadDetails(_ context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
	out := &inventory.Details{}
	keep := func(vc string) bool { return p.Vcenter == "" || vc == p.Vcenter }
	for _, v := range s.d.VMs {
		if keep(v.Vcenter) {
			out.VMs = append(out.VMs, v)
		}
	}
	if p.VMsOnly {
		return out, nil
	}
	for _, v := range s.d.Hosts {
		if keep(v.Vcenter) {
			out.Hosts = append(out.Hosts, v)
		}
	}
	for _, v := range s.d.Clusters {
		if keep(v.Vcenter) {
			out.Clusters = append(out.Clusters, v)
		}
	}
	for _, v := range s.d.Datastores {
		if keep(v.Vcenter) {
			out.Datastores = append(out.Datastores, v)
		}
	}
	for _, v := range s.d.Switches {
		if keep(v.Vcenter) {
			out.Switches = append(out.Switches, v)
		}
	}
	return out, nil
}

func (s *detailStore) WriteDetails(context.Context, *store.WriteDetailsParams) error {
	return errors.New("not used")
}

var _ store.Details = (*detailStore)(nil)

const (
	rvVC      = "=HYPERLINK(\"http://evil\")"
	rvHostile = "=SUM(A1:A9)<script>alert('x')</script> \"q\" ünï"
)

var (
	rvT1 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	rvT2 = rvT1.Add(time.Hour)
)

// rvFixture is a vCenter with hand-built inventory and detail: two
// snapshots; in the second, vm-1 is resized and vm-2 added.
func rvFixture(t *testing.T) *detailStore {
	t.Helper()
	ctx := context.Background()
	ms := memstore.New()
	host := inventory.Host{Vcenter: rvVC, ID: "host-1", Name: "esx1." + rvHostile, Datacenter: "DC", ClusterID: "domain-c1", Cluster: "CL",
		ConnectionState: "connected", PowerState: inventory.PoweredOn, InMaintenance: true, Vendor: "Dell", Model: "R650",
		CPUModel: "Xeon", CPUSockets: 2, CPUCores: 16, CPUThreads: 32, CPUMhz: 2000, MemoryMB: 262144, Version: "8.0.2", Build: "22380479",
		CPUUsageMHz: 8000, MemoryUsageMB: 65536}
	cl := inventory.Cluster{Vcenter: rvVC, ID: "domain-c1", Name: "CL", Datacenter: "DC", NumHosts: 1, TotalCPUMhz: 32000, TotalMemoryMB: 262144, HAEnabled: true, DRSEnabled: true}
	ds := inventory.Datastore{Vcenter: rvVC, ID: "datastore-1", Name: "ds1", Datacenter: "DC", Type: "VMFS", URL: "ds:///vmfs/volumes/1/",
		CapacityGB: 1000, FreeGB: 50, UncommittedGB: 200, Accessible: true, HostIDs: []string{"host-1"}}
	nets := []inventory.Network{{Vcenter: rvVC, ID: "dvportgroup-1", Name: "PG-" + rvHostile, Datacenter: "DC", Kind: inventory.NetworkDistributed, Switch: "dvs1", VLAN: "42"}}
	pools := []inventory.ResourcePool{{Vcenter: rvVC, ID: "resgroup-1", Name: "Gold", Path: "Resources/Gold", Datacenter: "DC", ClusterID: "domain-c1", Cluster: "CL", CPULimitMhz: -1, MemoryLimitMB: 4096}}
	vm1 := inventory.VM{Vcenter: rvVC, ID: "vm-1", UUID: "uuid-1", Name: rvHostile, Datacenter: "DC", Cluster: "CL", Host: host.Name, HostID: "host-1",
		ResourcePool: "/DC/host/CL/Resources/Gold", ResourcePoolID: "resgroup-1", Folder: "/DC/vm", PowerState: inventory.PoweredOn,
		VCPUCount: 2, RAMMB: 4096, ProvisionedDiskGB: 40.5, UsedDiskGB: 20.25, GuestOS: "Ubuntu Linux (64-bit)", IPAddress: "10.0.0.1",
		CreationTime: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), DatastoreIDs: []string{"datastore-1"},
		Attributes: map[string]string{"Backup status": "ok", "alpha": "a1", "=evil()": rvHostile, "tag:env": "prod"}}
	write := func(s time.Time, vms []inventory.VM) {
		state := &inventory.State{VMs: vms, Hosts: []inventory.Host{host}, Clusters: []inventory.Cluster{cl}, Datastores: []inventory.Datastore{ds},
			Networks: nets, ResourcePools: pools}
		var samples []inventory.Sample
		for i := range vms {
			samples = append(samples, vms[i].Sample(s))
		}
		if _, err := ms.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: rvVC, SnapshotTime: s, Samples: samples, State: state}); err != nil {
			t.Fatal(err)
		}
	}
	write(rvT1, []inventory.VM{vm1})
	vm1b := vm1
	vm1b.VCPUCount = 4
	vm2 := inventory.VM{Vcenter: rvVC, ID: "vm-2", Name: "b-vm", Host: host.Name, PowerState: inventory.PoweredOff, VCPUCount: 1, RAMMB: 1024,
		Attributes: map[string]string{"alpha": "a2"}}
	write(rvT2, []inventory.VM{vm1b, vm2})
	d := inventory.Details{
		VMs: []inventory.VMDetail{{Vcenter: rvVC, VMID: "vm-1", HardwareVersion: "vmx-19", Firmware: "efi", Annotation: rvHostile,
			DNSName: "web1", IPAddresses: []string{"10.0.0.1", "fe80::1"}, GuestState: "running", GuestFullName: "Ubuntu 22.04",
			GuestHeartbeat: "green", ConfigStatus: "green", ConnectionState: "connected", ConsolidationNeeded: true,
			BootTime: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC), ToolsRunningStatus: "guestToolsRunning",
			ToolsVersionStatus: "guestToolsNeedUpgrade", ToolsVersion: "12352", ToolsUpgradePolicy: "manual", CoresPerSocket: 2,
			CPU:       inventory.Allocation{Reservation: 500, Limit: -1, Shares: inventory.Shares{Level: "normal", Shares: 2000}},
			Memory:    inventory.Allocation{Reservation: 1024, Limit: -1, Shares: inventory.Shares{Level: "high", Shares: 81920}},
			CPUHotAdd: true, MemoryHotAdd: false, HARestartPriority: "medium", VMXPath: "[ds1] web/web.vmx", FolderPath: "/DC/vm/Prod",
			Snapshots: []inventory.VMSnapshot{{ID: 1, Name: "before " + rvHostile, Description: "desc", Created: time.Date(2026, 10, 1, 12, 30, 15, 0, time.UTC),
				Quiesced: true, State: inventory.PoweredOn, Depth: 1, File: "[ds1] web/web-Snapshot1.vmsn", SizeMB: 12345.6789}},
			Disks: []inventory.VirtualDisk{{Key: 2000, Label: "Hard disk 1", CapacityMB: 40960, Provisioning: inventory.DiskThin, DatastoreID: "datastore-1",
				Datastore: "ds1", FilePath: "[ds1] web/web.vmdk", Controller: "SCSI controller 0", UnitNumber: 0, Mode: "persistent",
				Shares: inventory.Shares{Level: "normal", Shares: 1000}, LimitIOPS: -1}},
			NICs: []inventory.VirtualNIC{{Key: 4000, Label: "Network adapter 1", AdapterType: "vmxnet3", NetworkID: "dvportgroup-1", Network: "PG-" + rvHostile,
				MAC: "00:50:56:00:00:01", Connected: true, StartConnected: true}},
			Removables: []inventory.RemovableDrive{{Key: 3000, Kind: inventory.DriveCDROM, Label: "CD/DVD drive 1", Connected: true, Backing: "[ds1] iso/x.iso"},
				{Key: 8000, Kind: inventory.DriveFloppy, Label: "Floppy drive 1"}},
			Partitions: []inventory.GuestPartition{{Path: "/", CapacityMB: 10000, FreeMB: 2500}},
		}},
		Hosts: []inventory.HostDetail{{Vcenter: rvVC, HostID: "host-1", BootTime: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Hyperthreading: true,
			NTPServers: []string{"ntp1", "ntp2"}, DNSServers: []string{"10.0.0.53"},
			NICs:       []inventory.HostNIC{{Device: "vmnic0", Driver: "ixgben", SpeedMb: 10000, FullDuplex: true, MAC: "aa:bb", PCI: "0000:01:00.0"}},
			HBAs:       []inventory.HostHBA{{Device: "vmhba0"}},
			VSwitches:  []inventory.HostSwitch{{Name: "vSwitch0", NumPorts: 128, FreePorts: 120, MTU: 1500, Uplinks: []string{"vmnic0"}}},
			Portgroups: []inventory.HostPortgroup{{Name: "Management", VSwitch: "vSwitch0", VLAN: 10}}}},
		Clusters: []inventory.ClusterDetail{{Vcenter: rvVC, ClusterID: "domain-c1", OverallStatus: "green", DRSBehavior: "fullyAutomated", DRSVmotionRate: 3,
			HAAdmissionControl: true, HAHostMonitoring: "enabled", HARestartPriority: "medium", HAIsolationResponse: "none", HAVMMonitoring: "vmMonitoringDisabled",
			HAFailoverLevel: 1, EffectiveHosts: 1, EffectiveCPUMHz: 30000, EffectiveMemoryMB: 250000, NumCPUCores: 16, NumCPUThreads: 32}},
		Datastores: []inventory.DatastoreDetail{{Vcenter: rvVC, DatastoreID: "datastore-1", VMFSVersion: "6.82", BlockSizeMB: 1, Extents: []string{"naa.1"},
			MultipleHostAccess: true, VMCount: 1}},
		Switches: []inventory.DistributedSwitch{{Vcenter: rvVC, ID: "dvs-1", Name: "dvs1", Datacenter: "DC", Vendor: "VMware, Inc.", Version: "8.0.0",
			Created: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC), HostIDs: []string{"host-1"}, NumPorts: 64, MaxPorts: 2000, MaxMTU: 9000}},
	}
	return &detailStore{Store: ms, d: d}
}

// rvDate checks a cell holds time w as an RVTools date: a number with
// the yyyy/MM/dd HH:mm:ss format whose serial is w's wall time in UTC.
func rvDate(t *testing.T, b *book, sheet, header string, rowIdx int, w time.Time) {
	t.Helper()
	cell := rvCell(t, b, sheet, header, rowIdx)
	raw, _ := b.f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Errorf("%s!%s (%s): %q is not a date serial", sheet, cell, header, raw)
		return
	}
	got, _ := excelize.ExcelDateToTime(serial, false)
	wall := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
	if d := got.Sub(wall); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("%s!%s (%s): %s, want %s", sheet, cell, header, got, wall)
	}
	id, _ := b.f.GetCellStyle(sheet, cell)
	st, err := b.f.GetStyle(id)
	if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy/MM/dd HH:mm:ss" {
		t.Errorf("%s!%s (%s): number format %v, want yyyy/MM/dd HH:mm:ss", sheet, cell, header, st)
	}
}

func rvCell(t *testing.T, b *book, sheet, header string, rowIdx int) string {
	t.Helper()
	for i, h := range b.header(sheet) {
		if h == header {
			c, _ := excelize.CoordinatesToCellName(i+1, rowIdx+2)
			return c
		}
	}
	t.Fatalf("sheet %s: no column %q", sheet, header)
	return ""
}

// rvFormat returns the number format code of a cell (built-in or custom).
func rvFormat(t *testing.T, b *book, sheet, header string, rowIdx int) string {
	t.Helper()
	cell := rvCell(t, b, sheet, header, rowIdx)
	id, _ := b.f.GetCellStyle(sheet, cell)
	st, err := b.f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return map[int]string{3: "#,##0", 4: "#,##0.00", 49: "@"}[st.NumFmt]
}

// checkRVLayout asserts RVTools' layout: the pane frozen at B2 and an
// autofilter over the used range.
func checkRVLayout(t *testing.T, b *book, sheet string) {
	t.Helper()
	p, err := b.f.GetPanes(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Freeze || p.XSplit != 1 || p.YSplit != 1 || p.TopLeftCell != "B2" {
		t.Errorf("sheet %s: panes %+v, want frozen at B2", sheet, p)
	}
	last, _ := excelize.CoordinatesToCellName(len(b.header(sheet)), b.dataRows(sheet)+1)
	if xml := strings.ReplaceAll(b.sheetXML(sheet), "$", ""); !strings.Contains(xml, `<autoFilter ref="A1:`+last+`"`) {
		t.Errorf("sheet %s: no autoFilter over A1:%s", sheet, last)
	}
}

func TestRVToolsHeaders(t *testing.T) {
	research := researchHeaders(t)
	if got := report.RVToolsSheets(); !reflect.DeepEqual(got, rvSheets) {
		t.Fatalf("RVToolsSheets %v, want %v", got, rvSheets)
	}
	for _, s := range rvSheets {
		if got := report.RVToolsHeaders(s); !reflect.DeepEqual(got, research[s]) {
			t.Errorf("%s headers differ from the research note:\n got %q\nwant %q", s, got, research[s])
		}
	}
	// The written workbook: every sheet, even empty ones, with the
	// research note's headers and the custom attributes (not tags) sorted
	// case-insensitively after Annotation.
	st := rvFixture(t)
	b := openBook(t, writeReport(t, st, report.Request{Kind: report.KindRVTools, Vcenter: rvVC}, report.Options{}), nil)
	if got := b.sheets(); !reflect.DeepEqual(got, rvSheets) {
		t.Fatalf("sheets %v, want %v", got, rvSheets)
	}
	attrs := []string{"=evil()", "alpha", "Backup status"}
	for _, s := range rvSheets {
		want := withAttrs(research[s], isVMSheet(s), attrs)
		if got := b.header(s); !reflect.DeepEqual(got, want) {
			t.Errorf("sheet %s header:\n got %q\nwant %q", s, got, want)
		}
		checkRVLayout(t, b, s)
	}
	b.checkQuoted("vInfo", rvCell(t, b, "vInfo", "=evil()", -1), "header", "=evil()")
	// An empty vCenter state still writes all 20 sheets.
	ms := memstore.New()
	if _, err := ms.WriteSnapshot(context.Background(), &store.WriteSnapshotParams{Vcenter: "empty", SnapshotTime: rvT1,
		State: &inventory.State{Hosts: []inventory.Host{{Vcenter: "empty", ID: "host-9", Name: "h9"}}}}); err != nil {
		t.Fatal(err)
	}
	b = openBook(t, writeReport(t, ms, report.Request{Kind: report.KindRVTools, Vcenter: "empty"}, report.Options{}), nil)
	for _, s := range rvSheets {
		if got, want := b.header(s), withAttrs(research[s], false, nil); !reflect.DeepEqual(got, want) {
			t.Errorf("empty: sheet %s header %q", s, got)
		}
	}
}

func TestRVToolsValues(t *testing.T) {
	st := rvFixture(t)
	clock := func() time.Time { return time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC) }
	b := openBook(t, writeReport(t, st, report.Request{Kind: report.KindRVTools, Vcenter: rvVC}, report.Options{Clock: clock}), nil)

	// vInfo: rows by VM name; MiB; text booleans; dates; hostile text inert.
	b.checkRows("vInfo", []row{
		{"VM": rvHostile, "Powerstate": "poweredOn", "Template": "False", "SRM Placeholder": "False", "Config status": "green",
			"DNS Name": "web1", "Consolidation Needed": "True", "CPUs": 4, "Memory": int64(4096), "NICs": 1, "Disks": 1,
			"Total disk capacity MiB": int64(40960), "Primary IP Address": "10.0.0.1", "Network #1": "PG-" + rvHostile, "Network #2": nil,
			"Resource pool": "/DC/host/CL/Resources/Gold", "Folder": "/DC/vm/Prod", "Provisioned MiB": int64(41472), "In Use MiB": int64(20736),
			"HA Restart Priority": "medium", "Firmware": "efi", "HW version": "vmx-19", "Path": "[ds1] web/web.vmx", "Annotation": rvHostile,
			"=evil()": rvHostile, "alpha": "a1", "Backup status": "ok", "Datacenter": "DC", "Cluster": "CL", "Host": "esx1." + rvHostile,
			"OS according to the configuration file": "Ubuntu Linux (64-bit)", "OS according to the VMware Tools": "Ubuntu 22.04",
			"VM ID": "vm-1", "VM UUID": "uuid-1", "VI SDK Server": rvVC, "Suspend time": nil},
		// No detail: the detail columns are empty, not zero.
		{"VM": "b-vm", "Powerstate": "poweredOff", "CPUs": 1, "Memory": int64(1024), "alpha": "a2", "Backup status": nil, "NICs": nil,
			"Consolidation Needed": nil, "Annotation": nil, "VM ID": "vm-2"},
	})
	rvDate(t, b, "vInfo", "PowerOn", 0, time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	rvDate(t, b, "vInfo", "Creation date", 0, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	if f := rvFormat(t, b, "vInfo", "Memory", 0); f != "#,##0" {
		t.Errorf("vInfo Memory format %q", f)
	}
	b.checkRows("vCPU", []row{{"VM": rvHostile, "CPUs": 4, "Sockets": 2, "Cores p/s": 2, "Level": "normal", "Shares": 2000, "Reservation": int64(500),
		"Limit": int64(-1), "Hot Add": "True", "Hot Remove": "False"}, {"VM": "b-vm", "CPUs": 1, "Sockets": nil}})
	b.checkRows("vMemory", []row{{"VM": rvHostile, "Size MiB": int64(4096), "Level": "high", "Shares": 81920, "Reservation": int64(1024), "Hot Add": "False"},
		{"VM": "b-vm", "Size MiB": int64(1024)}})
	b.checkRows("vDisk", []row{{"VM": rvHostile, "Disk": "Hard disk 1", "Disk Key": "2000", "Capacity MiB": int64(40960), "Disk Mode": "persistent",
		"Thin": "True", "Eagerly Scrub": "False", "Limit": int64(-1), "Label": "SCSI controller 0", "Unit #": 0, "Path": "[ds1] web/web.vmdk", "alpha": "a1"}})
	b.checkRows("vPartition", []row{{"VM": rvHostile, "Disk": "/", "Capacity MiB": int64(10000), "Consumed MiB": int64(7500), "Free MiB": int64(2500), "Free %": int64(25)}})
	b.checkRows("vNetwork", []row{{"VM": rvHostile, "NIC label": "Network adapter 1", "Adapter": "Vmxnet3", "Network": "PG-" + rvHostile, "Switch": "dvs1",
		"Connected": "True", "Starts Connected": "True", "Mac Address": "00:50:56:00:00:01", "IPv4 Address": "10.0.0.1", "IPv6 Address": "fe80::1"}})
	b.checkRows("vCD", []row{{"VM": rvHostile, "Device Node": "CD/DVD drive 1", "Connected": "True", "Starts Connected": "False", "Device Type": "[ds1] iso/x.iso"}})
	b.checkRows("vSnapshot", []row{{"VM": rvHostile, "Powerstate": "poweredOn", "Name": "before " + rvHostile, "Description": "desc",
		"Filename": "[ds1] web/web-Snapshot1.vmsn", "Size MiB (total)": 12345.6789, "Size MiB (vmsn)": nil, "Quiesced": "True", "State": "poweredOn"}})
	rvDate(t, b, "vSnapshot", "Date / time", 0, time.Date(2026, 10, 1, 12, 30, 15, 0, time.UTC))
	if f := rvFormat(t, b, "vSnapshot", "Size MiB (total)", 0); f != "#,##0.0000" {
		t.Errorf("snapshot size format %q", f)
	}
	b.checkRows("vTools", []row{{"VM": rvHostile, "VM Version": 19, "Tools": "toolsOld", "Tools Version": 12352, "Upgradeable": "Yes", "Upgrade Policy": "manual"},
		{"VM": "b-vm", "Tools": nil}})
	b.checkRows("vSource", []row{{"Name": nil, "VI SDK Server": rvVC}})
	b.checkRows("vRP", []row{{"Resource Pool name": "Gold", "Resource Pool path": "Resources/Gold", "# VMs total": 1, "# VMs": 1, "# vCPUs": 4,
		"CPU limit": int64(-1), "Mem limit": int64(4096), "Object ID": "resgroup-1"}})
	b.checkRows("vCluster", []row{{"Name": "CL", "OverallStatus": "green", "NumHosts": 1, "numEffectiveHosts": 1, "TotalCpu": int64(32000), "NumCpuCores": 16,
		"Effective Memory": int64(250000), "HA enabled": "True", "Failover Level": 1, "AdmissionControlEnabled": "True", "DRS enabled": "True",
		"DRS default VM behavior": "fullyAutomated", "DRS vmotion rate": 3, "Object ID": "domain-c1"}})
	b.checkRows("vHost", []row{{"Host": "esx1." + rvHostile, "in Maintenance Mode": "True", "Speed": 2000, "# CPU": 2, "Cores per CPU": 8, "# Cores": 16,
		"CPU usage %": int64(25), "# Memory": int64(262144), "Memory usage %": int64(25), "# NICs": 1, "# HBAs": 1, "# VMs total": 2, "# VMs": 1,
		"VMs per Core": 1.0 / 16, "# vCPUs": int64(4), "vCPUs per Core": 0.25, "vRAM": int64(4096), "HT Active": "True",
		"ESX Version": "VMware ESXi 8.0.2 build-22380479", "DNS Servers": "10.0.0.53", "NTP Server(s)": "ntp1, ntp2", "Object ID": "host-1"}})
	rvDate(t, b, "vHost", "Boot time", 0, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if f := rvFormat(t, b, "vHost", "VMs per Core", 0); f != "#,##0.00" {
		t.Errorf("VMs per Core format %q", f)
	}
	b.checkRows("vNIC", []row{{"Host": "esx1." + rvHostile, "Network Device": "vmnic0", "Driver": "ixgben", "Speed": 10000, "Duplex": "True", "Switch": "vSwitch0"}})
	b.checkRows("vSwitch", []row{{"Switch": "vSwitch0", "# Ports": 128, "Free Ports": 120, "MTU": 1500}})
	b.checkRows("vPort", []row{{"Port Group": "Management", "Switch": "vSwitch0", "VLAN": "10"}})
	b.checkRows("dvSwitch", []row{{"Switch": "dvs1", "Vendor": "VMware, Inc.", "Host members": "esx1." + rvHostile, "Max Ports": 2000, "# Ports": 64, "Max MTU": 9000, "Object ID": "dvs-1"}})
	rvDate(t, b, "dvSwitch", "Created", 0, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC))
	b.checkRows("dvPort", []row{{"Port": "PG-" + rvHostile, "Switch": "dvs1", "VLAN": 42, "Object ID": "dvportgroup-1"}})
	b.checkRows("vDatastore", []row{{"Name": "ds1", "Address": "naa.1", "Accessible": "True", "Type": "VMFS", "# VMs total": 1, "# VMs": 1,
		"Capacity MiB": int64(1024000), "Provisioned MiB": int64(1177600), "In Use MiB": int64(972800), "Free MiB": int64(51200), "Free %": int64(5),
		"# Hosts": 1, "Hosts": "esx1." + rvHostile, "Block size": 1, "# Extents": 1, "Major Version": 6, "Version": "6.82", "MHA": "True", "Object ID": "datastore-1"}})
	// vHealth: the health package's findings, RVTools-style.
	b.checkRows("vHealth", []row{
		{"Name": "esx1." + rvHostile, "Message": "Host is in maintenance mode!", "Message type": "Host config", "VI SDK Server": rvVC},
		{"Name": "ds1", "Message type": "Storage"}, // over-committed: 1150 of 1000 GB
		{"Name": "ds1", "Message": "On datastore ds1 is 5% disk space available! The threshold value is 10%. Free MB = 51200", "Message type": "Storage"},
		{"Name": rvHostile, "Message": "VM has an active snapshot! before " + rvHostile + " created on 10/1/2026 12:30:15 (65.5 days old). The threshold value is 7 days", "Message type": "Snapshot"},
		{"Name": rvHostile, "Message type": "Snapshot"}, // 12 GB snapshot
		{"Name": rvHostile, "Message": "Consolidation needed", "Message type": "Snapshot"},
		{"Name": rvHostile, "Message type": "VM Tools"},
		{"Name": rvHostile, "Message": "VM has a CDROM device connected! CD/DVD drive 1", "Message type": "CDROM"},
	})
}

// TestRVToolsAsOf checks the as-of workbook: VM rows from the snapshot,
// detail latest, with a note in vHealth; all vCenters; and no data.
func TestRVToolsAsOf(t *testing.T) {
	st := rvFixture(t)
	b := openBook(t, writeReport(t, st, report.Request{Kind: report.KindRVTools, Vcenter: rvVC, SnapshotTime: rvT1.Add(30 * time.Minute)}, report.Options{}), nil)
	b.checkRows("vInfo", []row{{"VM": rvHostile, "CPUs": 2, "Memory": int64(4096), "Annotation": rvHostile, "VI SDK Server": rvVC}})
	b.checkRows("vCPU", []row{{"VM": rvHostile, "CPUs": 2, "Sockets": 1}})
	rows, _ := b.f.GetRows("vHealth")
	if len(rows) < 2 || rows[1][2] != "Detail" || !strings.Contains(rows[1][1], "as of the snapshot of 2026-12-01 10:00:00") ||
		!strings.Contains(rows[1][1], "latest capture's, of 2026-12-01 11:00:00") {
		t.Errorf("vHealth first row %q, want the as-of note", rows[1:])
	}
	// Every vCenter, as of now: both VMs.
	b = openBook(t, writeReport(t, st, report.Request{Kind: report.KindRVTools, SnapshotTime: rvT2.Add(time.Hour)}, report.Options{}), nil)
	if n := b.dataRows("vInfo"); n != 2 {
		t.Errorf("as of after the second snapshot: %d VMs, want 2", n)
	}
	// Before the first snapshot: no data.
	var buf writerBuf
	err := report.Write(context.Background(), st, report.Request{Kind: report.KindRVTools, SnapshotTime: rvT1.Add(-time.Hour)}, &buf, report.Options{})
	if !errors.Is(err, report.ErrNoData) || len(buf.b) != 0 {
		t.Errorf("before the first snapshot: %v", err)
	}
	err = report.Write(context.Background(), st, report.Request{Kind: report.KindRVTools, Vcenter: "nope"}, &buf, report.Options{})
	if !errors.Is(err, report.ErrNoData) {
		t.Errorf("unknown vCenter: %v", err)
	}
	if got := (report.Request{Kind: report.KindRVTools, Vcenter: "vc 1"}).FileName(); !strings.HasPrefix(got, "rvtools_latest_vc_1-") {
		t.Errorf("file name %q", got)
	}
	if got := (report.Request{Kind: report.KindRVTools, SnapshotTime: rvT1}).FileName(); got != "rvtools_202612011000.xlsx" {
		t.Errorf("file name %q", got)
	}
}

// TestRVToolsVcsim captures a simulated vCenter and writes its workbook.
func TestRVToolsVcsim(t *testing.T) {
	if testing.Short() {
		t.Skip("vcsim")
	}
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 10, Templates: 1, Seed: 5})
	src, err := vsphere.New(ctx, inventory.Endpoint{
		Name: "vc-sim", URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()},
	}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close(ctx)
	st := memstore.New()
	at := time.Now().UTC().Truncate(time.Hour)
	res := capturetest.Snapshot(t, st, src, at, time.Second)
	dir := t.TempDir()
	path, err := report.WriteFile(ctx, st, report.Request{Kind: report.KindRVTools, Vcenter: "vc-sim"}, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "rvtools_latest_vc-sim.xlsx" {
		t.Errorf("path %s", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b := openBook(t, data, nil)
	if got := b.sheets(); !reflect.DeepEqual(got, rvSheets) {
		t.Fatalf("sheets %v", got)
	}
	if n := b.dataRows("vInfo"); n != res.Counts.VMs || n == 0 {
		t.Errorf("vInfo %d rows, captured %d VMs", n, res.Counts.VMs)
	}
	if n := b.dataRows("vHost"); n != res.Counts.Hosts || n == 0 {
		t.Errorf("vHost %d rows, captured %d hosts", n, res.Counts.Hosts)
	}
	if n := b.dataRows("vDatastore"); n != res.Counts.Datastores || n == 0 {
		t.Errorf("vDatastore %d rows, captured %d", n, res.Counts.Datastores)
	}
	if n := b.dataRows("vCluster"); n != res.Counts.Clusters {
		t.Errorf("vCluster %d rows, captured %d", n, res.Counts.Clusters)
	}
	samples := scanSamples(t, st, "vc-sim", at)
	names := map[string]bool{}
	for _, s := range samples {
		names[s.Name] = true
	}
	rows, _ := b.f.GetRows("vInfo")
	for _, r := range rows[1:] {
		if !names[r[0]] {
			t.Errorf("vInfo VM %q not captured", r[0])
		}
	}
	// Without VM detail in the store, vHealth says the VM checks were
	// skipped; with it, vDisk has a row per captured disk.
	var det *inventory.Details
	if sd, ok := any(st).(store.Details); ok {
		if det, err = sd.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: "vc-sim"}); err != nil {
			t.Fatal(err)
		}
	}
	if det == nil || len(det.VMs) == 0 {
		hr, _ := b.f.GetRows("vHealth")
		found := false
		for _, r := range hr[1:] {
			found = found || (r[0] == "vc-sim" && r[2] == "Detail")
		}
		if !found {
			t.Errorf("vHealth %q: no note that the detail is missing", hr)
		}
	} else {
		disks := 0
		for _, v := range det.VMs {
			disks += len(v.Disks)
		}
		if n := b.dataRows("vDisk"); n != disks {
			t.Errorf("vDisk %d rows, the detail has %d disks", n, disks)
		}
	}
	// The same as of the capture, and for every vCenter.
	b2 := openBook(t, writeReport(t, st, report.Request{Kind: report.KindRVTools, SnapshotTime: at.Add(time.Minute)}, report.Options{}), nil)
	if b2.dataRows("vInfo") != b.dataRows("vInfo") || b2.dataRows("vHost") != b.dataRows("vHost") {
		t.Errorf("as of: %d VMs, %d hosts", b2.dataRows("vInfo"), b2.dataRows("vHost"))
	}
}

// BenchmarkRVTools40k writes the RVTools workbook of a 40,000-VM latest
// state with detail for every VM (two disks, a NIC, a CD drive, a
// snapshot, a partition) and reports the heap peak like
// BenchmarkHourly40k: the workbook holds the whole state and detail in
// memory, unlike the streamed hourly report.
func BenchmarkRVTools40k(b *testing.B) {
	ctx := context.Background()
	ms := memstore.New()
	p := storetest.Snapshot("vc-bench", benchTime, benchVMs, 1)
	if _, err := ms.WriteSnapshot(ctx, p); err != nil {
		b.Fatal(err)
	}
	st := &detailStore{Store: ms}
	for _, v := range p.State.VMs {
		st.d.VMs = append(st.d.VMs, inventory.VMDetail{Vcenter: v.Vcenter, VMID: v.ID, HardwareVersion: "vmx-19", Annotation: "note",
			ToolsRunningStatus: "guestToolsRunning", ToolsVersionStatus: "guestToolsCurrent", CoresPerSocket: 1,
			Snapshots:  []inventory.VMSnapshot{{Name: "s1", Created: benchTime.Add(-time.Hour), SizeMB: 100}},
			Disks:      []inventory.VirtualDisk{{Key: 2000, Label: "Hard disk 1", CapacityMB: 40960}, {Key: 2001, Label: "Hard disk 2", CapacityMB: 102400}},
			NICs:       []inventory.VirtualNIC{{Key: 4000, Label: "Network adapter 1", AdapterType: "vmxnet3", Connected: true}},
			Removables: []inventory.RemovableDrive{{Key: 3000, Kind: inventory.DriveCDROM, Label: "CD/DVD drive 1"}},
			Partitions: []inventory.GuestPartition{{Path: "/", CapacityMB: 40000, FreeMB: 10000}}})
	}
	req := report.Request{Kind: report.KindRVTools, Vcenter: "vc-bench"}
	var maxPeak, maxDelta uint64
	var size int64
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		base := m.HeapInuse
		stop := heapPeak()
		var w countWriter
		if err := report.Write(ctx, st, req, &w, report.Options{}); err != nil {
			b.Fatal(err)
		}
		peak, _ := stop()
		maxPeak = max(maxPeak, peak)
		if peak > base {
			maxDelta = max(maxDelta, peak-base)
		}
		size = w.n
	}
	b.ReportMetric(float64(maxPeak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(maxDelta)/(1<<20), "report-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "xlsx-MB")
}
