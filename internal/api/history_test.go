package api

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestHistoryEndpoints checks the inventory as of a time, the changes, the
// trace, the rollups and the totals against the store, on every backend.
func TestHistoryEndpoints(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)
		esc := url.PathEscape(hostile)
		first, second := fixtureDay.Add(10*time.Hour), fixtureDay.Add(11*time.Hour)

		// As of 10:30 is the 10:00 snapshot, page by page equal to its samples.
		var want []inventory.Sample
		if err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: hostile, From: first, To: first.Add(time.Second)}, func(s *inventory.Sample) error {
			want = append(want, *s)
			return nil
		}); err != nil || len(want) < 10 {
			t.Fatalf("samples %d %v", len(want), err)
		}
		var got []inventory.Sample
		for cursor := ""; ; {
			var pg AsOfOutput
			f.get(t, RoleViewer, "/api/snapshots/"+esc+"/2026-03-01T10:30:00Z?limit=5&cursor="+url.QueryEscape(cursor), &pg.Body)
			if !pg.Body.SnapshotTime.Equal(first) || pg.Body.Vcenter != hostile {
				t.Fatalf("as of 10:30: snapshot %s of %q", pg.Body.SnapshotTime, pg.Body.Vcenter)
			}
			got = append(got, pg.Body.Items...)
			if cursor = pg.Body.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != len(want) {
			t.Fatalf("as of: %d samples over the pages, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].Key() != want[i].Key() || got[i].Name != want[i].Name || got[i].VCPUCount != want[i].VCPUCount {
				t.Errorf("as of sample %d = %s %q, want %s %q", i, got[i].Key(), got[i].Name, want[i].Key(), want[i].Name)
			}
		}
		if resp, _ := f.get(t, RoleViewer, "/api/snapshots/"+esc+"/2026-03-01T09:59:59Z", nil); resp.StatusCode != 404 {
			t.Errorf("as of before the first snapshot: %d, want 404", resp.StatusCode)
		}
		// A cursor of the 10:00 snapshot is refused for 11:00's.
		var pg1 AsOfOutput
		f.get(t, RoleViewer, "/api/snapshots/"+esc+"/2026-03-01T10:00:00Z?limit=2", &pg1.Body)
		if resp, _ := f.get(t, RoleViewer, "/api/snapshots/"+esc+"/2026-03-01T11:00:00Z?cursor="+url.QueryEscape(pg1.Body.NextCursor), nil); resp.StatusCode != 422 {
			t.Errorf("another snapshot's cursor: %d, want 422", resp.StatusCode)
		}

		// Changes 10:00 → 11:00: exactly the resized and the renamed VM.
		ch := allPages[Change](t, f, "/api/changes?from=2026-03-01T10:00:00Z&to=2026-03-01T11:00:00Z&limit=1")
		if len(ch) != 2 {
			t.Fatalf("changes = %+v, want the resized and the renamed VM", ch)
		}
		byName := map[string]Change{}
		for _, c := range ch {
			if c.Change != "changed" || !c.BeforeSnapshot.Equal(first) || !c.AfterSnapshot.Equal(second) || c.Before == nil || c.After == nil {
				t.Errorf("change %+v", c)
			}
			byName[c.Name] = c
		}
		if c := byName[formulaName]; !slices.Equal(c.Fields, []string{"Name"}) || c.Before == nil || c.Before.Name == formulaName {
			t.Errorf("rename change = %+v", c)
		}
		var resized Change
		for _, c := range ch {
			if c.Name != formulaName {
				resized = c
			}
		}
		if !slices.Equal(resized.Fields, []string{"vCPUs", "RAM MB"}) || resized.After.VCPUCount != 7 || resized.After.RAMMB != 7168 {
			t.Errorf("resize change = %+v", resized)
		}
		if got := allPages[Change](t, f, "/api/changes?from=2026-03-01T11:00:00Z&to=2026-03-01T11:30:00Z"); len(got) != 0 {
			t.Errorf("changes within one snapshot: %+v", got)
		}
		// Before the first snapshot every VM is added.
		if got := allPages[Change](t, f, "/api/changes?from=2026-02-01T00:00:00Z&to=2026-03-01T10:00:00Z&limit=1000"); len(got) != len(want) ||
			slices.ContainsFunc(got, func(c Change) bool { return c.Change != "added" || c.Before != nil }) {
			t.Errorf("changes from nothing: %d, want %d added", len(got), len(want))
		}

		// Trace by vm_id, vm_uuid and name: both samples, the lifecycle, the events.
		vm := resized.After
		for _, q := range []string{"vm_id=" + url.QueryEscape(vm.VMID), "vm_uuid=" + url.QueryEscape(vm.VMUUID), "name=" + url.QueryEscape(vm.Name)} {
			var tr Trace
			f.get(t, RoleViewer, "/api/trace?"+q, &tr)
			if len(tr.Samples) != 2 || tr.Samples[0].VCPUCount == 7 || tr.Samples[1].VCPUCount != 7 {
				t.Errorf("trace %s: samples %+v", q, tr.Samples)
			}
			l, err := st.GetLifecycle(ctx, &store.GetLifecycleParams{Vcenter: hostile, VMID: vm.VMID})
			if err != nil || len(tr.Lifecycles) != 1 || tr.Lifecycles[0].VMID != vm.VMID || !tr.Lifecycles[0].FirstSeen.Equal(l.FirstSeen) {
				t.Errorf("trace %s: lifecycles %+v, store %+v %v", q, tr.Lifecycles, l, err)
			}
			if !slices.ContainsFunc(tr.Events, func(e inventory.Event) bool { return e.Kind == inventory.EventResize }) {
				t.Errorf("trace %s: no resize event in %+v", q, tr.Events)
			}
		}
		if resp, _ := f.get(t, RoleViewer, "/api/trace?name=nobody", nil); resp.StatusCode != 404 {
			t.Errorf("trace of nobody: %d", resp.StatusCode)
		}
		if resp, _ := f.get(t, RoleViewer, "/api/trace?name=a&vm_id=b", nil); resp.StatusCode != 422 {
			t.Errorf("trace by two selectors: %d", resp.StatusCode)
		}

		// Daily rollups: the store's rows, percentages as fractions,
		// billable figures = average × presence.
		var daily []inventory.DailyRollup
		if err := st.ScanDailyRollups(ctx, &store.ScanRollupsParams{From: fixtureDay, To: fixtureDay.AddDate(0, 0, 1)}, func(r *inventory.DailyRollup) error {
			daily = append(daily, *r)
			return nil
		}); err != nil || len(daily) != len(want) {
			t.Fatalf("daily rollups %d %v", len(daily), err)
		}
		// One row with measured utilisation (stored 0–100), one without.
		daily[0].Utilisation = inventory.Utilisation{UtilSamples: 12, AvgCPUMHz: 1500.5, PeakCPUMHz: 2900, AvgCPUPct: 37.5, PeakCPUPct: 72.5, AvgMemPct: 41, PeakMemPct: 99.5}
		if err := st.WriteDailyRollups(ctx, &store.WriteDailyRollupsParams{Vcenter: hostile, Day: fixtureDay, Rows: daily}); err != nil {
			t.Fatal(err)
		}
		gotDaily := allPages[DailyRollup](t, f, "/api/rollups/daily?day=2026-03-01&limit=4")
		if len(gotDaily) != len(daily) {
			t.Fatalf("/api/rollups/daily: %d rows, store %d", len(gotDaily), len(daily))
		}
		for i, r := range daily {
			g := gotDaily[i]
			if g.VMKey != r.VMKey || g.AvgVCPUCount != r.AvgVCPUCount || g.AvgIsPresent != r.AvgIsPresent ||
				math.Abs(g.PoolGoldPct-r.PoolGoldPct/100) > 1e-12 || math.Abs(g.VCPUDays-r.AvgVCPUCount*r.AvgIsPresent) > 1e-12 ||
				math.Abs(g.RAMGBDays-r.AvgRAMGB*r.AvgIsPresent) > 1e-12 || !g.Day.Equal(fixtureDay) {
				t.Errorf("daily row %d = %+v, store %+v", i, g, r)
			}
			u := r.Utilisation
			wantU := inventory.Utilisation{UtilSamples: u.UtilSamples, AvgCPUMHz: u.AvgCPUMHz, PeakCPUMHz: u.PeakCPUMHz,
				AvgCPUPct: u.AvgCPUPct / 100, PeakCPUPct: u.PeakCPUPct / 100, AvgMemPct: u.AvgMemPct / 100, PeakMemPct: u.PeakMemPct / 100}
			if g.Utilisation != wantU {
				t.Errorf("daily row %d utilisation = %+v, want %+v", i, g.Utilisation, wantU)
			}
		}
		if gotDaily[0].UtilSamples != 12 || gotDaily[0].PeakMemPct != 0.995 || gotDaily[1].UtilSamples != 0 {
			t.Errorf("daily utilisation: %+v, %+v", gotDaily[0].Utilisation, gotDaily[1].Utilisation)
		}
		var monthly list[MonthlyRollup]
		f.get(t, RoleViewer, "/api/rollups/monthly?month=2026-03&limit=1000", &monthly)
		if len(monthly.Items) != len(daily) || monthly.Items[0].CoverageDays != 1 || monthly.Items[0].DaysInMonth != 31 {
			t.Errorf("monthly rollups: %d rows, first %+v", len(monthly.Items), monthly.Items[0])
		}
		for _, bad := range []string{"/api/rollups/daily?day=2026-13-01", "/api/rollups/daily", "/api/rollups/monthly?month=March"} {
			if resp, _ := f.get(t, RoleViewer, bad, nil); resp.StatusCode != 422 {
				t.Errorf("%s: %d, want 422", bad, resp.StatusCode)
			}
		}

		// Totals: per snapshot, hourly means, latest.
		tot, _ := st.ListTotals(ctx, &store.ListTotalsParams{})
		var snapTot list[TotalsRow]
		f.get(t, RoleViewer, "/api/totals", &snapTot)
		if len(snapTot.Items) != 2 || len(tot) != 2 || snapTot.Items[1].VCPUTotal != float64(tot[1].VCPUTotal) ||
			snapTot.Items[1].Granularity != "snapshot" || !snapTot.Items[1].PeriodStart.Equal(second) {
			t.Errorf("totals = %+v, store %+v", snapTot.Items, tot)
		}
		var hourly list[TotalsRow]
		f.get(t, RoleViewer, "/api/totals?granularity=hourly", &hourly)
		agg, _ := st.ListAggregateTotals(ctx, &store.ListAggregateTotalsParams{Granularity: inventory.Hourly})
		if len(hourly.Items) != len(agg) || len(agg) == 0 || hourly.Items[0].VMCount != agg[0].VMCount {
			t.Errorf("hourly totals = %+v, store %+v", hourly.Items, agg)
		}
		var latest list[inventory.Totals]
		f.get(t, RoleViewer, "/api/totals/latest", &latest)
		if len(latest.Items) != 1 || !latest.Items[0].SnapshotTime.Equal(second) || latest.Items[0].VCPUTotal != tot[1].VCPUTotal {
			t.Errorf("latest totals = %+v", latest.Items)
		}
	})
}

