package alert_test

import (
	"context"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// Embed the evaluator: rules in, store in, transitions out.
func ExampleEvaluator() {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	st := memstore.New(memstore.Options{Clock: func() time.Time { return now }})
	// A capture wrote this state (capture.Capture does it in a real setup).
	_, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: "vc1", SnapshotTime: now, State: &inventory.State{
		Datastores: []inventory.Datastore{
			{Vcenter: "vc1", ID: "datastore-1", Name: "gold-01", CapacityGB: 1000, FreeGB: 80, SnapshotTime: now},
			{Vcenter: "vc1", ID: "datastore-2", Name: "gold-02", CapacityGB: 1000, FreeGB: 500, SnapshotTime: now},
		},
	}})
	if err != nil {
		panic(err)
	}
	ev, err := alert.NewEvaluator(st, alert.Options{Clock: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	res, err := ev.Run(ctx, &alert.RunParams{Rules: []inventory.AlertRule{{
		ID: "datastore-full", Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityCritical, Enabled: true,
		Threshold: 85, Clear: 80,
	}}})
	if err != nil {
		panic(err)
	}
	for _, c := range res.Changes {
		fmt.Printf("%s -> %s: %s\n", c.From, c.To, c.Alert.Summary)
	}
	// Output:
	// -> open: datastore gold-01 is 92.0% used (raise at 85%, clear below 80%)
}
