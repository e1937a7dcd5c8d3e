package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// AlertOptions are the hooks the alert calls need from the daemon.
type AlertOptions struct {
	// SealSecret encrypts a channel's secret (a Slack or Teams URL, a
	// webhook's HMAC key, an SMTP password) before it is stored; the
	// daemon passes its keyring, with the channel name as the additional
	// data. Optional: without it a channel secret cannot be set (501).
	SealSecret func(ctx context.Context, channel string, plaintext []byte) ([]byte, error)
	// TestChannel sends a test notification through a stored channel
	// (its Secret still sealed); the daemon implements it with
	// alert/notify. Its error text is shown to the admin, so it must
	// carry no secret (a *url.Error's URL is removed). Optional: without
	// it POST /api/channels/{name}/test answers 501.
	TestChannel func(ctx context.Context, ch inventory.AlertChannel) error
}

// registerAlerts declares the alert, rule, silence, channel and
// notification calls.
func (a *API) registerAlerts() {
	errs := func(o huma.Operation, codes ...int) huma.Operation {
		o.Errors = append(o.Errors, http.StatusNotImplemented)
		o.Errors = append(o.Errors, codes...)
		return o
	}
	huma.Register(a.h, errs(op(http.MethodGet, "/api/alerts", "list-alerts", "Alerts, newest first", RoleViewer, "alerts")), a.listAlerts)
	huma.Register(a.h, errs(op(http.MethodGet, "/api/alerts/counts", "count-alerts",
		"Alerts that are not resolved, counted by state and severity", RoleViewer, "alerts")), a.countAlerts)
	huma.Register(a.h, errs(op(http.MethodGet, "/api/alerts/{id}", "get-alert", "One alert with its history", RoleViewer, "alerts"),
		http.StatusNotFound), a.getAlert)
	huma.Register(a.h, errs(op(http.MethodPost, "/api/alerts/{id}/ack", "ack-alert",
		"Acknowledge an open alert (who and why are recorded; the rule's channels are told)", RoleOperator, "alerts"),
		http.StatusNotFound, http.StatusConflict), a.ackAlert)
	huma.Register(a.h, errs(op(http.MethodPost, "/api/alerts/{id}/resolve", "resolve-alert",
		"Resolve an open or acknowledged alert (it opens again if its condition still holds)", RoleOperator, "alerts"),
		http.StatusNotFound, http.StatusConflict), a.resolveAlert)

	huma.Register(a.h, errs(op(http.MethodGet, "/api/alert-rules", "list-alert-rules", "Alert rules, by ID", RoleViewer, "alerts")), a.listAlertRules)
	create := errs(op(http.MethodPost, "/api/alert-rules", "create-alert-rule", "Create an alert rule", RoleAdmin, "alerts"), http.StatusConflict)
	create.DefaultStatus = http.StatusCreated
	huma.Register(a.h, create, a.createAlertRule)
	huma.Register(a.h, errs(op(http.MethodGet, "/api/alert-rules/{id}", "get-alert-rule", "One alert rule", RoleViewer, "alerts"),
		http.StatusNotFound), a.getAlertRule)
	huma.Register(a.h, errs(op(http.MethodPut, "/api/alert-rules/{id}", "update-alert-rule",
		"Change an alert rule (rules from the configuration file are read-only)", RoleAdmin, "alerts"),
		http.StatusNotFound, http.StatusConflict), a.updateAlertRule)
	del := errs(op(http.MethodDelete, "/api/alert-rules/{id}", "delete-alert-rule",
		"Delete an alert rule (its alerts and their history stay)", RoleAdmin, "alerts"), http.StatusNotFound, http.StatusConflict)
	del.DefaultStatus = http.StatusNoContent
	huma.Register(a.h, del, a.deleteAlertRule)

	huma.Register(a.h, errs(op(http.MethodGet, "/api/silences", "list-silences", "Silences, by ID", RoleViewer, "alerts")), a.listSilences)
	sil := errs(op(http.MethodPost, "/api/silences", "create-silence",
		"Silence the notifications of a rule or an entity until a time (or for a duration)", RoleOperator, "alerts"))
	sil.DefaultStatus = http.StatusCreated
	huma.Register(a.h, sil, a.createSilence)
	delSil := errs(op(http.MethodDelete, "/api/silences/{id}", "delete-silence", "End a silence", RoleOperator, "alerts"), http.StatusNotFound)
	delSil.DefaultStatus = http.StatusNoContent
	huma.Register(a.h, delSil, a.deleteSilence)

	huma.Register(a.h, errs(op(http.MethodGet, "/api/channels", "list-channels",
		"Notification channels (their secrets are never shown: has_secret says one is stored)", RoleOperator, "alerts")), a.listChannels)
	huma.Register(a.h, errs(op(http.MethodGet, "/api/channels/{name}", "get-channel", "One notification channel", RoleOperator, "alerts"),
		http.StatusNotFound), a.getChannel)
	cch := errs(op(http.MethodPost, "/api/channels/{name}", "create-channel",
		"Create a notification channel (its secret is encrypted, never returned)", RoleAdmin, "alerts"), http.StatusConflict)
	cch.DefaultStatus = http.StatusCreated
	huma.Register(a.h, cch, a.createChannel)
	huma.Register(a.h, errs(op(http.MethodPut, "/api/channels/{name}", "update-channel",
		"Change a notification channel (without secret fields the stored secret is kept)", RoleAdmin, "alerts"),
		http.StatusNotFound), a.updateChannel)
	dch := errs(op(http.MethodDelete, "/api/channels/{name}", "delete-channel",
		"Delete a notification channel (its pending notifications fail)", RoleAdmin, "alerts"), http.StatusNotFound)
	dch.DefaultStatus = http.StatusNoContent
	huma.Register(a.h, dch, a.deleteChannel)
	huma.Register(a.h, errs(op(http.MethodPost, "/api/channels/{name}/test", "test-channel",
		"Send a test notification through a channel: 200 {\"ok\": true}, or 502 with the error", RoleAdmin, "alerts"),
		http.StatusNotFound, http.StatusBadGateway), a.testChannel)
	huma.Register(a.h, errs(op(http.MethodGet, "/api/notifications", "list-notifications",
		"Notifications owed to channels and their delivery state, newest first", RoleOperator, "alerts")), a.listNotifications)
}

