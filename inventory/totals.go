package inventory

import "time"

// ComputeTotals returns the vcenter_totals row of one snapshot (SEMANTICS
// §6) from its samples and, when state is non-nil, its hosts, clusters and
// datastores. Templates count only in TemplateCount and
// ProvisionedDiskGBTotal.
func ComputeTotals(vcenter string, snapshotTime time.Time, samples []Sample, state *State) Totals {
	t := Totals{Vcenter: vcenter, SnapshotTime: snapshotTime}
	for i := range samples {
		s := &samples[i]
		t.ProvisionedDiskGBTotal += s.ProvisionedDiskGB
		if s.IsTemplate {
			t.TemplateCount++
			continue
		}
		t.VMCount++
		if s.PowerState == PoweredOn {
			t.PoweredOnCount++
		}
		t.VCPUTotal += int64(s.VCPUCount)
		t.RAMGBTotal += float64(s.RAMMB) / 1024
	}
	if state != nil {
		t.HostCount = len(state.Hosts)
		t.ClusterCount = len(state.Clusters)
		t.DatastoreCount = len(state.Datastores)
		for i := range state.Datastores {
			t.DatastoreCapacityGB += state.Datastores[i].CapacityGB
			t.DatastoreFreeGB += state.Datastores[i].FreeGB
		}
	}
	return t
}
