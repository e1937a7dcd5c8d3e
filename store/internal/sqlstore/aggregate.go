package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

// Rollups computed in the database (store.SQLAggregator).
//
// Both queries follow the same shape:
//
//	src  the period's input rows (canonical table, or a UNION ALL over
//	     compatibility tables)
//	g    src with its identity group key (SEMANTICS §2): 'i:'||vm_id when
//	     the row has a vm_id; else, when it has a vm_uuid, the vm_id of the
//	     earliest row of the period carrying that uuid and a vm_id, else
//	     'u:'||vm_uuid; else 'n:'||name
//	d    one row per (group, period instant): the smallest vm_key, i.e. the
//	     first row the Go builders see in scan order
//	a    GROUP BY group: counts, sums, min/max
//	     joined with the group's latest row (attributes) and its lifecycle
//	     row (creation_time, deletion_time)
//
// Ratios are computed the way the Go builders compute them (integer sums
// first, then one division), so integer-based figures are bit-identical;
// sums of floating point values may differ in the last bits with the
// summation order.

// groupKeyExpr is the identity group key of a row of the CTE src aliased
// s; at is the period instant column. A row without a vm_id resolves
// first over the vCenter's history, to the lifecycle row with a vm_id
// that carried its uuid (else its name) most recently, then within the
// period, to the earliest row with a vm_id carrying its uuid (name), the
// way inventory.Identities and lifecycle.Resolver do in the Go builders.
func (c *Core) groupKeyExpr(at string) string {
	lc := func(col string) string {
		return `(SELECT 'i:' || l.vm_id FROM ` + c.d.Table(TableLifecycle) + ` l WHERE l.vcenter = s.vcenter AND l.` + col + ` = s.` + col +
			` AND l.vm_id NOT LIKE 'uuid:%' AND l.vm_id NOT LIKE 'name:%' ORDER BY l.last_seen DESC, l.vm_id LIMIT 1)`
	}
	win := func(col string) string {
		return `(SELECT 'i:' || u.vm_id FROM src u WHERE u.` + col + ` = s.` + col + ` AND u.vm_id <> '' ORDER BY u.` + at + `, u.vm_key LIMIT 1)`
	}
	return `CASE WHEN s.vm_id <> '' THEN 'i:' || s.vm_id
	WHEN s.vm_uuid <> '' THEN COALESCE(` + lc("vm_uuid") + `, ` + win("vm_uuid") + `, 'u:' || s.vm_uuid)
	ELSE COALESCE(` + lc("name") + `, ` + win("name") + `, 'n:' || s.name) END`
}

// lifecycleJoin joins the group's lifecycle row on (vcenter, vm_id) with
// the vm_id taken out of the group key, so the primary key serves it.
func (c *Core) lifecycleJoin() string {
	return "LEFT JOIN " + c.d.Table(TableLifecycle) + " lc ON lc.vcenter = ? AND lc.vm_id = " +
		"(CASE WHEN substr(a.gkey, 1, 2) = 'i:' THEN substr(a.gkey, 3) END)"
}

// unionSource returns "SELECT cols FROM t1 WHERE vcenter = ? UNION ALL
// ..." over validated compatibility tables of kind, and its arguments.
func (c *Core) unionSource(cols string, tables []string, kind store.CompatKind, vc string) (string, []any, error) {
	var b strings.Builder
	var args []any
	for i, name := range tables {
		t, ok := driver.ParseCompatTableName(name)
		if !ok || t.Kind != kind {
			return "", nil, fmt.Errorf("%q is not a %s compatibility table name", name, kind)
		}
		if i > 0 {
			b.WriteString(" UNION ALL ")
		}
		b.WriteString("SELECT " + cols + " FROM " + c.d.Table(name) + " WHERE vcenter = ?")
		args = append(args, vc)
	}
	return b.String(), args, nil
}

