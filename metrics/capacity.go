package metrics

import (
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// Resources a capacity trend is about.
const (
	ResourceCPU    = "cpu"    // cluster: cpu.usage.mhz of cpu.capacity.mhz
	ResourceMemory = "memory" // cluster: mem.usage.mb of mem.capacity.mb
	ResourceDisk   = "disk"   // datastore: disk.used.gb of disk.capacity.gb
)

// CapacityDay is one day of a capacity series: the day's average used
// and capacity (from the 1-day rollup tier, or the raw points of a day
// not rolled up yet).
type CapacityDay struct {
	Day      time.Time `json:"day"`
	Used     float64   `json:"used"`
	Capacity float64   `json:"capacity"`
}

// CapacityTrend is one cluster resource's or datastore's daily series of
// used versus capacity and its forecast.
type CapacityTrend struct {
	Vcenter    string               `json:"vcenter"`
	EntityType inventory.EntityType `json:"entity_type"`
	EntityID   string               `json:"entity_id"`
	Name       string               `json:"name"`
	Resource   string               `json:"resource"`
	// Unit is "MHz", "MB" or "GB".
	Unit     string        `json:"unit"`
	Days     []CapacityDay `json:"days"`
	Forecast Forecast      `json:"forecast"`
}

// Forecast is a linear forecast of a capacity series.
type Forecast struct {
	// Points is the number of days the fit used; SlopePerDay the fitted
	// growth of Used per day (in the series' unit), and R2 the fit's
	// coefficient of determination.
	Points      int     `json:"points"`
	SlopePerDay float64 `json:"slope_per_day"`
	R2          float64 `json:"r2"`
	// UsedPct is the latest day's used percentage (0–100).
	UsedPct float64 `json:"used_pct"`
	// Thresholds hold, for 80, 90 and 100 %, the day the fitted line
	// reaches that share of the latest capacity.
	Thresholds []ThresholdForecast `json:"thresholds"`
	// Confidence is "high", "low" or "none" (too few days, or no
	// growth), and Reason says why in words for the page.
	Confidence string `json:"confidence"`
	Reason     string `json:"reason"`
}

// ThresholdForecast is when a series reaches one threshold.
type ThresholdForecast struct {
	Pct int `json:"pct"`
	// Reached is set when the latest day is already at or above it.
	Reached bool `json:"reached"`
	// Date is the forecast day (zero when Reached, or when the series
	// does not grow or reaches it beyond the horizon).
	Date time.Time `json:"date,omitzero"`
}
