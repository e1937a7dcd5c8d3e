package vsphere

import (
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/inventory"
)

// TestPerfPoints checks the sample conversion against hand-computed
// values: percentages in 1/100 %, cpu.ready per vCPU, the highest
// latency instance, "no data" (-1) samples and Since.
func TestPerfPoints(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 500e6, time.UTC)
	info := []types.PerfSampleInfo{{Timestamp: t0, Interval: 20}, {Timestamp: t0.Add(20 * time.Second), Interval: 20}, {Timestamp: t0.Add(40 * time.Second), Interval: 20}}
	series := func(id int32, inst string, v ...int64) types.BasePerfMetricSeries {
		return &types.PerfMetricIntSeries{PerfMetricSeries: types.PerfMetricSeries{Id: types.PerfMetricId{CounterId: id, Instance: inst}}, Value: v}
	}
	em := &types.PerfEntityMetric{
		PerfEntityMetricBase: types.PerfEntityMetricBase{Entity: types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-7"}},
		SampleInfo:           info,
		Value: []types.BasePerfMetricSeries{
			series(1, "", 1000, 2000, 3300), // cpu.usage: 10, 20, 33 % -> 21 %
			series(2, "", 400, 800, -1),     // cpu.ready ms: 2 %, 4 % over 20 s; / 2 vCPUs -> 1.5 %
			series(3, "ds-a", 5, 7, 9),      // read latency: mean 7
			series(3, "ds-b", 10, 20, 0),    // mean 10: the highest
			series(4, "", 1, 2),             // a series of another length is left out
		},
	}
	metricOf := map[int32]inventory.Metric{1: inventory.MetricPerfCPUUsagePct, 2: inventory.MetricPerfCPUReadyPct, 3: inventory.MetricPerfDatastoreReadLatencyMs, 4: inventory.MetricPerfNetUsageKBps}
	got := map[inventory.Metric]inventory.MetricPoint{}
	for _, p := range perfPoints("vc", inventory.EntityVM, em, time.Time{}, 2, metricOf) {
		got[p.Metric] = p
	}
	newest := t0.Add(40 * time.Second).Truncate(time.Second)
	want := map[inventory.Metric]float64{inventory.MetricPerfCPUUsagePct: 21, inventory.MetricPerfCPUReadyPct: 1.5, inventory.MetricPerfDatastoreReadLatencyMs: 10}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for m, v := range want {
		p := got[m]
		if !near(p.Value, v) || p.EntityID != "vm-7" || p.Vcenter != "vc" || p.EntityType != inventory.EntityVM {
			t.Errorf("%s = %+v, want %v", m, p, v)
		}
	}
	// cpu.ready's newest valid sample is the second one.
	if at := got[inventory.MetricPerfCPUReadyPct].Time; !at.Equal(t0.Add(20 * time.Second).Truncate(time.Second)) {
		t.Errorf("cpu.ready at %v", at)
	}
	if at := got[inventory.MetricPerfCPUUsagePct].Time; !at.Equal(newest) {
		t.Errorf("cpu.usage at %v, want %v", at, newest)
	}
	// Since leaves out the samples at or before it: cpu.usage 33 %.
	for _, p := range perfPoints("vc", inventory.EntityVM, em, t0.Add(20*time.Second), 2, metricOf) {
		if p.Metric == inventory.MetricPerfCPUUsagePct && p.Value != 33 {
			t.Errorf("cpu.usage since the second sample = %v, want 33", p.Value)
		}
		if p.Metric == inventory.MetricPerfCPUReadyPct {
			t.Errorf("cpu.ready has no valid sample after Since, got %v", p.Value)
		}
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }
