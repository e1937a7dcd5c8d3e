package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/api"
	"github.com/accessvault/vinventory/internal/config"
	"github.com/accessvault/vinventory/internal/secrets"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// liveEndpoint registers sim as endpoint name in st.
func liveEndpoint(t *testing.T, st store.Endpoints, kr *secrets.Keyring, sim *vcsim.Sim, name string) {
	t.Helper()
	blob, err := kr.Encrypt([]byte(sim.Password), name)
	if err != nil {
		t.Fatal(err)
	}
	u := *sim.URL
	u.User = nil
	if _, err := st.UpsertEndpoint(context.Background(), &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{
		Name: name, URL: u.String(), Username: sim.Username, Credential: blob,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true,
	}}); err != nil {
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", d, what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func stateOf(m *LiveManager, endpoint string) LiveStatus {
	for _, s := range m.Status() {
		if s.Endpoint == endpoint {
			return s
		}
	}
	return LiveStatus{}
}

// TestLiveManager runs the daemon's live watcher over a SQLite store: a VM
// powered off in the simulator is in the latest state within 5 s, and the
// watcher's state and counters show in /healthz, /api/collectors and
// /metrics.
func TestLiveManager(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 8, Templates: -1, Password: "live-test-" + t.Name()})
	st, kr := sqliteAndKeyring(t, dir)
	liveEndpoint(t, st, kr, sim, "vc1")
	op, err := Opener(kr, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().Live
	cfg.FlushInterval = 50 * time.Millisecond
	m := &LiveManager{Store: st, Open: op, Config: cfg}
	metrics := NewMetrics()
	metrics.WatchLive(m.Status)
	go m.Run(ctx, st, 0)
	waitUntil(t, 20*time.Second, "the watcher's first resync", func() bool {
		s := stateOf(m, "vc1")
		return s.State == capture.WatchWatching && s.Resyncs[capture.ResyncStart] == 1 && s.LagSeconds == 0
	})
	page, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: "vc1"})
	if err != nil || len(page.VMs) != 8 {
		t.Fatalf("the first resync stored %d VMs (%v), want 8", len(page.VMs), err)
	}
	var vm inventory.VM
	for _, v := range page.VMs {
		if v.PowerState == inventory.PoweredOn {
			vm = v
			break
		}
	}
	if err := sim.PowerOff(ctx, vm.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, liveDeadline, "the power-off in the latest state", func() bool {
		v, err := st.GetVM(ctx, &store.GetVMParams{Vcenter: "vc1", VMID: vm.ID})
		return err == nil && v.PowerState == inventory.PoweredOff
	})
	waitUntil(t, 5*time.Second, "the applied count", func() bool { return stateOf(m, "vc1").Applied >= 9 })

	// /healthz
	h := (&HealthSource{Store: st, Live: m.Status}).Check(ctx)
	if len(h.Endpoints) != 1 || h.Endpoints[0].Live == nil || h.Endpoints[0].Live.State != capture.WatchWatching {
		t.Fatalf("healthz endpoints %+v, want vc1's watcher watching", h.Endpoints)
	}
	// /metrics
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, mm := range mf.GetMetric() {
			got[mf.GetName()+labels(mm)] = value(mm)
		}
	}
	if got[`vinventory_live_state{endpoint="vc1",state="watching"}`] != 1 ||
		got[`vinventory_live_changes_applied_total{endpoint="vc1"}`] < 9 ||
		got[`vinventory_live_events_total{endpoint="vc1"}`] != 1 ||
		got[`vinventory_live_resyncs_total{endpoint="vc1",reason="start"}`] != 1 ||
		got[`vinventory_live_updates_received_total{endpoint="vc1"}`] < 1 {
		t.Errorf("metrics: %v", got)
	}
	// /api/collectors
	a, err := api.New(api.Options{Store: st, NoAuth: true, Live: m.watchStats})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	res, err := http.Get(srv.URL + "/api/collectors")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Items []api.Collector `json:"items"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if len(body.Items) != 1 || body.Items[0].Live == nil || body.Items[0].Live.State != capture.WatchWatching || body.Items[0].Live.Applied < 9 {
		t.Fatalf("/api/collectors: %+v", body.Items)
	}

	// A disabled endpoint's watcher stops.
	ep, _ := st.GetEndpoint(ctx, &store.GetEndpointParams{Name: "vc1"})
	ep.Enabled = false
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: *ep}); err != nil {
		t.Fatal(err)
	}
	m.Sync(ctx, []inventory.Endpoint{*ep})
	if s := m.Status(); len(s) != 0 {
		t.Fatalf("after disabling the endpoint: %+v", s)
	}
}

func labels(m *dto.Metric) string {
	if len(m.GetLabel()) == 0 {
		return ""
	}
	s := "{"
	for i, l := range m.GetLabel() {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%s=%q", l.GetName(), l.GetValue())
	}
	return s + "}"
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	}
	return 0
}

// TestLiveReplicas: two replicas on one PostgreSQL database watch one
// endpoint: exactly one watches, the other stands by; when the watching
// replica's lock connection dies (its replica died), the other takes over
// within seconds, and the first one stands by.
func TestLiveReplicas(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := testbackends.Postgres(t)
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "live-test-" + t.Name()})
	keyLine, _ := secrets.GenerateKey("k1")
	kr, err := secrets.ParseKeyring(keyLine)
	if err != nil {
		t.Fatal(err)
	}
	// Advisory locks are per database: a name of its own per test run.
	name := fmt.Sprintf("live-%d-%d", os.Getpid(), time.Now().UnixNano())
	liveEndpoint(t, st, kr, sim, name)
	op, err := Opener(kr, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default().Live
	cfg.FlushInterval = 50 * time.Millisecond
	cfg.RetryBackoff = time.Second
	mk := func() *LiveManager {
		return &LiveManager{Store: st, Open: op, Pool: st.Pool(), Config: cfg, StandbyRetry: 100 * time.Millisecond, LockCheck: 100 * time.Millisecond}
	}
	a, b := mk(), mk()
	go a.Run(ctx, st, 0)
	waitUntil(t, 20*time.Second, "replica a watching", func() bool { return stateOf(a, name).State == capture.WatchWatching })
	go b.Run(ctx, st, 0)
	waitUntil(t, 5*time.Second, "replica b standing by", func() bool { return stateOf(b, name).State == LiveStandby })
	for range 10 { // it stays that way
		time.Sleep(50 * time.Millisecond)
		if sa, sb := stateOf(a, name).State, stateOf(b, name).State; sa != capture.WatchWatching || sb != LiveStandby {
			t.Fatalf("a %s, b %s", sa, sb)
		}
	}

	// Replica a's lock connection dies.
	var killed int
	h := fnv.New32a()
	h.Write([]byte(name))
	if err := st.Pool().QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid::bigint = $1 AND objid::bigint = $2 AND granted`,
		int64(liveLockClass), int64(h.Sum32())).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed < 1 {
		t.Fatal("no advisory lock session to terminate")
	}
	waitUntil(t, 10*time.Second, "replica b taking over", func() bool { return stateOf(b, name).State == capture.WatchWatching })
	waitUntil(t, 10*time.Second, "replica a standing by", func() bool {
		s := stateOf(a, name).State
		return s == LiveStandby || s == LiveBackoff
	})
	// The new watcher works: a change is in the latest state.
	page, err := st.ListVMs(ctx, &store.ListVMsParams{Vcenter: name})
	if err != nil || len(page.VMs) == 0 {
		t.Fatalf("ListVMs: %v %d", err, len(page.VMs))
	}
	vm := page.VMs[0]
	if err := sim.Rename(ctx, vm.ID, "renamed-by-b"); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, liveDeadline, "the rename in the latest state", func() bool {
		v, err := st.GetVM(ctx, &store.GetVMParams{Vcenter: name, VMID: vm.ID})
		return err == nil && v.Name == "renamed-by-b"
	})
	a.Stop()
	b.Stop()
}
