package inventory_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

func TestIdentities(t *testing.T) {
	var x inventory.Identities
	a := x.Resolve("vm-1", "u1", "a")
	if got := x.Resolve("vm-1", "u1-changed", "renamed"); got != a {
		t.Fatalf("same vm_id must join: got %d want %d", got, a)
	}
	if got := x.Resolve("", "u1", "other-name"); got != a {
		t.Fatalf("no vm_id, shared uuid must join: got %d want %d", got, a)
	}
	b := x.Resolve("vm-2", "u1", "a") // different moref: a different VM even with same uuid
	if b == a {
		t.Fatal("distinct vm_id must not join")
	}
	c := x.Resolve("", "", "lonely")
	if got := x.Resolve("", "", "lonely"); got != c {
		t.Fatal("same name with no ids must join")
	}
	if got := x.Resolve("", "", "a"); got != a {
		t.Fatalf("name-only sample must join the first VM with a vm_id that carried its name: got %d want %d", got, a)
	}
	// A name-only group adopts the first vm_id that comes with its name.
	e := x.Resolve("", "", "named-first")
	if got := x.Resolve("vm-7", "u7", "named-first"); got != e {
		t.Fatalf("name-only group must adopt a later vm_id with its name: got %d want %d", got, e)
	}
	// A uuid-only group is not joined by name.
	f := x.Resolve("", "u8", "only-uuid")
	if got := x.Resolve("", "", "only-uuid"); got == f {
		t.Fatal("name-only sample joined a group without a vm_id that has a uuid")
	}
	// A uuid-only group adopts the moref that appears later.
	d := x.Resolve("", "u9", "late")
	if got := x.Resolve("vm-9", "u9", "late"); got != d {
		t.Fatalf("uuid-only group must adopt later vm_id: got %d want %d", got, d)
	}
	if x.Len() != 7 {
		t.Fatalf("Len = %d, want 7", x.Len())
	}
	if inventory.VMKey("vm-1", "u", "n") != "vm-1" || inventory.VMKey("", "u", "n") != "uuid:u" || inventory.VMKey("", "", "n") != "name:n" {
		t.Fatal("VMKey precedence broken")
	}
}

func TestTierMap(t *testing.T) {
	tm := inventory.DefaultTierMap()
	for pool, want := range map[string]inventory.Tier{
		"Gold": inventory.TierGold, "gold": inventory.TierGold, "Resources/Silver": inventory.TierSilver,
		"Resources/Gold/web": inventory.TierNone, "BRONZE": inventory.TierBronze, "tin": inventory.TierTin, "": inventory.TierNone, "Platinum": inventory.TierNone,
	} {
		if got := tm.Of(pool); got != want {
			t.Errorf("Of(%q) = %q, want %q", pool, got, want)
		}
	}
	custom, err := inventory.NewTierMap(map[string]inventory.Tier{"Prod": inventory.TierGold})
	if err != nil {
		t.Fatal(err)
	}
	if custom.Of("prod") != inventory.TierGold || custom.Of("Gold") != inventory.TierNone {
		t.Fatal("custom map not applied")
	}
	if _, err := inventory.NewTierMap(map[string]inventory.Tier{"x": "Platinum"}); err == nil || !strings.Contains(err.Error(), "pool_tiers") {
		t.Fatalf("want pool_tiers error, got %v", err)
	}
}

func TestWindowsDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	// 2026-03-08 is a 23-hour day in New York; 2026-11-01 a 25-hour one.
	if d := inventory.DayOf(time.Date(2026, 3, 8, 12, 0, 0, 0, time.UTC), ny); d.End.Sub(d.Start) != 23*time.Hour {
		t.Fatalf("spring-forward day lasts %v", d.End.Sub(d.Start))
	}
	if d := inventory.DayOf(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), ny); d.End.Sub(d.Start) != 25*time.Hour {
		t.Fatalf("fall-back day lasts %v", d.End.Sub(d.Start))
	}
	// 03:30 UTC on Nov 22 is still Nov 21 in New York.
	d := inventory.DayOf(time.Date(2026, 11, 22, 3, 30, 0, 0, time.UTC), ny)
	if got := inventory.DailyTableName(d.Start); got != "inventory_daily_summary_20261121" {
		t.Fatalf("table = %s", got)
	}
	m := inventory.MonthOf(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), nil)
	if len(m.Days()) != 28 || inventory.MonthlyTableName(m.Start) != "inventory_monthly_summary_202602" {
		t.Fatalf("february: %d days, %s", len(m.Days()), inventory.MonthlyTableName(m.Start))
	}
	if !m.Contains(m.Start) || m.Contains(m.End) {
		t.Fatal("window must be half-open")
	}
	h := inventory.HourOf(time.Date(2026, 11, 22, 14, 59, 59, 5, time.UTC), nil)
	if !h.Start.Equal(time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)) || inventory.HourlyTableName(h.Start) != "inventory_hourly_202611221400" {
		t.Fatalf("hour = %v", h)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err == nil {
		h := inventory.HourOf(time.Date(2026, 11, 22, 14, 10, 0, 0, time.UTC), kolkata) // 19:40 IST
		if !h.Start.Equal(time.Date(2026, 11, 22, 13, 30, 0, 0, time.UTC)) {
			t.Fatalf("IST hour start = %v", h.Start.UTC())
		}
	}
}

