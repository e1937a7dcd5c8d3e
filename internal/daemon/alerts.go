package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/alert/notify"
	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// AlertStore is what the daemon's alerting needs of the store.
type AlertStore interface {
	alert.Store
	store.NotificationQueue
}

// syncAlertConfig writes the configuration's rules (origin "config") and
// channels (secrets sealed with the keyring) to the store, and deletes
// the config rules the file no longer lists. Rules and channels managed
// through the API are left alone.
func syncAlertConfig(ctx context.Context, st AlertStore, cfg config.AlertsConfig, kr *secrets.Keyring, getenv config.Getenv) error {
	var errs []error
	for i, c := range cfg.Channels {
		ch := c.Channel()
		v, err := c.ResolveSecret(getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("alerts.channels[%d]: %w", i, err))
			continue
		}
		keep := v == ""
		if !keep {
			if kr == nil {
				errs = append(errs, fmt.Errorf("alerts.channels[%d]: no keyring to encrypt its secret (configure keys)", i))
				continue
			}
			if ch.Secret, err = api.KeyringSealer(kr)(ctx, ch.Name, []byte(v)); err != nil {
				errs = append(errs, fmt.Errorf("alerts.channels[%d]: %w", i, err))
				continue
			}
		}
		if _, err := st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: ch, KeepSecret: keep}); err != nil {
			errs = append(errs, fmt.Errorf("alerts.channels[%d]: store it: %w", i, err))
		}
	}
	listed := map[string]bool{}
	for i, r := range cfg.Rules {
		rule := r.Rule()
		listed[rule.ID] = true
		if _, err := st.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: rule}); err != nil {
			errs = append(errs, fmt.Errorf("alerts.rules[%d]: store it: %w", i, err))
		}
	}
	rules, err := st.ListAlertRules(ctx, &store.ListAlertRulesParams{})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("list alert rules: %w", err))...)
	}
	for _, r := range rules {
		if r.Origin == inventory.RuleFromConfig && !listed[r.ID] {
			if err := st.DeleteAlertRule(ctx, &store.DeleteAlertRuleParams{ID: r.ID}); err != nil && !errors.Is(err, store.ErrNotFound) {
				errs = append(errs, fmt.Errorf("delete the rule %s the configuration no longer lists: %w", r.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

// AlertStatus is the evaluator's state for /healthz and /metrics.
type AlertStatus struct {
	LastRun      time.Time `json:"last_run,omitzero"`
	LastDuration float64   `json:"last_duration_seconds"`
	LastError    string    `json:"last_error,omitempty"`
	Runs         int64     `json:"runs"`
	Transitions  int64     `json:"transitions"`
	// Standby counts evaluations left to another replica (it held the
	// evaluation lock).
	Standby int64 `json:"standby"`
}

// AlertManager runs the alert evaluator and the notifier of one replica.
// The evaluator runs when Trigger is called (after a capture, after live
// updates, after a metrics collection) and every EvaluateInterval; with
// Pool set (PostgreSQL) one replica evaluates at a time (a session
// advisory lock held during the run). Every replica runs a notifier: notifications are leased, so each
// is sent by one.
type AlertManager struct {
	Store  AlertStore
	Config config.AlertsConfig
	// Evaluator evaluates the rules. Required.
	Evaluator *alert.Evaluator
	// Dispatcher sends the queued notifications. Required.
	Dispatcher *notify.Dispatcher
	Pool       *pgxpool.Pool
	// Publish is told of every alert an evaluation changed (the stream
	// hub); optional, must not block.
	Publish func(inventory.Alert)
	Logger  *zap.Logger
	// Settle is how long a trigger waits for more triggers before the
	// evaluation runs. Defaults to 1s.
	Settle time.Duration
	// LockRetry is the pause before trying the evaluation lock again
	// (five times) when another replica holds it. Defaults to 2s.
	LockRetry time.Duration

	// ownSessions are the endpoint sessions the manager opened for power
	// events (when the daemon gave it none); closed when Run ends.
	ownSessions *sessions

	trigger chan struct{}
	once    sync.Once
	mu      sync.Mutex
	status  AlertStatus
}

func (m *AlertManager) init() {
	m.once.Do(func() { m.trigger = make(chan struct{}, 1) })
}

// Trigger asks for an evaluation soon (coalesced with other requests).
func (m *AlertManager) Trigger() {
	m.init()
	select {
	case m.trigger <- struct{}{}:
	default:
	}
}

// Status returns the evaluator's state.
func (m *AlertManager) Status() AlertStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

// Run evaluates and notifies until ctx ends.
func (m *AlertManager) Run(ctx context.Context) {
	m.init()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.Dispatcher.Run(ctx)
	}()
	settle := m.Settle
	if settle <= 0 {
		settle = time.Second
	}
	t := time.NewTicker(m.Config.EvaluateInterval)
	defer t.Stop()
	m.evaluate(ctx)
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			if m.ownSessions != nil {
				m.ownSessions.close(context.WithoutCancel(ctx))
			}
			return
		case <-t.C:
		case <-m.trigger:
			if !sleep(ctx, settle) {
				continue
			}
			select { // the settle window's triggers are this run's
			case <-m.trigger:
			default:
			}
		}
		m.evaluate(ctx)
	}
}

// alertLockKey is the second key of the evaluation's advisory lock.
func alertLockKey() int32 {
	h := fnv.New32a()
	h.Write([]byte("alert-evaluation"))
	return int32(h.Sum32())
}

// evaluate runs one evaluation under the replicas' lock; a replica that
// finds the lock held retries a few times (the holder may have read the
// state before this replica's capture committed).
func (m *AlertManager) evaluate(ctx context.Context) {
	log := m.Logger
	if log == nil {
		log = zap.NewNop()
	}
	for attempt := 0; ; attempt++ {
		release, got, err := m.lock(ctx)
		if err != nil {
			m.record(time.Now(), 0, fmt.Errorf("take the evaluation lock: %w", err), 0)
			log.Warn("alerts: evaluation lock", zap.Error(err))
			return
		}
		if !got {
			m.mu.Lock()
			m.status.Standby++
			m.mu.Unlock()
			if attempt >= 5 || !sleep(ctx, cmp.Or(m.LockRetry, 2*time.Second)) {
				return
			}
			continue
		}
		start := time.Now()
		res, err := m.Evaluator.Run(ctx, &alert.RunParams{})
		release()
		n := 0
		if res != nil {
			for _, c := range res.Changes {
				if c.From != c.To {
					n++
				}
				if m.Publish != nil && c.To != inventory.AlertPending && c.To != "" {
					m.Publish(c.Alert)
				}
			}
			if res.Notifications > 0 {
				m.Dispatcher.Wake()
			}
		}
		m.record(start, time.Since(start), err, n)
		if err != nil && ctx.Err() == nil {
			log.Warn("alerts: evaluation failed", zap.Error(err))
		}
		return
	}
}

func (m *AlertManager) record(at time.Time, d time.Duration, err error, transitions int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status.LastRun, m.status.LastDuration = at.UTC(), d.Seconds()
	m.status.Runs++
	m.status.Transitions += int64(transitions)
	m.status.LastError = ""
	if err != nil {
		m.status.LastError = err.Error()
	}
}

// lock takes the evaluation lock on PostgreSQL (nothing to take on
// SQLite, where one daemon runs).
func (m *AlertManager) lock(ctx context.Context) (func(), bool, error) {
	if m.Pool == nil {
		return func() {}, true, nil
	}
	conn, err := m.Pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	var got bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, $2)", int32(liveLockClass), alertLockKey()).Scan(&got); err != nil {
		conn.Release()
		return nil, false, err
	}
	if !got {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1, $2)", int32(liveLockClass), alertLockKey()); err != nil {
			// The session may still hold the lock: drop the connection.
			conn.Hijack().Close(uctx)
			return
		}
		conn.Release()
	}, true, nil
}

