package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
)

// WriteRightSizing writes the right-sizing report (metrics.RightSize over
// p) to w as an XLSX workbook: a "Right-sizing" sheet with one row per VM,
// the most pressing first (undersized, idle, oversized, ok, insufficient
// data; then by vCenter, name and VM ID), p95s as fractions with a percent
// format, and a "Parameters" sheet with the period and thresholds.
// Errors are *Error (Kind KindRightSizing); a period without any VM wraps
// ErrNoData.
func WriteRightSizing(ctx context.Context, st metrics.RightSizeStore, p *metrics.RightSizeParams, w io.Writer, opts Options) error {
	req := Request{Kind: KindRightSizing}
	if p != nil {
		req.Vcenter, req.From, req.To = p.Vcenter, p.From, p.To
	}
	if err := req.Validate(); err != nil {
		return err
	}
	if st == nil {
		return &Error{Kind: req.Kind, Stage: StageValidate, Field: "store", Err: fmt.Errorf("%w: store is nil", ErrInvalidRequest)}
	}
	if w == nil {
		return &Error{Kind: req.Kind, Stage: StageValidate, Field: "w", Err: fmt.Errorf("%w: writer is nil", ErrInvalidRequest)}
	}
	opts = opts.withDefaults()
	g := &gen{ctx: ctx, req: req, opts: opts, rsStore: st, rsParams: p}
	err := g.run(w)
	if err == nil {
		return nil
	}
	var re *Error
	if errors.As(err, &re) {
		return err
	}
	return &Error{Kind: req.Kind, Stage: StageWrite, Err: err}
}

var verdictRank = map[string]int{
	metrics.VerdictUndersized: 0, metrics.VerdictIdle: 1, metrics.VerdictOversized: 2,
	metrics.VerdictOK: 3, metrics.VerdictInsufficientData: 4,
}

// rightSizing writes the right-sizing sheets. A Request of KindRightSizing
// written through Write reads the store given to Write, which must then
// implement metrics.RightSizeStore, with default thresholds.
func (g *gen) rightSizing() error {
	st := g.rsStore
	if st == nil {
		s, ok := g.st.(metrics.RightSizeStore)
		if !ok {
			return g.readErr("right-sizing", fmt.Errorf("the store keeps no metrics: %w", store.ErrUnsupported))
		}
		st = s
	}
	p := g.rsParams
	if p == nil {
		p = &metrics.RightSizeParams{Vcenter: g.req.Vcenter, From: g.req.From, To: g.req.To}
	}
	rows, err := metrics.RightSize(g.ctx, st, p)
	if err != nil {
		if errors.Is(err, metrics.ErrInvalidParams) {
			return &Error{Kind: g.req.Kind, Stage: StageValidate, Err: fmt.Errorf("%w: %w", ErrInvalidRequest, err)}
		}
		return g.readErr("right-size", err)
	}
	if len(rows) == 0 {
		return g.noData("no VMs to right-size%s", g.vcSuffix())
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if verdictRank[a.Verdict] != verdictRank[b.Verdict] {
			return verdictRank[a.Verdict] < verdictRank[b.Verdict]
		}
		if a.Vcenter != b.Vcenter {
			return a.Vcenter < b.Vcenter
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.VMID < b.VMID
	})
	sh, err := g.newSheet("Right-sizing", []col{
		{name: "vCenter", kind: cText}, {name: "VM ID", kind: cText, width: 14}, {name: "Name", kind: cText, width: 32},
		{name: "Cluster", kind: cText}, {name: "Verdict", kind: cText, width: 18},
		{name: "vCPUs", kind: cInt, width: 9}, {name: "RAM GB", kind: cDec2, width: 10},
		{name: "CPU p95", kind: cPct}, {name: "Memory p95", kind: cPct},
		{name: "CPU level", kind: cText, width: 12}, {name: "Memory level", kind: cText, width: 14},
		{name: "Fit vCPUs", kind: cInt}, {name: "Fit RAM GB", kind: cInt},
		{name: "vCPU change", kind: cInt}, {name: "RAM GB change", kind: cDec2},
		{name: "Days of data", kind: cDec2}, {name: "CPU hours", kind: cInt}, {name: "Memory hours", kind: cInt},
	})
	if err != nil {
		return err
	}
	for _, r := range rows {
		ramGB := float64(r.RAMMB) / 1024
		var fitCPU, fitRAM, dCPU, dRAM any // blank with insufficient data
		if r.Verdict != metrics.VerdictInsufficientData {
			fitCPU, fitRAM = r.FitVCPUs, r.FitRAMGB
			dCPU, dRAM = r.FitVCPUs-r.VCPUs, float64(r.FitRAMGB)-ramGB
		}
		var cpuP95, memP95 any
		if r.CPUHours > 0 {
			cpuP95 = r.CPUP95Pct / 100
		}
		if r.MemHours > 0 {
			memP95 = r.MemP95Pct / 100
		}
		if err := sh.add(r.Vcenter, r.VMID, r.Name, r.Cluster, r.Verdict, r.VCPUs, ramGB, cpuP95, memP95,
			r.CPULevel, r.MemLevel, fitCPU, fitRAM, dCPU, dRAM, r.DataDays, r.CPUHours, r.MemHours); err != nil {
			return err
		}
	}
	if err := sh.close(); err != nil {
		return err
	}
	return g.rightSizingParams(p)
}

func (g *gen) rightSizingParams(p *metrics.RightSizeParams) error {
	o := p.Options
	def := func(v, d float64) float64 {
		if v == 0 {
			return d
		}
		return v
	}
	z := g.zoneLabel()
	sh, err := g.newSheet("Parameters", []col{
		{name: "vCenter", kind: cText}, {name: "From" + z, kind: cDateTime}, {name: "To" + z, kind: cDateTime},
		{name: "Low threshold", kind: cPct, width: 16}, {name: "High threshold", kind: cPct, width: 16},
		{name: "Target utilisation", kind: cPct, width: 20}, {name: "Days of data needed", kind: cDec2, width: 22},
	})
	if err != nil {
		return err
	}
	vc := p.Vcenter
	if vc == "" {
		vc = "(every vCenter)"
	}
	if err := sh.add(vc, p.From, p.To, def(o.LowPct, metrics.DefaultRightSizeLowPct)/100, def(o.HighPct, metrics.DefaultRightSizeHighPct)/100,
		def(o.TargetPct, metrics.DefaultRightSizeTargetPct)/100, def(o.MinDays, metrics.DefaultRightSizeMinDays)); err != nil {
		return err
	}
	return sh.close()
}
