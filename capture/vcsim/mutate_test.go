package vcsim_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// TestMutations applies every mutation and checks its effect through a
// fresh ContainerView retrieval after each step.
func TestMutations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 12, Templates: 1, Seed: 5})
	c := s.Client.Client
	hosts, pools := s.Hosts(), s.Pools()

	get := func(ref string) vmRow {
		t.Helper()
		vm, ok := retrieveVMs(ctx, t, c)[ref]
		if !ok {
			t.Fatalf("%s is not in a fresh container view", ref)
		}
		return vm
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// CreateVM
	created := time.Date(2024, 3, 9, 10, 30, 0, 0, time.UTC)
	ref, err := s.CreateVM(ctx, vcsim.VMSpec{
		Name: "app-new-99999", Host: "DC0_C0_H1", Pool: "Gold",
		VCPU: 3, MemoryMB: 3072, CreateDate: created, IP: "10.9.9.9",
	})
	must(err)
	vm := get(ref)
	if vm.Name != "app-new-99999" || vm.ConfigName != vm.Name || vm.Host != hosts["DC0_C0_H1"] ||
		vm.Pool != pools["DC0_C0/Gold"] || vm.CPU != 3 || vm.MemoryMB != 3072 ||
		vm.Power != types.VirtualMachinePowerStatePoweredOff || vm.Template ||
		vm.CreateDate == nil || !vm.CreateDate.Equal(created) {
		t.Fatalf("created VM: %+v", vm)
	}
	if byName, err := s.VMByName("app-new-99999"); err != nil || byName != ref {
		t.Errorf("VMByName = %q, %v; want %s", byName, err, ref)
	}
	if s.VMs()["app-new-99999"] != ref {
		t.Error("VMs() misses the new VM")
	}

	noDate, err := s.CreateVM(ctx, vcsim.VMSpec{Name: "old-vm", NoCreateDate: true, PowerOn: true})
	must(err)
	if vm := get(noDate); vm.CreateDate != nil || vm.Power != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("NoCreateDate/PowerOn VM: %+v", vm)
	}

	// Power operations
	must(s.PowerOn(ctx, ref))
	if vm := get(ref); vm.Power != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after PowerOn: %s", vm.Power)
	}
	must(s.Suspend(ctx, "app-new-99999")) // by name
	if vm := get(ref); vm.Power != types.VirtualMachinePowerStateSuspended {
		t.Errorf("after Suspend: %s", vm.Power)
	}
	must(s.PowerOn(ctx, ref))
	must(s.PowerOff(ctx, ref))
	if vm := get(ref); vm.Power != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("after PowerOff: %s", vm.Power)
	}

	// Reconfigure
	must(s.Reconfigure(ctx, ref, 8, 16384))
	if vm := get(ref); vm.CPU != 8 || vm.MemoryMB != 16384 {
		t.Errorf("after Reconfigure: %d vCPU %d MB", vm.CPU, vm.MemoryMB)
	}
	must(s.Reconfigure(ctx, ref, 0, 8192))
	if vm := get(ref); vm.CPU != 8 || vm.MemoryMB != 8192 {
		t.Errorf("after memory-only Reconfigure: %d vCPU %d MB", vm.CPU, vm.MemoryMB)
	}

	// MigrateHost within the cluster: listed under the new host only.
	must(s.MigrateHost(ctx, ref, "DC0_C0_H2"))
	vm = get(ref)
	if vm.Host != hosts["DC0_C0_H2"] || vm.Pool != pools["DC0_C0/Gold"] {
		t.Errorf("after MigrateHost: host %s pool %s", vm.Host, vm.Pool)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C0_H2"], pools["DC0_C0/Gold"])

	// MigrateHost to another cluster also moves to that cluster's Gold pool.
	must(s.MigrateHost(ctx, ref, "DC0_C1_H0"))
	vm = get(ref)
	if vm.Host != hosts["DC0_C1_H0"] || vm.Pool != pools["DC0_C1/Gold"] {
		t.Errorf("after cross-cluster MigrateHost: host %s pool %s", vm.Host, vm.Pool)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C1_H0"], pools["DC0_C1/Gold"])

	// MovePool
	must(s.MovePool(ctx, ref, "Tin"))
	vm = get(ref)
	if vm.Pool != pools["DC0_C1/Tin"] || vm.Host != hosts["DC0_C1_H0"] {
		t.Errorf("after MovePool: host %s pool %s", vm.Host, vm.Pool)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C1_H0"], pools["DC0_C1/Tin"])
	must(s.MovePool(ctx, ref, "DC0_C1/Resources"))
	if vm := get(ref); vm.Pool != pools["DC0_C1/Resources"] {
		t.Errorf("after MovePool to root: pool %s", vm.Pool)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C1_H0"], pools["DC0_C1/Resources"])

	// Rename: name and config.name follow.
	must(s.Rename(ctx, ref, "app-renamed-99999"))
	if vm := get(ref); vm.Name != "app-renamed-99999" || vm.ConfigName != "app-renamed-99999" {
		t.Errorf("after Rename: name %q config.name %q", vm.Name, vm.ConfigName)
	}

	// SetCustomValue
	must(s.SetCustomValue(ctx, ref, "owner", "team-a"))
	must(s.SetCustomValue(ctx, ref, "owner", "team-b"))
	must(s.SetCustomValue(ctx, ref, "cost-center", "cc-7"))
	keys := customKeys(ctx, t, s)
	if vm := get(ref); vm.Custom[keys["owner"]] != "team-b" || vm.Custom[keys["cost-center"]] != "cc-7" {
		t.Errorf("custom values %v (keys %v)", vm.Custom, keys)
	}

	// MarkAsTemplate powers off, clears the pool and leaves every pool list.
	must(s.PowerOn(ctx, ref))
	must(s.MarkAsTemplate(ctx, ref))
	vm = get(ref)
	if !vm.Template || vm.Pool != "" || vm.Power != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("after MarkAsTemplate: %+v", vm)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C1_H0"], "")

	// A template can still be resized (converted and back).
	must(s.Reconfigure(ctx, ref, 2, 2048))
	vm = get(ref)
	if !vm.Template || vm.CPU != 2 || vm.MemoryMB != 2048 || vm.Pool != "" {
		t.Errorf("after template Reconfigure: %+v", vm)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C1_H0"], "")

	must(s.MarkAsVirtualMachine(ctx, ref, "Silver"))
	vm = get(ref)
	if vm.Template || vm.Pool != pools["DC0_C1/Silver"] {
		t.Errorf("after MarkAsVirtualMachine: %+v", vm)
	}
	checkListed(ctx, t, s, ref, hosts["DC0_C1_H0"], pools["DC0_C1/Silver"])

	// DestroyVM (powered on, migrated first: the notes' dead-moref case).
	must(s.PowerOn(ctx, ref))
	must(s.MigrateHost(ctx, ref, "DC0_C1_H1"))
	must(s.DestroyVM(ctx, ref))
	if _, ok := retrieveVMs(ctx, t, c)[ref]; ok {
		t.Errorf("destroyed %s is still in a fresh container view", ref)
	}
	for host, list := range hostVMLists(ctx, t, c) {
		if slices.Contains(list, ref) {
			t.Errorf("destroyed %s still listed under host %s", ref, host)
		}
	}
	for name, h := range hosts {
		if slices.Contains(vmsUnder(ctx, t, c, h, "HostSystem"), ref) {
			t.Errorf("destroyed %s in a view rooted at %s", ref, name)
		}
	}
	var nets []mo.Network
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "Network", []string{"vm"}, &nets)
	for _, n := range nets {
		if slices.Contains(refValues(n.Vm), ref) {
			t.Errorf("destroyed %s still listed on network %s", ref, n.Self.Value)
		}
	}
	if _, err := s.VMByName("app-renamed-99999"); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("VMByName after destroy: %v", err)
	}
	if err := s.PowerOn(ctx, ref); !errors.Is(err, vcsim.ErrNotFound) {
		t.Errorf("PowerOn of destroyed VM: %v", err)
	}

	if got, want := countKind(ctx, t, c, "VirtualMachine"), 12+1+1; got != want {
		t.Errorf("%d VMs in the end, want %d", got, want)
	}
}

// checkListed checks that ref is listed under host only (HostSystem.vm and a
// ContainerView rooted at each host) and under pool only ("" for none).
func checkListed(ctx context.Context, t *testing.T, s *vcsim.Sim, ref, host, pool string) {
	t.Helper()
	c := s.Client.Client
	if got := listedUnder(hostVMLists(ctx, t, c), ref); !equal(got, []string{host}) {
		t.Errorf("%s: HostSystem.vm lists it under %v, want [%s]", ref, got, host)
	}
	var underHosts []string
	for _, h := range s.Hosts() {
		if slices.Contains(vmsUnder(ctx, t, c, h, "HostSystem"), ref) {
			underHosts = append(underHosts, h)
		}
	}
	if !equal(underHosts, []string{host}) {
		t.Errorf("%s: host-rooted container views list it under %v, want [%s]", ref, underHosts, host)
	}
	want := []string{}
	if pool != "" {
		want = []string{pool}
	}
	if got := listedUnder(poolVMLists(ctx, t, c), ref); !equal(got, want) {
		t.Errorf("%s: ResourcePool.vm lists it under %v, want %v", ref, got, want)
	}
}

func customKeys(ctx context.Context, t *testing.T, s *vcsim.Sim) map[string]int32 {
	t.Helper()
	fields, err := object.NewCustomFieldsManager(s.Client.Client).Field(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int32{}
	for _, f := range fields {
		out[f.Name] = f.Key
	}
	return out
}

// TestMutationErrors checks that bad names are reported, not ignored.
func TestMutationErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1})
	vm := s.VMRefs()[0]
	for name, err := range map[string]error{
		"unknown VM":   s.PowerOff(ctx, "no-such-vm"),
		"unknown host": s.MigrateHost(ctx, vm, "no-such-host"),
		"unknown pool": s.MovePool(ctx, vm, "Platinum"),
		"create pool":  errOnly(s.CreateVM(ctx, vcsim.VMSpec{Name: "x", Pool: "DC9_C9/Gold"})),
	} {
		if !errors.Is(err, vcsim.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.CreateVM(ctx, vcsim.VMSpec{}); err == nil {
		t.Error("CreateVM without a name succeeded")
	}
	if _, err := vcsim.Start(ctx, vcsim.Options{Datacenters: -2}); err == nil {
		t.Error("Start accepted Datacenters: -2")
	}
	if _, err := vcsim.Start(ctx, vcsim.Options{Pools: []string{"Gold", "Gold"}}); err == nil {
		t.Error("Start accepted duplicate pools")
	}
}

func errOnly(_ string, err error) error { return err }

// TestConcurrentMutations runs mutations on several goroutines at once; with
// -race it proves the per-datastore serialization keeps vcsim race-free.
func TestConcurrentMutations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 16, Templates: -1, Datastores: 2, Seed: 9})
	refs := s.VMRefs()
	hostNames := []string{"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2", "DC0_C1_H0"}

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("conc-%d", w)
			ref, err := s.CreateVM(ctx, vcsim.VMSpec{Name: name, Datastore: fmt.Sprintf("LocalDS_%d", w%2)})
			if err != nil {
				errs <- err
				return
			}
			mine := refs[w*4 : w*4+4]
			for i, vm := range mine {
				steps := []error{
					s.Reconfigure(ctx, vm, int32(2+i), int64(2048*(i+1))),
					s.MigrateHost(ctx, vm, hostNames[(w+i)%len(hostNames)]),
					s.PowerOff(ctx, vm),
				}
				for _, err := range steps {
					if err != nil && !isInvalidPowerState(err) {
						errs <- err
					}
				}
			}
			if err := s.DestroyVM(ctx, mine[0]); err != nil {
				errs <- err
			}
			if err := s.DestroyVM(ctx, ref); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	vms := retrieveVMs(ctx, t, s.Client.Client)
	if len(vms) != 16-4 {
		t.Errorf("%d VMs left, want 12", len(vms))
	}
	hostLists := hostVMLists(ctx, t, s.Client.Client)
	for _, vm := range vms {
		if got := listedUnder(hostLists, vm.Ref); !equal(got, []string{vm.Host}) {
			t.Errorf("%s (host %s) listed under %v", vm.Name, vm.Host, got)
		}
	}
}

