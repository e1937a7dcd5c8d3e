package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// ExampleCollect collects one set of utilisation metrics from a
// simulated vCenter into an in-memory store.
func ExampleCollect() {
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 8, Templates: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sim.Close()
	src, err := vsphere.New(ctx, sim.Endpoint("vc1"), vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close(ctx)

	st := memstore.New()
	res, err := metrics.Collect(ctx, src, st, metrics.CollectOptions{PerfBatchSize: 50})
	if pe, ok := errors.AsType[*metrics.PartialError](err); ok {
		fmt.Println("stored, with failures:", pe.Failures)
	} else if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("hosts", res.Entities[inventory.EntityHost], "clusters", res.Entities[inventory.EntityCluster],
		"datastores", res.Entities[inventory.EntityDatastore], "counters", len(res.Counters))

	keys, err := st.ListMetricKeys(ctx, &store.ListMetricKeysParams{Vcenter: "vc1", EntityType: inventory.EntityCluster})
	if err != nil {
		fmt.Println(err)
		return
	}
	series, err := st.QueryMetrics(ctx, &store.QueryMetricsParams{
		Vcenter: "vc1", EntityType: inventory.EntityCluster, EntityIDs: []string{keys[0].EntityID},
		Metrics: []inventory.Metric{inventory.MetricCPUCapacityMHz, inventory.MetricCPUUsageMHz},
		From:    res.Time, To: res.Time.Add(time.Minute), Step: time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range series {
		// Sums over the cluster's three hosts (vcsim: 67 MHz used of
		// 2 × 2294 MHz each).
		fmt.Println(s.EntityID, s.Metric, s.Buckets[0].Avg)
	}
	// Output:
	// hosts 6 clusters 2 datastores 2 counters 7
	// domain-c17 cpu.capacity.mhz 13764
	// domain-c17 cpu.usage.mhz 201
}
