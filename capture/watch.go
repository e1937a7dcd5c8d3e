package capture

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
	"github.com/accessvault/vinventory/store"
)

// WatchStore is what a watcher reads and writes: the latest-state
// inventory and the live capability (store.LiveState).
type WatchStore interface {
	store.InventoryState
	store.LiveState
}

// WatchOptions configure a Watcher. The zero value is usable.
type WatchOptions struct {
	// Source tunes the source's property collector (wait and page
	// sizes).
	Source WatchSourceOptions
	// FlushChanges writes a batch once this many changes are pending.
	// Defaults to 500.
	FlushChanges int
	// FlushInterval writes pending changes at most this long after the
	// first of them arrived. Defaults to 500ms.
	FlushInterval time.Duration
	// MaxPending stops reading updates while this many changes wait for
	// the store (an update storm then waits at the endpoint, not in
	// memory). Defaults to 8 × FlushChanges.
	MaxPending int
	// Scope selects the VMs kept (inventory.Scope). Defaults to the
	// source's Endpoint().Scope. A VM out of scope is not in the latest
	// state: one leaving the scope is deleted from it, without an event
	// (the next Reconcile records out_of_scope).
	Scope *inventory.Scope
	// DeletionGuardFraction and DeletionGuardMinVMs guard a full resync
	// like Reconcile's mass-absence guard: when it lacks more than the
	// fraction of the stored VMs (and at least the minimum were stored),
	// the rows are still deleted but no deleted events are appended.
	// Default to lifecycle's defaults (0.5 and 10).
	DeletionGuardFraction float64
	DeletionGuardMinVMs   int
	// BatchSize is rows per batched store write. Defaults to
	// store.DefaultBatchSize.
	BatchSize int
	// Clock returns the current time. Defaults to time.Now.
	Clock func() time.Time
	// Logger receives the watcher's progress. Defaults to discarding it.
	Logger *slog.Logger
	// OnApply, when set, is called after every committed batch (metrics,
	// waking stream readers). It must not block.
	OnApply func(*WatchBatch)
}

// WatchBatch is one batch a watcher committed.
type WatchBatch struct {
	Vcenter string
	// Changes and Events as stored (Changes with their sequence numbers).
	Changes []inventory.Change
	Events  []inventory.Event
	// Resync says the batch holds a full resync's differences.
	Resync bool
	// Committed is when the store committed the batch.
	Committed time.Time
}

// Watcher states (WatchStats.State).
const (
	WatchStarting  = "starting"
	WatchResyncing = "resyncing"
	WatchWatching  = "watching"
	WatchStopped   = "stopped"
)

// WatchStats describe a watcher's progress.
type WatchStats struct {
	Endpoint string `json:"endpoint"`
	// State is one of the Watch* states. A resync stays "resyncing" until
	// its differences are committed, so "watching" means the latest state
	// in the store reflects the endpoint's (up to the changes in flight).
	State string `json:"state"`
	// Received counts the object updates the endpoint sent; Applied the
	// changes committed; Events the live events appended; Resyncs the full
	// resyncs (by reason, Resync* constants).
	Received int64            `json:"received"`
	Applied  int64            `json:"applied"`
	Events   int64            `json:"events"`
	Resyncs  map[string]int64 `json:"resyncs,omitempty"`
	// LagSeconds is the age of the oldest change not yet committed,
	// pending or being written (0 when none waits); LastApplySeconds the delay between the arrival of
	// the last committed batch's first change and its commit.
	LagSeconds       float64   `json:"lag_seconds"`
	LastApplySeconds float64   `json:"last_apply_seconds"`
	LastUpdate       time.Time `json:"last_update,omitzero"`
	LastCommit       time.Time `json:"last_commit,omitzero"`
	LastError        string    `json:"last_error,omitempty"`
}

