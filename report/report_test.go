package report_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

const utc = " (UTC)"

func newSeeded(t testing.TB) *memstore.Store {
	st := memstore.New()
	seed(t, st)
	return st
}

type hostAgg struct {
	vms, on, templates int
	vcpus              int64
	ram, prov, used    float64
}

func aggBy(samples []inventory.Sample, key func(*inventory.Sample) string) (map[string]*hostAgg, []string) {
	m := map[string]*hostAgg{}
	var names []string
	for i := range samples {
		s := &samples[i]
		k := key(s)
		a := m[k]
		if a == nil {
			a = &hostAgg{}
			m[k] = a
			names = append(names, k)
		}
		a.prov += s.ProvisionedDiskGB
		a.used += s.UsedDiskGB
		if s.IsTemplate {
			a.templates++
			continue
		}
		a.vms++
		if s.PowerState == inventory.PoweredOn {
			a.on++
		}
		a.vcpus += int64(s.VCPUCount)
		a.ram += float64(s.RAMMB) / 1024
	}
	sort.Strings(names)
	return m, names
}

func usageRow(a *hostAgg) row {
	return row{"VMs": a.vms, "Powered on": a.on, "Templates": a.templates, "vCPUs": a.vcpus,
		"RAM GB": approx(a.ram), "Provisioned disk GB": approx(a.prov), "Used disk GB": approx(a.used)}
}

func merge(rs ...row) row {
	out := row{}
	for _, r := range rs {
		for k, v := range r {
			out[k] = v
		}
	}
	return out
}

// expectedHosts builds the host sheet rows of a snapshot from the store:
// one row per host name in the samples (sums of its VMs, attributes of the
// latest-state host of that name), then latest-state hosts without VMs
// whose state is not newer than the snapshot.
func expectedHosts(t testing.TB, st store.Store, vc string, s time.Time, samples []inventory.Sample) []row {
	hosts, err := st.ListHosts(context.Background(), &store.ListHostsParams{Vcenter: vc})
	if err != nil {
		t.Fatal(err)
	}
	agg, names := aggBy(samples, func(s *inventory.Sample) string { return s.Host })
	var out []row
	used := map[string]bool{}
	attrs := func(h *inventory.Host) row {
		if h == nil {
			return row{"Host ID": nil, "Cluster": nil, "Memory MB": nil, "State time" + utc: nil}
		}
		return row{"Host ID": h.ID, "Datacenter": h.Datacenter, "Cluster": h.Cluster, "Connection state": h.ConnectionState,
			"In maintenance": h.InMaintenance, "Model": h.Model, "CPU cores": h.CPUCores, "CPU MHz": h.CPUMhz,
			"Memory MB": h.MemoryMB, "Build": h.Build, "State time" + utc: h.SnapshotTime}
	}
	find := func(name string) *inventory.Host {
		for i := range hosts {
			if hosts[i].Name == name {
				return &hosts[i]
			}
		}
		return nil
	}
	for _, n := range names {
		h := find(n)
		if h != nil {
			used[h.ID] = true
		}
		out = append(out, merge(row{"vCenter": vc, "Host": n}, usageRow(agg[n]), attrs(h)))
	}
	for i := range hosts {
		h := &hosts[i]
		if used[h.ID] || h.SnapshotTime.After(s) {
			continue
		}
		out = append(out, merge(row{"vCenter": vc, "Host": h.Name}, usageRow(&hostAgg{}), attrs(h)))
	}
	return out
}

func expectedClusters(t testing.TB, st store.Store, vc string, s time.Time, samples []inventory.Sample) []row {
	cls, err := st.ListClusters(context.Background(), &store.ListClustersParams{Vcenter: vc})
	if err != nil {
		t.Fatal(err)
	}
	agg, names := aggBy(samples, func(s *inventory.Sample) string { return s.Cluster })
	find := func(name string) *inventory.Cluster {
		for i := range cls {
			if cls[i].Name == name {
				return &cls[i]
			}
		}
		return nil
	}
	var out []row
	used := map[string]bool{}
	for _, n := range names {
		r := merge(row{"vCenter": vc, "Cluster": n}, usageRow(agg[n]))
		if c := find(n); c != nil {
			used[c.ID] = true
			r = merge(r, row{"Cluster ID": c.ID, "Hosts": c.NumHosts, "Total memory MB": c.TotalMemoryMB, "DRS enabled": c.DRSEnabled})
		} else {
			r["Cluster ID"] = nil
		}
		out = append(out, r)
	}
	for i := range cls {
		c := &cls[i]
		if used[c.ID] || c.SnapshotTime.After(s) {
			continue
		}
		out = append(out, merge(row{"vCenter": vc, "Cluster": c.Name, "Cluster ID": c.ID}, usageRow(&hostAgg{})))
	}
	return out
}

