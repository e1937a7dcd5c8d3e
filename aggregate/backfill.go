package aggregate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
	"github.com/accessvault/vinventory/store"
)

// BackfillStore is what Backfill, Repair and Rebuild need of a store. The
// hourly compatibility tables are imported and re-written only when it also
// implements the optional store.CompatTables.
type BackfillStore interface {
	Store
	store.SnapshotWriter
}

// Action is what Backfill does with each period of its range.
//
//   - ActionBackfill fills gaps and leaves existing results alone: hourly
//     snapshots that exist only as inventory_hourly_* tables are imported
//     into the canonical tables (samples, totals, registry), lifecycle rows
//     are derived from the samples for VMs that have none, and every period
//     without a registry record of its granularity is aggregated (a month
//     also when one of its days was aggregated by the run).
//   - ActionRepair makes the canonical tables whole again and recomputes
//     everything derived from them: snapshots missing from
//     vm_hourly_stats, or holding fewer rows than their compatibility
//     table, are re-imported from it; every lifecycle row is re-derived
//     from the samples (keeping creation and deletion times that came from
//     vCenter events); registered snapshots whose compatibility table is
//     missing get it re-written from vm_hourly_stats (when compatibility
//     tables are on); then every period in the range is re-aggregated
//     (for months, every day of the month first).
//     Rows are imported under their own snapshot time (several vCenters,
//     or several snapshots of one vCenter, may share one minute-named
//     table), and rows without a vm_id (or vm_uuid) follow SEMANTICS §2
//     over the vCenter's history. A vCenter's snapshot that had no VMs
//     leaves no row in a compatibility table, so repair cannot know it
//     happened: when its registry record is lost too, total_samples of
//     that day counts one snapshot fewer (and the day's presence
//     fractions are higher) than the original.
//   - ActionRebuild re-aggregates every period in the range from the
//     canonical tables as they are (for months, every day first): no
//     import, lifecycles untouched. Use it after changing the tier mapping
//     or the location, or with Options.Mode / MonthlyGranularity to
//     validate one path against another.
type Action string

// Actions.
const (
	ActionBackfill Action = "backfill"
	ActionRepair   Action = "repair"
	ActionRebuild  Action = "rebuild"
)

// BackfillOptions configure Backfill, Repair and Rebuild.
type BackfillOptions struct {
	// From is the first period: the day (or month) holding From, in
	// Aggregate.Location. Required.
	From time.Time
	// To ends the range: periods starting before To are processed.
	// Defaults to the end of the period holding From.
	To time.Time
	// Vcenters limits the run to these vCenters. Defaults to every vCenter
	// with a registered hourly snapshot or a compatibility hourly table row
	// in the range.
	Vcenters []string
	// Granularity is inventory.Daily or inventory.Monthly. Defaults to
	// inventory.Daily.
	Granularity inventory.Granularity
	// Action defaults to ActionBackfill.
	Action Action
	// Aggregate configures the aggregations (location, tiers, mode,
	// compatibility tables, clock); its Vcenters is ignored.
	Aggregate Options
	// Progress, when set, is called after each step, synchronously.
	Progress func(Progress)
	// DeletionGuardFraction and DeletionGuardMinVMs are the mass-absence
	// guard (lifecycle.Guard, as for capture.ReconcileOptions), applied at
	// every snapshot when lifecycles are derived from the samples: the
	// snapshots are stepped through in order with the rules Reconcile
	// applies. Default to lifecycle.DefaultGuardFraction and
	// lifecycle.DefaultGuardMinVMs.
	DeletionGuardFraction float64
	DeletionGuardMinVMs   int
}

// Stage is a step of Backfill reported through Progress.
type Stage string

// Stages reported through Progress, in the order they run.
const (
	StageImport    Stage = "import"    // one hourly compatibility table examined
	StageLifecycle Stage = "lifecycle" // one vCenter's lifecycle rows derived
	StageCompat    Stage = "compat"    // one registered snapshot's hourly table checked
	StageDaily     Stage = "daily"     // one day aggregated
	StageMonthly   Stage = "monthly"   // one month aggregated
)

// Progress reports one finished step. Done counts the steps finished in
// Stage so far (1, 2, ...) out of Total.
type Progress struct {
	Stage   Stage
	Vcenter string // empty when the step covers every selected vCenter
	Period  time.Time
	Done    int
	Total   int
}