// powerEvents reads an endpoint's power events for the evaluator through
// the endpoint's open session.
type powerEvents struct {
	sess *sessions
}

// PowerEvents implements alert.PowerEventSource.
func (p powerEvents) PowerEvents(ctx context.Context, vcenter string, from, to time.Time) ([]inventory.PowerEvent, error) {
	var out []inventory.PowerEvent
	err := p.sess.use(ctx, vcenter, func(src capture.Source) error {
		pe, ok := src.(interface {
			PowerEvents(ctx context.Context, from, to time.Time) ([]inventory.PowerEvent, error)
		})
		if !ok {
			return &noPowerEventsError{vcenter}
		}
		var err error
		out, err = pe.PowerEvents(ctx, from, to)
		return err
	}, nil)
	return out, err
}

// noPowerEventsError: the endpoint's source reads no power events.
type noPowerEventsError struct{ vcenter string }

func (e *noPowerEventsError) Error() string {
	return "endpoint " + e.vcenter + ": its source reads no power events"
}

// alertCollector exports alert figures at scrape time.
type alertCollector struct {
	src     func() *alertSource
	active  *prometheus.Desc
	runs    *prometheus.Desc
	trans   *prometheus.Desc
	lastDur *prometheus.Desc
}

func newAlertCollector(src func() *alertSource) *alertCollector {
	return &alertCollector{src: src,
		active:  prometheus.NewDesc("vinventory_alerts", "Alerts that are not resolved, by state and severity.", []string{"state", "severity"}, nil),
		runs:    prometheus.NewDesc("vinventory_alert_evaluations_total", "Alert evaluations run by this replica.", nil, nil),
		trans:   prometheus.NewDesc("vinventory_alert_transitions_total", "Alert transitions made by this replica's evaluations.", nil, nil),
		lastDur: prometheus.NewDesc("vinventory_alert_evaluation_seconds", "Duration of the last alert evaluation.", nil, nil),
	}
}

