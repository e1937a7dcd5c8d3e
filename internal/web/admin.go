package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// adminView is the admin page's data.
type adminView struct {
	CanOperate, CanAdmin bool
	Endpoints            *Table
	EndpointsNote        string
	Edit                 api.EndpointView
	Tokens               *Table
	TokensNote           string
	Jobs                 *Table
	JobsNote             string
	Commands             []Option
}

// jobCommands are the maintenance calls an operator triggers, by the
// API's compatibility path.
var jobCommands = []Option{
	{"/api/snapshots/aggregate", "Aggregate days or months again"},
	{"/api/snapshots/repair", "Repair one vCenter's history"},
	{"/api/snapshots/repair/all", "Repair every vCenter's history"},
	{"/api/snapshots/regenerate-hourly-reports", "Regenerate the hourly reports"},
	{"/api/vcenters/cache/rebuild", "Rebuild the lifecycle cache"},
}

func (s *Server) admin(p *page) error {
	v := adminView{CanOperate: p.v.Can(api.RoleOperator), CanAdmin: p.v.Can(api.RoleAdmin), Commands: jobCommands}
	var eps list[api.EndpointView]
	switch err := p.get("/api/endpoints", nil, &eps); {
	case err == nil:
	case isStatus(err, 401), isStatus(err, 403):
		v.EndpointsNote = "Sign in as an operator or admin to see the endpoints."
	default:
		return err
	}
	var cs list[api.Collector]
	if err := p.get("/api/collectors", nil, &cs); err != nil {
		return err
	}
	status := map[string]api.Collector{}
	for _, c := range cs.Items {
		status[c.Endpoint] = c
	}
	v.Endpoints = &Table{Label: "Endpoints", Empty: "No endpoints.", Cols: []Col{{Title: "Name"}, {Title: "URL"}, {Title: "Kind"}, {Title: "User"},
		{Title: "Password"}, {Title: "Every"}, {Title: "Enabled"}, {Title: "Last poll"}}}
	if v.CanAdmin {
		v.Endpoints.Cols = append(v.Endpoints.Cols, Col{Title: "Actions"})
	}
	for _, e := range eps.Items {
		c := status[e.Name]
		poll := text(p.ago(c.LastAttempt))
		switch {
		case c.ConsecutiveFailures > 0:
			poll = Cell{Text: fmt.Sprintf("failed %d× (%s)", c.ConsecutiveFailures, p.ago(c.LastAttempt)), Badge: "danger", Title: c.LastError}
		case !c.LastSuccess.IsZero():
			poll = Cell{Text: "ok " + p.ago(c.LastSuccess), Badge: "success"}
		}
		en := badge("enabled", "success")
		if !e.Enabled {
			en = badge("disabled", "neutral")
		}
		cells := []Cell{text(e.Name), text(e.URL), text(e.Kind), text(e.Username), text(map[bool]string{true: "stored", false: "none"}[e.HasCredential]),
			text(seconds(e.PollIntervalSeconds)), en, poll}
		if v.CanAdmin {
			cells = append(cells, link("Edit, test or delete", "/admin?edit="+url.QueryEscape(e.Name)+"#endpoint-form"))
		}
		v.Endpoints.Rows = append(v.Endpoints.Rows, Row{Key: e.Name, Cells: cells})
		if e.Name == p.r.URL.Query().Get("edit") {
			v.Edit = e
		}
	}

	var toks list[store.TokenInfo]
	switch err := p.get("/api/tokens", nil, &toks); {
	case err == nil:
	case isStatus(err, 401), isStatus(err, 403), isStatus(err, 503):
		v.TokensNote = "Sign in as an admin to manage tokens."
		if isStatus(err, 503) {
			v.TokensNote = "This store keeps no tokens."
		}
	default:
		return err
	}
	v.Tokens = &Table{Label: "API tokens", Empty: "No tokens in the store (the configuration may hold bootstrap tokens).",
		Cols: []Col{{Title: "Name"}, {Title: "Role"}, {Title: "vCenters"}, {Title: "Created"}, {Title: "State"}}}
	if v.CanAdmin {
		v.Tokens.Cols = append(v.Tokens.Cols, Col{Title: "Revoke"})
	}
	for _, t := range toks.Items {
		state := badge("active", "success")
		if !t.RevokedAt.IsZero() {
			state = badge("revoked "+p.when(t.RevokedAt), "neutral")
		}
		cells := []Cell{text(t.Name), text(t.Role), text(orDefault(strings.Join(t.Vcenters, ", "), "every vCenter")), text(p.when(t.CreatedAt)), state}
		if v.CanAdmin {
			cells = append(cells, text(""))
		}
		v.Tokens.Rows = append(v.Tokens.Rows, Row{Key: strconv.FormatInt(t.ID, 10), Cells: cells})
	}

	var runs list[jobs.Run]
	switch err := p.get("/api/jobs", url.Values{"limit": {"30"}}, &runs); {
	case err == nil:
	case isStatus(err, 503):
		v.JobsNote = "This server runs no job queue: jobs run in vinventoryd run."
	default:
		return err
	}
	v.Jobs = &Table{Label: "Job runs", Empty: "No job runs.", Cols: []Col{{Title: "ID", Num: true}, {Title: "Job"}, {Title: "Period"},
		{Title: "State"}, {Title: "Progress"}, {Title: "Created"}, {Title: "Finished"}}}
	for _, r := range runs.Items {
		v.Jobs.Rows = append(v.Jobs.Rows, Row{Key: strconv.FormatInt(r.ID, 10), Cells: []Cell{numCell(strconv.FormatInt(r.ID, 10)), text(r.Job),
			text(r.Period), badge(r.State, jobBadge(r.State)), text(progressText(r)), text(p.when(r.CreatedAt)), text(p.when(r.FinishedAt))}})
	}
	return p.ok(adminPage(p, v, toks.Items))
}

