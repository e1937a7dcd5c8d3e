package aggregate

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/google/go-cmp/cmp"
)

func dayRow(day time.Time, id, name string, total, present, on int, vcpu, ram float64, gold float64) inventory.DailyRollup {
	return inventory.DailyRollup{Day: day, Rollup: inventory.Rollup{
		Vcenter: vc, VMKey: id, VMID: id, Name: name, Host: "h-" + day.Format("0102"),
		TotalSamples: total, SamplesPresent: present, SamplesPoweredOn: on,
		AvgVCPUCount: vcpu, AvgRAMGB: ram, AvgProvisionedDiskGB: 10, AvgUsedDiskGB: 5, PoolGoldPct: gold,
		FirstSeen: day.Add(time.Hour), LastSeen: day.Add(time.Duration(present) * time.Hour),
	}}
}

func TestMonthly(t *testing.T) {
	mar := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mw := inventory.MonthOf(mar, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, time.UTC) }
	created := time.Date(2025, 5, 5, 0, 0, 0, 0, time.UTC)

	type tc struct {
		name      string
		in        MonthlyInput
		dayTotals map[time.Time]int
		rows      []inventory.DailyRollup
		want      []inventory.MonthlyRollup
		wantTotal int
	}
	var cases []tc

	// Month boundaries: days outside March ignored; absent days count in
	// total_samples; weighted means; latest attributes from last day.
	{
		totals := map[time.Time]int{}
		for d := 1; d <= 31; d++ {
			totals[day(d)] = 24
		}
		totals[day(0)] = 24  // Feb 28: ignored
		totals[day(32)] = 24 // Apr 1: ignored
		r1 := dayRow(day(1), "vm-1", "a", 24, 24, 24, 2, 4, 100)
		r1.CreationTime = created
		r31 := dayRow(day(31), "vm-1", "a2", 24, 12, 6, 4, 8, 0)
		feb := dayRow(day(0), "vm-1", "feb", 24, 24, 24, 99, 99, 0)
		apr := dayRow(day(32), "vm-1", "apr", 24, 24, 24, 99, 99, 0)
		w := inventory.MonthlyRollup{Month: mar, DaysPresent: 2, Rollup: inventory.Rollup{
			Vcenter: vc, VMKey: "vm-1", VMID: "vm-1", Name: "a2", Host: "h-0331",
			TotalSamples: 744, SamplesPresent: 36, AvgIsPresent: 36.0 / 744,
			SamplesPoweredOn: 30, AvgPoweredOn: 30.0 / 744,
			AvgVCPUCount: (2*24 + 4*12) / 36.0, AvgRAMGB: (4*24 + 8*12) / 36.0,
			AvgProvisionedDiskGB: 10, AvgUsedDiskGB: 5, PoolGoldPct: 100 * 24 / 36.0,
			FirstSeen: day(1).Add(time.Hour), LastSeen: day(31).Add(12 * time.Hour),
			CreationTime: created,
		}}
		cases = append(cases, tc{name: "month boundaries and absent days",
			in: MonthlyInput{Vcenter: vc, Month: mw}, dayTotals: totals,
			rows: []inventory.DailyRollup{r31, feb, r1, apr}, want: []inventory.MonthlyRollup{w}, wantTotal: 744})
	}

	// Day totals fall back to the rows' total_samples; an explicit total for
	// a day with no VM rows counts.
	{
		a := dayRow(day(2), "vm-a", "a", 20, 10, 0, 2, 4, 0)
		b := dayRow(day(3), "vm-b", "b", 22, 22, 0, 2, 4, 0)
		wa := inventory.MonthlyRollup{Month: mar, DaysPresent: 1, Rollup: inventory.Rollup{
			Vcenter: vc, VMKey: "vm-a", VMID: "vm-a", Name: "a", Host: "h-0302",
			TotalSamples: 20 + 22 + 5, SamplesPresent: 10, AvgIsPresent: 10.0 / 47,
			AvgVCPUCount: 2, AvgRAMGB: 4, AvgProvisionedDiskGB: 10, AvgUsedDiskGB: 5,
			FirstSeen: day(2).Add(time.Hour), LastSeen: day(2).Add(10 * time.Hour),
		}}
		wb := wa
		wb.VMKey, wb.VMID, wb.Name, wb.Host = "vm-b", "vm-b", "b", "h-0303"
		wb.SamplesPresent, wb.AvgIsPresent = 22, 22.0/47
		wb.FirstSeen, wb.LastSeen = day(3).Add(time.Hour), day(3).Add(22*time.Hour)
		cases = append(cases, tc{name: "day totals from rows plus empty day",
			in: MonthlyInput{Vcenter: vc, Month: mw}, dayTotals: map[time.Time]int{day(9): 5},
			rows: []inventory.DailyRollup{a, b}, want: []inventory.MonthlyRollup{wa, wb}, wantTotal: 47})
	}

	// Deletion: last_seen in month vs in next month.
	{
		a := dayRow(day(30), "vm-a", "a", 24, 24, 0, 2, 4, 0)
		b := dayRow(day(30), "vm-b", "b", 24, 24, 0, 2, 4, 0)
		lcs := map[string]inventory.Lifecycle{
			"vm-a": {VMID: "vm-a", LastSeen: day(30).Add(23 * time.Hour), Deleted: true, DeletionTime: day(31), CreationTime: created},
			"vm-b": {VMID: "vm-b", LastSeen: day(33), Deleted: true, DeletionTime: day(34)},
		}
		base := inventory.MonthlyRollup{Month: mar, DaysPresent: 1, Rollup: inventory.Rollup{
			Vcenter: vc, Host: "h-0330",
			TotalSamples: 24, SamplesPresent: 24, AvgIsPresent: 1,
			AvgVCPUCount: 2, AvgRAMGB: 4, AvgProvisionedDiskGB: 10, AvgUsedDiskGB: 5,
			FirstSeen: day(30).Add(time.Hour), LastSeen: day(30).Add(24 * time.Hour),
		}}
		wa, wb := base, base
		wa.VMKey, wa.VMID, wa.Name, wa.DeletionTime, wa.CreationTime = "vm-a", "vm-a", "a", day(31), created
		wb.VMKey, wb.VMID, wb.Name = "vm-b", "vm-b", "b"
		cases = append(cases, tc{name: "deletion in/out of month",
			in:   MonthlyInput{Vcenter: vc, Month: mw, Lifecycles: lcs},
			rows: []inventory.DailyRollup{b, a}, want: []inventory.MonthlyRollup{wa, wb}, wantTotal: 24})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewMonthly(c.in)
			for d, n := range c.dayTotals {
				b.AddDayTotal(d, n)
			}
			for i := range c.rows {
				b.Add(&c.rows[i])
			}
			if diff := cmp.Diff(c.want, b.Rows(), floatTol()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if b.TotalSamples() != c.wantTotal {
				t.Errorf("TotalSamples = %d, want %d", b.TotalSamples(), c.wantTotal)
			}
		})
	}
}

