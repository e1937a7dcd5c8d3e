//go:build linux

package capture_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// BenchmarkWatch is the live-update benchmark of issue 18: a simulator of
// VINVENTORY_BENCH_WATCH_VMS VMs (default 40000) in a child process (see
// BenchmarkCapture), a baseline capture into a store, then a watcher
// (capture.Watcher over vsphere.Source.Watch) and, through the vSphere API:
//
//   - steady: 1% of the VMs change per minute (a power-off or power-on
//     task every 60 s / (VMs/100)) for VINVENTORY_BENCH_WATCH_STEADY
//     (default 60s); the lag of each change, from the call that makes it
//     to the commit of its row, gives steady-p50-s, steady-p99-s and
//     steady-max-s;
//   - burst: VINVENTORY_BENCH_WATCH_BURST VMs (default 5000) powered off at
//     once (32 calls in flight); burst-issue-s is how long the simulator
//     took to run the 5000 tasks, burst-drain-s the time from the first
//     call to the commit of the last row, burst-p99-s the 99th percentile
//     lag;
//
// and reports resync-s (the watcher's start: the whole inventory through
// the property collector, diffed with the stored state), the CPU seconds
// of this process (the watcher, the store and the API client making the
// changes; the simulator runs in its own process) per phase
// (steady-cpu-s, burst-cpu-s), and the heap the watcher keeps
// (watch-heap-MB: live heap after a GC with the watcher running, minus
// before it started).
//
// The store is a SQLite file, or PostgreSQL with
// VINVENTORY_BENCH_WATCH_STORE=postgres (VINVENTORY_TEST_PG_DSN).
//
//	go test -run '^$' -bench BenchmarkWatch -benchtime=1x -timeout 60m ./capture/
func BenchmarkWatch(b *testing.B) {
	if testing.Short() {
		b.Skip("long benchmark")
	}
	vms := envInt(b, "VINVENTORY_BENCH_WATCH_VMS", 40000)
	burst := envInt(b, "VINVENTORY_BENCH_WATCH_BURST", 5000)
	steady := 60 * time.Second
	if v := os.Getenv("VINVENTORY_BENCH_WATCH_STEADY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("VINVENTORY_BENCH_WATCH_STEADY: %v", err)
		}
		steady = d
	}
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		sim := startBenchSim(b, vms, 0, false)
		b.Log(sim.built)
		src := sim.connect(b)
		var st store.Store
		if os.Getenv("VINVENTORY_BENCH_WATCH_STORE") == "postgres" {
			dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
			if dsn == "" {
				b.Skip("VINVENTORY_BENCH_WATCH_STORE=postgres needs VINVENTORY_TEST_PG_DSN")
			}
			st, _ = openBenchPG(b, dsn)
		} else {
			s, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "inv.db"), sqlitestore.Options{AutoMigrate: true})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			st = s
		}
		res, err := capture.Capture(ctx, st, src, capture.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
			b.Fatal(err)
		}
		var on []string
		for _, s := range res.Samples {
			if s.IsTemplate {
				continue
			}
			if s.PowerState == inventory.PoweredOn {
				on = append(on, s.VMID)
			}
		}
		if len(on) < burst+vms/100*int(steady/time.Minute+1) {
			b.Fatalf("%d powered-on VMs: too few for the burst and the steady phase", len(on))
		}

		// Commits by VM: the time each VM's power change was committed.
		var mu sync.Mutex
		started := map[string]time.Time{}
		var lags []time.Duration
		var lastCommit time.Time
		onApply := func(bt *capture.WatchBatch) {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range bt.Changes {
				if t0, ok := started[c.ID]; ok && c.VM != nil && c.VM.PowerState == inventory.PoweredOff {
					lags = append(lags, bt.Committed.Sub(t0))
					delete(started, c.ID)
					lastCommit = bt.Committed
				}
			}
		}
		runtime.GC()
		heap0 := liveHeap()
		w, err := capture.NewWatcher(st.(capture.WatchStore), src, capture.WatchOptions{OnApply: onApply})
		if err != nil {
			b.Fatal(err)
		}
		wctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		t0 := time.Now()
		b.StartTimer()
		go func() { done <- w.Run(wctx) }()
		waitBench(b, 10*time.Minute, func() bool {
			s := w.Stats()
			return s.State == capture.WatchWatching && s.Resyncs[capture.ResyncStart] == 1 && s.LagSeconds == 0
		})
		resync := time.Since(t0)
		runtime.GC()
		heap := liveHeap() - heap0

		c := src.Client()
		powerOff := func(id string) error {
			task, err := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: id}).PowerOff(ctx)
			if err != nil {
				return err
			}
			return task.Wait(ctx)
		}
		mark := func(id string) {
			mu.Lock()
			started[id] = time.Now()
			mu.Unlock()
		}
		wait := func() {
			waitBench(b, 5*time.Minute, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(started) == 0
			})
		}

		// Steady: 1% of the VMs per minute.
		per := time.Minute / time.Duration(max(1, vms/100))
		cpu0 := processCPU()
		end := time.Now().Add(steady)
		next := time.Now()
		i := 0
		var tasks sync.WaitGroup
		for time.Now().Before(end) {
			time.Sleep(time.Until(next))
			next = next.Add(per)
			id := on[i]
			i++
			mark(id)
			tasks.Add(1)
			go func() {
				defer tasks.Done()
				if err := powerOff(id); err != nil {
					b.Error(err)
				}
			}()
		}
		tasks.Wait()
		wait()
		steadyCPU := processCPU() - cpu0
		mu.Lock()
		steadyLags := slices.Clone(lags)
		lags = nil
		mu.Unlock()

		// Burst.
		ids := on[i : i+burst]
		cpu0 = processCPU()
		first := time.Now()
		sem := make(chan struct{}, 32)
		for _, id := range ids {
			sem <- struct{}{}
			mark(id)
			tasks.Add(1)
			go func() {
				defer tasks.Done()
				defer func() { <-sem }()
				if err := powerOff(id); err != nil {
					b.Error(err)
				}
			}()
		}
		tasks.Wait()
		issued := time.Since(first)
		wait()
		b.StopTimer()
		burstCPU := processCPU() - cpu0
		mu.Lock()
		drain := lastCommit.Sub(first)
		burstLags := slices.Clone(lags)
		mu.Unlock()
		stop()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		stats := w.Stats()
		q := func(l []time.Duration, p float64) float64 {
			if len(l) == 0 {
				return 0
			}
			slices.Sort(l)
			return l[min(len(l)-1, int(float64(len(l))*p))].Seconds()
		}
		b.ReportMetric(resync.Seconds(), "resync-s")
		b.ReportMetric(q(steadyLags, 0.5), "steady-p50-s")
		b.ReportMetric(q(steadyLags, 0.99), "steady-p99-s")
		b.ReportMetric(q(steadyLags, 1), "steady-max-s")
		b.ReportMetric(issued.Seconds(), "burst-issue-s")
		b.ReportMetric(drain.Seconds(), "burst-drain-s")
		b.ReportMetric(q(burstLags, 0.99), "burst-p99-s")
		b.ReportMetric(steadyCPU.Seconds(), "steady-cpu-s")
		b.ReportMetric(burstCPU.Seconds(), "burst-cpu-s")
		b.ReportMetric(float64(heap)/(1<<20), "watch-heap-MB")
		b.Logf("%d VMs, %s store: steady %d changes over %s (every %s), burst %d; watcher received %d updates, applied %d changes, %d events, resyncs %v",
			vms, st.Capabilities().Backend, len(steadyLags), steady, per, len(burstLags), stats.Received, stats.Applied, stats.Events, stats.Resyncs)
		sim.close()
	}
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		b.Fatalf("%s=%q: want a number", name, v)
	}
	return n
}

func waitBench(b *testing.B, d time.Duration, ok func() bool) {
	b.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			b.Fatalf("not within %s", d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// processCPU is this process's user + system CPU time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
