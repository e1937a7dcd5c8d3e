package capture

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
	"github.com/accessvault/vinventory/store"
)

// ReconcileStore is what Reconcile needs of a store.
type ReconcileStore interface {
	store.HourlyStats
	store.Lifecycles
	store.Registry
}

// ReconcileOptions configure Reconcile.
type ReconcileOptions struct {
	// DeletionGuardFraction: when a snapshot lacks more than this fraction
	// of the VMs present in the previous complete snapshot, no deletion is
	// inferred (deletion_guard_fraction). Defaults to
	// lifecycle.DefaultGuardFraction (0.5).
	DeletionGuardFraction float64
	// DeletionGuardMinVMs: the guard applies only when the previous snapshot
	// had at least this many VMs (deletion_guard_min_vms). Defaults to
	// lifecycle.DefaultGuardMinVMs (10).
	DeletionGuardMinVMs int
	// FirstEventLookback is how far before the first snapshot of a vCenter
	// creation events are read (first_event_lookback). Defaults to
	// lifecycle.DefaultFirstEventLookback (7 days).
	FirstEventLookback time.Duration
}

func (o *ReconcileOptions) guard() lifecycle.Guard {
	return lifecycle.Guard{Fraction: o.DeletionGuardFraction, MinVMs: o.DeletionGuardMinVMs}.WithDefaults()
}

func (o *ReconcileOptions) validate() error {
	if err := o.guard().Validate(); err != nil {
		return err
	}
	if o.FirstEventLookback < 0 {
		return &inventory.FieldError{Field: "first_event_lookback", Reason: fmt.Sprintf("is %v, want >= 0", o.FirstEventLookback)}
	}
	if o.FirstEventLookback == 0 {
		o.FirstEventLookback = lifecycle.DefaultFirstEventLookback
	}
	return nil
}

// ReconcileResult summarises one reconcile.
type ReconcileResult struct {
	Endpoint     string
	SnapshotTime time.Time
	// Previous is the previous complete snapshot time (zero for the first).
	Previous time.Time
	// Lifecycles is the number of lifecycle rows written.
	Lifecycles int
	// Events counts the events appended, by kind.
	Events map[inventory.EventKind]int
	// MassAbsence is set when the guard withheld deletions.
	MassAbsence bool
	// Pending lists the earlier snapshots that had been stored but not
	// reconciled (a process died in between) and were reconciled first.
	Pending  []time.Time
	Duration time.Duration
}

// Reconcile maintains vm_lifecycle_cache and appends change events for the
// snapshot in res, with the rules of package lifecycle (SEMANTICS §3). It
// runs once per vCenter after a complete capture and is idempotent:
// running it again for the same snapshot changes nothing.
//
// Every complete snapshot is reconciled exactly once, in order, each
// against the snapshot reconciled before it: registered snapshots of the
// vCenter that were stored but not reconciled (the store's
// ReconciledThrough watermark is behind them) are reconciled first, from
// the store, so a crash between capture and reconcile loses no change
// event.
//
// Creation and removal events are read from the endpoint for the window
// since the previous snapshot (back FirstEventLookback for a vCenter's
// first) and kept in the store, so a VM first seen after a guarded, failed
// or partial-looking snapshot still gets the creation event that happened
// before it.
func Reconcile(ctx context.Context, st ReconcileStore, src Source, res *Result, opts ReconcileOptions) (*ReconcileResult, error) {
	began := time.Now()
	if res == nil {
		return nil, errors.New("capture: Reconcile: nil result")
	}
	vc, s := res.Endpoint, res.SnapshotTime
	fail := func(err error) (*ReconcileResult, error) {
		return nil, &Error{Endpoint: vc, SnapshotTime: s, Stage: StageReconcile, Err: err}
	}
	if err := opts.validate(); err != nil {
		return fail(err)
	}
	pending, err := unreconciled(ctx, st, vc, s)
	if err != nil {
		return fail(err)
	}
	for _, t := range pending {
		samples, err := snapshotSamples(ctx, st, vc, t)
		if err != nil {
			return fail(err)
		}
		if _, err := reconcileOne(ctx, st, src, vc, t, samples, &opts); err != nil {
			return nil, err
		}
	}
	out, err := reconcileOne(ctx, st, src, vc, s, res.Samples, &opts)
	if err != nil {
		return nil, err
	}
	out.Pending, out.Duration = pending, time.Since(began)
	return out, nil
}

