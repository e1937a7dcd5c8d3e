package alert_test

import (
	"context"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// simEndpoint starts a simulator of vms VMs (no templates), registers it
// in st as endpoint vc1 and returns it with a source reading it (closed
// when the test ends).
func simEndpoint(t *testing.T, st store.Store, vms int) (*vcsim.Sim, *vsphere.Source) {
	t.Helper()
	ctx := context.Background()
	createMu.Lock()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: vms, Templates: -1})
	createMu.Unlock()
	ep := inventory.Endpoint{Name: vc, URL: "https://" + sim.URL.Host + "/sdk", Username: sim.Username,
		TLS: inventory.TLSOptions{Thumbprint: sim.Thumbprint()}, Enabled: true}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: ep}); err != nil {
		t.Fatal(err)
	}
	src, err := vsphere.New(ctx, ep, vsphere.Options{Credentials: vsphere.Password(sim.Password)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close(context.Background()) })
	return sim, src
}

// TestLifecycleOnBackends runs one alert's whole life through the
// evaluator on memstore, a SQLite file and PostgreSQL: a disconnected
// host opens it, an operator acknowledges it, the reconnected host
// resolves it; its history holds the three transitions in order, with
// who acknowledged and why, and evaluating again changes nothing.
func TestLifecycleOnBackends(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		as, ok := st.(alert.Store)
		if !ok {
			t.Skip("the store keeps no alerts")
		}
		sim, src := simEndpoint(t, st, 2)
		now := time.Now().UTC().Truncate(time.Second)
		ev, err := alert.NewEvaluator(as, alert.Options{Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		r := inventory.AlertRule{ID: "host-down", Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, Enabled: true}
		step := func(d time.Duration) *alert.Result {
			t.Helper()
			now = now.Add(d)
			capturetest.Snapshot(t, st, src, now, time.Second)
			res, err := ev.Run(ctx, &alert.RunParams{Rules: []inventory.AlertRule{r}})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		step(0)
		hosts, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: vc})
		if err != nil || len(hosts) == 0 {
			t.Fatalf("hosts: %v", err)
		}
		h := hosts[0]
		if err := sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateDisconnected); err != nil {
			t.Fatal(err)
		}
		res := step(time.Hour)
		if len(res.Changes) != 1 || res.Changes[0].To != inventory.AlertOpen {
			t.Fatalf("after the disconnect: %+v", res.Changes)
		}
		id := res.Changes[0].Alert.ID
		comment := `on it — "=cmd" <b>`
		if _, err := alert.Acknowledge(ctx, as, &alert.ActionParams{ID: id, By: "ops", Comment: comment, Now: now.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if res := step(time.Hour); len(res.Changes) != 0 {
			t.Fatalf("still disconnected, acknowledged: %+v", res.Changes)
		}
		if err := sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateConnected); err != nil {
			t.Fatal(err)
		}
		if res := step(time.Hour); len(res.Changes) != 1 || res.Changes[0].To != inventory.AlertResolved {
			t.Fatalf("after the reconnect: %+v", res.Changes)
		}
		if res := step(time.Hour); len(res.Changes) != 0 {
			t.Fatalf("resolved, evaluated again: %+v", res.Changes)
		}
		hist, err := as.ListAlertHistory(ctx, &store.ListAlertHistoryParams{AlertID: id})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, tr := range hist.Transitions {
			got = append(got, string(tr.From)+">"+string(tr.To))
		}
		want := []string{">open", "open>acknowledged", "acknowledged>resolved"}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("history %v, want %v", got, want)
		}
		if ack := hist.Transitions[1]; ack.By != "ops" || ack.Comment != comment {
			t.Errorf("acknowledgement %+v", ack)
		}
		a, err := as.GetAlert(ctx, &store.GetAlertParams{ID: id})
		if err != nil || a.State != inventory.AlertResolved || a.AckedBy != "ops" || a.AckComment != comment || a.ResolvedBy != "" {
			t.Fatalf("alert %+v (%v)", a, err)
		}
	})
}

// TestMetricRuleOnBackends evaluates a host memory rule on memstore, a
// SQLite file and PostgreSQL over points written at the window's edges:
// the point exactly window-old and the one at the evaluation count, the
// one a second older does not; the alert's value is their mean, and the
// rule clears when the mean falls below Clear.
func TestMetricRuleOnBackends(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		as, ok := st.(alert.Store)
		ms, ok2 := st.(store.MetricStore)
		if !ok || !ok2 {
			t.Skip("the store keeps no alerts or no metrics")
		}
		_, src := simEndpoint(t, st, 1)
		now := time.Now().UTC().Truncate(time.Second)
		capturetest.Snapshot(t, st, src, now, time.Second)
		hosts, err := st.ListHosts(ctx, &store.ListHostsParams{Vcenter: vc})
		if err != nil || len(hosts) == 0 {
			t.Fatalf("hosts: %v", err)
		}
		h := hosts[0]
		write := func(at map[time.Duration]float64) {
			t.Helper()
			var pts []inventory.MetricPoint
			for off, v := range at {
				pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: inventory.EntityHost,
					EntityID: h.ID, Metric: inventory.MetricMemUsagePct}, Time: now.Add(off), Value: v})
			}
			if err := ms.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
				t.Fatal(err)
			}
		}
		ev, err := alert.NewEvaluator(as, alert.Options{Clock: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		r := inventory.AlertRule{ID: "host-mem", Kind: inventory.RuleHostMemUsagePct, Severity: inventory.SeverityWarning, Enabled: true,
			Threshold: 90, Clear: 85, Duration: 10 * time.Minute}
		run := func() *alert.Result {
			t.Helper()
			res, err := ev.Run(ctx, &alert.RunParams{Rules: []inventory.AlertRule{r}})
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		// (91 + 92 + 96) / 3 = 93; the 0 at 10m01s is outside.
		write(map[time.Duration]float64{-10*time.Minute - time.Second: 0, -10 * time.Minute: 91, -5 * time.Minute: 92, 0: 96})
		res := run()
		if len(res.Changes) != 1 || res.Changes[0].To != inventory.AlertOpen || res.Changes[0].Alert.Value != 93 || res.Changes[0].Alert.EntityID != h.ID {
			t.Fatalf("first evaluation: %+v", res.Changes)
		}
		// Five minutes on: (92 + 96 + 70) / 3 = 86: held (at or above 85).
		now = now.Add(5 * time.Minute)
		write(map[time.Duration]float64{0: 70})
		if res := run(); len(res.Changes) != 1 || res.Changes[0].To != inventory.AlertOpen || res.Changes[0].Alert.Value != 86 {
			t.Fatalf("in the band: %+v", res.Changes)
		}
		// Five more: (96 + 70 + 80) / 3 = 82: resolved.
		now = now.Add(5 * time.Minute)
		write(map[time.Duration]float64{0: 80})
		if res := run(); len(res.Changes) != 1 || res.Changes[0].To != inventory.AlertResolved {
			t.Fatalf("below Clear: %+v", res.Changes)
		}
	})
}
