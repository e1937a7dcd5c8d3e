package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The Alerts section (store.AlertStore, store.AlertChannels and
// store.NotificationQueue, run on stores implementing all three): rules
// round-trip and are replaced and deleted; ApplyAlerts inserts alerts,
// their transitions (by AlertIndex) and notifications (with the stored
// alert) in one transaction, refuses a stale ExpectState or a second alert
// that is not resolved for a key with a *ConflictError writing nothing,
// and deletes a pending alert with its history; ListAlerts filters and
// pages newest first; CountAlerts counts what is not resolved; the history
// pages oldest first from Since; silences, channels (their secret kept on
// request, their pending notifications failed on delete) and the queue
// (due times, leases between owners, delivery outcomes, owners' rights,
// listing, pruning) behave as documented; hostile strings survive; invalid
// params are refused naming their field.
func alertTests() []test {
	return []test{
		{"Rules", testAlertRules},
		{"ApplyInsert", testAlertApplyInsert},
		{"ExpectStateConflict", testAlertExpectState},
		{"UniqueKey", testAlertUniqueKey},
		{"DeletePending", testAlertDelete},
		{"ListFilters", testAlertListFilters},
		{"Count", testAlertCount},
		{"History", testAlertHistory},
		{"Silences", testAlertSilences},
		{"Channels", testAlertChannels},
		{"Queue", testAlertQueue},
		{"Hostile", testAlertHostile},
		{"InvalidParams", testAlertInvalid},
		{"ConcurrentClaims", testAlertConcurrentClaims},
		{"ConcurrentKey", testAlertConcurrentKey},
		{"Closed", testAlertClosed},
		{"Cancelled", testAlertCancelled},
	}
}

func implementsAlerts(st store.Store) bool {
	return implements[store.AlertStore](st) && implements[store.AlertChannels](st) && implements[store.NotificationQueue](st)
}

func (e *env) as() store.AlertStore             { return e.st.(store.AlertStore) }
func (e *env) ach() store.AlertChannels         { return e.st.(store.AlertChannels) }
func (e *env) aq() store.NotificationQueue      { return e.st.(store.NotificationQueue) }
func (e *env) alertT(t time.Time) time.Time     { return e.n.t(t) }
func conflictOf(err error) *store.ConflictError { return asType[*store.ConflictError](err) }

func asType[T error](err error) T {
	var v T
	errors.As(err, &v)
	return v
}

// alertAt is the suite's base time for alerts: whole seconds.
var alertAt = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// testAlert returns an open alert of rule about entity i of vc.
func testAlert(rule, vc string, i int) inventory.Alert {
	return inventory.Alert{RuleID: rule, Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityWarning,
		Vcenter: vc, EntityType: inventory.EntityDatastore, EntityID: fmt.Sprintf("datastore-%d", i),
		EntityName: fmt.Sprintf("ds%d", i), State: inventory.AlertOpen, Summary: fmt.Sprintf("ds%d is 91.2%% used", i),
		Value: 91.20000000000002, SeenAt: alertAt.Add(123456789 * time.Nanosecond), OpenedAt: alertAt.Add(time.Minute),
		UpdatedAt: alertAt.Add(time.Minute)}
}

// normAlert is an alert as a store returns it: times at its precision.
func (e *env) normAlert(a inventory.Alert) inventory.Alert {
	a.SeenAt, a.OpenedAt, a.UpdatedAt = e.alertT(a.SeenAt), e.alertT(a.OpenedAt), e.alertT(a.UpdatedAt)
	a.AckedAt, a.ResolvedAt = e.alertT(a.AckedAt), e.alertT(a.ResolvedAt)
	return a
}

func (e *env) applyAlerts(p *store.ApplyAlertsParams) *store.ApplyAlertsResult {
	e.t.Helper()
	res, err := e.as().ApplyAlerts(e.ctx, p)
	e.ok(err, "ApplyAlerts(%d alerts, %d transitions, %d deletes, %d notifications)", len(p.Alerts), len(p.Transitions), len(p.Delete), len(p.Notifications))
	if res == nil || len(res.Alerts) != len(p.Alerts) || len(res.NotificationIDs) != len(p.Notifications) {
		e.t.Fatalf("ApplyAlerts: result %+v does not match the batch", res)
	}
	return res
}

// insertAlerts inserts alerts in one batch and returns them as stored.
func (e *env) insertAlerts(as ...inventory.Alert) []inventory.Alert {
	e.t.Helper()
	p := &store.ApplyAlertsParams{}
	for _, a := range as {
		p.Alerts = append(p.Alerts, store.AlertUpdate{Alert: a})
	}
	return e.applyAlerts(p).Alerts
}

// allAlerts lists every alert matching p, page by page.
func (e *env) allAlerts(p store.ListAlertsParams) []inventory.Alert {
	e.t.Helper()
	var out []inventory.Alert
	for page := 0; ; page++ {
		pg, err := e.as().ListAlerts(e.ctx, &p)
		e.ok(err, "ListAlerts%s page %d", describe(p), page)
		if p.Limit > 0 && len(pg.Alerts) > p.Limit {
			e.t.Fatalf("ListAlerts%s: %d alerts, more than the limit", describe(p), len(pg.Alerts))
		}
		out = append(out, pg.Alerts...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 10000 {
			e.t.Fatal("ListAlerts: more than 10000 pages")
		}
		p.Cursor = pg.NextCursor
	}
}

func (e *env) allHistory(p store.ListAlertHistoryParams) []inventory.AlertTransition {
	e.t.Helper()
	var out []inventory.AlertTransition
	for page := 0; ; page++ {
		pg, err := e.as().ListAlertHistory(e.ctx, &p)
		e.ok(err, "ListAlertHistory%s page %d", describe(p), page)
		if p.Limit > 0 && len(pg.Transitions) > p.Limit {
			e.t.Fatalf("ListAlertHistory%s: %d transitions, more than the limit", describe(p), len(pg.Transitions))
		}
		out = append(out, pg.Transitions...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 10000 {
			e.t.Fatal("ListAlertHistory: more than 10000 pages")
		}
		p.Cursor = pg.NextCursor
	}
}

func (e *env) allNotifications(p store.ListNotificationsParams) []inventory.Notification {
	e.t.Helper()
	var out []inventory.Notification
	for page := 0; ; page++ {
		pg, err := e.aq().ListNotifications(e.ctx, &p)
		e.ok(err, "ListNotifications%s page %d", describe(p), page)
		if p.Limit > 0 && len(pg.Notifications) > p.Limit {
			e.t.Fatalf("ListNotifications%s: %d notifications, more than the limit", describe(p), len(pg.Notifications))
		}
		out = append(out, pg.Notifications...)
		if pg.NextCursor == "" {
			return out
		}
		if page > 10000 {
			e.t.Fatal("ListNotifications: more than 10000 pages")
		}
		p.Cursor = pg.NextCursor
	}
}

// alertContents is everything the alert interfaces hold.
type alertContents struct {
	Rules         []inventory.AlertRule
	Alerts        []inventory.Alert
	History       []inventory.AlertTransition
	Silences      []inventory.Silence
	Channels      []inventory.AlertChannel
	Notifications []inventory.Notification
}

func (e *env) alertDump() *alertContents {
	e.t.Helper()
	c := &alertContents{Alerts: e.allAlerts(store.ListAlertsParams{}), History: e.allHistory(store.ListAlertHistoryParams{}),
		Notifications: e.allNotifications(store.ListNotificationsParams{})}
	var err error
	c.Rules, err = e.as().ListAlertRules(e.ctx, &store.ListAlertRulesParams{})
	e.ok(err, "ListAlertRules")
	c.Silences, err = e.as().ListSilences(e.ctx, &store.ListSilencesParams{})
	e.ok(err, "ListSilences")
	c.Channels, err = e.ach().ListAlertChannels(e.ctx, &store.ListAlertChannelsParams{})
	e.ok(err, "ListAlertChannels")
	return c
}

func (e *env) alertsUnchanged(before *alertContents, format string, args ...any) {
	e.t.Helper()
	if d := cmp.Diff(before, e.alertDump(), cmpopts.EquateEmpty()); d != "" {
		e.t.Fatalf("%s changed the store (-before +after):\n%s", fmt.Sprintf(format, args...), d)
	}
}

// wantConflict checks that err is a *store.ConflictError of op wrapping
// store.ErrConflict.
func (e *env) wantConflict(err error, op, what string) {
	e.t.Helper()
	ce := conflictOf(err)
	if ce == nil || !errors.Is(err, store.ErrConflict) {
		e.t.Fatalf("%s %s: got error %v (%T), want a *store.ConflictError wrapping store.ErrConflict", op, what, err, err)
	}
	if ce.Op != op {
		e.t.Errorf("%s %s: ConflictError.Op = %q, want %q", op, what, ce.Op, op)
	}
}

// ---------------------------------------------------------------------------
// Rules

func testAlertRule(id string) inventory.AlertRule {
	return inventory.AlertRule{ID: id, Name: "Datastore " + id, Kind: inventory.RuleDatastoreUsedPct,
		Severity: inventory.SeverityCritical, Enabled: true,
		Scope:     inventory.AlertScope{Vcenters: []string{"vc-a", "vc-b"}, Clusters: []string{"c1"}, Name: "^ds[0-9]+$"},
		Threshold: 85.5, Clear: 80.25, Duration: 90 * time.Minute, For: 5*time.Minute + 7*time.Nanosecond,
		Channels: []string{"ops", "pager"}, Origin: inventory.RuleFromAPI}
}

func testAlertRules(e *env) {
	before := time.Now().Add(-time.Second)
	a, b := testAlertRule("r-b"), testAlertRule("r-a")
	b.Enabled, b.Scope, b.Channels, b.Kind, b.Threshold, b.Clear, b.Duration = false, inventory.AlertScope{}, nil, inventory.RuleHostDisconnected, 0, 0, 0
	for _, r := range []inventory.AlertRule{a, b} {
		got, err := e.as().PutAlertRule(e.ctx, &store.PutAlertRuleParams{Rule: r})
		e.ok(err, "PutAlertRule(%s)", r.ID)
		if got.UpdatedAt.Before(before) || !got.UpdatedAt.Equal(e.alertT(got.UpdatedAt)) || got.UpdatedAt.Location() != time.UTC {
			e.t.Errorf("PutAlertRule(%s).UpdatedAt = %v, want the store's clock in UTC at its precision", r.ID, got.UpdatedAt)
		}
		r.UpdatedAt = got.UpdatedAt
		if d := cmp.Diff(r, *got, cmpopts.EquateEmpty()); d != "" {
			e.t.Errorf("PutAlertRule(%s) returned (-want +got):\n%s", r.ID, d)
		}
	}
	list := func(enabledOnly bool) []inventory.AlertRule {
		rs, err := e.as().ListAlertRules(e.ctx, &store.ListAlertRulesParams{EnabledOnly: enabledOnly})
		e.ok(err, "ListAlertRules(EnabledOnly %v)", enabledOnly)
		for i := range rs {
			rs[i].UpdatedAt = time.Time{}
		}
		return rs
	}
	a.UpdatedAt, b.UpdatedAt = time.Time{}, time.Time{}
	if d := cmp.Diff([]inventory.AlertRule{b, a}, list(false), cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("ListAlertRules: rules by ID (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]inventory.AlertRule{a}, list(true), cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("ListAlertRules(EnabledOnly): (-want +got):\n%s", d)
	}
	// Replace.
	a.Severity, a.Threshold, a.Scope.Vcenters, a.Channels = inventory.SeverityInfo, 95, []string{"vc-c"}, []string{"mail"}
	_, err := e.as().PutAlertRule(e.ctx, &store.PutAlertRuleParams{Rule: a})
	e.ok(err, "PutAlertRule(replace r-b)")
	if d := cmp.Diff([]inventory.AlertRule{b, a}, list(false), cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("ListAlertRules after replacing r-b (-want +got):\n%s", d)
	}
	// Delete.
	e.ok(e.as().DeleteAlertRule(e.ctx, &store.DeleteAlertRuleParams{ID: "r-a"}), "DeleteAlertRule(r-a)")
	if d := cmp.Diff([]inventory.AlertRule{a}, list(false), cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("ListAlertRules after deleting r-a (-want +got):\n%s", d)
	}
	if err := e.as().DeleteAlertRule(e.ctx, &store.DeleteAlertRuleParams{ID: "r-a"}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("DeleteAlertRule(r-a) again: err = %v, want store.ErrNotFound", err)
	}
}

// ---------------------------------------------------------------------------
// ApplyAlerts

func testAlertApplyInsert(e *env) {
	prev := e.insertAlerts(testAlert("r1", "vc-a", 9))[0]
	a, b := testAlert("r1", "vc-a", 1), testAlert("r2", "vc-b", 2)
	b.State, b.OpenedAt, b.Severity = inventory.AlertPending, time.Time{}, inventory.SeverityCritical
	test := inventory.Notification{Channel: "ops", Event: inventory.NotifyTest, Extra: json.RawMessage(`{"k": [1, 2.5, "x"]}`)}
	due := alertAt.Add(time.Hour + 789*time.Nanosecond)
	res := e.applyAlerts(&store.ApplyAlertsParams{
		Alerts: []store.AlertUpdate{{Alert: a}, {Alert: b}},
		Transitions: []store.AlertTransitionRef{
			{Transition: inventory.AlertTransition{To: inventory.AlertPending, At: alertAt, Summary: "seen"}, AlertIndex: 1},
			{Transition: inventory.AlertTransition{From: inventory.AlertPending, To: inventory.AlertOpen, At: alertAt.Add(time.Minute), Summary: "opened"}, AlertIndex: 0},
			{Transition: inventory.AlertTransition{AlertID: prev.ID, From: inventory.AlertOpen, To: inventory.AlertOpen, At: alertAt.Add(2 * time.Minute), By: "op", Comment: "note"}, AlertIndex: -1},
		},
		Notifications: []store.NotificationRef{
			{Notification: inventory.Notification{Channel: "ops", Event: inventory.NotifyOpened}, AlertIndex: 0},
			{Notification: inventory.Notification{Channel: "pager", Event: inventory.NotifyOpened, NextAttempt: due}, AlertIndex: 0},
			{Notification: test, AlertIndex: -1},
		},
	})
	ids := []int64{res.Alerts[0].ID, res.Alerts[1].ID}
	if ids[0] <= prev.ID || ids[1] <= prev.ID || ids[0] == ids[1] {
		e.t.Fatalf("ApplyAlerts IDs = %v after %d, want new distinct IDs", ids, prev.ID)
	}
	for i, want := range []inventory.Alert{a, b} {
		want.ID = ids[i]
		want = e.normAlert(want)
		if d := cmp.Diff(want, res.Alerts[i]); d != "" {
			e.t.Errorf("ApplyAlerts result alert %d (-want +got):\n%s", i, d)
		}
		got, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{ID: ids[i]})
		e.ok(err, "GetAlert(%d)", ids[i])
		if d := cmp.Diff(want, *got); d != "" {
			e.t.Errorf("GetAlert(%d) (-want +got):\n%s", ids[i], d)
		}
	}
	if _, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{ID: ids[1] + 1000}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("GetAlert(unknown): err = %v, want store.ErrNotFound", err)
	}
	hist := e.allHistory(store.ListAlertHistoryParams{})
	wantHist := []inventory.AlertTransition{
		{AlertID: ids[1], To: inventory.AlertPending, At: alertAt, Summary: "seen"},
		{AlertID: ids[0], From: inventory.AlertPending, To: inventory.AlertOpen, At: alertAt.Add(time.Minute), Summary: "opened"},
		{AlertID: prev.ID, From: inventory.AlertOpen, To: inventory.AlertOpen, At: alertAt.Add(2 * time.Minute), By: "op", Comment: "note"},
	}
	if len(hist) == 3 {
		for i := range hist {
			wantHist[i].ID = hist[i].ID
			if i > 0 && hist[i].ID <= hist[i-1].ID {
				e.t.Errorf("ListAlertHistory: IDs %d then %d, want increasing", hist[i-1].ID, hist[i].ID)
			}
		}
	}
	if d := cmp.Diff(wantHist, hist); d != "" {
		e.t.Errorf("ListAlertHistory: transitions in batch order (-want +got):\n%s", d)
	}
	ns := e.allNotifications(store.ListNotificationsParams{})
	if len(ns) != 3 {
		e.t.Fatalf("ListNotifications: %d notifications, want 3", len(ns))
	}
	slices.Reverse(ns) // newest first
	for i, n := range ns {
		if n.ID != res.NotificationIDs[i] {
			e.t.Errorf("notification %d: ID %d, want ApplyAlerts' %d", i, n.ID, res.NotificationIDs[i])
		}
		if n.State != inventory.NotificationPending || n.Attempts != 0 || n.CreatedAt.IsZero() || !n.CreatedAt.Equal(e.alertT(n.CreatedAt)) {
			e.t.Errorf("notification %d = %+v, want pending, 0 attempts, CreatedAt set at the store's precision", i, n)
		}
	}
	if !ns[0].NextAttempt.Equal(ns[0].CreatedAt) {
		e.t.Errorf("notification 0: NextAttempt %v, want CreatedAt %v (the default)", ns[0].NextAttempt, ns[0].CreatedAt)
	}
	if !ns[1].NextAttempt.Equal(e.alertT(due)) {
		e.t.Errorf("notification 1: NextAttempt %v, want %v", ns[1].NextAttempt, e.alertT(due))
	}
	for i := range 2 {
		if d := cmp.Diff(res.Alerts[0], ns[i].Alert); d != "" {
			e.t.Errorf("notification %d: Alert is not the stored alert (-want +got):\n%s", i, d)
		}
	}
	if d := cmp.Diff(inventory.Alert{}, ns[2].Alert); d != "" || ns[2].Event != inventory.NotifyTest || ns[2].Channel != "ops" {
		e.t.Errorf("test notification = %+v, want the zero alert as given", ns[2])
	}
	var x, y any
	if json.Unmarshal(ns[2].Extra, &x) != nil || json.Unmarshal(test.Extra, &y) != nil || !cmp.Equal(x, y) {
		e.t.Errorf("test notification Extra = %s, want %s", ns[2].Extra, test.Extra)
	}
}

func testAlertExpectState(e *env) {
	stored := e.insertAlerts(testAlert("r1", "vc-a", 1))[0]
	ack := stored
	ack.State, ack.AckedAt, ack.AckedBy = inventory.AlertAcknowledged, alertAt.Add(time.Hour), "alice"
	before := e.alertDump()
	_, err := e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{
		Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 2)}, {Alert: ack, ExpectState: inventory.AlertPending}},
		Transitions: []store.AlertTransitionRef{
			{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertAt}, AlertIndex: 0},
			{Transition: inventory.AlertTransition{AlertID: stored.ID, From: inventory.AlertPending, To: inventory.AlertAcknowledged, At: alertAt}},
		},
		Notifications: []store.NotificationRef{{Notification: inventory.Notification{Channel: "ops", Event: inventory.NotifyOpened}, AlertIndex: 0}},
	})
	e.wantConflict(err, "ApplyAlerts", "with a stale ExpectState")
	e.alertsUnchanged(before, "ApplyAlerts with a stale ExpectState")
	// The right ExpectState applies.
	res := e.applyAlerts(&store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: ack, ExpectState: inventory.AlertOpen}}})
	if got, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{ID: stored.ID}); err != nil || got.State != inventory.AlertAcknowledged || got.AckedBy != "alice" {
		e.t.Errorf("GetAlert after the acknowledgement = %+v, %v", got, err)
	}
	if res.Alerts[0].ID != stored.ID {
		e.t.Errorf("an update returned ID %d, want %d", res.Alerts[0].ID, stored.ID)
	}
	// An update of an alert that does not exist conflicts too.
	before = e.alertDump()
	gone := stored
	gone.ID += 1000
	_, err = e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r9", "vc-a", 1)}, {Alert: gone}}})
	e.wantConflict(err, "ApplyAlerts", "updating an unknown alert")
	e.alertsUnchanged(before, "ApplyAlerts updating an unknown alert")
}

