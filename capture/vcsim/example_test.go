package vcsim_test

import (
	"context"
	"fmt"
	"log"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
)

// ExampleStart starts a simulated vCenter, counts its objects through a
// ContainerView, and destroys a VM.
func ExampleStart() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 40, Templates: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()

	c := sim.Client.Client
	count := func(kind string) int {
		v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{kind}, true)
		if err != nil {
			log.Fatal(err)
		}
		defer v.Destroy(ctx)
		refs, err := v.Find(ctx, []string{kind}, nil)
		if err != nil {
			log.Fatal(err)
		}
		return len(refs)
	}
	for _, kind := range []string{"Datacenter", "ClusterComputeResource", "HostSystem", "Datastore", "Network", "ResourcePool", "VirtualMachine"} {
		fmt.Printf("%s: %d\n", kind, count(kind))
	}

	var vms []mo.VirtualMachine
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		log.Fatal(err)
	}
	defer v.Destroy(ctx)
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"config.template"}, &vms); err != nil {
		log.Fatal(err)
	}
	templates := 0
	for _, vm := range vms {
		if vm.Config.Template {
			templates++
		}
	}
	fmt.Println("templates:", templates)

	if err := sim.DestroyVM(ctx, sim.VMRefs()[0]); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after destroy:", count("VirtualMachine"))
	// Output:
	// Datacenter: 1
	// ClusterComputeResource: 2
	// HostSystem: 6
	// Datastore: 2
	// Network: 5
	// ResourcePool: 10
	// VirtualMachine: 42
	// templates: 2
	// after destroy: 41
}

// ExampleSim_InjectNotAuthenticated fails the second bulk retrieval once
// with NotAuthenticated, as if the session had expired mid-capture.
func ExampleSim_InjectNotAuthenticated() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 10, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer sim.Close()
	c := sim.Client.Client

	inj := sim.InjectNotAuthenticated("RetrievePropertiesEx", 1)
	for i := 1; i <= 3; i++ {
		var vms []mo.VirtualMachine
		v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
		if err != nil {
			log.Fatal(err)
		}
		err = v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"name", "runtime.powerState"}, &vms)
		_ = v.Destroy(ctx)
		fmt.Printf("capture %d: %d VMs, NotAuthenticated: %v\n", i, len(vms), fault.Is(err, &types.NotAuthenticated{}))
	}
	fmt.Println("fired:", inj.Fired())
	// Output:
	// capture 1: 12 VMs, NotAuthenticated: false
	// capture 2: 0 VMs, NotAuthenticated: true
	// capture 3: 12 VMs, NotAuthenticated: false
	// fired: 1
}
