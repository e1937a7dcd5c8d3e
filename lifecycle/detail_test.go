package lifecycle_test

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/lifecycle"
)

func baseDetail() *inventory.VMDetail {
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	return &inventory.VMDetail{
		Vcenter: "vc1", VMID: "vm-1", HardwareVersion: "vmx-13", Annotation: "owner: ops", BootTime: t0.Add(-time.Hour),
		ToolsRunningStatus: "guestToolsRunning", ToolsVersionStatus: "guestToolsCurrent", ToolsVersion: "12352",
		Disks: []inventory.VirtualDisk{
			{Key: 2000, Label: "Hard disk 1", CapacityMB: 10240, Provisioning: inventory.DiskThin, FilePath: "[ds1] web/web.vmdk"},
			{Key: 2001, Label: "Hard disk 2", CapacityMB: 2048, Provisioning: inventory.DiskThick, FilePath: "[ds1] web/web_1.vmdk"},
		},
		NICs: []inventory.VirtualNIC{
			{Key: 4000, Label: "Network adapter 1", NetworkID: "network-7", Network: "VM Network", MAC: "00:50:56:aa:bb:01", Connected: true},
		},
		Snapshots: []inventory.VMSnapshot{{ID: 1, Name: "before patch", Created: t0, Depth: 1}},
	}
}

