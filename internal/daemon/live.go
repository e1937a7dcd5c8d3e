package daemon

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/ctxtime"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Live watcher states beyond capture's (LiveStatus.State).
const (
	// LiveStandby: another replica holds the endpoint's lock and watches
	// it.
	LiveStandby = "standby"
	// LiveBackoff: the watcher failed and waits before starting again.
	LiveBackoff = "backoff"
	// LiveUnsupported: the endpoint's source cannot be watched.
	LiveUnsupported = "unsupported"
)

// LiveStatus is one endpoint's live watcher as /healthz, /api/collectors
// and /metrics show it.
type LiveStatus struct {
	capture.WatchStats
	// Since is when the watcher entered its state.
	Since time.Time `json:"since,omitzero"`
	// Failures counts the watcher's failed runs in a row.
	Failures int `json:"failures"`
}

// LiveManager runs one capture.Watcher per enabled endpoint, restarting a
// failed one with backoff. With Pool set (PostgreSQL), a replica watches an
// endpoint only while it holds the endpoint's session advisory lock on a
// connection of its own, so exactly one replica watches each endpoint; the
// lock (and the watch) moves to another replica when that connection
// dies.
type LiveManager struct {
	// Store is written by the watchers. Required (capture.WatchStore).
	Store capture.WatchStore
	// Open opens an endpoint's source; it must implement
	// capture.WatchSource to be watched. Required.
	Open func(ctx context.Context, ep inventory.Endpoint) (capture.Source, error)
	// Pool, when set, coordinates replicas with advisory locks.
	Pool *pgxpool.Pool
	// Config tunes the watchers (config.LiveConfig, defaults applied).
	Config config.LiveConfig
	// OnApply is called after every committed batch (metrics, the stream
	// hub); optional, must not block.
	OnApply func(*capture.WatchBatch)
	// StandbyRetry is how often a standby replica tries the lock. Defaults
	// to 5s.
	StandbyRetry time.Duration
	// LockCheck is how often a lock's connection is checked. Defaults to
	// 10s.
	LockCheck time.Duration
	Logger    *zap.Logger

	mu      sync.Mutex
	runners map[string]*liveRunner
	wg      sync.WaitGroup
}

type liveRunner struct {
	ep     inventory.Endpoint
	fp     string
	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	state    string
	since    time.Time
	failures int
	lastErr  string
	watcher  *capture.Watcher
	last     capture.WatchStats // the stats of the last run
}

// liveLockClass is the first key of the endpoints' advisory locks
// ("vinv"); the second is a hash of the endpoint name.
const liveLockClass = 0x76696e76

// endpointFingerprint changes when a watcher must start again: the
// endpoint's connection, credential or scope changed.
func endpointFingerprint(ep inventory.Endpoint) string {
	return fmt.Sprintf("%s|%s|%s|%x|%v|%v|%s", ep.URL, ep.Kind, ep.Username, ep.Credential, ep.Scope, ep.TLS, ep.UpdatedAt.UTC())
}

// Sync starts a watcher for every enabled endpoint of eps without one,
// restarts those whose endpoint changed and stops the others.
func (m *LiveManager) Sync(ctx context.Context, eps []inventory.Endpoint) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.runners == nil {
		m.runners = map[string]*liveRunner{}
	}
	want := map[string]inventory.Endpoint{}
	for _, ep := range eps {
		if ep.Enabled {
			want[ep.Name] = ep
		}
	}
	for name, r := range m.runners {
		if ep, ok := want[name]; !ok || endpointFingerprint(ep) != r.fp {
			r.cancel()
			<-r.done
			delete(m.runners, name)
		}
	}
	for name, ep := range want {
		if _, ok := m.runners[name]; ok {
			continue
		}
		rctx, cancel := context.WithCancel(ctx)
		r := &liveRunner{ep: ep, fp: endpointFingerprint(ep), cancel: cancel, done: make(chan struct{}), state: capture.WatchStarting, since: time.Now()}
		m.runners[name] = r
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			defer close(r.done)
			m.run(rctx, r)
		}()
	}
}

// Run keeps the watchers in step with the store's enabled endpoints,
// checking every refresh (0: once), until ctx ends; then it stops them
// all.
func (m *LiveManager) Run(ctx context.Context, eps store.Endpoints, refresh time.Duration) {
	defer m.Stop()
	for {
		list, err := eps.ListEndpoints(ctx, &store.ListEndpointsParams{EnabledOnly: true})
		if err != nil && ctx.Err() == nil {
			m.logger().Warn("live: listing the endpoints failed", zap.Error(err))
		} else if err == nil {
			m.Sync(ctx, list)
		}
		if refresh <= 0 {
			<-ctx.Done()
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(refresh):
		}
	}
}