func jobBadge(state string) string {
	switch state {
	case "completed":
		return "success"
	case "discarded", "cancelled":
		return "danger"
	}
	return "warning"
}

func progressText(r jobs.Run) string {
	switch {
	case r.Progress != nil && r.Progress.Total > 0:
		return fmt.Sprintf("%d / %d %s", r.Progress.Done, r.Progress.Total, r.Progress.Note)
	case r.Progress != nil:
		return r.Progress.Note
	case len(r.Errors) > 0:
		return r.Errors[len(r.Errors)-1]
	}
	return ""
}

// jobDone reports whether a run has ended.
func jobDone(r jobs.Run) bool {
	return r.State == "completed" || r.State == "discarded" || r.State == "cancelled"
}

func (s *Server) formOrBack(p *page, back string) (url.Values, bool) {
	if !p.signedIn(back) {
		return nil, false
	}
	if err := p.r.ParseForm(); err != nil {
		_ = p.redirectErr(back, "The form could not be read.")
		return nil, false
	}
	return p.r.PostForm, true
}

func (s *Server) saveEndpoint(p *page) error {
	f, ok := s.formOrBack(p, "/admin")
	if !ok {
		return nil
	}
	poll, _ := strconv.Atoi(f.Get("poll_minutes"))
	enabled := f.Get("enabled") == "on"
	in := api.EndpointInput{URL: strings.TrimSpace(f.Get("url")), Kind: f.Get("kind"), Username: f.Get("username"), Password: f.Get("password"),
		PollIntervalSeconds: poll * 60, Enabled: &enabled}
	name := strings.TrimSpace(f.Get("name"))
	method, path, verb := http.MethodPost, "/api/endpoints", "created"
	if orig := f.Get("original"); orig != "" {
		method, path, verb = http.MethodPut, "/api/endpoints/"+url.PathEscape(orig), "saved"
		// The form does not edit the TLS pin, CA file or tags: keep them.
		var cur api.EndpointView
		if err := p.get(path, nil, &cur); err != nil {
			return p.actionFailed("/admin", err)
		}
		in.TLS, in.Tags = cur.TLS, cur.Tags
	} else {
		in.Name = name
	}
	in.TLS.Insecure = f.Get("insecure") == "on"
	if in.TLS.Insecure {
		in.TLS.Thumbprint = ""
	}
	var scope inventory.Scope
	for _, set := range []struct {
		field, what string
		rules       *[]inventory.ScopeRule
	}{{"scope_include", "capture only", &scope.Include}, {"scope_exclude", "leave out", &scope.Exclude}} {
		for i, line := range strings.Split(f.Get(set.field), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			r, err := inventory.ParseScopeRule(line)
			if err != nil {
				return p.redirectErr("/admin?edit="+url.QueryEscape(f.Get("original"))+"#endpoint-form",
					fmt.Sprintf("Scope (%s), line %d: %v", set.what, i+1, err))
			}
			*set.rules = append(*set.rules, r)
		}
	}
	in.Scope = &scope
	var out api.EndpointView
	if err := p.call(method, path, in, &out); err != nil {
		return p.actionFailed("/admin", err)
	}
	return p.redirect("/admin?edit="+url.QueryEscape(out.Name)+"#endpoint-form", fmt.Sprintf("Endpoint %q %s.", out.Name, verb))
}

