package capture

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/accessvault/vinventory/inventory"
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
	// inferred (deletion_guard_fraction). Defaults to 0.5.
	DeletionGuardFraction float64
	// DeletionGuardMinVMs: the guard applies only when the previous snapshot
	// had at least this many VMs (deletion_guard_min_vms). Defaults to 10.
	DeletionGuardMinVMs int
	// FirstEventLookback is how far before the first snapshot of a vCenter
	// creation events are read. Defaults to 24 hours.
	FirstEventLookback time.Duration
}

func (o *ReconcileOptions) defaults() {
	if o.DeletionGuardFraction <= 0 {
		o.DeletionGuardFraction = 0.5
	}
	if o.DeletionGuardMinVMs <= 0 {
		o.DeletionGuardMinVMs = 10
	}
	if o.FirstEventLookback <= 0 {
		o.FirstEventLookback = 24 * time.Hour
	}
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
	Events map[string]int
	// MassAbsence is set when the guard withheld deletions.
	MassAbsence bool
	Duration    time.Duration
}

// Reconcile maintains vm_lifecycle_cache and appends change events for the
// snapshot in res (SEMANTICS §3). It runs once per vCenter after a complete
// capture and is idempotent: running it again for the same snapshot
// changes nothing.
//
// Readings of SEMANTICS §3 this implementation makes:
//   - On the first snapshot of a vCenter every VM gets a lifecycle row but
//     no "created" event: the baseline is not a creation. Later, a VM seen
//     for the first time gets a "created" event at that snapshot.
//   - Change events compare a VM's sample with its sample in the previous
//     complete snapshot, or, for a VM absent from it, with its latest
//     earlier sample.
//   - Creation and removal events are read from the endpoint for the window
//     since the previous snapshot, widened back to the oldest last_seen of
//     the VMs that may be deleted now (so a removal event withheld by the
//     mass-absence guard is still found), and back FirstEventLookback for
//     the first snapshot.
func Reconcile(ctx context.Context, st ReconcileStore, src Source, res *Result, opts ReconcileOptions) (*ReconcileResult, error) {
	opts.defaults()
	began := time.Now()
	if res == nil {
		return nil, errors.New("capture: Reconcile: nil result")
	}
	vc, s := res.Endpoint, res.SnapshotTime
	fail := func(stage string, err error) (*ReconcileResult, error) {
		return nil, &Error{Endpoint: vc, SnapshotTime: s, Stage: stage, Err: err}
	}

	// Previous complete snapshot.
	prevRecs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, To: s, Descending: true, Limit: 1})
	if err != nil {
		return fail(StageReconcile, err)
	}
	var prev time.Time
	if len(prevRecs) > 0 {
		prev = prevRecs[0].SnapshotTime
	}
	prevSamples := map[string]inventory.Sample{}
	if !prev.IsZero() {
		err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc, From: prev, To: prev.Add(time.Second)}, func(x *inventory.Sample) error {
			if x.VMID != "" {
				prevSamples[x.VMID] = *x
			}
			return nil
		})
		if err != nil {
			return fail(StageReconcile, err)
		}
	}

	// Lifecycle rows of this vCenter.
	lcs := map[string]inventory.Lifecycle{}
	for cursor := ""; ; {
		page, err := st.ListLifecycles(ctx, &store.ListLifecyclesParams{Vcenter: vc, Limit: 100000, Cursor: cursor})
		if err != nil {
			return fail(StageReconcile, err)
		}
		for _, l := range page.Lifecycles {
			lcs[l.VMID] = l
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}

	current := make(map[string]*inventory.Sample, len(res.Samples))
	for i := range res.Samples {
		if res.Samples[i].VMID != "" {
			current[res.Samples[i].VMID] = &res.Samples[i]
		}
	}

	// Deletion candidates and the mass-absence guard.
	var candidates []string
	for id, l := range lcs {
		if !l.Deleted && l.LastSeen.Before(s) && current[id] == nil {
			candidates = append(candidates, id)
		}
	}
	sort.Strings(candidates)
	absentFromPrev := 0
	for id := range prevSamples {
		if current[id] == nil {
			absentFromPrev++
		}
	}
	guard := len(prevSamples) >= opts.DeletionGuardMinVMs &&
		float64(absentFromPrev) > opts.DeletionGuardFraction*float64(len(prevSamples))

	// Event window.
	from := prev
	if from.IsZero() {
		from = s.Add(-opts.FirstEventLookback)
	}
	if !guard {
		for _, id := range candidates {
			if ls := lcs[id].LastSeen; ls.Before(from) {
				from = ls
			}
		}
	}
	evs, err := src.Events(ctx, from, s.Add(time.Second))
	if err != nil {
		return fail(StageEvents, err)
	}
	firstCreate := map[string]time.Time{}
	removals := map[string][]time.Time{}
	for _, e := range evs {
		if e.IsCreation() {
			if t, ok := firstCreate[e.VMID]; !ok || e.Time.Before(t) {
				firstCreate[e.VMID] = e.Time
			}
		} else if e.Kind == VMEventRemoved {
			removals[e.VMID] = append(removals[e.VMID], e.Time)
		}
	}

	var outL []inventory.Lifecycle
	var outE []inventory.Event
	event := func(kind string, x *inventory.Sample, before, after map[string]string) {
		outE = append(outE, inventory.Event{Vcenter: vc, SnapshotTime: s, Kind: kind, VMID: x.VMID, VMUUID: x.VMUUID,
			Name: x.Name, Before: before, After: after})
	}

	ids := make([]string, 0, len(current))
	for id := range current {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		x := current[id]
		l, known := lcs[id]
		orig := l
		if !known {
			l = inventory.Lifecycle{Vcenter: vc, VMID: id, FirstSeen: s, LastSeen: s, CreationSource: inventory.SourceNone}
			if !prev.IsZero() {
				event(inventory.EventCreated, x, nil, map[string]string{"name": x.Name})
			}
		}
		if l.Deleted {
			event(inventory.EventReappeared, x, map[string]string{"deletion_time": l.DeletionTime.Format(time.RFC3339)}, nil)
			l.Deleted, l.DeletionTime, l.DeletionSource = false, time.Time{}, ""
		}
		if s.Before(l.FirstSeen) {
			l.FirstSeen = s
		}
		if s.After(l.LastSeen) || s.Equal(l.LastSeen) {
			l.LastSeen = s
			l.Name = x.Name
			if x.VMUUID != "" {
				l.VMUUID = x.VMUUID
			}
		}
		applyCreation(&l, firstCreate[id], x.CreationTime)

		// Changes against the previous sample of this VM.
		before, ok := prevSamples[id]
		if !ok && known && prev.After(time.Time{}) {
			if p, err := lastSampleBefore(ctx, st, vc, id, s); err != nil {
				return fail(StageReconcile, err)
			} else if p != nil {
				before, ok = *p, true
			}
		}
		if ok {
			diffEvents(x, &before, event)
		}
		if l != orig || !known {
			outL = append(outL, l)
		}
	}

	var massAbsence bool
	if guard {
		massAbsence = true
		outE = append(outE, inventory.Event{Vcenter: vc, SnapshotTime: s, Kind: inventory.EventMassAbsence,
			Before: map[string]string{"vm_count": strconv.Itoa(len(prevSamples))},
			After:  map[string]string{"vm_count": strconv.Itoa(len(current)), "absent": strconv.Itoa(absentFromPrev)}})
	} else if len(candidates) > 0 {
		// The first complete snapshot after each candidate's last_seen.
		oldest := s
		for _, id := range candidates {
			if ls := lcs[id].LastSeen; ls.Before(oldest) {
				oldest = ls
			}
		}
		recs, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, From: oldest.Add(time.Second), To: s.Add(time.Second)})
		if err != nil {
			return fail(StageReconcile, err)
		}
		times := make([]time.Time, 0, len(recs)+1)
		for _, r := range recs {
			times = append(times, r.SnapshotTime)
		}
		times = append(times, s)
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		for _, id := range candidates {
			l := lcs[id]
			l.Deleted = true
			l.DeletionTime, l.DeletionSource = firstAfter(times, l.LastSeen), inventory.SourceAbsence
			for _, t := range removals[id] {
				if t.After(l.LastSeen) && !t.After(s) && (l.DeletionSource != inventory.SourceEvent || t.Before(l.DeletionTime)) {
					l.DeletionTime, l.DeletionSource = t, inventory.SourceEvent
				}
			}
			applyCreation(&l, firstCreate[id], time.Time{})
			outL = append(outL, l)
			outE = append(outE, inventory.Event{Vcenter: vc, SnapshotTime: s, Kind: inventory.EventDeleted, VMID: id,
				VMUUID: l.VMUUID, Name: l.Name, After: map[string]string{"deletion_time": l.DeletionTime.UTC().Format(time.RFC3339), "deletion_source": l.DeletionSource}})
		}
	}

	if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: vc, SnapshotTime: s, Lifecycles: outL, Events: outE}); err != nil {
		return fail(StageReconcile, err)
	}
	counts := map[string]int{}
	for _, e := range outE {
		counts[e.Kind]++
	}
	return &ReconcileResult{Endpoint: vc, SnapshotTime: s, Previous: prev, Lifecycles: len(outL), Events: counts,
		MassAbsence: massAbsence, Duration: time.Since(began)}, nil
}

