package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// benchQueryVcenter is the vCenter BenchQuery writes.
const benchQueryVcenter = "bench-query"

// BenchQueryVMs is the number of VMs BenchQuery queries.
const BenchQueryVMs = 40000

// BenchQuery measures store.Querier (st must implement it) over one
// vCenter of BenchQueryVMs VMs (Snapshot's inventory: names like
// "vm01234-web", a third of the VMs with five attributes), written once
// before the timers start and kept for later calls on the same store. Each
// sub-benchmark runs one call, scoped to that vCenter as the API scopes
// its callers, and reports rows/op (VMs or hits returned):
//
//   - filter+q/first, filter+q/deep: powered-on VMs whose text contains
//     "web", by -ram_mb, the first page of 100 and page 15;
//   - filter+q+count/first: the first page with Count;
//   - all-by-name/first, all-by-name/deep: every VM by name (the API's
//     default list), the first page and page 300;
//   - search/rare: Search for "vm12345" (a handful of VMs);
//   - search/tag: Search for "team-1", a tag value thousands of VMs share.
func BenchQuery(b *testing.B, st store.Store) {
	qr, ok := st.(store.Querier)
	if !ok {
		b.Skipf("%T does not implement store.Querier", st)
	}
	ctx := context.Background()
	BenchQueryLoad(b, st)
	scope := []string{benchQueryVcenter}
	filtered := store.QueryVMsParams{Vcenters: scope, PowerState: inventory.PoweredOn, Q: "web", Sort: "-ram_mb", Limit: 100}
	counted := filtered
	counted.Count = true
	byName := store.QueryVMsParams{Vcenters: scope, Limit: 100}
	for _, c := range []struct {
		name string
		p    store.QueryVMsParams
		page int
	}{
		{"filter+q/first", filtered, 0},
		{"filter+q/deep", filtered, 15},
		{"filter+q+count/first", counted, 0},
		{"all-by-name/first", byName, 0},
		{"all-by-name/deep", byName, 300},
	} {
		p := c.p
		for i := 0; i < c.page; i++ { // the cursor of page c.page
			pg, err := qr.QueryVMs(ctx, &p)
			if err != nil {
				b.Fatalf("QueryVMs page %d: %v", i, err)
			}
			if pg.NextCursor == "" {
				b.Fatalf("QueryVMs %s: only %d pages", c.name, i+1)
			}
			p.Cursor = pg.NextCursor
		}
		b.Run(c.name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				pg, err := qr.QueryVMs(ctx, &p)
				if err != nil {
					b.Fatalf("QueryVMs: %v", err)
				}
				rows = len(pg.VMs)
			}
			if rows != p.Limit {
				b.Fatalf("QueryVMs %s: %d VMs, want a full page of %d", c.name, rows, p.Limit)
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
	for _, c := range []struct{ name, q string }{{"search/rare", "vm12345"}, {"search/tag", "team-1"}} {
		b.Run(c.name, func(b *testing.B) {
			hits := 0
			for b.Loop() {
				res, err := qr.Search(ctx, &store.SearchParams{Q: c.q, Vcenters: scope})
				if err != nil {
					b.Fatalf("Search: %v", err)
				}
				hits = len(res.Hits)
			}
			if hits == 0 {
				b.Fatalf("Search %q found nothing", c.q)
			}
			b.ReportMetric(float64(hits), "rows/op")
		})
	}
}

// BenchQueryLoad writes BenchQuery's inventory into st unless it holds it
// already (a backend may load it first, then refresh its planner
// statistics as its maintenance would).
func BenchQueryLoad(b *testing.B, st store.Store) {
	ctx := context.Background()
	if _, err := st.StateTime(ctx, benchQueryVcenter); errors.Is(err, store.ErrNotFound) {
		if _, err := st.WriteSnapshot(ctx, Snapshot(benchQueryVcenter, benchEpoch, BenchQueryVMs, 1)); err != nil {
			b.Fatalf("loading %d VMs: WriteSnapshot: %v", BenchQueryVMs, err)
		}
	} else if err != nil {
		b.Fatalf("StateTime: %v", err)
	}
}