func testAlertUniqueKey(e *env) {
	first := e.insertAlerts(testAlert("r1", "vc-a", 1))[0]
	before := e.alertDump()
	for _, st := range []inventory.AlertState{inventory.AlertPending, inventory.AlertOpen, inventory.AlertAcknowledged} {
		dup := testAlert("r1", "vc-a", 1)
		dup.State = st
		_, err := e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 5)}, {Alert: dup}}})
		e.wantConflict(err, "ApplyAlerts", "a second "+string(st)+" alert for a key")
		e.alertsUnchanged(before, "ApplyAlerts with a second %s alert for a key", st)
	}
	// Two new ones in one batch conflict too.
	_, err := e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 6)}, {Alert: testAlert("r1", "vc-a", 6)}}})
	e.wantConflict(err, "ApplyAlerts", "two new alerts for a key")
	e.alertsUnchanged(before, "ApplyAlerts with two new alerts for a key")
	// Other keys are fine: another rule, vCenter, entity type or ID.
	other := []inventory.Alert{testAlert("r2", "vc-a", 1), testAlert("r1", "vc-b", 1), testAlert("r1", "vc-a", 2), testAlert("r1", "vc-a", 1)}
	other[3].EntityType = inventory.EntityHost
	e.insertAlerts(other...)
	// A resolved one for the key is fine, and once the first resolves a
	// new one is too (here in the batch that resolves it).
	resolved := testAlert("r1", "vc-a", 1)
	resolved.State, resolved.ResolvedAt = inventory.AlertResolved, alertAt.Add(time.Hour)
	e.insertAlerts(resolved)
	first.State, first.ResolvedAt = inventory.AlertResolved, alertAt.Add(2*time.Hour)
	res := e.applyAlerts(&store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 1)}, {Alert: first, ExpectState: inventory.AlertOpen}}})
	open := e.allAlerts(store.ListAlertsParams{RuleID: "r1", Vcenter: "vc-a", EntityType: inventory.EntityDatastore, EntityID: "datastore-1",
		States: []inventory.AlertState{inventory.AlertPending, inventory.AlertOpen, inventory.AlertAcknowledged}})
	if len(open) != 1 || open[0].ID != res.Alerts[0].ID {
		e.t.Errorf("alerts not resolved for the key = %+v, want only the new one %d", open, res.Alerts[0].ID)
	}
	// Reopening the first one while the new one is open conflicts.
	first.State = inventory.AlertOpen
	before = e.alertDump()
	_, err = e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: first}}})
	e.wantConflict(err, "ApplyAlerts", "reopening a resolved alert whose key is taken")
	e.alertsUnchanged(before, "ApplyAlerts reopening a resolved alert whose key is taken")
}

