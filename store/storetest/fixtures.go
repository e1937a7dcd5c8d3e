package storetest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Tricky float values that must round-trip exactly through every backend.
var trickyFloats = []float64{0.1, 1e-9, 123456.789, 1.0 / 3, 40.000000000000004, 0.30000000000000004, 1e15 + 0.5, 2.5}

func newRand(seed int64, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), salt^0x9e3779b97f4a7c15))
}

// Snapshot builds a deterministic, internally consistent snapshot of one
// vCenter at time t with nVMs VMs (templates included): clusters, hosts
// (one standalone), datastores mounted by subsets of the hosts (one by none),
// standard, distributed and opaque networks, per-cluster resource pools
// (Resources, Tin, Bronze, Silver, Gold and a vApp below Gold), VMs with
// varied power states, templates, disks, attributes and creation times, one
// sample per VM and the matching totals (inventory.ComputeTotals).
//
// The same arguments always return equal values; VM, host and datastore ids
// depend only on nVMs, so two snapshots of one vCenter with different seeds
// describe the same objects with different figures, and a snapshot with
// fewer VMs describes a subset of the objects.
//
// Id slices are deliberately unsorted and state rows carry a zero
// SnapshotTime: WriteSnapshot sorts the former and sets the latter.
// RegisteredAt is t+1m and Duration is derived from seed, so dumps of two
// stores that received the same writes compare equal.
func Snapshot(vcenter string, t time.Time, nVMs int, seed int64) *store.WriteSnapshotParams {
	rng := newRand(seed, uint64(nVMs))
	st := &inventory.State{}
	dc := "DC-" + strings.ToUpper(strings.TrimPrefix(vcenter, "vc-"))

	nClusters := 2
	for c := 1; c <= nClusters; c++ {
		st.Clusters = append(st.Clusters, inventory.Cluster{
			Vcenter: vcenter, ID: fmt.Sprintf("domain-c%d", c), Name: fmt.Sprintf("Cluster-%c", 'A'+c-1),
			Datacenter: dc, DRSEnabled: c == 1, HAEnabled: true,
		})
	}
	nHosts := 3 + nVMs/25
	if nHosts > 24 {
		nHosts = 24
	}
	for h := 1; h <= nHosts; h++ {
		host := inventory.Host{
			Vcenter: vcenter, ID: fmt.Sprintf("host-%d", h), Name: fmt.Sprintf("esx%02d.%s.example.com", h, vcenter),
			Datacenter: dc, ConnectionState: "connected", PowerState: "poweredOn", InMaintenance: h%5 == 4,
			Vendor: "Dell Inc.", Model: "PowerEdge R750", CPUModel: "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz",
			CPUSockets: 2, CPUCores: 64, CPUThreads: 128, CPUMhz: 2000 + rng.IntN(5)*100,
			MemoryMB: int64(512+256*rng.IntN(4)) * 1024, Version: "8.0.2", Build: fmt.Sprint(22380479 + h),
			CPUUsageMHz: int64(1000 + 337*h), MemoryUsageMB: int64(100000 + 4099*h),
		}
		if h < nHosts { // the last host is standalone
			c := st.Clusters[(h-1)%nClusters]
			host.ClusterID, host.Cluster = c.ID, c.Name
		}
		st.Hosts = append(st.Hosts, host)
	}
	for i := range st.Clusters {
		c := &st.Clusters[i]
		for _, h := range st.Hosts {
			if h.ClusterID == c.ID {
				c.NumHosts++
				c.TotalCPUMhz += int64(h.CPUMhz * h.CPUCores)
				c.TotalMemoryMB += h.MemoryMB
			}
		}
	}
	nDS := 3 + nVMs/50
	if nDS > 12 {
		nDS = 12
	}
	for d := 1; d <= nDS; d++ {
		ds := inventory.Datastore{
			Vcenter: vcenter, ID: fmt.Sprintf("datastore-%d", d), Name: fmt.Sprintf("ds%02d-%s", d, []string{"vsan", "nfs", "vmfs"}[d%3]),
			Datacenter: dc, Type: []string{"vsan", "NFS", "VMFS"}[d%3], URL: fmt.Sprintf("ds:///vmfs/volumes/%08x-%d/", 0xa1b2c3d4+d, d),
			CapacityGB: float64(1024*d) + trickyFloats[d%len(trickyFloats)], Accessible: d != nDS,
			UncommittedGB: float64(d%4) * 128.25,
		}
		ds.FreeGB = ds.CapacityGB * float64(20+rng.IntN(60)) / 100
		if d < nDS { // the last datastore is mounted by no host
			for h := nHosts; h >= 1; h-- { // descending: stores return them sorted
				if (h+d)%2 == 0 || h == d {
					ds.HostIDs = append(ds.HostIDs, fmt.Sprintf("host-%d", h))
				}
			}
		}
		st.Datastores = append(st.Datastores, ds)
	}
	st.Networks = []inventory.Network{
		{Vcenter: vcenter, ID: "network-11", Name: "VM Network", Datacenter: dc, Kind: inventory.NetworkStandard, Switch: "vSwitch0", VLAN: "0"},
		{Vcenter: vcenter, ID: "dvportgroup-21", Name: "dvpg-prod-120", Datacenter: dc, Kind: inventory.NetworkDistributed, Switch: "dvs-prod", VLAN: "120"},
		{Vcenter: vcenter, ID: "network-o31", Name: "nsx-segment-web", Datacenter: dc, Kind: inventory.NetworkOpaque, Switch: "nsx", VLAN: ""},
	}
	type poolRef struct{ id, name, path string }
	pools := map[string][]poolRef{}
	for i, c := range st.Clusters {
		root := fmt.Sprintf("resgroup-%d0", i+1)
		st.ResourcePools = append(st.ResourcePools, inventory.ResourcePool{
			Vcenter: vcenter, ID: root, Name: "Resources", Path: "Resources", Datacenter: dc, ClusterID: c.ID, Cluster: c.Name,
			CPULimitMhz: -1, MemoryLimitMB: -1,
		})
		for j, tier := range inventory.Tiers() {
			id := fmt.Sprintf("resgroup-%d%d", i+1, j+1)
			p := inventory.ResourcePool{
				Vcenter: vcenter, ID: id, Name: string(tier), Path: "Resources/" + string(tier), Datacenter: dc,
				ClusterID: c.ID, Cluster: c.Name, ParentID: root, CPULimitMhz: int64(4000 * (j + 1)), MemoryLimitMB: int64(16384 * (j + 1)),
			}
			st.ResourcePools = append(st.ResourcePools, p)
			pools[c.ID] = append(pools[c.ID], poolRef{id, p.Name, p.Path})
		}
		vapp := inventory.ResourcePool{
			Vcenter: vcenter, ID: fmt.Sprintf("resgroup-v%d", i+1), Name: "web", Path: "Resources/Gold/web", Datacenter: dc,
			ClusterID: c.ID, Cluster: c.Name, ParentID: fmt.Sprintf("resgroup-%d4", i+1), CPULimitMhz: -1, MemoryLimitMB: 8192,
		}
		st.ResourcePools = append(st.ResourcePools, vapp)
		pools[c.ID] = append(pools[c.ID], poolRef{vapp.ID, vapp.Name, vapp.Path})
	}
	guests := []string{"ubuntu64Guest", "windows2019srv_64Guest", "rhel9_64Guest", "otherLinux64Guest", ""}
	created := time.Date(2023, 5, 17, 8, 30, 0, 0, time.UTC)
	for i := 1; i <= nVMs; i++ {
		h := st.Hosts[(i-1)%nHosts]
		vm := inventory.VM{
			Vcenter: vcenter, ID: fmt.Sprintf("vm-%d", i), UUID: fmt.Sprintf("5021%04x-1c2d-4e5f-8a9b-%012x", i%0x10000, uint64(i)*7919),
			Name: fmt.Sprintf("vm%04d-%s", i, []string{"web", "db", "app", "cache", "batch"}[i%5]), Datacenter: dc,
			Cluster: h.Cluster, Host: h.Name, HostID: h.ID, Folder: "/" + dc + "/vm/" + []string{"prod", "dev", "test"}[i%3],
			VCPUCount: 1 << rng.IntN(5), RAMMB: int64(1024 * (1 + rng.IntN(32))),
			ProvisionedDiskGB: float64(16*(1+rng.IntN(64))) + trickyFloats[(i+int(seed))%len(trickyFloats)],
			GuestOS:           guests[i%len(guests)],
		}
		vm.UsedDiskGB = vm.ProvisionedDiskGB * float64(rng.IntN(101)) / 100
		if ps := pools[h.ClusterID]; len(ps) > 0 {
			p := ps[(i+int(seed))%len(ps)]
			vm.ResourcePoolID, vm.ResourcePool = p.id, p.path
		}
		switch {
		case i%10 == 0:
			vm.IsTemplate, vm.PowerState = true, inventory.PoweredOff
		case (i+int(seed))%7 == 0:
			vm.PowerState = inventory.Suspended
		case (i+int(seed))%3 == 0:
			vm.PowerState = inventory.PoweredOff
		default:
			vm.PowerState = inventory.PoweredOn
			vm.IPAddress = fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256)
		}
		if i%4 != 0 {
			vm.CreationTime = created.Add(time.Duration(i)*time.Hour + time.Duration(i)*time.Microsecond)
		}
		// Datastores and networks, deliberately not sorted.
		d1, d2 := 1+(i%nDS), 1+((i+1)%nDS)
		vm.DatastoreIDs = []string{fmt.Sprintf("datastore-%d", d1)}
		if i%2 == 0 && d2 != d1 {
			vm.DatastoreIDs = append(vm.DatastoreIDs, fmt.Sprintf("datastore-%d", d2))
			slices.Reverse(vm.DatastoreIDs)
		}
		switch i % 3 {
		case 0:
			vm.NetworkIDs = []string{"network-o31", "dvportgroup-21"}
		case 1:
			vm.NetworkIDs = []string{"network-11"}
		}
		if i%3 == 0 {
			vm.Attributes = map[string]string{
				"owner":        fmt.Sprintf("team-%d", i%4),
				"tag:env":      []string{"prod", "dev"}[i%2],
				"cost-center":  fmt.Sprint(4000 + i%7),
				"tag:backup":   "",
				"Backup Notes": "daily; keep 30d",
			}
		}
		st.VMs = append(st.VMs, vm)
	}
	// Shuffle deterministically: stores return rows ordered by id.
	rng.Shuffle(len(st.VMs), func(i, j int) { st.VMs[i], st.VMs[j] = st.VMs[j], st.VMs[i] })
	rng.Shuffle(len(st.Hosts), func(i, j int) { st.Hosts[i], st.Hosts[j] = st.Hosts[j], st.Hosts[i] })

	p := &store.WriteSnapshotParams{
		Vcenter:      vcenter,
		SnapshotTime: t,
		State:        st,
		Duration:     time.Duration(1+seed%997)*time.Millisecond + 123*time.Nanosecond,
		RegisteredAt: t.Add(time.Minute),
	}
	for i := range st.VMs {
		p.Samples = append(p.Samples, st.VMs[i].Sample(t))
	}
	// Vcenter and SnapshotTime stay zero: WriteSnapshot fills them.
	p.Totals = inventory.ComputeTotals("", time.Time{}, p.Samples, st)
	return p
}

