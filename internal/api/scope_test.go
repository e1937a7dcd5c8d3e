package api

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// other is the second vCenter of the scope test.
const other = "vc-other-7f3e"

// TestScope: a token scoped to one vCenter never receives a byte of
// another's data from any GET operation of the document (lists, details,
// search, history, rollups, totals, chargeback, reports, jobs, endpoints),
// in JSON or CSV, and may not act on it; an unscoped token sees both.
func TestScope(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		captureTwice(t, st, other, 5, true)
		if _, err := aggregate.Daily(ctx, st, fixtureDay, aggregate.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{Name: other, URL: "https://other.example/sdk", Enabled: true}}); err != nil {
			t.Fatal(err)
		}
		if rc, ok := st.(store.ReportCatalog); ok {
			if _, err := rc.PutReport(ctx, &store.PutReportParams{Info: store.ReportInfo{Key: "other.xlsx", Kind: "hourly", Vcenter: other,
				Period: fixtureDay.Add(10 * time.Hour)}, Body: strings.NewReader("PK other")}); err != nil {
				t.Fatal(err)
			}
		}
		var scoped CreatedToken
		f.call(t, RoleAdmin, http.MethodPost, "/api/tokens", TokenRequest{Name: "scoped", Role: "admin", Vcenters: []string{hostile}}, &scoped)
		var q Queued
		f.call(t, RoleAdmin, http.MethodPost, "/api/snapshots/repair", ActionRequest{Vcenter: other, From: "2026-03-01"}, &q)

		// The control: an unscoped token sees the other vCenter.
		if _, raw := f.get(t, RoleViewer, "/api/vms?limit=1000", nil); !bytes.Contains(raw, []byte(other)) {
			t.Fatal("the unscoped list does not show the other vCenter")
		}
		var mine list[inventory.VM]
		f.callAs(t, scoped.Secret, http.MethodGet, "/api/vms?limit=1000", nil, &mine)
		if len(mine.Items) < 10 {
			t.Fatalf("the scoped token sees %d VMs of its own vCenter", len(mine.Items))
		}
		vm := mine.Items[0]
		params := map[string]string{
			"/api/changes":         "from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z&limit=1000",
			"/api/trace":           "name=" + url.QueryEscape(vm.Name),
			"/api/rollups/daily":   "day=2026-03-01&limit=1000",
			"/api/rollups/monthly": "month=2026-03&limit=1000",
			"/api/chargeback":      "at=2026-03&by=vcenter",
			"/api/search":          "q=" + url.QueryEscape(vm.Name[:3]),
		}
		ids := strings.NewReplacer("{vcenter}", url.PathEscape(other), "{vm_id}", url.PathEscape(vm.ID), "{host_id}", url.PathEscape(vm.HostID),
			"{cluster_id}", "domain-c1", "{datastore_id}", "datastore-1", "{network_id}", "network-1", "{pool_id}", url.PathEscape(vm.ResourcePoolID),
			"{time}", "2026-03-01T11:00:00Z", "{name}", url.PathEscape(other), "{id}", "1")
		checked := 0
		for path, item := range f.api.OpenAPI().Paths {
			if item.Get == nil || path == "/api/audit" {
				continue
			}
			p := ids.Replace(path)
			if strings.HasSuffix(path, "/api/jobs/{id}") {
				p = "/api/jobs/" + strconvI(q.JobID)
			}
			if strings.HasSuffix(path, "/api/reports/{name}") {
				p = "/api/reports/other.xlsx"
			}
			if ps := params[path]; ps != "" {
				p += "?" + ps
			} else if !strings.Contains(path, "{") {
				p += "?limit=1000"
			}
			for _, format := range []string{"", "csv"} {
				pp := p
				if format != "" {
					pp += map[bool]string{true: "&", false: "?"}[strings.Contains(p, "?")] + "format=csv"
				}
				resp, raw := f.callAs(t, scoped.Secret, http.MethodGet, pp, nil, nil)
				checked++
				if strings.Contains(path, "{vcenter}") || strings.Contains(path, "{name}") {
					// A detail of the other vCenter: the same 404 as an
					// unknown object (it echoes only the path asked for).
					if resp.StatusCode != 404 {
						t.Errorf("GET %s as the scoped token: %d, want 404\n%.400s", pp, resp.StatusCode, raw)
					}
					continue
				}
				if bytes.Contains(raw, []byte(other)) {
					t.Errorf("GET %s as the scoped token: %d, the answer names %s:\n%.400s", pp, resp.StatusCode, other, raw)
				}
				if resp.StatusCode >= 500 {
					t.Errorf("GET %s as the scoped token: %d %s", pp, resp.StatusCode, raw)
				}
			}
		}
		if checked < 40 {
			t.Errorf("only %d scoped reads checked", checked)
		}
		for _, c := range []struct {
			path string
			body any
		}{
			{"/api/snapshots/aggregate", ActionRequest{Vcenter: other, From: "2026-03-01"}},
			{"/api/snapshots/repair/all", ActionRequest{From: "2026-03-01"}},
			{"/api/reports/generate", GenerateRequest{Kind: "hourly", Vcenter: other, SnapshotTime: fixtureDay.Add(11 * time.Hour)}},
			{"/api/endpoints", EndpointInput{Name: other + "-2", URL: "https://x.example/sdk", Username: "u"}},
		} {
			if resp, raw := f.callAs(t, scoped.Secret, http.MethodPost, c.path, c.body, nil); resp.StatusCode != 403 || bytes.Contains(raw, []byte("PK")) {
				t.Errorf("POST %s on the other vCenter as the scoped token: %d %s", c.path, resp.StatusCode, raw)
			}
		}
		if resp, _ := f.callAs(t, scoped.Secret, http.MethodDelete, "/api/endpoints/"+url.PathEscape(other), nil, nil); resp.StatusCode != 404 {
			t.Errorf("deleting the other vCenter's endpoint as the scoped token: %d", resp.StatusCode)
		}
	})
}

func strconvI(n int64) string { return strconv.FormatInt(n, 10) }
