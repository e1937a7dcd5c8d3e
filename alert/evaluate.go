package alert

import (
	"cmp"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// Input is everything Evaluate reads: the rules, the latest state, the
// endpoints with their capture status, the alerts and what decides
// power-offs and maintenance durations. Run reads it from a store.
type Input struct {
	// Now is the evaluation time.
	Now time.Time
	// Rules are the rules to evaluate; disabled and invalid ones are
	// skipped (see Plan.Skipped).
	Rules []inventory.AlertRule
	// AllRules says Rules are every rule there is: alerts of other rules
	// (deleted or disabled) are resolved.
	AllRules bool
	// Vcenter limits the evaluation to one endpoint's entities and alerts;
	// empty means every endpoint.
	Vcenter string
	// State is the latest-state inventory: VMs, hosts and datastores, and
	// Details.VMs for the snapshot rules.
	State *inventory.State
	// NoDetail says the store keeps no VM detail: snapshot rules are
	// skipped (their alerts stay as they are).
	NoDetail bool
	// Endpoints and Status are the endpoint registry and capture status,
	// for capture_failing and data_stale.
	Endpoints []inventory.Endpoint
	Status    []inventory.CaptureStatus
	// Alerts are the alerts that are not resolved.
	Alerts []inventory.Alert
	// Resolved are alerts the evaluator resolved within the flap window;
	// a condition that returns reopens one of them.
	Resolved []inventory.Alert
	// Silences are the active silences.
	Silences []inventory.Silence
	// Channels are the notification channels.
	Channels []inventory.AlertChannel
	// PowerOffs are the verdicts of VMs powered off within the lookback
	// that have no alert yet, by vcenter and VM id (see ClassifyPowerOff).
	PowerOffs map[[2]string]PowerOffVerdict
	// NoPowerEvents lists endpoints whose power events could not be read
	// (nil map key "" means none could): vm_powered_off skips them.
	NoPowerEvents map[string]string
	// MaintenanceSince is when each host (vcenter, host id) in maintenance
	// entered it, when known; otherwise the evaluator's first sight
	// counts (the pending alert's SeenAt).
	MaintenanceSince map[[2]string]time.Time
	// Metrics are the averages the metric rules read: for each window,
	// by (vcenter, entity ID), the mean of the raw points with
	// Now − Window <= time <= Now. An entity with no point is absent.
	Metrics map[MetricWindow]map[[2]string]float64
	// NoMetrics, when set, says why the metric rules cannot be evaluated
	// (the store keeps no time series): they are skipped.
	NoMetrics string
	// FlapWindow and FlapLimit as in Options (defaults applied when zero).
	FlapWindow time.Duration
	FlapLimit  int
}

// MetricWindow is a metric of an entity type averaged over a window
// ending at the evaluation (Input.Metrics).
type MetricWindow struct {
	EntityType inventory.EntityType
	Metric     inventory.Metric
	Window     time.Duration
}

// Change is one alert's change in an evaluation.
type Change struct {
	// Alert is the alert after the change (as stored, with its ID, after
	// Run); for a deleted pending alert, as it was.
	Alert inventory.Alert
	// From and To are the states; From is empty for a new alert, To empty
	// for a pending alert deleted because its condition cleared. They
	// are equal for an update without transition (summary, silence or
	// flapping changed).
	From, To inventory.AlertState
	// Notify names the channels notified of it.
	Notify []string
}

// Skipped is a rule (or a rule on one endpoint) that was not evaluated;
// its alerts were left as they were.
type Skipped struct {
	RuleID  string `json:"rule_id"`
	Vcenter string `json:"vcenter,omitempty"`
	Reason  string `json:"reason"`
}

// Plan is Evaluate's result: the store write and what it means.
type Plan struct {
	// Apply is the one ApplyAlerts call that makes the changes (empty
	// when nothing changed).
	Apply store.ApplyAlertsParams
	// Changes lists the changes; Changes[i] of an alert written is
	// Apply.Alerts[Index[i]] (-1 for a deleted alert).
	Changes []Change
	Index   []int
	Skipped []Skipped
}

type akey struct {
	rule, vc string
	et       inventory.EntityType
	id       string
}

func keyOf(a *inventory.Alert) akey { return akey{a.RuleID, a.Vcenter, a.EntityType, a.EntityID} }

// cond is a rule's condition holding for one entity.
type cond struct {
	key     akey
	name    string
	summary string
	value   float64
	// seenAt, when set, is when the condition started (maintenance entry).
	seenAt time.Time
	// debounce is how long it must hold before the alert opens.
	debounce time.Duration
}

// Evaluate evaluates in.Rules over in's state and returns the changes to
// the alerts, without writing anything: new alerts (pending, or open when
// the rule has no debounce), pending alerts that open or are deleted,
// alerts resolved because their condition cleared, alerts reopened within
// the flap window, and the notifications owed (see package doc and
// docs/alerts.md for the semantics of each rule kind).
func Evaluate(in *Input) *Plan {
	if in.FlapWindow <= 0 {
		in.FlapWindow = DefaultFlapWindow
	}
	if in.FlapLimit <= 0 {
		in.FlapLimit = DefaultFlapLimit
	}
	if in.State == nil {
		in.State = &inventory.State{}
	}
	now := in.Now.UTC()
	e := &evaluation{in: in, now: now, existing: map[akey]*inventory.Alert{}, resolved: map[akey]*inventory.Alert{}, plan: &Plan{}}
	for i := range in.Alerts {
		a := &in.Alerts[i]
		if a.State != inventory.AlertResolved && e.inScope(a.Vcenter) {
			e.existing[keyOf(a)] = a
		}
	}
	for i := range in.Resolved {
		a := &in.Resolved[i]
		if a.State != inventory.AlertResolved || a.ResolvedBy != "" || a.ResolvedAt.Before(now.Add(-in.FlapWindow)) {
			continue
		}
		if old := e.resolved[keyOf(a)]; old == nil || a.ResolvedAt.After(old.ResolvedAt) {
			e.resolved[keyOf(a)] = a
		}
	}
	e.index()
	ruleIDs := map[string]bool{}
	for i := range in.Rules {
		r := &in.Rules[i]
		ruleIDs[r.ID] = true
		if !r.Enabled {
			e.skip(r.ID, "", "the rule is disabled")
			continue
		}
		if err := ValidateRule(r); err != nil {
			e.skip(r.ID, "", fmt.Sprintf("invalid rule: %v", err))
			continue
		}
		e.rule(r)
	}
	if in.AllRules {
		for _, a := range e.sortedExisting() {
			if !ruleIDs[a.RuleID] {
				e.clear(a, "rule "+a.RuleID+" was removed or disabled")
			}
		}
	}
	return e.plan
}

type evaluation struct {
	in       *Input
	now      time.Time
	existing map[akey]*inventory.Alert
	resolved map[akey]*inventory.Alert
	plan     *Plan
	channels map[string]*inventory.AlertChannel
	hosts    map[[2]string]*inventory.Host
	detail   map[[2]string]*inventory.VMDetail
	done     map[akey]bool
	// byRule are the existing alerts of each rule, by ID.
	byRule map[string][]*inventory.Alert
}

func (e *evaluation) inScope(vc string) bool { return e.in.Vcenter == "" || e.in.Vcenter == vc }

func (e *evaluation) skip(rule, vc, reason string) {
	e.plan.Skipped = append(e.plan.Skipped, Skipped{RuleID: rule, Vcenter: vc, Reason: reason})
}

func (e *evaluation) index() {
	e.channels = map[string]*inventory.AlertChannel{}
	for i := range e.in.Channels {
		e.channels[e.in.Channels[i].Name] = &e.in.Channels[i]
	}
	e.hosts = map[[2]string]*inventory.Host{}
	for i := range e.in.State.Hosts {
		h := &e.in.State.Hosts[i]
		e.hosts[[2]string{h.Vcenter, h.ID}] = h
	}
	e.detail = map[[2]string]*inventory.VMDetail{}
	for i := range e.in.State.Details.VMs {
		d := &e.in.State.Details.VMs[i]
		e.detail[[2]string{d.Vcenter, d.VMID}] = d
	}
	e.done = map[akey]bool{}
	e.byRule = map[string][]*inventory.Alert{}
	for _, a := range e.sortedExisting() {
		e.byRule[a.RuleID] = append(e.byRule[a.RuleID], a)
	}
}

func (e *evaluation) sortedExisting() []*inventory.Alert {
	out := make([]*inventory.Alert, 0, len(e.existing))
	for _, a := range e.existing {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b *inventory.Alert) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// scope is a compiled AlertScope.
type scope struct {
	vcs, dcs, cls map[string]bool
	attrKey       string
	attrVal       string
	attrAny       bool
	name          *regexp.Regexp
}

func set(v []string) map[string]bool {
	if len(v) == 0 {
		return nil
	}
	m := make(map[string]bool, len(v))
	for _, s := range v {
		m[s] = true
	}
	return m
}

func compileScope(s inventory.AlertScope) *scope {
	c := &scope{vcs: set(s.Vcenters), dcs: set(s.Datacenters), cls: set(s.Clusters)}
	if s.Attribute != "" {
		c.attrKey, c.attrVal, _ = strings.Cut(s.Attribute, "=")
		c.attrAny = !strings.Contains(s.Attribute, "=")
	}
	if s.Name != "" {
		c.name = regexp.MustCompile(s.Name) // validated by ValidateRule
	}
	return c
}

// match reports whether an entity matches; clusters are the entity's
// clusters (any may match), attrs its attributes (VMs).
func (s *scope) match(vc, dc string, clusters []string, name string, attrs map[string]string) bool {
	if s.vcs != nil && !s.vcs[vc] {
		return false
	}
	if s.dcs != nil && !s.dcs[dc] {
		return false
	}
	if s.cls != nil && !slices.ContainsFunc(clusters, func(c string) bool { return s.cls[c] }) {
		return false
	}
	if s.attrKey != "" {
		v, ok := attrs[s.attrKey]
		if !ok || (!s.attrAny && v != s.attrVal) {
			return false
		}
	}
	return s.name == nil || s.name.MatchString(name)
}

// rule evaluates one valid, enabled rule.
func (e *evaluation) rule(r *inventory.AlertRule) {
	sc := compileScope(r.Scope)
	conds := map[akey]cond{}
	skipVC := map[string]bool{}
	// keep are alerts left as they are (no data to decide them).
	var keep map[akey]bool
	ent := entityOf(r.Kind)
	add := func(vc, id, name, summary string, value float64) {
		k := akey{r.ID, vc, ent, id}
		conds[k] = cond{key: k, name: name, summary: summary, value: value, debounce: r.For}
	}
	active := func(vc, id string) bool { return e.existing[akey{r.ID, vc, ent, id}] != nil }
	st := e.in.State
	switch r.Kind {
	case inventory.RuleHostDisconnected, inventory.RuleHostMaintenance:
		for i := range st.Hosts {
			h := &st.Hosts[i]
			if !e.inScope(h.Vcenter) || !sc.match(h.Vcenter, h.Datacenter, []string{h.Cluster}, h.Name, nil) {
				continue
			}
			if r.Kind == inventory.RuleHostDisconnected {
				if (h.ConnectionState == "disconnected" || h.ConnectionState == "notResponding") && !h.InMaintenance {
					add(h.Vcenter, h.ID, h.Name, fmt.Sprintf("host %s is %s", h.Name, h.ConnectionState), 0)
				}
				continue
			}
			if !h.InMaintenance {
				continue
			}
			since := e.in.MaintenanceSince[[2]string{h.Vcenter, h.ID}]
			what := "host " + h.Name + " is in maintenance mode"
			if !since.IsZero() {
				what += " since " + since.UTC().Format(time.RFC3339)
			}
			add(h.Vcenter, h.ID, h.Name, fmt.Sprintf("%s (alerts after %s)", what, r.Duration), 0)
			c := conds[akey{r.ID, h.Vcenter, ent, h.ID}]
			c.seenAt, c.debounce = since, r.Duration+r.For
			conds[c.key] = c
		}
	case inventory.RuleDatastoreUsedPct, inventory.RuleDatastoreFreeGB:
		clear := cmp.Or(r.Clear, r.Threshold)
		for i := range st.Datastores {
			d := &st.Datastores[i]
			if !e.inScope(d.Vcenter) || d.CapacityGB <= 0 {
				continue
			}
			var cls []string
			if sc.cls != nil {
				for _, hid := range d.HostIDs {
					if h := e.hosts[[2]string{d.Vcenter, hid}]; h != nil {
						cls = append(cls, h.Cluster)
					}
				}
			}
			if !sc.match(d.Vcenter, d.Datacenter, cls, d.Name, nil) {
				continue
			}
			on := active(d.Vcenter, d.ID)
			if r.Kind == inventory.RuleDatastoreUsedPct {
				used := (d.CapacityGB - d.FreeGB) / d.CapacityGB * 100
				if used >= r.Threshold || (on && used >= clear) {
					add(d.Vcenter, d.ID, d.Name, fmt.Sprintf("datastore %s is %.1f%% used (raise at %v%%, clear below %v%%)",
						d.Name, used, r.Threshold, clear), round1(used))
				}
				continue
			}
			if d.FreeGB < r.Threshold || (on && d.FreeGB <= clear) {
				add(d.Vcenter, d.ID, d.Name, fmt.Sprintf("datastore %s has %.1f GB free (raise below %v GB, clear above %v GB)",
					d.Name, d.FreeGB, r.Threshold, clear), round1(d.FreeGB))
			}
		}
	case inventory.RuleVMPoweredOff, inventory.RuleVMSnapshotAge, inventory.RuleVMSnapshotSize:
		if r.Kind != inventory.RuleVMPoweredOff && e.in.NoDetail {
			e.skip(r.ID, "", "the store keeps no VM detail (store.Details)")
			return
		}
		if r.Kind == inventory.RuleVMPoweredOff {
			if reason, ok := e.in.NoPowerEvents[""]; ok {
				e.skip(r.ID, "", reason)
				return
			}
			for vc, reason := range e.in.NoPowerEvents {
				skipVC[vc] = true
				e.skip(r.ID, vc, reason)
			}
		}
		for i := range st.VMs {
			v := &st.VMs[i]
			if v.IsTemplate || !e.inScope(v.Vcenter) || skipVC[v.Vcenter] || !sc.match(v.Vcenter, v.Datacenter, []string{v.Cluster}, v.Name, v.Attributes) {
				continue
			}
			switch r.Kind {
			case inventory.RuleVMPoweredOff:
				if v.PowerState != inventory.PoweredOff {
					continue
				}
				if a := e.existing[akey{r.ID, v.Vcenter, ent, v.ID}]; a != nil {
					add(v.Vcenter, v.ID, v.Name, a.Summary, 0)
					continue
				}
				if vd, ok := e.in.PowerOffs[[2]string{v.Vcenter, v.ID}]; ok && vd.Alert {
					add(v.Vcenter, v.ID, v.Name, "VM "+v.Name+" "+vd.Summary, 0)
				}
			case inventory.RuleVMSnapshotAge:
				d := e.detail[[2]string{v.Vcenter, v.ID}]
				if d == nil {
					continue
				}
				var oldest *inventory.VMSnapshot
				for j := range d.Snapshots {
					s := &d.Snapshots[j]
					if !s.Created.IsZero() && (oldest == nil || s.Created.Before(oldest.Created)) {
						oldest = s
					}
				}
				if oldest == nil {
					continue
				}
				days := e.now.Sub(oldest.Created).Hours() / 24
				if days > r.Threshold {
					add(v.Vcenter, v.ID, v.Name, fmt.Sprintf("VM %s has a snapshot %q created %s (older than %v days)",
						v.Name, oldest.Name, oldest.Created.UTC().Format(time.RFC3339), r.Threshold), round1(days))
				}
			case inventory.RuleVMSnapshotSize:
				d := e.detail[[2]string{v.Vcenter, v.ID}]
				if d == nil || len(d.Snapshots) == 0 {
					continue
				}
				var gb float64
				for _, s := range d.Snapshots {
					gb += s.SizeMB / 1024
				}
				if gb > r.Threshold {
					add(v.Vcenter, v.ID, v.Name, fmt.Sprintf("VM %s has %.1f GB of snapshots in %d (more than %v GB)",
						v.Name, gb, len(d.Snapshots), r.Threshold), round1(gb))
				}
			}
		}
	case inventory.RuleVMCPUUsagePct, inventory.RuleVMCPUReadyPct, inventory.RuleVMMemUsagePct,
		inventory.RuleHostCPUUsagePct, inventory.RuleHostMemUsagePct:
		if e.in.NoMetrics != "" {
			e.skip(r.ID, "", e.in.NoMetrics)
			return
		}
		keep = e.metricRule(r, sc, add, active)
	case inventory.RuleCaptureFailing, inventory.RuleDataStale:
		status := map[string]*inventory.CaptureStatus{}
		for i := range e.in.Status {
			status[e.in.Status[i].Endpoint] = &e.in.Status[i]
		}
		for i := range e.in.Endpoints {
			ep := &e.in.Endpoints[i]
			if !ep.Enabled || !e.inScope(ep.Name) || !sc.match(ep.Name, "", nil, ep.Name, nil) {
				continue
			}
			s := status[ep.Name]
			if r.Kind == inventory.RuleCaptureFailing {
				if s != nil && float64(s.ConsecutiveFailures) >= r.Threshold {
					add(ep.Name, ep.Name, ep.Name, fmt.Sprintf("endpoint %s: the last %d captures failed (alerts at %v)",
						ep.Name, s.ConsecutiveFailures, r.Threshold), float64(s.ConsecutiveFailures))
				}
				continue
			}
			since, what := ep.CreatedAt, "never captured; added "
			if s != nil && !s.LastSuccess.IsZero() {
				since, what = s.LastSuccess, "no successful capture since "
			}
			if since.IsZero() {
				continue
			}
			if age := e.now.Sub(since); age >= r.Duration {
				add(ep.Name, ep.Name, ep.Name, fmt.Sprintf("endpoint %s: %s%s (alerts after %s)", ep.Name, what,
					since.UTC().Format(time.RFC3339), r.Duration), round1(age.Hours()))
			}
		}
	}
	keys := make([]akey, 0, len(conds))
	for k := range conds {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	for _, k := range keys {
		e.holds(r, conds[k])
	}
	for _, a := range e.byRule[r.ID] {
		if e.done[keyOf(a)] || skipVC[a.Vcenter] || keep[keyOf(a)] {
			continue
		}
		if _, ok := conds[keyOf(a)]; !ok {
			e.clear(a, "")
		}
	}
}

// metricRule adds the conditions of a metric rule: each entity in scope
// whose window average reaches the threshold (or, with an alert, stays
// at or above Clear). It returns the alerts of entities that have no
// point in the window, which are left as they are; an endpoint none of
// whose entities has one is skipped (collection off or behind).
func (e *evaluation) metricRule(r *inventory.AlertRule, sc *scope, add func(vc, id, name, summary string, value float64), active func(vc, id string) bool) map[akey]bool {
	ent := entityOf(r.Kind)
	m, _ := MetricOf(r.Kind)
	w := MetricWindowOf(r)
	vals := e.in.Metrics[MetricWindow{EntityType: ent, Metric: m, Window: w}]
	clear := cmp.Or(r.Clear, r.Threshold)
	what := map[inventory.AlertRuleKind]string{
		inventory.RuleVMCPUUsagePct: "CPU usage", inventory.RuleHostCPUUsagePct: "CPU usage",
		inventory.RuleVMCPUReadyPct: "CPU ready", inventory.RuleVMMemUsagePct: "memory usage",
		inventory.RuleHostMemUsagePct: "memory usage"}[r.Kind]
	type entity struct{ vc, id, name, kind string }
	var ents []entity
	st := e.in.State
	if ent == inventory.EntityVM {
		for i := range st.VMs {
			v := &st.VMs[i]
			if v.IsTemplate || v.PowerState != inventory.PoweredOn || !e.inScope(v.Vcenter) ||
				!sc.match(v.Vcenter, v.Datacenter, []string{v.Cluster}, v.Name, v.Attributes) {
				continue
			}
			ents = append(ents, entity{v.Vcenter, v.ID, v.Name, "VM"})
		}
	} else {
		for i := range st.Hosts {
			h := &st.Hosts[i]
			if !e.inScope(h.Vcenter) || !sc.match(h.Vcenter, h.Datacenter, []string{h.Cluster}, h.Name, nil) {
				continue
			}
			ents = append(ents, entity{h.Vcenter, h.ID, h.Name, "host"})
		}
	}
	keep := map[akey]bool{}
	seen, data := map[string]bool{}, map[string]bool{}
	for _, x := range ents {
		seen[x.vc] = true
		v, ok := vals[[2]string{x.vc, x.id}]
		if !ok {
			keep[akey{r.ID, x.vc, ent, x.id}] = true
			continue
		}
		data[x.vc] = true
		if v >= r.Threshold || (active(x.vc, x.id) && v >= clear) {
			add(x.vc, x.id, x.name, fmt.Sprintf("%s %s: %s averaged %.1f%% over %s (raise at %v%%, clear below %v%%)",
				x.kind, x.name, what, v, shortDuration(w), r.Threshold, clear), round1(v))
		}
	}
	for _, vc := range slices.Sorted(maps.Keys(seen)) {
		if !data[vc] {
			e.skip(r.ID, vc, fmt.Sprintf("no point of %s in the last %s (metrics collection off or behind)", m, shortDuration(w)))
		}
	}
	return keep
}

// shortDuration writes d without zero trailing units: 15m, 1h, 1h30m.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func compareKeys(a, b akey) int {
	return cmp.Or(strings.Compare(a.vc, b.vc), strings.Compare(string(a.et), string(b.et)), strings.Compare(a.id, b.id))
}

func round1(v float64) float64 {
	return float64(int64(v*10+0.5*sign(v))) / 10
}

func sign(v float64) float64 {
	if v < 0 {
		return -1
	}
	return 1
}

// silenced reports whether a silence covers a.
func (e *evaluation) silenced(a *inventory.Alert) bool {
	for i := range e.in.Silences {
		if e.in.Silences[i].Covers(a, e.now) {
			return true
		}
	}
	return false
}

// write adds an alert write (and its transition, when the state changes)
// and the notifications of event to the rule's channels.
func (e *evaluation) write(r *inventory.AlertRule, a inventory.Alert, from inventory.AlertState, expect inventory.AlertState, event string) {
	p := &e.plan.Apply
	idx := len(p.Alerts)
	p.Alerts = append(p.Alerts, store.AlertUpdate{Alert: a, ExpectState: expect})
	if from != a.State || expect == "" {
		p.Transitions = append(p.Transitions, store.AlertTransitionRef{AlertIndex: idx, Transition: inventory.AlertTransition{
			AlertID: a.ID, From: from, To: a.State, At: e.now, Summary: a.Summary}})
	}
	ch := Change{Alert: a, From: from, To: a.State}
	if event != "" && r != nil && !a.Silenced && !a.Flapping {
		for _, name := range r.Channels {
			c := e.channels[name]
			if c == nil || !c.Enabled || severityRank(a.Severity) < severityRank(c.MinSeverity) {
				continue
			}
			p.Notifications = append(p.Notifications, store.NotificationRef{AlertIndex: idx,
				Notification: inventory.Notification{Channel: c.Name, Event: event, NextAttempt: e.now}})
			ch.Notify = append(ch.Notify, c.Name)
		}
	}
	e.plan.Changes = append(e.plan.Changes, ch)
	e.plan.Index = append(e.plan.Index, idx)
}

// holds applies a condition that holds.
func (e *evaluation) holds(r *inventory.AlertRule, c cond) {
	e.done[c.key] = true
	now := e.now
	if ex := e.existing[c.key]; ex != nil {
		a := *ex
		a.Severity = r.Severity
		switch ex.State {
		case inventory.AlertPending:
			seen := a.SeenAt
			if !c.seenAt.IsZero() && c.seenAt.Before(seen) {
				seen = c.seenAt
			}
			if now.Sub(seen) < c.debounce {
				if seen.Equal(a.SeenAt) && a.Summary == c.summary {
					return
				}
				a.SeenAt, a.Summary, a.Value, a.UpdatedAt = seen, c.summary, c.value, now
				a.Silenced = e.silenced(&a)
				e.write(nil, a, ex.State, ex.State, "")
				return
			}
			a.SeenAt, a.State, a.OpenedAt, a.UpdatedAt, a.Summary, a.Value = seen, inventory.AlertOpen, now, now, c.summary, c.value
			a.Silenced = e.silenced(&a)
			e.write(r, a, ex.State, ex.State, inventory.NotifyOpened)
		default: // open, acknowledged: the alert stays; refresh what changed
			a.Summary, a.Value, a.EntityName = c.summary, c.value, c.name
			a.Silenced = e.silenced(&a)
			event := ""
			if a.Flapping && !a.OpenedAt.After(now.Add(-e.in.FlapWindow)) {
				// Quiet for the flap window: notify again from now on,
				// starting with the opening it did not send.
				a.Flapping = false
				if a.State == inventory.AlertOpen {
					event = inventory.NotifyOpened
				}
			}
			if a.Summary == ex.Summary && a.Silenced == ex.Silenced && a.Flapping == ex.Flapping && a.Severity == ex.Severity && a.EntityName == ex.EntityName {
				return
			}
			a.UpdatedAt = now
			e.write(r, a, ex.State, ex.State, event)
		}
		return
	}
	if old := e.resolved[c.key]; old != nil {
		// Reopen the alert resolved within the flap window.
		a := *old
		a.State, a.Severity, a.Summary, a.Value, a.EntityName = inventory.AlertOpen, r.Severity, c.summary, c.value, c.name
		a.OpenedAt, a.UpdatedAt, a.ResolvedAt, a.ResolvedBy = now, now, time.Time{}, ""
		a.AckedAt, a.AckedBy, a.AckComment = time.Time{}, "", ""
		a.Flaps++
		a.Flapping = a.Flaps >= e.in.FlapLimit
		a.Silenced = e.silenced(&a)
		e.write(r, a, inventory.AlertResolved, inventory.AlertResolved, inventory.NotifyOpened)
		return
	}
	seen := now
	if !c.seenAt.IsZero() && c.seenAt.Before(now) {
		seen = c.seenAt
	}
	a := inventory.Alert{RuleID: r.ID, Kind: r.Kind, Severity: r.Severity, Vcenter: c.key.vc, EntityType: c.key.et,
		EntityID: c.key.id, EntityName: c.name, State: inventory.AlertPending, Summary: c.summary, Value: c.value,
		SeenAt: seen, UpdatedAt: now}
	a.Silenced = e.silenced(&a)
	event := ""
	if now.Sub(seen) >= c.debounce {
		a.State, a.OpenedAt, event = inventory.AlertOpen, now, inventory.NotifyOpened
	}
	e.write(r, a, "", "", event)
}

// clear applies a condition that no longer holds: a pending alert is
// deleted, an open or acknowledged one resolved.
func (e *evaluation) clear(ex *inventory.Alert, why string) {
	e.done[keyOf(ex)] = true
	if ex.State == inventory.AlertPending {
		e.plan.Apply.Delete = append(e.plan.Apply.Delete, ex.ID)
		e.plan.Changes = append(e.plan.Changes, Change{Alert: *ex, From: ex.State})
		e.plan.Index = append(e.plan.Index, -1)
		return
	}
	a := *ex
	a.State, a.ResolvedAt, a.ResolvedBy, a.UpdatedAt = inventory.AlertResolved, e.now, "", e.now
	if why != "" {
		a.Summary = why
	}
	a.Silenced = e.silenced(&a)
	var r *inventory.AlertRule
	for i := range e.in.Rules {
		if e.in.Rules[i].ID == a.RuleID {
			r = &e.in.Rules[i]
		}
	}
	e.write(r, a, ex.State, ex.State, inventory.NotifyResolved)
}
