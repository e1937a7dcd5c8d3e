package metrics

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Verdicts of a RightSizing.
const (
	// VerdictIdle: both CPU and memory p95 under the low threshold.
	VerdictIdle = "idle"
	// VerdictOversized: CPU or memory p95 under the low threshold (not
	// both), and neither over the high one.
	VerdictOversized = "oversized"
	// VerdictUndersized: CPU or memory p95 over the high threshold (it
	// wins over a low figure of the other resource: a VM short of memory
	// is a risk before one with idle vCPUs is a saving).
	VerdictUndersized = "undersized"
	// VerdictOK: both between the thresholds.
	VerdictOK = "ok"
	// VerdictInsufficientData: fewer hourly points than MinDays × 24 for
	// CPU or memory.
	VerdictInsufficientData = "insufficient data"
)

// Per-resource levels of a RightSizing.
const (
	LevelLow  = "low"
	LevelHigh = "high"
	LevelOK   = "ok"
)

// RightSizeOptions are the thresholds of a right-sizing verdict. The zero
// value is usable.
type RightSizeOptions struct {
	// LowPct is the p95 utilisation (0–100) under which a resource is
	// oversized. Defaults to 20.
	LowPct float64
	// HighPct is the p95 utilisation above which a resource is
	// undersized. Defaults to 80.
	HighPct float64
	// TargetPct is the utilisation the suggested size aims the p95 at.
	// Defaults to 60.
	TargetPct float64
	// MinDays is the data a verdict needs: at least MinDays × 24 hourly
	// points of both CPU and memory. Defaults to 7.
	MinDays float64
}

// Defaults of RightSizeOptions.
const (
	DefaultRightSizeLowPct    = 20
	DefaultRightSizeHighPct   = 80
	DefaultRightSizeTargetPct = 60
	DefaultRightSizeMinDays   = 7
)

func (o RightSizeOptions) withDefaults() RightSizeOptions {
	if o.LowPct == 0 {
		o.LowPct = DefaultRightSizeLowPct
	}
	if o.HighPct == 0 {
		o.HighPct = DefaultRightSizeHighPct
	}
	if o.TargetPct == 0 {
		o.TargetPct = DefaultRightSizeTargetPct
	}
	if o.MinDays == 0 {
		o.MinDays = DefaultRightSizeMinDays
	}
	return o
}

func (o RightSizeOptions) validate(op string) error {
	bad := func(field, reason string) error { return &ParamError{Op: op, Field: field, Reason: reason} }
	switch {
	case o.LowPct < 0 || o.LowPct > 100 || math.IsNaN(o.LowPct):
		return bad("LowPct", fmt.Sprintf("%v is not between 0 and 100", o.LowPct))
	case o.HighPct <= o.LowPct || o.HighPct > 100 || math.IsNaN(o.HighPct):
		return bad("HighPct", fmt.Sprintf("%v is not above LowPct (%v) and at most 100", o.HighPct, o.LowPct))
	case !(o.TargetPct > 0 && o.TargetPct <= 100):
		return bad("TargetPct", fmt.Sprintf("%v is not above 0 and at most 100", o.TargetPct))
	case !(o.MinDays > 0):
		return bad("MinDays", fmt.Sprintf("%v is not positive", o.MinDays))
	}
	return nil
}

