package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/store"
)

// Health is the /healthz document.
type Health struct {
	// Status is "ok", "degraded" (an enabled endpoint's last capture
	// failed, or it never succeeded) or "unavailable" (the store cannot be
	// read).
	Status string `json:"status"`
	// Time is when the document was built (UTC).
	Time time.Time `json:"time"`
	// QueueDepth is the number of job runs that are due but not yet run.
	QueueDepth int `json:"queue_depth"`
	// Endpoints is one entry per registered endpoint, by name.
	Endpoints []EndpointHealth `json:"endpoints"`
	// Jobs is the scheduler's view of each job, when a scheduler runs.
	Jobs any `json:"jobs,omitempty"`
	// Alerts is this replica's alert evaluator, when alerting is on.
	Alerts *AlertStatus `json:"alerts,omitempty"`
	// Error says why the store could not be read.
	Error string `json:"error,omitempty"`
}

// EndpointHealth is one endpoint's capture health.
type EndpointHealth struct {
	Name                string    `json:"name"`
	Enabled             bool      `json:"enabled"`
	LastAttempt         time.Time `json:"last_attempt,omitzero"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastError           string    `json:"last_error,omitempty"`
	LastDurationSeconds float64   `json:"last_duration_seconds"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	VMs                 int       `json:"vms"`
	// Live is the endpoint's live watcher in this process, when live
	// updates are on.
	Live *LiveStatus `json:"live,omitempty"`
}

// HealthSource is what /healthz reads.
type HealthSource struct {
	Store store.Endpoints
	// QueueDepth returns due-but-not-run job runs; nil means 0.
	QueueDepth func() int
	// Jobs returns the scheduler's job status (JSON-encodable); optional.
	Jobs func() any
	// Live returns the live watchers' status; optional.
	Live func() []LiveStatus
	// Alerts returns the alert evaluator's status; optional.
	Alerts func() *AlertStatus
	// Clock defaults to time.Now.
	Clock func() time.Time
}

// Check builds the health document.
func (h *HealthSource) Check(ctx context.Context) Health {
	now := time.Now
	if h.Clock != nil {
		now = h.Clock
	}
	out := Health{Status: "ok", Time: now().UTC(), Endpoints: []EndpointHealth{}}
	if h.QueueDepth != nil {
		out.QueueDepth = h.QueueDepth()
	}
	if h.Jobs != nil {
		out.Jobs = h.Jobs()
	}
	if h.Alerts != nil {
		out.Alerts = h.Alerts()
	}
	eps, err := h.Store.ListEndpoints(ctx, &store.ListEndpointsParams{})
	if err != nil {
		out.Status, out.Error = "unavailable", "store: cannot list endpoints"
		return out
	}
	sts, err := h.Store.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
	if err != nil {
		out.Status, out.Error = "unavailable", "store: cannot list capture status"
		return out
	}
	byName := map[string]int{}
	for i, s := range sts {
		byName[s.Endpoint] = i
	}
	live := map[string]LiveStatus{}
	if h.Live != nil {
		for _, l := range h.Live() {
			live[l.Endpoint] = l
		}
	}
	for _, ep := range eps {
		e := EndpointHealth{Name: ep.Name, Enabled: ep.Enabled}
		if l, ok := live[ep.Name]; ok {
			e.Live = &l
			if l.State == LiveBackoff {
				out.Status = "degraded"
			}
		}
		if i, ok := byName[ep.Name]; ok {
			s := sts[i]
			e.LastAttempt, e.LastSuccess, e.LastError = s.LastAttempt, s.LastSuccess, s.LastError
			e.LastDurationSeconds = s.LastDuration.Seconds()
			e.ConsecutiveFailures = s.ConsecutiveFailures
			e.VMs = s.Counts.VMs
		}
		if ep.Enabled && (e.ConsecutiveFailures > 0 || (e.LastSuccess.IsZero() && !e.LastAttempt.IsZero())) {
			out.Status = "degraded"
		}
		out.Endpoints = append(out.Endpoints, e)
	}
	return out
}

// PublicHealth is the /healthz document for callers that are not on this
// host: status and counts only, no endpoint names, URLs, user names,
// errors or job details.
type PublicHealth struct {
	Status     string    `json:"status"`
	Time       time.Time `json:"time"`
	QueueDepth int       `json:"queue_depth"`
	// Endpoints counts the registered endpoints; Failing those enabled
	// whose last capture failed (or never succeeded).
	Endpoints int `json:"endpoints"`
	Failing   int `json:"failing"`
}

// Public returns the document's status and counts.
func (h *Health) Public() PublicHealth {
	p := PublicHealth{Status: h.Status, Time: h.Time, QueueDepth: h.QueueDepth, Endpoints: len(h.Endpoints)}
	for _, e := range h.Endpoints {
		if e.Enabled && (e.ConsecutiveFailures > 0 || (e.LastSuccess.IsZero() && !e.LastAttempt.IsZero())) {
			p.Failing++
		}
	}
	return p
}

// ServeHTTP serves the health document: 200 when the store answers (status
// ok or degraded), 503 when it does not. The whole document (errors, job
// status) goes only to callers connected from a loopback address; others
// get PublicHealth. The TCP peer decides, never a forwarded-for header.
func (h *HealthSource) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	doc := h.Check(ctx)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if doc.Status == "unavailable" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if fromLoopback(r) {
		_ = enc.Encode(doc)
		return
	}
	_ = enc.Encode(doc.Public())
}

// fromLoopback reports whether the request's TCP peer is a loopback
// address.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// NewMux serves /healthz and /metrics (withAPI adds the API and pages).
func NewMux(h *HealthSource, m *Metrics) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", h)
	mux.Handle("GET /metrics", m.Handler())
	return mux
}

// serveHTTP listens on addr and serves h until ctx ends or the returned
// server is closed. It returns the address actually bound (addr may use
// port 0). onShutdown run when the server shuts down (the stream hub's
// Close: Shutdown does not end Server-Sent Event streams by itself).
func serveHTTP(ctx context.Context, addr string, h http.Handler, log *zap.Logger, onShutdown ...func()) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	for _, f := range onShutdown {
		srv.RegisterOnShutdown(f)
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", zap.Error(err))
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return srv, ln.Addr().String(), nil
}
