package alert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// PowerEventSource reads the VM power events an endpoint recorded in
// [from, to) (see inventory.PowerEvent); vsphere.Source.PowerEvents reads
// one endpoint's, and PowerEventSources maps endpoint names to them.
type PowerEventSource interface {
	PowerEvents(ctx context.Context, vcenter string, from, to time.Time) ([]inventory.PowerEvent, error)
}

// EndpointPowerEvents is one endpoint's power event reader, as
// vsphere.Source implements it.
type EndpointPowerEvents interface {
	PowerEvents(ctx context.Context, from, to time.Time) ([]inventory.PowerEvent, error)
}

// PowerEventSources is a PowerEventSource over one reader per endpoint
// name.
type PowerEventSources map[string]EndpointPowerEvents

// ErrNoPowerEventSource is returned (wrapped) by PowerEventSources for an
// endpoint it has no reader for.
var ErrNoPowerEventSource = errors.New("alert: no power event source for the endpoint")

// PowerEvents reads the events of the endpoint named vcenter.
func (m PowerEventSources) PowerEvents(ctx context.Context, vcenter string, from, to time.Time) ([]inventory.PowerEvent, error) {
	src, ok := m[vcenter]
	if !ok || src == nil {
		return nil, fmt.Errorf("endpoint %q: %w", vcenter, ErrNoPowerEventSource)
	}
	return src.PowerEvents(ctx, from, to)
}

// Power-off causes (PowerOffVerdict.Cause).
const (
	CauseUser          = "user"           // a VmPoweredOffEvent with a user name: no alert
	CauseGuestShutdown = "guest_shutdown" // VmGuestShutdownEvent
	CauseHAReset       = "ha_reset"       // VmDasBeingResetEvent (WithScreenshot)
	CauseFailover      = "failover_failed"
	CauseHostFailure   = "host_failure" // the VM's host failed
	CauseNoUser        = "no_user"      // a VmPoweredOffEvent without a user name
	CauseNoEvent       = "no_event"     // no vCenter event explains it
)

// PowerOffVerdict is ClassifyPowerOff's answer.
type PowerOffVerdict struct {
	// Alert is false only for a power-off by a user.
	Alert bool
	// Cause is one of the Cause* constants.
	Cause string
	// Event is the event the verdict rests on (nil for CauseNoEvent).
	Event *inventory.PowerEvent
	// Summary says what was seen, for the alert text, e.g. "powered off
	// by the guest OS (VmGuestShutdownEvent at 2026-11-22T14:03:05Z)".
	Summary string
}

// eventName is the vSphere event type a power event kind stands for.
func eventName(e *inventory.PowerEvent) string {
	switch e.Kind {
	case inventory.PowerOffEvent:
		return "VmPoweredOffEvent"
	case inventory.PowerGuestShutdown:
		return "VmGuestShutdownEvent"
	case inventory.PowerHAReset:
		return "VmDasBeingResetEvent"
	case inventory.PowerFailover:
		return "VmFailoverFailed"
	case inventory.PowerHostFailure:
		return "a host failure event"
	case inventory.PowerOnEvent:
		return "VmPoweredOnEvent"
	}
	return e.Kind
}

// ClassifyPowerOff tells why a VM is powered off from the power events of
// its endpoint around the time the power-off was seen (the caller passes
// the window it read; ClassifyPowerOff ignores events of other VMs and
// hosts, and those before the VM's last power-on in the window). An event
// that shows a failure wins over a power-off event, since vCenter records
// a VmPoweredOffEvent after a guest shutdown too: a host failure of the
// VM's host (hostID), an HA reset, a failed HA failover or a guest
// shutdown (the latest of them) alerts. Otherwise the latest
// VmPoweredOffEvent decides: with a user name it was that user's (no
// alert), without one it alerts. With no event at all it alerts saying
// no vCenter event explains the power-off.
func ClassifyPowerOff(vmID, hostID string, events []inventory.PowerEvent) PowerOffVerdict {
	var lastOn int = -1
	for i := range events {
		if events[i].Kind == inventory.PowerOnEvent && events[i].VMID == vmID {
			if lastOn < 0 || !events[i].Time.Before(events[lastOn].Time) {
				lastOn = i
			}
		}
	}
	var failure, off *inventory.PowerEvent
	for i := range events {
		e := &events[i]
		if lastOn >= 0 && e.Time.Before(events[lastOn].Time) {
			continue
		}
		mine := e.VMID == vmID
		switch e.Kind {
		case inventory.PowerHostFailure:
			if !mine && (hostID == "" || e.HostID != hostID) {
				continue
			}
		case inventory.PowerGuestShutdown, inventory.PowerHAReset, inventory.PowerFailover, inventory.PowerOffEvent:
			if !mine {
				continue
			}
		default:
			continue
		}
		if e.Kind == inventory.PowerOffEvent {
			if off == nil || !e.Time.Before(off.Time) {
				off = e
			}
		} else if failure == nil || !e.Time.Before(failure.Time) {
			failure = e
		}
	}
	at := func(e *inventory.PowerEvent) string {
		return fmt.Sprintf("%s at %s", eventName(e), e.Time.UTC().Format(time.RFC3339))
	}
	if failure != nil {
		var what, cause string
		switch failure.Kind {
		case inventory.PowerGuestShutdown:
			what, cause = "powered off by the guest OS", CauseGuestShutdown
		case inventory.PowerHAReset:
			what, cause = "reset by vSphere HA", CauseHAReset
		case inventory.PowerFailover:
			what, cause = "vSphere HA failed to fail it over", CauseFailover
		default:
			what, cause = "powered off by a failure of its host "+failure.HostID, CauseHostFailure
		}
		return PowerOffVerdict{Alert: true, Cause: cause, Event: failure, Summary: fmt.Sprintf("%s (%s)", what, at(failure))}
	}
	if off != nil {
		if off.User != "" {
			return PowerOffVerdict{Cause: CauseUser, Event: off, Summary: fmt.Sprintf("powered off by user %q (%s)", off.User, at(off))}
		}
		return PowerOffVerdict{Alert: true, Cause: CauseNoUser, Event: off,
			Summary: fmt.Sprintf("powered off with no user recorded (%s)", at(off))}
	}
	return PowerOffVerdict{Alert: true, Cause: CauseNoEvent, Summary: "powered off; no vCenter event explains it"}
}
