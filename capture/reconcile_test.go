package capture_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// scripted is a capture.Source whose inventory and events the test sets
// between snapshots. It stands in for an endpoint so the SEMANTICS §3 rules
// can be checked exactly; the vcsim scenario tests cover the govmomi side.
type scripted struct {
	name   string
	vms    map[string]inventory.VM
	events []capture.VMEvent
}

func (s *scripted) Endpoint() inventory.Endpoint {
	return inventory.Endpoint{Name: s.name, URL: "https://scripted/sdk"}
}

func (s *scripted) Retrieve(context.Context) (*inventory.State, error) {
	st := &inventory.State{}
	for _, v := range s.vms {
		st.VMs = append(st.VMs, v)
	}
	sort.Slice(st.VMs, func(i, j int) bool { return st.VMs[i].ID < st.VMs[j].ID })
	return st, nil
}

func (s *scripted) Events(_ context.Context, from, to time.Time) ([]capture.VMEvent, error) {
	var out []capture.VMEvent
	for _, e := range s.events {
		if !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *scripted) Close(context.Context) error { return nil }

func vm(id string, n int) inventory.VM {
	return inventory.VM{Vcenter: "vc1", ID: id, UUID: "uuid-" + id, Name: fmt.Sprintf("app-%s", id),
		Host: "esx-1", HostID: "host-1", ResourcePool: "Resources/Gold", PowerState: inventory.PoweredOn,
		VCPUCount: 2, RAMMB: 4096, ProvisionedDiskGB: float64(10 * n)}
}

// TestReconcileRules walks one vCenter through snapshots that exercise every
// rule of SEMANTICS §3 and checks the exact lifecycle rows and events.
func TestReconcileRules(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
		src := &scripted{name: "vc1", vms: map[string]inventory.VM{}}
		for i := 1; i <= 20; i++ {
			id := fmt.Sprintf("vm-%02d", i)
			src.vms[id] = vm(id, i)
		}
		configDate := t0.Add(-72 * time.Hour)
		a := src.vms["vm-01"]
		a.CreationTime = configDate
		src.vms["vm-01"] = a
		// vm-02 has a creation event before the first snapshot (within the
		// lookback) and a later config date: the event wins.
		b := src.vms["vm-02"]
		b.CreationTime = t0.Add(-time.Hour)
		src.vms["vm-02"] = b
		src.events = append(src.events, capture.VMEvent{Kind: capture.VMEventCloned, VMID: "vm-02", Time: t0.Add(-2 * time.Hour)})

		snap := func(h int) *capture.Result {
			t.Helper()
			res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: at(h)})
			if err != nil {
				t.Fatalf("capture %d: %v", h, err)
			}
			if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
				t.Fatalf("reconcile %d: %v", h, err)
			}
			return res
		}
		snap(0)

		// Snapshot 1: every change kind, a creation, two deletions.
		mut := func(id string, f func(*inventory.VM)) {
			v := src.vms[id]
			f(&v)
			src.vms[id] = v
		}
		mut("vm-01", func(v *inventory.VM) { v.PowerState = inventory.PoweredOff })
		mut("vm-02", func(v *inventory.VM) { v.VCPUCount, v.RAMMB = 4, 8192 })
		mut("vm-03", func(v *inventory.VM) { v.Host, v.HostID = "esx-2", "host-2" })
		mut("vm-04", func(v *inventory.VM) { v.ResourcePool = "Resources/Tin" })
		mut("vm-05", func(v *inventory.VM) { v.Name = "renamed-05" })
		mut("vm-06", func(v *inventory.VM) { v.RAMMB = 2048 })
		src.vms["vm-21"] = vm("vm-21", 21)
		src.events = append(src.events,
			capture.VMEvent{Kind: capture.VMEventCreated, VMID: "vm-21", Time: at(1).Add(-10 * time.Minute)},
			capture.VMEvent{Kind: capture.VMEventRemoved, VMID: "vm-07", Time: at(1).Add(-20 * time.Minute)})
		delete(src.vms, "vm-07") // removed with an event
		delete(src.vms, "vm-08") // just gone
		snap(1)

		// Snapshot 2: vm-08 is back.
		src.vms["vm-08"] = vm("vm-08", 8)
		snap(2)

		// Snapshot 3: 11 of 20 VMs vanish (a lost permission): guard.
		saved := map[string]inventory.VM{}
		for i := 9; i <= 19; i++ {
			id := fmt.Sprintf("vm-%02d", i)
			saved[id] = src.vms[id]
			delete(src.vms, id)
		}
		snap(3)

		// Snapshot 4: all back but vm-19, removed by event during the outage.
		for id, v := range saved {
			if id != "vm-19" {
				src.vms[id] = v
			}
		}
		src.events = append(src.events, capture.VMEvent{Kind: capture.VMEventRemoved, VMID: "vm-19", Time: at(3).Add(30 * time.Minute)})
		// vm-18 stays gone without an event: deleted as of its first absent
		// snapshot, 3, once snapshot 4 (not guarded) decides.
		delete(src.vms, "vm-18")
		res4 := snap(4)
		snap(5)

		lcs := listAllLifecycles(t, st, "vc1")
		want := map[string]inventory.Lifecycle{}
		for i := 1; i <= 21; i++ {
			id := fmt.Sprintf("vm-%02d", i)
			want[id] = inventory.Lifecycle{Vcenter: "vc1", VMID: id, VMUUID: "uuid-" + id, Name: "app-" + id,
				FirstSeen: at(0), LastSeen: at(5), CreationSource: inventory.SourceNone}
		}
		set := func(id string, f func(*inventory.Lifecycle)) {
			l := want[id]
			f(&l)
			want[id] = l
		}
		set("vm-01", func(l *inventory.Lifecycle) { l.CreationTime, l.CreationSource = configDate, inventory.SourceConfig })
		set("vm-02", func(l *inventory.Lifecycle) {
			l.CreationTime, l.CreationSource = t0.Add(-2*time.Hour), inventory.SourceEvent
		})
		set("vm-05", func(l *inventory.Lifecycle) { l.Name = "renamed-05" })
		set("vm-07", func(l *inventory.Lifecycle) {
			l.LastSeen, l.Deleted, l.DeletionTime, l.DeletionSource = at(0), true, at(1).Add(-20*time.Minute), inventory.SourceEvent
		})
		set("vm-18", func(l *inventory.Lifecycle) {
			l.LastSeen, l.Deleted, l.DeletionTime, l.DeletionSource = at(2), true, at(3), inventory.SourceAbsence
		})
		set("vm-19", func(l *inventory.Lifecycle) {
			l.LastSeen, l.Deleted, l.DeletionTime, l.DeletionSource = at(2), true, at(3).Add(30*time.Minute), inventory.SourceEvent
		})
		set("vm-21", func(l *inventory.Lifecycle) {
			l.FirstSeen, l.CreationTime, l.CreationSource = at(1), at(1).Add(-10*time.Minute), inventory.SourceEvent
		})
		if d := cmp.Diff(want, lcs); d != "" {
			t.Errorf("lifecycle rows (-want +got):\n%s", d)
		}

		type ev struct {
			H             int
			Kind, VM      string
			Before, After map[string]string
		}
		var got []ev
		page, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Events {
			got = append(got, ev{int(e.SnapshotTime.Sub(t0) / time.Hour), string(e.Kind), e.VMID, e.Before, e.After})
		}
		sort.Slice(got, func(i, j int) bool {
			if got[i].H != got[j].H {
				return got[i].H < got[j].H
			}
			if got[i].Kind != got[j].Kind {
				return got[i].Kind < got[j].Kind
			}
			return got[i].VM < got[j].VM
		})
		m := func(kv ...string) map[string]string {
			out := map[string]string{}
			for i := 0; i < len(kv); i += 2 {
				out[kv[i]] = kv[i+1]
			}
			return out
		}
		wantEv := []ev{
			{1, "created", "vm-21", nil, m("name", "app-vm-21")},
			{1, "deleted", "vm-07", nil, m("deletion_time", at(1).Add(-20*time.Minute).Format(time.RFC3339), "deletion_source", "event")},
			{1, "deleted", "vm-08", nil, m("deletion_time", at(1).Format(time.RFC3339), "deletion_source", "absence")},
			{1, "host_move", "vm-03", m("host", "esx-1"), m("host", "esx-2")},
			{1, "pool_move", "vm-04", m("resource_pool", "Resources/Gold"), m("resource_pool", "Resources/Tin")},
			{1, "power", "vm-01", m("power_state", "poweredOn"), m("power_state", "poweredOff")},
			{1, "rename", "vm-05", m("name", "app-vm-05"), m("name", "renamed-05")},
			{1, "resize", "vm-02", m("vcpu_count", "2", "ram_mb", "4096"), m("vcpu_count", "4", "ram_mb", "8192")},
			{1, "resize", "vm-06", m("ram_mb", "4096"), m("ram_mb", "2048")},
			{2, "reappeared", "vm-08", m("deletion_time", at(1).Format(time.RFC3339)), nil},
			{3, "mass_absence", "", m("vm_count", "20"), m("vm_count", "9", "absent", "11")},
			{4, "deleted", "vm-18", nil, m("deletion_time", at(3).Format(time.RFC3339), "deletion_source", "absence")},
			{4, "deleted", "vm-19", nil, m("deletion_time", at(3).Add(30*time.Minute).Format(time.RFC3339), "deletion_source", "event")},
		}
		if d := cmp.Diff(wantEv, got); d != "" {
			t.Errorf("events (-want +got):\n%s", d)
		}

		// Reconcile is idempotent: running snapshot 4's again changes nothing.
		before := listAllLifecycles(t, st, "vc1")
		if _, err := capture.Reconcile(ctx, st, src, res4, capture.ReconcileOptions{}); err != nil {
			t.Fatal(err)
		}
		page2, _ := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1", Limit: 1000})
		if len(page2.Events) != len(page.Events) {
			t.Errorf("re-reconcile appended %d events", len(page2.Events)-len(page.Events))
		}
		if d := cmp.Diff(before, listAllLifecycles(t, st, "vc1")); d != "" {
			t.Errorf("re-reconcile changed lifecycles:\n%s", d)
		}
	})
}

func listAllLifecycles(t *testing.T, st store.Store, vc string) map[string]inventory.Lifecycle {
	t.Helper()
	out := map[string]inventory.Lifecycle{}
	for cursor := ""; ; {
		p, err := st.ListLifecycles(context.Background(), &store.ListLifecyclesParams{Vcenter: vc, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range p.Lifecycles {
			out[l.VMID] = l
		}
		if cursor = p.NextCursor; cursor == "" {
			return out
		}
	}
}