func testAlertDelete(e *env) {
	pending, kept := testAlert("r1", "vc-a", 1), testAlert("r1", "vc-a", 2)
	pending.State, pending.OpenedAt = inventory.AlertPending, time.Time{}
	res := e.applyAlerts(&store.ApplyAlertsParams{
		Alerts: []store.AlertUpdate{{Alert: pending}, {Alert: kept}},
		Transitions: []store.AlertTransitionRef{
			{Transition: inventory.AlertTransition{To: inventory.AlertPending, At: alertAt}, AlertIndex: 0},
			{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertAt}, AlertIndex: 1},
		},
	})
	e.applyAlerts(&store.ApplyAlertsParams{Transitions: []store.AlertTransitionRef{
		{Transition: inventory.AlertTransition{AlertID: res.Alerts[0].ID, From: inventory.AlertPending, To: inventory.AlertPending, At: alertAt.Add(time.Minute)}},
	}})
	// The key is free again in the batch that deletes it.
	again := e.applyAlerts(&store.ApplyAlertsParams{Delete: []int64{res.Alerts[0].ID}, Alerts: []store.AlertUpdate{{Alert: pending}}})
	if _, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{ID: res.Alerts[0].ID}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("GetAlert(deleted): err = %v, want store.ErrNotFound", err)
	}
	if h := e.allHistory(store.ListAlertHistoryParams{AlertID: res.Alerts[0].ID}); len(h) != 0 {
		e.t.Errorf("history of the deleted alert = %+v, want none", h)
	}
	if h := e.allHistory(store.ListAlertHistoryParams{}); len(h) != 1 || h[0].AlertID != res.Alerts[1].ID {
		e.t.Errorf("history after the delete = %+v, want the other alert's transition only", h)
	}
	all := e.allAlerts(store.ListAlertsParams{})
	if len(all) != 2 || all[0].ID != again.Alerts[0].ID || all[1].ID != res.Alerts[1].ID {
		e.t.Errorf("alerts after the delete = %+v", all)
	}
	// A transition to a deleted alert conflicts.
	before := e.alertDump()
	_, err := e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Transitions: []store.AlertTransitionRef{
		{Transition: inventory.AlertTransition{AlertID: res.Alerts[0].ID, To: inventory.AlertOpen, At: alertAt}}}})
	e.wantConflict(err, "ApplyAlerts", "a transition of a deleted alert")
	e.alertsUnchanged(before, "ApplyAlerts with a transition of a deleted alert")
}

// alertSet inserts a varied set of alerts and returns them as stored.
func (e *env) alertSet() []inventory.Alert {
	e.t.Helper()
	var as []inventory.Alert
	states := []inventory.AlertState{inventory.AlertPending, inventory.AlertOpen, inventory.AlertAcknowledged, inventory.AlertResolved}
	for i := range 24 {
		a := testAlert([]string{"r1", "r2", "r3"}[i%3], []string{"vc-a", "vc-b"}[i%2], i)
		a.State = states[i%4]
		a.Severity = inventory.AlertSeverities()[i%3]
		if i%5 == 0 {
			a.EntityType, a.EntityID = inventory.EntityEndpoint, a.Vcenter
			a.EntityID = fmt.Sprintf("%s-%d", a.Vcenter, i)
		}
		as = append(as, a)
	}
	// Several batches, so IDs are not one batch's.
	return append(e.insertAlerts(as[:10]...), e.insertAlerts(as[10:]...)...)
}

func testAlertListFilters(e *env) {
	stored := e.alertSet()
	newest := slices.Clone(stored)
	slices.SortFunc(newest, func(a, b inventory.Alert) int { return int(b.ID - a.ID) })
	match := func(p store.ListAlertsParams) []inventory.Alert {
		var out []inventory.Alert
		for _, a := range newest {
			if (len(p.States) == 0 || slices.Contains(p.States, a.State)) && (len(p.Severities) == 0 || slices.Contains(p.Severities, a.Severity)) &&
				(p.RuleID == "" || p.RuleID == a.RuleID) && (p.Vcenter == "" || p.Vcenter == a.Vcenter) &&
				(p.EntityType == "" || p.EntityType == a.EntityType) && (p.EntityID == "" || p.EntityID == a.EntityID) &&
				(p.Vcenters == nil || slices.Contains(p.Vcenters, a.Vcenter)) {
				out = append(out, a)
			}
		}
		return out
	}
	for _, p := range []store.ListAlertsParams{
		{},
		{Limit: 1},
		{Limit: 5},
		{States: []inventory.AlertState{inventory.AlertOpen}},
		{States: []inventory.AlertState{inventory.AlertPending, inventory.AlertAcknowledged}, Limit: 2},
		{Severities: []inventory.AlertSeverity{inventory.SeverityCritical}},
		{Severities: []inventory.AlertSeverity{inventory.SeverityInfo, inventory.SeverityWarning}, States: []inventory.AlertState{inventory.AlertResolved}},
		{RuleID: "r2"},
		{Vcenter: "vc-b", Limit: 3},
		{EntityType: inventory.EntityEndpoint},
		{EntityID: "datastore-7"},
		{RuleID: "r1", EntityType: inventory.EntityDatastore, EntityID: "datastore-3", Vcenter: "vc-b"},
		{Vcenters: []string{"vc-a"}, Limit: 4},
		{Vcenters: []string{"vc-a", "vc-b", "vc-z"}},
		{Vcenters: []string{}},
		{Vcenters: []string{"vc-z"}},
		{Vcenters: []string{"vc-b"}, Vcenter: "vc-a"},
		{RuleID: "nope"},
	} {
		want := match(p)
		got := e.allAlerts(p)
		if d := cmp.Diff(want, got, cmpopts.EquateEmpty()); d != "" {
			e.t.Errorf("ListAlerts%s: newest first, filtered (-want +got):\n%s", describe(p), d)
		}
	}
	// The page size defaults to 100 and is capped at 1000.
	pg, err := e.as().ListAlerts(e.ctx, &store.ListAlertsParams{Limit: 5000})
	e.ok(err, "ListAlerts(Limit 5000)")
	if len(pg.Alerts) != len(stored) || pg.NextCursor != "" {
		e.t.Errorf("ListAlerts(Limit 5000): %d alerts, cursor %q; want %d and none", len(pg.Alerts), pg.NextCursor, len(stored))
	}
}

