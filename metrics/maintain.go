package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Default retention of each tier.
const (
	DefaultRawRetention  = 7 * 24 * time.Hour
	DefaultHourRetention = 90 * 24 * time.Hour
	DefaultDayRetention  = 730 * 24 * time.Hour
)

// Retention is how long each tier of the series is kept.
type Retention struct {
	// Raw is how long raw points are kept; at least 48h, so every day is
	// rolled up from its raw points before they go. Defaults to 7 days.
	Raw time.Duration
	// Hour is how long 1-hour rollups are kept; at least Raw. Defaults to
	// 90 days.
	Hour time.Duration
	// Day is how long 1-day rollups are kept; at least Hour. Defaults to
	// 2 years (730 days).
	Day time.Duration
}

// ErrInvalidRetention is wrapped by Retention.Validate's errors.
var ErrInvalidRetention = errors.New("metrics: invalid retention")

// WithDefaults returns r with each zero field at its default.
func (r Retention) WithDefaults() Retention {
	if r.Raw == 0 {
		r.Raw = DefaultRawRetention
	}
	if r.Hour == 0 {
		r.Hour = DefaultHourRetention
	}
	if r.Day == 0 {
		r.Day = DefaultDayRetention
	}
	return r
}

// Validate checks r after defaults: Raw at least 48h, Hour at least Raw,
// Day at least Hour.
func (r Retention) Validate() error {
	r = r.WithDefaults()
	var errs []error
	if r.Raw < 48*time.Hour {
		errs = append(errs, fmt.Errorf("%w: raw retention %s is under 48h (a day is rolled up from its raw points)", ErrInvalidRetention, r.Raw))
	}
	if r.Hour < r.Raw {
		errs = append(errs, fmt.Errorf("%w: hourly retention %s is shorter than the raw retention %s", ErrInvalidRetention, r.Hour, r.Raw))
	}
	if r.Day < r.Hour {
		errs = append(errs, fmt.Errorf("%w: daily retention %s is shorter than the hourly retention %s", ErrInvalidRetention, r.Day, r.Hour))
	}
	return errors.Join(errs...)
}

// RollupResult is what Rollup wrote in each tier.
type RollupResult struct {
	Hour, Day *store.RollupMetricsResult
}

// Rollup brings the rollup tiers up to now: every complete UTC hour and
// every complete UTC day from the tier's watermark on (see
// store.MetricStore.RollupMetrics). It is incremental and idempotent:
// running it again soon after writes nothing new, and an hour rolled up
// twice gets the same figures.
func Rollup(ctx context.Context, st store.MetricStore, now time.Time) (*RollupResult, error) {
	if now.IsZero() {
		return nil, errors.New("metrics: Rollup: now is zero")
	}
	now = now.UTC()
	var res RollupResult
	var err error
	if res.Hour, err = st.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierHour, To: now.Truncate(time.Hour)}); err != nil {
		return &res, fmt.Errorf("metrics: hourly rollup: %w", err)
	}
	if res.Day, err = st.RollupMetrics(ctx, &store.RollupMetricsParams{Tier: inventory.TierDay, To: now.Truncate(24 * time.Hour)}); err != nil {
		return &res, fmt.Errorf("metrics: daily rollup: %w", err)
	}
	return &res, nil
}

// Prune deletes what each tier's retention lets go, counted back from
// now. Raw points a rollup tier has not reached yet (at or after its
// watermark, or all of them when a tier was never rolled up) are kept,
// so a rollup that fell behind loses nothing; run Rollup first.
func Prune(ctx context.Context, st store.MetricStore, now time.Time, r Retention) (*store.PruneMetricsResult, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, errors.New("metrics: Prune: now is zero")
	}
	r = r.WithDefaults()
	stats, err := st.MetricStats(ctx, &store.MetricStatsParams{WatermarksOnly: true})
	if err != nil {
		return nil, fmt.Errorf("metrics: prune: %w", err)
	}
	rawBefore := now.Add(-r.Raw)
	for _, t := range stats.Tiers {
		if t.Tier == inventory.TierRaw {
			continue
		}
		if t.Watermark.IsZero() {
			rawBefore = time.Time{} // never rolled up: keep every raw point
			break
		}
		if t.Watermark.Before(rawBefore) {
			rawBefore = t.Watermark
		}
	}
	res, err := st.PruneMetrics(ctx, &store.PruneMetricsParams{RawBefore: rawBefore,
		HourBefore: now.Add(-r.Hour), DayBefore: now.Add(-r.Day)})
	if err != nil {
		return nil, fmt.Errorf("metrics: prune: %w", err)
	}
	return res, nil
}
