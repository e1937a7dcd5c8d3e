package vcsim

import (
	"slices"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// SetVMQuickStats sets a VM's summary.quickStats (vm is its name or
// moref value). vcsim leaves them at 0; the values stay until the next
// call (or until vcsim rewrites them on a power operation).
func (s *Sim) SetVMQuickStats(vm string, qs types.VirtualMachineQuickStats) error {
	ref, err := s.resolveVM(vm)
	if err != nil {
		return err
	}
	return s.SetProperty(ref.Type, ref.Value, "summary.quickStats", qs)
}

// SetHostQuickStats sets a host's summary.quickStats (host is its name or
// moref value). vcsim's are fixed at 67 MHz and 1404 MB otherwise.
func (s *Sim) SetHostQuickStats(host string, qs types.HostListSummaryQuickStats) error {
	ref, err := s.hostRef(host)
	if err != nil {
		return err
	}
	return s.SetProperty(ref.Type, ref.Value, "summary.quickStats", qs)
}

// PerfQuery is one QueryPerf call the simulator answered: the query specs
// it was sent and the samples it served (vcsim adds random noise to its
// recorded series, so a test compares with these rather than with a
// second query).
type PerfQuery struct {
	Specs  []types.PerfQuerySpec
	Result []types.BasePerfEntityMetricBase
}

// PerfRecording records the QueryPerf calls the simulator answers while
// it is active. Its methods are safe for concurrent use.
type PerfRecording struct {
	sim     *Sim
	mu      sync.Mutex
	queries []PerfQuery
}

// RecordPerf starts recording QueryPerf calls (one recording at a time:
// a new one replaces the previous). Calls failed by an injected fault are
// not recorded.
func (s *Sim) RecordPerf() *PerfRecording {
	r := &PerfRecording{sim: s}
	s.perfMu.Lock()
	s.perfRec = r
	s.perfMu.Unlock()
	// The PerformanceManager is replaced once by a wrapper that records
	// its QueryPerf calls (vcsim's property collector reads the embedded
	// object's properties).
	s.perfOnce.Do(func() {
		m := s.Model.Map()
		if pm, ok := m.Get(*s.Client.ServiceContent.PerfManager).(*simulator.PerformanceManager); ok {
			m.Put(&perfRecorder{PerformanceManager: pm, sim: s})
		}
	})
	return r
}

// Queries returns the calls recorded so far, in the order they were
// answered.
func (r *PerfRecording) Queries() []PerfQuery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.queries)
}

// Stop ends the recording.
func (r *PerfRecording) Stop() {
	r.sim.perfMu.Lock()
	defer r.sim.perfMu.Unlock()
	if r.sim.perfRec == r {
		r.sim.perfRec = nil
	}
}

// perfRecorder is the PerformanceManager with QueryPerf recorded.
type perfRecorder struct {
	*simulator.PerformanceManager
	sim *Sim
}

// QueryPerf answers as vcsim does and records the call.
func (p *perfRecorder) QueryPerf(ctx *simulator.Context, req *types.QueryPerf) soap.HasFault {
	res := p.PerformanceManager.QueryPerf(ctx, req)
	p.sim.perfMu.Lock()
	rec := p.sim.perfRec
	p.sim.perfMu.Unlock()
	if rec == nil {
		return res
	}
	q := PerfQuery{Specs: slices.Clone(req.QuerySpec)}
	if body, ok := res.(*methods.QueryPerfBody); ok && body.Fault() == nil && body.Res != nil {
		q.Result = slices.Clone(body.Res.Returnval)
	}
	rec.mu.Lock()
	rec.queries = append(rec.queries, q)
	rec.mu.Unlock()
	return res
}
