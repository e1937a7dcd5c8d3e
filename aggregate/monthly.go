package aggregate

import (
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
)

// MonthlyInput describes one vCenter-month to aggregate from daily rows.
type MonthlyInput struct {
	Vcenter string
	// Month is the month window in the configured location
	// (inventory.MonthOf).
	Month inventory.Window
	// Lifecycles are lifecycle rows by vm_id; optional.
	Lifecycles map[string]inventory.Lifecycle
}

type monthAcc struct {
	n, poweredOn int
	days         dayBits // present days (MonthlyBuilder day indexes)
	nDays        int
	// Σ value_d × samples_present_d
	wVCPU, wRAM, wProv, wUsed float64
	wTier                     [4]float64
	// Σ value_d × avg_is_present_d: the billable figures (§5)
	bill [4]float64

	latest    sampleAttrs // attributes of the last day present
	hasLatest bool
	id, uuid  string
	idDay     time.Time
	uuidDay   time.Time
	hasID     bool
	hasUUID   bool
	first     time.Time
	last      time.Time
	creation  time.Time
}

// dayBits is a set of small indexes: the first 64 inline.
type dayBits struct {
	lo   uint64
	more []uint64
}

// add adds i and reports whether it was absent.
func (d *dayBits) add(i int) bool {
	if i < 64 {
		bit := uint64(1) << i
		if d.lo&bit != 0 {
			return false
		}
		d.lo |= bit
		return true
	}
	w, bit := i/64-1, uint64(1)<<(i%64)
	for len(d.more) <= w {
		d.more = append(d.more, 0)
	}
	if d.more[w]&bit != 0 {
		return false
	}
	d.more[w] |= bit
	return true
}

// MonthlyBuilder builds monthly rollup rows from daily rollup rows (§5,
// scheduled path). It is not safe for concurrent use.
type MonthlyBuilder struct {
	in       MonthlyInput
	explicit map[int64]int // AddDayTotal
	// Days of the daily rows: index by UnixNano, UnixNano by index, the
	// largest TotalSamples of the day's rows by index; lastDK and lastDI
	// cache the last day's index (rows come grouped by day).
	dayIdx   map[int64]int
	dayKeys  []int64
	fromRows []int
	lastDK   int64
	lastDI   int
	hasLast  bool
	ids      inventory.Identities
	idc      idCache
	vms      []*monthAcc
	slab     []monthAcc // allocated, unused accumulators
	ignored  int
	hist     func() *lifecycle.Resolver // see sampleCore.hist
}

// NewMonthly returns a builder for in.
func NewMonthly(in MonthlyInput) *MonthlyBuilder {
	b := &MonthlyBuilder{in: in, explicit: map[int64]int{}, dayIdx: map[int64]int{}}
	b.hist = histResolver(func() map[string]inventory.Lifecycle { return b.in.Lifecycles })
	return b
}

// AddDayTotal records total_samples of the vCenter for the day starting at
// day (any location; the instant must be a day start inside the month).
// Call it for every day of the month that has registered snapshots, in
// particular days on which no VM, or not every VM, was present. A later
// call for the same day replaces the earlier one. Days outside the month
// are ignored.
func (b *MonthlyBuilder) AddDayTotal(day time.Time, totalSamples int) {
	if !b.in.Month.Contains(day) {
		b.ignored++
		return
	}
	b.explicit[day.UnixNano()] = totalSamples
}

