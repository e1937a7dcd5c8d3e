package report_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
	"github.com/accessvault/vinventory/store/storetest"
)

const benchVMs = 40000

var benchTime = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// countWriter counts bytes and discards them.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// heapPeak samples the heap every millisecond until stop is called and
// returns the largest HeapInuse seen and the largest live heap (as marked
// by the last GC cycle).
func heapPeak() (stop func() (inuse, live uint64)) {
	var peak, livePeak atomic.Uint64
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > livePeak.Load() {
				livePeak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) {
		close(done)
		wg.Wait()
		return peak.Load(), livePeak.Load()
	}
}

// BenchmarkHourly40k writes the hourly report of a 40,000-VM snapshot
// held in a memstore and reports the peak heap in use during the write
// (peak-heap-MB, GC slack included), the peak above the heap in use before
// it (report-heap-MB; the memstore's own rows are the base), and the
// largest live heap marked by a GC cycle during the write
// (peak-live-heap-MB, store included).
func BenchmarkHourly40k(b *testing.B) {
	ctx := context.Background()
	st := memstore.New()
	if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-bench", benchTime, benchVMs, 1)); err != nil {
		b.Fatal(err)
	}
	req := report.Request{Kind: report.KindHourly, Vcenter: "vc-bench", SnapshotTime: benchTime}
	var maxPeak, maxDelta, maxLive uint64
	var size int64
	b.ResetTimer()
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		stop := heapPeak()
		var w countWriter
		if err := report.Write(ctx, st, req, &w, report.Options{}); err != nil {
			b.Fatal(err)
		}
		peak, live := stop()
		maxPeak, maxLive = max(maxPeak, peak), max(maxLive, live)
		if peak > base {
			maxDelta = max(maxDelta, peak-base)
		}
		size = w.n
	}
	b.ReportMetric(float64(maxPeak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(maxDelta)/(1<<20), "report-heap-MB")
	b.ReportMetric(float64(maxLive)/(1<<20), "peak-live-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "xlsx-MB")
	b.ReportMetric(float64(benchVMs), "rows")
}

// BenchmarkHourly40kRSS measures the peak resident set size (VmHWM) of a
// separate process that opens a SQLite store holding a 40,000-VM (and, for
// comparison, a 10,000-VM) snapshot and writes its hourly report to a
// file: the whole cost of a report job.
func BenchmarkHourly40kRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc (Linux)")
	}
	for _, n := range []int{10000, benchVMs} {
		b.Run(fmt.Sprintf("vms=%d", n), func(b *testing.B) { benchRSS(b, n) })
	}
}

func benchRSS(b *testing.B, nVMs int) {
	ctx := context.Background()
	dir := b.TempDir()
	db := filepath.Join(dir, "bench.db")
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{AutoMigrate: true})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.WriteSnapshot(ctx, storetest.Snapshot("vc-bench", benchTime, nVMs, 1)); err != nil {
		b.Fatal(err)
	}
	st.Close()
	var rss, base, secs float64
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRSSChild$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "VINVENTORY_REPORT_RSS_DB="+db, "VINVENTORY_REPORT_RSS_OUT="+dir)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		m := regexp.MustCompile(`RSS base_kb=(\d+) peak_kb=(\d+) seconds=([0-9.]+)`).FindSubmatch(out)
		if m == nil {
			b.Fatalf("child printed no figures:\n%s", out)
		}
		bk, _ := strconv.ParseFloat(string(m[1]), 64)
		pk, _ := strconv.ParseFloat(string(m[2]), 64)
		s, _ := strconv.ParseFloat(string(m[3]), 64)
		rss, base, secs = max(rss, pk/1024), bk/1024, s
		b.Logf("%s", regexp.MustCompile(`RSS [^\n]*`).Find(out))
	}
	b.ReportMetric(rss, "peak-RSS-MB")
	b.ReportMetric(base, "base-RSS-MB")
	b.ReportMetric(secs, "child-write-s")
}

