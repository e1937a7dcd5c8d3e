package inventory

import "time"

// Details is the RVTools-depth detail of one vCenter at one capture: VM
// snapshots, disks, NICs, removable devices, Tools, hardware and settings;
// host NICs, HBAs, switches and services; datastore and cluster settings;
// distributed switches. It is latest state: stores keep the newest
// capture's detail (plus change events, see DiffVMDetail), never a copy per
// hourly sample. Every row carries the vCenter and the id of the object it
// belongs to; slices are ordered by id.
type Details struct {
	VMs        []VMDetail          `json:"vms,omitempty"`
	Hosts      []HostDetail        `json:"hosts,omitempty"`
	Clusters   []ClusterDetail     `json:"clusters,omitempty"`
	Datastores []DatastoreDetail   `json:"datastores,omitempty"`
	Switches   []DistributedSwitch `json:"switches,omitempty"`
}

// Shares is a vSphere shares setting: a level (low, normal, high, custom)
// and the number of shares it gives.
type Shares struct {
	Level  string `json:"level,omitempty"`
	Shares int32  `json:"shares,omitempty"`
}

// Allocation is a CPU (MHz) or memory (MB) allocation: reservation, limit
// (-1 for unlimited) and shares.
type Allocation struct {
	Reservation int64  `json:"reservation"`
	Limit       int64  `json:"limit"`
	Shares      Shares `json:"shares"`
}

// VMDetail is the detail of one VM (or template). Values are vSphere's own
// strings for enums (toolsOk, guestToolsRunning, green, ...); sizes are MiB
// (bytes / 2^20), as RVTools shows them.
type VMDetail struct {
	Vcenter string `json:"vcenter"`
	VMID    string `json:"vm_id"`
	// HardwareVersion is config.version, e.g. "vmx-19".
	HardwareVersion string `json:"hardware_version,omitempty"`
	// Firmware is config.firmware: "bios" or "efi".
	Firmware string `json:"firmware,omitempty"`
	// Annotation is the VM's notes (config.annotation).
	Annotation string `json:"annotation,omitempty"`
	// DNSName is guest.hostName.
	DNSName string `json:"dns_name,omitempty"`
	// IPAddresses are every guest IP address (guest.net), primary first.
	IPAddresses []string `json:"ip_addresses,omitempty"`
	// GuestState is guest.guestState (running, notRunning, ...).
	GuestState string `json:"guest_state,omitempty"`
	// GuestFullName is the OS the Tools report (guest.guestFullName).
	GuestFullName string `json:"guest_full_name,omitempty"`
	// GuestHeartbeat is guestHeartbeatStatus (gray, green, yellow, red).
	GuestHeartbeat string `json:"guest_heartbeat,omitempty"`
	// OverallStatus and ConfigStatus are gray, green, yellow or red.
	OverallStatus string `json:"overall_status,omitempty"`
	ConfigStatus  string `json:"config_status,omitempty"`
	// ConnectionState is runtime.connectionState (connected,
	// disconnected, orphaned, inaccessible, invalid).
	ConnectionState     string `json:"connection_state,omitempty"`
	ConsolidationNeeded bool   `json:"consolidation_needed,omitempty"`
	// BootTime is runtime.bootTime; zero when powered off or unknown.
	BootTime time.Time `json:"boot_time,omitempty"`
	// ToolsRunningStatus is guest.toolsRunningStatus
	// (guestToolsRunning, guestToolsNotRunning, guestToolsExecutingScripts).
	ToolsRunningStatus string `json:"tools_running_status,omitempty"`
	// ToolsVersionStatus is guest.toolsVersionStatus2 (guestToolsCurrent,
	// guestToolsNeedUpgrade, guestToolsNotInstalled, ...).
	ToolsVersionStatus string `json:"tools_version_status,omitempty"`
	// ToolsVersion is guest.toolsVersion, e.g. "12352".
	ToolsVersion string `json:"tools_version,omitempty"`
	// ToolsUpgradePolicy is config.tools.toolsUpgradePolicy (manual,
	// upgradeAtPowerCycle).
	ToolsUpgradePolicy string `json:"tools_upgrade_policy,omitempty"`
	// CoresPerSocket is config.hardware.numCoresPerSocket.
	CoresPerSocket int `json:"cores_per_socket,omitempty"`
	// CPU is the CPU allocation in MHz; Memory the memory allocation in MB.
	CPU    Allocation `json:"cpu"`
	Memory Allocation `json:"memory"`
	// Hot-add flags (config.cpuHotAddEnabled, cpuHotRemoveEnabled,
	// memoryHotAddEnabled).
	CPUHotAdd    bool `json:"cpu_hot_add,omitempty"`
	CPUHotRemove bool `json:"cpu_hot_remove,omitempty"`
	MemoryHotAdd bool `json:"memory_hot_add,omitempty"`
	// HARestartPriority is the VM's HA restart priority from its
	// cluster's configuration (disabled, lowest, low, medium, high,
	// highest, clusterRestartPriority); empty when the VM is not in an HA
	// cluster or the cluster sets none for it.
	HARestartPriority string `json:"ha_restart_priority,omitempty"`
	// VMXPath is config.files.vmPathName, e.g. "[ds1] web/web.vmx".
	VMXPath string `json:"vmx_path,omitempty"`
	// FolderPath is the VM's full folder path, e.g. "/DC1/vm/Prod/web".
	FolderPath string `json:"folder_path,omitempty"`
	// Snapshots are the VM's snapshots, depth-first from the root.
	Snapshots []VMSnapshot `json:"snapshots,omitempty"`
	// Disks, NICs and Removables are the VM's virtual devices, by device
	// key.
	Disks      []VirtualDisk    `json:"disks,omitempty"`
	NICs       []VirtualNIC     `json:"nics,omitempty"`
	Removables []RemovableDrive `json:"removables,omitempty"`
	// Partitions are the guest file systems the Tools report (guest.disk).
	Partitions []GuestPartition `json:"partitions,omitempty"`
}