// ReconcilePending reconciles, in order, every registered snapshot of the
// vCenter that was stored but not reconciled (see Reconcile), and returns
// one result per snapshot. The daemon calls it at start-up.
func ReconcilePending(ctx context.Context, st ReconcileStore, src Source, opts ReconcileOptions) ([]*ReconcileResult, error) {
	vc := src.Endpoint().Name
	if err := opts.validate(); err != nil {
		return nil, &Error{Endpoint: vc, Stage: StageReconcile, Err: err}
	}
	pending, err := unreconciled(ctx, st, vc, time.Time{})
	if err != nil {
		return nil, &Error{Endpoint: vc, Stage: StageReconcile, Err: err}
	}
	var out []*ReconcileResult
	for _, t := range pending {
		samples, err := snapshotSamples(ctx, st, vc, t)
		if err != nil {
			return out, &Error{Endpoint: vc, SnapshotTime: t, Stage: StageReconcile, Err: err}
		}
		r, err := reconcileOne(ctx, st, src, vc, t, samples, &opts)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// unreconciled returns the registered hourly snapshots of vc after its
// reconciled watermark and before s (zero s: all of them), oldest first.
func unreconciled(ctx context.Context, st ReconcileStore, vc string, s time.Time) ([]time.Time, error) {
	through, err := st.ReconciledThrough(ctx, &store.ReconciledThroughParams{Vcenter: vc})
	if err != nil {
		return nil, err
	}
	p := &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, To: s}
	if !through.IsZero() {
		p.From = through.Add(time.Second)
	}
	recs, err := st.ListSnapshots(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]time.Time, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.SnapshotTime)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out, nil
}

func snapshotSamples(ctx context.Context, st store.HourlyStats, vc string, t time.Time) ([]inventory.Sample, error) {
	var out []inventory.Sample
	err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc, From: t, To: t.Add(time.Second)}, func(x *inventory.Sample) error {
		out = append(out, *x)
		return nil
	})
	return out, err
}

