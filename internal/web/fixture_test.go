package web

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/accessvault/vinventory/aggregate"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/jobs/jobstest"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/report"
	"github.com/accessvault/vinventory/store"
)

// Hostile names the fixture gives VMs (and its vCenter): markup, quotes,
// spreadsheet formulas, right-to-left text and a very long name. Every
// page must show them as text.
var (
	scriptName  = `<script>window.__xss=1</script><img src=x onerror="window.__xss=2">`
	quoteName   = `"quoted" 'single' =1+2 & <b>bold</b>`
	rtlName     = "مرحبا \u202eevil\u202c שלום"
	longName    = strings.Repeat("W", 1000)
	hostileVC   = `vc "q" ☃ <i>x</i>`
	fixtureDay  = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	fixtureNow  = fixtureDay.Add(30 * time.Hour) // 2026-03-02 06:00
	fixtureVMs  = 30
	hostileVMs  = []string{scriptName, quoteName, rtlName, longName}
	fixtureTier = "Gold"
)

// fixture is the pages over a store holding a day and a quarter of hourly
// history captured from vcsim, with churn, hostile names, a daily
// aggregation, a report, rate cards, tokens and a job queue.
type fixture struct {
	st     store.Store
	sim    *vcsim.Sim
	api    *api.API
	web    *Server
	srv    *httptest.Server
	tokens map[api.Role]string
	vmID   map[string]string // VM name → vm_id
}

func newFixture(t *testing.T, st store.Store, o Options, noAuth bool) *fixture {
	t.Helper()
	ctx := context.Background()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: fixtureVMs, Templates: 1, ClustersPerDatacenter: 2, HostsPerCluster: 2,
		Username: "reader@vsphere.local", Password: "S3cret-" + strings.Repeat("x", 12)})
	src := simSource(t, sim, hostileVC)
	refs := sim.VMRefs()
	for i, n := range hostileVMs {
		if err := sim.Rename(ctx, refs[i], n); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.SetCustomValue(ctx, refs[1], "tenant", "=1+2"); err != nil {
		t.Fatal(err)
	}
	// 30 hourly captures with churn: resizes, a power-off, a rename.
	for h := 0; h < 30; h++ {
		at := fixtureDay.Add(time.Duration(h) * time.Hour)
		switch h {
		case 5:
			if err := sim.Reconfigure(ctx, refs[5], 6, 12288); err != nil {
				t.Fatal(err)
			}
		case 9:
			// A power change either way (the simulator picks initial states).
			if err := sim.PowerOff(ctx, refs[6]); err != nil {
				if err := sim.PowerOn(ctx, refs[6]); err != nil {
					t.Fatal(err)
				}
			}
		case 14:
			if err := sim.Rename(ctx, refs[7], "renamed-vm"); err != nil {
				t.Fatal(err)
			}
		}
		capturetest.Snapshot(t, st, src, at, time.Duration(800+h*37)*time.Millisecond)
	}
	if _, err := aggregate.Daily(ctx, st, fixtureDay, aggregate.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: hostileVC, URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username, Credential: []byte("sealed"),
		PollInterval: time.Hour, Enabled: true}}); err != nil {
		t.Fatal(err)
	}
	if rc, ok := st.(store.ReportCatalog); ok {
		req := report.Request{Kind: report.KindDaily, Vcenter: hostileVC, Period: fixtureDay}
		var buf bytes.Buffer
		if err := report.Write(ctx, st, req, &buf, report.Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := rc.PutReport(ctx, &store.PutReportParams{Info: store.ReportInfo{Key: req.FileName(), Kind: "daily", Vcenter: hostileVC,
			Period: fixtureDay}, Body: &buf}); err != nil {
			t.Fatal(err)
		}
	}
	if rs, ok := st.(store.RateCardStore); ok {
		for _, c := range []inventory.RateCard{
			{Name: "base", Currency: "EUR", EffectiveFrom: fixtureDay.AddDate(0, -1, 0), VCPUDay: "0.50", RAMGBDay: "0.10", ProvisionedDiskGBDay: "0.002"},
			{Name: "gold", Currency: "EUR", EffectiveFrom: fixtureDay.AddDate(0, -1, 0), Tier: fixtureTier, VCPUDay: "0.90"},
		} {
			if _, err := rs.CreateRateCard(ctx, &store.CreateRateCardParams{Card: c}); err != nil {
				t.Fatal(err)
			}
		}
	}
	f := &fixture{st: st, sim: sim, tokens: map[api.Role]string{}, vmID: map[string]string{}}
	vms, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: hostileVC})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vms.VMs {
		f.vmID[v.Name] = v.ID
	}
	for _, n := range hostileVMs {
		if f.vmID[n] == "" {
			t.Fatalf("the store lost the hostile name %.40q", n)
		}
	}
	if as, ok := st.(store.AlertStore); ok {
		// A rule and an open alert about the hostile VM (the alerts
		// console and the dashboard's counters show them).
		if _, err := as.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: inventory.AlertRule{ID: "vm-off", Name: quoteName,
			Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityCritical, Enabled: true, Origin: inventory.RuleFromAPI}}); err != nil {
			t.Fatal(err)
		}
		if _, err := as.ApplyAlerts(ctx, &store.ApplyAlertsParams{Alerts: []store.AlertUpdate{{Alert: inventory.Alert{RuleID: "vm-off",
			Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityCritical, Vcenter: hostileVC, EntityType: inventory.EntityVM,
			EntityID: f.vmID[scriptName], EntityName: scriptName, State: inventory.AlertOpen, Summary: "powered off with no user: " + quoteName,
			SeenAt: fixtureNow, OpenedAt: fixtureNow, UpdatedAt: fixtureNow}}}}); err != nil {
			t.Fatal(err)
		}
	}
	var ts api.Tokens
	for _, r := range []api.Role{api.RoleViewer, api.RoleOperator, api.RoleAdmin} {
		secret, tok, err := api.NewToken(r.String()+"-token", r)
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[r], ts = secret, append(ts, tok)
	}
	sources := api.TokenSources{ts}
	if tst, ok := st.(store.TokenStore); ok {
		sources = append(sources, api.StoreTokens{Store: tst})
	}
	kr, err := secrets.New(secrets.Key{ID: "k1", Bytes: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return fixtureNow }
	f.api, err = api.New(api.Options{Store: st, Jobs: jobstest.Queue(t), Tokens: sources, Connector: api.KeyringConnector{Keyring: kr}, Clock: clock,
		NoAuth: noAuth})
	if err != nil {
		t.Fatal(err)
	}
	o.API = f.api
	if o.Clock == nil {
		o.Clock = clock
	}
	f.web, err = New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(f.web)
	t.Cleanup(f.srv.Close)
	return f
}

// simSource opens a vSphere source named name on sim, closed when the
// test ends.
func simSource(tb testing.TB, sim *vcsim.Sim, name string) *vsphere.Source {
	tb.Helper()
	src, err := vsphere.New(context.Background(), sim.Endpoint(name), vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { src.Close(context.Background()) })
	return src
}
