package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// The Querier section: over a random inventory of three vCenters with
// hostile names, attributes and many ties, every filter and every sort
// field in both directions, walked page by page, gives exactly the VMs and
// the order of a reference computed here from ListVMs (filters written
// anew, sort.SliceStable on the (vcenter, vm_id) order); Count; the scope
// (a scoped query or search never sees another vCenter); ASCII-only case
// folding and literal LIKE metacharacters; invalid params; and Search
// against a reference search over the List methods.
func querierTests() []test {
	return []test{
		{"SortFields", testQuerySortFields},
		{"Filters", testQueryFilters},
		{"PagesWithTies", testQueryTies},
		{"Scope", testQueryScope},
		{"CaseAndMetacharacters", testQueryFolding},
		{"InvalidParams", testQueryInvalid},
		{"Search", testSearch},
		{"SearchScope", testSearchScope},
		{"SearchInvalidParams", testSearchInvalid},
	}
}

func (e *env) querier() store.Querier { return e.st.(store.Querier) }

// queryVcenters are the vCenters of the query inventory, with their sizes.
var queryVcenters = []struct {
	name string
	vms  int
}{{"vc-a", 170}, {"vc-B", 110}, {"vc-ä'\"%_", 70}}

// queryNames are VM names the query inventory draws from: hostile strings,
// case and accent variants, LIKE metacharacters and many duplicates.
func queryNames() []string {
	return append(HostileStrings(), "ÄBC", "äbc", "ABC", "xaBcx", "100%_sure", `a\b`, "a_b", "a%b", "axb", "dup",
		"Dup", "DUP", "", "web", "Web", "web-01", "WEB-02", "aweb")
}

// queryAttributes are attributes with keys that break careless JSON paths.
var queryAttributes = []map[string]string{
	{`it's`: "x", `a.b`: "dot", `$.x`: "dollar", `"quoted"`: `va"l`, "tag:env": "prod"},
	{`[0]`: "bracket", `back\slash`: `v\`, "ключ": "значение", "tag:env": "dev", "tag:backup": ""},
	{"a": "plain", "owner": "team-ÄBC", `a.b`: "other"},
}

// writeQueryInventory writes the query inventory and returns every VM as
// ListVMs returns it, in (vcenter, vm_id) order.
func (e *env) writeQueryInventory() []inventory.VM {
	e.t.Helper()
	names := queryNames()
	for n, qv := range queryVcenters {
		p := Snapshot(qv.name, t0, qv.vms, int64(11+n))
		rng := newRand(int64(n), 4242)
		st := p.State
		for i := range st.VMs {
			v := &st.VMs[i]
			switch rng.IntN(4) {
			case 0:
				v.Name = names[rng.IntN(len(names))]
			case 1:
				v.Name = []string{"dup", "Dup", "web"}[rng.IntN(3)]
			}
			if rng.IntN(4) == 0 {
				v.RAMMB = 4096
			}
			if rng.IntN(5) == 0 {
				v.ProvisionedDiskGB, v.UsedDiskGB = 100.5, 0.1
			}
			if rng.IntN(6) == 0 {
				v.UUID = strings.ToUpper(v.UUID)
			}
			if rng.IntN(8) == 0 {
				v.GuestOS = "Ubuntu64Guest_%"
			}
			if rng.IntN(3) == 0 {
				v.Attributes = queryAttributes[rng.IntN(len(queryAttributes))]
			}
		}
		st.Hosts[0].Name = "web"
		st.Hosts[1].Name = "ÄBC host"
		st.Datastores[0].Name = "a_b datastore"
		st.Networks[0].Name = `it's "VM Network" 100%`
		st.Clusters[0].Name = "WEB cluster"
		p.Samples = nil
		for i := range st.VMs {
			p.Samples = append(p.Samples, st.VMs[i].Sample(p.SnapshotTime))
		}
		p.Totals = inventory.ComputeTotals("", time.Time{}, p.Samples, st)
		e.write(p)
	}
	all := e.listVMs(store.ListVMsParams{})
	if len(all) != 350 {
		e.t.Fatalf("the query inventory holds %d VMs, want 350", len(all))
	}
	return all
}

