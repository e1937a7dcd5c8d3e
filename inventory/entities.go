package inventory

import "time"

// PowerState is a VM's power state, as vSphere names it.
type PowerState string

// Power states of a VM.
const (
	PoweredOn  PowerState = "poweredOn"
	PoweredOff PowerState = "poweredOff"
	Suspended  PowerState = "suspended"
)

// VM is the latest known state of one virtual machine (or template).
//
// References to other objects use their managed object ids within the same
// vCenter (HostID, ResourcePoolID, DatastoreIDs, NetworkIDs); the
// human-readable names (Host, ResourcePool, Cluster, ...) are denormalized
// for reports.
type VM struct {
	Vcenter string `json:"vcenter"`
	// ID is the managed object id, e.g. "vm-1042".
	ID string `json:"vm_id"`
	// UUID is the instance UUID, else the BIOS UUID.
	UUID              string     `json:"vm_uuid"`
	Name              string     `json:"name"`
	Datacenter        string     `json:"datacenter"`
	Cluster           string     `json:"cluster"`
	Host              string     `json:"host"`
	HostID            string     `json:"host_id"`
	ResourcePool      string     `json:"resource_pool"`
	ResourcePoolID    string     `json:"resource_pool_id"`
	Folder            string     `json:"folder"`
	PowerState        PowerState `json:"power_state"`
	IsTemplate        bool       `json:"is_template"`
	VCPUCount         int        `json:"vcpu_count"`
	RAMMB             int64      `json:"ram_mb"`
	ProvisionedDiskGB float64    `json:"provisioned_disk_gb"`
	UsedDiskGB        float64    `json:"used_disk_gb"`
	GuestOS           string     `json:"guest_os"`
	IPAddress         string     `json:"ip_address"`
	// CreationTime is config.createDate; zero when unknown.
	CreationTime time.Time `json:"creation_time"`
	DatastoreIDs []string  `json:"datastore_ids,omitempty"`
	NetworkIDs   []string  `json:"network_ids,omitempty"`
	// Attributes holds custom attributes and vSphere tags as key/value
	// pairs (tags as "tag:<category>" keys).
	Attributes map[string]string `json:"attributes,omitempty"`
	// SnapshotTime is when this state was captured.
	SnapshotTime time.Time `json:"snapshot_time"`
}

// Sample returns the vm_hourly_stats row for this VM at snapshot time s.
func (v *VM) Sample(s time.Time) Sample {
	return Sample{
		Vcenter: v.Vcenter, SnapshotTime: s, VMID: v.ID, VMUUID: v.UUID, Name: v.Name,
		Datacenter: v.Datacenter, Cluster: v.Cluster, Host: v.Host, ResourcePool: v.ResourcePool,
		ResourcePoolID: v.ResourcePoolID, Folder: v.Folder, PowerState: v.PowerState, IsTemplate: v.IsTemplate, VCPUCount: v.VCPUCount,
		RAMMB: v.RAMMB, ProvisionedDiskGB: v.ProvisionedDiskGB, UsedDiskGB: v.UsedDiskGB,
		GuestOS: v.GuestOS, IPAddress: v.IPAddress, CreationTime: v.CreationTime,
		Attributes: v.Attributes,
	}
}

// Host is the latest known state of an ESXi host.
type Host struct {
	Vcenter         string     `json:"vcenter"`
	ID              string     `json:"host_id"`
	Name            string     `json:"name"`
	Datacenter      string     `json:"datacenter"`
	ClusterID       string     `json:"cluster_id"`
	Cluster         string     `json:"cluster"`
	ConnectionState string     `json:"connection_state"`
	PowerState      PowerState `json:"power_state"`
	InMaintenance   bool       `json:"in_maintenance"`
	Vendor          string     `json:"vendor"`
	Model           string     `json:"model"`
	CPUModel        string     `json:"cpu_model"`
	CPUSockets      int        `json:"cpu_sockets"`
	CPUCores        int        `json:"cpu_cores"`
	CPUThreads      int        `json:"cpu_threads"`
	CPUMhz          int        `json:"cpu_mhz"`
	MemoryMB        int64      `json:"memory_mb"`
	Version         string     `json:"version"`
	Build           string     `json:"build"`
	// CPUUsageMHz and MemoryUsageMB are the host's usage when captured
	// (summary.quickStats overallCpuUsage and overallMemoryUsage).
	CPUUsageMHz   int64     `json:"cpu_usage_mhz"`
	MemoryUsageMB int64     `json:"memory_usage_mb"`
	SnapshotTime  time.Time `json:"snapshot_time"`
}

