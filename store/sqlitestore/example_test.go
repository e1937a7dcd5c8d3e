package sqlitestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vinventory-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	st, err := sqlitestore.Open(ctx, filepath.Join(dir, "inventory.db"), sqlitestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil { // creates the schema (idempotent)
		log.Fatal(err)
	}

	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	vm := inventory.VM{Vcenter: "vc1", ID: "vm-42", Name: "web01", PowerState: inventory.PoweredOn, VCPUCount: 4, RAMMB: 8192}
	res, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{
		Vcenter:      "vc1",
		SnapshotTime: at,
		Samples:      []inventory.Sample{vm.Sample(at)},
		State:        &inventory.State{VMs: []inventory.VM{vm}},
		Totals:       inventory.Totals{VMCount: 1, PoweredOnCount: 1, VCPUTotal: 4, RAMGBTotal: 8},
		Compat:       true,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored", res.Samples, "sample(s); compatibility table", res.CompatTable)

	trace, err := st.TraceVM(ctx, &store.TraceVMParams{VMID: "vm-42"})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range trace {
		fmt.Println(s.SnapshotTime.Format(time.RFC3339), s.Name, s.PowerState, s.VCPUCount)
	}
	// Output:
	// stored 1 sample(s); compatibility table inventory_hourly_202603141000
	// 2026-03-14T10:00:00Z web01 poweredOn 4
}
