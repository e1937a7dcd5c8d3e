package storetest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Vcenter names the benchmark helpers write.
const (
	benchWriteVcenter = "bench-write"
	benchScanVcenter  = "bench-scan"
)

// benchClock hands out distinct snapshot times across every call of
// BenchWriteSamples in the process, so no batch ever overwrites another.
var benchClock atomic.Int64

var benchEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// benchVMs returns n samples of distinct VMs of one vCenter whose strings
// are built once and shared by every copy (only SnapshotTime changes), with
// attributes on one VM in ten.
func benchVMs(vcenter string, n int) []inventory.Sample {
	out := make([]inventory.Sample, n)
	pools := []string{"Resources/Tin", "Resources/Bronze", "Resources/Silver", "Resources/Gold", "Resources"}
	for i := range out {
		s := sample(vcenter, benchEpoch, fmt.Sprintf("vm-%d", i+1), fmt.Sprintf("5021%04x-1c2d-4e5f-8a9b-%012x", i%0x10000, i), fmt.Sprintf("bench-vm-%06d", i+1), i)
		s.ResourcePool = pools[i%len(pools)]
		s.Attributes = nil
		if i%10 == 0 {
			s.Attributes = map[string]string{"owner": "team-bench", "tag:env": "prod"}
		}
		out[i] = s
	}
	return out
}

// BenchWriteSamples measures WriteSamples: each of b.N iterations writes one
// batch of batchSize samples (distinct VMs, one new snapshot time per batch)
// with BatchSize = batchSize. It reports rows/s. Rows written by earlier
// calls are deleted (outside the timer) so the store stays bounded.
//
//	func BenchmarkWriteSamples(b *testing.B) {
//		for _, n := range []int{100, 1000, 10000} {
//			b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
//				storetest.BenchWriteSamples(b, newStore(b), n)
//			})
//		}
//	}
func BenchWriteSamples(b *testing.B, st store.Store, batchSize int) {
	if batchSize <= 0 {
		b.Fatalf("BenchWriteSamples: batchSize %d", batchSize)
	}
	ctx := context.Background()
	purge := func() {
		if _, err := st.DeleteSamples(ctx, &store.DeleteSamplesParams{Vcenter: benchWriteVcenter, Before: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatalf("DeleteSamples: %v", err)
		}
	}
	purge()
	batch := benchVMs(benchWriteVcenter, batchSize)
	const purgeRows = 2_000_000
	sincePurge := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := benchEpoch.Add(time.Duration(benchClock.Add(1)) * time.Second)
		for j := range batch {
			batch[j].SnapshotTime = at
		}
		if err := st.WriteSamples(ctx, &store.WriteSamplesParams{Samples: batch, BatchSize: batchSize}); err != nil {
			b.Fatalf("WriteSamples (batch %d of %d rows): %v", i, batchSize, err)
		}
		if sincePurge += batchSize; sincePurge >= purgeRows {
			b.StopTimer()
			purge()
			sincePurge = 0
			b.StartTimer()
		}
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)*float64(batchSize)/s, "rows/s")
	}
	purge()
}

