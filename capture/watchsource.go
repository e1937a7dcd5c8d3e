package capture

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// WatchSource is an endpoint that can be followed between captures: it
// reports the objects that change as they change. capture/vsphere
// implements it with the property collector (WaitForUpdatesEx over
// container views); capture.Watch turns its updates into latest-state
// changes and events.
type WatchSource interface {
	// Endpoint returns the endpoint this source reads (its credential
	// cleared).
	Endpoint() inventory.Endpoint
	// Watch follows the endpoint until ctx ends or a fault it cannot
	// recover from (it returns that error; the caller backs off and calls
	// Watch again). It calls fn with every update, one at a time, in
	// order; an error from fn stops Watch and is returned.
	//
	// The first update, and the first after the source had to start over
	// (a re-login, a collector fault such as InvalidCollectorVersion, a
	// truncated update it cannot continue, a request on
	// WatchSourceOptions.Resync), is Full: its State holds the whole
	// inventory as Source.Retrieve would return it (without detail). Later
	// updates hold the objects that changed, each as a whole row with its
	// references resolved (a VM's host, cluster, pool, folder and
	// datacenter names), and the objects that left.
	Watch(ctx context.Context, o *WatchSourceOptions, fn func(context.Context, *WatchUpdate) error) error
}

// WatchSourceOptions tune a WatchSource.
type WatchSourceOptions struct {
	// MaxWaitSeconds bounds one wait for updates (WaitForUpdatesEx
	// maxWaitSeconds): an idle endpoint answers after it with no update.
	// Defaults to 30.
	MaxWaitSeconds int32
	// MaxObjectUpdates caps the objects of one answer (a larger change set
	// comes in several truncated parts). Defaults to 500.
	MaxObjectUpdates int32
	// Resync asks for a full resync: the source starts over and reports a
	// Full update. Nil means never.
	Resync <-chan struct{}
}

// Reasons a WatchUpdate is Full.
const (
	ResyncStart     = "start"     // the watch started
	ResyncRelogin   = "relogin"   // the session was renewed
	ResyncCollector = "collector" // the collector failed (InvalidCollectorVersion, a lost version)
	ResyncRequested = "requested" // WatchSourceOptions.Resync
)

// WatchUpdate is what a WatchSource saw in one step.
type WatchUpdate struct {
	// At is when the update arrived.
	At time.Time
	// Full says State is the whole inventory (a resync); Reason says why
	// (one of the Resync* constants).
	Full   bool
	Reason string
	// State holds the objects that entered or changed (every object when
	// Full), without detail, each carrying Vcenter = Endpoint().Name.
	State inventory.State
	// Removed are the objects that left (never set when Full: what a Full
	// update lacks has left).
	Removed []WatchRef
	// Received counts the object updates the endpoint sent for this step.
	Received int
}

// WatchRef names an object that left.
type WatchRef struct {
	Entity inventory.EntityType
	ID     string
}
