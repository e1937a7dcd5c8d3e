package driver

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// PrepareDetails checks WriteDetailsParams and returns the snapshot time
// and a deep copy of the detail as the stores keep it: each slice sorted
// by id (stably), times in UTC at Precision. Every row must carry
// p.Vcenter and a non-empty id unique within its kind; strings must be
// storable (no NUL byte, valid UTF-8) and floats finite.
func PrepareDetails(p *store.WriteDetailsParams) (time.Time, *inventory.Details, error) {
	const op = "WriteDetails"
	if p == nil || p.Vcenter == "" {
		return time.Time{}, nil, Invalid(op, "Vcenter", "must not be empty")
	}
	if p.SnapshotTime.IsZero() {
		return time.Time{}, nil, Invalid(op, "SnapshotTime", "must be set")
	}
	if err := CheckStrings(op, "Vcenter", p.Vcenter); err != nil {
		return time.Time{}, nil, err
	}
	d := CloneDetails(&p.Details)
	check := func(field string, n int, vc, id func(i int) string) error {
		seen := make(map[string]bool, n)
		for i := 0; i < n; i++ {
			if vc(i) != p.Vcenter {
				return Invalid(op, fmt.Sprintf("Details.%s[%d].Vcenter", field, i), fmt.Sprintf("is %q, want %q", vc(i), p.Vcenter))
			}
			if id(i) == "" {
				return Invalid(op, fmt.Sprintf("Details.%s[%d].ID", field, i), "must not be empty")
			}
			if seen[id(i)] {
				return Invalid(op, fmt.Sprintf("Details.%s[%d].ID", field, i), fmt.Sprintf("%q is repeated", id(i)))
			}
			seen[id(i)] = true
		}
		return nil
	}
	for _, err := range []error{
		check("VMs", len(d.VMs), func(i int) string { return d.VMs[i].Vcenter }, func(i int) string { return d.VMs[i].VMID }),
		check("Hosts", len(d.Hosts), func(i int) string { return d.Hosts[i].Vcenter }, func(i int) string { return d.Hosts[i].HostID }),
		check("Clusters", len(d.Clusters), func(i int) string { return d.Clusters[i].Vcenter }, func(i int) string { return d.Clusters[i].ClusterID }),
		check("Datastores", len(d.Datastores), func(i int) string { return d.Datastores[i].Vcenter }, func(i int) string { return d.Datastores[i].DatastoreID }),
		check("Switches", len(d.Switches), func(i int) string { return d.Switches[i].Vcenter }, func(i int) string { return d.Switches[i].ID }),
	} {
		if err != nil {
			return time.Time{}, nil, err
		}
	}
	if err := validateDetails(op, d); err != nil {
		return time.Time{}, nil, err
	}
	normDetailTimes(d)
	slices.SortStableFunc(d.VMs, func(a, b inventory.VMDetail) int { return cmp.Compare(a.VMID, b.VMID) })
	slices.SortStableFunc(d.Hosts, func(a, b inventory.HostDetail) int { return cmp.Compare(a.HostID, b.HostID) })
	slices.SortStableFunc(d.Clusters, func(a, b inventory.ClusterDetail) int { return cmp.Compare(a.ClusterID, b.ClusterID) })
	slices.SortStableFunc(d.Datastores, func(a, b inventory.DatastoreDetail) int { return cmp.Compare(a.DatastoreID, b.DatastoreID) })
	slices.SortStableFunc(d.Switches, func(a, b inventory.DistributedSwitch) int { return cmp.Compare(a.ID, b.ID) })
	return store.SnapshotTime(p.SnapshotTime), d, nil
}

