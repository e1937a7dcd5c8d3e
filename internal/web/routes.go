package web

import (
	"net/http"
	"net/url"
	"strings"
)

func (s *Server) routes() {
	s.mux.Handle("GET /static/", s.assets)
	s.handle("GET /{$}", s.dashboard)
	s.handle("GET /search", s.search)
	s.handle("GET /vms", s.vms)
	s.handle("GET /vms/{vcenter}/{id}", s.vm)
	s.handle("GET /hosts", s.hosts)
	s.handle("GET /hosts/{vcenter}/{id}", s.host)
	s.handle("GET /clusters", s.clusters)
	s.handle("GET /clusters/{vcenter}/{id}", s.cluster)
	s.handle("GET /datastores", s.datastores)
	s.handle("GET /datastores/{vcenter}/{id}", s.datastore)
	s.handle("GET /networks", s.networks)
	s.handle("GET /networks/{vcenter}/{id}", s.network)
	s.handle("GET /resource-pools", s.pools)
	s.handle("GET /resource-pools/{vcenter}/{id}", s.pool)
	s.handle("GET /chargeback", s.chargeback)
	s.handle("POST /chargeback/rate-cards", s.saveRateCard)
	s.handle("POST /chargeback/rate-cards/{id}/delete", s.deleteRateCard)
	s.handle("GET /snapshots", s.snapshots)
	s.handle("GET /snapshots/{vcenter}/{time}", s.asOf)
	s.handle("GET /changes", s.changes)
	s.handle("GET /totals", s.totals)
	s.handle("GET /trace", s.trace)
	s.handle("GET /events", s.events)
	s.handle("GET /health", s.healthFindings)
	s.handle("GET /reports", s.reports)
	s.handle("GET /reports/{name}", s.downloadReport)
	s.handle("POST /reports/generate", s.generateReport)
	s.handle("GET /capacity", s.capacity)
	s.handle("GET /alerts", s.alerts)
	s.handle("POST /alerts/{id}/ack", s.alertAction("ack"))
	s.handle("POST /alerts/{id}/resolve", s.alertAction("resolve"))
	s.handle("POST /alerts/rules", s.saveRule)
	s.handle("POST /alerts/rules/{id}/delete", s.deleteRule)
	s.handle("POST /alerts/silences", s.createSilence)
	s.handle("POST /alerts/silences/{id}/delete", s.deleteSilence)
	s.handle("POST /alerts/channels", s.saveChannel)
	s.handle("POST /alerts/channels/{name}/delete", s.deleteChannel)
	s.handle("POST /alerts/channels/{name}/test", s.testChannel)
	s.handle("GET /admin", s.admin)
	s.handle("POST /admin/endpoints", s.saveEndpoint)
	s.handle("POST /admin/endpoints/{name}/test", s.testEndpoint)
	s.handle("POST /admin/endpoints/{name}/delete", s.deleteEndpoint)
	s.handle("POST /admin/endpoints/{name}/enable", s.enableEndpoint)
	s.handle("POST /admin/tokens", s.createToken)
	s.handle("POST /admin/tokens/revoke", s.revokeToken)
	s.handle("POST /admin/jobs", s.triggerJob)
	s.handle("GET /admin/jobs/{id}/progress", s.jobProgress)
	s.handle("GET /admin/audit", s.audit)
	s.handle("GET /stream", s.stream)
	s.handle("GET /live/json/{path...}", s.liveJSON)
	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.login)
	s.mux.HandleFunc("POST /logout", s.logout)
}

// apiQuery copies the named parameters of the page's query (the API's
// names) into the API call's query.
func (p *page) apiQuery(names ...string) url.Values {
	q := url.Values{}
	in := p.r.URL.Query()
	for _, n := range names {
		for _, v := range in[n] {
			if v = strings.TrimSpace(v); v != "" {
				q.Add(n, v)
			}
		}
	}
	return q
}

// signedIn sends a visitor who is not signed in to /login (then back to
// back) and reports whether the action may go on; the API checks the role.
func (p *page) signedIn(back string) bool {
	if !p.v.SignedIn {
		http.Redirect(p.w, p.r, "/login?next="+url.QueryEscape(back)+"&msg="+url.QueryEscape("Sign in with a token to do this."), http.StatusSeeOther)
		return false
	}
	return true
}