func (c *alertCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.active
	ch <- c.runs
	ch <- c.trans
	ch <- c.lastDur
}

func (c *alertCollector) Collect(ch chan<- prometheus.Metric) {
	src := c.src()
	s := src.status()
	ch <- prometheus.MustNewConstMetric(c.runs, prometheus.CounterValue, float64(s.Runs))
	ch <- prometheus.MustNewConstMetric(c.trans, prometheus.CounterValue, float64(s.Transitions))
	ch <- prometheus.MustNewConstMetric(c.lastDur, prometheus.GaugeValue, s.LastDuration)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := src.st.CountAlerts(ctx, &store.CountAlertsParams{})
	if err != nil {
		// The store is unreadable (or closed, after a demo run): the
		// series is left out rather than failing the whole scrape;
		// /healthz says why.
		return
	}
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(n.Count), string(n.State), string(n.Severity))
	}
}

// alertDeps are what an AlertManager is built from.
type alertDeps struct {
	Store   store.Store
	Config  config.AlertsConfig
	Keyring *secrets.Keyring
	Getenv  config.Getenv
	Clock   func() time.Time
	Pool    *pgxpool.Pool
	// Sessions are the daemon's endpoint sessions, which power events are
	// read through; when nil the manager opens its own with Open (closed
	// when its Run ends).
	Sessions *sessions
	// Open opens endpoints for their power events (without Sessions).
	Open    capture.OpenerFunc
	Owner   string
	Logger  *zap.Logger
	Publish func(inventory.Alert)
}