// Cluster is the latest known state of a compute cluster.
type Cluster struct {
	Vcenter       string    `json:"vcenter"`
	ID            string    `json:"cluster_id"`
	Name          string    `json:"name"`
	Datacenter    string    `json:"datacenter"`
	NumHosts      int       `json:"num_hosts"`
	TotalCPUMhz   int64     `json:"total_cpu_mhz"`
	TotalMemoryMB int64     `json:"total_memory_mb"`
	DRSEnabled    bool      `json:"drs_enabled"`
	HAEnabled     bool      `json:"ha_enabled"`
	SnapshotTime  time.Time `json:"snapshot_time"`
}

// Datastore is the latest known state of a datastore.
type Datastore struct {
	Vcenter    string  `json:"vcenter"`
	ID         string  `json:"datastore_id"`
	Name       string  `json:"name"`
	Datacenter string  `json:"datacenter"`
	Type       string  `json:"type"`
	URL        string  `json:"url"`
	CapacityGB float64 `json:"capacity_gb"`
	FreeGB     float64 `json:"free_gb"`
	// UncommittedGB is the space the datastore's thin disks may still
	// grow into (summary.uncommitted).
	UncommittedGB float64 `json:"uncommitted_gb"`
	Accessible    bool    `json:"accessible"`
	// HostIDs are the hosts that mount this datastore.
	HostIDs      []string  `json:"host_ids,omitempty"`
	SnapshotTime time.Time `json:"snapshot_time"`
}

// ProvisionedGB is the space provisioned on the datastore: capacity −
// free + uncommitted, as the vSphere client shows it.
func (d *Datastore) ProvisionedGB() float64 { return d.CapacityGB - d.FreeGB + d.UncommittedGB }

// Network kinds.
const (
	NetworkStandard    = "standard"
	NetworkDistributed = "distributed"
	NetworkOpaque      = "opaque"
)

// Network is a standard port group, a distributed port group or an opaque
// network.
type Network struct {
	Vcenter      string    `json:"vcenter"`
	ID           string    `json:"network_id"`
	Name         string    `json:"name"`
	Datacenter   string    `json:"datacenter"`
	Kind         string    `json:"kind"`
	Switch       string    `json:"switch"`
	VLAN         string    `json:"vlan"`
	SnapshotTime time.Time `json:"snapshot_time"`
}

// ResourcePool is the latest known state of a resource pool (a vApp counts
// as a pool).
type ResourcePool struct {
	Vcenter string `json:"vcenter"`
	ID      string `json:"pool_id"`
	Name    string `json:"name"`
	// Path is the pool's inventory path below its cluster, e.g.
	// "Resources/Gold/web".
	Path          string    `json:"path"`
	Datacenter    string    `json:"datacenter"`
	ClusterID     string    `json:"cluster_id"`
	Cluster       string    `json:"cluster"`
	ParentID      string    `json:"parent_id"`
	CPULimitMhz   int64     `json:"cpu_limit_mhz"`
	MemoryLimitMB int64     `json:"memory_limit_mb"`
	SnapshotTime  time.Time `json:"snapshot_time"`
}

// State is a whole latest-state inventory of one vCenter at one snapshot.
type State struct {
	VMs           []VM
	Hosts         []Host
	Clusters      []Cluster
	Datastores    []Datastore
	Networks      []Network
	ResourcePools []ResourcePool
	// Details is the RVTools-depth detail of the same capture; sources
	// that read none leave it empty.
	Details Details
}

// Counts returns how many objects of each kind s holds.
func (s *State) Counts() ObjectCounts {
	return ObjectCounts{
		VMs: len(s.VMs), Hosts: len(s.Hosts), Clusters: len(s.Clusters),
		Datastores: len(s.Datastores), Networks: len(s.Networks), ResourcePools: len(s.ResourcePools),
	}
}
