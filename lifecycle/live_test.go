package lifecycle_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
)

func TestDropCovered(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ev := func(kind inventory.EventKind, vm string, m int, b, a map[string]string) inventory.Event {
		return inventory.Event{Vcenter: "vc", SnapshotTime: at(m), Kind: kind, VMID: vm, Before: b, After: a}
	}
	kv := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	live := func(e inventory.Event) inventory.Event { e.Live = true; return e }
	on, off := kv("power_state", "poweredOn"), kv("power_state", "poweredOff")
	cases := []struct {
		name  string
		ev    inventory.Event
		live  []inventory.Event
		keeps bool
	}{
		{"power seen live", ev(inventory.EventPower, "vm-1", 60, on, off), []inventory.Event{live(ev(inventory.EventPower, "vm-1", 17, on, off))}, false},
		{"power of another VM", ev(inventory.EventPower, "vm-1", 60, on, off), []inventory.Event{live(ev(inventory.EventPower, "vm-2", 17, on, off))}, true},
		{"another kind", ev(inventory.EventPower, "vm-1", 60, on, off), []inventory.Event{live(ev(inventory.EventRename, "vm-1", 17, kv("name", "a"), kv("name", "b")))}, true},
		{"off, on, off again", ev(inventory.EventPower, "vm-1", 60, on, off), []inventory.Event{
			live(ev(inventory.EventPower, "vm-1", 50, on, off)), live(ev(inventory.EventPower, "vm-1", 10, on, off)),
			live(ev(inventory.EventPower, "vm-1", 20, off, on))}, false},
		{"the watcher missed the last change", ev(inventory.EventResize, "vm-1", 60, kv("vcpu_count", "2"), kv("vcpu_count", "8")),
			[]inventory.Event{live(ev(inventory.EventResize, "vm-1", 5, kv("vcpu_count", "2"), kv("vcpu_count", "4")))}, true},
		{"resize in two steps", ev(inventory.EventResize, "vm-1", 60, kv("vcpu_count", "2", "ram_mb", "4096"), kv("vcpu_count", "4", "ram_mb", "8192")),
			[]inventory.Event{
				live(ev(inventory.EventResize, "vm-1", 40, kv("ram_mb", "4096"), kv("ram_mb", "8192"))),
				live(ev(inventory.EventResize, "vm-1", 5, kv("vcpu_count", "2"), kv("vcpu_count", "4")))}, false},
		{"resize back and forth then one field", ev(inventory.EventResize, "vm-1", 60, kv("ram_mb", "4096"), kv("ram_mb", "8192")),
			[]inventory.Event{
				live(ev(inventory.EventResize, "vm-1", 5, kv("vcpu_count", "2"), kv("vcpu_count", "4"))),
				live(ev(inventory.EventResize, "vm-1", 10, kv("vcpu_count", "4", "ram_mb", "4096"), kv("vcpu_count", "2", "ram_mb", "8192")))}, false},
		{"pool move with ids", ev(inventory.EventPoolMove, "vm-1", 60, kv("resource_pool", "/a", "resource_pool_id", "resgroup-1"), kv("resource_pool", "/b", "resource_pool_id", "resgroup-2")),
			[]inventory.Event{live(ev(inventory.EventPoolMove, "vm-1", 3, kv("resource_pool", "/a", "resource_pool_id", "resgroup-1"), kv("resource_pool", "/b", "resource_pool_id", "resgroup-2")))}, false},
		{"pool move to another pool", ev(inventory.EventPoolMove, "vm-1", 60, kv("resource_pool", "/a", "resource_pool_id", "resgroup-1"), kv("resource_pool", "/c", "resource_pool_id", "resgroup-3")),
			[]inventory.Event{live(ev(inventory.EventPoolMove, "vm-1", 3, kv("resource_pool", "/a", "resource_pool_id", "resgroup-1"), kv("resource_pool", "/b", "resource_pool_id", "resgroup-2")))}, true},
		{"created", ev(inventory.EventCreated, "vm-9", 60, nil, kv("name", "new")), []inventory.Event{live(ev(inventory.EventCreated, "vm-9", 30, nil, kv("name", "new")))}, false},
		{"deleted", ev(inventory.EventDeleted, "vm-9", 60, nil, kv("deletion_time", at(60).Format(time.RFC3339), "deletion_source", "absence")),
			[]inventory.Event{live(ev(inventory.EventDeleted, "vm-9", 30, nil, kv("deletion_time", at(30).Format(time.RFC3339), "deletion_source", "live")))}, false},
		{"reappeared is Reconcile's", ev(inventory.EventReappeared, "vm-9", 60, kv("deletion_time", "x"), nil), []inventory.Event{live(ev(inventory.EventCreated, "vm-9", 30, nil, kv("name", "new"))), live(ev(inventory.EventReappeared, "vm-9", 30, kv("deletion_time", "x"), nil))}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keep := ev(inventory.EventRename, "vm-7", 60, kv("name", "x"), kv("name", "y"))
			got := lifecycle.DropCovered([]inventory.Event{keep, c.ev}, c.live)
			if len(got) == 0 || got[0].VMID != "vm-7" {
				t.Fatalf("the uncovered rename of vm-7 was dropped or moved: %+v", got)
			}
			if kept := len(got) == 2; kept != c.keeps {
				t.Fatalf("kept = %v, want %v", kept, c.keeps)
			}
		})
	}
}

func TestChangeEventsMatchStep(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	b := inventory.Sample{Vcenter: "vc", VMID: "vm-1", VMUUID: "u1", Name: "web", PowerState: inventory.PoweredOn, VCPUCount: 2, RAMMB: 4096,
		Host: "h1", ResourcePool: "/dc/host/c/Resources", ResourcePoolID: "resgroup-1", SnapshotTime: t0}
	a := b
	a.SnapshotTime, a.Name, a.PowerState, a.RAMMB, a.Host, a.ResourcePool, a.ResourcePoolID = t0.Add(time.Hour), "web2", inventory.PoweredOff, 8192, "h2", "/dc/host/c/Resources/p", "resgroup-2"
	got := lifecycle.ChangeEvents("vc", a.SnapshotTime, "vm-1", &b, &a)
	lc := inventory.Lifecycle{Vcenter: "vc", VMID: "vm-1", VMUUID: "u1", Name: "web", FirstSeen: t0, LastSeen: t0}
	out := lifecycle.Step(&lifecycle.Input{Vcenter: "vc", Time: a.SnapshotTime, Current: map[string]*inventory.Sample{"vm-1": &a},
		Prev: map[string]*inventory.Sample{"vm-1": &b}, Lifecycles: map[string]inventory.Lifecycle{"vm-1": lc}})
	if len(got) != 5 || len(out.Events) != len(got) {
		t.Fatalf("ChangeEvents gave %d events, Step %d: %+v", len(got), len(out.Events), got)
	}
	for i := range got {
		if g, w := got[i], out.Events[i]; g.Kind != w.Kind || fmtMap(g.Before) != fmtMap(w.Before) || fmtMap(g.After) != fmtMap(w.After) || g.Name != w.Name {
			t.Errorf("event %d: ChangeEvents %+v, Step %+v", i, g, w)
		}
	}
	if rest := lifecycle.DropCovered(out.Events, got); len(rest) != 0 {
		t.Errorf("Step's events are not covered by the same live events: %+v", rest)
	}
}

func fmtMap(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	s := ""
	for _, k := range keys {
		s += k + "=" + m[k] + ";"
	}
	return s
}
