package vsphere

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
)

var _ capture.MetricsSource = (*Source)(nil)

// Defaults of capture.CollectMetricsParams applied by CollectMetrics.
const (
	DefaultPerfBatchSize  = 100
	DefaultMaxPerfSamples = 15
	// perfInterval is the real-time interval (seconds) QueryPerf reads.
	perfInterval = 20
	// perfConcurrency bounds the QueryPerf batches in flight.
	perfConcurrency = 4
)

// The property paths CollectMetrics reads, per kind.
var (
	metricHostProps = []string{
		"parent", "runtime.connectionState",
		"summary.quickStats.overallCpuUsage", "summary.quickStats.overallMemoryUsage", "summary.quickStats.uptime",
		"summary.hardware.cpuMhz", "summary.hardware.numCpuCores", "summary.hardware.memorySize",
	}
	metricVMProps = []string{
		"config.template", "runtime.powerState", "runtime.host",
		"config.hardware.numCPU", "config.hardware.memoryMB",
		"summary.quickStats.overallCpuUsage", "summary.quickStats.guestMemoryUsage",
		"summary.quickStats.hostMemoryUsage", "summary.quickStats.balloonedMemory",
		"summary.quickStats.swappedMemory", "summary.quickStats.uptimeSeconds",
	}
	metricDSProps = []string{"summary.capacity", "summary.freeSpace", "summary.uncommitted"}
)

// The PerformanceManager counters CollectMetrics reads, by vSphere name.
const (
	counterCPUUsage       = "cpu.usage.average"
	counterCPUReady       = "cpu.ready.summation"
	counterMemUsage       = "mem.usage.average"
	counterDiskUsage      = "disk.usage.average"
	counterNetUsage       = "net.usage.average"
	counterDSReadLatency  = "datastore.totalReadLatency.average"
	counterDSWriteLatency = "datastore.totalWriteLatency.average"
)

// perfCounters are the counters read, in query order, with the metric
// each becomes.
var perfCounters = []struct {
	name   string
	metric inventory.Metric
}{
	{counterCPUUsage, inventory.MetricPerfCPUUsagePct},
	{counterCPUReady, inventory.MetricPerfCPUReadyPct},
	{counterMemUsage, inventory.MetricPerfMemUsagePct},
	{counterDiskUsage, inventory.MetricPerfDiskUsageKBps},
	{counterNetUsage, inventory.MetricPerfNetUsageKBps},
	{counterDSReadLatency, inventory.MetricPerfDatastoreReadLatencyMs},
	{counterDSWriteLatency, inventory.MetricPerfDatastoreWriteLatencyMs},
}

// PerfCounterNames returns the vSphere names of the performance counters
// CollectMetrics reads, in a stable order.
func PerfCounterNames() []string {
	out := make([]string, len(perfCounters))
	for i, c := range perfCounters {
		out[i] = c.name
	}
	return out
}

// counterCache holds the counter ids resolved for one session generation.
type counterCache struct {
	mu  sync.Mutex
	gen uint64
	ids map[string]int32 // nil: not resolved
}

// metricObj is one object's values read by CollectMetrics.
type metricObj struct {
	ref  types.ManagedObjectReference
	vals map[string]any
}

func (o *metricObj) num(path string) (int64, bool) {
	switch v := o.vals[path].(type) {
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case int16:
		return int64(v), true
	case int:
		return int64(v), true
	}
	return 0, false
}

func (o *metricObj) refAt(path string) (types.ManagedObjectReference, bool) {
	r, ok := o.vals[path].(types.ManagedObjectReference)
	return r, ok
}

func (o *metricObj) str(path string) string {
	switch v := o.vals[path].(type) {
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	case types.HostSystemConnectionState:
		return string(v)
	case types.VirtualMachinePowerState:
		return string(v)
	}
	return ""
}

