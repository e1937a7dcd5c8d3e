package vsphere

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
)

// vmEventTypes are the event types Events asks for (see vmEvent).
var vmEventTypes = []string{"VmClonedEvent", "VmCreatedEvent", "VmDeployedEvent", "VmRegisteredEvent", "VmRemovedEvent"}

// maxEventPage is the largest ReadNextEvents page vSphere allows.
const maxEventPage = 1000

// Events returns the VM creation and removal events (VmCreatedEvent,
// VmClonedEvent, VmDeployedEvent, VmRegisteredEvent, VmRemovedEvent) the
// endpoint recorded in [from, to), oldest first. It reads them through an
// event history collector filtered on those types and the time window, in
// pages of Options.PageSize (at most 1000), and destroys the collector
// afterwards (servers allow only a few per session).
func (s *Source) Events(ctx context.Context, from, to time.Time) ([]capture.VMEvent, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if !from.Before(to) {
		return nil, nil
	}
	var out []capture.VMEvent
	err := s.withSession(ctx, func(ctx context.Context) error {
		ev, err := s.readEvents(ctx, from, to)
		out = ev
		return err
	})
	if err != nil {
		return nil, s.wrap("read events", err)
	}
	return out, nil
}

func (s *Source) readEvents(ctx context.Context, from, to time.Time) ([]capture.VMEvent, error) {
	var out []capture.VMEvent
	err := s.collectEvents(ctx, from, to, vmEventTypes, func(be types.BaseEvent) {
		if e, ok := vmEvent(be); ok {
			out = append(out, e)
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b capture.VMEvent) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// collectEvents reads the events of the given types the endpoint recorded
// in [from, to) through an event history collector, in pages of
// Options.PageSize (at most 1000), calls fn for each one inside the
// window, and destroys the collector afterwards.
func (s *Source) collectEvents(ctx context.Context, from, to time.Time, typeIDs []string, fn func(types.BaseEvent)) error {
	em := s.vc.ServiceContent.EventManager
	if em == nil {
		return fmt.Errorf("the server has no event manager")
	}
	begin, end := from.UTC(), to.UTC()
	res, err := methods.CreateCollectorForEvents(ctx, s.vc, &types.CreateCollectorForEvents{
		This: *em,
		Filter: types.EventFilterSpec{
			Time:        &types.EventFilterSpecByTime{BeginTime: &begin, EndTime: &end},
			EventTypeId: typeIDs,
		},
	})
	if err != nil {
		return err
	}
	collector := res.Returnval
	defer s.cleanup(ctx, func(ctx context.Context) error {
		_, err := methods.DestroyCollector(ctx, s.raw, &types.DestroyCollector{This: collector})
		return err
	})

	page := int32(min(s.opts.PageSize, maxEventPage))
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		r, err := methods.ReadNextEvents(ctx, s.vc, &types.ReadNextEvents{This: collector, MaxCount: page})
		if err != nil {
			return err
		}
		if r == nil || len(r.Returnval) == 0 {
			return nil
		}
		for _, be := range r.Returnval {
			if t := be.GetEvent().CreatedTime; !t.Before(begin) && t.Before(end) {
				fn(be)
			}
		}
	}
}

// vmEvent maps a vSphere event to a capture.VMEvent.
func vmEvent(be types.BaseEvent) (capture.VMEvent, bool) {
	var kind string
	switch be.(type) {
	case *types.VmCreatedEvent:
		kind = capture.VMEventCreated
	case *types.VmClonedEvent:
		kind = capture.VMEventCloned
	case *types.VmDeployedEvent:
		kind = capture.VMEventDeployed
	case *types.VmRegisteredEvent:
		kind = capture.VMEventRegistered
	case *types.VmRemovedEvent:
		kind = capture.VMEventRemoved
	default:
		return capture.VMEvent{}, false
	}
	e := be.GetEvent()
	if e.Vm == nil {
		return capture.VMEvent{}, false
	}
	return capture.VMEvent{
		Key:    e.Key,
		Kind:   kind,
		VMID:   e.Vm.Vm.Value,
		VMName: e.Vm.Name,
		Time:   e.CreatedTime.UTC(),
	}, true
}
