package lifecycle

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Defaults of the settings these rules read (docs/semantics.md §3). They
// are stated here once; capture, aggregate and the daemon refer to them.
const (
	// DefaultGuardFraction is deletion_guard_fraction.
	DefaultGuardFraction = 0.5
	// DefaultGuardMinVMs is deletion_guard_min_vms.
	DefaultGuardMinVMs = 10
	// DefaultFirstEventLookback is first_event_lookback: how far before a
	// vCenter's first snapshot its creation events are read.
	DefaultFirstEventLookback = 7 * 24 * time.Hour
)

// Guard is the mass-absence guard: when a complete snapshot lacks more
// than Fraction of the VMs present in the previous complete snapshot, and
// that snapshot had at least MinVMs VMs, no deletion is inferred from it.
type Guard struct {
	// Fraction is deletion_guard_fraction, in (0, 1]. "More than" is
	// strict: exactly Fraction absent is not guarded. Defaults to 0.5.
	Fraction float64
	// MinVMs is deletion_guard_min_vms: the previous snapshot must have had
	// at least this many VMs (resolved VMs, templates included). Defaults
	// to 10.
	MinVMs int
}

// WithDefaults returns g with zero fields set to their defaults.
func (g Guard) WithDefaults() Guard {
	if g.Fraction == 0 {
		g.Fraction = DefaultGuardFraction
	}
	if g.MinVMs == 0 {
		g.MinVMs = DefaultGuardMinVMs
	}
	return g
}

// Validate checks g after defaults: Fraction in (0, 1], MinVMs > 0. The
// error is an *inventory.FieldError naming the setting.
func (g Guard) Validate() error {
	g = g.WithDefaults()
	if !(g.Fraction > 0 && g.Fraction <= 1) || math.IsNaN(g.Fraction) {
		return &inventory.FieldError{Field: "deletion_guard_fraction", Reason: fmt.Sprintf("is %v, want a fraction in (0, 1]", g.Fraction)}
	}
	if g.MinVMs < 0 {
		return &inventory.FieldError{Field: "deletion_guard_min_vms", Reason: fmt.Sprintf("is %d, want > 0", g.MinVMs)}
	}
	return nil
}

// Holds reports whether the guard withholds deletions at a snapshot from
// which absent of the previous snapshot's prev VMs are missing.
func (g Guard) Holds(prev, absent int) bool {
	g = g.WithDefaults()
	return prev >= g.MinVMs && float64(absent) > g.Fraction*float64(prev)
}

// Resolver resolves samples of one vCenter to VMs over its history
// (docs/semantics.md §2). Learn every sample that carries a vm_id (in any
// order), then ask Key. The zero value is ready to use.
type Resolver struct {
	byUUID map[string]anchor
	byName map[string]anchor
}

type anchor struct {
	id string
	at time.Time
}

// Learn records that the VM vmID carried vmUUID and name at time at. It
// ignores identities without a vm_id.
func (r *Resolver) Learn(vmID, vmUUID, name string, at time.Time) {
	if vmID == "" {
		return
	}
	if r.byUUID == nil {
		r.byUUID, r.byName = map[string]anchor{}, map[string]anchor{}
	}
	learn := func(m map[string]anchor, k string) {
		if k == "" {
			return
		}
		if a, ok := m[k]; !ok || at.After(a.at) || (at.Equal(a.at) && vmID < a.id) {
			m[k] = anchor{id: vmID, at: at}
		}
	}
	learn(r.byUUID, vmUUID)
	learn(r.byName, name)
}

// IsVMID reports whether a resolved key is a vm_id (not "uuid:…" or
// "name:…").
func IsVMID(key string) bool {
	return key != "" && !strings.HasPrefix(key, "uuid:") && !strings.HasPrefix(key, "name:")
}

// LearnLifecycles learns each lifecycle row keyed by a vm_id: its latest
// vm_uuid and name, carried at its last_seen. Rows of VMs without a vm_id
// are not anchors.
func (r *Resolver) LearnLifecycles(lcs map[string]inventory.Lifecycle) {
	for k, l := range lcs {
		if IsVMID(k) {
			r.Learn(k, l.VMUUID, l.Name, l.LastSeen)
		}
	}
}