// Add accumulates one daily row. Rows of another vCenter, with a day
// outside the month or with no present sample are ignored. d is not
// retained.
func (b *MonthlyBuilder) Add(d *inventory.DailyRollup) {
	if d == nil || d.Vcenter != b.in.Vcenter || !b.in.Month.Contains(d.Day) || d.SamplesPresent <= 0 {
		b.ignored++
		return
	}
	dk := d.Day.UnixNano()
	var di int
	if b.hasLast && dk == b.lastDK {
		di = b.lastDI
	} else {
		i, ok := b.dayIdx[dk]
		if !ok {
			i = len(b.dayKeys)
			b.dayIdx[dk] = i
			b.dayKeys = append(b.dayKeys, dk)
			b.fromRows = append(b.fromRows, d.TotalSamples)
		}
		di = i
		b.lastDK, b.lastDI, b.hasLast = dk, i, true
	}
	if d.TotalSamples > b.fromRows[di] {
		b.fromRows[di] = d.TotalSamples
	}
	vmID := d.VMID
	if vmID == "" {
		vmID = historyID(b.hist, d.VMUUID, d.Name)
	}
	g := b.idc.resolve(&b.ids, di, vmID, d.VMUUID, d.Name)
	for len(b.vms) <= g {
		if len(b.slab) == 0 {
			b.slab = make([]monthAcc, accSlab)
		}
		b.vms = append(b.vms, &b.slab[0])
		b.slab = b.slab[1:]
	}
	v := b.vms[g]
	if d.VMID != "" && (!v.hasID || d.Day.After(v.idDay)) {
		v.id, v.idDay, v.hasID = d.VMID, d.Day, true
	} else if vmID != "" && !v.hasID {
		v.id = vmID // resolved over history; a row's own vm_id wins
	}
	if d.VMUUID != "" && (!v.hasUUID || d.Day.After(v.uuidDay)) {
		v.uuid, v.uuidDay, v.hasUUID = d.VMUUID, d.Day, true
	}
	if !v.days.add(di) {
		b.ignored++
		return
	}
	v.nDays++
	sp := float64(d.SamplesPresent)
	v.n += d.SamplesPresent
	v.poweredOn += d.SamplesPoweredOn
	v.wVCPU += d.AvgVCPUCount * sp
	v.wRAM += d.AvgRAMGB * sp
	v.wProv += d.AvgProvisionedDiskGB * sp
	v.wUsed += d.AvgUsedDiskGB * sp
	v.wTier[0] += d.PoolTinPct * sp
	v.wTier[1] += d.PoolBronzePct * sp
	v.wTier[2] += d.PoolSilverPct * sp
	v.wTier[3] += d.PoolGoldPct * sp
	v.bill[0] += d.AvgVCPUCount * d.AvgIsPresent
	v.bill[1] += d.AvgRAMGB * d.AvgIsPresent
	v.bill[2] += d.AvgProvisionedDiskGB * d.AvgIsPresent
	v.bill[3] += d.AvgUsedDiskGB * d.AvgIsPresent
	if !v.hasLatest || d.Day.After(v.latest.at) {
		v.latest.setRollup(d.Day, &d.Rollup)
		v.hasLatest = true
	}
	if !d.FirstSeen.IsZero() && (v.first.IsZero() || d.FirstSeen.Before(v.first)) {
		v.first = d.FirstSeen
	}
	if !d.LastSeen.IsZero() && (v.last.IsZero() || d.LastSeen.After(v.last)) {
		v.last = d.LastSeen
	}
	if !d.CreationTime.IsZero() && (v.creation.IsZero() || d.CreationTime.Before(v.creation)) {
		v.creation = d.CreationTime
	}
}

// Ignored returns the number of rows and day totals that were ignored.
func (b *MonthlyBuilder) Ignored() int { return b.ignored }

// CoverageDays returns the number of days of the month with at least one
// complete snapshot of the vCenter (a day total above zero).
func (b *MonthlyBuilder) CoverageDays() int {
	n := 0
	for _, t := range b.explicit {
		if t > 0 {
			n++
		}
	}
	for i, t := range b.fromRows {
		if _, ok := b.explicit[b.dayKeys[i]]; !ok && t > 0 {
			n++
		}
	}
	return n
}

// setCoverage stamps every row with its month's coverage.
func setCoverage(rows []inventory.MonthlyRollup, coverage, daysInMonth int) {
	for i := range rows {
		rows[i].CoverageDays, rows[i].DaysInMonth = coverage, daysInMonth
	}
}

// TotalSamples returns the month's total_samples for the vCenter: Σ over
// the days of the month of the day's total_samples.
func (b *MonthlyBuilder) TotalSamples() int {
	t := 0
	for _, n := range b.explicit {
		t += n
	}
	for i, n := range b.fromRows {
		if _, ok := b.explicit[b.dayKeys[i]]; !ok {
			t += n
		}
	}
	return t
}

