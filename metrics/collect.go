package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// CollectOptions tune one collection.
type CollectOptions struct {
	// Since is the time of the previous collection: performance samples
	// newer than it are read. Defaults to zero (the newest samples, see
	// capture.CollectMetricsParams.MaxPerfSamples).
	Since time.Time
	// SkipPerf leaves out the PerformanceManager counters. Defaults to
	// false.
	SkipPerf bool
	// PerfBatchSize is the number of entities per QueryPerf call.
	// Defaults to 100.
	PerfBatchSize int
	// MaxPerfSamples is the most real-time samples read per entity and
	// counter. Defaults to 15 (5 minutes of 20 s samples).
	MaxPerfSamples int
	// BatchSize is the number of points per store statement. Defaults to
	// 1000.
	BatchSize int
	// Logger receives a line per collection and per failed part.
	// Defaults to discarding them.
	Logger *slog.Logger
}

func (o CollectOptions) normalized() (CollectOptions, error) {
	var errs []error
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"perf_batch_size", &o.PerfBatchSize, 100}, {"max_perf_samples", &o.MaxPerfSamples, 15}, {"batch_size", &o.BatchSize, 1000}} {
		switch {
		case *f.v == 0:
			*f.v = f.def
		case *f.v < 0:
			errs = append(errs, &inventory.FieldError{Field: f.name, Reason: "must not be negative"})
		}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, errors.Join(errs...)
}

// CollectResult describes one stored collection.
type CollectResult struct {
	// Vcenter is the endpoint the points are of (empty when no point was
	// read).
	Vcenter string `json:"vcenter"`
	// Time is the collection time (of the quickStats and datastore
	// points).
	Time time.Time `json:"time"`
	// Points is the number of points stored.
	Points int `json:"points"`
	// Entities counts the entities with at least one stored point, and
	// PointsByType the points, per entity type.
	Entities     map[inventory.EntityType]int `json:"entities"`
	PointsByType map[inventory.EntityType]int `json:"points_by_type"`
	// Counters are the performance counters read, by vSphere name, with
	// their ids on the endpoint.
	Counters map[string]int32 `json:"counters,omitempty"`
	// Failures name the parts that could not be read (the rest is
	// stored); Collect then also returns a *PartialError.
	Failures []capture.MetricFailure `json:"-"`
}

// PartialError is returned with the result when some parts of a
// collection failed while the points read were stored. Err joins the
// failures (each a *capture.MetricFailure), so errors.As finds them.
type PartialError struct {
	Vcenter  string
	Failures []capture.MetricFailure
	Err      error
}

// Error says how many parts failed and why.
func (e *PartialError) Error() string {
	return fmt.Sprintf("metrics: endpoint %q: %d part(s) of the collection failed, the rest is stored: %v", e.Vcenter, len(e.Failures), e.Err)
}

// Unwrap returns the joined failures.
func (e *PartialError) Unwrap() error { return e.Err }

// Collect reads one collection from src and writes its points to st with
// one WriteMetrics call (all or nothing).
//
// It returns an error and no result when the collection could not be
// read at all or the write failed (then nothing of it is stored). When
// some parts failed (a QueryPerf batch, a counter the endpoint does not
// serve) the other points are stored and Collect returns the result and
// a *PartialError naming the failures.
func Collect(ctx context.Context, src capture.MetricsSource, st store.MetricStore, opts CollectOptions) (*CollectResult, error) {
	if src == nil || st == nil {
		return nil, errors.New("metrics: collect: source and store are required")
	}
	o, err := opts.normalized()
	if err != nil {
		return nil, fmt.Errorf("metrics: collect: %w", err)
	}
	col, err := src.CollectMetrics(ctx, &capture.CollectMetricsParams{
		Since: o.Since, SkipPerf: o.SkipPerf, PerfBatchSize: o.PerfBatchSize, MaxPerfSamples: o.MaxPerfSamples,
	})
	if err != nil {
		return nil, fmt.Errorf("metrics: collect: %w", err)
	}
	res := &CollectResult{
		Time:         col.Time,
		Points:       len(col.Points),
		Entities:     map[inventory.EntityType]int{},
		PointsByType: map[inventory.EntityType]int{},
		Counters:     maps.Clone(col.Counters),
		Failures:     slices.Clone(col.Failures),
	}
	type entity struct {
		t  inventory.EntityType
		id string
	}
	seen := map[entity]bool{}
	for _, p := range col.Points {
		res.Vcenter = p.Vcenter
		res.PointsByType[p.EntityType]++
		if e := (entity{p.EntityType, p.EntityID}); !seen[e] {
			seen[e] = true
			res.Entities[p.EntityType]++
		}
	}
	if len(col.Points) > 0 {
		if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: col.Points, BatchSize: o.BatchSize}); err != nil {
			return nil, fmt.Errorf("metrics: endpoint %q: write %d points: %w", res.Vcenter, len(col.Points), err)
		}
	}
	log := o.Logger.With(slog.String("endpoint", res.Vcenter))
	for i := range res.Failures {
		log.Warn("part of the metrics collection failed", slog.Any("error", &res.Failures[i]))
	}
	log.Info("metrics collected", slog.Time("time", res.Time), slog.Int("points", res.Points),
		slog.Int("hosts", res.Entities[inventory.EntityHost]), slog.Int("vms", res.Entities[inventory.EntityVM]),
		slog.Int("clusters", res.Entities[inventory.EntityCluster]), slog.Int("datastores", res.Entities[inventory.EntityDatastore]),
		slog.Int("failures", len(res.Failures)))
	if len(res.Failures) > 0 {
		errs := make([]error, len(res.Failures))
		for i := range res.Failures {
			errs[i] = &res.Failures[i]
		}
		return res, &PartialError{Vcenter: res.Vcenter, Failures: res.Failures, Err: errors.Join(errs...)}
	}
	return res, nil
}
