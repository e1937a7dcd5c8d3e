package aggregate

import (
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// vmAcc is the running state of one VM over one window.
type vmAcc struct {
	present []uint64           // bitset of present snapshot times (sampleCore time indexes)
	days    map[int64]struct{} // present days (UnixNano of day start); hourly monthly only

	n, poweredOn     int
	sumVCPU, sumRAM  int64 // vcpu_count, ram_mb
	sumProv, sumUsed float64
	tier             [4]int

	latest    inventory.Sample // attributes of the latest present sample
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

// sampleCore accumulates hourly samples of one vCenter over one window.
type sampleCore struct {
	vcenter    string
	win        inventory.Window
	tiers      inventory.TierMap
	registered map[int64]int // registered time (UnixNano) -> index; nil: fall back to distinct sample times
	seen       map[int64]int // distinct accepted sample times (fallback) -> index
	ids        inventory.Identities
	// byID caches the group of a vm_id seen with a given vm_uuid: Resolve
	// returns the same group for the same (vm_id, vm_uuid) again and its
	// bookkeeping for them is already done, so one lookup replaces three.
	byID    map[string]idGroup
	tierC   map[string]int // resource pool -> tier index (-1: none)
	vms     []*vmAcc
	ignored int
	dayLoc  *time.Location // non-nil: track days present in this location
}

func newSampleCore(vcenter string, win inventory.Window, snaps []time.Time, tiers inventory.TierMap) *sampleCore {
	c := &sampleCore{vcenter: vcenter, win: win, tiers: tiers, seen: map[int64]int{}, byID: map[string]idGroup{}, tierC: map[string]int{}}
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

type idGroup struct {
	uuid string
	g    int
}

// resolve is c.ids.Resolve with a cache for samples carrying a vm_id.
func (c *sampleCore) resolve(s *inventory.Sample) int {
	if s.VMID != "" {
		if e, ok := c.byID[s.VMID]; ok && e.uuid == s.VMUUID {
			return e.g
		}
		g := c.ids.Resolve(s.VMID, s.VMUUID, s.Name)
		c.byID[s.VMID] = idGroup{uuid: s.VMUUID, g: g}
		return g
	}
	return c.ids.Resolve(s.VMID, s.VMUUID, s.Name)
}

// tier returns the tier index of a pool, cached per pool.
func (c *sampleCore) tier(pool string) int {
	if i, ok := c.tierC[pool]; ok {
		return i
	}
	i := tierIndex(c.tiers.Of(pool))
	c.tierC[pool] = i
	return i
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
	if c.registered != nil {
		i, ok := c.registered[k]
		if !ok {
			c.ignored++
			return
		}
		ti = i
	} else {
		i, ok := c.seen[k]
		if !ok {
			i = len(c.seen)
			c.seen[k] = i
		}
		ti = i
	}
	g := c.resolve(s)
	for len(c.vms) <= g {
		c.vms = append(c.vms, &vmAcc{})
	}
	v := c.vms[g]
	// Identity fields: from the latest sample that has one, duplicates
	// included.
	if s.VMID != "" && (!v.hasID || t.After(v.idT)) {
		v.id, v.idT, v.hasID = s.VMID, t, true
	}
	if s.VMUUID != "" && (!v.hasUUID || t.After(v.uuidT)) {
		v.uuid, v.uuidT, v.hasUUID = s.VMUUID, t, true
	}
	w, bit := ti/64, uint64(1)<<(ti%64)
	for len(v.present) <= w {
		v.present = append(v.present, 0)
	}
	if v.present[w]&bit != 0 {
		c.ignored++
		return
	}
	v.present[w] |= bit
	v.n++
	if s.PowerState == "poweredOn" {
		v.poweredOn++
	}
	v.sumVCPU += int64(s.VCPUCount)
	v.sumRAM += s.RAMMB
	v.sumProv += s.ProvisionedDiskGB
	v.sumUsed += s.UsedDiskGB
	if i := c.tier(s.ResourcePool); i >= 0 {
		v.tier[i]++
	}
	if !v.hasLatest || t.After(v.latest.SnapshotTime) {
		v.latest, v.hasLatest = *s, true
		v.latest.Attributes = nil
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
			v.days = map[int64]struct{}{}
		}
		v.days[inventory.DayOf(t, c.dayLoc).Start.UnixNano()] = struct{}{}
	}
}

func tierIndex(t inventory.Tier) int {
	for i, x := range inventory.Tiers {
		if t == x && t != inventory.TierNone {
			return i
		}
	}
	return -1
}

// rollup returns the figures of v (v.n > 0).
func (c *sampleCore) rollup(v *vmAcc, lifecycles map[string]inventory.Lifecycle) inventory.Rollup {
	total := c.totalSamples()
	l := &v.latest
	r := inventory.Rollup{
		Vcenter:              c.vcenter,
		VMID:                 v.id,
		VMUUID:               v.uuid,
		Name:                 l.Name,
		Datacenter:           l.Datacenter,
		Cluster:              l.Cluster,
		Host:                 l.Host,
		ResourcePool:         l.ResourcePool,
		Folder:               l.Folder,
		PowerState:           l.PowerState,
		GuestOS:              l.GuestOS,
		IsTemplate:           l.IsTemplate,
		TotalSamples:         total,
		SamplesPresent:       v.n,
		AvgIsPresent:         ratio(float64(v.n), total),
		SamplesPoweredOn:     v.poweredOn,
		AvgPoweredOn:         ratio(float64(v.poweredOn), total),
		AvgVCPUCount:         ratio(float64(v.sumVCPU), v.n),
		AvgRAMGB:             ratio(float64(v.sumRAM)/1024, v.n),
		AvgProvisionedDiskGB: ratio(v.sumProv, v.n),
		AvgUsedDiskGB:        ratio(v.sumUsed, v.n),
		PoolTinPct:           ratio(100*float64(v.tier[0]), v.n),
		PoolBronzePct:        ratio(100*float64(v.tier[1]), v.n),
		PoolSilverPct:        ratio(100*float64(v.tier[2]), v.n),
		PoolGoldPct:          ratio(100*float64(v.tier[3]), v.n),
		FirstSeen:            v.first.UTC(),
		LastSeen:             v.last.UTC(),
	}
	r.VMKey = inventory.VMKey(r.VMID, r.VMUUID, r.Name)
	r.CreationTime, r.DeletionTime = lifecycleTimes(r.VMID, v.creation, c.win, lifecycles)
	return r
}

// lifecycleTimes applies the creation_time and deletion_time rules.
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
	// Lifecycles are lifecycle rows by vm_id; optional.
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
	return &DailyBuilder{in: in, core: newSampleCore(in.Vcenter, in.Day, in.SnapshotTimes, in.Tiers)}
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
