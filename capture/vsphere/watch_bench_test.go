package vsphere

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
)

// BenchmarkWatch measures the watcher's latency: with
// VSPHERE_WATCH_BENCH_VMS VMs (default 2000), 1% of them
// (VSPHERE_WATCH_BENCH_MUTATIONS overrides the count) are powered off or
// on, one after another, and each is timed from the start of the
// mutation to the moment Watch's fn receives the VM's new row (p50-ms,
// p99-ms), and from the arrival of the WaitForUpdatesEx answer to fn
// (watch-p50-ms, watch-p99-ms: the watcher's own share). It also reports
// the mean duration of the mutation call (vcsim's task) and of the initial
// Full update.
//
// The end-to-end figure is vcsim's more than the watcher's: vcsim
// recomputes the whole filter (every object, deep-copied) for every
// change of any object, tasks included, before it answers a wait, so it
// grows with the inventory; hence the default of 2000 VMs rather than
// 10000.
//
//	go test -run '^$' -bench BenchmarkWatch -benchtime 1x ./capture/vsphere/
func BenchmarkWatch(b *testing.B) {
	vms := envInt(b, "VSPHERE_WATCH_BENCH_VMS", 2000)
	sim := capturetest.NewSim(b, vcsim.Options{VMs: vms, Templates: -1, Datastores: 4})
	ctx := context.Background()
	u := *sim.URL
	u.User = nil
	src, err := New(ctx, inventory.Endpoint{Name: "bench", URL: u.String(), Username: sim.Username, TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}},
		Options{Credentials: Password(sim.Password), Logger: benchLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close(ctx) })

	var (
		mu      sync.Mutex
		power   = map[string]inventory.PowerState{}
		changed = make(chan struct{}, 1)
		fullAt  time.Time
		arrived time.Time
		own     []time.Duration
	)
	watchStepHook = func(at time.Time) {
		mu.Lock()
		arrived = at
		mu.Unlock()
	}
	b.Cleanup(func() { watchStepHook = nil })
	fn := func(_ context.Context, u *capture.WatchUpdate) error {
		mu.Lock()
		if u.Full && fullAt.IsZero() {
			fullAt = time.Now()
		}
		for _, v := range u.State.VMs {
			power[v.ID] = v.PowerState
		}
		if !u.Full {
			own = append(own, time.Since(arrived))
		}
		mu.Unlock()
		select {
		case changed <- struct{}{}:
		default:
		}
		return nil
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- src.Watch(wctx, &capture.WatchSourceOptions{MaxWaitSeconds: 5}, fn) }()
	defer func() {
		cancel()
		<-done
	}()
	state := func(id string) inventory.PowerState {
		mu.Lock()
		defer mu.Unlock()
		return power[id]
	}
	waitFor := func(id string, want inventory.PowerState) {
		deadline := time.After(10 * time.Minute) // vcsim is slow with large inventories
		for state(id) != want {
			select {
			case <-changed:
			case <-deadline:
				b.Fatalf("%s never became %s", id, want)
			}
		}
	}
	refs := sim.VMRefs()
	for state(refs[0]) == "" {
		<-changed
	}
	mu.Lock()
	full := fullAt.Sub(start)
	mu.Unlock()

	n := envInt(b, "VSPHERE_WATCH_BENCH_MUTATIONS", max(1, vms/100))
	var lat, call []time.Duration
	b.ResetTimer()
	for range b.N {
		for i := range n {
			id := refs[(i*len(refs))/n]
			want := inventory.PowerState("poweredOff")
			op := sim.PowerOff
			if state(id) == want {
				want, op = "poweredOn", sim.PowerOn
			}
			t0 := time.Now()
			if err := op(ctx, id); err != nil {
				b.Fatal(err)
			}
			call = append(call, time.Since(t0))
			waitFor(id, want)
			lat = append(lat, time.Since(t0))
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	mu.Lock()
	slices.Sort(own)
	mu.Unlock()
	pct := func(d []time.Duration, p float64) float64 {
		return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
	}
	var sum time.Duration
	for _, c := range call {
		sum += c
	}
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(pct(own, 0.50), "watch-p50-ms")
	b.ReportMetric(pct(own, 0.99), "watch-p99-ms")
	b.ReportMetric(float64(sum.Microseconds())/1000/float64(len(call)), "call-ms")
	b.ReportMetric(full.Seconds(), "full-s")
	b.ReportMetric(float64(len(lat)), "mutations")
}

// benchLogger logs the watch at debug level to stderr when
// VSPHERE_WATCH_BENCH_LOG is set.
func benchLogger() *slog.Logger {
	if os.Getenv("VSPHERE_WATCH_BENCH_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
