package alert_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
)

// writePoints stores points of one metric of entities of type et at the
// given offsets from the clock's now.
func (e *env) writePoints(et inventory.EntityType, m inventory.Metric, id string, at map[time.Duration]float64) {
	e.t.Helper()
	var pts []inventory.MetricPoint
	for off, v := range at {
		pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: et, EntityID: id, Metric: m},
			Time: e.clock().Add(off), Value: v})
	}
	e.must(e.st.WriteMetrics(context.Background(), &store.WriteMetricsParams{Points: pts}))
}

// poweredOnVMs returns the IDs of the captured VMs that are powered on,
// sorted.
func (e *env) poweredOnVMs() []string {
	e.t.Helper()
	pg, err := e.st.ListVMs(context.Background(), &store.ListVMsParams{Vcenter: vc, Limit: 1000})
	e.must(err)
	var out []string
	for _, v := range pg.VMs {
		if v.PowerState == inventory.PoweredOn && !v.IsTemplate {
			out = append(out, v.ID)
		}
	}
	slices.Sort(out)
	return out
}

// TestMetricRuleWindowAndHysteresis drives vm_cpu_usage_pct through
// points written at known times: the value judged is the mean of the
// points in [now − window, now] (hand-computed below), the alert holds
// down to Clear, a VM with no point in the window keeps its alert, a VM
// powered off loses it, and an endpoint without any point is skipped.
func TestMetricRuleWindowAndHysteresis(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4, Templates: -1}, alert.Options{})
	e.capture()
	vms := e.poweredOnVMs()
	if len(vms) < 3 {
		t.Fatalf("%d VMs powered on, want 3", len(vms))
	}
	a, b, c := vms[0], vms[1], vms[2]
	r := rule("cpu-hot", inventory.RuleVMCPUUsagePct)
	r.Threshold, r.Clear, r.Duration = 90, 80, 15*time.Minute
	cpu := func(id string, at map[time.Duration]float64) {
		e.writePoints(inventory.EntityVM, inventory.MetricCPUUsagePct, id, at)
	}
	open := func(step string, want ...string) {
		t.Helper()
		slices.Sort(want)
		if got := e.active(r.ID, inventory.AlertOpen); !slices.Equal(got, want) {
			t.Fatalf("%s: open %v, want %v", step, got, want)
		}
	}
	value := func(id string) float64 {
		for _, al := range e.alerts(r.ID) {
			if al.EntityID == id && al.State == inventory.AlertOpen {
				return al.Value
			}
		}
		return math.NaN()
	}

	// T0. a: the point 16 minutes back is outside the window (with it the
	// mean would be 68.25); 15 minutes back is inside: (90+95+88)/3 = 91.
	// b: one point of 99. c: 89.9, below the threshold.
	cpu(a, map[time.Duration]float64{-16 * time.Minute: 0, -15 * time.Minute: 90, -10 * time.Minute: 95, -5 * time.Minute: 88})
	cpu(b, map[time.Duration]float64{0: 99})
	cpu(c, map[time.Duration]float64{-time.Minute: 89.9})
	res := e.run(r)
	open("T0", a, b)
	if v := value(a); v != 91 {
		t.Errorf("T0: a's value %v, want 91", v)
	}
	for _, al := range e.alerts(r.ID) {
		if al.EntityID == a && !contains(al.Summary, "CPU usage averaged 91.0% over 15m (raise at 90%, clear below 80%)") {
			t.Errorf("summary %q", al.Summary)
		}
	}
	if len(res.Skipped) != 0 {
		t.Errorf("T0: skipped %+v", res.Skipped)
	}

	// T1 = T0+5m. a: (95+88+70)/3 = 84.33: in the band, holds. b: its
	// point is still inside. c: 89.9 and 89.9 stay below 90.
	e.advance(5 * time.Minute)
	cpu(a, map[time.Duration]float64{0: 70})
	cpu(c, map[time.Duration]float64{0: 89.9})
	e.run(r)
	open("T1", a, b)
	if v := value(a); v != 84.3 {
		t.Errorf("T1: a's value %v, want 84.3 (rounded mean of 95, 88, 70)", v)
	}

	// T2 = T1+5m. a: (88+70+60)/3 = 72.67 < 80: resolved.
	e.advance(5 * time.Minute)
	cpu(a, map[time.Duration]float64{0: 60})
	e.run(r)
	open("T2", b)

	// T3 = T2+1h. Only c has a point: b has none in the window and keeps
	// its alert (no data is not a recovery); a stays resolved.
	e.advance(time.Hour)
	cpu(c, map[time.Duration]float64{0: 10})
	res = e.run(r)
	open("T3", b)
	if len(res.Skipped) != 0 {
		t.Errorf("T3: skipped %+v", res.Skipped)
	}

	// T4: nothing new at all: the endpoint is skipped, alerts as they are.
	e.advance(time.Hour)
	res = e.run(r)
	open("T4", b)
	if len(res.Skipped) != 1 || res.Skipped[0].Vcenter != vc || !contains(res.Skipped[0].Reason, "no point of cpu.usage.pct in the last 15m ") {
		t.Errorf("T4: skipped %+v, want vc1 without points", res.Skipped)
	}

	// T5: b powered off (and captured): not judged, its alert resolves.
	e.must(e.sim.PowerOff(context.Background(), b))
	e.advance(time.Minute)
	e.capture()
	cpu(c, map[time.Duration]float64{0: 10})
	e.run(r)
	open("T5")
	for _, al := range e.alerts(r.ID) {
		if al.State != inventory.AlertResolved {
			t.Errorf("alert %s of %s is %s, want resolved", al.RuleID, al.EntityID, al.State)
		}
	}
}

