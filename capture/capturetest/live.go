package capturetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
)

// Mutation is what a live mutation helper (Power, Reconfigure, Relocate,
// Move, Rename, RenameHost, Create, Destroy) changed on a vcsim Sim. The
// helpers go through vcsim.Sim, whose mutations report every watched path
// to property collectors, so a capture.WatchSource such as
// vsphere.Source sees them.
type Mutation struct {
	// Entity and ID name the object changed (a moref value such as
	// "vm-42").
	Entity inventory.EntityType
	ID     string
	// Fields names the JSON fields of the object's row that changed (for
	// a VM that entered or left, none).
	Fields []string
	// Removed says the object left (Destroy).
	Removed bool
	// Seen reports whether a watch update shows the mutation: the object's
	// row with the new values, or the object among the removed ones.
	Seen func(*capture.WatchUpdate) bool
}

// vmMutation builds a VM mutation whose row must satisfy ok.
func vmMutation(id string, fields []string, ok func(inventory.VM) bool) Mutation {
	return Mutation{Entity: inventory.EntityVM, ID: id, Fields: fields, Seen: func(u *capture.WatchUpdate) bool {
		i := slices.IndexFunc(u.State.VMs, func(v inventory.VM) bool { return v.ID == id })
		return i >= 0 && ok(u.State.VMs[i])
	}}
}

// vmRef resolves a VM name or moref value to the moref value.
func vmRef(sim *vcsim.Sim, vm string) (string, error) {
	if slices.Contains(sim.VMRefs(), vm) {
		return vm, nil
	}
	return sim.VMByName(vm)
}

// Power powers a VM (name or moref value) on or off.
func Power(ctx context.Context, sim *vcsim.Sim, vm string, on bool) (Mutation, error) {
	id, err := vmRef(sim, vm)
	if err != nil {
		return Mutation{}, err
	}
	f, want := sim.PowerOff, inventory.PowerState("poweredOff")
	if on {
		f, want = sim.PowerOn, inventory.PowerState("poweredOn")
	}
	if err := f(ctx, id); err != nil {
		return Mutation{}, err
	}
	return vmMutation(id, []string{"power_state"}, func(v inventory.VM) bool { return v.PowerState == want }), nil
}

// Reconfigure sets a VM's vCPU count and memory size (both must be
// positive).
func Reconfigure(ctx context.Context, sim *vcsim.Sim, vm string, vcpu int32, memoryMB int64) (Mutation, error) {
	id, err := vmRef(sim, vm)
	if err != nil {
		return Mutation{}, err
	}
	if err := sim.Reconfigure(ctx, id, vcpu, memoryMB); err != nil {
		return Mutation{}, err
	}
	return vmMutation(id, []string{"vcpu_count", "ram_mb"}, func(v inventory.VM) bool {
		return v.VCPUCount == int(vcpu) && v.RAMMB == memoryMB
	}), nil
}

// Relocate moves a VM to another host (by name), like a vMotion; a host in
// another cluster moves it to that cluster's pool too.
func Relocate(ctx context.Context, sim *vcsim.Sim, vm, host string) (Mutation, error) {
	id, err := vmRef(sim, vm)
	if err != nil {
		return Mutation{}, err
	}
	if err := sim.MigrateHost(ctx, id, host); err != nil {
		return Mutation{}, err
	}
	p, err := placement(ctx, sim, id)
	if err != nil {
		return Mutation{}, err
	}
	return vmMutation(id, []string{"host", "host_id", "cluster", "resource_pool", "resource_pool_id"}, func(v inventory.VM) bool {
		return v.Host == host && v.HostID == p.host && v.ResourcePoolID == p.pool
	}), nil
}

// Move moves a VM to another resource pool (named as vcsim.Sim.MovePool
// takes it: "Gold", or "<compute resource>/<pool>").
func Move(ctx context.Context, sim *vcsim.Sim, vm, pool string) (Mutation, error) {
	id, err := vmRef(sim, vm)
	if err != nil {
		return Mutation{}, err
	}
	if err := sim.MovePool(ctx, id, pool); err != nil {
		return Mutation{}, err
	}
	p, err := placement(ctx, sim, id)
	if err != nil {
		return Mutation{}, err
	}
	return vmMutation(id, []string{"resource_pool", "resource_pool_id"}, func(v inventory.VM) bool {
		return v.ResourcePoolID == p.pool && v.HostID == p.host
	}), nil
}

// Rename renames a VM.
func Rename(ctx context.Context, sim *vcsim.Sim, vm, name string) (Mutation, error) {
	id, err := vmRef(sim, vm)
	if err != nil {
		return Mutation{}, err
	}
	if err := sim.Rename(ctx, id, name); err != nil {
		return Mutation{}, err
	}
	return vmMutation(id, []string{"name"}, func(v inventory.VM) bool { return v.Name == name }), nil
}