func TestEndpointValidateAndRedaction(t *testing.T) {
	ep := inventory.Endpoint{Name: "vc1", URL: "https://admin:s3cr3t@vc1.example.com/sdk", Credential: []byte("s3cr3t-blob")}
	err := ep.Validate()
	var fe *inventory.FieldError
	if !errors.As(err, &fe) || fe.Field != "url" {
		t.Fatalf("want url FieldError, got %v", err)
	}
	for _, s := range []string{err.Error(), ep.String(), fmt.Sprintf("%v %+v %#v %s", ep, ep, ep, ep)} {
		if strings.Contains(s, "s3cr3t") {
			t.Fatalf("secret leaked: %s", s)
		}
	}
	bad := inventory.Endpoint{URL: "ftp://x", Kind: "nsx", PollInterval: -1}
	msg := bad.Validate().Error()
	for _, field := range []string{"name:", "url:", "kind:", "poll_interval:"} {
		if !strings.Contains(msg, field) {
			t.Errorf("error %q does not name %s", msg, field)
		}
	}
	good := inventory.Endpoint{Name: "vc1", URL: "https://vc1.example.com/sdk"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	if good.EffectiveKind() != inventory.KindVCenter || good.EffectivePollInterval() != time.Hour {
		t.Fatal("defaults not applied")
	}
}

func TestComputeTotalsExcludesTemplates(t *testing.T) {
	s := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	samples := []inventory.Sample{
		{VMID: "vm-1", PowerState: inventory.PoweredOn, VCPUCount: 4, RAMMB: 8192, ProvisionedDiskGB: 100},
		{VMID: "vm-2", PowerState: inventory.PoweredOff, VCPUCount: 2, RAMMB: 1024, ProvisionedDiskGB: 50},
		{VMID: "vm-3", IsTemplate: true, PowerState: inventory.PoweredOff, VCPUCount: 8, RAMMB: 65536, ProvisionedDiskGB: 40},
	}
	st := &inventory.State{Hosts: make([]inventory.Host, 3), Clusters: make([]inventory.Cluster, 1),
		Datastores: []inventory.Datastore{{CapacityGB: 1000, FreeGB: 400}, {CapacityGB: 500, FreeGB: 100}}}
	got := inventory.ComputeTotals("vc1", s, samples, st)
	want := inventory.Totals{Vcenter: "vc1", SnapshotTime: s, VMCount: 2, TemplateCount: 1, PoweredOnCount: 1, VCPUTotal: 6,
		RAMGBTotal: 9, ProvisionedDiskGBTotal: 190, HostCount: 3, ClusterCount: 1, DatastoreCount: 2,
		DatastoreCapacityGB: 1500, DatastoreFreeGB: 500}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestFieldErrors(t *testing.T) {
	if inventory.FieldErrors(nil) != nil {
		t.Error("FieldErrors(nil) is not nil")
	}
	ep := inventory.Endpoint{Kind: "mainframe", URL: "ftp://x", PollInterval: -1}
	fes := inventory.FieldErrors(ep.Validate())
	var fields []string
	for _, fe := range fes {
		fields = append(fields, fe.Field)
	}
	got := strings.Join(fields, ",")
	for _, want := range []string{"name", "kind", "url", "poll_interval"} {
		if !strings.Contains(got, want) {
			t.Errorf("FieldErrors fields %q lack %q", got, want)
		}
	}
	plain := inventory.FieldErrors(errors.Join(errors.New("boom"), &inventory.FieldError{Field: "f", Reason: "r"}))
	if len(plain) != 2 || plain[0].Field != "" || plain[0].Reason != "boom" || plain[1].Field != "f" {
		t.Errorf("FieldErrors(mixed) = %+v", plain)
	}
}
