package storetest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// Snapshot builds a consistent vCenter snapshot; Dump and Diff compare two
// stores table by table.
func ExampleSnapshot() {
	ctx := context.Background()
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	p := storetest.Snapshot("vc1", at, 40, 1)
	fmt.Printf("%d VMs (%d templates), %d hosts, %d clusters, %d datastores, %d networks, %d pools\n",
		len(p.State.VMs), p.Totals.TemplateCount, len(p.State.Hosts), len(p.State.Clusters),
		len(p.State.Datastores), len(p.State.Networks), len(p.State.ResourcePools))

	a, b := memstore.New(), memstore.New()
	for _, st := range []store.Store{a, b} {
		if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc1", at, 40, 1)); err != nil {
			fmt.Println(err)
			return
		}
	}
	da, err := storetest.DumpContext(ctx, a)
	if err != nil {
		fmt.Println(err)
		return
	}
	db, _ := storetest.DumpContext(ctx, b)
	fmt.Println("same writes, same contents:", storetest.Diff(da, db) == "", "samples:", len(da.Samples))
	// Output:
	// 40 VMs (4 templates), 4 hosts, 2 clusters, 3 datastores, 3 networks, 12 pools
	// same writes, same contents: true samples: 40
}