// Events builds n deterministic events of one vCenter at snapshot time t,
// cycling through every kind (the mass_absence one carries no VMID). Their
// natural keys (vcenter, t, kind, vm_id) are distinct.
func Events(vcenter string, t time.Time, n int, seed int64) []inventory.Event {
	rng := newRand(seed, uint64(n)+1)
	out := make([]inventory.Event, 0, n)
	for i := 0; i < n; i++ {
		kinds := inventory.EventKinds()
		kind := kinds[i%len(kinds)]
		e := inventory.Event{Vcenter: vcenter, SnapshotTime: t, Kind: kind}
		if kind != inventory.EventMassAbsence {
			e.VMID = fmt.Sprintf("vm-%d", 1+i)
			e.VMUUID = fmt.Sprintf("5021-%d", 1+i)
			e.Name = fmt.Sprintf("vm%04d", 1+i)
		}
		switch kind {
		case inventory.EventPower:
			e.Before, e.After = map[string]string{"power_state": string(inventory.PoweredOff)}, map[string]string{"power_state": string(inventory.PoweredOn)}
		case inventory.EventResize:
			e.Before = map[string]string{"vcpu_count": "2", "ram_mb": "4096"}
			e.After = map[string]string{"vcpu_count": fmt.Sprint(4 + rng.IntN(4)), "ram_mb": "8192"}
		case inventory.EventHostMove:
			e.Before, e.After = map[string]string{"host": "esx01"}, map[string]string{"host": fmt.Sprintf("esx%02d", 2+rng.IntN(9))}
		case inventory.EventRename:
			e.Before, e.After = map[string]string{"name": "old-" + e.Name}, map[string]string{"name": e.Name}
		case inventory.EventMassAbsence:
			e.After = map[string]string{"absent": fmt.Sprint(10 + rng.IntN(90)), "previous": "120"}
		case inventory.EventCreated:
			e.After = map[string]string{"name": e.Name}
		}
		out = append(out, e)
	}
	return out
}