// reconcileOne reconciles the snapshot of vc at s (its samples given)
// against the newest reconciled snapshot before it.
func reconcileOne(ctx context.Context, st ReconcileStore, src Source, vc string, s time.Time, samples []inventory.Sample, opts *ReconcileOptions) (*ReconcileResult, error) {
	began := time.Now()
	fail := func(stage Stage, err error) (*ReconcileResult, error) {
		return nil, &Error{Endpoint: vc, SnapshotTime: s, Stage: stage, Err: err}
	}
	through, err := st.ReconciledThrough(ctx, &store.ReconciledThroughParams{Vcenter: vc})
	if err != nil {
		return fail(StageReconcile, err)
	}
	// The previous reconciled snapshot: the newest registered one before s
	// and not after the watermark.
	var prev time.Time
	if !through.IsZero() {
		to := s
		if through.Before(s) {
			to = through.Add(time.Second)
		}
		recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, To: to, Descending: true, Limit: 1})
		if err != nil {
			return fail(StageReconcile, err)
		}
		if len(recs) > 0 {
			prev = recs[0].SnapshotTime
		}
	}
	var prevSamples []inventory.Sample
	if !prev.IsZero() {
		if prevSamples, err = snapshotSamples(ctx, st, vc, prev); err != nil {
			return fail(StageReconcile, err)
		}
	}

	// Lifecycle rows: every VM not deleted, plus those of the VMs in this
	// snapshot (a deleted one may reappear). Deleted history is not read.
	lcs, err := loadLifecycles(ctx, st, &store.ListLifecyclesParams{Vcenter: vc, Deleted: ptr(false)}, nil)
	if err != nil {
		return fail(StageReconcile, err)
	}
	idless := false
	var missing []string
	for i := range samples {
		x := &samples[i]
		if x.VMID == "" {
			idless = true
		} else if _, ok := lcs[x.VMID]; !ok {
			missing = append(missing, x.VMID)
		}
	}
	if idless {
		// Samples without a vm_id resolve against every VM ever seen.
		lcs, err = loadLifecycles(ctx, st, &store.ListLifecyclesParams{Vcenter: vc}, nil)
	} else if len(missing) > 0 {
		lcs, err = loadLifecycles(ctx, st, &store.ListLifecyclesParams{Vcenter: vc, VMIDs: missing}, lcs)
	}
	if err != nil {
		return fail(StageReconcile, err)
	}
	var ids lifecycle.Resolver
	for i := range prevSamples {
		idless = idless || prevSamples[i].VMID == ""
	}
	if idless {
		// Samples without a vm_id resolve over the history (§2); samples
		// with one are their own key, with nothing to learn.
		ids.LearnLifecycles(lcs)
		for _, set := range [][]inventory.Sample{prevSamples, samples} {
			for i := range set {
				ids.Learn(set[i].VMID, set[i].VMUUID, set[i].Name, set[i].SnapshotTime)
			}
		}
	}
	in := &lifecycle.Input{Vcenter: vc, Time: s, Baseline: prev.IsZero(), Current: ids.Index(samples), Lifecycles: lcs,
		Guard: opts.guard()}
	if in.Excluded, err = excludedAt(ctx, st, vc, s); err != nil {
		return fail(StageReconcile, err)
	}
	if !prev.IsZero() {
		if in.PrevExcluded, err = excludedAt(ctx, st, vc, prev); err != nil {
			return fail(StageReconcile, err)
		}
	}
	if !prev.IsZero() {
		in.Prev = ids.Index(prevSamples)
	}

	// Endpoint events since the previous snapshot, widened back to the
	// oldest last_seen of the VMs that may be deleted now (a removal event
	// withheld by the guard is still found), kept in the store.
	candidates := slices.DeleteFunc(lifecycle.Candidates(lcs, in.Current, s), func(k string) bool { return in.Excluded[k] != nil })
	from := prev
	if from.IsZero() {
		from = s.Add(-opts.FirstEventLookback)
	}
	oldest := s
	for _, k := range candidates {
		if ls := lcs[k].LastSeen; ls.Before(oldest) {
			oldest = ls
		}
	}
	if oldest.Before(from) {
		from = oldest
	}
	evs, err := src.Events(ctx, from, s.Add(time.Second))
	if err != nil {
		return fail(StageEvents, err)
	}
	var keep []inventory.EndpointEvent
	for _, e := range evs {
		if e.VMID != "" && (e.IsCreation() || e.Kind == VMEventRemoved) {
			keep = append(keep, inventory.EndpointEvent{Vcenter: vc, VMID: e.VMID, Kind: e.Kind, Time: e.Time.UTC()})
		}
	}
	// Kept events of the VMs new now or possibly deleted now.
	var need []string
	for k := range in.Current {
		if _, ok := lcs[k]; !ok {
			need = append(need, k)
		}
	}
	need = append(need, candidates...)
	kept := keep
	if len(need) > 0 {
		old, err := st.ListEndpointEvents(ctx, &store.ListEndpointEventsParams{Vcenter: vc, VMIDs: need})
		if err != nil {
			return fail(StageReconcile, err)
		}
		kept = append(old, keep...)
	}
	for _, e := range kept {
		if e.IsCreation() {
			in.Events.AddCreation(e.VMID, e.Time)
		} else if e.Kind == inventory.EndpointRemoved {
			in.Events.AddRemoval(e.VMID, e.Time)
		}
	}
	if len(candidates) > 0 {
		recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, From: oldest.Add(time.Second), To: s})
		if err != nil {
			return fail(StageReconcile, err)
		}
		for _, r := range recs {
			in.Times = append(in.Times, r.SnapshotTime)
		}
	}
	// Earlier samples of known VMs absent from the previous snapshot.
	for k, x := range in.Current {
		if _, known := lcs[k]; !known || in.Prev[k] != nil || prev.IsZero() || x.VMID == "" {
			continue
		}
		p, err := lastSampleBefore(ctx, st, vc, x.VMID, s)
		if err != nil {
			return fail(StageReconcile, err)
		}
		if p != nil {
			if in.Earlier == nil {
				in.Earlier = map[string]*inventory.Sample{}
			}
			in.Earlier[k] = p
		}
	}

	out := lifecycle.Step(in)
	if es, ok := st.(store.Events); ok && !prev.IsZero() {
		live, err := liveEvents(ctx, st, es, vc, prev, s)
		if err != nil {
			return fail(StageReconcile, err)
		}
		out.Events = lifecycle.DropCovered(out.Events, live)
	}
	if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: vc, SnapshotTime: s, Lifecycles: out.Lifecycles,
		Events: out.Events, EndpointEvents: keep}); err != nil {
		return fail(StageReconcile, err)
	}
	counts := map[inventory.EventKind]int{}
	for _, e := range out.Events {
		counts[e.Kind]++
	}
	return &ReconcileResult{Endpoint: vc, SnapshotTime: s, Previous: prev, Lifecycles: len(out.Lifecycles), Events: counts,
		MassAbsence: out.Guarded, Duration: time.Since(began)}, nil
}

