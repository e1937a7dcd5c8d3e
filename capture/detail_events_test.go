package capture_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// detailKinds are the event kinds a capture derives from detail.
var detailKinds = []inventory.EventKind{inventory.EventDiskAdded, inventory.EventDiskRemoved, inventory.EventDiskResized,
	inventory.EventNICAdded, inventory.EventNICRemoved, inventory.EventNICReconnected, inventory.EventSnapshotCreated,
	inventory.EventSnapshotRemoved, inventory.EventToolsStatus, inventory.EventHardwareUpgrade, inventory.EventAnnotation}

// TestDetailEventsOnSimulator changes VMs through the vSphere API (vcsim's
// mutation kit) between captures: every detail event kind is raised once,
// on the right VM, with before/after values equal to what the store's
// detail held before and holds after; a capture with nothing changed
// raises none.
func TestDetailEventsOnSimulator(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ds, ok := st.(store.Details)
		if !ok {
			t.Skip("the store keeps no detail")
		}
		ctx := context.Background()
		sim, src, _ := simSource(t, "vc1", 0)
		capt := func() *capture.Result {
			t.Helper()
			nextSecond(time.Now())
			res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		events := func(at time.Time) map[inventory.EventKind][]inventory.Event {
			t.Helper()
			p, err := st.ListEvents(ctx, &store.ListEventsParams{Vcenter: "vc1", Kinds: detailKinds, From: at, To: at.Add(time.Second), Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			m := map[inventory.EventKind][]inventory.Event{}
			for _, e := range p.Events {
				m[e.Kind] = append(m[e.Kind], e)
			}
			return m
		}
		detail := func(id string) inventory.VMDetail {
			t.Helper()
			d, err := ds.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: "vc1", VMIDs: []string{id}, VMsOnly: true})
			if err != nil || len(d.VMs) != 1 {
				t.Fatalf("ReadDetails(%s): %v, %d VMs", id, err, len(d.VMs))
			}
			return d.VMs[0]
		}
		one := func(m map[inventory.EventKind][]inventory.Event, k inventory.EventKind, vm string) inventory.Event {
			t.Helper()
			if len(m[k]) != 1 || m[k][0].VMID != vm {
				t.Fatalf("%s events %+v, want one for %s", k, m[k], vm)
			}
			return m[k][0]
		}
		want := func(e inventory.Event, before, after map[string]string) {
			t.Helper()
			if !mapsEqual(e.Before, before) || !mapsEqual(e.After, after) {
				t.Errorf("%s of %s: before %v after %v, want %v → %v", e.Kind, e.VMID, e.Before, e.After, before, after)
			}
		}

		r1 := capt()
		var on, off inventory.Sample
		for _, x := range r1.Samples {
			if x.PowerState == inventory.PoweredOn && on.VMID == "" {
				on = x
			}
			if x.PowerState == inventory.PoweredOff && !x.IsTemplate && off.VMID == "" {
				off = x
			}
		}
		if on.VMID == "" || off.VMID == "" {
			t.Fatalf("the simulator needs a powered-on and a powered-off VM")
		}
		if m := events(r1.SnapshotTime); len(m) != 0 {
			t.Fatalf("the first detail (baseline) raised %v", m)
		}
		r2 := capt()
		if m := events(r2.SnapshotTime); len(m) != 0 {
			t.Fatalf("a capture with nothing changed raised %v", m)
		}

		// Changes to the powered-on VM and the powered-off one.
		before := detail(on.VMID)
		if len(before.Disks) == 0 || len(before.NICs) == 0 {
			t.Fatalf("VM %s has %d disks, %d NICs", on.VMID, len(before.Disks), len(before.NICs))
		}
		if _, err := sim.CreateSnapshot(ctx, on.VMID, "before patch", "pre-upgrade <script>", false, true); err != nil {
			t.Fatal(err)
		}
		newDisk, err := sim.AddDisk(ctx, on.VMID, vcsim.DiskSpec{CapacityMB: 1024, Thin: true})
		if err != nil {
			t.Fatal(err)
		}
		d0 := before.Disks[0]
		if err := sim.ResizeDisk(ctx, on.VMID, d0.Key, d0.CapacityMB+2048); err != nil {
			t.Fatal(err)
		}
		newNIC, err := sim.AddNIC(ctx, on.VMID, before.NICs[0].Network, "e1000e")
		if err != nil {
			t.Fatal(err)
		}
		n0 := before.NICs[0]
		if err := sim.SetNICConnected(ctx, on.VMID, n0.Key, !n0.Connected); err != nil {
			t.Fatal(err)
		}
		if err := sim.SetAnnotation(ctx, on.VMID, "=owner: ops ☃"); err != nil {
			t.Fatal(err)
		}
		tools := "guestToolsNotRunning"
		if before.ToolsRunningStatus == tools {
			tools = "guestToolsRunning"
		}
		if err := sim.SetTools(ctx, on.VMID, vcsim.Tools{RunningStatus: tools}); err != nil {
			t.Fatal(err)
		}
		hwBefore := detail(off.VMID).HardwareVersion
		if err := sim.UpgradeHardware(ctx, off.VMID, ""); err != nil {
			t.Fatal(err)
		}
		r3 := capt()
		after := detail(on.VMID)
		m := events(r3.SnapshotTime)
		if len(m) != 8 {
			t.Errorf("events after the changes: %v, want 8 kinds", m)
		}
		diskOf := func(d inventory.VMDetail, key int32) inventory.VirtualDisk {
			i := slices.IndexFunc(d.Disks, func(x inventory.VirtualDisk) bool { return x.Key == key })
			if i < 0 {
				t.Fatalf("VM %s has no disk %d: %+v", d.VMID, key, d.Disks)
			}
			return d.Disks[i]
		}
		nicOf := func(d inventory.VMDetail, key int32) inventory.VirtualNIC {
			i := slices.IndexFunc(d.NICs, func(x inventory.VirtualNIC) bool { return x.Key == key })
			if i < 0 {
				t.Fatalf("VM %s has no NIC %d: %+v", d.VMID, key, d.NICs)
			}
			return d.NICs[i]
		}
		added := diskOf(after, newDisk)
		if added.CapacityMB != 1024 || added.Provisioning != inventory.DiskThin {
			t.Errorf("added disk %+v, want 1024 MiB thin", added)
		}
		addedKey, d0Key := diskKey(after.Disks, added), diskKey(after.Disks, d0)
		want(one(m, inventory.EventDiskAdded, on.VMID), nil, map[string]string{addedKey: "1024 MiB thin " + added.FilePath})
		want(one(m, inventory.EventDiskResized, on.VMID), map[string]string{d0Key: itoa(d0.CapacityMB)},
			map[string]string{d0Key: itoa(d0.CapacityMB + 2048)})
		nn := nicOf(after, newNIC)
		if nn.AdapterType != "e1000e" || nn.MAC == "" {
			t.Errorf("added NIC %+v, want an e1000e with a MAC", nn)
		}
		nnKey, n0Key := nicKey(after.NICs, nn), nicKey(after.NICs, n0)
		want(one(m, inventory.EventNICAdded, on.VMID), nil, map[string]string{nnKey: nn.Network + " " + nn.MAC})
		state := map[bool]string{true: " connected", false: " disconnected"}
		want(one(m, inventory.EventNICReconnected, on.VMID), map[string]string{n0Key: n0.Network + state[n0.Connected]},
			map[string]string{n0Key: n0.Network + state[!n0.Connected]})
		if len(after.Snapshots) != 1 || after.Snapshots[0].Name != "before patch" || !after.Snapshots[0].Quiesced {
			t.Fatalf("snapshots %+v", after.Snapshots)
		}
		want(one(m, inventory.EventSnapshotCreated, on.VMID), nil,
			map[string]string{"before patch": after.Snapshots[0].Created.UTC().Format(time.RFC3339)})
		want(one(m, inventory.EventAnnotation, on.VMID), map[string]string{"annotation": before.Annotation},
			map[string]string{"annotation": "=owner: ops ☃"})
		want(one(m, inventory.EventToolsStatus, on.VMID), map[string]string{"tools_running_status": before.ToolsRunningStatus},
			map[string]string{"tools_running_status": tools})
		hwAfter := detail(off.VMID).HardwareVersion
		if hwAfter == hwBefore || hwAfter == "" {
			t.Fatalf("hardware version %q → %q", hwBefore, hwAfter)
		}
		want(one(m, inventory.EventHardwareUpgrade, off.VMID), map[string]string{"hardware_version": hwBefore},
			map[string]string{"hardware_version": hwAfter})
		for _, e := range m[inventory.EventDiskAdded] {
			if e.Name != on.Name || e.VMUUID != on.VMUUID {
				t.Errorf("event names %q/%q, want %q/%q", e.Name, e.VMUUID, on.Name, on.VMUUID)
			}
		}

		// Removals.
		if err := sim.RemoveSnapshot(ctx, on.VMID, "before patch", false); err != nil {
			t.Fatal(err)
		}
		if err := sim.RemoveDisk(ctx, on.VMID, newDisk); err != nil {
			t.Fatal(err)
		}
		if err := sim.RemoveNIC(ctx, on.VMID, newNIC); err != nil {
			t.Fatal(err)
		}
		r4 := capt()
		m = events(r4.SnapshotTime)
		if len(m) != 3 {
			t.Errorf("events after the removals: %v, want 3 kinds", m)
		}
		want(one(m, inventory.EventSnapshotRemoved, on.VMID), map[string]string{"before patch": after.Snapshots[0].Created.UTC().Format(time.RFC3339)}, nil)
		want(one(m, inventory.EventDiskRemoved, on.VMID), map[string]string{addedKey: "1024 MiB thin " + added.FilePath}, nil)
		want(one(m, inventory.EventNICRemoved, on.VMID), map[string]string{nnKey: nn.Network + " " + nn.MAC}, nil)
		if got := detail(on.VMID); len(got.Snapshots) != 0 || len(got.Disks) != len(before.Disks) || len(got.NICs) != len(before.NICs) {
			t.Errorf("detail after the removals: %d snapshots, %d disks, %d NICs; want 0, %d, %d", len(got.Snapshots), len(got.Disks), len(got.NICs),
				len(before.Disks), len(before.NICs))
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// diskKey and nicKey are a device's key in an event: its label, with its
// device key when another device of the VM has the same label.
func diskKey(all []inventory.VirtualDisk, d inventory.VirtualDisk) string {
	if slices.ContainsFunc(all, func(x inventory.VirtualDisk) bool { return x.Key != d.Key && x.Label == d.Label }) {
		return fmt.Sprintf("%s (key %d)", d.Label, d.Key)
	}
	return d.Label
}

func nicKey(all []inventory.VirtualNIC, n inventory.VirtualNIC) string {
	if slices.ContainsFunc(all, func(x inventory.VirtualNIC) bool { return x.Key != n.Key && x.Label == n.Label }) {
		return fmt.Sprintf("%s (key %d)", n.Label, n.Key)
	}
	return n.Label
}
