package api

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// TestVMQueryAndSearch: /api/vms filters, sorts and pages as the store's
// Querier answers (every page of a filtered, sorted list equals the
// store's), counts, finds the renamed VM by tag and text, refuses unknown
// sort fields naming sort; /api/search finds it by name and tag.
func TestVMQueryAndSearch(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		q := st.(store.Querier)
		for _, c := range []struct {
			query string
			p     store.QueryVMsParams
		}{
			{"power_state=poweredOn&sort=-ram_mb", store.QueryVMsParams{PowerState: inventory.PoweredOn, Sort: "-ram_mb"}},
			{"sort=name", store.QueryVMsParams{Sort: "name"}},
			{"q=vm&sort=-vcpu_count", store.QueryVMsParams{Q: "vm", Sort: "-vcpu_count"}},
			{"template=false&sort=host", store.QueryVMsParams{Template: new(false), Sort: "host"}},
		} {
			c.p.Limit = 1000
			want, err := q.QueryVMs(ctx, &c.p)
			if err != nil {
				t.Fatal(err)
			}
			got := allPages[inventory.VM](t, f, "/api/vms?limit=3&"+c.query)
			var gotIDs, wantIDs []string
			for _, v := range got {
				gotIDs = append(gotIDs, v.ID)
			}
			for _, v := range want.VMs {
				wantIDs = append(wantIDs, v.ID)
			}
			if !slices.Equal(gotIDs, wantIDs) || len(gotIDs) == 0 {
				t.Errorf("%s: pages gave %v, the store %v", c.query, gotIDs, wantIDs)
			}
		}
		var counted vmListBody
		f.get(t, RoleViewer, "/api/vms?power_state=poweredOn&count=true&limit=1", &counted)
		all, _ := st.ListVMs(ctx, &store.ListVMsParams{Limit: 10000})
		on := 0
		for _, v := range all.VMs {
			if v.PowerState == inventory.PoweredOn {
				on++
			}
		}
		if counted.Total == nil || *counted.Total != on || len(counted.Items) != 1 {
			t.Errorf("count: %+v, want total %d", counted.Total, on)
		}
		var byTag list[inventory.VM]
		f.get(t, RoleViewer, "/api/vms?tag="+url.QueryEscape("tenant:=1+2"), &byTag)
		if len(byTag.Items) != 1 || byTag.Items[0].Name != formulaName {
			t.Errorf("tag filter: %+v", byTag.Items)
		}
		var byText list[inventory.VM]
		f.get(t, RoleViewer, "/api/vms?q="+url.QueryEscape("hyperlink(\"http"), &byText)
		if len(byText.Items) != 1 || byText.Items[0].Name != formulaName {
			t.Errorf("text filter: %+v", byText.Items)
		}
		for _, bad := range []struct{ path, param string }{
			{"/api/vms?sort=password", "sort"},
			{"/api/vms?sort=-name&cursor=" + url.QueryEscape("bogus"), "cursor"},
			{"/api/vms?tag=:x", "tag"},
			{"/api/vms?power_state=on", "power_state"},
			{"/api/search?q=x", "q"},
		} {
			resp, raw := f.get(t, RoleViewer, bad.path, nil)
			if resp.StatusCode != 422 || !strings.Contains(string(raw), bad.param) {
				t.Errorf("%s: %d %s", bad.path, resp.StatusCode, raw)
			}
		}
		var hits list[store.SearchHit]
		f.get(t, RoleViewer, "/api/search?q="+url.QueryEscape("HYPERLINK"), &hits)
		if len(hits.Items) != 1 || hits.Items[0].Kind != store.SearchVM || hits.Items[0].Name != formulaName || hits.Items[0].Vcenter != hostile {
			t.Errorf("search by name: %+v", hits.Items)
		}
		f.get(t, RoleViewer, "/api/search?q="+url.QueryEscape("tenant:=1"), &hits)
		if len(hits.Items) != 1 || hits.Items[0].Field != store.FieldTag {
			t.Errorf("search by tag: %+v", hits.Items)
		}
		want, _ := q.Search(ctx, &store.SearchParams{Q: "DC0"})
		f.get(t, RoleViewer, "/api/search?q=DC0", &hits)
		if len(hits.Items) != len(want.Hits) || len(hits.Items) == 0 {
			t.Errorf("search DC0: %d hits, the store %d", len(hits.Items), len(want.Hits))
		}
	})
}

type vmListBody struct {
	Items      []inventory.VM `json:"items"`
	NextCursor string         `json:"next_cursor"`
	Total      *int           `json:"total"`
}

// TestSmallListQueries: the host, cluster, datastore, network and pool
// lists filter by name and sort on any listed field, both ways, with ties
// in the store's order; an unknown sort field is named.
func TestSmallListQueries(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		hosts, _ := st.ListHosts(ctx, &store.ListHostsParams{})
		want := slices.Clone(hosts)
		want = slices.DeleteFunc(want, func(h inventory.Host) bool { return !strings.Contains(strings.ToLower(h.Name), "h0") })
		slices.SortStableFunc(want, func(a, b inventory.Host) int { return -cmpInt(a.MemoryMB, b.MemoryMB) })
		got := allPages[inventory.Host](t, f, "/api/hosts?limit=2&sort=-memory_mb&q=H0")
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("hosts: %d, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].ID != want[i].ID {
				t.Errorf("host %d = %s, want %s", i, got[i].ID, want[i].ID)
			}
		}
		dss := allPages[inventory.Datastore](t, f, "/api/datastores?sort=-free_gb")
		if !slices.IsSortedFunc(dss, func(a, b inventory.Datastore) int { return -cmpFloat(a.FreeGB, b.FreeGB) }) || len(dss) == 0 {
			t.Errorf("datastores not by free space: %+v", dss)
		}
		names := allPages[inventory.Network](t, f, "/api/networks?sort=name")
		if !slices.IsSortedFunc(names, func(a, b inventory.Network) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("networks not by name")
		}
		for _, p := range []string{"/api/hosts?sort=secret", "/api/clusters?sort=-vms", "/api/resource-pools?sort=parent_id%3B"} {
			if resp, raw := f.get(t, RoleViewer, p, nil); resp.StatusCode != 422 || !strings.Contains(string(raw), "sort") {
				t.Errorf("%s: %d %s", p, resp.StatusCode, raw)
			}
		}
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
