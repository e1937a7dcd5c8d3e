package web

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// timeParam reads a datetime-local or RFC 3339 form value in the page's
// location as RFC 3339 ("" when empty; an error names the field).
func (p *page) timeParam(name string) (string, error) {
	v := p.r.URL.Query().Get(name)
	if v == "" {
		return "", nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.DateOnly, time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, p.s.o.Location); err == nil {
			return t.UTC().Format(time.RFC3339), nil
		}
	}
	return "", &api.Problem{Status: 400, Title: "Bad Request", Detail: fmt.Sprintf("%s: %q is not a date and time (YYYY-MM-DDTHH:MM)", name, v)}
}

// timeRange reads the from and to form values (timeParam).
func (p *page) timeRange() (from, to string, err error) {
	if from, err = p.timeParam("from"); err != nil {
		return "", "", err
	}
	to, err = p.timeParam("to")
	return from, to, err
}

func (s *Server) snapshots(p *page) error {
	q := p.apiQuery("vcenter", "kind", "sort", "cursor")
	if q.Get("kind") == "" {
		q.Set("kind", "hourly")
	}
	if ok, err := p.export("/api/snapshots", "snapshots", q); ok {
		return err
	}
	q.Set("limit", pageSize)
	var out list[api.Snapshot]
	if err := p.get("/api/snapshots", q, &out); err != nil {
		return err
	}
	in := p.r.URL.Query()
	t := &Table{Label: "Snapshot registry", Path: "/snapshots", Query: p.apiQuery("vcenter", "kind", "sort"), Sort: orDefault(q.Get("sort"), "-snapshot_time"),
		Next: out.NextCursor, Paged: in.Get("cursor") != "", Empty: "No snapshots.", Export: true,
		Cols: []Col{{"Time", "snapshot_time", false}, {Title: "vCenter"}, {Title: "Kind"}, {Title: "VMs", Num: true}, {Title: "Duration", Num: true},
			{Title: "State"}, {Title: "Open"}}}
	for _, sn := range out.Items {
		state := badge("complete", "success")
		if sn.Partial {
			state = badge("partial", "warning")
		}
		open := text("–")
		if sn.Kind == "hourly" {
			open = link("inventory as of", "/snapshots/"+pathEsc(sn.Vcenter)+"/"+pathEsc(sn.SnapshotTime.UTC().Format(time.RFC3339)))
		}
		t.Rows = append(t.Rows, Row{Key: sn.Vcenter + "/" + sn.SnapshotTime.String(), Cells: []Cell{text(p.when(sn.SnapshotTime)), text(sn.Vcenter),
			text(sn.Kind), numCell(inum(sn.RowCount)), numCell(seconds(sn.DurationSeconds)), state, open}})
	}
	fs := []Filter{{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "kind", Label: "Granularity", Value: q.Get("kind"), Options: []Option{{"hourly", "hourly"}, {"daily", "daily"}, {"monthly", "monthly"}}}}
	intro := "Every capture the store registered, newest first. Workbooks of each period are on the Reports page."
	return p.ok(sectionsPage(p, "Snapshots", []Section{{Intro: intro, Filters: fs, FilterAction: "/snapshots", FilterSort: q.Get("sort"), Table: t,
		Body: moreLink("/reports?"+url.Values{"kind": {q.Get("kind")}}.Encode(), "The "+q.Get("kind")+" XLSX reports")}}))
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func (s *Server) asOf(p *page) error {
	vc, at := p.r.PathValue("vcenter"), p.r.PathValue("time")
	q := p.apiQuery("cursor")
	q.Set("limit", pageSize)
	var out struct {
		Vcenter      string             `json:"vcenter"`
		SnapshotTime time.Time          `json:"snapshot_time"`
		Items        []inventory.Sample `json:"items"`
		NextCursor   string             `json:"next_cursor"`
	}
	if err := p.get("/api/snapshots/"+pathEsc(vc)+"/"+pathEsc(at), q, &out); err != nil {
		return err
	}
	t := sampleTable(p, "Inventory as of "+p.when(out.SnapshotTime), out.Items, false)
	t.Path, t.Query, t.Next, t.Paged = p.r.URL.Path, url.Values{}, out.NextCursor, p.r.URL.Query().Get("cursor") != ""
	return p.ok(sectionsPage(p, fmt.Sprintf("%s as of %s", vc, p.when(out.SnapshotTime)), []Section{{
		Intro: "The VMs of the latest hourly snapshot at or before the time asked for.", Table: t}}))
}

// sampleTable shows samples (as-of inventories and traces).
func sampleTable(p *page, label string, ss []inventory.Sample, withTime bool) *Table {
	t := &Table{Label: label, Empty: "No samples."}
	if withTime {
		t.Cols = append(t.Cols, Col{Title: "Time"})
	}
	t.Cols = append(t.Cols, Col{Title: "Name"}, Col{Title: "VM ID"}, Col{Title: "Power"}, Col{Title: "vCPU", Num: true}, Col{Title: "RAM GB", Num: true},
		Col{Title: "Disk GB", Num: true}, Col{Title: "Cluster"}, Col{Title: "Host"}, Col{Title: "Resource pool"}, Col{Title: "Folder"})
	for _, s := range ss {
		var cells []Cell
		if withTime {
			cells = append(cells, text(p.when(s.SnapshotTime)))
		}
		cells = append(cells, link(s.Name, vmHref(s.Vcenter, s.VMID)), text(s.VMID), powerBadge(s.PowerState), numCell(inum(s.VCPUCount)),
			numCell(num(float64(s.RAMMB)/1024, 1)), numCell(num(s.ProvisionedDiskGB, 1)), text(s.Cluster), text(s.Host), text(s.ResourcePool), text(s.Folder))
		t.Rows = append(t.Rows, Row{Key: s.Vcenter + "/" + s.VMID + "/" + s.SnapshotTime.String(), Cells: cells})
	}
	return t
}

func (s *Server) changes(p *page) error {
	in := p.r.URL.Query()
	fs := []Filter{{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "from", Label: "From", Type: "datetime-local", Value: in.Get("from")},
		{Name: "to", Label: "To", Type: "datetime-local", Value: in.Get("to")}}
	sec := Section{Intro: "The VMs added, removed or changed between the hourly snapshot at or before From and the one at or before To.",
		Filters: fs, FilterAction: "/changes"}
	from, to, err := p.timeRange()
	if err != nil {
		return err
	}
	if from != "" && to != "" {
		q := p.apiQuery("vcenter", "cursor")
		q.Set("from", from)
		q.Set("to", to)
		if ok, err := p.export("/api/changes", "changes", q); ok {
			return err
		}
		q.Set("limit", "100")
		var out list[api.Change]
		if err := p.get("/api/changes", q, &out); err != nil {
			return err
		}
		t := &Table{Label: "Changes", Path: "/changes", Query: p.apiQuery("vcenter", "from", "to"), Next: out.NextCursor, Paged: in.Get("cursor") != "", Export: true,
			Empty: "No VM changed.", Cols: []Col{{Title: "Change"}, {Title: "VM"}, {Title: "vCenter"}, {Title: "Fields"}, {Title: "Before"}, {Title: "After"}}}
		for _, c := range out.Items {
			kind := map[string]string{"added": "success", "removed": "danger", "changed": "warning"}[c.Change]
			t.Rows = append(t.Rows, Row{Key: c.Vcenter + "/" + c.VMID, Cells: []Cell{badge(c.Change, kind), link(c.Name, vmHref(c.Vcenter, c.VMID)),
				text(c.Vcenter), text(fmt.Sprint(c.Fields)), text(sampleSummary(c.Before, c.Fields)), text(sampleSummary(c.After, c.Fields))}})
		}
		sec.Table = t
	}
	return p.ok(sectionsPage(p, "Changes", []Section{sec}))
}

// sampleSummary is the compared fields of a sample, or its size.
func sampleSummary(s *inventory.Sample, fields []string) string {
	if s == nil {
		return "–"
	}
	all := map[string]string{"name": s.Name, "power_state": string(s.PowerState), "vcpu_count": inum(s.VCPUCount),
		"ram_mb": inum(s.RAMMB), "provisioned_disk_gb": num(s.ProvisionedDiskGB, 1), "host": s.Host, "cluster": s.Cluster,
		"resource_pool": s.ResourcePool, "folder": s.Folder, "is_template": yesNo(s.IsTemplate), "guest_os": s.GuestOS}
	if len(fields) == 0 {
		return fmt.Sprintf("%d vCPU, %s GB RAM, %s GB disk, %s", s.VCPUCount, num(float64(s.RAMMB)/1024, 1), num(s.ProvisionedDiskGB, 1), s.PowerState)
	}
	out := ""
	for _, f := range fields {
		v, ok := all[f]
		if !ok {
			continue
		}
		if out != "" {
			out += "; "
		}
		out += f + ": " + v
	}
	return out
}

func (s *Server) totals(p *page) error {
	in := p.r.URL.Query()
	g := in.Get("granularity")
	if !slices.Contains([]string{"hourly", "daily", "monthly"}, g) {
		g = "hourly"
	}
	span := map[string]time.Duration{"hourly": 14 * 24 * time.Hour, "daily": 90 * 24 * time.Hour, "monthly": 730 * 24 * time.Hour}[g]
	q := p.apiQuery("vcenter")
	q.Set("granularity", g)
	q.Set("from", p.s.o.Clock().Add(-span).UTC().Format(time.RFC3339))
	if ok, err := p.export("/api/totals", "totals-"+g, q); ok {
		return err
	}
	q.Set("limit", "1000")
	var out list[api.TotalsRow]
	if err := p.get("/api/totals", q, &out); err != nil {
		return err
	}
	vms := &Chart{ID: "vms", Title: "VMs", Desc: g + " means", Y: [][]*float64{}}
	res := &Chart{ID: "resources", Title: "vCPU and RAM", Desc: g + " means", Y: [][]*float64{}}
	vcs := []string{}
	for _, r := range out.Items {
		if !slices.Contains(vcs, r.Vcenter) {
			vcs = append(vcs, r.Vcenter)
		}
	}
	type key struct {
		t  int64
		vc string
	}
	rows := map[key]api.TotalsRow{}
	var xs []int64
	for _, r := range out.Items {
		x := r.PeriodStart.Unix()
		if _, ok := rows[key{x, r.Vcenter}]; !ok && !slices.Contains(xs, x) {
			xs = append(xs, x)
		}
		rows[key{x, r.Vcenter}] = r
	}
	slices.Sort(xs)
	vms.X, res.X = xs, xs
	for _, vc := range vcs {
		vms.Series = append(vms.Series, vc+" VMs", vc+" powered on")
		res.Series = append(res.Series, vc+" vCPU", vc+" RAM GB")
		var a, b, c, d []*float64
		for _, x := range xs {
			r, ok := rows[key{x, vc}]
			if !ok {
				a, b, c, d = append(a, nil), append(b, nil), append(c, nil), append(d, nil)
				continue
			}
			a, b, c, d = append(a, fp(r.VMCount)), append(b, fp(r.PoweredOnCount)), append(c, fp(r.VCPUTotal)), append(d, fp(r.RAMGBTotal))
		}
		vms.Y = append(vms.Y, a, b)
		res.Y = append(res.Y, c, d)
	}
	t := &Table{Label: "vCenter totals", Path: "/totals", Query: p.apiQuery("vcenter", "granularity"), Export: true, Empty: "No totals yet.", Cols: []Col{{Title: "Period"}, {Title: "vCenter"}, {Title: "Snapshots", Num: true},
		{Title: "VMs", Num: true}, {Title: "Powered on", Num: true}, {Title: "vCPU", Num: true}, {Title: "RAM GB", Num: true},
		{Title: "Provisioned GB", Num: true}, {Title: "Hosts", Num: true}, {Title: "Datastore free", Num: true}}}
	for i := len(out.Items) - 1; i >= 0; i-- {
		r := out.Items[i]
		free := 0.0
		if r.DatastoreCapacityGB > 0 {
			free = r.DatastoreFreeGB / r.DatastoreCapacityGB
		}
		t.Rows = append(t.Rows, Row{Key: r.Vcenter + r.PeriodStart.String(), Cells: []Cell{text(p.when(r.PeriodStart)), text(r.Vcenter),
			numCell(inum(r.SnapshotCount)), numCell(num(r.VMCount, 1)), numCell(num(r.PoweredOnCount, 1)), numCell(num(r.VCPUTotal, 1)),
			numCell(num(r.RAMGBTotal, 1)), numCell(num(r.ProvisionedDiskGBTotal, 1)), numCell(num(r.HostCount, 1)), numCell(pct(free))}})
	}
	tabs := []Option{{"hourly", "Hourly (14 days)"}, {"daily", "Daily (90 days)"}, {"monthly", "Monthly (2 years)"}}
	secs := []Section{{Body: tabsView("/totals", "granularity", g, tabs, p.apiQuery("vcenter")),
		Filters: []Filter{{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()}}, FilterAction: "/totals", FilterSort: ""}}
	if len(xs) > 0 {
		secs = append(secs, Section{Charts: []*Chart{vms, res}})
	}
	secs = append(secs, Section{Title: "Table", Table: t})
	// keep the granularity when the filter form is sent
	secs[0].Filters = append(secs[0].Filters, Filter{Name: "granularity", Label: "Granularity", Value: g, Options: tabs})
	return p.ok(sectionsPage(p, "vCenter totals", secs))
}

func (s *Server) trace(p *page) error {
	in := p.r.URL.Query()
	by, what := "", ""
	for _, k := range []string{"vm_id", "vm_uuid", "name"} {
		if v := in.Get(k); v != "" {
			by, what = k, v
			break
		}
	}
	if by == "" && in.Get("q") != "" {
		by, what = in.Get("by"), in.Get("q")
		if !slices.Contains([]string{"vm_id", "vm_uuid", "name"}, by) {
			by = "name"
		}
	}
	fs := []Filter{{Name: "q", Label: "VM name, ID or UUID", Value: what},
		{Name: "by", Label: "Search by", Value: orDefault(by, "name"), Options: []Option{{"name", "name"}, {"vm_id", "VM ID"}, {"vm_uuid", "UUID"}}},
		{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()}}
	secs := []Section{{Intro: "Follow one VM through every hourly sample: renames, moves, resizes, power, and the identity diagnostics.",
		Filters: fs, FilterAction: "/trace"}}
	if by != "" {
		q := p.apiQuery("vcenter")
		q.Set(by, what)
		var tr api.Trace
		err := p.get("/api/trace", q, &tr)
		switch {
		case isStatus(err, 404):
			p.Flash = fmt.Sprintf("No samples of a VM with %s %q.", by, what)
		case err != nil:
			return err
		default:
			secs = append(secs, traceSections(p, tr)...)
		}
	}
	return p.ok(sectionsPage(p, "VM trace", secs))
}

// traceSections are a trace's chart, lifecycle cards, diagnostics,
// events and samples.
func traceSections(p *page, tr api.Trace) []Section {
	secs := []Section{{Title: "Lifecycle", KPIs: lifecycleKPIs(p, tr.Lifecycles)}}
	secs = append(secs, Section{Title: "Configuration over time", Charts: sampleCharts(tr.Samples)})
	secs = append(secs, Section{Title: "Diagnostics", Cards: []Card{traceDiagnostics(p, tr.Samples)}})
	secs = append(secs, Section{Title: "Events", Table: eventTable(p, "Events of this VM", tr.Events)})
	raw := tr.Samples
	st := sampleTable(p, fmt.Sprintf("Raw samples (%d)", len(raw)), raw, true)
	secs = append(secs, Section{Title: fmt.Sprintf("Raw samples (%d)", len(raw)), Table: st})
	return secs
}

// traceDiagnostics says which identities the samples matched and where
// the hourly series has gaps.
func traceDiagnostics(p *page, ss []inventory.Sample) Card {
	ids, uuids, names := map[string]bool{}, map[string]bool{}, map[string]bool{}
	var gaps []string
	for i, s := range ss {
		ids[s.Vcenter+" / "+s.VMID] = true
		uuids[s.VMUUID] = true
		names[s.Name] = true
		if i > 0 && ss[i-1].Vcenter == s.Vcenter {
			if d := s.SnapshotTime.Sub(ss[i-1].SnapshotTime); d > 2*time.Hour {
				gaps = append(gaps, fmt.Sprintf("%s → %s (%s)", p.when(ss[i-1].SnapshotTime), p.when(s.SnapshotTime), d.Round(time.Minute)))
			}
		}
	}
	c := Card{Title: "Identity and gaps", Fields: []Field{
		{"Samples", text(inum(len(ss)))},
		{"vCenter / VM IDs", text(joinKeys(ids))}, {"UUIDs", text(joinKeys(uuids))}, {"Names", text(joinKeys(names))},
	}}
	if len(ss) > 0 {
		c.Fields = append(c.Fields, Field{"First sample", text(p.when(ss[0].SnapshotTime))}, Field{"Last sample", text(p.when(ss[len(ss)-1].SnapshotTime))})
	}
	if len(ids) > 1 {
		c.Fields = append(c.Fields, Field{"Identity", badge("several VM IDs: re-registered or moved between vCenters", "warning")})
	}
	if len(gaps) == 0 {
		c.Fields = append(c.Fields, Field{"Gaps over 2 h", text("none")})
	}
	for _, g := range gaps {
		c.Fields = append(c.Fields, Field{"Gap", badge(g, "warning")})
	}
	return c
}

func joinKeys(m map[string]bool) string {
	out := ""
	for _, k := range sortedKeys(m) {
		if out != "" {
			out += ", "
		}
		out += k
	}
	return out
}

func (s *Server) events(p *page) error {
	q := p.apiQuery("vcenter", "vm_id", "kind", "sort", "cursor")
	from, to, err := p.timeRange()
	if err != nil {
		return err
	}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	if ok, err := p.export("/api/events", "events", q); ok {
		return err
	}
	q.Set("limit", pageSize)
	var out list[inventory.Event]
	if err := p.get("/api/events", q, &out); err != nil {
		return err
	}
	in := p.r.URL.Query()
	t := eventTable(p, "Events", out.Items)
	t.Path, t.Query, t.Next, t.Paged, t.Export = "/events", p.apiQuery("vcenter", "vm_id", "kind", "from", "to", "sort"), out.NextCursor, in.Get("cursor") != "", true
	t.Sort = orDefault(in.Get("sort"), "-snapshot_time")
	t.Cols[0].Sort = "snapshot_time"
	kinds := []Option{{"", "any kind"}}
	for _, k := range inventory.EventKinds() {
		kinds = append(kinds, Option{string(k), string(k)})
	}
	fs := []Filter{{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "kind", Label: "Kind", Value: in.Get("kind"), Options: kinds},
		{Name: "vm_id", Label: "VM ID", Value: in.Get("vm_id")},
		{Name: "from", Label: "From", Type: "datetime-local", Value: in.Get("from")},
		{Name: "to", Label: "To", Type: "datetime-local", Value: in.Get("to")}}
	return p.ok(sectionsPage(p, "Events", []Section{{Filters: fs, FilterAction: "/events", FilterSort: in.Get("sort"), Table: t}}))
}

func (s *Server) reports(p *page) error {
	q := p.apiQuery("vcenter", "kind", "cursor")
	if ok, err := p.export("/api/reports", "reports", q); ok {
		return err
	}
	q.Set("limit", pageSize)
	var out list[store.ReportInfo]
	if err := p.get("/api/reports", q, &out); err != nil && !isStatus(err, 503) {
		return err
	}
	in := p.r.URL.Query()
	t := &Table{Label: "Reports", Path: "/reports", Query: p.apiQuery("vcenter", "kind"), Next: out.NextCursor, Paged: in.Get("cursor") != "", Export: true,
		Empty: "No reports.", Cols: []Col{{Title: "Name"}, {Title: "Kind"}, {Title: "vCenter"}, {Title: "Period"}, {Title: "Size", Num: true}, {Title: "Written"}}}
	for _, r := range out.Items {
		t.Rows = append(t.Rows, Row{Key: r.Key, Cells: []Cell{link(r.Key, "/reports/"+pathEsc(r.Key)), text(r.Kind), text(r.Vcenter),
			text(p.when(r.Period)), numCell(num(float64(r.Size)/1024, 0) + " KB"), text(p.when(r.CreatedAt))}})
	}
	fs := []Filter{{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "kind", Label: "Kind", Value: in.Get("kind"), Placeholder: "hourly, daily, monthly…"}}
	secs := []Section{{Filters: fs, FilterAction: "/reports", Table: t},
		{Title: "Generate a report", Intro: "Write a workbook now (operator role); it downloads when ready.", Body: generateForm(p)}}
	return p.ok(sectionsPage(p, "Reports", secs))
}