// CollectMetrics reads one collection of utilisation metrics (see
// capture.MetricsSource): hosts', VMs' and datastores' quickStats and
// space through one ContainerView and property collector per kind (paged,
// read at once), clusters' sums over their connected hosts, then, unless
// p.SkipPerf, the PerformanceManager counters of connected hosts and
// powered-on VMs in QueryPerf batches of p.PerfBatchSize entities, up to
// four batches at once. The counter ids are resolved once per session.
//
// Hosts that are not connected, templates and VMs that are not powered
// on give no quickStats points. Every point's Vcenter is the endpoint's
// name and its EntityID the object's moref value. The quickStats and
// datastore points carry the collection time (Options.Clock, truncated to
// the second); a performance point carries its newest sample's time.
func (s *Source) CollectMetrics(ctx context.Context, p *capture.CollectMetricsParams) (*capture.MetricsCollection, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	var params capture.CollectMetricsParams
	if p != nil {
		params = *p
	}
	switch {
	case params.PerfBatchSize == 0:
		params.PerfBatchSize = DefaultPerfBatchSize
	case params.PerfBatchSize < 0:
		return nil, fmt.Errorf("vsphere: endpoint %q: collect metrics: %w", s.ep.Name, &inventory.FieldError{Field: "perf_batch_size", Reason: "must not be negative"})
	}
	switch {
	case params.MaxPerfSamples == 0:
		params.MaxPerfSamples = DefaultMaxPerfSamples
	case params.MaxPerfSamples < 0:
		return nil, fmt.Errorf("vsphere: endpoint %q: collect metrics: %w", s.ep.Name, &inventory.FieldError{Field: "max_perf_samples", Reason: "must not be negative"})
	}
	now := s.opts.Clock().UTC().Truncate(time.Second)
	start := time.Now()

	gen := s.gen.Load()
	objs, err := s.readMetricObjects(ctx)
	if errors.Is(err, errSessionLost) {
		s.log.Info("session lost while reading metrics (NotAuthenticated in a missingSet); logging in again and retrying once")
		if lerr := s.relogin(ctx, gen); lerr != nil {
			return nil, s.wrap("renew the session", lerr)
		}
		objs, err = s.readMetricObjects(ctx)
	}
	if err != nil {
		return nil, err
	}

	c := &capture.MetricsCollection{Time: now}
	mc := metricCollector{s: s, now: now, c: c}
	hostCores := mc.hosts(objs[tHost])
	perfVMs := mc.vms(objs[tVM], hostCores)
	mc.datastores(objs[tDatastore])

	if !params.SkipPerf {
		s.collectPerf(ctx, &params, c, hostCores, perfVMs)
	}
	s.log.Debug("collected metrics", slog.Int("points", len(c.Points)), slog.Int("failures", len(c.Failures)), slog.Duration("took", time.Since(start)))
	return c, nil
}

// readMetricObjects reads the hosts, VMs and datastores with the metric
// property lists, one kind per container view and property collector, at
// once.
func (s *Source) readMetricObjects(ctx context.Context) (map[string][]*metricObj, error) {
	kinds := []struct {
		typ   string
		props []string
	}{{tVM, metricVMProps}, {tHost, metricHostProps}, {tDatastore, metricDSProps}}
	var mu sync.Mutex
	out := map[string][]*metricObj{}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.opts.Concurrency)
	for _, k := range kinds {
		g.Go(func() error {
			return s.withSession(gctx, func(ctx context.Context) error {
				list, err := s.readKind(ctx, k.typ, k.props)
				if err != nil {
					return s.wrap("read "+k.typ+" metrics", err)
				}
				mu.Lock()
				out[k.typ] = list
				mu.Unlock()
				return nil
			})
		})
	}
	return out, g.Wait()
}

// readKind reads every object of one type with props through its own
// container view and property collector, paged.
func (s *Source) readKind(ctx context.Context, typ string, props []string) ([]*metricObj, error) {
	view, pc, release, err := s.openView(ctx, []string{typ})
	if err != nil {
		return nil, err
	}
	defer release()
	if typ == tVM && s.opts.Concurrency > 1 {
		// As Retrieve does (collectSplit): list the VMs, then read them
		// in chunks through several collectors at once.
		refs, err := s.viewRefs(ctx, pc, view)
		if err != nil {
			return nil, err
		}
		return s.readMetricChunks(ctx, typ, props, pc, refs)
	}
	spec := viewSpec(view, []types.PropertySpec{{Type: typ, PathSet: props}})
	return s.readMetricPages(ctx, typ, pc, spec)
}

