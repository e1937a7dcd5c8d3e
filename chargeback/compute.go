package chargeback

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Compute bills req from the daily rollups and the snapshot registry of
// src (any store.Store). It only reads. Errors are a *RequestError for an
// invalid request (nothing is read), a *CurrencyError when the cards
// pricing the bill have two currencies, a *RollupError for a stored row
// that cannot be billed, or the store's error, wrapped.
func Compute(ctx context.Context, src Source, req *Request) (*Bill, error) {
	r, err := validate(req)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, invalid("Source", "is nil")
	}
	b := &builder{r: r, p: newPricer(r.cards), days: r.window.Days(), cov: map[string]*coverage{},
		lines: map[string]*line{}, used: map[int64]bool{}, withMTD: r.period == PeriodMonth && r.window.Contains(r.now)}
	if err := b.readCoverage(ctx, src); err != nil {
		return nil, err
	}
	if err := b.readRollups(ctx, src); err != nil {
		return nil, err
	}
	var proj *Projection
	if b.withMTD {
		if proj, err = b.project(ctx); err != nil {
			return nil, err
		}
	}
	return b.bill(proj), nil
}

// builder accumulates one bill.
type builder struct {
	r     *request
	p     *pricer
	days  []inventory.Window
	cov   map[string]*coverage
	lines map[string]*line
	// first is the first card used: it sets the bill's currency.
	first        *card
	used         map[int64]bool
	partialRows  int
	withMTD      bool // month-to-date and projection apply
	projUnpriced int
}

// coverage is one vCenter's days.
type coverage struct {
	covered  map[int64]bool // day start (Unix seconds) with a daily record
	partial  map[int64]bool
	unbilled int
	// last is the last covered day at or before Now (zero when none, or
	// when the bill has no projection); lastRows its VM-days.
	last     time.Time
	lastRows []*vmDay
}

// line accumulates one group. Costs are linear in the quantities, so a
// line sums the quantities each card prices (per bucket) and multiplies
// them by the card's prices once, when the bill is made.
type line struct {
	key            []string
	priced         map[bucket]*[nq]decimal.Decimal
	unpricedQ      [nq]decimal.Decimal
	unpricedShares int
}

// bucket is the quantities of one line priced by one card, billed or
// projected.
type bucket struct {
	c    *card
	kind bucketKind
}

type bucketKind uint8

const (
	billed       bucketKind = iota // billed, not in the month to date
	billedToDate                   // billed, in the month to date
	projected                      // projected days, quantities × days
)

// totals are a line's figures.
type totals struct {
	q, unpricedQ             [nq]decimal.Decimal
	unpricedShares           int
	cost, toDate, projection decimal.Decimal
}

func (l *line) totals() totals {
	t := totals{unpricedQ: l.unpricedQ, unpricedShares: l.unpricedShares, q: l.unpricedQ}
	for k, q := range l.priced {
		cost := dot(*q, k.c.price)
		if k.kind == projected {
			t.projection = t.projection.Add(cost)
			continue
		}
		for i := range q {
			t.q[i] = t.q[i].Add(q[i])
		}
		t.cost = t.cost.Add(cost)
		if k.kind == billedToDate {
			t.toDate = t.toDate.Add(cost)
		}
	}
	return t
}

func (t *totals) add(o totals) {
	for i := range nq {
		t.q[i], t.unpricedQ[i] = t.q[i].Add(o.q[i]), t.unpricedQ[i].Add(o.unpricedQ[i])
	}
	t.unpricedShares += o.unpricedShares
	t.cost, t.toDate, t.projection = t.cost.Add(o.cost), t.toDate.Add(o.toDate), t.projection.Add(o.projection)
}

// vmDay is a billed daily rollup row.
type vmDay struct {
	vcenter, cluster string
	tags             map[string]string // attribute keys a card or By reads, when present
	q                [nq]decimal.Decimal
	shares           [nTiers]decimal.Decimal
	key              []string      // group values; "" in the tier column
	lines            [nTiers]*line // resolved lazily
}

func (b *builder) coverage(vc string) *coverage {
	c := b.cov[vc]
	if c == nil {
		c = &coverage{covered: map[int64]bool{}, partial: map[int64]bool{}}
		b.cov[vc] = c
	}
	return c
}

