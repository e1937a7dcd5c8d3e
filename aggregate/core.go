package aggregate

import (
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
)

// vmAcc is the running state of one VM over one window.
type vmAcc struct {
	present dayBits // present snapshot times (sampleCore time indexes)
	// days holds, per present day (UnixNano of its start; hourly monthly
	// only), the sums of vcpu_count, ram_mb, provisioned and used disk
	// over the day's present samples.
	days map[int64]*[4]float64

	n, poweredOn     int
	sumVCPU, sumRAM  int64 // vcpu_count, ram_mb
	sumProv, sumUsed float64
	tier             [4]int

	// pool and poolTier cache the tier index of the last resource pool
	// seen: a VM's pool rarely changes between samples.
	pool     string
	poolTier int
	hasPool  bool

	latest    sampleAttrs // attributes of the latest present sample
	hasLatest bool
	id, uuid  string
	idT       time.Time
	uuidT     time.Time
	hasID     bool
	hasUUID   bool
	first     time.Time
	last      time.Time
	creation  time.Time
}

// sampleAttrs are the fields of a sample that a daily row takes from the
// VM's latest present sample, and of a daily row that a monthly row takes
// from the VM's last day present.
type sampleAttrs struct {
	at                                        time.Time
	name, datacenter, cluster, host           string
	resourcePool, folder, powerState, guestOS string
	isTemplate                                bool
	// attrs are the custom attributes and tags: a copy owned by the
	// builder (never the caller's map), nil when empty, never modified
	// once set (a newer sample with other attributes replaces it).
	attrs map[string]string
}

// set copies s's attributes into a.
func (a *sampleAttrs) set(s *inventory.Sample) {
	*a = sampleAttrs{at: s.SnapshotTime, name: s.Name, datacenter: s.Datacenter, cluster: s.Cluster, host: s.Host,
		resourcePool: s.ResourcePool, folder: s.Folder, powerState: string(s.PowerState), guestOS: s.GuestOS, isTemplate: s.IsTemplate,
		attrs: keepAttrs(a.attrs, s.Attributes)}
}

// setRollup copies the attributes of a rollup row of the period starting
// at into a: a monthly row takes them from the VM's last day present.
func (a *sampleAttrs) setRollup(at time.Time, r *inventory.Rollup) {
	*a = sampleAttrs{at: at, name: r.Name, datacenter: r.Datacenter, cluster: r.Cluster, host: r.Host,
		resourcePool: r.ResourcePool, folder: r.Folder, powerState: string(r.PowerState), guestOS: r.GuestOS, isTemplate: r.IsTemplate,
		attrs: keepAttrs(a.attrs, r.Attributes)}
}

// keepAttrs returns the builder's copy of next: old when it holds the same
// attributes (a VM's tags rarely change between samples, so most samples
// cost a comparison, not a copy), else a copy of next (nil when empty).
func keepAttrs(old, next map[string]string) map[string]string {
	if maps.Equal(old, next) {
		return old
	}
	return cloneMap(next)
}

// cloneMap returns a copy of m, nil when m is empty (as stores return
// empty maps).
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// accSlab is the number of VM accumulators allocated at once.
const accSlab = 256

// sampleCore accumulates hourly samples of one vCenter over one window.
type sampleCore struct {
	vcenter    string
	win        inventory.Window
	tiers      inventory.TierMap
	registered map[int64]int // registered time (UnixNano) -> index; nil: fall back to distinct sample times
	seen       map[int64]int // distinct accepted sample times (fallback) -> index
	// lastK and lastTI cache the time index of the last accepted sample
	// time: samples come grouped by time.
	lastK   int64
	lastTI  int
	hasLast bool
	ids     inventory.Identities
	idc     idCache
	tierC   map[string]poolTier // resource pool -> its first string and tier index
	vms     []*vmAcc
	slab    []vmAcc // allocated, unused accumulators
	ignored int
	dayLoc  *time.Location // non-nil: track days present in this location
	// hist resolves samples without a vm_id over the vCenter's history
	// (SEMANTICS §2); called at the first such sample. Nil: within the
	// window only.
	hist func() *lifecycle.Resolver
}