// notImplemented is the answer for a capability the store lacks.
func notImplemented(what string) error {
	return huma.NewError(http.StatusNotImplemented, "this server's store keeps no "+what)
}

func (a *API) alertStore() (store.AlertStore, error) {
	if s, ok := a.o.Store.(store.AlertStore); ok {
		return s, nil
	}
	return nil, notImplemented("alerts")
}

func (a *API) alertChannels() (store.AlertChannels, error) {
	if s, ok := a.o.Store.(store.AlertChannels); ok {
		return s, nil
	}
	return nil, notImplemented("notification channels")
}

// ---- alerts ----

type alertsInput struct {
	State      []string `query:"state,explode" doc:"Only alerts in these states (repeatable or comma-separated): pending, open, acknowledged, resolved."`
	Severity   []string `query:"severity,explode" doc:"Only these severities (repeatable or comma-separated): info, warning, critical."`
	Rule       string   `query:"rule" maxLength:"100" doc:"Only this rule's alerts."`
	Vcenter    string   `query:"vcenter" maxLength:"256"`
	EntityType string   `query:"entity_type" maxLength:"32" doc:"vm, host, datastore or endpoint."`
	EntityID   string   `query:"entity_id" maxLength:"256"`
	Page
}

// splitList reads a repeatable parameter whose values may also be
// comma-separated, checking each against valid.
func splitList(name string, vals []string, valid []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if !slices.Contains(valid, s) {
				return nil, invalid(name, fmt.Sprintf("%q is not one of %s", s, strings.Join(valid, ", ")))
			}
			out = append(out, s)
		}
	}
	return out, nil
}

var alertStates = []string{string(inventory.AlertPending), string(inventory.AlertOpen), string(inventory.AlertAcknowledged), string(inventory.AlertResolved)}

func severityNames() []string {
	var out []string
	for _, s := range inventory.AlertSeverities() {
		out = append(out, string(s))
	}
	return out
}

// scopeList is the store's Vcenters filter for a scope (nil: every one).
func (s scope) scopeList() []string {
	if s.all {
		return nil
	}
	return s.list
}

// utcAlert returns the alert with its times in UTC.
func utcAlert(x inventory.Alert) inventory.Alert {
	for _, t := range []*time.Time{&x.SeenAt, &x.OpenedAt, &x.UpdatedAt, &x.AckedAt, &x.ResolvedAt} {
		if !t.IsZero() {
			*t = t.UTC()
		}
	}
	return x
}

