package capture

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
	"github.com/accessvault/vinventory/store"
)

// Writer is what Capture needs of a store.
type Writer interface {
	store.SnapshotWriter
	Capabilities() store.Capabilities
}

// Options configure one Capture.
type Options struct {
	// SnapshotTime stamps every row of the snapshot; it is truncated to the
	// second. Defaults to Clock() when zero.
	SnapshotTime time.Time
	// Clock returns the current time. Defaults to time.Now.
	Clock func() time.Time
	// BatchSize is rows per batched write (capture_write_batch_size).
	// Defaults to 1000.
	BatchSize int
	// NoCompatTables turns off writing inventory_hourly_<YYYYMMDDHHMM>
	// (snapshot_table_compat_mode = false). Compatibility tables are also
	// skipped when the store does not implement store.CompatTables.
	NoCompatTables bool
	// Location cuts the hour of the hourly aggregate totals. Defaults to
	// UTC.
	Location *time.Location
	// Scope selects the VMs captured (inventory.Scope). Defaults to the
	// source's Endpoint().Scope; Run passes its target's. VMs out of scope
	// are left out of the snapshot and recorded with its entity history
	// (store.EntityHistory, required when a scope leaves a VM out), so
	// reconcile does not take them for deleted.
	Scope *inventory.Scope
}

func (o *Options) now() time.Time {
	if o.Clock != nil {
		return o.Clock()
	}
	return time.Now()
}

// Timings are the durations of a capture's stages.
type Timings struct {
	Retrieve time.Duration
	Write    time.Duration
	Total    time.Duration
}

// Result describes a complete, stored snapshot.
type Result struct {
	// Endpoint is the endpoint (vcenter) name.
	Endpoint     string
	SnapshotTime time.Time
	Counts       inventory.ObjectCounts
	Totals       inventory.Totals
	// Samples are the snapshot's vm_hourly_stats rows, as stored; Reconcile
	// uses them.
	Samples []inventory.Sample
	// Excluded are the VMs the scope left out of the snapshot.
	Excluded []inventory.ExcludedVM
	// CompatTable is the compatibility table written, if any.
	CompatTable string
	Timings     Timings
}

// Stage is the step of a capture an Error names.
type Stage string

// Stages of a capture.
const (
	StageRetrieve  Stage = "retrieve"
	StageWrite     Stage = "write"
	StageEvents    Stage = "events"
	StageReconcile Stage = "reconcile"
	// StageHistory is the write of the snapshot's host, cluster and
	// datastore history rows (store.EntityHistory), before the snapshot
	// itself.
	StageHistory Stage = "history"
	// StageDetails is the write of the capture's RVTools-depth detail
	// (store.Details) and its change events, after the snapshot.
	StageDetails Stage = "details"
)

// Error is a failed capture or reconcile of one endpoint. Nothing of the
// snapshot was stored (a failure at StageWrite may leave the snapshot's
// entity history rows, which no registered snapshot refers to; see
// Capture).
type Error struct {
	Endpoint     string
	SnapshotTime time.Time
	// Stage is StageRetrieve, StageWrite, StageHistory, StageEvents or
	// StageReconcile.
	Stage Stage
	Err   error
}

