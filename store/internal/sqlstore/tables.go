package sqlstore

import (
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Canonical table names.
const (
	TableHourly          = "vm_hourly_stats"
	TableDaily           = "vm_daily_rollup"
	TableMonthly         = "vm_monthly_rollup"
	TableLifecycle       = "vm_lifecycle_cache"
	TableTotals          = "vcenter_totals"
	TableLatestTotals    = "vcenter_latest_totals"
	TableAggregateTotals = "vcenter_aggregate_totals"
	TableRegistry        = "snapshot_registry"
	TableEvents          = "inventory_events"
	TableReconcileState  = "reconcile_state"
	TableEndpointEvents  = "vm_endpoint_events"
	TableEndpoints       = "endpoints"
	TableEndpointStatus  = "endpoint_status"
	TableState           = "inv_state"
	TableVMs             = "inv_vms"
	TableHosts           = "inv_hosts"
	TableClusters        = "inv_clusters"
	TableDatastores      = "inv_datastores"
	TableNetworks        = "inv_networks"
	TablePools           = "inv_resource_pools"
	TableVMDatastores    = "vm_datastores"
	TableVMNetworks      = "vm_networks"
	TableDatastoreHosts  = "datastore_hosts"
	TableMigrations      = "schema_migrations"
	TableReportCatalog   = "report_catalog"
	TableReportChunks    = "report_chunks"
	// The store.EntityHistory tables.
	TableHistorySnapshots = "entity_history_snapshots"
	TableHostHistory      = "host_history"
	TableClusterHistory   = "cluster_history"
	TableDatastoreHistory = "datastore_history"
	TableExcludedHistory  = "excluded_vm_history"
	// The store.Details tables (migration 12 on PostgreSQL, 11 on
	// SQLite).
	TableVMDetails     = "vm_details"
	TableVMSnapshots   = "vm_snapshots"
	TableVMDisks       = "vm_disks"
	TableVMNICs        = "vm_nics"
	TableEntityDetails = "entity_details"
)

// Column is one column of a table whose DDL is generated.
type Column struct {
	Name string
	Kind ColKind
}

func names(cols []Column) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func without(cols []string, drop ...string) []string {
	var out []string
	for _, c := range cols {
		if !slices.Contains(drop, c) {
			out = append(out, c)
		}
	}
	return out
}

func list(cols []string) string { return strings.Join(cols, ", ") }

// ---------------------------------------------------------------------------
// Samples: vm_hourly_stats and inventory_hourly_*

// CompatSampleColumns are the columns of the hourly compatibility tables
// (the replaced system's layout), in write order.
var CompatSampleColumns = []Column{
	{"vcenter", KindText}, {"snapshot_time", KindTime}, {"vm_key", KindText}, {"vm_id", KindText},
	{"vm_uuid", KindText}, {"name", KindText}, {"datacenter", KindText}, {"cluster", KindText},
	{"host", KindText}, {"resource_pool", KindText}, {"folder", KindText}, {"power_state", KindText},
	{"is_template", KindBool}, {"vcpu_count", KindInt}, {"ram_mb", KindInt}, {"provisioned_disk_gb", KindFloat},
	{"used_disk_gb", KindFloat}, {"guest_os", KindText}, {"ip_address", KindText}, {"creation_time", KindTime},
	{"attributes", KindJSON},
}

// SampleColumns are the columns of vm_hourly_stats, in write order: the
// compatibility columns, then resource_pool_id (migration 4 on
// PostgreSQL, 3 on SQLite).
var SampleColumns = append(slices.Clip(CompatSampleColumns), Column{"resource_pool_id", KindText})

var (
	sampleCols       = names(SampleColumns)
	compatCols       = names(CompatSampleColumns)
	sampleSelectCols = list(without(sampleCols, "vm_key"))
	compatSelectCols = list(without(compatCols, "vm_key"))
	tracedCols       = "h." + strings.Join(without(sampleCols, "vm_key"), ", h.")
	sampleUpsert     = Upsert(sampleCols, "vcenter", "snapshot_time", "vm_key")
)

// SampleUpsertSet is the SET list of the samples upsert.
func SampleUpsertSet() string { return UpdateSet(sampleCols, "vcenter", "snapshot_time", "vm_key") }

// SampleRows returns the rows of samples, each stored at snapshot time st
// (or at its own, truncated to a second, when st is zero), in primary-key
// order (vcenter, snapshot_time, vm_key): inserted in that order, rows
// append to the right edge of the primary-key index (PostgreSQL then skips
// the descent from its root for each row: 15% off a COPY into
// vm_hourly_stats) and lie in the table in the order scans read them.
func (c *Core) SampleRows(samples []inventory.Sample, st time.Time, batch int) *RowSource {
	return c.sampleRows(samples, st, batch, false)
}

// sampleRows returns SampleRows, or the rows of an hourly compatibility
// table (CompatSampleColumns).
func (c *Core) sampleRows(samples []inventory.Sample, st time.Time, batch int, compat bool) *RowSource {
	cols := sampleCols
	if compat {
		cols = compatCols
	}
	var fixed any
	var at time.Time
	if !st.IsZero() {
		at = driver.NormTime(store.SnapshotTime(st))
		fixed = c.d.Time(at)
	}
	order := sampleOrder(samples, st)
	get := func(i int) *inventory.Sample {
		if order != nil {
			return &samples[order[i]]
		}
		return &samples[i]
	}
	return &RowSource{N: len(samples), Cols: cols, Batch: batch, Row: func(i int, dst []any) []any {
		s := get(i)
		t := fixed
		if t == nil {
			t = c.time(store.SnapshotTime(s.SnapshotTime))
		}
		dst = append(dst, s.Vcenter, t, s.Key(), s.VMID, s.VMUUID, s.Name, s.Datacenter, s.Cluster, s.Host,
			s.ResourcePool, s.Folder, string(s.PowerState), s.IsTemplate, s.VCPUCount, s.RAMMB, s.ProvisionedDiskGB,
			s.UsedDiskGB, s.GuestOS, s.IPAddress, c.time(s.CreationTime), jsonMap(s.Attributes))
		if !compat {
			dst = append(dst, s.ResourcePoolID)
		}
		return dst
	}, Encode: func(i int, w ValueWriter) {
		s := get(i)
		t := at
		if t.IsZero() {
			t = driver.NormTime(store.SnapshotTime(s.SnapshotTime))
		}
		w.Text(s.Vcenter)
		w.Time(t)
		w.Text(s.Key())
		w.Text(s.VMID)
		w.Text(s.VMUUID)
		w.Text(s.Name)
		w.Text(s.Datacenter)
		w.Text(s.Cluster)
		w.Text(s.Host)
		w.Text(s.ResourcePool)
		w.Text(s.Folder)
		w.Text(string(s.PowerState))
		w.Bool(s.IsTemplate)
		w.Int(int64(s.VCPUCount))
		w.Int(s.RAMMB)
		w.Float(s.ProvisionedDiskGB)
		w.Float(s.UsedDiskGB)
		w.Text(s.GuestOS)
		w.Text(s.IPAddress)
		w.Time(driver.NormTime(s.CreationTime))
		w.JSON(jsonMapBytes(s.Attributes))
		if !compat {
			w.Text(s.ResourcePoolID)
		}
	}}
}

// sampleOrder returns the permutation putting samples in primary-key
// order (as stored at st, or at their own times when st is zero), or nil
// when they already are in it.
func sampleOrder(samples []inventory.Sample, st time.Time) []int32 {
	if len(samples) < 2 {
		return nil
	}
	// Usually every sample has the same vCenter and time: then only keys
	// are compared. Otherwise times are truncated once, up front.
	var times []time.Time
	same := true
	if st.IsZero() {
		times = make([]time.Time, len(samples))
		for i := range samples {
			times[i] = store.SnapshotTime(samples[i].SnapshotTime)
		}
	}
	for i := 1; i < len(samples) && same; i++ {
		same = samples[i].Vcenter == samples[0].Vcenter && (times == nil || times[i].Equal(times[0]))
	}
	cmp := func(a, b int32) int {
		x, y := &samples[a], &samples[b]
		if !same {
			if c := strings.Compare(x.Vcenter, y.Vcenter); c != 0 {
				return c
			}
			if times != nil {
				if c := times[a].Compare(times[b]); c != 0 {
					return c
				}
			}
		}
		return strings.Compare(x.Key(), y.Key())
	}
	sorted := true
	for i := 1; i < len(samples) && sorted; i++ {
		sorted = cmp(int32(i-1), int32(i)) <= 0
	}
	if sorted {
		return nil
	}
	order := make([]int32, len(samples))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, cmp)
	return order
}

