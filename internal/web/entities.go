package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/inventory"
)

// smallList serves a list page of the lists the API pages by offset
// (hosts, clusters, datastores, networks, pools): filters q and vcenter,
// sort by any column, export.
func smallList[T any](p *page, apiPath, title, exportName string, cols []Col, row func(T) Row, extra ...Section) error {
	q := p.apiQuery("q", "vcenter", "sort", "cursor", "cluster_id", "host_id")
	if ok, err := p.export(apiPath, exportName, q); ok {
		return err
	}
	if q.Get("sort") == "" {
		q.Set("sort", "name")
	}
	q.Set("limit", pageSize)
	var out list[T]
	if err := p.get(apiPath, q, &out); err != nil {
		return err
	}
	in := p.r.URL.Query()
	t := &Table{Label: title, Path: p.r.URL.Path, Query: p.apiQuery("q", "vcenter", "sort", "cluster_id", "host_id"), Sort: q.Get("sort"),
		Next: out.NextCursor, Paged: in.Get("cursor") != "", Export: true, Cols: cols, Entity: string(listEntity[apiPath])}
	for _, it := range out.Items {
		r := row(it)
		if len(r.Cells) > 0 && r.Cells[0].Href != "" {
			r.Cells[0].Live = "name"
		}
		t.Rows = append(t.Rows, r)
	}
	fs := []Filter{
		{Name: "q", Label: "Name contains", Value: in.Get("q")},
		{Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()},
	}
	secs := append(extra, Section{Filters: fs, FilterAction: p.r.URL.Path, FilterSort: q.Get("sort"), Table: t})
	return p.ok(sectionsPage(p, title, secs))
}

func hostState(h inventory.Host) Cell {
	switch {
	case h.InMaintenance:
		return badge("maintenance", "warning")
	case h.ConnectionState == "connected" || h.ConnectionState == "":
		return badge(orDash(h.ConnectionState), "success")
	}
	return badge(h.ConnectionState, "danger")
}

func (s *Server) hosts(p *page) error {
	return smallList(p, "/api/hosts", "Hosts", "hosts",
		[]Col{{"Name", "name", false}, {"vCenter", "vcenter", false}, {"Cluster", "cluster", false}, {"State", "connection_state", false},
			{"Power", "power_state", false}, {"CPU", "cpu_model", false}, {"Cores", "cpu_cores", true}, {"MHz", "cpu_mhz", true},
			{"Memory GB", "memory_mb", true}, {"CPU used MHz", "cpu_usage_mhz", true}, {"Memory used GB", "memory_usage_mb", true},
			{"ESXi", "version", false}, {"Build", "build", false}},
		func(h inventory.Host) Row {
			return Row{Key: h.Vcenter + "/" + h.ID, Cells: []Cell{link(h.Name, hostHref(h.Vcenter, h.ID)), text(h.Vcenter),
				link(h.Cluster, entityHref("clusters", h.Vcenter, h.ClusterID)), hostState(h), powerBadge(h.PowerState),
				text(h.CPUModel), numCell(inum(h.CPUCores)), numCell(inum(h.CPUMhz)), numCell(num(float64(h.MemoryMB)/1024, 0)),
				numCell(inum(h.CPUUsageMHz)), numCell(num(float64(h.MemoryUsageMB)/1024, 1)),
				text(h.Version), text(h.Build)}}
		})
}

// vmSection shows the first VMs of a relation and links to all of them
// when there are more than it shows (more: the API said so).
func vmSection(title string, vms []inventory.VM, more bool, all url.Values) Section {
	shown := vms
	if len(shown) > 50 {
		shown = shown[:50]
	}
	t := vmTable(title, "", url.Values{}, "", list[inventory.VM]{Items: shown}) // no path: not sortable here
	t.Empty = "No VMs."
	sec := Section{Title: title, Table: t}
	if len(vms) > len(shown) || more {
		sec.Body = moreLink("/vms?"+all.Encode(), "All of them in the VM list (sort, filter, export)")
	}
	return sec
}