// BackfillResult says what a run did.
type BackfillResult struct {
	Action Action
	// ImportedSnapshots and ImportedSamples count the (vCenter, snapshot)
	// pairs and samples written into vm_hourly_stats from compatibility
	// tables.
	ImportedSnapshots int
	ImportedSamples   int
	// Lifecycles counts the lifecycle rows written.
	Lifecycles int
	// CompatRewritten counts hourly compatibility tables re-written.
	CompatRewritten int
	// Daily and Monthly are the aggregations run, in period order.
	Daily   []Result
	Monthly []Result
	// Skipped counts periods left alone (already aggregated, backfill).
	Skipped int
}

// BackfillError is a failed step of a backfill, repair or rebuild.
type BackfillError struct {
	Action  Action
	Stage   Stage
	Vcenter string
	Period  time.Time
	Err     error
}

func (e *BackfillError) Error() string {
	s := fmt.Sprintf("aggregate %s: %s", e.Action, e.Stage)
	if e.Vcenter != "" {
		s += " " + e.Vcenter
	}
	if !e.Period.IsZero() {
		s += " " + e.Period.UTC().Format(time.RFC3339)
	}
	return s + ": " + e.Err.Error()
}

func (e *BackfillError) Unwrap() error { return e.Err }

// Repair is Backfill with ActionRepair.
func Repair(ctx context.Context, st BackfillStore, opts BackfillOptions) (*BackfillResult, error) {
	opts.Action = ActionRepair
	return Backfill(ctx, st, opts)
}

// Rebuild is Backfill with ActionRebuild.
func Rebuild(ctx context.Context, st BackfillStore, opts BackfillOptions) (*BackfillResult, error) {
	opts.Action = ActionRebuild
	return Backfill(ctx, st, opts)
}

// Backfill runs opts.Action (default ActionBackfill) over a range of days
// or months for one or all vCenters; see Action for what each does.
// Canonical tables are rebuilt first, then the aggregations write the
// rollups, summary compatibility tables, registry records and aggregate
// totals. It stops at the first failure with a *BackfillError; the steps
// already done stand and a re-run continues from there.
func Backfill(ctx context.Context, st BackfillStore, opts BackfillOptions) (*BackfillResult, error) {
	b, err := newBackfill(st, opts)
	if err != nil {
		return nil, err
	}
	return b.run(ctx)
}

type backfill struct {
	st     BackfillStore
	o      BackfillOptions
	agg    Options
	win    inventory.Window // the whole range
	vcSet  map[string]bool  // nil: every vCenter
	res    *BackfillResult
	months []inventory.Window
	days   []inventory.Window
	// excluded holds, while a vCenter's lifecycles are derived, the VMs
	// its capture scope left out of each snapshot, by snapshot time (UTC).
	excluded map[time.Time]map[string]*inventory.ExcludedVM
}

