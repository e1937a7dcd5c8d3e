package health_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/health"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

const vc = "vc-1"

// kinds returns the (kind, object id) pairs of fs.
func kinds(fs []health.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, string(f.Kind)+" "+f.ObjectID)
	}
	return out
}

func vm(id string, on inventory.PowerState) inventory.VM {
	return inventory.VM{Vcenter: vc, ID: id, Name: "name of " + id, PowerState: on}
}

func TestEvaluateSnapshotBoundaries(t *testing.T) {
	day := 24 * time.Hour
	st := &inventory.State{VMs: []inventory.VM{vm("vm-1", inventory.PoweredOn)}}
	st.Details.VMs = []inventory.VMDetail{{Vcenter: vc, VMID: "vm-1", ToolsRunningStatus: "guestToolsRunning", Snapshots: []inventory.VMSnapshot{
		{Name: "exactly 7 days", Created: now.Add(-7 * day), SizeMB: 10 * 1024},            // at both thresholds: no finding
		{Name: "7 days + 1s", Created: now.Add(-7*day - time.Second), SizeMB: 10*1024 + 1}, // just over both
		{Name: "new", Created: now.Add(-time.Hour), SizeMB: 1},
	}}}
	got := health.Evaluate(st, health.Options{Now: now})
	if want := []string{"snapshot_old vm-1", "snapshot_large vm-1"}; !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("findings %v, want %v", kinds(got), want)
	}
	if !strings.Contains(got[0].Message, "VM has an active snapshot! 7 days + 1s created on 11/29/2026 11:59:59") ||
		got[0].Threshold != 7 || got[0].Value <= 7 || got[0].Name != "name of vm-1" || got[0].ObjectType != health.ObjectVM {
		t.Errorf("old snapshot finding %+v", got[0])
	}
	if got[1].Value <= 10 || got[1].Threshold != 10 || got[1].Kind.MessageType() != "Snapshot" {
		t.Errorf("large snapshot finding %+v", got[1])
	}
	// Tighter options move the boundary.
	got = health.Evaluate(st, health.Options{Now: now, SnapshotMaxAge: 30 * time.Minute, SnapshotMaxSizeGB: 0.0005})
	if n := len(got); n != 6 {
		t.Errorf("tight options: %d findings (%v), want 6", n, kinds(got))
	}
	// Skip drops a check.
	got = health.Evaluate(st, health.Options{Now: now, Skip: []health.Kind{health.KindSnapshotOld}})
	if want := []string{"snapshot_large vm-1"}; !reflect.DeepEqual(kinds(got), want) {
		t.Errorf("skip: %v, want %v", kinds(got), want)
	}
}

