package vsphere_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// ExampleSource_Watch follows a simulated vCenter: the first update is the
// whole inventory (Full), then each update holds what changed, here a VM
// renamed.
func ExampleSource_Watch() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 3, Templates: -1, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	sdk := *sim.URL
	sdk.User = nil
	src, err := vsphere.New(ctx, inventory.Endpoint{Name: "vc1", URL: sdk.String(), Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}}, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close(ctx)

	errDone := errors.New("done")
	vm := sim.VMRefs()[0]
	err = src.Watch(ctx, &capture.WatchSourceOptions{MaxWaitSeconds: 5}, func(ctx context.Context, u *capture.WatchUpdate) error {
		if u.Full {
			fmt.Println("full:", u.Reason, len(u.State.VMs), "VMs")
			return sim.Rename(ctx, vm, "renamed <live>")
		}
		for _, v := range u.State.VMs {
			if v.ID == vm && v.Name == "renamed <live>" {
				fmt.Println("changed:", v.Name)
				return errDone // an error from fn stops Watch
			}
		}
		return nil
	})
	fmt.Println(errors.Is(err, errDone))
	// Output:
	// full: start 3 VMs
	// changed: renamed <live>
	// true
}