// Stop stops every watcher and waits for them.
func (m *LiveManager) Stop() {
	m.mu.Lock()
	for name, r := range m.runners {
		r.cancel()
		delete(m.runners, name)
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Status returns every watcher's status, by endpoint name.
func (m *LiveManager) Status() []LiveStatus {
	m.mu.Lock()
	rs := make([]*liveRunner, 0, len(m.runners))
	for _, r := range m.runners {
		rs = append(rs, r)
	}
	m.mu.Unlock()
	out := make([]LiveStatus, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.status())
	}
	slices.SortFunc(out, func(a, b LiveStatus) int { return strings.Compare(a.Endpoint, b.Endpoint) })
	return out
}

// Resync asks an endpoint's running watcher for a full resync; it
// reports whether one runs in this process.
func (m *LiveManager) Resync(endpoint string) bool {
	m.mu.Lock()
	r := m.runners[endpoint]
	m.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	w := r.watcher
	r.mu.Unlock()
	if w == nil {
		return false
	}
	w.Resync()
	return true
}

func (r *liveRunner) status() LiveStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := LiveStatus{Since: r.since, Failures: r.failures}
	// A running watcher reports its own state; between runs (standby,
	// backoff...) the runner's state stands beside the last run's figures.
	if r.watcher != nil {
		s.WatchStats = r.watcher.Stats()
	} else {
		s.WatchStats = r.last
		s.State = r.state
	}
	s.Endpoint = r.ep.Name
	if s.LastError == "" {
		s.LastError = r.lastErr
	}
	return s
}

func (r *liveRunner) set(state string, w *capture.Watcher) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state != state {
		r.since = time.Now()
	}
	r.state = state
	if w == nil && r.watcher != nil {
		r.last = r.watcher.Stats()
	}
	r.watcher = w
}

func (m *LiveManager) logger() *zap.Logger {
	if m.Logger == nil {
		return zap.NewNop()
	}
	return m.Logger
}

// run watches one endpoint until ctx ends: it takes the endpoint's lock
// (PostgreSQL), opens the source and runs a watcher, backing off after a
// failure.
func (m *LiveManager) run(ctx context.Context, r *liveRunner) {
	log := m.logger().With(zap.String("endpoint", r.ep.Name))
	backoff := m.Config.RetryBackoff
	if backoff <= 0 {
		backoff = 5 * time.Second
	}
	standby := m.StandbyRetry
	if standby <= 0 {
		standby = 5 * time.Second
	}
	wait := backoff
	for ctx.Err() == nil {
		wctx, release, ok, err := m.lock(ctx, r.ep.Name, log)
		if err != nil || !ok {
			if err != nil && ctx.Err() == nil {
				log.Warn("live: taking the endpoint's lock failed", zap.Error(err))
			}
			r.set(LiveStandby, nil)
			if !sleep(ctx, standby) {
				return
			}
			continue
		}
		began := time.Now()
		err = m.watchOnce(wctx, r, log)
		release()
		if ctx.Err() != nil {
			r.set(capture.WatchStopped, nil)
			return
		}
		if errors.Is(err, errUnsupported) {
			r.set(LiveUnsupported, nil)
			log.Info("live: this endpoint's source cannot be watched; the hourly captures keep its state")
			<-ctx.Done()
			return
		}
		if time.Since(began) > time.Hour {
			wait = backoff
		}
		r.mu.Lock()
		r.failures++
		if err != nil {
			r.lastErr = err.Error()
		}
		r.mu.Unlock()
		r.set(LiveBackoff, nil)
		log.Warn("live: the watcher stopped; starting again after a pause", zap.Error(err), zap.Duration("backoff", wait))
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, 5*time.Minute)
	}
}

var errUnsupported = errors.New("the source does not implement capture.WatchSource")

// watchOnce opens the source and runs one watcher until it fails or ctx
// ends.
func (m *LiveManager) watchOnce(ctx context.Context, r *liveRunner, log *zap.Logger) error {
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	src, err := m.Open(octx, r.ep)
	cancel()
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = src.Close(cctx)
	}()
	ws, ok := src.(capture.WatchSource)
	if !ok {
		return errUnsupported
	}
	c := m.Config
	w, err := capture.NewWatcher(m.Store, ws, capture.WatchOptions{
		Source:        capture.WatchSourceOptions{MaxWaitSeconds: int32(c.MaxWaitSeconds), MaxObjectUpdates: int32(c.MaxObjectUpdates)},
		FlushChanges:  c.FlushChanges,
		FlushInterval: c.FlushInterval,
		Logger:        sdkLogger(log, "live"),
		OnApply:       m.OnApply,
	})
	if err != nil {
		return err
	}
	r.set(capture.WatchStarting, w)
	defer r.set(capture.WatchStopped, nil)
	log.Info("live: watching the endpoint")
	r.mu.Lock()
	r.failures, r.lastErr = 0, ""
	r.mu.Unlock()
	return w.Run(ctx)
}