// applyCreation sets creation_time by precedence: an event, else the
// earliest config.createDate seen, else none (SEMANTICS §3).
func applyCreation(l *inventory.Lifecycle, eventTime, configTime time.Time) {
	switch {
	case !eventTime.IsZero():
		if l.CreationSource != inventory.SourceEvent || eventTime.Before(l.CreationTime) {
			l.CreationTime, l.CreationSource = eventTime.UTC(), inventory.SourceEvent
		}
	case l.CreationSource == inventory.SourceEvent:
	case !configTime.IsZero():
		if l.CreationSource != inventory.SourceConfig || configTime.Before(l.CreationTime) {
			l.CreationTime, l.CreationSource = configTime.UTC(), inventory.SourceConfig
		}
	case l.CreationSource == "":
		l.CreationSource = inventory.SourceNone
	}
}

func firstAfter(times []time.Time, t time.Time) time.Time {
	i := sort.Search(len(times), func(i int) bool { return times[i].After(t) })
	return times[i] // times ends with the current snapshot, which is after t
}

func lastSampleBefore(ctx context.Context, st store.HourlyStats, vc, id string, s time.Time) (*inventory.Sample, error) {
	rows, err := st.TraceVM(ctx, &store.TraceVMParams{Vcenter: vc, VMID: id, To: s, Limit: 1})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[len(rows)-1], nil
}