func isInvalidPowerState(err error) bool {
	return fault.Is(err, &types.InvalidPowerState{})
}

// TestBuiltVMsBehave checks that the generated VMs, whose power state is set
// at creation, answer the power, reconfigure, relocate and destroy calls
// like any other VM, and that their runtime and summary agree.
func TestBuiltVMsBehave(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := capturetest.NewSim(t, vcsim.Options{VMs: 40, Templates: -1, Seed: 11})
	c := s.Client.Client

	var vms []mo.VirtualMachine
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "VirtualMachine",
		[]string{"name", "runtime.powerState", "runtime.bootTime", "summary.runtime", "config.hardware.device"}, &vms)
	byState := map[types.VirtualMachinePowerState][]string{}
	nics := 0
	for _, vm := range vms {
		st := vm.Runtime.PowerState
		byState[st] = append(byState[st], vm.Self.Value)
		if vm.Summary.Runtime.PowerState != st {
			t.Errorf("%s: summary.runtime.powerState %s, runtime.powerState %s", vm.Name, vm.Summary.Runtime.PowerState, st)
		}
		// vcsim keeps a boot time and connects devices only while a VM is
		// powered on.
		on := st == types.VirtualMachinePowerStatePoweredOn
		if on != (vm.Runtime.BootTime != nil) || on != (vm.Summary.Runtime.BootTime != nil) {
			t.Errorf("%s is %s with bootTime %v / %v", vm.Name, st, vm.Runtime.BootTime, vm.Summary.Runtime.BootTime)
		}
		for _, d := range object.VirtualDeviceList(vm.Config.Hardware.Device).SelectByType((*types.VirtualEthernetCard)(nil)) {
			nics++
			if conn := d.GetVirtualDevice().Connectable; conn == nil || conn.Connected != on {
				t.Errorf("%s is %s with NIC connectable %+v", vm.Name, st, conn)
			}
		}
	}
	if nics < len(vms) {
		t.Errorf("checked %d NICs on %d VMs", nics, len(vms))
	}
	on, off, susp := byState["poweredOn"], byState["poweredOff"], byState["suspended"]
	if len(on) < 2 || len(off) < 1 || len(susp) < 1 {
		t.Fatalf("need VMs in every state: %v", byState)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PowerOff(ctx, on[0]))
	must(s.PowerOn(ctx, off[0]))
	must(s.PowerOn(ctx, susp[0])) // resume
	must(s.Suspend(ctx, on[1]))
	var after []mo.VirtualMachine
	retrieve(ctx, t, c, c.ServiceContent.RootFolder, "VirtualMachine", []string{"runtime.powerState", "runtime.bootTime"}, &after)
	state := map[string]mo.VirtualMachine{}
	for _, vm := range after {
		state[vm.Self.Value] = vm
	}
	for ref, want := range map[string]types.VirtualMachinePowerState{
		on[0]: "poweredOff", off[0]: "poweredOn", susp[0]: "poweredOn", on[1]: "suspended",
	} {
		vm := state[ref]
		if vm.Runtime.PowerState != want || (want == "poweredOn") != (vm.Runtime.BootTime != nil) {
			t.Errorf("%s: %s (bootTime %v), want %s", ref, vm.Runtime.PowerState, vm.Runtime.BootTime, want)
		}
	}
	if err := s.Suspend(ctx, off[len(off)-1]); !isInvalidPowerState(err) {
		t.Errorf("Suspend of a powered-off VM: %v, want InvalidPowerState", err)
	}

	must(s.Reconfigure(ctx, on[1], 6, 6144))
	must(s.MigrateHost(ctx, on[1], "DC0_C1_H2"))
	must(s.DestroyVM(ctx, off[0])) // powered on above: DestroyVM powers it off
	vmsNow := retrieveVMs(ctx, t, c)
	if vm := vmsNow[on[1]]; vm.CPU != 6 || vm.MemoryMB != 6144 || vm.Host != s.Hosts()["DC0_C1_H2"] {
		t.Errorf("after Reconfigure and MigrateHost: %+v", vm)
	}
	if _, ok := vmsNow[off[0]]; ok || len(vmsNow) != 39 {
		t.Errorf("after DestroyVM: %d VMs, destroyed one present: %v", len(vmsNow), ok)
	}
}
