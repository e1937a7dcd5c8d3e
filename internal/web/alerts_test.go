package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/live"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// alertServer serves the pages of f's store (which must keep alerts)
// through an API with hub and channel hooks (a keyring seals secrets, a
// test notification succeeds), signed in with the returned admin and
// viewer token secrets.
func alertServer(t *testing.T, f *fixture, hub *live.Hub) (srv *httptest.Server, admin, viewer string) {
	t.Helper()
	if _, ok := f.st.(store.AlertStore); !ok {
		t.Skipf("%T keeps no alerts yet", f.st)
	}
	admin, at, err := api.NewToken("alert-admin", api.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	viewer, vt, err := api.NewToken("alert-viewer", api.RoleViewer)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := secrets.New(secrets.Key{ID: "k1", Bytes: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := api.New(api.Options{Store: f.st, Tokens: api.Tokens{at, vt}, Hub: hub, Alerts: api.AlertOptions{
		SealSecret:  func(_ context.Context, ch string, p []byte) ([]byte, error) { return kr.Encrypt(p, ch) },
		TestChannel: func(context.Context, inventory.AlertChannel) error { return nil },
	}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Options{API: a, Clock: func() time.Time { return fixtureNow }})
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return srv, admin, viewer
}

// openAlert stores an open alert about a VM of the fixture (its hostile
// name) and returns it as stored.
func openAlert(t *testing.T, st store.Store, entity inventory.EntityType, id, name string, sev inventory.AlertSeverity) inventory.Alert {
	t.Helper()
	now := time.Now().UTC()
	res, err := st.(store.AlertStore).ApplyAlerts(context.Background(), &store.ApplyAlertsParams{
		Alerts: []store.AlertUpdate{{Alert: inventory.Alert{RuleID: "vm-off", Kind: inventory.RuleVMPoweredOff, Severity: sev, Vcenter: hostileVC,
			EntityType: entity, EntityID: id, EntityName: name, State: inventory.AlertOpen, Summary: "powered off by the guest OS: " + name,
			SeenAt: now, OpenedAt: now, UpdatedAt: now}}},
		Transitions: []store.AlertTransitionRef{{Transition: inventory.AlertTransition{To: inventory.AlertOpen, At: now}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Alerts[0]
}

// TestBrowserAlerts: the alerts console in chromium: an open alert with
// a hostile entity name (inert, linked to the VM's page) is acknowledged
// with a hostile comment (shown as text on the acknowledged tab); a new
// alert appears in the open list from the stream without a reload and
// the counters move; a silence is created for it; a rule with a bad
// threshold shows the error next to the field; a channel is created
// with a write-only secret and a test notification reports its result.
// Every tab passes axe-core.
func TestBrowserAlerts(t *testing.T) {
	chromium(t)
	f := newFixture(t, sqliteStore(t), Options{}, false)
	hub, err := live.New(live.Options{Store: f.st, PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	srv, admin, _ := alertServer(t, f, hub)
	// The fixture's open alert about the VM named scriptName.
	vmID := f.vmID[scriptName]
	pg, err := f.st.(store.AlertStore).ListAlerts(context.Background(), &store.ListAlertsParams{EntityID: vmID})
	if err != nil || len(pg.Alerts) != 1 {
		t.Fatalf("the fixture's alert: %+v %v", pg, err)
	}
	first := pg.Alerts[0]

	b := newBrowser(t, 1280, 900)
	b.base = srv.URL
	b.signIn(admin)
	b.open(srv.URL + "/alerts")
	row := fmt.Sprintf(`tr[data-key="%d"]`, first.ID)
	var href string
	b.eval(`document.querySelector('`+row+` td:nth-child(3) a').getAttribute("href")`, &href)
	if href != vmHref(hostileVC, vmID) {
		t.Errorf("the entity links to %q, want %q", href, vmHref(hostileVC, vmID))
	}
	if txt := b.text(row + ` td:nth-child(3) a`); txt != scriptName {
		t.Errorf("the entity shows %q", txt)
	}
	if txt := b.text(`[data-alert-count="open.critical"]`); txt != "1" {
		t.Errorf("open critical counter %q", txt)
	}
	b.hostileInert("alerts", 1280)
	for _, v := range b.axe() {
		t.Errorf("alerts: axe: %s", v)
	}
	b.clean("alerts")

	// Acknowledge with a hostile comment.
	input := fmt.Sprintf(`#ack-%d`, first.ID)
	b.run("acknowledge", chromedp.SetValue(chromedp.CSS(input), quoteName), navigate(chromedp.Submit(chromedp.CSS(input))),
		chromedp.WaitReady(chromedp.CSS(`.flash`)))
	if msg := b.text(`.flash`); !strings.Contains(msg, "acknowledged") {
		t.Errorf("after the ack: %q", msg)
	}
	var n int
	b.eval(`document.querySelectorAll('`+row+`').length`, &n)
	if n != 0 {
		t.Error("the acknowledged alert is still in the open list")
	}
	b.open(srv.URL + "/alerts?tab=acknowledged")
	if by, comment := b.text(row+` td:nth-child(8)`), b.text(row+` td:nth-child(9)`); !strings.HasPrefix(by, "alert-admin") || comment != quoteName {
		t.Errorf("acknowledged by %q with %q", by, comment)
	}
	b.hostileInert("acknowledged", 1280)
	for _, v := range b.axe() {
		t.Errorf("acknowledged: axe: %s", v)
	}
	b.clean("acknowledged")

	// A new alert arrives over the stream (as the evaluator publishes it).
	b.open(srv.URL + "/alerts")
	b.run("stream connects", poll(`document.getElementById("live-status").dataset.state === "connected"`, 20*time.Second))
	var marker bool
	b.eval(`window.__alertMarker = 1; true`, &marker)
	hostName := `<img src=x onerror="window.__xss=3">host ☃`
	second := openAlert(t, f.st, inventory.EntityHost, "host-77", hostName, inventory.SeverityWarning)
	if err := hub.Publish(live.KindAlert, second, second.Vcenter); err != nil {
		t.Fatal(err)
	}
	row2 := fmt.Sprintf(`tr[data-key="%d"]`, second.ID)
	b.run("the new alert appears", poll(`document.querySelector('`+row2+`') !== null && document.querySelector('`+row2+`').classList.contains("live-flash")`, 20*time.Second))
	b.run("the counter moves", poll(`document.querySelector('[data-alert-count="open.warning"]').textContent === "1"`, 20*time.Second))
	var got struct {
		Marker int    `json:"marker"`
		Entity string `json:"entity"`
		Href   string `json:"href"`
		Forms  int    `json:"forms"`
	}
	b.eval(`({marker: window.__alertMarker, entity: document.querySelector('`+row2+` td:nth-child(3) a').textContent,
		href: document.querySelector('`+row2+` td:nth-child(3) a').getAttribute("href"), forms: document.querySelectorAll('`+row2+` form').length})`, &got)
	if got.Marker != 1 {
		t.Error("the page reloaded")
	}
	if got.Entity != hostName || got.Href != hostHref(hostileVC, "host-77") || got.Forms != 2 {
		t.Errorf("the live row: %+v", got)
	}
	b.hostileInert("alerts after a live alert", 1280)
	for _, v := range b.axe() {
		t.Errorf("alerts, live: axe: %s", v)
	}
	b.clean("alerts, live")

	// Silence the new alert for two hours from its row's link.
	b.run("silence link", navigate(chromedp.Click(chromedp.CSS(row2+` a[href*="tab=silences"]`))), chromedp.WaitReady(chromedp.CSS(`#sil-duration`)))
	var entity string
	b.eval(`document.getElementById("sil-entity").value`, &entity)
	if entity != "host-77" {
		t.Errorf("the silence form is pre-filled with %q", entity)
	}
	b.run("create a silence", chromedp.SetValue(chromedp.CSS(`#sil-duration`), "2h"), chromedp.SetValue(chromedp.CSS(`#sil-comment`), quoteName),
		navigate(chromedp.Submit(chromedp.CSS(`#sil-duration`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
	if msg := b.text(`.flash`); !strings.HasPrefix(msg, "Silence ") {
		t.Errorf("after the silence: %q", msg)
	}
	ss, err := f.st.(store.AlertStore).ListSilences(context.Background(), &store.ListSilencesParams{})
	if err != nil || len(ss) != 1 || ss[0].EntityID != "host-77" || ss[0].Comment != quoteName || ss[0].CreatedBy != "alert-admin" {
		t.Fatalf("silences: %+v %v", ss, err)
	}
	if txt := b.text(fmt.Sprintf(`tr[data-key="%d"] td:nth-child(5)`, ss[0].ID)); txt != quoteName {
		t.Errorf("the silence's comment shows %q", txt)
	}
	b.hostileInert("silences", 1280)
	for _, v := range b.axe() {
		t.Errorf("silences: axe: %s", v)
	}
	b.clean("silences")

	// A rule with a bad threshold: the error is next to the field.
	b.allow["/alerts/rules"] = true
	b.open(srv.URL + "/alerts?tab=rules")
	b.run("a bad rule", chromedp.SetValue(chromedp.CSS(`#rule-id`), "ds-full"), chromedp.SetValue(chromedp.CSS(`#rule-kind`), "datastore_used_pct"),
		chromedp.SetValue(chromedp.CSS(`#rule-threshold`), "150"), navigate(chromedp.Submit(chromedp.CSS(`#rule-id`))),
		chromedp.WaitReady(chromedp.CSS(`#rule-threshold-err`)))
	if msg := b.text(`#rule-threshold-err`); !strings.Contains(msg, "percentage") {
		t.Errorf("the threshold's error: %q", msg)
	}
	var kept string
	b.eval(`document.getElementById("rule-threshold").value + "|" + document.getElementById("rule-threshold").getAttribute("aria-invalid")`, &kept)
	if kept != "150|true" {
		t.Errorf("the threshold field after the error: %q", kept)
	}
	for _, v := range b.axe() {
		t.Errorf("rule errors: axe: %s", v)
	}
	b.run("a good rule", chromedp.SetValue(chromedp.CSS(`#rule-threshold`), "85"), chromedp.SetValue(chromedp.CSS(`#rule-clear`), "80"),
		navigate(chromedp.Submit(chromedp.CSS(`#rule-id`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
	if msg := b.text(`.flash`); msg != "Rule ds-full created." {
		t.Errorf("after the rule: %q", msg)
	}
	b.clean("rules")

	// A Slack channel: the URL is write-only; the test reports ok.
	const slackURL = "https://hooks.slack.example/services/T0/B0/web-S3CRET"
	b.open(srv.URL + "/alerts?tab=channels")
	b.run("a channel", chromedp.SetValue(chromedp.CSS(`#ch-name`), "slack-ops"), chromedp.SetValue(chromedp.CSS(`#ch-kind`), "slack"),
		chromedp.SetValue(chromedp.CSS(`#ch-secret-url`), slackURL), navigate(chromedp.Submit(chromedp.CSS(`#ch-name`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
	if msg := b.text(`.flash`); msg != "Channel slack-ops created." {
		t.Errorf("after the channel: %q", msg)
	}
	b.run("test notification", navigate(chromedp.Click(chromedp.CSS(`form[action="/alerts/channels/slack-ops/test"] button`))), chromedp.WaitReady(chromedp.CSS(`.flash`)))
	if msg := b.text(`.flash`); msg != "Test notification sent through slack-ops." {
		t.Errorf("after the test: %q", msg)
	}
	b.open(srv.URL + "/alerts?tab=channels&edit=slack-ops")
	var html string
	b.eval(`document.documentElement.outerHTML`, &html)
	if strings.Contains(html, "web-S3CRET") {
		t.Error("the channel's secret URL is on the page")
	}
	if ph := b.text(`#ch-secret-url`); ph != "" {
		t.Errorf("the secret field has a value %q", ph)
	}
	for _, v := range b.axe() {
		t.Errorf("channels: axe: %s", v)
	}
	b.clean("channels")

	// The dashboard links its counters to the console.
	b.open(srv.URL + "/")
	if txt := b.text(`[data-alert-count="acknowledged"]`); txt != "1" {
		t.Errorf("the dashboard's acknowledged counter: %q", txt)
	}
	var links int
	b.eval(`document.querySelectorAll('#alert-counts-h ~ .kpis a[href^="/alerts"]').length`, &links)
	if links != 4 {
		t.Errorf("%d dashboard links to /alerts", links)
	}
	b.clean("dashboard")

	// Every tab holds its layout at phone width.
	phone := newBrowser(t, 390, 844)
	phone.base = srv.URL
	phone.run("viewport", chromedp.EmulateViewport(390, 844))
	phone.signIn(admin)
	for _, tab := range alertTabs {
		phone.open(srv.URL + "/alerts?tab=" + tab.Value)
		phone.hostileInert("phone, "+tab.Value, 390)
		phone.clean("phone, " + tab.Value)
	}
}

// TestAlertPagesRoles: a viewer sees the console without forms; actions
// need a sign-in and the API's role (a viewer's ack is refused); a form
// posted from another site is refused.
func TestAlertPagesRoles(t *testing.T) {
	f := newFixture(t, memstore.New(memstore.Options{}), Options{}, false)
	srv, admin, viewer := alertServer(t, f, nil)
	a := openAlert(t, f.st, inventory.EntityVM, f.vmID[quoteName], quoteName, inventory.SeverityWarning)
	c := client(t)
	ack := fmt.Sprintf("%s/alerts/%d/ack", srv.URL, a.ID)

	// Anonymous: the page shows the alert, no form; a post goes to login.
	resp, body := fetch(t, c, http.MethodGet, srv.URL+"/alerts", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, "&#34;quoted&#34;") || strings.Contains(body, "/ack?") {
		t.Fatalf("anonymous console: %d", resp.StatusCode)
	}
	resp, _ = fetch(t, c, http.MethodPost, ack, url.Values{"comment": {"x"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("an anonymous ack: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A viewer: no forms; an ack is refused by the API.
	signInWith(t, &fixture{srv: srv}, c, viewer)
	_, body = fetch(t, c, http.MethodGet, srv.URL+"/alerts?tab=rules", nil, nil)
	if strings.Contains(body, `action="/alerts/rules"`) {
		t.Error("a viewer sees the rule form")
	}
	resp, _ = fetch(t, c, http.MethodPost, ack, url.Values{"comment": {"x"}}, nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "error=") {
		t.Errorf("a viewer's ack: %d %s", resp.StatusCode, loc)
	}
	if got, _ := f.st.(store.AlertStore).GetAlert(context.Background(), &store.GetAlertParams{ID: a.ID}); got.State != inventory.AlertOpen {
		t.Errorf("a viewer acknowledged the alert: %s", got.State)
	}
	// An admin from another site: refused before the handler.
	c2 := client(t)
	signInWith(t, &fixture{srv: srv}, c2, admin)
	resp, _ = fetch(t, c2, http.MethodPost, ack, url.Values{"comment": {"x"}}, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site ack: %d", resp.StatusCode)
	}
	resp, _ = fetch(t, c2, http.MethodPost, ack, url.Values{"comment": {"from here"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the admin's ack: %d", resp.StatusCode)
	}
	if got, _ := f.st.(store.AlertStore).GetAlert(context.Background(), &store.GetAlertParams{ID: a.ID}); got.State != inventory.AlertAcknowledged || got.AckComment != "from here" {
		t.Errorf("after the admin's ack: %+v", got)
	}
}

// TestAlertPagesForms: the console's forms over HTTP as an admin: the
// history tab pages; a rule is edited (kept values, one changed) and
// deleted; a channel edited without its secret keeps it, then deleted; a
// silence ended; every action lands back on its tab with a message.
func TestAlertPagesForms(t *testing.T) {
	f := newFixture(t, memstore.New(memstore.Options{}), Options{}, false)
	srv, admin, _ := alertServer(t, f, nil)
	as := f.st.(store.AlertStore)
	ctx := context.Background()
	// 51 resolved alerts: two pages of history.
	for i := range 51 {
		a := openAlert(t, f.st, inventory.EntityVM, fmt.Sprintf("vm-h%d", i), fmt.Sprintf("old %d", i), inventory.SeverityInfo)
		a.State, a.ResolvedAt = inventory.AlertResolved, time.Now().UTC()
		if _, err := as.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: a, ExpectState: inventory.AlertOpen}}}); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t)
	signInWith(t, &fixture{srv: srv}, c, admin)
	_, body := fetch(t, c, http.MethodGet, srv.URL+"/alerts?tab=history", nil, nil)
	if n := strings.Count(body, "condition cleared"); n != 50 || !strings.Contains(body, `rel="next"`) {
		t.Fatalf("history page 1: %d rows", n)
	}
	i := strings.Index(body, `rel="next" href="`)
	next := strings.ReplaceAll(body[i+len(`rel="next" href="`):][:strings.Index(body[i+len(`rel="next" href="`):], `"`)], "&amp;", "&")
	_, body = fetch(t, c, http.MethodGet, srv.URL+next, nil, nil)
	if n := strings.Count(body, "condition cleared"); n != 1 || !strings.Contains(body, "First page") {
		t.Errorf("history page 2: %d rows", n)
	}

	post := func(path string, form url.Values) string {
		t.Helper()
		resp, body := fetch(t, c, http.MethodPost, srv.URL+path, form, nil)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%.2000s", path, resp.StatusCode, body)
		}
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if loc.Query().Get("error") != "" {
			t.Fatalf("POST %s: %s", path, loc.Query().Get("error"))
		}
		return loc.Query().Get("msg")
	}
	rule := url.Values{"id": {"ds-full"}, "name": {quoteName}, "kind": {"datastore_used_pct"}, "severity": {"warning"}, "threshold": {"85"},
		"clear": {"80"}, "for": {"5m"}, "enabled": {"on"}, "scope_vcenters": {hostileVC}}
	if msg := post("/alerts/rules", rule); msg != "Rule ds-full created." {
		t.Errorf("create: %q", msg)
	}
	_, body = fetch(t, c, http.MethodGet, srv.URL+"/alerts?tab=rules&edit=ds-full", nil, nil)
	for _, want := range []string{`name="original" value="ds-full"`, `id="rule-for" name="for" value="5m"`, `id="rule-clear" name="clear" value="80"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the edit form lacks %s", want)
		}
	}
	edit := url.Values{"original": {"ds-full"}, "name": {quoteName}, "kind": {"datastore_used_pct"}, "severity": {"critical"}, "threshold": {"90"},
		"clear": {"80"}, "for": {"5m"}, "scope_vcenters": {hostileVC}}
	if msg := post("/alerts/rules", edit); msg != "Rule ds-full saved." {
		t.Errorf("edit: %q", msg)
	}
	rules, err := as.ListAlertRules(ctx, &store.ListAlertRulesParams{})
	if err != nil || len(rules) != 2 || rules[0].ID != "ds-full" || rules[0].Threshold != 90 || rules[0].Severity != inventory.SeverityCritical || rules[0].Enabled ||
		rules[0].For != 5*time.Minute || rules[0].Name != quoteName || rules[0].Scope.Vcenters[0] != hostileVC {
		t.Fatalf("after the edit: %+v %v", rules, err)
	}
	// A bad duration is shown next to its field, with status 422.
	bad := url.Values{"id": {"x"}, "kind": {"data_stale"}, "severity": {"info"}, "duration": {"soon"}}
	resp, body := fetch(t, c, http.MethodPost, srv.URL+"/alerts/rules", bad, nil)
	if resp.StatusCode != 422 || !strings.Contains(body, `id="rule-duration-err"`) {
		t.Errorf("a bad duration: %d", resp.StatusCode)
	}
	if msg := post("/alerts/rules/ds-full/delete", url.Values{}); msg != "Rule ds-full deleted." {
		t.Errorf("delete: %q", msg)
	}

	// A webhook channel edited without its key keeps it.
	ch := url.Values{"name": {"hook"}, "kind": {"webhook"}, "url": {"https://hooks.example.com/in"}, "hmac_key": {"k3y-S3CRET-sixteen-plus"}, "enabled": {"on"}}
	post("/alerts/channels", ch)
	before, err := f.st.(store.AlertChannels).GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: "hook"})
	if err != nil {
		t.Fatal(err)
	}
	_, body = fetch(t, c, http.MethodGet, srv.URL+"/alerts?tab=channels&edit=hook", nil, nil)
	if strings.Contains(body, "k3y-S3CRET") || !strings.Contains(body, "stored; leave empty to keep") {
		t.Error("the edit form shows the key, or not that one is stored")
	}
	if msg := post("/alerts/channels", url.Values{"original": {"hook"}, "kind": {"webhook"}, "url": {"https://hooks.example.com/v2"}, "min_severity": {"warning"}}); msg != "Channel hook saved." {
		t.Errorf("channel edit: %q", msg)
	}
	after, err := f.st.(store.AlertChannels).GetAlertChannel(ctx, &store.GetAlertChannelParams{Name: "hook"})
	if err != nil || !bytes.Equal(after.Secret, before.Secret) || after.URL != "https://hooks.example.com/v2" || after.Enabled {
		t.Errorf("after the channel edit: %+v %v", after, err)
	}
	if msg := post("/alerts/channels/hook/delete", url.Values{}); msg != "Channel hook deleted." {
		t.Errorf("channel delete: %q", msg)
	}

	// A silence, then its end.
	if msg := post("/alerts/silences", url.Values{"rule_id": {""}, "vcenter": {hostileVC}, "entity_type": {"vm"}, "entity_id": {"vm-1"}, "duration": {"1h"}}); !strings.HasPrefix(msg, "Silence ") {
		t.Errorf("silence: %q", msg)
	}
	ss, err := as.ListSilences(ctx, &store.ListSilencesParams{})
	if err != nil || len(ss) != 1 {
		t.Fatalf("silences %+v %v", ss, err)
	}
	if msg := post(fmt.Sprintf("/alerts/silences/%d/delete", ss[0].ID), url.Values{}); msg != fmt.Sprintf("Silence %d ended.", ss[0].ID) {
		t.Errorf("end silence: %q", msg)
	}
}
