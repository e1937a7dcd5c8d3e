package vsphere

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

const (
	mib = 1 << 20
	gib = 1 << 30
)

// resolver resolves references between retrieved objects in memory.
type resolver struct {
	nodes map[moref]node
	hosts map[moref]*rawHost
	crs   map[moref]*rawCR
	pools map[moref]*rawPool

	dc    map[moref]string
	paths map[moref]string
}

func newResolver(b *batch) *resolver {
	hosts := make(map[moref]*rawHost, len(b.hosts))
	for _, h := range b.hosts {
		hosts[h.ref] = h
	}
	crs := make(map[moref]*rawCR, len(b.crs))
	for _, c := range b.crs {
		crs[c.ref] = c
	}
	pools := make(map[moref]*rawPool, len(b.pools))
	for _, p := range b.pools {
		pools[p.ref] = p
	}
	return newResolverFrom(b.nodes, hosts, crs, pools)
}

// newResolverFrom returns a resolver over maps the caller keeps (the
// watcher's cache); it does not copy them and must not outlive a change
// to them (it memoizes paths and datacenters).
func newResolverFrom(nodes map[moref]node, hosts map[moref]*rawHost, crs map[moref]*rawCR, pools map[moref]*rawPool) *resolver {
	return &resolver{nodes: nodes, hosts: hosts, crs: crs, pools: pools, dc: map[moref]string{}, paths: map[moref]string{}}
}

// datacenter returns the name of the datacenter above ref.
func (r *resolver) datacenter(ref moref) string {
	var chain []moref
	name := ""
	for cur := ref; cur.Value != "" && len(chain) < 256; {
		if v, ok := r.dc[cur]; ok {
			name = v
			break
		}
		n, ok := r.nodes[cur]
		if !ok {
			break
		}
		if n.typ == tDC {
			name = n.name
			break
		}
		chain = append(chain, cur)
		cur = n.parent
	}
	for _, c := range chain {
		r.dc[c] = name
	}
	return name
}

// folderPath returns the inventory path of a folder (or datacenter) below
// the root folder, e.g. "/DC0/vm/web".
func (r *resolver) folderPath(ref moref) string {
	if p, ok := r.paths[ref]; ok {
		return p
	}
	r.paths[ref] = "" // cycle guard
	n, ok := r.nodes[ref]
	if !ok || n.parent.Value == "" { // the root folder (or unknown)
		return ""
	}
	p := r.folderPath(n.parent) + "/" + n.name
	r.paths[ref] = p
	return p
}

// poolPath returns the full inventory path of a pool or vApp, as RVTools
// shows it (SEMANTICS §1), e.g. "/DC1/host/Cluster-A/Resources/Prod/Gold":
// its compute resource's path, then the pools down to it.
func (r *resolver) poolPath(ref moref) string {
	if _, ok := r.pools[ref]; !ok {
		return ""
	}
	return r.folderPath(ref)
}

// vappFolder returns the folder path a VM inside a vApp is shown under:
// the vApp's folder path plus the vApp's name (nested vApps each add
// theirs). A chain of vApps longer than 64, or a cycle, gives "".
func (r *resolver) vappFolder(ref moref) string {
	var names []string
	for range 64 {
		v, ok := r.pools[ref]
		if !ok {
			return ""
		}
		names = append(names, v.name)
		if v.parentFolder.Value != "" || r.pools[v.parent] == nil {
			slices.Reverse(names)
			path := "/" + strings.Join(names, "/")
			if v.parentFolder.Value != "" {
				path = r.folderPath(v.parentFolder) + path
			}
			return path
		}
		ref = v.parent
	}
	return ""
}

// cluster returns the cluster (id, name) a compute resource ref is, if it
// is a cluster.
func (r *resolver) cluster(ref moref) (string, string) {
	if c, ok := r.crs[ref]; ok && c.cluster {
		return c.ref.Value, c.name
	}
	return "", ""
}