func (s *Server) host(p *page) error {
	vc, id := p.r.PathValue("vcenter"), p.r.PathValue("id")
	var d api.HostDetail
	if err := p.get("/api/hosts/"+pathEsc(vc)+"/"+pathEsc(id), nil, &d); err != nil {
		return err
	}
	h := d.Host
	hw := Card{Title: "Hardware", Fields: []Field{{"Vendor", text(h.Vendor)}, {"Model", text(h.Model)}, {"CPU", text(h.CPUModel)},
		{"Sockets", text(inum(h.CPUSockets))}, {"Cores", text(inum(h.CPUCores))}, {"Threads", text(inum(h.CPUThreads))},
		{"MHz per core", text(inum(h.CPUMhz))}, {"Memory", text(num(float64(h.MemoryMB)/1024, 0) + " GB")},
		{"CPU used", text(inum(h.CPUUsageMHz) + " MHz")}, {"Memory used", text(num(float64(h.MemoryUsageMB)/1024, 1) + " GB")}}}
	st := Card{Title: "State", Fields: []Field{{"vCenter", text(h.Vcenter)}, {"Datacenter", text(h.Datacenter)},
		{"Connection", hostState(h)}, {"Power", powerBadge(h.PowerState)}, {"ESXi", text(h.Version + " build " + h.Build)},
		{"Captured", text(p.when(h.SnapshotTime))}}}
	if d.Cluster != nil {
		st.Fields = append(st.Fields, Field{"Cluster", link(d.Cluster.Name, entityHref("clusters", vc, d.Cluster.ID))})
	}
	dsT := datastoreTable("Datastores of this host", "", d.Datastores)
	var nets list[inventory.Network]
	netSet := map[string]bool{}
	for _, v := range d.VMs {
		for _, n := range v.NetworkIDs {
			netSet[n] = true
		}
	}
	if len(netSet) > 0 {
		if err := p.get("/api/networks", url.Values{"vcenter": {vc}, "limit": {"1000"}}, &nets); err != nil {
			return err
		}
	}
	netT := &Table{Label: "Networks of this host's VMs", Cols: []Col{{Title: "Name"}, {Title: "Kind"}, {Title: "Switch"}, {Title: "VLAN"}}, Empty: "No networks."}
	for _, n := range nets.Items {
		if netSet[n.ID] {
			netT.Rows = append(netT.Rows, Row{Key: n.ID, Cells: []Cell{link(n.Name, entityHref("networks", vc, n.ID)), text(n.Kind), text(n.Switch), text(n.VLAN)}})
		}
	}
	var evs list[inventory.Event]
	hostVMs := map[string]bool{}
	for _, v := range d.VMs {
		hostVMs[v.ID] = true
	}
	if err := p.get("/api/events", url.Values{"vcenter": {vc}, "sort": {"-snapshot_time"}, "limit": {"200"}}, &evs); err != nil {
		return err
	}
	var mine []inventory.Event
	for _, e := range evs.Items {
		if hostVMs[e.VMID] || e.Before["host"] == h.Name || e.After["host"] == h.Name {
			mine = append(mine, e)
		}
	}
	util, err := p.utilSection(inventory.EntityHost, vc, id, "host")
	if err != nil {
		return err
	}
	secs := []Section{{Cards: []Card{st}, Grid: true}, {Cards: []Card{hw}, Grid: true}, util,
		vmSection("VMs on this host", d.VMs, d.VMsNextCursor != "", url.Values{"vcenter": {vc}, "host_id": {id}}),
		{Title: "Datastores", Table: dsT}, {Title: "Networks", Table: netT},
		{Title: "Recent events of its VMs", Table: eventTable(p, "Events of this host's VMs", mine)}}
	if x := d.Detail; x != nil {
		st.Fields = append(st.Fields, Field{"Overall status", statusBadge(x.OverallStatus)}, Field{"Triggered alarms", text(inum(x.AlarmCount))},
			Field{"Booted", text(p.when(x.BootTime))}, Field{"NTP servers", text(strings.Join(x.NTPServers, ", "))},
			Field{"DNS servers", text(strings.Join(x.DNSServers, ", "))})
		hw.Fields = append(hw.Fields, Field{"Hyperthreading", text(yesNo(x.Hyperthreading))})
		secs[0].Cards, secs[1].Cards = []Card{st}, []Card{hw}
		nics := &Table{Label: "Physical NICs", Cols: []Col{{Title: "Device"}, {Title: "Driver"}, {Title: "Speed Mb/s", Num: true}, {Title: "MAC"}}, Empty: "No physical NICs."}
		for _, n := range x.NICs {
			nics.Rows = append(nics.Rows, Row{Cells: []Cell{text(n.Device), text(n.Driver), numCell(inum(int(n.SpeedMb))), text(n.MAC)}})
		}
		hbas := &Table{Label: "Storage adapters", Cols: []Col{{Title: "Device"}, {Title: "Type"}, {Title: "Model"}, {Title: "Driver"}, {Title: "Status"}}, Empty: "No storage adapters."}
		for _, a := range x.HBAs {
			hbas.Rows = append(hbas.Rows, Row{Cells: []Cell{text(a.Device), text(a.Type), text(a.Model), text(a.Driver), text(a.Status)}})
		}
		sw := &Table{Label: "Standard switches and port groups", Cols: []Col{{Title: "Switch"}, {Title: "Port group"}, {Title: "VLAN", Num: true}, {Title: "Ports", Num: true}, {Title: "MTU", Num: true}, {Title: "Uplinks"}}, Empty: "No standard switches."}
		for _, v := range x.VSwitches {
			sw.Rows = append(sw.Rows, Row{Cells: []Cell{text(v.Name), text(""), text(""), numCell(inum(int(v.NumPorts))), numCell(inum(int(v.MTU))), text(strings.Join(v.Uplinks, ", "))}})
			for _, pg := range x.Portgroups {
				if pg.VSwitch == v.Name {
					sw.Rows = append(sw.Rows, Row{Cells: []Cell{text(v.Name), text(pg.Name), numCell(inum(int(pg.VLAN))), text(""), text(""), text("")}})
				}
			}
		}
		secs = append(secs, Section{Title: "Physical NICs", Table: nics}, Section{Title: "Storage adapters", Table: hbas}, Section{Title: "Standard switches", Table: sw})
	}
	return p.ok(sectionsPage(p, "Host "+h.Name, secs))
}