// sampleDest returns scan destinations for sampleSelectCols into s.
func sampleDest(s *inventory.Sample) []any {
	return append(compatSampleDest(s), &s.ResourcePoolID)
}

// compatSampleDest returns scan destinations for compatSelectCols into s.
func compatSampleDest(s *inventory.Sample) []any {
	return []any{&s.Vcenter, timeDest{&s.SnapshotTime}, &s.VMID, &s.VMUUID, &s.Name, &s.Datacenter, &s.Cluster,
		&s.Host, &s.ResourcePool, &s.Folder, (*string)(&s.PowerState), &s.IsTemplate, &s.VCPUCount, &s.RAMMB,
		&s.ProvisionedDiskGB, &s.UsedDiskGB, &s.GuestOS, &s.IPAddress, timeDest{&s.CreationTime},
		mapDest{&s.Attributes}}
}

// ---------------------------------------------------------------------------
// Rollups: vm_daily_rollup, vm_monthly_rollup and the summary tables

func rollupColumns(period string, monthly bool) []Column {
	cols := []Column{
		{"vcenter", KindText}, {period, KindTime}, {"vm_key", KindText}, {"vm_id", KindText}, {"vm_uuid", KindText},
		{"name", KindText}, {"datacenter", KindText}, {"cluster", KindText}, {"host", KindText},
		{"resource_pool", KindText}, {"folder", KindText}, {"power_state", KindText}, {"guest_os", KindText},
		{"is_template", KindBool}, {"total_samples", KindInt}, {"samples_present", KindInt},
		{"avg_is_present", KindFloat}, {"samples_powered_on", KindInt}, {"avg_powered_on", KindFloat},
		{"avg_vcpu_count", KindFloat}, {"avg_ram_gb", KindFloat}, {"avg_provisioned_disk_gb", KindFloat},
		{"avg_used_disk_gb", KindFloat}, {"pool_tin_pct", KindFloat}, {"pool_bronze_pct", KindFloat},
		{"pool_silver_pct", KindFloat}, {"pool_gold_pct", KindFloat}, {"first_seen", KindTime},
		{"last_seen", KindTime}, {"creation_time", KindTime}, {"deletion_time", KindTime},
	}
	if monthly {
		cols = append(cols, Column{"days_present", KindInt})
	}
	return cols
}

