package aggregate

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
)

const vc = "vc1"

var (
	goldRP  = "/DC/host/C1/Resources/Gold"
	otherRP = "/DC/host/C1/Resources/Other"
)

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

// TestRenamedThenNameOnly: a VM renamed within the day (seen with its
// vm_id under both names) and then sampled by name only under its new name
// is one VM present three times (SEMANTICS §2). The builder's identity
// cache once skipped the rename, so the name-only row became its own VM
// (the SQL aggregation joined it: found by storetest's SQLAggregator
// section).
func TestRenamedThenNameOnly(t *testing.T) {
	day := time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	times := []time.Time{at(10), at(11), at(12)}
	b := NewDaily(DailyInput{Vcenter: vc, Day: inventory.DayOf(day, nil), SnapshotTimes: times})
	b.Add(smp(at(10), "vm-1", "u-1", "old"))
	b.Add(smp(at(11), "vm-1", "u-1", "new"))
	b.Add(smp(at(12), "", "", "new"))
	rows := b.Rows()
	if len(rows) != 1 || rows[0].VMID != "vm-1" || rows[0].SamplesPresent != 3 {
		t.Fatalf("rows = %+v, want vm-1 present 3 times", rows)
	}
}