// Lifecycles builds n deterministic lifecycle rows of one vCenter last seen
// at t: every third row is deleted, creation sources vary, some creation
// times are unknown (zero).
func Lifecycles(vcenter string, t time.Time, n int, seed int64) []inventory.Lifecycle {
	rng := newRand(seed, uint64(n)+2)
	out := make([]inventory.Lifecycle, 0, n)
	for i := 1; i <= n; i++ {
		l := inventory.Lifecycle{
			Vcenter: vcenter, VMID: fmt.Sprintf("vm-%d", i), VMUUID: fmt.Sprintf("5021-%d", i), Name: fmt.Sprintf("vm%04d", i),
			FirstSeen: t.Add(-time.Duration(24+rng.IntN(1000)) * time.Hour), LastSeen: t,
		}
		switch i % 3 {
		case 0:
			l.CreationTime, l.CreationSource = l.FirstSeen.Add(-90*time.Minute), inventory.SourceEvent
		case 1:
			l.CreationTime, l.CreationSource = l.FirstSeen.Add(-48*time.Hour+time.Microsecond), inventory.SourceConfig
		default:
			l.CreationSource = inventory.SourceNone
		}
		if i%3 == 2 {
			l.Deleted = true
			l.LastSeen = t.Add(-time.Hour)
			l.DeletionTime, l.DeletionSource = t, inventory.SourceAbsence
			if i%2 == 0 {
				l.DeletionTime, l.DeletionSource = t.Add(-10*time.Minute), inventory.SourceEvent
			}
		}
		out = append(out, l)
	}
	return out
}

