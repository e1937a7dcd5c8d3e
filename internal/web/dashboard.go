package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/inventory"
)

// pollMark is one capture on a collector's timeline.
type pollMark struct {
	State string // ok, failed, partial
	Title string
	// Height is the bar's height (a share of the longest capture shown).
	Height int
}

// collectorView is a collector status card.
type collectorView struct {
	api.Collector
	State, StateBadge string
	Marks             []pollMark
	LastSuccess       string
	LastAttempt       string
	Timeline          string // where the marks came from
}

// dashboardView is the dashboard's data.
type dashboardView struct {
	Overall    []KPI
	PerVcenter []Section
	Collectors []collectorView
	Events     *Table
	Auth       string
	AuthLink   bool
	// Alerts counts the alerts not resolved; nil when the store keeps
	// none.
	Alerts *api.AlertCounts
}

func (s *Server) dashboard(p *page) error {
	var latest list[inventory.Totals]
	if err := p.get("/api/totals/latest", nil, &latest); err != nil {
		return err
	}
	d := dashboardView{}
	var all inventory.Totals
	for _, t := range latest.Items {
		addTotals(&all, t)
		d.PerVcenter = append(d.PerVcenter, Section{Title: t.Vcenter, Grid: true, Intro: "As of " + p.when(t.SnapshotTime),
			KPIs: totalsKPIs(t)})
	}
	d.Overall = totalsKPIs(all)
	d.Overall[0].Live, d.Overall[1].Live = "vms", "powered_on"
	var cs list[api.Collector]
	if err := p.get("/api/collectors", nil, &cs); err != nil {
		return err
	}
	for _, c := range cs.Items {
		cv, err := p.collectorView(c)
		if err != nil {
			return err
		}
		d.Collectors = append(d.Collectors, cv)
	}
	var evs list[inventory.Event]
	if err := p.get("/api/events", url.Values{"limit": {"10"}, "sort": {"-snapshot_time"}}, &evs); err != nil {
		return err
	}
	d.Events = eventTable(p, "Recent events", evs.Items)
	var ac api.AlertCounts
	switch err := p.get("/api/alerts/counts", nil, &ac); {
	case err == nil:
		d.Alerts = &ac
	case !isStatus(err, http.StatusNotImplemented):
		return err
	}
	d.Auth, d.AuthLink = p.authCallout()
	return p.ok(dashboardPage(p, d))
}

func addTotals(sum *inventory.Totals, t inventory.Totals) {
	sum.VMCount += t.VMCount
	sum.PoweredOnCount += t.PoweredOnCount
	sum.TemplateCount += t.TemplateCount
	sum.VCPUTotal += t.VCPUTotal
	sum.RAMGBTotal += t.RAMGBTotal
	sum.ProvisionedDiskGBTotal += t.ProvisionedDiskGBTotal
	sum.HostCount += t.HostCount
	sum.ClusterCount += t.ClusterCount
	sum.DatastoreCount += t.DatastoreCount
	sum.DatastoreCapacityGB += t.DatastoreCapacityGB
	sum.DatastoreFreeGB += t.DatastoreFreeGB
}

func totalsKPIs(t inventory.Totals) []KPI {
	free := 0.0
	if t.DatastoreCapacityGB > 0 {
		free = t.DatastoreFreeGB / t.DatastoreCapacityGB
	}
	on := 0.0
	if t.VMCount > 0 {
		on = float64(t.PoweredOnCount) / float64(t.VMCount)
	}
	return []KPI{
		{Label: "VMs", Value: inum(t.VMCount), Note: fmt.Sprintf("+ %s templates", inum(t.TemplateCount))},
		{Label: "Powered on", Value: inum(t.PoweredOnCount), Note: pct(on) + " of VMs"},
		{Label: "vCPU", Value: inum(t.VCPUTotal)},
		{Label: "RAM", Value: gb(t.RAMGBTotal)},
		{Label: "Provisioned storage", Value: gb(t.ProvisionedDiskGBTotal)},
		{Label: "Hosts", Value: inum(t.HostCount), Note: inum(t.ClusterCount) + " clusters"},
		{Label: "Datastores", Value: inum(t.DatastoreCount), Note: gb(t.DatastoreFreeGB) + " free of " + gb(t.DatastoreCapacityGB)},
		{Label: "Datastores free", Value: pct(free), Meter: &free},
	}
}

// timelineLen is how many captures a collector's timeline shows.
const timelineLen = 48