// TestMetricRuleFromCollection collects from the simulator with
// metrics.Collect (VM and host quickStats set through its registry) and
// evaluates the host and VM memory rules on what was stored: the values
// equal the percentages computed here from the simulator's figures, and
// the scope limits them.
func TestMetricRuleFromCollection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 2, Templates: -1}, alert.Options{})
	e.capture()
	ctx := context.Background()
	pg, err := e.st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vc, Limit: 100})
	e.must(err)
	var vm inventory.VM
	for _, v := range pg.VMs {
		if v.PowerState == inventory.PoweredOn {
			vm = v
			break
		}
	}
	if vm.ID == "" || vm.RAMMB <= 0 {
		t.Fatalf("no powered-on VM with memory: %+v", pg.VMs)
	}
	guestMB := int32(vm.RAMMB * 95 / 100)
	e.must(e.sim.SetVMQuickStats(vm.ID, types.VirtualMachineQuickStats{GuestMemoryUsage: guestMB, OverallCpuUsage: 1}))
	hosts := e.hosts()
	h := hosts[0]
	if h.MemoryMB <= 0 {
		t.Fatalf("host without memory: %+v", h)
	}
	hostMB := int32(h.MemoryMB * 97 / 100)
	for _, o := range hosts {
		mb := int32(10)
		if o.ID == h.ID {
			mb = hostMB
		}
		e.must(e.sim.SetHostQuickStats(o.ID, types.HostListSummaryQuickStats{OverallMemoryUsage: mb, OverallCpuUsage: 1}))
	}
	col, err := metrics.Collect(ctx, e.src, e.st, metrics.CollectOptions{SkipPerf: true})
	e.must(err)
	e.advance(col.Time.Sub(e.clock()))
	if e.clock().Before(col.Time) {
		t.Fatalf("clock %v before the collection %v", e.clock(), col.Time)
	}

	vmRule := rule("vm-mem", inventory.RuleVMMemUsagePct)
	vmRule.Threshold = 90
	hostRule := rule("host-mem", inventory.RuleHostMemUsagePct)
	hostRule.Threshold = 90
	other := rule("host-mem-other", inventory.RuleHostMemUsagePct)
	other.Threshold, other.Scope.Name = 90, "^no-such-host$"
	e.run(vmRule, hostRule, other)

	wantVM := math.Round(1000*float64(guestMB)/float64(vm.RAMMB)) / 10
	wantHost := math.Round(1000*float64(hostMB)/float64(h.MemoryMB)) / 10
	check := func(ruleID, id string, want float64) {
		t.Helper()
		al := e.alerts(ruleID)
		if len(al) != 1 || al[0].EntityID != id || al[0].State != inventory.AlertOpen || al[0].Value != want {
			t.Fatalf("%s alerts %+v, want one open for %s with value %v", ruleID, al, id, want)
		}
	}
	check(vmRule.ID, vm.ID, wantVM)
	check(hostRule.ID, h.ID, wantHost)
	if al := e.alerts(other.ID); len(al) != 0 {
		t.Errorf("out-of-scope rule raised %+v", al)
	}
}

