package alert

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Defaults of Options.
const (
	DefaultFlapWindow       = 30 * time.Minute
	DefaultFlapLimit        = 3
	DefaultPowerOffLookback = 24 * time.Hour
	DefaultPowerEventWindow = 10 * time.Minute
)

// Store is what an Evaluator reads and writes: the latest state, the
// inventory events (power changes), the endpoints and their capture
// status, the alerts and the channels. A store that also implements
// store.Details gives the snapshot rules their data, and one that
// implements store.EntityHistory tells when a host entered maintenance;
// the metric rules read a store.MetricStore.
// memstore, sqlitestore and pgstore implement all of it.
type Store interface {
	store.InventoryState
	store.Events
	store.Endpoints
	store.AlertStore
	store.AlertChannels
}

// Options configure an Evaluator.
type Options struct {
	// Clock is the evaluation time. Defaults to time.Now.
	Clock func() time.Time
	// Logger logs skipped rules and retries. Defaults to discarding.
	Logger *slog.Logger
	// PowerEvents reads endpoints' power events, to tell a user's
	// power-off from a failure (ClassifyPowerOff). Without it the
	// vm_powered_off rules are skipped (see Result.Skipped).
	PowerEvents PowerEventSource
	// FlapWindow: an alert resolving and its condition returning within
	// it reopens the same alert (Flaps incremented). Defaults to 30m.
	FlapWindow time.Duration
	// FlapLimit: from this many reopenings on, an alert is Flapping and
	// notifies nothing until it stays open for FlapWindow. Defaults to 3.
	FlapLimit int
	// PowerOffLookback: a VM powered off counts for vm_powered_off when
	// the power event (inventory event of kind power, from Reconcile or a
	// watcher) that turned it off is newer than this. Defaults to 24h.
	PowerOffLookback time.Duration
	// PowerEventWindow is the margin around a power-off's time in which
	// vCenter events explain it: [t − PollInterval − window, t + window]
	// for one seen by a capture (it happened since the previous one),
	// [t − window, t + window] for one a watcher saw. Defaults to 10m.
	PowerEventWindow time.Duration
}

// Evaluator evaluates alert rules over a store and keeps the alerts'
// lifecycle there. It is safe for concurrent use, but two evaluations of
// the same rules at once conflict (one retries); run one at a time.
type Evaluator struct {
	st Store
	o  Options

	mu sync.Mutex
	// verdicts are the power-off classifications made once the event
	// window had passed, by (vcenter, VM), with the power-off's time.
	verdicts map[[2]string]cachedVerdict
}

// cachedVerdict is a power-off's classification, kept while the VM stays
// off after that power-off.
type cachedVerdict struct {
	at      time.Time
	verdict PowerOffVerdict
}

// ErrInvalidOptions is wrapped by NewEvaluator's errors.
var ErrInvalidOptions = errors.New("alert: invalid options")

