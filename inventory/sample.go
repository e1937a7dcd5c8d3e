package inventory

import "time"

// Sample is one VM's row in vm_hourly_stats for one snapshot (SEMANTICS §1).
type Sample struct {
	Vcenter      string    `json:"vcenter"`
	SnapshotTime time.Time `json:"snapshot_time"`
	// VMID is the managed object id; may be empty only in data imported
	// from legacy compatibility tables.
	VMID       string `json:"vm_id"`
	VMUUID     string `json:"vm_uuid"`
	Name       string `json:"name"`
	Datacenter string `json:"datacenter"`
	Cluster    string `json:"cluster"`
	Host       string `json:"host"`
	// ResourcePool is the pool's full inventory path (SEMANTICS §1), e.g.
	// "/DC1/host/Cluster-A/Resources/Prod/Gold"; ResourcePoolID its
	// managed object id (empty in data imported without it).
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
	CreationTime time.Time         `json:"creation_time"`
	Attributes   map[string]string `json:"attributes,omitempty"`
}

// Key is the sample's identity key within its vCenter and snapshot; see
// VMKey.
func (s *Sample) Key() string { return VMKey(s.VMID, s.VMUUID, s.Name) }

// Rollup holds the figures shared by daily and monthly rollup rows
// (SEMANTICS §4 and §5).
type Rollup struct {
	Vcenter string `json:"vcenter"`
	// VMKey identifies the VM within its vCenter (see VMKey); it is the
	// row's key together with Vcenter and the period.
	VMKey  string `json:"vm_key"`
	VMID   string `json:"vm_id"`
	VMUUID string `json:"vm_uuid"`

	Name         string     `json:"name"`
	Datacenter   string     `json:"datacenter"`
	Cluster      string     `json:"cluster"`
	Host         string     `json:"host"`
	ResourcePool string     `json:"resource_pool"`
	Folder       string     `json:"folder"`
	PowerState   PowerState `json:"power_state"`
	GuestOS      string     `json:"guest_os"`
	IsTemplate   bool       `json:"is_template"`

	TotalSamples     int     `json:"total_samples"`
	SamplesPresent   int     `json:"samples_present"`
	AvgIsPresent     float64 `json:"avg_is_present"`
	SamplesPoweredOn int     `json:"samples_powered_on"`
	AvgPoweredOn     float64 `json:"avg_powered_on"`

	AvgVCPUCount         float64 `json:"avg_vcpu_count"`
	AvgRAMGB             float64 `json:"avg_ram_gb"`
	AvgProvisionedDiskGB float64 `json:"avg_provisioned_disk_gb"`
	AvgUsedDiskGB        float64 `json:"avg_used_disk_gb"`

	PoolTinPct    float64 `json:"pool_tin_pct"`
	PoolBronzePct float64 `json:"pool_bronze_pct"`
	PoolSilverPct float64 `json:"pool_silver_pct"`
	PoolGoldPct   float64 `json:"pool_gold_pct"`

	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	CreationTime time.Time `json:"creation_time"`
	DeletionTime time.Time `json:"deletion_time"`
	// Partial marks a row aggregated before its period ended (SEMANTICS
	// §5, asked for explicitly): its figures cover only part of it.
	Partial bool `json:"partial,omitempty"`
	// Attributes are the custom attributes and tags ("tag:<category>"
	// keys) of the latest present sample of the period, like Name: what
	// chargeback groups by tag reads.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// BillableVCPUDays is avg_vcpu_count × avg_is_present (SEMANTICS §4).
func (r *Rollup) BillableVCPUDays() float64 { return r.AvgVCPUCount * r.AvgIsPresent }

// BillableRAMGBDays is avg_ram_gb × avg_is_present.
func (r *Rollup) BillableRAMGBDays() float64 { return r.AvgRAMGB * r.AvgIsPresent }

// BillableDiskGBDays is avg_provisioned_disk_gb × avg_is_present.
func (r *Rollup) BillableDiskGBDays() float64 { return r.AvgProvisionedDiskGB * r.AvgIsPresent }

// DailyRollup is one row of vm_daily_rollup.
type DailyRollup struct {
	// Day is the start of the day in the configured location, stored UTC.
	Day time.Time `json:"day"`
	Rollup
	// Utilisation is the VM's measured use over the day, from its metric
	// series (zero, with UtilSamples 0, when none was collected).
	Utilisation
}

// Utilisation is a VM's measured use over a daily rollup's day (the
// window of SEMANTICS §4), from its raw metric points in the window:
// averages and peaks (the highest point) of cpu.usage.mhz,
// cpu.usage.pct and mem.usage.pct. Percentages are 0–100 here, as in
// metric series; reports show them as fractions like every percentage.
type Utilisation struct {
	// UtilSamples is the number of cpu.usage.mhz points in the window; 0
	// means utilisation is unknown for the day (the other fields are 0).
	UtilSamples int     `json:"util_samples"`
	AvgCPUMHz   float64 `json:"avg_cpu_mhz"`
	PeakCPUMHz  float64 `json:"peak_cpu_mhz"`
	AvgCPUPct   float64 `json:"avg_cpu_pct"`
	PeakCPUPct  float64 `json:"peak_cpu_pct"`
	AvgMemPct   float64 `json:"avg_mem_pct"`
	PeakMemPct  float64 `json:"peak_mem_pct"`
}

// MonthlyRollup is one row of the canonical monthly rollup
// (vm_monthly_rollup) and of inventory_monthly_summary_<YYYYMM>.
type MonthlyRollup struct {
	// Month is the start of the month in the configured location, stored
	// UTC.
	Month       time.Time `json:"month"`
	DaysPresent int       `json:"days_present"`
	Rollup
	// The month's billable figures: the sums of its days' billable figures
	// (SEMANTICS §5), Σ over the days d of avg_x_d × avg_is_present_d. A
	// day without a complete snapshot bills nothing.
	VCPUDays              float64 `json:"vcpu_days"`
	RAMGBDays             float64 `json:"ram_gb_days"`
	ProvisionedDiskGBDays float64 `json:"provisioned_disk_gb_days"`
	UsedDiskGBDays        float64 `json:"used_disk_gb_days"`
	// CoverageDays is the number of days of the month with at least one
	// complete snapshot of the vCenter; DaysInMonth the days of the month.
	// A month with CoverageDays < DaysInMonth is partly observed.
	CoverageDays int `json:"coverage_days"`
	DaysInMonth  int `json:"days_in_month"`
}

// LifecycleSource is where a lifecycle row's creation or deletion time
// came from (SEMANTICS §3).
type LifecycleSource string

// Creation and deletion sources of a lifecycle row.
const (
	SourceEvent   LifecycleSource = "event"
	SourceConfig  LifecycleSource = "config"
	SourceNone    LifecycleSource = "none"
	SourceAbsence LifecycleSource = "absence"
)

// Lifecycle is one row of vm_lifecycle_cache.
type Lifecycle struct {
	Vcenter        string          `json:"vcenter"`
	VMID           string          `json:"vm_id"`
	VMUUID         string          `json:"vm_uuid"`
	Name           string          `json:"name"`
	FirstSeen      time.Time       `json:"first_seen"`
	LastSeen       time.Time       `json:"last_seen"`
	CreationTime   time.Time       `json:"creation_time"`
	CreationSource LifecycleSource `json:"creation_source"`
	DeletionTime   time.Time       `json:"deletion_time"`
	DeletionSource LifecycleSource `json:"deletion_source"`
	Deleted        bool            `json:"deleted"`
}

// Kinds of the VM events an endpoint records (EndpointEvent.Kind).
const (
	EndpointCreated    = "created"    // VmCreatedEvent
	EndpointCloned     = "cloned"     // VmClonedEvent
	EndpointDeployed   = "deployed"   // VmDeployedEvent
	EndpointRegistered = "registered" // VmRegisteredEvent
	EndpointRemoved    = "removed"    // VmRemovedEvent
)

// EndpointEvent is a VM creation or removal event read from an endpoint's
// event history and kept by Reconcile (vm_endpoint_events), so a VM first
// seen after the snapshot that followed its creation still gets its
// creation event (SEMANTICS §3).
type EndpointEvent struct {
	Vcenter string    `json:"vcenter"`
	VMID    string    `json:"vm_id"`
	Kind    string    `json:"kind"`
	Time    time.Time `json:"time"`
}

// IsCreation reports whether the event creates a VM.
func (e EndpointEvent) IsCreation() bool {
	switch e.Kind {
	case EndpointCreated, EndpointCloned, EndpointDeployed, EndpointRegistered:
		return true
	}
	return false
}

// Totals is one row of vcenter_totals (SEMANTICS §6). Templates count only
// in TemplateCount and ProvisionedDiskGBTotal.
type Totals struct {
	Vcenter                string    `json:"vcenter"`
	SnapshotTime           time.Time `json:"snapshot_time"`
	VMCount                int       `json:"vm_count"`
	TemplateCount          int       `json:"template_count"`
	PoweredOnCount         int       `json:"powered_on_count"`
	VCPUTotal              int64     `json:"vcpu_total"`
	RAMGBTotal             float64   `json:"ram_gb_total"`
	ProvisionedDiskGBTotal float64   `json:"provisioned_disk_gb_total"`
	HostCount              int       `json:"host_count"`
	ClusterCount           int       `json:"cluster_count"`
	DatastoreCount         int       `json:"datastore_count"`
	DatastoreCapacityGB    float64   `json:"datastore_capacity_gb"`
	DatastoreFreeGB        float64   `json:"datastore_free_gb"`
}

// Granularity of aggregate totals and snapshot registry records.
type Granularity string

const (
	Hourly  Granularity = "hourly"
	Daily   Granularity = "daily"
	Monthly Granularity = "monthly"
)

// Valid reports whether g is hourly, daily or monthly.
func (g Granularity) Valid() bool { return g == Hourly || g == Daily || g == Monthly }

// AggregateTotals is one row of vcenter_aggregate_totals: the mean of each
// total over the snapshots of one period.
type AggregateTotals struct {
	Vcenter                string      `json:"vcenter"`
	Granularity            Granularity `json:"granularity"`
	PeriodStart            time.Time   `json:"period_start"`
	SnapshotCount          int         `json:"snapshot_count"`
	VMCount                float64     `json:"vm_count"`
	TemplateCount          float64     `json:"template_count"`
	PoweredOnCount         float64     `json:"powered_on_count"`
	VCPUTotal              float64     `json:"vcpu_total"`
	RAMGBTotal             float64     `json:"ram_gb_total"`
	ProvisionedDiskGBTotal float64     `json:"provisioned_disk_gb_total"`
	HostCount              float64     `json:"host_count"`
	ClusterCount           float64     `json:"cluster_count"`
	DatastoreCount         float64     `json:"datastore_count"`
	DatastoreCapacityGB    float64     `json:"datastore_capacity_gb"`
	DatastoreFreeGB        float64     `json:"datastore_free_gb"`
}

// SnapshotRecord is one row of snapshot_registry: a complete hourly
// snapshot, or a completed daily or monthly aggregation.
type SnapshotRecord struct {
	Vcenter string      `json:"vcenter"`
	Kind    Granularity `json:"kind"`
	// SnapshotTime is the snapshot time (hourly) or the period start
	// (daily, monthly).
	SnapshotTime time.Time `json:"snapshot_time"`
	// TableName is the compatibility table written for it, if any.
	TableName string `json:"table_name,omitempty"`
	// RowCount is the number of VM rows the snapshot or period produced.
	RowCount     int           `json:"row_count"`
	Duration     time.Duration `json:"duration"`
	RegisteredAt time.Time     `json:"registered_at"`
	// Partial marks a daily or monthly aggregation of a period that had
	// not ended (asked for explicitly).
	Partial bool `json:"partial,omitempty"`
}

// EventKind is the kind of an inventory event.
type EventKind string

// Event kinds appended by Reconcile (SEMANTICS §3).
const (
	EventCreated     EventKind = "created"
	EventDeleted     EventKind = "deleted"
	EventReappeared  EventKind = "reappeared"
	EventPower       EventKind = "power"
	EventResize      EventKind = "resize"
	EventHostMove    EventKind = "host_move"
	EventPoolMove    EventKind = "pool_move"
	EventRename      EventKind = "rename"
	EventMassAbsence EventKind = "mass_absence"
	// EventIdentityChange: a vm_id came back carrying another vm_uuid (a
	// rebuilt or restored vCenter reusing ids); Before and After hold the
	// two uuids.
	EventIdentityChange EventKind = "identity_change"
)

// Event kinds appended when a capture's detail differs from the stored
// detail (Details, lifecycle.DetailEvents). One event per kind per VM per
// snapshot: Before and After are keyed by the device label or snapshot
// name they concern.
const (
	EventDiskAdded       EventKind = "disk_added"
	EventDiskRemoved     EventKind = "disk_removed"
	EventDiskResized     EventKind = "disk_resized"
	EventNICAdded        EventKind = "nic_added"
	EventNICRemoved      EventKind = "nic_removed"
	EventNICReconnected  EventKind = "nic_reconnected"
	EventSnapshotCreated EventKind = "snapshot_created"
	EventSnapshotRemoved EventKind = "snapshot_removed"
	EventToolsStatus     EventKind = "tools_status"
	EventHardwareUpgrade EventKind = "hardware_upgraded"
	EventAnnotation      EventKind = "annotation"
	// EventOutOfScope: a VM still in its vCenter left the endpoint's
	// capture scope (a filter changed); EventInScope: it came back.
	EventOutOfScope EventKind = "out_of_scope"
	EventInScope    EventKind = "in_scope"
)

// EventKinds returns every event kind, in a new slice.
func EventKinds() []EventKind {
	return []EventKind{EventCreated, EventDeleted, EventReappeared, EventPower, EventResize,
		EventHostMove, EventPoolMove, EventRename, EventMassAbsence, EventIdentityChange,
		EventDiskAdded, EventDiskRemoved, EventDiskResized, EventNICAdded, EventNICRemoved, EventNICReconnected,
		EventSnapshotCreated, EventSnapshotRemoved, EventToolsStatus, EventHardwareUpgrade, EventAnnotation,
		EventOutOfScope, EventInScope}
}

// Event is one row of inventory_events. Its natural key is (Vcenter,
// SnapshotTime, Kind, VMID): appending the same event twice stores it once.
type Event struct {
	// ID is assigned by the store.
	ID           int64     `json:"id"`
	Vcenter      string    `json:"vcenter"`
	SnapshotTime time.Time `json:"snapshot_time"`
	Kind         EventKind `json:"kind"`
	// VMID is empty for vCenter-wide events (mass_absence).
	VMID   string `json:"vm_id"`
	VMUUID string `json:"vm_uuid"`
	Name   string `json:"name"`
	// Before and After hold the changed values, e.g. {"vcpu_count": "2",
	// "ram_mb": "4096"}.
	Before map[string]string `json:"before,omitempty"`
	After  map[string]string `json:"after,omitempty"`
	// Live marks an event a watcher appended between captures
	// (capture.Watch); its SnapshotTime is when the change was seen, to
	// the second. Reconcile does not append an event the live events of
	// its window already cover (lifecycle.DropCovered).
	Live bool `json:"live,omitempty"`
}
