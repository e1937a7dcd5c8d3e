package lifecycle

import (
	"cmp"
	"maps"
	"slices"

	"github.com/accessvault/vinventory/inventory"
)

// DropCovered returns events without those the live events already
// record (SEMANTICS §3, "Live events"): a watcher (capture.Watch) appends
// change events between captures, and the Reconcile of the next snapshot
// must not append the same change again.
//
// live are the live events of the vCenter seen in the snapshot's window
// (after the previous snapshot, through the end of this snapshot's
// capture), in any order. An event of Reconcile is covered when:
//   - it is created or deleted, and a live event of that kind for the same
//     VM is in the window;
//   - it is power, resize, host_move, pool_move or rename, and the live
//     events of that kind for the same VM, taken in time order, compose to
//     exactly its before and after: for each field, the before of the first
//     live event that names it and the after of the last, fields whose
//     composed before and after are equal left out (a VM powered off and on
//     again between snapshots has no net change and Reconcile raises
//     none).
//
// Every other kind (reappeared, mass_absence, identity_change, detail and
// scope events) is Reconcile's alone and is never covered. The order of
// the kept events is unchanged.
func DropCovered(events, live []inventory.Event) []inventory.Event {
	if len(live) == 0 || len(events) == 0 {
		return events
	}
	type key struct {
		vm   string
		kind inventory.EventKind
	}
	byKey := map[key][]inventory.Event{}
	for _, e := range live {
		if e.VMID != "" {
			byKey[key{e.VMID, e.Kind}] = append(byKey[key{e.VMID, e.Kind}], e)
		}
	}
	out := events[:0:0]
	for _, e := range events {
		chain := byKey[key{e.VMID, e.Kind}]
		if len(chain) > 0 && covered(e, chain) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// covered reports whether the live chain records e (see DropCovered).
func covered(e inventory.Event, chain []inventory.Event) bool {
	switch e.Kind {
	case inventory.EventCreated, inventory.EventDeleted:
		return true
	case inventory.EventPower, inventory.EventResize, inventory.EventHostMove, inventory.EventPoolMove, inventory.EventRename:
	default:
		return false
	}
	chain = slices.Clone(chain)
	slices.SortStableFunc(chain, func(a, b inventory.Event) int {
		if c := a.SnapshotTime.Compare(b.SnapshotTime); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	before, after := map[string]string{}, map[string]string{}
	for _, l := range chain {
		for f, v := range l.Before {
			if _, ok := before[f]; !ok {
				before[f] = v
			}
		}
		maps.Copy(after, l.After)
	}
	for f, b := range before {
		if a, ok := after[f]; ok && a == b {
			delete(before, f)
			delete(after, f)
		}
	}
	return maps.Equal(before, e.Before) && maps.Equal(after, e.After)
}