// DailyColumns and MonthlyColumns are the rollup tables' columns;
// CompatDailyColumns and CompatMonthlyColumns those of the summary
// compatibility tables (the replaced system's layout: no partial mark,
// billable sums, coverage or attributes). The attributes column (migration
// 9 on PostgreSQL, 8 on SQLite) is encoded as vm_hourly_stats' is; the
// daily utilisation columns (migration 17 on PostgreSQL, 16 on SQLite)
// are daily only.
var (
	CompatDailyColumns   = rollupColumns("day", false)
	CompatMonthlyColumns = rollupColumns("month", true)
	DailyColumns         = append(slices.Clip(CompatDailyColumns), Column{"partial", KindBool}, Column{"attributes", KindJSON},
		Column{"util_samples", KindInt}, Column{"avg_cpu_mhz", KindFloat}, Column{"peak_cpu_mhz", KindFloat},
		Column{"avg_cpu_pct", KindFloat}, Column{"peak_cpu_pct", KindFloat}, Column{"avg_mem_pct", KindFloat},
		Column{"peak_mem_pct", KindFloat})
	MonthlyColumns = append(slices.Clip(CompatMonthlyColumns), Column{"vcpu_days", KindFloat},
		Column{"ram_gb_days", KindFloat}, Column{"provisioned_disk_gb_days", KindFloat}, Column{"used_disk_gb_days", KindFloat},
		Column{"coverage_days", KindInt}, Column{"days_in_month", KindInt}, Column{"partial", KindBool},
		Column{"attributes", KindJSON})
	dailyCols         = names(DailyColumns)
	monthlyCols       = names(MonthlyColumns)
	compatDailyCols   = names(CompatDailyColumns)
	compatMonthlyCols = names(CompatMonthlyColumns)
)

