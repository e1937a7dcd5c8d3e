package capturetest_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// A watcher test: follow a simulated vCenter, power a VM off, and wait
// (with a deadline) for the update that shows it.
func ExampleWatchRecorder() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 4, Templates: -1, Seed: 1})
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	u := *sim.URL
	u.User = nil
	src, err := vsphere.New(ctx, inventory.Endpoint{Name: "vc1", URL: u.String(), Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		panic(err)
	}
	defer src.Close(ctx)

	rec := capturetest.NewWatchRecorder()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- src.Watch(wctx, &capture.WatchSourceOptions{MaxWaitSeconds: 5}, rec.Record) }()
	defer func() { stop(); <-done }()

	deadline, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	full, err := rec.Wait(deadline, 0, capturetest.IsFull(capture.ResyncStart))
	if err != nil {
		panic(err)
	}
	fmt.Println("full update:", len(full.State.VMs), "VMs")

	vm := full.State.VMs[0]
	mark := rec.Mark()
	m, err := capturetest.Power(ctx, sim, vm.ID, vm.PowerState != inventory.PowerState("poweredOn"))
	if err != nil {
		panic(err)
	}
	got, err := rec.Wait(deadline, mark, m.Seen)
	if err != nil {
		panic(err)
	}
	i := slices.IndexFunc(got.State.VMs, func(v inventory.VM) bool { return v.ID == vm.ID })
	fmt.Println("changed:", m.Fields, "now", got.State.VMs[i].PowerState != vm.PowerState)
	// Output:
	// full update: 4 VMs
	// changed: [power_state] now true
}
