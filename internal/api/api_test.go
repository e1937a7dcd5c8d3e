package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/jobs"
	"github.com/accessvault/vinventory/internal/jobs/jobstest"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/storetest"
)

// fixture is an API over a store holding data captured from vcsim: two
// captures with a resize between them (events), a capture status, an
// endpoint, a report in the catalog and a job queue with two runs.
type fixture struct {
	sim    *vcsim.Sim
	kr     *secrets.Keyring
	srv    *httptest.Server
	api    *API
	st     store.Store
	tokens map[Role]string
	report []byte
	q      *jobs.Scheduler
	runID  int64
}

var hostile = `vc "q" ☃ <script>alert(1)</script> =1+1`

// formulaName is the VM renamed between the fixture's captures: text a
// spreadsheet would evaluate, and markup.
var formulaName = `=HYPERLINK("http://evil","x") <b>`

// day and month of the fixture's captures.
var fixtureDay = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	sim := captureTwice(t, st, hostile, 12, true)
	kr, err := secrets.New(secrets.Key{ID: "k1", Bytes: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	for _, agg := range []func() (*aggregate.Result, error){
		func() (*aggregate.Result, error) { return aggregate.Daily(ctx, st, fixtureDay, aggregate.Options{}) },
		func() (*aggregate.Result, error) { return aggregate.Monthly(ctx, st, fixtureDay, aggregate.Options{}) },
	} {
		if _, err := agg(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: hostile, URL: sim.URL.Scheme + "://" + sim.URL.Host + "/sdk", Username: "u", Credential: []byte("secret-blob"),
		PollInterval: 5 * time.Minute, Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, tokens: map[Role]string{}, sim: sim, kr: kr}
	if rc, ok := st.(store.ReportCatalog); ok {
		f.report = bytes.Repeat([]byte("PK\x03\x04 workbook "), 5000)
		if _, err := rc.PutReport(ctx, &store.PutReportParams{Info: store.ReportInfo{Key: "inventory_hourly_20260301_1000_☃.xlsx", Kind: "hourly",
			Vcenter: hostile, Period: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}, Body: bytes.NewReader(f.report)}); err != nil {
			t.Fatal(err)
		}
	}
	f.q = jobstest.Queue(t)
	if _, err := f.q.Enqueue(ctx, "repair", jobs.Period{Key: "repair -from 2026-03-01"}, nil); err != nil {
		t.Fatal(err)
	}
	hist, err := f.q.History(ctx, "", 10)
	if err != nil || len(hist) != 1 {
		t.Fatalf("history %v %v", hist, err)
	}
	f.runID = hist[0].ID
	var ts Tokens
	for _, r := range []Role{RoleViewer, RoleOperator, RoleAdmin} {
		secret, tok, err := NewToken(r.String()+"-token", r)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[r], ts = secret, append(ts, tok)
	}
	sources := TokenSources{ts}
	if tst, ok := st.(store.TokenStore); ok {
		sources = append(sources, StoreTokens{Store: tst})
	}
	f.api, err = New(Options{Store: st, Jobs: f.q, Tokens: sources, Connector: KeyringConnector{Keyring: kr}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.api)
	t.Cleanup(f.srv.Close)
	return f
}

// captureTwice captures a new simulated vCenter named name into st at 10:00
// and 11:00 on fixtureDay, reconciling each; with mutate, the first VM is
// resized and the second renamed to formulaName (with a "tenant"
// attribute) between the two. It records a capture status and returns the
// simulator.
func captureTwice(t *testing.T, st store.Store, name string, vms int, mutate bool) *vcsim.Sim {
	t.Helper()
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: vms, Templates: -1})
	src, err := vsphere.New(ctx, sim.Endpoint(name), vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close(context.Background()) })
	for i, at := range []time.Time{fixtureDay.Add(10 * time.Hour), fixtureDay.Add(11 * time.Hour)} {
		if i == 1 && mutate {
			if err := sim.Reconfigure(ctx, sim.VMRefs()[0], 7, 7168); err != nil {
				t.Fatal(err)
			}
			if err := sim.Rename(ctx, sim.VMRefs()[1], formulaName); err != nil {
				t.Fatal(err)
			}
			if err := sim.SetCustomValue(ctx, sim.VMRefs()[1], "tenant", "=1+2"); err != nil {
				t.Fatal(err)
			}
		}
		capturetest.Snapshot(t, st, src, at, 1500*time.Millisecond)
	}
	return sim
}

