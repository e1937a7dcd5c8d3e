package metrics

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Confidence levels of a Forecast.
const (
	ConfidenceHigh = "high"
	ConfidenceLow  = "low"
	ConfidenceNone = "none"
)

// ForecastThresholds are the used percentages a Forecast dates.
var ForecastThresholds = []int{80, 90, 100}

// HighConfidenceR2 is the coefficient of determination at or above which
// a forecast with enough points is of high confidence.
const HighConfidenceR2 = 0.7

// ForecastOptions tune FitForecast. The zero value is usable.
type ForecastOptions struct {
	// Window is the number of calendar days, ending with the latest day
	// of the series, the fit uses. Defaults to 30.
	Window int
	// MinPoints is the fewest days with data in the window a forecast
	// needs. Defaults to 7.
	MinPoints int
	// Horizon is how far after the latest day a threshold date is given;
	// a later one is left zero. Defaults to 2 years (730 days).
	Horizon time.Duration
}

// Defaults of ForecastOptions.
const (
	DefaultForecastWindow    = 30
	DefaultForecastMinPoints = 7
	DefaultForecastHorizon   = 730 * 24 * time.Hour
)

func (o ForecastOptions) withDefaults() ForecastOptions {
	if o.Window <= 0 {
		o.Window = DefaultForecastWindow
	}
	if o.MinPoints <= 0 {
		o.MinPoints = DefaultForecastMinPoints
	}
	if o.MinPoints < 2 {
		o.MinPoints = 2 // a line needs two points
	}
	if o.Horizon <= 0 {
		o.Horizon = DefaultForecastHorizon
	}
	return o
}

const day = 24 * time.Hour

// FitForecast fits a straight line to a capacity series and dates the
// days it reaches 80, 90 and 100 % of the latest capacity.
//
// The fit is the ordinary least squares line Used = a + b·x over the days
// of the series in the window (opts.Window calendar days ending with the
// latest day; days are sorted, and x is a day's offset in whole days from
// the window's first day, so missing days leave gaps rather than being
// closed up). b is SlopePerDay and R2 = 1 − SSres/SStot (0 when Used does
// not vary). The capacity the thresholds are shares of is the latest
// day's, and UsedPct is the latest day's Used as a share of it.
//
// For each threshold t = pct/100 × capacity: Reached when the latest
// day's Used ≥ t (no Date). Otherwise, with b > 0, Date is the first day
// after the latest day on which the fitted line is at or above t: the
// window's first day + max(ceil((t − a)/b), latest offset + 1) days, left
// zero when it is more than opts.Horizon after the latest day. With
// b ≤ 0, Dates are zero.
//
// Confidence is "none" when the window holds fewer than opts.MinPoints
// days, the latest capacity is not positive or the line does not grow
// (b ≤ 0); else "high" when R2 ≥ HighConfidenceR2, "low" otherwise.
// Reason says which, in words. An empty series gives a Forecast with
// Confidence "none" and no thresholds.
func FitForecast(days []CapacityDay, opts ForecastOptions) Forecast {
	opts = opts.withDefaults()
	var f Forecast
	if len(days) == 0 {
		f.Confidence, f.Reason = ConfidenceNone, "no data"
		return f
	}
	sorted := make([]CapacityDay, len(days))
	copy(sorted, days)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Day.Before(sorted[j].Day) })
	latest := sorted[len(sorted)-1]
	first := latest.Day.Add(-time.Duration(opts.Window-1) * day)
	win := sorted[:0:0]
	for _, d := range sorted {
		if !d.Day.Before(first) && !math.IsNaN(d.Used) && !math.IsInf(d.Used, 0) {
			win = append(win, d)
		}
	}
	f.Points = len(win)
	capacity := latest.Capacity
	if capacity > 0 {
		f.UsedPct = 100 * latest.Used / capacity
	}
	f.Thresholds = make([]ThresholdForecast, len(ForecastThresholds))
	for i, pct := range ForecastThresholds {
		f.Thresholds[i] = ThresholdForecast{Pct: pct, Reached: capacity > 0 && latest.Used >= float64(pct)/100*capacity}
	}
	if len(win) < opts.MinPoints {
		f.Confidence = ConfidenceNone
		f.Reason = fmt.Sprintf("only %d %s of data in the last %d days; a forecast needs at least %d", len(win), plural(len(win), "day", "days"), opts.Window, opts.MinPoints)
		return f
	}
	// x is the offset in whole days from the window's first day with data.
	x0 := win[0].Day
	xs := make([]float64, len(win))
	var sx, sy float64
	for i, d := range win {
		xs[i] = math.Round(float64(d.Day.Sub(x0)) / float64(day))
		sx += xs[i]
		sy += d.Used
	}
	n := float64(len(win))
	mx, my := sx/n, sy/n
	var sxx, sxy, syy float64
	for i, d := range win {
		dx, dy := xs[i]-mx, d.Used-my
		sxx += dx * dx
		sxy += dx * dy
		syy += dy * dy
	}
	if sxx == 0 { // every point on one day: cannot happen with distinct days
		f.Confidence, f.Reason = ConfidenceNone, "all points fall on one day"
		return f
	}
	b := sxy / sxx
	a := my - b*mx
	var ssres float64
	for i, d := range win {
		r := d.Used - (a + b*xs[i])
		ssres += r * r
	}
	if syy > 0 {
		f.R2 = 1 - ssres/syy
	}
	f.SlopePerDay = b
	if capacity <= 0 {
		f.Confidence, f.Reason = ConfidenceNone, "the latest day has no capacity"
		return f
	}
	if b <= 0 {
		f.Confidence = ConfidenceNone
		f.Reason = fmt.Sprintf("no growth: used is flat or falling over the last %d days (%s per day)", len(win), fmtSlope(b))
		return f
	}
	xLast := xs[len(xs)-1]
	horizonEnd := latest.Day.Add(opts.Horizon)
	for i, pct := range ForecastThresholds {
		if f.Thresholds[i].Reached {
			continue
		}
		t := float64(pct) / 100 * capacity
		x := math.Max(math.Ceil((t-a)/b), xLast+1)
		if x-xLast > opts.Horizon.Hours()/24+1 { // far beyond: avoid overflowing time.Duration
			continue
		}
		date := x0.Add(time.Duration(x) * day)
		if date.After(horizonEnd) {
			continue
		}
		f.Thresholds[i].Date = date
	}
	if f.R2 >= HighConfidenceR2 {
		f.Confidence = ConfidenceHigh
		f.Reason = fmt.Sprintf("straight-line fit of %d days growing %s per day; R² %.2f: the trend explains most of the day-to-day variation", len(win), fmtSlope(b), f.R2)
	} else {
		f.Confidence = ConfidenceLow
		f.Reason = fmt.Sprintf("straight-line fit of %d days growing %s per day; R² %.2f (under %.1f): usage varies too much around the trend for the dates to be relied on", len(win), fmtSlope(b), f.R2, HighConfidenceR2)
	}
	return f
}

func fmtSlope(b float64) string {
	return fmt.Sprintf("%+.3g", b)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