// TestMonthlyFromDailyEqualsHourly: the scheduled path (hourly → daily →
// monthly) and the hourly granularity agree to 1e-9 relative error.
func TestMonthlyFromDailyEqualsHourly(t *testing.T) {
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	for seed := int64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			loc := time.UTC
			if seed%2 == 0 {
				loc = nyc // March 2026 has the DST change
			}
			mw := inventory.MonthOf(time.Date(2026, 3, 15, 0, 0, 0, 0, loc), loc)
			tiers := inventory.DefaultTierMap()
			pools := []string{"/R/Tin", "/R/bronze", "/R/SILVER", "/R/Gold", "/R/other", ""}
			var snaps []time.Time
			var samples []*inventory.Sample
			nVM := 1 + rng.Intn(8)
			lcs := map[string]inventory.Lifecycle{}
			for v := 0; v < nVM; v++ {
				if rng.Intn(2) == 0 {
					id := fmt.Sprintf("vm-%d", v)
					lcs[id] = inventory.Lifecycle{VMID: id, Deleted: rng.Intn(2) == 0,
						LastSeen:     mw.Start.Add(time.Duration(rng.Intn(40*24)) * time.Hour),
						DeletionTime: mw.Start.Add(time.Duration(rng.Intn(40*24)) * time.Hour),
						CreationTime: time.Date(2020, 1, 1+rng.Intn(300), 0, 0, 0, 0, time.UTC)}
				}
			}
			// Snapshots: hourly over the month (plus some outside it);
			// ~10% are not registered (incomplete).
			for tm := mw.Start.Add(-3 * time.Hour); tm.Before(mw.End.Add(3 * time.Hour)); tm = tm.Add(time.Hour) {
				if rng.Intn(10) > 0 {
					snaps = append(snaps, tm)
				}
				for v := 0; v < nVM; v++ {
					if rng.Intn(3) == 0 {
						continue
					}
					id, uuid := fmt.Sprintf("vm-%d", v), fmt.Sprintf("u-%d", v)
					if v == 0 {
						id, uuid = "", "" // name-only VM
					}
					if rng.Intn(4) == 0 {
						uuid = ""
					}
					s := smp(tm, id, uuid, fmt.Sprintf("n%d", v), func(s *inventory.Sample) {
						s.VCPUCount = 1 + rng.Intn(16)
						s.RAMMB = int64(512 * (1 + rng.Intn(64)))
						s.ProvisionedDiskGB = rng.Float64() * 1000
						s.UsedDiskGB = rng.Float64() * 500
						s.ResourcePool = pools[rng.Intn(len(pools))]
						s.Host = fmt.Sprintf("h%d", rng.Intn(3))
						if rng.Intn(2) == 0 {
							s.PowerState = "poweredOn"
						}
						if rng.Intn(20) == 0 {
							s.CreationTime = time.Date(2021, 1, 1+rng.Intn(300), 0, 0, 0, 0, time.UTC)
						}
					})
					samples = append(samples, s)
				}
			}
			if seed%5 == 0 {
				snaps = nil // fallback to distinct sample times
			}
			rng.Shuffle(len(samples), func(i, j int) { samples[i], samples[j] = samples[j], samples[i] })

			m := NewMonthly(MonthlyInput{Vcenter: vc, Month: mw, Lifecycles: lcs})
			for _, dw := range mw.Days() {
				db := NewDaily(DailyInput{Vcenter: vc, Day: dw, SnapshotTimes: snaps, Tiers: tiers, Lifecycles: lcs})
				for _, s := range samples {
					db.Add(s)
				}
				m.AddDayTotal(dw.Start, db.TotalSamples())
				rows := db.Rows()
				for i := range rows {
					m.Add(&rows[i])
				}
			}
			h := NewMonthlyFromHourly(MonthlyHourlyInput{Vcenter: vc, Month: mw, SnapshotTimes: snaps, Tiers: tiers, Lifecycles: lcs})
			for _, s := range samples {
				h.Add(s)
			}
			want := h.Rows()
			if len(want) == 0 {
				t.Fatal("no rows")
			}
			if diff := cmp.Diff(want, m.Rows(), floatTol()); diff != "" {
				t.Errorf("monthly from daily differs from hourly (-hourly +daily):\n%s", diff)
			}
		})
	}
}