func TestEvaluateVMChecks(t *testing.T) {
	tmpl := vm("vm-t", inventory.PoweredOff)
	tmpl.IsTemplate = true
	st := &inventory.State{VMs: []inventory.VM{
		vm("vm-ok", inventory.PoweredOn), vm("vm-notrun", inventory.PoweredOn), vm("vm-off", inventory.PoweredOff),
		vm("vm-old", inventory.PoweredOn), vm("vm-none", inventory.PoweredOff), tmpl, vm("vm-cd", inventory.PoweredOn),
		vm("vm-cons", inventory.PoweredOn),
	}}
	run := "guestToolsRunning"
	st.Details.VMs = []inventory.VMDetail{
		{Vcenter: vc, VMID: "vm-ok", ToolsRunningStatus: run, ToolsVersionStatus: "guestToolsCurrent",
			Removables: []inventory.RemovableDrive{{Kind: inventory.DriveCDROM, Label: "CD/DVD drive 1"}, {Kind: inventory.DriveFloppy, Label: "Floppy 1", Connected: true}}},
		{Vcenter: vc, VMID: "vm-notrun", ToolsRunningStatus: "guestToolsNotRunning", ToolsVersionStatus: "guestToolsCurrent"},
		// Powered off: Tools not running is expected.
		{Vcenter: vc, VMID: "vm-off", ToolsRunningStatus: "guestToolsNotRunning", ToolsVersionStatus: "guestToolsCurrent"},
		{Vcenter: vc, VMID: "vm-old", ToolsRunningStatus: run, ToolsVersionStatus: "guestToolsNeedUpgrade"},
		// Not installed: one finding, not also "not running".
		{Vcenter: vc, VMID: "vm-none", ToolsRunningStatus: "guestToolsNotRunning", ToolsVersionStatus: "guestToolsNotInstalled"},
		// Templates have no Tools checks.
		{Vcenter: vc, VMID: "vm-t", ToolsRunningStatus: "guestToolsNotRunning", ToolsVersionStatus: "guestToolsNotInstalled"},
		{Vcenter: vc, VMID: "vm-cd", ToolsRunningStatus: run, Removables: []inventory.RemovableDrive{{Kind: inventory.DriveCDROM, Label: "CD/DVD drive 2", Connected: true}}},
		{Vcenter: vc, VMID: "vm-cons", ToolsRunningStatus: run, ConsolidationNeeded: true},
		// Detail of a VM not in the state is ignored.
		{Vcenter: vc, VMID: "vm-gone", ConsolidationNeeded: true},
	}
	got := health.Evaluate(st, health.Options{Now: now})
	want := []string{"consolidation_needed vm-cons", "tools_not_running vm-notrun", "tools_outdated vm-old", "tools_not_installed vm-none", "cd_connected vm-cd"}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("findings %v, want %v", kinds(got), want)
	}
	for _, f := range got {
		if f.Kind == health.KindCDConnected && f.Message != "VM has a CDROM device connected! CD/DVD drive 2" {
			t.Errorf("CD message %q", f.Message)
		}
	}
}

