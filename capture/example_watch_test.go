package capture_test

import (
	"context"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// Follow a simulated vCenter between captures: a VM powered off shows in
// the latest state, and as a live power event, within seconds.
func ExampleWatcher() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 10, Templates: -1})
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	src, err := vsphere.New(ctx, inventory.Endpoint{
		Name: "vc1", URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()},
	}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		panic(err)
	}
	defer src.Close(ctx)

	st := memstore.New(memstore.Options{})
	applied := make(chan *capture.WatchBatch, 16)
	w, err := capture.NewWatcher(st, src, capture.WatchOptions{
		FlushInterval: 100 * time.Millisecond,
		OnApply:       func(b *capture.WatchBatch) { applied <- b },
	})
	if err != nil {
		panic(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	first := <-applied // the start resync: the whole inventory (nothing was stored)
	fmt.Println("start resync:", len(first.Changes), "changes,", len(first.Events), "events")

	var vm string
	for _, c := range first.Changes {
		if c.VM != nil && c.VM.PowerState == inventory.PoweredOn {
			vm = c.ID
			break
		}
	}
	if err := sim.PowerOff(ctx, vm); err != nil {
		panic(err)
	}
	b := <-applied
	e := b.Events[0]
	fmt.Println("live:", b.Changes[0].Fields, e.Kind, e.Before["power_state"], "->", e.After["power_state"], e.Live)
	v, _ := st.GetVM(ctx, &store.GetVMParams{Vcenter: "vc1", VMID: vm})
	fmt.Println("latest state:", v.PowerState)
	stop()
	fmt.Println("stopped:", <-done)
	// Output:
	// start resync: 35 changes, 0 events
	// live: [power_state] power poweredOn -> poweredOff true
	// latest state: poweredOff
	// stopped: <nil>
}