// dailyDest returns scan destinations for dailyCols into r.
func dailyDest(r *inventory.DailyRollup) []any {
	u := &r.Utilisation
	return append(rollupDest(&r.Day, &r.Rollup), &r.Partial, mapDest{&r.Attributes},
		&u.UtilSamples, &u.AvgCPUMHz, &u.PeakCPUMHz, &u.AvgCPUPct, &u.PeakCPUPct, &u.AvgMemPct, &u.PeakMemPct)
}

// monthlyDest returns scan destinations for monthlyCols into r.
func monthlyDest(r *inventory.MonthlyRollup) []any {
	return append(compatMonthlyDest(r), &r.VCPUDays, &r.RAMGBDays, &r.ProvisionedDiskGBDays, &r.UsedDiskGBDays,
		&r.CoverageDays, &r.DaysInMonth, &r.Partial, mapDest{&r.Attributes})
}

// compatMonthlyDest returns scan destinations for compatMonthlyCols.
func compatMonthlyDest(r *inventory.MonthlyRollup) []any {
	return append(rollupDest(&r.Month, &r.Rollup), &r.DaysPresent)
}

func (c *Core) rollupArgs(dst []any, period time.Time, r *inventory.Rollup) []any {
	return append(dst, r.Vcenter, c.time(period), r.VMKey, r.VMID, r.VMUUID, r.Name, r.Datacenter, r.Cluster, r.Host,
		r.ResourcePool, r.Folder, string(r.PowerState), r.GuestOS, r.IsTemplate, r.TotalSamples, r.SamplesPresent,
		r.AvgIsPresent, r.SamplesPoweredOn, r.AvgPoweredOn, r.AvgVCPUCount, r.AvgRAMGB, r.AvgProvisionedDiskGB,
		r.AvgUsedDiskGB, r.PoolTinPct, r.PoolBronzePct, r.PoolSilverPct, r.PoolGoldPct, c.time(r.FirstSeen),
		c.time(r.LastSeen), c.time(r.CreationTime), c.time(r.DeletionTime))
}

// rollupEncode writes the values rollupArgs appends through w, typed
// (RowSource.Encode): pgstore's COPY then formats them without boxing each
// in an interface. period is already normalised.
func rollupEncode(w ValueWriter, period time.Time, r *inventory.Rollup) {
	w.Text(r.Vcenter)
	w.Time(period)
	w.Text(r.VMKey)
	w.Text(r.VMID)
	w.Text(r.VMUUID)
	w.Text(r.Name)
	w.Text(r.Datacenter)
	w.Text(r.Cluster)
	w.Text(r.Host)
	w.Text(r.ResourcePool)
	w.Text(r.Folder)
	w.Text(string(r.PowerState))
	w.Text(r.GuestOS)
	w.Bool(r.IsTemplate)
	w.Int(int64(r.TotalSamples))
	w.Int(int64(r.SamplesPresent))
	w.Float(r.AvgIsPresent)
	w.Int(int64(r.SamplesPoweredOn))
	w.Float(r.AvgPoweredOn)
	w.Float(r.AvgVCPUCount)
	w.Float(r.AvgRAMGB)
	w.Float(r.AvgProvisionedDiskGB)
	w.Float(r.AvgUsedDiskGB)
	w.Float(r.PoolTinPct)
	w.Float(r.PoolBronzePct)
	w.Float(r.PoolSilverPct)
	w.Float(r.PoolGoldPct)
	w.Time(driver.NormTime(r.FirstSeen))
	w.Time(driver.NormTime(r.LastSeen))
	w.Time(driver.NormTime(r.CreationTime))
	w.Time(driver.NormTime(r.DeletionTime))
}