// exchange is one request and its answer, kept for the OpenAPI check.
type exchange struct {
	req  *http.Request
	resp *http.Response
	body []byte
}

var (
	exchangesMu sync.Mutex
	exchanges   []exchange
)

// get calls path with the role's token (0: none) and decodes JSON into v
// when v is not nil; it returns the response and body.
func (f *fixture) get(t *testing.T, role Role, path string, v any) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if role != 0 {
		req.Header.Set("Authorization", "Bearer "+f.tokens[role])
	}
	return f.do(t, req, v)
}

func (f *fixture) do(t *testing.T, req *http.Request, v any) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	exchangesMu.Lock()
	exchanges = append(exchanges, exchange{req: req, resp: resp, body: body})
	exchangesMu.Unlock()
	if v != nil {
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", req.URL.Path, resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", req.URL.Path, err, body)
		}
	}
	return resp, body
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// allPages follows a list's next_cursor from path (which has a query) and
// returns every item.
func allPages[T any](t *testing.T, f *fixture, path string) []T {
	t.Helper()
	var out []T
	for next := path; ; {
		var pg list[T]
		f.get(t, RoleViewer, next, &pg)
		out = append(out, pg.Items...)
		if pg.NextCursor == "" {
			return out
		}
		next = path + "&cursor=" + url.QueryEscape(pg.NextCursor)
	}
}

