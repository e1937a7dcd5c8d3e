package vcsim_test

import (
	"context"
	"fmt"
	"log"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
)

// ExampleSim_CreateSnapshot changes a VM's detail through the kit and
// reads it back with govmomi: a snapshot, a thin disk, notes and Tools.
func ExampleSim_CreateSnapshot() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 2, Templates: -1, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	vm := sim.VMRefs()[0]

	if _, err := sim.CreateSnapshot(ctx, vm, "before upgrade", "", false, true); err != nil {
		log.Fatal(err)
	}
	key, err := sim.AddDisk(ctx, vm, vcsim.DiskSpec{CapacityMB: 2048, Thin: true})
	if err != nil {
		log.Fatal(err)
	}
	if err := sim.SetAnnotation(ctx, vm, "owner: web team"); err != nil {
		log.Fatal(err)
	}
	if err := sim.SetTools(ctx, vm, vcsim.Tools{RunningStatus: "guestToolsRunning", VersionStatus: "guestToolsCurrent", Version: "12352"}); err != nil {
		log.Fatal(err)
	}

	var v mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: vm}
	if err := property.DefaultCollector(sim.Client.Client).RetrieveOne(ctx, ref, []string{"snapshot", "config", "guest"}, &v); err != nil {
		log.Fatal(err)
	}
	s := v.Snapshot.RootSnapshotList[0]
	fmt.Printf("snapshot %q quiesced=%v\n", s.Name, s.Quiesced)
	for _, d := range v.Config.Hardware.Device {
		if disk, ok := d.(*types.VirtualDisk); ok && disk.Key == key {
			thin := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo).ThinProvisioned
			fmt.Printf("new disk: %d MiB, thin=%v\n", disk.CapacityInBytes>>20, *thin)
		}
	}
	fmt.Println("notes:", v.Config.Annotation)
	fmt.Println("tools:", v.Guest.ToolsRunningStatus, v.Guest.ToolsVersionStatus2, v.Guest.ToolsVersion)
	// Output:
	// snapshot "before upgrade" quiesced=true
	// new disk: 2048 MiB, thin=true
	// notes: owner: web team
	// tools: guestToolsRunning guestToolsCurrent 12352
}