// NewEvaluator returns an Evaluator over st.
func NewEvaluator(st Store, o Options) (*Evaluator, error) {
	if st == nil {
		return nil, fmt.Errorf("%w: the store is nil", ErrInvalidOptions)
	}
	if o.FlapWindow < 0 || o.FlapLimit < 0 || o.PowerOffLookback < 0 || o.PowerEventWindow < 0 {
		return nil, fmt.Errorf("%w: FlapWindow, FlapLimit, PowerOffLookback and PowerEventWindow must not be negative", ErrInvalidOptions)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FlapWindow == 0 {
		o.FlapWindow = DefaultFlapWindow
	}
	if o.FlapLimit == 0 {
		o.FlapLimit = DefaultFlapLimit
	}
	if o.PowerOffLookback == 0 {
		o.PowerOffLookback = DefaultPowerOffLookback
	}
	if o.PowerEventWindow == 0 {
		o.PowerEventWindow = DefaultPowerEventWindow
	}
	return &Evaluator{st: st, o: o, verdicts: map[[2]string]cachedVerdict{}}, nil
}

// RunParams select what Run evaluates.
type RunParams struct {
	// Vcenter limits the run to one endpoint's entities and alerts; empty
	// means every endpoint.
	Vcenter string
	// Rules are the rules to evaluate; nil means the store's enabled
	// rules (and then alerts of rules deleted or disabled are resolved).
	Rules []inventory.AlertRule
}

// Result is what a Run did.
type Result struct {
	// At is the evaluation time.
	At time.Time
	// Changes are the alerts' changes, as stored.
	Changes []Change
	// Notifications counts the notifications queued.
	Notifications int
	// Skipped lists rules (or rules on one endpoint) not evaluated.
	Skipped []Skipped
}

// Error is the error Run returns: the step that failed and why.
type Error struct {
	// Op names the step, e.g. "list alerts" or "apply".
	Op  string
	Err error
}

func (e *Error) Error() string { return "alert: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Run reads the rules (unless p.Rules are given), the latest state, the
// alerts that are not resolved, those resolved within the flap window and
// the silences, evaluates (see Evaluate) and writes the changes with one
// ApplyAlerts call, queueing the notifications in the same transaction.
// When an operator changed an alert meanwhile (a *store.ConflictError),
// it reads the alerts again and retries once.
func (ev *Evaluator) Run(ctx context.Context, p *RunParams) (*Result, error) {
	if p == nil {
		p = &RunParams{}
	}
	now := ev.o.Clock().UTC()
	in := &Input{Now: now, Vcenter: p.Vcenter, Rules: p.Rules, FlapWindow: ev.o.FlapWindow, FlapLimit: ev.o.FlapLimit}
	if p.Rules == nil {
		rules, err := ev.st.ListAlertRules(ctx, &store.ListAlertRulesParams{EnabledOnly: true})
		if err != nil {
			return nil, &Error{Op: "list rules", Err: err}
		}
		in.Rules, in.AllRules = rules, true
	}
	if err := ev.readInput(ctx, in); err != nil {
		return nil, err
	}
	var plan *Plan
	var res *store.ApplyAlertsResult
	for attempt := 0; ; attempt++ {
		plan = Evaluate(in)
		if len(plan.Apply.Alerts) == 0 && len(plan.Apply.Delete) == 0 {
			break
		}
		var err error
		res, err = ev.st.ApplyAlerts(ctx, &plan.Apply)
		if err == nil {
			break
		}
		var ce *store.ConflictError
		if attempt > 0 || !errors.As(err, &ce) {
			return nil, &Error{Op: "apply", Err: err}
		}
		ev.o.Logger.InfoContext(ctx, "alert evaluation conflicted with another change; reading the alerts again", slog.Any("err", err))
		if err := ev.readAlerts(ctx, in); err != nil {
			return nil, err
		}
	}
	out := &Result{At: now, Skipped: plan.Skipped, Changes: plan.Changes}
	for i := range out.Changes {
		if idx := plan.Index[i]; idx >= 0 && res != nil && idx < len(res.Alerts) {
			out.Changes[i].Alert = res.Alerts[idx]
		}
	}
	if res != nil {
		out.Notifications = len(res.NotificationIDs)
	}
	for _, s := range plan.Skipped {
		ev.o.Logger.DebugContext(ctx, "alert rule skipped", slog.String("rule", s.RuleID), slog.String("vcenter", s.Vcenter), slog.String("reason", s.Reason))
	}
	return out, nil
}

// kinds reports which rule kinds in are enabled.
func kinds(rules []inventory.AlertRule) map[inventory.AlertRuleKind]bool {
	m := map[inventory.AlertRuleKind]bool{}
	for _, r := range rules {
		if r.Enabled {
			m[r.Kind] = true
		}
	}
	return m
}

func (ev *Evaluator) readInput(ctx context.Context, in *Input) error {
	k := kinds(in.Rules)
	vc := in.Vcenter
	state := &inventory.State{}
	in.State = state
	needVMs := k[inventory.RuleVMPoweredOff] || k[inventory.RuleVMSnapshotAge] || k[inventory.RuleVMSnapshotSize] ||
		k[inventory.RuleVMCPUUsagePct] || k[inventory.RuleVMCPUReadyPct] || k[inventory.RuleVMMemUsagePct]
	if needVMs {
		cursor := ""
		for {
			pg, err := ev.st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vc, Limit: 10000, Cursor: cursor})
			if err != nil {
				return &Error{Op: "list VMs", Err: err}
			}
			state.VMs = append(state.VMs, pg.VMs...)
			if pg.NextCursor == "" {
				break
			}
			cursor = pg.NextCursor
		}
	}
	var err error
	if k[inventory.RuleHostDisconnected] || k[inventory.RuleHostMaintenance] || k[inventory.RuleDatastoreUsedPct] || k[inventory.RuleDatastoreFreeGB] ||
		k[inventory.RuleHostCPUUsagePct] || k[inventory.RuleHostMemUsagePct] {
		if state.Hosts, err = ev.st.ListHosts(ctx, &store.ListHostsParams{Vcenter: vc}); err != nil {
			return &Error{Op: "list hosts", Err: err}
		}
	}
	if k[inventory.RuleDatastoreUsedPct] || k[inventory.RuleDatastoreFreeGB] {
		if state.Datastores, err = ev.st.ListDatastores(ctx, &store.ListDatastoresParams{Vcenter: vc}); err != nil {
			return &Error{Op: "list datastores", Err: err}
		}
	}
	if k[inventory.RuleVMSnapshotAge] || k[inventory.RuleVMSnapshotSize] {
		sd, ok := ev.st.(store.Details)
		if !ok {
			in.NoDetail = true
		} else {
			d, err := sd.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: vc, VMsOnly: true})
			if err != nil {
				return &Error{Op: "read detail", Err: err}
			}
			state.Details = *d
		}
	}
	if in.Endpoints, err = ev.st.ListEndpoints(ctx, &store.ListEndpointsParams{}); err != nil {
		return &Error{Op: "list endpoints", Err: err}
	}
	if in.Status, err = ev.st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{Endpoint: vc}); err != nil {
		return &Error{Op: "list capture status", Err: err}
	}
	if in.Silences, err = ev.st.ListSilences(ctx, &store.ListSilencesParams{ActiveAt: in.Now}); err != nil {
		return &Error{Op: "list silences", Err: err}
	}
	if in.Channels, err = ev.st.ListAlertChannels(ctx, &store.ListAlertChannelsParams{}); err != nil {
		return &Error{Op: "list channels", Err: err}
	}
	if err := ev.readAlerts(ctx, in); err != nil {
		return err
	}
	if k[inventory.RuleHostMaintenance] {
		if err := ev.readMaintenance(ctx, in); err != nil {
			return err
		}
	}
	if k[inventory.RuleVMPoweredOff] {
		if err := ev.readPowerOffs(ctx, in); err != nil {
			return err
		}
	}
	return ev.readMetrics(ctx, in)
}