func newBackfill(st BackfillStore, o BackfillOptions) (*backfill, error) {
	if st == nil {
		return nil, &OptionError{Field: "store", Reason: "must not be nil"}
	}
	if o.Action == "" {
		o.Action = ActionBackfill
	}
	switch o.Action {
	case ActionBackfill, ActionRepair, ActionRebuild:
	default:
		return nil, &OptionError{Field: "Action", Reason: fmt.Sprintf("unknown action %q (want backfill, repair or rebuild)", string(o.Action))}
	}
	if o.Granularity == "" {
		o.Granularity = inventory.Daily
	}
	if o.Granularity != inventory.Daily && o.Granularity != inventory.Monthly {
		return nil, &OptionError{Field: "Granularity", Reason: fmt.Sprintf("is %q, want daily or monthly", string(o.Granularity))}
	}
	if o.From.IsZero() {
		return nil, &OptionError{Field: "From", Reason: "must be set"}
	}
	g := lifecycle.Guard{Fraction: o.DeletionGuardFraction, MinVMs: o.DeletionGuardMinVMs}
	if err := g.Validate(); err != nil {
		var fe *inventory.FieldError
		errors.As(err, &fe)
		field := map[string]string{"deletion_guard_fraction": "DeletionGuardFraction", "deletion_guard_min_vms": "DeletionGuardMinVMs"}[fe.Field]
		return nil, &OptionError{Field: field, Reason: fe.Reason}
	}
	g = g.WithDefaults()
	o.DeletionGuardFraction, o.DeletionGuardMinVMs = g.Fraction, g.MinVMs
	agg := o.Aggregate
	agg.Vcenters = nil
	if err := agg.validate(o.Granularity == inventory.Monthly); err != nil {
		return nil, err
	}
	if err := checkMode(st, &agg); err != nil {
		return nil, err
	}
	loc := agg.loc()
	period := func(t time.Time) inventory.Window {
		if o.Granularity == inventory.Monthly {
			return inventory.MonthOf(t, loc)
		}
		return inventory.DayOf(t, loc)
	}
	first := period(o.From)
	if o.To.IsZero() {
		o.To = first.End
	}
	if !o.To.After(first.Start) {
		return nil, &OptionError{Field: "To", Reason: "must be after From"}
	}
	b := &backfill{st: st, o: o, agg: agg, res: &BackfillResult{Action: o.Action}}
	for p := first; p.Start.Before(o.To); p = period(p.End) {
		if o.Granularity == inventory.Monthly {
			b.months = append(b.months, p)
			b.days = append(b.days, p.Days()...)
		} else {
			b.days = append(b.days, p)
		}
		b.win.End = p.End
	}
	b.win.Start = first.Start
	// A range reaching into a period that has not ended is refused before
	// anything is written, unless partial results were asked for.
	last := inventory.DayOf(b.win.End.Add(-time.Nanosecond), loc)
	lastG := inventory.Daily
	if o.Granularity == inventory.Monthly {
		last, lastG = inventory.MonthOf(last.Start, loc), inventory.Monthly
	}
	if _, err := agg.checkComplete(lastG, last); err != nil {
		return nil, err
	}
	for _, vc := range o.Vcenters {
		if vc == "" {
			return nil, &OptionError{Field: "Vcenters", Reason: "must not contain an empty name"}
		}
		if b.vcSet == nil {
			b.vcSet = map[string]bool{}
		}
		b.vcSet[vc] = true
	}
	return b, nil
}

func (b *backfill) wants(vc string) bool { return b.vcSet == nil || b.vcSet[vc] }

func (b *backfill) progress(stage Stage, vc string, period time.Time, done, total int) {
	if b.o.Progress != nil {
		b.o.Progress(Progress{Stage: stage, Vcenter: vc, Period: period, Done: done, Total: total})
	}
}

func (b *backfill) fail(stage Stage, vc string, period time.Time, err error) error {
	return &BackfillError{Action: b.o.Action, Stage: stage, Vcenter: vc, Period: period, Err: err}
}

func (b *backfill) run(ctx context.Context) (*BackfillResult, error) {
	if b.o.Action != ActionRebuild {
		touched, err := b.importHourly(ctx)
		if err != nil {
			return b.res, err
		}
		if b.o.Action == ActionRepair || len(touched) > 0 {
			if err := b.lifecycles(ctx, touched); err != nil {
				return b.res, err
			}
		}
		if b.o.Action == ActionRepair {
			if err := b.rewriteCompat(ctx); err != nil {
				return b.res, err
			}
		}
	}
	if err := b.aggregate(ctx); err != nil {
		return b.res, err
	}
	return b.res, nil
}

// registered returns the registered hourly snapshot times per vCenter in
// [from, to).
func (b *backfill) registered(ctx context.Context, from, to time.Time) (map[string][]time.Time, error) {
	recs, err := b.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, From: from, To: to})
	if err != nil {
		return nil, err
	}
	out := map[string][]time.Time{}
	for _, r := range recs {
		out[r.Vcenter] = append(out[r.Vcenter], r.SnapshotTime)
	}
	return out, nil
}