// poolTiers returns a CASE expression giving the tier index (0 Tin ..
// 3 Gold, -1 none) of column col, with its arguments: the distinct pools
// of the source are mapped in Go with the configured TierMap and passed as
// parameters, so the database applies exactly the mapping the Go builders
// apply.
func (c *Core) poolTiers(ctx context.Context, srcSQL string, srcArgs []any, tm inventory.TierMap) (string, []any, error) {
	rows, err := c.db.QueryContext(ctx, "WITH src AS ("+srcSQL+") SELECT DISTINCT resource_pool FROM src", srcArgs...)
	if err != nil {
		return "", nil, err
	}
	defer rows.Close()
	var b strings.Builder
	var args []any
	b.WriteString("CASE s.resource_pool")
	n := 0
	for rows.Next() {
		var pool string
		if err := rows.Scan(&pool); err != nil {
			return "", nil, err
		}
		idx := -1
		for i, t := range inventory.Tiers() {
			if t != inventory.TierNone && tm.Of(pool) == t {
				idx = i
			}
		}
		if idx < 0 {
			continue
		}
		b.WriteString(fmt.Sprintf(" WHEN ? THEN %d", idx))
		args = append(args, pool)
		n++
	}
	if err := rows.Err(); err != nil {
		return "", nil, err
	}
	if n == 0 {
		return "-1", nil, nil
	}
	b.WriteString(" ELSE -1 END")
	return b.String(), args, nil
}

// latestCols are the attributes taken from the group's latest row (rl =
// 1), aggregated with MAX over the single row that has them: no self-join,
// which the PostgreSQL planner, misestimating CTE sizes, would run as a
// nested loop.
var latestCols = []string{"vm_uuid", "name", "datacenter", "cluster", "host", "resource_pool", "folder", "power_state", "guest_os"}

// latestAggs returns the MAX(CASE WHEN rl = 1 ...) list of latestCols,
// is_template and attributes (as text: PostgreSQL has no MAX of jsonb).
func latestAggs() string {
	var b strings.Builder
	for _, col := range latestCols {
		b.WriteString("MAX(CASE WHEN rl = 1 THEN " + col + " END) AS l_" + col + ", ")
	}
	b.WriteString("MAX(CASE WHEN rl = 1 THEN (CASE WHEN is_template THEN 1 ELSE 0 END) END) AS l_is_template, ")
	b.WriteString("MAX(CASE WHEN rl = 1 THEN CAST(attributes AS TEXT) END) AS l_attributes")
	return b.String()
}

// rollupSelect is the select list shared by daily and monthly queries
// after the GROUP BY (a: aggregates and latest attributes, lc:
// lifecycle).
const rollupSelect = `a.gkey, a.l_vm_uuid, a.l_name, a.l_datacenter, a.l_cluster, a.l_host, a.l_resource_pool, a.l_folder,
	a.l_power_state, a.l_guest_os, a.l_is_template, a.l_attributes, a.n, a.pon, a.s_vcpu, a.s_ram, a.s_prov, a.s_used,
	a.t0, a.t1, a.t2, a.t3, a.first_seen, a.last_seen, a.ctime, lc.creation_time,
	CASE WHEN lc.deleted AND lc.last_seen >= ? AND lc.last_seen < ? THEN lc.deletion_time END,
	CASE WHEN a.l_vm_uuid <> '' THEN a.l_vm_uuid ELSE COALESCE((SELECT x.vm_uuid FROM g x WHERE x.gkey = a.gkey AND x.vm_uuid <> ''
		ORDER BY x.%[1]s DESC, x.vm_key LIMIT 1), '') END`