func TestDetailEvents(t *testing.T) {
	s := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	t1 := time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	type ev struct {
		kind          inventory.EventKind
		before, after map[string]string
	}
	cases := []struct {
		name   string
		change func(d *inventory.VMDetail)
		want   []ev
	}{
		{"nothing", func(d *inventory.VMDetail) {}, nil},
		{"devices reordered and relabelled only", func(d *inventory.VMDetail) {
			d.Disks[0], d.Disks[1] = d.Disks[1], d.Disks[0]
			d.NICs[0].Label = "NIC one"
			d.BootTime = s // not an event kind
		}, nil},
		{"disk added", func(d *inventory.VMDetail) {
			d.Disks = append(d.Disks, inventory.VirtualDisk{Key: 2002, Label: "Hard disk 3", CapacityMB: 512, Provisioning: inventory.DiskEagerZeroedThick, FilePath: "[ds2] web/web_2.vmdk"})
		}, []ev{{inventory.EventDiskAdded, nil, map[string]string{"Hard disk 3": "512 MiB eagerZeroedThick [ds2] web/web_2.vmdk"}}}},
		{"disk removed", func(d *inventory.VMDetail) { d.Disks = d.Disks[:1] },
			[]ev{{inventory.EventDiskRemoved, map[string]string{"Hard disk 2": "2048 MiB thick [ds1] web/web_1.vmdk"}, nil}}},
		{"disk resized", func(d *inventory.VMDetail) { d.Disks[0].CapacityMB = 20480 },
			[]ev{{inventory.EventDiskResized, map[string]string{"Hard disk 1": "10240"}, map[string]string{"Hard disk 1": "20480"}}}},
		{"nic added", func(d *inventory.VMDetail) {
			d.NICs = append(d.NICs, inventory.VirtualNIC{Key: 4001, Label: "Network adapter 2", NetworkID: "dvportgroup-9", Network: "=cmd|' /C calc'!A0", MAC: "00:50:56:aa:bb:02"})
		}, []ev{{inventory.EventNICAdded, nil, map[string]string{"Network adapter 2": "=cmd|' /C calc'!A0 00:50:56:aa:bb:02"}}}},
		{"nic added with a label another NIC has", func(d *inventory.VMDetail) {
			d.NICs = append(d.NICs, inventory.VirtualNIC{Key: 4001, Label: "Network adapter 1", NetworkID: "network-7", Network: "VM Network", MAC: "00:50:56:aa:bb:03"})
			d.NICs[0].Connected = false
		}, []ev{
			{inventory.EventNICAdded, nil, map[string]string{"Network adapter 1 (key 4001)": "VM Network 00:50:56:aa:bb:03"}},
			{inventory.EventNICReconnected, map[string]string{"Network adapter 1 (key 4000)": "VM Network connected"},
				map[string]string{"Network adapter 1 (key 4000)": "VM Network disconnected"}},
		}},
		{"nic removed", func(d *inventory.VMDetail) { d.NICs = nil },
			[]ev{{inventory.EventNICRemoved, map[string]string{"Network adapter 1": "VM Network 00:50:56:aa:bb:01"}, nil}}},
		{"nic disconnected", func(d *inventory.VMDetail) { d.NICs[0].Connected = false },
			[]ev{{inventory.EventNICReconnected, map[string]string{"Network adapter 1": "VM Network connected"}, map[string]string{"Network adapter 1": "VM Network disconnected"}}}},
		{"powered off: NICs read disconnected", func(d *inventory.VMDetail) {
			d.BootTime, d.NICs[0].Connected = time.Time{}, false
		}, nil},
		{"nic moved to another network", func(d *inventory.VMDetail) { d.NICs[0].NetworkID, d.NICs[0].Network = "network-8", "DMZ" },
			[]ev{{inventory.EventNICReconnected, map[string]string{"Network adapter 1": "VM Network connected"}, map[string]string{"Network adapter 1": "DMZ connected"}}}},
		{"snapshot created", func(d *inventory.VMDetail) {
			d.Snapshots = append(d.Snapshots, inventory.VMSnapshot{ID: 2, Name: "before patch", Created: t1, Depth: 2})
		}, []ev{{inventory.EventSnapshotCreated, nil, map[string]string{"before patch (id 2)": "2026-11-02T09:30:00Z"}}}},
		{"snapshot removed", func(d *inventory.VMDetail) { d.Snapshots = nil },
			[]ev{{inventory.EventSnapshotRemoved, map[string]string{"before patch": "2026-11-01T08:00:00Z"}, nil}}},
		{"tools stopped", func(d *inventory.VMDetail) { d.ToolsRunningStatus = "guestToolsNotRunning" },
			[]ev{{inventory.EventToolsStatus, map[string]string{"tools_running_status": "guestToolsRunning"}, map[string]string{"tools_running_status": "guestToolsNotRunning"}}}},
		{"tools upgraded", func(d *inventory.VMDetail) { d.ToolsVersion, d.ToolsVersionStatus = "12400", "guestToolsCurrent" },
			[]ev{{inventory.EventToolsStatus, map[string]string{"tools_version": "12352"}, map[string]string{"tools_version": "12400"}}}},
		{"hardware upgraded", func(d *inventory.VMDetail) { d.HardwareVersion = "vmx-19" },
			[]ev{{inventory.EventHardwareUpgrade, map[string]string{"hardware_version": "vmx-13"}, map[string]string{"hardware_version": "vmx-19"}}}},
		{"annotation", func(d *inventory.VMDetail) { d.Annotation = "<script>alert(1)</script>" },
			[]ev{{inventory.EventAnnotation, map[string]string{"annotation": "owner: ops"}, map[string]string{"annotation": "<script>alert(1)</script>"}}}},
		{"several at once, in order", func(d *inventory.VMDetail) {
			d.Annotation = ""
			d.Disks[1].CapacityMB = 4096
			d.Snapshots = nil
		}, []ev{
			{inventory.EventDiskResized, map[string]string{"Hard disk 2": "2048"}, map[string]string{"Hard disk 2": "4096"}},
			{inventory.EventSnapshotRemoved, map[string]string{"before patch": "2026-11-01T08:00:00Z"}, nil},
			{inventory.EventAnnotation, map[string]string{"annotation": "owner: ops"}, map[string]string{"annotation": ""}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, after := baseDetail(), baseDetail()
			c.change(after)
			got := lifecycle.DetailEvents(before, after, s, "web", "uuid-1")
			var gotEv []ev
			for _, e := range got {
				if e.Vcenter != "vc1" || e.VMID != "vm-1" || e.Name != "web" || e.VMUUID != "uuid-1" || !e.SnapshotTime.Equal(s) {
					t.Errorf("event %s stamped %+v", e.Kind, e)
				}
				if !slices.Contains(inventory.EventKinds(), e.Kind) {
					t.Errorf("kind %q not in EventKinds", e.Kind)
				}
				gotEv = append(gotEv, ev{e.Kind, e.Before, e.After})
			}
			if !reflect.DeepEqual(gotEv, c.want) {
				t.Errorf("events\n got %+v\nwant %+v", gotEv, c.want)
			}
		})
	}
	if got := lifecycle.DetailEvents(nil, baseDetail(), s, "web", "u"); got != nil {
		t.Errorf("first detail (baseline) raised %+v", got)
	}
}