// histResolver returns a func building, once, the history resolver of
// the lifecycle rows rows returns (nil rows: none).
func histResolver(rows func() map[string]inventory.Lifecycle) func() *lifecycle.Resolver {
	var once sync.Once
	var r *lifecycle.Resolver
	return func() *lifecycle.Resolver {
		once.Do(func() {
			if m := rows(); len(m) > 0 {
				r = &lifecycle.Resolver{}
				r.LearnLifecycles(m)
			}
		})
		return r
	}
}

// historyID returns the vm_id that a row without one resolves to over the
// vCenter's history, or "".
func historyID(hist func() *lifecycle.Resolver, vmUUID, name string) string {
	if hist == nil {
		return ""
	}
	if r := hist(); r != nil {
		if k := r.Key("", vmUUID, name); lifecycle.IsVMID(k) {
			return k
		}
	}
	return ""
}

func newSampleCore(vcenter string, win inventory.Window, snaps []time.Time, tiers inventory.TierMap) *sampleCore {
	c := &sampleCore{vcenter: vcenter, win: win, tiers: tiers, seen: map[int64]int{}, tierC: map[string]poolTier{}}
	for _, t := range snaps {
		if !win.Contains(t) {
			continue
		}
		if c.registered == nil {
			c.registered = map[int64]int{}
		}
		if _, ok := c.registered[t.UnixNano()]; !ok {
			c.registered[t.UnixNano()] = len(c.registered)
		}
	}
	return c
}

// idCache answers Identities.Resolve for rows carrying a vm_id without
// hashing in the common case. Resolve returns the same group for the same
// (vm_id, vm_uuid) again once the vm_id is known, and its bookkeeping for
// them is already done (the group's id is set and the uuid indexed), so
// the answer can be remembered per vm_id: one entry per vm_id, replaced
// when the vm_id comes with another vm_uuid.
//
// Stores scan rows grouped by snapshot time (or day) and, within one, in
// vm_key order, so the VM of a row is most often the one that followed
// the previous row's VM in the previous group: the cache predicts that
// entry and checks it with two string comparisons before falling back to
// the map. A wrong prediction only costs the map look-up; rows may come
// in any order.
type idCache struct {
	byID map[string]int32 // vm_id -> live entry
	ents []idEnt
	// arena holds the entries' vm_id and vm_uuid bytes back to back, in
	// the order entries are made (the store's order): checking a
	// prediction reads it sequentially instead of two strings scattered
	// over the heap.
	arena  []byte
	prev   []int32 // entries in order of the previous group
	cur    []int32 // entries in order of the current group
	cursor int     // position in prev of the predicted next entry
	group  int     // index of the current group
	inited bool
}

type idEnt struct {
	off, idLen, uuidLen, nameLen uint32 // vm_id at arena[off:], vm_uuid and name after it
	g                            int32
	pos                          int32 // position in the group where it was last seen
	live                         bool  // byID[id] is this entry
}

// is reports whether e is (vmID, vmUUID, name). The name counts: a VM
// renamed within the window must reach Identities, which learns the new
// name for the rows without a vm_id that carry it.
func (c *idCache) is(e *idEnt, vmID, vmUUID, name string) bool {
	if int(e.idLen) != len(vmID) || int(e.uuidLen) != len(vmUUID) || int(e.nameLen) != len(name) {
		return false
	}
	b := c.arena[e.off : e.off+e.idLen+e.uuidLen+e.nameLen]
	return string(b[:e.idLen]) == vmID && string(b[e.idLen:e.idLen+e.uuidLen]) == vmUUID && string(b[e.idLen+e.uuidLen:]) == name
}

