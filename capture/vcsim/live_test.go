package vcsim_test

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// TestMutationsReachCollectors: the mutations vcsim applies without telling
// property collectors are reported on the leaf paths a watcher's filter
// names (WaitForUpdatesEx over a container view), and
// InjectInvalidCollectorVersion fails the next wait.
func TestMutationsReachCollectors(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Pools: []string{"Gold"}})
	ctx := context.Background()
	c, err := sim.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(ctx)
	pc, err := property.DefaultCollector(c.Client).Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Destroy(ctx)
	cv, err := view.NewManager(c.Client).CreateContainerView(ctx, c.ServiceContent.RootFolder, []string{"VirtualMachine", "HostSystem"}, true)
	if err != nil {
		t.Fatal(err)
	}
	defer cv.Destroy(ctx)
	_, err = pc.CreateFilter(ctx, types.CreateFilter{Spec: types.PropertyFilterSpec{
		ObjectSet: []types.ObjectSpec{{Obj: cv.Reference(), Skip: types.NewBool(true),
			SelectSet: []types.BaseSelectionSpec{&types.TraversalSpec{Type: "ContainerView", Path: "view"}}}},
		PropSet: []types.PropertySpec{
			{Type: "VirtualMachine", PathSet: []string{"name", "config.hardware.numCPU", "config.hardware.memoryMB", "config.template", "resourcePool", "customValue"}},
			{Type: "HostSystem", PathSet: []string{"name", "runtime.inMaintenanceMode"}},
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	version := ""
	one := int32(1)
	// next waits (within 5 s) for a change of path on obj.
	next := func(obj, path string) any {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			res, err := methods.WaitForUpdatesEx(ctx, c.Client, &types.WaitForUpdatesEx{This: pc.Reference(), Version: version, Options: &types.WaitOptions{MaxWaitSeconds: &one}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Returnval == nil {
				continue
			}
			version = res.Returnval.Version
			for _, f := range res.Returnval.FilterSet {
				for _, u := range f.ObjectSet {
					if u.Kind != types.ObjectUpdateKindModify || u.Obj.Value != obj {
						continue
					}
					for _, ch := range u.ChangeSet {
						if ch.Name == path {
							return ch.Val
						}
					}
				}
			}
		}
		t.Fatalf("no change of %s on %s within 5s", path, obj)
		return nil
	}
	// Drain the initial enter set.
	for {
		res, err := methods.WaitForUpdatesEx(ctx, c.Client, &types.WaitForUpdatesEx{This: pc.Reference(), Version: version, Options: &types.WaitOptions{MaxWaitSeconds: &one}})
		if err != nil {
			t.Fatal(err)
		}
		version = res.Returnval.Version
		if res.Returnval.Truncated == nil || !*res.Returnval.Truncated {
			break
		}
	}
	vm := sim.VMRefs()[0]

	if err := sim.Reconfigure(ctx, vm, 5, 5120); err != nil {
		t.Fatal(err)
	}
	if v := next(vm, "config.hardware.memoryMB"); v != int32(5120) {
		t.Errorf("memoryMB reported %v", v)
	}
	if err := sim.SetCustomValue(ctx, vm, "owner", "<script>x</script>"); err != nil {
		t.Fatal(err)
	}
	cv2 := next(vm, "customValue")
	a, ok := cv2.(types.ArrayOfCustomFieldValue)
	if !ok || len(a.CustomFieldValue) != 1 || a.CustomFieldValue[0].(*types.CustomFieldStringValue).Value != "<script>x</script>" {
		t.Errorf("customValue reported %#v", cv2)
	}
	if err := sim.MarkAsTemplate(ctx, vm); err != nil {
		t.Fatal(err)
	}
	if v := next(vm, "config.template"); v != true {
		t.Errorf("config.template reported %v", v)
	}
	var host string
	for _, id := range sim.Hosts() {
		host = id
		break
	}
	if err := sim.SetHostMaintenance(ctx, host, true); err != nil {
		t.Fatal(err)
	}
	if v := next(host, "runtime.inMaintenanceMode"); v != true {
		t.Errorf("runtime.inMaintenanceMode reported %v", v)
	}
	if err := sim.RenameHost(ctx, host, "esx-new"); err != nil {
		t.Fatal(err)
	}
	if v := next(host, "name"); v != "esx-new" {
		t.Errorf("host name reported %v", v)
	}
	if sim.Hosts()["esx-new"] != host {
		t.Errorf("Hosts() after the rename: %v", sim.Hosts())
	}

	inj := sim.InjectInvalidCollectorVersion(0)
	zero := int32(0)
	_, err = methods.WaitForUpdatesEx(ctx, c.Client, &types.WaitForUpdatesEx{This: pc.Reference(), Version: version, Options: &types.WaitOptions{MaxWaitSeconds: &zero}})
	if _, ok := err.(interface{ Fault() types.BaseMethodFault }); !ok || inj.Fired() != 1 {
		t.Fatalf("wait after the injection: %v (fired %d)", err, inj.Fired())
	}
	if f, _ := err.(interface{ Fault() types.BaseMethodFault }); f != nil {
		if _, ok := f.Fault().(*types.InvalidCollectorVersion); !ok {
			t.Fatalf("fault %T, want InvalidCollectorVersion", f.Fault())
		}
	}
}