func (a *API) listAlerts(ctx context.Context, in *alertsInput) (*listOutput[inventory.Alert], error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	states, err := splitList("state", in.State, alertStates)
	if err != nil {
		return nil, err
	}
	sevs, err := splitList("severity", in.Severity, severityNames())
	if err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	if in.Vcenter != "" && !sc.sees(in.Vcenter) {
		return newList[inventory.Alert](nil, ""), nil
	}
	p := &store.ListAlertsParams{RuleID: in.Rule, Vcenter: in.Vcenter, EntityType: inventory.EntityType(in.EntityType),
		EntityID: in.EntityID, Vcenters: sc.scopeList(), Cursor: in.Cursor, Limit: in.Limit}
	for _, s := range states {
		p.States = append(p.States, inventory.AlertState(s))
	}
	for _, s := range sevs {
		p.Severities = append(p.Severities, inventory.AlertSeverity(s))
	}
	pg, err := st.ListAlerts(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "list alerts", err)
	}
	items := make([]inventory.Alert, 0, len(pg.Alerts))
	for _, x := range pg.Alerts {
		if sc.sees(x.Vcenter) {
			items = append(items, utcAlert(x))
		}
	}
	return newList(items, pg.NextCursor), nil
}

// AlertCounts are the alerts that are not resolved, by state and
// severity.
type AlertCounts struct {
	// Open and Acknowledged count by severity (every severity present).
	Open         map[string]int `json:"open"`
	Acknowledged map[string]int `json:"acknowledged"`
	Pending      int            `json:"pending"`
}

func (a *API) countAlerts(ctx context.Context, _ *struct{}) (*struct{ Body AlertCounts }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	cs, err := st.CountAlerts(ctx, &store.CountAlertsParams{Vcenters: scopeOf(ctx).scopeList()})
	if err != nil {
		return nil, a.storeError(ctx, "count alerts", err)
	}
	out := AlertCounts{Open: map[string]int{}, Acknowledged: map[string]int{}}
	for _, s := range inventory.AlertSeverities() {
		out.Open[string(s)], out.Acknowledged[string(s)] = 0, 0
	}
	for _, c := range cs {
		switch c.State {
		case inventory.AlertOpen:
			out.Open[string(c.Severity)] += c.Count
		case inventory.AlertAcknowledged:
			out.Acknowledged[string(c.Severity)] += c.Count
		case inventory.AlertPending:
			out.Pending += c.Count
		}
	}
	return &struct{ Body AlertCounts }{out}, nil
}

// AlertDetail is an alert with its history, oldest first.
type AlertDetail struct {
	inventory.Alert
	History []inventory.AlertTransition `json:"history"`
}

type alertIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

// alert reads one alert, 404 when unknown or outside the scope.
func (a *API) alert(ctx context.Context, st store.AlertStore, id int64) (*inventory.Alert, error) {
	x, err := st.GetAlert(ctx, &store.GetAlertParams{ID: id})
	if errors.Is(err, store.ErrNotFound) || err == nil && !scopeOf(ctx).sees(x.Vcenter) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no alert %d", id))
	}
	if err != nil {
		return nil, a.storeError(ctx, "get alert", err)
	}
	return x, nil
}

func (a *API) getAlert(ctx context.Context, in *alertIDInput) (*struct{ Body AlertDetail }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	x, err := a.alert(ctx, st, in.ID)
	if err != nil {
		return nil, err
	}
	out := AlertDetail{Alert: utcAlert(*x), History: []inventory.AlertTransition{}}
	cursor := ""
	for {
		pg, err := st.ListAlertHistory(ctx, &store.ListAlertHistoryParams{AlertID: in.ID, Cursor: cursor, Limit: 1000})
		if err != nil {
			return nil, a.storeError(ctx, "alert history", err)
		}
		for _, t := range pg.Transitions {
			t.At = t.At.UTC()
			out.History = append(out.History, t)
		}
		if cursor = pg.NextCursor; cursor == "" || len(out.History) >= 10000 {
			break
		}
	}
	return &struct{ Body AlertDetail }{out}, nil
}

// AlertAction is the body of an acknowledgement or resolution.
type AlertAction struct {
	Comment string `json:"comment,omitempty" maxLength:"2000" doc:"Why (shown in the alert's history)."`
}