// build resolves a complete batch into an inventory State.
func (s *Source) build(b *batch, fields map[int32]string, tags map[string]map[string]string, snap time.Time) *inventory.State {
	r := newResolver(b)
	vc := s.ep.Name

	st := &inventory.State{
		VMs:           make([]inventory.VM, 0, len(b.vms)),
		Hosts:         make([]inventory.Host, 0, len(b.hosts)),
		Datastores:    make([]inventory.Datastore, 0, len(b.dss)),
		Networks:      make([]inventory.Network, 0, len(b.nets)),
		ResourcePools: make([]inventory.ResourcePool, 0, len(b.pools)),
	}
	details := !s.opts.DisableDetails
	var dr *detailResolver
	if details {
		dr = newDetailResolver(r, b)
		st.Details.VMs = make([]inventory.VMDetail, 0, len(b.vms))
	}

	for _, v := range b.vms {
		vm := r.vmRow(vc, v, fields, tags[v.ref.Value], snap)
		st.VMs = append(st.VMs, vm)
		if details {
			st.Details.VMs = append(st.Details.VMs, dr.vmDetail(vc, v, vm.Folder))
		}
	}
	for _, h := range b.hosts {
		st.Hosts = append(st.Hosts, r.hostRow(vc, h, snap))
		if details {
			st.Details.Hosts = append(st.Details.Hosts, hostDetail(vc, h))
		}
	}
	for _, c := range b.crs {
		if !c.cluster {
			continue // a standalone host's compute resource is not a cluster
		}
		st.Clusters = append(st.Clusters, r.clusterRow(vc, c, snap))
		if details {
			st.Details.Clusters = append(st.Details.Clusters, clusterDetail(vc, c))
		}
	}
	for _, d := range b.dss {
		st.Datastores = append(st.Datastores, r.datastoreRow(vc, d, snap))
		if details {
			st.Details.Datastores = append(st.Details.Datastores, datastoreDetail(vc, d))
		}
	}
	for _, n := range b.nets {
		st.Networks = append(st.Networks, r.networkRow(vc, n, b.dvs, snap))
	}
	for _, p := range b.pools {
		st.ResourcePools = append(st.ResourcePools, r.poolRow(vc, p, snap))
	}

	if details {
		for _, d := range b.dvsDet {
			st.Details.Switches = append(st.Details.Switches, switchDetail(vc, d, r))
		}
		sortDetails(&st.Details)
	}
	slices.SortFunc(st.VMs, func(a, b inventory.VM) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Hosts, func(a, b inventory.Host) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Clusters, func(a, b inventory.Cluster) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Datastores, func(a, b inventory.Datastore) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.Networks, func(a, b inventory.Network) int { return compareID(a.ID, b.ID) })
	slices.SortFunc(st.ResourcePools, func(a, b inventory.ResourcePool) int { return compareID(a.ID, b.ID) })
	return st
}

// attributes merges custom attributes, tags and extra properties.
func attributes(v *rawVM, fields map[int32]string, tags map[string]string) map[string]string {
	if len(v.custom) == 0 && len(tags) == 0 && len(v.extra) == 0 {
		return nil
	}
	attrs := make(map[string]string, len(v.custom)+len(tags)+len(v.extra))
	for _, cv := range v.custom {
		sv, ok := cv.(*types.CustomFieldStringValue)
		if !ok {
			continue
		}
		name, ok := fields[sv.Key]
		if !ok {
			name = "custom:" + strconv.Itoa(int(sv.Key))
		}
		attrs[name] = sv.Value
	}
	maps.Copy(attrs, tags)
	for k, val := range v.extra {
		attrs["prop:"+k] = val
	}
	return attrs
}

func refIDs(refs []moref) []string {
	if len(refs) == 0 {
		return nil
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.Value
	}
	slices.SortFunc(ids, compareID)
	return slices.Compact(ids)
}

// compareID orders managed object ids naturally: "vm-9" before "vm-10".
func compareID(a, b string) int {
	pa, na, oka := splitID(a)
	pb, nb, okb := splitID(b)
	if oka && okb && pa == pb {
		if c := cmp.Compare(na, nb); c != 0 {
			return c
		}
	}
	return strings.Compare(a, b)
}

func splitID(id string) (string, int64, bool) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, 0, false
	}
	n, err := strconv.ParseInt(id[i+1:], 10, 64)
	if err != nil {
		return id, 0, false
	}
	return id[:i], n, true
}

// sortDetails orders every detail slice by object id.
func sortDetails(d *inventory.Details) {
	slices.SortFunc(d.VMs, func(a, b inventory.VMDetail) int { return compareID(a.VMID, b.VMID) })
	slices.SortFunc(d.Hosts, func(a, b inventory.HostDetail) int { return compareID(a.HostID, b.HostID) })
	slices.SortFunc(d.Clusters, func(a, b inventory.ClusterDetail) int { return compareID(a.ClusterID, b.ClusterID) })
	slices.SortFunc(d.Datastores, func(a, b inventory.DatastoreDetail) int { return compareID(a.DatastoreID, b.DatastoreID) })
	slices.SortFunc(d.Switches, func(a, b inventory.DistributedSwitch) int { return compareID(a.ID, b.ID) })
}