func ptr[T any](v T) *T { return &v }

// excludedAt returns the VMs the scope left out of the snapshot of vc at
// s, by vm_id (nil when the store keeps no entity history).
func excludedAt(ctx context.Context, st any, vc string, s time.Time) (map[string]*inventory.ExcludedVM, error) {
	eh, ok := st.(store.EntityHistory)
	if !ok {
		return nil, nil
	}
	rows, err := eh.EntityHistoryRange(ctx, &store.EntityHistoryRangeParams{Vcenter: vc, Kind: store.EntityExcluded,
		From: s, To: s.Add(time.Second)})
	if err != nil || len(rows.Excluded) == 0 {
		return nil, err
	}
	out := make(map[string]*inventory.ExcludedVM, len(rows.Excluded))
	for i := range rows.Excluded {
		out[rows.Excluded[i].VMID] = &rows.Excluded[i]
	}
	return out, nil
}

// loadLifecycles adds the lifecycle rows p selects to into (a new map when
// nil), keyed by VMID.
func loadLifecycles(ctx context.Context, st store.Lifecycles, p *store.ListLifecyclesParams, into map[string]inventory.Lifecycle) (map[string]inventory.Lifecycle, error) {
	if into == nil {
		into = map[string]inventory.Lifecycle{}
	}
	q := *p
	q.Limit = 100000
	for {
		page, err := st.ListLifecycles(ctx, &q)
		if err != nil {
			return nil, err
		}
		for _, l := range page.Lifecycles {
			into[l.VMID] = l
		}
		if q.Cursor = page.NextCursor; q.Cursor == "" {
			return into, nil
		}
	}
}

func lastSampleBefore(ctx context.Context, st store.HourlyStats, vc, id string, s time.Time) (*inventory.Sample, error) {
	rows, err := st.TraceVM(ctx, &store.TraceVMParams{Vcenter: vc, VMID: id, To: s, Limit: 1})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[len(rows)-1], nil
}

// liveKinds are the event kinds a watcher appends (capture.Watch).
var liveKinds = []inventory.EventKind{inventory.EventCreated, inventory.EventDeleted, inventory.EventPower,
	inventory.EventResize, inventory.EventHostMove, inventory.EventPoolMove, inventory.EventRename}

// liveEvents returns the live events of vc in the window of snapshot s
// (docs/semantics.md, "Live events and Reconcile"): from the second of the
// previous snapshot prev, through the end of s's capture (its recorded
// duration, plus a second for the watcher's stamps, which are cut to the
// second). A change seen while a capture was reading (or within its first
// second) may be in that snapshot or in the next; both windows reach it.
func liveEvents(ctx context.Context, reg store.Registry, es store.Events, vc string, prev, s time.Time) ([]inventory.Event, error) {
	end := s.Add(time.Second)
	recs, err := reg.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, From: s, To: s.Add(time.Second), Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(recs) > 0 {
		end = end.Add(recs[0].Duration.Truncate(time.Second) + time.Second)
	}
	var out []inventory.Event
	p := &store.ListEventsParams{Vcenter: vc, Kinds: liveKinds, From: prev, To: end, LiveOnly: true, Limit: 10000}
	for {
		page, err := es.ListEvents(ctx, p)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Events...)
		if page.NextCursor == "" {
			return out, nil
		}
		p.Cursor = page.NextCursor
	}
}
