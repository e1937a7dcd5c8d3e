package metrics_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/metrics"
)

var day0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func dayN(n int) time.Time { return day0.AddDate(0, 0, n) }

// series builds days 0..len(used)-1 with the given used values and one
// capacity.
func series(capacity float64, used ...float64) []metrics.CapacityDay {
	out := make([]metrics.CapacityDay, len(used))
	for i, u := range used {
		out[i] = metrics.CapacityDay{Day: dayN(i), Used: u, Capacity: capacity}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

type wantThreshold struct {
	reached bool
	day     int // -1: zero date
}

func checkForecast(t *testing.T, f metrics.Forecast, points int, slope, r2 float64, conf string, th [3]wantThreshold) {
	t.Helper()
	if f.Points != points {
		t.Errorf("Points = %d, want %d", f.Points, points)
	}
	if !near(f.SlopePerDay, slope) {
		t.Errorf("SlopePerDay = %v, want %v", f.SlopePerDay, slope)
	}
	if !near(f.R2, r2) {
		t.Errorf("R2 = %v, want %v", f.R2, r2)
	}
	if f.Confidence != conf {
		t.Errorf("Confidence = %q, want %q (reason %q)", f.Confidence, conf, f.Reason)
	}
	if f.Reason == "" {
		t.Errorf("Reason is empty")
	}
	if len(f.Thresholds) != 3 {
		t.Fatalf("Thresholds = %+v, want 3", f.Thresholds)
	}
	for i, pct := range []int{80, 90, 100} {
		got := f.Thresholds[i]
		if got.Pct != pct {
			t.Errorf("Thresholds[%d].Pct = %d, want %d", i, got.Pct, pct)
		}
		if got.Reached != th[i].reached {
			t.Errorf("%d%%: Reached = %v, want %v", pct, got.Reached, th[i].reached)
		}
		var want time.Time
		if th[i].day >= 0 {
			want = dayN(th[i].day)
		}
		if !got.Date.Equal(want) {
			t.Errorf("%d%%: Date = %v, want %v", pct, got.Date, want)
		}
	}
}

func TestFitForecastExactLine(t *testing.T) {
	// used = 100 + 10·x over 30 days, capacity 1000: 800 at x = 70, 900
	// at 80, 1000 at 90.
	used := make([]float64, 30)
	for i := range used {
		used[i] = 100 + 10*float64(i)
	}
	f := metrics.FitForecast(series(1000, used...), metrics.ForecastOptions{})
	checkForecast(t, f, 30, 10, 1, "high", [3]wantThreshold{{false, 70}, {false, 80}, {false, 90}})
	if !near(f.UsedPct, 39) {
		t.Errorf("UsedPct = %v, want 39", f.UsedPct)
	}
}

func TestFitForecastNoisyLine(t *testing.T) {
	// By hand: x = 0..6, Σ(x−3)·y = 36, Σ(x−3)² = 28, so b = 9/7 and
	// a = 97/7 − 3·9/7 = 10. Residuals in sevenths 0, 5, −11, 8, −8, 11,
	// −5: SSres = 420/49 = 60/7; SStot = 1399 − 97²/7 = 384/7; R² = 1 −
	// 60/384 = 0.84375. Capacity 40: 32 at x = 22·7/9 = 17.1 → day 18;
	// 36 at 26·7/9 = 20.2 → 21; 40 at 30·7/9 = 23.3 → 24.
	f := metrics.FitForecast(series(40, 10, 12, 11, 15, 14, 18, 17), metrics.ForecastOptions{})
	checkForecast(t, f, 7, 9.0/7, 0.84375, "high", [3]wantThreshold{{false, 18}, {false, 21}, {false, 24}})

	// Low confidence by hand: y = 10 16 8 14 9 15 12, mean 12, Σ(x−3)·y
	// = 5 so b = 5/28, a = 12 − 15/28 = 321/28; SStot = 58, SSreg =
	// b²·28 = 25/28, R² = 25/1624. Capacity 20: 16 at (448−321)/5 = 25.4
	// → 26; 18 at (504−321)/5 = 36.6 → 37; 20 at (560−321)/5 = 47.8 → 48.
	f = metrics.FitForecast(series(20, 10, 16, 8, 14, 9, 15, 12), metrics.ForecastOptions{})
	checkForecast(t, f, 7, 5.0/28, 25.0/1624, "low", [3]wantThreshold{{false, 26}, {false, 37}, {false, 48}})
	if !strings.Contains(f.Reason, "R² 0.02") {
		t.Errorf("Reason %q does not give the R²", f.Reason)
	}

	// The fitted line is above 100 % of 17.5 at the latest day (17.71)
	// but the latest day itself (17) is not: the date is the next day.
	f = metrics.FitForecast(series(17.5, 10, 12, 11, 15, 14, 18, 17), metrics.ForecastOptions{})
	checkForecast(t, f, 7, 9.0/7, 0.84375, "high", [3]wantThreshold{{true, -1}, {true, -1}, {false, 7}})
}

func TestFitForecastNoGrowth(t *testing.T) {
	f := metrics.FitForecast(series(1000, 500, 500, 500, 500, 500, 500, 500, 500), metrics.ForecastOptions{})
	checkForecast(t, f, 8, 0, 0, "none", [3]wantThreshold{{false, -1}, {false, -1}, {false, -1}})
	if !strings.Contains(f.Reason, "no growth") {
		t.Errorf("Reason = %q", f.Reason)
	}
	// Decreasing exactly: 900 − 20·x, R² 1 but no growth. 900 ≥ 80 and
	// 90 % of 1000 on day 0, but the latest day (760) is under both.
	used := make([]float64, 8)
	for i := range used {
		used[i] = 900 - 20*float64(i)
	}
	f = metrics.FitForecast(series(1000, used...), metrics.ForecastOptions{})
	checkForecast(t, f, 8, -20, 1, "none", [3]wantThreshold{{false, -1}, {false, -1}, {false, -1}})
}

func TestFitForecastAlreadyFull(t *testing.T) {
	used := make([]float64, 10)
	for i := range used {
		used[i] = 910 + 10*float64(i) // latest 1000
	}
	f := metrics.FitForecast(series(1000, used...), metrics.ForecastOptions{})
	checkForecast(t, f, 10, 10, 1, "high", [3]wantThreshold{{true, -1}, {true, -1}, {true, -1}})
	if !near(f.UsedPct, 100) {
		t.Errorf("UsedPct = %v", f.UsedPct)
	}
	// 850 + 10·x: the latest (940) is past 80 and 90 %; 1000 at x = 15.
	for i := range used {
		used[i] = 850 + 10*float64(i)
	}
	f = metrics.FitForecast(series(1000, used...), metrics.ForecastOptions{})
	checkForecast(t, f, 10, 10, 1, "high", [3]wantThreshold{{true, -1}, {true, -1}, {false, 15}})
}

func TestFitForecastTooShort(t *testing.T) {
	f := metrics.FitForecast(series(100, 10, 20, 30, 40, 50), metrics.ForecastOptions{})
	checkForecast(t, f, 5, 0, 0, "none", [3]wantThreshold{{false, -1}, {false, -1}, {false, -1}})
	if !strings.Contains(f.Reason, "only 5 days") || !strings.Contains(f.Reason, "at least 7") {
		t.Errorf("Reason = %q", f.Reason)
	}
	if !near(f.UsedPct, 50) {
		t.Errorf("UsedPct = %v", f.UsedPct)
	}
	// MinPoints lowered: the same five days forecast (10·(x+1), 80 at x = 7).
	f = metrics.FitForecast(series(100, 10, 20, 30, 40, 50), metrics.ForecastOptions{MinPoints: 5})
	checkForecast(t, f, 5, 10, 1, "high", [3]wantThreshold{{false, 7}, {false, 8}, {false, 9}})

	f = metrics.FitForecast(nil, metrics.ForecastOptions{})
	if f.Confidence != "none" || f.Points != 0 {
		t.Errorf("empty series: %+v", f)
	}
}

func TestFitForecastCapacityChange(t *testing.T) {
	// Capacity doubles on day 15: thresholds are shares of the latest
	// capacity (2000): 1600 at x = 150, 1800 at 170, 2000 at 190.
	days := make([]metrics.CapacityDay, 30)
	for i := range days {
		c := 1000.0
		if i >= 15 {
			c = 2000
		}
		days[i] = metrics.CapacityDay{Day: dayN(i), Used: 100 + 10*float64(i), Capacity: c}
	}
	f := metrics.FitForecast(days, metrics.ForecastOptions{})
	checkForecast(t, f, 30, 10, 1, "high", [3]wantThreshold{{false, 150}, {false, 170}, {false, 190}})
	if !near(f.UsedPct, 19.5) {
		t.Errorf("UsedPct = %v, want 19.5", f.UsedPct)
	}
}

func TestFitForecastWindowGapsHorizon(t *testing.T) {
	// 60 days: falling for 30, then 100 + 10·(x−30) rising. The default
	// window sees only the rising 30 (days 30..59): 800 at day 100.
	days := make([]metrics.CapacityDay, 60)
	for i := range days {
		u := 1000 - 10*float64(i)
		if i >= 30 {
			u = 100 + 10*float64(i-30)
		}
		days[i] = metrics.CapacityDay{Day: dayN(i), Used: u, Capacity: 1000}
	}
	// Shuffled input is sorted first.
	days[0], days[59] = days[59], days[0]
	f := metrics.FitForecast(days, metrics.ForecastOptions{})
	checkForecast(t, f, 30, 10, 1, "high", [3]wantThreshold{{false, 100}, {false, 110}, {false, 120}})

	// Every other day missing: x is the calendar offset, so the slope is
	// still 10 per day.
	var gappy []metrics.CapacityDay
	for i := 0; i < 30; i += 2 {
		gappy = append(gappy, metrics.CapacityDay{Day: dayN(i), Used: 100 + 10*float64(i), Capacity: 1000})
	}
	f = metrics.FitForecast(gappy, metrics.ForecastOptions{})
	checkForecast(t, f, 15, 10, 1, "high", [3]wantThreshold{{false, 70}, {false, 80}, {false, 90}})

	// Slow growth: 0.5 per day from 100, capacity 1000: 800 at x = 1400,
	// beyond the 2-year horizon (latest day 29 + 730 = 759); with a
	// 1461-day horizon (to day 1490) 80 % (day 1400) is dated, 90 %
	// (day 1600) and 100 % (day 1800) are not.
	slow := make([]float64, 30)
	for i := range slow {
		slow[i] = 100 + 0.5*float64(i)
	}
	f = metrics.FitForecast(series(1000, slow...), metrics.ForecastOptions{})
	checkForecast(t, f, 30, 0.5, 1, "high", [3]wantThreshold{{false, -1}, {false, -1}, {false, -1}})
	f = metrics.FitForecast(series(1000, slow...), metrics.ForecastOptions{Horizon: 1461 * 24 * time.Hour})
	checkForecast(t, f, 30, 0.5, 1, "high", [3]wantThreshold{{false, 1400}, {false, -1}, {false, -1}})
}