// Watcher follows one endpoint between captures (see Watch).
type Watcher struct {
	st    WatchStore
	src   WatchSource
	o     WatchOptions
	vc    string
	scope *inventory.ScopeMatcher
	guard lifecycle.Guard
	log   *slog.Logger

	resync chan struct{}

	// cur is the latest state as written (scope applied), by entity.
	cur *liveState
	// lastStamp is the stamp of the last live event per VM and kind.
	lastStamp map[eventKey]time.Time
	prunedAt  time.Time

	mu        sync.Mutex
	cond      *sync.Cond
	pending   []inventory.Change
	pendEv    []inventory.Event
	index     map[entityKey]int
	first     time.Time // arrival of the oldest pending change (source time)
	firstWall time.Time // the same, on the wall clock (flush timing)
	inflight  time.Time // the oldest change of the batch being written (zero when none)
	notify    chan struct{}
	full      bool // pending holds a resync's differences
	stats     WatchStats
	failed    error
}

type eventKey struct {
	vm   string
	kind inventory.EventKind
}

type entityKey struct {
	entity inventory.EntityType
	id     string
}

// NewWatcher validates o and returns a watcher of src writing to st.
func NewWatcher(st WatchStore, src WatchSource, o WatchOptions) (*Watcher, error) {
	if st == nil || src == nil {
		return nil, errors.New("capture: NewWatcher needs a store and a source")
	}
	ep := src.Endpoint()
	if ep.Name == "" {
		return nil, errors.New("capture: the watch source's endpoint has no name")
	}
	switch {
	case o.FlushChanges < 0:
		return nil, fmt.Errorf("capture: WatchOptions.FlushChanges is %d, want ≥ 0", o.FlushChanges)
	case o.FlushInterval < 0:
		return nil, fmt.Errorf("capture: WatchOptions.FlushInterval is %s, want ≥ 0", o.FlushInterval)
	case o.MaxPending < 0:
		return nil, fmt.Errorf("capture: WatchOptions.MaxPending is %d, want ≥ 0", o.MaxPending)
	case o.BatchSize < 0:
		return nil, fmt.Errorf("capture: WatchOptions.BatchSize is %d, want ≥ 0", o.BatchSize)
	}
	if o.FlushChanges == 0 {
		o.FlushChanges = 500
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = 500 * time.Millisecond
	}
	if o.MaxPending == 0 {
		o.MaxPending = 8 * o.FlushChanges
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	guard := lifecycle.Guard{Fraction: o.DeletionGuardFraction, MinVMs: o.DeletionGuardMinVMs}.WithDefaults()
	if err := guard.Validate(); err != nil {
		return nil, fmt.Errorf("capture: WatchOptions: %w", err)
	}
	scope := ep.Scope
	if o.Scope != nil {
		scope = *o.Scope
	}
	var m *inventory.ScopeMatcher
	if !scope.IsZero() {
		var err error
		if m, err = scope.Matcher(); err != nil {
			return nil, fmt.Errorf("capture: scope of %s: %w", ep.Name, err)
		}
	}
	w := &Watcher{st: st, src: src, o: o, vc: ep.Name, scope: m, guard: guard,
		log:    o.Logger.With(slog.String("endpoint", ep.Name)),
		resync: make(chan struct{}, 1), notify: make(chan struct{}, 1), lastStamp: map[eventKey]time.Time{}, index: map[entityKey]int{}}
	w.cond = sync.NewCond(&w.mu)
	w.stats = WatchStats{Endpoint: ep.Name, State: WatchStopped, Resyncs: map[string]int64{}}
	return w, nil
}

// Watch follows src with a new Watcher until ctx ends or the watch fails
// (see Watcher.Run).
func Watch(ctx context.Context, st WatchStore, src WatchSource, o WatchOptions) error {
	w, err := NewWatcher(st, src, o)
	if err != nil {
		return err
	}
	return w.Run(ctx)
}

// Resync asks the running watcher for a full resync (one retrieval of the
// whole inventory, diffed with the stored state). It does not block.
func (w *Watcher) Resync() {
	select {
	case w.resync <- struct{}{}:
	default:
	}
}

// Stats returns the watcher's progress.
func (w *Watcher) Stats() WatchStats {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stats
	s.Resyncs = make(map[string]int64, len(w.stats.Resyncs))
	for k, v := range w.stats.Resyncs {
		s.Resyncs[k] = v
	}
	oldest := w.inflight
	if len(w.pending) > 0 && (oldest.IsZero() || w.first.Before(oldest)) {
		oldest = w.first
	}
	if !oldest.IsZero() {
		s.LagSeconds = w.o.Clock().Sub(oldest).Seconds()
	}
	return s
}

// Run follows the endpoint: it starts with a full resync (the whole
// inventory from the source, diffed with the stored latest state), then
// applies each update's changes to the store in batches (every
// FlushChanges changes or FlushInterval), with change events for VMs
// (created, deleted, power, resize, host_move, pool_move, rename, with
// Reconcile's shapes, marked Live). It never writes samples, lifecycles,
// totals or the registry. It returns nil when ctx ends (after writing what
// was pending), or the first failure of the source or the store (the
// caller backs off and runs it again: the next run's resync repairs
// whatever the failed one left).
//
// Run may be called again after it returned, not concurrently.
func (w *Watcher) Run(parent context.Context) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	w.mu.Lock()
	w.pending, w.pendEv, w.index, w.full, w.failed = nil, nil, map[entityKey]int{}, false, nil
	w.stats.State, w.stats.LastError = WatchStarting, ""
	w.mu.Unlock()
	w.cur = nil
	stopWake := context.AfterFunc(ctx, w.broadcast)
	defer stopWake()

	fctx, fcancel := context.WithCancel(context.WithoutCancel(parent))
	flushed := make(chan error, 1)
	go func() {
		err := w.flushLoop(fctx)
		if err != nil {
			cancel(err)
		}
		flushed <- err
	}()

	so := w.o.Source
	so.Resync = w.resync
	err := w.src.Watch(ctx, &so, w.update)
	fcancel()
	ferr := <-flushed
	if ferr == nil {
		// Write what the source produced before it returned.
		wctx, wcancel := context.WithTimeout(context.WithoutCancel(parent), 30*time.Second)
		ferr = w.flush(wctx)
		wcancel()
	}
	switch {
	case ferr != nil: // a failed write stops the watch
		err = ferr
	case parent.Err() != nil: // stopped by the caller
		err = nil
	case err == nil:
		err = errors.New("the source stopped watching without an error")
	}
	w.mu.Lock()
	w.stats.State = WatchStopped
	if err != nil {
		w.stats.LastError = err.Error()
	}
	w.mu.Unlock()
	if err != nil {
		return fmt.Errorf("capture: watch %s: %w", w.vc, err)
	}
	return nil
}