// diffEvents emits power, resize, host_move, pool_move and rename events
// for the changes from before to x.
func diffEvents(x, before *inventory.Sample, event func(kind string, x *inventory.Sample, before, after map[string]string)) {
	one := func(kind, field, b, a string) {
		if a != b {
			event(kind, x, map[string]string{field: b}, map[string]string{field: a})
		}
	}
	one(inventory.EventPower, "power_state", before.PowerState, x.PowerState)
	if x.VCPUCount != before.VCPUCount || x.RAMMB != before.RAMMB {
		b, a := map[string]string{}, map[string]string{}
		if x.VCPUCount != before.VCPUCount {
			b["vcpu_count"], a["vcpu_count"] = strconv.Itoa(before.VCPUCount), strconv.Itoa(x.VCPUCount)
		}
		if x.RAMMB != before.RAMMB {
			b["ram_mb"], a["ram_mb"] = strconv.FormatInt(before.RAMMB, 10), strconv.FormatInt(x.RAMMB, 10)
		}
		event(inventory.EventResize, x, b, a)
	}
	one(inventory.EventHostMove, "host", before.Host, x.Host)
	one(inventory.EventPoolMove, "resource_pool", before.ResourcePool, x.ResourcePool)
	one(inventory.EventRename, "name", before.Name, x.Name)
}
