package aggregate

import (
	"math"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/google/go-cmp/cmp"
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
