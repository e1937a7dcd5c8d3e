package chargeback_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/accessvault/vinventory/chargeback"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// march is the month most tests bill (31 days, UTC).
var march = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// mar returns March n, 2026 (UTC day start).
func mar(n int) time.Time { return march.AddDate(0, 0, n-1) }

// vm is one VM's figures on a day.
type vm struct {
	key                       string
	vcpu, ram, prov, used     float64
	present                   float64
	tin, bronze, silver, gold float64 // pool percentages, 0-100
	cluster, folder           string
	attrs                     map[string]string
	partial                   bool
}

func (v vm) row(vc string, day time.Time) inventory.DailyRollup {
	return inventory.DailyRollup{Day: day, Rollup: inventory.Rollup{
		Vcenter: vc, VMKey: v.key, VMID: v.key, Name: "name of " + v.key, Cluster: v.cluster, Folder: v.folder,
		TotalSamples: 24, SamplesPresent: int(v.present * 24), AvgIsPresent: v.present,
		AvgVCPUCount: v.vcpu, AvgRAMGB: v.ram, AvgProvisionedDiskGB: v.prov, AvgUsedDiskGB: v.used,
		PoolTinPct: v.tin, PoolBronzePct: v.bronze, PoolSilverPct: v.silver, PoolGoldPct: v.gold,
		FirstSeen: day, LastSeen: day.Add(23 * time.Hour), Partial: v.partial, Attributes: v.attrs,
	}}
}

// rollups writes the daily rollups of vc's day through the store API.
func rollups(t testing.TB, st store.Store, vc string, day time.Time, vms ...vm) {
	t.Helper()
	rows := make([]inventory.DailyRollup, len(vms))
	for i, v := range vms {
		rows[i] = v.row(vc, day)
	}
	if err := st.WriteDailyRollups(context.Background(), &store.WriteDailyRollupsParams{Vcenter: vc, Day: day, Rows: rows}); err != nil {
		t.Fatal(err)
	}
}

// covered registers the daily aggregation record of vc's day.
func covered(t testing.TB, st store.Store, vc string, day time.Time, rows int, partial bool) {
	t.Helper()
	rec := inventory.SnapshotRecord{Vcenter: vc, Kind: inventory.Daily, SnapshotTime: day, RowCount: rows, Partial: partial,
		RegisteredAt: day.Add(25 * time.Hour), Duration: time.Second}
	if err := st.RegisterSnapshot(context.Background(), &store.RegisterSnapshotParams{Record: rec}); err != nil {
		t.Fatal(err)
	}
}

// aggregated writes vc's day as a completed daily aggregation: its rollups
// and its registry record.
func aggregated(t testing.TB, st store.Store, vc string, day time.Time, vms ...vm) {
	t.Helper()
	rollups(t, st, vc, day, vms...)
	covered(t, st, vc, day, len(vms), false)
}

// forEachStore runs f on memstore, SQLite and PostgreSQL. Tests of tag
// rules need the backend to keep Rollup.Attributes; a backend that does
// not yet skips them.
func forEachStore(t *testing.T, tags bool, f func(t *testing.T, st store.Store)) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		if tags && !keepsRollupAttributes(t, st) {
			t.Skip("this backend does not store inventory.Rollup.Attributes yet; the tag rules run on the backends that do")
		}
		f(t, st)
	})
}

func keepsRollupAttributes(t *testing.T, st store.Store) bool {
	t.Helper()
	ctx := context.Background()
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	rollups(t, st, "probe", day, vm{key: "p", present: 1, attrs: map[string]string{"tag:probe": "x"}})
	var got map[string]string
	if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{Vcenter: "probe"}, func(r *inventory.DailyRollup) error {
		got = r.Attributes
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rollups(t, st, "probe", day) // no rows: removes the probe
	return got["tag:probe"] == "x"
}

func compute(t *testing.T, st chargeback.Source, req *chargeback.Request) *chargeback.Bill {
	t.Helper()
	b, err := chargeback.Compute(context.Background(), st, req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dec parses a hand-computed decimal.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// checkMoney checks an amount against its hand-computed exact value and
// its presentation.
func checkMoney(t *testing.T, what string, got chargeback.Money, exact, rounded string) {
	t.Helper()
	if !got.Exact.Equal(dec(exact)) || got.Rounded != rounded {
		t.Errorf("%s = %s (rounded %s), want %s (rounded %s)", what, got.Exact, got.Rounded, exact, rounded)
	}
}

// checkQ checks quantities against hand-computed values (vCPU, RAM,
// provisioned, used, VM-days).
func checkQ(t *testing.T, what string, got chargeback.Quantities, vcpu, ram, prov, used, vm string) {
	t.Helper()
	for _, c := range []struct {
		name string
		got  decimal.Decimal
		want string
	}{{"vcpu_days", got.VCPUDays, vcpu}, {"ram_gb_days", got.RAMGBDays, ram}, {"provisioned_disk_gb_days", got.ProvisionedDiskGBDays, prov},
		{"used_disk_gb_days", got.UsedDiskGBDays, used}, {"vm_days", got.VMDays, vm}} {
		if !c.got.Equal(dec(c.want)) {
			t.Errorf("%s %s = %s, want %s", what, c.name, c.got, c.want)
		}
	}
}

// line returns the bill's line with the key, failing the test without one.
func line(t *testing.T, b *chargeback.Bill, key ...string) chargeback.Line {
	t.Helper()
	for _, l := range b.Lines {
		if slices.Equal(l.Key, key) {
			return l
		}
	}
	t.Fatalf("no line %q in %v", key, keys(b))
	return chargeback.Line{}
}

func keys(b *chargeback.Bill) [][]string {
	var out [][]string
	for _, l := range b.Lines {
		out = append(out, l.Key)
	}
	return out
}

// dates returns March from..to as YYYY-MM-DD.
func dates(from, to int) []string {
	var out []string
	for d := from; d <= to; d++ {
		out = append(out, mar(d).Format(time.DateOnly))
	}
	return out
}