func (s *Server) clusters(p *page) error {
	return smallList(p, "/api/clusters", "Clusters", "clusters",
		[]Col{{"Name", "name", false}, {"vCenter", "vcenter", false}, {"Datacenter", "datacenter", false}, {"Hosts", "num_hosts", true},
			{"CPU GHz", "total_cpu_mhz", true}, {"Memory GB", "total_memory_mb", true}, {"DRS", "drs_enabled", false}, {"HA", "ha_enabled", false}},
		func(c inventory.Cluster) Row {
			return Row{Key: c.Vcenter + "/" + c.ID, Cells: []Cell{link(c.Name, entityHref("clusters", c.Vcenter, c.ID)), text(c.Vcenter),
				text(c.Datacenter), numCell(inum(c.NumHosts)), numCell(num(float64(c.TotalCPUMhz)/1000, 1)),
				numCell(num(float64(c.TotalMemoryMB)/1024, 0)), text(yesNo(c.DRSEnabled)), text(yesNo(c.HAEnabled))}}
		})
}

func (s *Server) cluster(p *page) error {
	vc, id := p.r.PathValue("vcenter"), p.r.PathValue("id")
	var d api.ClusterDetail
	if err := p.get("/api/clusters/"+pathEsc(vc)+"/"+pathEsc(id), nil, &d); err != nil {
		return err
	}
	c := d.Cluster
	var vcpu int
	var ram, disk float64
	on := 0
	for _, v := range d.VMs {
		vcpu += v.VCPUCount
		ram += float64(v.RAMMB) / 1024
		disk += v.ProvisionedDiskGB
		if v.PowerState == inventory.PoweredOn {
			on++
		}
	}
	note := ""
	if d.Truncated {
		note = "of the first 1,000 VMs"
	}
	kpis := []KPI{{Label: "Hosts", Value: inum(c.NumHosts)}, {Label: "CPU", Value: num(float64(c.TotalCPUMhz)/1000, 1) + " GHz"},
		{Label: "Memory", Value: num(float64(c.TotalMemoryMB)/1024, 0) + " GB"}, {Label: "VMs", Value: inum(len(d.VMs)), Note: note},
		{Label: "Powered on", Value: inum(on), Note: note}, {Label: "vCPU", Value: inum(vcpu), Note: note},
		{Label: "RAM", Value: num(ram, 0) + " GB", Note: note}, {Label: "Provisioned disk", Value: gb(disk), Note: note},
		{Label: "DRS", Value: yesNo(c.DRSEnabled)}, {Label: "HA", Value: yesNo(c.HAEnabled)}}
	ht := &Table{Label: "Hosts of this cluster", Cols: []Col{{Title: "Name"}, {Title: "State"}, {Title: "Cores", Num: true}, {Title: "Memory GB", Num: true}, {Title: "ESXi"}}}
	for _, h := range d.Hosts {
		ht.Rows = append(ht.Rows, Row{Key: h.ID, Cells: []Cell{link(h.Name, hostHref(vc, h.ID)), hostState(h), numCell(inum(h.CPUCores)),
			numCell(num(float64(h.MemoryMB)/1024, 0)), text(h.Version)}})
	}
	var pools list[inventory.ResourcePool]
	if err := p.get("/api/resource-pools", url.Values{"vcenter": {vc}, "cluster_id": {id}, "limit": {"1000"}}, &pools); err != nil {
		return err
	}
	pt := poolTable("Resource pools of this cluster", pools.Items)
	util, err := p.utilSection(inventory.EntityCluster, vc, id, "cluster")
	if err != nil {
		return err
	}
	secs := []Section{{KPIs: kpis}, util, {Title: "Hosts", Table: ht}, {Title: "Resource pools", Table: pt},
		vmSection("VMs", d.VMs, d.Truncated, url.Values{"vcenter": {vc}, "cluster": {c.Name}})}
	if x := d.Detail; x != nil {
		evc := x.EVCMode
		if evc == "" {
			evc = "off"
		}
		set := Card{Title: "Settings", Fields: []Field{{"Overall status", statusBadge(x.OverallStatus)}, {"EVC mode", text(evc)},
			{"DRS behaviour", text(x.DRSBehavior)}, {"DRS migration threshold", text(inum(int(x.DRSVmotionRate)))},
			{"HA admission control", text(yesNo(x.HAAdmissionControl))}, {"HA host monitoring", text(x.HAHostMonitoring)},
			{"HA restart priority", text(x.HARestartPriority)}, {"HA isolation response", text(x.HAIsolationResponse)},
			{"Effective hosts", text(inum(int(x.EffectiveHosts)))}, {"Effective CPU", text(num(float64(x.EffectiveCPUMHz)/1000, 1) + " GHz")},
			{"Effective memory", text(num(float64(x.EffectiveMemoryMB)/1024, 0) + " GB")}}}
		secs = append(secs[:1], append([]Section{{Cards: []Card{set}, Grid: true}}, secs[1:]...)...)
	}
	return p.ok(sectionsPage(p, "Cluster "+c.Name, secs))
}