// newAlertManager writes the configured rules and channels to the store
// and builds the evaluator and the notifier; nil (and no error) when the
// store keeps no alerts (a warning is logged).
func newAlertManager(ctx context.Context, d alertDeps) (*AlertManager, error) {
	log := d.Logger
	st, ok := d.Store.(AlertStore)
	if !ok {
		log.Warn("alerts: the store keeps no alerts (store.AlertStore); alerting is off")
		return nil, nil
	}
	cfg := d.Config
	if err := syncAlertConfig(ctx, st, cfg, d.Keyring, d.Getenv); err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	sess, own := d.Sessions, (*sessions)(nil)
	if sess == nil {
		sess = newSessions(d.Store, d.Open)
		own = sess
	}
	ev, err := alert.NewEvaluator(st, alert.Options{Clock: d.Clock, Logger: sdkLogger(log, "alert"),
		PowerEvents: powerEvents{sess: sess}, FlapWindow: cfg.FlapWindow, FlapLimit: cfg.FlapLimit})
	if err != nil {
		return nil, err
	}
	kr := d.Keyring
	disp, err := notify.NewDispatcher(st, st, notify.DispatcherOptions{Owner: d.Owner, Clock: d.Clock,
		Logger: sdkLogger(log, "notify"), Interval: cfg.NotifyInterval, MaxAttempts: cfg.MaxAttempts,
		OpenSecret: func(_ context.Context, ch inventory.AlertChannel) (*notify.Secret, error) {
			return api.OpenChannelSecret(kr, ch)
		}})
	if err != nil {
		return nil, err
	}
	return &AlertManager{Store: st, Config: cfg, Evaluator: ev, Dispatcher: disp, Logger: log, Publish: d.Publish, Pool: d.Pool,
		ownSessions: own}, nil
}

// startAlerts starts the evaluator and the notifier (alerts.enabled) of
// the daemon; they stop when ctx ends.
func (a *App) startAlerts(ctx context.Context, owner string, metrics *Metrics, log *zap.Logger) error {
	sess, err := a.sessions()
	if err != nil {
		return err
	}
	d := alertDeps{Store: a.Store, Config: a.Config.Alerts, Keyring: a.Keyring, Getenv: a.Getenv, Clock: a.Clock,
		Sessions: sess, Owner: owner, Logger: log, Publish: a.publishAlert}
	if a.PG != nil {
		d.Pool = a.PG.Pool()
	}
	m, err := newAlertManager(ctx, d)
	if err != nil || m == nil {
		return err
	}
	a.alerts.Store(m)
	if metrics != nil {
		metrics.WatchAlerts(m.Store, m.Status)
	}
	go m.Run(ctx)
	log.Info("alerts on: evaluation after captures, live updates, metrics collections and every " + a.Config.Alerts.EvaluateInterval.String())
	return nil
}

// triggerAlerts asks the evaluator (if running) for an evaluation soon.
func (a *App) triggerAlerts() {
	if m := a.alerts.Load(); m != nil {
		m.Trigger()
	}
}

// alertHooks are the API's channel calls: secrets sealed with the
// keyring, test notifications sent with alert/notify.
func alertHooks(kr *secrets.Keyring) api.AlertOptions {
	o := api.AlertOptions{TestChannel: func(ctx context.Context, ch inventory.AlertChannel) error {
		s, err := api.OpenChannelSecret(kr, ch)
		if err != nil {
			return err
		}
		return notify.SendTest(ctx, ch, *s, notify.SendOptions{})
	}}
	if kr != nil {
		o.SealSecret = api.KeyringSealer(kr)
	}
	return o
}

// alertStatus is the evaluator's status for /healthz (nil when alerting
// is off).
func (a *App) alertStatus() *AlertStatus {
	if m := a.alerts.Load(); m != nil {
		s := m.Status()
		return &s
	}
	return nil
}

// publishAlert pushes a changed alert to the stream hub.
func (a *App) publishAlert(al inventory.Alert) {
	if h := a.hub.Load(); h != nil {
		_ = h.Publish(live.KindAlert, al, al.Vcenter)
	}
}
