package lifecycle

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// DetailEvents returns the change events between a VM's stored detail
// (before) and its newly captured detail (after), stamped with snapshot
// time s and the VM's name and uuid: disk_added, disk_removed,
// disk_resized, nic_added, nic_removed, nic_reconnected, snapshot_created,
// snapshot_removed, tools_status, hardware_upgraded and annotation, at most
// one of each kind, in that order. Nothing is returned when before or
// after is nil (a VM's first detail is its baseline) or nothing changed.
//
// Devices are matched by device key and snapshots by snapshot id, so a
// renamed label is not an add plus a remove. Before and After are keyed by
// the device label (a disk's or NIC's) or the snapshot name, with
// " (key N)" or " (id N)" appended when two devices or snapshots of the VM
// share a label or name:
//
//   - disk_added / disk_removed: "<capacity> MiB <provisioning> <file>"
//   - disk_resized: the capacity in MiB before and after
//   - nic_added / nic_removed: "<network> <mac>"
//   - nic_reconnected: "<network> connected|disconnected" before and after,
//     when the network changed, or the connected flag while the VM ran
//     (BootTime set) in both captures: powering a VM off disconnects its
//     NICs, and that is a power event, not this one
//   - snapshot_created / snapshot_removed: the creation time (RFC 3339)
//   - tools_status: tools_running_status, tools_version_status and
//     tools_version, only those that changed
//   - hardware_upgraded: hardware_version (any change, a downgrade too)
//   - annotation: the notes before and after
func DetailEvents(before, after *inventory.VMDetail, s time.Time, name, uuid string) []inventory.Event {
	if before == nil || after == nil {
		return nil
	}
	var out []inventory.Event
	event := func(kind inventory.EventKind, b, a map[string]string) {
		if len(b) == 0 && len(a) == 0 {
			return
		}
		out = append(out, inventory.Event{Vcenter: after.Vcenter, SnapshotTime: s, Kind: kind, VMID: after.VMID,
			VMUUID: uuid, Name: name, Before: nilIfEmpty(b), After: nilIfEmpty(a)})
	}

	// Disks.
	oldDisks := byKey(before.Disks, func(d inventory.VirtualDisk) int32 { return d.Key })
	newDisks := byKey(after.Disks, func(d inventory.VirtualDisk) int32 { return d.Key })
	disk := func(d inventory.VirtualDisk) string {
		return strings.TrimSpace(fmt.Sprintf("%d MiB %s %s", d.CapacityMB, d.Provisioning, d.FilePath))
	}
	diskLabel := func(all []inventory.VirtualDisk, d inventory.VirtualDisk) string {
		return label(d.Label, d.Key, slices.ContainsFunc(all, func(x inventory.VirtualDisk) bool { return x.Key != d.Key && x.Label == d.Label }))
	}
	added, removed := map[string]string{}, map[string]string{}
	rb, ra := map[string]string{}, map[string]string{}
	for _, d := range after.Disks {
		o, ok := oldDisks[d.Key]
		if !ok {
			added[diskLabel(after.Disks, d)] = disk(d)
		} else if o.CapacityMB != d.CapacityMB {
			l := diskLabel(after.Disks, d)
			rb[l], ra[l] = strconv.FormatInt(o.CapacityMB, 10), strconv.FormatInt(d.CapacityMB, 10)
		}
	}
	for _, d := range before.Disks {
		if _, ok := newDisks[d.Key]; !ok {
			removed[diskLabel(before.Disks, d)] = disk(d)
		}
	}
	event(inventory.EventDiskAdded, nil, added)
	event(inventory.EventDiskRemoved, removed, nil)
	event(inventory.EventDiskResized, rb, ra)

	// NICs.
	oldNICs := byKey(before.NICs, func(n inventory.VirtualNIC) int32 { return n.Key })
	newNICs := byKey(after.NICs, func(n inventory.VirtualNIC) int32 { return n.Key })
	nic := func(n inventory.VirtualNIC) string { return strings.TrimSpace(netName(n) + " " + n.MAC) }
	conn := func(n inventory.VirtualNIC) string {
		if n.Connected {
			return netName(n) + " connected"
		}
		return netName(n) + " disconnected"
	}
	// A powered-off VM's NICs read disconnected: the connected flag is
	// compared only when the VM was running (booted) in both captures.
	running := !before.BootTime.IsZero() && !after.BootTime.IsZero()
	nicLabel := func(all []inventory.VirtualNIC, n inventory.VirtualNIC) string {
		return label(n.Label, n.Key, slices.ContainsFunc(all, func(x inventory.VirtualNIC) bool { return x.Key != n.Key && x.Label == n.Label }))
	}
	added, removed = map[string]string{}, map[string]string{}
	rb, ra = map[string]string{}, map[string]string{}
	for _, n := range after.NICs {
		o, ok := oldNICs[n.Key]
		if !ok {
			added[nicLabel(after.NICs, n)] = nic(n)
		} else if (running && o.Connected != n.Connected) || o.NetworkID != n.NetworkID || (o.NetworkID == "" && o.Network != n.Network) {
			l := nicLabel(after.NICs, n)
			rb[l], ra[l] = conn(o), conn(n)
		}
	}
	for _, n := range before.NICs {
		if _, ok := newNICs[n.Key]; !ok {
			removed[nicLabel(before.NICs, n)] = nic(n)
		}
	}
	event(inventory.EventNICAdded, nil, added)
	event(inventory.EventNICRemoved, removed, nil)
	event(inventory.EventNICReconnected, rb, ra)

	// Snapshots.
	oldSnaps := byKey(before.Snapshots, func(x inventory.VMSnapshot) int32 { return x.ID })
	newSnaps := byKey(after.Snapshots, func(x inventory.VMSnapshot) int32 { return x.ID })
	created, gone := map[string]string{}, map[string]string{}
	for _, x := range after.Snapshots {
		if _, ok := oldSnaps[x.ID]; !ok {
			created[snapName(x, after.Snapshots)] = x.Created.UTC().Format(time.RFC3339)
		}
	}
	for _, x := range before.Snapshots {
		if _, ok := newSnaps[x.ID]; !ok {
			gone[snapName(x, before.Snapshots)] = x.Created.UTC().Format(time.RFC3339)
		}
	}
	event(inventory.EventSnapshotCreated, nil, created)
	event(inventory.EventSnapshotRemoved, gone, nil)

	// Scalars.
	tb, ta := map[string]string{}, map[string]string{}
	field := func(b, a map[string]string, key, x, y string) {
		if x != y {
			b[key], a[key] = x, y
		}
	}
	field(tb, ta, "tools_running_status", before.ToolsRunningStatus, after.ToolsRunningStatus)
	field(tb, ta, "tools_version_status", before.ToolsVersionStatus, after.ToolsVersionStatus)
	field(tb, ta, "tools_version", before.ToolsVersion, after.ToolsVersion)
	event(inventory.EventToolsStatus, tb, ta)
	hb, ha := map[string]string{}, map[string]string{}
	field(hb, ha, "hardware_version", before.HardwareVersion, after.HardwareVersion)
	event(inventory.EventHardwareUpgrade, hb, ha)
	nb, na := map[string]string{}, map[string]string{}
	field(nb, na, "annotation", before.Annotation, after.Annotation)
	event(inventory.EventAnnotation, nb, na)
	return out
}

func byKey[T any](xs []T, key func(T) int32) map[int32]T {
	m := make(map[int32]T, len(xs))
	for _, x := range xs {
		m[key(x)] = x
	}
	return m
}

func netName(n inventory.VirtualNIC) string {
	if n.Network != "" {
		return n.Network
	}
	return n.NetworkID
}

// label is a device's key in an event: its label, with its device key
// when another device of the VM has the same label (or it has none).
func label(l string, key int32, shared bool) string {
	if shared || l == "" {
		return fmt.Sprintf("%s (key %d)", l, key)
	}
	return l
}

// snapName is a snapshot's key in an event: its name, with its id when
// another snapshot of the same VM has that name.
func snapName(x inventory.VMSnapshot, all []inventory.VMSnapshot) string {
	if slices.ContainsFunc(all, func(y inventory.VMSnapshot) bool { return y.ID != x.ID && y.Name == x.Name }) {
		return fmt.Sprintf("%s (id %d)", x.Name, x.ID)
	}
	return x.Name
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
