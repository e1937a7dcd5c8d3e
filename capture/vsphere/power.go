package vsphere

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

// powerEventTypes are the event types PowerEvents asks for (see
// powerEvent).
var powerEventTypes = []string{"VmPoweredOffEvent", "VmGuestShutdownEvent", "VmDasBeingResetEvent",
	"VmDasBeingResetWithScreenshotEvent", "VmFailoverFailed", "HostConnectionLostEvent", "DasHostFailedEvent",
	"VmPoweredOnEvent"}

// PowerEvents returns the VM power events the endpoint recorded in [from,
// to), oldest first, for telling a user's power-off from a failure
// (package alert): VmPoweredOffEvent (User is the event's user name,
// empty when vCenter recorded none), VmGuestShutdownEvent,
// VmDasBeingResetEvent and VmDasBeingResetWithScreenshotEvent (an HA
// reset), VmFailoverFailed, HostConnectionLostEvent and DasHostFailedEvent
// (a host failure: HostID is set, VMID only when the event names a VM) and
// VmPoweredOnEvent. Every event's Vcenter is the endpoint's name. It reads
// them as Events does: an event history collector filtered on the types
// and the window, paged, destroyed afterwards.
func (s *Source) PowerEvents(ctx context.Context, from, to time.Time) ([]inventory.PowerEvent, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if !from.Before(to) {
		return nil, nil
	}
	var out []inventory.PowerEvent
	err := s.withSession(ctx, func(ctx context.Context) error {
		out = out[:0]
		return s.collectEvents(ctx, from, to, powerEventTypes, func(be types.BaseEvent) {
			if e, ok := powerEvent(be); ok {
				e.Vcenter = s.ep.Name
				out = append(out, e)
			}
		})
	})
	if err != nil {
		return nil, s.wrap("read power events", err)
	}
	slices.SortStableFunc(out, func(a, b inventory.PowerEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// powerEvent maps a vSphere event to an inventory.PowerEvent.
func powerEvent(be types.BaseEvent) (inventory.PowerEvent, bool) {
	var kind string
	host := false
	switch be.(type) {
	case *types.VmPoweredOffEvent:
		kind = inventory.PowerOffEvent
	case *types.VmGuestShutdownEvent:
		kind = inventory.PowerGuestShutdown
	case *types.VmDasBeingResetEvent, *types.VmDasBeingResetWithScreenshotEvent:
		kind = inventory.PowerHAReset
	case *types.VmFailoverFailed:
		kind = inventory.PowerFailover
	case *types.HostConnectionLostEvent, *types.DasHostFailedEvent:
		kind, host = inventory.PowerHostFailure, true
	case *types.VmPoweredOnEvent:
		kind = inventory.PowerOnEvent
	default:
		return inventory.PowerEvent{}, false
	}
	e := be.GetEvent()
	out := inventory.PowerEvent{Key: e.Key, Kind: kind, User: e.UserName, Message: e.FullFormattedMessage, Time: e.CreatedTime.UTC()}
	if e.Vm != nil {
		out.VMID, out.VMName = e.Vm.Vm.Value, e.Vm.Name
	}
	if e.Host != nil && host {
		out.HostID = e.Host.Host.Value
	}
	if d, ok := be.(*types.DasHostFailedEvent); ok && d.FailedHost.Host.Value != "" {
		out.HostID = d.FailedHost.Host.Value
	}
	if out.VMID == "" && out.HostID == "" {
		return inventory.PowerEvent{}, false
	}
	return out, true
}