// validateDetails checks every string and float of d.
func validateDetails(op string, d *inventory.Details) error {
	str := func(field string, i int, vals ...string) error {
		return CheckStrings(op, indexed("Details."+field, i), vals...)
	}
	for i := range d.VMs {
		v := &d.VMs[i]
		if err := str("VMs", i, v.VMID, v.HardwareVersion, v.Firmware, v.Annotation, v.DNSName, v.GuestState,
			v.GuestFullName, v.GuestHeartbeat, v.OverallStatus, v.ConfigStatus, v.ConnectionState, v.ToolsRunningStatus,
			v.ToolsVersionStatus, v.ToolsVersion, v.ToolsUpgradePolicy, v.CPU.Shares.Level, v.Memory.Shares.Level,
			v.HARestartPriority, v.VMXPath, v.FolderPath); err != nil {
			return err
		}
		if err := CheckStrings(op, indexed("Details.VMs", i)+".IPAddresses", v.IPAddresses...); err != nil {
			return err
		}
		for j, s := range v.Snapshots {
			if err := CheckStrings(op, indexed(indexed("Details.VMs", i)+".Snapshots", j), s.Name, s.Description,
				string(s.State), s.File); err != nil {
				return err
			}
			if err := CheckFloats(op, indexed(indexed("Details.VMs", i)+".Snapshots", j)+".SizeMB", s.SizeMB); err != nil {
				return err
			}
		}
		for j, x := range v.Disks {
			if err := CheckStrings(op, indexed(indexed("Details.VMs", i)+".Disks", j), x.Label, x.Provisioning,
				x.DatastoreID, x.Datastore, x.FilePath, x.Controller, x.Mode, x.Shares.Level); err != nil {
				return err
			}
		}
		for j, x := range v.NICs {
			if err := CheckStrings(op, indexed(indexed("Details.VMs", i)+".NICs", j), x.Label, x.AdapterType,
				x.NetworkID, x.Network, x.MAC); err != nil {
				return err
			}
		}
		for j, x := range v.Removables {
			if err := CheckStrings(op, indexed(indexed("Details.VMs", i)+".Removables", j), x.Kind, x.Label, x.Backing); err != nil {
				return err
			}
		}
		for j, x := range v.Partitions {
			if err := CheckStrings(op, indexed(indexed("Details.VMs", i)+".Partitions", j), x.Path); err != nil {
				return err
			}
		}
	}
	for i := range d.Hosts {
		h := &d.Hosts[i]
		if err := str("Hosts", i, h.HostID, h.OverallStatus); err != nil {
			return err
		}
		vals := append(slices.Clone(h.NTPServers), h.DNSServers...)
		for _, n := range h.NICs {
			vals = append(vals, n.Device, n.Driver, n.MAC, n.PCI)
		}
		for _, a := range h.HBAs {
			vals = append(vals, a.Device, a.Type, a.Model, a.Driver, a.Status, a.WWN)
		}
		for _, s := range h.VSwitches {
			vals = append(append(vals, s.Name), s.Uplinks...)
		}
		for _, g := range h.Portgroups {
			vals = append(vals, g.Name, g.VSwitch)
		}
		if err := str("Hosts", i, vals...); err != nil {
			return err
		}
	}
	for i := range d.Clusters {
		c := &d.Clusters[i]
		if err := str("Clusters", i, c.ClusterID, c.OverallStatus, c.EVCMode, c.DRSBehavior, c.HAHostMonitoring,
			c.HARestartPriority, c.HAIsolationResponse, c.HAVMMonitoring); err != nil {
			return err
		}
	}
	for i := range d.Datastores {
		x := &d.Datastores[i]
		if err := str("Datastores", i, append([]string{x.DatastoreID, x.OverallStatus, x.VMFSVersion, x.NFSServer,
			x.NFSPath, x.MaintenanceMode}, x.Extents...)...); err != nil {
			return err
		}
	}
	for i := range d.Switches {
		s := &d.Switches[i]
		if err := str("Switches", i, append([]string{s.ID, s.Name, s.Datacenter, s.Vendor, s.Version,
			s.Description}, s.HostIDs...)...); err != nil {
			return err
		}
	}
	return nil
}

// normDetailTimes puts every time of d in UTC at Precision (zero stays
// zero).
func normDetailTimes(d *inventory.Details) {
	for i := range d.VMs {
		v := &d.VMs[i]
		v.BootTime = NormTime(v.BootTime)
		for j := range v.Snapshots {
			v.Snapshots[j].Created = NormTime(v.Snapshots[j].Created)
		}
	}
	for i := range d.Hosts {
		d.Hosts[i].BootTime = NormTime(d.Hosts[i].BootTime)
	}
	for i := range d.Switches {
		d.Switches[i].Created = NormTime(d.Switches[i].Created)
	}
}

// CloneDetails returns a deep copy of d: no slice of the copy shares
// memory with d, and empty slices are nil (as every backend reads them
// back).
func CloneDetails(d *inventory.Details) *inventory.Details {
	out := &inventory.Details{
		VMs:        clip(d.VMs),
		Hosts:      clip(d.Hosts),
		Clusters:   clip(d.Clusters),
		Datastores: clip(d.Datastores),
		Switches:   clip(d.Switches),
	}
	for i := range out.VMs {
		v := &out.VMs[i]
		v.IPAddresses = clip(v.IPAddresses)
		v.Snapshots = clip(v.Snapshots)
		v.Disks = clip(v.Disks)
		v.NICs = clip(v.NICs)
		v.Removables = clip(v.Removables)
		v.Partitions = clip(v.Partitions)
	}
	for i := range out.Hosts {
		h := &out.Hosts[i]
		h.NTPServers = clip(h.NTPServers)
		h.DNSServers = clip(h.DNSServers)
		h.NICs = clip(h.NICs)
		h.HBAs = clip(h.HBAs)
		h.VSwitches = clip(h.VSwitches)
		for j := range h.VSwitches {
			h.VSwitches[j].Uplinks = clip(h.VSwitches[j].Uplinks)
		}
		h.Portgroups = clip(h.Portgroups)
	}
	for i := range out.Datastores {
		out.Datastores[i].Extents = clip(out.Datastores[i].Extents)
	}
	for i := range out.Switches {
		out.Switches[i].HostIDs = clip(out.Switches[i].HostIDs)
	}
	return out
}

// clip returns a copy of s, nil when s is empty.
func clip[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// ValidateReadDetails checks ReadDetailsParams (nil reads everything):
// VMIDs need a Vcenter, and strings must be storable.
func ValidateReadDetails(p *store.ReadDetailsParams) error {
	const op = "ReadDetails"
	if p == nil {
		return nil
	}
	if len(p.VMIDs) > 0 && p.Vcenter == "" {
		return Invalid(op, "VMIDs", "need a Vcenter")
	}
	if p.VMsOnly && p.EntitiesOnly {
		return Invalid(op, "EntitiesOnly", "and VMsOnly leave nothing to read")
	}
	if err := CheckStrings(op, "Vcenter", p.Vcenter); err != nil {
		return err
	}
	return CheckStrings(op, "VMIDs", p.VMIDs...)
}