type alertActionInput struct {
	ID   int64        `path:"id" minimum:"1"`
	Body *AlertAction `required:"false"`
}

func (a *API) ackAlert(ctx context.Context, in *alertActionInput) (*struct{ Body inventory.Alert }, error) {
	return a.actOnAlert(ctx, in, "alert.ack", alert.Acknowledge)
}

func (a *API) resolveAlert(ctx context.Context, in *alertActionInput) (*struct{ Body inventory.Alert }, error) {
	return a.actOnAlert(ctx, in, "alert.resolve", alert.Resolve)
}

// ruleChannels returns the enabled channels of a rule (none when the rule
// or the store's channels are gone: the action still goes on).
func (a *API) ruleChannels(ctx context.Context, st store.AlertStore, ruleID string) ([]inventory.AlertChannel, error) {
	cs, ok := a.o.Store.(store.AlertChannels)
	if !ok {
		return nil, nil
	}
	rules, err := st.ListAlertRules(ctx, &store.ListAlertRulesParams{})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(rules, func(r inventory.AlertRule) bool { return r.ID == ruleID })
	if i < 0 {
		return nil, nil
	}
	var out []inventory.AlertChannel
	for _, name := range rules[i].Channels {
		ch, err := cs.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: name})
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ch.Secret = nil // only the name and filters matter here
		out = append(out, *ch)
	}
	return out, nil
}

func (a *API) actOnAlert(ctx context.Context, in *alertActionInput, action string,
	do func(context.Context, store.AlertStore, *alert.ActionParams) (*inventory.Alert, error)) (*struct{ Body inventory.Alert }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	before, err := a.alert(ctx, st, in.ID)
	if err != nil {
		return nil, err
	}
	chans, err := a.ruleChannels(ctx, st, before.RuleID)
	if err != nil {
		return nil, a.storeError(ctx, "read the rule's channels", err)
	}
	p, _ := PrincipalFrom(ctx)
	ap := &alert.ActionParams{ID: in.ID, By: cmpOr(p.Name, "anonymous"), Now: a.o.Clock(), Channels: chans}
	if in.Body != nil {
		ap.Comment = in.Body.Comment
	}
	after, err := do(ctx, st, ap)
	var fe *inventory.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, huma.Error404NotFound(fmt.Sprintf("no alert %d", in.ID))
	case errors.Is(err, alert.ErrNotActive):
		return nil, huma.Error409Conflict(fmt.Sprintf("alert %d is %s: this action does not apply", in.ID, before.State))
	case errors.Is(err, store.ErrConflict):
		return nil, huma.Error409Conflict(fmt.Sprintf("alert %d changed meanwhile; reload it and try again", in.ID))
	case errors.As(err, &fe):
		return nil, invalidBody(fe.Field, fe.Reason)
	case err != nil:
		return nil, a.storeError(ctx, action, err)
	}
	out := utcAlert(*after)
	a.audit(ctx, action, fmt.Sprint(in.ID), utcAlert(*before), out, http.StatusOK)
	a.publishAlert(out)
	return &struct{ Body inventory.Alert }{out}, nil
}

// publishAlert sends an alert that changed to the stream's subscribers.
func (a *API) publishAlert(x inventory.Alert) {
	if a.o.Hub == nil {
		return
	}
	if err := a.o.Hub.Publish(live.KindAlert, x, x.Vcenter); err != nil {
		a.log.Warn("api: publishing an alert", slog.Int64("alert", x.ID), slog.Any("error", err))
	}
}

// ---- rules ----