func rollupDest(period *time.Time, r *inventory.Rollup) []any {
	return []any{&r.Vcenter, timeDest{period}, &r.VMKey, &r.VMID, &r.VMUUID, &r.Name, &r.Datacenter, &r.Cluster,
		&r.Host, &r.ResourcePool, &r.Folder, (*string)(&r.PowerState), &r.GuestOS, &r.IsTemplate, &r.TotalSamples,
		&r.SamplesPresent, &r.AvgIsPresent, &r.SamplesPoweredOn, &r.AvgPoweredOn, &r.AvgVCPUCount, &r.AvgRAMGB,
		&r.AvgProvisionedDiskGB, &r.AvgUsedDiskGB, &r.PoolTinPct, &r.PoolBronzePct, &r.PoolSilverPct,
		&r.PoolGoldPct, timeDest{&r.FirstSeen}, timeDest{&r.LastSeen}, timeDest{&r.CreationTime},
		timeDest{&r.DeletionTime}}
}

// ---------------------------------------------------------------------------
// Totals

var totalsCols = []string{"vcenter", "snapshot_time", "vm_count", "template_count", "powered_on_count", "vcpu_total",
	"ram_gb_total", "provisioned_disk_gb_total", "host_count", "cluster_count", "datastore_count",
	"datastore_capacity_gb", "datastore_free_gb"}

func (c *Core) totalsArgs(dst []any, t *inventory.Totals) []any {
	return append(dst, t.Vcenter, c.time(t.SnapshotTime), t.VMCount, t.TemplateCount, t.PoweredOnCount, t.VCPUTotal,
		t.RAMGBTotal, t.ProvisionedDiskGBTotal, t.HostCount, t.ClusterCount, t.DatastoreCount,
		t.DatastoreCapacityGB, t.DatastoreFreeGB)
}

func totalsDest(t *inventory.Totals) []any {
	return []any{&t.Vcenter, timeDest{&t.SnapshotTime}, &t.VMCount, &t.TemplateCount, &t.PoweredOnCount,
		&t.VCPUTotal, &t.RAMGBTotal, &t.ProvisionedDiskGBTotal, &t.HostCount, &t.ClusterCount, &t.DatastoreCount,
		&t.DatastoreCapacityGB, &t.DatastoreFreeGB}
}

var aggregateCols = []string{"vcenter", "granularity", "period_start", "snapshot_count", "vm_count", "template_count",
	"powered_on_count", "vcpu_total", "ram_gb_total", "provisioned_disk_gb_total", "host_count", "cluster_count",
	"datastore_count", "datastore_capacity_gb", "datastore_free_gb"}

func (c *Core) aggregateArgs(dst []any, a *inventory.AggregateTotals) []any {
	return append(dst, a.Vcenter, string(a.Granularity), c.time(a.PeriodStart), a.SnapshotCount, a.VMCount,
		a.TemplateCount, a.PoweredOnCount, a.VCPUTotal, a.RAMGBTotal, a.ProvisionedDiskGBTotal, a.HostCount,
		a.ClusterCount, a.DatastoreCount, a.DatastoreCapacityGB, a.DatastoreFreeGB)
}

func aggregateDest(a *inventory.AggregateTotals) []any {
	return []any{&a.Vcenter, (*string)(&a.Granularity), timeDest{&a.PeriodStart}, &a.SnapshotCount, &a.VMCount,
		&a.TemplateCount, &a.PoweredOnCount, &a.VCPUTotal, &a.RAMGBTotal, &a.ProvisionedDiskGBTotal, &a.HostCount,
		&a.ClusterCount, &a.DatastoreCount, &a.DatastoreCapacityGB, &a.DatastoreFreeGB}
}

// ---------------------------------------------------------------------------
// Registry

var registryCols = []string{"vcenter", "kind", "snapshot_time", "table_name", "row_count", "duration", "registered_at", "partial"}

