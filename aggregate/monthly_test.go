package aggregate

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
)

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
						// Tags change during the day, some hours none
						// (drawn without rng: the history is unchanged).
						if (tm.Hour()+v)%4 != 0 {
							s.Attributes = map[string]string{"tag:env": fmt.Sprint("e", (tm.Hour()/6+v)%3), "owner": fmt.Sprint("t", v)}
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
	},
		// Billable: the sums of the two days' figures, each day one
		// snapshot: 2 + 4 vCPU-days, 4 + 2 RAM GB-days, 100 + 100 and
		// 40 + 40 disk GB-days; 2 of March's 31 days observed.
		VCPUDays: 6, RAMGBDays: 6, ProvisionedDiskGBDays: 200, UsedDiskGBDays: 80, CoverageDays: 2, DaysInMonth: 31,
	}}
	if diff := cmp.Diff(want, h.Rows(), floatTol()); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if h.Ignored() != 2 {
		t.Errorf("Ignored = %d, want 2", h.Ignored())
	}
}