func (w *Watcher) broadcast() {
	w.mu.Lock()
	w.cond.Broadcast()
	w.mu.Unlock()
}

// flushLoop writes pending changes when FlushChanges are pending, a
// resync's differences wait, or the oldest has waited FlushInterval. It
// returns nil when ctx ends, or the first failed write.
func (w *Watcher) flushLoop(ctx context.Context) error {
	for {
		w.mu.Lock()
		n, full, first := len(w.pending)+len(w.pendEv), w.full, w.firstWall
		w.mu.Unlock()
		if n == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-w.notify:
			}
			continue
		}
		wait := time.Until(first.Add(w.o.FlushInterval))
		if n >= w.o.FlushChanges || full || wait <= 0 {
			// A write under way completes even when the watch stops.
			if err := w.flush(context.WithoutCancel(ctx)); err != nil {
				w.mu.Lock()
				w.failed = err
				w.cond.Broadcast()
				w.mu.Unlock()
				return err
			}
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		case <-w.notify:
			t.Stop()
		}
	}
}

// flush writes the pending changes and events in one store call.
func (w *Watcher) flush(ctx context.Context) error {
	w.mu.Lock()
	changes, events, first, full := w.pending, w.pendEv, w.first, w.full
	w.pending, w.pendEv, w.index, w.full = nil, nil, map[entityKey]int{}, false
	if len(changes) == 0 && len(events) == 0 {
		w.mu.Unlock()
		return nil
	}
	w.inflight = first
	w.cond.Broadcast()
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.inflight = time.Time{}
		w.cond.Broadcast()
		w.mu.Unlock()
	}()
	observed := changes[len(changes)-1].At
	for _, e := range events {
		if e.SnapshotTime.After(observed) {
			observed = e.SnapshotTime
		}
	}
	res, err := w.st.ApplyChanges(ctx, &store.ApplyChangesParams{Vcenter: w.vc, ObservedAt: observed, Changes: changes,
		Events: events, BatchSize: w.o.BatchSize})
	if err != nil {
		return err
	}
	now := w.o.Clock()
	for i := range changes {
		changes[i].Seq = res.FirstSeq + int64(i)
	}
	for i := range events {
		events[i].Live = true
	}
	w.mu.Lock()
	w.stats.Applied += int64(len(changes))
	w.stats.Events += int64(len(events))
	w.stats.LastCommit = now
	w.stats.LastApplySeconds = now.Sub(first).Seconds()
	if full && !w.full && w.stats.State == WatchResyncing {
		w.stats.State = WatchWatching // the resync's differences are stored
	}
	w.mu.Unlock()
	if w.o.OnApply != nil {
		w.o.OnApply(&WatchBatch{Vcenter: w.vc, Changes: changes, Events: events, Resync: full, Committed: now})
	}
	return nil
}

