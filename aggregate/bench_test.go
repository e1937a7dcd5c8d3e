package aggregate

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// benchFleet returns hours × vms samples of one vCenter ordered as a store
// scans them (snapshot_time, then vm_key), every string freshly allocated
// as a database driver returns it. About 1% of the VMs have no vm_id (they
// group by vm_uuid), the pool changes for 2% of the VMs half-way, and a VM
// is absent one hour in 50.
func benchFleet(vms, hours int, start time.Time, step time.Duration) ([]inventory.Sample, []time.Time) {
	pools := []string{"Resources/Tin", "Resources/Bronze", "Resources/Silver", "Resources/Gold", "Resources", "Resources/dev"}
	var out []inventory.Sample
	var snaps []time.Time
	for h := 0; h < hours; h++ {
		at := start.Add(time.Duration(h) * step)
		snaps = append(snaps, at)
		for i := 0; i < vms; i++ {
			if (i*7+h)%50 == 0 {
				continue
			}
			id := fmt.Sprintf("vm-%d", 100000+i)
			if i%100 == 0 {
				id = ""
			}
			pool := pools[i%len(pools)]
			if i%50 == 0 && h >= hours/2 {
				pool = pools[(i+1)%len(pools)]
			}
			state := inventory.PoweredOn
			if (i+h/6)%9 == 0 {
				state = inventory.PoweredOff
			}
			out = append(out, inventory.Sample{Vcenter: strings.Clone("vc1.example.com"), SnapshotTime: at,
				VMID: id, VMUUID: fmt.Sprintf("4210%04x-%04x-4a1b-9c2d-%012x", i>>16, i&0xffff, i), Name: fmt.Sprintf("app-%05d", i),
				Datacenter: strings.Clone("DC1"), Cluster: fmt.Sprintf("cluster-%d", i%4), Host: fmt.Sprintf("esx-%02d.example.com", i%64),
				ResourcePool: strings.Clone(pool), Folder: strings.Clone("vm/apps"), PowerState: inventory.PowerState(strings.Clone(string(state))),
				VCPUCount: 1 << (i % 4), RAMMB: int64(1024 << (i % 5)), ProvisionedDiskGB: float64(20 + i%500), UsedDiskGB: float64(12 + i%300),
				GuestOS: strings.Clone("rhel9_64Guest"), IPAddress: strings.Clone("10.1.2.3"), CreationTime: start.Add(-time.Duration(i) * time.Hour)})
		}
	}
	return out, snaps
}

var benchTiers = inventory.DefaultTierMap()

// BenchmarkDailyBuilder measures the daily builder alone: 15,000 VMs × 24
// hourly samples, as aggregate.Daily's Go mode feeds it.
func BenchmarkDailyBuilder(b *testing.B) {
	day := inventory.DayOf(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	samples, snaps := benchFleet(15000, 24, day.Start, time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		db := NewDaily(DailyInput{Vcenter: "vc1.example.com", Day: day, SnapshotTimes: snaps, Tiers: benchTiers})
		for i := range samples {
			db.Add(&samples[i])
		}
		if rows := db.Rows(); len(rows) != 15000 {
			b.Fatalf("%d rows", len(rows))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(samples)), "ns/sample")
}

// BenchmarkMonthlyBuilder measures the monthly builder alone: 15,000 VMs ×
// 30 daily rows.
func BenchmarkMonthlyBuilder(b *testing.B) {
	month := inventory.MonthOf(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	samples, _ := benchFleet(15000, 30, month.Start, 24*time.Hour)
	rows := make([]inventory.DailyRollup, len(samples))
	for i := range samples {
		s := &samples[i]
		rows[i] = inventory.DailyRollup{Day: s.SnapshotTime, Rollup: inventory.Rollup{Vcenter: s.Vcenter,
			VMKey: inventory.VMKey(s.VMID, s.VMUUID, s.Name), VMID: s.VMID, VMUUID: s.VMUUID, Name: s.Name,
			Datacenter: s.Datacenter, Cluster: s.Cluster, Host: s.Host, ResourcePool: s.ResourcePool, Folder: s.Folder,
			PowerState: s.PowerState, GuestOS: s.GuestOS, TotalSamples: 24, SamplesPresent: 23, AvgIsPresent: 23.0 / 24,
			SamplesPoweredOn: 20, AvgPoweredOn: 20.0 / 24, AvgVCPUCount: float64(s.VCPUCount), AvgRAMGB: float64(s.RAMMB) / 1024,
			AvgProvisionedDiskGB: s.ProvisionedDiskGB, AvgUsedDiskGB: s.UsedDiskGB, PoolSilverPct: 100,
			FirstSeen: s.SnapshotTime, LastSeen: s.SnapshotTime.Add(23 * time.Hour), CreationTime: s.CreationTime}}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		mb := NewMonthly(MonthlyInput{Vcenter: "vc1.example.com", Month: month})
		for i := range rows {
			mb.Add(&rows[i])
		}
		if out := mb.Rows(); len(out) != 15000 {
			b.Fatalf("%d rows", len(out))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(rows)), "ns/row")
}

// TestIDCacheMatchesResolve checks that idCache.resolve returns what
// Identities.Resolve returns, over random rows in group order (the
// predicted path), shuffled order (mispredictions), vm_ids coming back
// with another vm_uuid, rows without vm_id and duplicates.
func TestIDCacheMatchesResolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var want inventory.Identities
		var got inventory.Identities
		var c idCache
		n := 1 + rng.IntN(40)
		groups := 1 + rng.IntN(6)
		type row struct {
			grp            int
			id, uuid, name string
		}
		var rows []row
		for g := 0; g < groups; g++ {
			for i := 0; i < n; i++ {
				if rng.IntN(10) == 0 {
					continue // absent
				}
				r := row{grp: g, id: fmt.Sprintf("vm-%d", i), uuid: fmt.Sprintf("u-%d", i), name: fmt.Sprintf("n-%d", i%7)}
				switch rng.IntN(20) {
				case 0:
					r.id = ""
				case 1:
					r.uuid = fmt.Sprintf("u-%d", rng.IntN(n))
				case 2:
					r.id, r.uuid = "", ""
				case 3:
					r.uuid = ""
				}
				rows = append(rows, r)
				if rng.IntN(15) == 0 {
					rows = append(rows, r) // duplicate
				}
			}
		}
		if round%3 == 1 {
			rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
		}
		for i, r := range rows {
			// Fresh copies, as a driver returns them.
			id, uuid, name := strings.Clone(r.id), strings.Clone(r.uuid), strings.Clone(r.name)
			w := want.Resolve(id, uuid, name)
			if g := c.resolve(&got, r.grp, id, uuid, name); g != w {
				t.Fatalf("round %d row %d %+v: idCache.resolve = %d, Identities.Resolve = %d", round, i, r, g, w)
			}
		}
		if got.Len() != want.Len() {
			t.Fatalf("round %d: %d groups, want %d", round, got.Len(), want.Len())
		}
	}
}

// TestDayBits checks dayBits against a map, past the inline 64.
func TestDayBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var d dayBits
	m := map[int]bool{}
	for i := 0; i < 2000; i++ {
		x := rng.IntN(300)
		if got, want := d.add(x), !m[x]; got != want {
			t.Fatalf("add(%d) = %v, want %v", x, got, want)
		}
		m[x] = true
	}
}
