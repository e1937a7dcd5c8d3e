package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/health"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// customAttrs marks where a sheet's custom-attribute columns go.
const customAttrs = "{custom attributes}"

// rvTable is one sheet of the RVTools workbook: its name and its RVTools
// 4.7 column headers, in order (docs/research/rvtools-4.7-headers.md).
type rvTable struct {
	name    string
	headers []string
}

// rvtoolsTables are the sheets of a KindRVTools workbook, in RVTools'
// order.
var rvtoolsTables = []rvTable{
	{name: "vInfo", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name", "Connection state", "Guest state", "Heartbeat", "Consolidation Needed", "PowerOn", "Suspended To Memory", "Suspend time", "Suspend Interval", "Creation date", "Change Version", "CPUs", "Overall Cpu Readiness", "Memory", "Active Memory", "NICs", "Disks", "Total disk capacity MiB", "Fixed Passthru HotPlug", "min Required EVC Mode Key", "Latency Sensitivity", "Op Notification Timeout", "EnableUUID", "CBT", "Primary IP Address", "Network #1", "Network #2", "Network #3", "Network #4", "Network #5", "Network #6", "Network #7", "Network #8", "Num Monitors", "Video Ram KiB", "Resource pool", "Folder ID", "Folder", "vApp", "DAS protection", "FT State", "FT Role", "FT Latency", "FT Bandwidth", "FT Sec. Latency", "Vm Failover In Progress", "Provisioned MiB", "In Use MiB", "Unshared MiB", "HA Restart Priority", "HA Isolation Response", "HA VM Monitoring", "Cluster rule(s)", "Cluster rule name(s)", "Boot Required", "Boot delay", "Boot retry delay", "Boot retry enabled", "Boot BIOS setup", "Reboot PowerOff", "EFI Secure boot", "Firmware", "HW version", "HW upgrade status", "HW upgrade policy", "HW target", "Path", "Log directory", "Snapshot directory", "Suspend directory", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "OS according to the configuration file", "OS according to the VMware Tools", "Customization Info", "Guest Detailed Data", "VM ID", "SMBIOS UUID", "VM UUID", "VI SDK Server type", "VI SDK API Version", "VI SDK Server", "VI SDK UUID"}},
	{name: "vCPU", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "CPUs", "Sockets", "Cores p/s", "Max", "Overall", "Level", "Shares", "Reservation", "Entitlement", "DRS Entitlement", "Limit", "Hot Add", "Hot Remove", "Numa Hotadd Exposed", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vMemory", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "Size MiB", "Memory Reservation Locked To Max", "Overhead", "Max", "Consumed", "Consumed Overhead", "Private", "Shared", "Swapped", "Ballooned", "Active", "Entitlement", "DRS Entitlement", "Level", "Shares", "Reservation", "Limit", "Hot Add", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vDisk", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "Disk", "Disk Key", "Disk UUID", "Disk Path", "Capacity MiB", "Raw", "Disk Mode", "Sharing mode", "Thin", "Eagerly Scrub", "Split", "Write Through", "Level", "Shares", "Reservation", "Limit", "Controller", "Label", "SCSI Unit #", "Unit #", "Shared Bus", "Path", "Raw LUN ID", "Raw Comp. Mode", "Internal Sort Column", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vPartition", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "Disk Key", "Disk", "Capacity MiB", "Consumed MiB", "Free MiB", "Free %", "Internal Sort Column", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vNetwork", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "NIC label", "Adapter", "Network", "Switch", "Connected", "Starts Connected", "Mac Address", "Type", "IPv4 Address", "IPv6 Address", "Direct Path IO", "Internal Sort Column", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vCD", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "Device Node", "Connected", "Starts Connected", "Device Type", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VMRef", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vSnapshot", headers: []string{"VM", "Powerstate", "Name", "Description", "Date / time", "Filename", "Size MiB (vmsn)", "Size MiB (total)", "Quiesced", "State", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vTools", headers: []string{"VM", "Powerstate", "Template", "SRM Placeholder", "VM Version", "Tools", "Tools Version", "Required Version", "Upgradeable", "Upgrade Policy", "Sync time", "App status", "Heartbeat status", "Kernel Crash state", "Operation Ready", "State change support", "Interactive Guest", "Annotation", "{custom attributes}", "Datacenter", "Cluster", "Host", "Folder", "OS according to the configuration file", "OS according to the VMware Tools", "VMRef", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vSource", headers: []string{"Name", "OS type", "API type", "API version", "Version", "Patch level", "Build", "Fullname", "Product name", "Product version", "Product line", "Vendor", "VI SDK Server", "VI SDK UUID"}},
	{name: "vRP", headers: []string{"Resource Pool name", "Resource Pool path", "Status", "# VMs total", "# VMs", "# vCPUs", "CPU limit", "CPU overheadLimit", "CPU reservation", "CPU level", "CPU shares", "CPU expandableReservation", "CPU maxUsage", "CPU overallUsage", "CPU reservationUsed", "CPU reservationUsedForVm", "CPU unreservedForPool", "CPU unreservedForVm", "Mem Configured", "Mem limit", "Mem overheadLimit", "Mem reservation", "Mem level", "Mem shares", "Mem expandableReservation", "Mem maxUsage", "Mem overallUsage", "Mem reservationUsed", "Mem reservationUsedForVm", "Mem unreservedForPool", "Mem unreservedForVm", "QS overallCpuDemand", "QS overallCpuUsage", "QS staticCpuEntitlement", "QS distributedCpuEntitlement", "QS balloonedMemory", "QS compressedMemory", "QS consumedOverheadMemory", "QS distributedMemoryEntitlement", "QS guestMemoryUsage", "QS hostMemoryUsage", "QS overheadMemory", "QS privateMemory", "QS sharedMemory", "QS staticMemoryEntitlement", "QS swappedMemory", "Object ID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vCluster", headers: []string{"Name", "Config status", "OverallStatus", "NumHosts", "numEffectiveHosts", "TotalCpu", "NumCpuCores", "NumCpuThreads", "Effective Cpu", "TotalMemory", "Effective Memory", "Num VMotions", "HA enabled", "Failover Level", "AdmissionControlEnabled", "Host monitoring", "HB Datastore Candidate Policy", "Isolation Response", "Restart Priority", "Cluster Settings", "Max Failures", "Max Failure Window", "Failure Interval", "Min Up Time", "VM Monitoring", "DRS enabled", "DRS default VM behavior", "DRS vmotion rate", "DPM enabled", "DPM default behavior", "DPM Host Power Action Rate", "Object ID", "{custom attributes}", "VI SDK Server", "VI SDK UUID"}},
	{name: "vHost", headers: []string{"Host", "Datacenter", "Cluster", "Config status", "Compliance Check State", "in Maintenance Mode", "in Quarantine Mode", "vSAN Fault Domain Name", "CPU Model", "Speed", "HT Available", "HT Active", "# CPU", "Cores per CPU", "# Cores", "CPU usage %", "# Memory", "Memory Tiering Type", "Memory usage %", "Console", "# NICs", "# HBAs", "# VMs total", "# VMs", "VMs per Core", "# vCPUs", "vCPUs per Core", "vRAM", "VM Used memory", "VM Memory Swapped", "VM Memory Ballooned", "VMotion support", "Storage VMotion support", "Current EVC", "Max EVC", "Assigned License(s)", "ATS Heartbeat", "ATS Locking", "Current CPU power man. policy", "Supported CPU power man.", "Host Power Policy", "ESX Version", "Boot time", "DNS Servers", "DHCP", "Domain", "Domain List", "DNS Search Order", "NTP Server(s)", "NTPD running", "Time Zone", "Time Zone Name", "GMT Offset", "Vendor", "Model", "Serial number", "Service tag", "OEM specific string", "BIOS Vendor", "BIOS Version", "BIOS Date", "Certificate Issuer", "Certificate Start Date", "Certificate Expiry Date", "Certificate Status", "Certificate Subject", "Object ID", "{custom attributes}", "UUID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vNIC", headers: []string{"Host", "Datacenter", "Cluster", "Network Device", "Driver", "Speed", "Duplex", "MAC", "Switch", "Uplink port", "PCI", "WakeOn", "VI SDK Server", "VI SDK UUID"}},
	{name: "vSwitch", headers: []string{"Host", "Datacenter", "Cluster", "Switch", "# Ports", "Free Ports", "Promiscuous Mode", "Mac Changes", "Forged Transmits", "Traffic Shaping", "Width", "Peak", "Burst", "Policy", "Reverse Policy", "Notify Switch", "Rolling Order", "Offload", "TSO", "Zero Copy Xmit", "MTU", "VI SDK Server", "VI SDK UUID"}},
	{name: "vPort", headers: []string{"Host", "Datacenter", "Cluster", "Port Group", "Switch", "VLAN", "Promiscuous Mode", "Mac Changes", "Forged Transmits", "Traffic Shaping", "Width", "Peak", "Burst", "Policy", "Reverse Policy", "Notify Switch", "Rolling Order", "Offload", "TSO", "Zero Copy Xmit", "VI SDK Server", "VI SDK UUID"}},
	{name: "dvSwitch", headers: []string{"Switch", "Datacenter", "Name", "Vendor", "Version", "Description", "Created", "Host members", "Max Ports", "# Ports", "# VMs", "In Traffic Shaping", "In Avg", "In Peak", "In Burst", "Out Traffic Shaping", "Out Avg", "Out Peak", "Out Burst", "CDP Type", "CDP Operation", "LACP Name", "LACP Mode", "LACP Load Balance Alg.", "Max MTU", "Contact", "Admin Name", "Object ID", "{custom attributes}", "VI SDK Server", "VI SDK UUID"}},
	{name: "dvPort", headers: []string{"Port", "Switch", "Type", "# Ports", "VLAN", "Speed", "Full Duplex", "Blocked", "Allow Promiscuous", "Mac Changes", "Active Uplink", "Standby Uplink", "Policy", "Forged Transmits", "In Traffic Shaping", "In Avg", "In Peak", "In Burst", "Out Traffic Shaping", "Out Avg", "Out Peak", "Out Burst", "Reverse Policy", "Notify Switch", "Rolling Order", "Check Beacon", "Live Port Moving", "Check Duplex", "Check Error %", "Check Speed", "Percentage", "Block Override", "Config Reset", "Shaping Override", "Vendor Config Override", "Sec. Policy Override", "Teaming Override", "Vlan Override", "Object ID", "VI SDK Server", "VI SDK UUID"}},
	{name: "vDatastore", headers: []string{"Name", "Config status", "Address", "Accessible", "Type", "# VMs total", "# VMs", "Capacity MiB", "Provisioned MiB", "In Use MiB", "Free MiB", "Free %", "SIOC enabled", "SIOC Threshold", "# Hosts", "Hosts", "Cluster name", "Cluster capacity MiB", "Cluster free space MiB", "Block size", "Max Blocks", "# Extents", "Major Version", "Version", "VMFS Upgradeable", "MHA", "URL", "Object ID", "{custom attributes}", "VI SDK Server", "VI SDK UUID"}},
	{name: "vHealth", headers: []string{"Name", "Message", "Message type", "VI SDK Server", "VI SDK UUID"}},
}

// RVToolsSheets returns the sheet names of a KindRVTools workbook, in
// order.
func RVToolsSheets() []string {
	out := make([]string, len(rvtoolsTables))
	for i, t := range rvtoolsTables {
		out[i] = t.name
	}
	return out
}

// RVToolsHeaders returns the fixed column headers of one sheet of a
// KindRVTools workbook, with "{custom attributes}" where the VM custom
// attribute columns go (nil for an unknown sheet).
func RVToolsHeaders(sheet string) []string {
	for _, t := range rvtoolsTables {
		if t.name == sheet {
			return append([]string(nil), t.headers...)
		}
	}
	return nil
}

// rvKinds are the RVTools columns that are not text or integers.
var rvKinds = map[string]colKind{
	"PowerOn": cRVDate, "Suspend time": cRVDate, "Creation date": cRVDate, "Change Version": cRVDate,
	"Date / time": cRVDate, "Boot time": cRVDate, "BIOS Date": cRVDate, "Certificate Start Date": cRVDate,
	"Certificate Expiry Date": cRVDate, "Created": cRVDate,
	"VMs per Core": cDec2, "vCPUs per Core": cDec2,
	"Size MiB (vmsn)": cDec4, "Size MiB (total)": cDec4,
}

// rvData is everything a KindRVTools workbook shows, read before any
// sheet is written.
type rvData struct {
	state *inventory.State
	// asOf is the snapshot each vCenter's VM rows come from (as-of
	// workbooks only).
	asOf     map[string]time.Time
	findings []health.Finding
	// endpoints by vCenter name, when the store keeps them.
	endpoints map[string]*inventory.Endpoint
	vcenters  []string
	// notes are extra vHealth rows (vCenter, message) about the workbook.
	notes [][2]string
}

// rvtools writes the RVTools-compatible workbook. See doc.go.
func (g *gen) rvtools() error {
	var d *rvData
	var err error
	if g.req.SnapshotTime.IsZero() {
		d, err = g.rvLatest()
	} else {
		d, err = g.rvAsOf()
	}
	if err != nil {
		return err
	}
	g.freezeFirstCol = true
	return g.rvWrite(d)
}

func (g *gen) inventoryState() (store.InventoryState, error) {
	is, ok := g.st.(store.InventoryState)
	if !ok {
		return nil, g.readErr("latest state", fmt.Errorf("%w: the store does not implement store.InventoryState", store.ErrUnsupported))
	}
	return is, nil
}

// rvLatest reads the latest-state inventory, its detail and its health.
func (g *gen) rvLatest() (*rvData, error) {
	is, err := g.inventoryState()
	if err != nil {
		return nil, err
	}
	vc := g.req.Vcenter
	if vc != "" {
		if _, err := is.StateTime(g.ctx, vc); err != nil {
			if isNotFound(err) {
				return nil, g.noData("vCenter %q has no latest-state inventory", vc)
			}
			return nil, g.readErr("state time", err)
		}
	}
	state, err := health.ReadState(g.ctx, is, vc, true)
	if err != nil {
		return nil, g.readErr("latest state", err)
	}
	d := &rvData{state: state}
	d.vcenters = stateVcenters(state, vc)
	if len(d.vcenters) == 0 {
		return nil, g.noData("no vCenter has a latest-state inventory")
	}
	d.findings = health.Evaluate(state, health.Options{Now: g.opts.Clock()})
	return d, g.rvEndpoints(d)
}

// rvAsOf reads each vCenter's latest snapshot at or before SnapshotTime:
// VM rows from the snapshot's samples; hosts, clusters and datastores
// from the store's entity history of that snapshot (else the latest
// state's objects captured at or before it); networks, resource pools and
// every detail from the latest state.
func (g *gen) rvAsOf() (*rvData, error) {
	is, err := g.inventoryState()
	if err != nil {
		return nil, err
	}
	var vcs []string
	if g.req.Vcenter != "" {
		vcs = []string{g.req.Vcenter}
	} else {
		// The vCenters: those with hosts, clusters or datastores in the
		// latest state, and the registered endpoints (VMs are not read
		// for this: they are the many).
		latest := &inventory.State{}
		if latest.Hosts, err = is.ListHosts(g.ctx, &store.ListHostsParams{}); err != nil {
			return nil, g.readErr("list hosts", err)
		}
		if latest.Clusters, err = is.ListClusters(g.ctx, &store.ListClustersParams{}); err != nil {
			return nil, g.readErr("list clusters", err)
		}
		if latest.Datastores, err = is.ListDatastores(g.ctx, &store.ListDatastoresParams{}); err != nil {
			return nil, g.readErr("list datastores", err)
		}
		vcs = stateVcenters(latest, "")
		if ep, ok := g.st.(store.Endpoints); ok {
			eps, err := ep.ListEndpoints(g.ctx, &store.ListEndpointsParams{})
			if err != nil {
				return nil, g.readErr("list endpoints", err)
			}
			for _, e := range eps {
				vcs = append(vcs, e.Name)
			}
		}
		sort.Strings(vcs)
		vcs = compactStrings(vcs)
	}
	d := &rvData{state: &inventory.State{}, asOf: map[string]time.Time{}}
	var findings []health.Finding
	for _, vc := range vcs {
		s, ok, err := g.latestSnapshot(vc, g.req.SnapshotTime)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		d.asOf[vc] = s
		d.vcenters = append(d.vcenters, vc)
		part := &inventory.State{}
		err = g.scanSnapshot(vc, s, func(x *inventory.Sample) error {
			part.VMs = append(part.VMs, sampleVM(x))
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := g.rvObjectsAsOf(is, vc, s, part); err != nil {
			return nil, err
		}
		if sd, ok := g.st.(store.Details); ok {
			det, err := sd.ReadDetails(g.ctx, &store.ReadDetailsParams{Vcenter: vc})
			if err != nil {
				return nil, g.readErr("read detail", err)
			}
			if det != nil {
				part.Details = *det
			}
		}
		findings = append(findings, health.Evaluate(part, health.Options{Now: s})...)
		appendState(d.state, part)
		st, err := is.StateTime(g.ctx, vc)
		if err == nil && !st.Equal(s) {
			d.notes = append(d.notes, [2]string{vc, fmt.Sprintf("VM, host, cluster and datastore rows are as of the snapshot of %s; resource pools, networks and the detail columns (allocations, disks, partitions, NICs, CD drives, snapshots, Tools, host NICs and switches, distributed switches) are the latest capture's, of %s.",
				s.In(g.opts.Location).Format(time.DateTime), st.In(g.opts.Location).Format(time.DateTime))})
		}
	}
	if len(d.vcenters) == 0 {
		return nil, g.noData("no snapshot at or before %s", g.req.SnapshotTime.UTC().Format(time.RFC3339))
	}
	d.findings = findings
	return d, g.rvEndpoints(d)
}

// rvObjectsAsOf fills part's hosts, clusters and datastores as of
// snapshot s (see objectSheets) and its networks and pools from the
// latest state.
func (g *gen) rvObjectsAsOf(is store.InventoryState, vc string, s time.Time, part *inventory.State) error {
	var err error
	if part.Hosts, err = is.ListHosts(g.ctx, &store.ListHostsParams{Vcenter: vc}); err != nil {
		return g.readErr("list hosts", err)
	}
	if part.Clusters, err = is.ListClusters(g.ctx, &store.ListClustersParams{Vcenter: vc}); err != nil {
		return g.readErr("list clusters", err)
	}
	if part.Datastores, err = is.ListDatastores(g.ctx, &store.ListDatastoresParams{Vcenter: vc}); err != nil {
		return g.readErr("list datastores", err)
	}
	if part.Networks, err = is.ListNetworks(g.ctx, &store.ListNetworksParams{Vcenter: vc}); err != nil {
		return g.readErr("list networks", err)
	}
	if part.ResourcePools, err = is.ListResourcePools(g.ctx, &store.ListResourcePoolsParams{Vcenter: vc}); err != nil {
		return g.readErr("list resource pools", err)
	}
	hist, err := g.history(vc, s)
	if err != nil {
		return err
	}
	if hist != nil {
		mounts := make(map[string][]string, len(part.Datastores))
		for _, d := range part.Datastores {
			mounts[d.ID] = d.HostIDs
		}
		for i := range hist.Datastores {
			hist.Datastores[i].HostIDs = mounts[hist.Datastores[i].ID]
		}
		part.Hosts, part.Clusters, part.Datastores = hist.Hosts, hist.Clusters, hist.Datastores
		return nil
	}
	part.Hosts = keepAtOrBefore(part.Hosts, s, func(h *inventory.Host) time.Time { return h.SnapshotTime })
	part.Clusters = keepAtOrBefore(part.Clusters, s, func(c *inventory.Cluster) time.Time { return c.SnapshotTime })
	part.Datastores = keepAtOrBefore(part.Datastores, s, func(d *inventory.Datastore) time.Time { return d.SnapshotTime })
	return nil
}

func keepAtOrBefore[T any](xs []T, s time.Time, at func(*T) time.Time) []T {
	out := xs[:0]
	for i := range xs {
		if stateIncluded(at(&xs[i]), s) {
			out = append(out, xs[i])
		}
	}
	return out
}

func appendState(dst, src *inventory.State) {
	dst.VMs = append(dst.VMs, src.VMs...)
	dst.Hosts = append(dst.Hosts, src.Hosts...)
	dst.Clusters = append(dst.Clusters, src.Clusters...)
	dst.Datastores = append(dst.Datastores, src.Datastores...)
	dst.Networks = append(dst.Networks, src.Networks...)
	dst.ResourcePools = append(dst.ResourcePools, src.ResourcePools...)
	dst.Details.VMs = append(dst.Details.VMs, src.Details.VMs...)
	dst.Details.Hosts = append(dst.Details.Hosts, src.Details.Hosts...)
	dst.Details.Clusters = append(dst.Details.Clusters, src.Details.Clusters...)
	dst.Details.Datastores = append(dst.Details.Datastores, src.Details.Datastores...)
	dst.Details.Switches = append(dst.Details.Switches, src.Details.Switches...)
}

// sampleVM is the VM a sample shows.
func sampleVM(s *inventory.Sample) inventory.VM {
	return inventory.VM{Vcenter: s.Vcenter, ID: s.VMID, UUID: s.VMUUID, Name: s.Name, Datacenter: s.Datacenter,
		Cluster: s.Cluster, Host: s.Host, ResourcePool: s.ResourcePool, ResourcePoolID: s.ResourcePoolID, Folder: s.Folder,
		PowerState: s.PowerState, IsTemplate: s.IsTemplate, VCPUCount: s.VCPUCount, RAMMB: s.RAMMB,
		ProvisionedDiskGB: s.ProvisionedDiskGB, UsedDiskGB: s.UsedDiskGB, GuestOS: s.GuestOS, IPAddress: s.IPAddress,
		CreationTime: s.CreationTime, Attributes: s.Attributes, SnapshotTime: s.SnapshotTime}
}

// stateVcenters returns the vCenters the state has rows of (and want,
// when set), sorted.
func stateVcenters(st *inventory.State, want string) []string {
	var out []string
	if want != "" {
		out = append(out, want)
	}
	for _, v := range st.VMs {
		out = append(out, v.Vcenter)
	}
	for _, h := range st.Hosts {
		out = append(out, h.Vcenter)
	}
	for _, d := range st.Datastores {
		out = append(out, d.Vcenter)
	}
	for _, c := range st.Clusters {
		out = append(out, c.Vcenter)
	}
	sort.Strings(out)
	return compactStrings(out)
}

func compactStrings(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if x != "" && (i == 0 || x != xs[i-1]) {
			out = append(out, x)
		}
	}
	return out
}

func (g *gen) rvEndpoints(d *rvData) error {
	ep, ok := g.st.(store.Endpoints)
	if !ok {
		return nil
	}
	d.endpoints = map[string]*inventory.Endpoint{}
	for _, vc := range d.vcenters {
		e, err := ep.GetEndpoint(g.ctx, &store.GetEndpointParams{Name: vc})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return g.readErr("get endpoint", err)
		}
		d.endpoints[vc] = e
	}
	return nil
}

// rvRow fills one row of an RVTools sheet by header name.
type rvRow struct {
	sh    *sheet
	idx   map[string]int
	attrs []string // custom attribute keys, in column order
	at    int      // index of the first custom attribute column; -1 for none
	vals  []any
	err   error
}

// rvSheet creates one RVTools sheet; attrs are the custom attribute
// columns (VM sheets only).
func (g *gen) rvSheet(t rvTable, attrs []string) (*rvRow, error) {
	r := &rvRow{idx: map[string]int{}, at: -1}
	var cols []col
	for _, h := range t.headers {
		if h == customAttrs {
			r.at = len(cols)
			r.attrs = attrs
			for _, a := range attrs {
				cols = append(cols, col{name: a, kind: cRV, width: math.Min(math.Max(float64(len(a))+4, 14), 60)})
			}
			continue
		}
		k, ok := rvKinds[h]
		if !ok {
			k = cRV
		}
		if _, dup := r.idx[h]; !dup {
			r.idx[h] = len(cols)
		}
		w := math.Min(math.Max(float64(len(h))+4, 12), 60)
		if k == cRVDate {
			w = 20
		}
		cols = append(cols, col{name: h, kind: k, width: w})
	}
	sh, err := g.newSheet(t.name, cols)
	if err != nil {
		return nil, err
	}
	r.sh = sh
	r.vals = make([]any, len(cols))
	return r, nil
}

// set puts v under header h; a header the sheet lacks is an error (a
// programming error the tests catch).
func (r *rvRow) set(h string, v any) {
	i, ok := r.idx[h]
	if !ok {
		if r.err == nil {
			r.err = fmt.Errorf("sheet %s has no column %q", r.sh.name, h)
		}
		return
	}
	r.vals[i] = v
}

// opt puts v under header h when the sheet has that column.
func (r *rvRow) opt(h string, v any) {
	if i, ok := r.idx[h]; ok {
		r.vals[i] = v
	}
}

func (r *rvRow) attributes(m map[string]string) {
	if r.at < 0 {
		return
	}
	for i, k := range r.attrs {
		if v, ok := m[k]; ok {
			r.vals[r.at+i] = v
		}
	}
}

// flush writes the row and clears it.
func (r *rvRow) flush() error {
	if r.err != nil {
		return r.sh.g.writeErr(r.err)
	}
	if err := r.sh.add(r.vals...); err != nil {
		return err
	}
	clear(r.vals)
	return nil
}

// tf is RVTools' text boolean.
func tf(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// mib converts GB (GiB) to whole MiB.
func mib(gb float64) int64 { return int64(math.Round(gb * 1024)) }

// rvIndex holds the lookups the sheets share.
type rvIndex struct {
	detail    map[[2]string]*inventory.VMDetail
	hostByID  map[[2]string]*inventory.Host
	hostDet   map[[2]string]*inventory.HostDetail
	clDet     map[[2]string]*inventory.ClusterDetail
	dsDet     map[[2]string]*inventory.DatastoreDetail
	network   map[[2]string]*inventory.Network
	hostUsage map[[2]string]*hostUse // by (vcenter, host name)
	attrs     []string
}

type hostUse struct {
	total, on   int
	vcpus, vram int64
}

func rvIndexOf(st *inventory.State) *rvIndex {
	x := &rvIndex{detail: map[[2]string]*inventory.VMDetail{}, hostByID: map[[2]string]*inventory.Host{},
		hostDet: map[[2]string]*inventory.HostDetail{}, clDet: map[[2]string]*inventory.ClusterDetail{},
		dsDet: map[[2]string]*inventory.DatastoreDetail{}, network: map[[2]string]*inventory.Network{},
		hostUsage: map[[2]string]*hostUse{}}
	for i := range st.Details.VMs {
		d := &st.Details.VMs[i]
		x.detail[[2]string{d.Vcenter, d.VMID}] = d
	}
	for i := range st.Hosts {
		h := &st.Hosts[i]
		x.hostByID[[2]string{h.Vcenter, h.ID}] = h
	}
	for i := range st.Details.Hosts {
		d := &st.Details.Hosts[i]
		x.hostDet[[2]string{d.Vcenter, d.HostID}] = d
	}
	for i := range st.Details.Clusters {
		d := &st.Details.Clusters[i]
		x.clDet[[2]string{d.Vcenter, d.ClusterID}] = d
	}
	for i := range st.Details.Datastores {
		d := &st.Details.Datastores[i]
		x.dsDet[[2]string{d.Vcenter, d.DatastoreID}] = d
	}
	for i := range st.Networks {
		n := &st.Networks[i]
		x.network[[2]string{n.Vcenter, n.ID}] = n
	}
	seen := map[string]bool{}
	for i := range st.VMs {
		v := &st.VMs[i]
		for k := range v.Attributes {
			if !strings.HasPrefix(k, "tag:") && !seen[k] {
				seen[k] = true
				x.attrs = append(x.attrs, k)
			}
		}
		if v.IsTemplate {
			continue
		}
		u := x.hostUsage[[2]string{v.Vcenter, v.Host}]
		if u == nil {
			u = &hostUse{}
			x.hostUsage[[2]string{v.Vcenter, v.Host}] = u
		}
		u.total++
		if v.PowerState == inventory.PoweredOn {
			u.on++
			u.vcpus += int64(v.VCPUCount)
			u.vram += v.RAMMB
		}
	}
	sort.Slice(x.attrs, func(i, j int) bool {
		a, b := strings.ToLower(x.attrs[i]), strings.ToLower(x.attrs[j])
		if a != b {
			return a < b
		}
		return x.attrs[i] < x.attrs[j]
	})
	return x
}

// rvWrite writes the 20 sheets.
func (g *gen) rvWrite(d *rvData) error {
	st := d.state
	sort.SliceStable(st.VMs, func(i, j int) bool {
		a, b := &st.VMs[i], &st.VMs[j]
		if a.Vcenter != b.Vcenter {
			return a.Vcenter < b.Vcenter
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
	x := rvIndexOf(st)
	for _, t := range rvtoolsTables {
		var err error
		switch t.name {
		case "vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vSnapshot", "vTools":
			err = g.rvVMSheet(t, st, x)
		case "vSource":
			err = g.rvSource(t, d)
		case "vRP":
			err = g.rvPools(t, st)
		case "vCluster":
			err = g.rvClusters(t, st, x)
		case "vHost":
			err = g.rvHosts(t, st, x)
		case "vNIC", "vSwitch", "vPort":
			err = g.rvHostNet(t, st, x)
		case "dvSwitch":
			err = g.rvDVSwitches(t, st, x)
		case "dvPort":
			err = g.rvDVPorts(t, st)
		case "vDatastore":
			err = g.rvDatastores(t, st, x)
		case "vHealth":
			err = g.rvHealth(t, d)
		default:
			err = g.writeErr(fmt.Errorf("no writer for sheet %s", t.name))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// rvVMCommon fills the columns every VM sheet shares.
func rvVMCommon(r *rvRow, v *inventory.VM, d *inventory.VMDetail) {
	r.set("VM", v.Name)
	r.set("Powerstate", v.PowerState)
	r.opt("Template", tf(v.IsTemplate))
	r.opt("SRM Placeholder", tf(false))
	r.set("Datacenter", v.Datacenter)
	r.set("Cluster", v.Cluster)
	r.set("Host", v.Host)
	folder := v.Folder
	if d != nil && d.FolderPath != "" {
		folder = d.FolderPath
	}
	r.opt("Folder", folder)
	r.set("OS according to the configuration file", v.GuestOS)
	r.set("VM ID", v.ID)
	r.set("VM UUID", v.UUID)
	r.set("VI SDK Server", v.Vcenter)
	if d != nil {
		r.set("Annotation", d.Annotation)
		r.set("OS according to the VMware Tools", d.GuestFullName)
	}
	r.attributes(v.Attributes)
}

func (g *gen) rvVMSheet(t rvTable, st *inventory.State, x *rvIndex) error {
	r, err := g.rvSheet(t, x.attrs)
	if err != nil {
		return err
	}
	for i := range st.VMs {
		v := &st.VMs[i]
		d := x.detail[[2]string{v.Vcenter, v.ID}]
		one := func() error {
			rvVMCommon(r, v, d)
			return r.flush()
		}
		switch t.name {
		case "vInfo":
			rvInfo(r, v, d, x)
			err = one()
		case "vCPU":
			r.set("CPUs", v.VCPUCount)
			if d != nil {
				if d.CoresPerSocket > 0 {
					r.set("Sockets", v.VCPUCount/d.CoresPerSocket)
					r.set("Cores p/s", d.CoresPerSocket)
				}
				r.set("Level", d.CPU.Shares.Level)
				r.set("Shares", int(d.CPU.Shares.Shares))
				r.set("Reservation", d.CPU.Reservation)
				r.set("Limit", d.CPU.Limit)
				r.set("Hot Add", tf(d.CPUHotAdd))
				r.set("Hot Remove", tf(d.CPUHotRemove))
			}
			err = one()
		case "vMemory":
			r.set("Size MiB", v.RAMMB)
			if d != nil {
				r.set("Level", d.Memory.Shares.Level)
				r.set("Shares", int(d.Memory.Shares.Shares))
				r.set("Reservation", d.Memory.Reservation)
				r.set("Limit", d.Memory.Limit)
				r.set("Hot Add", tf(d.MemoryHotAdd))
			}
			err = one()
		case "vTools":
			if d != nil {
				rvTools(r, d)
			}
			err = one()
		default:
			if d != nil {
				err = rvDeviceRows(t.name, r, v, d, x, one)
			}
		}
		if err != nil {
			return err
		}
	}
	return r.sh.close()
}

func rvInfo(r *rvRow, v *inventory.VM, d *inventory.VMDetail, x *rvIndex) {
	r.set("CPUs", v.VCPUCount)
	r.set("Memory", v.RAMMB)
	r.set("Creation date", v.CreationTime)
	r.set("Primary IP Address", v.IPAddress)
	r.set("Resource pool", v.ResourcePool)
	r.set("Provisioned MiB", mib(v.ProvisionedDiskGB))
	r.set("In Use MiB", mib(v.UsedDiskGB))
	if d == nil {
		return
	}
	r.set("Config status", d.ConfigStatus)
	r.set("DNS Name", d.DNSName)
	r.set("Connection state", d.ConnectionState)
	r.set("Guest state", d.GuestState)
	r.set("Heartbeat", d.GuestHeartbeat)
	r.set("Consolidation Needed", tf(d.ConsolidationNeeded))
	r.set("PowerOn", d.BootTime)
	r.set("NICs", len(d.NICs))
	r.set("Disks", len(d.Disks))
	var capMB int64
	for _, k := range d.Disks {
		capMB += k.CapacityMB
	}
	r.set("Total disk capacity MiB", capMB)
	for i, n := range d.NICs {
		if i == 8 {
			break
		}
		r.set("Network #"+strconv.Itoa(i+1), rvNetworkName(n, v.Vcenter, x))
	}
	r.set("HA Restart Priority", d.HARestartPriority)
	r.set("Firmware", d.Firmware)
	r.set("HW version", d.HardwareVersion)
	r.set("Path", d.VMXPath)
}

func rvNetworkName(n inventory.VirtualNIC, vc string, x *rvIndex) string {
	if n.Network != "" {
		return n.Network
	}
	if nw := x.network[[2]string{vc, n.NetworkID}]; nw != nil {
		return nw.Name
	}
	return ""
}

// rvToolsStatus derives guest.toolsStatus from the running and version
// status.
func rvToolsStatus(d *inventory.VMDetail) string {
	switch {
	case d.ToolsVersionStatus == "guestToolsNotInstalled":
		return "toolsNotInstalled"
	case d.ToolsRunningStatus == "guestToolsNotRunning":
		return "toolsNotRunning"
	case health.ToolsOutdated(d.ToolsVersionStatus):
		return "toolsOld"
	case d.ToolsRunningStatus == "":
		return ""
	}
	return "toolsOk"
}

func rvTools(r *rvRow, d *inventory.VMDetail) {
	if n, err := strconv.Atoi(strings.TrimPrefix(d.HardwareVersion, "vmx-")); err == nil {
		r.set("VM Version", n)
	}
	r.set("Tools", rvToolsStatus(d))
	if n, err := strconv.Atoi(d.ToolsVersion); err == nil {
		r.set("Tools Version", n)
	} else {
		r.set("Tools Version", d.ToolsVersion)
	}
	if d.ToolsVersionStatus != "" {
		r.set("Upgradeable", map[bool]string{true: "Yes", false: "No"}[health.ToolsOutdated(d.ToolsVersionStatus)])
	}
	r.set("Upgrade Policy", d.ToolsUpgradePolicy)
}

// adapterNames are RVTools' names of the virtual NIC types.
var adapterNames = map[string]string{"vmxnet3": "Vmxnet3", "vmxnet2": "Vmxnet2", "vmxnet": "Vmxnet", "e1000e": "E1000e",
	"e1000": "E1000", "pcnet32": "PCNet32", "sriov": "SriovEthernetCard"}

// rvDeviceRows writes a VM's disk, partition, NIC, CD or snapshot rows.
func rvDeviceRows(sheetName string, r *rvRow, v *inventory.VM, d *inventory.VMDetail, x *rvIndex, one func() error) error {
	switch sheetName {
	case "vDisk":
		for _, k := range d.Disks {
			r.set("Disk", k.Label)
			r.set("Disk Key", strconv.Itoa(int(k.Key)))
			r.set("Capacity MiB", k.CapacityMB)
			r.set("Disk Mode", k.Mode)
			if k.Provisioning != "" {
				r.set("Thin", tf(k.Provisioning == inventory.DiskThin))
				r.set("Eagerly Scrub", tf(k.Provisioning == inventory.DiskEagerZeroedThick))
			}
			r.set("Level", k.Shares.Level)
			r.set("Shares", int(k.Shares.Shares))
			r.set("Limit", k.LimitIOPS)
			r.set("Label", k.Controller)
			r.set("Unit #", int(k.UnitNumber))
			r.set("Path", k.FilePath)
			if err := one(); err != nil {
				return err
			}
		}
	case "vPartition":
		for _, p := range d.Partitions {
			r.set("Disk", p.Path)
			r.set("Capacity MiB", p.CapacityMB)
			r.set("Consumed MiB", p.CapacityMB-p.FreeMB)
			r.set("Free MiB", p.FreeMB)
			if p.CapacityMB > 0 {
				r.set("Free %", p.FreeMB*100/p.CapacityMB)
			}
			if err := one(); err != nil {
				return err
			}
		}
	case "vNetwork":
		var v4, v6 []string
		for _, ip := range d.IPAddresses {
			if strings.Contains(ip, ":") {
				v6 = append(v6, ip)
			} else {
				v4 = append(v4, ip)
			}
		}
		for _, n := range d.NICs {
			r.set("NIC label", n.Label)
			r.set("Adapter", cmpOr(adapterNames[n.AdapterType], n.AdapterType))
			r.set("Network", rvNetworkName(n, v.Vcenter, x))
			if nw := x.network[[2]string{v.Vcenter, n.NetworkID}]; nw != nil {
				r.set("Switch", nw.Switch)
			}
			r.set("Connected", tf(n.Connected))
			r.set("Starts Connected", tf(n.StartConnected))
			r.set("Mac Address", n.MAC)
			if len(d.NICs) == 1 { // guest IPs are not kept per NIC: only a single NIC's are certain
				r.set("IPv4 Address", strings.Join(v4, ", "))
				r.set("IPv6 Address", strings.Join(v6, ", "))
			}
			if err := one(); err != nil {
				return err
			}
		}
	case "vCD":
		for _, c := range d.Removables {
			if c.Kind != inventory.DriveCDROM {
				continue
			}
			r.set("Device Node", c.Label)
			r.set("Connected", tf(c.Connected))
			r.set("Starts Connected", tf(c.StartConnected))
			r.set("Device Type", c.Backing)
			if err := one(); err != nil {
				return err
			}
		}
	case "vSnapshot":
		for _, s := range d.Snapshots {
			r.set("Name", s.Name)
			r.set("Description", s.Description)
			r.set("Date / time", s.Created)
			r.set("Filename", s.File)
			r.set("Size MiB (total)", s.SizeMB)
			r.set("Quiesced", tf(s.Quiesced))
			r.set("State", s.State)
			if err := one(); err != nil {
				return err
			}
		}
	}
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (g *gen) rvSource(t rvTable, d *rvData) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for _, vc := range d.vcenters {
		if e := d.endpoints[vc]; e != nil {
			if e.EffectiveKind() == inventory.KindESXi {
				r.set("Name", "VMware ESXi")
				r.set("API type", "HostAgent")
			} else {
				r.set("Name", "VMware vCenter Server")
				r.set("API type", "VirtualCenter")
			}
			r.set("Vendor", "VMware, Inc.")
		}
		r.set("VI SDK Server", vc)
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

func (g *gen) rvPools(t rvTable, st *inventory.State) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	type use struct{ total, on, vcpus int }
	uses := map[[2]string]*use{}
	for i := range st.VMs {
		v := &st.VMs[i]
		if v.ResourcePoolID == "" || v.IsTemplate {
			continue
		}
		k := [2]string{v.Vcenter, v.ResourcePoolID}
		u := uses[k]
		if u == nil {
			u = &use{}
			uses[k] = u
		}
		u.total++
		u.vcpus += v.VCPUCount
		if v.PowerState == inventory.PoweredOn {
			u.on++
		}
	}
	for i := range st.ResourcePools {
		p := &st.ResourcePools[i]
		u := uses[[2]string{p.Vcenter, p.ID}]
		if u == nil {
			u = &use{}
		}
		r.set("Resource Pool name", p.Name)
		r.set("Resource Pool path", p.Path)
		r.set("# VMs total", u.total)
		r.set("# VMs", u.on)
		r.set("# vCPUs", u.vcpus)
		r.set("CPU limit", p.CPULimitMhz)
		r.set("Mem limit", p.MemoryLimitMB)
		r.set("Object ID", p.ID)
		r.set("VI SDK Server", p.Vcenter)
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

func (g *gen) rvClusters(t rvTable, st *inventory.State, x *rvIndex) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for i := range st.Clusters {
		c := &st.Clusters[i]
		r.set("Name", c.Name)
		r.set("NumHosts", c.NumHosts)
		r.set("TotalCpu", c.TotalCPUMhz)
		r.set("TotalMemory", c.TotalMemoryMB)
		r.set("HA enabled", tf(c.HAEnabled))
		r.set("DRS enabled", tf(c.DRSEnabled))
		r.set("Object ID", c.ID)
		r.set("VI SDK Server", c.Vcenter)
		if d := x.clDet[[2]string{c.Vcenter, c.ID}]; d != nil {
			r.set("OverallStatus", d.OverallStatus)
			r.set("numEffectiveHosts", int(d.EffectiveHosts))
			r.set("NumCpuCores", int(d.NumCPUCores))
			r.set("NumCpuThreads", int(d.NumCPUThreads))
			r.set("Effective Cpu", d.EffectiveCPUMHz)
			r.set("Effective Memory", d.EffectiveMemoryMB)
			if c.HAEnabled {
				r.set("Failover Level", int(d.HAFailoverLevel))
				r.set("AdmissionControlEnabled", tf(d.HAAdmissionControl))
				r.set("Host monitoring", d.HAHostMonitoring)
				r.set("Isolation Response", d.HAIsolationResponse)
				r.set("Restart Priority", d.HARestartPriority)
				r.set("VM Monitoring", d.HAVMMonitoring)
			}
			if c.DRSEnabled {
				r.set("DRS default VM behavior", d.DRSBehavior)
				if d.DRSVmotionRate > 0 {
					r.set("DRS vmotion rate", int(d.DRSVmotionRate))
				}
			}
		}
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

func (g *gen) rvHosts(t rvTable, st *inventory.State, x *rvIndex) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for i := range st.Hosts {
		h := &st.Hosts[i]
		r.set("Host", h.Name)
		r.set("Datacenter", h.Datacenter)
		r.set("Cluster", h.Cluster)
		r.set("in Maintenance Mode", tf(h.InMaintenance))
		r.set("CPU Model", h.CPUModel)
		r.set("Speed", h.CPUMhz)
		r.set("# CPU", h.CPUSockets)
		if h.CPUSockets > 0 {
			r.set("Cores per CPU", h.CPUCores/h.CPUSockets)
		}
		r.set("# Cores", h.CPUCores)
		if total := int64(h.CPUCores) * int64(h.CPUMhz); total > 0 {
			r.set("CPU usage %", int64(math.Round(float64(h.CPUUsageMHz)*100/float64(total))))
		}
		r.set("# Memory", h.MemoryMB)
		if h.MemoryMB > 0 {
			r.set("Memory usage %", int64(math.Round(float64(h.MemoryUsageMB)*100/float64(h.MemoryMB))))
		}
		u := x.hostUsage[[2]string{h.Vcenter, h.Name}]
		if u == nil {
			u = &hostUse{}
		}
		r.set("# VMs total", u.total)
		r.set("# VMs", u.on)
		r.set("# vCPUs", u.vcpus)
		r.set("vRAM", u.vram)
		if h.CPUCores > 0 {
			r.set("VMs per Core", float64(u.on)/float64(h.CPUCores))
			r.set("vCPUs per Core", float64(u.vcpus)/float64(h.CPUCores))
		}
		if h.Version != "" {
			v := "VMware ESXi " + h.Version
			if h.Build != "" {
				v += " build-" + h.Build
			}
			r.set("ESX Version", v)
		}
		r.set("Vendor", h.Vendor)
		r.set("Model", h.Model)
		r.set("Object ID", h.ID)
		r.set("VI SDK Server", h.Vcenter)
		if d := x.hostDet[[2]string{h.Vcenter, h.ID}]; d != nil {
			r.set("HT Active", tf(d.Hyperthreading))
			r.set("# NICs", len(d.NICs))
			r.set("# HBAs", len(d.HBAs))
			r.set("Boot time", d.BootTime)
			r.set("DNS Servers", strings.Join(d.DNSServers, ", "))
			r.set("NTP Server(s)", strings.Join(d.NTPServers, ", "))
		}
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

// rvHostNet writes vNIC, vSwitch or vPort: host detail rows.
func (g *gen) rvHostNet(t rvTable, st *inventory.State, x *rvIndex) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for i := range st.Hosts {
		h := &st.Hosts[i]
		d := x.hostDet[[2]string{h.Vcenter, h.ID}]
		if d == nil {
			continue
		}
		common := func() {
			r.set("Host", h.Name)
			r.set("Datacenter", h.Datacenter)
			r.set("Cluster", h.Cluster)
			r.set("VI SDK Server", h.Vcenter)
		}
		switch t.name {
		case "vNIC":
			for _, n := range d.NICs {
				common()
				r.set("Network Device", n.Device)
				r.set("Driver", n.Driver)
				r.set("Speed", int(n.SpeedMb))
				r.set("Duplex", tf(n.FullDuplex))
				r.set("MAC", n.MAC)
				for _, s := range d.VSwitches {
					for _, u := range s.Uplinks {
						if u == n.Device {
							r.set("Switch", s.Name)
						}
					}
				}
				r.set("PCI", n.PCI)
				if err := r.flush(); err != nil {
					return err
				}
			}
		case "vSwitch":
			for _, s := range d.VSwitches {
				common()
				r.set("Switch", s.Name)
				r.set("# Ports", int(s.NumPorts))
				r.set("Free Ports", int(s.FreePorts))
				r.set("MTU", int(s.MTU))
				if err := r.flush(); err != nil {
					return err
				}
			}
		case "vPort":
			for _, p := range d.Portgroups {
				common()
				r.set("Port Group", p.Name)
				r.set("Switch", p.VSwitch)
				r.set("VLAN", strconv.Itoa(int(p.VLAN))) // RVTools writes it as text
				if err := r.flush(); err != nil {
					return err
				}
			}
		}
	}
	return r.sh.close()
}

func (g *gen) rvDVSwitches(t rvTable, st *inventory.State, x *rvIndex) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for i := range st.Details.Switches {
		s := &st.Details.Switches[i]
		r.set("Switch", s.Name)
		r.set("Datacenter", s.Datacenter)
		r.set("Vendor", s.Vendor)
		r.set("Version", s.Version)
		r.set("Description", s.Description)
		r.set("Created", s.Created)
		var members []string
		for _, id := range s.HostIDs {
			if h := x.hostByID[[2]string{s.Vcenter, id}]; h != nil {
				members = append(members, h.Name)
			} else {
				members = append(members, id)
			}
		}
		r.set("Host members", strings.Join(members, ", "))
		r.set("Max Ports", int(s.MaxPorts))
		r.set("# Ports", int(s.NumPorts))
		if s.MaxMTU > 0 {
			r.set("Max MTU", int(s.MaxMTU))
		}
		r.set("Object ID", s.ID)
		r.set("VI SDK Server", s.Vcenter)
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

func (g *gen) rvDVPorts(t rvTable, st *inventory.State) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for i := range st.Networks {
		n := &st.Networks[i]
		if n.Kind != inventory.NetworkDistributed {
			continue
		}
		r.set("Port", n.Name)
		r.set("Switch", n.Switch)
		if v, err := strconv.Atoi(n.VLAN); err == nil {
			r.set("VLAN", v) // numeric in dvPort
		} else {
			r.set("VLAN", n.VLAN)
		}
		r.set("Object ID", n.ID)
		r.set("VI SDK Server", n.Vcenter)
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

func (g *gen) rvDatastores(t rvTable, st *inventory.State, x *rvIndex) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	type use struct{ total, on int }
	uses := map[[2]string]*use{}
	for i := range st.VMs {
		v := &st.VMs[i]
		for _, id := range v.DatastoreIDs {
			k := [2]string{v.Vcenter, id}
			u := uses[k]
			if u == nil {
				u = &use{}
				uses[k] = u
			}
			u.total++
			if v.PowerState == inventory.PoweredOn {
				u.on++
			}
		}
	}
	for i := range st.Datastores {
		ds := &st.Datastores[i]
		det := x.dsDet[[2]string{ds.Vcenter, ds.ID}]
		r.set("Name", ds.Name)
		r.set("Accessible", tf(ds.Accessible))
		r.set("Type", ds.Type)
		if u := uses[[2]string{ds.Vcenter, ds.ID}]; u != nil {
			r.set("# VMs total", u.total)
			r.set("# VMs", u.on)
		} else if det != nil {
			r.set("# VMs total", det.VMCount)
		}
		r.set("Capacity MiB", mib(ds.CapacityGB))
		r.set("Provisioned MiB", mib(ds.ProvisionedGB()))
		r.set("In Use MiB", mib(ds.CapacityGB-ds.FreeGB))
		r.set("Free MiB", mib(ds.FreeGB))
		if ds.CapacityGB > 0 {
			r.set("Free %", int64(math.Round(ds.FreeGB*100/ds.CapacityGB)))
		}
		r.set("# Hosts", len(ds.HostIDs))
		var hosts []string
		for _, id := range ds.HostIDs {
			if h := x.hostByID[[2]string{ds.Vcenter, id}]; h != nil {
				hosts = append(hosts, h.Name)
			} else {
				hosts = append(hosts, id)
			}
		}
		r.set("Hosts", strings.Join(hosts, ", "))
		r.set("URL", ds.URL)
		r.set("Object ID", ds.ID)
		r.set("VI SDK Server", ds.Vcenter)
		if det != nil {
			switch {
			case len(det.Extents) > 0:
				r.set("Address", det.Extents[0])
			case det.NFSServer != "":
				r.set("Address", det.NFSServer+":"+det.NFSPath)
			}
			if det.BlockSizeMB > 0 {
				r.set("Block size", int(det.BlockSizeMB))
			}
			if len(det.Extents) > 0 {
				r.set("# Extents", len(det.Extents))
			}
			if det.VMFSVersion != "" {
				if major, err := strconv.Atoi(strings.SplitN(det.VMFSVersion, ".", 2)[0]); err == nil {
					r.set("Major Version", major)
				}
				r.set("Version", det.VMFSVersion)
			}
			r.set("MHA", tf(det.MultipleHostAccess))
		}
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}

func (g *gen) rvHealth(t rvTable, d *rvData) error {
	r, err := g.rvSheet(t, nil)
	if err != nil {
		return err
	}
	for _, n := range d.notes {
		r.set("Name", n[0])
		r.set("Message", n[1])
		r.set("Message type", "Detail")
		r.set("VI SDK Server", n[0])
		if err := r.flush(); err != nil {
			return err
		}
	}
	for _, f := range d.findings {
		r.set("Name", f.Name)
		r.set("Message", f.Message)
		r.set("Message type", f.Kind.MessageType())
		r.set("VI SDK Server", f.Vcenter)
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.sh.close()
}