// importHourly writes the hourly compatibility tables of the range into
// the canonical tables where vm_hourly_stats lacks the snapshot (or, for
// repair, holds fewer rows). It returns the vCenters imported into.
func (b *backfill) importHourly(ctx context.Context) (map[string]bool, error) {
	touched := map[string]bool{}
	ct, ok := b.st.(store.CompatTables)
	if !ok {
		return touched, nil
	}
	tables, err := ct.ListCompatTables(ctx, &store.ListCompatTablesParams{Kind: store.CompatHourly, From: b.win.Start, To: b.win.End})
	if err != nil {
		return nil, b.fail(StageImport, "", time.Time{}, err)
	}
	for i, t := range tables {
		// Rows carry their own snapshot time (second precision): one
		// minute-named table may hold several vCenters' snapshots, or
		// several snapshots of one vCenter.
		type snap struct {
			vc string
			at time.Time
		}
		bySnap := map[snap][]inventory.Sample{}
		var order []snap
		if err := ct.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: t.Name}, func(s *inventory.Sample) error {
			if !b.wants(s.Vcenter) {
				return nil
			}
			k := snap{s.Vcenter, s.SnapshotTime.UTC()}
			if _, ok := bySnap[k]; !ok {
				order = append(order, k)
			}
			x := *s
			x.Attributes = cloneMap(s.Attributes)
			bySnap[k] = append(bySnap[k], x)
			return nil
		}); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, b.fail(StageImport, "", t.Period, err)
		}
		sort.Slice(order, func(i, j int) bool {
			if !order[i].at.Equal(order[j].at) {
				return order[i].at.Before(order[j].at)
			}
			return order[i].vc < order[j].vc
		})
		for _, k := range order {
			n, err := b.importSnapshot(ctx, k.vc, k.at, bySnap[k])
			if err != nil {
				return nil, b.fail(StageImport, k.vc, k.at, err)
			}
			if n > 0 {
				touched[k.vc] = true
				b.res.ImportedSnapshots++
				b.res.ImportedSamples += n
			}
		}
		b.progress(StageImport, "", t.Period, i+1, len(tables))
	}
	return touched, nil
}

// importSnapshot writes one vCenter's compatibility rows of snapshot at
// into the canonical tables when they are missing (or short, for repair),
// and returns the samples written (0 when nothing was needed).
func (b *backfill) importSnapshot(ctx context.Context, vc string, at time.Time, samples []inventory.Sample) (int, error) {
	have := 0
	if err := b.st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc, From: at, To: at.Add(time.Second)}, func(*inventory.Sample) error {
		have++
		if b.o.Action != ActionRepair {
			return store.ErrStopScan
		}
		return nil
	}); err != nil {
		return 0, err
	}
	recs, err := b.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly, From: at, To: at.Add(time.Second)})
	if err != nil {
		return 0, err
	}
	if have > 0 && (b.o.Action != ActionRepair || have >= len(samples)) {
		if len(recs) == 0 {
			// Samples without a registry record: register the snapshot.
			err := b.st.RegisterSnapshot(ctx, &store.RegisterSnapshotParams{Record: inventory.SnapshotRecord{
				Vcenter: vc, Kind: inventory.Hourly, SnapshotTime: at, TableName: inventory.HourlyTableName(at),
				RowCount: have, RegisteredAt: b.agg.now()}})
			return 0, err
		}
		return 0, nil
	}
	// Keep the stored totals (host and datastore figures are not in the
	// compatibility table); else derive the VM figures from the samples.
	totals := inventory.ComputeTotals(vc, at, samples, nil)
	if ts, err := b.st.ListTotals(ctx, &store.ListTotalsParams{Vcenter: vc, From: at, To: at.Add(time.Second)}); err != nil {
		return 0, err
	} else if len(ts) > 0 {
		totals = ts[0]
	}
	var dur time.Duration
	if len(recs) > 0 {
		dur = recs[0].Duration
	}
	if _, err := b.st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: at, Samples: samples,
		Totals: totals, Duration: dur, Location: b.agg.loc(), RegisteredAt: b.agg.now(),
		// Re-writing the same rows keeps the registry record naming the
		// hourly table, as a capture in compatibility mode does.
		Compat: !b.agg.NoCompatTables}); err != nil {
		return 0, err
	}
	return len(samples), nil
}

