//go:build linux

package capture_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store/pgstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// BenchmarkCapture is the capture benchmark of issue 3: on a vcsim
// inventory with per-call latency it measures, in the same run and against
// the same simulator,
//
//   - bulk-s: the raw bulk retrieval (vsphere.Source.Retrieve only);
//   - capture-s: the end-to-end capture.Capture into PostgreSQL (a fresh
//     schema per size, a distinct snapshot time per iteration, the
//     hourly compatibility table included as by default), split into
//     capture-retrieve-s and capture-write-s (Result.Timings);
//   - pervm-s: a per-VM retrieval baseline, one RetrieveProperties call per
//     VM for the same VM property list, VINVENTORY_BENCH_PERVM_CONCURRENCY
//     calls at once (default vsphere.DefaultConcurrency, as many as the
//     bulk retrieval's property collectors; 1 is a plain loop). It is
//     measured on a random sample of VINVENTORY_BENCH_PERVM_SAMPLE VMs
//     (default 2000) and extrapolated linearly to all VMs (the log says
//     so); the VM listing that precedes it is counted once, not scaled.
//     It reads VM properties only (no hosts, pools, folders...), so it is a
//     lower bound of a per-object capture;
//
// and reports capture/bulk (target: at most 1.3; with -benchtime=Nx, N>1,
// also capture/bulk-min, the ratio of the fastest runs, the least
// disturbed by other load), write/bulk (what the store adds), pervm/capture
// (target: at least 10), peak-heap-MB and peak-live-MB (the heap sampled
// every 10 ms during the capture, all objects and live ones as of the last
// GC), maxrss-MB (the process's maximum resident set so far, getrusage),
// and the CPU seconds of the bulk retrieval and the capture in this process
// (bulk-cpu-s, capture-cpu-s) and in the simulator (bulk-sim-cpu-s). The
// bulk and capture phases alternate their order from one iteration to the
// next; each is preceded by an untimed GC, and one untimed retrieval warms
// the connection up before the first. The log has every iteration's
// figures, the per-VM CPU cost per call, the new HTTP connections per
// phase and the load average.
//
// The simulator runs in a child process (this test binary re-executed as
// TestCaptureBenchSimServer) so that the memory figures and the garbage
// collector of this process are those of a capture process, not of vcsim
// holding tens of thousands of VMs; VINVENTORY_BENCH_SIM=inproc runs it in
// this process instead. Both share the machine's CPUs either way; sim-hwm-MB
// is the child's peak RSS.
//
// Sizes come from VINVENTORY_BENCH_VMS (default "10000,40000"), the
// per-call latency from VINVENTORY_BENCH_DELAY_MS (default 2, applied by
// capturetest to every SOAP call once the inventory is built). Sizes listed
// in VINVENTORY_BENCH_SQLITE_VMS (default "10000"; "none" for none) also get
// a store=sqlite line (bulk and capture into a fresh SQLite file);
// VINVENTORY_BENCH_PERVM_SAMPLE=0 skips the per-VM baseline. It needs
// VINVENTORY_TEST_PG_DSN (see scripts/pgtmp.sh) and is skipped with -short.
// Every phase runs once per iteration, so run it with -benchtime=1x:
//
//	eval "$(scripts/pgtmp.sh start)"
//	go test -run '^$' -bench BenchmarkCapture -benchtime=1x -timeout 60m ./capture/
//	scripts/pgtmp.sh stop "$PGTMP_DIR"
func BenchmarkCapture(b *testing.B) {
	if testing.Short() {
		b.Skip("BenchmarkCapture builds simulators of tens of thousands of VMs: skipped with -short")
	}
	dsn := os.Getenv("VINVENTORY_TEST_PG_DSN")
	if dsn == "" {
		b.Skip("BenchmarkCapture needs PostgreSQL: set VINVENTORY_TEST_PG_DSN (eval \"$(scripts/pgtmp.sh start)\")")
	}
	sizes := benchInts(b, "VINVENTORY_BENCH_VMS", "10000,40000")
	sqliteSizes := benchInts(b, "VINVENTORY_BENCH_SQLITE_VMS", "10000")
	delay := benchInts(b, "VINVENTORY_BENCH_DELAY_MS", "2")[0]
	sample := benchInts(b, "VINVENTORY_BENCH_PERVM_SAMPLE", "2000")[0]
	pervmConc := benchInts(b, "VINVENTORY_BENCH_PERVM_CONCURRENCY", strconv.Itoa(vsphere.DefaultConcurrency))[0]
	if pervmConc < 1 {
		b.Fatalf("VINVENTORY_BENCH_PERVM_CONCURRENCY=%d: want at least 1", pervmConc)
	}
	inproc := os.Getenv("VINVENTORY_BENCH_SIM") == "inproc"

	// One simulator per size, shared by the size's lines and by repeated
	// calls of a line's function (run1, then runN with -benchtime=Nx); the
	// previous one is closed before the next size is built.
	var sim *benchSim
	b.Cleanup(func() {
		if sim != nil {
			sim.close()
		}
	})
	simFor := func(b *testing.B, n int) *benchSim {
		if sim != nil && sim.vms == n {
			return sim
		}
		if sim != nil {
			sim.close()
			sim = nil
		}
		sim = startBenchSim(b, n, delay, inproc)
		return sim
	}

	for _, n := range sizes {
		b.Run(fmt.Sprintf("vms=%d/store=postgres", n), func(b *testing.B) {
			s := simFor(b, n)
			st, schema := openBenchPG(b, dsn)
			runCaptureBench(b, s, st, func(ctx context.Context, snap time.Time, want int) {
				var rows int
				if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM "`+schema+`".vm_hourly_stats WHERE snapshot_time = $1`, snap).Scan(&rows); err != nil {
					b.Fatal(err)
				}
				if rows != want {
					b.Fatalf("vm_hourly_stats has %d rows at %v, want %d", rows, snap, want)
				}
			}, sample, pervmConc)
		})
		if slices.Contains(sqliteSizes, n) {
			b.Run(fmt.Sprintf("vms=%d/store=sqlite", n), func(b *testing.B) {
				s := simFor(b, n)
				ctx := context.Background()
				st, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "inv.db"), sqlitestore.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = st.Close() })
				if err := st.Migrate(ctx); err != nil {
					b.Fatal(err)
				}
				runCaptureBench(b, s, st, nil, 0, 0)
			})
		}
	}
}

// runCaptureBench measures bulk retrieval and capture into st (and the
// per-VM baseline when sample > 0, conc calls at once) b.N times and
// reports the metrics.
// check, when set, verifies the stored snapshot (untimed).
func runCaptureBench(b *testing.B, s *benchSim, st capture.Writer, check func(ctx context.Context, snap time.Time, want int), sample, conc int) {
	ctx := context.Background()
	src := s.connect(b)
	want := s.vms + benchTemplates
	if s.built != "" { // first line using this simulator
		b.Logf("%s; load before: %s", s.built, loadavg())
		s.built = ""
	} else {
		b.Logf("b.N=%d; load before: %s", b.N, loadavg())
	}

	// Warm-up (untimed): the first retrieval from a fresh simulator pays
	// one-off costs (TLS handshakes, vcsim's first views), and it checks
	// the inventory.
	b.StopTimer()
	if st, err := src.Retrieve(ctx); err != nil {
		b.Fatal(err)
	} else if len(st.VMs) != want {
		b.Fatalf("retrieved %d VMs, want %d", len(st.VMs), want)
	}
	b.StartTimer()

	var (
		bulk, capt, pervm  phaseStats
		capRetr, capWrite  time.Duration
		peakHeap, peakLive uint64
		pervmSampled       int
	)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range b.N {
		// (a) raw bulk retrieval and (b) end-to-end capture, in
		// alternating order so that neither always follows the per-VM
		// phase or the other.
		bulkPhase := func() {
			bulk.run(ctx, b, s, "bulk", func(ctx context.Context) {
				state, err := src.Retrieve(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(state.VMs) != want {
					b.Fatalf("bulk: %d VMs, want %d", len(state.VMs), want)
				}
			})
		}
		snap := base.Add(time.Duration(i) * time.Hour)
		var res *capture.Result
		capturePhase := func() {
			capt.run(ctx, b, s, "capture", func(ctx context.Context) {
				stop := sampleHeap(&peakHeap, &peakLive)
				var err error
				res, err = capture.Capture(ctx, st, src, capture.Options{SnapshotTime: snap})
				stop()
				if err != nil {
					b.Fatal(err)
				}
			})
			capRetr += res.Timings.Retrieve
			capWrite += res.Timings.Write
			if len(res.Samples) != want {
				b.Fatalf("capture: %d samples, want %d", len(res.Samples), want)
			}
			if check != nil {
				b.StopTimer()
				check(ctx, snap, want)
				b.StartTimer()
			}
		}
		if i%2 == 0 {
			bulkPhase()
			capturePhase()
		} else {
			capturePhase()
			bulkPhase()
		}
		b.Logf("iteration %d: bulk %.2f s, capture %.2f s (retrieve %.2f s + write %.2f s), ratio %.3f",
			i, bulk.last.Seconds(), capt.last.Seconds(), res.Timings.Retrieve.Seconds(), res.Timings.Write.Seconds(),
			capt.last.Seconds()/bulk.last.Seconds())

		// (c) per-VM baseline (its wall time is extrapolated, its CPU
		// time is the sample's).
		if sample > 0 {
			var d time.Duration
			pervm.run(ctx, b, s, "pervm", func(ctx context.Context) {
				d, pervmSampled = perVMRetrieve(ctx, b, src.Client(), want, sample, conc, uint64(i))
			})
			pervm.wall += d - pervm.last
		}
	}

	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	n := float64(b.N)
	sec := func(d time.Duration) float64 { return d.Seconds() / n }
	b.ReportMetric(sec(bulk.wall), "bulk-s")
	b.ReportMetric(sec(capt.wall), "capture-s")
	b.ReportMetric(sec(capRetr), "capture-retrieve-s")
	b.ReportMetric(sec(capWrite), "capture-write-s")
	b.ReportMetric(capt.wall.Seconds()/bulk.wall.Seconds(), "capture/bulk")
	if b.N > 1 { // the fastest runs are the least disturbed by other load
		b.ReportMetric(capt.min.Seconds()/bulk.min.Seconds(), "capture/bulk-min")
	}
	b.ReportMetric(capWrite.Seconds()/bulk.wall.Seconds(), "write/bulk")
	b.ReportMetric(sec(bulk.cpu), "bulk-cpu-s")
	b.ReportMetric(sec(capt.cpu), "capture-cpu-s")
	if s.cmd != nil {
		b.ReportMetric(sec(bulk.simCPU), "bulk-sim-cpu-s")
	}
	if sample > 0 {
		b.ReportMetric(sec(pervm.wall), "pervm-s")
		b.ReportMetric(pervm.wall.Seconds()/capt.wall.Seconds(), "pervm/capture")
		how := fmt.Sprintf("measured on all %d VMs", want)
		if pervmSampled < want {
			how = fmt.Sprintf("EXTRAPOLATED: %d of %d VMs retrieved one by one (random sample), time scaled linearly by %d/%d (the VM listing counted once)",
				pervmSampled, want, want, pervmSampled)
		}
		calls := n * float64(pervmSampled)
		b.Logf("pervm-s %s; %d calls at once; CPU per call: %.2f ms here + %.2f ms simulator",
			how, conc, pervm.cpu.Seconds()*1000/calls, pervm.simCPU.Seconds()*1000/calls)
	}
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakLive)/(1<<20), "peak-live-MB")
	b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB") // KiB on Linux
	if hwm := s.hwmMB(); hwm > 0 {
		b.ReportMetric(hwm, "sim-hwm-MB")
	}
	b.Logf("per iteration: bulk %s; capture %s; new HTTP connections: bulk %.1f, capture %.1f, per-VM %.1f; load after: %s",
		bulk.String(n), capt.String(n), float64(bulk.conns)/n, float64(capt.conns)/n, float64(pervm.conns)/n, loadavg())
}

// phaseStats accumulates the wall time, the CPU time of this process and
// of the simulator process, and the new HTTP connections of a phase.
type phaseStats struct {
	wall, cpu, simCPU time.Duration
	last, min         time.Duration // wall time of the last and the fastest run
	conns             int64
}

// run collects garbage (untimed), then runs fn under the pprof label
// phase=name and adds its costs.
func (p *phaseStats) run(ctx context.Context, b *testing.B, s *benchSim, name string, fn func(context.Context)) {
	b.StopTimer()
	runtime.GC()
	b.StartTimer()
	ctx, conns := countConns(ctx)
	cpu0, sim0 := selfCPU(), s.cpu()
	t0 := time.Now()
	pprof.Do(ctx, pprof.Labels("phase", name), fn)
	p.last = time.Since(t0)
	p.wall += p.last
	if p.min == 0 || p.last < p.min {
		p.min = p.last
	}
	p.cpu += selfCPU() - cpu0
	p.simCPU += s.cpu() - sim0
	p.conns += conns.Load()
}

func (p *phaseStats) String(n float64) string {
	return fmt.Sprintf("wall %.2f s, CPU %.2f s here + %.2f s simulator",
		p.wall.Seconds()/n, p.cpu.Seconds()/n, p.simCPU.Seconds()/n)
}

// selfCPU is this process's user + system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchVMProps is vsphere's VM property list (capture/vsphere/props.go
// vmProps, sorted as Source.units sorts it): the per-VM baseline reads
// the same properties as the bulk retrieval.
var benchVMProps = func() []string {
	p := []string{
		"name", "parent", "parentVApp", "resourcePool",
		"runtime.host", "runtime.powerState",
		"config.uuid", "config.instanceUuid", "config.template",
		"config.hardware.numCPU", "config.hardware.memoryMB",
		"config.guestFullName", "config.guestId", "config.createDate",
		"summary.storage.committed", "config.hardware.device",
		"datastore", "network", "guest.ipAddress", "customValue",
	}
	slices.Sort(p)
	return p
}()

// perVMRetrieve lists the VMs through a container view, then reads a
// random sample of k of them with one RetrieveProperties call each, conc
// at once. It returns the listing time plus the
// sample's time scaled to all VMs, and the sample size.
func perVMRetrieve(ctx context.Context, b *testing.B, vc *vim25.Client, want, k, conc int, seed uint64) (time.Duration, int) {
	t0 := time.Now()
	v, err := view.NewManager(vc).CreateContainerView(ctx, vc.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		b.Fatal(err)
	}
	refs, err := v.Find(ctx, []string{"VirtualMachine"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	_ = v.Destroy(ctx)
	list := time.Since(t0)
	if len(refs) != want {
		b.Fatalf("per-VM: listed %d VMs, want %d", len(refs), want)
	}

	b.StopTimer() // drawing the sample is not part of the baseline
	k = min(k, len(refs))
	r := rand.New(rand.NewPCG(seed, 42))
	r.Shuffle(len(refs), func(i, j int) { refs[i], refs[j] = refs[j], refs[i] })
	refs = refs[:k]
	b.StartTimer()

	spec := []types.PropertySpec{{Type: "VirtualMachine", PathSet: benchVMProps}}
	work := make(chan types.ManagedObjectReference)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		props atomic.Int64
	)
	t1 := time.Now()
	for range conc {
		wg.Go(func() {
			for ref := range work {
				res, err := methods.RetrieveProperties(ctx, vc, &types.RetrieveProperties{
					This: vc.ServiceContent.PropertyCollector,
					SpecSet: []types.PropertyFilterSpec{{
						ObjectSet: []types.ObjectSpec{{Obj: ref}},
						PropSet:   spec,
					}},
				})
				if err == nil && len(res.Returnval) != 1 {
					err = fmt.Errorf("RetrieveProperties %s: %d objects", ref.Value, len(res.Returnval))
				}
				if err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
					continue
				}
				props.Add(int64(len(res.Returnval[0].PropSet)))
			}
		})
	}
	for _, ref := range refs {
		work <- ref
	}
	close(work)
	wg.Wait()
	sampled := time.Since(t1)
	if first != nil {
		b.Fatal(first)
	}
	if props.Load() == 0 {
		b.Fatal("per-VM: no properties returned")
	}
	return list + time.Duration(float64(sampled)*float64(want)/float64(k)), k
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// benchTemplates is the number of templates of the benchmark inventory
// (captured like VMs).
const benchTemplates = 20

// benchOptions is the inventory of BenchmarkCapture: the shape of
// capturetest's BenchmarkNewSim (2 datacenters, 8 clusters of 8 hosts, 16
// datastores, 20 templates).
func benchOptions(vms, delay int) vcsim.Options {
	return vcsim.Options{
		Datacenters:           2,
		ClustersPerDatacenter: 4,
		HostsPerCluster:       8,
		Datastores:            8,
		VMs:                   vms,
		Templates:             benchTemplates,
		Seed:                  1,
		Latency:               vcsim.Latency{Delay: delay},
	}
}

// simInfo is what the simulator child process hands to the benchmark.
type simInfo struct {
	URL, Username, Password, Thumbprint string
	BuildSeconds                        float64
}

// benchSim is a running simulator, in a child process or in process.
type benchSim struct {
	vms   int
	info  simInfo
	built string // build summary, logged by the first line using it

	cmd   *exec.Cmd
	stdin io.WriteCloser
	sim   *vcsim.Sim // in process
}

const simChildEnv = "VINVENTORY_BENCH_SIM_CHILD" // "<vms>,<delay ms>"
const simReadyPrefix = "CAPTUREBENCHSIM "

// TestCaptureBenchSimServer is BenchmarkCapture's simulator process: run
// with VINVENTORY_BENCH_SIM_CHILD=<vms>,<delay ms>, it builds the
// simulator, prints its address on stdout and serves until stdin is
// closed. It is skipped otherwise.
func TestCaptureBenchSimServer(t *testing.T) {
	spec := os.Getenv(simChildEnv)
	if spec == "" {
		t.Skip("helper process of BenchmarkCapture")
	}
	var vms, delay int
	if _, err := fmt.Sscanf(spec, "%d,%d", &vms, &delay); err != nil {
		t.Fatalf("%s=%q: %v", simChildEnv, spec, err)
	}
	t0 := time.Now()
	sim, err := vcsim.Start(context.Background(), benchOptions(vms, delay))
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	info := simInfoOf(sim, time.Since(t0))
	j, _ := json.Marshal(info)
	fmt.Fprintf(os.Stdout, "%s%s\n", simReadyPrefix, j)
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark closes it
}

func simInfoOf(sim *vcsim.Sim, build time.Duration) simInfo {
	u := *sim.URL
	u.User = nil
	return simInfo{URL: u.String(), Username: sim.Username, Password: sim.Password, Thumbprint: sim.Thumbprint(), BuildSeconds: build.Seconds()}
}

func startBenchSim(b *testing.B, vms, delay int, inproc bool) *benchSim {
	b.StopTimer()
	defer b.StartTimer()
	s := &benchSim{vms: vms}
	if inproc {
		t0 := time.Now()
		sim, err := vcsim.Start(context.Background(), benchOptions(vms, delay))
		if err != nil {
			b.Fatal(err)
		}
		s.sim = sim
		s.info = simInfoOf(sim, time.Since(t0))
	} else {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCaptureBenchSimServer$", "-test.count=1")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d,%d", simChildEnv, vms, delay))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		s.cmd, s.stdin = cmd, stdin
		sc := bufio.NewScanner(stdout)
		ready := false
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), simReadyPrefix); ok {
				if err := json.Unmarshal([]byte(line), &s.info); err != nil {
					s.close()
					b.Fatal(err)
				}
				ready = true
				break
			}
		}
		if !ready {
			s.close()
			b.Fatalf("simulator process exited before serving (%v)", sc.Err())
		}
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
	}
	mode := "child process"
	if inproc {
		mode = "in process"
	}
	s.built = fmt.Sprintf("simulator (%s): %d VMs + %d templates, %d ms per call, built in %.1f s", mode, vms, benchTemplates, delay, s.info.BuildSeconds)
	return s
}

// connect opens a vsphere Source on the simulator (tags off: the simulator
// does not serve the tagging API) and closes it when b ends.
func (s *benchSim) connect(b *testing.B) *vsphere.Source {
	ctx := context.Background()
	ep := inventory.Endpoint{
		Name:     "bench",
		URL:      s.info.URL,
		Username: s.info.Username,
		TLS:      inventory.TLSOptions{Thumbprint: s.info.Thumbprint},
	}
	src, err := vsphere.New(ctx, ep, vsphere.Options{Credentials: vsphere.Password(s.info.Password), DisableTags: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = src.Close(ctx) })
	return src
}

// cpu is the child process's user + system CPU time (0 when unknown or in
// process).
func (s *benchSim) cpu() time.Duration {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may contain spaces): state is
	// field 3, utime and stime are fields 14 and 15, in clock ticks.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	return time.Duration(ut+st) * tick
}

// hwmMB is the child process's peak RSS in MiB (0 when unknown).
func (s *benchSim) hwmMB() float64 {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}

func (s *benchSim) close() {
	if s.sim != nil {
		s.sim.Close()
		return
	}
	if s.cmd == nil {
		return
	}
	_ = s.stdin.Close()
	done := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

var benchSchemaSeq atomic.Int64

// openBenchPG opens a fresh, migrated schema, dropped when b ends, and
// returns it with the store.
func openBenchPG(b *testing.B, dsn string) (*pgstore.Store, string) {
	ctx := context.Background()
	schema := fmt.Sprintf("capture_bench_%d_%d", os.Getpid(), benchSchemaSeq.Add(1))
	st, err := pgstore.Open(ctx, dsn, pgstore.Options{Schema: schema})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		_, _ = st.Pool().Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`)
		_ = st.Close()
	})
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	return st, schema
}

// countConns returns a context that counts the new (not reused) HTTP
// connections of the calls made with it.
func countConns(ctx context.Context) (context.Context, *atomic.Int64) {
	var n atomic.Int64
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(ci httptrace.GotConnInfo) {
			if !ci.Reused {
				n.Add(1)
			}
		},
	}), &n
}

// sampleHeap records, every 10 ms until stop is called, the largest heap
// (all objects, garbage included) and the largest live heap (as of the
// last GC) seen.
func sampleHeap(peak, peakLive *uint64) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	read := func() {
		metrics.Read(s)
		*peak = max(*peak, s[0].Value.Uint64())
		*peakLive = max(*peakLive, s[1].Value.Uint64())
	}
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			read()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		read()
	}
}

// benchInts parses a comma-separated list of integers from the named
// environment variable, or from def when it is unset; "none" is an empty
// list.
func benchInts(b *testing.B, name, def string) []int {
	v := os.Getenv(name)
	if v == "" {
		v = def
	}
	if v == "none" {
		return nil
	}
	var out []int
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			b.Fatalf("%s=%q: want comma-separated non-negative integers", name, v)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		b.Fatalf("%s=%q is empty", name, v)
	}
	return out
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