// AlertRuleView is an alert rule as the API shows and takes it: durations
// in seconds.
type AlertRuleView struct {
	ID              string                  `json:"id" maxLength:"100" doc:"1–100 characters of a-z, 0-9, '_', '.', '-'. On update the path names the rule."`
	Name            string                  `json:"name,omitempty" maxLength:"800" doc:"A title (defaults to the ID)."`
	Kind            inventory.AlertRuleKind `json:"kind" enum:"host_disconnected,host_maintenance,datastore_used_pct,datastore_free_gb,vm_powered_off,vm_snapshot_age,vm_snapshot_size,capture_failing,data_stale,vm_cpu_usage_pct,vm_cpu_ready_pct,vm_mem_usage_pct,host_cpu_usage_pct,host_mem_usage_pct"`
	Severity        inventory.AlertSeverity `json:"severity" enum:"info,warning,critical"`
	Enabled         bool                    `json:"enabled"`
	Scope           inventory.AlertScope    `json:"scope,omitzero"`
	Threshold       float64                 `json:"threshold,omitempty" doc:"Raise at (a percentage, GB, days or a count, by kind)."`
	Clear           float64                 `json:"clear,omitempty" doc:"Clear at (hysteresis; 0 means the threshold)."`
	DurationSeconds float64                 `json:"duration_seconds,omitempty" minimum:"0" doc:"How long a state must last (host_maintenance, data_stale), or the window a metric rule averages over (default 900)."`
	ForSeconds      float64                 `json:"for_seconds,omitempty" minimum:"0" doc:"Debounce: how long the condition must hold before the alert opens."`
	Channels        []string                `json:"channels,omitempty" doc:"The notification channels told."`
	Origin          string                  `json:"origin,omitempty" readOnly:"true" doc:"config (the configuration file; read-only here) or api. Set by the server."`
	UpdatedAt       time.Time               `json:"updated_at,omitzero" readOnly:"true"`
}

func ruleView(r inventory.AlertRule) AlertRuleView {
	return AlertRuleView{ID: r.ID, Name: r.Name, Kind: r.Kind, Severity: r.Severity, Enabled: r.Enabled, Scope: r.Scope,
		Threshold: r.Threshold, Clear: r.Clear, DurationSeconds: r.Duration.Seconds(), ForSeconds: r.For.Seconds(),
		Channels: r.Channels, Origin: r.Origin, UpdatedAt: r.UpdatedAt.UTC()}
}

func (v *AlertRuleView) rule() inventory.AlertRule {
	return inventory.AlertRule{ID: v.ID, Name: v.Name, Kind: v.Kind, Severity: v.Severity, Enabled: v.Enabled, Scope: v.Scope,
		Threshold: v.Threshold, Clear: v.Clear, Duration: time.Duration(v.DurationSeconds * float64(time.Second)),
		For: time.Duration(v.ForSeconds * float64(time.Second)), Channels: v.Channels, Origin: inventory.RuleFromAPI}
}

// ruleField names a rule's field error as the API's body field.
func ruleField(f string) string {
	switch f {
	case "duration":
		return "duration_seconds"
	case "for":
		return "for_seconds"
	}
	return f
}

// ruleVisible: a scoped token sees the rules about every vCenter and
// those naming one of its vCenters.
func ruleVisible(sc scope, r inventory.AlertRule) bool {
	return sc.all || len(r.Scope.Vcenters) == 0 || slices.ContainsFunc(r.Scope.Vcenters, sc.sees)
}

func (a *API) listAlertRules(ctx context.Context, _ *struct{}) (*listOutput[AlertRuleView], error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	rules, err := st.ListAlertRules(ctx, &store.ListAlertRulesParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list alert rules", err)
	}
	sc := scopeOf(ctx)
	var out []AlertRuleView
	for _, r := range rules {
		if ruleVisible(sc, r) {
			out = append(out, ruleView(r))
		}
	}
	return newList(out, ""), nil
}

// findRule returns the rule with id, or nil.
func (a *API) findRule(ctx context.Context, st store.AlertStore, id string) (*inventory.AlertRule, error) {
	rules, err := st.ListAlertRules(ctx, &store.ListAlertRulesParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list alert rules", err)
	}
	for i := range rules {
		if rules[i].ID == id {
			return &rules[i], nil
		}
	}
	return nil, nil
}

type ruleIDInput struct {
	ID string `path:"id" maxLength:"100"`
}

// rule reads one rule, 404 when unknown or not visible.
func (a *API) rule(ctx context.Context, st store.AlertStore, id string) (*inventory.AlertRule, error) {
	r, err := a.findRule(ctx, st, id)
	if err != nil {
		return nil, err
	}
	if r == nil || !ruleVisible(scopeOf(ctx), *r) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no alert rule %q", id))
	}
	return r, nil
}

func (a *API) getAlertRule(ctx context.Context, in *ruleIDInput) (*struct{ Body AlertRuleView }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	r, err := a.rule(ctx, st, in.ID)
	if err != nil {
		return nil, err
	}
	return &struct{ Body AlertRuleView }{ruleView(*r)}, nil
}

