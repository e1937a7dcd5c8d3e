package aggregate

import (
	"math"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/google/go-cmp/cmp"
)

const vc = "vc1"

var (
	d0      = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	dayWin  = inventory.DayOf(d0, time.UTC)
	goldRP  = "/DC/host/C1/Resources/Gold"
	silvRP  = "/DC/host/C1/Resources/silver" // case-insensitive
	otherRP = "/DC/host/C1/Resources/Other"
)

func hr(h int) time.Time { return d0.Add(time.Duration(h) * time.Hour) }

func hours(from, to int) []time.Time { // [from, to)
	var out []time.Time
	for h := from; h < to; h++ {
		out = append(out, hr(h))
	}
	return out
}

// smp is a sample with defaults; mods adjust it.
func smp(t time.Time, id, uuid, name string, mods ...func(*inventory.Sample)) *inventory.Sample {
	s := &inventory.Sample{
		Vcenter: vc, SnapshotTime: t, VMID: id, VMUUID: uuid, Name: name,
		Datacenter: "DC", Cluster: "C1", Host: "h1", ResourcePool: otherRP, Folder: "/vm",
		PowerState: "poweredOff", GuestOS: "linux", VCPUCount: 2, RAMMB: 4096,
		ProvisionedDiskGB: 100, UsedDiskGB: 40,
	}
	for _, m := range mods {
		m(s)
	}
	return s
}

func on(s *inventory.Sample) { s.PowerState = "poweredOn" }

// base returns the expected row of a VM with smp defaults.
func base(key, id, uuid, name string) inventory.DailyRollup {
	return inventory.DailyRollup{Day: d0, Rollup: inventory.Rollup{
		Vcenter: vc, VMKey: key, VMID: id, VMUUID: uuid, Name: name,
		Datacenter: "DC", Cluster: "C1", Host: "h1", ResourcePool: otherRP, Folder: "/vm",
		PowerState: "poweredOff", GuestOS: "linux",
		AvgVCPUCount: 2, AvgRAMGB: 4, AvgProvisionedDiskGB: 100, AvgUsedDiskGB: 40,
	}}
}