func (e *Error) Error() string {
	return fmt.Sprintf("capture %s @%s: %s failed: %v", e.Endpoint, e.SnapshotTime.UTC().Format(time.RFC3339), e.Stage, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Capture takes one complete snapshot of one endpoint and stores it
// atomically (SEMANTICS §1): latest-state inventory, vm_hourly_stats,
// totals, the registry record and, unless disabled, the hourly
// compatibility table. If retrieval or the write fails, nothing is stored
// and an *Error says which stage failed.
//
// When st also implements store.EntityHistory, the snapshot's hosts,
// clusters and datastores are first written as its history rows, in a
// transaction of their own (StageHistory), so that every registered
// snapshot has its history. If the snapshot's write then fails, those rows
// stay: they are what the vCenter held at that time, reports read history
// only at registered snapshot times, and a capture at the same time
// replaces them.
//
// When st implements store.Details, the capture's detail (State.Details)
// then replaces the vCenter's stored detail, and the differences from the
// stored detail become events (lifecycle.DetailEvents: disks, NICs,
// snapshots, Tools, hardware version, annotation) appended first when st
// also implements store.Events. A failure there (StageDetails) leaves the
// snapshot stored; a capture at the same time repeats the write, and its
// events are stored once (their natural key).
func Capture(ctx context.Context, st Writer, src Source, opts Options) (*Result, error) {
	start := opts.now()
	t0 := time.Now() // durations on the monotonic clock, whatever opts.Clock says
	ep := src.Endpoint()
	s := opts.SnapshotTime
	if s.IsZero() {
		s = start
	}
	s = store.SnapshotTime(s)
	fail := func(stage Stage, err error) (*Result, error) {
		return nil, &Error{Endpoint: ep.Name, SnapshotTime: s, Stage: stage, Err: err}
	}

	state, err := src.Retrieve(ctx)
	if err != nil {
		return fail(StageRetrieve, err)
	}
	retrieved := opts.now()
	retrieveTook := time.Since(t0)
	scope := ep.Scope
	if opts.Scope != nil {
		scope = *opts.Scope
	}
	excluded, err := applyScope(ep.Name, s, scope, state)
	if err != nil {
		return fail(StageRetrieve, err)
	}
	eh, history := st.(store.EntityHistory)
	if len(excluded) > 0 && !history {
		return fail(StageHistory, fmt.Errorf("the scope of %s leaves %d VMs out, and the store cannot record them (store.EntityHistory): "+
			"reconcile would take them for deleted", ep.Name, len(excluded)))
	}

	samples := make([]inventory.Sample, len(state.VMs))
	for i := range state.VMs {
		state.VMs[i].Vcenter = ep.Name
		samples[i] = state.VMs[i].Sample(s)
	}
	totals := inventory.ComputeTotals(ep.Name, s, samples, state)
	_, compat := st.(store.CompatTables)
	compat = compat && !opts.NoCompatTables
	if history {
		err := eh.WriteEntityHistory(ctx, &store.WriteEntityHistoryParams{
			Vcenter: ep.Name, SnapshotTime: s, Hosts: state.Hosts, Clusters: state.Clusters,
			Datastores: state.Datastores, Excluded: excluded, BatchSize: opts.BatchSize,
		})
		if err != nil {
			return fail(StageHistory, err)
		}
	}
	wr, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{
		Vcenter: ep.Name, SnapshotTime: s, Samples: samples, State: state, Totals: totals,
		Compat: compat, Duration: retrieveTook, Location: opts.Location, BatchSize: opts.BatchSize,
		RegisteredAt: retrieved,
	})
	if err != nil {
		return fail(StageWrite, err)
	}
	if err := writeDetails(ctx, st, ep.Name, s, state, opts.BatchSize); err != nil {
		return fail(StageDetails, err)
	}
	took := time.Since(t0)
	return &Result{
		Endpoint: ep.Name, SnapshotTime: s, Counts: state.Counts(), Totals: totals, Samples: samples,
		Excluded: excluded, CompatTable: wr.CompatTable,
		Timings: Timings{Retrieve: retrieveTook, Write: took - retrieveTook, Total: took},
	}, nil
}

// applyScope removes the VMs out of scope (and their detail) from state
// and returns them.
func applyScope(vc string, s time.Time, scope inventory.Scope, state *inventory.State) ([]inventory.ExcludedVM, error) {
	if scope.IsZero() {
		return nil, nil
	}
	m, err := scope.Matcher()
	if err != nil {
		return nil, fmt.Errorf("scope of %s: %w", vc, err)
	}
	var out []inventory.ExcludedVM
	gone := map[string]bool{}
	kept := state.VMs[:0]
	for _, vm := range state.VMs {
		if reason, ex := m.Excludes(&vm); ex {
			out = append(out, inventory.ExcludedVM{Vcenter: vc, VMID: vm.ID, VMUUID: vm.UUID, Name: vm.Name, Reason: reason, SnapshotTime: s})
			gone[vm.ID] = true
			continue
		}
		kept = append(kept, vm)
	}
	clear(state.VMs[len(kept):])
	state.VMs = kept
	if len(gone) > 0 {
		state.Details.VMs = slices.DeleteFunc(state.Details.VMs, func(d inventory.VMDetail) bool { return gone[d.VMID] })
	}
	return out, nil
}

// writeDetails stores the detail of a capture and appends its change
// events, when st can keep detail.
func writeDetails(ctx context.Context, st Writer, vc string, s time.Time, state *inventory.State, batch int) error {
	ds, ok := st.(store.Details)
	if !ok {
		return nil
	}
	d := &state.Details
	for i := range d.VMs {
		d.VMs[i].Vcenter = vc
	}
	if es, ok := st.(store.Events); ok && len(d.VMs) > 0 {
		old, err := ds.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: vc, VMsOnly: true})
		if err != nil {
			return err
		}
		prev := make(map[string]*inventory.VMDetail, len(old.VMs))
		for i := range old.VMs {
			prev[old.VMs[i].VMID] = &old.VMs[i]
		}
		vms := make(map[string]*inventory.VM, len(state.VMs))
		for i := range state.VMs {
			vms[state.VMs[i].ID] = &state.VMs[i]
		}
		var evs []inventory.Event
		for i := range d.VMs {
			x := &d.VMs[i]
			vm := vms[x.VMID]
			if vm == nil {
				continue
			}
			evs = append(evs, lifecycle.DetailEvents(prev[x.VMID], x, s, vm.Name, vm.UUID)...)
		}
		if len(evs) > 0 {
			if err := es.AppendEvents(ctx, &store.AppendEventsParams{Events: evs}); err != nil {
				return err
			}
		}
	}
	return ds.WriteDetails(ctx, &store.WriteDetailsParams{Vcenter: vc, SnapshotTime: s, Details: *d, BatchSize: batch})
}

// IsRetryable reports whether a capture error is worth retrying: anything
// but invalid params, a cancelled context and errors that say they are not
// (a Retryable() bool method returning false, as refused credentials do).
func IsRetryable(err error) bool {
	var ip *store.InvalidParamsError
	var nr interface{ Retryable() bool }
	if errors.As(err, &nr) && !nr.Retryable() {
		return false // refused credentials, a parked endpoint, ...
	}
	return err != nil && !errors.As(err, &ip) && !errors.Is(err, context.Canceled)
}