func testAlertCount(e *env) {
	stored := e.alertSet()
	count := func(vcs []string) []store.AlertCount {
		m := map[[2]string]int{}
		for _, a := range stored {
			if a.State != inventory.AlertResolved && (vcs == nil || slices.Contains(vcs, a.Vcenter)) {
				m[[2]string{string(a.State), string(a.Severity)}]++
			}
		}
		var out []store.AlertCount
		for _, st := range []inventory.AlertState{inventory.AlertPending, inventory.AlertOpen, inventory.AlertAcknowledged} {
			for _, sev := range inventory.AlertSeverities() {
				if n := m[[2]string{string(st), string(sev)}]; n > 0 {
					out = append(out, store.AlertCount{State: st, Severity: sev, Count: n})
				}
			}
		}
		return out
	}
	sorted := func(c []store.AlertCount) []store.AlertCount {
		c = slices.Clone(c)
		slices.SortFunc(c, func(a, b store.AlertCount) int {
			return strings.Compare(string(a.State)+"/"+string(a.Severity), string(b.State)+"/"+string(b.Severity))
		})
		return c
	}
	for _, vcs := range [][]string{nil, {"vc-a"}, {"vc-b", "vc-z"}, {}} {
		got, err := e.as().CountAlerts(e.ctx, &store.CountAlertsParams{Vcenters: vcs})
		e.ok(err, "CountAlerts(%q)", vcs)
		if d := cmp.Diff(sorted(count(vcs)), sorted(got), cmpopts.EquateEmpty()); d != "" {
			e.t.Errorf("CountAlerts(Vcenters %q) (-want +got):\n%s", vcs, d)
		}
	}
}

func testAlertHistory(e *env) {
	as := e.insertAlerts(testAlert("r1", "vc-a", 1), testAlert("r1", "vc-a", 2))
	var want []inventory.AlertTransition
	for i := range 7 {
		t := inventory.AlertTransition{AlertID: as[i%2].ID, From: inventory.AlertOpen, To: inventory.AlertAcknowledged,
			At: alertAt.Add(time.Duration(7-i)*time.Minute + 500*time.Nanosecond), Summary: fmt.Sprint(i)}
		e.applyAlerts(&store.ApplyAlertsParams{Transitions: []store.AlertTransitionRef{{Transition: t}}})
		t.At = e.alertT(t.At)
		want = append(want, t)
	}
	got := e.allHistory(store.ListAlertHistoryParams{Limit: 2})
	if len(got) == len(want) {
		for i := range got {
			want[i].ID = got[i].ID
			if i > 0 && got[i].ID <= got[i-1].ID {
				e.t.Errorf("ListAlertHistory: IDs %d then %d, want oldest first", got[i-1].ID, got[i].ID)
			}
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		e.t.Fatalf("ListAlertHistory(Limit 2): every transition in ID order (-want +got):\n%s", d)
	}
	for _, p := range []store.ListAlertHistoryParams{
		{AlertID: as[1].ID},
		{Since: alertAt.Add(4 * time.Minute)},
		{Since: alertAt.Add(4*time.Minute + 500*time.Nanosecond)},
		{Since: alertAt.Add(4*time.Minute + 501*time.Nanosecond), Limit: 1},
		{Since: alertAt.Add(3 * time.Minute), AlertID: as[0].ID, Limit: 1},
		{Since: alertAt.Add(time.Hour)},
	} {
		var w []inventory.AlertTransition
		for _, t := range want {
			// A stored At is at or after Since when it is not before it;
			// Since between two stored instants rounds up.
			if (p.AlertID == 0 || t.AlertID == p.AlertID) && !t.At.Before(p.Since) {
				w = append(w, t)
			}
		}
		if d := cmp.Diff(w, e.allHistory(p), cmpopts.EquateEmpty()); d != "" {
			e.t.Errorf("ListAlertHistory%s (-want +got):\n%s", describe(p), d)
		}
	}
}

// ---------------------------------------------------------------------------
// Silences

func testAlertSilences(e *env) {
	now := time.Now()
	var created []inventory.Silence
	for i, s := range []inventory.Silence{
		{RuleID: "r1", Until: now.Add(3*time.Hour + 999*time.Nanosecond), Comment: "maintenance", CreatedBy: "alice"},
		{Vcenter: "vc-a", EntityType: inventory.EntityHost, EntityID: "host-1", Until: now.Add(time.Hour)},
		{RuleID: "r2", EntityID: "vm-1", Until: now.Add(2 * time.Hour)},
	} {
		got, err := e.as().CreateSilence(e.ctx, &store.CreateSilenceParams{Silence: s})
		e.ok(err, "CreateSilence(%d)", i)
		if got.ID <= 0 || got.CreatedAt.IsZero() || got.CreatedAt.Before(now.Add(-time.Second)) || !got.CreatedAt.Equal(e.alertT(got.CreatedAt)) {
			e.t.Errorf("CreateSilence(%d) = %+v, want an ID and CreatedAt from the store's clock", i, got)
		}
		s.ID, s.CreatedAt, s.Until = got.ID, got.CreatedAt, e.alertT(s.Until)
		if d := cmp.Diff(s, *got); d != "" {
			e.t.Errorf("CreateSilence(%d) (-want +got):\n%s", i, d)
		}
		created = append(created, s)
	}
	list := func(at time.Time) []inventory.Silence {
		got, err := e.as().ListSilences(e.ctx, &store.ListSilencesParams{ActiveAt: at})
		e.ok(err, "ListSilences(%v)", at)
		return got
	}
	if d := cmp.Diff(created, list(time.Time{})); d != "" {
		e.t.Errorf("ListSilences: every silence by ID (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]inventory.Silence{created[0], created[2]}, list(now.Add(90*time.Minute))); d != "" {
		e.t.Errorf("ListSilences(ActiveAt +90m) (-want +got):\n%s", d)
	}
	// Until is exclusive: a silence ending at ActiveAt is over.
	if d := cmp.Diff([]inventory.Silence{created[0]}, list(created[2].Until)); d != "" {
		e.t.Errorf("ListSilences(ActiveAt = a silence's Until) (-want +got):\n%s", d)
	}
	if got := list(created[0].Until.Add(-time.Nanosecond)); len(got) != 1 {
		e.t.Errorf("ListSilences(1 ns before the last Until) = %+v, want that silence", got)
	}
	e.ok(e.as().DeleteSilence(e.ctx, &store.DeleteSilenceParams{ID: created[1].ID}), "DeleteSilence")
	if d := cmp.Diff([]inventory.Silence{created[0], created[2]}, list(time.Time{})); d != "" {
		e.t.Errorf("ListSilences after a delete (-want +got):\n%s", d)
	}
	if err := e.as().DeleteSilence(e.ctx, &store.DeleteSilenceParams{ID: created[1].ID}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("DeleteSilence again: err = %v, want store.ErrNotFound", err)
	}
	before := e.alertDump()
	for _, c := range []struct {
		s     inventory.Silence
		field string
	}{
		{inventory.Silence{Vcenter: "vc-a", Until: now.Add(time.Hour)}, "Silence.RuleID"},
		{inventory.Silence{RuleID: "r1", Until: now.Add(-time.Minute)}, "Silence.Until"},
		{inventory.Silence{RuleID: "r1"}, "Silence.Until"},
		{inventory.Silence{EntityID: "x", EntityType: "planet", Until: now.Add(time.Hour)}, "Silence.EntityType"},
		{inventory.Silence{RuleID: "r1", Comment: "bad\x00", Until: now.Add(time.Hour)}, "Silence.Comment"},
	} {
		_, err := e.as().CreateSilence(e.ctx, &store.CreateSilenceParams{Silence: c.s})
		if ipe := wantInvalid(e.t, err, "CreateSilence", fmt.Sprintf("%+v", c.s)); ipe != nil && ipe.Field != c.field {
			e.t.Errorf("CreateSilence(%+v): field %q, want %q", c.s, ipe.Field, c.field)
		}
	}
	e.alertsUnchanged(before, "invalid CreateSilence")
}

// ---------------------------------------------------------------------------
// Channels

func testAlertChannels(e *env) {
	secret := []byte{0, 1, 2, 0xff, 0xfe, 'k', 0}
	web := inventory.AlertChannel{Name: "web", Kind: inventory.ChannelWebhook, Enabled: true, MinSeverity: inventory.SeverityWarning,
		URL: "https://hooks.example/x?a=1&b=2", RatePerMinute: 30, DigestAfter: 7, Secret: secret}
	mail := inventory.AlertChannel{Name: "mail", Kind: inventory.ChannelEmail, SMTPHost: "smtp.example", SMTPPort: 587,
		From: "vinv@example", To: []string{"a@example", "b@example"}, Username: "user", TLS: "starttls"}
	put := func(c inventory.AlertChannel, keep bool) inventory.AlertChannel {
		got, err := e.ach().PutAlertChannel(e.ctx, &store.PutAlertChannelParams{Channel: c, KeepSecret: keep})
		e.ok(err, "PutAlertChannel(%s)", c.Name)
		if got.UpdatedAt.IsZero() || !got.UpdatedAt.Equal(e.alertT(got.UpdatedAt)) {
			e.t.Errorf("PutAlertChannel(%s).UpdatedAt = %v", c.Name, got.UpdatedAt)
		}
		return *got
	}
	get := func(name string) inventory.AlertChannel {
		got, err := e.ach().GetAlertChannel(e.ctx, &store.GetAlertChannelParams{Name: name})
		e.ok(err, "GetAlertChannel(%s)", name)
		return *got
	}
	noTime := cmpopts.IgnoreFields(inventory.AlertChannel{}, "UpdatedAt")
	web.HasSecret = true
	for _, c := range []inventory.AlertChannel{web, mail} {
		if d := cmp.Diff(c, put(c, false), noTime, cmpopts.EquateEmpty()); d != "" {
			e.t.Errorf("PutAlertChannel(%s) (-want +got):\n%s", c.Name, d)
		}
		if d := cmp.Diff(c, get(c.Name), noTime, cmpopts.EquateEmpty()); d != "" {
			e.t.Errorf("GetAlertChannel(%s) (-want +got):\n%s", c.Name, d)
		}
	}
	all, err := e.ach().ListAlertChannels(e.ctx, &store.ListAlertChannelsParams{})
	e.ok(err, "ListAlertChannels")
	if d := cmp.Diff([]inventory.AlertChannel{mail, web}, all, noTime, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("ListAlertChannels: by name, with secrets (-want +got):\n%s", d)
	}
	// KeepSecret with no secret keeps the stored one; without KeepSecret a
	// nil secret clears it; a new secret replaces it.
	web2 := web
	web2.Secret, web2.HasSecret, web2.URL = nil, false, "https://hooks.example/y"
	want := web2
	want.Secret, want.HasSecret = secret, true
	if d := cmp.Diff(want, put(web2, true), noTime, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("PutAlertChannel(KeepSecret) (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, get("web"), noTime, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("GetAlertChannel after KeepSecret (-want +got):\n%s", d)
	}
	web3 := web2
	web3.Secret = []byte("new")
	want = web3
	want.HasSecret = true
	if d := cmp.Diff(want, put(web3, true), noTime, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("PutAlertChannel(KeepSecret, new secret) (-want +got):\n%s", d)
	}
	if d := cmp.Diff(web2, put(web2, false), noTime, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("PutAlertChannel(no secret, no KeepSecret) (-want +got):\n%s", d)
	}
	if d := cmp.Diff(web2, get("web"), noTime, cmpopts.EquateEmpty()); d != "" {
		e.t.Errorf("GetAlertChannel after clearing the secret (-want +got):\n%s", d)
	}
	// KeepSecret on a new channel stores none.
	if got := put(inventory.AlertChannel{Name: "slack", Kind: inventory.ChannelSlack}, true); got.HasSecret || got.Secret != nil {
		e.t.Errorf("PutAlertChannel(new, KeepSecret) = %+v, want no secret", got)
	}
	// Deleting a channel fails its pending notifications only.
	ids, err := e.aq().EnqueueNotifications(e.ctx, &store.EnqueueNotificationsParams{Notifications: []inventory.Notification{
		{Channel: "web", Event: inventory.NotifyTest}, {Channel: "web", Event: inventory.NotifyTest}, {Channel: "mail", Event: inventory.NotifyTest},
	}})
	e.ok(err, "EnqueueNotifications")
	claimAt := time.Now().Add(time.Hour)
	cl, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: "d1", Now: claimAt, Lease: time.Minute, Channel: "web", Limit: 1})
	e.ok(err, "ClaimNotifications")
	if len(cl) != 1 || cl[0].ID != ids[0] {
		e.t.Fatalf("ClaimNotifications(web, Limit 1) = %+v, want notification %d", cl, ids[0])
	}
	e.ok(e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Owner: "d1",
		Results: []store.NotificationResult{{ID: ids[0], Delivered: true, At: claimAt}}}), "FinishNotifications")
	e.ok(e.ach().DeleteAlertChannel(e.ctx, &store.DeleteAlertChannelParams{Name: "web"}), "DeleteAlertChannel(web)")
	if _, err := e.ach().GetAlertChannel(e.ctx, &store.GetAlertChannelParams{Name: "web"}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("GetAlertChannel(deleted): err = %v, want store.ErrNotFound", err)
	}
	if err := e.ach().DeleteAlertChannel(e.ctx, &store.DeleteAlertChannelParams{Name: "web"}); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("DeleteAlertChannel again: err = %v, want store.ErrNotFound", err)
	}
	states := map[int64]inventory.NotificationState{}
	for _, n := range e.allNotifications(store.ListNotificationsParams{}) {
		states[n.ID] = n.State
	}
	wantStates := map[int64]inventory.NotificationState{ids[0]: inventory.NotificationDelivered, ids[1]: inventory.NotificationFailed, ids[2]: inventory.NotificationPending}
	if d := cmp.Diff(wantStates, states); d != "" {
		e.t.Errorf("notification states after deleting channel web (-want +got):\n%s", d)
	}
	if cl, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: "d1", Now: claimAt, Lease: time.Minute, Channel: "web"}); err != nil || len(cl) != 0 {
		e.t.Errorf("ClaimNotifications(web) after the delete = %+v, %v; want none", cl, err)
	}
}