// readMetricChunks reads refs with props in k = min(Concurrency,
// ceil(len(refs)/PageSize)) chunks at once, each through its own property
// collector (pc serves the first). Objects deleted since they were listed
// are left out.
func (s *Source) readMetricChunks(ctx context.Context, typ string, props []string, pc types.ManagedObjectReference, refs []moref) ([]*metricObj, error) {
	parts := make([][]*metricObj, s.chunks(len(refs)))
	err := s.eachChunk(ctx, pc, refs, func(ctx context.Context, i int, cpc types.ManagedObjectReference, objs []types.ObjectSpec) error {
		spec := types.PropertyFilterSpec{ObjectSet: objs, PropSet: []types.PropertySpec{{Type: typ, PathSet: props}}, ReportMissingObjectsInResults: types.NewBool(true)}
		list, err := s.readMetricPages(ctx, typ, cpc, spec)
		parts[i] = list
		return err
	})
	if err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// readMetricPages reads the objects of spec with collector pc, paged.
func (s *Source) readMetricPages(ctx context.Context, typ string, pc types.ManagedObjectReference, spec types.PropertyFilterSpec) ([]*metricObj, error) {
	var (
		list    []*metricObj
		lost    bool
		missing faultList
	)
	err := s.pages(ctx, pc, spec, func(objs []types.ObjectContent) {
		for _, o := range objs {
			if deleted(o) {
				continue
			}
			if notAuthenticated(o.MissingSet) {
				lost = true
			}
			for _, m := range o.MissingSet {
				missing.add(o.Obj.Type + " " + o.Obj.Value + ": " + faultName(m))
			}
			mo := &metricObj{ref: o.Obj, vals: make(map[string]any, len(o.PropSet))}
			for _, p := range o.PropSet {
				mo.vals[p.Name] = p.Val
			}
			list = append(list, mo)
		}
	})
	if err != nil {
		return nil, err
	}
	if lost {
		return nil, fmt.Errorf("%s: %w", typ, errSessionLost)
	}
	if missing.n > 0 {
		// A value the server could not read leaves that metric out.
		s.log.Warn("some metric properties could not be read; their points are left out",
			slog.Int("faults", missing.n), slog.Any("first", missing.first))
	}
	return list, nil
}

// metricCollector turns the objects read into points.
type metricCollector struct {
	s   *Source
	now time.Time
	c   *capture.MetricsCollection
}

func (m *metricCollector) add(t inventory.EntityType, id string, metric inventory.Metric, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	m.c.Points = append(m.c.Points, inventory.MetricPoint{
		MetricKey: inventory.MetricKey{Vcenter: m.s.ep.Name, EntityType: t, EntityID: id, Metric: metric},
		Time:      m.now,
		Value:     v,
	})
}

// perfEntity is a host or VM whose performance counters are read.
type perfEntity struct {
	ref types.ManagedObjectReference
	// cpus divides cpu.ready (vCPUs of a VM, cores of a host).
	cpus int64
}

// hostInfo is what VMs and the performance query need of a host.
type hostInfo struct {
	coreMHz   int64
	cores     int64
	connected bool
}

// hosts adds the hosts' and clusters' points; it returns every host's
// core MHz and core count (for VMs and cpu.ready) by moref value.
func (m *metricCollector) hosts(objs []*metricObj) map[string]hostInfo {
	type sums struct{ cpu, cpuCap, mem, memCap float64 }
	clusters := map[string]*sums{}
	var clusterIDs []string
	info := make(map[string]hostInfo, len(objs))
	sort.Slice(objs, func(i, j int) bool { return compareID(objs[i].ref.Value, objs[j].ref.Value) < 0 })
	for _, o := range objs {
		id := o.ref.Value
		mhz, _ := o.num("summary.hardware.cpuMhz")
		cores, _ := o.num("summary.hardware.numCpuCores")
		connected := o.str("runtime.connectionState") == string(types.HostSystemConnectionStateConnected)
		info[id] = hostInfo{coreMHz: mhz, cores: cores, connected: connected}
		var cl *sums
		if parent, ok := o.refAt("parent"); ok && parent.Type == tCluster {
			cl = clusters[parent.Value]
			if cl == nil {
				cl = &sums{}
				clusters[parent.Value] = cl
				clusterIDs = append(clusterIDs, parent.Value)
			}
		}
		if !connected {
			continue
		}
		cpuCap := float64(mhz * cores)
		memBytes, _ := o.num("summary.hardware.memorySize")
		memCap := float64(memBytes) / (1 << 20)
		cpu, hasCPU := o.num("summary.quickStats.overallCpuUsage")
		mem, hasMem := o.num("summary.quickStats.overallMemoryUsage")
		if hasCPU {
			m.add(inventory.EntityHost, id, inventory.MetricCPUUsageMHz, float64(cpu))
		}
		if cpuCap > 0 {
			m.add(inventory.EntityHost, id, inventory.MetricCPUCapacityMHz, cpuCap)
			if hasCPU {
				m.add(inventory.EntityHost, id, inventory.MetricCPUUsagePct, 100*float64(cpu)/cpuCap)
			}
		}
		if hasMem {
			m.add(inventory.EntityHost, id, inventory.MetricMemUsageMB, float64(mem))
		}
		if memCap > 0 {
			m.add(inventory.EntityHost, id, inventory.MetricMemCapacityMB, memCap)
			if hasMem {
				m.add(inventory.EntityHost, id, inventory.MetricMemUsagePct, 100*float64(mem)/memCap)
			}
		}
		if up, ok := o.num("summary.quickStats.uptime"); ok {
			m.add(inventory.EntityHost, id, inventory.MetricUptimeSeconds, float64(up))
		}
		if cl != nil {
			cl.cpu += float64(cpu)
			cl.cpuCap += cpuCap
			cl.mem += float64(mem)
			cl.memCap += memCap
		}
	}
	for _, id := range clusterIDs {
		cl := clusters[id]
		m.add(inventory.EntityCluster, id, inventory.MetricCPUUsageMHz, cl.cpu)
		m.add(inventory.EntityCluster, id, inventory.MetricCPUCapacityMHz, cl.cpuCap)
		m.add(inventory.EntityCluster, id, inventory.MetricMemUsageMB, cl.mem)
		m.add(inventory.EntityCluster, id, inventory.MetricMemCapacityMB, cl.memCap)
		if cl.cpuCap > 0 {
			m.add(inventory.EntityCluster, id, inventory.MetricCPUUsagePct, 100*cl.cpu/cl.cpuCap)
		}
		if cl.memCap > 0 {
			m.add(inventory.EntityCluster, id, inventory.MetricMemUsagePct, 100*cl.mem/cl.memCap)
		}
	}
	return info
}

// vms adds the powered-on VMs' points and returns them (for the
// performance query).
func (m *metricCollector) vms(objs []*metricObj, hosts map[string]hostInfo) []perfEntity {
	sort.Slice(objs, func(i, j int) bool { return compareID(objs[i].ref.Value, objs[j].ref.Value) < 0 })
	var on []perfEntity
	for _, o := range objs {
		if tpl, _ := o.vals["config.template"].(bool); tpl {
			continue
		}
		if o.str("runtime.powerState") != string(types.VirtualMachinePowerStatePoweredOn) {
			continue
		}
		id := o.ref.Value
		vcpu, _ := o.num("config.hardware.numCPU")
		on = append(on, perfEntity{ref: o.ref, cpus: vcpu})
		memMB, _ := o.num("config.hardware.memoryMB")
		var coreMHz int64
		if h, ok := o.refAt("runtime.host"); ok {
			coreMHz = hosts[h.Value].coreMHz
		}
		if cpu, ok := o.num("summary.quickStats.overallCpuUsage"); ok {
			m.add(inventory.EntityVM, id, inventory.MetricCPUUsageMHz, float64(cpu))
			if c := float64(vcpu * coreMHz); c > 0 {
				m.add(inventory.EntityVM, id, inventory.MetricCPUUsagePct, 100*float64(cpu)/c)
			}
		}
		if mem, ok := o.num("summary.quickStats.guestMemoryUsage"); ok {
			m.add(inventory.EntityVM, id, inventory.MetricMemUsageMB, float64(mem))
			if memMB > 0 {
				m.add(inventory.EntityVM, id, inventory.MetricMemUsagePct, 100*float64(mem)/float64(memMB))
			}
		}
		for _, f := range []struct {
			path   string
			metric inventory.Metric
		}{
			{"summary.quickStats.hostMemoryUsage", inventory.MetricMemHostMB},
			{"summary.quickStats.balloonedMemory", inventory.MetricMemBalloonedMB},
			{"summary.quickStats.swappedMemory", inventory.MetricMemSwappedMB},
			{"summary.quickStats.uptimeSeconds", inventory.MetricUptimeSeconds},
		} {
			if v, ok := o.num(f.path); ok {
				m.add(inventory.EntityVM, id, f.metric, float64(v))
			}
		}
	}
	return on
}

// datastores adds the datastores' space points (GB are GiB, as
// everywhere in vinventory).
func (m *metricCollector) datastores(objs []*metricObj) {
	sort.Slice(objs, func(i, j int) bool { return compareID(objs[i].ref.Value, objs[j].ref.Value) < 0 })
	for _, o := range objs {
		id := o.ref.Value
		capB, hasCap := o.num("summary.capacity")
		free, hasFree := o.num("summary.freeSpace")
		if hasCap {
			m.add(inventory.EntityDatastore, id, inventory.MetricDiskCapacityGB, float64(capB)/gib)
		}
		if hasFree {
			m.add(inventory.EntityDatastore, id, inventory.MetricDiskFreeGB, float64(free)/gib)
		}
		if hasCap && hasFree {
			m.add(inventory.EntityDatastore, id, inventory.MetricDiskUsedGB, float64(capB-free)/gib)
			if capB > 0 {
				m.add(inventory.EntityDatastore, id, inventory.MetricDiskUsedPct, 100*float64(capB-free)/float64(capB))
			}
		}
		if u, ok := o.num("summary.uncommitted"); ok {
			m.add(inventory.EntityDatastore, id, inventory.MetricDiskUncommittedGB, float64(u)/gib)
		}
	}
}

// perfCounterIDs returns the ids of the counters CollectMetrics reads,
// resolved once per session generation from the PerformanceManager's
// perfCounter property.
func (s *Source) perfCounterIDs(ctx context.Context) (map[string]int32, error) {
	s.counters.mu.Lock()
	defer s.counters.mu.Unlock()
	gen := s.gen.Load()
	if s.counters.ids != nil && s.counters.gen == gen {
		return s.counters.ids, nil
	}
	pm := s.vc.ServiceContent.PerfManager
	res, err := methods.RetrieveProperties(ctx, s.vc, &types.RetrieveProperties{
		This: s.vc.ServiceContent.PropertyCollector,
		SpecSet: []types.PropertyFilterSpec{{
			ObjectSet: []types.ObjectSpec{{Obj: *pm}},
			PropSet:   []types.PropertySpec{{Type: "PerformanceManager", PathSet: []string{"perfCounter"}}},
		}},
	})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, c := range perfCounters {
		want[c.name] = true
	}
	ids := map[string]int32{}
	for _, o := range res.Returnval {
		if notAuthenticated(o.MissingSet) {
			return nil, fmt.Errorf("PerformanceManager.perfCounter: %w", errSessionLost)
		}
		if len(o.MissingSet) > 0 {
			return nil, fmt.Errorf("PerformanceManager.perfCounter: %s", faultName(o.MissingSet[0]))
		}
		for _, p := range o.PropSet {
			a, ok := p.Val.(types.ArrayOfPerfCounterInfo)
			if !ok {
				continue
			}
			for _, ci := range a.PerfCounterInfo {
				name := counterName(ci)
				if _, dup := ids[name]; want[name] && !dup {
					ids[name] = ci.Key
				}
			}
		}
	}
	s.counters.gen, s.counters.ids = gen, ids
	return ids, nil
}

// counterName is a counter's "group.name.rollup".
func counterName(ci types.PerfCounterInfo) string {
	var g, n string
	if d := ci.GroupInfo.GetElementDescription(); d != nil {
		g = d.Key
	}
	if d := ci.NameInfo.GetElementDescription(); d != nil {
		n = d.Key
	}
	return g + "." + n + "." + string(ci.RollupType)
}

// collectPerf reads the performance counters of the hosts and VMs into c;
// failures go to c.Failures.
func (s *Source) collectPerf(ctx context.Context, p *capture.CollectMetricsParams, c *capture.MetricsCollection, hosts map[string]hostInfo, vms []perfEntity) {
	var hostList []perfEntity
	for id, h := range hosts {
		if h.connected {
			hostList = append(hostList, perfEntity{ref: types.ManagedObjectReference{Type: tHost, Value: id}, cpus: h.cores})
		}
	}
	slices.SortFunc(hostList, func(a, b perfEntity) int { return compareID(a.ref.Value, b.ref.Value) })
	if s.vc.ServiceContent.PerfManager == nil || (len(hostList) == 0 && len(vms) == 0) {
		return // an endpoint without a PerformanceManager serves none
	}
	ids, err := s.perfCounterIDs(ctx)
	if err != nil {
		c.Failures = append(c.Failures, capture.MetricFailure{EntityType: inventory.EntityHost, Counters: PerfCounterNames(), Err: s.wrap("resolve performance counters", err)})
		c.Failures = append(c.Failures, capture.MetricFailure{EntityType: inventory.EntityVM, Counters: PerfCounterNames(), Err: s.wrap("resolve performance counters", err)})
		return
	}
	c.Counters = make(map[string]int32, len(ids))
	var (
		metricIDs []types.PerfMetricId
		names     []string
	)
	for _, pc := range perfCounters {
		id, ok := ids[pc.name]
		if !ok {
			// One failure per entity type read (all of that type).
			err := s.wrap("read performance counters", fmt.Errorf("%w: %s", ErrCounterNotServed, pc.name))
			for _, g := range []struct {
				typ inventory.EntityType
				n   int
			}{{inventory.EntityHost, len(hostList)}, {inventory.EntityVM, len(vms)}} {
				if g.n > 0 {
					c.Failures = append(c.Failures, capture.MetricFailure{EntityType: g.typ, Counters: []string{pc.name}, Err: err})
				}
			}
			continue
		}
		c.Counters[pc.name] = id
		inst := ""
		if pc.name == counterDSReadLatency || pc.name == counterDSWriteLatency {
			inst = "*"
		}
		metricIDs = append(metricIDs, types.PerfMetricId{CounterId: id, Instance: inst})
		names = append(names, pc.name)
	}
	if len(metricIDs) == 0 {
		return
	}
	metricOf := map[int32]inventory.Metric{}
	for _, pc := range perfCounters {
		if id, ok := ids[pc.name]; ok {
			metricOf[id] = pc.metric
		}
	}

	type batch struct {
		typ  inventory.EntityType
		ents []perfEntity
	}
	var batches []batch
	for _, g := range []struct {
		typ  inventory.EntityType
		ents []perfEntity
	}{{inventory.EntityHost, hostList}, {inventory.EntityVM, vms}} {
		for chunk := range slices.Chunk(g.ents, p.PerfBatchSize) {
			batches = append(batches, batch{typ: g.typ, ents: chunk})
		}
	}
	results := make([][]inventory.MetricPoint, len(batches))
	fails := make([]error, len(batches))
	var wg sync.WaitGroup
	sem := make(chan struct{}, min(perfConcurrency, s.opts.Concurrency))
	for i, b := range batches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				fails[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			results[i], fails[i] = s.queryPerf(ctx, p, b.typ, b.ents, metricIDs, metricOf)
		}()
	}
	wg.Wait()
	for i, b := range batches {
		if fails[i] != nil {
			ids := make([]string, len(b.ents))
			for j, e := range b.ents {
				ids[j] = e.ref.Value
			}
			c.Failures = append(c.Failures, capture.MetricFailure{EntityType: b.typ, EntityIDs: ids, Counters: slices.Clone(names),
				Err: s.wrap("query performance counters", fails[i])})
			continue
		}
		c.Points = append(c.Points, results[i]...)
	}
}

