package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestPageWeight weighs every main page over a captured vCenter of a few
// hundred VMs (two hourly captures, rolled up, priced by two rate cards):
// HTML plus every stylesheet and script it loads, gzip-compressed as
// served. It logs the table and fails when a page is over MaxPageWeight.
func TestPageWeight(t *testing.T) {
	s, v := weightFixture(t)
	var tbl strings.Builder
	fmt.Fprintf(&tbl, "\n| page | HTML | CSS + JS | total |\n|---|---|---|---|\n")
	for _, target := range MainPages(v.Vcenter, v.ID, v.Name) {
		w, err := Weigh(s, target, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Assets) < 3 {
			t.Errorf("%s: %d assets (want the stylesheets and app.js): %+v", target, len(w.Assets), w.Assets)
		}
		fmt.Fprintf(&tbl, "| %s | %.1f KB | %.1f KB (%d files) | %.1f KB |\n", target, kb(w.HTML), kb(w.Total-w.HTML), len(w.Assets), kb(w.Total))
		if w.Total > MaxPageWeight {
			t.Errorf("%s: %d bytes compressed on first load, over the %d budget: %+v", target, w.Total, MaxPageWeight, w)
		}
	}
	t.Log(tbl.String())
}

func kb(n int) float64 { return float64(n) / 1000 }

// BenchmarkVMListPage renders the VM list page of TestPageWeight's
// inventory (power_state=poweredOn, sort=-vcpu_count: 50 rows), gzip
// included, in process: the page's own cost over a fast store.
func BenchmarkVMListPage(b *testing.B) {
	s, _ := weightFixture(b)
	for b.Loop() {
		if _, _, err := fetchGzip(s, "/vms?power_state=poweredOn&sort=-vcpu_count", nil); err != nil {
			b.Fatal(err)
		}
	}
}

// weightFixture is a memstore with a captured vCenter of 300 VMs (two
// hourly captures, rolled up, two rate cards, an endpoint), the pages
// over it as an admin (NoAuth: every form and column), and a VM.
func weightFixture(tb testing.TB) (*Server, inventory.VM) {
	tb.Helper()
	const vc = "vc-weight"
	ctx := context.Background()
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	st := memstore.New(memstore.Options{})
	sim := capturetest.NewSim(tb, vcsim.Options{VMs: 300, Templates: -1})
	src := simSource(tb, sim, vc)
	for _, at := range []time.Time{day.Add(10 * time.Hour), day.Add(11 * time.Hour)} {
		capturetest.Snapshot(tb, st, src, at, 2*time.Second)
	}
	if _, err := aggregate.Daily(ctx, st, day, aggregate.Options{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := aggregate.Monthly(ctx, st, day, aggregate.Options{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{Name: vc,
		URL: "https://" + sim.URL.Host + "/sdk", Username: "u", Credential: []byte("sealed"), PollInterval: time.Hour, Enabled: true}}); err != nil {
		tb.Fatal(err)
	}
	for _, c := range []inventory.RateCard{
		{Name: "base", Currency: "EUR", VCPUDay: "0.50", RAMGBDay: "0.10", ProvisionedDiskGBDay: "0.002", VMDay: "0.20"},
		{Name: "gold", Currency: "EUR", Tier: string(inventory.TierGold), VCPUDay: "0.90", RAMGBDay: "0.15", VMDay: "0.20"},
	} {
		c.EffectiveFrom = day
		if _, err := st.CreateRateCard(ctx, &store.CreateRateCardParams{Card: c}); err != nil {
			tb.Fatal(err)
		}
	}
	clock := func() time.Time { return day.Add(12 * time.Hour) }
	// As an admin (NoAuth): the pages with every form and column.
	a, err := api.New(api.Options{Store: st, NoAuth: true, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(Options{API: a, Clock: clock})
	if err != nil {
		tb.Fatal(err)
	}
	vms, err := st.ListVMs(ctx, &store.ListVMsParams{Limit: 1})
	if err != nil || len(vms.VMs) == 0 {
		tb.Fatalf("no VM: %v", err)
	}
	return s, vms.VMs[0]

}
