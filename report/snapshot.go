package report

import (
	"errors"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// latestSnapshot returns the newest complete snapshot time of vcenter at
// or before t: from the registry, else (data imported without registry
// records) from the distinct snapshot times of its samples. ok is false
// when there is none.
func (g *gen) latestSnapshot(vcenter string, t time.Time) (time.Time, bool, error) {
	end := store.SnapshotTime(t).Add(time.Second)
	recs, err := g.st.ListSnapshots(g.ctx, &store.ListSnapshotsParams{Vcenter: vcenter, Kind: inventory.Hourly, To: end, Descending: true, Limit: 1})
	if err != nil {
		return time.Time{}, false, g.readErr("list snapshots", err)
	}
	if len(recs) > 0 {
		return recs[0].SnapshotTime.UTC(), true, nil
	}
	var last time.Time
	found := false
	err = g.st.ScanSamples(g.ctx, &store.ScanSamplesParams{Vcenter: vcenter, To: end}, func(s *inventory.Sample) error {
		// Samples are ordered by snapshot time; remember the last one.
		last, found = s.SnapshotTime.UTC(), true
		return nil
	})
	if err != nil {
		return time.Time{}, false, g.readErr("scan samples", err)
	}
	return last, found, nil
}

// exactSnapshot reports whether vcenter has a snapshot at s (registered,
// or at least with samples).
func (g *gen) exactSnapshot(vcenter string, s time.Time) (bool, error) {
	recs, err := g.st.ListSnapshots(g.ctx, &store.ListSnapshotsParams{Vcenter: vcenter, Kind: inventory.Hourly, From: s, To: s.Add(time.Second), Limit: 1})
	if err != nil {
		return false, g.readErr("list snapshots", err)
	}
	if len(recs) > 0 {
		return true, nil
	}
	found := false
	err = g.st.ScanSamples(g.ctx, &store.ScanSamplesParams{Vcenter: vcenter, From: s, To: s.Add(time.Second)}, func(*inventory.Sample) error {
		found = true
		return store.ErrStopScan
	})
	if err != nil {
		return false, g.readErr("scan samples", err)
	}
	return found, nil
}

// scanSnapshot streams the samples of one snapshot.
func (g *gen) scanSnapshot(vcenter string, s time.Time, fn func(*inventory.Sample) error) error {
	err := g.st.ScanSamples(g.ctx, &store.ScanSamplesParams{Vcenter: vcenter, From: s, To: s.Add(time.Second)}, fn)
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			return re
		}
		return g.readErr("scan samples", err)
	}
	return nil
}

func (g *gen) vmColumns() []col {
	z := g.zoneLabel()
	return []col{
		{name: "vCenter", kind: cText}, {name: "VM ID", kind: cText, width: 14}, {name: "VM UUID", kind: cText, width: 38},
		{name: "Name", kind: cText, width: 32}, {name: "Datacenter", kind: cText}, {name: "Cluster", kind: cText},
		{name: "Host", kind: cText, width: 26}, {name: "Resource pool", kind: cText}, {name: "Pool tier", kind: cText, width: 11},
		{name: "Folder", kind: cText}, {name: "Power state", kind: cText, width: 13}, {name: "Template", kind: cBool},
		{name: "vCPUs", kind: cInt, width: 9}, {name: "RAM MB", kind: cInt}, {name: "RAM GB", kind: cDec2},
		{name: "Provisioned disk GB", kind: cDec2}, {name: "Used disk GB", kind: cDec2},
		{name: "Guest OS", kind: cText, width: 30}, {name: "IP address", kind: cText, width: 16},
		{name: "Creation time" + z, kind: cDateTime}, {name: "Snapshot time" + z, kind: cDateTime},
		{name: "Attributes", kind: cText, width: 40},
	}
}

func (g *gen) vmRow(sh *sheet, s *inventory.Sample) error {
	return sh.add(s.Vcenter, s.VMID, s.VMUUID, s.Name, s.Datacenter, s.Cluster, s.Host, s.ResourcePool,
		g.tierName(s.ResourcePool), s.Folder, s.PowerState, s.IsTemplate, s.VCPUCount, s.RAMMB,
		float64(s.RAMMB)/1024, s.ProvisionedDiskGB, s.UsedDiskGB, s.GuestOS, s.IPAddress,
		s.CreationTime, s.SnapshotTime, attrString(s.Attributes))
}

// usage sums the VMs of one host or cluster in one snapshot. Templates
// count only in Templates.
type usage struct {
	name                  string
	vms, on, templates    int
	vcpus                 int64
	ramGB, provGB, usedGB float64
}