func rollup(vcenter string, i int, total int, rng *rand.Rand, start time.Time) inventory.Rollup {
	present := 1 + rng.IntN(total)
	on := rng.IntN(present + 1)
	r := inventory.Rollup{
		Vcenter: vcenter, VMKey: fmt.Sprintf("vm-%d", i), VMID: fmt.Sprintf("vm-%d", i), VMUUID: fmt.Sprintf("5021-%d", i),
		Name: fmt.Sprintf("vm%04d", i), Datacenter: "DC1", Cluster: "Cluster-A", Host: "esx01.example.com",
		ResourcePool: "Resources/" + string(inventory.Tiers()[i%4]), Folder: "/DC1/vm/prod", PowerState: inventory.PoweredOn,
		GuestOS: "ubuntu64Guest", IsTemplate: i%10 == 0,
		TotalSamples: total, SamplesPresent: present, AvgIsPresent: float64(present) / float64(total),
		SamplesPoweredOn: on, AvgPoweredOn: float64(on) / float64(total),
		AvgVCPUCount: float64(1+rng.IntN(16)) / 3, AvgRAMGB: trickyFloats[i%len(trickyFloats)] * 8,
		AvgProvisionedDiskGB: 123456.789 + float64(i), AvgUsedDiskGB: 0.1 * float64(i),
		FirstSeen: start.Add(time.Duration(rng.IntN(3)) * time.Hour), LastSeen: start.Add(time.Duration(20+rng.IntN(3)) * time.Hour),
	}
	switch i % 4 {
	case 0:
		r.PoolTinPct = 100
	case 1:
		r.PoolBronzePct = 100.0 / 3
	case 2:
		r.PoolSilverPct, r.PoolGoldPct = 50, 50
	}
	if i%2 == 1 {
		r.CreationTime = start.Add(-time.Duration(i) * 24 * time.Hour)
	}
	if i%5 == 4 {
		r.DeletionTime = r.LastSeen.Add(time.Hour)
		r.VMKey, r.VMID = "uuid:"+r.VMUUID, "" // a VM only known by its UUID
	}
	if i%3 != 0 { // every third VM has no attributes
		r.Attributes = map[string]string{"owner": fmt.Sprint("team-", i%4), "tag:env": []string{"prod", "dev"}[i%2], "tag:backup": ""}
	}
	return r
}

// utilisation is the measured use of fixture row i: every third row has
// none (UtilSamples 0), the others figures with awkward decimals.
func utilisation(i int) inventory.Utilisation {
	if i%3 == 2 {
		return inventory.Utilisation{}
	}
	f := trickyFloats[i%len(trickyFloats)]
	return inventory.Utilisation{
		UtilSamples: 288 - i, AvgCPUMHz: 1000*f + float64(i), PeakCPUMHz: 2000*f + float64(i),
		AvgCPUPct: 100.0 / float64(i+2), PeakCPUPct: 100.0 / 3, AvgMemPct: f, PeakMemPct: 99.999999999,
	}
}

