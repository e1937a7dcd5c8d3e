package report

import (
	"errors"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// rollupCols are the columns shared by the daily and monthly sheets;
// period is "Day" or "Month", extra columns go after the figures.
func (g *gen) rollupCols(period string, periodKind colKind, extra []col) []col {
	z := g.zoneLabel()
	cols := []col{
		{name: "vCenter", kind: cText}, {name: period, kind: periodKind}, {name: "VM ID", kind: cText, width: 14},
		{name: "VM UUID", kind: cText, width: 38}, {name: "Name", kind: cText, width: 32},
		{name: "Datacenter", kind: cText}, {name: "Cluster", kind: cText}, {name: "Host", kind: cText, width: 26},
		{name: "Resource pool", kind: cText}, {name: "Folder", kind: cText}, {name: "Power state", kind: cText, width: 13},
		{name: "Guest OS", kind: cText, width: 30}, {name: "Template", kind: cBool},
		{name: "Total samples", kind: cInt}, {name: "Samples present", kind: cInt}, {name: "Avg present", kind: cPct},
		{name: "Samples powered on", kind: cInt}, {name: "Avg powered on", kind: cPct},
		{name: "Avg vCPUs", kind: cDec2}, {name: "Avg RAM GB", kind: cDec2},
		{name: "Avg provisioned disk GB", kind: cDec2}, {name: "Avg used disk GB", kind: cDec2},
		{name: "Tin %", kind: cPct}, {name: "Bronze %", kind: cPct}, {name: "Silver %", kind: cPct}, {name: "Gold %", kind: cPct},
	}
	cols = append(cols, extra...)
	return append(cols,
		col{name: "First seen" + z, kind: cDateTime}, col{name: "Last seen" + z, kind: cDateTime},
		col{name: "Creation time" + z, kind: cDateTime}, col{name: "Deletion time" + z, kind: cDateTime},
		col{name: "Partial", kind: cBool})
}

// rollupVals returns a row's values for rollupCols. Every percentage is a
// fraction of 1 shown with a percent format (SEMANTICS §4): the pool
// percentages, stored 0–100, are divided by 100.
func rollupVals(period time.Time, r *inventory.Rollup, extra ...any) []any {
	v := []any{r.Vcenter, period, r.VMID, r.VMUUID, r.Name, r.Datacenter, r.Cluster, r.Host, r.ResourcePool, r.Folder,
		r.PowerState, r.GuestOS, r.IsTemplate, r.TotalSamples, r.SamplesPresent, r.AvgIsPresent,
		r.SamplesPoweredOn, r.AvgPoweredOn, r.AvgVCPUCount, r.AvgRAMGB, r.AvgProvisionedDiskGB, r.AvgUsedDiskGB,
		r.PoolTinPct / 100, r.PoolBronzePct / 100, r.PoolSilverPct / 100, r.PoolGoldPct / 100}
	v = append(v, extra...)
	return append(v, r.FirstSeen, r.LastSeen, r.CreationTime, r.DeletionTime, r.Partial)
}

func (g *gen) scanErr(what string, err error) error {
	var re *Error
	if errors.As(err, &re) {
		return re
	}
	return g.readErr(what, err)
}

// daily writes the vm_daily_rollup rows of one day.
func (g *gen) daily() error {
	day := inventory.DayOf(g.req.Period, g.opts.Location)
	sh, err := g.newSheet("Daily summary", g.rollupCols("Day", cDate, []col{
		{name: "Billable vCPU-days", kind: cDec2}, {name: "Billable RAM GB-days", kind: cDec2}, {name: "Billable disk GB-days", kind: cDec2},
		{name: "Utilisation samples", kind: cInt}, {name: "Avg CPU MHz", kind: cDec2}, {name: "Peak CPU MHz", kind: cDec2},
		{name: "Avg CPU %", kind: cPct}, {name: "Peak CPU %", kind: cPct}, {name: "Avg memory %", kind: cPct}, {name: "Peak memory %", kind: cPct},
	}))
	if err != nil {
		return err
	}
	err = g.st.ScanDailyRollups(g.ctx, &store.ScanRollupsParams{Vcenter: g.req.Vcenter, From: day.Start.UTC(), To: day.End.UTC()},
		func(r *inventory.DailyRollup) error {
			return sh.add(rollupVals(r.Day, &r.Rollup, append([]any{r.BillableVCPUDays(), r.BillableRAMGBDays(), r.BillableDiskGBDays()},
				utilisationVals(&r.Utilisation)...)...)...)
		})
	if err != nil {
		return g.scanErr("scan daily rollups", err)
	}
	if sh.rows == 0 {
		return g.noData("no daily rollups for %s%s", day.Start.Format("2006-01-02"), g.vcSuffix())
	}
	return sh.close()
}

// utilisationVals are a daily row's utilisation columns: the sample
// count, CPU MHz, and the percentages (stored 0–100) as fractions of 1;
// blank when no utilisation was measured (UtilSamples 0).
func utilisationVals(u *inventory.Utilisation) []any {
	if u.UtilSamples == 0 {
		return []any{0, nil, nil, nil, nil, nil, nil}
	}
	return []any{u.UtilSamples, u.AvgCPUMHz, u.PeakCPUMHz, u.AvgCPUPct / 100, u.PeakCPUPct / 100, u.AvgMemPct / 100, u.PeakMemPct / 100}
}

func (g *gen) vcSuffix() string {
	if g.req.Vcenter == "" {
		return ""
	}
	return " of vCenter " + quote(g.req.Vcenter)
}

// subtotal sums billable figures of one group.
type subtotal struct {
	vcenter, group      string
	vms                 map[string]bool
	vcpu, ramGB, diskGB float64
}

type subtotalKey struct{ vcenter, group string }

// monthly writes the monthly rollups with their billable figures (the
// sums of the days', stored on each row) beside the month's coverage, and
// subtotals per pool tier and per cluster summed from the month's daily
// rows.
func (g *gen) monthly() error {
	month := inventory.MonthOf(g.req.Period, g.opts.Location)
	sh, err := g.newSheet("Monthly summary", g.rollupCols("Month", cDate, []col{
		{name: "Days present", kind: cInt}, {name: "Coverage days", kind: cInt}, {name: "Days in month", kind: cInt},
		{name: "Billable vCPU-days", kind: cDec2}, {name: "Billable RAM GB-days", kind: cDec2},
		{name: "Billable disk GB-days", kind: cDec2}, {name: "Billable used disk GB-days", kind: cDec2},
	}))
	if err != nil {
		return err
	}
	coverage := map[string][2]int{} // vCenter -> coverage days, days in month
	err = g.st.ScanMonthlyRollups(g.ctx, &store.ScanRollupsParams{Vcenter: g.req.Vcenter, From: month.Start.UTC(), To: month.End.UTC()},
		func(r *inventory.MonthlyRollup) error {
			coverage[r.Vcenter] = [2]int{r.CoverageDays, r.DaysInMonth}
			return sh.add(rollupVals(r.Month, &r.Rollup, r.DaysPresent, r.CoverageDays, r.DaysInMonth,
				r.VCPUDays, r.RAMGBDays, r.ProvisionedDiskGBDays, r.UsedDiskGBDays)...)
		})
	if err != nil {
		return g.scanErr("scan monthly rollups", err)
	}
	if sh.rows == 0 {
		return g.noData("no monthly rollups for %s%s", month.Start.Format("2006-01"), g.vcSuffix())
	}
	if err := sh.close(); err != nil {
		return err
	}
	// Subtotals from the daily rows: each day billed at its own figures,
	// split by that day's pool shares and charged to that day's cluster.
	tiers := map[subtotalKey]*subtotal{}
	clusters := map[subtotalKey]*subtotal{}
	acc := func(m map[subtotalKey]*subtotal, vc, group, vm string, share, vcpu, ram, disk float64) {
		k := subtotalKey{vc, group}
		t := m[k]
		if t == nil {
			t = &subtotal{vcenter: vc, group: group, vms: map[string]bool{}}
			m[k] = t
		}
		t.vms[vm] = true
		t.vcpu += vcpu * share
		t.ramGB += ram * share
		t.diskGB += disk * share
	}
	err = g.st.ScanDailyRollups(g.ctx, &store.ScanRollupsParams{Vcenter: g.req.Vcenter, From: month.Start.UTC(), To: month.End.UTC()},
		func(r *inventory.DailyRollup) error {
			vcpu, ram, disk := r.BillableVCPUDays(), r.BillableRAMGBDays(), r.BillableDiskGBDays()
			acc(clusters, r.Vcenter, r.Cluster, r.VMKey, 1, vcpu, ram, disk)
			rest := 1.0
			for _, tp := range []struct {
				t   inventory.Tier
				pct float64
			}{{inventory.TierTin, r.PoolTinPct}, {inventory.TierBronze, r.PoolBronzePct}, {inventory.TierSilver, r.PoolSilverPct}, {inventory.TierGold, r.PoolGoldPct}} {
				if tp.pct > 0 {
					acc(tiers, r.Vcenter, string(tp.t), r.VMKey, tp.pct/100, vcpu, ram, disk)
					rest -= tp.pct / 100
				}
			}
			if rest > 1e-9 {
				acc(tiers, r.Vcenter, untiered, r.VMKey, rest, vcpu, ram, disk)
			}
			return nil
		})
	if err != nil {
		return g.scanErr("scan daily rollups", err)
	}
	if err := g.subtotalSheet("By pool tier", "Pool tier", sortedSubtotals(tiers, tierOrder), coverage); err != nil {
		return err
	}
	return g.subtotalSheet("By cluster", "Cluster", sortedSubtotals(clusters, nil), coverage)
}

// untiered is the tier subtotal group of VM time spent in no tiered pool.
const untiered = "(none)"

func tierOrder(group string) int {
	for i, t := range inventory.Tiers() {
		if string(t) == group {
			return i
		}
	}
	return len(inventory.Tiers())
}

func sortedSubtotals(m map[subtotalKey]*subtotal, rank func(string) int) []*subtotal {
	out := make([]*subtotal, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.vcenter != b.vcenter {
			return a.vcenter < b.vcenter
		}
		if rank != nil && rank(a.group) != rank(b.group) {
			return rank(a.group) < rank(b.group)
		}
		return a.group < b.group
	})
	return out
}

func (g *gen) subtotalSheet(name, group string, rows []*subtotal, coverage map[string][2]int) error {
	sh, err := g.newSheet(name, []col{
		{name: "vCenter", kind: cText}, {name: group, kind: cText, width: 26}, {name: "VMs", kind: cInt, width: 9},
		{name: "Coverage days", kind: cInt}, {name: "Days in month", kind: cInt},
		{name: "Billable vCPU-days", kind: cDec2}, {name: "Billable RAM GB-days", kind: cDec2}, {name: "Billable disk GB-days", kind: cDec2},
	})
	if err != nil {
		return err
	}
	for _, t := range rows {
		c := coverage[t.vcenter]
		if err := sh.add(t.vcenter, t.group, len(t.vms), c[0], c[1], t.vcpu, t.ramGB, t.diskGB); err != nil {
			return err
		}
	}
	return sh.close()
}
