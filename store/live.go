package store

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// LiveState applies the changes a watcher sees between captures
// (capture.Watch) to the latest-state inventory, appends their events, and
// keeps a change log that readers tail by sequence number (the API's
// /api/stream). It is an optional interface (see Store): memstore,
// sqlitestore and pgstore implement it.
//
// Live changes never touch vm_hourly_stats, lifecycles, totals or the
// snapshot registry: the hourly history stays what captures wrote.
type LiveState interface {
	// ApplyChanges, in one transaction: upserts or deletes the latest-state
	// row of every change (an upserted VM's datastore and network links,
	// and a datastore's hosts, are replaced with the row's), appends each
	// change to the change log with a new sequence number, upserts
	// p.Events on their natural key (vcenter, snapshot_time, kind, vm_id;
	// stored with Live set, replacing an existing row's name, before and
	// after), and moves the vCenter's state time (StateTime) to
	// p.ObservedAt when that is later, so an hourly capture stamped
	// earlier leaves the newer live rows alone (SnapshotWriter). Upserted
	// rows get SnapshotTime = p.ObservedAt.
	//
	// Sequence numbers grow in commit order across all vCenters: a reader
	// that has seen Seq n and lists after n misses no change committed
	// later. Every change must carry p.Vcenter, a known Entity and Op, a
	// non-empty ID and, for an upsert, exactly the matching row with the
	// same ID; strings must be valid UTF-8 without NUL bytes and floats
	// finite; every event must carry p.Vcenter. Otherwise nothing is
	// written and an *InvalidParamsError is returned. On a failed write
	// nothing changes and a *WriteError is returned.
	ApplyChanges(ctx context.Context, p *ApplyChangesParams) (*ApplyChangesResult, error)
	// ListChanges returns change-log rows with Seq > p.AfterSeq in Seq
	// order, at most p.Limit.
	ListChanges(ctx context.Context, p *ListChangesParams) (*ChangePage, error)
	// PruneChanges deletes change-log rows older than p.Before.
	PruneChanges(ctx context.Context, p *PruneChangesParams) (*PruneChangesResult, error)
}

// ApplyChangesParams are one batch of live changes of one vCenter.
type ApplyChangesParams struct {
	// Vcenter is the endpoint name; every change and event must carry it.
	// Required.
	Vcenter string
	// ObservedAt is when the batch's changes were seen. Required. Change.At
	// defaults to it.
	ObservedAt time.Time
	// Changes are applied in order (a later change of the same object
	// wins).
	Changes []inventory.Change
	// Events are the change events the batch raised (inventory.Event.Live
	// is set by the store).
	Events []inventory.Event
	// BatchSize is rows per batched write. Defaults to DefaultBatchSize.
	BatchSize int
}

// ApplyChangesResult says what ApplyChanges stored.
type ApplyChangesResult struct {
	// FirstSeq and LastSeq are the sequence numbers given to the first and
	// last change (both 0 when the batch had none).
	FirstSeq, LastSeq int64
	// StateTime is the vCenter's state time after the batch.
	StateTime time.Time
}

// ListChangesParams select change-log rows.
type ListChangesParams struct {
	// Vcenter limits the rows to one vCenter; empty means every vCenter.
	Vcenter string
	// AfterSeq lists rows with a greater sequence number.
	AfterSeq int64
	// Limit is the page size. Defaults to 1000; at most 10000.
	Limit int
}

// ChangePage is one page of change-log rows.
type ChangePage struct {
	Changes []inventory.Change
	// LastSeq is the greatest sequence number the log holds (over every
	// vCenter), 0 when it is empty: a reader with nothing newer is caught
	// up.
	LastSeq int64
	// FirstSeq is the smallest sequence number still kept (0 when the log
	// is empty). A reader whose AfterSeq+1 is below it has missed pruned
	// rows and must read the latest state again.
	FirstSeq int64
}

// PruneChangesParams say which change-log rows PruneChanges deletes.
type PruneChangesParams struct {
	// Before: rows whose At is before it are deleted. Required.
	Before time.Time
}

// PruneChangesResult counts the rows deleted.
type PruneChangesResult struct{ Deleted int64 }