// ---------------------------------------------------------------------------
// Queue

func testAlertQueue(e *env) {
	base := time.Now().Add(time.Hour).Truncate(time.Second)
	a := e.insertAlerts(testAlert("r1", "vc-a", 1))[0]
	ns := []inventory.Notification{
		{Channel: "ops", Event: inventory.NotifyOpened, Alert: a, NextAttempt: base},
		{Channel: "pager", Event: inventory.NotifyOpened, Alert: a, NextAttempt: base.Add(time.Minute)},
		{Channel: "ops", Event: inventory.NotifyResolved, Alert: a, NextAttempt: base.Add(-time.Minute)},
		{Channel: "ops", Event: inventory.NotifyTest, NextAttempt: base.Add(10 * time.Minute)},
		{Channel: "ops", Event: inventory.NotifyTest},
	}
	ids, err := e.aq().EnqueueNotifications(e.ctx, &store.EnqueueNotificationsParams{Notifications: ns})
	e.ok(err, "EnqueueNotifications")
	if len(ids) != len(ns) || !slices.IsSorted(ids) || slices.Compact(slices.Clone(ids))[len(ids)-1] != ids[len(ids)-1] {
		e.t.Fatalf("EnqueueNotifications IDs = %v, want %d increasing", ids, len(ns))
	}
	claim := func(owner string, now time.Time, lease time.Duration, channel string, limit int) []int64 {
		e.t.Helper()
		got, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: owner, Now: now, Lease: lease, Channel: channel, Limit: limit})
		e.ok(err, "ClaimNotifications(%s @%v)", owner, now)
		var out []int64
		for _, n := range got {
			out = append(out, n.ID)
			if n.State != inventory.NotificationPending {
				e.t.Errorf("claimed notification %d is %s", n.ID, n.State)
			}
		}
		return out
	}
	// Due at base: #2 (due earlier), #0 (due now) and #4 (due at its
	// CreatedAt), oldest first; the pager one and #3 are not due.
	if got := claim("d1", base, time.Minute, "", 0); !slices.Equal(got, []int64{ids[0], ids[2], ids[4]}) {
		e.t.Fatalf("ClaimNotifications(d1 @base) = %v, want %v", got, []int64{ids[0], ids[2], ids[4]})
	}
	// Leased to d1: a second owner gets nothing until the lease expires.
	if got := claim("d2", base.Add(59*time.Second), time.Minute, "", 0); len(got) != 0 {
		e.t.Fatalf("ClaimNotifications(d2) during d1's lease = %v, want none", got)
	}
	if got := claim("d2", base.Add(time.Minute), time.Hour, "ops", 1); !slices.Equal(got, []int64{ids[0]}) {
		e.t.Fatalf("ClaimNotifications(d2, ops, Limit 1) when d1's lease expired = %v, want [%d]", got, ids[0])
	}
	// d1 lost #0: its result for #0 is skipped; #2 and #4 it still holds.
	at := base.Add(2 * time.Minute)
	retry := base.Add(30*time.Minute + 1500*time.Nanosecond)
	e.ok(e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Owner: "d1", Results: []store.NotificationResult{
		{ID: ids[0], Delivered: true, At: at},
		{ID: ids[2], Error: "HTTP 503", At: at, RetryAt: retry},
		{ID: ids[4], Error: "HTTP 400", At: at},
	}}), "FinishNotifications(d1)")
	// d2 delivers #0; a result for a row nobody claimed is skipped.
	e.ok(e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Owner: "d2", Results: []store.NotificationResult{
		{ID: ids[0], Delivered: true, At: at.Add(time.Second)},
		{ID: ids[1], Delivered: true, At: at},
	}}), "FinishNotifications(d2)")
	byID := map[int64]inventory.Notification{}
	for _, n := range e.allNotifications(store.ListNotificationsParams{}) {
		byID[n.ID] = n
	}
	check := func(i int, state inventory.NotificationState, attempts int, lastErr string, next, delivered time.Time) {
		e.t.Helper()
		n := byID[ids[i]]
		if n.State != state || n.Attempts != attempts || n.LastError != lastErr || !n.NextAttempt.Equal(next) || !n.DeliveredAt.Equal(delivered) {
			e.t.Errorf("notification #%d = state %s, attempts %d, error %q, next %v, delivered %v; want %s, %d, %q, %v, %v",
				i, n.State, n.Attempts, n.LastError, n.NextAttempt, n.DeliveredAt, state, attempts, lastErr, next, delivered)
		}
	}
	check(0, inventory.NotificationDelivered, 1, "", base, at.Add(time.Second))
	check(1, inventory.NotificationPending, 0, "", base.Add(time.Minute), time.Time{})
	check(2, inventory.NotificationPending, 1, "HTTP 503", e.alertT(retry), time.Time{})
	check(4, inventory.NotificationFailed, 1, "HTTP 400", byID[ids[4]].CreatedAt, time.Time{})
	if d := cmp.Diff(a, byID[ids[0]].Alert); d != "" {
		e.t.Errorf("notification #0: Alert (-want +got):\n%s", d)
	}
	// A retried row's lease is released: due again at RetryAt, for anyone.
	if got := claim("d3", e.alertT(retry).Add(-time.Microsecond), time.Minute, "ops", 0); !slices.Equal(got, []int64{ids[3]}) {
		e.t.Errorf("ClaimNotifications(d3) before the retry = %v, want [%d]", got, ids[3])
	}
	if got := claim("d3", e.alertT(retry), time.Minute, "", 0); !slices.Equal(got, []int64{ids[1], ids[2]}) {
		e.t.Errorf("ClaimNotifications(d3) at the retry = %v, want [%d %d]", got, ids[1], ids[2])
	}
	// Lists: newest first, filtered, paged.
	for _, p := range []store.ListNotificationsParams{
		{Limit: 2},
		{Channel: "ops"},
		{States: []inventory.NotificationState{inventory.NotificationPending}, Limit: 1},
		{States: []inventory.NotificationState{inventory.NotificationDelivered, inventory.NotificationFailed}},
		{AlertID: a.ID},
		{AlertID: a.ID, Channel: "pager"},
	} {
		var want []int64
		for i := len(ids) - 1; i >= 0; i-- {
			n := byID[ids[i]]
			if i == 1 || i == 2 || i == 3 {
				n.State = inventory.NotificationPending
			}
			if (p.Channel == "" || n.Channel == p.Channel) && (len(p.States) == 0 || slices.Contains(p.States, n.State)) && (p.AlertID == 0 || n.Alert.ID == p.AlertID) {
				want = append(want, n.ID)
			}
		}
		var got []int64
		for _, n := range e.allNotifications(p) {
			got = append(got, n.ID)
		}
		if !slices.Equal(want, got) {
			e.t.Errorf("ListNotifications%s = %v, want %v", describe(p), got, want)
		}
	}
	// Prune: delivered and failed rows created before Before go.
	created := byID[ids[0]].CreatedAt
	res, err := e.aq().PruneNotifications(e.ctx, &store.PruneNotificationsParams{Before: created})
	e.ok(err, "PruneNotifications(CreatedAt)")
	if res.Deleted != 0 {
		e.t.Errorf("PruneNotifications(Before = their CreatedAt) deleted %d, want 0 (exclusive)", res.Deleted)
	}
	res, err = e.aq().PruneNotifications(e.ctx, &store.PruneNotificationsParams{Before: time.Now().Add(time.Minute)})
	e.ok(err, "PruneNotifications(now)")
	if res.Deleted != 2 {
		e.t.Errorf("PruneNotifications deleted %d, want 2 (one delivered, one failed)", res.Deleted)
	}
	var left []int64
	for _, n := range e.allNotifications(store.ListNotificationsParams{}) {
		left = append(left, n.ID)
	}
	if want := []int64{ids[3], ids[2], ids[1]}; !slices.Equal(left, want) {
		e.t.Errorf("notifications after the prune = %v, want the pending %v", left, want)
	}
}

