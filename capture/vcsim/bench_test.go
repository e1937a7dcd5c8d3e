package vcsim_test

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture/vcsim"
)

// BenchmarkNewSim measures building large inventories:
//
//	go test -run '^$' -bench BenchmarkNewSim -benchtime 1x ./capture/capturetest/
//
// It reports the build time (Start, excluding Close) as s/build, the peak
// heap (sampled every 10 ms) as peak-heap-MB and the live heap after the
// build as live-heap-MB.
func BenchmarkNewSim(b *testing.B) {
	for _, n := range []int{10000, 40000} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) {
			opts := vcsim.Options{
				Datacenters:           2,
				ClustersPerDatacenter: 4,
				HostsPerCluster:       8,
				Datastores:            8,
				VMs:                   n,
				Templates:             20,
				Seed:                  1,
			}
			var build time.Duration
			var peak, live uint64
			for range b.N {
				runtime.GC()
				stop := sampleHeap(&peak)
				start := time.Now()
				s, err := vcsim.Start(context.Background(), opts)
				build += time.Since(start)
				stop()
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				runtime.GC()
				live = max(live, heapBytes())
				s.Close()
				b.StartTimer()
			}
			b.ReportMetric(build.Seconds()/float64(b.N), "s/build")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(live)/(1<<20), "live-heap-MB")
		})
	}
}

// sampleHeap records the largest heap seen until the returned function is
// called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			*peak = max(*peak, heapBytes())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