// vmRow builds one VM row; tags are the VM's tags.
func (r *resolver) vmRow(vc string, v *rawVM, fields map[int32]string, tags map[string]string, snap time.Time) inventory.VM {
	vm := inventory.VM{
		Vcenter:           vc,
		ID:                v.ref.Value,
		UUID:              cmp.Or(v.instanceUUID, v.uuid),
		Name:              v.name,
		PowerState:        inventory.PowerState(v.power),
		IsTemplate:        v.template,
		VCPUCount:         int(v.cpu),
		RAMMB:             v.memMB,
		ProvisionedDiskGB: float64(v.diskBytes) / gib,
		UsedDiskGB:        float64(v.committed) / gib,
		GuestOS:           cmp.Or(v.guestFull, v.guestID),
		IPAddress:         v.ip,
		CreationTime:      v.created,
		DatastoreIDs:      refIDs(v.datastores),
		NetworkIDs:        refIDs(v.networks),
		SnapshotTime:      snap,
	}
	if h, ok := r.hosts[v.host]; ok {
		vm.Host, vm.HostID = h.name, h.ref.Value
		_, vm.Cluster = r.cluster(h.parent)
	}
	if p, ok := r.pools[v.pool]; ok {
		vm.ResourcePool, vm.ResourcePoolID = r.poolPath(p.ref), p.ref.Value
		if vm.Cluster == "" && vm.Host == "" {
			_, vm.Cluster = r.cluster(p.owner)
		}
	}
	switch {
	case v.parent.Value != "":
		vm.Folder = r.folderPath(v.parent)
		vm.Datacenter = r.datacenter(v.parent)
	case v.parentVApp.Value != "":
		vm.Folder = r.vappFolder(v.parentVApp)
		vm.Datacenter = r.datacenter(v.parentVApp)
	}
	if vm.Datacenter == "" {
		vm.Datacenter = cmp.Or(r.datacenter(v.host), r.datacenter(v.pool))
	}
	vm.Attributes = attributes(v, fields, tags)
	return vm
}

// hostRow builds one host row.
func (r *resolver) hostRow(vc string, h *rawHost, snap time.Time) inventory.Host {
	host := inventory.Host{
		Vcenter:         vc,
		ID:              h.ref.Value,
		Name:            h.name,
		Datacenter:      r.datacenter(h.ref),
		ConnectionState: h.conn,
		PowerState:      inventory.PowerState(h.power),
		InMaintenance:   h.maintenance,
		CPUUsageMHz:     h.cpuUsage,
		MemoryUsageMB:   h.memUsage,
		SnapshotTime:    snap,
	}
	host.ClusterID, host.Cluster = r.cluster(h.parent)
	if hw := h.hw; hw != nil {
		host.Vendor, host.Model, host.CPUModel = hw.Vendor, hw.Model, hw.CpuModel
		host.CPUSockets, host.CPUCores, host.CPUThreads = int(hw.NumCpuPkgs), int(hw.NumCpuCores), int(hw.NumCpuThreads)
		host.CPUMhz = int(hw.CpuMhz)
		host.MemoryMB = hw.MemorySize / mib
	}
	if p := h.product; p != nil {
		host.Version, host.Build = p.Version, p.Build
	}
	return host
}

// clusterRow builds one cluster row (c must be a cluster).
func (r *resolver) clusterRow(vc string, c *rawCR, snap time.Time) inventory.Cluster {
	return inventory.Cluster{
		Vcenter:       vc,
		ID:            c.ref.Value,
		Name:          c.name,
		Datacenter:    r.datacenter(c.ref),
		NumHosts:      int(c.numHosts),
		TotalCPUMhz:   c.totalCPU,
		TotalMemoryMB: c.totalMem / mib,
		DRSEnabled:    c.drs,
		HAEnabled:     c.ha,
		SnapshotTime:  snap,
	}
}

// datastoreRow builds one datastore row.
func (r *resolver) datastoreRow(vc string, d *rawDS, snap time.Time) inventory.Datastore {
	ds := inventory.Datastore{
		Vcenter:      vc,
		ID:           d.ref.Value,
		Name:         d.name,
		Datacenter:   r.datacenter(d.parent),
		HostIDs:      refIDs(d.hosts),
		SnapshotTime: snap,
	}
	if sum := d.summary; sum != nil {
		ds.Type, ds.URL, ds.Accessible = sum.Type, sum.Url, sum.Accessible
		ds.CapacityGB = float64(sum.Capacity) / gib
		ds.FreeGB = float64(sum.FreeSpace) / gib
		// summary.uncommitted (in the summary retrieved whole).
		ds.UncommittedGB = float64(sum.Uncommitted) / gib
	}
	return ds
}

// networkRow builds one network row; dvs names the distributed switches.
func (r *resolver) networkRow(vc string, n *rawNet, dvs map[moref]string, snap time.Time) inventory.Network {
	return inventory.Network{
		Vcenter:      vc,
		ID:           n.ref.Value,
		Name:         n.name,
		Datacenter:   r.datacenter(n.parent),
		Kind:         n.kind,
		Switch:       dvs[n.dvs],
		VLAN:         n.vlan,
		SnapshotTime: snap,
	}
}

// poolRow builds one resource pool (or vApp) row.
func (r *resolver) poolRow(vc string, p *rawPool, snap time.Time) inventory.ResourcePool {
	pool := inventory.ResourcePool{
		Vcenter:       vc,
		ID:            p.ref.Value,
		Name:          p.name,
		Path:          r.poolPath(p.ref),
		Datacenter:    r.datacenter(p.ref),
		CPULimitMhz:   p.cpuLimit,
		MemoryLimitMB: p.memLimit,
		SnapshotTime:  snap,
	}
	pool.ClusterID, pool.Cluster = r.cluster(p.owner)
	if _, ok := r.pools[p.parent]; ok {
		pool.ParentID = p.parent.Value
	}
	return pool
}