// BenchScanSamples measures ScanSamples over rows samples (1,000 VMs per
// snapshot time), loaded once before the timer starts (and kept for later
// calls on the same store). Each iteration scans them all. It reports:
//
//   - rows/s;
//   - B/row: bytes allocated per row scanned;
//   - peak-heap-MB: the highest heap in use (like runtime.MemStats.HeapInuse)
//     sampled every 4096 rows during the scans; it includes garbage not yet
//     collected and, for an in-memory backend, the stored rows;
//   - scan-live-MB: the live heap halfway through the first scan (measured
//     after a forced GC, with the timer stopped) minus the live heap before
//     it. A backend that streams keeps this near zero whatever rows is; one
//     that materializes the result shows about rows × row size.
func BenchScanSamples(b *testing.B, st store.Store, rows int) {
	if rows <= 0 {
		b.Fatalf("BenchScanSamples: rows %d", rows)
	}
	ctx := context.Background()
	perTime := min(rows, 1000)
	times := (rows + perTime - 1) / perTime
	loaded, err := st.SnapshotTimes(ctx, &store.SnapshotTimesParams{Vcenter: benchScanVcenter})
	if err != nil {
		b.Fatalf("SnapshotTimes: %v", err)
	}
	if len(loaded) != times || countRows(b, st) != rows {
		if _, err := st.DeleteSamples(ctx, &store.DeleteSamplesParams{Vcenter: benchScanVcenter, Before: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatalf("DeleteSamples: %v", err)
		}
		vms := benchVMs(benchScanVcenter, perTime)
		chunk := make([]inventory.Sample, 0, 10*perTime)
		left := rows
		for t := 0; t < times; t++ {
			at := benchEpoch.Add(time.Duration(t) * time.Hour)
			for _, s := range vms[:min(perTime, left)] {
				s.SnapshotTime = at
				chunk = append(chunk, s)
			}
			left -= min(perTime, left)
			if len(chunk) >= 10*perTime || t == times-1 {
				if err := st.WriteSamples(ctx, &store.WriteSamplesParams{Samples: chunk, BatchSize: 10000}); err != nil {
					b.Fatalf("loading %d samples: WriteSamples: %v", rows, err)
				}
				chunk = chunk[:0]
			}
		}
		chunk, vms = nil, nil
	}

	ms := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (objects, inUse, allocs uint64) {
		metrics.Read(ms)
		return ms[0].Value.Uint64(), ms[0].Value.Uint64() + ms[1].Value.Uint64(), ms[2].Value.Uint64()
	}
	runtime.GC()
	liveBefore, peak, _ := read()
	var liveMid uint64
	var allocs uint64 // allocated during the timed scans
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, _, a0 := read()
		n := 0
		err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: benchScanVcenter}, func(*inventory.Sample) error {
			if n&4095 == 0 {
				_, inUse, _ := read()
				peak = max(peak, inUse)
			}
			if i == 0 && n == rows/2 {
				b.StopTimer()
				_, _, a1 := read()
				runtime.GC()
				liveMid, _, _ = read()
				_, _, a2 := read()
				a0 += a2 - a1
				b.StartTimer()
			}
			n++
			return nil
		})
		if err != nil {
			b.Fatalf("ScanSamples: %v", err)
		}
		if n != rows {
			b.Fatalf("ScanSamples returned %d rows, want %d", n, rows)
		}
		_, inUse, a3 := read()
		peak = max(peak, inUse)
		allocs += a3 - a0
	}
	b.StopTimer()
	total := float64(b.N) * float64(rows)
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(total/s, "rows/s")
	}
	b.ReportMetric(float64(allocs)/total, "B/row")
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
	b.ReportMetric((float64(liveMid)-float64(liveBefore))/1e6, "scan-live-MB")
}

func countRows(b *testing.B, st store.Store) int {
	n := 0
	if err := st.ScanSamples(context.Background(), &store.ScanSamplesParams{Vcenter: benchScanVcenter}, func(*inventory.Sample) error { n++; return nil }); err != nil {
		b.Fatalf("ScanSamples: %v", err)
	}
	return n
}

// BenchDetails measures store.Details on a vCenter of nVMs VMs (each with
// two snapshots, two disks, one NIC, a drive and two partitions): "write"
// replaces the vCenter's detail b.N times, "read" reads it back b.N times.
// Both report VMs/s. st must implement store.Details.
//
//	func BenchmarkDetails(b *testing.B) {
//		storetest.BenchDetails(b, newStore(b), 40000)
//	}
func BenchDetails(b *testing.B, st store.Store, nVMs int) {
	ds, ok := st.(store.Details)
	if !ok {
		b.Fatal("BenchDetails: the store does not implement store.Details")
	}
	ctx := context.Background()
	ps := []*store.WriteDetailsParams{detailsFor("bench-details", nVMs, 1), detailsFor("bench-details", nVMs, 2)}
	b.Run("write", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if err := ds.WriteDetails(ctx, ps[i%2]); err != nil {
				b.Fatalf("WriteDetails: %v", err)
			}
		}
		b.ReportMetric(float64(nVMs*b.N)/b.Elapsed().Seconds(), "VMs/s")
	})
	if err := ds.WriteDetails(ctx, ps[0]); err != nil {
		b.Fatalf("WriteDetails: %v", err)
	}
	b.Run("read", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d, err := ds.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: "bench-details"})
			if err != nil {
				b.Fatalf("ReadDetails: %v", err)
			}
			if len(d.VMs) != nVMs || len(d.VMs[0].Disks) != 2 {
				b.Fatalf("ReadDetails: %d VMs, want %d", len(d.VMs), nVMs)
			}
		}
		b.ReportMetric(float64(nVMs*b.N)/b.Elapsed().Seconds(), "VMs/s")
	})
}
