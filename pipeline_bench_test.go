package vinventory_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// BenchmarkRunHourly measures one RunHourly (capture + reconcile of a
// 500-VM simulated vCenter into memstore, compatibility table included).
func BenchmarkRunHourly(b *testing.B) {
	ctx := context.Background()
	sim := capturetest.NewSim(b, vcsim.Options{VMs: 500, Seed: 1})
	st := memstore.New(memstore.Options{})
	at := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	clock := newTestClock(at)
	p, err := vinventory.NewPipeline(st, vinventory.DefaultSettings(), nil, vinventory.WithClock(clock.Now))
	if err != nil {
		b.Fatal(err)
	}
	targets := []capture.Target{simTarget(sim, "vc-bench", sim.Password, clock.Now)}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := at.Add(time.Duration(i) * time.Hour)
		clock.Set(s)
		if _, err := p.RunHourly(ctx, targets, s); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(500*b.N)/b.Elapsed().Seconds(), "VMs/s")
}

// BenchmarkDueDays measures DueDays and DueMonths over a registry of 90
// days of hourly snapshots of 10 vCenters (21,600 records), all
// aggregated: the cost of a catch-up check that finds nothing. "count"
// runs on the store's store.SnapshotCounter, "list" on the same store with
// the counter hidden (the hourly registry listed).
func BenchmarkDueDays(b *testing.B) {
	ctx := context.Background()
	for _, backend := range []string{"memstore", "sqlite"} {
		var st store.Store
		if backend == "memstore" {
			st = memstore.New(memstore.Options{})
		} else {
			sq, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "due.db"), sqlitestore.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer sq.Close()
			if err := sq.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			st = sq
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		const days, vcs = 90, 10
		for v := 0; v < vcs; v++ {
			vc := fmt.Sprintf("vc%02d", v)
			for h := 0; h < days*24; h++ {
				s := start.Add(time.Duration(h) * time.Hour)
				if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vc, SnapshotTime: s,
					Totals: inventory.Totals{VMCount: 1}, RegisteredAt: s}); err != nil {
					b.Fatal(err)
				}
			}
		}
		now := start.AddDate(0, 0, days)
		p, err := vinventory.NewPipeline(st, vinventory.DefaultSettings(), nil, vinventory.WithClock(func() time.Time { return now }))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.CatchUp(ctx, now); err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"count", "list"} {
			b.Run(backend+"/"+mode, func(b *testing.B) {
				var s store.Store = st
				if mode == "list" {
					s = struct{ store.Store }{st}
				}
				p, err := vinventory.NewPipeline(s, vinventory.DefaultSettings(), nil, vinventory.WithClock(func() time.Time { return now }))
				if err != nil {
					b.Fatal(err)
				}
				for b.Loop() {
					d, err := p.DueDays(ctx, now)
					if err != nil || len(d) != 0 {
						b.Fatalf("due days %d, %v", len(d), err)
					}
					m, err := p.DueMonths(ctx, now)
					if err != nil || len(m) != 0 {
						b.Fatalf("due months %d, %v", len(m), err)
					}
				}
			})
		}
	}
}
