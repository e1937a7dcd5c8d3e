package store

import (
	"context"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Details keeps the RVTools-depth detail of each vCenter's newest capture
// (inventory.Details): VM settings, snapshots, disks, NICs, removable
// drives and guest partitions; host, cluster and datastore detail;
// distributed switches. It is latest state, not history: hourly samples
// keep their size, and changes between captures become events (see
// lifecycle.DetailEvents). It is an optional interface (see Store):
// memstore, sqlitestore and pgstore implement it, with child tables for VM
// snapshots, disks and NICs.
type Details interface {
	// WriteDetails replaces every stored detail row of p.Vcenter with
	// p.Details in one transaction: a VM, host, cluster, datastore or
	// switch missing from p.Details has no detail afterwards; other
	// vCenters' rows are untouched. Every row must carry p.Vcenter and
	// an id unique within its kind, every string must be valid UTF-8
	// without NUL bytes and every float finite: otherwise nothing is
	// written and an *InvalidParamsError is returned. Times are kept in
	// UTC at the store's time precision (driver.Precision, as a VM's
	// creation time). On a failed write nothing changes and a
	// *WriteError is returned.
	WriteDetails(ctx context.Context, p *WriteDetailsParams) error
	// ReadDetails returns the stored detail of one vCenter, or of every
	// vCenter when p.Vcenter is empty, each slice ordered by (vcenter, id)
	// and each VM's snapshots, disks, NICs, drives and partitions in the
	// order they were written. A vCenter with no stored detail has
	// none in the result (empty slices, no error).
	ReadDetails(ctx context.Context, p *ReadDetailsParams) (*inventory.Details, error)
}

// WriteDetailsParams are one vCenter's detail from one capture.
type WriteDetailsParams struct {
	// Vcenter is the endpoint name; every row must carry it. Required.
	Vcenter string
	// SnapshotTime is the capture the detail comes from. Required.
	SnapshotTime time.Time
	Details      inventory.Details
	// BatchSize is rows per batched write. Defaults to DefaultBatchSize.
	BatchSize int
}

// ReadDetailsParams select the detail ReadDetails returns.
type ReadDetailsParams struct {
	// Vcenter limits the rows to one vCenter; empty means every vCenter.
	Vcenter string
	// VMIDs limits the VM detail to these VMs; empty means every VM. It
	// needs Vcenter (an *InvalidParamsError otherwise). Host, cluster,
	// datastore and switch detail is returned either way.
	VMIDs []string
	// VMsOnly leaves out host, cluster, datastore and switch detail.
	VMsOnly bool
	// EntitiesOnly leaves out VM detail (host, cluster, datastore and
	// switch detail only).
	EntitiesOnly bool
}