// TestMonthlyFromHourlyByHand checks the hourly path against hand-computed
// figures, including days present across a month boundary in New York.
func TestMonthlyFromHourlyByHand(t *testing.T) {
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	mw := inventory.MonthOf(time.Date(2026, 3, 1, 0, 0, 0, 0, nyc), nyc)
	// 2026-03-01 00:00 EST = 05:00Z; 2026-04-01 00:00 EDT = 04:00Z.
	s1 := smp(time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), "vm-1", "u1", "a", on)
	s2 := smp(time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC), "vm-1", "u1", "a") // Feb 28 NY: ignored
	s3 := smp(time.Date(2026, 4, 1, 3, 0, 0, 0, time.UTC), "vm-1", "", "b")   // Mar 31 23:00 EDT
	s3.VCPUCount, s3.RAMMB, s3.ResourcePool = 4, 2048, goldRP
	s4 := smp(time.Date(2026, 4, 1, 4, 0, 0, 0, time.UTC), "vm-1", "u1", "c") // Apr 1: ignored
	h := NewMonthlyFromHourly(MonthlyHourlyInput{Vcenter: vc, Month: mw, Tiers: inventory.DefaultTierMap()})
	for _, s := range []*inventory.Sample{s4, s3, s2, s1} {
		h.Add(s)
	}
	want := []inventory.MonthlyRollup{{Month: time.Date(2026, 3, 1, 5, 0, 0, 0, time.UTC), DaysPresent: 2, Rollup: inventory.Rollup{
		Vcenter: vc, VMKey: "vm-1", VMID: "vm-1", VMUUID: "u1", Name: "b",
		Datacenter: "DC", Cluster: "C1", Host: "h1", ResourcePool: goldRP, Folder: "/vm",
		PowerState: "poweredOff", GuestOS: "linux",
		TotalSamples: 2, SamplesPresent: 2, AvgIsPresent: 1, SamplesPoweredOn: 1, AvgPoweredOn: 0.5,
		AvgVCPUCount: 3, AvgRAMGB: 3, AvgProvisionedDiskGB: 100, AvgUsedDiskGB: 40, PoolGoldPct: 50,
		FirstSeen: s1.SnapshotTime, LastSeen: s3.SnapshotTime,
	}}}
	if diff := cmp.Diff(want, h.Rows(), floatTol()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if h.Ignored() != 2 {
		t.Errorf("Ignored = %d, want 2", h.Ignored())
	}
}