// Key returns the resolved key of a sample: its vm_id; else the vm_id of
// the VM that carried its vm_uuid most recently, else "uuid:<vm_uuid>";
// for a sample with neither, the vm_id of the VM that carried its name
// most recently, else "name:<name>".
func (r *Resolver) Key(vmID, vmUUID, name string) string {
	switch {
	case vmID != "":
		return vmID
	case vmUUID != "":
		if a, ok := r.byUUID[vmUUID]; ok {
			return a.id
		}
		return "uuid:" + vmUUID
	default:
		if a, ok := r.byName[name]; ok {
			return a.id
		}
		return "name:" + name
	}
}

// Index returns the samples of one snapshot by resolved key. When two
// samples resolve to one VM, the one with a vm_id is kept (else the
// first).
func (r *Resolver) Index(samples []inventory.Sample) map[string]*inventory.Sample {
	out := make(map[string]*inventory.Sample, len(samples))
	for i := range samples {
		s := &samples[i]
		k := r.Key(s.VMID, s.VMUUID, s.Name)
		if old, ok := out[k]; ok && (old.VMID != "" || s.VMID == "") {
			continue
		}
		out[k] = s
	}
	return out
}

// SourceEvents are the creation and removal events an endpoint recorded,
// by the VM's key (its vm_id).
type SourceEvents struct {
	// Creations holds the earliest creation event (VmCreatedEvent,
	// VmClonedEvent, VmDeployedEvent, VmRegisteredEvent) per VM.
	Creations map[string]time.Time
	// Removals holds the VmRemovedEvent times per VM.
	Removals map[string][]time.Time
}

// AddCreation records a creation event, keeping the earliest per VM.
func (e *SourceEvents) AddCreation(key string, t time.Time) {
	if e.Creations == nil {
		e.Creations = map[string]time.Time{}
	}
	if old, ok := e.Creations[key]; !ok || t.Before(old) {
		e.Creations[key] = t.UTC()
	}
}

// AddRemoval records a removal event.
func (e *SourceEvents) AddRemoval(key string, t time.Time) {
	if e.Removals == nil {
		e.Removals = map[string][]time.Time{}
	}
	e.Removals[key] = append(e.Removals[key], t.UTC())
}

// Input is what Step needs to reconcile one complete snapshot.
type Input struct {
	Vcenter string
	// Time is the snapshot time s.
	Time time.Time
	// Baseline marks the vCenter's first complete snapshot: its VMs get
	// lifecycle rows but no "created" event.
	Baseline bool
	// Current holds the snapshot's samples by resolved key (see
	// Resolver.Index).
	Current map[string]*inventory.Sample
	// Prev holds the previous reconciled snapshot's samples by resolved
	// key (nil for the baseline). The guard counts them.
	Prev map[string]*inventory.Sample
	// Earlier holds, for VMs present now, known, and absent from Prev,
	// their latest sample before Time (change events compare with it).
	// Optional: a VM missing here gets no change events.
	Earlier map[string]*inventory.Sample
	// Lifecycles holds the existing rows by key: at least those of every
	// key in Current and of every VM not deleted.
	Lifecycles map[string]inventory.Lifecycle
	// Times are the complete snapshot times after the oldest last_seen of
	// the VMs that may be deleted now (see Candidates), through Time; a
	// deletion by absence is stamped with the first of them after the
	// VM's last_seen.
	Times []time.Time
	// Events are the endpoint's creation and removal events.
	Events SourceEvents
	Guard  Guard
	// Excluded holds the VMs the endpoint's scope left out of this
	// snapshot, PrevExcluded those it left out of the previous one, by
	// vm_id (inventory.Scope). A VM out of scope is not absent: it is
	// never deleted for it, and the guard does not count it. A known VM
	// that leaves the scope gets an out_of_scope event, one that comes
	// back an in_scope event, and one gone from a snapshot after being
	// out of scope is deleted at that snapshot (or its removal event).
	Excluded, PrevExcluded map[string]*inventory.ExcludedVM
}

// Output is what Step decided.
type Output struct {
	// Lifecycles are the new and changed rows, in key order.
	Lifecycles []inventory.Lifecycle
	// Events are the change events, stamped with the snapshot time.
	Events []inventory.Event
	// Guarded is set when the mass-absence guard withheld deletions;
	// PrevCount VMs were in the previous snapshot and Absent of them are
	// missing now.
	Guarded           bool
	PrevCount, Absent int
}