func datastoreTable(label, path string, ds []inventory.Datastore) *Table {
	t := &Table{Label: label, Path: path, Empty: "No datastores.", Cols: []Col{{"Name", "name", false}, {"vCenter", "vcenter", false}, {"Type", "type", false},
		{"Capacity", "capacity_gb", true}, {"Free", "free_gb", true}, {"Free %", "", true}, {"Provisioned", "", true},
		{"Uncommitted", "uncommitted_gb", true}, {"Accessible", "accessible", false}}}
	if path == "" {
		for i := range t.Cols {
			t.Cols[i].Sort = ""
		}
	}
	for _, d := range ds {
		free := 0.0
		if d.CapacityGB > 0 {
			free = d.FreeGB / d.CapacityGB
		}
		fc := numCell(pct(free))
		if free < 0.1 {
			fc = Cell{Text: pct(free), Badge: "danger"}
		} else if free < 0.2 {
			fc = Cell{Text: pct(free), Badge: "warning"}
		}
		acc := badge("yes", "success")
		if !d.Accessible {
			acc = badge("no", "danger")
		}
		t.Rows = append(t.Rows, Row{Key: d.Vcenter + "/" + d.ID, Cells: []Cell{link(d.Name, entityHref("datastores", d.Vcenter, d.ID)), text(d.Vcenter),
			text(d.Type), numCell(gb(d.CapacityGB)), numCell(gb(d.FreeGB)), fc, numCell(gb(d.ProvisionedGB())), numCell(gb(d.UncommittedGB)), acc}})
	}
	return t
}

