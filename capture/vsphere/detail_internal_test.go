package vsphere

import (
	"testing"

	"github.com/vmware/govmomi/vim25/types"
)

// TestDetailFaults: a fault on a detail path leaves that value empty and
// the object in the inventory; a fault on a core path, or NotAuthenticated
// on any path, still sets the object aside (refetch, IncompleteError or a
// re-login).
func TestDetailFaults(t *testing.T) {
	vm := types.ManagedObjectReference{Type: tVM, Value: "vm-7"}
	fault := func(path string, f types.BaseMethodFault) types.MissingProperty {
		return types.MissingProperty{Path: path, Fault: types.LocalizedMethodFault{Fault: f}}
	}
	props := []types.DynamicProperty{{Name: "name", Val: "web"}, {Name: "config.version", Val: "vmx-19"}}
	specs := []types.PropertySpec{{Type: tVM, PathSet: vmProps}}

	b := newBatch()
	b.add(types.ObjectContent{Obj: vm, PropSet: props, MissingSet: []types.MissingProperty{
		fault("layoutEx", &types.SystemError{Reason: "boom"}),
		fault("guest.disk", &types.NoPermission{}),
	}}, specs, nil)
	if len(b.vms) != 1 || len(b.incomplete) != 0 {
		t.Fatalf("detail faults: %d VMs, %d incomplete; want the VM kept", len(b.vms), len(b.incomplete))
	}
	if v := b.vms[0]; v.name != "web" || v.det.d.HardwareVersion != "vmx-19" || v.det.layout != nil {
		t.Fatalf("VM decoded as %+v", v)
	}
	if b.detailMissing.n != 2 || len(b.detailMissing.first) != 2 {
		t.Fatalf("detail faults recorded: %+v", b.detailMissing)
	}

	for name, ms := range map[string][]types.MissingProperty{
		"core path":                 {fault("config.hardware.numCPU", &types.SystemError{})},
		"core and detail":           {fault("layoutEx", &types.SystemError{}), fault("runtime.host", &types.SystemError{})},
		"NotAuthenticated (detail)": {fault("layoutEx", &types.NotAuthenticated{})},
	} {
		b := newBatch()
		b.add(types.ObjectContent{Obj: vm, PropSet: props, MissingSet: ms}, specs, nil)
		if len(b.vms) != 0 || len(b.incomplete) != 1 {
			t.Errorf("%s: %d VMs, %d incomplete; want the VM set aside", name, len(b.vms), len(b.incomplete))
			continue
		}
		for _, m := range b.incomplete[0].missing {
			if m.Path == "layoutEx" && name == "core and detail" {
				t.Errorf("%s: the detail fault is among the core ones", name)
			}
		}
		if name == "NotAuthenticated (detail)" && !notAuthenticated(b.incomplete[0].missing) {
			t.Errorf("%s: NotAuthenticated lost", name)
		}
	}

	// A distributed switch's detail path, by its concrete type.
	if !isDetailPath("VmwareDistributedVirtualSwitch", "config") || isDetailPath("VmwareDistributedVirtualSwitch", "name") ||
		isDetailPath(tDatastore, "summary") || !isDetailPath(tCluster, "summary") {
		t.Error("isDetailPath")
	}

	// Many faults: the first ten are kept, all are counted.
	var fl faultList
	for range 25 {
		fl.add("x")
	}
	var all faultList
	all.merge(fl)
	all.merge(fl)
	if all.n != 50 || len(all.first) != 10 {
		t.Errorf("faultList: %d counted, %d kept", all.n, len(all.first))
	}
}

