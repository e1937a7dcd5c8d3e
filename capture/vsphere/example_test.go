package vsphere_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"

	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// ExampleNew captures the inventory of a simulated vCenter (govmomi's
// vcsim), pinning its self-signed certificate by thumbprint.
func ExampleNew() {
	model := simulator.VPX()
	defer model.Remove()
	if err := model.Create(); err != nil {
		fmt.Println(err)
		return
	}
	model.Service.TLS = new(tls.Config) // serve HTTPS with a self-signed certificate
	server := model.Service.NewServer()
	defer server.Close()

	sdk := *server.URL
	sdk.User = nil // the password never goes into the endpoint
	ep := inventory.Endpoint{
		Name:     "vc1",
		URL:      sdk.String(),
		Username: "user",
		TLS:      inventory.TLSOptions{Thumbprint: soap.ThumbprintSHA1(server.Certificate())},
	}

	ctx := context.Background()
	src, err := vsphere.New(ctx, ep, vsphere.Options{
		// The caller decrypts ep.Credential; vcsim accepts user/pass.
		Credentials: vsphere.Password("pass"),
		PageSize:    500,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close(ctx)

	st, err := src.Retrieve(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%+v\n", st.Counts())
	for _, vm := range st.VMs {
		if vm.Cluster != "" {
			fmt.Println(vm.Name, vm.PowerState, vm.Cluster, vm.ResourcePool, vm.Folder, vm.VCPUCount, vm.RAMMB)
			break
		}
	}

	events, err := src.Events(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(events), "VM creation/removal events in the last hour")
	// Output:
	// {VMs:4 Hosts:4 Clusters:1 Datastores:1 Networks:3 ResourcePools:2}
	// DC0_C0_RP0_VM0 poweredOn DC0_C0 /DC0/host/DC0_C0/Resources /DC0/vm 1 32
	// 4 VM creation/removal events in the last hour
}