// lifecycles derives lifecycle rows from the samples (SEMANTICS §3):
// first_seen/last_seen from the samples, creation_time from the earliest
// config.createDate (unless an event supplied it), deletion at the first
// registered snapshot after last_seen when one exists (unless an event
// supplied it, or that snapshot is the last one and the mass-absence guard
// holds: BackfillOptions.DeletionGuardFraction). Backfill only adds rows for VMs that have none; repair
// rewrites every row that differs.
func (b *backfill) lifecycles(ctx context.Context, touched map[string]bool) error {
	var vcs []string
	if b.o.Action == ActionRepair {
		regs, err := b.registered(ctx, b.win.Start, b.win.End)
		if err != nil {
			return b.fail(StageLifecycle, "", time.Time{}, err)
		}
		set := map[string]bool{}
		for vc := range regs {
			set[vc] = true
		}
		for vc := range touched {
			set[vc] = true
		}
		for vc := range set {
			if b.wants(vc) {
				vcs = append(vcs, vc)
			}
		}
	} else {
		for vc := range touched {
			vcs = append(vcs, vc)
		}
	}
	sort.Strings(vcs)
	for i, vc := range vcs {
		n, err := b.vcLifecycles(ctx, vc)
		if err != nil {
			return b.fail(StageLifecycle, vc, time.Time{}, err)
		}
		b.res.Lifecycles += n
		b.progress(StageLifecycle, vc, time.Time{}, i+1, len(vcs))
	}
	return nil
}

func (b *backfill) vcLifecycles(ctx context.Context, vc string) (int, error) {
	recs, err := b.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Hourly})
	if err != nil {
		return 0, err
	}
	snaps := make([]time.Time, len(recs))
	for i, r := range recs {
		snaps[i] = r.SnapshotTime
	}
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Before(snaps[j]) })
	// Identity over the whole history first (SEMANTICS §2): a sample
	// without a vm_id joins the VM that carried its uuid (name) most
	// recently, wherever in the history that was.
	var ids lifecycle.Resolver
	if err := b.st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc}, func(s *inventory.Sample) error {
		ids.Learn(s.VMID, s.VMUUID, s.Name, s.SnapshotTime)
		return nil
	}); err != nil {
		return 0, err
	}
	// The VMs a capture scope left out of each snapshot (kept with the
	// entity history): not absent, as Reconcile has it.
	excl := map[time.Time]map[string]*inventory.ExcludedVM{}
	if eh, ok := b.st.(store.EntityHistory); ok && len(snaps) > 0 {
		rows, err := eh.EntityHistoryRange(ctx, &store.EntityHistoryRangeParams{Vcenter: vc, Kind: store.EntityExcluded,
			From: snaps[0], To: snaps[len(snaps)-1].Add(time.Second)})
		if err != nil {
			return 0, err
		}
		for i := range rows.Excluded {
			x := &rows.Excluded[i]
			t := x.SnapshotTime.UTC()
			if excl[t] == nil {
				excl[t] = map[string]*inventory.ExcludedVM{}
			}
			excl[t][x.VMID] = x
		}
	}
	b.excluded = excl
	var evs lifecycle.SourceEvents
	kept, err := b.st.ListEndpointEvents(ctx, &store.ListEndpointEventsParams{Vcenter: vc})
	if err != nil {
		return 0, err
	}
	for _, e := range kept {
		if e.IsCreation() {
			evs.AddCreation(e.VMID, e.Time)
		} else if e.Kind == inventory.EndpointRemoved {
			evs.AddRemoval(e.VMID, e.Time)
		}
	}
	// Then every complete snapshot in order, through the same rules as
	// Reconcile (lifecycle.Step); the change events are not written.
	guard := lifecycle.Guard{Fraction: b.o.DeletionGuardFraction, MinVMs: b.o.DeletionGuardMinVMs}
	derived := map[string]inventory.Lifecycle{}
	var prev map[string]*inventory.Sample
	next := 0 // index in snaps of the next snapshot to step
	step := func(t time.Time, samples []inventory.Sample) {
		for next < len(snaps) && snaps[next].Before(t) {
			// A registered snapshot without samples: every VM absent.
			prev = b.step(vc, snaps, next, prev, nil, derived, evs, guard, &ids)
			next++
		}
		if next < len(snaps) && snaps[next].Equal(t) {
			prev = b.step(vc, snaps, next, prev, samples, derived, evs, guard, &ids)
			next++
		}
	}
	var cur []inventory.Sample
	var curT time.Time
	if err := b.st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc}, func(s *inventory.Sample) error {
		if !s.SnapshotTime.Equal(curT) && len(cur) > 0 {
			step(curT, cur)
			cur = nil
		}
		curT = s.SnapshotTime
		x := *s
		x.Attributes = nil
		cur = append(cur, x)
		return nil
	}); err != nil {
		return 0, err
	}
	if len(cur) > 0 {
		step(curT, cur)
	}
	for next < len(snaps) {
		prev = b.step(vc, snaps, next, prev, nil, derived, evs, guard, &ids)
		next++
	}

	existing, err := lifecycles(ctx, b.st, vc)
	if err != nil {
		return 0, err
	}
	keys := make([]string, 0, len(derived))
	for k := range derived {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var write []inventory.Lifecycle
	for _, k := range keys {
		l := derived[k]
		old, had := existing[k]
		if had && b.o.Action != ActionRepair {
			continue
		}
		if had {
			// Event-sourced times kept from before the endpoint events were
			// kept in the store.
			if old.CreationSource == inventory.SourceEvent && l.CreationSource != inventory.SourceEvent {
				l.CreationTime, l.CreationSource = old.CreationTime, old.CreationSource
			}
			if l.Deleted && old.Deleted && old.DeletionSource == inventory.SourceEvent && l.DeletionSource != inventory.SourceEvent &&
				old.LastSeen.Equal(l.LastSeen) {
				l.DeletionTime, l.DeletionSource = old.DeletionTime, old.DeletionSource
			}
			if l.VMUUID == "" {
				l.VMUUID = old.VMUUID
			}
			if sameLifecycle(&old, &l) {
				continue
			}
		}
		write = append(write, l)
	}
	if len(snaps) == 0 && len(write) == 0 {
		return 0, nil
	}
	p := &store.ApplyReconcileParams{Vcenter: vc, Lifecycles: write}
	if len(snaps) > 0 {
		// Every snapshot is now reconciled: Reconcile goes on from the last.
		p.SnapshotTime = snaps[len(snaps)-1]
	} else {
		p.SnapshotTime = write[0].LastSeen
	}
	if err := b.st.ApplyReconcile(ctx, p); err != nil {
		return 0, err
	}
	return len(write), nil
}