// DailyRollups builds n deterministic vm_daily_rollup rows of one vCenter
// for the day starting at day (keys vm-1..vm-n, some uuid-only; two in
// three with attributes and tags, two in three with utilisation).
func DailyRollups(vcenter string, day time.Time, n int, seed int64) []inventory.DailyRollup {
	rng := newRand(seed, uint64(n)+3)
	out := make([]inventory.DailyRollup, 0, n)
	for i := 1; i <= n; i++ {
		r := rollup(vcenter, i, 24, rng, day)
		r.Partial = i%4 == 0
		out = append(out, inventory.DailyRollup{Day: day, Rollup: r, Utilisation: utilisation(i)})
	}
	return out
}

// MonthlyRollups builds n deterministic monthly rollup rows of one vCenter
// for the month starting at month.
func MonthlyRollups(vcenter string, month time.Time, n int, seed int64) []inventory.MonthlyRollup {
	rng := newRand(seed, uint64(n)+4)
	out := make([]inventory.MonthlyRollup, 0, n)
	for i := 1; i <= n; i++ {
		r := rollup(vcenter, i, 24*30, rng, month)
		r.Partial = i%3 == 0
		days := len(inventory.MonthOf(month, month.Location()).Days())
		out = append(out, inventory.MonthlyRollup{Month: month, DaysPresent: 1 + (r.SamplesPresent-1)/24, Rollup: r,
			VCPUDays: r.AvgVCPUCount * r.AvgIsPresent * 30, RAMGBDays: r.AvgRAMGB * r.AvgIsPresent * 30,
			ProvisionedDiskGBDays: r.AvgProvisionedDiskGB * r.AvgIsPresent * 30, UsedDiskGBDays: r.AvgUsedDiskGB * r.AvgIsPresent * 30,
			CoverageDays: 30, DaysInMonth: days})
	}
	return out
}

// Endpoint returns a valid, enabled vCenter endpoint with a binary
// credential blob (not valid UTF-8) and tags.
func Endpoint(name string) inventory.Endpoint {
	return inventory.Endpoint{
		Name: name, URL: "https://" + strings.ToLower(strings.Map(hostChar, name)) + ".example.com/sdk", Kind: inventory.KindVCenter,
		Username: "svc-inventory@vsphere.local", Credential: []byte{0x00, 0xff, 0xfe, 'k', 0x80, 0x00, 0xc3, 0x28, 0x01},
		TLS:          inventory.TLSOptions{Thumbprint: "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD"},
		Tags:         map[string]string{"site": "ams", "env": "prod"},
		PollInterval: 30 * time.Minute, Enabled: true,
	}
}

func hostChar(r rune) rune {
	if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
		return r
	}
	return '-'
}

// HostileStrings returns strings every backend must store and return byte
// for byte: quotes, backslashes, SQL, unicode (emoji, RTL, combining marks),
// spreadsheet formula prefixes, HTML, control whitespace and a 1,000-byte
// string. None contains a NUL byte (stores reject those).
func HostileStrings() []string {
	return []string{
		`it's`,
		`say "hi"`,
		`back\slash\\ and \n literal`,
		`'; DROP TABLE vm_hourly_stats; --`,
		`"; DROP TABLE "inventory_events"; --`,
		`Robert'); DELETE FROM snapshot_registry WHERE ('1'='1`,
		`$1 $$ %s %d %v ? :name @p1`,
		"emoji 🖥️🔥 and ZWJ 👩‍💻",
		"RTL \u202eevil\u202c עברית العربية",
		"combining e\u0301 a\u0308 Z\u0351\u0352\u0357",
		"=cmd|' /C calc'!A0",
		"+SUM(A1:A2)",
		"-2+3+cmd|' /C calc'!A0",
		"@SUM(1+1)*cmd|' /C calc'!A0",
		"<script>alert(1)</script>",
		"line1\nline2\r\nline3\ttabbed",
		"  padded  ",
		"\u00a0nbsp\u2028ls\u2029ps\ufeffbom",
		"%",
		"_",
		"*",
		"日本語のテキスト",
		strings.Repeat("x", 480) + "…" + strings.Repeat("é", 258),
		strings.Repeat("long-name-", 100),
	}
}