// VMSnapshot is one snapshot of a VM.
type VMSnapshot struct {
	// ID is the snapshot's id within the VM.
	ID          int32     `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	Quiesced    bool      `json:"quiesced,omitempty"`
	// State is the VM's power state when the snapshot was taken.
	State PowerState `json:"state,omitempty"`
	// Depth is the snapshot's depth in the tree: 1 for a root snapshot.
	Depth int `json:"depth"`
	// Current marks the snapshot the VM runs from.
	Current bool `json:"current,omitempty"`
	// File is the snapshot's .vmsn file, e.g. "[ds1] web/web-Snapshot1.vmsn".
	File string `json:"file,omitempty"`
	// SizeMB is the snapshot's size on disk from layoutEx: its .vmsn
	// memory file plus the delta disks it created (MiB).
	SizeMB float64 `json:"size_mb"`
}

// Disk provisioning types.
const (
	DiskThin             = "thin"
	DiskThick            = "thick"
	DiskEagerZeroedThick = "eagerZeroedThick"
)

// VirtualDisk is one virtual disk of a VM.
type VirtualDisk struct {
	// Key is the device key, unique within the VM.
	Key   int32  `json:"key"`
	Label string `json:"label"`
	// CapacityMB is capacityInBytes / 2^20.
	CapacityMB int64 `json:"capacity_mb"`
	// Provisioning is DiskThin, DiskThick or DiskEagerZeroedThick.
	Provisioning string `json:"provisioning,omitempty"`
	DatastoreID  string `json:"datastore_id,omitempty"`
	Datastore    string `json:"datastore,omitempty"`
	// FilePath is the backing file, e.g. "[ds1] web/web.vmdk".
	FilePath string `json:"file_path,omitempty"`
	// Controller is the controller's label, e.g. "SCSI controller 0";
	// UnitNumber the disk's unit on it.
	Controller string `json:"controller,omitempty"`
	UnitNumber int32  `json:"unit_number"`
	// Mode is the disk mode (persistent, independent_persistent, ...).
	Mode string `json:"mode,omitempty"`
	// Shares and LimitIOPS are the disk's storage I/O allocation; LimitIOPS
	// is -1 for unlimited.
	Shares    Shares `json:"shares"`
	LimitIOPS int64  `json:"limit_iops"`
}

// VirtualNIC is one virtual network adapter of a VM.
type VirtualNIC struct {
	Key   int32  `json:"key"`
	Label string `json:"label"`
	// AdapterType is the device type: vmxnet3, e1000e, e1000, vmxnet2,
	// pcnet32, sriov.
	AdapterType string `json:"adapter_type,omitempty"`
	// NetworkID and Network name the port group (standard, distributed or
	// opaque) it is backed by.
	NetworkID      string `json:"network_id,omitempty"`
	Network        string `json:"network,omitempty"`
	MAC            string `json:"mac,omitempty"`
	Connected      bool   `json:"connected"`
	StartConnected bool   `json:"start_connected"`
}

// Removable drive kinds.
const (
	DriveCDROM  = "cdrom"
	DriveFloppy = "floppy"
)

// RemovableDrive is a CD/DVD or floppy drive of a VM.
type RemovableDrive struct {
	Key int32 `json:"key"`
	// Kind is DriveCDROM or DriveFloppy.
	Kind           string `json:"kind"`
	Label          string `json:"label"`
	Connected      bool   `json:"connected"`
	StartConnected bool   `json:"start_connected"`
	// Backing says what the drive reads: an ISO path, "host device",
	// "client device" or empty.
	Backing string `json:"backing,omitempty"`
}

// GuestPartition is one guest file system the Tools report.
type GuestPartition struct {
	Path       string `json:"path"`
	CapacityMB int64  `json:"capacity_mb"`
	FreeMB     int64  `json:"free_mb"`
}

// HostDetail is the detail of one ESXi host.
type HostDetail struct {
	Vcenter string `json:"vcenter"`
	HostID  string `json:"host_id"`
	// BootTime is runtime.bootTime; the uptime is the capture time minus it.
	BootTime time.Time `json:"boot_time,omitempty"`
	// OverallStatus is gray, green, yellow or red; AlarmCount the number of
	// triggered alarms on the host (triggeredAlarmState).
	OverallStatus string `json:"overall_status,omitempty"`
	AlarmCount    int    `json:"alarm_count"`
	// Hyperthreading reports whether hyperthreading is active.
	Hyperthreading bool `json:"hyperthreading,omitempty"`
	// NTPServers and DNSServers are the host's configured servers.
	NTPServers []string        `json:"ntp_servers,omitempty"`
	DNSServers []string        `json:"dns_servers,omitempty"`
	NICs       []HostNIC       `json:"nics,omitempty"`
	HBAs       []HostHBA       `json:"hbas,omitempty"`
	VSwitches  []HostSwitch    `json:"vswitches,omitempty"`
	Portgroups []HostPortgroup `json:"portgroups,omitempty"`
}

// HostNIC is one physical NIC of a host.
type HostNIC struct {
	Device string `json:"device"`
	Driver string `json:"driver,omitempty"`
	// SpeedMb is the link speed in Mbit/s; 0 when the link is down.
	SpeedMb    int32  `json:"speed_mb"`
	FullDuplex bool   `json:"full_duplex,omitempty"`
	MAC        string `json:"mac,omitempty"`
	PCI        string `json:"pci,omitempty"`
}

// HostHBA is one storage adapter of a host.
type HostHBA struct {
	Device string `json:"device"`
	// Type is the adapter kind: FibreChannel, iScsi, ParallelScsi,
	// BlockHba, ...
	Type   string `json:"type,omitempty"`
	Model  string `json:"model,omitempty"`
	Driver string `json:"driver,omitempty"`
	Status string `json:"status,omitempty"`
	// WWN is the port world-wide name of a Fibre Channel adapter.
	WWN string `json:"wwn,omitempty"`
}

// HostSwitch is a standard virtual switch of a host.
type HostSwitch struct {
	Name      string   `json:"name"`
	NumPorts  int32    `json:"num_ports"`
	FreePorts int32    `json:"free_ports"`
	MTU       int32    `json:"mtu"`
	Uplinks   []string `json:"uplinks,omitempty"`
}

// HostPortgroup is a standard port group of a host.
type HostPortgroup struct {
	Name    string `json:"name"`
	VSwitch string `json:"vswitch"`
	VLAN    int32  `json:"vlan"`
}

// ClusterDetail is the detail of one cluster.
type ClusterDetail struct {
	Vcenter   string `json:"vcenter"`
	ClusterID string `json:"cluster_id"`
	// OverallStatus is gray, green, yellow or red.
	OverallStatus string `json:"overall_status,omitempty"`
	// EVCMode is the current EVC mode key; empty when EVC is off.
	EVCMode string `json:"evc_mode,omitempty"`
	// DRSBehavior is the DRS default VM behaviour (manual,
	// partiallyAutomated, fullyAutomated); DRSVmotionRate its migration
	// threshold (1–5).
	DRSBehavior    string `json:"drs_behavior,omitempty"`
	DRSVmotionRate int32  `json:"drs_vmotion_rate,omitempty"`
	// HA settings: admission control, host monitoring, the default
	// restart priority and isolation response, failover level.
	HAAdmissionControl  bool   `json:"ha_admission_control,omitempty"`
	HAHostMonitoring    string `json:"ha_host_monitoring,omitempty"`
	HARestartPriority   string `json:"ha_restart_priority,omitempty"`
	HAIsolationResponse string `json:"ha_isolation_response,omitempty"`
	HAVMMonitoring      string `json:"ha_vm_monitoring,omitempty"`
	HAFailoverLevel     int32  `json:"ha_failover_level,omitempty"`
	// Effective figures from the cluster summary: hosts, CPU (MHz) and
	// memory (MB) available to VMs.
	EffectiveHosts    int32 `json:"effective_hosts"`
	EffectiveCPUMHz   int64 `json:"effective_cpu_mhz"`
	EffectiveMemoryMB int64 `json:"effective_memory_mb"`
	NumCPUCores       int32 `json:"num_cpu_cores"`
	NumCPUThreads     int32 `json:"num_cpu_threads"`
}

// DatastoreDetail is the detail of one datastore.
type DatastoreDetail struct {
	Vcenter     string `json:"vcenter"`
	DatastoreID string `json:"datastore_id"`
	// OverallStatus is gray, green, yellow or red.
	OverallStatus string `json:"overall_status,omitempty"`
	// VMFSVersion is the VMFS version (e.g. "6.82") of a VMFS datastore;
	// BlockSizeMB its block size; Extents its extent names (naa.…).
	VMFSVersion string   `json:"vmfs_version,omitempty"`
	BlockSizeMB int32    `json:"block_size_mb,omitempty"`
	Extents     []string `json:"extents,omitempty"`
	// NFSServer and NFSPath locate an NFS datastore.
	NFSServer string `json:"nfs_server,omitempty"`
	NFSPath   string `json:"nfs_path,omitempty"`
	// MaintenanceMode is summary.maintenanceMode (normal, enteringMaintenance,
	// inMaintenance).
	MaintenanceMode string `json:"maintenance_mode,omitempty"`
	// MultipleHostAccess is summary.multipleHostAccess.
	MultipleHostAccess bool `json:"multiple_host_access,omitempty"`
	// VMCount is the number of VMs with files on it (vm).
	VMCount int `json:"vm_count"`
}

// DistributedSwitch is a distributed virtual switch; its port groups are
// Networks of kind NetworkDistributed.
type DistributedSwitch struct {
	Vcenter     string    `json:"vcenter"`
	ID          string    `json:"switch_id"`
	Name        string    `json:"name"`
	Datacenter  string    `json:"datacenter,omitempty"`
	Vendor      string    `json:"vendor,omitempty"`
	Version     string    `json:"version,omitempty"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created,omitempty"`
	// HostIDs are the member hosts.
	HostIDs  []string `json:"host_ids,omitempty"`
	NumPorts int32    `json:"num_ports"`
	MaxPorts int32    `json:"max_ports"`
	MaxMTU   int32    `json:"max_mtu,omitempty"`
}