// saveRule validates and stores a rule.
func (a *API) saveRule(ctx context.Context, st store.AlertStore, r inventory.AlertRule) (*inventory.AlertRule, error) {
	if err := alert.ValidateRule(&r); err != nil {
		var details []error
		for _, fe := range inventory.FieldErrors(err) {
			details = append(details, &huma.ErrorDetail{Location: "body." + ruleField(fe.Field), Message: fe.Reason})
		}
		return nil, huma.Error422UnprocessableEntity("invalid alert rule", details...)
	}
	saved, err := st.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: r})
	if err != nil {
		return nil, a.storeError(ctx, "put alert rule", err)
	}
	return saved, nil
}

// configRule is the 409 for a rule from the configuration file.
func configRule(id string) error {
	return huma.Error409Conflict(fmt.Sprintf("alert rule %q comes from the configuration file; change it there", id))
}

func (a *API) createAlertRule(ctx context.Context, in *struct{ Body AlertRuleView }) (*struct{ Body AlertRuleView }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	switch old, err := a.findRule(ctx, st, in.Body.ID); {
	case err != nil:
		return nil, err
	case old != nil && old.Origin == inventory.RuleFromConfig:
		return nil, configRule(old.ID)
	case old != nil:
		return nil, huma.Error409Conflict(fmt.Sprintf("alert rule %q exists; PUT /api/alert-rules/{id} changes it", old.ID))
	}
	saved, err := a.saveRule(ctx, st, in.Body.rule())
	if err != nil {
		return nil, err
	}
	v := ruleView(*saved)
	a.audit(ctx, "alert_rule.create", v.ID, nil, v, http.StatusCreated)
	return &struct{ Body AlertRuleView }{v}, nil
}

func (a *API) updateAlertRule(ctx context.Context, in *struct {
	ID   string `path:"id" maxLength:"100"`
	Body AlertRuleView
}) (*struct{ Body AlertRuleView }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	if in.Body.ID != "" && in.Body.ID != in.ID {
		return nil, invalidBody("id", "a rule is not renamed; create a new one")
	}
	old, err := a.rule(ctx, st, in.ID)
	if err != nil {
		return nil, err
	}
	if old.Origin == inventory.RuleFromConfig {
		return nil, configRule(old.ID)
	}
	in.Body.ID = in.ID
	saved, err := a.saveRule(ctx, st, in.Body.rule())
	if err != nil {
		return nil, err
	}
	v := ruleView(*saved)
	a.audit(ctx, "alert_rule.update", v.ID, ruleView(*old), v, http.StatusOK)
	return &struct{ Body AlertRuleView }{v}, nil
}

func (a *API) deleteAlertRule(ctx context.Context, in *ruleIDInput) (*struct{}, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	old, err := a.rule(ctx, st, in.ID)
	if err != nil {
		return nil, err
	}
	if old.Origin == inventory.RuleFromConfig {
		return nil, configRule(old.ID)
	}
	if err := st.DeleteAlertRule(ctx, &store.DeleteAlertRuleParams{ID: in.ID}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, huma.Error404NotFound(fmt.Sprintf("no alert rule %q", in.ID))
		}
		return nil, a.storeError(ctx, "delete alert rule", err)
	}
	a.audit(ctx, "alert_rule.delete", in.ID, ruleView(*old), nil, http.StatusNoContent)
	return &struct{}{}, nil
}

// ---- silences ----

type silencesInput struct {
	Active bool `query:"active" doc:"Only silences that have not ended."`
}

// silenceVisible: a scoped token sees the silences of its vCenters and
// those naming none.
func silenceVisible(sc scope, s inventory.Silence) bool { return s.Vcenter == "" || sc.sees(s.Vcenter) }

func utcSilence(s inventory.Silence) inventory.Silence {
	s.Until, s.CreatedAt = s.Until.UTC(), s.CreatedAt.UTC()
	return s
}

func (a *API) listSilences(ctx context.Context, in *silencesInput) (*listOutput[inventory.Silence], error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	p := &store.ListSilencesParams{}
	if in.Active {
		p.ActiveAt = a.o.Clock()
	}
	ss, err := st.ListSilences(ctx, p)
	if err != nil {
		return nil, a.storeError(ctx, "list silences", err)
	}
	sc := scopeOf(ctx)
	var out []inventory.Silence
	for _, s := range ss {
		if silenceVisible(sc, s) {
			out = append(out, utcSilence(s))
		}
	}
	return newList(out, ""), nil
}