// AggregateDaily computes the daily rollup rows of one vCenter-day.
func (c *Core) AggregateDaily(ctx context.Context, p *store.AggregateDailyParams) ([]inventory.DailyRollup, error) {
	const op = "AggregateDaily"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || p.Vcenter == "" {
		return nil, driver.Invalid(op, "Vcenter", "must not be empty")
	}
	if p.From.IsZero() || !p.To.After(p.From) {
		return nil, driver.Invalid(op, "To", "must be after From")
	}
	// The hourly compatibility tables have attributes too.
	cols := "vcenter, snapshot_time, vm_key, vm_id, vm_uuid, name, datacenter, cluster, host, resource_pool, folder, power_state, is_template, vcpu_count, ram_mb, provisioned_disk_gb, used_disk_gb, guest_os, creation_time, attributes"
	src, args, err := c.aggregateSource(op, p.Source, TableHourly, store.CompatHourly, cols, p.Vcenter, p.CompatTables)
	if err != nil || src == "" {
		return nil, err
	}
	src += " AND snapshot_time >= ? AND snapshot_time < ?"
	args = append(args, c.bound(p.From), c.bound(p.To))
	if len(p.SnapshotTimes) > 0 {
		src += " AND snapshot_time IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(p.SnapshotTimes)), ", ") + ")"
		for _, t := range p.SnapshotTimes {
			args = append(args, c.time(t))
		}
	}
	tierExpr, tierArgs, err := c.poolTiers(ctx, src, args, p.Tiers)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	q := `WITH src AS (` + src + `),
g AS (SELECT s.*, ` + c.groupKeyExpr("snapshot_time") + ` AS gkey, ` + tierExpr + ` AS tier FROM src s),
d AS (SELECT g.*, ROW_NUMBER() OVER (PARTITION BY gkey, snapshot_time ORDER BY vm_key) AS rn,
	ROW_NUMBER() OVER (PARTITION BY gkey ORDER BY snapshot_time DESC, vm_key) AS rl FROM g),
a AS (SELECT gkey, COUNT(*) AS n, ` + latestAggs() + `,
	SUM(CASE WHEN power_state = 'poweredOn' THEN 1 ELSE 0 END) AS pon,
	CAST(SUM(vcpu_count) AS DOUBLE PRECISION) AS s_vcpu, CAST(SUM(ram_mb) AS DOUBLE PRECISION) AS s_ram, CAST(SUM(provisioned_disk_gb) AS DOUBLE PRECISION) AS s_prov, CAST(SUM(used_disk_gb) AS DOUBLE PRECISION) AS s_used,
	CAST(SUM(CASE WHEN tier = 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS t0, CAST(SUM(CASE WHEN tier = 1 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS t1,
	CAST(SUM(CASE WHEN tier = 2 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS t2, CAST(SUM(CASE WHEN tier = 3 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) AS t3,
	MIN(snapshot_time) AS first_seen, MAX(snapshot_time) AS last_seen, MIN(creation_time) AS ctime
	FROM d WHERE rn = 1 GROUP BY gkey)
SELECT ` + fmt.Sprintf(rollupSelect, "snapshot_time") + `
FROM a ` + c.lifecycleJoin()
	all := append(append(args, tierArgs...), c.bound(p.From), c.bound(p.To), p.Vcenter)
	rows, err := c.db.QueryContext(ctx, q, all...)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	defer rows.Close()
	day := driver.NormTime(p.From)
	var out []inventory.DailyRollup
	for rows.Next() {
		var r inventory.DailyRollup
		var a aggRow
		if err := rows.Scan(a.dest(&r.Rollup)...); err != nil {
			return nil, c.readErr(op, err)
		}
		a.finish(&r.Rollup, p.Vcenter, p.TotalSamples, false)
		r.Day = day
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, c.readErr(op, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VMKey < out[j].VMKey })
	return out, nil
}

