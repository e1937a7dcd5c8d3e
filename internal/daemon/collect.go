package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/metrics"
	"github.com/accessvault/vinventory/store"
)

// jobMetrics + endpoint name is the job of an endpoint's metrics
// collections.
const jobMetrics = "metrics:"

// metricsCollector runs the daemon's metrics collections (metrics.enabled):
// one per endpoint on its own schedule, through the endpoint's open
// session, each followed by the rollups (metrics.Rollup). It remembers
// each endpoint's last collection, so performance samples are read from
// there on.
type metricsCollector struct {
	st    store.MetricStore
	sess  *sessions
	cfg   config.MetricsConfig
	clock func() time.Time
	log   *zap.Logger
	prom  *Metrics
	// stored, when set, is called after a collection stored points (the
	// alert evaluator's trigger: metric rules read them).
	stored func()

	mu    sync.Mutex
	since map[string]time.Time
}

// collect runs one collection of the endpoint named name. A collection
// some parts of which failed is stored and logged (not an error: the
// next one is due soon); one that read nothing, or whose write failed,
// is an error (retried by the job).
func (c *metricsCollector) collect(ctx context.Context, name string) error {
	c.mu.Lock()
	since := c.since[name]
	c.mu.Unlock()
	start := time.Now()
	var res *metrics.CollectResult
	err := c.sess.use(ctx, name, func(src capture.Source) error {
		ms, ok := src.(capture.MetricsSource)
		if !ok {
			return fmt.Errorf("endpoint %s: its source collects no metrics", name)
		}
		var err error
		res, err = metrics.Collect(ctx, ms, c.st, metrics.CollectOptions{Since: since, SkipPerf: !c.cfg.Perf,
			PerfBatchSize: c.cfg.PerfBatchSize, Logger: sdkLogger(c.log, "metrics")})
		return err
	}, isPartial)
	var partial *metrics.PartialError
	switch {
	case err == nil || errors.As(err, &partial):
		c.mu.Lock()
		c.since[name] = res.Time
		c.mu.Unlock()
		if partial != nil {
			c.log.Warn("metrics: part of the collection failed; the rest is stored", zap.String("endpoint", name),
				zap.Int("points", res.Points), zap.Int("failed_parts", len(partial.Failures)), zap.Error(partial))
		}
		c.prom.ObserveMetricsCollection(name, time.Since(start), res.Points, len(res.Failures), nil)
		if c.stored != nil && res.Points > 0 {
			c.stored()
		}
	default:
		c.prom.ObserveMetricsCollection(name, time.Since(start), 0, 0, err)
		if !capture.IsRetryable(err) {
			return fmt.Errorf("%w (%w)", err, jobs.ErrNoRetry)
		}
		return err
	}
	if _, err := metrics.Rollup(ctx, c.st, c.clock()); err != nil {
		return err
	}
	return nil
}

func isPartial(err error) bool {
	var p *metrics.PartialError
	return errors.As(err, &p)
}

// metricsJobs are the endpoints' collection jobs (none when metrics are
// off or the store keeps no series).
func (a *App) metricsJobs(names []string, metricsProm *Metrics, maxTimeout time.Duration) ([]jobs.Job, error) {
	cfg := a.Config.Metrics
	ms, ok := a.Store.(store.MetricStore)
	if !cfg.Enabled || len(names) == 0 {
		return nil, nil
	}
	if !ok {
		a.Logger.Warn("metrics: the store keeps no time series (store.MetricStore); metrics collection is off")
		return nil, nil
	}
	sess, err := a.sessions()
	if err != nil {
		return nil, err
	}
	a.collectorOnce.Do(func() {
		a.collector = &metricsCollector{st: ms, sess: sess, cfg: cfg, clock: a.Clock, log: a.Logger, prom: metricsProm,
			stored: a.triggerAlerts, since: map[string]time.Time{}}
	})
	var out []jobs.Job
	for _, name := range names {
		iv := a.Config.MetricsInterval(name)
		timeout := max(iv*5/6, 30*time.Second)
		if maxTimeout > 0 {
			timeout = min(timeout, maxTimeout)
		}
		out = append(out, jobs.Job{Name: jobMetrics + name, Schedule: jobs.Every{Interval: iv}, Timeout: timeout,
			Run: func(ctx context.Context, _ jobs.Period) error { return a.collector.collect(ctx, name) }})
	}
	return out, nil
}

// pruneMetrics brings the rollups up to date and applies each tier's
// retention (the cleanup job).
func (a *App) pruneMetrics(ctx context.Context) error {
	ms, ok := a.Store.(store.MetricStore)
	if !ok || !a.Config.Metrics.Enabled {
		return nil
	}
	now := a.Clock()
	if _, err := metrics.Rollup(ctx, ms, now); err != nil {
		return err
	}
	res, err := metrics.Prune(ctx, ms, now, a.Config.Metrics.Retention())
	if err != nil {
		return err
	}
	if res.Raw+res.Hour+res.Day > 0 {
		a.Logger.Info("metrics: pruned", zap.Int64("raw", res.Raw), zap.Int64("hour", res.Hour), zap.Int64("day", res.Day), zap.Int64("series", res.Series))
	}
	return nil
}