func (s *Server) testEndpoint(p *page) error {
	if _, ok := s.formOrBack(p, "/admin"); !ok {
		return nil
	}
	name := p.r.PathValue("name")
	var out api.ConnectionTest
	if err := p.call(http.MethodPost, "/api/endpoints/"+url.PathEscape(name)+"/test", nil, &out); err != nil {
		return p.actionFailed("/admin", err)
	}
	back := "/admin?edit=" + url.QueryEscape(name) + "#endpoint-form"
	if !out.OK {
		return p.redirectErr(back, fmt.Sprintf("Connection test of %q failed: %s", name, out.Error))
	}
	return p.redirect(back, fmt.Sprintf("Connection test of %q passed: %s %s (build %s), %d VMs, in %s.",
		name, out.Product, out.Version, out.Build, out.VMs, seconds(out.DurationSeconds)))
}

func (s *Server) deleteEndpoint(p *page) error {
	if _, ok := s.formOrBack(p, "/admin"); !ok {
		return nil
	}
	name := p.r.PathValue("name")
	if err := p.call(http.MethodDelete, "/api/endpoints/"+url.PathEscape(name), nil, nil); err != nil {
		return p.actionFailed("/admin", err)
	}
	return p.redirect("/admin", fmt.Sprintf("Endpoint %q deleted.", name))
}

func (s *Server) enableEndpoint(p *page) error {
	f, ok := s.formOrBack(p, "/admin")
	if !ok {
		return nil
	}
	name := p.r.PathValue("name")
	var cur api.EndpointView
	if err := p.get("/api/endpoints/"+url.PathEscape(name), nil, &cur); err != nil {
		return p.actionFailed("/admin", err)
	}
	enabled := f.Get("enabled") == "true"
	in := api.EndpointInput{URL: cur.URL, Kind: cur.Kind, Username: cur.Username, TLS: cur.TLS, Tags: cur.Tags,
		PollIntervalSeconds: int(cur.PollIntervalSeconds), Enabled: &enabled}
	if err := p.call(http.MethodPut, "/api/endpoints/"+url.PathEscape(name), in, nil); err != nil {
		return p.actionFailed("/admin", err)
	}
	return p.redirect("/admin", fmt.Sprintf("Endpoint %q %s.", name, map[bool]string{true: "enabled", false: "disabled"}[enabled]))
}

func (s *Server) createToken(p *page) error {
	f, ok := s.formOrBack(p, "/admin")
	if !ok {
		return nil
	}
	in := api.TokenRequest{Name: strings.TrimSpace(f.Get("name")), Role: f.Get("role")}
	for _, vc := range strings.Split(f.Get("vcenters"), ",") {
		if vc = strings.TrimSpace(vc); vc != "" {
			in.Vcenters = append(in.Vcenters, vc)
		}
	}
	var out api.CreatedToken
	if err := p.call(http.MethodPost, "/api/tokens", in, &out); err != nil {
		return p.actionFailed("/admin", err)
	}
	// The secret is shown once, on this answer (not in a URL or a log).
	p.Flash = fmt.Sprintf("Token %q created. Copy its secret now: it is not shown again.", out.Token.Name)
	return p.ok(tokenCreatedPage(p, out))
}

func (s *Server) revokeToken(p *page) error {
	if _, ok := s.formOrBack(p, "/admin"); !ok {
		return nil
	}
	if err := p.call(http.MethodDelete, "/api/tokens/"+url.PathEscape(p.r.PostForm.Get("id")), nil, nil); err != nil {
		return p.actionFailed("/admin", err)
	}
	return p.redirect("/admin#tokens-h", "Token revoked.")
}