// scope returns the vCenters to read one by one ("" reads every vCenter at
// once).
func (b *builder) scope() []string {
	if b.r.vcenters == nil {
		return []string{""}
	}
	return b.r.vcenters
}

// dayStart returns the day start of a stored period start, refusing one
// that is not a day start in the bill's location.
func (b *builder) dayStart(vc string, t time.Time, what string) (time.Time, error) {
	d := inventory.DayOf(t, b.r.loc).Start
	if !d.Equal(t) {
		return time.Time{}, invalid("Location", "the %s of vCenter %q at %s is not a day start in %s: use the location the rollups were aggregated in",
			what, vc, t.UTC().Format(time.RFC3339), b.r.loc)
	}
	return d, nil
}

func (b *builder) readCoverage(ctx context.Context, src Source) error {
	for _, vc := range b.r.vcenters {
		b.coverage(vc)
	}
	for _, vc := range b.scope() {
		recs, err := src.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc, Kind: inventory.Daily,
			From: b.r.window.Start, To: b.r.window.End})
		if err != nil {
			return fmt.Errorf("chargeback: read the daily registry records: %w", err)
		}
		for _, rec := range recs {
			day, err := b.dayStart(rec.Vcenter, rec.SnapshotTime, "daily registry record")
			if err != nil {
				return err
			}
			c := b.coverage(rec.Vcenter)
			c.covered[day.Unix()] = true
			if rec.Partial {
				c.partial[day.Unix()] = true
			}
			if b.withMTD && !day.After(b.r.now) && day.After(c.last) {
				c.last = day
			}
		}
	}
	return nil
}

func (b *builder) readRollups(ctx context.Context, src Source) error {
	for _, vc := range b.scope() {
		err := src.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: vc, From: b.r.window.Start, To: b.r.window.End},
			func(row *inventory.DailyRollup) error { return b.row(row) })
		if err != nil {
			return fmt.Errorf("chargeback: read the daily rollups: %w", err)
		}
	}
	return nil
}

// row bills one daily rollup row.
func (b *builder) row(row *inventory.DailyRollup) error {
	day, err := b.dayStart(row.Vcenter, row.Day, "daily rollup")
	if err != nil {
		return err
	}
	c := b.coverage(row.Vcenter)
	if !c.covered[day.Unix()] {
		c.unbilled++
		return nil
	}
	if row.Partial {
		b.partialRows++
		c.partial[day.Unix()] = true
	}
	v, err := b.newVMDay(row, day)
	if err != nil {
		return err
	}
	if err := b.price(v, day, 1, false); err != nil {
		return err
	}
	if !c.last.IsZero() && day.Equal(c.last) {
		c.lastRows = append(c.lastRows, v)
	}
	return nil
}

// one and shareSlack: the tier shares of a VM-day may add up to one plus
// shareSlack (floating-point rounding of the stored percentages).
var (
	one        = decimal.NewFromInt(1)
	shareSlack = decimal.New(1, -9)
)

