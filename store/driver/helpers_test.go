package driver_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/driver"
)

func TestCursorKeepsAnyBytes(t *testing.T) {
	parts := []string{"vc\xff\xfe1", "", "vm-1\x00x", "é'\"<"}
	c := driver.EncodeCursor(parts...)
	got, err := driver.DecodeCursor("Op", c, len(parts))
	if err != nil {
		t.Fatal(err)
	}
	for i := range parts {
		if got[i] != parts[i] {
			t.Fatalf("part %d: %q != %q", i, got[i], parts[i])
		}
	}
	var ip *store.InvalidParamsError
	for _, bad := range []string{"garbage!", driver.EncodeCursor("a"), "W10"} {
		if _, err := driver.DecodeCursor("Op", bad, 4); !errors.As(err, &ip) || ip.Field != "Cursor" {
			t.Errorf("cursor %q: want Cursor InvalidParamsError, got %v", bad, err)
		}
	}
}

func TestValidateSnapshotNamesTheField(t *testing.T) {
	s := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	ok := inventory.Sample{Vcenter: "vc", SnapshotTime: s, VMID: "vm-1", Name: "a"}
	for _, c := range []struct {
		name  string
		mut   func(p *store.WriteSnapshotParams)
		field string
	}{
		{"nul in name", func(p *store.WriteSnapshotParams) { p.Samples[1].Name = "a\x00b" }, "Samples[1].Name"},
		{"bad utf8 host", func(p *store.WriteSnapshotParams) { p.Samples[0].Host = "\xff" }, "Samples[0].Host"},
		{"nan disk", func(p *store.WriteSnapshotParams) { p.Samples[1].UsedDiskGB = math.NaN() }, "Samples[1].ProvisionedDiskGB/UsedDiskGB"},
		{"duplicate key", func(p *store.WriteSnapshotParams) { p.Samples[1].VMID = "vm-1" }, "Samples[1]"},
		{"wrong vcenter", func(p *store.WriteSnapshotParams) { p.Samples[1].Vcenter = "other" }, "Samples[1].Vcenter"},
		{"state dup id", func(p *store.WriteSnapshotParams) {
			p.State = &inventory.State{Hosts: []inventory.Host{{Vcenter: "vc", ID: "h"}, {Vcenter: "vc", ID: "h"}}}
		}, "State.Hosts[1].ID"},
		{"state nul", func(p *store.WriteSnapshotParams) {
			p.State = &inventory.State{Networks: []inventory.Network{{Vcenter: "vc", ID: "n", Name: "x\x00"}}}
		}, "State.Networks[0]"},
		{"totals inf", func(p *store.WriteSnapshotParams) { p.Totals.RAMGBTotal = math.Inf(1) }, "Totals"},
	} {
		p := &store.WriteSnapshotParams{Vcenter: "vc", SnapshotTime: s, Samples: []inventory.Sample{ok, ok}}
		p.Samples[1].VMID = "vm-2"
		if err := driver.ValidateSnapshot(p); err != nil {
			t.Fatalf("%s: valid params rejected: %v", c.name, err)
		}
		c.mut(p)
		var ip *store.InvalidParamsError
		if err := driver.ValidateSnapshot(p); !errors.As(err, &ip) || ip.Field != c.field {
			t.Errorf("%s: want field %q, got %v", c.name, c.field, err)
		}
	}
}

func TestValidSampleDoesNotAllocate(t *testing.T) {
	s := inventory.Sample{Vcenter: "vc", SnapshotTime: time.Unix(1, 0), VMID: "vm-1", Name: "a", Attributes: map[string]string{"k": "v"}}
	if n := testing.AllocsPerRun(100, func() { _ = driver.ValidateSample("Op", "Samples", &s) }); n != 0 {
		t.Fatalf("ValidateSample allocates %v times per valid sample", n)
	}
}

func TestParseCompatTableName(t *testing.T) {
	for name, kind := range map[string]store.CompatKind{
		"inventory_hourly_202611221400": store.CompatHourly, "inventory_daily_summary_20261122": store.CompatDaily,
		"inventory_monthly_summary_202611": store.CompatMonthly,
	} {
		ct, ok := driver.ParseCompatTableName(name)
		if !ok || ct.Kind != kind || ct.Period.Year() != 2026 {
			t.Errorf("%s: %+v %v", name, ct, ok)
		}
	}
	for _, bad := range []string{"vm_hourly_stats", "inventory_hourly_2026112214", "inventory_daily_summary_20261322", `inventory_daily_summary_2026112"`, "inventory_monthly_summary_202611; DROP"} {
		if _, ok := driver.ParseCompatTableName(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