func expectedDatastores(t testing.TB, st store.Store, vc string) []row {
	dss, err := st.ListDatastores(context.Background(), &store.ListDatastoresParams{Vcenter: vc})
	if err != nil {
		t.Fatal(err)
	}
	var out []row
	for _, d := range dss {
		out = append(out, row{"vCenter": vc, "Datastore": d.Name, "Datastore ID": d.ID, "URL": d.URL, "Capacity GB": d.CapacityGB,
			"Free GB": d.FreeGB, "Free %": d.FreeGB / d.CapacityGB, "Accessible": d.Accessible, "Hosts": len(d.HostIDs),
			"State time" + utc: d.SnapshotTime})
	}
	return out
}

// TestHourly writes the hourly report of each vCenter on every backend and
// compares every sheet with the store's rows.
func TestHourly(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		seed(t, st)
		tiers := inventory.DefaultTierMap()
		for _, vc := range []string{vcA, vcB} {
			for _, s := range []time.Time{snaps[1], snaps[2]} {
				data := writeReport(t, st, report.Request{Kind: report.KindHourly, Vcenter: vc, SnapshotTime: s}, report.Options{})
				b := openBook(t, data, nil)
				if diff := cmp.Diff([]string{"VMs", "Hosts", "Clusters", "Datastores"}, b.sheets()); diff != "" {
					t.Fatalf("sheets (-want +got):\n%s", diff)
				}
				for _, sh := range b.sheets() {
					b.checkLayout(sh)
				}
				samples := scanSamples(t, st, vc, s)
				if len(samples) == 0 {
					t.Fatal("fixture has no samples")
				}
				var want []row
				for i := range samples {
					want = append(want, vmRow(&samples[i], tiers, utc))
				}
				b.checkRows("VMs", want)
				b.checkRows("Hosts", expectedHosts(t, st, vc, s, samples))
				b.checkRows("Clusters", expectedClusters(t, st, vc, s, samples))
				b.checkRows("Datastores", expectedDatastores(t, st, vc))
				wantHdr := []string{"vCenter", "VM ID", "VM UUID", "Name", "Datacenter", "Cluster", "Host", "Resource pool",
					"Pool tier", "Folder", "Power state", "Template", "vCPUs", "RAM MB", "RAM GB", "Provisioned disk GB",
					"Used disk GB", "Guest OS", "IP address", "Creation time (UTC)", "Snapshot time (UTC)", "Attributes"}
				if diff := cmp.Diff(wantHdr, b.header("VMs")); diff != "" {
					t.Errorf("VMs header (-want +got):\n%s", diff)
				}
			}
		}
	})
}

// TestHourlyLocation shows dates in Options.Location.
func TestHourlyLocation(t *testing.T) {
	st := newSeeded(t)
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	data := writeReport(t, st, report.Request{Kind: report.KindHourly, Vcenter: vcA, SnapshotTime: snaps[0]}, report.Options{Location: loc})
	b := openBook(t, data, loc)
	samples := scanSamples(t, st, vcA, snaps[0])
	z := " (America/New_York)"
	var want []row
	for i := range samples {
		want = append(want, row{"Snapshot time" + z: samples[i].SnapshotTime, "Creation time" + z: samples[i].CreationTime})
	}
	b.checkRows("VMs", want)
	shown, _ := b.f.GetCellValue("VMs", "U2")
	if exp := snaps[0].In(loc).Format("2006-01-02 15:04:05"); shown != exp {
		t.Errorf("snapshot time shown as %q, want %q (New York)", shown, exp)
	}
}

