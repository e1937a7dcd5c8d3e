package metrics_test

import (
	"testing"

	"github.com/accessvault/vinventory/metrics"
)

func TestP95NearestRank(t *testing.T) {
	seq := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(n - i) // descending: P95 sorts
		}
		return v
	}
	for _, c := range []struct {
		vals []float64
		want float64
	}{
		{nil, 0},
		{[]float64{42}, 42},
		{seq(100), 95}, // rank 95
		{seq(20), 19},  // rank 19
		{seq(7), 7},    // rank ceil(6.65) = 7
		{seq(21), 20},  // rank ceil(19.95) = 20
	} {
		in := append([]float64(nil), c.vals...)
		if got := metrics.P95(c.vals); got != c.want {
			t.Errorf("P95(%v) = %v, want %v", c.vals, got, c.want)
		}
		for i := range in {
			if in[i] != c.vals[i] {
				t.Fatalf("P95 modified its input")
			}
		}
	}
}

// week returns 168 hourly values from f(hour index).
func week(f func(i int) float64) []float64 {
	v := make([]float64, 168)
	for i := range v {
		v[i] = f(i)
	}
	return v
}

func constant(x float64) []float64 { return week(func(int) float64 { return x }) }

func TestClassify(t *testing.T) {
	// Daily cycle 2 + 0.5·(hour of day): each of 24 values 7 times. Rank
	// ceil(0.95·168) = 160 falls in the 23rd value's ranks (155..161):
	// 2 + 0.5·22 = 13.
	cycle := week(func(i int) float64 { return 2 + 0.5*float64(i%24) })
	// 8 spikes of 100 sit at ranks 161..168: the p95 is still 10; 9 reach
	// rank 160.
	spikes := func(n int) []float64 {
		return week(func(i int) float64 {
			if i%18 == 0 && i/18 < n {
				return 100
			}
			return 10
		})
	}
	for _, c := range []struct {
		name            string
		vcpus           int
		ramMB           int64
		cpu, mem        []float64
		opts            metrics.RightSizeOptions
		cpuP95, memP95  float64
		cpuLvl, memLvl  string
		verdict         string
		fitCPU          int
		fitRAM          int64
		cpuHours, memHr int
	}{
		// ceil(8·13/60) = ceil(1.73) = 2; ceil(16·10/60) = ceil(2.67) = 3.
		{"idle", 8, 16384, cycle, constant(10), metrics.RightSizeOptions{}, 13, 10, "low", "low", "idle", 2, 3, 168, 168},
		{"oversized cpu", 8, 16384, cycle, constant(50), metrics.RightSizeOptions{}, 13, 50, "low", "ok", "oversized", 2, 16, 168, 168},
		// ceil(4·90/60) = 6; ceil(6·95/60) = ceil(9.5) = 10.
		{"undersized", 4, 6144, constant(90), constant(95), metrics.RightSizeOptions{}, 90, 95, "high", "high", "undersized", 6, 10, 168, 168},
		// CPU low and memory high: undersized; ceil(8·10/60) = 2,
		// ceil(16·85/60) = ceil(22.67) = 23.
		{"mixed", 8, 16384, constant(10), constant(85), metrics.RightSizeOptions{}, 10, 85, "low", "high", "undersized", 2, 23, 168, 168},
		// ok keeps the size, RAM rounded up to whole GB (1.5 → 2).
		{"ok", 8, 1536, constant(50), constant(20), metrics.RightSizeOptions{}, 50, 20, "ok", "ok", "ok", 8, 2, 168, 168},
		// Thresholds are strict: exactly 80 is not high.
		{"at high", 2, 2048, constant(80), constant(79.9), metrics.RightSizeOptions{}, 80, 79.9, "ok", "ok", "ok", 2, 2, 168, 168},
		// At least 1 vCPU and 1 GB: ceil(2·0/60) = 0 → 1, ceil(0.5·5/60) → 1.
		{"floors", 2, 512, constant(0), constant(5), metrics.RightSizeOptions{}, 0, 5, "low", "low", "idle", 1, 1, 168, 168},
		{"8 spikes", 4, 4096, spikes(8), constant(50), metrics.RightSizeOptions{}, 10, 50, "low", "ok", "oversized", 1, 4, 168, 168},
		// ceil(4·100/60) = ceil(6.67) = 7.
		{"9 spikes", 4, 4096, spikes(9), constant(50), metrics.RightSizeOptions{}, 100, 50, "high", "ok", "undersized", 7, 4, 168, 168},
		// Own thresholds: low 30, target 40: ceil(8·25/40) = 5.
		{"options", 8, 8192, constant(25), constant(50), metrics.RightSizeOptions{LowPct: 30, TargetPct: 40}, 25, 50, "low", "ok", "oversized", 5, 8, 168, 168},
		{"too short", 4, 4096, constant(5)[:167], constant(5), metrics.RightSizeOptions{}, 5, 5, "", "", "insufficient data", 0, 0, 167, 168},
		{"no memory", 4, 4096, constant(5), nil, metrics.RightSizeOptions{}, 5, 0, "", "", "insufficient data", 0, 0, 168, 0},
		{"min days", 4, 4096, constant(5)[:48], constant(5)[:48], metrics.RightSizeOptions{MinDays: 2}, 5, 5, "low", "low", "idle", 1, 1, 48, 48},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := metrics.Classify(c.vcpus, c.ramMB, c.cpu, c.mem, c.opts)
			if r.CPUP95Pct != c.cpuP95 || r.MemP95Pct != c.memP95 {
				t.Errorf("p95 = %v, %v; want %v, %v", r.CPUP95Pct, r.MemP95Pct, c.cpuP95, c.memP95)
			}
			if r.CPULevel != c.cpuLvl || r.MemLevel != c.memLvl || r.Verdict != c.verdict {
				t.Errorf("levels %q %q verdict %q; want %q %q %q", r.CPULevel, r.MemLevel, r.Verdict, c.cpuLvl, c.memLvl, c.verdict)
			}
			if r.FitVCPUs != c.fitCPU || r.FitRAMGB != c.fitRAM {
				t.Errorf("fit %d vCPU %d GB; want %d, %d", r.FitVCPUs, r.FitRAMGB, c.fitCPU, c.fitRAM)
			}
			if r.CPUHours != c.cpuHours || r.MemHours != c.memHr {
				t.Errorf("hours %d %d; want %d %d", r.CPUHours, r.MemHours, c.cpuHours, c.memHr)
			}
			if want := float64(min(c.cpuHours, c.memHr)) / 24; r.DataDays != want {
				t.Errorf("DataDays = %v, want %v", r.DataDays, want)
			}
			if r.VCPUs != c.vcpus || r.RAMMB != c.ramMB {
				t.Errorf("config %d %d", r.VCPUs, r.RAMMB)
			}
		})
	}
}