func TestDaily(t *testing.T) {
	created1 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	created2 := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	lcCreated := time.Date(2023, 2, 3, 4, 5, 6, 0, time.UTC)
	nyc, _ := time.LoadLocation("America/New_York")

	type tc struct {
		name        string
		in          DailyInput
		samples     []*inventory.Sample
		want        []inventory.DailyRollup
		wantTotal   int
		wantIgnored int
	}
	var cases []tc

	// Partial-day presence, pool changes, vCPU/RAM changes, rename, latest
	// attributes, creation from samples, uuid from latest sample having one.
	{
		var ss []*inventory.Sample
		for h := 0; h < 6; h++ {
			h := h
			ss = append(ss, smp(hr(h), "vm-1", "u1", "web-01", func(s *inventory.Sample) {
				if h < 4 {
					s.PowerState = "poweredOn"
				}
				if h >= 3 {
					s.VCPUCount, s.RAMMB = 4, 8192
				}
				switch {
				case h < 2:
					s.ResourcePool = goldRP
				case h < 5:
					s.ResourcePool = silvRP
				}
				if h == 3 {
					s.CreationTime = created1
				}
				if h == 4 {
					s.CreationTime = created2
				}
				if h == 5 {
					s.VMUUID = ""
					s.Name = "web-01b"
					s.Host = "h2"
				}
			}))
		}
		w := base("vm-1", "vm-1", "u1", "web-01b")
		w.Host = "h2"
		w.TotalSamples, w.SamplesPresent, w.AvgIsPresent = 24, 6, 0.25
		w.SamplesPoweredOn, w.AvgPoweredOn = 4, 4.0/24
		w.PowerState = "poweredOff"
		w.AvgVCPUCount = (2 + 2 + 2 + 4 + 4 + 4) / 6.0 // 3
		w.AvgRAMGB = (4 + 4 + 4 + 8 + 8 + 8) / 6.0     // 6
		w.PoolGoldPct = 100 * 2 / 6.0
		w.PoolSilverPct = 100 * 3 / 6.0
		w.FirstSeen, w.LastSeen = hr(0), hr(5)
		w.CreationTime = created2
		cases = append(cases, tc{name: "partial day, pool/vcpu/ram changes",
			in:      DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: hours(0, 24), Tiers: inventory.DefaultTierMap()},
			samples: ss, want: []inventory.DailyRollup{w}, wantTotal: 24})
	}

	// Creation: none anywhere; lifecycle row without creation falls back to
	// samples; lifecycle creation wins over samples.
	{
		ss := []*inventory.Sample{
			smp(hr(0), "vm-a", "", "a"),
			smp(hr(0), "vm-b", "", "b", func(s *inventory.Sample) { s.CreationTime = created1 }),
			smp(hr(0), "vm-c", "", "c", func(s *inventory.Sample) { s.CreationTime = created1 }),
		}
		lcs := map[string]inventory.Lifecycle{
			"vm-b": {VMID: "vm-b", LastSeen: hr(0)},
			"vm-c": {VMID: "vm-c", CreationTime: lcCreated, LastSeen: hr(0)},
		}
		a, b, c := base("vm-a", "vm-a", "", "a"), base("vm-b", "vm-b", "", "b"), base("vm-c", "vm-c", "", "c")
		for _, r := range []*inventory.DailyRollup{&a, &b, &c} {
			r.TotalSamples, r.SamplesPresent, r.AvgIsPresent = 2, 1, 0.5
			r.FirstSeen, r.LastSeen = hr(0), hr(0)
		}
		b.CreationTime = created1
		c.CreationTime = lcCreated
		cases = append(cases, tc{name: "creation times",
			in:      DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: hours(0, 2), Lifecycles: lcs},
			samples: ss, want: []inventory.DailyRollup{a, b, c}, wantTotal: 2})
	}

	// Deletion: in-window last_seen; last_seen next day; not deleted.
	{
		del := hr(3)
		ss := []*inventory.Sample{
			smp(hr(2), "vm-d", "", "d"),
			smp(hr(2), "vm-e", "", "e"),
			smp(hr(2), "vm-f", "", "f"),
		}
		lcs := map[string]inventory.Lifecycle{
			"vm-d": {VMID: "vm-d", LastSeen: hr(2), Deleted: true, DeletionTime: del},
			"vm-e": {VMID: "vm-e", LastSeen: hr(24), Deleted: true, DeletionTime: hr(25)},
			"vm-f": {VMID: "vm-f", LastSeen: hr(2), Deleted: false},
		}
		d, e, f := base("vm-d", "vm-d", "", "d"), base("vm-e", "vm-e", "", "e"), base("vm-f", "vm-f", "", "f")
		for _, r := range []*inventory.DailyRollup{&d, &e, &f} {
			r.TotalSamples, r.SamplesPresent, r.AvgIsPresent = 4, 1, 0.25
			r.FirstSeen, r.LastSeen = hr(2), hr(2)
		}
		d.DeletionTime = del
		cases = append(cases, tc{name: "deletion in/out of window",
			in:      DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: hours(0, 4), Lifecycles: lcs},
			samples: ss, want: []inventory.DailyRollup{d, e, f}, wantTotal: 4})
	}

	// Identity: by vm_id (uuid-only sample joins by uuid), uuid-only VM
	// gaining a moref, uuid-only VM, name-only VM.
	{
		ss := []*inventory.Sample{
			smp(hr(0), "vm-1", "u1", "one"),
			smp(hr(1), "", "u1", "one"),
			smp(hr(0), "", "u5", "five"),
			smp(hr(1), "vm-5", "u5", "five"),
			smp(hr(0), "", "u9", "nine"),
			smp(hr(0), "", "", "x"),
			smp(hr(1), "", "", "x"),
		}
		one, five, nine, x := base("vm-1", "vm-1", "u1", "one"), base("vm-5", "vm-5", "u5", "five"),
			base("uuid:u9", "", "u9", "nine"), base("name:x", "", "", "x")
		for _, r := range []*inventory.DailyRollup{&one, &five, &x} {
			r.TotalSamples, r.SamplesPresent, r.AvgIsPresent = 2, 2, 1
			r.FirstSeen, r.LastSeen = hr(0), hr(1)
		}
		nine.TotalSamples, nine.SamplesPresent, nine.AvgIsPresent = 2, 1, 0.5
		nine.FirstSeen, nine.LastSeen = hr(0), hr(0)
		cases = append(cases, tc{name: "identity",
			in:      DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: hours(0, 2)},
			samples: ss, want: []inventory.DailyRollup{x, nine, one, five}, wantTotal: 2})
		// Sorted by VMKey: "name:x" < "uuid:u9" < "vm-1" < "vm-5".
	}

	// A registered snapshot with no VMs counts in total_samples.
	{
		w := base("vm-1", "vm-1", "", "a")
		w.TotalSamples, w.SamplesPresent, w.AvgIsPresent = 3, 2, 2.0/3
		w.FirstSeen, w.LastSeen = hr(0), hr(1)
		cases = append(cases, tc{name: "empty registered snapshot",
			in:      DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: hours(0, 3)},
			samples: []*inventory.Sample{smp(hr(0), "vm-1", "", "a"), smp(hr(1), "vm-1", "", "a")},
			want:    []inventory.DailyRollup{w}, wantTotal: 3})
		cases = append(cases, tc{name: "registered snapshot, no VMs at all",
			in: DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: hours(5, 6)}, want: []inventory.DailyRollup{}, wantTotal: 1})
	}

	// Fallback to distinct sample times (registered times outside the day
	// do not count as registered for it).
	{
		a := base("vm-a", "vm-a", "", "a")
		a.TotalSamples, a.SamplesPresent, a.AvgIsPresent = 3, 2, 2.0/3
		a.SamplesPoweredOn, a.AvgPoweredOn = 1, 1.0/3
		a.FirstSeen, a.LastSeen = hr(0), hr(1)
		b := base("vm-b", "vm-b", "", "b")
		b.TotalSamples, b.SamplesPresent, b.AvgIsPresent = 3, 1, 1.0/3
		b.FirstSeen, b.LastSeen = hr(2), hr(2)
		cases = append(cases, tc{name: "fallback to distinct sample times",
			in: DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: []time.Time{hr(-1), hr(24)}},
			samples: []*inventory.Sample{smp(hr(1), "vm-a", "", "a"), smp(hr(0), "vm-a", "", "a", on),
				smp(hr(2), "vm-b", "", "b")},
			want: []inventory.DailyRollup{a, b}, wantTotal: 3})
	}

	// DST: 2026-03-08 in New York has 23 hours.
	{
		dw := inventory.DayOf(time.Date(2026, 3, 8, 12, 0, 0, 0, nyc), nyc)
		start := time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC) // 00:00 EST
		var snaps []time.Time
		var ss []*inventory.Sample
		for i := 0; i < 23; i++ {
			tm := start.Add(time.Duration(i) * time.Hour).In(nyc)
			snaps = append(snaps, tm)
			ss = append(ss, smp(tm, "vm-1", "", "a", on))
		}
		ss = append(ss, smp(start.Add(23*time.Hour), "vm-1", "", "a")) // next day 00:00 EDT
		w := base("vm-1", "vm-1", "", "a")
		w.Day = start
		w.PowerState = "poweredOn"
		w.TotalSamples, w.SamplesPresent, w.AvgIsPresent = 23, 23, 1
		w.SamplesPoweredOn, w.AvgPoweredOn = 23, 1
		w.FirstSeen, w.LastSeen = start, time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
		cases = append(cases, tc{name: "DST day New York",
			in:      DailyInput{Vcenter: vc, Day: dw, SnapshotTimes: append(snaps, start.Add(23*time.Hour))},
			samples: ss, want: []inventory.DailyRollup{w}, wantTotal: 23, wantIgnored: 1})
	}

	// Samples outside the window, of another vCenter, at an unregistered
	// time, and duplicates are ignored.
	{
		other := smp(hr(1), "vm-1", "", "a")
		other.Vcenter = "vc2"
		w := base("vm-1", "vm-1", "", "a")
		w.TotalSamples, w.SamplesPresent, w.AvgIsPresent = 2, 2, 1
		w.FirstSeen, w.LastSeen = hr(0), hr(1)
		cases = append(cases, tc{name: "ignored samples",
			in: DailyInput{Vcenter: vc, Day: dayWin, SnapshotTimes: []time.Time{hr(-1), hr(0), hr(1), hr(24)}},
			samples: []*inventory.Sample{
				smp(hr(-1), "vm-1", "", "a", on), smp(hr(24), "vm-1", "", "a", on), other,
				smp(hr(0).Add(30*time.Minute), "vm-1", "", "a", on),
				smp(hr(0), "vm-1", "", "a"), smp(hr(1), "vm-1", "", "a"),
				smp(hr(1), "vm-1", "", "a", on), // duplicate
			},
			want: []inventory.DailyRollup{w}, wantTotal: 2, wantIgnored: 5})
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := NewDaily(c.in)
			for _, s := range c.samples {
				b.Add(s)
			}
			got := b.Rows()
			if diff := cmp.Diff(c.want, got, floatTol()); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
			if b.TotalSamples() != c.wantTotal {
				t.Errorf("TotalSamples = %d, want %d", b.TotalSamples(), c.wantTotal)
			}
			if b.Ignored() != c.wantIgnored {
				t.Errorf("Ignored = %d, want %d", b.Ignored(), c.wantIgnored)
			}
			// Order independence: reversed input gives the same rows.
			r := NewDaily(c.in)
			for i := len(c.samples) - 1; i >= 0; i-- {
				r.Add(c.samples[i])
			}
			if diff := cmp.Diff(got, r.Rows(), floatTol()); diff != "" && c.wantIgnored == 0 {
				t.Errorf("reversed order differs (-fwd +rev):\n%s", diff)
			}
			for _, row := range got {
				for _, tm := range []time.Time{row.Day, row.FirstSeen, row.LastSeen, row.CreationTime, row.DeletionTime} {
					if !tm.IsZero() && tm.Location() != time.UTC {
						t.Errorf("%s: time %v not UTC", row.VMKey, tm)
					}
				}
			}
		})
	}
}

// floatTol compares floats to 1e-9 relative error and times by instant.
func floatTol() cmp.Option {
	return cmp.Options{
		cmp.Comparer(func(a, b float64) bool {
			if a == b {
				return true
			}
			return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
		}),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	}
}