func (s *Server) datastores(p *page) error {
	trend, err := p.totalsTrend()
	if err != nil {
		return err
	}
	var extra []Section
	if trend != nil {
		extra = append(extra, Section{Title: "Provisioned vs capacity", Intro: "Hourly vCenter totals of the last 14 days: the VMs' provisioned disk against the datastores' capacity and free space.", Charts: []*Chart{trend}})
	}
	q := p.apiQuery("q", "vcenter", "sort", "cursor", "host_id")
	if ok, err := p.export("/api/datastores", "datastores", q); ok {
		return err
	}
	if q.Get("sort") == "" {
		q.Set("sort", "name")
	}
	q.Set("limit", pageSize)
	var out list[inventory.Datastore]
	if err := p.get("/api/datastores", q, &out); err != nil {
		return err
	}
	in := p.r.URL.Query()
	t := datastoreTable("Datastores", "/datastores", out.Items)
	t.Query, t.Sort, t.Next, t.Paged, t.Export = p.apiQuery("q", "vcenter", "sort", "host_id"), q.Get("sort"), out.NextCursor, in.Get("cursor") != "", true
	fs := []Filter{{Name: "q", Label: "Name contains", Value: in.Get("q")}, {Name: "vcenter", Label: "vCenter", Value: in.Get("vcenter"), Options: p.vcenterOptions()}}
	return p.ok(sectionsPage(p, "Datastores", append(extra, Section{Filters: fs, FilterAction: "/datastores", FilterSort: q.Get("sort"), Table: t})))
}

// totalsTrend is the chart of provisioned disk against datastore capacity
// from the hourly vCenter totals of the last 14 days (nil when none).
func (p *page) totalsTrend() (*Chart, error) {
	var out list[api.TotalsRow]
	from := p.s.o.Clock().Add(-14 * 24 * time.Hour).UTC().Format(time.RFC3339)
	if err := p.get("/api/totals", url.Values{"granularity": {"hourly"}, "from": {from}, "limit": {"1000"}}, &out); err != nil {
		return nil, err
	}
	if len(out.Items) == 0 {
		return nil, nil
	}
	byTime := map[int64][3]float64{}
	for _, r := range out.Items {
		x := r.PeriodStart.Unix()
		v := byTime[x]
		v[0] += r.ProvisionedDiskGBTotal
		v[1] += r.DatastoreCapacityGB
		v[2] += r.DatastoreFreeGB
		byTime[x] = v
	}
	c := &Chart{ID: "provisioned", Title: "Provisioned vs capacity", Desc: "GB, every vCenter", Units: "GB",
		Series: []string{"provisioned", "capacity", "free"}, Y: make([][]*float64, 3)}
	for _, x := range sortedKeys(byTime) {
		c.X = append(c.X, x)
		for i := range 3 {
			c.Y[i] = append(c.Y[i], fp(byTime[x][i]))
		}
	}
	return c, nil
}

func (s *Server) datastore(p *page) error {
	vc, id := p.r.PathValue("vcenter"), p.r.PathValue("id")
	var d api.DatastoreDetail
	if err := p.get("/api/datastores/"+pathEsc(vc)+"/"+pathEsc(id), nil, &d); err != nil {
		return err
	}
	ds := d.Datastore
	used := ds.CapacityGB - ds.FreeGB
	var prov float64
	for _, v := range d.VMs {
		prov += v.ProvisionedDiskGB
	}
	free := 0.0
	if ds.CapacityGB > 0 {
		free = ds.FreeGB / ds.CapacityGB
	}
	kpis := []KPI{{Label: "Capacity", Value: gb(ds.CapacityGB)}, {Label: "Free", Value: gb(ds.FreeGB), Meter: &free, Note: pct(free) + " free"},
		{Label: "Used", Value: gb(used)}, {Label: "Provisioned", Value: gb(ds.ProvisionedGB()), Note: gb(ds.UncommittedGB) + " uncommitted"},
		{Label: "Provisioned by its VMs", Value: gb(prov)}, {Label: "Type", Value: orDash(ds.Type)},
		{Label: "Accessible", Value: yesNo(ds.Accessible)}}
	ht := &Table{Label: "Hosts mounting it", Cols: []Col{{Title: "Name"}, {Title: "Cluster"}, {Title: "State"}}, Empty: "No hosts."}
	for _, h := range d.Hosts {
		ht.Rows = append(ht.Rows, Row{Key: h.ID, Cells: []Cell{link(h.Name, hostHref(vc, h.ID)), text(h.Cluster), hostState(h)}})
	}
	where := Card{Title: "Where", Fields: []Field{{"vCenter", text(vc)}, {"Datacenter", text(ds.Datacenter)}, {"URL", text(ds.URL)}}}
	if x := d.Detail; x != nil {
		where.Fields = append(where.Fields, Field{"Overall status", statusBadge(x.OverallStatus)}, Field{"Maintenance", text(x.MaintenanceMode)},
			Field{"Multiple-host access", text(yesNo(x.MultipleHostAccess))})
		if x.VMFSVersion != "" {
			where.Fields = append(where.Fields, Field{"VMFS version", text(x.VMFSVersion)}, Field{"Block size", text(inum(int(x.BlockSizeMB)) + " MB")},
				Field{"Extents", text(strings.Join(x.Extents, ", "))})
		}
		if x.NFSServer != "" {
			where.Fields = append(where.Fields, Field{"NFS server", text(x.NFSServer)}, Field{"NFS path", text(x.NFSPath)})
		}
	}
	util, err := p.utilSection(inventory.EntityDatastore, vc, id, "datastore")
	if err != nil {
		return err
	}
	secs := []Section{{KPIs: kpis, Cards: []Card{where}}, util,
		{Title: "Hosts", Table: ht}, vmSection("VMs on this datastore", d.VMs, d.VMsNextCursor != "", url.Values{"vcenter": {vc}, "datastore_id": {id}})}
	return p.ok(sectionsPage(p, "Datastore "+ds.Name, secs))
}

func (s *Server) networks(p *page) error {
	return smallList(p, "/api/networks", "Networks", "networks",
		[]Col{{"Name", "name", false}, {"vCenter", "vcenter", false}, {"Datacenter", "datacenter", false}, {"Kind", "kind", false},
			{"Switch", "switch", false}, {"VLAN", "vlan", false}},
		func(n inventory.Network) Row {
			return Row{Key: n.Vcenter + "/" + n.ID, Cells: []Cell{link(n.Name, entityHref("networks", n.Vcenter, n.ID)), text(n.Vcenter),
				text(n.Datacenter), text(n.Kind), text(n.Switch), text(n.VLAN)}}
		})
}

