package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
)

// alertTabs are the sections of the alerts console.
var alertTabs = []Option{
	{"active", "Active"}, {"acknowledged", "Acknowledged"}, {"history", "History"},
	{"rules", "Rules"}, {"silences", "Silences"}, {"channels", "Channels"},
}

// alertsView is the alerts console's data.
type alertsView struct {
	Tab                  string
	CanOperate, CanAdmin bool
	// Note says why the console is empty (a store without alerts).
	Note   string
	Counts api.AlertCounts
	// Alerts are the tab's alerts (active, acknowledged, history);
	// States the states the list shows (live rows of other states leave).
	Alerts []inventory.Alert
	States string
	Next   string
	Paged  bool
	Rules  []api.AlertRuleView
	// Rule is the rule form (EditRule names the rule being edited);
	// RuleForm the raw values typed and RuleErrs the field errors.
	Rule     api.AlertRuleView
	EditRule string
	RuleForm url.Values
	RuleErrs map[string]string
	Silences []inventory.Silence
	// Silence pre-fills the silence form (from a "silence" link).
	Silence      url.Values
	SilenceErrs  map[string]string
	Channels     []inventory.AlertChannel
	Channel      inventory.AlertChannel
	EditChannel  string
	ChannelForm  url.Values
	ChannelErrs  map[string]string
	ChannelsNote string
}

// Kinds and Severities are the rule form's choices.
func (alertsView) Kinds() []inventory.AlertRuleKind      { return inventory.AlertRuleKinds() }
func (alertsView) Severities() []inventory.AlertSeverity { return inventory.AlertSeverities() }

func (s *Server) alerts(p *page) error {
	q := p.r.URL.Query()
	v := alertsView{Tab: q.Get("tab"), CanOperate: p.v.Can(api.RoleOperator), CanAdmin: p.v.Can(api.RoleAdmin)}
	if !slices.ContainsFunc(alertTabs, func(o Option) bool { return o.Value == v.Tab }) {
		v.Tab = "active"
	}
	return s.renderAlerts(p, &v, http.StatusOK)
}

// renderAlerts loads the tab's data into v and renders the console.
func (s *Server) renderAlerts(p *page, v *alertsView, status int) error {
	q := p.r.URL.Query()
	switch err := p.get("/api/alerts/counts", nil, &v.Counts); {
	case isStatus(err, http.StatusNotImplemented):
		v.Note = "This server's store keeps no alerts."
		p.render(status, alertsPage(p, *v))
		return nil
	case err != nil:
		return err
	}
	switch v.Tab {
	case "active", "acknowledged", "history":
		v.States = map[string]string{"active": "open", "acknowledged": "acknowledged", "history": "resolved"}[v.Tab]
		aq := url.Values{"state": {v.States}, "limit": {pageSize}}
		if c := q.Get("cursor"); c != "" {
			aq.Set("cursor", c)
			v.Paged = true
		}
		var l list[inventory.Alert]
		if err := p.get("/api/alerts", aq, &l); err != nil {
			return err
		}
		v.Alerts, v.Next = l.Items, l.NextCursor
	case "rules":
		var l list[api.AlertRuleView]
		if err := p.get("/api/alert-rules", nil, &l); err != nil {
			return err
		}
		v.Rules = l.Items
		if id := q.Get("edit"); id != "" && v.RuleForm == nil {
			if i := slices.IndexFunc(v.Rules, func(r api.AlertRuleView) bool { return r.ID == id }); i >= 0 {
				v.Rule, v.EditRule = v.Rules[i], id
			}
		}
	case "silences":
		var l list[inventory.Silence]
		if err := p.get("/api/silences", url.Values{"active": {"true"}}, &l); err != nil {
			return err
		}
		v.Silences = l.Items
		if v.Silence == nil {
			v.Silence = q
		}
		var rl list[api.AlertRuleView]
		if err := p.get("/api/alert-rules", nil, &rl); err != nil {
			return err
		}
		v.Rules = rl.Items
	case "channels":
		var l list[inventory.AlertChannel]
		switch err := p.get("/api/channels", nil, &l); {
		case isStatus(err, 401), isStatus(err, 403):
			v.ChannelsNote = "Sign in as an operator or admin to see the notification channels."
		case isStatus(err, http.StatusNotImplemented):
			v.ChannelsNote = "This server's store keeps no notification channels."
		case err != nil:
			return err
		}
		v.Channels = l.Items
		if name := q.Get("edit"); name != "" && v.ChannelForm == nil {
			if i := slices.IndexFunc(v.Channels, func(c inventory.AlertChannel) bool { return c.Name == name }); i >= 0 {
				v.Channel, v.EditChannel = v.Channels[i], name
			}
		}
	}
	p.render(status, alertsPage(p, *v))
	return nil
}