// ---------------------------------------------------------------------------
// Hostile strings

func testAlertHostile(e *env) {
	for i, h := range HostileStrings() {
		r := testAlertRule(fmt.Sprintf("r-%02d", i))
		r.Name, r.Scope.Name, r.Scope.Attribute, r.Scope.Vcenters, r.Channels, r.Origin = h, h, h, []string{h}, []string{h}, h
		got, err := e.as().PutAlertRule(e.ctx, &store.PutAlertRuleParams{Rule: r})
		e.ok(err, "PutAlertRule(hostile %d)", i)
		r.UpdatedAt = got.UpdatedAt
		rs, err := e.as().ListAlertRules(e.ctx, &store.ListAlertRulesParams{})
		e.ok(err, "ListAlertRules")
		if d := cmp.Diff(r, rs[len(rs)-1]); d != "" {
			e.t.Errorf("hostile rule %d (-want +got):\n%s", i, d)
		}
		a := testAlert(h, h, i)
		a.EntityID, a.EntityName, a.Summary, a.AckedBy, a.AckComment, a.ResolvedBy = h, h, h, h, h, h
		extra, _ := json.Marshal(map[string]string{h: h})
		res := e.applyAlerts(&store.ApplyAlertsParams{
			Alerts:        []store.AlertUpdate{{Alert: a}},
			Transitions:   []store.AlertTransitionRef{{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertAt, By: h, Comment: h, Summary: h}}},
			Notifications: []store.NotificationRef{{Notification: inventory.Notification{Channel: h, Event: inventory.NotifyOpened, Extra: extra}}},
		})
		a.ID = res.Alerts[0].ID
		got2, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{ID: a.ID})
		e.ok(err, "GetAlert(hostile %d)", i)
		if d := cmp.Diff(e.normAlert(a), *got2); d != "" {
			e.t.Errorf("hostile alert %d (-want +got):\n%s", i, d)
		}
		byKey := e.allAlerts(store.ListAlertsParams{RuleID: h, Vcenter: h, EntityID: h, Vcenters: []string{h}})
		if len(byKey) != 1 || byKey[0].ID != a.ID {
			e.t.Errorf("ListAlerts by hostile rule, vCenter and entity %d = %+v", i, byKey)
		}
		hist := e.allHistory(store.ListAlertHistoryParams{AlertID: a.ID})
		if len(hist) != 1 || hist[0].By != h || hist[0].Comment != h || hist[0].Summary != h {
			e.t.Errorf("hostile transition %d = %+v", i, hist)
		}
		ns := e.allNotifications(store.ListNotificationsParams{Channel: h})
		if len(ns) != 1 || ns[0].Channel != h || !cmp.Equal(ns[0].Alert, e.normAlert(a)) {
			e.t.Errorf("hostile notification %d = %+v", i, ns)
		} else {
			var m map[string]string
			if err := json.Unmarshal(ns[0].Extra, &m); err != nil || m[h] != h {
				e.t.Errorf("hostile notification %d: Extra %s does not hold the string", i, ns[0].Extra)
			}
		}
		s, err := e.as().CreateSilence(e.ctx, &store.CreateSilenceParams{Silence: inventory.Silence{RuleID: h, Vcenter: h, EntityID: h,
			Comment: h, CreatedBy: h, Until: time.Now().Add(time.Hour)}})
		e.ok(err, "CreateSilence(hostile %d)", i)
		ss, err := e.as().ListSilences(e.ctx, &store.ListSilencesParams{})
		e.ok(err, "ListSilences")
		if d := cmp.Diff(*s, ss[len(ss)-1]); d != "" || s.RuleID != h || s.Comment != h {
			e.t.Errorf("hostile silence %d (-stored +listed):\n%s", i, d)
		}
		ch := inventory.AlertChannel{Name: fmt.Sprintf("ch-%02d", i), Kind: inventory.ChannelEmail, URL: h, SMTPHost: h, From: h,
			To: []string{h, h}, Username: h, TLS: h, Secret: []byte(h)}
		_, err = e.ach().PutAlertChannel(e.ctx, &store.PutAlertChannelParams{Channel: ch})
		e.ok(err, "PutAlertChannel(hostile %d)", i)
		gotCh, err := e.ach().GetAlertChannel(e.ctx, &store.GetAlertChannelParams{Name: ch.Name})
		e.ok(err, "GetAlertChannel(hostile %d)", i)
		ch.HasSecret = true
		if d := cmp.Diff(ch, *gotCh, cmpopts.IgnoreFields(inventory.AlertChannel{}, "UpdatedAt")); d != "" {
			e.t.Errorf("hostile channel %d (-want +got):\n%s", i, d)
		}
	}
}

