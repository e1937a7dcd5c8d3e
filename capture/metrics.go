package capture

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
)

// MetricsSource is a Source that can also read utilisation metrics (an
// optional capability, found by a type assertion; capture/vsphere's
// Source implements it). Package metrics collects from it into a
// store.MetricStore.
type MetricsSource interface {
	// CollectMetrics reads one collection: every host's and VM's
	// summary.quickStats and every datastore's space (stamped with the
	// collection time), clusters' totals summed from their connected
	// hosts, and, unless p.SkipPerf, the PerformanceManager counters the
	// endpoint serves for hosts and VMs (see inventory's MetricPerf*
	// metrics). It reads in bulk: ContainerViews with explicit property
	// lists, paged, and QueryPerf for PerfBatchSize entities per call
	// with counter ids resolved once per session.
	//
	// A part that fails (a QueryPerf batch, a counter the endpoint does
	// not serve) is named in the result's Failures and the rest is
	// returned; an error is returned only when nothing could be read
	// (no session, the quickStats retrieval failed).
	CollectMetrics(ctx context.Context, p *CollectMetricsParams) (*MetricsCollection, error)
}

// CollectMetricsParams tune one collection.
type CollectMetricsParams struct {
	// Since is the time of the previous collection: performance samples
	// newer than it are read (at most MaxPerfSamples each). Zero reads
	// the newest MaxPerfSamples.
	Since time.Time
	// SkipPerf leaves out the PerformanceManager counters (quickStats and
	// datastore space only).
	SkipPerf bool
	// PerfBatchSize is the number of entities per QueryPerf call.
	// Defaults to 100.
	PerfBatchSize int
	// MaxPerfSamples is the most real-time (20 s) samples read per
	// entity and counter. Defaults to 15 (5 minutes).
	MaxPerfSamples int
}

// MetricsCollection is what one collection read.
type MetricsCollection struct {
	// Time is the collection time, which the quickStats and datastore
	// points carry.
	Time time.Time
	// Points are the values read, every one with Vcenter set to the
	// endpoint's name.
	Points []inventory.MetricPoint
	// Failures name what could not be read; everything else is in
	// Points.
	Failures []MetricFailure
	// Counters are the performance counters used, by vSphere name
	// ("cpu.usage.average") with their ids on this endpoint; a counter
	// the endpoint does not serve is absent (and named in Failures).
	Counters map[string]int32
}

// MetricFailure names a part of a collection that failed.
type MetricFailure struct {
	// EntityType and EntityIDs are the entities concerned (EntityIDs
	// empty: all of that type).
	EntityType inventory.EntityType
	EntityIDs  []string
	// Counters are the vSphere performance counter names concerned;
	// empty for a quickStats or datastore failure.
	Counters []string
	Err      error
}

// Error describes the failure (for logs and errors.Join).
func (f *MetricFailure) Error() string {
	what := string(f.EntityType)
	switch n := len(f.EntityIDs); {
	case n == 1:
		what += " " + f.EntityIDs[0]
	case n > 1:
		what = fmt.Sprintf("%d %ss (%s, …)", n, f.EntityType, f.EntityIDs[0])
	}
	if len(f.Counters) > 0 {
		what += " counters " + strings.Join(f.Counters, ",")
	}
	return fmt.Sprintf("metrics of %s: %v", what, f.Err)
}

// Unwrap returns the underlying error.
func (f *MetricFailure) Unwrap() error { return f.Err }