// alertHref links an alert's entity to its page ("" for an endpoint).
func alertHref(a inventory.Alert) string {
	switch a.EntityType {
	case inventory.EntityVM:
		return vmHref(a.Vcenter, a.EntityID)
	case inventory.EntityHost:
		return hostHref(a.Vcenter, a.EntityID)
	case inventory.EntityDatastore:
		return "/datastores/" + pathEsc(a.Vcenter) + "/" + pathEsc(a.EntityID)
	}
	return ""
}

// severityBadge is a severity's badge class.
func severityBadge(s inventory.AlertSeverity) string {
	switch s {
	case inventory.SeverityCritical:
		return "danger"
	case inventory.SeverityWarning:
		return "warning"
	}
	return "neutral"
}

// silenceLink pre-fills the silence form for an alert's rule and entity.
func silenceLink(a inventory.Alert) string {
	q := url.Values{"tab": {"silences"}, "rule_id": {a.RuleID}, "vcenter": {a.Vcenter}, "entity_type": {string(a.EntityType)}, "entity_id": {a.EntityID}}
	return "/alerts?" + q.Encode() + "#silence-form"
}

// alertAction serves POST /alerts/{id}/ack and /resolve.
func (s *Server) alertAction(action string) func(*page) error {
	return func(p *page) error {
		back := "/alerts"
		if t := p.r.URL.Query().Get("tab"); t == "acknowledged" {
			back = "/alerts?tab=acknowledged"
		}
		f, ok := s.formOrBack(p, back)
		if !ok {
			return nil
		}
		id, err := strconv.ParseInt(p.r.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			return p.redirectErr(back, "No such alert.")
		}
		var out inventory.Alert
		if err := p.call(http.MethodPost, fmt.Sprintf("/api/alerts/%d/%s", id, action), api.AlertAction{Comment: f.Get("comment")}, &out); err != nil {
			return p.actionFailed(back, err)
		}
		verb := map[string]string{"ack": "acknowledged", "resolve": "resolved"}[action]
		return p.redirect(back, fmt.Sprintf("Alert %d (%s) %s.", id, out.EntityName, verb))
	}
}