// AggregateMonthly computes the monthly rollup rows of one vCenter-month
// from daily rows.
func (c *Core) AggregateMonthly(ctx context.Context, p *store.AggregateMonthlyParams) ([]inventory.MonthlyRollup, error) {
	const op = "AggregateMonthly"
	if err := c.check(op); err != nil {
		return nil, err
	}
	if p == nil || p.Vcenter == "" {
		return nil, driver.Invalid(op, "Vcenter", "must not be empty")
	}
	if p.From.IsZero() || !p.To.After(p.From) {
		return nil, driver.Invalid(op, "To", "must be after From")
	}
	// The columns the canonical and summary tables share, and attributes:
	// the summary tables have none, so their rows' are NULL.
	cols := list(compatDailyCols) + ", attributes"
	if p.Source == store.SourceCompat {
		cols = list(compatDailyCols) + ", CAST(NULL AS TEXT) AS attributes"
	}
	src, args, err := c.aggregateSource(op, p.Source, TableDaily, store.CompatDaily, cols, p.Vcenter, p.CompatTables)
	if err != nil || src == "" {
		return nil, err
	}
	src += " AND day >= ? AND day < ? AND samples_present > 0"
	args = append(args, c.bound(p.From), c.bound(p.To))
	w := func(col string) string { return "CAST(SUM(" + col + " * samples_present) AS DOUBLE PRECISION)" }
	q := `WITH src AS (` + src + `),
g AS (SELECT s.*, ` + c.groupKeyExpr("day") + ` AS gkey FROM src s),
d AS (SELECT g.*, ROW_NUMBER() OVER (PARTITION BY gkey, day ORDER BY vm_key) AS rn,
	ROW_NUMBER() OVER (PARTITION BY gkey ORDER BY day DESC, vm_key) AS rl FROM g),
a AS (SELECT gkey, SUM(samples_present) AS n, ` + latestAggs() + `, SUM(samples_powered_on) AS pon,
	` + w("avg_vcpu_count") + ` AS s_vcpu, ` + w("avg_ram_gb") + ` AS s_ram, ` + w("avg_provisioned_disk_gb") + ` AS s_prov,
	` + w("avg_used_disk_gb") + ` AS s_used, ` + w("pool_tin_pct") + ` AS t0, ` + w("pool_bronze_pct") + ` AS t1,
	` + w("pool_silver_pct") + ` AS t2, ` + w("pool_gold_pct") + ` AS t3,
	MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen, MIN(creation_time) AS ctime,
	COUNT(*) AS days, CAST(SUM(avg_vcpu_count * avg_is_present) AS DOUBLE PRECISION) AS b_vcpu,
	CAST(SUM(avg_ram_gb * avg_is_present) AS DOUBLE PRECISION) AS b_ram,
	CAST(SUM(avg_provisioned_disk_gb * avg_is_present) AS DOUBLE PRECISION) AS b_prov,
	CAST(SUM(avg_used_disk_gb * avg_is_present) AS DOUBLE PRECISION) AS b_used
	FROM d WHERE rn = 1 GROUP BY gkey)
SELECT ` + fmt.Sprintf(rollupSelect, "day") + `, a.days, a.b_vcpu, a.b_ram, a.b_prov, a.b_used
FROM a ` + c.lifecycleJoin()
	all := append(args, c.bound(p.From), c.bound(p.To), p.Vcenter)
	rows, err := c.db.QueryContext(ctx, q, all...)
	if err != nil {
		return nil, c.readErr(op, err)
	}
	defer rows.Close()
	month := driver.NormTime(p.From)
	var out []inventory.MonthlyRollup
	for rows.Next() {
		var r inventory.MonthlyRollup
		var a aggRow
		if err := rows.Scan(append(a.dest(&r.Rollup), &r.DaysPresent, &r.VCPUDays, &r.RAMGBDays, &r.ProvisionedDiskGBDays,
			&r.UsedDiskGBDays)...); err != nil {
			return nil, c.readErr(op, err)
		}
		a.finish(&r.Rollup, p.Vcenter, p.TotalSamples, true)
		r.Month = month
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, c.readErr(op, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].VMKey < out[j].VMKey })
	return out, nil
}

// aggRow holds the aggregate columns of one result row.
type aggRow struct {
	gkey, uuidLatest          string
	n, pon                    int64
	sVCPU, sRAM, sProv, sUsed float64
	t                         [4]float64
	ctime, lcCreation         time.Time
}