func (u *usage) add(s *inventory.Sample) {
	u.provGB += s.ProvisionedDiskGB
	u.usedGB += s.UsedDiskGB
	if s.IsTemplate {
		u.templates++
		return
	}
	u.vms++
	if s.PowerState == inventory.PoweredOn {
		u.on++
	}
	u.vcpus += int64(s.VCPUCount)
	u.ramGB += float64(s.RAMMB) / 1024
}

// snapshotUsage streams the snapshot's samples into a VM sheet (when sh is
// non-nil) and sums them per host and per cluster.
func (g *gen) snapshotUsage(vcenter string, s time.Time, sh *sheet, row func(*sheet, *inventory.Sample) error) (hosts, clusters []*usage, err error) {
	hm, cm := map[string]*usage{}, map[string]*usage{}
	get := func(m map[string]*usage, name string) *usage {
		u := m[name]
		if u == nil {
			u = &usage{name: name}
			m[name] = u
		}
		return u
	}
	err = g.scanSnapshot(vcenter, s, func(x *inventory.Sample) error {
		if sh != nil {
			if err := row(sh, x); err != nil {
				return err
			}
		}
		get(hm, x.Host).add(x)
		get(cm, x.Cluster).add(x)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	flat := func(m map[string]*usage) []*usage {
		out := make([]*usage, 0, len(m))
		for _, u := range m {
			out = append(out, u)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
		return out
	}
	return flat(hm), flat(cm), nil
}

// hourly writes one vCenter snapshot: VMs, Hosts, Clusters, Datastores.
func (g *gen) hourly() error {
	vc, s := g.req.Vcenter, store.SnapshotTime(g.req.SnapshotTime)
	ok, err := g.exactSnapshot(vc, s)
	if err != nil {
		return err
	}
	if !ok {
		return g.noData("vCenter %q has no snapshot at %s", vc, s.Format(time.RFC3339))
	}
	sh, err := g.newSheet("VMs", g.vmColumns())
	if err != nil {
		return err
	}
	hosts, clusters, err := g.snapshotUsage(vc, s, sh, g.vmRow)
	if err != nil {
		return err
	}
	if err := sh.close(); err != nil {
		return err
	}
	return g.objectSheets(vc, s, hosts, clusters, objNames{host: "Hosts", cluster: "Clusters", datastore: "Datastores"})
}

// asOf writes the inventory of the latest snapshot at or before
// SnapshotTime in RVTools-style sheets.
func (g *gen) asOf() error {
	vc := g.req.Vcenter
	s, ok, err := g.latestSnapshot(vc, g.req.SnapshotTime)
	if err != nil {
		return err
	}
	if !ok {
		return g.noData("vCenter %q has no snapshot at or before %s", vc, g.req.SnapshotTime.UTC().Format(time.RFC3339))
	}
	sh, err := g.newSheet("vInfo", g.vmColumns())
	if err != nil {
		return err
	}
	hosts, clusters, err := g.snapshotUsage(vc, s, sh, g.vmRow)
	if err != nil {
		return err
	}
	if err := sh.close(); err != nil {
		return err
	}
	return g.objectSheets(vc, s, hosts, clusters, objNames{host: "vHost", cluster: "vCluster", datastore: "vDatastore", datastoreFirst: true})
}

// objNames names the object sheets of a workbook.
type objNames struct {
	host, cluster, datastore string
	datastoreFirst           bool // RVTools order: vHost, vDatastore, vCluster
}

// objectSheets writes the host, cluster and datastore sheets of snapshot
// s. Host and cluster rows come from the snapshot's samples (every host and
// cluster a VM or template was on, with their sums), enriched with the
// attributes of the object of that name; objects without VMs in the
// snapshot are listed too. The attributes are the snapshot's own history
// rows when the store keeps them (store.EntityHistory holds a history
// snapshot at s); otherwise the latest state's, where objects without VMs
// are listed only when their state is not newer than the snapshot, and
// datastores come from the latest state. See doc.go.
func (g *gen) objectSheets(vc string, s time.Time, hosts, clusters []*usage, names objNames) error {
	stHosts, err := g.st.ListHosts(g.ctx, &store.ListHostsParams{Vcenter: vc})
	if err != nil {
		return g.readErr("list hosts", err)
	}
	stClusters, err := g.st.ListClusters(g.ctx, &store.ListClustersParams{Vcenter: vc})
	if err != nil {
		return g.readErr("list clusters", err)
	}
	stDS, err := g.st.ListDatastores(g.ctx, &store.ListDatastoresParams{Vcenter: vc})
	if err != nil {
		return g.readErr("list datastores", err)
	}
	hist, err := g.history(vc, s)
	if err != nil {
		return err
	}
	if hist != nil {
		// History keeps no datastore mounts: those come from the latest
		// state of the same datastore.
		mounts := make(map[string][]string, len(stDS))
		for _, d := range stDS {
			mounts[d.ID] = d.HostIDs
		}
		for i := range hist.Datastores {
			hist.Datastores[i].HostIDs = mounts[hist.Datastores[i].ID]
		}
		stHosts, stClusters, stDS = hist.Hosts, hist.Clusters, hist.Datastores
	}
	if err := g.hostSheet(names.host, vc, s, hosts, stHosts); err != nil {
		return err
	}
	if names.datastoreFirst {
		if err := g.datastoreSheet(names.datastore, vc, stDS); err != nil {
			return err
		}
		return g.clusterSheet(names.cluster, vc, s, clusters, stClusters)
	}
	if err := g.clusterSheet(names.cluster, vc, s, clusters, stClusters); err != nil {
		return err
	}
	return g.datastoreSheet(names.datastore, vc, stDS)
}

// history returns the history rows of vCenter vc's snapshot s, or nil
// when the store keeps no entity history or none for that snapshot (it
// was captured before the store kept history, or its history write
// failed).
func (g *gen) history(vc string, s time.Time) (*store.EntityRows, error) {
	eh, ok := g.st.(store.EntityHistory)
	if !ok {
		return nil, nil
	}
	rows, err := eh.EntitiesAsOf(g.ctx, &store.EntitiesAsOfParams{Vcenter: vc, At: s})
	if err != nil {
		return nil, g.readErr("read entity history", err)
	}
	if len(rows.Snapshots) != 1 || !rows.Snapshots[0].SnapshotTime.Equal(s) {
		return nil, nil
	}
	return rows, nil
}

func usageCols() []col {
	return []col{
		{name: "VMs", kind: cInt, width: 9}, {name: "Powered on", kind: cInt}, {name: "Templates", kind: cInt},
		{name: "vCPUs", kind: cInt, width: 9}, {name: "RAM GB", kind: cDec2},
		{name: "Provisioned disk GB", kind: cDec2}, {name: "Used disk GB", kind: cDec2},
	}
}

func usageVals(u *usage) []any {
	if u == nil {
		return []any{0, 0, 0, int64(0), 0.0, 0.0, 0.0}
	}
	return []any{u.vms, u.on, u.templates, u.vcpus, u.ramGB, u.provGB, u.usedGB}
}

// stateIncluded reports whether a latest-state object without VMs in the
// snapshot belongs in the snapshot's sheet: only when its state was
// captured at or before the snapshot (so it existed then).
func stateIncluded(stateTime, s time.Time) bool { return !stateTime.After(s) }

// joinState writes one row per usage (objects seen in the snapshot's
// samples) with the latest-state object of the same name (the first one,
// when names repeat), then one row for each state object not joined whose
// state is not newer than the snapshot s. key returns an object's name, id
// and state time.
func joinState[T any](usages []*usage, st []T, s time.Time, key func(*T) (name, id string, at time.Time), row func(name string, u *usage, obj *T) error) error {
	byName := map[string]*T{}
	for i := range st {
		name, _, _ := key(&st[i])
		if _, dup := byName[name]; !dup {
			byName[name] = &st[i]
		}
	}
	used := map[string]bool{}
	for _, u := range usages {
		obj := byName[u.name]
		if obj != nil {
			_, id, _ := key(obj)
			used[id] = true
		}
		if err := row(u.name, u, obj); err != nil {
			return err
		}
	}
	for i := range st {
		name, id, at := key(&st[i])
		if used[id] || !stateIncluded(at, s) {
			continue
		}
		if err := row(name, nil, &st[i]); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) hostSheet(name, vc string, s time.Time, hosts []*usage, st []inventory.Host) error {
	z := g.zoneLabel()
	cols := append([]col{{name: "vCenter", kind: cText}, {name: "Host", kind: cText, width: 28}},
		usageCols()...)
	cols = append(cols, []col{
		{name: "Host ID", kind: cText, width: 14}, {name: "Datacenter", kind: cText}, {name: "Cluster", kind: cText},
		{name: "Connection state", kind: cText, width: 16}, {name: "Power state", kind: cText, width: 13},
		{name: "In maintenance", kind: cBool}, {name: "Vendor", kind: cText}, {name: "Model", kind: cText},
		{name: "CPU model", kind: cText, width: 30}, {name: "CPU sockets", kind: cInt}, {name: "CPU cores", kind: cInt},
		{name: "CPU threads", kind: cInt}, {name: "CPU MHz", kind: cInt}, {name: "Memory MB", kind: cInt},
		{name: "Version", kind: cText, width: 12}, {name: "Build", kind: cText, width: 12},
		{name: "CPU usage MHz", kind: cInt}, {name: "Memory usage MB", kind: cInt},
		{name: "State time" + z, kind: cDateTime},
	}...)
	sh, err := g.newSheet(name, cols)
	if err != nil {
		return err
	}
	row := func(hostName string, u *usage, h *inventory.Host) error {
		vals := append([]any{vc, hostName}, usageVals(u)...)
		if h == nil {
			vals = append(vals, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)
		} else {
			vals = append(vals, h.ID, h.Datacenter, h.Cluster, h.ConnectionState, h.PowerState, h.InMaintenance,
				h.Vendor, h.Model, h.CPUModel, h.CPUSockets, h.CPUCores, h.CPUThreads, h.CPUMhz, h.MemoryMB,
				h.Version, h.Build, h.CPUUsageMHz, h.MemoryUsageMB, h.SnapshotTime)
		}
		return sh.add(vals...)
	}
	err = joinState(hosts, st, s, func(h *inventory.Host) (string, string, time.Time) { return h.Name, h.ID, h.SnapshotTime }, row)
	if err != nil {
		return err
	}
	return sh.close()
}

func (g *gen) clusterSheet(name, vc string, s time.Time, clusters []*usage, st []inventory.Cluster) error {
	z := g.zoneLabel()
	cols := append([]col{{name: "vCenter", kind: cText}, {name: "Cluster", kind: cText, width: 26}}, usageCols()...)
	cols = append(cols, []col{
		{name: "Cluster ID", kind: cText, width: 14}, {name: "Datacenter", kind: cText}, {name: "Hosts", kind: cInt, width: 9},
		{name: "Total CPU MHz", kind: cInt}, {name: "Total memory MB", kind: cInt},
		{name: "DRS enabled", kind: cBool}, {name: "HA enabled", kind: cBool},
		{name: "State time" + z, kind: cDateTime},
	}...)
	sh, err := g.newSheet(name, cols)
	if err != nil {
		return err
	}
	row := func(clName string, u *usage, c *inventory.Cluster) error {
		vals := append([]any{vc, clName}, usageVals(u)...)
		if c == nil {
			vals = append(vals, nil, nil, nil, nil, nil, nil, nil, nil)
		} else {
			vals = append(vals, c.ID, c.Datacenter, c.NumHosts, c.TotalCPUMhz, c.TotalMemoryMB, c.DRSEnabled, c.HAEnabled, c.SnapshotTime)
		}
		return sh.add(vals...)
	}
	err = joinState(clusters, st, s, func(c *inventory.Cluster) (string, string, time.Time) { return c.Name, c.ID, c.SnapshotTime }, row)
	if err != nil {
		return err
	}
	return sh.close()
}

func (g *gen) datastoreSheet(name, vc string, st []inventory.Datastore) error {
	z := g.zoneLabel()
	sh, err := g.newSheet(name, []col{
		{name: "vCenter", kind: cText}, {name: "Datastore", kind: cText, width: 26}, {name: "Datastore ID", kind: cText, width: 16},
		{name: "Datacenter", kind: cText}, {name: "Type", kind: cText, width: 10}, {name: "URL", kind: cText, width: 40},
		{name: "Capacity GB", kind: cDec2}, {name: "Free GB", kind: cDec2}, {name: "Used GB", kind: cDec2},
		{name: "Free %", kind: cPct}, {name: "Uncommitted GB", kind: cDec2}, {name: "Provisioned GB", kind: cDec2},
		{name: "Accessible", kind: cBool}, {name: "Hosts", kind: cInt, width: 9},
		{name: "State time" + z, kind: cDateTime},
	})
	if err != nil {
		return err
	}
	for i := range st {
		d := &st[i]
		var free any
		if d.CapacityGB > 0 {
			free = d.FreeGB / d.CapacityGB
		}
		if err := sh.add(vc, d.Name, d.ID, d.Datacenter, d.Type, d.URL, d.CapacityGB, d.FreeGB, d.CapacityGB-d.FreeGB,
			free, d.UncommittedGB, d.ProvisionedGB(), d.Accessible, len(d.HostIDs), d.SnapshotTime); err != nil {
			return err
		}
	}
	return sh.close()
}
