package capture_test

import (
	"context"
	"fmt"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// Capture a simulated vCenter into an in-memory store, then reconcile.
func ExampleCapture() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 40, Templates: 2})
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
	res, err := capture.Capture(ctx, st, src, capture.Options{})
	if err != nil {
		panic(err)
	}
	if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
		panic(err)
	}
	fmt.Println("VMs captured:", res.Counts.VMs, "templates:", res.Totals.TemplateCount)
	page, _ := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: "vc1"})
	fmt.Println("lifecycle rows:", len(page.Lifecycles))
	// Output:
	// VMs captured: 42 templates: 2
	// lifecycle rows: 42
}