// resolve returns x.Resolve(vmID, vmUUID, name) for a row of group grp
// (its time or day index).
func (c *idCache) resolve(x *inventory.Identities, grp int, vmID, vmUUID, name string) int {
	if vmID == "" {
		return x.Resolve(vmID, vmUUID, name)
	}
	if !c.inited || grp != c.group {
		if c.byID == nil {
			c.byID = map[string]int32{}
		}
		c.prev, c.cur = c.cur, c.prev[:0]
		c.cursor, c.group, c.inited = 0, grp, true
	}
	var ei int32
	if c.cursor < len(c.prev) {
		ei = c.prev[c.cursor]
		if e := &c.ents[ei]; e.live && c.is(e, vmID, vmUUID, name) {
			c.cursor++
			return c.seen(ei)
		}
	}
	if i, ok := c.byID[vmID]; ok && c.is(&c.ents[i], vmID, vmUUID, name) {
		ei = i
		if p := int(c.ents[ei].pos); p >= 0 && p < len(c.prev) && c.prev[p] == ei {
			c.cursor = p + 1
		}
		return c.seen(ei)
	} else if ok {
		c.ents[i].live = false
	}
	g := x.Resolve(vmID, vmUUID, name)
	ei = int32(len(c.ents))
	c.ents = append(c.ents, idEnt{off: uint32(len(c.arena)), idLen: uint32(len(vmID)), uuidLen: uint32(len(vmUUID)), nameLen: uint32(len(name)),
		g: int32(g), pos: -1, live: true})
	c.arena = append(append(append(c.arena, vmID...), vmUUID...), name...)
	c.byID[vmID] = ei
	return c.seen(ei)
}

// seen records entry ei in the current group and returns its group.
func (c *idCache) seen(ei int32) int {
	e := &c.ents[ei]
	e.pos = int32(len(c.cur))
	c.cur = append(c.cur, ei)
	return int(e.g)
}

// poolTier is a resource pool's tier index (-1: none) and the string the
// pool was first seen as: VMs keep that one, so comparing a sample's pool
// with its VM's reads the few pool strings there are, not one per VM.
type poolTier struct {
	pool string
	tier int
}

// tier returns the tier of a pool, cached per pool.
func (c *sampleCore) tier(pool string) poolTier {
	if p, ok := c.tierC[pool]; ok {
		return p
	}
	p := poolTier{pool: pool, tier: tierIndex(c.tiers.Of(pool))}
	c.tierC[pool] = p
	return p
}

// dayTotals returns, per day of the window (UnixNano of its start, in
// dayLoc), its total_samples: the registered snapshots in it (else the
// distinct sample times). Days without any are absent.
func (c *sampleCore) dayTotals() map[int64]int {
	out := map[int64]int{}
	times := c.seen
	if c.registered != nil {
		times = c.registered
	}
	for k := range times {
		out[inventory.DayOf(time.Unix(0, k), c.dayLoc).Start.UnixNano()]++
	}
	return out
}

func (c *sampleCore) totalSamples() int {
	if c.registered != nil {
		return len(c.registered)
	}
	return len(c.seen)
}