// step applies lifecycle.Step to snapshot snaps[i] of vc with the given
// samples and returns them by resolved key (the next step's previous
// snapshot).
func (b *backfill) step(vc string, snaps []time.Time, i int, prev map[string]*inventory.Sample, samples []inventory.Sample,
	lcs map[string]inventory.Lifecycle, evs lifecycle.SourceEvents, guard lifecycle.Guard, ids *lifecycle.Resolver) map[string]*inventory.Sample {
	cur := ids.Index(samples)
	in := &lifecycle.Input{Vcenter: vc, Time: snaps[i], Baseline: i == 0, Current: cur, Prev: prev, Lifecycles: lcs,
		Times: snaps[:i], Events: evs, Guard: guard, Excluded: b.excluded[snaps[i].UTC()]}
	if i > 0 {
		in.PrevExcluded = b.excluded[snaps[i-1].UTC()]
	}
	for _, l := range lifecycle.Step(in).Lifecycles {
		lcs[l.VMID] = l
	}
	return cur
}

func sameLifecycle(a, b *inventory.Lifecycle) bool {
	return a.VMUUID == b.VMUUID && a.Name == b.Name && a.FirstSeen.Equal(b.FirstSeen) && a.LastSeen.Equal(b.LastSeen) &&
		a.CreationTime.Equal(b.CreationTime) && a.CreationSource == b.CreationSource && a.Deleted == b.Deleted &&
		a.DeletionTime.Equal(b.DeletionTime) && a.DeletionSource == b.DeletionSource
}

