package capturetest

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/vcsim"
)

// The helpers below power VMs off the ways package alert tells apart
// (vsphere.Source.PowerEvents reads the events they leave): each leaves
// the VM powered off, with the vCenter events of its case.

// UserPowerOff powers a VM off as a logged-in user does: a
// PowerOffVM_Task by the Sim's user, which vcsim records as a
// VmPoweredOffEvent carrying that user name.
func UserPowerOff(ctx context.Context, sim *vcsim.Sim, vm string) error {
	return sim.PowerOff(ctx, vm)
}

// GuestShutdown shuts a VM's guest OS down (ShutdownGuest): vcsim records
// a VmGuestShutdownEvent followed by a VmPoweredOffEvent.
func GuestShutdown(ctx context.Context, sim *vcsim.Sim, vm string) error {
	return sim.ShutdownGuest(ctx, vm)
}

// NoUserPowerOff powers a VM off with a VmPoweredOffEvent that names no
// user (a power-off from the VM's console or by the host), posted through
// the event manager.
func NoUserPowerOff(ctx context.Context, sim *vcsim.Sim, vm string) error {
	if err := sim.SetVMPowerState(vm, types.VirtualMachinePowerStatePoweredOff); err != nil {
		return err
	}
	base, err := sim.VMEvent(vm)
	if err != nil {
		return err
	}
	return sim.PostEvent(ctx, &types.VmPoweredOffEvent{VmEvent: base}, "")
}

// HA event kinds of HAEvent.
const (
	HAReset          = "VmDasBeingResetEvent"
	HAResetWithShot  = "VmDasBeingResetWithScreenshotEvent"
	HAFailoverFailed = "VmFailoverFailed"
)

// HAEvent leaves a VM powered off after vSphere HA acted on it: it posts
// the HA event kind (HAReset, HAResetWithShot or HAFailoverFailed) for the
// VM through the event manager, with no user, as HA does.
func HAEvent(ctx context.Context, sim *vcsim.Sim, vm, kind string) error {
	if err := sim.SetVMPowerState(vm, types.VirtualMachinePowerStatePoweredOff); err != nil {
		return err
	}
	base, err := sim.VMEvent(vm)
	if err != nil {
		return err
	}
	var e types.BaseEvent
	switch kind {
	case HAReset:
		e = &types.VmDasBeingResetEvent{VmEvent: base, Reason: "appHeartbeatFailed"}
	case HAResetWithShot:
		e = &types.VmDasBeingResetWithScreenshotEvent{VmDasBeingResetEvent: types.VmDasBeingResetEvent{VmEvent: base}, ScreenshotFilePath: "[ds] shot.png"}
	case HAFailoverFailed:
		e = &types.VmFailoverFailed{VmEvent: base}
	default:
		return fmt.Errorf("capturetest: unknown HA event kind %q", kind)
	}
	return sim.PostEvent(ctx, e, "")
}

// HostFailure makes a host fail: its connection state becomes
// notResponding, the VMs it ran are powered off (no power-off events, as
// when a host dies) and a HostConnectionLostEvent with no user is posted.
// It returns the VMs powered off (moref values).
func HostFailure(ctx context.Context, sim *vcsim.Sim, host string) ([]string, error) {
	vms, err := sim.VMsOnHost(host)
	if err != nil {
		return nil, err
	}
	if err := sim.SetHostConnectionState(host, types.HostSystemConnectionStateNotResponding); err != nil {
		return nil, err
	}
	for _, vm := range vms {
		if err := sim.SetVMPowerState(vm, types.VirtualMachinePowerStatePoweredOff); err != nil {
			return nil, err
		}
	}
	base, err := sim.HostEvent(host)
	if err != nil {
		return nil, err
	}
	return vms, sim.PostEvent(ctx, &types.HostConnectionLostEvent{HostEvent: base}, "")
}