// ---------------------------------------------------------------------------
// Invalid params

func testAlertInvalid(e *env) {
	seed := e.insertAlerts(testAlert("r1", "vc-a", 1))[0]
	before := e.alertDump()
	bad := func(f func(a *inventory.Alert)) store.ApplyAlertsParams {
		a := testAlert("r1", "vc-a", 2)
		f(&a)
		return store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 3)}, {Alert: a}}}
	}
	rule := func(f func(r *inventory.AlertRule)) *store.PutAlertRuleParams {
		r := testAlertRule("r-x")
		f(&r)
		return &store.PutAlertRuleParams{Rule: r}
	}
	channel := func(f func(c *inventory.AlertChannel)) *store.PutAlertChannelParams {
		c := inventory.AlertChannel{Name: "c", Kind: inventory.ChannelWebhook}
		f(&c)
		return &store.PutAlertChannelParams{Channel: c}
	}
	notif := func(f func(n *inventory.Notification)) *store.EnqueueNotificationsParams {
		n := inventory.Notification{Channel: "ops", Event: inventory.NotifyOpened}
		f(&n)
		return &store.EnqueueNotificationsParams{Notifications: []inventory.Notification{{Channel: "ops", Event: inventory.NotifyTest}, n}}
	}
	apply := func(p store.ApplyAlertsParams) func() error {
		return func() error { _, err := e.as().ApplyAlerts(e.ctx, &p); return err }
	}
	put := func(p *store.PutAlertRuleParams) func() error {
		return func() error { _, err := e.as().PutAlertRule(e.ctx, p); return err }
	}
	putCh := func(p *store.PutAlertChannelParams) func() error {
		return func() error { _, err := e.ach().PutAlertChannel(e.ctx, p); return err }
	}
	enq := func(p *store.EnqueueNotificationsParams) func() error {
		return func() error { _, err := e.aq().EnqueueNotifications(e.ctx, p); return err }
	}
	now := time.Now()
	for _, c := range []struct {
		name, op, field string
		call            func() error
	}{
		{"rule without ID", "PutAlertRule", "Rule.ID", put(rule(func(r *inventory.AlertRule) { r.ID = "" }))},
		{"rule kind", "PutAlertRule", "Rule.Kind", put(rule(func(r *inventory.AlertRule) { r.Kind = "cpu_hot" }))},
		{"rule severity", "PutAlertRule", "Rule.Severity", put(rule(func(r *inventory.AlertRule) { r.Severity = "fatal" }))},
		{"rule name NUL", "PutAlertRule", "Rule.Name", put(rule(func(r *inventory.AlertRule) { r.Name = "a\x00b" }))},
		{"rule scope UTF-8", "PutAlertRule", "Rule.Scope.Vcenters[1]", put(rule(func(r *inventory.AlertRule) { r.Scope.Vcenters[1] = "\xff" }))},
		{"rule channel", "PutAlertRule", "Rule.Channels[0]", put(rule(func(r *inventory.AlertRule) { r.Channels[0] = "\x00" }))},
		{"rule threshold NaN", "PutAlertRule", "Rule.Threshold", put(rule(func(r *inventory.AlertRule) { r.Threshold = math.NaN() }))},
		{"delete rule without ID", "DeleteAlertRule", "ID", func() error { return e.as().DeleteAlertRule(e.ctx, &store.DeleteAlertRuleParams{}) }},
		{"alert rule", "ApplyAlerts", "Alerts[1].Alert.RuleID", apply(bad(func(a *inventory.Alert) { a.RuleID = "" }))},
		{"alert kind", "ApplyAlerts", "Alerts[1].Alert.Kind", apply(bad(func(a *inventory.Alert) { a.Kind = "x" }))},
		{"alert severity", "ApplyAlerts", "Alerts[1].Alert.Severity", apply(bad(func(a *inventory.Alert) { a.Severity = "" }))},
		{"alert state", "ApplyAlerts", "Alerts[1].Alert.State", apply(bad(func(a *inventory.Alert) { a.State = "closed" }))},
		{"alert entity type", "ApplyAlerts", "Alerts[1].Alert.EntityType", apply(bad(func(a *inventory.Alert) { a.EntityType = "planet" }))},
		{"alert entity ID", "ApplyAlerts", "Alerts[1].Alert.EntityID", apply(bad(func(a *inventory.Alert) { a.EntityID = "" }))},
		{"alert summary UTF-8", "ApplyAlerts", "Alerts[1].Alert.Summary", apply(bad(func(a *inventory.Alert) { a.Summary = "\xc3\x28" }))},
		{"alert vcenter NUL", "ApplyAlerts", "Alerts[1].Alert.Vcenter", apply(bad(func(a *inventory.Alert) { a.Vcenter = "vc\x00" }))},
		{"alert value", "ApplyAlerts", "Alerts[1].Alert.Value", apply(bad(func(a *inventory.Alert) { a.Value = math.Inf(1) }))},
		{"expect state", "ApplyAlerts", "Alerts[0].ExpectState", apply(store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: seed, ExpectState: "gone"}}})},
		{"transition index", "ApplyAlerts", "Transitions[0].AlertIndex", apply(store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 4)}},
			Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertAt}, AlertIndex: 1}}})},
		{"transition state", "ApplyAlerts", "Transitions[0].Transition.To", apply(store.ApplyAlertsParams{
			Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{AlertID: seed.ID, To: "x", At: alertAt}}}})},
		{"transition time", "ApplyAlerts", "Transitions[0].Transition.At", apply(store.ApplyAlertsParams{
			Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{AlertID: seed.ID, To: inventory.AlertOpen}}}})},
		{"transition comment", "ApplyAlerts", "Transitions[0].Transition.Comment", apply(store.ApplyAlertsParams{
			Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{AlertID: seed.ID, To: inventory.AlertOpen, At: alertAt, Comment: "\x00"}}}})},
		{"delete ID", "ApplyAlerts", "Delete[0]", apply(store.ApplyAlertsParams{Delete: []int64{0}})},
		{"notification index", "ApplyAlerts", "Notifications[0].AlertIndex", apply(store.ApplyAlertsParams{
			Notifications: []store.NotificationRef{{Notification: inventory.Notification{Channel: "ops", Event: inventory.NotifyOpened}, AlertIndex: 0}}})},
		{"notification event", "ApplyAlerts", "Notifications[0].Notification.Event", apply(store.ApplyAlertsParams{
			Notifications: []store.NotificationRef{{Notification: inventory.Notification{Channel: "ops", Event: "boom"}, AlertIndex: -1}}})},
		{"list state", "ListAlerts", "States[0]", func() error {
			_, err := e.as().ListAlerts(e.ctx, &store.ListAlertsParams{States: []inventory.AlertState{"x"}})
			return err
		}},
		{"list cursor", "ListAlerts", "Cursor", func() error {
			_, err := e.as().ListAlerts(e.ctx, &store.ListAlertsParams{Cursor: "garbage!"})
			return err
		}},
		{"history cursor", "ListAlertHistory", "Cursor", func() error {
			_, err := e.as().ListAlertHistory(e.ctx, &store.ListAlertHistoryParams{Cursor: "garbage!"})
			return err
		}},
		{"get alert", "GetAlert", "ID", func() error { _, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{}); return err }},
		{"channel name", "PutAlertChannel", "Channel.Name", putCh(channel(func(c *inventory.AlertChannel) { c.Name = "" }))},
		{"channel kind", "PutAlertChannel", "Channel.Kind", putCh(channel(func(c *inventory.AlertChannel) { c.Kind = "pigeon" }))},
		{"channel severity", "PutAlertChannel", "Channel.MinSeverity", putCh(channel(func(c *inventory.AlertChannel) { c.MinSeverity = "loud" }))},
		{"channel to", "PutAlertChannel", "Channel.To[0]", putCh(channel(func(c *inventory.AlertChannel) { c.To = []string{"\xff"} }))},
		{"channel URL", "PutAlertChannel", "Channel.URL", putCh(channel(func(c *inventory.AlertChannel) { c.URL = "\x00" }))},
		{"get channel", "GetAlertChannel", "Name", func() error { _, err := e.ach().GetAlertChannel(e.ctx, &store.GetAlertChannelParams{}); return err }},
		{"enqueue channel", "EnqueueNotifications", "Notifications[1].Channel", enq(notif(func(n *inventory.Notification) { n.Channel = "" }))},
		{"enqueue event", "EnqueueNotifications", "Notifications[1].Event", enq(notif(func(n *inventory.Notification) { n.Event = "" }))},
		{"enqueue extra", "EnqueueNotifications", "Notifications[1].Extra", enq(notif(func(n *inventory.Notification) { n.Extra = json.RawMessage("{") }))},
		{"enqueue alert", "EnqueueNotifications", "Notifications[1].Alert.Summary", enq(notif(func(n *inventory.Notification) { n.Alert.Summary = "\x00" }))},
		{"claim owner", "ClaimNotifications", "Owner", func() error {
			_, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Now: now, Lease: time.Minute})
			return err
		}},
		{"claim now", "ClaimNotifications", "Now", func() error {
			_, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: "d", Lease: time.Minute})
			return err
		}},
		{"claim lease", "ClaimNotifications", "Lease", func() error {
			_, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: "d", Now: now})
			return err
		}},
		{"finish owner", "FinishNotifications", "Owner", func() error {
			return e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Results: []store.NotificationResult{{ID: 1, At: now}}})
		}},
		{"finish at", "FinishNotifications", "Results[0].At", func() error {
			return e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Owner: "d", Results: []store.NotificationResult{{ID: 1}}})
		}},
		{"finish ID", "FinishNotifications", "Results[0].ID", func() error {
			return e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Owner: "d", Results: []store.NotificationResult{{At: now}}})
		}},
		{"list notification state", "ListNotifications", "States[0]", func() error {
			_, err := e.aq().ListNotifications(e.ctx, &store.ListNotificationsParams{States: []inventory.NotificationState{"lost"}})
			return err
		}},
		{"prune before", "PruneNotifications", "Before", func() error {
			_, err := e.aq().PruneNotifications(e.ctx, &store.PruneNotificationsParams{})
			return err
		}},
	} {
		err := c.call()
		if ipe := wantInvalid(e.t, err, c.op, c.name); ipe != nil && ipe.Field != c.field {
			e.t.Errorf("%s %s: field %q, want %q (%v)", c.op, c.name, ipe.Field, c.field, err)
		}
	}
	e.alertsUnchanged(before, "invalid alert params")
}