// ErrCounterNotServed is the error of a MetricFailure for a performance
// counter the endpoint does not serve.
var ErrCounterNotServed = errors.New("performance counter not served by the endpoint")

// queryPerf runs one QueryPerf for ents and converts the samples.
func (s *Source) queryPerf(ctx context.Context, p *capture.CollectMetricsParams, typ inventory.EntityType, ents []perfEntity, metricIDs []types.PerfMetricId, metricOf map[int32]inventory.Metric) ([]inventory.MetricPoint, error) {
	specs := make([]types.PerfQuerySpec, len(ents))
	cpus := make(map[string]int64, len(ents))
	for i, e := range ents {
		specs[i] = types.PerfQuerySpec{
			Entity:     e.ref,
			MetricId:   metricIDs,
			IntervalId: perfInterval,
			MaxSample:  int32(min(p.MaxPerfSamples, math.MaxInt32)),
		}
		if !p.Since.IsZero() {
			since := p.Since.UTC()
			specs[i].StartTime = &since
		}
		cpus[e.ref.Value] = e.cpus
	}
	res, err := methods.QueryPerf(ctx, s.vc, &types.QueryPerf{This: *s.vc.ServiceContent.PerfManager, QuerySpec: specs})
	if err != nil {
		return nil, err
	}
	var out []inventory.MetricPoint
	for _, base := range res.Returnval {
		em, ok := base.(*types.PerfEntityMetric)
		if !ok {
			continue
		}
		out = append(out, perfPoints(s.ep.Name, typ, em, p.Since, cpus[em.Entity.Value], metricOf)...)
	}
	return out, nil
}

