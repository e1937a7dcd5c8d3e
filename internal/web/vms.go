package web

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// list is an API list answer.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
	Total      *int   `json:"total"`
}

// pageSize is the rows a page's table shows.
const pageSize = "50"

func vmHref(vc, id string) string   { return "/vms/" + pathEsc(vc) + "/" + pathEsc(id) }
func hostHref(vc, id string) string { return "/hosts/" + pathEsc(vc) + "/" + pathEsc(id) }
func entityHref(kind, vc, id string) string {
	return "/" + kind + "/" + pathEsc(vc) + "/" + pathEsc(id)
}

func powerBadge(s inventory.PowerState) Cell {
	switch s {
	case inventory.PoweredOn:
		return badge("on", "success")
	case inventory.PoweredOff:
		return badge("off", "neutral")
	case "":
		return text("–")
	}
	return badge(string(s), "warning")
}

// vcenterOptions are the vCenters the visitor may see, for filters (asked
// once per request).
func (p *page) vcenterOptions() []Option {
	if p.vcOpts != nil {
		return p.vcOpts
	}
	var cs list[api.Collector]
	p.vcOpts = []Option{{"", "any vCenter"}}
	if err := p.get("/api/collectors", nil, &cs); err != nil {
		return p.vcOpts
	}
	for _, c := range cs.Items {
		p.vcOpts = append(p.vcOpts, Option{c.Endpoint, c.Endpoint})
	}
	return p.vcOpts
}

var vmFilterNames = []string{"q", "vcenter", "power_state", "cluster", "template", "tag", "host_id", "resource_pool_id", "datastore_id", "network_id", "folder"}