// TestCSV: every list answers CSV with the JSON's columns and rows; the
// hostile names come back intact, text a spreadsheet would evaluate is
// prefixed with an apostrophe, and the next page is in a Link header.
func TestCSV(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		var js list[inventory.VM]
		f.get(t, RoleViewer, "/api/vms?limit=1000", &js)
		for _, how := range []string{"accept", "query"} {
			path := "/api/vms?limit=1000"
			req, _ := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
			if how == "query" {
				req, _ = http.NewRequest(http.MethodGet, f.srv.URL+path+"&format=csv", nil)
			} else {
				req.Header.Set("Accept", "text/csv")
			}
			req.Header.Set("Authorization", "Bearer "+f.tokens[RoleViewer])
			resp, body := f.do(t, req, nil)
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("%s: %d %s", how, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(js.Items)+1 {
				t.Fatalf("%s: %d CSV rows, want %d VMs + header", how, len(rows), len(js.Items))
			}
			col := func(name string) int { return slices.Index(rows[0], name) }
			for _, c := range []string{"vcenter", "vm_id", "name", "vcpu_count", "attributes", "datastore_ids", "snapshot_time"} {
				if col(c) < 0 {
					t.Fatalf("%s: no column %q in %v", how, c, rows[0])
				}
			}
			sawFormula := false
			for i, vm := range js.Items {
				r := rows[i+1]
				if r[col("vcenter")] != hostile || r[col("vm_id")] != vm.ID || r[col("vcpu_count")] != fmt.Sprint(vm.VCPUCount) ||
					r[col("snapshot_time")] != vm.SnapshotTime.UTC().Format(time.RFC3339Nano) {
					t.Errorf("%s: row %d = %v, VM %+v", how, i, r, vm)
				}
				wantName := vm.Name
				if vm.Name == formulaName {
					wantName, sawFormula = "'"+formulaName, true
					if !strings.HasPrefix(r[col("attributes")], "{") || !strings.Contains(r[col("attributes")], `"=1+2"`) {
						t.Errorf("%s: attributes cell %q", how, r[col("attributes")])
					}
				}
				if r[col("name")] != wantName {
					t.Errorf("%s: name cell %q, want %q", how, r[col("name")], wantName)
				}
			}
			if !sawFormula {
				t.Errorf("%s: the renamed VM is not in the list", how)
			}
		}
		// Paging: the Link header carries the next cursor.
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/api/vms?limit=3&format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[RoleViewer])
		resp, _ := f.do(t, req, nil)
		link := resp.Header.Get("Link")
		if !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "cursor=") || !strings.Contains(link, "format=csv") {
			t.Errorf("Link = %q", link)
		}
		// Errors stay problem documents.
		req, _ = http.NewRequest(http.MethodGet, f.srv.URL+"/api/vms?limit=0&format=csv", nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[RoleViewer])
		if resp, _ := f.do(t, req, nil); resp.StatusCode != 422 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("a CSV request with a bad limit: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

// TestDocsPage: /api/docs is public, loads only the vendored script from
// this origin (no CDN), under a Content-Security-Policy that allows only
// this origin.
func TestDocsPage(t *testing.T) {
	f := newFixture(t, memstore.New(memstore.Options{}))
	resp, body := f.get(t, 0, "/api/docs", nil)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `src="/api/docs/rapidoc-min.js"`) || !strings.Contains(string(body), `spec-url="/api/openapi.json"`) ||
		!strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "font-src 'self'") || strings.Contains(string(body), "https://") {
		t.Errorf("docs page: %d CSP %q\n%s", resp.StatusCode, csp, body)
	}
	resp, js := f.get(t, 0, "/api/docs/rapidoc-min.js", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || len(js) < 500_000 {
		t.Errorf("script: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(js))
	}
	if resp, _ := f.get(t, 0, "/api/docs/other.js", nil); resp.StatusCode != 404 {
		t.Errorf("an unknown docs file: %d", resp.StatusCode)
	}
}
