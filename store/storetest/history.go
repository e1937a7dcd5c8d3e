package storetest

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// RandomHistory makes a random history of one vCenter: VMs created, deleted,
// renamed, powered off, coming back after a deletion, snapshots where more
// than half (or exactly half) of the VMs are missing for one hour, and
// samples without a vm_id (or without vm_id and vm_uuid) after the VM was
// first seen with them, as data imported from compatibility tables has.
// VMs carry custom attributes and tags that change every few hours (see
// historyAttributes). Times carry seconds, as real captures do. Every snapshot has at least
// one VM (an empty snapshot leaves no compatibility-table row). It
// returns the samples of each snapshot, oldest first.
func RandomHistory(rng *rand.Rand, vc string, t0 time.Time) [][]inventory.Sample {
	type vmState struct {
		n              int
		id, uuid, name string
		renames        int
		on, alive      bool
		seenWithID     bool
		nameSinceID    bool // name unchanged since the last sample with a vm_id
	}
	var vms []*vmState
	next := 0
	newVM := func() {
		next++
		vms = append(vms, &vmState{n: next, id: fmt.Sprintf("vm-%d", next), uuid: fmt.Sprintf("uuid-%d", next),
			name: fmt.Sprintf("app-%d", next), on: true, alive: true})
	}
	for range 10 + rng.IntN(14) {
		newVM()
	}
	n := 6 + rng.IntN(10)
	out := make([][]inventory.Sample, n)
	for i := range n {
		at := t0.Add(time.Duration(i)*time.Hour + time.Duration(rng.IntN(50))*time.Second)
		if i > 0 {
			for _, v := range vms {
				switch r := rng.IntN(20); {
				case r == 0 && v.alive:
					v.alive = false
				case r == 1 && !v.alive:
					v.alive = true // comes back (reappears)
				case r == 2:
					v.renames++
					v.name = fmt.Sprintf("app-%s-r%d", v.id, v.renames)
					v.nameSinceID = false
				case r == 3:
					v.on = !v.on
				}
			}
			for range rng.IntN(3) {
				newVM()
			}
		}
		var alive []*vmState
		for _, v := range vms {
			if v.alive {
				alive = append(alive, v)
			}
		}
		if len(alive) == 0 {
			newVM()
			alive = vms[len(vms)-1:]
		}
		// A glitch: for this snapshot only, a share of the VMs is missing.
		if i > 0 && rng.IntN(5) == 0 {
			rng.Shuffle(len(alive), func(a, b int) { alive[a], alive[b] = alive[b], alive[a] })
			keep := max(len(alive)/2, 1) // exactly half, or fewer (never none)
			if rng.IntN(2) == 0 {
				keep = 1 + rng.IntN(max(len(alive)/2, 1))
			}
			alive = alive[:keep]
		}
		sort.Slice(alive, func(a, b int) bool { return alive[a].id < alive[b].id })
		for _, v := range alive {
			s := inventory.Sample{Vcenter: vc, SnapshotTime: at, VMID: v.id, VMUUID: v.uuid, Name: v.name, Host: "esx-1",
				ResourcePool: "/DC/host/C/Resources/Gold", PowerState: inventory.PoweredOff, VCPUCount: 2, RAMMB: 4096,
				Attributes: historyAttributes(v.n, i)}
			if v.on {
				s.PowerState = inventory.PoweredOn
			}
			switch r := rng.IntN(8); {
			case v.seenWithID && r == 0:
				s.VMID = ""
			case v.seenWithID && v.nameSinceID && r == 1:
				s.VMID, s.VMUUID = "", ""
			default:
				v.seenWithID, v.nameSinceID = true, true
			}
			out[i] = append(out[i], s)
		}
	}
	return out
}

// historyAttributes are the attributes of VM number vm in snapshot i of a
// RandomHistory, drawn without the random source (so the history is the
// same as without them): every fourth VM has none; the others' tag:env
// changes every three snapshots, a hostile tag comes and goes, and now
// and then a snapshot has no attributes at all, so a rollup's attributes
// are its latest sample's, never a merge over the period.
func historyAttributes(vm, i int) map[string]string {
	if vm%4 == 0 || (i+vm)%7 == 3 {
		return nil
	}
	m := map[string]string{"tag:env": []string{"prod", "dev", "test"}[(i/3+vm)%3], "owner": fmt.Sprint("team-", vm%3)}
	if (i+vm)%5 < 2 {
		m[`tag:Cost "Center".x`] = `=1+1 <script>'</script> ✓`
	}
	return m
}