// RightSizing is the verdict on one VM.
type RightSizing struct {
	Vcenter string `json:"vcenter"`
	VMID    string `json:"vm_id"`
	Name    string `json:"name"`
	Cluster string `json:"cluster"`
	// VCPUs and RAMMB are the VM's configuration (latest state).
	VCPUs int   `json:"vcpus"`
	RAMMB int64 `json:"ram_mb"`
	// CPUHours and MemHours are the hourly averages the p95s are taken
	// over; DataDays = min(CPUHours, MemHours) / 24, the days of data the
	// verdict stands on.
	CPUHours int     `json:"cpu_hours"`
	MemHours int     `json:"mem_hours"`
	DataDays float64 `json:"data_days"`
	// CPUP95Pct and MemP95Pct are the p95s (0–100; see P95) of the hourly
	// averages of cpu.usage.pct and mem.usage.pct (0 without points).
	CPUP95Pct float64 `json:"cpu_p95_pct"`
	MemP95Pct float64 `json:"mem_p95_pct"`
	// CPULevel and MemLevel are "low", "high" or "ok" against the
	// thresholds ("" with insufficient data).
	CPULevel string `json:"cpu_level,omitempty"`
	MemLevel string `json:"mem_level,omitempty"`
	// Verdict is one of the Verdict constants.
	Verdict string `json:"verdict"`
	// FitVCPUs and FitRAMGB are the size that would put the p95 at the
	// target: ceil(VCPUs × CPUP95Pct / TargetPct), at least 1, and
	// ceil(RAMMB / 1024 × MemP95Pct / TargetPct) GB, at least 1, for a
	// resource whose level is low or high; the current size (RAM rounded
	// up to whole GB) for one that is ok; 0 with insufficient data.
	FitVCPUs int   `json:"fit_vcpus"`
	FitRAMGB int64 `json:"fit_ram_gb"`
}