// readMetrics reads the window averages the enabled metric rules need
// (Input.Metrics): per endpoint, one raw-tier QueryMetrics whose single
// bucket is the window, for up to store.MaxMetricEntities entities at a
// time. Without a store.MetricStore it sets Input.NoMetrics.
func (ev *Evaluator) readMetrics(ctx context.Context, in *Input) error {
	windows := map[MetricWindow]bool{}
	for i := range in.Rules {
		r := &in.Rules[i]
		m, ok := MetricOf(r.Kind)
		if !ok || !r.Enabled || ValidateRule(r) != nil {
			continue
		}
		windows[MetricWindow{EntityType: entityOf(r.Kind), Metric: m, Window: MetricWindowOf(r)}] = true
	}
	if len(windows) == 0 {
		return nil
	}
	ms, ok := ev.st.(store.MetricStore)
	if !ok {
		in.NoMetrics = "the store keeps no time series (store.MetricStore)"
		return nil
	}
	ids := map[inventory.EntityType]map[string][]string{inventory.EntityVM: {}, inventory.EntityHost: {}}
	for i := range in.State.VMs {
		v := &in.State.VMs[i]
		if !v.IsTemplate && v.PowerState == inventory.PoweredOn {
			ids[inventory.EntityVM][v.Vcenter] = append(ids[inventory.EntityVM][v.Vcenter], v.ID)
		}
	}
	for i := range in.State.Hosts {
		h := &in.State.Hosts[i]
		ids[inventory.EntityHost][h.Vcenter] = append(ids[inventory.EntityHost][h.Vcenter], h.ID)
	}
	in.Metrics = map[MetricWindow]map[[2]string]float64{}
	// The points at Now count: the range ends a second after it (points
	// are stored at second resolution).
	to := in.Now.Truncate(time.Second).Add(time.Second)
	for _, w := range slices.SortedFunc(maps.Keys(windows), func(a, b MetricWindow) int {
		return cmp.Or(cmp.Compare(a.EntityType, b.EntityType), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.Window, b.Window))
	}) {
		vals := map[[2]string]float64{}
		in.Metrics[w] = vals
		byVC := ids[w.EntityType]
		for _, vc := range slices.Sorted(maps.Keys(byVC)) {
			all := byVC[vc]
			for chunk := range slices.Chunk(all, store.MaxMetricEntities) {
				series, err := ms.QueryMetrics(ctx, &store.QueryMetricsParams{Vcenter: vc, EntityType: w.EntityType,
					EntityIDs: chunk, Metrics: []inventory.Metric{w.Metric}, From: to.Add(-w.Window - time.Second), To: to,
					Step: w.Window + time.Second, Tier: inventory.TierRaw})
				if err != nil {
					return &Error{Op: "read metrics", Err: err}
				}
				for _, sr := range series {
					for _, b := range sr.Buckets {
						if b.Count > 0 {
							vals[[2]string{vc, sr.EntityID}] = b.Avg
						}
					}
				}
			}
		}
	}
	return nil
}