func (a *aggRow) dest(r *inventory.Rollup) []any {
	return []any{&a.gkey, &a.uuidLatest, &r.Name, &r.Datacenter, &r.Cluster, &r.Host, &r.ResourcePool, &r.Folder,
		(*string)(&r.PowerState), &r.GuestOS, &r.IsTemplate, mapDest{&r.Attributes}, &a.n, &a.pon, &a.sVCPU, &a.sRAM, &a.sProv, &a.sUsed,
		&a.t[0], &a.t[1], &a.t[2], &a.t[3], timeDest{&r.FirstSeen}, timeDest{&r.LastSeen}, timeDest{&a.ctime},
		timeDest{&a.lcCreation}, timeDest{&r.DeletionTime}, &r.VMUUID}
}

// finish fills the derived fields the way the Go builders compute them.
func (a *aggRow) finish(r *inventory.Rollup, vc string, total int, monthly bool) {
	r.Vcenter = vc
	if strings.HasPrefix(a.gkey, "i:") {
		r.VMID = a.gkey[2:]
	}
	n := int(a.n)
	r.TotalSamples = total
	r.SamplesPresent = n
	r.SamplesPoweredOn = int(a.pon)
	r.AvgIsPresent = ratio(float64(n), total)
	r.AvgPoweredOn = ratio(float64(a.pon), total)
	if monthly {
		// Weighted sums: Σ value_d × samples_present_d.
		r.AvgVCPUCount = ratio(a.sVCPU, n)
		r.AvgRAMGB = ratio(a.sRAM, n)
		r.PoolTinPct, r.PoolBronzePct = ratio(a.t[0], n), ratio(a.t[1], n)
		r.PoolSilverPct, r.PoolGoldPct = ratio(a.t[2], n), ratio(a.t[3], n)
	} else {
		r.AvgVCPUCount = ratio(a.sVCPU, n)
		r.AvgRAMGB = ratio(a.sRAM/1024, n)
		r.PoolTinPct, r.PoolBronzePct = ratio(100*a.t[0], n), ratio(100*a.t[1], n)
		r.PoolSilverPct, r.PoolGoldPct = ratio(100*a.t[2], n), ratio(100*a.t[3], n)
	}
	r.AvgProvisionedDiskGB = ratio(a.sProv, n)
	r.AvgUsedDiskGB = ratio(a.sUsed, n)
	r.CreationTime = a.ctime
	if !a.lcCreation.IsZero() {
		r.CreationTime = a.lcCreation
	}
	r.VMKey = inventory.VMKey(r.VMID, r.VMUUID, r.Name)
}

func ratio(num float64, den int) float64 {
	if den == 0 {
		return 0
	}
	return num / float64(den)
}

// aggregateSource is the input query of an SQL aggregation: cols of the
// canonical table for vcenter, or the UNION ALL of the given compatibility
// tables (legacy mode), ready for "AND <time filter>" to be appended. An
// empty query (and nil error) means a compat source with no tables: nothing
// to aggregate.
func (c *Core) aggregateSource(op string, source store.AggregateSource, table string, kind store.CompatKind, cols, vcenter string, compat []string) (string, []any, error) {
	switch source {
	case store.SourceCanonical:
		return "SELECT " + cols + " FROM " + c.d.Table(table) + " WHERE vcenter = ?", []any{vcenter}, nil
	case store.SourceCompat:
		if len(compat) == 0 {
			return "", nil, nil
		}
		src, args, err := c.unionSource(cols, compat, kind, vcenter)
		if err != nil {
			return "", nil, driver.Invalid(op, "CompatTables", err.Error())
		}
		return "SELECT * FROM (" + src + ") un WHERE 1 = 1", args, nil
	default:
		return "", nil, driver.Invalid(op, "Source", fmt.Sprintf("unknown source %d", source))
	}
}