// P95 returns the nearest-rank 95th percentile of values: the value at
// rank ceil(0.95 × n) of the values sorted ascending (0 when empty). It
// does not modify values.
func P95(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := append([]float64(nil), values...)
	sort.Float64s(s)
	rank := int(math.Ceil(0.95 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

// ceilEps is ceil that ignores float noise just above a whole number.
func ceilEps(x float64) float64 { return math.Ceil(x - 1e-9) }

// Classify is RightSize's pure core: the verdict on a VM of vcpus vCPUs
// and ramMB MB of RAM whose hourly average cpu.usage.pct and
// mem.usage.pct (0–100, one value per hour with points) are cpuHourly
// and memHourly. Name, Vcenter, VMID and Cluster are left for the caller.
func Classify(vcpus int, ramMB int64, cpuHourly, memHourly []float64, opts RightSizeOptions) RightSizing {
	opts = opts.withDefaults()
	r := RightSizing{
		VCPUs: vcpus, RAMMB: ramMB,
		CPUHours: len(cpuHourly), MemHours: len(memHourly),
		CPUP95Pct: P95(cpuHourly), MemP95Pct: P95(memHourly),
	}
	r.DataDays = float64(min(r.CPUHours, r.MemHours)) / 24
	need := int(math.Ceil(opts.MinDays * 24))
	if r.CPUHours < need || r.MemHours < need {
		r.Verdict = VerdictInsufficientData
		return r
	}
	level := func(p float64) string {
		switch {
		case p < opts.LowPct:
			return LevelLow
		case p > opts.HighPct:
			return LevelHigh
		}
		return LevelOK
	}
	r.CPULevel, r.MemLevel = level(r.CPUP95Pct), level(r.MemP95Pct)
	switch {
	case r.CPULevel == LevelHigh || r.MemLevel == LevelHigh:
		r.Verdict = VerdictUndersized
	case r.CPULevel == LevelLow && r.MemLevel == LevelLow:
		r.Verdict = VerdictIdle
	case r.CPULevel == LevelLow || r.MemLevel == LevelLow:
		r.Verdict = VerdictOversized
	default:
		r.Verdict = VerdictOK
	}
	ramGB := float64(ramMB) / 1024
	r.FitVCPUs, r.FitRAMGB = vcpus, int64(ceilEps(ramGB))
	if r.CPULevel != LevelOK {
		r.FitVCPUs = max(1, int(ceilEps(float64(vcpus)*r.CPUP95Pct/opts.TargetPct)))
	}
	if r.MemLevel != LevelOK {
		r.FitRAMGB = max(1, int64(ceilEps(ramGB*r.MemP95Pct/opts.TargetPct)))
	}
	return r
}

// RightSizeStore is what RightSize reads: the VMs' hourly metrics and
// their configuration in the latest-state inventory.
type RightSizeStore interface {
	store.MetricStore
	store.InventoryState
}

// RightSizeParams select the VMs and period of RightSize.
type RightSizeParams struct {
	// Vcenter keeps one endpoint's VMs; empty reads every endpoint.
	Vcenter string
	// From and To bound the period [From, To); both are required. From
	// is truncated and To rounded up to whole UTC hours.
	From, To time.Time
	// Options are the thresholds.
	Options RightSizeOptions
	// BatchSize is the number of VMs per QueryMetrics. Defaults to 500.
	BatchSize int
}

// RightSize returns the verdict (Classify) on every VM of the latest-state
// inventory that is not a template, ordered by (Vcenter, VMID): the p95
// over [From, To) of its hourly averages of cpu.usage.pct and
// mem.usage.pct, read with QueryMetrics at a 1 h step (the hour tier;
// hours not rolled up yet from the raw points), BatchSize VMs per query.
// An hourly average is a bucket's Avg (the mean of the hour's raw
// points); hours without points are not counted. The p95 is the nearest
// rank one (P95): the hourly average at rank ceil(0.95 × n) of the n
// hours sorted ascending.
func RightSize(ctx context.Context, st RightSizeStore, p *RightSizeParams) ([]RightSizing, error) {
	const op = "RightSize"
	if p == nil {
		return nil, &ParamError{Op: op, Field: "p", Reason: "is nil"}
	}
	if p.From.IsZero() || p.To.IsZero() {
		return nil, &ParamError{Op: op, Field: "From", Reason: "From and To are required"}
	}
	from := p.From.UTC().Truncate(time.Hour)
	to := p.To.UTC().Truncate(time.Hour)
	if to.Before(p.To) {
		to = to.Add(time.Hour)
	}
	if !from.Before(to) {
		return nil, &ParamError{Op: op, Field: "To", Reason: "must be after From"}
	}
	if to.Sub(from) > store.MaxMetricBuckets*time.Hour {
		return nil, &ParamError{Op: op, Field: "To", Reason: fmt.Sprintf("the period is longer than %d hours", store.MaxMetricBuckets)}
	}
	opts := p.Options.withDefaults()
	if err := opts.validate(op); err != nil {
		return nil, err
	}
	batch := p.BatchSize
	if batch <= 0 {
		batch = 500
	}
	if batch > store.MaxMetricEntities {
		batch = store.MaxMetricEntities
	}

	var out []RightSizing
	var pending []inventory.VM
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		q := &store.QueryMetricsParams{
			Vcenter: pending[0].Vcenter, EntityType: inventory.EntityVM,
			Metrics: []inventory.Metric{inventory.MetricCPUUsagePct, inventory.MetricMemUsagePct},
			From:    from, To: to, Step: time.Hour, Tier: inventory.TierHour,
		}
		for _, v := range pending {
			q.EntityIDs = append(q.EntityIDs, v.ID)
		}
		series, err := st.QueryMetrics(ctx, q)
		if err != nil {
			return fmt.Errorf("metrics: right-size: query the metrics of %d VMs of %s: %w", len(pending), pending[0].Vcenter, err)
		}
		hourly := map[string]map[inventory.Metric][]float64{}
		for _, s := range series {
			m := hourly[s.EntityID]
			if m == nil {
				m = map[inventory.Metric][]float64{}
				hourly[s.EntityID] = m
			}
			vals := make([]float64, len(s.Buckets))
			for i, b := range s.Buckets {
				vals[i] = b.Avg
			}
			m[s.Metric] = vals
		}
		for _, v := range pending {
			r := Classify(v.VCPUCount, v.RAMMB, hourly[v.ID][inventory.MetricCPUUsagePct], hourly[v.ID][inventory.MetricMemUsagePct], opts)
			r.Vcenter, r.VMID, r.Name, r.Cluster = v.Vcenter, v.ID, v.Name, v.Cluster
			out = append(out, r)
		}
		pending = pending[:0]
		return nil
	}
	cursor := ""
	for {
		page, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: p.Vcenter, Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, fmt.Errorf("metrics: right-size: list VMs: %w", err)
		}
		for _, v := range page.VMs {
			if v.IsTemplate {
				continue
			}
			if len(pending) > 0 && (pending[0].Vcenter != v.Vcenter || len(pending) >= batch) {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			pending = append(pending, v)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}