func (c *Core) registryArgs(dst []any, r *inventory.SnapshotRecord) []any {
	return append(dst, r.Vcenter, string(r.Kind), c.time(r.SnapshotTime), r.TableName, r.RowCount,
		int64(r.Duration), c.time(r.RegisteredAt), r.Partial)
}

func registryDest(r *inventory.SnapshotRecord) []any {
	return []any{&r.Vcenter, (*string)(&r.Kind), timeDest{&r.SnapshotTime}, &r.TableName, &r.RowCount,
		durationDest{&r.Duration}, timeDest{&r.RegisteredAt}, &r.Partial}
}

// ---------------------------------------------------------------------------
// Lifecycle and events

var lifecycleCols = []string{"vcenter", "vm_id", "vm_uuid", "name", "first_seen", "last_seen", "creation_time",
	"creation_source", "deletion_time", "deletion_source", "deleted"}

func (c *Core) lifecycleArgs(dst []any, l *inventory.Lifecycle) []any {
	return append(dst, l.Vcenter, l.VMID, l.VMUUID, l.Name, c.time(l.FirstSeen), c.time(l.LastSeen),
		c.time(l.CreationTime), string(l.CreationSource), c.time(l.DeletionTime), string(l.DeletionSource), l.Deleted)
}

func lifecycleDest(l *inventory.Lifecycle) []any {
	return []any{&l.Vcenter, &l.VMID, &l.VMUUID, &l.Name, timeDest{&l.FirstSeen}, timeDest{&l.LastSeen},
		timeDest{&l.CreationTime}, (*string)(&l.CreationSource), timeDest{&l.DeletionTime}, (*string)(&l.DeletionSource), &l.Deleted}
}

var endpointEventCols = []string{"vcenter", "vm_id", "kind", "event_time"}

func (c *Core) endpointEventArgs(dst []any, e *inventory.EndpointEvent) []any {
	return append(dst, e.Vcenter, e.VMID, e.Kind, c.time(e.Time))
}

func endpointEventDest(e *inventory.EndpointEvent) []any {
	return []any{&e.Vcenter, &e.VMID, &e.Kind, timeDest{&e.Time}}
}

// eventCols are written; "before" and "after" are quoted everywhere. live
// is migration 14 on PostgreSQL, 13 on SQLite.
var eventCols = []string{"vcenter", "snapshot_time", "kind", "vm_id", "vm_uuid", "name", `"before"`, `"after"`, "live"}

const eventSelectCols = `id, vcenter, snapshot_time, kind, vm_id, vm_uuid, name, "before", "after", live`

func (c *Core) eventArgs(dst []any, e *inventory.Event) []any {
	return append(dst, e.Vcenter, c.time(e.SnapshotTime), string(e.Kind), e.VMID, e.VMUUID, e.Name, jsonMap(e.Before),
		jsonMap(e.After), e.Live)
}

func eventDest(e *inventory.Event) []any {
	return []any{&e.ID, &e.Vcenter, timeDest{&e.SnapshotTime}, (*string)(&e.Kind), &e.VMID, &e.VMUUID, &e.Name,
		mapDest{&e.Before}, mapDest{&e.After}, &e.Live}
}

// ---------------------------------------------------------------------------
// Endpoints

var endpointCols = []string{"name", "url", "kind", "username", "credential", "tls", "tags", "poll_interval", "enabled",
	"created_at", "updated_at", "scope"}

func (c *Core) endpointArgs(dst []any, e *inventory.Endpoint) []any {
	return append(dst, e.Name, e.URL, string(e.Kind), e.Username, bytesArg(e.Credential), jsonValue(e.TLS),
		jsonMap(e.Tags), int64(e.PollInterval), e.Enabled, c.time(e.CreatedAt), c.time(e.UpdatedAt), jsonValue(e.Scope))
}

func endpointDest(e *inventory.Endpoint) []any {
	return []any{&e.Name, &e.URL, (*string)(&e.Kind), &e.Username, bytesDest{&e.Credential}, jsonDest{&e.TLS},
		mapDest{&e.Tags}, durationDest{&e.PollInterval}, &e.Enabled, timeDest{&e.CreatedAt}, timeDest{&e.UpdatedAt},
		jsonDest{&e.Scope}}
}

