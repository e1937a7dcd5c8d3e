package vcsim_test

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/performance"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

func TestQuickStatsAndRecordPerf(t *testing.T) {
	s := capturetest.NewSim(t, vcsim.Options{VMs: 2, Templates: -1, Seed: 3})
	ctx := context.Background()
	c := s.Client.Client
	vm := s.VMRefs()[0]
	want := types.VirtualMachineQuickStats{OverallCpuUsage: 321, GuestMemoryUsage: 654, HostMemoryUsage: 987, UptimeSeconds: 42}
	if err := s.SetVMQuickStats(vm, want); err != nil {
		t.Fatal(err)
	}
	var got mo.VirtualMachine
	if err := s.Client.RetrieveOne(ctx, types.ManagedObjectReference{Type: "VirtualMachine", Value: vm}, []string{"summary.quickStats"}, &got); err != nil {
		t.Fatal(err)
	}
	if qs := got.Summary.QuickStats; qs.OverallCpuUsage != 321 || qs.GuestMemoryUsage != 654 || qs.HostMemoryUsage != 987 || qs.UptimeSeconds != 42 {
		t.Errorf("VM quickStats %+v", qs)
	}
	host := s.Hosts()["DC0_C0_H0"]
	if err := s.SetHostQuickStats("DC0_C0_H0", types.HostListSummaryQuickStats{OverallCpuUsage: 1111, OverallMemoryUsage: 2222}); err != nil {
		t.Fatal(err)
	}
	var h mo.HostSystem
	if err := s.Client.RetrieveOne(ctx, types.ManagedObjectReference{Type: "HostSystem", Value: host}, []string{"summary.quickStats"}, &h); err != nil {
		t.Fatal(err)
	}
	if qs := h.Summary.QuickStats; qs.OverallCpuUsage != 1111 || qs.OverallMemoryUsage != 2222 {
		t.Errorf("host quickStats %+v", qs)
	}
	if err := s.SetVMQuickStats("no-such-vm", want); err == nil {
		t.Error("unknown VM accepted")
	}

	// RecordPerf records what QueryPerf served; the PerformanceManager's
	// properties still read through the wrapper.
	pm := performance.NewManager(c)
	rec := s.RecordPerf()
	spec := types.PerfQuerySpec{Entity: types.ManagedObjectReference{Type: "HostSystem", Value: host}, IntervalId: 20, MaxSample: 3, MetricId: []types.PerfMetricId{{CounterId: 2}}}
	res, err := pm.Query(ctx, []types.PerfQuerySpec{spec})
	if err != nil {
		t.Fatal(err)
	}
	names, err := pm.CounterInfoByName(ctx)
	if err != nil || len(names) == 0 {
		t.Fatalf("counters after RecordPerf: %d, %v", len(names), err)
	}
	q := rec.Queries()
	if len(q) != 1 || len(q[0].Specs) != 1 || q[0].Specs[0].Entity.Value != host || len(q[0].Result) != 1 {
		t.Fatalf("recorded %+v", q)
	}
	served := q[0].Result[0].(*types.PerfEntityMetric)
	client := res[0].(*types.PerfEntityMetric)
	if len(served.SampleInfo) != 3 || len(client.SampleInfo) != 3 {
		t.Fatalf("samples served %d, received %d", len(served.SampleInfo), len(client.SampleInfo))
	}
	for i := range served.SampleInfo {
		if !served.SampleInfo[i].Timestamp.Truncate(time.Second).Equal(client.SampleInfo[i].Timestamp.Truncate(time.Second)) {
			t.Errorf("sample %d at %v served, %v received", i, served.SampleInfo[i].Timestamp, client.SampleInfo[i].Timestamp)
		}
	}
	sv := served.Value[0].(*types.PerfMetricIntSeries).Value
	cv := client.Value[0].(*types.PerfMetricIntSeries).Value
	if len(sv) != len(cv) {
		t.Fatalf("values served %v, received %v", sv, cv)
	}
	for i := range sv {
		if sv[i] != cv[i] {
			t.Errorf("value %d: served %d, received %d", i, sv[i], cv[i])
		}
	}
	rec.Stop()
	if _, err := pm.Query(ctx, []types.PerfQuerySpec{spec}); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.Queries()); n != 1 {
		t.Errorf("%d queries recorded after Stop", n)
	}
}