func (s *Server) network(p *page) error {
	vc, id := p.r.PathValue("vcenter"), p.r.PathValue("id")
	var d api.NetworkDetail
	if err := p.get("/api/networks/"+pathEsc(vc)+"/"+pathEsc(id), nil, &d); err != nil {
		return err
	}
	n := d.Network
	c := Card{Title: "Network", Fields: []Field{{"vCenter", text(vc)}, {"Datacenter", text(n.Datacenter)}, {"Kind", text(n.Kind)},
		{"Switch", text(n.Switch)}, {"VLAN", text(orDash(n.VLAN))}, {"Captured", text(p.when(n.SnapshotTime))}}}
	secs := []Section{{Cards: []Card{c}}, vmSection("VMs on this network", d.VMs, d.VMsNextCursor != "", url.Values{"vcenter": {vc}, "network_id": {id}})}
	return p.ok(sectionsPage(p, "Network "+n.Name, secs))
}

func poolTable(label string, ps []inventory.ResourcePool) *Table {
	t := &Table{Label: label, Empty: "No resource pools.", Cols: []Col{{Title: "Name"}, {Title: "Path"}, {Title: "Cluster"},
		{Title: "CPU limit MHz", Num: true}, {Title: "Memory limit MB", Num: true}}}
	for _, rp := range ps {
		t.Rows = append(t.Rows, Row{Key: rp.Vcenter + "/" + rp.ID, Cells: poolCells(rp)})
	}
	return t
}

func poolCells(rp inventory.ResourcePool) []Cell {
	limit := func(v int64) Cell {
		if v < 0 {
			return numCell("unlimited")
		}
		return numCell(inum(v))
	}
	return []Cell{link(rp.Name, entityHref("resource-pools", rp.Vcenter, rp.ID)), text(rp.Path),
		link(rp.Cluster, entityHref("clusters", rp.Vcenter, rp.ClusterID)), limit(rp.CPULimitMhz), limit(rp.MemoryLimitMB)}
}

func (s *Server) pools(p *page) error {
	return smallList(p, "/api/resource-pools", "Resource pools", "resource-pools",
		[]Col{{"Name", "name", false}, {"Path", "path", false}, {"Cluster", "cluster", false}, {"CPU limit MHz", "cpu_limit_mhz", true},
			{"Memory limit MB", "memory_limit_mb", true}, {"vCenter", "vcenter", false}},
		func(rp inventory.ResourcePool) Row {
			return Row{Key: rp.Vcenter + "/" + rp.ID, Cells: append(poolCells(rp), text(rp.Vcenter))}
		})
}

func (s *Server) pool(p *page) error {
	vc, id := p.r.PathValue("vcenter"), p.r.PathValue("id")
	var d api.PoolDetail
	if err := p.get("/api/resource-pools/"+pathEsc(vc)+"/"+pathEsc(id), nil, &d); err != nil {
		return err
	}
	rp := d.ResourcePool
	t := poolTable("This resource pool", []inventory.ResourcePool{rp})
	secs := []Section{{Table: t}, vmSection("VMs in this pool", d.VMs, d.VMsNextCursor != "", url.Values{"vcenter": {vc}, "resource_pool_id": {id}})}
	return p.ok(sectionsPage(p, "Resource pool "+rp.Name, secs))
}

// statusBadge shows a vSphere overall status (green, yellow, red, gray).
func statusBadge(s string) Cell {
	switch s {
	case "green":
		return badge(s, "success")
	case "yellow":
		return badge(s, "warning")
	case "red":
		return badge(s, "danger")
	case "":
		return text("unknown")
	}
	return badge(s, "neutral")
}

// listEntity is the entity type of an API list's rows.
var listEntity = map[string]inventory.EntityType{
	"/api/hosts": inventory.EntityHost, "/api/clusters": inventory.EntityCluster, "/api/datastores": inventory.EntityDatastore,
	"/api/networks": inventory.EntityNetwork, "/api/resource-pools": inventory.EntityResourcePool,
}