func (s *Server) triggerJob(p *page) error {
	f, ok := s.formOrBack(p, "/admin")
	if !ok {
		return nil
	}
	path := f.Get("command")
	known := false
	for _, c := range jobCommands {
		known = known || c.Value == path
	}
	if !known {
		return p.redirectErr("/admin#jobs-h", "Choose a job to run.")
	}
	in := api.ActionRequest{Vcenter: f.Get("vcenter"), Granularity: f.Get("granularity"), From: f.Get("from"), To: f.Get("to")}
	var out api.Queued
	if err := p.call(http.MethodPost, path, in, &out); err != nil {
		return p.actionFailed("/admin#jobs-h", err)
	}
	msg := fmt.Sprintf("Queued job %d (%s).", out.JobID, out.Command)
	if !out.Queued {
		msg = fmt.Sprintf("The same request is already waiting or running as job %d.", out.JobID)
	}
	return p.redirect(fmt.Sprintf("/admin?job=%d#jobs-h", out.JobID), msg)
}

// jobProgress answers the progress poll of a job row: its text and
// whether it has ended.
func (s *Server) jobProgress(p *page) error {
	var r jobs.Run
	if err := p.get("/api/jobs/"+url.PathEscape(p.r.PathValue("id")), nil, &r); err != nil {
		return err
	}
	p.w.Header().Set("Content-Type", "application/json")
	p.w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(p.w).Encode(struct {
		Text string `json:"text"`
		Done bool   `json:"done"`
	}{fmt.Sprintf("job %d: %s %s", r.ID, r.State, progressText(r)), jobDone(r)})
}

func (s *Server) audit(p *page) error {
	q := p.apiQuery("actor", "action", "target", "cursor")
	if ok, err := p.export("/api/audit", "audit", q); ok {
		return err
	}
	q.Set("limit", pageSize)
	var out list[store.AuditEntry]
	err := p.get("/api/audit", q, &out)
	note := ""
	switch {
	case err == nil:
	case isStatus(err, 401), isStatus(err, 403):
		note = "Sign in as an admin to read the audit log."
	case isStatus(err, 503):
		note = "This store keeps no audit log."
	default:
		return err
	}
	in := p.r.URL.Query()
	t := &Table{Label: "Audit log", Path: "/admin/audit", Query: p.apiQuery("actor", "action", "target"), Next: out.NextCursor,
		Paged: in.Get("cursor") != "", Export: note == "", Empty: orDefault(note, "No entries."),
		Cols: []Col{{Title: "Time"}, {Title: "Who"}, {Title: "Action"}, {Title: "Target"}, {Title: "From"}, {Title: "Status", Num: true}, {Title: "Before"}, {Title: "After"}}}
	for _, e := range out.Items {
		t.Rows = append(t.Rows, Row{Key: strconv.FormatInt(e.ID, 10), Cells: []Cell{text(p.when(e.Time)), text(e.Actor), text(e.Action), text(e.Target),
			text(e.RemoteAddr), numCell(strconv.Itoa(e.Status)), text(string(e.Before)), text(string(e.After))}})
	}
	fs := []Filter{{Name: "actor", Label: "Who", Value: in.Get("actor")}, {Name: "action", Label: "Action", Value: in.Get("action"), Placeholder: "endpoint.create"},
		{Name: "target", Label: "Target", Value: in.Get("target")}}
	return p.ok(sectionsPage(p, "Audit log", []Section{{Intro: "Every change made through the API or these pages: who, what, when, from where.",
		Filters: fs, FilterAction: "/admin/audit", Table: t}}))
}

// today is the page location's current day (form defaults).
func (p *page) today() string { return p.s.o.Clock().In(p.s.o.Location).Format(time.DateOnly) }

func passwordHint(e api.EndpointView) string {
	if e.HasCredential {
		return "stored; leave empty to keep it"
	}
	return ""
}

func pollMinutes(e api.EndpointView) string {
	if e.PollIntervalSeconds == 0 {
		return "60"
	}
	return strconv.Itoa(int(e.PollIntervalSeconds / 60))
}

// scopeLines renders scope rules one per line, as the endpoint form
// reads them.
func scopeLines(rules []inventory.ScopeRule) string {
	lines := make([]string, len(rules))
	for i, r := range rules {
		lines[i] = r.String()
	}
	return strings.Join(lines, "\n")
}