func (c *sampleCore) add(s *inventory.Sample) {
	if s == nil || s.Vcenter != c.vcenter || !c.win.Contains(s.SnapshotTime) {
		c.ignored++
		return
	}
	t := s.SnapshotTime
	k := t.UnixNano()
	var ti int
	if c.hasLast && k == c.lastK {
		ti = c.lastTI
	} else if c.registered != nil {
		i, ok := c.registered[k]
		if !ok {
			c.ignored++
			return
		}
		ti = i
		c.lastK, c.lastTI, c.hasLast = k, i, true
	} else {
		i, ok := c.seen[k]
		if !ok {
			i = len(c.seen)
			c.seen[k] = i
		}
		ti = i
		c.lastK, c.lastTI, c.hasLast = k, i, true
	}
	vmID := s.VMID
	if vmID == "" {
		vmID = historyID(c.hist, s.VMUUID, s.Name)
	}
	g := c.idc.resolve(&c.ids, ti, vmID, s.VMUUID, s.Name)
	for len(c.vms) <= g {
		if len(c.slab) == 0 {
			c.slab = make([]vmAcc, accSlab)
		}
		c.vms = append(c.vms, &c.slab[0])
		c.slab = c.slab[1:]
	}
	v := c.vms[g]
	// Identity fields: from the latest sample that has one, duplicates
	// included.
	if s.VMID != "" && (!v.hasID || t.After(v.idT)) {
		v.id, v.idT, v.hasID = s.VMID, t, true
	} else if vmID != "" && !v.hasID {
		v.id = vmID // resolved over history; a sample's own vm_id wins
	}
	if s.VMUUID != "" && (!v.hasUUID || t.After(v.uuidT)) {
		v.uuid, v.uuidT, v.hasUUID = s.VMUUID, t, true
	}
	if !v.present.add(ti) {
		c.ignored++
		return
	}
	v.n++
	if s.PowerState == "poweredOn" {
		v.poweredOn++
	}
	v.sumVCPU += int64(s.VCPUCount)
	v.sumRAM += s.RAMMB
	v.sumProv += s.ProvisionedDiskGB
	v.sumUsed += s.UsedDiskGB
	if !v.hasPool || s.ResourcePool != v.pool {
		p := c.tier(s.ResourcePool)
		v.pool, v.poolTier, v.hasPool = p.pool, p.tier, true
	}
	if i := v.poolTier; i >= 0 {
		v.tier[i]++
	}
	if !v.hasLatest || t.After(v.latest.at) {
		v.latest.set(s)
		v.hasLatest = true
	}
	if v.first.IsZero() || t.Before(v.first) {
		v.first = t
	}
	if v.last.IsZero() || t.After(v.last) {
		v.last = t
	}
	if !s.CreationTime.IsZero() && (v.creation.IsZero() || s.CreationTime.Before(v.creation)) {
		v.creation = s.CreationTime
	}
	if c.dayLoc != nil {
		if v.days == nil {
			v.days = map[int64]*[4]float64{}
		}
		k := inventory.DayOf(t, c.dayLoc).Start.UnixNano()
		sums := v.days[k]
		if sums == nil {
			sums = &[4]float64{}
			v.days[k] = sums
		}
		sums[0] += float64(s.VCPUCount)
		sums[1] += float64(s.RAMMB)
		sums[2] += s.ProvisionedDiskGB
		sums[3] += s.UsedDiskGB
	}
}

func tierIndex(t inventory.Tier) int { return t.Index() }

// rollup returns the figures of v (v.n > 0).
func (c *sampleCore) rollup(v *vmAcc, lifecycles map[string]inventory.Lifecycle) inventory.Rollup {
	r := v.latest.rollup(c.vcenter, v.id, v.uuid, c.totalSamples(), v.n, v.poweredOn)
	r.AvgVCPUCount = ratio(float64(v.sumVCPU), v.n)
	r.AvgRAMGB = ratio(float64(v.sumRAM)/1024, v.n)
	r.AvgProvisionedDiskGB = ratio(v.sumProv, v.n)
	r.AvgUsedDiskGB = ratio(v.sumUsed, v.n)
	r.PoolTinPct = ratio(100*float64(v.tier[0]), v.n)
	r.PoolBronzePct = ratio(100*float64(v.tier[1]), v.n)
	r.PoolSilverPct = ratio(100*float64(v.tier[2]), v.n)
	r.PoolGoldPct = ratio(100*float64(v.tier[3]), v.n)
	r.FirstSeen, r.LastSeen = v.first.UTC(), v.last.UTC()
	r.CreationTime, r.DeletionTime = lifecycleTimes(r.VMKey, v.creation, c.win, lifecycles)
	return r
}