// SilenceInput is the body of a new silence: a rule or an entity (or
// both), until a time or for a duration.
type SilenceInput struct {
	RuleID          string    `json:"rule_id,omitempty" maxLength:"100" doc:"The rule silenced (any rule when empty)."`
	Vcenter         string    `json:"vcenter,omitempty" maxLength:"256" doc:"Only alerts of this vCenter (required for a token with a vCenter scope)."`
	EntityType      string    `json:"entity_type,omitempty" enum:"vm,host,datastore,endpoint,"`
	EntityID        string    `json:"entity_id,omitempty" maxLength:"256" doc:"The entity silenced (any entity when empty)."`
	Until           time.Time `json:"until,omitzero" doc:"When the silence ends (RFC 3339); or give duration_seconds."`
	DurationSeconds float64   `json:"duration_seconds,omitempty" minimum:"0" maximum:"31622400" doc:"How long the silence lasts from now, instead of until."`
	Comment         string    `json:"comment,omitempty" maxLength:"2000"`
}

func (a *API) createSilence(ctx context.Context, in *struct{ Body SilenceInput }) (*struct{ Body inventory.Silence }, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	b := in.Body
	now := a.o.Clock()
	switch {
	case b.RuleID == "" && b.EntityID == "":
		return nil, invalidBody("rule_id", "a silence names a rule (rule_id) or an entity (entity_id), or both")
	case !b.Until.IsZero() && b.DurationSeconds != 0:
		return nil, invalidBody("duration_seconds", "give until or duration_seconds, not both")
	case b.Until.IsZero() && b.DurationSeconds == 0:
		return nil, invalidBody("until", "is required (or duration_seconds)")
	}
	until := b.Until
	if until.IsZero() {
		until = now.Add(time.Duration(b.DurationSeconds * float64(time.Second)))
	}
	if !until.After(now) {
		return nil, invalidBody("until", "must be in the future")
	}
	sc := scopeOf(ctx)
	if !sc.all && (b.Vcenter == "" || !sc.sees(b.Vcenter)) {
		return nil, huma.Error403Forbidden("a token with a vCenter scope silences alerts of one of its vCenters: set vcenter")
	}
	p, _ := PrincipalFrom(ctx)
	s, err := st.CreateSilence(ctx, &store.CreateSilenceParams{Silence: inventory.Silence{RuleID: b.RuleID, Vcenter: b.Vcenter,
		EntityType: inventory.EntityType(b.EntityType), EntityID: b.EntityID, Until: until.UTC(), Comment: b.Comment, CreatedBy: p.Name}})
	if err != nil {
		var ip *store.InvalidParamsError
		if errors.As(err, &ip) {
			return nil, invalidBody(apiBodyField(ip.Field), ip.Reason)
		}
		return nil, a.storeError(ctx, "create silence", err)
	}
	out := utcSilence(*s)
	a.audit(ctx, "silence.create", fmt.Sprint(out.ID), nil, out, http.StatusCreated)
	return &struct{ Body inventory.Silence }{out}, nil
}

// apiBodyField names a store params field (Silence.Until, RuleID) as a
// JSON body field.
func apiBodyField(f string) string {
	if i := strings.LastIndexByte(f, '.'); i >= 0 {
		f = f[i+1:]
	}
	var b strings.Builder
	for i, r := range f {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(f[i-1] >= 'A' && f[i-1] <= 'Z') {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (a *API) deleteSilence(ctx context.Context, in *alertIDInput) (*struct{}, error) {
	st, err := a.alertStore()
	if err != nil {
		return nil, err
	}
	ss, err := st.ListSilences(ctx, &store.ListSilencesParams{})
	if err != nil {
		return nil, a.storeError(ctx, "list silences", err)
	}
	i := slices.IndexFunc(ss, func(s inventory.Silence) bool { return s.ID == in.ID })
	if i < 0 || !silenceVisible(scopeOf(ctx), ss[i]) {
		return nil, huma.Error404NotFound(fmt.Sprintf("no silence %d", in.ID))
	}
	if err := st.DeleteSilence(ctx, &store.DeleteSilenceParams{ID: in.ID}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, huma.Error404NotFound(fmt.Sprintf("no silence %d", in.ID))
		}
		return nil, a.storeError(ctx, "delete silence", err)
	}
	a.audit(ctx, "silence.delete", fmt.Sprint(in.ID), utcSilence(ss[i]), nil, http.StatusNoContent)
	return &struct{}{}, nil
}