// TestRSSChild is the child process of BenchmarkHourly40kRSS; it does
// nothing in a normal test run.
func TestRSSChild(t *testing.T) {
	db := os.Getenv("VINVENTORY_REPORT_RSS_DB")
	if db == "" {
		t.Skip("run by BenchmarkHourly40kRSS")
	}
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, db, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var s store.Store = st
	debug.FreeOSMemory()
	base := vmKB(t, "VmRSS")
	start := time.Now()
	path, err := report.WriteFile(ctx, s, report.Request{Kind: report.KindHourly, Vcenter: "vc-bench", SnapshotTime: benchTime},
		os.Getenv("VINVENTORY_REPORT_RSS_OUT"), report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	fi, _ := os.Stat(path)
	fmt.Printf("RSS base_kb=%d peak_kb=%d seconds=%.2f size=%d\n", base, vmKB(t, "VmHWM"), el.Seconds(), fi.Size())
}

// vmKB reads a "kB" field of /proc/self/status.
func vmKB(t testing.TB, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// BenchmarkReportCatalog40k stores the hourly workbook of a 40,000-VM
// snapshot in a store's report catalog (store.ReportCatalog) and streams
// it back, on SQLite and (with VINVENTORY_TEST_PG_DSN) PostgreSQL; "x10"
// stores ten copies of it end to end (46 MB). The heap growth of either
// direction stays a few chunks (store.ReportChunkSize) whatever the size:
// the bytes are never held whole.
func BenchmarkReportCatalog40k(b *testing.B) {
	ctx := context.Background()
	src := memstore.New()
	if _, err := src.WriteSnapshot(ctx, storetest.Snapshot("vc-bench", benchTime, benchVMs, 1)); err != nil {
		b.Fatal(err)
	}
	req := report.Request{Kind: report.KindHourly, Vcenter: "vc-bench", SnapshotTime: benchTime}
	path, err := report.WriteFile(ctx, src, req, b.TempDir(), report.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	src.Close()
	// body returns n copies of the workbook end to end, read from the file.
	body := func(n int) (io.Reader, func()) {
		var rs []io.Reader
		var fs []*os.File
		for range n {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			rs, fs = append(rs, f), append(fs, f)
		}
		return io.MultiReader(rs...), func() {
			for _, f := range fs {
				f.Close()
			}
		}
	}
	stores := map[string]func(b *testing.B) store.ReportCatalog{
		"sqlite": func(b *testing.B) store.ReportCatalog {
			st, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "r.db"), sqlitestore.Options{AutoMigrate: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			return st
		},
	}
	if dsn := os.Getenv("VINVENTORY_TEST_PG_DSN"); dsn != "" {
		stores["postgres"] = func(b *testing.B) store.ReportCatalog {
			schema := fmt.Sprintf("bench_reports_%d", os.Getpid())
			st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema, AutoMigrate: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				st.Pool().Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
				st.Close()
			})
			return st
		}
	}
	// Collect garbage often, so the heap measured is what is held, not
	// what the pacer lets pile up.
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	for _, name := range []string{"sqlite", "postgres"} {
		open := stores[name]
		if open == nil {
			continue
		}
		for _, copies := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/x%d", name, copies), func(b *testing.B) {
				rc := open(b)
				size := fi.Size() * int64(copies)
				var putS, getS float64
				var putHeap, getHeap uint64
				measure := func(f func()) (float64, uint64) {
					runtime.GC()
					var ms runtime.MemStats
					runtime.ReadMemStats(&ms)
					base := ms.HeapInuse
					stop := heapPeak()
					start := time.Now()
					f()
					d := time.Since(start).Seconds()
					peak, _ := stop()
					return d, peak - min(peak, base)
				}
				for b.Loop() {
					d, h := measure(func() {
						r, done := body(copies)
						defer done()
						if _, err := rc.PutReport(ctx, &store.PutReportParams{Info: store.ReportInfo{Key: req.FileName(), Kind: string(req.Kind),
							Vcenter: req.Vcenter, Period: req.SnapshotTime}, Body: r}); err != nil {
							b.Fatal(err)
						}
					})
					putS, putHeap = d, max(putHeap, h)
					d, h = measure(func() {
						_, r, err := rc.OpenReport(ctx, &store.OpenReportParams{Key: req.FileName()})
						if err != nil {
							b.Fatal(err)
						}
						defer r.Close()
						if n, err := io.Copy(io.Discard, r); err != nil || n != size {
							b.Fatalf("read back %d of %d bytes: %v", n, size, err)
						}
					})
					getS, getHeap = d, max(getHeap, h)
				}
				b.ReportMetric(float64(size)/(1<<20), "MB")
				b.ReportMetric(putS, "put-s")
				b.ReportMetric(getS, "get-s")
				b.ReportMetric(float64(putHeap)/(1<<20), "put-heap-MB")
				b.ReportMetric(float64(getHeap)/(1<<20), "get-heap-MB")
			})
		}
	}
}
