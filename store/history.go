package store

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// EntityHistory keeps a row per host, cluster and datastore per snapshot,
// so that as-of reports and capacity trends read the state of that
// snapshot rather than the latest state. It is an optional interface (see
// Store): memstore, sqlitestore and pgstore implement it.
//
// The rows are the inventory types the latest state holds, each carrying
// its snapshot's time; a datastore's HostIDs are not kept per snapshot.
type EntityHistory interface {
	// WriteEntityHistory stores the hosts, clusters and datastores of one
	// vCenter snapshot in one transaction, replacing the rows already
	// stored for that (Vcenter, SnapshotTime): writing a snapshot again is
	// idempotent. A snapshot with no rows is still recorded (the as-of
	// pick sees it). On failure nothing is stored and a *WriteError is
	// returned.
	WriteEntityHistory(ctx context.Context, p *WriteEntityHistoryParams) error
	// EntitiesAsOf returns, for each vCenter (or only Vcenter), the rows
	// of its latest history snapshot at or before At.
	EntitiesAsOf(ctx context.Context, p *EntitiesAsOfParams) (*EntityRows, error)
	// EntityHistoryRange returns the rows of the history snapshots in
	// [From, To), for trends.
	EntityHistoryRange(ctx context.Context, p *EntityHistoryRangeParams) (*EntityRows, error)
	// DeleteEntityHistory removes the history snapshots (with their rows)
	// whose time is before Before (retention) and returns how many
	// snapshots it removed.
	DeleteEntityHistory(ctx context.Context, p *DeleteEntityHistoryParams) (int64, error)
}

// DeleteEntityHistoryParams select the history snapshots to delete.
type DeleteEntityHistoryParams struct {
	// Before is required: snapshots with SnapshotTime < Before go.
	Before time.Time
}

// WriteEntityHistoryParams are the hosts, clusters and datastores of one
// vCenter snapshot.
type WriteEntityHistoryParams struct {
	// Vcenter is the endpoint name; every row must carry it. Required.
	Vcenter string
	// SnapshotTime is the snapshot's time (truncated to a second, as
	// WriteSnapshot does); every row is stored with it, whatever its own
	// SnapshotTime. Required.
	SnapshotTime time.Time
	Hosts        []inventory.Host
	Clusters     []inventory.Cluster
	Datastores   []inventory.Datastore
	// Excluded are the VMs the endpoint's scope left out of the snapshot
	// (inventory.Scope); reconcile reads them to tell a VM out of scope
	// from a deleted one. Each needs its VMID.
	Excluded []inventory.ExcludedVM
	// BatchSize is rows per batched write. Defaults to DefaultBatchSize.
	BatchSize int
}

// EntitiesAsOfParams select the history snapshot EntitiesAsOf reads.
type EntitiesAsOfParams struct {
	// Vcenter limits the rows to one vCenter; empty means every vCenter.
	Vcenter string
	// At is the time the rows are wanted as of. Required.
	At time.Time
}

// EntityKind names one kind of history row. The zero value means every
// kind.
type EntityKind string

// Entity kinds of EntityHistoryRangeParams.Kind.
const (
	EntityHost      EntityKind = "host"
	EntityCluster   EntityKind = "cluster"
	EntityDatastore EntityKind = "datastore"
	// EntityExcluded reads the VMs the scope left out (Excluded).
	EntityExcluded EntityKind = "excluded_vm"
)

// EntityHistoryRangeParams select the rows EntityHistoryRange returns.
// Zero values mean no filter.
type EntityHistoryRangeParams struct {
	Vcenter string
	// Kind limits the rows to one kind; the others come back empty.
	Kind EntityKind
	// IDs limits the rows to these entity IDs (of every kind read).
	IDs []string
	// From and To bound the snapshot time to [From, To). To is required.
	From, To time.Time
}

// EntityRows are history rows. Each slice is ordered by (Vcenter,
// SnapshotTime, ID).
type EntityRows struct {
	// Snapshots are the history snapshots read (for EntitiesAsOf: one per
	// vCenter), ordered by (Vcenter, SnapshotTime), also those without
	// rows.
	Snapshots  []EntitySnapshot
	Hosts      []inventory.Host
	Clusters   []inventory.Cluster
	Datastores []inventory.Datastore
	Excluded   []inventory.ExcludedVM
}

// EntitySnapshot is one vCenter's history snapshot.
type EntitySnapshot struct {
	Vcenter      string
	SnapshotTime time.Time
}