// readAlerts reads the alerts that are not resolved and those the
// evaluator resolved within the flap window (from the history).
func (ev *Evaluator) readAlerts(ctx context.Context, in *Input) error {
	in.Alerts, in.Resolved = nil, nil
	cursor := ""
	for {
		pg, err := ev.st.ListAlerts(ctx, &store.ListAlertsParams{Vcenter: in.Vcenter, Limit: 1000, Cursor: cursor,
			States: []inventory.AlertState{inventory.AlertPending, inventory.AlertOpen, inventory.AlertAcknowledged}})
		if err != nil {
			return &Error{Op: "list alerts", Err: err}
		}
		in.Alerts = append(in.Alerts, pg.Alerts...)
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	seen := map[int64]bool{}
	cursor = ""
	for {
		pg, err := ev.st.ListAlertHistory(ctx, &store.ListAlertHistoryParams{Since: in.Now.Add(-ev.o.FlapWindow), Limit: 1000, Cursor: cursor})
		if err != nil {
			return &Error{Op: "list alert history", Err: err}
		}
		for _, t := range pg.Transitions {
			if t.To != inventory.AlertResolved || t.By != "" || seen[t.AlertID] {
				continue
			}
			seen[t.AlertID] = true
			a, err := ev.st.GetAlert(ctx, &store.GetAlertParams{ID: t.AlertID})
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return &Error{Op: "get alert", Err: err}
			}
			if a.State == inventory.AlertResolved && (in.Vcenter == "" || a.Vcenter == in.Vcenter) {
				in.Resolved = append(in.Resolved, *a)
			}
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	return nil
}

// readMaintenance finds when each host now in maintenance entered it,
// from the store's entity history (store.EntityHistory): the first
// history snapshot of the unbroken run of snapshots, up to now, that
// show it in maintenance. A host whose run covers the whole window read
// (the longest rule Duration plus a day) counts from the window's first
// snapshot. Without history the evaluator's first sight counts.
func (ev *Evaluator) readMaintenance(ctx context.Context, in *Input) error {
	eh, ok := ev.st.(store.EntityHistory)
	if !ok {
		return nil
	}
	var ids []string
	inMaint := map[[2]string]bool{}
	for _, h := range in.State.Hosts {
		if h.InMaintenance {
			ids = append(ids, h.ID)
			inMaint[[2]string{h.Vcenter, h.ID}] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var longest time.Duration
	for _, r := range in.Rules {
		if r.Kind == inventory.RuleHostMaintenance && r.Duration+r.For > longest {
			longest = r.Duration + r.For
		}
	}
	rows, err := eh.EntityHistoryRange(ctx, &store.EntityHistoryRangeParams{Vcenter: in.Vcenter, Kind: store.EntityHost, IDs: ids,
		From: in.Now.Add(-longest - 24*time.Hour), To: in.Now.Add(time.Second)})
	if err != nil {
		return &Error{Op: "read host history", Err: err}
	}
	// snapshot times per vCenter, newest first
	snaps := map[string][]time.Time{}
	for _, s := range rows.Snapshots {
		snaps[s.Vcenter] = append(snaps[s.Vcenter], s.SnapshotTime)
	}
	at := map[[3]string]bool{}
	for _, h := range rows.Hosts {
		if h.InMaintenance {
			at[[3]string{h.Vcenter, h.ID, h.SnapshotTime.UTC().Format(time.RFC3339Nano)}] = true
		}
	}
	in.MaintenanceSince = map[[2]string]time.Time{}
	for key := range inMaint {
		ts := snaps[key[0]]
		var since time.Time
		for i := len(ts) - 1; i >= 0; i-- {
			if !at[[3]string{key[0], key[1], ts[i].UTC().Format(time.RFC3339Nano)}] {
				break
			}
			since = ts[i]
		}
		if !since.IsZero() {
			in.MaintenanceSince[key] = since
		}
	}
	return nil
}

// readPowerOffs finds the VMs powered off within the lookback that have
// no alert yet and classifies each from its endpoint's power events.
func (ev *Evaluator) readPowerOffs(ctx context.Context, in *Input) error {
	if ev.o.PowerEvents == nil {
		in.NoPowerEvents = map[string]string{"": "no power event source (Options.PowerEvents)"}
		return nil
	}
	alerted := map[[2]string]int{}
	nrules := 0
	for _, r := range in.Rules {
		if r.Kind == inventory.RuleVMPoweredOff && r.Enabled {
			nrules++
		}
	}
	for _, a := range in.Alerts {
		if a.Kind == inventory.RuleVMPoweredOff {
			alerted[[2]string{a.Vcenter, a.EntityID}]++
		}
	}
	off := map[[2]string]*inventory.VM{}
	for i := range in.State.VMs {
		v := &in.State.VMs[i]
		if v.PowerState == inventory.PoweredOff && !v.IsTemplate && alerted[[2]string{v.Vcenter, v.ID}] < nrules {
			off[[2]string{v.Vcenter, v.ID}] = v
		}
	}
	if len(off) == 0 {
		return nil
	}
	// The latest power event of each VM within the lookback.
	latest := map[[2]string]inventory.Event{}
	cursor := ""
	for {
		pg, err := ev.st.ListEvents(ctx, &store.ListEventsParams{Vcenter: in.Vcenter, Kinds: []inventory.EventKind{inventory.EventPower},
			From: in.Now.Add(-ev.o.PowerOffLookback), To: in.Now.Add(time.Second), Limit: 10000, Cursor: cursor})
		if err != nil {
			return &Error{Op: "list power events", Err: err}
		}
		for _, e := range pg.Events {
			k := [2]string{e.Vcenter, e.VMID}
			if off[k] != nil {
				latest[k] = e // ascending: the last one wins
			}
		}
		if pg.NextCursor == "" {
			break
		}
		cursor = pg.NextCursor
	}
	poll := map[string]time.Duration{}
	for _, ep := range in.Endpoints {
		poll[ep.Name] = ep.PollInterval
		if poll[ep.Name] <= 0 {
			poll[ep.Name] = inventory.DefaultPollInterval
		}
	}
	w := ev.o.PowerEventWindow
	type span struct{ from, to time.Time }
	windows := map[[2]string]span{}
	in.PowerOffs = map[[2]string]PowerOffVerdict{}
	ev.mu.Lock()
	for k, c := range ev.verdicts {
		if c.at.Before(in.Now.Add(-ev.o.PowerOffLookback)) {
			delete(ev.verdicts, k) // its power-off left the lookback
		}
	}
	for k, e := range latest {
		if e.After["power_state"] != string(inventory.PoweredOff) {
			continue
		}
		if c, ok := ev.verdicts[k]; ok && c.at.Equal(e.SnapshotTime) {
			// Classified before from events that were complete then.
			in.PowerOffs[k] = c.verdict
			continue
		}
		from := e.SnapshotTime.Add(-w)
		if !e.Live {
			from = from.Add(-cmpOr(poll[k[0]], inventory.DefaultPollInterval))
		}
		windows[k] = span{from, e.SnapshotTime.Add(w)}
	}
	ev.mu.Unlock()
	perVC := map[string]span{}
	for k, s := range windows {
		vs, ok := perVC[k[0]]
		if !ok || s.from.Before(vs.from) {
			vs.from = s.from
		}
		if !ok || s.to.After(vs.to) {
			vs.to = s.to
		}
		perVC[k[0]] = vs
	}
	for vc, s := range perVC {
		evs, err := ev.o.PowerEvents.PowerEvents(ctx, vc, s.from, s.to)
		if err != nil {
			if ctx.Err() != nil {
				return &Error{Op: "read power events", Err: err}
			}
			if in.NoPowerEvents == nil {
				in.NoPowerEvents = map[string]string{}
			}
			in.NoPowerEvents[vc] = fmt.Sprintf("reading the endpoint's power events failed: %v", err)
			ev.o.Logger.WarnContext(ctx, "alert: cannot read power events", slog.String("vcenter", vc), slog.Any("err", err))
			continue
		}
		for k, win := range windows {
			if k[0] != vc {
				continue
			}
			var mine []inventory.PowerEvent
			for _, e := range evs {
				if !e.Time.Before(win.from) && !e.Time.After(win.to) {
					mine = append(mine, e)
				}
			}
			v := ClassifyPowerOff(k[1], off[k].HostID, mine)
			in.PowerOffs[k] = v
			if in.Now.After(win.to) {
				// The event window is over: the verdict will not change,
				// so later evaluations reuse it instead of reading the
				// endpoint again while the VM stays off.
				ev.mu.Lock()
				ev.verdicts[k] = cachedVerdict{at: latest[k].SnapshotTime, verdict: v}
				ev.mu.Unlock()
			}
		}
	}
	return nil
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
