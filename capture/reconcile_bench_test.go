package capture_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// BenchmarkReconcileDeletedHistory reconciles a snapshot of 2,000 VMs
// (100 of them resized since the previous one) in a vCenter whose history
// holds 0 to 500,000 deleted VMs' lifecycle rows: Reconcile reads the
// rows of VMs not deleted and of the VMs in the snapshot only, so its cost
// stays flat as deleted history grows (on SQLite and PostgreSQL; memstore
// filters its rows in memory). PostgreSQL runs with VINVENTORY_TEST_PG_DSN.
//
//	go test -run '^$' -bench BenchmarkReconcileDeletedHistory -benchtime 20x ./capture/
func BenchmarkReconcileDeletedHistory(b *testing.B) {
	ctx := context.Background()
	const vms = 2000
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	for _, backend := range []string{"memory", "sqlite", "postgres"} {
		for _, deleted := range []int{0, 50_000, 500_000} {
			b.Run(fmt.Sprintf("%s/deleted=%d", backend, deleted), func(b *testing.B) {
				var st store.Store = memstore.New(memstore.Options{})
				switch backend {
				case "sqlite":
					s, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "inv.db"), sqlitestore.Options{AutoMigrate: true})
					if err != nil {
						b.Fatal(err)
					}
					defer s.Close()
					st = s
				case "postgres":
					schema := fmt.Sprintf("bench_reconcile_%d_%d", os.Getpid(), deleted)
					s, err := pgstore.Open(ctx, testbackends.PostgresDSN(b), pgstore.Options{Schema: schema, AutoMigrate: true})
					if err != nil {
						b.Fatal(err)
					}
					defer func() {
						_, _ = s.Pool().Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
						s.Close()
					}()
					st = s
				}
				var old []inventory.Lifecycle
				for i := range deleted {
					id := fmt.Sprintf("vm-old-%07d", i)
					old = append(old, inventory.Lifecycle{Vcenter: "vc1", VMID: id, VMUUID: "u-" + id, Name: id,
						FirstSeen: t0.AddDate(-1, 0, 0), LastSeen: t0.AddDate(0, -1, 0), CreationSource: inventory.SourceNone,
						Deleted: true, DeletionTime: t0.AddDate(0, -1, 0).Add(time.Hour), DeletionSource: inventory.SourceAbsence})
					if len(old) == 10_000 || i == deleted-1 {
						if err := st.ApplyReconcile(ctx, &store.ApplyReconcileParams{Vcenter: "vc1", Lifecycles: old}); err != nil {
							b.Fatal(err)
						}
						old = old[:0]
					}
				}
				src := &scripted{name: "vc1", vms: map[string]inventory.VM{}}
				for i := range vms {
					v := vm(fmt.Sprintf("vm-%05d", i), i)
					v.Vcenter = "vc1"
					src.vms[v.ID] = v
				}
				snap := func(at time.Time) *capture.Result {
					res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: at, NoCompatTables: true})
					if err != nil {
						b.Fatal(err)
					}
					return res
				}
				if _, err := capture.Reconcile(ctx, st, src, snap(t0), capture.ReconcileOptions{}); err != nil {
					b.Fatal(err)
				}
				for i := range 100 {
					v := src.vms[fmt.Sprintf("vm-%05d", i)]
					v.VCPUCount++
					src.vms[v.ID] = v
				}
				res := snap(t0.Add(time.Hour))
				b.ResetTimer()
				for b.Loop() {
					if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
