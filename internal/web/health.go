package web

import (
	"github.com/accessvault/vinventory/health"
)

// healthFindings lists the health checks' findings (GET /api/health-findings):
// old or large snapshots, Tools, CD drives, consolidation, datastore
// over-commit and free space, hosts in maintenance or disconnected.
func (s *Server) healthFindings(p *page) error {
	q := p.apiQuery("vcenter", "kind", "cursor", "snapshot_max_age_days", "snapshot_max_size_gb", "overcommit_pct", "datastore_min_free_pct")
	if ok, err := p.export("/api/health-findings", "health-findings", q); ok {
		return err
	}
	q.Set("limit", pageSize)
	var out list[health.Finding]
	if err := p.get("/api/health-findings", q, &out); err != nil {
		return err
	}
	in := p.r.URL.Query()
	t := &Table{Label: "Health findings", Path: "/health", Query: p.apiQuery("vcenter", "kind", "snapshot_max_age_days",
		"snapshot_max_size_gb", "overcommit_pct", "datastore_min_free_pct"), Next: out.NextCursor, Paged: in.Get("cursor") != "",
		Export: true, Empty: "No findings: every check passed.",
		Cols: []Col{{Title: "Severity"}, {Title: "Check"}, {Title: "vCenter"}, {Title: "Object"}, {Title: "Message"}}}
	for _, f := range out.Items {
		obj := text(f.Name)
		switch f.ObjectType {
		case health.ObjectVM:
			obj = link(f.Name, vmHref(f.Vcenter, f.ObjectID))
		case health.ObjectHost:
			obj = link(f.Name, hostHref(f.Vcenter, f.ObjectID))
		case health.ObjectDatastore:
			obj = link(f.Name, entityHref("datastores", f.Vcenter, f.ObjectID))
		}
		sev := map[health.Severity]string{health.SeverityCritical: "danger", health.SeverityWarning: "warning"}[f.Severity]
		if sev == "" {
			sev = "neutral"
		}
		t.Rows = append(t.Rows, Row{Key: f.Vcenter + "/" + string(f.Kind) + "/" + f.ObjectID,
			Cells: []Cell{badge(string(f.Severity), sev), text(string(f.Kind)), text(f.Vcenter), obj, text(f.Message)}})
	}
	kinds := []Option{{"", "every check"}}
	for _, k := range health.Kinds() {
		kinds = append(kinds, Option{string(k), string(k)})
	}
	fs := []Filter{{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "kind", Label: "Check", Value: in.Get("kind"), Options: kinds},
		{Name: "snapshot_max_age_days", Label: "Snapshot age over (days)", Type: "number", Value: in.Get("snapshot_max_age_days"), Placeholder: "7"},
		{Name: "snapshot_max_size_gb", Label: "Snapshot size over (GB)", Type: "number", Value: in.Get("snapshot_max_size_gb"), Placeholder: "10"},
		{Name: "overcommit_pct", Label: "Provisioned over (% of capacity)", Type: "number", Value: in.Get("overcommit_pct"), Placeholder: "100"},
		{Name: "datastore_min_free_pct", Label: "Free under (%)", Type: "number", Value: in.Get("datastore_min_free_pct"), Placeholder: "10"}}
	return p.ok(sectionsPage(p, "Health", []Section{{Filters: fs, FilterAction: "/health", Table: t}}))
}
