package lifecycle

import (
	"fmt"
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
// share a label or name (or it has none):
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

	// Disks, NICs, snapshots.
	d := diffItems(before.Disks, after.Disks, diskItem, func(o, n inventory.VirtualDisk) (string, string, bool) {
		return strconv.FormatInt(o.CapacityMB, 10), strconv.FormatInt(n.CapacityMB, 10), o.CapacityMB != n.CapacityMB
	})
	event(inventory.EventDiskAdded, nil, d.added)
	event(inventory.EventDiskRemoved, d.removed, nil)
	event(inventory.EventDiskResized, d.before, d.after)
	// A powered-off VM's NICs read disconnected: the connected flag is
	// compared only when the VM was running (booted) in both captures.
	running := !before.BootTime.IsZero() && !after.BootTime.IsZero()
	conn := func(n inventory.VirtualNIC) string {
		if n.Connected {
			return netName(n) + " connected"
		}
		return netName(n) + " disconnected"
	}
	d = diffItems(before.NICs, after.NICs, nicItem, func(o, n inventory.VirtualNIC) (string, string, bool) {
		return conn(o), conn(n), (running && o.Connected != n.Connected) || o.NetworkID != n.NetworkID || (o.NetworkID == "" && o.Network != n.Network)
	})
	event(inventory.EventNICAdded, nil, d.added)
	event(inventory.EventNICRemoved, d.removed, nil)
	event(inventory.EventNICReconnected, d.before, d.after)
	d = diffItems(before.Snapshots, after.Snapshots, snapshotItem, nil)
	event(inventory.EventSnapshotCreated, nil, d.added)
	event(inventory.EventSnapshotRemoved, d.removed, nil)

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

// item is how DetailEvents sees a device or snapshot: its identity, its
// label in events and the value an added or removed one shows.
type item struct {
	id    int32
	label string
	value string
	// idWord names the id where a shared label needs it: "key" for a
	// device, "id" for a snapshot.
	idWord string
}

func diskItem(d inventory.VirtualDisk) item {
	return item{d.Key, d.Label, strings.TrimSpace(fmt.Sprintf("%d MiB %s %s", d.CapacityMB, d.Provisioning, d.FilePath)), "key"}
}

func nicItem(n inventory.VirtualNIC) item {
	return item{n.Key, n.Label, strings.TrimSpace(netName(n) + " " + n.MAC), "key"}
}

func snapshotItem(x inventory.VMSnapshot) item {
	return item{x.ID, x.Name, x.Created.UTC().Format(time.RFC3339), "id"}
}

// itemDiff is what changed between two lists of items, keyed by label.
type itemDiff struct {
	added, removed, before, after map[string]string
}

// diffItems matches the items of old and cur by id: new ones are added,
// missing ones removed, and those changed says changed give their before
// and after values (changed nil: items are compared by id only). An item
// is keyed by its label, with " (key N)" — " (id N)" for a snapshot —
// appended when another item of its list has the same label.
func diffItems[T any](old, cur []T, it func(T) item, changed func(o, n T) (string, string, bool)) itemDiff {
	d := itemDiff{map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}}
	keyed := func(xs []T) (map[int32]T, func(item) string) {
		m := make(map[int32]T, len(xs))
		count := map[string]int{}
		for _, x := range xs {
			i := it(x)
			m[i.id] = x
			count[i.label]++
		}
		return m, func(i item) string {
			if count[i.label] > 1 || i.label == "" {
				return fmt.Sprintf("%s (%s %d)", i.label, i.idWord, i.id)
			}
			return i.label
		}
	}
	oldBy, oldKey := keyed(old)
	curBy, curKey := keyed(cur)
	for _, x := range cur {
		i := it(x)
		o, ok := oldBy[i.id]
		if !ok {
			d.added[curKey(i)] = i.value
		} else if changed != nil {
			if b, a, yes := changed(o, x); yes {
				d.before[curKey(i)], d.after[curKey(i)] = b, a
			}
		}
	}
	for _, x := range old {
		i := it(x)
		if _, ok := curBy[i.id]; !ok {
			d.removed[oldKey(i)] = i.value
		}
	}
	return d
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// netName names a NIC's network: its name, else its id.
func netName(n inventory.VirtualNIC) string {
	if n.Network != "" {
		return n.Network
	}
	return n.NetworkID
}