// rewriteCompat re-writes the hourly compatibility table of each
// registered snapshot in the range that lacks the vCenter's rows.
func (b *backfill) rewriteCompat(ctx context.Context) error {
	ct, ok := b.st.(store.CompatTables)
	if b.agg.NoCompatTables || !ok {
		return nil
	}
	regs, err := b.registered(ctx, b.win.Start, b.win.End)
	if err != nil {
		return b.fail(StageCompat, "", time.Time{}, err)
	}
	type snap struct {
		vc string
		at time.Time
	}
	var all []snap
	for vc, ts := range regs {
		if !b.wants(vc) {
			continue
		}
		for _, t := range ts {
			all = append(all, snap{vc, t})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].at.Equal(all[j].at) {
			return all[i].at.Before(all[j].at)
		}
		return all[i].vc < all[j].vc
	})
	for i, s := range all {
		found := false
		err := ct.ScanCompatHourly(ctx, &store.ScanCompatParams{Name: inventory.HourlyTableName(s.at), Vcenter: s.vc}, func(*inventory.Sample) error {
			found = true
			return store.ErrStopScan
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return b.fail(StageCompat, s.vc, s.at, err)
		}
		if !found {
			var samples []inventory.Sample
			if err := b.st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: s.vc, From: s.at, To: s.at.Add(time.Second)}, func(x *inventory.Sample) error {
				c := *x
				c.Attributes = cloneMap(x.Attributes)
				samples = append(samples, c)
				return nil
			}); err != nil {
				return b.fail(StageCompat, s.vc, s.at, err)
			}
			if len(samples) > 0 {
				if err := ct.WriteCompatHourly(ctx, &store.WriteCompatHourlyParams{Vcenter: s.vc, SnapshotTime: s.at, Samples: samples}); err != nil {
					return b.fail(StageCompat, s.vc, s.at, err)
				}
				b.res.CompatRewritten++
			}
		}
		b.progress(StageCompat, s.vc, s.at, i+1, len(all))
	}
	return nil
}

// aggregate runs the daily (and monthly) aggregations of the range.
func (b *backfill) aggregate(ctx context.Context) error {
	opts := b.agg
	opts.Vcenters = nil
	daysDone := map[string]bool{}
	// dirty marks (vCenter, month) pairs with a day aggregated by this run:
	// their monthly rows are recomputed even when they exist.
	dirty := map[string]bool{}
	if b.o.Action == ActionBackfill {
		recs, err := b.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Daily, From: b.win.Start, To: b.win.End})
		if err != nil {
			return b.fail(StageDaily, "", time.Time{}, err)
		}
		for _, r := range recs {
			daysDone[r.Vcenter+"|"+r.SnapshotTime.UTC().String()] = true
		}
	}
	for i, d := range b.days {
		vcs, err := b.periodVcenters(ctx, d, inventory.Daily, daysDone)
		if err != nil {
			return b.fail(StageDaily, "", d.Start, err)
		}
		if len(vcs) > 0 {
			opts.Vcenters = vcs
			res, err := Daily(ctx, b.st, d.Start, opts)
			if err != nil {
				return b.fail(StageDaily, "", d.Start, err)
			}
			b.res.Daily = append(b.res.Daily, *res)
			for _, vc := range vcs {
				dirty[vc+"|"+inventory.MonthOf(d.Start, b.agg.loc()).Start.UTC().String()] = true
			}
		}
		b.progress(StageDaily, "", d.Start, i+1, len(b.days))
	}
	if len(b.months) == 0 {
		return nil
	}
	monthsDone := map[string]bool{}
	if b.o.Action == ActionBackfill {
		recs, err := b.st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Monthly, From: b.win.Start, To: b.win.End})
		if err != nil {
			return b.fail(StageMonthly, "", time.Time{}, err)
		}
		for _, r := range recs {
			if k := r.Vcenter + "|" + r.SnapshotTime.UTC().String(); !dirty[k] {
				monthsDone[k] = true
			}
		}
	}
	for i, m := range b.months {
		vcs, err := b.periodVcenters(ctx, m, inventory.Monthly, monthsDone)
		if err != nil {
			return b.fail(StageMonthly, "", m.Start, err)
		}
		if len(vcs) > 0 {
			opts.Vcenters = vcs
			res, err := Monthly(ctx, b.st, m.Start, opts)
			if err != nil {
				return b.fail(StageMonthly, "", m.Start, err)
			}
			b.res.Monthly = append(b.res.Monthly, *res)
		}
		b.progress(StageMonthly, "", m.Start, i+1, len(b.months))
	}
	return nil
}

// periodVcenters returns the selected vCenters with registered hourly
// snapshots in p, minus those already done (backfill).
func (b *backfill) periodVcenters(ctx context.Context, p inventory.Window, g inventory.Granularity, done map[string]bool) ([]string, error) {
	regs, err := b.registered(ctx, p.Start, p.End)
	if err != nil {
		return nil, err
	}
	var vcs []string
	for vc := range regs {
		if !b.wants(vc) {
			continue
		}
		if done[vc+"|"+p.Start.UTC().String()] {
			b.res.Skipped++
			continue
		}
		vcs = append(vcs, vc)
	}
	sort.Strings(vcs)
	return vcs, nil
}