// collectorView builds a collector's card: its state and the last 48
// captures, from the job queue's capture runs (successes and failures
// with their durations) or, without a queue, the snapshot registry
// (successful captures only).
func (p *page) collectorView(c api.Collector) (collectorView, error) {
	cv := collectorView{Collector: c, LastSuccess: p.ago(c.LastSuccess), LastAttempt: p.ago(c.LastAttempt)}
	switch {
	case !c.Enabled:
		cv.State, cv.StateBadge = "disabled", "neutral"
	case c.LastAttempt.IsZero():
		cv.State, cv.StateBadge = "waiting", "neutral"
	case c.ConsecutiveFailures > 0:
		cv.State, cv.StateBadge = fmt.Sprintf("failing (%d in a row)", c.ConsecutiveFailures), "danger"
	default:
		cv.State, cv.StateBadge = "ok", "success"
	}
	type mark struct {
		state string
		at    time.Time
		dur   float64
		note  string
	}
	var marks []mark
	var runs list[jobs.Run]
	err := p.get("/api/jobs", url.Values{"job": {"capture:" + c.Endpoint}, "limit": {fmt.Sprint(timelineLen)}}, &runs)
	switch {
	case err == nil:
		cv.Timeline = "capture jobs"
		for _, r := range runs.Items {
			m := mark{at: r.Start}
			switch {
			case r.State == "completed":
				m.state = "ok"
			case r.State == "discarded" || r.State == "cancelled" || len(r.Errors) > 0:
				m.state = "failed"
				if len(r.Errors) > 0 {
					m.note = r.Errors[len(r.Errors)-1]
				}
			default:
				continue // still running or waiting
			}
			if !r.FinishedAt.IsZero() && !r.Start.IsZero() {
				m.dur = r.FinishedAt.Sub(r.Start).Seconds()
			}
			marks = append(marks, m)
		}
	case isStatus(err, 503): // no job queue
	default:
		return cv, err
	}
	if len(marks) == 0 { // no queue, or no capture ran through it: the registry has the successes
		cv.Timeline = "snapshot registry"
		var snaps list[api.Snapshot]
		if err := p.get("/api/snapshots", url.Values{"vcenter": {c.Endpoint}, "kind": {"hourly"}, "limit": {fmt.Sprint(timelineLen)}}, &snaps); err != nil {
			return cv, err
		}
		for _, s := range snaps.Items {
			st := "ok"
			if s.Partial {
				st = "partial"
			}
			marks = append(marks, mark{state: st, at: s.SnapshotTime, dur: s.DurationSeconds})
		}
	}
	longest := 0.0
	for _, m := range marks {
		longest = max(longest, m.dur)
	}
	// Oldest first, left to right.
	for i := len(marks) - 1; i >= 0; i-- {
		m := marks[i]
		h := 30
		if longest > 0 && m.dur > 0 {
			h = max(8, int(30*m.dur/longest))
		}
		title := fmt.Sprintf("%s: %s in %s", p.when(m.at), m.state, seconds(m.dur))
		if m.note != "" {
			title += ": " + m.note
		}
		cv.Marks = append(cv.Marks, pollMark{State: m.state, Title: title, Height: h})
	}
	return cv, nil
}

// authCallout says how the pages and the API are protected, as they are.
func (p *page) authCallout() (string, bool) {
	switch {
	case p.s.api.AuthDisabled():
		return "Authentication is off (demo): every visitor can read and act as admin, and the API needs no token.", false
	case p.s.o.RequireLogin:
		return fmt.Sprintf("Pages need a sign-in; you are signed in as %s (%s). The API under /api/ needs a bearer token.", p.v.Name, p.v.Role), false
	case p.v.SignedIn:
		return fmt.Sprintf("Pages are public to read. You are signed in as %s (%s) for actions. The API under /api/ needs a bearer token.", p.v.Name, p.v.Role), false
	}
	return "Pages are public to read; actions (admin, jobs, reports, rate cards) need a sign-in with an API token. The API under /api/ needs a bearer token.", true
}

// every formats a poll interval.
func every(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return fmt.Sprintf("%d h", d/time.Hour)
	case d >= time.Minute && d%time.Minute == 0:
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return seconds(sec)
}

// markX is a timeline bar's x position.
func markX(i int) string { return fmt.Sprint(i * 10) }

// markY is a bar's top for its height.
func markY(h int) string { return fmt.Sprint(34 - h) }

func timelineDesc(c collectorView) string {
	n := map[string]int{}
	for _, m := range c.Marks {
		n[m.State]++
	}
	var parts []string
	for _, k := range sortedKeys(n) {
		parts = append(parts, fmt.Sprintf("%d %s", n[k], k))
	}
	if len(parts) == 0 {
		return "no captures yet"
	}
	return fmt.Sprintf("Last %d captures: %s", len(c.Marks), strings.Join(parts, ", "))
}
