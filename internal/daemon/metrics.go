package daemon

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/accessvault/vinventory"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/store"
)

// Metrics are the daemon's Prometheus metrics, on a registry of their own
// (so tests and several daemons in one process never collide).
type Metrics struct {
	Registry *prometheus.Registry

	captureDuration *prometheus.HistogramVec
	objects         *prometheus.GaugeVec
	captureErrors   *prometheus.CounterVec
	captures        *prometheus.CounterVec
	jobLatency      *prometheus.HistogramVec
	jobRuns         *prometheus.CounterVec
	rowsWritten     *prometheus.CounterVec
	reports         prometheus.Counter
	queueDepth      prometheus.Gauge
	metricRuns      *prometheus.CounterVec
	metricPoints    *prometheus.CounterVec
	metricFailures  *prometheus.CounterVec
	metricDuration  *prometheus.HistogramVec

	liveOnce   sync.Once
	liveStatus atomic.Pointer[func() []LiveStatus]

	alertOnce sync.Once
	alertSrc  atomic.Pointer[alertSource]
}

type alertSource struct {
	st     store.AlertStore
	status func() AlertStatus
}

// NewMetrics registers the daemon's metrics (and the Go and process
// collectors) on a new registry.
func NewMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		captureDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vinventory_capture_duration_seconds",
			Help:    "Duration of one endpoint's capture, by stage (retrieve, write, total).",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
		}, []string{"endpoint", "stage"}),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vinventory_objects_captured",
			Help: "Objects in the endpoint's last successful capture, by kind.",
		}, []string{"endpoint", "kind"}),
		captureErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vinventory_capture_errors_total",
			Help: "Failed captures (after retries), by endpoint.",
		}, []string{"endpoint"}),
		captures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vinventory_captures_total",
			Help: "Completed captures, by endpoint.",
		}, []string{"endpoint"}),
		jobLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "vinventory_job_duration_seconds",
			Help:    "Duration of scheduled job runs, by job.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 18),
		}, []string{"job"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vinventory_job_runs_total",
			Help: "Scheduled job runs, by job and result (ok, error).",
		}, []string{"job", "result"}),
		rowsWritten: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vinventory_rows_written_total",
			Help: "Rows written, by table.",
		}, []string{"table"}),
		reports: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vinventory_reports_written_total",
			Help: "XLSX reports written.",
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vinventory_job_queue_depth",
			Help: "Job runs that are due but not yet run.",
		}),
	}
	m.metricRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vinventory_metric_collections_total",
		Help: "Metrics collections, by endpoint and result (ok, partial: some parts failed and the rest is stored, error).",
	}, []string{"endpoint", "result"})
	m.metricPoints = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vinventory_metric_points_written_total",
		Help: "Metric points stored by collections, by endpoint.",
	}, []string{"endpoint"})
	m.metricFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vinventory_metric_collection_failed_parts_total",
		Help: "Parts of metrics collections that failed (a QueryPerf batch, a counter not served), by endpoint.",
	}, []string{"endpoint"})
	m.metricDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "vinventory_metric_collection_duration_seconds",
		Help:    "Duration of one endpoint's metrics collection (read and write).",
		Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
	}, []string{"endpoint"})
	m.Registry.MustRegister(m.captureDuration, m.objects, m.captureErrors, m.captures,
		m.jobLatency, m.jobRuns, m.rowsWritten, m.reports, m.queueDepth,
		m.metricRuns, m.metricPoints, m.metricFailures, m.metricDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// WatchLive exports the live watchers' figures (vinventory_live_*), read
// from status at every scrape. A later call replaces status (a demo run
// again on the same metrics).
func (m *Metrics) WatchLive(status func() []LiveStatus) {
	m.liveStatus.Store(&status)
	m.liveOnce.Do(func() {
		m.Registry.MustRegister(newLiveCollector(func() []LiveStatus { return (*m.liveStatus.Load())() }))
	})
}

// WatchAlerts exports the alert figures (vinventory_alerts{state,severity}
// from the store, the evaluator's runs), read at every scrape. A later
// call replaces the source.
func (m *Metrics) WatchAlerts(st store.AlertStore, status func() AlertStatus) {
	m.alertSrc.Store(&alertSource{st: st, status: status})
	m.alertOnce.Do(func() {
		src := func() *alertSource { return m.alertSrc.Load() }
		m.Registry.MustRegister(newAlertCollector(src))
	})
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// ObserveCaptures records the outcome of one capture run.
func (m *Metrics) ObserveCaptures(results []capture.EndpointResult) {
	for _, r := range results {
		if r.Err != nil || r.Capture == nil {
			m.captureErrors.WithLabelValues(r.Endpoint).Inc()
			continue
		}
		c := r.Capture
		m.captures.WithLabelValues(r.Endpoint).Inc()
		m.captureDuration.WithLabelValues(r.Endpoint, "retrieve").Observe(c.Timings.Retrieve.Seconds())
		m.captureDuration.WithLabelValues(r.Endpoint, "write").Observe(c.Timings.Write.Seconds())
		m.captureDuration.WithLabelValues(r.Endpoint, "total").Observe(c.Timings.Total.Seconds())
		for kind, n := range map[string]int{
			"vm": c.Counts.VMs, "host": c.Counts.Hosts, "cluster": c.Counts.Clusters,
			"datastore": c.Counts.Datastores, "network": c.Counts.Networks, "resource_pool": c.Counts.ResourcePools,
		} {
			m.objects.WithLabelValues(r.Endpoint, kind).Set(float64(n))
		}
		m.rowsWritten.WithLabelValues("vm_hourly_stats").Add(float64(len(c.Samples)))
		if c.CompatTable != "" {
			m.rowsWritten.WithLabelValues("inventory_hourly").Add(float64(len(c.Samples)))
		}
	}
}

// ObserveJob records one job run.
func (m *Metrics) ObserveJob(job string, d time.Duration, err error) {
	m.jobLatency.WithLabelValues(job).Observe(d.Seconds())
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.jobRuns.WithLabelValues(job, result).Inc()
}

// ObservePeriod counts the rollup rows a daily or monthly run wrote to
// table (res may be nil after a failure).
func (m *Metrics) ObservePeriod(table string, res *vinventory.PeriodResult) {
	if res == nil || res.Result == nil {
		return
	}
	n := 0
	for _, v := range res.Vcenters {
		n += v.Rows
	}
	if n > 0 {
		m.rowsWritten.WithLabelValues(table).Add(float64(n))
	}
}

// AddReports counts XLSX reports written.
func (m *Metrics) AddReports(n int) { m.reports.Add(float64(n)) }

// SetQueueDepth sets the number of due job runs not yet run.
func (m *Metrics) SetQueueDepth(n int) { m.queueDepth.Set(float64(n)) }

// ObserveMetricsCollection records one metrics collection: its duration,
// the points stored and the parts that failed, or its error.
func (m *Metrics) ObserveMetricsCollection(endpoint string, d time.Duration, points, failedParts int, err error) {
	result := "ok"
	switch {
	case err != nil:
		result = "error"
	case failedParts > 0:
		result = "partial"
	}
	m.metricRuns.WithLabelValues(endpoint, result).Inc()
	m.metricDuration.WithLabelValues(endpoint).Observe(d.Seconds())
	m.metricPoints.WithLabelValues(endpoint).Add(float64(points))
	m.metricFailures.WithLabelValues(endpoint).Add(float64(failedParts))
}
