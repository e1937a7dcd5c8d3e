package report

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// field is one compared VM field of the changes report.
type field struct {
	name string
	kind colKind
	get  func(*inventory.Sample) any
}

// changeFields are the fields compared between two snapshots, in column
// order.
var changeFields = []field{
	{"Name", cText, func(s *inventory.Sample) any { return s.Name }},
	{"VM UUID", cText, func(s *inventory.Sample) any { return s.VMUUID }},
	{"Datacenter", cText, func(s *inventory.Sample) any { return s.Datacenter }},
	{"Cluster", cText, func(s *inventory.Sample) any { return s.Cluster }},
	{"Host", cText, func(s *inventory.Sample) any { return s.Host }},
	{"Resource pool", cText, func(s *inventory.Sample) any { return s.ResourcePool }},
	{"Folder", cText, func(s *inventory.Sample) any { return s.Folder }},
	{"Power state", cText, func(s *inventory.Sample) any { return s.PowerState }},
	{"Template", cBool, func(s *inventory.Sample) any { return s.IsTemplate }},
	{"vCPUs", cInt, func(s *inventory.Sample) any { return s.VCPUCount }},
	{"RAM MB", cInt, func(s *inventory.Sample) any { return s.RAMMB }},
	{"Provisioned disk GB", cDec2, func(s *inventory.Sample) any { return s.ProvisionedDiskGB }},
	{"Used disk GB", cDec2, func(s *inventory.Sample) any { return s.UsedDiskGB }},
	{"Guest OS", cText, func(s *inventory.Sample) any { return s.GuestOS }},
	{"IP address", cText, func(s *inventory.Sample) any { return s.IPAddress }},
}

// ChangeFields lists the fields the changes report compares, in column
// order.
func ChangeFields() []string {
	out := make([]string, len(changeFields))
	for i, f := range changeFields {
		out[i] = f.name
	}
	return out
}

// changePairs finds, per vCenter, the latest snapshot at or before From
// and at or before To.
func (g *gen) changePairs() ([]SnapshotPair, error) {
	end := store.SnapshotTime(g.req.To).Add(time.Second)
	from := store.SnapshotTime(g.req.From)
	recs, err := g.st.ListSnapshots(g.ctx, &store.ListSnapshotsParams{Vcenter: g.req.Vcenter, Kind: inventory.Hourly, To: end})
	if err != nil {
		return nil, g.readErr("list snapshots", err)
	}
	m := map[string]*SnapshotPair{}
	for _, r := range recs { // ascending by time
		p := m[r.Vcenter]
		if p == nil {
			p = &SnapshotPair{Vcenter: r.Vcenter}
			m[r.Vcenter] = p
		}
		t := r.SnapshotTime.UTC()
		if !t.After(from) {
			p.Before = t
		}
		p.After = t
	}
	if len(m) == 0 && g.req.Vcenter != "" {
		// Data without registry records: fall back to sample times.
		after, ok, err := g.latestSnapshot(g.req.Vcenter, g.req.To)
		if err != nil || !ok {
			return nil, err
		}
		before, _, err := g.latestSnapshot(g.req.Vcenter, g.req.From)
		if err != nil {
			return nil, err
		}
		m[g.req.Vcenter] = &SnapshotPair{Vcenter: g.req.Vcenter, Before: before, After: after}
	}
	out := make([]SnapshotPair, 0, len(m))
	for _, p := range m {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Vcenter < out[j].Vcenter })
	return out, nil
}

// changes writes Added, Removed and Changed sheets comparing, per vCenter,
// the snapshot at or before From with the snapshot at or before To.
func (g *gen) changes() error {
	pairs, err := g.changePairs()
	if err != nil {
		return err
	}
	if len(pairs) == 0 {
		return g.noData("no snapshot at or before %s%s", g.req.To.UTC().Format(time.RFC3339), g.vcSuffix())
	}
	z := g.zoneLabel()
	vmCols := func(when string) []col {
		return []col{
			{name: "vCenter", kind: cText}, {name: "VM ID", kind: cText, width: 14}, {name: "VM UUID", kind: cText, width: 38},
			{name: "Name", kind: cText, width: 32}, {name: "Cluster", kind: cText}, {name: "Host", kind: cText, width: 26},
			{name: "Resource pool", kind: cText}, {name: "Power state", kind: cText, width: 13}, {name: "Template", kind: cBool},
			{name: "vCPUs", kind: cInt, width: 9}, {name: "RAM MB", kind: cInt}, {name: "Provisioned disk GB", kind: cDec2},
			{name: when + z, kind: cDateTime},
		}
	}
	vmVals := func(s *inventory.Sample) []any {
		return []any{s.Vcenter, s.VMID, s.VMUUID, s.Name, s.Cluster, s.Host, s.ResourcePool, s.PowerState, s.IsTemplate,
			s.VCPUCount, s.RAMMB, s.ProvisionedDiskGB, s.SnapshotTime}
	}
	chCols := []col{
		{name: "vCenter", kind: cText}, {name: "VM ID", kind: cText, width: 14}, {name: "Name", kind: cText, width: 32},
		{name: "Before snapshot" + z, kind: cDateTime}, {name: "After snapshot" + z, kind: cDateTime},
		{name: "Changed fields", kind: cText, width: 30},
	}
	for _, f := range changeFields {
		chCols = append(chCols, col{name: f.name + " before", kind: f.kind}, col{name: f.name + " after", kind: f.kind})
	}

	added, err := g.newSheet("Added", vmCols("First seen"))
	if err != nil {
		return err
	}
	// excelize streams one sheet at a time, so changed and removed rows
	// are collected and written after Added is flushed.
	var changed []Change
	var removed []inventory.Sample
	err = g.diff(pairs, func(_ SnapshotPair, c *Change) error {
		switch c.Kind {
		case ChangeAdded:
			return added.add(vmVals(c.After)...)
		case ChangeRemoved:
			removed = append(removed, *c.Before)
		default:
			changed = append(changed, *c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := added.close(); err != nil {
		return err
	}
	rm, err := g.newSheet("Removed", vmCols("Last seen"))
	if err != nil {
		return err
	}
	for i := range removed {
		if err := rm.add(vmVals(&removed[i])...); err != nil {
			return err
		}
	}
	if err := rm.close(); err != nil {
		return err
	}
	ch, err := g.newSheet("Changed", chCols)
	if err != nil {
		return err
	}
	vals := make([]any, len(chCols))
	for _, c := range changed {
		for i := range vals {
			vals[i] = nil
		}
		for _, fi := range c.fields {
			f := changeFields[fi]
			vals[6+2*fi], vals[7+2*fi] = f.get(c.Before), f.get(c.After)
		}
		vals[0], vals[1], vals[2] = c.After.Vcenter, c.After.VMID, c.After.Name
		vals[3], vals[4], vals[5] = c.Before.SnapshotTime, c.After.SnapshotTime, strings.Join(c.Fields, ", ")
		if err := ch.add(vals...); err != nil {
			return err
		}
	}
	return ch.close()
}
