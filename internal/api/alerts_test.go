package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/live/livetest"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// hostileText is a rule name, entity name and comment that must stay
// intact in storage and inert in output.
const hostileText = `"q" ☃ <script>alert(1)</script> =cmd|' /C calc'!A0`

var alertT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// alertStoreOf skips a test whose backend keeps no alerts yet.
func alertStoreOf(t *testing.T, st store.Store) store.AlertStore {
	t.Helper()
	as, ok := st.(store.AlertStore)
	if !ok {
		t.Skipf("%T keeps no alerts yet", st)
	}
	return as
}

// seedAlerts stores a rule notifying the channel "ops", the channel, and
// three alerts: an open critical VM alert on the fixture's vCenter (its
// entity named hostileText), an open warning on "vc-other" and a
// resolved info alert. It returns them in that order.
func seedAlerts(t *testing.T, st store.Store) []inventory.Alert {
	t.Helper()
	ctx := context.Background()
	as := alertStoreOf(t, st)
	if _, err := as.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: inventory.AlertRule{ID: "vm-off", Name: hostileText,
		Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityCritical, Enabled: true, Channels: []string{"ops"}, Origin: inventory.RuleFromAPI}}); err != nil {
		t.Fatal(err)
	}
	if cs, ok := st.(store.AlertChannels); ok {
		if _, err := cs.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "ops", Kind: inventory.ChannelWebhook,
			Enabled: true, URL: "https://hooks.example.com/x", Secret: []byte("sealed-blob")}}); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(rule, vc, id string, sev inventory.AlertSeverity, state inventory.AlertState) inventory.Alert {
		a := inventory.Alert{RuleID: rule, Kind: inventory.RuleVMPoweredOff, Severity: sev, Vcenter: vc, EntityType: inventory.EntityVM,
			EntityID: id, EntityName: hostileText, State: state, Summary: "powered off by the guest OS " + hostileText,
			SeenAt: alertT0, OpenedAt: alertT0, UpdatedAt: alertT0}
		if state == inventory.AlertResolved {
			a.ResolvedAt = alertT0.Add(time.Minute)
		}
		return a
	}
	res, err := as.ApplyAlerts(ctx, &store.ApplyAlertsParams{
		Alerts: []store.AlertUpdate{{Alert: mk("vm-off", hostile, "vm-1", inventory.SeverityCritical, inventory.AlertOpen)},
			{Alert: mk("vm-off", "vc-other", "vm-2", inventory.SeverityWarning, inventory.AlertOpen)},
			{Alert: mk("vm-off", hostile, "vm-3", inventory.SeverityInfo, inventory.AlertResolved)}},
		Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertT0}, AlertIndex: 0},
			{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertT0}, AlertIndex: 1},
			{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: alertT0}, AlertIndex: 2}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Alerts
}

