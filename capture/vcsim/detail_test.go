package vcsim_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// TestDetailMutations applies every detail mutation and checks its effect
// with a fresh property read through the API.
func TestDetailMutations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 3, Templates: -1, Seed: 3})
	c := s.Client.Client
	vmID := s.VMRefs()[1]
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: vmID}
	read := func() mo.VirtualMachine {
		t.Helper()
		var vm mo.VirtualMachine
		if err := property.DefaultCollector(c).RetrieveOne(ctx, ref, []string{"config", "guest", "runtime", "snapshot", "network"}, &vm); err != nil {
			t.Fatal(err)
		}
		return vm
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	devices := func(vm mo.VirtualMachine) object.VirtualDeviceList {
		return object.VirtualDeviceList(vm.Config.Hardware.Device)
	}

	// Hardware upgrade: refused while powered on, done when off.
	if read().Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
		if err := s.UpgradeHardware(ctx, vmID, "vmx-15"); err == nil {
			t.Fatal("UpgradeHardware of a powered-on VM succeeded")
		}
		must(s.PowerOff(ctx, vmID))
	}
	must(s.UpgradeHardware(ctx, vmID, "vmx-15"))
	if v := read().Config.Version; v != "vmx-15" {
		t.Fatalf("hardware version %q after the upgrade", v)
	}
	must(s.PowerOn(ctx, vmID))

	// Snapshots: a tree, the current one, removal.
	s1, err := s.CreateSnapshot(ctx, vmID, "one", "first", false, false)
	must(err)
	s2, err := s.CreateSnapshot(ctx, vmID, "two", "", true, true)
	must(err)
	vm := read()
	if vm.Snapshot == nil || vm.Snapshot.CurrentSnapshot.Value != s2 || len(vm.Snapshot.RootSnapshotList) != 1 {
		t.Fatalf("snapshot info %+v", vm.Snapshot)
	}
	root := vm.Snapshot.RootSnapshotList[0]
	if root.Snapshot.Value != s1 || root.Name != "one" || root.Description != "first" || root.Quiesced ||
		len(root.ChildSnapshotList) != 1 || root.ChildSnapshotList[0].Name != "two" || !root.ChildSnapshotList[0].Quiesced ||
		root.ChildSnapshotList[0].State != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("snapshot tree %+v", root)
	}
	must(s.RevertToSnapshot(ctx, vmID, "one"))
	if cur := read().Snapshot.CurrentSnapshot.Value; cur != s1 {
		t.Fatalf("current snapshot %s after revert, want %s", cur, s1)
	}
	must(s.RemoveSnapshot(ctx, vmID, s2, false))
	if vm := read(); len(vm.Snapshot.RootSnapshotList[0].ChildSnapshotList) != 0 {
		t.Fatalf("snapshot two not removed: %+v", vm.Snapshot)
	}
	must(s.RemoveSnapshot(ctx, vmID, "one", true))
	if vm := read(); vm.Snapshot != nil {
		t.Fatalf("snapshots left: %+v", vm.Snapshot)
	}

	// Disks: add (thin, other datastore), resize, remove.
	key, err := s.AddDisk(ctx, vmID, vcsim.DiskSpec{CapacityMB: 1536, Datastore: "LocalDS_1", Thin: true})
	must(err)
	disk, ok := devices(read()).FindByKey(key).(*types.VirtualDisk)
	if !ok || disk.CapacityInBytes != 1536<<20 {
		t.Fatalf("added disk %+v", disk)
	}
	b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !*b.ThinProvisioned || b.DiskMode != "persistent" {
		t.Fatalf("added disk backing %+v", b)
	}
	var p object.DatastorePath
	if !p.FromString(b.FileName) || p.Datastore != "LocalDS_1" {
		t.Fatalf("added disk file %q", b.FileName)
	}
	must(s.ResizeDisk(ctx, vmID, key, 4096))
	if d := devices(read()).FindByKey(key).(*types.VirtualDisk); d.CapacityInBytes != 4096<<20 {
		t.Fatalf("resized disk: %d bytes", d.CapacityInBytes)
	}
	if err := s.ResizeDisk(ctx, vmID, key, 1024); err == nil {
		t.Error("shrinking a disk succeeded")
	}
	must(s.RemoveDisk(ctx, vmID, key))
	if d := devices(read()).FindByKey(key); d != nil {
		t.Fatalf("disk %d not removed", key)
	}

	// NICs: add on a distributed port group, disconnect, remove.
	nk, err := s.AddNIC(ctx, vmID, "DC0_DVPG0", "e1000")
	must(err)
	vm = read()
	nic, ok := devices(vm).FindByKey(nk).(*types.VirtualE1000)
	if !ok {
		t.Fatalf("added NIC is %T", devices(vm).FindByKey(nk))
	}
	if _, ok := nic.Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo); !ok || !nic.Connectable.Connected {
		t.Fatalf("added NIC %+v", nic)
	}
	must(s.SetNICConnected(ctx, vmID, nk, false))
	if n := devices(read()).FindByKey(nk).GetVirtualDevice(); n.Connectable.Connected || n.Connectable.StartConnected {
		t.Fatalf("NIC still connected: %+v", n.Connectable)
	}
	must(s.SetNICConnected(ctx, vmID, nk, true))
	if n := devices(read()).FindByKey(nk).GetVirtualDevice(); !n.Connectable.Connected || !n.Connectable.StartConnected {
		t.Fatalf("NIC not reconnected: %+v", n.Connectable)
	}
	must(s.RemoveNIC(ctx, vmID, nk))
	if d := devices(read()).FindByKey(nk); d != nil {
		t.Fatalf("NIC %d not removed", nk)
	}

	// Annotation: set, then cleared.
	must(s.SetAnnotation(ctx, vmID, `=1+1 "x" <i>é`))
	if a := read().Config.Annotation; a != `=1+1 "x" <i>é` {
		t.Fatalf("annotation %q", a)
	}
	must(s.SetAnnotation(ctx, vmID, ""))
	if a := read().Config.Annotation; a != "" {
		t.Fatalf("annotation %q after clearing", a)
	}

	// Tools.
	must(s.SetTools(ctx, vmID, vcsim.Tools{RunningStatus: "guestToolsRunning", VersionStatus: "guestToolsNeedUpgrade", Version: "11333", UpgradePolicy: "manual"}))
	vm = read()
	if g := vm.Guest; g.ToolsRunningStatus != "guestToolsRunning" || g.ToolsVersionStatus2 != "guestToolsNeedUpgrade" || g.ToolsVersion != "11333" ||
		vm.Config.Tools == nil || vm.Config.Tools.ToolsUpgradePolicy != "manual" {
		t.Fatalf("Tools: guest %+v, config %+v", g, vm.Config.Tools)
	}

	// Guest information.
	must(s.SetGuest(vmID, vcsim.Guest{HostName: "h.example", State: "running", Heartbeat: "yellow", IPs: []string{"10.1.1.1", "10.1.1.2"},
		Partitions: []types.GuestDiskInfo{{DiskPath: "/data", Capacity: 1 << 30, FreeSpace: 1 << 29}}, ConsolidationNeeded: types.NewBool(true)}))
	var g mo.VirtualMachine
	must(property.DefaultCollector(c).RetrieveOne(ctx, ref, []string{"guest", "guestHeartbeatStatus", "runtime.consolidationNeeded"}, &g))
	if g.Guest.HostName != "h.example" || g.Guest.GuestState != "running" || g.GuestHeartbeatStatus != "yellow" || g.Guest.IpAddress != "10.1.1.1" ||
		len(g.Guest.Net) == 0 || !slices.Equal(g.Guest.Net[0].IpAddress, []string{"10.1.1.1", "10.1.1.2"}) ||
		len(g.Guest.Disk) != 1 || g.Guest.Disk[0].DiskPath != "/data" || !g.Runtime.ConsolidationNeeded {
		t.Fatalf("guest %+v, heartbeat %q, runtime %+v", g.Guest, g.GuestHeartbeatStatus, g.Runtime)
	}

	// SetProperty: a value, an unknown path and a wrong type (errors, not
	// panics), an unknown object.
	host := read().Runtime.Host
	must(s.SetProperty("HostSystem", host.Value, "config.dateTimeInfo", &types.HostDateTimeInfo{NtpConfig: &types.HostNtpConfig{Server: []string{"ntp.example"}}}))
	var h mo.HostSystem
	must(property.DefaultCollector(c).RetrieveOne(ctx, *host, []string{"config.dateTimeInfo"}, &h))
	if h.Config == nil || h.Config.DateTimeInfo == nil || !slices.Equal(h.Config.DateTimeInfo.NtpConfig.Server, []string{"ntp.example"}) {
		t.Fatalf("host dateTimeInfo %+v", h.Config)
	}
	if err := s.SetProperty("HostSystem", host.Value, "config.noSuchThing", "x"); err == nil {
		t.Error("SetProperty of an unknown path succeeded")
	}
	if err := s.SetProperty("HostSystem", host.Value, "overallStatus", 42); err == nil {
		t.Error("SetProperty with a wrong type succeeded")
	}
	if err := s.SetProperty("HostSystem", "host-nope", "overallStatus", "red"); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("SetProperty of an unknown host = %v", err)
	}

	// Errors.
	if _, err := s.AddNIC(ctx, vmID, "no such network", ""); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("AddNIC on an unknown network = %v", err)
	}
	if _, err := s.AddDisk(ctx, vmID, vcsim.DiskSpec{CapacityMB: 0}); err == nil {
		t.Error("AddDisk of 0 MiB succeeded")
	}
	if err := s.RemoveDisk(ctx, vmID, 99999); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("RemoveDisk of an unknown key = %v", err)
	}
	if _, err := s.CreateSnapshot(ctx, "no-such-vm", "x", "", false, false); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("CreateSnapshot of an unknown VM = %v", err)
	}
	if err := s.SetGuest("no-such-vm", vcsim.Guest{}); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("SetGuest of an unknown VM = %v", err)
	}
}