// TestReadEndpoints checks every read endpoint's answer against the store
// it reads, on memstore, SQLite and PostgreSQL.
func TestReadEndpoints(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		f := newFixture(t, st)

		// Collectors: the endpoint (no credential) with its capture status.
		var cols list[Collector]
		_, raw := f.get(t, RoleViewer, "/api/collectors", &cols)
		sts, _ := st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
		if len(cols.Items) != 1 || cols.Items[0].Endpoint != hostile || cols.Items[0].PollIntervalSeconds != 300 ||
			cols.Items[0].Counts != sts[0].Counts || cols.Items[0].LastDurationSeconds != 1.5 || !cols.Items[0].LastSuccess.Equal(sts[0].LastSuccess) {
			t.Errorf("collectors = %+v, status %+v", cols.Items, sts)
		}
		if bytes.Contains(raw, []byte("secret-blob")) || bytes.Contains(raw, []byte("c2VjcmV0")) {
			t.Error("the collector list carries the credential")
		}

		// Snapshots: every page, in order, equals the registry.
		want, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, Descending: true})
		if err != nil || len(want) != 2 {
			t.Fatalf("registry %v %v", want, err)
		}
		got := allPages[Snapshot](t, f, "/api/snapshots?limit=1")
		if len(got) != len(want) {
			t.Fatalf("snapshots: %d over the pages, want %d", len(got), len(want))
		}
		for i := range want {
			if got[i].Vcenter != want[i].Vcenter || !got[i].SnapshotTime.Equal(want[i].SnapshotTime) || got[i].RowCount != want[i].RowCount {
				t.Errorf("snapshot %d = %+v, want %+v", i, got[i], want[i])
			}
		}
		var asc list[Snapshot]
		f.get(t, RoleViewer, "/api/snapshots?sort=snapshot_time&vcenter="+url.QueryEscape(hostile), &asc)
		if len(asc.Items) != 2 || !asc.Items[0].SnapshotTime.Before(asc.Items[1].SnapshotTime) || asc.Items[0].Vcenter != hostile {
			t.Errorf("ascending snapshots = %+v", asc.Items)
		}

		// Events: the store's page, and the kind filter.
		wantEv, err := st.ListEvents(ctx, &store.ListEventsParams{Descending: true})
		if err != nil || len(wantEv.Events) == 0 {
			t.Fatalf("events %v %v", wantEv, err)
		}
		var ev list[inventory.Event]
		f.get(t, RoleViewer, "/api/events", &ev)
		if len(ev.Items) != len(wantEv.Events) || ev.Items[0].ID != wantEv.Events[0].ID {
			t.Errorf("events: %d, want %d", len(ev.Items), len(wantEv.Events))
		}
		var resized list[inventory.Event]
		f.get(t, RoleViewer, "/api/events?kind=resize", &resized)
		if len(resized.Items) != 1 || resized.Items[0].Kind != inventory.EventResize || resized.Items[0].After["vcpu_count"] != "7" ||
			resized.Items[0].After["ram_mb"] != "7168" {
			t.Errorf("resize events = %+v", resized.Items)
		}

		// Reports: listed, and downloaded byte for byte.
		var reps list[store.ReportInfo]
		f.get(t, RoleViewer, "/api/reports", &reps)
		if len(reps.Items) != 1 || reps.Items[0].Vcenter != hostile {
			t.Fatalf("reports = %+v", reps.Items)
		}
		resp, body := f.get(t, RoleViewer, "/api/reports/"+url.PathEscape(reps.Items[0].Key), nil)
		sum := sha256.Sum256(body)
		if resp.StatusCode != 200 || !bytes.Equal(body, f.report) || hex.EncodeToString(sum[:]) != reps.Items[0].SHA256 ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="inventory_hourly_20260301_1000__.xlsx"; filename*=UTF-8''`) {
			t.Errorf("download: %d, %d bytes, disposition %q", resp.StatusCode, len(body), resp.Header.Get("Content-Disposition"))
		}
		if resp, _ := f.get(t, RoleViewer, "/api/reports/nosuch.xlsx", nil); resp.StatusCode != 404 {
			t.Errorf("unknown report: %d", resp.StatusCode)
		}

		// Jobs: the queue's runs, one by id, 404 for an unknown id.
		var js list[jobs.Run]
		f.get(t, RoleViewer, "/api/jobs", &js)
		if len(js.Items) != 1 || js.Items[0].ID != f.runID || js.Items[0].Job != "repair" || js.Items[0].State != "available" {
			t.Errorf("jobs = %+v", js.Items)
		}
		var one jobs.Run
		f.get(t, RoleViewer, fmt.Sprintf("/api/jobs/%d", f.runID), &one)
		if one.Period != "repair -from 2026-03-01" {
			t.Errorf("job %d = %+v", f.runID, one)
		}
		if resp, _ := f.get(t, RoleViewer, "/api/jobs/999999", nil); resp.StatusCode != 404 {
			t.Errorf("unknown job: %d", resp.StatusCode)
		}

		checkEntities(t, f)
	})
}

// checkEntities compares the latest-state lists and details with the
// store's own answers.
func checkEntities(t *testing.T, f *fixture) {
	ctx := context.Background()
	st := f.st
	esc := url.PathEscape(hostile)
	// VMs: every page equals ListVMs.
	want, err := st.ListVMs(ctx, &store.ListVMsParams{Limit: 10000})
	if err != nil || len(want.VMs) < 10 {
		t.Fatalf("ListVMs: %v %d", err, len(want.VMs))
	}
	vms := allPages[inventory.VM](t, f, "/api/vms?limit=5&sort=vm_id")
	if len(vms) != len(want.VMs) {
		t.Fatalf("/api/vms: %d VMs over the pages, want %d", len(vms), len(want.VMs))
	}
	for i := range vms {
		if vms[i].ID != want.VMs[i].ID || vms[i].Name != want.VMs[i].Name || vms[i].Vcenter != hostile || vms[i].HostID != want.VMs[i].HostID {
			t.Errorf("VM %d = %s %q, want %s %q", i, vms[i].ID, vms[i].Name, want.VMs[i].ID, want.VMs[i].Name)
		}
	}
	// The resized VM's detail: its relations and its resize event.
	var resized inventory.VM
	for _, v := range vms {
		if v.VCPUCount == 7 && v.RAMMB == 7168 {
			resized = v
		}
	}
	if resized.ID == "" {
		t.Fatal("no VM with the resized shape")
	}
	var d VMDetail
	f.get(t, RoleViewer, "/api/vms/"+esc+"/"+url.PathEscape(resized.ID), &d)
	if d.VM.ID != resized.ID || d.Host == nil || d.Host.ID != resized.HostID || d.Host.Name != resized.Host ||
		d.ResourcePool == nil || d.ResourcePool.ID != resized.ResourcePoolID || len(d.Datastores) != len(resized.DatastoreIDs) ||
		len(d.Networks) != len(resized.NetworkIDs) {
		t.Errorf("VM detail = %+v", d)
	}
	if d.Host != nil && d.Host.ClusterID != "" && (d.Cluster == nil || d.Cluster.ID != d.Host.ClusterID) {
		t.Errorf("VM detail cluster %+v, host's cluster %s", d.Cluster, d.Host.ClusterID)
	}
	if !slices.ContainsFunc(d.RecentEvents, func(e inventory.Event) bool { return e.Kind == inventory.EventResize }) {
		t.Errorf("VM detail events %+v: no resize", d.RecentEvents)
	}
	// Its RVTools-depth detail is the store's.
	if dst, ok := st.(store.Details); ok {
		want, err := dst.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: hostile, VMIDs: []string{resized.ID}, VMsOnly: true})
		if err != nil || len(want.VMs) != 1 {
			t.Fatalf("ReadDetails(%s): %v", resized.ID, err)
		}
		if d.Detail == nil || d.Detail.VMID != resized.ID || len(d.Detail.Disks) != len(want.VMs[0].Disks) || len(d.Detail.Disks) == 0 ||
			len(d.Detail.NICs) != len(want.VMs[0].NICs) || d.Detail.HardwareVersion != want.VMs[0].HardwareVersion {
			t.Errorf("VM detail's detail = %+v, store %+v", d.Detail, want.VMs[0])
		}
	}
	if resp, _ := f.get(t, RoleViewer, "/api/vms/"+esc+"/vm-none", nil); resp.StatusCode != 404 {
		t.Errorf("unknown VM: %d", resp.StatusCode)
	}
	// Hosts, paged by offset, equal ListHosts; a host's VMs and
	// datastores equal the store's filtered lists.
	hosts, _ := st.ListHosts(ctx, &store.ListHostsParams{})
	gotHosts := allPages[inventory.Host](t, f, "/api/hosts?limit=2")
	if len(gotHosts) != len(hosts) || len(hosts) < 3 {
		t.Fatalf("/api/hosts: %d over the pages, store %d", len(gotHosts), len(hosts))
	}
	h := hosts[0]
	var hd HostDetail
	f.get(t, RoleViewer, "/api/hosts/"+esc+"/"+url.PathEscape(h.ID), &hd)
	hvms, _ := st.ListVMs(ctx, &store.ListVMsParams{HostID: h.ID, Limit: 10000})
	hds, _ := st.ListDatastores(ctx, &store.ListDatastoresParams{HostID: h.ID})
	if hd.Host.ID != h.ID || len(hd.VMs) != len(hvms.VMs) || len(hd.Datastores) != len(hds) {
		t.Errorf("host detail: %d VMs (store %d), %d datastores (store %d)", len(hd.VMs), len(hvms.VMs), len(hd.Datastores), len(hds))
	}
	if _, ok := st.(store.Details); ok && (hd.Detail == nil || hd.Detail.HostID != h.ID || len(hd.Detail.NICs) == 0) {
		t.Errorf("host detail's detail = %+v", hd.Detail)
	}
	// Clusters, datastores, networks, pools: lists equal the store's and
	// each detail's VMs the store's filtered list.
	cs, _ := st.ListClusters(ctx, &store.ListClustersParams{})
	var cl list[inventory.Cluster]
	f.get(t, RoleViewer, "/api/clusters", &cl)
	if len(cl.Items) != len(cs) || len(cs) == 0 {
		t.Fatalf("/api/clusters: %d, store %d", len(cl.Items), len(cs))
	}
	var cd ClusterDetail
	f.get(t, RoleViewer, "/api/clusters/"+esc+"/"+url.PathEscape(cs[0].ID), &cd)
	chosts, _ := st.ListHosts(ctx, &store.ListHostsParams{ClusterID: cs[0].ID})
	nvm := 0
	for _, ch := range chosts {
		pg, _ := st.ListVMs(ctx, &store.ListVMsParams{HostID: ch.ID, Limit: 10000})
		nvm += len(pg.VMs)
	}
	if _, ok := st.(store.Details); ok && (cd.Detail == nil || cd.Detail.ClusterID != cs[0].ID || cd.Detail.EffectiveHosts == 0) {
		t.Errorf("cluster detail's detail = %+v", cd.Detail)
	}
	if len(cd.Hosts) != len(chosts) || len(cd.VMs) != nvm {
		t.Errorf("cluster detail: %d hosts (store %d), %d VMs (store %d)", len(cd.Hosts), len(chosts), len(cd.VMs), nvm)
	}
	dss, _ := st.ListDatastores(ctx, &store.ListDatastoresParams{})
	var dl list[inventory.Datastore]
	f.get(t, RoleViewer, "/api/datastores", &dl)
	if len(dl.Items) != len(dss) || len(dss) == 0 {
		t.Fatalf("/api/datastores: %d, store %d", len(dl.Items), len(dss))
	}
	var dd DatastoreDetail
	f.get(t, RoleViewer, "/api/datastores/"+esc+"/"+url.PathEscape(dss[0].ID), &dd)
	dvms, _ := st.ListVMs(ctx, &store.ListVMsParams{DatastoreID: dss[0].ID, Limit: 10000})
	if _, ok := st.(store.Details); ok && (dd.Detail == nil || dd.Detail.DatastoreID != dss[0].ID) {
		t.Errorf("datastore detail's detail = %+v", dd.Detail)
	}
	if len(dd.VMs) != len(dvms.VMs) || len(dd.Hosts) != len(dss[0].HostIDs) {
		t.Errorf("datastore detail: %d VMs (store %d), %d hosts (mounted by %d)", len(dd.VMs), len(dvms.VMs), len(dd.Hosts), len(dss[0].HostIDs))
	}
	nets, _ := st.ListNetworks(ctx, &store.ListNetworksParams{})
	var nl list[inventory.Network]
	f.get(t, RoleViewer, "/api/networks", &nl)
	if len(nl.Items) != len(nets) || len(nets) == 0 {
		t.Fatalf("/api/networks: %d, store %d", len(nl.Items), len(nets))
	}
	var nd NetworkDetail
	f.get(t, RoleViewer, "/api/networks/"+esc+"/"+url.PathEscape(nets[0].ID), &nd)
	nvms, _ := st.ListVMs(ctx, &store.ListVMsParams{NetworkID: nets[0].ID, Limit: 10000})
	if len(nd.VMs) != len(nvms.VMs) {
		t.Errorf("network detail: %d VMs, store %d", len(nd.VMs), len(nvms.VMs))
	}
	pools, _ := st.ListResourcePools(ctx, &store.ListResourcePoolsParams{})
	var pl list[inventory.ResourcePool]
	f.get(t, RoleViewer, "/api/resource-pools", &pl)
	if len(pl.Items) != len(pools) || len(pools) == 0 {
		t.Fatalf("/api/resource-pools: %d, store %d", len(pl.Items), len(pools))
	}
	var pd PoolDetail
	f.get(t, RoleViewer, "/api/resource-pools/"+esc+"/"+url.PathEscape(resized.ResourcePoolID), &pd)
	pvms, _ := st.ListVMs(ctx, &store.ListVMsParams{ResourcePoolID: resized.ResourcePoolID, Limit: 10000})
	if len(pd.VMs) != len(pvms.VMs) || len(pd.VMs) == 0 {
		t.Errorf("pool detail: %d VMs, store %d", len(pd.VMs), len(pvms.VMs))
	}
	for _, p := range []string{"/api/hosts/" + esc + "/nope", "/api/clusters/" + esc + "/nope", "/api/datastores/" + esc + "/nope",
		"/api/networks/" + esc + "/nope", "/api/resource-pools/" + esc + "/nope"} {
		if resp, _ := f.get(t, RoleViewer, p, nil); resp.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, resp.StatusCode)
		}
	}
	if resp, _ := f.get(t, RoleViewer, "/api/hosts?cursor=bm9wZQ", nil); resp.StatusCode != 422 {
		t.Errorf("a bad offset cursor: %d", resp.StatusCode)
	}
}

// operations lists every operation in the API's document: method, path
// (with sample parameters) and role.
func operations(t *testing.T, f *fixture) []struct {
	method, path string
	role         Role
} {
	t.Helper()
	var out []struct {
		method, path string
		role         Role
	}
	for path, item := range f.api.OpenAPI().Paths {
		for method, o := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "DELETE": item.Delete} {
			if o == nil {
				continue
			}
			role, ok := o.Metadata["role"].(Role)
			if !ok {
				t.Fatalf("%s %s has no role", method, path)
			}
			p := strings.NewReplacer("{id}", fmt.Sprint(f.runID), "{name}", "nosuch.xlsx", "{vcenter}", "vc-x", "{vm_id}", "vm-x",
				"{host_id}", "host-x", "{cluster_id}", "c-x", "{datastore_id}", "ds-x", "{network_id}", "net-x", "{pool_id}", "pool-x", "{time}", "2026-03-01T10:00:00Z").Replace(path)
			out = append(out, struct {
				method, path string
				role         Role
			}{method, p, role})
		}
	}
	slices.SortFunc(out, func(a, b struct {
		method, path string
		role         Role
	}) int {
		return strings.Compare(a.method+a.path, b.method+b.path)
	})
	return out
}

// TestRoleMatrix: every operation × {no token, bad token, viewer,
// operator, admin}: 401 without or with a bad token, 403 below the
// operation's role, otherwise not an auth error; and every path API.md's
// first slice names is registered.
func TestRoleMatrix(t *testing.T) {
	f := newFixture(t, memstore.New(memstore.Options{}))
	ops := operations(t, f)
	var paths []string
	for _, o := range ops {
		paths = append(paths, o.method+" "+o.path)
	}
	for _, want := range []string{"GET /api/collectors", "GET /api/snapshots", "GET /api/events", "GET /api/reports",
		"GET /api/reports/nosuch.xlsx", "GET /api/jobs", fmt.Sprintf("GET /api/jobs/%d", f.runID),
		"GET /api/vms", "GET /api/vms/vc-x/vm-x", "GET /api/hosts", "GET /api/hosts/vc-x/host-x", "GET /api/clusters",
		"GET /api/clusters/vc-x/c-x", "GET /api/datastores", "GET /api/datastores/vc-x/ds-x", "GET /api/networks",
		"GET /api/networks/vc-x/net-x", "GET /api/resource-pools", "GET /api/resource-pools/vc-x/pool-x",
		"GET /api/snapshots/vc-x/2026-03-01T10:00:00Z", "GET /api/changes", "GET /api/trace", "GET /api/rollups/daily",
		"GET /api/rollups/monthly", "GET /api/chargeback", "GET /api/totals", "GET /api/totals/latest", "POST /api/reports/generate",
		"POST /api/snapshots/aggregate", "POST /api/snapshots/repair", "POST /api/snapshots/repair/all",
		"POST /api/snapshots/regenerate-hourly-reports", "POST /api/vcenters/cache/rebuild", "GET /api/endpoints", "POST /api/endpoints",
		"GET /api/endpoints/nosuch.xlsx", "PUT /api/endpoints/nosuch.xlsx", "DELETE /api/endpoints/nosuch.xlsx",
		"POST /api/endpoints/nosuch.xlsx/test", "GET /api/tokens", "POST /api/tokens", fmt.Sprintf("DELETE /api/tokens/%d", f.runID),
		"GET /api/audit", "GET /api/rate-cards", "POST /api/rate-cards",
		"GET /api/alerts", "GET /api/alerts/counts", fmt.Sprintf("GET /api/alerts/%d", f.runID), fmt.Sprintf("POST /api/alerts/%d/ack", f.runID),
		fmt.Sprintf("POST /api/alerts/%d/resolve", f.runID), "GET /api/alert-rules", "POST /api/alert-rules",
		fmt.Sprintf("GET /api/alert-rules/%d", f.runID), fmt.Sprintf("PUT /api/alert-rules/%d", f.runID), fmt.Sprintf("DELETE /api/alert-rules/%d", f.runID),
		"GET /api/silences", "POST /api/silences", fmt.Sprintf("DELETE /api/silences/%d", f.runID), "GET /api/channels",
		"GET /api/channels/nosuch.xlsx", "POST /api/channels/nosuch.xlsx", "PUT /api/channels/nosuch.xlsx", "DELETE /api/channels/nosuch.xlsx",
		"POST /api/channels/nosuch.xlsx/test", "GET /api/notifications", "GET /api/metrics", "GET /api/metrics/keys", "GET /api/capacity"} {
		if !slices.Contains(paths, want) {
			t.Errorf("%s is not in the OpenAPI document (%v)", want, paths)
		}
	}
	for _, o := range ops {
		for _, who := range []string{"none", "bad", "viewer", "operator", "admin"} {
			req, _ := http.NewRequest(o.method, f.srv.URL+o.path, nil)
			switch who {
			case "none":
			case "bad":
				req.Header.Set("Authorization", "Bearer vinv_not-a-real-token-but-long-enough-000000")
			default:
				r, _ := ParseRole(who)
				req.Header.Set("Authorization", "Bearer "+f.tokens[r])
			}
			resp, body := f.do(t, req, nil)
			var want int
			switch r, _ := ParseRole(who); {
			case who == "none" || who == "bad":
				want = 401
			case r < o.role:
				want = 403
			}
			got := resp.StatusCode
			if want != 0 && got != want || want == 0 && (got == 401 || got == 403) {
				t.Errorf("%s %s as %s: %d, want %v\n%s", o.method, o.path, who, got, want, body)
			}
			if want == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s as %s: 401 without WWW-Authenticate", o.method, o.path, who)
			}
			for _, tok := range f.tokens {
				if bytes.Contains(body, []byte(tok)) {
					t.Errorf("%s %s as %s: a token secret in the answer", o.method, o.path, who)
				}
			}
		}
	}
}

// TestBadInput: each kind of bad parameter is a 4xx problem document
// naming it, never a 500, a stack or SQL.
func TestBadInput(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		f := newFixture(t, st)
		var ascCursor string
		{
			var pg list[Snapshot]
			f.get(t, RoleViewer, "/api/snapshots?limit=1&sort=snapshot_time", &pg)
			ascCursor = pg.NextCursor
		}
		cases := []struct {
			path, param string
			status      int
		}{
			{"/api/snapshots?limit=0", "limit", 422},
			{"/api/snapshots?limit=5000", "limit", 422},
			{"/api/snapshots?limit=ten", "limit", 422},
			{"/api/snapshots?from=yesterday", "from", 422},
			{"/api/snapshots?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to", 422},
			{"/api/snapshots?sort=name", "sort", 422},
			{"/api/snapshots?kind=weekly", "kind", 422},
			{"/api/snapshots?colour=blue", "colour", 422},
			{"/api/snapshots?cursor=%27%3B%20DROP%20TABLE%20x%3B--", "cursor", 422},
			{"/api/snapshots?sort=-snapshot_time&cursor=" + url.QueryEscape(ascCursor), "cursor", 422},
			{"/api/events?kind=exploded", "kind", 422},
			{"/api/events?cursor=garbage", "cursor", 422},
			{"/api/events?limit=1001", "limit", 422},
			{"/api/jobs/-1", "id", 422},
			{"/api/jobs/abc", "id", 422},
			{"/api/reports?limit=-3", "limit", 422},
		}
		for _, c := range cases {
			resp, body := f.get(t, RoleViewer, c.path, nil)
			var p Problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Errorf("%s: %d, not a problem document: %s", c.path, resp.StatusCode, body)
				continue
			}
			named := strings.Contains(p.Detail, c.param) || slices.ContainsFunc(p.InvalidParams, func(ip InvalidParam) bool { return ip.Name == c.param })
			if resp.StatusCode != c.status || p.Status != c.status || !named ||
				resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: %d %s %+v, want %d naming %s", c.path, resp.StatusCode, resp.Header.Get("Content-Type"), p, c.status, c.param)
			}
			low := strings.ToLower(string(body))
			for _, leak := range []string{"select ", "goroutine", ".go:", "pq:", "sqlite"} {
				if strings.Contains(low, leak) {
					t.Errorf("%s: the answer shows %q: %s", c.path, leak, body)
				}
			}
		}
		// A filter value that looks like SQL is only a value.
		var pg list[Snapshot]
		f.get(t, RoleViewer, "/api/snapshots?vcenter="+url.QueryEscape(`x' OR '1'='1`), &pg)
		if len(pg.Items) != 0 {
			t.Errorf("an SQL-looking vcenter matched %d snapshots", len(pg.Items))
		}
	})
}

// TestSnapshotPagesWithTies: vCenters captured at the same snapshot time
// page through /api/snapshots once each, in the store's order, whatever
// the page size and sort (the cursor carries the time and the vCenter).
func TestSnapshotPagesWithTies(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		for _, at := range []time.Time{time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)} {
			for i, vc := range []string{"vc-a", "vc-b", "vc-c"} {
				if _, err := st.WriteSnapshot(ctx, storetest.Snapshot(vc, at, 2+i, int64(i))); err != nil {
					t.Fatal(err)
				}
			}
		}
		a, err := New(Options{Store: st, NoAuth: true})
		if err != nil {
			t.Fatal(err)
		}
		f := &fixture{srv: httptest.NewServer(a), api: a, st: st, tokens: map[Role]string{}}
		defer f.srv.Close()
		for _, desc := range []bool{true, false} {
			want, err := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Kind: inventory.Hourly, Descending: desc})
			if err != nil || len(want) != 6 {
				t.Fatalf("registry: %d, %v", len(want), err)
			}
			sort := "snapshot_time"
			if desc {
				sort = "-snapshot_time"
			}
			for _, limit := range []int{1, 2, 4} {
				got := allPages[Snapshot](t, f, fmt.Sprintf("/api/snapshots?sort=%s&limit=%d", sort, limit))
				var keys, wantKeys []string
				for _, g := range got {
					keys = append(keys, g.Vcenter+"@"+g.SnapshotTime.Format(time.RFC3339))
				}
				for _, w := range want {
					wantKeys = append(wantKeys, w.Vcenter+"@"+w.SnapshotTime.UTC().Format(time.RFC3339))
				}
				if !slices.Equal(keys, wantKeys) {
					t.Errorf("sort=%s limit=%d: pages gave %v, want %v", sort, limit, keys, wantKeys)
				}
			}
		}
	})
}
