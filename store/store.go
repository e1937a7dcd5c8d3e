package store

import (
	"context"
	"io"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Store is everything every backend persists. Packages should depend on
// the smallest interface they use (SnapshotWriter, HourlyStats, ...).
//
// Optional features are separate interfaces that a backend may also
// implement, found by a type assertion on the Store, the way database/sql
// finds a driver's optional interfaces:
//
//	if ct, ok := st.(store.CompatTables); ok { ... }
//
// They are CompatTables (the replaced system's per-period tables),
// SQLAggregator (rollups computed in the database), SnapshotCounter
// (registry records counted per period), ReportCatalog (report
// workbooks kept in the store), EntityHistory (hosts, clusters and
// datastores per snapshot), Details (the RVTools-depth detail of the
// newest capture), TokenStore, AuditLog and
// RateCardStore (the API's tokens, audit log and rate cards), and
// MetricStore (utilisation time series). A new
// feature adds such an interface (and a storetest section), never a
// method here. A wrapper around a Store exposes only the optional
// interfaces it implements itself, so a wrapper that should keep a
// feature forwards its methods.
type Store interface {
	SnapshotWriter
	HourlyStats
	InventoryState
	Lifecycles
	Events
	Rollups
	Totals
	Registry
	Endpoints

	// Capabilities declares what this backend supports.
	Capabilities() Capabilities
	// Migrate creates or upgrades the schema. It is idempotent and safe to
	// call from several processes at once.
	Migrate(ctx context.Context) error
	// Close releases the backend's resources. Connections passed in by the
	// caller are not closed.
	Close() error
}

// Capabilities describes a backend. Optional features are not flags here
// but interfaces (see Store).
type Capabilities struct {
	// Backend names the implementation: "memory", "sqlite", "postgres".
	Backend string
	// TimePrecision is the resolution times are stored at: a microsecond
	// in every bundled backend.
	TimePrecision time.Duration
	// Partitioning reports that vm_hourly_stats is range-partitioned by
	// month.
	Partitioning bool
}

// DefaultBatchSize is the number of rows per batched write when params set
// none (the capture_write_batch_size setting).
const DefaultBatchSize = 1000

// ---------------------------------------------------------------------------
// Snapshots

// SnapshotWriter writes whole vCenter snapshots atomically.
type SnapshotWriter interface {
	// WriteSnapshot writes one complete snapshot of one vCenter in one
	// transaction: its samples into vm_hourly_stats (replacing any rows
	// already stored for that vcenter and snapshot time), its latest-state
	// inventory (when State is set and SnapshotTime is not older than the
	// stored state), its totals into vcenter_totals (and
	// vcenter_latest_totals when newest), the hourly aggregate totals of the
	// hour holding SnapshotTime, its registry record, and, when Compat is
	// set, the inventory_hourly_<YYYYMMDDHHMM> table. On any failure nothing
	// is stored and a *WriteError is returned.
	WriteSnapshot(ctx context.Context, p *WriteSnapshotParams) (*WriteSnapshotResult, error)
}

// WriteSnapshotParams is one complete snapshot of one vCenter.
type WriteSnapshotParams struct {
	// Vcenter is the endpoint name; every sample and state row must carry
	// it.
	Vcenter string
	// SnapshotTime is the same for every row (truncated to a second).
	SnapshotTime time.Time
	// Samples are the VMs' vm_hourly_stats rows; each must carry Vcenter and
	// SnapshotTime and a unique VM key.
	Samples []inventory.Sample
	// State, when set, replaces the vCenter's latest-state inventory.
	State *inventory.State
	// Totals for vcenter_totals; Vcenter and SnapshotTime are filled in.
	Totals inventory.Totals
	// Compat also writes inventory_hourly_<YYYYMMDDHHMM> in the same
	// transaction (backends that do not implement CompatTables return
	// ErrUnsupported and write nothing).
	Compat bool
	// Duration is recorded in the registry row.
	Duration time.Duration
	// Location cuts the hour whose aggregate totals are refreshed. Defaults
	// to UTC.
	Location *time.Location
	// BatchSize is rows per batched write. Defaults to DefaultBatchSize.
	BatchSize int
	// RegisteredAt stamps a new registry record; a re-written snapshot keeps
	// its first RegisteredAt. Defaults to the current time.
	RegisteredAt time.Time
}

// WriteSnapshotResult says what WriteSnapshot stored.
type WriteSnapshotResult struct {
	Samples int
	// StateReplaced is false when State was nil or older than the stored
	// state.
	StateReplaced bool
	// CompatTable is the compatibility table written, if any.
	CompatTable string
	Record      inventory.SnapshotRecord
}

// ---------------------------------------------------------------------------
// Hourly samples

// HourlyStats reads and writes vm_hourly_stats.
type HourlyStats interface {
	// WriteSamples upserts samples on (vcenter, snapshot_time, vm_key) in one
	// transaction, in batches of BatchSize. All or nothing.
	WriteSamples(ctx context.Context, p *WriteSamplesParams) error
	// ScanSamples streams samples ordered by (vcenter, snapshot_time,
	// vm_key), calling fn for each. The *Sample passed to fn is only valid
	// during the call (backends reuse it); copy it to keep it. Returning
	// ErrStopScan ends the scan without error; any other error ends it and
	// is returned wrapped.
	ScanSamples(ctx context.Context, p *ScanSamplesParams, fn func(*inventory.Sample) error) error
	// TraceVM returns one VM's samples ordered by snapshot_time, matched by
	// VMID, VMUUID or Name (the first that is set, in that order).
	TraceVM(ctx context.Context, p *TraceVMParams) ([]inventory.Sample, error)
	// SnapshotTimes lists the distinct snapshot times of a vCenter's samples
	// in [From, To), ascending.
	SnapshotTimes(ctx context.Context, p *SnapshotTimesParams) ([]time.Time, error)
	// DeleteSamples removes samples with snapshot_time < Before (retention).
	DeleteSamples(ctx context.Context, p *DeleteSamplesParams) (int64, error)
}

// WriteSamplesParams are samples to upsert.
type WriteSamplesParams struct {
	Samples []inventory.Sample
	// BatchSize is rows per batched write. Defaults to DefaultBatchSize.
	BatchSize int
}

// ScanSamplesParams filter a scan. Zero values mean no filter.
type ScanSamplesParams struct {
	// Vcenter limits the scan to one vCenter.
	Vcenter string
	// From and To bound snapshot_time to [From, To).
	From, To time.Time
}

// TraceVMParams select one VM's history.
type TraceVMParams struct {
	// Vcenter limits the trace to one vCenter (optional).
	Vcenter string
	VMID    string
	VMUUID  string
	Name    string
	// From and To bound snapshot_time to [From, To) (optional).
	From, To time.Time
	// Limit caps the rows returned, newest kept. Defaults to 10000.
	Limit int
}

// SnapshotTimesParams select a vCenter's snapshot times.
type SnapshotTimesParams struct {
	Vcenter  string
	From, To time.Time
}

// DeleteSamplesParams select samples to delete.
type DeleteSamplesParams struct {
	// Vcenter limits deletion to one vCenter (optional).
	Vcenter string
	// Before is required.
	Before time.Time
}

// ---------------------------------------------------------------------------
// Latest-state inventory

// InventoryState reads the latest-state inventory written by WriteSnapshot.
type InventoryState interface {
	// ListVMs returns VMs ordered by (vcenter, vm_id), paginated.
	ListVMs(ctx context.Context, p *ListVMsParams) (*VMPage, error)
	// GetVM returns one VM or ErrNotFound.
	GetVM(ctx context.Context, p *GetVMParams) (*inventory.VM, error)
	// ListHosts returns hosts ordered by (vcenter, host_id).
	ListHosts(ctx context.Context, p *ListHostsParams) ([]inventory.Host, error)
	// ListClusters returns clusters ordered by (vcenter, cluster_id).
	ListClusters(ctx context.Context, p *ListClustersParams) ([]inventory.Cluster, error)
	// ListDatastores returns datastores ordered by (vcenter, datastore_id).
	ListDatastores(ctx context.Context, p *ListDatastoresParams) ([]inventory.Datastore, error)
	// ListNetworks returns networks ordered by (vcenter, network_id).
	ListNetworks(ctx context.Context, p *ListNetworksParams) ([]inventory.Network, error)
	// ListResourcePools returns pools ordered by (vcenter, pool_id).
	ListResourcePools(ctx context.Context, p *ListResourcePoolsParams) ([]inventory.ResourcePool, error)
	// StateTime returns the snapshot time of a vCenter's latest-state
	// inventory, or ErrNotFound.
	StateTime(ctx context.Context, vcenter string) (time.Time, error)
}

// ListVMsParams filter and page VMs. Zero values mean no filter.
type ListVMsParams struct {
	Vcenter        string
	HostID         string
	ResourcePoolID string
	DatastoreID    string
	NetworkID      string
	// Limit is the page size. Defaults to 1000; at most 10000.
	Limit int
	// Cursor is NextCursor of the previous page.
	Cursor string
}

// VMPage is one page of VMs.
type VMPage struct {
	VMs []inventory.VM
	// NextCursor is empty on the last page.
	NextCursor string
}

// GetVMParams name one VM.
type GetVMParams struct {
	Vcenter string
	VMID    string
}

// ListHostsParams filter hosts.
type ListHostsParams struct {
	Vcenter   string
	ClusterID string
	// IDs, when non-empty, keeps only the objects with these ids (a
	// detail's relations, read without the whole list).
	IDs []string
}

// ListClustersParams filter clusters.
type ListClustersParams struct {
	Vcenter string
	// IDs, when non-empty, keeps only the objects with these ids (a
	// detail's relations, read without the whole list).
	IDs []string
}

// ListDatastoresParams filter datastores.
type ListDatastoresParams struct {
	Vcenter string
	// HostID keeps datastores mounted by that host.
	HostID string
	// IDs, when non-empty, keeps only the objects with these ids (a
	// detail's relations, read without the whole list).
	IDs []string
}

// ListNetworksParams filter networks.
type ListNetworksParams struct {
	Vcenter string
	// IDs, when non-empty, keeps only the objects with these ids (a
	// detail's relations, read without the whole list).
	IDs []string
}

// ListResourcePoolsParams filter pools.
type ListResourcePoolsParams struct {
	Vcenter   string
	ClusterID string
	// IDs, when non-empty, keeps only the objects with these ids (a
	// detail's relations, read without the whole list).
	IDs []string
}

// ---------------------------------------------------------------------------
// Lifecycle

// Lifecycles reads and writes vm_lifecycle_cache.
type Lifecycles interface {
	// ApplyReconcile upserts lifecycle rows on (vcenter, vm_id) and appends
	// events (idempotently) in one transaction.
	ApplyReconcile(ctx context.Context, p *ApplyReconcileParams) error
	// ListLifecycles returns rows ordered by (vcenter, vm_id), paginated.
	ListLifecycles(ctx context.Context, p *ListLifecyclesParams) (*LifecyclePage, error)
	// GetLifecycle returns one row or ErrNotFound.
	GetLifecycle(ctx context.Context, p *GetLifecycleParams) (*inventory.Lifecycle, error)
	// ReconciledThrough returns the time of the newest snapshot of a
	// vCenter that has been reconciled (zero when none has): later
	// registered snapshots are still to be reconciled, in order.
	ReconciledThrough(ctx context.Context, p *ReconciledThroughParams) (time.Time, error)
	// ListEndpointEvents returns the kept endpoint events of a vCenter,
	// ordered by (time, vm_id, kind).
	ListEndpointEvents(ctx context.Context, p *ListEndpointEventsParams) ([]inventory.EndpointEvent, error)
}

// ApplyReconcileParams are the results of reconciling one snapshot. In
// one transaction the store upserts the lifecycle rows, appends the
// events, keeps the source events and moves the vCenter's reconciled
// watermark (ReconciledThrough) to SnapshotTime when that is later.
type ApplyReconcileParams struct {
	Vcenter      string
	SnapshotTime time.Time
	Lifecycles   []inventory.Lifecycle
	Events       []inventory.Event
	// EndpointEvents are endpoint events to keep (idempotent on vcenter,
	// vm_id, kind and time).
	EndpointEvents []inventory.EndpointEvent
}

// ReconciledThroughParams name a vCenter.
type ReconciledThroughParams struct{ Vcenter string }

// ListEndpointEventsParams filter kept endpoint events. Vcenter is required.
type ListEndpointEventsParams struct {
	Vcenter string
	// VMIDs keeps only these VMs when non-empty.
	VMIDs []string
	// From and To bound the event time, [From, To); zero means open.
	From, To time.Time
}

// ListLifecyclesParams filter and page lifecycle rows.
type ListLifecyclesParams struct {
	Vcenter string
	// Deleted filters on the deleted flag when non-nil.
	Deleted *bool
	// VMIDs keeps only these VMs when non-empty.
	VMIDs []string
	// Limit is the page size. Defaults to 1000; at most 100000.
	Limit  int
	Cursor string
}

// LifecyclePage is one page of lifecycle rows.
type LifecyclePage struct {
	Lifecycles []inventory.Lifecycle
	NextCursor string
}

// GetLifecycleParams name one lifecycle row.
type GetLifecycleParams struct {
	Vcenter string
	VMID    string
}

// ---------------------------------------------------------------------------
// Events

// Events reads and writes inventory_events.
type Events interface {
	// AppendEvents stores events, ignoring ones whose (vcenter,
	// snapshot_time, kind, vm_id) is already stored. IDs are assigned by
	// the store.
	AppendEvents(ctx context.Context, p *AppendEventsParams) error
	// ListEvents returns events ordered by (snapshot_time, id), ascending,
	// or descending when Descending is set; paginated.
	ListEvents(ctx context.Context, p *ListEventsParams) (*EventPage, error)
}

// AppendEventsParams are events to store.
type AppendEventsParams struct{ Events []inventory.Event }

// ListEventsParams filter and page events. Zero values mean no filter.
type ListEventsParams struct {
	Vcenter string
	VMID    string
	// Kinds keeps only these kinds when non-empty.
	Kinds []inventory.EventKind
	// From and To bound snapshot_time to [From, To).
	From, To time.Time
	// LiveOnly keeps only events a watcher appended (inventory.Event.Live).
	LiveOnly   bool
	Descending bool
	// Limit is the page size. Defaults to 100; at most 10000.
	Limit  int
	Cursor string
	// AfterID, when > 0, lists only events with a greater ID, ordered by
	// ID (the order they were appended) instead of snapshot_time: a reader
	// tails the log by passing the last ID it has seen. NextCursor then
	// stays empty (a page shorter than Limit is the last), and Cursor and
	// Descending must not be set. IDs grow in commit order across every
	// vCenter: a reader that has seen ID n and lists after n misses no
	// event committed later.
	AfterID int64
}

// EventPage is one page of events.
type EventPage struct {
	Events     []inventory.Event
	NextCursor string
}

// ---------------------------------------------------------------------------
// Rollups

// Rollups reads and writes vm_daily_rollup and vm_monthly_rollup. Rows
// keep every field, Attributes included; the summary compatibility tables
// written with Compat keep the replaced system's columns, without
// Attributes (see CompatTables).
type Rollups interface {
	// WriteDailyRollups replaces the rows of (Vcenter, Day) with Rows in one
	// transaction, in batches, and when Compat is set also replaces that
	// vCenter's rows in inventory_daily_summary_<YYYYMMDD>.
	WriteDailyRollups(ctx context.Context, p *WriteDailyRollupsParams) error
	// ScanDailyRollups streams rows ordered by (vcenter, day, vm_key). The
	// *DailyRollup passed to fn is only valid during the call.
	ScanDailyRollups(ctx context.Context, p *ScanRollupsParams, fn func(*inventory.DailyRollup) error) error
	// WriteMonthlyRollups replaces the rows of (Vcenter, Month) with Rows,
	// and with Compat also inventory_monthly_summary_<YYYYMM>.
	WriteMonthlyRollups(ctx context.Context, p *WriteMonthlyRollupsParams) error
	// ScanMonthlyRollups streams rows ordered by (vcenter, month, vm_key).
	ScanMonthlyRollups(ctx context.Context, p *ScanRollupsParams, fn func(*inventory.MonthlyRollup) error) error
}

// WriteDailyRollupsParams are the rollups of one vCenter and day.
type WriteDailyRollupsParams struct {
	Vcenter string
	// Day is the day start in the aggregation location; every row's Day
	// must equal it.
	Day    time.Time
	Rows   []inventory.DailyRollup
	Compat bool
	// BatchSize is rows per batched write. Defaults to DefaultBatchSize.
	BatchSize int
}

// WriteMonthlyRollupsParams are the rollups of one vCenter and month.
type WriteMonthlyRollupsParams struct {
	Vcenter   string
	Month     time.Time
	Rows      []inventory.MonthlyRollup
	Compat    bool
	BatchSize int
}

// ScanRollupsParams filter rollup scans. Zero values mean no filter.
type ScanRollupsParams struct {
	Vcenter string
	// From and To bound the period start to [From, To).
	From, To time.Time
	// VMKey keeps one VM.
	VMKey string
}

// ---------------------------------------------------------------------------
// Totals

// Totals reads vcenter_totals, vcenter_latest_totals and
// vcenter_aggregate_totals (written by WriteSnapshot and
// RefreshAggregateTotals).
type Totals interface {
	// ListTotals returns totals ordered by (vcenter, snapshot_time).
	ListTotals(ctx context.Context, p *ListTotalsParams) ([]inventory.Totals, error)
	// LatestTotals returns the newest totals of each vCenter (or of one),
	// ordered by vcenter.
	LatestTotals(ctx context.Context, p *LatestTotalsParams) ([]inventory.Totals, error)
	// RefreshAggregateTotals recomputes the aggregate of one vCenter over
	// [PeriodStart, PeriodEnd) from vcenter_totals and upserts it on
	// (vcenter, granularity, period_start). A period with no snapshots
	// deletes the row and returns ErrNotFound.
	RefreshAggregateTotals(ctx context.Context, p *RefreshAggregateTotalsParams) (*inventory.AggregateTotals, error)
	// ListAggregateTotals returns rows ordered by (vcenter, granularity,
	// period_start).
	ListAggregateTotals(ctx context.Context, p *ListAggregateTotalsParams) ([]inventory.AggregateTotals, error)
}

// ListTotalsParams filter totals.
type ListTotalsParams struct {
	Vcenter  string
	From, To time.Time
}

// LatestTotalsParams filter latest totals.
type LatestTotalsParams struct{ Vcenter string }

// RefreshAggregateTotalsParams name one aggregate period.
type RefreshAggregateTotalsParams struct {
	Vcenter     string
	Granularity inventory.Granularity
	PeriodStart time.Time
	PeriodEnd   time.Time
}

// ListAggregateTotalsParams filter aggregate totals.
type ListAggregateTotalsParams struct {
	Vcenter     string
	Granularity inventory.Granularity
	From, To    time.Time
}

// ---------------------------------------------------------------------------
// Registry

// Registry reads and writes snapshot_registry.
type Registry interface {
	// RegisterSnapshot upserts a record on (vcenter, kind, snapshot_time),
	// keeping the RegisteredAt and Duration of an existing record.
	RegisterSnapshot(ctx context.Context, p *RegisterSnapshotParams) error
	// ListSnapshots returns records ordered by (snapshot_time, vcenter),
	// newest first when Descending.
	ListSnapshots(ctx context.Context, p *ListSnapshotsParams) ([]inventory.SnapshotRecord, error)
}

// RegisterSnapshotParams carry one record.
type RegisterSnapshotParams struct{ Record inventory.SnapshotRecord }

// ListSnapshotsParams filter records. Zero values mean no filter.
type ListSnapshotsParams struct {
	Vcenter    string
	Kind       inventory.Granularity
	From, To   time.Time
	Descending bool
	// Limit caps the rows returned; 0 means no limit.
	Limit int
}

// ---------------------------------------------------------------------------
// Endpoints

// Endpoints reads and writes the endpoint registry and per-endpoint capture
// status. Credentials are opaque blobs, stored and returned as given.
type Endpoints interface {
	// UpsertEndpoint creates or updates an endpoint by name (validated with
	// inventory.Endpoint.Validate) and returns it as stored.
	UpsertEndpoint(ctx context.Context, p *UpsertEndpointParams) (*inventory.Endpoint, error)
	// GetEndpoint returns one endpoint or ErrNotFound.
	GetEndpoint(ctx context.Context, p *GetEndpointParams) (*inventory.Endpoint, error)
	// ListEndpoints returns endpoints ordered by name.
	ListEndpoints(ctx context.Context, p *ListEndpointsParams) ([]inventory.Endpoint, error)
	// DeleteEndpoint removes an endpoint and its status, or ErrNotFound.
	// Captured data is kept.
	DeleteEndpoint(ctx context.Context, p *DeleteEndpointParams) error
	// RecordCaptureStatus upserts an endpoint's capture status.
	RecordCaptureStatus(ctx context.Context, p *RecordCaptureStatusParams) error
	// ListCaptureStatus returns statuses ordered by endpoint.
	ListCaptureStatus(ctx context.Context, p *ListCaptureStatusParams) ([]inventory.CaptureStatus, error)
}

// UpsertEndpointParams carry one endpoint.
type UpsertEndpointParams struct{ Endpoint inventory.Endpoint }

// GetEndpointParams name one endpoint.
type GetEndpointParams struct{ Name string }

// ListEndpointsParams filter endpoints.
type ListEndpointsParams struct{ EnabledOnly bool }

// DeleteEndpointParams name one endpoint.
type DeleteEndpointParams struct{ Name string }

// RecordCaptureStatusParams carry one status.
type RecordCaptureStatusParams struct{ Status inventory.CaptureStatus }

// ListCaptureStatusParams filter statuses.
type ListCaptureStatusParams struct{ Endpoint string }

// ---------------------------------------------------------------------------
// Compatibility tables

// CompatKind is the kind of a compatibility table.
type CompatKind string

const (
	CompatHourly  CompatKind = "hourly"  // inventory_hourly_<YYYYMMDDHHMM>
	CompatDaily   CompatKind = "daily"   // inventory_daily_summary_<YYYYMMDD>
	CompatMonthly CompatKind = "monthly" // inventory_monthly_summary_<YYYYMM>
)

// CompatTable describes one compatibility table.
type CompatTable struct {
	Name string
	Kind CompatKind
	// Period is the snapshot time (hourly, UTC) or the period start as
	// encoded in the name (daily, monthly; midnight UTC of that date).
	Period time.Time
}

// CompatTables manages the per-period compatibility tables that older
// tooling reads. Each table holds every vCenter's rows for its period;
// writes replace one vCenter's rows. It is an optional interface (see
// Store): memstore, sqlitestore and pgstore implement it. A Store that does
// not refuses the Compat flag of its writes with ErrUnsupported.
//
// The summary tables (daily, monthly) keep the replaced system's columns:
// they have no attributes column, so the rows ReadCompatDaily and
// ReadCompatMonthly return have nil Attributes (and Partial false, and
// monthly rows no billable sums or coverage). The hourly tables keep the
// samples' Attributes.
type CompatTables interface {
	// WriteCompatHourly replaces Vcenter's rows in the hourly table of
	// SnapshotTime, creating it if needed.
	WriteCompatHourly(ctx context.Context, p *WriteCompatHourlyParams) error
	// ScanCompatHourly streams the rows of one hourly table ordered by
	// (vcenter, vm_key), or ErrNotFound when the table does not exist.
	ScanCompatHourly(ctx context.Context, p *ScanCompatParams, fn func(*inventory.Sample) error) error
	// ReadCompatDaily returns the rows of one daily summary table ordered
	// by (vcenter, vm_key), or ErrNotFound.
	ReadCompatDaily(ctx context.Context, p *ScanCompatParams) ([]inventory.DailyRollup, error)
	// ReadCompatMonthly returns the rows of one monthly summary table
	// ordered by (vcenter, vm_key), or ErrNotFound.
	ReadCompatMonthly(ctx context.Context, p *ScanCompatParams) ([]inventory.MonthlyRollup, error)
	// ListCompatTables lists tables ordered by (kind, period).
	ListCompatTables(ctx context.Context, p *ListCompatTablesParams) ([]CompatTable, error)
	// DropCompatTable drops one table by name, or ErrNotFound. Names that
	// are not compatibility table names are rejected.
	DropCompatTable(ctx context.Context, p *DropCompatTableParams) error
}

// WriteCompatHourlyParams carry one vCenter's rows of one hourly table.
type WriteCompatHourlyParams struct {
	Vcenter      string
	SnapshotTime time.Time
	Samples      []inventory.Sample
	BatchSize    int
}

// ScanCompatParams name one compatibility table, optionally one vCenter's
// rows in it.
type ScanCompatParams struct {
	Name    string
	Vcenter string
}

// ListCompatTablesParams filter tables. Zero values mean no filter.
type ListCompatTablesParams struct {
	Kind CompatKind
	// From and To bound Period to [From, To).
	From, To time.Time
}

// DropCompatTableParams name one table.
type DropCompatTableParams struct{ Name string }

// ---------------------------------------------------------------------------
// Rollups computed in the database

// AggregateSource is where SQLAggregator reads its input rows.
type AggregateSource int

const (
	// SourceCanonical reads the canonical tables: vm_hourly_stats for daily
	// rows, vm_daily_rollup for monthly rows.
	SourceCanonical AggregateSource = iota
	// SourceCompat reads the compatibility tables named in
	// CompatTables (UNION ALL): inventory_hourly_* for daily rows,
	// inventory_daily_summary_* for monthly rows. Repair, backfill and
	// validation only. The summary tables have no attributes, so monthly
	// rows computed from them have nil Attributes.
	SourceCompat
)

// SQLAggregator computes rollup rows in the database. It is an optional
// interface (see Store): sqlitestore and pgstore implement it. The rows follow
// SEMANTICS §2, §4 and §5 exactly as the aggregate package's Go builders
// do (floating point sums may differ in the last bits) and are returned,
// not written: the caller writes them through the Rollups methods.
type SQLAggregator interface {
	// AggregateDaily returns the daily rollup rows of one vCenter and day,
	// sorted by VMKey.
	AggregateDaily(ctx context.Context, p *AggregateDailyParams) ([]inventory.DailyRollup, error)
	// AggregateMonthly returns the monthly rollup rows of one vCenter and
	// month computed from daily rows, sorted by VMKey. CoverageDays and
	// DaysInMonth are left zero: they describe the month's registry, which
	// the caller stamps on every row.
	AggregateMonthly(ctx context.Context, p *AggregateMonthlyParams) ([]inventory.MonthlyRollup, error)
}

// SnapshotCounter counts snapshot registry records per period in the
// store. It is an optional interface (see Store): catch-up uses it to find
// the days and months due for aggregation without reading the hourly
// registry; with a store that lacks it, catch-up lists the records.
type SnapshotCounter interface {
	// CountSnapshots returns, for each vCenter and period holding records
	// of Kind, their number and newest RegisteredAt, ordered by (Period,
	// Vcenter). Periods without records are left out.
	CountSnapshots(ctx context.Context, p *CountSnapshotsParams) ([]SnapshotCount, error)
}

// CountSnapshotsParams select the records CountSnapshots counts.
type CountSnapshotsParams struct {
	// Kind is the registry kind counted. Required.
	Kind inventory.Granularity
	// Bounds are the periods' boundaries, strictly increasing and non-zero:
	// period i is [Bounds[i], Bounds[i+1]). At least two.
	Bounds []time.Time
}

// SnapshotCount is the number of registry records of one vCenter in one
// period.
type SnapshotCount struct {
	Vcenter string
	// Period is the index of the period's start in CountSnapshotsParams.Bounds.
	Period int
	Count  int
	// NewestRegisteredAt is the latest RegisteredAt of the period's records.
	NewestRegisteredAt time.Time
}

// ReportCatalog keeps generated report workbooks in the store, so that any
// replica (and the API) can list and serve every report. It is an optional
// interface (see Store): memstore, sqlitestore and pgstore implement it.
// The bytes are kept in chunks of at most ReportChunkSize, so writing and
// reading a report holds one chunk in memory, however large the workbook.
type ReportCatalog interface {
	// PutReport stores the bytes read from Body under Info.Key, replacing
	// the report already stored under that key, in one transaction: a put
	// that fails (Body's error included) leaves the previous report as it
	// was. It returns the report as stored (Size, SHA256, CreatedAt set).
	PutReport(ctx context.Context, p *PutReportParams) (*ReportInfo, error)
	// OpenReport returns a report's info and a reader of its bytes, or
	// ErrNotFound. The reader fetches one chunk at a time; if the report is
	// replaced or deleted while it is read, Read returns an error wrapping
	// ErrNotFound rather than mixing two versions. Close it.
	OpenReport(ctx context.Context, p *OpenReportParams) (*ReportInfo, io.ReadCloser, error)
	// ListReports returns reports ordered by key, paginated.
	ListReports(ctx context.Context, p *ListReportsParams) (*ReportPage, error)
	// DeleteReports deletes the reports named in Keys and, when Before is
	// set, those whose Period is before it, with their bytes. It returns
	// the keys deleted, sorted.
	DeleteReports(ctx context.Context, p *DeleteReportsParams) ([]string, error)
}

// ReportChunkSize is the size of the chunks a ReportCatalog keeps report
// bytes in.
const ReportChunkSize = 1 << 20

// ReportInfo describes a stored report.
type ReportInfo struct {
	// Key names the report: its file name (report.Request.FileName), unique.
	Key string `json:"key"`
	// Kind is the report kind (report.Kind: hourly, daily, monthly, ...).
	Kind    string `json:"kind"`
	Vcenter string `json:"vcenter"`
	// Period is the report's snapshot time (hourly) or period start.
	Period time.Time `json:"period"`
	// Size is the number of bytes; SHA256 their hex SHA-256.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// CreatedAt is when the report was stored (the store's clock).
	CreatedAt time.Time `json:"created_at"`
}

// PutReportParams carry one report. Info's Key, Kind and Period are
// required; Size, SHA256 and CreatedAt are computed by the store.
type PutReportParams struct {
	Info ReportInfo
	Body io.Reader
}

// OpenReportParams name a report.
type OpenReportParams struct{ Key string }

// ListReportsParams filter and page reports. Zero values mean no filter.
type ListReportsParams struct {
	Vcenter string
	Kind    string
	// From and To bound Period to [From, To).
	From, To time.Time
	// Limit is the page size. Defaults to 100; at most 1000.
	Limit  int
	Cursor string
}

// ReportPage is one page of reports.
type ReportPage struct {
	Reports    []ReportInfo
	NextCursor string
}

// DeleteReportsParams select the reports to delete: those named in Keys
// and, when Before is set, those whose Period is before it.
type DeleteReportsParams struct {
	Keys   []string
	Before time.Time
}

// AggregateDailyParams describe one vCenter-day to aggregate in the
// database.
type AggregateDailyParams struct {
	Vcenter string
	// From and To are the day window [From, To); From is also the rows'
	// Day.
	From, To time.Time
	// SnapshotTimes, when non-empty, are the registered complete snapshots
	// in the window: only samples taken at one of them count.
	SnapshotTimes []time.Time
	// TotalSamples is every row's total_samples.
	TotalSamples int
	// Tiers maps resource pools to tiers (the zero TierMap maps none).
	Tiers inventory.TierMap
	// Source selects the input tables. Defaults to SourceCanonical.
	Source AggregateSource
	// CompatTables are the inventory_hourly_* tables to read with
	// SourceCompat.
	CompatTables []string
}

// AggregateMonthlyParams describe one vCenter-month to aggregate in the
// database from daily rows.
type AggregateMonthlyParams struct {
	Vcenter string
	// From and To are the month window [From, To); From is also the rows'
	// Month.
	From, To time.Time
	// TotalSamples is every row's total_samples (Σ of the days' totals).
	TotalSamples int
	// Source selects the input tables. Defaults to SourceCanonical.
	Source AggregateSource
	// CompatTables are the inventory_daily_summary_* tables to read with
	// SourceCompat.
	CompatTables []string
}
