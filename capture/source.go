package capture

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Source is one vSphere endpoint (vCenter or standalone ESXi) that can be
// captured. capture/vsphere implements it with govmomi; tests can use it
// against the vcsim kit in capture/capturetest.
//
// Implementations are safe for concurrent use by one Capture at a time.
type Source interface {
	// Endpoint returns the endpoint this source reads (its credential
	// cleared).
	Endpoint() inventory.Endpoint
	// Retrieve returns the whole inventory of the endpoint: every VM
	// (templates included) with all sample fields filled and references
	// resolved (host, cluster, pool, datacenter, folder, datastores,
	// networks), and every host, cluster, datastore, network and resource
	// pool. Every object carries Vcenter = Endpoint().Name. It fails as a
	// whole when any page of the retrieval fails: a partial inventory is
	// never returned.
	Retrieve(ctx context.Context) (*inventory.State, error)
	// Events returns the VM creation and removal events the endpoint
	// recorded in [From, To), oldest first.
	Events(ctx context.Context, from, to time.Time) ([]VMEvent, error)
	// Close logs out and releases the session.
	Close(ctx context.Context) error
}

// VMEvent kinds.
const (
	VMEventCreated    = inventory.EndpointCreated    // VmCreatedEvent
	VMEventCloned     = inventory.EndpointCloned     // VmClonedEvent
	VMEventDeployed   = inventory.EndpointDeployed   // VmDeployedEvent
	VMEventRegistered = inventory.EndpointRegistered // VmRegisteredEvent
	VMEventRemoved    = inventory.EndpointRemoved    // VmRemovedEvent
)

// VMEvent is a VM lifecycle event read from the endpoint's event history.
type VMEvent struct {
	// Key is the event's key on the endpoint.
	Key int32
	// Kind is one of the VMEvent* constants.
	Kind string
	// VMID is the VM's managed object id.
	VMID string
	// VMName is the VM's name at the time of the event.
	VMName string
	// Time is when the event was created, in UTC.
	Time time.Time
}

// IsCreation reports whether the event creates a VM (SEMANTICS §3).
func (e VMEvent) IsCreation() bool {
	switch e.Kind {
	case VMEventCreated, VMEventCloned, VMEventDeployed, VMEventRegistered:
		return true
	}
	return false
}