func rollupRow(period time.Time, r *inventory.Rollup) row {
	return row{
		"vCenter": r.Vcenter, "VM ID": r.VMID, "VM UUID": r.VMUUID, "Name": r.Name, "Datacenter": r.Datacenter,
		"Cluster": r.Cluster, "Host": r.Host, "Resource pool": r.ResourcePool, "Folder": r.Folder,
		"Power state": r.PowerState, "Guest OS": r.GuestOS, "Template": r.IsTemplate,
		"Total samples": r.TotalSamples, "Samples present": r.SamplesPresent, "Avg present": r.AvgIsPresent,
		"Samples powered on": r.SamplesPoweredOn, "Avg powered on": r.AvgPoweredOn, "Avg vCPUs": r.AvgVCPUCount,
		"Avg RAM GB": r.AvgRAMGB, "Avg provisioned disk GB": r.AvgProvisionedDiskGB, "Avg used disk GB": r.AvgUsedDiskGB,
		// One percentage scale: fractions of 1 (the pool shares are
		// stored 0-100).
		"Tin %": r.PoolTinPct / 100, "Bronze %": r.PoolBronzePct / 100, "Silver %": r.PoolSilverPct / 100, "Gold %": r.PoolGoldPct / 100,
		"First seen" + utc: r.FirstSeen, "Last seen" + utc: r.LastSeen, "Creation time" + utc: r.CreationTime,
		"Deletion time" + utc: r.DeletionTime, "Partial": r.Partial,
	}
}

// TestDaily compares the daily summary with vm_daily_rollup, for every
// vCenter and for one.
func TestDaily(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		seed(t, st)
		for _, vc := range []string{"", vcA, vcB} {
			var buf []byte
			if vc == "" {
				var w writerBuf
				if err := report.WriteDaily(context.Background(), st, day1.Add(5*time.Hour), &w); err != nil {
					t.Fatal(err)
				}
				buf = w.b
			} else {
				buf = writeReport(t, st, report.Request{Kind: report.KindDaily, Vcenter: vc, Period: day1}, report.Options{})
			}
			b := openBook(t, buf, nil)
			if diff := cmp.Diff([]string{"Daily summary"}, b.sheets()); diff != "" {
				t.Fatalf("sheets (-want +got):\n%s", diff)
			}
			b.checkLayout("Daily summary")
			var want []row
			err := st.ScanDailyRollups(context.Background(), &store.ScanRollupsParams{Vcenter: vc, From: day1, To: day2}, func(r *inventory.DailyRollup) error {
				x := rollupRow(r.Day, &r.Rollup)
				x["Day"] = r.Day
				x["Billable vCPU-days"] = r.BillableVCPUDays()
				x["Billable RAM GB-days"] = r.BillableRAMGBDays()
				x["Billable disk GB-days"] = r.BillableDiskGBDays()
				want = append(want, x)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("fixture has no daily rollups")
			}
			b.checkRows("Daily summary", want)
		}
	})
}

type writerBuf struct{ b []byte }

func (w *writerBuf) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }

// TestMonthly compares the monthly summary with the monthly rollups and
// checks the tier and cluster subtotals against sums of its rows.
func TestMonthly(t *testing.T) {
	st := newSeeded(t)
	var w writerBuf
	if err := report.WriteMonthly(context.Background(), st, day1, &w); err != nil {
		t.Fatal(err)
	}
	b := openBook(t, w.b, nil)
	if diff := cmp.Diff([]string{"Monthly summary", "By pool tier", "By cluster"}, b.sheets()); diff != "" {
		t.Fatalf("sheets (-want +got):\n%s", diff)
	}
	for _, sh := range b.sheets() {
		b.checkLayout(sh)
	}
	days := float64(len(inventory.MonthOf(day1, time.UTC).Days()))
	if days != 31 {
		t.Fatalf("March has %v days?", days)
	}
	type key struct{ vc, group string }
	type sums struct {
		vms             map[string]bool
		vcpu, ram, disk float64
	}
	tiers, clusters := map[key]*sums{}, map[key]*sums{}
	add := func(m map[key]*sums, k key, vm string, share, vcpu, ram, disk float64) {
		s := m[k]
		if s == nil {
			s = &sums{vms: map[string]bool{}}
			m[k] = s
		}
		s.vms[vm] = true
		s.vcpu += vcpu * share
		s.ram += ram * share
		s.disk += disk * share
	}
	var want []row
	total := 0.0
	march := inventory.MonthOf(day1, time.UTC)
	err := st.ScanMonthlyRollups(context.Background(), &store.ScanRollupsParams{From: march.Start, To: march.End}, func(r *inventory.MonthlyRollup) error {
		x := rollupRow(r.Month, &r.Rollup)
		x["Month"], x["Days present"], x["Coverage days"], x["Days in month"] = r.Month, r.DaysPresent, r.CoverageDays, 31
		x["Billable vCPU-days"], x["Billable RAM GB-days"] = r.VCPUDays, r.RAMGBDays
		x["Billable disk GB-days"], x["Billable used disk GB-days"] = r.ProvisionedDiskGBDays, r.UsedDiskGBDays
		want = append(want, x)
		total += r.VCPUDays
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Subtotals: each day's billable figures, split by that day's pool
	// shares and charged to that day's cluster.
	err = st.ScanDailyRollups(context.Background(), &store.ScanRollupsParams{From: march.Start, To: march.End}, func(r *inventory.DailyRollup) error {
		vcpu, ram, disk := r.BillableVCPUDays(), r.BillableRAMGBDays(), r.BillableDiskGBDays()
		add(clusters, key{r.Vcenter, r.Cluster}, r.VMKey, 1, vcpu, ram, disk)
		rest := 1.0
		for _, tp := range []struct {
			name string
			pct  float64
		}{{"Tin", r.PoolTinPct}, {"Bronze", r.PoolBronzePct}, {"Silver", r.PoolSilverPct}, {"Gold", r.PoolGoldPct}} {
			if tp.pct > 0 {
				add(tiers, key{r.Vcenter, tp.name}, r.VMKey, tp.pct/100, vcpu, ram, disk)
				rest -= tp.pct / 100
			}
		}
		if rest > 1e-9 {
			add(tiers, key{r.Vcenter, "(none)"}, r.VMKey, rest, vcpu, ram, disk)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.checkRows("Monthly summary", want)

	// The tier subtotals split each VM's billable figures by its pool
	// percentages: their sum is the total.
	rank := map[string]int{"Tin": 0, "Bronze": 1, "Silver": 2, "Gold": 3, "(none)": 4}
	subRows := func(m map[key]*sums, label string, tierOrder bool) []row {
		keys := make([]key, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].vc != keys[j].vc {
				return keys[i].vc < keys[j].vc
			}
			if tierOrder {
				return rank[keys[i].group] < rank[keys[j].group]
			}
			return keys[i].group < keys[j].group
		})
		var out []row
		for _, k := range keys {
			s := m[k]
			out = append(out, row{"vCenter": k.vc, label: k.group, "VMs": len(s.vms), "Billable vCPU-days": approx(s.vcpu),
				"Billable RAM GB-days": approx(s.ram), "Billable disk GB-days": approx(s.disk)})
		}
		return out
	}
	b.checkRows("By pool tier", subRows(tiers, "Pool tier", true))
	b.checkRows("By cluster", subRows(clusters, "Cluster", false))
	tierTotal := 0.0
	for _, s := range tiers {
		tierTotal += s.vcpu
	}
	if d := tierTotal - total; d > 1e-6 || d < -1e-6 {
		t.Errorf("tier subtotals sum to %v vCPU-days, rows to %v", tierTotal, total)
	}
	if len(tiers) < 4 {
		t.Errorf("fixture covers only %d tier groups", len(tiers))
	}
}

// TestMonthlyBillableMatchesDaily (SEMANTICS §5): a month observed on 4
// of its 31 days, with 1 to 3 snapshots a day, bills the sum of its days'
// billable figures (not a per-day average times 31), and the workbook
// shows the coverage beside the bill. One VM is checked by hand.
func TestMonthlyBillableMatchesDaily(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	observed := map[int]int{2: 1, 9: 3, 10: 2, 20: 3} // day of month -> snapshots
	for d := range 31 {
		n := observed[d]
		for h := range n {
			p := storetestSnapshot("vc-m", base.AddDate(0, 0, d).Add(time.Duration(6+h*6)*time.Hour), 30-d%5, int64(d*3+h))
			if _, err := st.WriteSnapshot(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		if n > 0 {
			if _, err := aggregateDaily(ctx, st, base.AddDate(0, 0, d)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := aggregateMonthly(ctx, st, base); err != nil {
		t.Fatal(err)
	}
	// By hand, for vm-1 (present in every snapshot): Σ over the 4 days
	// of its vCPUs averaged over the day's snapshots.
	var hand float64
	for d, n := range observed {
		sum := 0.0
		for h := range n {
			at := base.AddDate(0, 0, d).Add(time.Duration(6+h*6) * time.Hour)
			for _, x := range scanSamples(t, st, "vc-m", at) {
				if x.VMID == "vm-1" {
					sum += float64(x.VCPUCount)
				}
			}
		}
		hand += sum / float64(n)
	}
	if hand == 0 {
		t.Fatal("vm-1 has no samples")
	}
	daily := map[string]float64{}
	err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{From: base, To: base.AddDate(0, 1, 0)}, func(r *inventory.DailyRollup) error {
		daily[r.VMKey] += r.BillableVCPUDays()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	data := writeReport(t, st, report.Request{Kind: report.KindMonthly, Period: base}, report.Options{})
	b := openBook(t, data, nil)
	rows, _ := b.f.GetRows("Monthly summary", rawOpts)
	hdr := rows[0]
	idx := func(name string) int {
		for i, h := range hdr {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	id, bill, cov, dim := idx("VM ID"), idx("Billable vCPU-days"), idx("Coverage days"), idx("Days in month")
	if len(rows)-1 != len(daily) {
		t.Fatalf("%d monthly rows, %d VMs in daily rollups", len(rows)-1, len(daily))
	}
	for _, r := range rows[1:] {
		got := parseF(t, r[bill])
		if want := daily[r[id]]; diffRel(got, want) > 1e-9 {
			t.Errorf("VM %s: monthly billable vCPU-days %v, sum of daily %v", r[id], got, want)
		}
		if r[id] == "vm-1" && diffRel(got, hand) > 1e-9 {
			t.Errorf("vm-1: billable vCPU-days %v, by hand %v", got, hand)
		}
		if r[cov] != "4" || r[dim] != "31" {
			t.Errorf("VM %s: coverage %s of %s days, want 4 of 31", r[id], r[cov], r[dim])
		}
	}
	// One percentage scale: the pool shares carry Avg present's percent
	// style (values are fractions of 1, checked by TestDaily).
	for _, name := range []string{"Tin %", "Bronze %", "Silver %", "Gold %", "Avg powered on"} {
		a, _ := excelize.CoordinatesToCellName(idx(name)+1, 2)
		p, _ := excelize.CoordinatesToCellName(idx("Avg present")+1, 2)
		sa, _ := b.f.GetCellStyle("Monthly summary", a)
		sp, _ := b.f.GetCellStyle("Monthly summary", p)
		if sa != sp {
			t.Errorf("%s has style %d, Avg present %d: not one percentage format", name, sa, sp)
		}
	}
	for _, sheet := range []string{"By pool tier", "By cluster"} {
		sub, _ := b.f.GetRows(sheet, rawOpts)
		if len(sub) < 2 || sub[0][3] != "Coverage days" || sub[1][3] != "4" || sub[1][4] != "31" {
			t.Errorf("%s: coverage columns %v / %v, want Coverage days 4 of 31", sheet, sub[0], sub[1])
		}
	}
}

// TestTotals compares the totals report with the aggregate totals (and,
// hourly, the snapshot totals).
func TestTotals(t *testing.T) {
	st := newSeeded(t)
	ctx := context.Background()
	for _, g := range []inventory.Granularity{inventory.Hourly, inventory.Daily, inventory.Monthly} {
		for _, vc := range []string{"", vcB} {
			from, to := inventory.MonthOf(day1, time.UTC).Start, inventory.MonthOf(day1, time.UTC).End
			var w writerBuf
			if err := report.WriteTotals(ctx, st, vc, g, from, to, &w); err != nil {
				t.Fatal(g, vc, err)
			}
			b := openBook(t, w.b, nil)
			wantSheets := []string{"Totals"}
			if g == inventory.Hourly {
				wantSheets = append(wantSheets, "Snapshots")
			}
			if diff := cmp.Diff(wantSheets, b.sheets()); diff != "" {
				t.Fatalf("%s sheets (-want +got):\n%s", g, diff)
			}
			agg, err := st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{Vcenter: vc, Granularity: g, From: from, To: to})
			if err != nil || len(agg) == 0 {
				t.Fatalf("ListAggregateTotals %s: %d rows, %v", g, len(agg), err)
			}
			var want []row
			for _, a := range agg {
				want = append(want, row{"vCenter": a.Vcenter, "Granularity": string(a.Granularity), "Period start" + utc: a.PeriodStart,
					"Snapshots": a.SnapshotCount, "VMs": a.VMCount, "Templates": a.TemplateCount, "Powered on": a.PoweredOnCount,
					"vCPUs": a.VCPUTotal, "RAM GB": a.RAMGBTotal, "Provisioned disk GB": a.ProvisionedDiskGBTotal,
					"Hosts": a.HostCount, "Datastore capacity GB": a.DatastoreCapacityGB, "Datastore free GB": a.DatastoreFreeGB})
			}
			b.checkLayout("Totals")
			b.checkRows("Totals", want)
			if g == inventory.Hourly {
				tots, err := st.ListTotals(ctx, &store.ListTotalsParams{Vcenter: vc, From: from, To: to})
				if err != nil {
					t.Fatal(err)
				}
				var want []row
				for _, x := range tots {
					want = append(want, row{"vCenter": x.Vcenter, "Snapshot time" + utc: x.SnapshotTime, "VMs": x.VMCount,
						"Templates": x.TemplateCount, "vCPUs": x.VCPUTotal, "RAM GB": x.RAMGBTotal, "Datastores": x.DatastoreCount})
				}
				b.checkLayout("Snapshots")
				b.checkRows("Snapshots", want)
			}
		}
	}
}

// TestAsOf picks the latest snapshot at or before the requested time and
// writes RVTools-style sheets derived from it.
func TestAsOf(t *testing.T) {
	st := newSeeded(t)
	tiers := inventory.DefaultTierMap()
	for _, c := range []struct {
		at   time.Time
		want time.Time
	}{
		{snaps[1], snaps[1]},
		{snaps[1].Add(time.Minute), snaps[1]},
		{snaps[2].Add(-time.Second), snaps[1]},
		{day2.AddDate(0, 0, 5), snaps[2]}, // vcB's last snapshot
	} {
		req := report.Request{Kind: report.KindAsOf, Vcenter: vcB, SnapshotTime: c.at}
		b := openBook(t, writeReport(t, st, req, report.Options{}), nil)
		if diff := cmp.Diff([]string{"vInfo", "vHost", "vDatastore", "vCluster"}, b.sheets()); diff != "" {
			t.Fatalf("sheets (-want +got):\n%s", diff)
		}
		for _, sh := range b.sheets() {
			b.checkLayout(sh)
		}
		samples := scanSamples(t, st, vcB, c.want)
		var want []row
		for i := range samples {
			want = append(want, vmRow(&samples[i], tiers, utc))
		}
		b.checkRows("vInfo", want)
		b.checkRows("vHost", expectedHosts(t, st, vcB, c.want, samples))
		b.checkRows("vCluster", expectedClusters(t, st, vcB, c.want, samples))
		b.checkRows("vDatastore", expectedDatastores(t, st, vcB))
	}
	_, err := report.WriteFile(context.Background(), st, report.Request{Kind: report.KindAsOf, Vcenter: vcA, SnapshotTime: snaps[0].Add(-time.Second)}, t.TempDir(), report.Options{})
	if !errors.Is(err, report.ErrNoData) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("asof before the first snapshot: %v, want ErrNoData", err)
	}
}

var changeFieldNames = []string{"Name", "VM UUID", "Datacenter", "Cluster", "Host", "Resource pool", "Folder", "Power state",
	"Template", "vCPUs", "RAM MB", "Provisioned disk GB", "Used disk GB", "Guest OS", "IP address"}

func fieldOf(s *inventory.Sample, name string) any {
	switch name {
	case "Name":
		return s.Name
	case "VM UUID":
		return s.VMUUID
	case "Datacenter":
		return s.Datacenter
	case "Cluster":
		return s.Cluster
	case "Host":
		return s.Host
	case "Resource pool":
		return s.ResourcePool
	case "Folder":
		return s.Folder
	case "Power state":
		return s.PowerState
	case "Template":
		return s.IsTemplate
	case "vCPUs":
		return s.VCPUCount
	case "RAM MB":
		return s.RAMMB
	case "Provisioned disk GB":
		return s.ProvisionedDiskGB
	case "Used disk GB":
		return s.UsedDiskGB
	case "Guest OS":
		return s.GuestOS
	case "IP address":
		return s.IPAddress
	}
	panic(name)
}

// TestChanges compares, per vCenter, the snapshots at or before From and
// To: added, removed and changed VMs.
func TestChanges(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		seed(t, st)
		if diff := cmp.Diff(changeFieldNames, report.ChangeFields()); diff != "" {
			t.Fatalf("ChangeFields (-test +report):\n%s", diff)
		}
		// From between snaps[0] and snaps[1]; To after snaps[2].
		from, to := snaps[0].Add(30*time.Minute), snaps[2].Add(time.Hour)
		b := openBook(t, writeReport(t, st, report.Request{Kind: report.KindChanges, From: from, To: to}, report.Options{}), nil)
		if diff := cmp.Diff([]string{"Added", "Removed", "Changed"}, b.sheets()); diff != "" {
			t.Fatalf("sheets (-want +got):\n%s", diff)
		}
		var added, removed, changed []row
		for _, vc := range []string{vcB, vcA} { // report order: vCenter names ascending ("=" < "v")
			before, after := scanSamples(t, st, vc, snaps[0]), scanSamples(t, st, vc, snaps[2])
			bm := map[string]*inventory.Sample{}
			for i := range before {
				bm[before[i].Key()] = &before[i]
			}
			vmRow := func(s *inventory.Sample, when string) row {
				return row{"vCenter": s.Vcenter, "VM ID": s.VMID, "VM UUID": s.VMUUID, "Name": s.Name, "Host": s.Host,
					"vCPUs": s.VCPUCount, "RAM MB": s.RAMMB, "Provisioned disk GB": s.ProvisionedDiskGB, when + utc: s.SnapshotTime}
			}
			for i := range after {
				a := &after[i]
				p, ok := bm[a.Key()]
				if !ok {
					added = append(added, vmRow(a, "First seen"))
					continue
				}
				delete(bm, a.Key())
				r := row{"vCenter": a.Vcenter, "VM ID": a.VMID, "Name": a.Name, "Before snapshot" + utc: p.SnapshotTime, "After snapshot" + utc: a.SnapshotTime}
				var names []string
				for _, f := range changeFieldNames {
					bv, av := fieldOf(p, f), fieldOf(a, f)
					if bv != av {
						names = append(names, f)
						r[f+" before"], r[f+" after"] = bv, av
					} else {
						r[f+" before"], r[f+" after"] = nil, nil
					}
				}
				if len(names) > 0 {
					r["Changed fields"] = joinComma(names)
					changed = append(changed, r)
				}
			}
			var keys []string
			for k := range bm {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				removed = append(removed, vmRow(bm[k], "Last seen"))
			}
		}
		if len(added) != 3 || len(removed) != 0 || len(changed) == 0 {
			// 40 -> 43 VMs for vc-a between snaps[0] and snaps[2].
			t.Fatalf("fixture: %d added, %d removed, %d changed", len(added), len(removed), len(changed))
		}
		for _, sh := range b.sheets() {
			b.checkLayout(sh)
		}
		b.checkRows("Added", added)
		b.checkRows("Removed", removed)
		b.checkRows("Changed", changed)

		// One vCenter, From..To spanning the removal of two VMs.
		b = openBook(t, writeReport(t, st, report.Request{Kind: report.KindChanges, Vcenter: vcA, From: snaps[0], To: snaps[1]}, report.Options{}), nil)
		if n := b.dataRows("Removed"); n != 2 {
			t.Errorf("vc-a %s..%s: %d removed, want 2", snaps[0], snaps[1], n)
		}
		if n := b.dataRows("Added"); n != 0 {
			t.Errorf("vc-a %s..%s: %d added, want 0", snaps[0], snaps[1], n)
		}
	})
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