var statusCols = []string{"endpoint", "last_attempt", "last_success", "last_error", "last_duration",
	"consecutive_failures", "counts"}

func (c *Core) statusArgs(dst []any, s *inventory.CaptureStatus) []any {
	return append(dst, s.Endpoint, c.time(s.LastAttempt), c.time(s.LastSuccess), s.LastError, int64(s.LastDuration),
		s.ConsecutiveFailures, jsonValue(s.Counts))
}

func statusDest(s *inventory.CaptureStatus) []any {
	return []any{&s.Endpoint, timeDest{&s.LastAttempt}, timeDest{&s.LastSuccess}, &s.LastError,
		durationDest{&s.LastDuration}, &s.ConsecutiveFailures, jsonDest{&s.Counts}}
}

// ---------------------------------------------------------------------------
// Latest-state inventory

// vmCols are the columns of inv_vms that are read; vmWriteCols those
// written: also the search columns of store.Querier (see query.go), before
// snapshot_time, which ends every entity table's columns.
var (
	vmCols = []string{"vcenter", "vm_id", "vm_uuid", "name", "datacenter", "cluster", "host", "host_id",
		"resource_pool", "resource_pool_id", "folder", "power_state", "is_template", "vcpu_count", "ram_mb",
		"provisioned_disk_gb", "used_disk_gb", "guest_os", "ip_address", "creation_time", "attributes", "snapshot_time"}
	vmWriteCols = append(slices.Clone(vmCols[:len(vmCols)-1]), "search_key", "search_os", "search_tags", "snapshot_time")
)

// vmArgs appends the values of vmWriteCols.
func (c *Core) vmArgs(dst []any, v *inventory.VM, st any) []any {
	return append(dst, v.Vcenter, v.ID, v.UUID, v.Name, v.Datacenter, v.Cluster, v.Host, v.HostID, v.ResourcePool,
		v.ResourcePoolID, v.Folder, string(v.PowerState), v.IsTemplate, v.VCPUCount, v.RAMMB, v.ProvisionedDiskGB,
		v.UsedDiskGB, v.GuestOS, v.IPAddress, c.time(v.CreationTime), jsonMap(v.Attributes), vmSearchKey(v),
		driver.FoldASCII(v.GuestOS), vmSearchTags(v), st)
}

func vmDest(v *inventory.VM) []any {
	return []any{&v.Vcenter, &v.ID, &v.UUID, &v.Name, &v.Datacenter, &v.Cluster, &v.Host, &v.HostID,
		&v.ResourcePool, &v.ResourcePoolID, &v.Folder, (*string)(&v.PowerState), &v.IsTemplate, &v.VCPUCount, &v.RAMMB,
		&v.ProvisionedDiskGB, &v.UsedDiskGB, &v.GuestOS, &v.IPAddress, timeDest{&v.CreationTime},
		mapDest{&v.Attributes}, timeDest{&v.SnapshotTime}}
}

var excludedCols = []string{"vcenter", "vm_id", "vm_uuid", "name", "reason", "snapshot_time"}

func excludedArgs(dst []any, x *inventory.ExcludedVM, st any) []any {
	return append(dst, x.Vcenter, x.VMID, x.VMUUID, x.Name, x.Reason, st)
}

func excludedDest(x *inventory.ExcludedVM) []any {
	return []any{&x.Vcenter, &x.VMID, &x.VMUUID, &x.Name, &x.Reason, timeDest{&x.SnapshotTime}}
}

var hostCols = []string{"vcenter", "host_id", "name", "datacenter", "cluster_id", "cluster", "connection_state",
	"power_state", "in_maintenance", "vendor", "model", "cpu_model", "cpu_sockets", "cpu_cores", "cpu_threads",
	"cpu_mhz", "memory_mb", "version", "build", "cpu_usage_mhz", "memory_usage_mb", "snapshot_time"}