func TestEvaluateHostsAndDatastores(t *testing.T) {
	st := &inventory.State{
		Hosts: []inventory.Host{
			{Vcenter: vc, ID: "host-1", Name: "ok", ConnectionState: "connected"},
			{Vcenter: vc, ID: "host-2", Name: "mm", ConnectionState: "connected", InMaintenance: true},
			{Vcenter: vc, ID: "host-3", Name: "disc", ConnectionState: "disconnected"},
			{Vcenter: vc, ID: "host-4", Name: "nr", ConnectionState: "notResponding"},
		},
		Datastores: []inventory.Datastore{
			// Provisioned = 100 - 50 + 50 = 100 = capacity: not over; free 50 %.
			{Vcenter: vc, ID: "ds-1", Name: "at-capacity", CapacityGB: 100, FreeGB: 50, UncommittedGB: 50},
			// Provisioned 100.5 > 100.
			{Vcenter: vc, ID: "ds-2", Name: "over", CapacityGB: 100, FreeGB: 50, UncommittedGB: 50.5},
			// Free exactly 10 %: not low.
			{Vcenter: vc, ID: "ds-3", Name: "ten", CapacityGB: 100, FreeGB: 10},
			// Free 9.99 %: low.
			{Vcenter: vc, ID: "ds-4", Name: "low", CapacityGB: 100, FreeGB: 9.99},
			// Unknown capacity: no checks.
			{Vcenter: vc, ID: "ds-5", Name: "zero"},
		},
	}
	got := health.Evaluate(st, health.Options{Now: now})
	want := []string{"host_disconnected host-3", "host_disconnected host-4", "host_maintenance host-2", "datastore_overcommit ds-2", "datastore_low_free ds-4"}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("findings %v, want %v", kinds(got), want)
	}
	if f := got[3]; math.Abs(f.Value-100.5) > 1e-9 || f.Threshold != 100 || f.Kind.MessageType() != "Storage" {
		t.Errorf("over-commit %+v", f)
	}
	if f := got[4]; f.Message != "On datastore low is 10% disk space available! The threshold value is 10%. Free MB = 10230" || f.Severity != health.SeverityWarning {
		t.Errorf("low free %+v", f)
	}
	// A ratio of 1.5 tolerates 100.5 %; 20 % free makes ds-3 low too.
	got = health.Evaluate(st, health.Options{Now: now, OvercommitRatio: 1.5, DatastoreMinFreePct: 20})
	want = []string{"host_disconnected host-3", "host_disconnected host-4", "host_maintenance host-2", "datastore_low_free ds-4", "datastore_low_free ds-3"}
	if !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("findings %v, want %v", kinds(got), want)
	}
	if got[3].Severity != health.SeverityCritical {
		t.Errorf("9.99 %% free with a 20 %% threshold is critical: %+v", got[3])
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, o := range []health.Options{{SnapshotMaxAge: -1}, {SnapshotMaxSizeGB: -1}, {OvercommitRatio: -0.5},
		{DatastoreMinFreePct: 101}, {Skip: []health.Kind{"nope"}}} {
		if err := o.Validate(); !errors.Is(err, health.ErrInvalidOptions) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	if err := (health.Options{}).Validate(); err != nil {
		t.Error(err)
	}
}

// detailStore adds fixed detail to a memstore.
type detailStore struct {
	*memstore.Store
	d inventory.Details
}

func (s detailStore) ReadDetails(_ context.Context, p *store.ReadDetailsParams) (*inventory.Details, error) {
	out := &inventory.Details{}
	for _, v := range s.d.VMs {
		if p.Vcenter == "" || v.Vcenter == p.Vcenter {
			out.VMs = append(out.VMs, v)
		}
	}
	return out, nil
}

func (s detailStore) WriteDetails(context.Context, *store.WriteDetailsParams) error { return nil }

func TestCheck(t *testing.T) {
	ctx := context.Background()
	ms := memstore.New()
	state := &inventory.State{
		VMs:        []inventory.VM{vm("vm-1", inventory.PoweredOn)},
		Hosts:      []inventory.Host{{Vcenter: vc, ID: "host-1", Name: `="h"<script>`, InMaintenance: true}},
		Datastores: []inventory.Datastore{{Vcenter: vc, ID: "ds-1", Name: "d", CapacityGB: 10, FreeGB: 5}},
	}
	if _, err := ms.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: now, Samples: []inventory.Sample{state.VMs[0].Sample(now)}, State: state}); err != nil {
		t.Fatal(err)
	}
	// Without detail: the host finding plus the note that VM checks were skipped.
	got, err := health.Check(ctx, ms, &health.Params{Options: health.Options{Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"no_detail vc-1", "host_maintenance host-1"}; !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("without detail: %v, want %v", kinds(got), want)
	}
	if got[1].Name != `="h"<script>` {
		t.Errorf("host name %q", got[1].Name)
	}
	ds := detailStore{Store: ms, d: inventory.Details{VMs: []inventory.VMDetail{{Vcenter: vc, VMID: "vm-1", ConsolidationNeeded: true}}}}
	got, err = health.Check(ctx, ds, &health.Params{Vcenter: vc, Options: health.Options{Now: now}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"host_maintenance host-1", "consolidation_needed vm-1"}; !reflect.DeepEqual(kinds(got), want) {
		t.Fatalf("with detail: %v, want %v", kinds(got), want)
	}
	// Another vCenter has nothing.
	if got, err := health.Check(ctx, ds, &health.Params{Vcenter: "other"}); err != nil || len(got) != 0 {
		t.Errorf("other vCenter: %v, %v", kinds(got), err)
	}
	var he *health.Error
	if _, err := health.Check(ctx, ms, &health.Params{Options: health.Options{OvercommitRatio: -1}}); !errors.As(err, &he) || !errors.Is(err, health.ErrInvalidOptions) {
		t.Errorf("invalid options: %v", err)
	}
}
