package vcsim_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// vmRow is one VM as a capture sees it through a ContainerView and the
// PropertyCollector.
type vmRow struct {
	Ref        string
	Name       string
	ConfigName string
	Host       string
	Pool       string
	Power      types.VirtualMachinePowerState
	CPU        int32
	MemoryMB   int32
	Template   bool
	CreateDate *time.Time
	IP         string
	Custom     map[int32]string
}

var vmProps = []string{
	"name", "config.name", "runtime.host", "resourcePool", "runtime.powerState",
	"config.hardware.numCPU", "config.hardware.memoryMB", "config.template",
	"config.createDate", "guest.ipAddress", "customValue",
}

// retrieveVMs creates a fresh recursive ContainerView of VirtualMachine on
// the root folder, retrieves vmProps for every VM and destroys the view.
func retrieveVMs(ctx context.Context, t testing.TB, c *vim25.Client) map[string]vmRow {
	t.Helper()
	var vms []mo.VirtualMachine
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "VirtualMachine", vmProps, &vms)
	out := make(map[string]vmRow, len(vms))
	for _, vm := range vms {
		r := vmRow{Ref: vm.Self.Value, Name: vm.Name, Power: vm.Runtime.PowerState, Custom: map[int32]string{}}
		if vm.Guest != nil {
			r.IP = vm.Guest.IpAddress
		}
		if vm.Config != nil {
			r.ConfigName = vm.Config.Name
			r.CPU = vm.Config.Hardware.NumCPU
			r.MemoryMB = vm.Config.Hardware.MemoryMB
			r.Template = vm.Config.Template
			r.CreateDate = vm.Config.CreateDate
		}
		if vm.Runtime.Host != nil {
			r.Host = vm.Runtime.Host.Value
		}
		if vm.ResourcePool != nil {
			r.Pool = vm.ResourcePool.Value
		}
		for _, v := range vm.CustomValue {
			if sv, ok := v.(*types.CustomFieldStringValue); ok {
				r.Custom[sv.Key] = sv.Value
			}
		}
		if _, dup := out[r.Ref]; dup {
			t.Fatalf("container view returned %s twice", r.Ref)
		}
		out[r.Ref] = r
	}
	return out
}

// retrieve runs one ContainerView retrieval of kind under root.
func retrieve(ctx context.Context, t testing.TB, c *vim25.Client, root types.ManagedObjectReference, kind string, props []string, dst any) {
	t.Helper()
	if err := retrieveErr(ctx, c, root, kind, props, dst); err != nil {
		t.Fatalf("retrieve %s under %s: %v", kind, root, err)
	}
}

func retrieveErr(ctx context.Context, c *vim25.Client, root types.ManagedObjectReference, kind string, props []string, dst any) error {
	v, err := view.NewManager(c).CreateContainerView(ctx, root, []string{kind}, true)
	if err != nil {
		return err
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	return v.Retrieve(ctx, []string{kind}, props, dst)
}

// countKind counts the objects of kind in a recursive view of the root
// folder.
func countKind(ctx context.Context, t testing.TB, c *vim25.Client, kind string) int {
	t.Helper()
	v, err := view.NewManager(c).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{kind}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	refs, err := v.Find(ctx, []string{kind}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return len(refs)
}

// hostVMLists returns each host's "vm" property, by host moref value.
func hostVMLists(ctx context.Context, t testing.TB, c *vim25.Client) map[string][]string {
	t.Helper()
	var hosts []mo.HostSystem
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "HostSystem", []string{"vm"}, &hosts)
	out := map[string][]string{}
	for _, h := range hosts {
		out[h.Self.Value] = refValues(h.Vm)
	}
	return out
}

// poolVMLists returns each resource pool's "vm" property.
func poolVMLists(ctx context.Context, t testing.TB, c *vim25.Client) map[string][]string {
	t.Helper()
	var pools []mo.ResourcePool
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "ResourcePool", []string{"vm"}, &pools)
	out := map[string][]string{}
	for _, p := range pools {
		out[p.Self.Value] = refValues(p.Vm)
	}
	return out
}

// vmsUnder returns the VMs a recursive ContainerView rooted at container
// (a host, a pool, ...) lists.
func vmsUnder(ctx context.Context, t testing.TB, c *vim25.Client, container string, kind string) []string {
	t.Helper()
	root := types.ManagedObjectReference{Type: kind, Value: container}
	v, err := view.NewManager(c).CreateContainerView(ctx, root, []string{"VirtualMachine"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = v.Destroy(ctx) }()
	refs, err := v.Find(ctx, []string{"VirtualMachine"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return refValues(refs)
}

func refValues(refs []types.ManagedObjectReference) []string {
	out := make([]string, 0, len(refs))
	for _, r := range refs {
		out = append(out, r.Value)
	}
	slices.Sort(out)
	return out
}

// listedUnder returns the containers (keys) whose list contains ref.
func listedUnder(lists map[string][]string, ref string) []string {
	var out []string
	for k, l := range lists {
		if slices.Contains(l, ref) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