// newVMDay takes the billable figures of a row: each float64 becomes the
// decimal.NewFromFloat value (the shortest decimal that reads back as it).
func (b *builder) newVMDay(row *inventory.DailyRollup, day time.Time) (*vmDay, error) {
	bad := func(field, format string, args ...any) error {
		return &RollupError{Vcenter: row.Vcenter, Day: day, VMKey: row.VMKey, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	num := func(field string, f float64) (decimal.Decimal, error) {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			return decimal.Decimal{}, bad(field, "%v is not a finite number at or above 0", f)
		}
		if f == math.Trunc(f) && f < 1<<53 { // the same value, without formatting the float
			return decimal.NewFromInt(int64(f)), nil
		}
		return decimal.NewFromFloat(f), nil
	}
	v := &vmDay{vcenter: row.Vcenter, cluster: row.Cluster}
	present, err := num("avg_is_present", row.AvgIsPresent)
	if err != nil {
		return nil, err
	}
	for q, f := range []struct {
		field string
		v     float64
	}{{"avg_vcpu_count", row.AvgVCPUCount}, {"avg_ram_gb", row.AvgRAMGB},
		{"avg_provisioned_disk_gb", row.AvgProvisionedDiskGB}, {"avg_used_disk_gb", row.AvgUsedDiskGB}} {
		d, err := num(f.field, f.v)
		if err != nil {
			return nil, err
		}
		v.q[q] = d.Mul(present)
	}
	v.q[qVM] = present
	sum := decimal.Zero
	for t, f := range []struct {
		field string
		v     float64
	}{{"pool_tin_pct", row.PoolTinPct}, {"pool_bronze_pct", row.PoolBronzePct},
		{"pool_silver_pct", row.PoolSilverPct}, {"pool_gold_pct", row.PoolGoldPct}} {
		d, err := num(f.field, f.v)
		if err != nil {
			return nil, err
		}
		v.shares[t] = d.Shift(-2)
		sum = sum.Add(v.shares[t])
	}
	if sum.GreaterThan(one.Add(shareSlack)) {
		return nil, bad("pool_*_pct", "add up to %s%%, more than 100%%", sum.Shift(2))
	}
	v.shares[nTiers-1] = decimal.Max(decimal.Zero, one.Sub(sum))
	for _, k := range b.r.tagKeys {
		if val, ok := row.Attributes[k]; ok {
			if v.tags == nil {
				v.tags = map[string]string{}
			}
			v.tags[k] = val
		}
	}
	v.key = make([]string, len(b.r.by))
	for i, k := range b.r.by {
		switch k {
		case ByVcenter:
			v.key[i] = row.Vcenter
		case ByCluster:
			v.key[i] = row.Cluster
		case ByFolder:
			v.key[i] = row.Folder
		case ByVM:
			v.key[i] = row.Vcenter + "/" + row.VMKey
		case ByTier:
		default:
			v.key[i] = v.tags[k]
		}
	}
	return v, nil
}

// lineOf returns the line of v's share of tier t.
func (b *builder) lineOf(v *vmDay, t int) *line {
	if v.lines[t] != nil {
		return v.lines[t]
	}
	key := v.key
	if b.r.tierCol >= 0 {
		key = slices.Clone(v.key)
		key[b.r.tierCol] = tierName(t)
	}
	var s strings.Builder
	for _, k := range key {
		s.WriteString(strconv.Itoa(len(k)))
		s.WriteByte(':')
		s.WriteString(k)
	}
	l := b.lines[s.String()]
	if l == nil {
		l = &line{key: key, priced: map[bucket]*[nq]decimal.Decimal{}}
		b.lines[s.String()] = l
	}
	if b.r.tierCol < 0 {
		v.lines = [nTiers]*line{l, l, l, l, l}
	}
	v.lines[t] = l
	return l
}

// use records that c prices the bill, refusing a second currency.
func (b *builder) use(c *card) error {
	if b.first == nil {
		b.first = c
	} else if c.rc.Currency != b.first.rc.Currency {
		return &CurrencyError{First: b.first.rc, Other: c.rc}
	}
	b.used[c.rc.ID] = true
	return nil
}

// price adds v's shares priced on day: billed, or, when projected, days
// copies of them to the projection.
func (b *builder) price(v *vmDay, day time.Time, days int64, proj bool) error {
	cards := b.p.cardsFor(v, day)
	kind := billed
	switch {
	case proj:
		kind = projected
	case b.withMTD && !day.After(b.r.now):
		kind = billedToDate
	}
	for t, share := range v.shares {
		if share.IsZero() {
			continue
		}
		c, l := cards[t], b.lineOf(v, t)
		if c == nil && proj {
			b.projUnpriced += int(days)
			continue
		}
		if c != nil {
			if err := b.use(c); err != nil {
				return err
			}
		}
		var q *[nq]decimal.Decimal
		if c == nil {
			q = &l.unpricedQ
			l.unpricedShares++
		} else if q = l.priced[bucket{c, kind}]; q == nil {
			q = new([nq]decimal.Decimal)
			l.priced[bucket{c, kind}] = q
		}
		mult := share
		if days != 1 {
			mult = share.Mul(decimal.NewFromInt(days))
		}
		whole := mult.Equal(one)
		for i := range q {
			if whole {
				q[i] = q[i].Add(v.q[i])
			} else {
				q[i] = q[i].Add(mult.Mul(v.q[i]))
			}
		}
	}
	return nil
}

func dot(q, price [nq]decimal.Decimal) decimal.Decimal {
	sum := decimal.Zero
	for i := range q {
		sum = sum.Add(q[i].Mul(price[i]))
	}
	return sum
}

// project prices, per vCenter, the days after its last covered day up to
// the end of the month as copies of that day. Days are priced in runs over
// which the cards in effect cannot change.
func (b *builder) project(ctx context.Context) (*Projection, error) {
	proj := &Projection{Estimate: true}
	for _, vc := range slices.Sorted(maps.Keys(b.cov)) {
		c := b.cov[vc]
		if c.last.IsZero() {
			continue
		}
		var rest []time.Time
		for _, d := range b.days {
			if d.Start.After(c.last) {
				rest = append(rest, d.Start)
			}
		}
		proj.Basis = append(proj.Basis, ProjectionBasis{Vcenter: vc, LastCoveredDay: b.r.date(c.last), Rows: len(c.lastRows), ProjectedDays: len(rest)})
		changes := b.p.boundaries(c.last, b.r.window.End)
		for i := 0; i < len(rest); {
			j := i + 1
			for j < len(rest) && !changes[rest[j].Unix()] {
				j++
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for _, v := range c.lastRows {
				if err := b.price(v, rest[i], int64(j-i), true); err != nil {
					return nil, err
				}
			}
			i = j
		}
	}
	proj.UnpricedShares = b.projUnpriced
	if len(proj.Basis) == 0 {
		proj.Note = "zero: no day of the month up to now has a daily aggregation, so there is no day to project from"
	} else {
		proj.Note = "estimate: the month-to-date cost plus, for each vCenter, every day after its last covered day " +
			"up to the end of the month priced as a copy of that day, at the rate cards in effect on the projected day"
	}
	return proj, nil
}

func (b *builder) bill(proj *Projection) *Bill {
	out := &Bill{Period: b.r.period, Start: b.r.window.Start.UTC(), End: b.r.window.End.UTC(), Location: b.r.loc.String(),
		By: b.r.by, Lines: []Line{}, Coverage: []Coverage{}, PartialRows: b.partialRows, Projection: proj,
		CardsUsed: slices.Sorted(maps.Keys(b.used))}
	if out.By == nil {
		out.By = []string{}
	}
	if b.first != nil {
		out.Currency = b.first.rc.Currency
	}
	var total totals
	for _, l := range b.lines {
		t := l.totals()
		total.add(t)
		out.Lines = append(out.Lines, t.line(l.key, proj != nil))
	}
	slices.SortFunc(out.Lines, func(x, y Line) int { return slices.Compare(x.Key, y.Key) })
	out.Total = total.line([]string{}, proj != nil)
	if b.withMTD {
		out.MonthToDate = &MonthToDate{Now: b.r.now.UTC(), Cost: money(total.toDate)}
		proj.Cost = money(total.toDate.Add(total.projection))
	}
	out.Partial = b.r.now.Before(b.r.window.End) // the period has not ended
	for _, vc := range slices.Sorted(maps.Keys(b.cov)) {
		c := b.cov[vc]
		cv := Coverage{Vcenter: vc, DaysInPeriod: len(b.days), UncoveredDays: []string{}, PartialDays: []string{}, UnbilledRows: c.unbilled}
		for _, d := range b.days {
			switch {
			case !c.covered[d.Start.Unix()]:
				cv.UncoveredDays = append(cv.UncoveredDays, b.r.date(d.Start))
			case c.partial[d.Start.Unix()]:
				cv.CoveredDays++
				cv.PartialDays = append(cv.PartialDays, b.r.date(d.Start))
			default:
				cv.CoveredDays++
			}
		}
		out.Partial = out.Partial || cv.CoveredDays < cv.DaysInPeriod || len(cv.PartialDays) > 0
		out.Coverage = append(out.Coverage, cv)
	}
	return out
}

// line presents t as the line of key; with projected, with its share of
// the projection.
func (t *totals) line(key []string, projected bool) Line {
	quantities := func(q [nq]decimal.Decimal) Quantities {
		return Quantities{VCPUDays: q[qVCPU], RAMGBDays: q[qRAM], ProvisionedDiskGBDays: q[qProv], UsedDiskGBDays: q[qUsed], VMDays: q[qVM]}
	}
	out := Line{Key: key, Quantities: quantities(t.q), Cost: money(t.cost),
		Unpriced: Unpriced{Shares: t.unpricedShares, Quantities: quantities(t.unpricedQ)}}
	if projected {
		m := money(t.toDate.Add(t.projection))
		out.Projected = &m
	}
	return out
}