// Rows returns one row per VM present in the month, sorted by VMKey.
func (b *MonthlyBuilder) Rows() []inventory.MonthlyRollup {
	total := b.TotalSamples()
	month := b.in.Month.Start.UTC()
	rows := make([]inventory.MonthlyRollup, 0, len(b.vms))
	for _, v := range b.vms {
		if v.n == 0 {
			continue
		}
		r := v.latest.rollup(b.in.Vcenter, v.id, v.uuid, total, v.n, v.poweredOn)
		r.AvgVCPUCount = ratio(v.wVCPU, v.n)
		r.AvgRAMGB = ratio(v.wRAM, v.n)
		r.AvgProvisionedDiskGB = ratio(v.wProv, v.n)
		r.AvgUsedDiskGB = ratio(v.wUsed, v.n)
		r.PoolTinPct = ratio(v.wTier[0], v.n)
		r.PoolBronzePct = ratio(v.wTier[1], v.n)
		r.PoolSilverPct = ratio(v.wTier[2], v.n)
		r.PoolGoldPct = ratio(v.wTier[3], v.n)
		r.FirstSeen, r.LastSeen = utcOrZero(v.first), utcOrZero(v.last)
		r.CreationTime, r.DeletionTime = lifecycleTimes(r.VMKey, v.creation, b.in.Month, b.in.Lifecycles)
		rows = append(rows, inventory.MonthlyRollup{Month: month, DaysPresent: v.nDays, Rollup: r,
			VCPUDays: v.bill[0], RAMGBDays: v.bill[1], ProvisionedDiskGBDays: v.bill[2], UsedDiskGBDays: v.bill[3]})
	}
	setCoverage(rows, b.CoverageDays(), len(b.in.Month.Days()))
	sortRollups(rows, func(r *inventory.MonthlyRollup) string { return r.VMKey })
	return rows
}

// MonthlyHourlyInput describes one vCenter-month to aggregate straight from
// hourly samples (§5 `hourly` granularity).
type MonthlyHourlyInput struct {
	Vcenter string
	// Month is the month window in the configured location; days present
	// are counted in Month.Start's location.
	Month inventory.Window
	// SnapshotTimes are the registered complete snapshots; those in Month
	// count. If none is in Month, the distinct sample times are used.
	SnapshotTimes []time.Time
	Tiers         inventory.TierMap
	Lifecycles    map[string]inventory.Lifecycle
}

// MonthlyHourlyBuilder builds monthly rows straight from hourly samples.
type MonthlyHourlyBuilder struct {
	in   MonthlyHourlyInput
	core *sampleCore
}

// NewMonthlyFromHourly returns a builder for in.
func NewMonthlyFromHourly(in MonthlyHourlyInput) *MonthlyHourlyBuilder {
	c := newSampleCore(in.Vcenter, in.Month, in.SnapshotTimes, in.Tiers)
	c.dayLoc = in.Month.Start.Location()
	b := &MonthlyHourlyBuilder{in: in, core: c}
	c.hist = histResolver(func() map[string]inventory.Lifecycle { return b.in.Lifecycles })
	return b
}

// Add accumulates one sample, with the same rules as (*DailyBuilder).Add
// over the month.
func (b *MonthlyHourlyBuilder) Add(s *inventory.Sample) { b.core.add(s) }

// Ignored returns the number of samples Add ignored.
func (b *MonthlyHourlyBuilder) Ignored() int { return b.core.ignored }

// Rows returns one row per VM present in the month, sorted by VMKey.
func (b *MonthlyHourlyBuilder) Rows() []inventory.MonthlyRollup {
	month := b.in.Month.Start.UTC()
	dayTotals := b.core.dayTotals()
	rows := make([]inventory.MonthlyRollup, 0, len(b.core.vms))
	for _, v := range b.core.vms {
		if v.n == 0 {
			continue
		}
		r := inventory.MonthlyRollup{Month: month, DaysPresent: len(v.days), Rollup: b.core.rollup(v, b.in.Lifecycles)}
		// Billable figures: Σ over days of the day's sums over its total
		// samples (each day's average × avg_is_present).
		for d, s := range v.days {
			if t := dayTotals[d]; t > 0 {
				r.VCPUDays += s[0] / float64(t)
				r.RAMGBDays += s[1] / 1024 / float64(t)
				r.ProvisionedDiskGBDays += s[2] / float64(t)
				r.UsedDiskGBDays += s[3] / float64(t)
			}
		}
		rows = append(rows, r)
	}
	setCoverage(rows, len(dayTotals), len(b.in.Month.Days()))
	sortRollups(rows, func(r *inventory.MonthlyRollup) string { return r.VMKey })
	return rows
}

// TotalSamples returns the month's total_samples for the vCenter so far.
func (b *MonthlyHourlyBuilder) TotalSamples() int { return b.core.totalSamples() }