// lock takes the endpoint's advisory lock when coordinating replicas. It
// returns a context that ends when the lock is lost (its connection
// failed) and a release func.
func (m *LiveManager) lock(ctx context.Context, endpoint string, log *zap.Logger) (context.Context, func(), bool, error) {
	if m.Pool == nil {
		return ctx, func() {}, true, nil
	}
	h := fnv.New32a()
	h.Write([]byte(endpoint))
	key := int32(h.Sum32())
	conn, err := m.Pool.Acquire(ctx)
	if err != nil {
		return nil, nil, false, err
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", int32(liveLockClass), key).Scan(&got); err != nil {
		conn.Release()
		return nil, nil, false, err
	}
	if !got {
		conn.Release()
		return nil, nil, false, nil
	}
	// The lock lives as long as this session: take the connection out of
	// the pool, so closing it is the release.
	pc := conn.Hijack()
	lctx, cancel := context.WithCancel(ctx)
	check := m.LockCheck
	if check <= 0 {
		check = 10 * time.Second
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-lctx.Done():
				return
			case <-time.After(check):
			}
			if err := ping(lctx, pc); err != nil && lctx.Err() == nil {
				log.Warn("live: the connection holding the endpoint's lock failed; stopping the watcher", zap.Error(err))
				cancel()
				return
			}
		}
	}()
	release := func() {
		cancel()
		<-done
		cctx, c := context.WithTimeout(context.Background(), 5*time.Second)
		defer c()
		_ = pc.Close(cctx)
	}
	return lctx, release, true, nil
}

func ping(ctx context.Context, c *pgx.Conn) error {
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.Ping(pctx)
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool { return ctxtime.Sleep(ctx, d) == nil }

// liveCollector exports the watchers' figures to Prometheus at scrape
// time.
type liveCollector struct {
	status   func() []LiveStatus
	received *prometheus.Desc
	applied  *prometheus.Desc
	events   *prometheus.Desc
	resyncs  *prometheus.Desc
	lag      *prometheus.Desc
	apply    *prometheus.Desc
	up       *prometheus.Desc
}

func newLiveCollector(status func() []LiveStatus) *liveCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, append([]string{"endpoint"}, labels...), nil)
	}
	return &liveCollector{status: status,
		received: d("vinventory_live_updates_received_total", "Object updates the endpoint sent to the live watcher."),
		applied:  d("vinventory_live_changes_applied_total", "Latest-state changes the live watcher committed."),
		events:   d("vinventory_live_events_total", "Change events the live watcher appended."),
		resyncs:  d("vinventory_live_resyncs_total", "Full resyncs of the live watcher, by reason.", "reason"),
		lag:      d("vinventory_live_lag_seconds", "Age of the oldest change the live watcher has not committed yet (0 when caught up)."),
		apply:    d("vinventory_live_apply_seconds", "Delay from the arrival of the last committed batch's first change to its commit."),
		up:       d("vinventory_live_state", "1 for the live watcher's current state (starting, resyncing, watching, standby, backoff, unsupported, stopped).", "state"),
	}
}

func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.received, c.applied, c.events, c.resyncs, c.lag, c.apply, c.up} {
		ch <- d
	}
}

func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.status() {
		ep := s.Endpoint
		ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(s.Received), ep)
		ch <- prometheus.MustNewConstMetric(c.applied, prometheus.CounterValue, float64(s.Applied), ep)
		ch <- prometheus.MustNewConstMetric(c.events, prometheus.CounterValue, float64(s.Events), ep)
		for _, reason := range []string{capture.ResyncStart, capture.ResyncRelogin, capture.ResyncCollector, capture.ResyncRequested} {
			ch <- prometheus.MustNewConstMetric(c.resyncs, prometheus.CounterValue, float64(s.Resyncs[reason]), ep, reason)
		}
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, s.LagSeconds, ep)
		ch <- prometheus.MustNewConstMetric(c.apply, prometheus.GaugeValue, s.LastApplySeconds, ep)
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1, ep, s.State)
	}
}

// startLive starts the live watchers of the store's enabled endpoints
// (live.enabled): on PostgreSQL coordinated with the other replicas by
// advisory locks, on SQLite all in this process (run holds the file's run
// lock). They stop when ctx ends.
func (a *App) startLive(ctx context.Context, refresh time.Duration, metrics *Metrics, log *zap.Logger) error {
	ws, ok := a.Store.(capture.WatchStore)
	if !ok {
		return fmt.Errorf("live.enabled: the %s store does not keep live changes (store.LiveState)", a.Store.Capabilities().Backend)
	}
	op, err := Opener(a.Keyring, log, a.parking())
	if err != nil {
		return err
	}
	m := &LiveManager{Store: ws, Open: op, Config: a.Config.Live, Logger: log, OnApply: a.wakeHub}
	if a.PG != nil {
		m.Pool = a.PG.Pool()
	}
	a.live = m
	if metrics != nil {
		metrics.WatchLive(m.Status)
	}
	go m.Run(ctx, a.Store, refresh)
	log.Info("live updates on: one property-collector watcher per enabled endpoint")
	return nil
}

// watchStats returns the watchers' status for the API.
func (m *LiveManager) watchStats() []capture.WatchStats {
	st := m.Status()
	out := make([]capture.WatchStats, len(st))
	for i, s := range st {
		out[i] = s.WatchStats
	}
	return out
}