// RenameHost renames a host (by name or moref value). Its row changes, and
// so do its VMs' rows (their host name); Seen checks the host's row.
func RenameHost(ctx context.Context, sim *vcsim.Sim, host, name string) (Mutation, error) {
	id, ok := sim.Hosts()[host]
	if !ok {
		id = host
	}
	if err := sim.RenameHost(ctx, id, name); err != nil {
		return Mutation{}, err
	}
	return Mutation{Entity: inventory.EntityHost, ID: id, Fields: []string{"name"}, Seen: func(u *capture.WatchUpdate) bool {
		i := slices.IndexFunc(u.State.Hosts, func(h inventory.Host) bool { return h.ID == id })
		return i >= 0 && u.State.Hosts[i].Name == name
	}}, nil
}

// Create creates a VM; Seen matches its row once it entered.
func Create(ctx context.Context, sim *vcsim.Sim, spec vcsim.VMSpec) (Mutation, error) {
	id, err := sim.CreateVM(ctx, spec)
	if err != nil {
		return Mutation{}, err
	}
	return vmMutation(id, nil, func(v inventory.VM) bool { return v.Name == spec.Name }), nil
}

// Destroy destroys a VM (powering it off first); Seen matches the update
// that says it left.
func Destroy(ctx context.Context, sim *vcsim.Sim, vm string) (Mutation, error) {
	id, err := vmRef(sim, vm)
	if err != nil {
		return Mutation{}, err
	}
	if err := sim.DestroyVM(ctx, id); err != nil {
		return Mutation{}, err
	}
	return Mutation{Entity: inventory.EntityVM, ID: id, Removed: true, Seen: func(u *capture.WatchUpdate) bool {
		return slices.Contains(u.Removed, capture.WatchRef{Entity: inventory.EntityVM, ID: id})
	}}, nil
}

type vmPlacement struct{ host, pool string }

// placement reads a VM's host and pool through the Sim's client.
func placement(ctx context.Context, sim *vcsim.Sim, id string) (vmPlacement, error) {
	var vm mo.VirtualMachine
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
	if err := property.DefaultCollector(sim.Client.Client).RetrieveOne(ctx, ref, []string{"runtime.host", "resourcePool"}, &vm); err != nil {
		return vmPlacement{}, fmt.Errorf("capturetest: read %s: %w", id, err)
	}
	var p vmPlacement
	if vm.Runtime.Host != nil {
		p.host = vm.Runtime.Host.Value
	}
	if vm.ResourcePool != nil {
		p.pool = vm.ResourcePool.Value
	}
	return p, nil
}

// WatchRecorder keeps the updates a capture.WatchSource reports: pass its
// Record method as Watch's fn, then wait for the updates a test expects.
// It is safe for concurrent use.
type WatchRecorder struct {
	mu      sync.Mutex
	updates []*capture.WatchUpdate
	changed chan struct{} // closed and replaced on every update
}

// NewWatchRecorder returns an empty recorder.
func NewWatchRecorder() *WatchRecorder {
	return &WatchRecorder{changed: make(chan struct{})}
}

// Record keeps u; it never fails.
func (r *WatchRecorder) Record(_ context.Context, u *capture.WatchUpdate) error {
	r.mu.Lock()
	r.updates = append(r.updates, u)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// Mark returns the number of updates recorded so far, for Wait and
// Since.
func (r *WatchRecorder) Mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.updates)
}

// Since returns the updates recorded after mark.
func (r *WatchRecorder) Since(mark int) []*capture.WatchUpdate {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mark >= len(r.updates) {
		return nil
	}
	return slices.Clone(r.updates[mark:])
}

// Wait returns the first update after mark for which pred is true,
// waiting until ctx ends (its error is returned).
func (r *WatchRecorder) Wait(ctx context.Context, mark int, pred func(*capture.WatchUpdate) bool) (*capture.WatchUpdate, error) {
	for {
		r.mu.Lock()
		for _, u := range r.updates[min(mark, len(r.updates)):] {
			if pred(u) {
				r.mu.Unlock()
				return u, nil
			}
		}
		mark = len(r.updates)
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("capturetest: no matching watch update: %w", ctx.Err())
		}
	}
}

// WaitFor is Wait with a deadline that fails the test when it passes.
func (r *WatchRecorder) WaitFor(tb testing.TB, mark int, timeout time.Duration, pred func(*capture.WatchUpdate) bool) *capture.WatchUpdate {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	u, err := r.Wait(ctx, mark, pred)
	if err != nil {
		tb.Fatalf("capturetest.WaitFor (within %v): %v", timeout, err)
	}
	return u
}

// IsFull is a WaitFor predicate: a Full update with the given reason (any
// reason when "").
func IsFull(reason string) func(*capture.WatchUpdate) bool {
	return func(u *capture.WatchUpdate) bool { return u.Full && (reason == "" || u.Reason == reason) }
}
