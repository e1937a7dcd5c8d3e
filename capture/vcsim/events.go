package vcsim

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// This file produces the vCenter events that tell a user's power-off from
// a failure (see vsphere.Source.PowerEvents and package alert).
//
// What vcsim posts itself (govmomi v0.56 simulator): PowerOffVM_Task posts
// VmStoppingEvent and VmPoweredOffEvent, PowerOnVM_Task VmStartingEvent and
// VmPoweredOnEvent, ShutdownGuest VmGuestShutdownEvent and then
// VmPoweredOffEvent; each carries the VM, its host and datacenter, and the
// user name of the session that called the method. EventManager.PostEvent
// sets an event's Key, ChainId and CreatedTime (the wall clock) and
// overwrites its UserName with the posting session's, so an event "with no
// user" can only be posted from a session without one: PostEvent below.

// ShutdownGuest shuts a powered-on VM's guest OS down (ShutdownGuest
// through the API): vcsim posts VmGuestShutdownEvent, powers the VM off
// and posts VmPoweredOffEvent, both with the Sim's user name.
func (s *Sim) ShutdownGuest(ctx context.Context, vm string) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	if err := object.NewVirtualMachine(s.Client.Client, ref).ShutdownGuest(ctx); err != nil {
		return fmt.Errorf("vcsim: shutdown guest %s: %w", vm, err)
	}
	return nil
}

// SetVMPowerState sets a VM's runtime.powerState (and
// summary.runtime.powerState) without a task and without an event, the
// way a VM ends up off when its host fails or the power-off event was
// lost. Post the event that should explain it with PostEvent.
func (s *Sim) SetVMPowerState(vm string, state types.VirtualMachinePowerState) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	m := s.Model.Map()
	v, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return fmt.Errorf("vcsim: set power state of %s: %w", vm, ErrNotFound)
	}
	ctx := s.lockContext()
	m.WithLock(ctx, v, func() {
		m.Update(ctx, v, []types.PropertyChange{
			{Name: "runtime.powerState", Val: state},
			{Name: "summary.runtime.powerState", Val: state},
		})
	})
	return nil
}

// VMEvent returns the event arguments of a VM (the VM, its host and its
// datacenter), to embed in a VmEvent posted with PostEvent, e.g.
//
//	base, _ := sim.VMEvent("vm-42")
//	sim.PostEvent(ctx, &types.VmFailoverFailed{VmEvent: base}, "")
func (s *Sim) VMEvent(vm string) (types.VmEvent, error) {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return types.VmEvent{}, err
	}
	m := s.Model.Map()
	v, ok := m.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return types.VmEvent{}, fmt.Errorf("vcsim: event of %s: %w", vm, ErrNotFound)
	}
	var e types.VmEvent
	ctx := s.lockContext()
	m.WithLock(ctx, v, func() {
		e.Vm = &types.VmEventArgument{EntityEventArgument: types.EntityEventArgument{Name: v.Name}, Vm: v.Self}
		if v.Runtime.Host != nil {
			e.Host = s.hostArgument(*v.Runtime.Host)
		}
	})
	e.Datacenter = s.datacenterArgument(ref)
	return e, nil
}

// HostEvent returns the event arguments of a host (host name or moref
// value), to embed in a HostEvent posted with PostEvent.
func (s *Sim) HostEvent(host string) (types.HostEvent, error) {
	ref, err := s.hostRef(host)
	if err != nil {
		return types.HostEvent{}, err
	}
	return types.HostEvent{Event: types.Event{Host: s.hostArgument(ref), Datacenter: s.datacenterArgument(ref)}}, nil
}

// datacenterArgument returns the event argument of the datacenter holding
// an entity (nil when there is none), which vcsim's message templates
// need.
func (s *Sim) datacenterArgument(ref types.ManagedObjectReference) *types.DatacenterEventArgument {
	m := s.Model.Map()
	for range 64 {
		obj, ok := m.Get(ref).(mo.Entity)
		if !ok {
			return nil
		}
		me := obj.Entity()
		if ref.Type == "Datacenter" {
			return &types.DatacenterEventArgument{Datacenter: ref, EntityEventArgument: types.EntityEventArgument{Name: me.Name}}
		}
		if me.Parent == nil {
			return nil
		}
		ref = *me.Parent
	}
	return nil
}

func (s *Sim) hostArgument(ref types.ManagedObjectReference) *types.HostEventArgument {
	m := s.Model.Map()
	arg := &types.HostEventArgument{Host: ref}
	if h, ok := m.Get(ref).(*simulator.HostSystem); ok {
		ctx := s.lockContext()
		m.WithLock(ctx, h, func() { arg.Name = h.Name })
	}
	return arg
}

// PostEvent posts an event through vcsim's EventManager (PostEvent) from
// a session whose user name is user: empty posts an event with no user,
// as vCenter records for what no user did (a host failure, an HA action,
// a VM powered off from its console). vcsim sets the event's key and time
// (the wall clock) and formats its message.
func (s *Sim) PostEvent(ctx context.Context, e types.BaseEvent, user string) error {
	m := s.Model.Map()
	em := m.EventManager()
	if em == nil {
		return fmt.Errorf("vcsim: post event: the simulator has no event manager: %w", ErrNotSupported)
	}
	sctx := &simulator.Context{Context: ctx, Map: m, Session: &simulator.Session{
		UserSession: types.UserSession{Key: "vcsim-post-event", UserName: user},
		Registry:    simulator.NewRegistry(),
		Map:         m,
	}}
	var err error
	m.WithLock(sctx, em, func() {
		if r := em.PostEvent(sctx, &types.PostEvent{EventToPost: e}); r != nil {
			err = faultErr(r)
		}
	})
	if err != nil {
		return fmt.Errorf("vcsim: post event %T: %w", e, err)
	}
	return nil
}

// VMsOnHost returns the moref values of the VMs a host (name or moref
// value) runs, as its vm property lists them.
func (s *Sim) VMsOnHost(host string) ([]string, error) {
	ref, err := s.hostRef(host)
	if err != nil {
		return nil, err
	}
	m := s.Model.Map()
	h, ok := m.Get(ref).(*simulator.HostSystem)
	if !ok {
		return nil, fmt.Errorf("vcsim: VMs on %s: %w", host, ErrNotFound)
	}
	var out []string
	ctx := s.lockContext()
	m.WithLock(ctx, h, func() {
		for _, v := range h.Vm {
			out = append(out, v.Value)
		}
	})
	return out, nil
}

// SetHostConnectionState sets a host's runtime.connectionState (and
// summary.runtime.connectionState): connected, disconnected or
// notResponding, without an event.
func (s *Sim) SetHostConnectionState(host string, state types.HostSystemConnectionState) error {
	ref, err := s.hostRef(host)
	if err != nil {
		return err
	}
	if err := s.SetProperty("HostSystem", ref.Value, "runtime.connectionState", state); err != nil {
		return err
	}
	return s.SetProperty("HostSystem", ref.Value, "summary.runtime.connectionState", state)
}