// update turns one source update into pending changes and events.
func (w *Watcher) update(ctx context.Context, u *WatchUpdate) error {
	at := u.At
	if at.IsZero() {
		at = w.o.Clock()
	}
	at = at.UTC()
	w.mu.Lock()
	w.stats.Received += int64(u.Received)
	w.stats.LastUpdate = at
	if u.Full {
		w.stats.State = WatchResyncing
		w.stats.Resyncs[cmp.Or(u.Reason, ResyncStart)]++
	}
	w.mu.Unlock()

	var changes []inventory.Change
	var events []inventory.Event
	if u.Full {
		// A resync diffs with the stored state: what is still pending or
		// being written must be stored first, or it would be seen (and
		// recorded) a second time.
		w.mu.Lock()
		for (len(w.pending) > 0 || len(w.pendEv) > 0 || !w.inflight.IsZero()) && w.failed == nil && ctx.Err() == nil {
			w.cond.Wait()
		}
		failed := w.failed
		w.mu.Unlock()
		if failed != nil {
			return failed
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if changes, events, err = w.resyncDiff(ctx, u, at); err != nil {
			return err
		}
	} else {
		changes, events = w.incremental(u, at)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.pending) >= w.o.MaxPending && w.failed == nil && ctx.Err() == nil {
		w.cond.Wait()
	}
	if w.failed != nil {
		return w.failed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(w.pending) == 0 && len(w.pendEv) == 0 && (len(changes) > 0 || len(events) > 0) {
		w.first, w.firstWall = at, time.Now()
	}
	for _, c := range changes {
		k := entityKey{c.Entity, c.ID}
		if i, ok := w.index[k]; ok {
			c.Fields = mergeFields(w.pending[i].Fields, c.Fields, w.pending[i].Op, c.Op)
			w.pending[i] = c
			continue
		}
		w.index[k] = len(w.pending)
		w.pending = append(w.pending, c)
	}
	w.pendEv = append(w.pendEv, events...)
	if u.Full && len(w.pending)+len(w.pendEv) > 0 {
		w.full = true // "watching" once flush commits them
	} else if u.Full {
		w.stats.State = WatchWatching // nothing to write: the store already agrees
	} else if w.stats.State != WatchResyncing {
		w.stats.State = WatchWatching
	}
	w.cond.Broadcast()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return nil
}

// mergeFields coalesces two changes of one object in one batch.
func mergeFields(a, b []string, aop, bop inventory.ChangeOp) []string {
	if aop != inventory.ChangeUpsert || bop != inventory.ChangeUpsert || len(a) == 0 || len(b) == 0 {
		return nil // an object that entered (or left and came back) in the batch
	}
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// resyncDiff compares a Full update with the stored latest state.
func (w *Watcher) resyncDiff(ctx context.Context, u *WatchUpdate, at time.Time) ([]inventory.Change, []inventory.Event, error) {
	stored, known, err := w.readStored(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("read the stored latest state of %s: %w", w.vc, err)
	}
	next := newLiveState()
	next.load(&u.State, w.inScope)
	var changes []inventory.Change
	var events []inventory.Event
	raise := known // a vCenter's first state is its baseline: no events
	absent := 0
	for id := range stored.vms {
		if _, ok := next.vms[id]; !ok {
			absent++
		}
	}
	guarded := raise && w.guard.Holds(len(stored.vms), absent)
	if guarded {
		w.log.Warn("a full resync lacks most of the stored VMs; their rows are deleted without deleted events",
			slog.Int("stored", len(stored.vms)), slog.Int("absent", absent))
	}
	diffStates(w.vc, stored, next, at, func(c inventory.Change) { changes = append(changes, c) },
		func(before, after *inventory.VM) {
			if !raise || (after == nil && guarded) {
				return
			}
			events = append(events, w.vmEvents(before, after, at)...)
		})
	w.cur = next
	return changes, events, nil
}

// incremental applies a partial update to the current state.
func (w *Watcher) incremental(u *WatchUpdate, at time.Time) ([]inventory.Change, []inventory.Event) {
	if w.cur == nil {
		w.cur = newLiveState()
	}
	var changes []inventory.Change
	var events []inventory.Event
	emit := func(c inventory.Change) { changes = append(changes, c) }
	vmEv := func(before, after *inventory.VM) { events = append(events, w.vmEvents(before, after, at)...) }
	s := &u.State
	for i := range s.VMs {
		v := s.VMs[i]
		old, had := w.cur.vms[v.ID]
		if !w.inScope(&v) {
			if had {
				delete(w.cur.vms, v.ID)
				emit(deleteChange(w.vc, inventory.EntityVM, v.ID, old.Name, at))
			}
			continue
		}
		w.cur.vms[v.ID] = v
		if c, ok := diffRow(w.vc, inventory.EntityVM, v.ID, v.Name, ptrIf(old, had), &v, at); ok {
			emit(c)
			vmEv(ptrIf(old, had), &v)
		}
	}
	upsertAll(w.vc, inventory.EntityHost, s.Hosts, w.cur.hosts, at, emit, func(x *inventory.Host) (string, string) { return x.ID, x.Name })
	upsertAll(w.vc, inventory.EntityCluster, s.Clusters, w.cur.clusters, at, emit, func(x *inventory.Cluster) (string, string) { return x.ID, x.Name })
	upsertAll(w.vc, inventory.EntityDatastore, s.Datastores, w.cur.dss, at, emit, func(x *inventory.Datastore) (string, string) { return x.ID, x.Name })
	upsertAll(w.vc, inventory.EntityNetwork, s.Networks, w.cur.nets, at, emit, func(x *inventory.Network) (string, string) { return x.ID, x.Name })
	upsertAll(w.vc, inventory.EntityResourcePool, s.ResourcePools, w.cur.pools, at, emit, func(x *inventory.ResourcePool) (string, string) { return x.ID, x.Name })
	for _, r := range u.Removed {
		name, ok := w.cur.remove(r)
		if !ok {
			continue
		}
		if r.Entity == inventory.EntityVM {
			old := w.cur.gone
			vmEv(&old, nil)
		}
		emit(deleteChange(w.vc, r.Entity, r.ID, name, at))
	}
	return changes, events
}

func (w *Watcher) inScope(v *inventory.VM) bool {
	if w.scope == nil {
		return true
	}
	_, out := w.scope.Excludes(v)
	return !out
}

// vmEvents returns the live events of one VM's change: created (before
// nil), deleted (after nil), else Reconcile's change kinds. Each event is
// stamped with at cut to the second; a second event of one kind for one
// VM within the same second is stamped a second after the previous one
// (the natural key holds one event per second).
func (w *Watcher) vmEvents(before, after *inventory.VM, at time.Time) []inventory.Event {
	stamp := at.Truncate(time.Second)
	if stamp.After(w.prunedAt) {
		// Only stamps at or after this second can push one back: once a
		// second, forget the older ones.
		w.prunedAt = stamp
		for k, t := range w.lastStamp {
			if t.Before(stamp) {
				delete(w.lastStamp, k)
			}
		}
	}
	var out []inventory.Event
	switch {
	case before == nil:
		out = []inventory.Event{{Vcenter: w.vc, Kind: inventory.EventCreated, VMID: after.ID, VMUUID: after.UUID, Name: after.Name,
			After: map[string]string{"name": after.Name}}}
	case after == nil:
		out = []inventory.Event{{Vcenter: w.vc, Kind: inventory.EventDeleted, VMID: before.ID, VMUUID: before.UUID, Name: before.Name,
			After: map[string]string{"deletion_time": stamp.Format(time.RFC3339), "deletion_source": "live"}}}
	default:
		b, a := before.Sample(stamp), after.Sample(stamp)
		out = lifecycle.ChangeEvents(w.vc, stamp, after.ID, &b, &a)
	}
	for i := range out {
		e := &out[i]
		k := eventKey{e.VMID, e.Kind}
		t := stamp
		if last, ok := w.lastStamp[k]; ok && !t.After(last) {
			t = last.Add(time.Second)
		}
		w.lastStamp[k] = t
		e.SnapshotTime, e.Live = t, true
	}
	return out
}

// readStored reads the vCenter's stored latest state; known is false when
// the store has none.
func (w *Watcher) readStored(ctx context.Context) (*liveState, bool, error) {
	s := newLiveState()
	if _, err := w.st.StateTime(ctx, w.vc); errors.Is(err, store.ErrNotFound) {
		return s, false, nil
	} else if err != nil {
		return nil, false, err
	}
	var st inventory.State
	p := &store.ListVMsParams{Vcenter: w.vc, Limit: 10000}
	for {
		page, err := w.st.ListVMs(ctx, p)
		if err != nil {
			return nil, false, err
		}
		st.VMs = append(st.VMs, page.VMs...)
		if page.NextCursor == "" {
			break
		}
		p.Cursor = page.NextCursor
	}
	var err error
	if st.Hosts, err = w.st.ListHosts(ctx, &store.ListHostsParams{Vcenter: w.vc}); err != nil {
		return nil, false, err
	}
	if st.Clusters, err = w.st.ListClusters(ctx, &store.ListClustersParams{Vcenter: w.vc}); err != nil {
		return nil, false, err
	}
	if st.Datastores, err = w.st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: w.vc}); err != nil {
		return nil, false, err
	}
	if st.Networks, err = w.st.ListNetworks(ctx, &store.ListNetworksParams{Vcenter: w.vc}); err != nil {
		return nil, false, err
	}
	if st.ResourcePools, err = w.st.ListResourcePools(ctx, &store.ListResourcePoolsParams{Vcenter: w.vc}); err != nil {
		return nil, false, err
	}
	s.load(&st, nil)
	return s, true, nil
}

// liveState is a vCenter's latest state by entity and id.
type liveState struct {
	vms      map[string]inventory.VM
	hosts    map[string]inventory.Host
	clusters map[string]inventory.Cluster
	dss      map[string]inventory.Datastore
	nets     map[string]inventory.Network
	pools    map[string]inventory.ResourcePool
	gone     inventory.VM // the VM remove took out
}

func newLiveState() *liveState {
	return &liveState{vms: map[string]inventory.VM{}, hosts: map[string]inventory.Host{}, clusters: map[string]inventory.Cluster{},
		dss: map[string]inventory.Datastore{}, nets: map[string]inventory.Network{}, pools: map[string]inventory.ResourcePool{}}
}

// load fills s from st, keeping the VMs keep accepts (all when nil).
func (s *liveState) load(st *inventory.State, keep func(*inventory.VM) bool) {
	for _, v := range st.VMs {
		if keep == nil || keep(&v) {
			s.vms[v.ID] = v
		}
	}
	for _, x := range st.Hosts {
		s.hosts[x.ID] = x
	}
	for _, x := range st.Clusters {
		s.clusters[x.ID] = x
	}
	for _, x := range st.Datastores {
		s.dss[x.ID] = x
	}
	for _, x := range st.Networks {
		s.nets[x.ID] = x
	}
	for _, x := range st.ResourcePools {
		s.pools[x.ID] = x
	}
}

// remove deletes one object and returns its name.
func (s *liveState) remove(r WatchRef) (string, bool) {
	switch r.Entity {
	case inventory.EntityVM:
		s.gone = s.vms[r.ID]
		return take(s.vms, r.ID, func(x *inventory.VM) string { return x.Name })
	case inventory.EntityHost:
		return take(s.hosts, r.ID, func(x *inventory.Host) string { return x.Name })
	case inventory.EntityCluster:
		return take(s.clusters, r.ID, func(x *inventory.Cluster) string { return x.Name })
	case inventory.EntityDatastore:
		return take(s.dss, r.ID, func(x *inventory.Datastore) string { return x.Name })
	case inventory.EntityNetwork:
		return take(s.nets, r.ID, func(x *inventory.Network) string { return x.Name })
	case inventory.EntityResourcePool:
		return take(s.pools, r.ID, func(x *inventory.ResourcePool) string { return x.Name })
	}
	return "", false
}

// take deletes m[id] and returns its name and whether it was there.
func take[T any](m map[string]T, id string, name func(*T) string) (string, bool) {
	x, ok := m[id]
	delete(m, id)
	return name(&x), ok
}

// diffStates emits the changes from a to b (and calls vm for each VM that
// entered, changed or left).
func diffStates(vc string, a, b *liveState, at time.Time, emit func(inventory.Change), vm func(before, after *inventory.VM)) {
	diffMap(vc, inventory.EntityVM, a.vms, b.vms, at, emit, func(x *inventory.VM) string { return x.Name }, vm)
	diffMap(vc, inventory.EntityHost, a.hosts, b.hosts, at, emit, func(x *inventory.Host) string { return x.Name }, nil)
	diffMap(vc, inventory.EntityCluster, a.clusters, b.clusters, at, emit, func(x *inventory.Cluster) string { return x.Name }, nil)
	diffMap(vc, inventory.EntityDatastore, a.dss, b.dss, at, emit, func(x *inventory.Datastore) string { return x.Name }, nil)
	diffMap(vc, inventory.EntityNetwork, a.nets, b.nets, at, emit, func(x *inventory.Network) string { return x.Name }, nil)
	diffMap(vc, inventory.EntityResourcePool, a.pools, b.pools, at, emit, func(x *inventory.ResourcePool) string { return x.Name }, nil)
}

func diffMap[T any](vc string, kind inventory.EntityType, a, b map[string]T, at time.Time, emit func(inventory.Change),
	name func(*T) string, fn func(before, after *T)) {
	ids := make([]string, 0, len(a)+len(b))
	for id := range a {
		ids = append(ids, id)
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids) // text order, as the stores list them
	for _, id := range ids {
		x, had := a[id]
		y, has := b[id]
		switch {
		case !has:
			emit(deleteChange(vc, kind, id, name(&x), at))
			if fn != nil {
				fn(&x, nil)
			}
		default:
			if c, ok := diffRow(vc, kind, id, name(&y), ptrIf(x, had), &y, at); ok {
				emit(c)
				if fn != nil {
					fn(ptrIf(x, had), &y)
				}
			}
		}
	}
}

func upsertAll[T any](vc string, kind inventory.EntityType, rows []T, cur map[string]T, at time.Time, emit func(inventory.Change),
	idName func(*T) (string, string)) {
	for i := range rows {
		y := rows[i]
		id, name := idName(&y)
		x, had := cur[id]
		cur[id] = y
		if c, ok := diffRow(vc, kind, id, name, ptrIf(x, had), &y, at); ok {
			emit(c)
		}
	}
}

func ptrIf[T any](v T, ok bool) *T {
	if !ok {
		return nil
	}
	return &v
}

func deleteChange(vc string, kind inventory.EntityType, id, name string, at time.Time) inventory.Change {
	return inventory.Change{Vcenter: vc, At: at, Entity: kind, ID: id, Op: inventory.ChangeDelete, Name: name}
}

// diffRow returns the upsert of after when it differs from before (nil:
// the object entered), naming the changed fields.
func diffRow[T any](vc string, kind inventory.EntityType, id, name string, before, after *T, at time.Time) (inventory.Change, bool) {
	c := inventory.Change{Vcenter: vc, At: at, Entity: kind, ID: id, Op: inventory.ChangeUpsert, Name: name}
	if before != nil {
		c.Fields = changedFields(before, after)
		if len(c.Fields) == 0 {
			return c, false
		}
	}
	row := *after
	setTime(&row, at)
	switch r := any(&row).(type) {
	case *inventory.VM:
		c.VM = r
	case *inventory.Host:
		c.Host = r
	case *inventory.Cluster:
		c.Cluster = r
	case *inventory.Datastore:
		c.Datastore = r
	case *inventory.Network:
		c.Network = r
	case *inventory.ResourcePool:
		c.ResourcePool = r
	}
	return c, true
}

// setTime sets a row's SnapshotTime.
func setTime(row any, at time.Time) {
	f := reflect.ValueOf(row).Elem().FieldByName("SnapshotTime")
	if f.IsValid() {
		f.Set(reflect.ValueOf(at))
	}
}

// changedFields names the JSON fields that differ between two rows of one
// type, ignoring SnapshotTime. Times compare by instant; nil and empty
// slices and maps are equal.
func changedFields[T any](a, b *T) []string {
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	t := va.Type()
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Name == "SnapshotTime" || !f.IsExported() {
			continue
		}
		if !sameValue(va.Field(i), vb.Field(i)) {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, cmp.Or(name, f.Name))
		}
	}
	return out
}

var timeType = reflect.TypeFor[time.Time]()

// sameValue compares one field: times at the stores' precision (a
// microsecond), string slices as sets (id lists), nil and empty slices
// and maps as equal.
func sameValue(a, b reflect.Value) bool {
	switch {
	case a.Type() == timeType:
		return a.Interface().(time.Time).Truncate(time.Microsecond).Equal(b.Interface().(time.Time).Truncate(time.Microsecond))
	case a.Kind() == reflect.Slice || a.Kind() == reflect.Map:
		if a.Len() == 0 && b.Len() == 0 {
			return true
		}
		if x, ok := a.Interface().([]string); ok {
			y := b.Interface().([]string)
			return len(x) == len(y) && slices.Equal(slices.Sorted(slices.Values(x)), slices.Sorted(slices.Values(y)))
		}
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}