func (s *Server) vms(p *page) error {
	q := p.apiQuery(append(vmFilterNames, "sort", "cursor")...)
	if ok, err := p.export("/api/vms", "vms", q); ok {
		return err
	}
	if q.Get("sort") == "" {
		q.Set("sort", "name")
	}
	q.Set("limit", pageSize)
	q.Set("count", "true")
	var out list[inventory.VM]
	if err := p.get("/api/vms", q, &out); err != nil {
		return err
	}
	in := p.r.URL.Query()
	t := vmTable("VMs", "/vms", p.apiQuery(vmFilterNames...), q.Get("sort"), out)
	t.Paged = in.Get("cursor") != ""
	t.Export = true
	fs := []Filter{
		{Name: "q", Label: "Name, ID, IP or guest OS", Value: in.Get("q"), Placeholder: "contains…"},
		{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
		{Name: "power_state", Label: "Power", Value: in.Get("power_state"), Options: []Option{{"", "any"}, {"poweredOn", "on"}, {"poweredOff", "off"}, {"suspended", "suspended"}}},
		{Name: "cluster", Label: "Cluster", Value: in.Get("cluster"), Placeholder: "exact name"},
		{Name: "tag", Label: "Tag", Value: in.Get("tag"), Placeholder: "key:value"},
		{Name: "template", Label: "Templates", Value: in.Get("template"), Options: []Option{{"", "VMs and templates"}, {"false", "VMs only"}, {"true", "templates only"}}},
	}
	// Relation filters set by links (a host's VMs...) stay in the form.
	for _, n := range []string{"host_id", "resource_pool_id", "datastore_id", "network_id", "folder"} {
		if v := in.Get(n); v != "" {
			fs = append(fs, Filter{Name: n, Label: strings.ReplaceAll(n, "_", " "), Value: v})
		}
	}
	return p.ok(sectionsPage(p, "VMs", []Section{{Filters: fs, FilterAction: "/vms", FilterSort: q.Get("sort"), Table: t}}))
}

// vmTable is a VM list as a table (the VM list page, and relations on
// host, cluster, datastore, network and pool pages).
func vmTable(label, path string, filters url.Values, sort string, out list[inventory.VM]) *Table {
	t := &Table{Entity: string(inventory.EntityVM), Label: label, Path: path, Query: filters, Sort: sort, Next: out.NextCursor, Total: out.Total,
		Cols: []Col{{"Name", "name", false}, {"vCenter", "vcenter", false}, {"Power", "power_state", false},
			{"vCPU", "vcpu_count", true}, {"RAM GB", "ram_mb", true}, {"Disk GB", "provisioned_disk_gb", true},
			{"Cluster", "cluster", false}, {"Host", "host", false}, {"Resource pool", "resource_pool", false},
			{"Folder", "folder", false}, {"Guest OS", "guest_os", false}, {"IP", "ip_address", false}}}
	if path != "/vms" {
		for i := range t.Cols {
			t.Cols[i].Sort = ""
		}
	}
	t.Query.Del("sort")
	if sort != "" {
		t.Query.Set("sort", sort)
	}
	for _, v := range out.Items {
		name := v.Name
		if v.IsTemplate {
			name += " (template)"
		}
		t.Rows = append(t.Rows, Row{Key: v.Vcenter + "/" + v.ID, Cells: []Cell{
			liveCell(link(name, vmHref(v.Vcenter, v.ID)), "name"), text(v.Vcenter), liveCell(powerBadge(v.PowerState), "power_state"),
			liveCell(numCell(inum(v.VCPUCount)), "vcpu_count"), liveCell(numCell(num(float64(v.RAMMB)/1024, 1)), "ram_gb_num"), numCell(num(v.ProvisionedDiskGB, 1)),
			text(v.Cluster), liveCell(link(v.Host, hostHref(v.Vcenter, v.HostID)), "host"), liveCell(text(v.ResourcePool), "resource_pool"), text(v.Folder),
			text(v.GuestOS), text(v.IPAddress),
		}})
	}
	return t
}

func (s *Server) vm(p *page) error {
	vc, id := p.r.PathValue("vcenter"), p.r.PathValue("id")
	var d api.VMDetail
	if err := p.get("/api/vms/"+pathEsc(vc)+"/"+pathEsc(id), nil, &d); err != nil {
		return err
	}
	v := d.VM
	attrs := Card{Title: "Attributes", Fields: []Field{
		{"Name", liveCell(text(v.Name), "name")}, {"VM ID", text(v.ID)}, {"UUID", text(v.UUID)}, {"vCenter", text(v.Vcenter)},
		{"Power", liveCell(powerBadge(v.PowerState), "power_state")}, {"Template", text(yesNo(v.IsTemplate))},
		{"vCPU", liveCell(text(inum(v.VCPUCount)), "vcpu_count")}, {"RAM", liveCell(text(num(float64(v.RAMMB)/1024, 1)+" GB"), "ram_gb")},
		{"Provisioned disk", text(gb(v.ProvisionedDiskGB))}, {"Used disk", text(gb(v.UsedDiskGB))},
		{"Guest OS", text(v.GuestOS)}, {"IP address", text(v.IPAddress)},
		{"Created", text(p.when(v.CreationTime))}, {"Captured", text(p.when(v.SnapshotTime))},
	}}
	place := Card{Title: "Placement", Fields: []Field{{"Datacenter", text(v.Datacenter)}, {"Folder", text(v.Folder)}}}
	if d.Cluster != nil {
		place.Fields = append(place.Fields, Field{"Cluster", link(d.Cluster.Name, entityHref("clusters", v.Vcenter, d.Cluster.ID))})
	} else {
		place.Fields = append(place.Fields, Field{"Cluster", text(v.Cluster)})
	}
	if d.Host != nil {
		place.Fields = append(place.Fields, Field{"Host", liveCell(link(d.Host.Name, hostHref(v.Vcenter, d.Host.ID)), "host")})
	} else {
		place.Fields = append(place.Fields, Field{"Host", liveCell(text(v.Host), "host")})
	}
	if d.ResourcePool != nil {
		place.Fields = append(place.Fields, Field{"Resource pool", liveCell(link(d.ResourcePool.Name, entityHref("resource-pools", v.Vcenter, d.ResourcePool.ID)), "resource_pool")})
	} else {
		place.Fields = append(place.Fields, Field{"Resource pool", liveCell(text(v.ResourcePool), "resource_pool")})
	}
	for _, ds := range d.Datastores {
		place.Fields = append(place.Fields, Field{"Datastore", link(ds.Name, entityHref("datastores", v.Vcenter, ds.ID))})
	}
	for _, n := range d.Networks {
		place.Fields = append(place.Fields, Field{"Network", link(n.Name, entityHref("networks", v.Vcenter, n.ID))})
	}
	tags := Card{Title: "Tags and attributes"}
	for _, k := range sortedKeys(v.Attributes) {
		tags.Fields = append(tags.Fields, Field{k, link(v.Attributes[k], "/vms?tag="+url.QueryEscape(k+":"+v.Attributes[k]))})
	}
	if len(tags.Fields) == 0 {
		tags.Fields = []Field{{"Tags", text("none")}}
	}
	secs := []Section{{Cards: []Card{attrs}, Grid: true}, {Cards: []Card{place}, Grid: true}, {Cards: []Card{tags}, Grid: true}}
	util, err := p.utilSection(inventory.EntityVM, vc, id, "VM")
	if err != nil {
		return err
	}
	secs = append(secs, util)
	if d.Detail != nil {
		secs = append(secs, vmDetailSections(p, d.Detail)...)
	}

	// Utilisation history: the hourly samples of the last 30 days.
	var tr api.Trace
	from := p.s.o.Clock().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	err = p.get("/api/trace", url.Values{"vcenter": {vc}, "vm_id": {id}, "from": {from}}, &tr)
	if err != nil && !isStatus(err, 404) {
		return err
	}
	if len(tr.Samples) > 0 {
		secs = append(secs, Section{Title: "Configuration history (hourly samples, 30 days)", Charts: sampleCharts(tr.Samples)})
	}
	if len(tr.Lifecycles) > 0 {
		secs = append(secs, Section{Title: "Lifecycle", KPIs: lifecycleKPIs(p, tr.Lifecycles)})
	}
	secs = append(secs, Section{Title: "Recent events", Table: eventTable(p, "Events of this VM", d.RecentEvents),
		Body: moreLink("/events?vcenter="+url.QueryEscape(vc)+"&vm_id="+url.QueryEscape(id), "All events of this VM")})
	secs = append(secs, Section{Body: moreLink("/trace?vcenter="+url.QueryEscape(vc)+"&vm_id="+url.QueryEscape(id), "Trace this VM's full history")})
	p.LiveObject = liveObject(inventory.EntityVM, v.Vcenter, v.ID)
	return p.ok(sectionsPage(p, "VM "+v.Name, secs))
}

// sampleCharts are the vCPU, RAM and disk charts of a VM's samples.
func sampleCharts(ss []inventory.Sample) []*Chart {
	cpu := &Chart{ID: "vcpu", Title: "vCPU", Desc: fmt.Sprintf("%d samples", len(ss)), Series: []string{"vCPU"}, Y: make([][]*float64, 1)}
	ram := &Chart{ID: "ram", Title: "RAM", Desc: "GB", Units: "GB", Series: []string{"RAM GB"}, Y: make([][]*float64, 1)}
	disk := &Chart{ID: "disk", Title: "Disk", Desc: "provisioned and used GB", Units: "GB", Series: []string{"provisioned GB", "used GB"}, Y: make([][]*float64, 2)}
	for _, s := range ss {
		x := s.SnapshotTime.Unix()
		for _, c := range []*Chart{cpu, ram, disk} {
			c.X = append(c.X, x)
		}
		cpu.Y[0] = append(cpu.Y[0], fp(float64(s.VCPUCount)))
		ram.Y[0] = append(ram.Y[0], fp(float64(s.RAMMB)/1024))
		disk.Y[0] = append(disk.Y[0], fp(s.ProvisionedDiskGB))
		disk.Y[1] = append(disk.Y[1], fp(s.UsedDiskGB))
	}
	return []*Chart{cpu, ram, disk}
}

func lifecycleKPIs(p *page, ls []inventory.Lifecycle) []KPI {
	var out []KPI
	for _, l := range ls {
		pre := ""
		if len(ls) > 1 {
			pre = l.Vcenter + " " + l.VMID + ": "
		}
		out = append(out, KPI{Label: pre + "First seen", Value: p.when(l.FirstSeen)},
			KPI{Label: pre + "Last seen", Value: p.when(l.LastSeen)},
			KPI{Label: pre + "Created", Value: p.when(l.CreationTime), Note: "source: " + orDash(string(l.CreationSource))})
		if l.Deleted {
			out = append(out, KPI{Label: pre + "Deleted", Value: p.when(l.DeletionTime), Note: "source: " + orDash(string(l.DeletionSource))})
		} else {
			out = append(out, KPI{Label: pre + "State", Value: "present"})
		}
	}
	return out
}

// eventTable shows events (newest first as given).
func eventTable(p *page, label string, evs []inventory.Event) *Table {
	t := &Table{Label: label, Cols: []Col{{Title: "Time"}, {Title: "Kind"}, {Title: "vCenter"}, {Title: "VM"}, {Title: "Change"}},
		Empty: "No events."}
	for _, e := range evs {
		t.Rows = append(t.Rows, Row{Key: fmt.Sprint(e.ID), Cells: []Cell{
			text(p.when(e.SnapshotTime)), badge(string(e.Kind), eventBadge(e.Kind)), text(e.Vcenter),
			link(orDash(e.Name), vmHref(e.Vcenter, e.VMID)), text(changeText(e)),
		}})
	}
	return t
}

func eventBadge(k inventory.EventKind) string {
	switch k {
	case inventory.EventCreated:
		return "success"
	case inventory.EventDeleted:
		return "danger"
	}
	return "warning"
}

// changeText is an event's before → after, field by field.
func changeText(e inventory.Event) string {
	keys := map[string]bool{}
	for k := range e.Before {
		keys[k] = true
	}
	for k := range e.After {
		keys[k] = true
	}
	var parts []string
	for _, k := range sortedKeys(keys) {
		parts = append(parts, fmt.Sprintf("%s: %s → %s", k, orDash(e.Before[k]), orDash(e.After[k])))
	}
	return strings.Join(parts, "; ")
}

func (s *Server) search(p *page) error {
	q := strings.TrimSpace(p.r.URL.Query().Get("q"))
	secs := []Section{{Filters: []Filter{{Name: "q", Label: "Search", Value: q, Placeholder: "name, ID, IP, tag"}}, FilterAction: "/search"}}
	if len([]rune(q)) >= 2 {
		var out list[store.SearchHit]
		if err := p.get("/api/search", url.Values{"q": {q}, "limit": {"25"}}, &out); err != nil {
			return err
		}
		// One hit that is a VM's exact name or id opens it.
		if len(out.Items) == 1 && out.Items[0].Kind == store.SearchVM {
			h := out.Items[0]
			return p.redirect(vmHref(h.Vcenter, h.ID), "")
		}
		t := &Table{Label: "Search results", Cols: []Col{{Title: "Kind"}, {Title: "Name"}, {Title: "vCenter"}, {Title: "Matched"}}, Empty: "Nothing matches."}
		for _, h := range out.Items {
			t.Rows = append(t.Rows, Row{Key: string(h.Kind) + "/" + h.Vcenter + "/" + h.ID, Cells: []Cell{
				text(string(h.Kind)), link(h.Name, hitHref(h)), text(h.Vcenter), text(string(h.Field) + ": " + h.Value)}})
		}
		secs = append(secs, Section{Table: t})
	} else if q != "" {
		p.Flash = "Type at least 2 characters."
	}
	return p.ok(sectionsPage(p, "Search", secs))
}

func hitHref(h store.SearchHit) string {
	kinds := map[store.SearchKind]string{store.SearchVM: "vms", store.SearchHost: "hosts", store.SearchCluster: "clusters",
		store.SearchDatastore: "datastores", store.SearchNetwork: "networks", store.SearchResourcePool: "resource-pools"}
	return entityHref(kinds[h.Kind], h.Vcenter, h.ID)
}

// vmDetailSections shows a VM's RVTools-depth detail: Tools, hardware and
// settings, snapshots, disks, NICs and removable drives.
func vmDetailSections(p *page, x *inventory.VMDetail) []Section {
	alloc := func(a inventory.Allocation, unit string) string {
		lim := "unlimited"
		if a.Limit >= 0 {
			lim = inum(a.Limit) + " " + unit
		}
		return inum(a.Reservation) + " " + unit + " reserved, limit " + lim + ", shares " + a.Shares.Level
	}
	cfg := Card{Title: "Tools and hardware", Fields: []Field{
		{"Tools", toolsBadge(x.ToolsRunningStatus)}, {"Tools version", text(strings.TrimSpace(x.ToolsVersion + " " + x.ToolsVersionStatus))},
		{"Hardware version", text(x.HardwareVersion)}, {"Firmware", text(x.Firmware)},
		{"DNS name", text(x.DNSName)}, {"IP addresses", text(strings.Join(x.IPAddresses, ", "))},
		{"Guest state", text(x.GuestState)}, {"Heartbeat", text(x.GuestHeartbeat)},
		{"Connection", text(x.ConnectionState)}, {"Consolidation needed", text(yesNo(x.ConsolidationNeeded))},
		{"Booted", text(p.when(x.BootTime))}, {".vmx", text(x.VMXPath)}, {"Folder path", text(x.FolderPath)},
	}}
	res := Card{Title: "Resources", Fields: []Field{
		{"CPU", text(alloc(x.CPU, "MHz"))}, {"Memory", text(alloc(x.Memory, "MB"))},
		{"Cores per socket", text(inum(x.CoresPerSocket))},
		{"CPU hot add", text(yesNo(x.CPUHotAdd))}, {"Memory hot add", text(yesNo(x.MemoryHotAdd))},
		{"HA restart priority", text(x.HARestartPriority)},
	}}
	notes := Card{Title: "Notes", Fields: []Field{{"Annotation", text(x.Annotation)}}}
	secs := []Section{{Cards: []Card{cfg}, Grid: true}, {Cards: []Card{res}, Grid: true}, {Cards: []Card{notes}, Grid: true}}

	snaps := Table{Label: "Snapshots of this VM", Empty: "No snapshots.", Cols: []Col{{"Name", "", false}, {"Description", "", false},
		{"Created", "", false}, {"Age (days)", "", true}, {"Size MiB", "", true}, {"Quiesced", "", false}, {"Depth", "", true}}}
	now := p.s.o.Clock()
	for _, sn := range x.Snapshots {
		name := sn.Name
		if sn.Current {
			name += " (current)"
		}
		snaps.Rows = append(snaps.Rows, Row{Cells: []Cell{text(name), text(sn.Description), text(p.when(sn.Created)),
			numCell(num(now.Sub(sn.Created).Hours()/24, 1)), numCell(num(sn.SizeMB, 1)), text(yesNo(sn.Quiesced)), numCell(inum(sn.Depth))}})
	}
	disks := Table{Label: "Virtual disks", Empty: "No disks.", Cols: []Col{{"Disk", "", false}, {"Capacity MiB", "", true},
		{"Provisioning", "", false}, {"Datastore", "", false}, {"File", "", false}, {"Controller", "", false}, {"Mode", "", false}}}
	for _, dk := range x.Disks {
		disks.Rows = append(disks.Rows, Row{Cells: []Cell{text(dk.Label), numCell(inum(dk.CapacityMB)), text(dk.Provisioning),
			link(dk.Datastore, entityHref("datastores", x.Vcenter, dk.DatastoreID)), text(dk.FilePath),
			text(strings.TrimSpace(dk.Controller + " : " + inum(int(dk.UnitNumber)))), text(dk.Mode)}})
	}
	nics := Table{Label: "Network adapters", Empty: "No network adapters.", Cols: []Col{{"Adapter", "", false}, {"Type", "", false},
		{"Network", "", false}, {"MAC", "", false}, {"Connected", "", false}, {"Starts connected", "", false}}}
	for _, n := range x.NICs {
		nics.Rows = append(nics.Rows, Row{Cells: []Cell{text(n.Label), text(n.AdapterType),
			link(n.Network, entityHref("networks", x.Vcenter, n.NetworkID)), text(n.MAC), text(yesNo(n.Connected)), text(yesNo(n.StartConnected))}})
	}
	drives := Table{Label: "CD/DVD and floppy drives", Empty: "No removable drives.", Cols: []Col{{"Drive", "", false}, {"Kind", "", false},
		{"Connected", "", false}, {"Starts connected", "", false}, {"Backing", "", false}}}
	for _, r := range x.Removables {
		drives.Rows = append(drives.Rows, Row{Cells: []Cell{text(r.Label), text(r.Kind), text(yesNo(r.Connected)), text(yesNo(r.StartConnected)), text(r.Backing)}})
	}
	secs = append(secs, Section{Title: "Snapshots", Table: &snaps}, Section{Title: "Disks", Table: &disks},
		Section{Title: "Network adapters", Table: &nics}, Section{Title: "Removable drives", Table: &drives})
	return secs
}

// toolsBadge shows the Tools running status.
func toolsBadge(s string) Cell {
	switch s {
	case "guestToolsRunning":
		return badge("running", "success")
	case "guestToolsNotRunning":
		return badge("not running", "warning")
	case "":
		return text("unknown")
	}
	return badge(s, "neutral")
}