// TestSnapshotSizes: a snapshot's size is its .vmsn and memory files plus
// the delta disks it created (the link after its own chain, in a later
// snapshot's chain or the running disk's).
func TestSnapshotSizes(t *testing.T) {
	file := func(key int32, name string, size int64) types.VirtualMachineFileLayoutExFileInfo {
		return types.VirtualMachineFileLayoutExFileInfo{Key: key, Name: name, Size: size}
	}
	unit := func(keys ...int32) types.VirtualMachineFileLayoutExDiskUnit {
		return types.VirtualMachineFileLayoutExDiskUnit{FileKey: keys}
	}
	disk := func(key int32, units ...types.VirtualMachineFileLayoutExDiskUnit) types.VirtualMachineFileLayoutExDiskLayout {
		return types.VirtualMachineFileLayoutExDiskLayout{Key: key, Chain: units}
	}
	s1 := types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: "snapshot-1"}
	s2 := types.ManagedObjectReference{Type: "VirtualMachineSnapshot", Value: "snapshot-2"}
	l := &types.VirtualMachineFileLayoutEx{
		File: []types.VirtualMachineFileLayoutExFileInfo{
			file(0, "[ds] vm/vm.vmdk", 100<<20), file(1, "[ds] vm/vm-flat.vmdk", 10<<30),
			file(2, "[ds] vm/vm-000001.vmdk", 1<<20), file(3, "[ds] vm/vm-000001-sesparse.vmdk", 300<<20),
			file(4, "[ds] vm/vm-000002.vmdk", 1<<20), file(5, "[ds] vm/vm-000002-sesparse.vmdk", 50<<20),
			file(6, "[ds] vm/vm-Snapshot1.vmsn", 2<<20), file(7, "[ds] vm/vm-Snapshot2.vmsn", 3<<20),
			file(8, "[ds] vm/vm-Snapshot2.vmem", 1<<30),
			file(9, "[ds] vm/disk2.vmdk", 1<<20), file(10, "[ds] vm/disk2-000001.vmdk", 7<<20),
		},
		Disk: []types.VirtualMachineFileLayoutExDiskLayout{
			disk(2000, unit(0, 1), unit(2, 3), unit(4, 5)),
			disk(2001, unit(9), unit(10)), // added after snapshot 1
		},
		Snapshot: []types.VirtualMachineFileLayoutExSnapshotLayout{
			{Key: s1, DataKey: 6, MemoryKey: -1, Disk: []types.VirtualMachineFileLayoutExDiskLayout{disk(2000, unit(0, 1))}},
			{Key: s2, DataKey: 7, MemoryKey: 8, Disk: []types.VirtualMachineFileLayoutExDiskLayout{disk(2000, unit(0, 1), unit(2, 3)), disk(2001, unit(9))}},
		},
	}
	got := snapshotSizes(l)
	want := map[types.ManagedObjectReference]snapSize{
		s1: {file: "[ds] vm/vm-Snapshot1.vmsn", bytes: 2<<20 + 1<<20 + 300<<20},
		s2: {file: "[ds] vm/vm-Snapshot2.vmsn", bytes: 3<<20 + 1<<30 + 1<<20 + 50<<20 + 7<<20},
	}
	if len(got) != len(want) || got[s1] != want[s1] || got[s2] != want[s2] {
		t.Fatalf("snapshotSizes = %+v, want %+v", got, want)
	}
	tree := &types.VirtualMachineSnapshotInfo{
		CurrentSnapshot: &s2,
		RootSnapshotList: []types.VirtualMachineSnapshotTree{{Snapshot: s1, Id: 1, Name: "a", State: "poweredOff",
			ChildSnapshotList: []types.VirtualMachineSnapshotTree{{Snapshot: s2, Id: 2, Name: "b", State: "poweredOn", Quiesced: true}}}},
	}
	snaps := snapshots(tree, l)
	if len(snaps) != 2 || snaps[0].Depth != 1 || snaps[1].Depth != 2 || snaps[0].Current || !snaps[1].Current ||
		snaps[0].SizeMB != 303 || snaps[1].SizeMB != 3+1024+1+50+7 || snaps[1].File != "[ds] vm/vm-Snapshot2.vmsn" {
		t.Fatalf("snapshots = %+v", snaps)
	}
	if snapshots(nil, l) != nil {
		t.Fatal("no snapshot tree: want no snapshots")
	}
}
