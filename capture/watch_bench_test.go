//go:build linux

package capture_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// BenchmarkWatch is the live-update benchmark of issue 18, at the scale
// of VINVENTORY_BENCH_WATCH_VMS VMs (default 40000) in a child-process
// simulator (see BenchmarkCapture), with a baseline capture in a store:
//
//   - burst: VINVENTORY_BENCH_WATCH_BURST VMs (default 5000) are powered
//     off through the vSphere API while no watcher runs (burst-issue-s: the
//     simulator's time for the tasks), then a watcher starts: its start
//     resync reads the whole inventory through the property collector
//     (resync-s, start to commit) and finds the burst's changes, which it
//     diffs and commits in one batch (burst-own-s: from the arrival of
//     the property collector's last page to the commit; burst-changes and
//     burst-events count them);
//   - probe: VINVENTORY_BENCH_WATCH_PROBES VMs (default 3) are powered off
//     one at a time while the watcher runs; each is timed from the call to
//     the commit of its row (probe-max-s, end to end) and from the
//     arrival of the simulator's answer to the commit (probe-own-max-s,
//     the watcher's and the store's share). vcsim recomputes every watched
//     object for every change before it answers a wait, so the end-to-end
//     figure is the simulator's bound at this size (docs/benchmarks.md);
//   - steady: when VINVENTORY_BENCH_WATCH_STEADY is a duration (default 0:
//     none), 1% of the VMs per minute are powered off for that long
//     (steady-p99-s, steady-own-p99-s).
//
// It also reports this process's CPU seconds (the watcher, the store and
// the API client making the changes; the simulator has its own process)
// during the resync (resync-cpu-s), and the heap the watcher keeps
// (watch-heap-MB: live heap after a GC with the watcher running, minus
// before it started). The store is a SQLite file, or PostgreSQL with
// VINVENTORY_BENCH_WATCH_STORE=postgres (VINVENTORY_TEST_PG_DSN).
//
//	go test -run '^$' -bench BenchmarkWatch -benchtime=1x -timeout 60m ./capture/
func BenchmarkWatch(b *testing.B) {
	if testing.Short() {
		b.Skip("long benchmark")
	}
	vms := envInt(b, "VINVENTORY_BENCH_WATCH_VMS", 40000)
	burst := envInt(b, "VINVENTORY_BENCH_WATCH_BURST", 5000)
	probes := envInt(b, "VINVENTORY_BENCH_WATCH_PROBES", 3)
	var steady time.Duration
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
			if !s.IsTemplate && s.PowerState == inventory.PoweredOn {
				on = append(on, s.VMID)
			}
		}
		need := burst + probes + int(steady/time.Minute+1)*max(1, vms/100)
		if len(on) < need {
			b.Fatalf("%d powered-on VMs, the benchmark needs %d", len(on), need)
		}
		c := src.Client()
		powerOff := func(id string) error {
			task, err := object.NewVirtualMachine(c, types.ManagedObjectReference{Type: "VirtualMachine", Value: id}).PowerOff(ctx)
			if err != nil {
				return err
			}
			return task.Wait(ctx)
		}
		run := func(ids []string, inFlight int, mark func(string)) time.Duration {
			began := time.Now()
			var wg sync.WaitGroup
			sem := make(chan struct{}, inFlight)
			for _, id := range ids {
				sem <- struct{}{}
				if mark != nil {
					mark(id)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					if err := powerOff(id); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			return time.Since(began)
		}

		// Burst, while nobody watches.
		progress := func(format string, args ...any) {
			fmt.Fprintf(os.Stderr, "BenchmarkWatch %s: "+format+"\n", append([]any{time.Now().Format(time.TimeOnly)}, args...)...)
		}
		progress("baseline captured (%d VMs); powering %d off", len(res.Samples), burst)
		burstIDs, rest := on[:burst], on[burst:]
		issued := run(burstIDs, 32, nil)
		progress("burst issued in %s; starting the watcher", issued)

		var (
			mu       sync.Mutex
			started  = map[string]time.Time{}
			lags     []time.Duration
			own      []time.Duration
			resyncAt time.Time
			resyncN  [2]int
			arrived  time.Time
		)
		onApply := func(bt *capture.WatchBatch) {
			mu.Lock()
			defer mu.Unlock()
			if bt.Resync && resyncAt.IsZero() {
				resyncAt = bt.Committed
				resyncN = [2]int{len(bt.Changes), len(bt.Events)}
				if len(bt.Changes) > 0 {
					arrived = bt.Changes[0].At
				}
			}
			for _, ch := range bt.Changes {
				if t0, ok := started[ch.ID]; ok && ch.VM != nil && ch.VM.PowerState == inventory.PoweredOff {
					lags = append(lags, bt.Committed.Sub(t0))
					own = append(own, bt.Committed.Sub(ch.At))
					delete(started, ch.ID)
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
		cpu0 := selfCPU()
		t0 := time.Now()
		b.StartTimer()
		go func() { done <- w.Run(wctx) }()
		waitFor(b, 30*time.Minute, "the start resync written", func() bool {
			s := w.Stats()
			return s.State == capture.WatchWatching && s.Resyncs[capture.ResyncStart] == 1 && s.LagSeconds == 0
		})
		resync := time.Since(t0)
		resyncCPU := selfCPU() - cpu0
		progress("start resync written in %s", resync)
		runtime.GC()
		heap := liveHeap() - heap0

		mark := func(id string) {
			mu.Lock()
			started[id] = time.Now()
			mu.Unlock()
		}
		wait := func(d time.Duration) {
			b.Helper()
			deadline := time.Now().Add(d)
			for {
				mu.Lock()
				n := len(started)
				mu.Unlock()
				if n == 0 {
					return
				}
				if time.Now().After(deadline) {
					b.Fatalf("%d changes not committed within %s; watcher %+v", n, d, w.Stats())
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		// Probes: one change at a time.
		for _, id := range rest[:probes] {
			run([]string{id}, 1, mark)
			wait(30 * time.Minute)
		}
		progress("%d probes done", probes)
		mu.Lock()
		probeLags, probeOwn := slices.Clone(lags), slices.Clone(own)
		lags, own = nil, nil
		mu.Unlock()
		rest = rest[probes:]

		// Steady: 1% of the VMs per minute.
		var steadyLags, steadyOwn []time.Duration
		if steady > 0 {
			per := time.Minute / time.Duration(max(1, vms/100))
			end := time.Now().Add(steady)
			next := time.Now()
			var tasks sync.WaitGroup
			for i := 0; time.Now().Before(end) && i < len(rest); i++ {
				time.Sleep(time.Until(next))
				next = next.Add(per)
				id := rest[i]
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
			wait(30 * time.Minute)
			mu.Lock()
			steadyLags, steadyOwn = slices.Clone(lags), slices.Clone(own)
			mu.Unlock()
		}
		b.StopTimer()
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
		b.ReportMetric(issued.Seconds(), "burst-issue-s")
		b.ReportMetric(resync.Seconds(), "resync-s")
		b.ReportMetric(resyncAt.Sub(arrived).Seconds(), "burst-own-s")
		b.ReportMetric(float64(resyncN[0]), "burst-changes")
		b.ReportMetric(float64(resyncN[1]), "burst-events")
		b.ReportMetric(resyncCPU.Seconds(), "resync-cpu-s")
		b.ReportMetric(float64(heap)/(1<<20), "watch-heap-MB")
		b.ReportMetric(q(probeLags, 1), "probe-max-s")
		b.ReportMetric(q(probeOwn, 1), "probe-own-max-s")
		if steady > 0 {
			b.ReportMetric(q(steadyLags, 0.99), "steady-p99-s")
			b.ReportMetric(q(steadyOwn, 0.99), "steady-own-p99-s")
		}
		b.Logf("%d VMs, %s store: burst %d, probes %v (own %v), steady %d changes; watcher received %d updates, applied %d changes, %d events, resyncs %v",
			vms, st.Capabilities().Backend, burst, probeLags, probeOwn, len(steadyLags), stats.Received, stats.Applied, stats.Events, stats.Resyncs)
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

func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