// narrowStore is a store that keeps no time series: only alert.Store's
// methods of a memstore.
type narrowStore struct{ alert.Store }

func TestMetricRuleWithoutMetricStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 1}, alert.Options{})
	e.capture()
	ev, err := alert.NewEvaluator(narrowStore{e.st}, alert.Options{Clock: e.clock})
	e.must(err)
	r := rule("cpu", inventory.RuleHostCPUUsagePct)
	r.Threshold = 50
	res, err := ev.Run(context.Background(), &alert.RunParams{Rules: []inventory.AlertRule{r}})
	e.must(err)
	if len(res.Skipped) != 1 || !contains(res.Skipped[0].Reason, "store.MetricStore") || len(res.Changes) != 0 {
		t.Fatalf("result %+v, want the rule skipped for want of a MetricStore", res)
	}
}

func TestValidateMetricRule(t *testing.T) {
	t.Parallel()
	ok := rule("m", inventory.RuleVMCPUReadyPct)
	ok.Threshold, ok.Clear, ok.Duration = 10, 5, 30*time.Minute
	if err := alert.ValidateRule(&ok); err != nil {
		t.Fatalf("valid rule: %v", err)
	}
	if m, found := alert.MetricOf(ok.Kind); !found || m != inventory.MetricPerfCPUReadyPct {
		t.Errorf("MetricOf = %q, %v", m, found)
	}
	if w := alert.MetricWindowOf(&inventory.AlertRule{}); w != alert.DefaultMetricWindow {
		t.Errorf("default window %v", w)
	}
	for _, c := range []struct {
		mod   func(*inventory.AlertRule)
		field string
		text  string
	}{
		{func(r *inventory.AlertRule) { r.Threshold = 0 }, "threshold", "percentage"},
		{func(r *inventory.AlertRule) { r.Threshold = 101 }, "threshold", "percentage"},
		{func(r *inventory.AlertRule) { r.Clear = 11 }, "clear", "between 0 and the threshold"},
		{func(r *inventory.AlertRule) { r.Clear = -1 }, "clear", "between 0 and the threshold"},
		{func(r *inventory.AlertRule) { r.Duration = 30 * time.Second }, "duration", "window"},
		{func(r *inventory.AlertRule) { r.Duration = 25 * time.Hour }, "duration", "window"},
		{func(r *inventory.AlertRule) { r.Duration = time.Minute + time.Millisecond }, "duration", "whole seconds"},
		{func(r *inventory.AlertRule) { r.Kind = inventory.RuleHostCPUUsagePct; r.Scope.Attribute = "team=a" }, "scope.attribute", "only to VM rules"},
	} {
		r := ok
		c.mod(&r)
		err := alert.ValidateRule(&r)
		var fe *inventory.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(err.Error(), c.text) {
			t.Errorf("rule %+v: error %v, want field %s saying %q", r, err, c.field, c.text)
		}
	}
}
