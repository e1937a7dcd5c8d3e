package api

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/accessvault/vinventory/health"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestHealthFindings: /api/health-findings answers health.Check over the
// store, with the thresholds and kind filter of the query.
func TestHealthFindings(t *testing.T) {
	st := memstore.New(memstore.Options{})
	f := newFixture(t, st)
	ctx := context.Background()
	check := func(q url.Values, opts health.Options, kind health.Kind) {
		t.Helper()
		opts.Now = f.api.o.Clock()
		want, err := health.Check(ctx, st, &health.Params{Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		var filtered []health.Finding
		for _, x := range want {
			if kind == "" || x.Kind == kind {
				filtered = append(filtered, x)
			}
		}
		got := allPages[health.Finding](t, f, "/api/health-findings?limit=2&"+q.Encode())
		if len(filtered) == 0 || !reflect.DeepEqual(got, filtered) {
			t.Errorf("%s: %d findings %+v, want %+v", q.Encode(), len(got), got, filtered)
		}
		for _, x := range got {
			if x.Vcenter != hostile {
				t.Errorf("finding of vCenter %q", x.Vcenter)
			}
		}
	}
	// memstore keeps no detail: the no-detail note, and every datastore
	// when 100 % free is the threshold.
	check(url.Values{"datastore_min_free_pct": {"100"}}, health.Options{DatastoreMinFreePct: 100}, "")
	check(url.Values{"datastore_min_free_pct": {"100"}, "kind": {"datastore_low_free"}}, health.Options{DatastoreMinFreePct: 100}, health.KindDatastoreLowFree)
	ds, err := st.ListDatastores(ctx, &store.ListDatastoresParams{})
	if err != nil {
		t.Fatal(err)
	}
	got := allPages[health.Finding](t, f, "/api/health-findings?kind=datastore_low_free&datastore_min_free_pct=100")
	if len(got) != len(ds) {
		t.Errorf("%d low-free findings for %d datastores", len(got), len(ds))
	}
	if _, ok := any(st).(store.Details); !ok { // without detail, one note per vCenter
		got = allPages[health.Finding](t, f, "/api/health-findings?kind=no_detail")
		if len(got) != 1 || got[0].ObjectID != hostile {
			t.Errorf("no_detail findings %+v", got)
		}
	}
	for _, bad := range []string{"kind=nope", "datastore_min_free_pct=101", "snapshot_max_size_gb=-1"} {
		if resp, body := f.get(t, RoleViewer, "/api/health-findings?"+bad, nil); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", bad, resp.StatusCode, body)
		}
	}
	if got := allPages[health.Finding](t, f, "/api/health-findings?vcenter=other"); len(got) != 0 {
		t.Errorf("another vCenter: %+v", got)
	}
}