// perfPoints converts one entity's samples into one point per metric: the
// mean of the samples newer than since (negative values, vSphere's "no
// data", left out), at the newest such sample's time. Datastore latencies
// take the instance with the highest mean. A series whose value count
// differs from the sample count is left out.
func perfPoints(vcenter string, typ inventory.EntityType, em *types.PerfEntityMetric, since time.Time, cpus int64, metricOf map[int32]inventory.Metric) []inventory.MetricPoint {
	type acc struct {
		value float64
		at    time.Time
		set   bool
	}
	best := map[inventory.Metric]*acc{}
	var order []inventory.Metric
	for _, v := range em.Value {
		series, ok := v.(*types.PerfMetricIntSeries)
		if !ok {
			continue
		}
		metric, ok := metricOf[series.Id.CounterId]
		if !ok || len(series.Value) != len(em.SampleInfo) {
			// Values are read by sample position; a series of another
			// length cannot be placed (vcsim's encoder drops zero
			// values: xml omitempty on each element).
			continue
		}
		var (
			sum    float64
			n      int
			newest time.Time
		)
		for i, raw := range series.Value {
			if raw < 0 {
				continue
			}
			si := em.SampleInfo[i]
			if !since.IsZero() && !si.Timestamp.After(since) {
				continue
			}
			val := float64(raw)
			switch metric {
			case inventory.MetricPerfCPUUsagePct, inventory.MetricPerfMemUsagePct:
				val /= 100
			case inventory.MetricPerfCPUReadyPct:
				interval := float64(si.Interval)
				if interval <= 0 {
					interval = perfInterval
				}
				val = 100 * val / (interval * 1000)
				if cpus > 0 {
					val /= float64(cpus)
				}
			}
			sum += val
			n++
			if si.Timestamp.After(newest) {
				newest = si.Timestamp
			}
		}
		if n == 0 {
			continue
		}
		mean := sum / float64(n)
		a := best[metric]
		if a == nil {
			a = &acc{}
			best[metric] = a
			order = append(order, metric)
		}
		if !a.set || mean > a.value {
			a.value, a.at, a.set = mean, newest, true
		}
	}
	out := make([]inventory.MetricPoint, 0, len(order))
	for _, m := range order {
		a := best[m]
		out = append(out, inventory.MetricPoint{
			MetricKey: inventory.MetricKey{Vcenter: vcenter, EntityType: typ, EntityID: em.Entity.Value, Metric: m},
			Time:      a.at.UTC().Truncate(time.Second),
			Value:     a.value,
		})
	}
	return out
}