// rollup returns the part of a rollup row that daily and monthly rows
// build alike: identity, the latest attributes a, and the sample counts
// (n samples present, poweredOn of them powered on, of total).
func (a *sampleAttrs) rollup(vcenter, vmID, vmUUID string, total, n, poweredOn int) inventory.Rollup {
	return inventory.Rollup{
		Vcenter:          vcenter,
		VMKey:            inventory.VMKey(vmID, vmUUID, a.name),
		VMID:             vmID,
		VMUUID:           vmUUID,
		Name:             a.name,
		Datacenter:       a.datacenter,
		Cluster:          a.cluster,
		Host:             a.host,
		ResourcePool:     a.resourcePool,
		Folder:           a.folder,
		PowerState:       inventory.PowerState(a.powerState),
		GuestOS:          a.guestOS,
		IsTemplate:       a.isTemplate,
		Attributes:       cloneMap(a.attrs),
		TotalSamples:     total,
		SamplesPresent:   n,
		AvgIsPresent:     ratio(float64(n), total),
		SamplesPoweredOn: poweredOn,
		AvgPoweredOn:     ratio(float64(poweredOn), total),
	}
}

// lifecycleTimes applies the creation_time and deletion_time rules; key is
// the row's VM key (lifecycle rows are keyed alike).
func lifecycleTimes(vmID string, sampleCreation time.Time, win inventory.Window, lifecycles map[string]inventory.Lifecycle) (creation, deletion time.Time) {
	creation = sampleCreation
	if vmID != "" {
		if lc, ok := lifecycles[vmID]; ok {
			if !lc.CreationTime.IsZero() {
				creation = lc.CreationTime
			}
			if lc.Deleted && win.Contains(lc.LastSeen) {
				deletion = lc.DeletionTime
			}
		}
	}
	return utcOrZero(creation), utcOrZero(deletion)
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

func ratio(num float64, den int) float64 {
	if den == 0 {
		return 0
	}
	return num / float64(den)
}

func sortRollups[T any](rows []T, key func(*T) string) {
	sort.SliceStable(rows, func(i, j int) bool { return key(&rows[i]) < key(&rows[j]) })
}

// DailyInput describes one vCenter-day to aggregate.
type DailyInput struct {
	Vcenter string
	// Day is the day window in the configured location (inventory.DayOf).
	Day inventory.Window
	// SnapshotTimes are the registered complete snapshots of the vCenter;
	// those in Day count. If none is in Day, the distinct sample times are
	// used (§4 total_samples fallback).
	SnapshotTimes []time.Time
	Tiers         inventory.TierMap
	// Lifecycles are lifecycle rows by key; optional. Samples without a
	// vm_id resolve against them over the vCenter's history (SEMANTICS
	// §2): to the VM that carried their uuid (else name) most recently.
	Lifecycles map[string]inventory.Lifecycle
}

// DailyBuilder builds the daily rollup rows of one vCenter-day from its
// hourly samples, added in any order. It is not safe for concurrent use.
type DailyBuilder struct {
	in   DailyInput
	core *sampleCore
}

// NewDaily returns a builder for in.
func NewDaily(in DailyInput) *DailyBuilder {
	b := &DailyBuilder{in: in, core: newSampleCore(in.Vcenter, in.Day, in.SnapshotTimes, in.Tiers)}
	b.core.hist = histResolver(func() map[string]inventory.Lifecycle { return b.in.Lifecycles })
	return b
}

// Add accumulates one sample. Samples of another vCenter, outside the day,
// at an unregistered snapshot time (when snapshots are registered) or
// duplicating a VM's sample at the same time are ignored. s is not
// retained.
func (b *DailyBuilder) Add(s *inventory.Sample) { b.core.add(s) }

// Ignored returns the number of samples Add ignored.
func (b *DailyBuilder) Ignored() int { return b.core.ignored }

// TotalSamples returns the day's total_samples for the vCenter so far.
func (b *DailyBuilder) TotalSamples() int { return b.core.totalSamples() }

// Rows returns one row per VM present in the day, sorted by VMKey.
func (b *DailyBuilder) Rows() []inventory.DailyRollup {
	day := b.in.Day.Start.UTC()
	rows := make([]inventory.DailyRollup, 0, len(b.core.vms))
	for _, v := range b.core.vms {
		if v.n == 0 {
			continue
		}
		rows = append(rows, inventory.DailyRollup{Day: day, Rollup: b.core.rollup(v, b.in.Lifecycles)})
	}
	sortRollups(rows, func(r *inventory.DailyRollup) string { return r.VMKey })
	return rows
}