func hostArgs(dst []any, h *inventory.Host, st any) []any {
	return append(dst, h.Vcenter, h.ID, h.Name, h.Datacenter, h.ClusterID, h.Cluster, h.ConnectionState,
		string(h.PowerState), h.InMaintenance, h.Vendor, h.Model, h.CPUModel, h.CPUSockets, h.CPUCores, h.CPUThreads,
		h.CPUMhz, h.MemoryMB, h.Version, h.Build, h.CPUUsageMHz, h.MemoryUsageMB, st)
}

func hostDest(h *inventory.Host) []any {
	return []any{&h.Vcenter, &h.ID, &h.Name, &h.Datacenter, &h.ClusterID, &h.Cluster, &h.ConnectionState,
		(*string)(&h.PowerState), &h.InMaintenance, &h.Vendor, &h.Model, &h.CPUModel, &h.CPUSockets, &h.CPUCores,
		&h.CPUThreads, &h.CPUMhz, &h.MemoryMB, &h.Version, &h.Build, &h.CPUUsageMHz, &h.MemoryUsageMB,
		timeDest{&h.SnapshotTime}}
}

var clusterCols = []string{"vcenter", "cluster_id", "name", "datacenter", "num_hosts", "total_cpu_mhz",
	"total_memory_mb", "drs_enabled", "ha_enabled", "snapshot_time"}

func clusterArgs(dst []any, x *inventory.Cluster, st any) []any {
	return append(dst, x.Vcenter, x.ID, x.Name, x.Datacenter, x.NumHosts, x.TotalCPUMhz, x.TotalMemoryMB,
		x.DRSEnabled, x.HAEnabled, st)
}

func clusterDest(x *inventory.Cluster) []any {
	return []any{&x.Vcenter, &x.ID, &x.Name, &x.Datacenter, &x.NumHosts, &x.TotalCPUMhz, &x.TotalMemoryMB,
		&x.DRSEnabled, &x.HAEnabled, timeDest{&x.SnapshotTime}}
}

var datastoreCols = []string{"vcenter", "datastore_id", "name", "datacenter", "type", "url", "capacity_gb", "free_gb",
	"uncommitted_gb", "accessible", "snapshot_time"}

func datastoreArgs(dst []any, d *inventory.Datastore, st any) []any {
	return append(dst, d.Vcenter, d.ID, d.Name, d.Datacenter, d.Type, d.URL, d.CapacityGB, d.FreeGB, d.UncommittedGB, d.Accessible, st)
}

func datastoreDest(d *inventory.Datastore) []any {
	return []any{&d.Vcenter, &d.ID, &d.Name, &d.Datacenter, &d.Type, &d.URL, &d.CapacityGB, &d.FreeGB,
		&d.UncommittedGB, &d.Accessible, timeDest{&d.SnapshotTime}}
}

var networkCols = []string{"vcenter", "network_id", "name", "datacenter", "kind", "switch", "vlan", "snapshot_time"}

func networkArgs(dst []any, n *inventory.Network, st any) []any {
	return append(dst, n.Vcenter, n.ID, n.Name, n.Datacenter, n.Kind, n.Switch, n.VLAN, st)
}

func networkDest(n *inventory.Network) []any {
	return []any{&n.Vcenter, &n.ID, &n.Name, &n.Datacenter, &n.Kind, &n.Switch, &n.VLAN, timeDest{&n.SnapshotTime}}
}

var poolCols = []string{"vcenter", "pool_id", "name", "path", "datacenter", "cluster_id", "cluster", "parent_id",
	"cpu_limit_mhz", "memory_limit_mb", "snapshot_time"}

func poolArgs(dst []any, p *inventory.ResourcePool, st any) []any {
	return append(dst, p.Vcenter, p.ID, p.Name, p.Path, p.Datacenter, p.ClusterID, p.Cluster, p.ParentID,
		p.CPULimitMhz, p.MemoryLimitMB, st)
}

func poolDest(p *inventory.ResourcePool) []any {
	return []any{&p.Vcenter, &p.ID, &p.Name, &p.Path, &p.Datacenter, &p.ClusterID, &p.Cluster, &p.ParentID,
		&p.CPULimitMhz, &p.MemoryLimitMB, timeDest{&p.SnapshotTime}}
}