type alertList struct {
	Items      []inventory.Alert `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

func alertIDs(l alertList) []int64 {
	var ids []int64
	for _, a := range l.Items {
		ids = append(ids, a.ID)
	}
	slices.Sort(ids)
	return ids
}

// problemOf decodes a problem document.
func problemOf(t *testing.T, raw []byte) Problem {
	t.Helper()
	var p Problem
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatalf("not a problem document: %v\n%s", err, raw)
	}
	return p
}

// TestAlertsAPI: the alert list filters (state repeatable or a comma list,
// severity, rule, vcenter, entity) and pages; a scoped token sees its
// vCenter's alerts only; the detail carries the history; ack and resolve
// need an operator, record who and the comment (hostile text intact),
// queue the rule's channel's notification, are audited, reach the stream,
// and answer 409 when the alert is not active and 404 when unknown.
func TestAlertsAPI(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		as := seedAlerts(t, st)
		open, other, resolved := as[0], as[1], as[2]
		hub, err := live.New(live.Options{Store: st})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(hub.Close)
		o := f.api.o
		o.Hub = hub
		f.api, err = New(o)
		if err != nil {
			t.Fatal(err)
		}
		f.srv = httptest.NewServer(f.api)
		t.Cleanup(f.srv.Close)

		var all alertList
		f.call(t, RoleViewer, http.MethodGet, "/api/alerts", nil, &all)
		if got := alertIDs(all); !slices.Equal(got, []int64{open.ID, other.ID, resolved.ID}) {
			t.Fatalf("every alert: %v", got)
		}
		if all.Items[0].ID < all.Items[len(all.Items)-1].ID {
			t.Errorf("not newest first: %v", all.Items)
		}
		for q, want := range map[string][]int64{
			"state=open,acknowledged":             {open.ID, other.ID},
			"state=open&state=resolved":           {open.ID, other.ID, resolved.ID},
			"state=resolved":                      {resolved.ID},
			"severity=critical":                   {open.ID},
			"severity=warning,info":               {other.ID, resolved.ID},
			"vcenter=vc-other":                    {other.ID},
			"entity_type=vm&entity_id=vm-3":       {resolved.ID},
			"rule=nosuch":                         nil,
			"vcenter=" + url.QueryEscape(hostile): {open.ID, resolved.ID},
		} {
			var l alertList
			f.call(t, RoleViewer, http.MethodGet, "/api/alerts?"+q, nil, &l)
			if got := alertIDs(l); !slices.Equal(got, want) {
				t.Errorf("?%s: %v, want %v", q, got, want)
			}
		}
		// Paging: one per page, every alert once.
		var paged []int64
		for cursor, n := "", 0; n < 5; n++ {
			var l alertList
			f.call(t, RoleViewer, http.MethodGet, "/api/alerts?limit=1&cursor="+url.QueryEscape(cursor), nil, &l)
			paged = append(paged, alertIDs(l)...)
			if cursor = l.NextCursor; cursor == "" {
				break
			}
		}
		slices.Sort(paged)
		if !slices.Equal(paged, []int64{open.ID, other.ID, resolved.ID}) {
			t.Errorf("paged: %v", paged)
		}
		if resp, raw := f.call(t, RoleViewer, http.MethodGet, "/api/alerts?state=closed", nil, nil); resp.StatusCode != 422 ||
			problemOf(t, raw).InvalidParams[0].Name != "state" {
			t.Errorf("a bad state: %d %s", resp.StatusCode, raw)
		}

		// A token scoped to the fixture's vCenter.
		var scoped CreatedToken
		f.call(t, RoleAdmin, http.MethodPost, "/api/tokens", TokenRequest{Name: "scoped", Role: "operator", Vcenters: []string{hostile}}, &scoped)
		var mine alertList
		f.callAs(t, scoped.Secret, http.MethodGet, "/api/alerts", nil, &mine)
		if got := alertIDs(mine); !slices.Equal(got, []int64{open.ID, resolved.ID}) {
			t.Errorf("the scoped token sees %v", got)
		}
		for _, p := range []string{fmt.Sprintf("/api/alerts/%d", other.ID), "/api/alerts?vcenter=vc-other"} {
			resp, raw := f.callAs(t, scoped.Secret, http.MethodGet, p, nil, nil)
			if bytes.Contains(raw, []byte("vm-2")) || resp.StatusCode != 404 && resp.StatusCode != 200 {
				t.Errorf("%s as the scoped token: %d %s", p, resp.StatusCode, raw)
			}
		}
		if resp, _ := f.callAs(t, scoped.Secret, http.MethodPost, fmt.Sprintf("/api/alerts/%d/ack", other.ID), AlertAction{}, nil); resp.StatusCode != 404 {
			t.Errorf("the scoped token acked another vCenter's alert: %d", resp.StatusCode)
		}

		// Detail with history.
		var d AlertDetail
		f.call(t, RoleViewer, http.MethodGet, fmt.Sprintf("/api/alerts/%d", open.ID), nil, &d)
		if d.ID != open.ID || d.EntityName != hostileText || len(d.History) != 1 || d.History[0].To != inventory.AlertOpen {
			t.Fatalf("detail: %+v", d)
		}
		if resp, _ := f.call(t, RoleViewer, http.MethodGet, "/api/alerts/999999", nil, nil); resp.StatusCode != 404 {
			t.Errorf("an unknown alert: %d", resp.StatusCode)
		}

		// Ack as a viewer: 403; as an operator: acknowledged, streamed.
		sub, err := hub.Subscribe(context.Background(), live.SubscribeParams{Kinds: []live.Kind{live.KindAlert}})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		ackPath := fmt.Sprintf("/api/alerts/%d/ack", open.ID)
		if resp, _ := f.call(t, RoleViewer, http.MethodPost, ackPath, AlertAction{Comment: "x"}, nil); resp.StatusCode != 403 {
			t.Errorf("a viewer's ack: %d", resp.StatusCode)
		}
		var acked inventory.Alert
		f.call(t, RoleOperator, http.MethodPost, ackPath, AlertAction{Comment: hostileText}, &acked)
		if acked.State != inventory.AlertAcknowledged || acked.AckedBy != "operator-token" || acked.AckComment != hostileText || acked.AckedAt.IsZero() {
			t.Fatalf("acked: %+v", acked)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		m, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var streamed inventory.Alert
		if err := json.Unmarshal(m.Data, &streamed); err != nil || m.Kind != live.KindAlert || streamed.ID != open.ID ||
			streamed.State != inventory.AlertAcknowledged || !slices.Equal(m.Vcenters, []string{hostile}) {
			t.Fatalf("streamed %s %s %v", m.Kind, m.Data, err)
		}
		if resp, raw := f.call(t, RoleOperator, http.MethodPost, ackPath, AlertAction{}, nil); resp.StatusCode != 409 {
			t.Errorf("a second ack: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := f.call(t, RoleOperator, http.MethodPost, "/api/alerts/999999/ack", AlertAction{}, nil); resp.StatusCode != 404 {
			t.Errorf("an unknown alert's ack: %d", resp.StatusCode)
		}
		if resp, raw := f.call(t, RoleOperator, http.MethodPost, fmt.Sprintf("/api/alerts/%d/ack", other.ID),
			AlertAction{Comment: strings.Repeat("x", 2001)}, nil); resp.StatusCode != 422 {
			t.Errorf("a long comment: %d %s", resp.StatusCode, raw)
		}
		d = AlertDetail{}
		f.call(t, RoleViewer, http.MethodGet, fmt.Sprintf("/api/alerts/%d", open.ID), nil, &d)
		if len(d.History) != 2 || d.History[1].By != "operator-token" || d.History[1].Comment != hostileText {
			t.Errorf("history after the ack: %+v", d.History)
		}
		// The rule's channel was told.
		if _, ok := st.(store.NotificationQueue); ok {
			var ns struct{ Items []inventory.Notification }
			f.call(t, RoleOperator, http.MethodGet, fmt.Sprintf("/api/notifications?alert_id=%d", open.ID), nil, &ns)
			if len(ns.Items) != 1 || ns.Items[0].Channel != "ops" || ns.Items[0].Event != inventory.NotifyAcknowledged {
				t.Errorf("notifications: %+v", ns.Items)
			}
			if resp, _ := f.call(t, RoleViewer, http.MethodGet, "/api/notifications", nil, nil); resp.StatusCode != 403 {
				t.Errorf("a viewer reads notifications: %d", resp.StatusCode)
			}
		}
		if _, ok := st.(store.AuditLog); ok {
			if e := auditOf(t, st, "alert.ack"); len(e) != 1 || e[0].Actor != "operator-token" || e[0].Target != fmt.Sprint(open.ID) {
				t.Errorf("audit: %+v", e)
			}
		}

		// Resolve: acknowledged → resolved; again 409 (a resolved one too).
		resolvePath := fmt.Sprintf("/api/alerts/%d/resolve", open.ID)
		var res inventory.Alert
		f.call(t, RoleOperator, http.MethodPost, resolvePath, nil, &res)
		if res.State != inventory.AlertResolved || res.ResolvedBy != "operator-token" {
			t.Fatalf("resolved: %+v", res)
		}
		for _, p := range []string{resolvePath, fmt.Sprintf("/api/alerts/%d/resolve", resolved.ID), fmt.Sprintf("/api/alerts/%d/ack", resolved.ID)} {
			if resp, raw := f.call(t, RoleOperator, http.MethodPost, p, AlertAction{}, nil); resp.StatusCode != 409 {
				t.Errorf("%s: %d %s", p, resp.StatusCode, raw)
			}
		}
		var counts AlertCounts
		f.call(t, RoleViewer, http.MethodGet, "/api/alerts/counts", nil, &counts)
		if counts.Open["warning"] != 1 || counts.Open["critical"] != 0 || counts.Acknowledged["critical"] != 0 {
			t.Errorf("counts: %+v", counts)
		}
		var scopedCounts AlertCounts
		f.callAs(t, scoped.Secret, http.MethodGet, "/api/alerts/counts", nil, &scopedCounts)
		if scopedCounts.Open["warning"] != 0 {
			t.Errorf("the scoped token counts another vCenter's alert: %+v", scopedCounts)
		}
	})
}

// TestAlertRulesAPI: rules are created (201, origin api set by the
// server), refused with 409 when the ID exists, validated with each field
// named, changed and deleted by an admin only; rules from the
// configuration file are read-only (409); hostile names stay intact.
func TestAlertRulesAPI(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		as := alertStoreOf(t, st)
		ctx := context.Background()
		if _, err := as.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: inventory.AlertRule{ID: "from-config", Kind: inventory.RuleHostDisconnected,
			Severity: inventory.SeverityCritical, Enabled: true, Origin: inventory.RuleFromConfig}}); err != nil {
			t.Fatal(err)
		}
		rule := AlertRuleView{ID: "ds-full", Name: hostileText, Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityWarning,
			Enabled: true, Threshold: 85, Clear: 80, ForSeconds: 300, Channels: []string{"ops"}, Origin: "config"}
		if resp, _ := f.call(t, RoleOperator, http.MethodPost, "/api/alert-rules", rule, nil); resp.StatusCode != 403 {
			t.Errorf("an operator creates a rule: %d", resp.StatusCode)
		}
		var created AlertRuleView
		resp, _ := f.call(t, RoleAdmin, http.MethodPost, "/api/alert-rules", rule, &created)
		if resp.StatusCode != 201 || created.Origin != inventory.RuleFromAPI || created.Name != hostileText || created.ForSeconds != 300 || created.Clear != 80 {
			t.Fatalf("created %d %+v", resp.StatusCode, created)
		}
		if stored, _ := as.ListAlertRules(ctx, &store.ListAlertRulesParams{}); !slices.ContainsFunc(stored, func(r inventory.AlertRule) bool {
			return r.ID == "ds-full" && r.For == 5*time.Minute && r.Name == hostileText
		}) {
			t.Errorf("stored rules: %+v", stored)
		}
		if resp, raw := f.call(t, RoleAdmin, http.MethodPost, "/api/alert-rules", rule, nil); resp.StatusCode != 409 {
			t.Errorf("the same ID again: %d %s", resp.StatusCode, raw)
		}
		bad := AlertRuleView{ID: "Bad ID", Kind: inventory.RuleDatastoreUsedPct, Severity: inventory.SeverityWarning, Threshold: 150,
			DurationSeconds: 60, Scope: inventory.AlertScope{Name: "("}}
		resp, raw := f.call(t, RoleAdmin, http.MethodPost, "/api/alert-rules", bad, nil)
		if resp.StatusCode != 422 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("an invalid rule: %d %s", resp.StatusCode, raw)
		}
		var names []string
		for _, ip := range problemOf(t, raw).InvalidParams {
			names = append(names, ip.Name)
		}
		for _, want := range []string{"body.id", "body.threshold", "body.duration_seconds", "body.scope.name"} {
			if !slices.Contains(names, want) {
				t.Errorf("the problem does not name %s: %s", want, raw)
			}
		}
		// Update, read back, list.
		rule.Threshold, rule.Severity = 90, inventory.SeverityCritical
		var updated AlertRuleView
		f.call(t, RoleAdmin, http.MethodPut, "/api/alert-rules/ds-full", rule, &updated)
		if updated.Threshold != 90 || updated.Severity != inventory.SeverityCritical || updated.Origin != inventory.RuleFromAPI {
			t.Errorf("updated: %+v", updated)
		}
		var got AlertRuleView
		resp, raw = f.call(t, RoleViewer, http.MethodGet, "/api/alert-rules/ds-full", nil, &got)
		// Intact, and inert: JSON, never HTML.
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || got.Name != hostileText {
			t.Errorf("a hostile name is not inert: %s %s", resp.Header.Get("Content-Type"), raw)
		}
		if got.Threshold != 90 || got.Name != hostileText {
			t.Errorf("read back: %+v", got)
		}
		var list struct{ Items []AlertRuleView }
		f.call(t, RoleViewer, http.MethodGet, "/api/alert-rules", nil, &list)
		if len(list.Items) != 2 || list.Items[0].ID != "ds-full" || list.Items[1].ID != "from-config" {
			t.Errorf("list: %+v", list.Items)
		}
		unnamed := rule
		unnamed.ID = ""
		if resp, _ := f.call(t, RoleAdmin, http.MethodPut, "/api/alert-rules/nosuch", unnamed, nil); resp.StatusCode != 404 {
			t.Errorf("PUT an unknown rule: %d", resp.StatusCode)
		}
		// The configuration's rule is read-only.
		cfg := AlertRuleView{Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityInfo}
		for _, c := range []struct {
			method string
			body   any
		}{{http.MethodPut, cfg}, {http.MethodDelete, nil}} {
			resp, raw := f.call(t, RoleAdmin, c.method, "/api/alert-rules/from-config", c.body, nil)
			if resp.StatusCode != 409 || !strings.Contains(problemOf(t, raw).Detail, "configuration file") {
				t.Errorf("%s the configuration's rule: %d %s", c.method, resp.StatusCode, raw)
			}
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodPost, "/api/alert-rules", AlertRuleView{ID: "from-config", Kind: inventory.RuleHostDisconnected,
			Severity: inventory.SeverityInfo}, nil); resp.StatusCode != 409 {
			t.Errorf("creating over the configuration's rule: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleAdmin, http.MethodDelete, "/api/alert-rules/ds-full", nil, nil); resp.StatusCode != 204 {
			t.Errorf("delete: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleViewer, http.MethodGet, "/api/alert-rules/ds-full", nil, nil); resp.StatusCode != 404 {
			t.Errorf("a deleted rule: %d", resp.StatusCode)
		}
		if _, ok := st.(store.AuditLog); ok {
			for _, a := range []string{"alert_rule.create", "alert_rule.update", "alert_rule.delete"} {
				if len(auditOf(t, st, a)) != 1 {
					t.Errorf("audit %s: %+v", a, auditOf(t, st, a))
				}
			}
		}
	})
}

// TestSilencesAPI: a silence for a rule or an entity, until a time or for
// a duration, created by an operator (CreatedBy the token's name), listed
// (active only with ?active=true), deleted; one naming neither, or ending
// in the past, is refused naming the field.
func TestSilencesAPI(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		alertStoreOf(t, st)
		now := time.Now().UTC()
		var s1, s2 inventory.Silence
		resp, _ := f.call(t, RoleOperator, http.MethodPost, "/api/silences", SilenceInput{RuleID: "vm-off", Until: now.Add(2 * time.Hour).Truncate(time.Second),
			Comment: hostileText}, &s1)
		if resp.StatusCode != 201 || s1.ID == 0 || s1.CreatedBy != "operator-token" || s1.Comment != hostileText || !s1.Until.Equal(now.Add(2*time.Hour).Truncate(time.Second)) {
			t.Fatalf("silence 1: %d %+v", resp.StatusCode, s1)
		}
		f.call(t, RoleOperator, http.MethodPost, "/api/silences", SilenceInput{Vcenter: hostile, EntityType: "vm", EntityID: "vm-1", DurationSeconds: 3600}, &s2)
		if !s2.Until.After(now) || s2.EntityID != "vm-1" {
			t.Fatalf("silence 2: %+v", s2)
		}
		for _, c := range []struct {
			body  SilenceInput
			field string
		}{
			{SilenceInput{Until: now.Add(time.Hour)}, "body.rule_id"},
			{SilenceInput{RuleID: "x", Until: now.Add(-time.Hour)}, "body.until"},
			{SilenceInput{RuleID: "x"}, "body.until"},
			{SilenceInput{RuleID: "x", Until: now.Add(time.Hour), DurationSeconds: 60}, "body.duration_seconds"},
		} {
			resp, raw := f.call(t, RoleOperator, http.MethodPost, "/api/silences", c.body, nil)
			if resp.StatusCode != 422 || problemOf(t, raw).InvalidParams[0].Name != c.field {
				t.Errorf("%+v: %d %s", c.body, resp.StatusCode, raw)
			}
		}
		if resp, _ := f.call(t, RoleViewer, http.MethodPost, "/api/silences", SilenceInput{RuleID: "x", DurationSeconds: 60}, nil); resp.StatusCode != 403 {
			t.Errorf("a viewer's silence: %d", resp.StatusCode)
		}
		var l struct{ Items []inventory.Silence }
		f.call(t, RoleViewer, http.MethodGet, "/api/silences?active=true", nil, &l)
		if len(l.Items) != 2 {
			t.Errorf("active silences: %+v", l.Items)
		}
		if resp, _ := f.call(t, RoleOperator, http.MethodDelete, fmt.Sprintf("/api/silences/%d", s1.ID), nil, nil); resp.StatusCode != 204 {
			t.Errorf("delete: %d", resp.StatusCode)
		}
		if resp, _ := f.call(t, RoleOperator, http.MethodDelete, fmt.Sprintf("/api/silences/%d", s1.ID), nil, nil); resp.StatusCode != 404 {
			t.Errorf("delete again: %d", resp.StatusCode)
		}
		f.call(t, RoleViewer, http.MethodGet, "/api/silences", nil, &l)
		if len(l.Items) != 1 || l.Items[0].ID != s2.ID {
			t.Errorf("silences after the delete: %+v", l.Items)
		}
	})
}

// TestChannelsAPI: channel secrets are write-only: sealed with the hook,
// never in an answer, a list, the audit log or a test's error (a
// *url.Error's URL removed); a PUT without secret fields keeps the stored
// secret; a test answers 200 {"ok": true}, 502 with the error, or 501
// without the hook.
func TestChannelsAPI(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		cs, ok := st.(store.AlertChannels)
		if !ok {
			t.Skipf("%T keeps no channels yet", st)
		}
		ctx := context.Background()
		const slackURL = "https://hooks.slack.example/services/T000/B000/S3CRETxyz"
		const hmacKey = "hmac-K3Y-secret-of-24-bytes"
		var testErr error
		o := f.api.o
		o.Alerts = AlertOptions{
			SealSecret: KeyringSealer(f.kr),
			TestChannel: func(_ context.Context, ch inventory.AlertChannel) error {
				if len(ch.Secret) == 0 {
					return errors.New("no secret")
				}
				return testErr
			},
		}
		var err error
		f.api, err = New(o)
		if err != nil {
			t.Fatal(err)
		}
		f.srv = httptest.NewServer(f.api)
		t.Cleanup(f.srv.Close)
		var answers [][]byte
		call := func(role Role, method, path string, body, v any) *http.Response {
			resp, raw := f.call(t, role, method, path, body, v)
			answers = append(answers, raw)
			return resp
		}
		enabled := false
		if resp := call(RoleOperator, http.MethodPost, "/api/channels/slack-ops", ChannelInput{Kind: "slack", URL: slackURL}, nil); resp.StatusCode != 403 {
			t.Errorf("an operator creates a channel: %d", resp.StatusCode)
		}
		var created inventory.AlertChannel
		if resp := call(RoleAdmin, http.MethodPost, "/api/channels/slack-ops", ChannelInput{Kind: "slack", URL: slackURL, MinSeverity: "warning"}, &created); resp.StatusCode != 201 ||
			!created.HasSecret || created.URL != "" {
			t.Fatalf("created %d %+v", resp.StatusCode, created)
		}
		stored, err := cs.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: "slack-ops"})
		if err != nil {
			t.Fatal(err)
		}
		if sec, err := OpenChannelSecret(f.kr, *stored); err != nil || sec.URL != slackURL {
			t.Fatalf("the stored secret does not open to the URL: %v", err)
		}
		other := *stored
		other.Name = "other"
		if _, err := OpenChannelSecret(f.kr, other); err == nil {
			t.Fatal("a channel's secret opens for another channel")
		}
		if resp := call(RoleAdmin, http.MethodPost, "/api/channels/slack-ops", ChannelInput{Kind: "slack", URL: slackURL}, nil); resp.StatusCode != 409 {
			t.Errorf("create twice: %d", resp.StatusCode)
		}
		// A PUT without the URL keeps the secret.
		var updated inventory.AlertChannel
		call(RoleAdmin, http.MethodPut, "/api/channels/slack-ops", ChannelInput{Kind: "slack", MinSeverity: "critical", Enabled: &enabled}, &updated)
		if updated.Enabled || updated.MinSeverity != inventory.SeverityCritical || !updated.HasSecret {
			t.Errorf("updated: %+v", updated)
		}
		after, _ := cs.GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: "slack-ops"})
		if !bytes.Equal(after.Secret, stored.Secret) {
			t.Error("a PUT without the URL changed the stored secret")
		}
		// Validation names the fields.
		resp, raw := f.call(t, RoleAdmin, http.MethodPost, "/api/channels/hook", ChannelInput{Kind: "webhook", URL: "ftp://x"}, nil)
		answers = append(answers, raw)
		if resp.StatusCode != 422 || !bytes.Contains(raw, []byte(`"body.url"`)) || !bytes.Contains(raw, []byte(`"body.hmac_key"`)) {
			t.Errorf("an invalid webhook: %d %s", resp.StatusCode, raw)
		}
		var hook inventory.AlertChannel
		call(RoleAdmin, http.MethodPost, "/api/channels/hook", ChannelInput{Kind: "webhook", URL: "https://hooks.example.com/in", HMACKey: hmacKey}, &hook)
		if hook.URL != "https://hooks.example.com/in" || !hook.HasSecret {
			t.Errorf("webhook: %+v", hook)
		}
		var list struct{ Items []inventory.AlertChannel }
		call(RoleOperator, http.MethodGet, "/api/channels", nil, &list)
		if len(list.Items) != 2 {
			t.Errorf("channels: %+v", list.Items)
		}
		call(RoleOperator, http.MethodGet, "/api/channels/slack-ops", nil, &created)
		// Test notification: ok, then a failure whose *url.Error carries
		// the URL.
		var tested ChannelTest
		call(RoleAdmin, http.MethodPost, "/api/channels/slack-ops/test", nil, &tested)
		if !tested.OK {
			t.Error("the test did not answer ok")
		}
		testErr = fmt.Errorf("notify: %w", &url.Error{Op: "Post", URL: slackURL, Err: errors.New("connection refused")})
		resp, raw = f.call(t, RoleAdmin, http.MethodPost, "/api/channels/slack-ops/test", nil, nil)
		answers = append(answers, raw)
		if resp.StatusCode != 502 || !strings.Contains(problemOf(t, raw).Detail, "connection refused") {
			t.Errorf("a failed test: %d %s", resp.StatusCode, raw)
		}
		if resp := call(RoleOperator, http.MethodPost, "/api/channels/slack-ops/test", nil, nil); resp.StatusCode != 403 {
			t.Errorf("an operator's test: %d", resp.StatusCode)
		}
		if resp := call(RoleAdmin, http.MethodPost, "/api/channels/nosuch/test", nil, nil); resp.StatusCode != 404 {
			t.Errorf("test an unknown channel: %d", resp.StatusCode)
		}
		if resp := call(RoleAdmin, http.MethodDelete, "/api/channels/hook", nil, nil); resp.StatusCode != 204 {
			t.Errorf("delete: %d", resp.StatusCode)
		}
		if resp := call(RoleAdmin, http.MethodDelete, "/api/channels/hook", nil, nil); resp.StatusCode != 404 {
			t.Errorf("delete again: %d", resp.StatusCode)
		}
		// Without the hooks: a secret cannot be set, a test is 501.
		o.Alerts = AlertOptions{}
		bare, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		f.srv = httptest.NewServer(bare)
		t.Cleanup(f.srv.Close)
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{http.MethodPost, "/api/channels/slack-ops/test", nil},
			{http.MethodPost, "/api/channels/teams", ChannelInput{Kind: "teams", URL: slackURL}},
		} {
			resp, raw := f.call(t, RoleAdmin, c.method, c.path, c.body, nil)
			answers = append(answers, raw)
			if resp.StatusCode != 501 {
				t.Errorf("%s without hooks: %d %s", c.path, resp.StatusCode, raw)
			}
		}
		// The secrets are in no answer and no audit entry.
		if al, ok := st.(store.AuditLog); ok {
			pg, err := al.ListAudit(ctx, &store.ListAuditParams{Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(auditOf(t, st, "channel.create")) != 2 || len(auditOf(t, st, "channel.test")) != 2 {
				t.Errorf("channel audit entries: %+v", pg.Entries)
			}
			for _, e := range pg.Entries {
				b, _ := json.Marshal(e)
				answers = append(answers, b)
			}
		}
		for _, a := range answers {
			for _, s := range []string{slackURL, "S3CRETxyz", hmacKey, "sealed-blob"} {
				if bytes.Contains(a, []byte(s)) {
					t.Errorf("a secret in %s", a)
				}
			}
		}
	})
}

// TestAlertsNotImplemented: a store without the alert interfaces answers
// 501 problems on every alert path.
func TestAlertsNotImplemented(t *testing.T) {
	f := newFixture(t, struct{ store.Store }{memstore.New(memstore.Options{})})
	for _, p := range []string{"/api/alerts", "/api/alerts/1", "/api/alerts/counts", "/api/alert-rules", "/api/silences", "/api/channels", "/api/notifications"} {
		resp, raw := f.call(t, RoleAdmin, http.MethodGet, p, nil, nil)
		if resp.StatusCode != 501 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, raw)
		}
	}
}

// TestStreamAlerts: ?types=alert receives the alerts an acknowledgement
// publishes (and the evaluator's), nothing else; a token scoped to vc-a
// receives only vc-a's alerts.
func TestStreamAlerts(t *testing.T) {
	f := newStreamFixture(t, nil, live.Options{})
	as := f.st.(store.AlertStore)
	mk := func(vc string) inventory.Alert {
		res, err := as.ApplyAlerts(context.Background(), &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: inventory.Alert{
			RuleID: "r", Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, Vcenter: vc, EntityType: inventory.EntityHost,
			EntityID: "host-1", EntityName: hostileText, State: inventory.AlertOpen, SeenAt: alertT0, OpenedAt: alertT0, UpdatedAt: alertT0}}}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Alerts[0]
	}
	a, b := mk("vc-a"), mk("vc-b")
	viewer := f.open(t, f.viewer, "?types=alert", 100)
	scoped := f.open(t, f.scoped, "?types=alert", 100)
	f.batch(t, "vc-a", 1, 1) // a change: not an alert
	if err := f.hub.Publish(live.KindAlert, b, b.Vcenter); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+fmt.Sprintf("/api/alerts/%d/ack", a.ID), strings.NewReader(`{"comment": "mine"}`))
	req.Header.Set("Authorization", "Bearer "+f.scoped)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ack: %d", resp.StatusCode)
	}
	got := func(c *livetest.Client) string {
		m := c.Next(t, 5*time.Second)
		var x inventory.Alert
		if err := json.Unmarshal([]byte(m.Data), &x); err != nil {
			t.Fatalf("%s %s: %v", m.Event, m.Data, err)
		}
		return fmt.Sprintf("%s %s %s %s", m.Event, x.Vcenter, x.State, x.EntityName)
	}
	for _, want := range []string{"alert vc-b open " + hostileText, "alert vc-a acknowledged " + hostileText} {
		if g := got(viewer); g != want {
			t.Errorf("viewer: %q, want %q", g, want)
		}
	}
	if g := got(scoped); g != "alert vc-a acknowledged "+hostileText {
		t.Errorf("scoped: %q", g)
	}
}

// racingStore is a real store whose second GetAlert lets the evaluator
// resolve the alert first (the change an operator's action races with).
type racingStore struct {
	store.Store
	store.AlertStore
	gets int
}

func (r *racingStore) GetAlert(ctx context.Context, p *store.GetAlertParams) (*inventory.Alert, error) {
	a, err := r.AlertStore.GetAlert(ctx, p)
	if r.gets++; r.gets == 2 && err == nil {
		resolved := *a
		resolved.State, resolved.ResolvedAt = inventory.AlertResolved, alertT0.Add(time.Hour)
		if _, err := r.AlertStore.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: resolved, ExpectState: a.State}}}); err != nil {
			return nil, err
		}
	}
	return a, err
}

// TestAlertChangedMeanwhile: an acknowledgement that loses the race with
// the evaluator answers 409 and writes nothing.
func TestAlertChangedMeanwhile(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	st := &racingStore{Store: ms, AlertStore: ms}
	f := newFixture(t, st)
	open := seedAlerts(t, st)[0]
	resp, raw := f.call(t, RoleOperator, http.MethodPost, fmt.Sprintf("/api/alerts/%d/ack", open.ID), AlertAction{Comment: "late"}, nil)
	if resp.StatusCode != 409 || !strings.Contains(problemOf(t, raw).Detail, "changed meanwhile") {
		t.Fatalf("a lost race: %d %s", resp.StatusCode, raw)
	}
	got, err := ms.GetAlert(context.Background(), &store.GetAlertParams{ID: open.ID})
	if err != nil || got.State != inventory.AlertResolved || got.AckComment != "" {
		t.Errorf("after the lost race: %+v %v", got, err)
	}
}