// fieldErrors maps a problem's invalid parameters to form fields: the
// body field without "body." and without list indexes.
func fieldErrors(err error) (map[string]string, bool) {
	var pr *api.Problem
	if !errors.As(err, &pr) || pr.Status != http.StatusUnprocessableEntity || len(pr.InvalidParams) == 0 {
		return nil, false
	}
	out := map[string]string{}
	for _, ip := range pr.InvalidParams {
		name := indexRE.ReplaceAllString(strings.TrimPrefix(ip.Name, "body."), "")
		if out[name] != "" {
			out[name] += "; "
		}
		out[name] += ip.Reason
	}
	return out, true
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// commaList splits a comma-separated field.
func commaList(s string) []string {
	var out []string
	for x := range strings.SplitSeq(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// parseDurationField reads a duration field ("4h", "30m"; empty is 0).
func parseDurationField(s string) (time.Duration, bool) {
	if s = strings.TrimSpace(s); s == "" {
		return 0, true
	}
	d, err := time.ParseDuration(s)
	return d, err == nil && d >= 0
}

// fmtDuration shows seconds as a duration field's value.
func fmtDuration(sec float64) string {
	if sec == 0 {
		return ""
	}
	d := time.Duration(sec * float64(time.Second))
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	return strings.TrimSuffix(s, "0m")
}

// formNum shows a number as a form field's value.
func formNum(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func (s *Server) saveRule(p *page) error {
	f, ok := s.formOrBack(p, "/alerts?tab=rules")
	if !ok {
		return nil
	}
	errs := map[string]string{}
	num := func(name string) float64 {
		x := strings.TrimSpace(f.Get(name))
		if x == "" {
			return 0
		}
		v, err := strconv.ParseFloat(x, 64)
		if err != nil {
			errs[name] = "must be a number"
		}
		return v
	}
	dur := func(name, field string) float64 {
		d, ok := parseDurationField(f.Get(name))
		if !ok {
			errs[field] = "must be a duration such as 30m or 4h"
		}
		return d.Seconds()
	}
	r := api.AlertRuleView{ID: strings.TrimSpace(f.Get("id")), Name: f.Get("name"), Kind: inventory.AlertRuleKind(f.Get("kind")),
		Severity: inventory.AlertSeverity(f.Get("severity")), Enabled: f.Get("enabled") == "on",
		Threshold: num("threshold"), Clear: num("clear"), DurationSeconds: dur("duration", "duration_seconds"), ForSeconds: dur("for", "for_seconds"),
		Channels: commaList(f.Get("channels")),
		Scope: inventory.AlertScope{Vcenters: commaList(f.Get("scope_vcenters")), Datacenters: commaList(f.Get("scope_datacenters")),
			Clusters: commaList(f.Get("scope_clusters")), Attribute: strings.TrimSpace(f.Get("scope_attribute")), Name: f.Get("scope_name")}}
	orig := f.Get("original")
	v := &alertsView{Tab: "rules", CanOperate: p.v.Can(api.RoleOperator), CanAdmin: p.v.Can(api.RoleAdmin), Rule: r, EditRule: orig, RuleForm: f}
	if len(errs) > 0 {
		v.RuleErrs = errs
		return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
	}
	method, path, verb := http.MethodPost, "/api/alert-rules", "created"
	if orig != "" {
		r.ID = ""
		method, path, verb = http.MethodPut, "/api/alert-rules/"+url.PathEscape(orig), "saved"
	}
	var out api.AlertRuleView
	if err := p.call(method, path, r, &out); err != nil {
		if fe, ok := fieldErrors(err); ok {
			v.RuleErrs = fe
			return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
		}
		return p.actionFailed("/alerts?tab=rules", err)
	}
	return p.redirect("/alerts?tab=rules", fmt.Sprintf("Rule %s %s.", out.ID, verb))
}

func (s *Server) deleteRule(p *page) error {
	if _, ok := s.formOrBack(p, "/alerts?tab=rules"); !ok {
		return nil
	}
	id := p.r.PathValue("id")
	if err := p.call(http.MethodDelete, "/api/alert-rules/"+url.PathEscape(id), nil, nil); err != nil {
		return p.actionFailed("/alerts?tab=rules", err)
	}
	return p.redirect("/alerts?tab=rules", fmt.Sprintf("Rule %s deleted.", id))
}

func (s *Server) createSilence(p *page) error {
	f, ok := s.formOrBack(p, "/alerts?tab=silences")
	if !ok {
		return nil
	}
	in := api.SilenceInput{RuleID: f.Get("rule_id"), Vcenter: strings.TrimSpace(f.Get("vcenter")), EntityType: f.Get("entity_type"),
		EntityID: strings.TrimSpace(f.Get("entity_id")), Comment: f.Get("comment")}
	v := &alertsView{Tab: "silences", CanOperate: p.v.Can(api.RoleOperator), CanAdmin: p.v.Can(api.RoleAdmin), Silence: f}
	if u := strings.TrimSpace(f.Get("until")); u != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", u, p.s.o.Location)
		if err != nil {
			v.SilenceErrs = map[string]string{"until": "must be a date and time"}
			return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
		}
		in.Until = t
	}
	if d, ok := parseDurationField(f.Get("duration")); !ok {
		v.SilenceErrs = map[string]string{"duration_seconds": "must be a duration such as 30m or 4h"}
		return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
	} else {
		in.DurationSeconds = d.Seconds()
	}
	var out inventory.Silence
	if err := p.call(http.MethodPost, "/api/silences", in, &out); err != nil {
		if fe, ok := fieldErrors(err); ok {
			v.SilenceErrs = fe
			return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
		}
		return p.actionFailed("/alerts?tab=silences", err)
	}
	return p.redirect("/alerts?tab=silences", fmt.Sprintf("Silence %d created, until %s.", out.ID, p.when(out.Until)))
}

func (s *Server) deleteSilence(p *page) error {
	if _, ok := s.formOrBack(p, "/alerts?tab=silences"); !ok {
		return nil
	}
	id, err := strconv.ParseInt(p.r.PathValue("id"), 10, 64)
	if err != nil {
		return p.redirectErr("/alerts?tab=silences", "No such silence.")
	}
	if err := p.call(http.MethodDelete, fmt.Sprintf("/api/silences/%d", id), nil, nil); err != nil {
		return p.actionFailed("/alerts?tab=silences", err)
	}
	return p.redirect("/alerts?tab=silences", fmt.Sprintf("Silence %d ended.", id))
}

func (s *Server) saveChannel(p *page) error {
	f, ok := s.formOrBack(p, "/alerts?tab=channels")
	if !ok {
		return nil
	}
	enabled := f.Get("enabled") == "on"
	port, _ := strconv.Atoi(strings.TrimSpace(f.Get("smtp_port")))
	rate, _ := strconv.Atoi(strings.TrimSpace(f.Get("rate_per_minute")))
	digest, _ := strconv.Atoi(strings.TrimSpace(f.Get("digest_after")))
	in := api.ChannelInput{Kind: f.Get("kind"), Enabled: &enabled, MinSeverity: f.Get("min_severity"), RatePerMinute: rate, DigestAfter: digest}
	// The form shows every kind's fields: only the chosen kind's are sent.
	switch in.Kind {
	case inventory.ChannelWebhook:
		in.URL, in.HMACKey = strings.TrimSpace(f.Get("url")), f.Get("hmac_key")
	case inventory.ChannelSlack, inventory.ChannelTeams:
		in.URL = strings.TrimSpace(f.Get("secret_url"))
	case inventory.ChannelEmail:
		in.SMTPHost, in.SMTPPort, in.From, in.To = strings.TrimSpace(f.Get("smtp_host")), port, strings.TrimSpace(f.Get("from")), commaList(f.Get("to"))
		in.Username, in.Password, in.TLS = f.Get("username"), f.Get("password"), f.Get("tls")
	}
	orig := f.Get("original")
	name := strings.TrimSpace(f.Get("name"))
	method, verb := http.MethodPost, "created"
	if orig != "" {
		name, method, verb = orig, http.MethodPut, "saved"
	}
	// The form is shown again without its secrets.
	shown := url.Values{}
	for k, vs := range f {
		if k != "hmac_key" && k != "password" && k != "secret_url" {
			shown[k] = vs
		}
	}
	v := &alertsView{Tab: "channels", CanOperate: p.v.Can(api.RoleOperator), CanAdmin: p.v.Can(api.RoleAdmin), EditChannel: orig, ChannelForm: shown,
		Channel: inventory.AlertChannel{Name: name, Kind: in.Kind, Enabled: enabled, MinSeverity: inventory.AlertSeverity(in.MinSeverity), URL: f.Get("url"),
			SMTPHost: in.SMTPHost, SMTPPort: port, From: in.From, To: in.To, Username: in.Username, TLS: in.TLS, RatePerMinute: rate, DigestAfter: digest}}
	if name == "" {
		v.ChannelErrs = map[string]string{"name": "is required"}
		return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
	}
	var out inventory.AlertChannel
	if err := p.call(method, "/api/channels/"+url.PathEscape(name), in, &out); err != nil {
		if fe, ok := fieldErrors(err); ok {
			if r, ok := fe["path.name"]; ok {
				fe["name"] = r
			}
			if in.Kind == inventory.ChannelSlack || in.Kind == inventory.ChannelTeams {
				if r, ok := fe["url"]; ok {
					fe["secret_url"] = r
				}
			}
			v.ChannelErrs = fe
			return s.renderAlerts(p, v, http.StatusUnprocessableEntity)
		}
		return p.actionFailed("/alerts?tab=channels", err)
	}
	return p.redirect("/alerts?tab=channels", fmt.Sprintf("Channel %s %s.", out.Name, verb))
}

func (s *Server) deleteChannel(p *page) error {
	if _, ok := s.formOrBack(p, "/alerts?tab=channels"); !ok {
		return nil
	}
	name := p.r.PathValue("name")
	if err := p.call(http.MethodDelete, "/api/channels/"+url.PathEscape(name), nil, nil); err != nil {
		return p.actionFailed("/alerts?tab=channels", err)
	}
	return p.redirect("/alerts?tab=channels", fmt.Sprintf("Channel %s deleted.", name))
}

func (s *Server) testChannel(p *page) error {
	back := "/alerts?tab=channels"
	if _, ok := s.formOrBack(p, back); !ok {
		return nil
	}
	name := p.r.PathValue("name")
	var out api.ChannelTest
	if err := p.call(http.MethodPost, "/api/channels/"+url.PathEscape(name)+"/test", nil, &out); err != nil {
		var pr *api.Problem
		if errors.As(err, &pr) && (pr.Status == http.StatusBadGateway || pr.Status == http.StatusNotImplemented) {
			return p.redirectErr(back, fmt.Sprintf("Channel %s: %s", name, pr.Detail))
		}
		return p.actionFailed(back, err)
	}
	return p.redirect(back, fmt.Sprintf("Test notification sent through %s.", name))
}

// formValue is a form's value: the typed one after a failed submit, else
// def.
func formValue(f url.Values, name, def string) string {
	if f != nil {
		if _, ok := f[name]; ok {
			return f.Get(name)
		}
	}
	return def
}

// sumCounts adds a count map's values.
func sumCounts(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// orTime is t, or def when t is zero.
func orTime(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}

func queryEsc(s string) string { return url.QueryEscape(s) }

// channelTarget says where a channel sends, without a secret.
func channelTarget(c inventory.AlertChannel) string {
	switch c.Kind {
	case inventory.ChannelWebhook:
		return c.URL
	case inventory.ChannelEmail:
		return strings.Join(c.To, ", ") + " via " + c.SMTPHost
	}
	return "incoming webhook"
}

// secretHint is a write-only field's placeholder.
func secretHint(stored bool) string {
	if stored {
		return "stored; leave empty to keep"
	}
	return ""
}