// Candidates returns, sorted, the keys of rows not deleted, last seen
// before s and absent from current: the VMs Step may delete at s.
func Candidates(lcs map[string]inventory.Lifecycle, current map[string]*inventory.Sample, s time.Time) []string {
	var out []string
	for k, l := range lcs {
		if !l.Deleted && l.LastSeen.Before(s) && current[k] == nil {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// Step reconciles one complete snapshot (docs/semantics.md §3).
func Step(in *Input) *Output {
	s := in.Time
	out := &Output{}
	event := func(kind inventory.EventKind, x *inventory.Sample, key string, before, after map[string]string) {
		out.Events = append(out.Events, inventory.Event{Vcenter: in.Vcenter, SnapshotTime: s, Kind: kind, VMID: key,
			VMUUID: x.VMUUID, Name: x.Name, Before: before, After: after})
	}

	for k := range in.Prev {
		if in.Current[k] == nil && in.Excluded[k] == nil {
			out.Absent++
		}
	}
	out.PrevCount = len(in.Prev)
	out.Guarded = !in.Baseline && in.Guard.Holds(out.PrevCount, out.Absent)

	keys := make([]string, 0, len(in.Current))
	for k := range in.Current {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		x := in.Current[k]
		l, known := in.Lifecycles[k]
		orig := l
		if !known {
			l = inventory.Lifecycle{Vcenter: in.Vcenter, VMID: k, VMUUID: x.VMUUID, Name: x.Name, FirstSeen: s, LastSeen: s,
				CreationSource: inventory.SourceNone}
			if !in.Baseline {
				event(inventory.EventCreated, x, k, nil, map[string]string{"name": x.Name})
			}
		}
		if l.Deleted {
			event(inventory.EventReappeared, x, k, map[string]string{"deletion_time": l.DeletionTime.UTC().Format(time.RFC3339)}, nil)
			l.Deleted, l.DeletionTime, l.DeletionSource = false, time.Time{}, ""
		}
		if s.Before(l.FirstSeen) {
			l.FirstSeen = s
		}
		if !s.Before(l.LastSeen) {
			if known && x.VMID != "" && x.VMUUID != "" && l.VMUUID != "" && x.VMUUID != l.VMUUID {
				event(inventory.EventIdentityChange, x, k, map[string]string{"vm_uuid": l.VMUUID}, map[string]string{"vm_uuid": x.VMUUID})
			}
			l.LastSeen, l.Name = s, x.Name
			if x.VMUUID != "" {
				l.VMUUID = x.VMUUID
			}
		}
		ApplyCreation(&l, in.Events.Creations[k], x.CreationTime)
		if ex := in.PrevExcluded[k]; ex != nil && known {
			event(inventory.EventInScope, x, k, map[string]string{"scope": "out", "reason": ex.Reason}, map[string]string{"scope": "in"})
		}

		before := in.Prev[k]
		if before == nil {
			before = in.Earlier[k]
		}
		if before != nil {
			diff(x, before, func(kind inventory.EventKind, b, a map[string]string) { event(kind, x, k, b, a) })
		}
		if l != orig || !known {
			out.Lifecycles = append(out.Lifecycles, l)
		}
	}

	exKeys := make([]string, 0, len(in.Excluded))
	for k := range in.Excluded {
		exKeys = append(exKeys, k)
	}
	sort.Strings(exKeys)
	for _, k := range exKeys {
		l, known := in.Lifecycles[k]
		if ex := in.Excluded[k]; known && !l.Deleted && in.PrevExcluded[k] == nil && in.Current[k] == nil {
			out.Events = append(out.Events, inventory.Event{Vcenter: in.Vcenter, SnapshotTime: s, Kind: inventory.EventOutOfScope,
				VMID: k, VMUUID: ex.VMUUID, Name: ex.Name, Before: map[string]string{"scope": "in"},
				After: map[string]string{"scope": "out", "reason": ex.Reason}})
		}
	}

	if out.Guarded {
		out.Events = append(out.Events, inventory.Event{Vcenter: in.Vcenter, SnapshotTime: s, Kind: inventory.EventMassAbsence,
			Before: map[string]string{"vm_count": strconv.Itoa(out.PrevCount)},
			After:  map[string]string{"vm_count": strconv.Itoa(len(in.Current)), "absent": strconv.Itoa(out.Absent)}})
		sortLifecycles(out.Lifecycles)
		return out
	}
	times := append([]time.Time(nil), in.Times...)
	times = append(times, s)
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for _, k := range Candidates(in.Lifecycles, in.Current, s) {
		if in.Excluded[k] != nil {
			continue
		}
		l := in.Lifecycles[k]
		l.Deleted = true
		l.DeletionTime, l.DeletionSource = firstAfter(times, l.LastSeen), inventory.SourceAbsence
		if in.PrevExcluded[k] != nil {
			// Out of scope until now: gone since the previous snapshot.
			l.DeletionTime = s
		}
		for _, t := range in.Events.Removals[k] {
			if t.After(l.LastSeen) && !t.After(s) && (l.DeletionSource != inventory.SourceEvent || t.Before(l.DeletionTime)) {
				l.DeletionTime, l.DeletionSource = t.UTC(), inventory.SourceEvent
			}
		}
		ApplyCreation(&l, in.Events.Creations[k], time.Time{})
		out.Lifecycles = append(out.Lifecycles, l)
		out.Events = append(out.Events, inventory.Event{Vcenter: in.Vcenter, SnapshotTime: s, Kind: inventory.EventDeleted, VMID: k,
			VMUUID: l.VMUUID, Name: l.Name, After: map[string]string{"deletion_time": l.DeletionTime.UTC().Format(time.RFC3339),
				"deletion_source": string(l.DeletionSource)}})
	}
	sortLifecycles(out.Lifecycles)
	return out
}

func sortLifecycles(ls []inventory.Lifecycle) {
	sort.Slice(ls, func(i, j int) bool { return ls[i].VMID < ls[j].VMID })
}

// ApplyCreation sets creation_time by precedence: the earliest creation
// event, else the earliest config.createDate seen, else none.
func ApplyCreation(l *inventory.Lifecycle, eventTime, configTime time.Time) {
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

// firstAfter returns the first of the sorted times after t; times ends
// with the snapshot being reconciled, which is after every candidate's
// last_seen.
func firstAfter(times []time.Time, t time.Time) time.Time {
	i := sort.Search(len(times), func(i int) bool { return times[i].After(t) })
	if i == len(times) {
		return times[len(times)-1]
	}
	return times[i].UTC()
}

// PoolChanged reports whether a VM changed resource pool between two
// samples: by managed object id when both carry one, else by full path
// (so a move into a same-named pool of another cluster is a change).
func PoolChanged(before, after *inventory.Sample) bool {
	if before.ResourcePoolID != "" && after.ResourcePoolID != "" {
		return before.ResourcePoolID != after.ResourcePoolID
	}
	return before.ResourcePool != after.ResourcePool
}

// ChangeEvents returns the power, resize, host_move, pool_move and rename
// events for the changes of one VM from before to after, with Reconcile's
// before/after shapes, stamped s and keyed key (in that kind order). A
// watcher (capture.Watch) raises the same events between captures.
func ChangeEvents(vc string, s time.Time, key string, before, after *inventory.Sample) []inventory.Event {
	var out []inventory.Event
	diff(after, before, func(kind inventory.EventKind, b, a map[string]string) {
		out = append(out, inventory.Event{Vcenter: vc, SnapshotTime: s, Kind: kind, VMID: key, VMUUID: after.VMUUID,
			Name: after.Name, Before: b, After: a})
	})
	return out
}

// diff emits power, resize, host_move, pool_move and rename events for the
// changes from before to x.
func diff(x, before *inventory.Sample, event func(kind inventory.EventKind, before, after map[string]string)) {
	one := func(kind inventory.EventKind, field, b, a string) {
		if a != b {
			event(kind, map[string]string{field: b}, map[string]string{field: a})
		}
	}
	one(inventory.EventPower, "power_state", string(before.PowerState), string(x.PowerState))
	if x.VCPUCount != before.VCPUCount || x.RAMMB != before.RAMMB {
		b, a := map[string]string{}, map[string]string{}
		if x.VCPUCount != before.VCPUCount {
			b["vcpu_count"], a["vcpu_count"] = strconv.Itoa(before.VCPUCount), strconv.Itoa(x.VCPUCount)
		}
		if x.RAMMB != before.RAMMB {
			b["ram_mb"], a["ram_mb"] = strconv.FormatInt(before.RAMMB, 10), strconv.FormatInt(x.RAMMB, 10)
		}
		event(inventory.EventResize, b, a)
	}
	one(inventory.EventHostMove, "host", before.Host, x.Host)
	if PoolChanged(before, x) {
		b, a := map[string]string{"resource_pool": before.ResourcePool}, map[string]string{"resource_pool": x.ResourcePool}
		if before.ResourcePoolID != "" || x.ResourcePoolID != "" {
			b["resource_pool_id"], a["resource_pool_id"] = before.ResourcePoolID, x.ResourcePoolID
		}
		event(inventory.EventPoolMove, b, a)
	}
	one(inventory.EventRename, "name", before.Name, x.Name)
}