// foldRef lowers ASCII letters only (the reference's own folding).
func foldRef(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

func containsRef(s, q string) bool { return strings.Contains(foldRef(s), foldRef(q)) }

// refQuery returns the VMs of all (in (vcenter, vm_id) order) that p's
// filters and scope keep, in p.Sort order.
func refQuery(all []inventory.VM, p store.QueryVMsParams) []inventory.VM {
	var out []inventory.VM
	for _, v := range all {
		if p.Vcenters != nil && !slices.Contains(p.Vcenters, v.Vcenter) ||
			p.Vcenter != "" && v.Vcenter != p.Vcenter ||
			p.Cluster != "" && v.Cluster != p.Cluster ||
			p.HostID != "" && v.HostID != p.HostID ||
			p.ResourcePoolID != "" && v.ResourcePoolID != p.ResourcePoolID ||
			p.DatastoreID != "" && !slices.Contains(v.DatastoreIDs, p.DatastoreID) ||
			p.NetworkID != "" && !slices.Contains(v.NetworkIDs, p.NetworkID) ||
			p.Folder != "" && v.Folder != p.Folder ||
			p.PowerState != "" && v.PowerState != p.PowerState ||
			p.Template != nil && v.IsTemplate != *p.Template {
			continue
		}
		tagsOK := true
		for _, t := range p.Tags {
			val, ok := v.Attributes[t.Key]
			tagsOK = tagsOK && ok && (t.Value == "" || val == t.Value)
		}
		if !tagsOK {
			continue
		}
		if p.Q != "" && !containsRef(v.Name, p.Q) && !containsRef(v.ID, p.Q) && !containsRef(v.UUID, p.Q) &&
			!containsRef(v.IPAddress, p.Q) && !containsRef(v.GuestOS, p.Q) {
			continue
		}
		out = append(out, v)
	}
	field, desc := strings.CutPrefix(cmp.Or(p.Sort, "name"), "-")
	sort.SliceStable(out, func(i, j int) bool {
		c := refCompare(field, &out[i], &out[j])
		if desc {
			c = -c
		}
		return c < 0
	})
	return out
}

// refCompare compares two VMs by one sort field; a zero time sorts first.
func refCompare(field string, a, b *inventory.VM) int {
	texts := map[string]func(v *inventory.VM) string{
		"name": func(v *inventory.VM) string { return v.Name }, "vm_id": func(v *inventory.VM) string { return v.ID },
		"vcenter": func(v *inventory.VM) string { return v.Vcenter }, "datacenter": func(v *inventory.VM) string { return v.Datacenter },
		"cluster": func(v *inventory.VM) string { return v.Cluster }, "host": func(v *inventory.VM) string { return v.Host },
		"resource_pool": func(v *inventory.VM) string { return v.ResourcePool }, "folder": func(v *inventory.VM) string { return v.Folder },
		"power_state": func(v *inventory.VM) string { return string(v.PowerState) },
		"guest_os":    func(v *inventory.VM) string { return v.GuestOS }, "ip_address": func(v *inventory.VM) string { return v.IPAddress },
	}
	if get, ok := texts[field]; ok {
		return strings.Compare(get(a), get(b))
	}
	switch field {
	case "vcpu_count":
		return cmp.Compare(a.VCPUCount, b.VCPUCount)
	case "ram_mb":
		return cmp.Compare(a.RAMMB, b.RAMMB)
	case "provisioned_disk_gb":
		return cmp.Compare(a.ProvisionedDiskGB, b.ProvisionedDiskGB)
	case "used_disk_gb":
		return cmp.Compare(a.UsedDiskGB, b.UsedDiskGB)
	case "creation_time":
		switch az, bz := a.CreationTime.IsZero(), b.CreationTime.IsZero(); {
		case az && bz:
			return 0
		case az:
			return -1
		case bz:
			return 1
		}
		return a.CreationTime.Compare(b.CreationTime)
	case "snapshot_time":
		return a.SnapshotTime.Compare(b.SnapshotTime)
	}
	panic("refCompare: unknown sort field " + field)
}

// queryPages walks every page of p and checks each: full pages but the
// last, Total on every page (-1 without Count), no VM twice.
func (e *env) queryPages(p store.QueryVMsParams) (vms []inventory.VM, total int) {
	e.t.Helper()
	limit := cmp.Or(p.Limit, 100)
	seen := map[[2]string]bool{}
	for page := 0; ; page++ {
		pg, err := e.querier().QueryVMs(e.ctx, &p)
		e.ok(err, "QueryVMs%s page %d", describe(p), page)
		if !p.Count && pg.Total != -1 {
			e.t.Fatalf("QueryVMs%s page %d: Total %d without Count, want -1", describe(p), page, pg.Total)
		}
		if page == 0 {
			total = pg.Total
		} else if pg.Total != total {
			e.t.Fatalf("QueryVMs%s page %d: Total %d, page 0 said %d", describe(p), page, pg.Total, total)
		}
		if len(pg.VMs) > limit || (pg.NextCursor != "" && len(pg.VMs) != limit) {
			e.t.Fatalf("QueryVMs%s page %d: %d VMs (next cursor %q), want %d on every page but the last", describe(p), page, len(pg.VMs), pg.NextCursor, limit)
		}
		for _, v := range pg.VMs {
			k := [2]string{v.Vcenter, v.ID}
			if seen[k] {
				e.t.Fatalf("QueryVMs%s: VM %q/%q returned twice (page %d)", describe(p), v.Vcenter, v.ID, page)
			}
			seen[k] = true
		}
		vms = append(vms, pg.VMs...)
		if pg.NextCursor == "" {
			return vms, total
		}
		if page > 10000 {
			e.t.Fatalf("QueryVMs%s: more than 10000 pages", describe(p))
		}
		p.Cursor = pg.NextCursor
	}
}

// checkQuery walks p's pages and compares them with the reference.
func (e *env) checkQuery(all []inventory.VM, p store.QueryVMsParams) []inventory.VM {
	e.t.Helper()
	got, total := e.queryPages(p)
	e.compareQuery(all, p, got, total)
	return got
}

// compareQuery compares the VMs and Total of p's pages with the reference.
func (e *env) compareQuery(all []inventory.VM, p store.QueryVMsParams, got []inventory.VM, total int) {
	e.t.Helper()
	want := refQuery(all, p)
	if p.Count && total != len(want) {
		e.t.Errorf("QueryVMs%s: Total %d, want %d", describe(p), total, len(want))
	}
	if d := gocmp.Diff(vmKeys(want), vmKeys(got)); d != "" {
		e.t.Fatalf("QueryVMs%s: VMs or order differ from the reference (-want +got):\n%s", describe(p), d)
	}
	checkList(e.t, "QueryVMs"+describe(p)+" rows", want, got)
}

// vmKeys lists "vcenter/vm_id" of vms.
func vmKeys(vms []inventory.VM) []string {
	out := make([]string, len(vms))
	for i, v := range vms {
		out[i] = v.Vcenter + "/" + v.ID
	}
	return out
}

// querySorts returns every sort spec: each field in both directions.
func querySorts() []string {
	var out []string
	for _, f := range store.VMSortFields() {
		out = append(out, f, "-"+f)
	}
	return out
}

func testQuerySortFields(e *env) {
	all := e.writeQueryInventory()
	for i, s := range querySorts() {
		e.checkQuery(all, store.QueryVMsParams{Sort: s, Limit: 23 + i%3, Count: i%2 == 0})
	}
	// The default sort is name.
	if d := gocmp.Diff(vmKeys(refQuery(all, store.QueryVMsParams{Sort: "name"})), vmKeys(e.checkQuery(all, store.QueryVMsParams{Limit: 1000}))); d != "" {
		e.t.Errorf("QueryVMs without Sort is not in name order:\n%s", d)
	}
}

func testQueryFilters(e *env) {
	all := e.writeQueryInventory()
	pick := func(get func(v *inventory.VM) string) string { // a value held by some VMs, not all
		for _, v := range all {
			if s := get(&v); s != "" && s != get(&all[0]) {
				return s
			}
		}
		e.t.Fatal("the inventory lacks variety")
		return ""
	}
	yes, no := true, false
	filters := []store.QueryVMsParams{
		{},
		{Vcenter: "vc-B"},
		{Vcenter: queryVcenters[2].name},
		{Vcenter: "vc-missing"},
		{Cluster: pick(func(v *inventory.VM) string { return v.Cluster })},
		{HostID: pick(func(v *inventory.VM) string { return v.HostID })},
		{ResourcePoolID: pick(func(v *inventory.VM) string { return v.ResourcePoolID })},
		{DatastoreID: "datastore-2"},
		{NetworkID: "dvportgroup-21"},
		{Folder: pick(func(v *inventory.VM) string { return v.Folder })},
		{PowerState: inventory.PoweredOff},
		{PowerState: inventory.Suspended, Vcenter: "vc-a"},
		{Template: &yes},
		{Template: &no},
		{Tags: []store.TagFilter{{Key: "owner"}}},
		{Tags: []store.TagFilter{{Key: "tag:env", Value: "prod"}}},
		{Tags: []store.TagFilter{{Key: "tag:backup"}}}, // present with an empty value
		{Tags: []store.TagFilter{{Key: "a"}}},          // not "a.b"
		{Tags: []store.TagFilter{{Key: `a.b`, Value: "dot"}}},
		{Tags: []store.TagFilter{{Key: `$.x`}, {Key: `"quoted"`, Value: `va"l`}}},
		{Tags: []store.TagFilter{{Key: `it's`, Value: "x"}, {Key: "tag:env", Value: "dev"}}}, // never together
		{Tags: []store.TagFilter{{Key: `[0]`}, {Key: `back\slash`, Value: `v\`}, {Key: "ключ", Value: "значение"}}},
		{Tags: []store.TagFilter{{Key: "$"}}},
		{Q: "web"},
		{Q: "VM-1"},
		{Q: "10.0."},
		{Q: "ubuntu"},
		{Q: "8A9B"}, // UUIDs, some stored upper-case
		{Q: "a"},
		{Q: " "},
		{Q: "dup"},
		{Q: "%"},
		{Q: "_"},
		{Q: `\`},
		{Q: "'"},
		{Q: `"`},
		{Q: "日本"},
		{Q: "A" + "\u0308"},
		{Q: "no such text"},
		{PowerState: inventory.PoweredOn, Q: "WEB", Template: &no, Vcenters: []string{"vc-a", "vc-B"}},
		{Cluster: "Cluster-B", DatastoreID: "datastore-3", NetworkID: "network-11", Q: "vm"},
	}
	nonEmpty := 0
	sorts := querySorts()
	for i, f := range filters {
		f.Limit = 7
		if len(e.checkQuery(all, f)) > 0 {
			nonEmpty++
		}
		f.Sort, f.Limit, f.Count = sorts[(5*i)%len(sorts)], 11, true
		e.checkQuery(all, f)
	}
	if nonEmpty < len(filters)-6 {
		e.t.Errorf("only %d of %d filters keep any VM: the inventory does not exercise them", nonEmpty, len(filters))
	}
}

func testQueryTies(e *env) {
	all := e.writeQueryInventory()
	for _, c := range []struct {
		sort  string
		limit int
	}{{"vcpu_count", 1}, {"-name", 2}, {"snapshot_time", 3}, {"-creation_time", 4}, {"power_state", 5}, {"-provisioned_disk_gb", 6}} {
		got := e.checkQuery(all, store.QueryVMsParams{Sort: c.sort, Limit: c.limit})
		ties := 0
		field, _ := strings.CutPrefix(c.sort, "-")
		for i := 1; i < len(got); i++ {
			if refCompare(field, &got[i-1], &got[i]) == 0 {
				ties++
			}
		}
		if ties < len(got)/4 {
			e.t.Errorf("sort %s: only %d of %d neighbours tie; the test needs many", c.sort, ties, len(got))
		}
	}
}

func testQueryScope(e *env) {
	all := e.writeQueryInventory()
	vcC := queryVcenters[2].name
	for _, c := range []struct {
		scope   []string
		vcenter string
		want    int
	}{
		{[]string{"vc-a"}, "", 170},
		{[]string{vcC, "vc-B"}, "", 180},
		{[]string{"vc-B", "vc-B"}, "", 110},
		{[]string{"vc-a", "vc-B"}, vcC, 0},
		{[]string{"vc-a"}, "vc-a", 170},
		{[]string{}, "", 0},
		{[]string{}, "vc-a", 0},
		{[]string{"vc-missing"}, "", 0},
		{nil, "", 350},
	} {
		for _, s := range []string{"name", "-vcenter", "ram_mb"} {
			p := store.QueryVMsParams{Vcenters: c.scope, Vcenter: c.vcenter, Sort: s, Limit: 40, Count: true}
			got, total := e.queryPages(p)
			for _, v := range got {
				if c.scope != nil && !slices.Contains(c.scope, v.Vcenter) {
					e.t.Fatalf("QueryVMs%s returned VM %q of %q, outside the scope", describe(p), v.ID, v.Vcenter)
				}
			}
			if len(got) != c.want || total != c.want {
				e.t.Errorf("QueryVMs%s: %d VMs, Total %d, want %d", describe(p), len(got), total, c.want)
			}
			e.compareQuery(all, p, got, total)
		}
	}
	// An empty scope answers an empty page, with Total 0.
	pg, err := e.querier().QueryVMs(e.ctx, &store.QueryVMsParams{Vcenters: []string{}, Count: true})
	e.ok(err, "QueryVMs with an empty scope")
	if len(pg.VMs) != 0 || pg.Total != 0 || pg.NextCursor != "" {
		e.t.Errorf("QueryVMs with an empty scope = %d VMs, Total %d, cursor %q; want none, 0, none", len(pg.VMs), pg.Total, pg.NextCursor)
	}
}

// testQueryFolding pins the matching rules: ASCII letters fold, other
// letters do not, and %, _ and \ match only themselves.
func testQueryFolding(e *env) {
	names := []string{"ÄBC", "äbc", "ABC", "xaBcx", "100%_sure", `a\b`, "a_b", "a%b", "axb", "ab"}
	p := Snapshot("vc-a", t0, len(names), 1)
	for i := range p.State.VMs {
		v := &p.State.VMs[i]
		var n int
		fmt.Sscanf(v.ID, "vm-%d", &n)
		v.Name, v.UUID, v.IPAddress, v.GuestOS = names[n-1], "", "", ""
	}
	p.Samples = nil
	for i := range p.State.VMs {
		p.Samples = append(p.Samples, p.State.VMs[i].Sample(p.SnapshotTime))
	}
	e.write(p)
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"abc", []string{"ABC", "xaBcx"}},
		{"ABC", []string{"ABC", "xaBcx"}},
		{"äbc", []string{"äbc"}},
		{"ÄBC", []string{"ÄBC"}},
		{"Äbc", []string{"ÄBC"}},
		{"bc", []string{"ABC", "xaBcx", "ÄBC", "äbc"}},
		{"%", []string{"100%_sure", "a%b"}},
		{"_", []string{"100%_sure", "a_b"}},
		{"%_", []string{"100%_sure"}},
		{"a_b", []string{"a_b"}},
		{"A%B", []string{"a%b"}},
		{`\`, []string{`a\b`}},
		{`a\b`, []string{`a\b`}},
		{`a\\b`, nil},
		{"a.b", nil},
	} {
		pg, err := e.querier().QueryVMs(e.ctx, &store.QueryVMsParams{Q: c.q, Count: true})
		e.ok(err, "QueryVMs{Q: %q}", c.q)
		var got []string
		for _, v := range pg.VMs {
			got = append(got, v.Name)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(c.want))
		if !slices.Equal(got, want) || pg.Total != len(want) {
			e.t.Errorf("QueryVMs{Q: %q} = %q (Total %d), want %q", c.q, got, pg.Total, want)
		}
	}
}

func testQueryInvalid(e *env) {
	e.writeQueryInventory()
	q := e.querier()
	first, err := q.QueryVMs(e.ctx, &store.QueryVMsParams{Sort: "-ram_mb", Limit: 5})
	e.ok(err, "QueryVMs{Sort: -ram_mb, Limit: 5}")
	list, err := e.st.ListVMs(e.ctx, &store.ListVMsParams{Limit: 5})
	e.ok(err, "ListVMs{Limit: 5}")
	for _, c := range []struct {
		p     store.QueryVMsParams
		field string
	}{
		{store.QueryVMsParams{Limit: -1}, "Limit"},
		{store.QueryVMsParams{Limit: 1001}, "Limit"},
		{store.QueryVMsParams{Sort: "bogus"}, "Sort"},
		{store.QueryVMsParams{Sort: "-"}, "Sort"},
		{store.QueryVMsParams{Sort: "+name"}, "Sort"},
		{store.QueryVMsParams{Sort: "Name"}, "Sort"},
		{store.QueryVMsParams{Sort: "attributes"}, "Sort"},
		{store.QueryVMsParams{Cursor: "garbage"}, "Cursor"},
		{store.QueryVMsParams{Cursor: first.NextCursor}, "Cursor"},                 // of sort -ram_mb
		{store.QueryVMsParams{Sort: "ram_mb", Cursor: first.NextCursor}, "Cursor"}, // of sort -ram_mb
		{store.QueryVMsParams{Sort: "-vcpu_count", Cursor: first.NextCursor}, "Cursor"},
		{store.QueryVMsParams{Cursor: list.NextCursor}, "Cursor"},
		{store.QueryVMsParams{Tags: []store.TagFilter{{Key: "owner"}, {Value: "x"}}}, "Tags[1].Key"},
		{store.QueryVMsParams{Q: "bad \xff utf-8"}, "Q"},
		{store.QueryVMsParams{Cluster: "nul \x00"}, "Cluster"},
	} {
		pg, err := q.QueryVMs(e.ctx, &c.p)
		if ipe := wantInvalid(e.t, err, "QueryVMs", describe(c.p)); ipe != nil && ipe.Field != c.field {
			e.t.Errorf("QueryVMs%s: error names %q, want %q (%v)", describe(c.p), ipe.Field, c.field, err)
		}
		if pg != nil {
			e.t.Errorf("QueryVMs%s: a page along with the error", describe(c.p))
		}
	}
	// The cursor works with its own sort; nil params are the defaults.
	if _, err := q.QueryVMs(e.ctx, &store.QueryVMsParams{Sort: "-ram_mb", Limit: 5, Cursor: first.NextCursor}); err != nil {
		e.t.Errorf("QueryVMs with its own cursor: %v", err)
	}
	pg, err := q.QueryVMs(e.ctx, nil)
	e.ok(err, "QueryVMs(nil)")
	if len(pg.VMs) != 100 || pg.Total != -1 || pg.NextCursor == "" {
		e.t.Errorf("QueryVMs(nil) = %d VMs, Total %d, cursor %q; want 100, -1 and a cursor", len(pg.VMs), pg.Total, pg.NextCursor)
	}
}

// ---------------------------------------------------------------------------
// Search

// searchWorld is what a reference search reads: every entity as the List
// methods return them.
type searchWorld struct {
	vms        []inventory.VM
	hosts      []inventory.Host
	clusters   []inventory.Cluster
	datastores []inventory.Datastore
	networks   []inventory.Network
	pools      []inventory.ResourcePool
}

func (e *env) searchWorld(all []inventory.VM) *searchWorld {
	w := &searchWorld{vms: all}
	var err error
	w.hosts, err = e.st.ListHosts(e.ctx, nil)
	e.ok(err, "ListHosts")
	w.clusters, err = e.st.ListClusters(e.ctx, nil)
	e.ok(err, "ListClusters")
	w.datastores, err = e.st.ListDatastores(e.ctx, nil)
	e.ok(err, "ListDatastores")
	w.networks, err = e.st.ListNetworks(e.ctx, nil)
	e.ok(err, "ListNetworks")
	w.pools, err = e.st.ListResourcePools(e.ctx, nil)
	e.ok(err, "ListResourcePools")
	return w
}

// refSearch is the reference search.
func (w *searchWorld) refSearch(p store.SearchParams) []store.SearchHit {
	q := strings.TrimSpace(p.Q)
	limit := cmp.Or(p.Limit, 10)
	in := func(vc string) bool { return p.Vcenters == nil || slices.Contains(p.Vcenters, vc) }
	byKind := map[store.SearchKind][]store.SearchHit{}
	name := func(kind store.SearchKind, vc, id, n string) {
		if in(vc) && containsRef(n, q) {
			byKind[kind] = append(byKind[kind], store.SearchHit{Kind: kind, Vcenter: vc, ID: id, Name: n, Field: "name", Value: n})
		}
	}
	for _, v := range w.vms {
		if !in(v.Vcenter) {
			continue
		}
		h := store.SearchHit{Kind: "vm", Vcenter: v.Vcenter, ID: v.ID, Name: v.Name}
		switch {
		case containsRef(v.Name, q):
			h.Field, h.Value = "name", v.Name
		case containsRef(v.ID, q):
			h.Field, h.Value = "vm_id", v.ID
		case containsRef(v.UUID, q):
			h.Field, h.Value = "vm_uuid", v.UUID
		case containsRef(v.IPAddress, q):
			h.Field, h.Value = "ip_address", v.IPAddress
		default:
			keys := make([]string, 0, len(v.Attributes))
			for k := range v.Attributes {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if t := k + ":" + v.Attributes[k]; containsRef(t, q) {
					h.Field, h.Value = "tag", t
					break
				}
			}
		}
		if h.Field != "" {
			byKind["vm"] = append(byKind["vm"], h)
		}
	}
	for _, x := range w.hosts {
		name("host", x.Vcenter, x.ID, x.Name)
	}
	for _, x := range w.clusters {
		name("cluster", x.Vcenter, x.ID, x.Name)
	}
	for _, x := range w.datastores {
		name("datastore", x.Vcenter, x.ID, x.Name)
	}
	for _, x := range w.networks {
		name("network", x.Vcenter, x.ID, x.Name)
	}
	for _, x := range w.pools {
		name("resource_pool", x.Vcenter, x.ID, x.Name)
	}
	var out []store.SearchHit
	for _, kind := range []store.SearchKind{"vm", "host", "cluster", "datastore", "network", "resource_pool"} {
		hits := byKind[kind]
		sort.SliceStable(hits, func(i, j int) bool {
			a, b := hits[i], hits[j]
			if ea, eb := foldRef(a.Name) == foldRef(q), foldRef(b.Name) == foldRef(q); ea != eb {
				return ea
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			if a.Vcenter != b.Vcenter {
				return a.Vcenter < b.Vcenter
			}
			return a.ID < b.ID
		})
		out = append(out, hits[:min(len(hits), limit)]...)
	}
	return out
}

func (e *env) checkSearch(w *searchWorld, p store.SearchParams) []store.SearchHit {
	e.t.Helper()
	res, err := e.querier().Search(e.ctx, &p)
	e.ok(err, "Search%s", describe(p))
	want := w.refSearch(p)
	checkList(e.t, "Search"+describe(p), want, res.Hits)
	return res.Hits
}

func testSearch(e *env) {
	w := e.searchWorld(e.writeQueryInventory())
	queries := []string{"web", "WEB", " web ", "dup", "esx0", "vm-1", "vm-12", "team-", "tag:env:pr", "env:prod", "ÄBC", "äbc", "abc",
		"%_", "a_b", `a\b`, "10.0.0.", "8A9B-", "gold", "cluster", "network", "it's", `"hi"`, "日本", "<script>", "ключ:зна",
		"$.x:dol", "no such text", "ubuntu"}
	hit := 0
	for i, q := range queries {
		for _, limit := range []int{0, 3, 100} {
			if len(e.checkSearch(w, store.SearchParams{Q: q, Limit: limit})) > 0 {
				hit++
			}
		}
		e.checkSearch(w, store.SearchParams{Q: q, Vcenters: []string{queryVcenters[i%3].name}})
	}
	if hit < 3*(len(queries)-4) {
		e.t.Errorf("only %d of %d searches found anything: the inventory does not exercise them", hit, 3*len(queries))
	}
	// Pinned cases, beyond the reference.
	hits := e.checkSearch(w, store.SearchParams{Q: "WEB", Limit: 100})
	kinds := map[store.SearchKind]int{}
	for i, h := range hits {
		kinds[h.Kind]++
		if i > 0 && slices.Index(store.SearchKinds(), h.Kind) < slices.Index(store.SearchKinds(), hits[i-1].Kind) {
			e.t.Fatalf("Search{Q: WEB}: hit %d of kind %s after kind %s", i, h.Kind, hits[i-1].Kind)
		}
	}
	if kinds["vm"] == 0 || kinds["host"] != 3 || kinds["cluster"] != 3 {
		e.t.Errorf("Search{Q: WEB}: hits per kind %v, want VMs, 3 hosts and 3 clusters", kinds)
	}
	if hits[0].Kind != "vm" || foldRef(hits[0].Name) != "web" {
		e.t.Errorf("Search{Q: WEB}: first hit %+v, want a VM named web (exact names first)", hits[0])
	}
	for _, c := range []struct {
		q     string
		field store.SearchField
		value string
	}{
		{"tag:env:prod", "tag", "tag:env:prod"},
		{`"QUOTED":VA"`, "tag", `"quoted":va"l`},
		{"vm-17", "vm_id", "vm-17"},
	} {
		hits := e.checkSearch(w, store.SearchParams{Q: c.q})
		if len(hits) == 0 || hits[0].Field != c.field || !strings.HasPrefix(hits[0].Value, c.value) {
			e.t.Errorf("Search{Q: %q}: hits %+v, want a first hit on %s %q", c.q, hits, c.field, c.value)
		}
	}
}

func testSearchScope(e *env) {
	w := e.searchWorld(e.writeQueryInventory())
	for _, scope := range [][]string{{"vc-a"}, {"vc-B", queryVcenters[2].name}, {}, {"vc-missing"}} {
		for _, q := range []string{"web", "esx", "vm-1", "gold", "tag:env"} {
			p := store.SearchParams{Q: q, Vcenters: scope, Limit: 100}
			res, err := e.querier().Search(e.ctx, &p)
			e.ok(err, "Search%s", describe(p))
			hits := res.Hits
			for _, h := range hits {
				if !slices.Contains(scope, h.Vcenter) {
					e.t.Fatalf("Search{Q: %q, Vcenters: %q} returned %s %q of %q, outside the scope", q, scope, h.Kind, h.ID, h.Vcenter)
				}
			}
			if len(scope) == 0 && len(hits) != 0 {
				e.t.Errorf("Search with an empty scope found %d hits", len(hits))
			}
			checkList(e.t, "Search"+describe(p), w.refSearch(p), hits)
		}
	}
}

func testSearchInvalid(e *env) {
	e.writeQueryInventory()
	for _, c := range []struct {
		p     *store.SearchParams
		field string
	}{
		{nil, "Q"},
		{&store.SearchParams{}, "Q"},
		{&store.SearchParams{Q: "w"}, "Q"},
		{&store.SearchParams{Q: "  w \t"}, "Q"},
		{&store.SearchParams{Q: "\xffw"}, "Q"},
		{&store.SearchParams{Q: "web", Limit: -1}, "Limit"},
		{&store.SearchParams{Q: "web", Limit: 101}, "Limit"},
	} {
		res, err := e.querier().Search(e.ctx, c.p)
		if ipe := wantInvalid(e.t, err, "Search", describe(c.p)); ipe != nil && ipe.Field != c.field {
			e.t.Errorf("Search%s: error names %q, want %q (%v)", describe(c.p), ipe.Field, c.field, err)
		}
		if res != nil {
			e.t.Errorf("Search%s: a result along with the error", describe(c.p))
		}
	}
	// Two characters are enough, one of them non-ASCII.
	if _, err := e.querier().Search(e.ctx, &store.SearchParams{Q: " ä "}); err == nil {
		e.t.Error("Search{Q: \" ä \"}: no error for one character")
	}
	if _, err := e.querier().Search(e.ctx, &store.SearchParams{Q: "äb"}); err != nil {
		e.t.Errorf("Search{Q: äb}: %v", err)
	}
}
