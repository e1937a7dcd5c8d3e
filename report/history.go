package report

import (
	"sort"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func quote(s string) string { return strconv.Quote(s) }

// totals writes vcenter_aggregate_totals of one granularity over [From,
// To) and, for hourly, the per-snapshot vcenter_totals too.
func (g *gen) totals() error {
	from, to := g.req.From.UTC(), g.req.To.UTC()
	agg, err := g.st.ListAggregateTotals(g.ctx, &store.ListAggregateTotalsParams{Vcenter: g.req.Vcenter, Granularity: g.req.Granularity, From: from, To: to})
	if err != nil {
		return g.readErr("list aggregate totals", err)
	}
	var snaps []inventory.Totals
	if g.req.Granularity == inventory.Hourly {
		if snaps, err = g.st.ListTotals(g.ctx, &store.ListTotalsParams{Vcenter: g.req.Vcenter, From: from, To: to}); err != nil {
			return g.readErr("list totals", err)
		}
	}
	if len(agg) == 0 && len(snaps) == 0 {
		return g.noData("no %s totals in [%s, %s)%s", g.req.Granularity, from.Format(time.RFC3339), to.Format(time.RFC3339), g.vcSuffix())
	}
	z := g.zoneLabel()
	periodKind := cDateTime
	if g.req.Granularity != inventory.Hourly {
		periodKind = cDate
	}
	figures := []col{
		{name: "VMs", kind: cDec2}, {name: "Templates", kind: cDec2}, {name: "Powered on", kind: cDec2},
		{name: "vCPUs", kind: cDec2}, {name: "RAM GB", kind: cDec2}, {name: "Provisioned disk GB", kind: cDec2},
		{name: "Hosts", kind: cDec2}, {name: "Clusters", kind: cDec2}, {name: "Datastores", kind: cDec2},
		{name: "Datastore capacity GB", kind: cDec2}, {name: "Datastore free GB", kind: cDec2},
	}
	sh, err := g.newSheet("Totals", append([]col{
		{name: "vCenter", kind: cText}, {name: "Granularity", kind: cText, width: 12},
		{name: "Period start" + z, kind: periodKind}, {name: "Snapshots", kind: cInt},
	}, figures...))
	if err != nil {
		return err
	}
	for i := range agg {
		a := &agg[i]
		if err := sh.add(a.Vcenter, string(a.Granularity), a.PeriodStart, a.SnapshotCount, a.VMCount, a.TemplateCount,
			a.PoweredOnCount, a.VCPUTotal, a.RAMGBTotal, a.ProvisionedDiskGBTotal, a.HostCount, a.ClusterCount,
			a.DatastoreCount, a.DatastoreCapacityGB, a.DatastoreFreeGB); err != nil {
			return err
		}
	}
	if err := sh.close(); err != nil {
		return err
	}
	if g.req.Granularity != inventory.Hourly {
		return nil
	}
	sh, err = g.newSheet("Snapshots", []col{
		{name: "vCenter", kind: cText}, {name: "Snapshot time" + z, kind: cDateTime},
		{name: "VMs", kind: cInt}, {name: "Templates", kind: cInt}, {name: "Powered on", kind: cInt},
		{name: "vCPUs", kind: cInt}, {name: "RAM GB", kind: cDec2}, {name: "Provisioned disk GB", kind: cDec2},
		{name: "Hosts", kind: cInt}, {name: "Clusters", kind: cInt}, {name: "Datastores", kind: cInt},
		{name: "Datastore capacity GB", kind: cDec2}, {name: "Datastore free GB", kind: cDec2},
	})
	if err != nil {
		return err
	}
	for i := range snaps {
		t := &snaps[i]
		if err := sh.add(t.Vcenter, t.SnapshotTime, t.VMCount, t.TemplateCount, t.PoweredOnCount, t.VCPUTotal, t.RAMGBTotal,
			t.ProvisionedDiskGBTotal, t.HostCount, t.ClusterCount, t.DatastoreCount, t.DatastoreCapacityGB, t.DatastoreFreeGB); err != nil {
			return err
		}
	}
	return sh.close()
}

// trace writes one VM's samples, lifecycle and events.
func (g *gen) trace() error {
	p := &store.TraceVMParams{Vcenter: g.req.Vcenter, Limit: MaxRows}
	switch {
	case g.req.VMID != "":
		p.VMID = g.req.VMID
	case g.req.VMUUID != "":
		p.VMUUID = g.req.VMUUID
	default:
		p.Name = g.req.VMName
	}
	samples, err := g.st.TraceVM(g.ctx, p)
	if err != nil {
		return g.readErr("trace VM", err)
	}
	// The lifecycle and events are keyed by vm_id: the requested one, else
	// the ids the samples carry (newest first).
	var ids []string
	if g.req.VMID != "" {
		ids = []string{g.req.VMID}
	} else {
		seen := map[string]bool{}
		for i := len(samples) - 1; i >= 0; i-- {
			if id := samples[i].VMID; id != "" && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	var lcs []*inventory.Lifecycle
	for _, id := range ids {
		lc, err := g.st.GetLifecycle(g.ctx, &store.GetLifecycleParams{Vcenter: g.req.Vcenter, VMID: id})
		if err != nil {
			if isNotFound(err) {
				continue
			}
			return g.readErr("get lifecycle", err)
		}
		lcs = append(lcs, lc)
	}
	if len(samples) == 0 && len(lcs) == 0 {
		return g.noData("vCenter %q has no history of VM %q", g.req.Vcenter, g.req.vmSelector())
	}
	sh, err := g.newSheet("History", g.vmColumns())
	if err != nil {
		return err
	}
	for i := range samples {
		if err := g.vmRow(sh, &samples[i]); err != nil {
			return err
		}
	}
	if err := sh.close(); err != nil {
		return err
	}
	z := g.zoneLabel()
	sh, err = g.newSheet("Lifecycle", []col{
		{name: "vCenter", kind: cText}, {name: "VM ID", kind: cText, width: 14}, {name: "VM UUID", kind: cText, width: 38},
		{name: "Name", kind: cText, width: 32}, {name: "First seen" + z, kind: cDateTime}, {name: "Last seen" + z, kind: cDateTime},
		{name: "Creation time" + z, kind: cDateTime}, {name: "Creation source", kind: cText, width: 16},
		{name: "Deletion time" + z, kind: cDateTime}, {name: "Deletion source", kind: cText, width: 16}, {name: "Deleted", kind: cBool},
	})
	if err != nil {
		return err
	}
	for _, l := range lcs {
		if err := sh.add(l.Vcenter, l.VMID, l.VMUUID, l.Name, l.FirstSeen, l.LastSeen, l.CreationTime, l.CreationSource,
			l.DeletionTime, l.DeletionSource, l.Deleted); err != nil {
			return err
		}
	}
	if err := sh.close(); err != nil {
		return err
	}
	sh, err = g.newSheet("Events", []col{
		{name: "Snapshot time" + z, kind: cDateTime}, {name: "vCenter", kind: cText}, {name: "Kind", kind: cText, width: 14},
		{name: "VM ID", kind: cText, width: 14}, {name: "Name", kind: cText, width: 32}, {name: "Field", kind: cText, width: 18},
		{name: "Before", kind: cText, width: 26}, {name: "After", kind: cText, width: 26}, {name: "Event ID", kind: cInt},
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		cursor := ""
		for {
			page, err := g.st.ListEvents(g.ctx, &store.ListEventsParams{Vcenter: g.req.Vcenter, VMID: id, Limit: 1000, Cursor: cursor})
			if err != nil {
				return g.readErr("list events", err)
			}
			for i := range page.Events {
				if err := eventRows(sh, &page.Events[i]); err != nil {
					return err
				}
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
	}
	return sh.close()
}

// eventRows writes one row per changed field of e (one row when it names
// no field).
func eventRows(sh *sheet, e *inventory.Event) error {
	keys := map[string]bool{}
	for k := range e.Before {
		keys[k] = true
	}
	for k := range e.After {
		keys[k] = true
	}
	if len(keys) == 0 {
		return sh.add(e.SnapshotTime, e.Vcenter, e.Kind, e.VMID, e.Name, nil, nil, nil, e.ID)
	}
	fields := make([]string, 0, len(keys))
	for k := range keys {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, f := range fields {
		if err := sh.add(e.SnapshotTime, e.Vcenter, e.Kind, e.VMID, e.Name, f, e.Before[f], e.After[f], e.ID); err != nil {
			return err
		}
	}
	return nil
}