// ---------------------------------------------------------------------------
// Concurrency

// testAlertConcurrentClaims has several dispatchers claim from one queue
// at once: no notification is claimed twice, and together they claim all.
func testAlertConcurrentClaims(e *env) {
	const n, owners = 200, 4
	ns := make([]inventory.Notification, n)
	for i := range ns {
		ns[i] = inventory.Notification{Channel: "ops", Event: inventory.NotifyTest}
	}
	ids, err := e.aq().EnqueueNotifications(e.ctx, &store.EnqueueNotificationsParams{Notifications: ns})
	e.ok(err, "EnqueueNotifications(%d)", n)
	now := time.Now().Add(time.Hour)
	var mu sync.Mutex
	claimedBy := map[int64]string{}
	var errs []error
	var wg sync.WaitGroup
	for o := range owners {
		owner := fmt.Sprintf("replica-%d", o)
		wg.Go(func() {
			for {
				got, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: owner, Now: now, Lease: time.Hour, Limit: 7})
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				for _, x := range got {
					if prev, dup := claimedBy[x.ID]; dup {
						errs = append(errs, fmt.Errorf("notification %d claimed by %s and %s", x.ID, prev, owner))
					}
					claimedBy[x.ID] = owner
				}
				mu.Unlock()
				if err != nil || len(got) == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		e.t.Fatalf("concurrent ClaimNotifications: %v", err)
	}
	if len(claimedBy) != len(ids) {
		e.t.Errorf("concurrent ClaimNotifications claimed %d of %d notifications", len(claimedBy), len(ids))
	}
}

// testAlertConcurrentKey has several writers open an alert for one key at
// once: one succeeds, the others get a *ConflictError.
func testAlertConcurrentKey(e *env) {
	const writers = 6
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			a := testAlert("r1", "vc-a", 1)
			a.Summary = fmt.Sprint("writer ", i)
			_, errs[i] = e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: a}},
				Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertAt}}}})
		})
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case conflictOf(err) == nil || !errors.Is(err, store.ErrConflict):
			e.t.Errorf("writer %d: err = %v (%T), want nil or a *store.ConflictError", i, err, err)
		}
	}
	if ok != 1 {
		e.t.Errorf("%d of %d concurrent writers opened the alert, want 1", ok, writers)
	}
	if all := e.allAlerts(store.ListAlertsParams{}); len(all) != 1 {
		e.t.Errorf("%d alerts stored, want 1", len(all))
	}
	if h := e.allHistory(store.ListAlertHistoryParams{}); len(h) != 1 {
		e.t.Errorf("%d transitions stored, want 1 (the refused batches wrote none)", len(h))
	}
}

// ---------------------------------------------------------------------------
// Close and cancellation

// testAlertClosed checks that every alert method fails with ErrClosed
// after Close.
func testAlertClosed(e *env) {
	a := e.insertAlerts(testAlert("r1", "vc-a", 1))[0]
	if err := e.st.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	now := time.Now()
	for name, call := range map[string]func() error{
		"PutAlertRule": func() error {
			_, err := e.as().PutAlertRule(e.ctx, &store.PutAlertRuleParams{Rule: testAlertRule("r1")})
			return err
		},
		"ListAlertRules":  func() error { _, err := e.as().ListAlertRules(e.ctx, &store.ListAlertRulesParams{}); return err },
		"DeleteAlertRule": func() error { return e.as().DeleteAlertRule(e.ctx, &store.DeleteAlertRuleParams{ID: "r1"}) },
		"ApplyAlerts": func() error {
			_, err := e.as().ApplyAlerts(e.ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 2)}}})
			return err
		},
		"GetAlert":         func() error { _, err := e.as().GetAlert(e.ctx, &store.GetAlertParams{ID: a.ID}); return err },
		"ListAlerts":       func() error { _, err := e.as().ListAlerts(e.ctx, &store.ListAlertsParams{}); return err },
		"CountAlerts":      func() error { _, err := e.as().CountAlerts(e.ctx, &store.CountAlertsParams{}); return err },
		"ListAlertHistory": func() error { _, err := e.as().ListAlertHistory(e.ctx, &store.ListAlertHistoryParams{}); return err },
		"CreateSilence": func() error {
			_, err := e.as().CreateSilence(e.ctx, &store.CreateSilenceParams{Silence: inventory.Silence{RuleID: "r1", Until: now.Add(time.Hour)}})
			return err
		},
		"ListSilences":  func() error { _, err := e.as().ListSilences(e.ctx, &store.ListSilencesParams{}); return err },
		"DeleteSilence": func() error { return e.as().DeleteSilence(e.ctx, &store.DeleteSilenceParams{ID: 1}) },
		"PutAlertChannel": func() error {
			_, err := e.ach().PutAlertChannel(e.ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "c", Kind: inventory.ChannelSlack}})
			return err
		},
		"GetAlertChannel": func() error {
			_, err := e.ach().GetAlertChannel(e.ctx, &store.GetAlertChannelParams{Name: "c"})
			return err
		},
		"ListAlertChannels": func() error {
			_, err := e.ach().ListAlertChannels(e.ctx, &store.ListAlertChannelsParams{})
			return err
		},
		"DeleteAlertChannel": func() error { return e.ach().DeleteAlertChannel(e.ctx, &store.DeleteAlertChannelParams{Name: "c"}) },
		"EnqueueNotifications": func() error {
			_, err := e.aq().EnqueueNotifications(e.ctx, &store.EnqueueNotificationsParams{Notifications: []inventory.Notification{{Channel: "c", Event: inventory.NotifyTest}}})
			return err
		},
		"ClaimNotifications": func() error {
			_, err := e.aq().ClaimNotifications(e.ctx, &store.ClaimNotificationsParams{Owner: "d", Now: now, Lease: time.Minute})
			return err
		},
		"FinishNotifications": func() error {
			return e.aq().FinishNotifications(e.ctx, &store.FinishNotificationsParams{Owner: "d", Results: []store.NotificationResult{{ID: 1, At: now}}})
		},
		"ListNotifications": func() error {
			_, err := e.aq().ListNotifications(e.ctx, &store.ListNotificationsParams{})
			return err
		},
		"PruneNotifications": func() error {
			_, err := e.aq().PruneNotifications(e.ctx, &store.PruneNotificationsParams{Before: now})
			return err
		},
	} {
		if err := call(); !errors.Is(err, store.ErrClosed) {
			e.t.Errorf("%s after Close: error %v, want one wrapping store.ErrClosed", name, err)
		}
	}
}

// testAlertCancelled checks that writes with a cancelled context fail with
// a *WriteError wrapping context.Canceled and write nothing.
func testAlertCancelled(e *env) {
	e.insertAlerts(testAlert("r1", "vc-a", 1))
	before := e.alertDump()
	ctx, cancel := context.WithCancel(e.ctx)
	cancel()
	for name, call := range map[string]func() error{
		"PutAlertRule": func() error {
			_, err := e.as().PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: testAlertRule("r1")})
			return err
		},
		"ApplyAlerts": func() error {
			_, err := e.as().ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: testAlert("r1", "vc-a", 2)}},
				Notifications: []store.NotificationRef{{Notification: inventory.Notification{Channel: "c", Event: inventory.NotifyOpened}}}})
			return err
		},
		"EnqueueNotifications": func() error {
			_, err := e.aq().EnqueueNotifications(ctx, &store.EnqueueNotificationsParams{Notifications: []inventory.Notification{{Channel: "c", Event: inventory.NotifyTest}}})
			return err
		},
		"PutAlertChannel": func() error {
			_, err := e.ach().PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "c", Kind: inventory.ChannelSlack}})
			return err
		},
	} {
		err := call()
		if we := asType[*store.WriteError](err); we == nil || !errors.Is(err, context.Canceled) {
			e.t.Errorf("%s with a cancelled context: error %v (%T), want a *store.WriteError wrapping context.Canceled", name, err, err)
		}
	}
	e.alertsUnchanged(before, "alert writes with a cancelled context")
}
