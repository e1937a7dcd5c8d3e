package alert_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
	"github.com/accessvault/vinventory/store/sqlitestore"
)

// eventList is an endpoint's power event history held in memory.
type eventList []inventory.PowerEvent

func (l eventList) PowerEvents(_ context.Context, from, to time.Time) ([]inventory.PowerEvent, error) {
	var out []inventory.PowerEvent
	for _, e := range l {
		if !e.Time.Before(from) && e.Time.Before(to) {
			out = append(out, e)
		}
	}
	return out, nil
}

// benchStore is what benchState writes to.
type benchStore interface {
	store.Store
	store.Details
}

// benchState writes, per vCenter, vms VMs, hosts hosts and ds datastores
// (the state a capture writes), with snapshot detail for one VM in 20,
// power-off events for one in 50, and the endpoint's capture status.
func benchState(b *testing.B, st benchStore, vcenter string, now time.Time, vms, hosts, ds int) eventList {
	ctx := context.Background()
	state := &inventory.State{}
	var evs []inventory.Event
	var pevs eventList
	var details []inventory.VMDetail
	for h := range hosts {
		state.Hosts = append(state.Hosts, inventory.Host{Vcenter: vcenter, ID: fmt.Sprintf("host-%d", h), Name: fmt.Sprintf("esx%04d.%s", h, vcenter),
			Datacenter: "DC1", ClusterID: fmt.Sprintf("domain-c%d", h%20), Cluster: fmt.Sprintf("cluster-%02d", h%20),
			ConnectionState: []string{"connected", "connected", "connected", "connected", "connected", "connected", "connected", "notResponding"}[h%8],
			PowerState:      inventory.PoweredOn, InMaintenance: h%13 == 0})
	}
	for d := range ds {
		x := inventory.Datastore{Vcenter: vcenter, ID: fmt.Sprintf("datastore-%d", d), Name: fmt.Sprintf("ds%04d", d), Datacenter: "DC1",
			Type: "VMFS", CapacityGB: 4096, Accessible: true}
		x.FreeGB = x.CapacityGB * float64(d%40) / 100
		for h := 0; h < 4; h++ {
			x.HostIDs = append(x.HostIDs, fmt.Sprintf("host-%d", (d*4+h)%hosts))
		}
		state.Datastores = append(state.Datastores, x)
	}
	for i := range vms {
		h := state.Hosts[i%hosts]
		v := inventory.VM{Vcenter: vcenter, ID: fmt.Sprintf("vm-%d", i), Name: fmt.Sprintf("vm%05d-%s", i, []string{"web", "db", "app"}[i%3]),
			Datacenter: "DC1", Cluster: h.Cluster, Host: h.Name, HostID: h.ID, PowerState: inventory.PoweredOn, VCPUCount: 2, RAMMB: 4096}
		if i%3 == 0 {
			v.Attributes = map[string]string{"tag:env": []string{"prod", "dev"}[i%2]}
		}
		if i%10 == 0 {
			v.PowerState = inventory.PoweredOff
		}
		if i%50 == 0 {
			evs = append(evs, inventory.Event{Vcenter: vcenter, SnapshotTime: now.Add(-time.Hour), Kind: inventory.EventPower, VMID: v.ID, Name: v.Name,
				Before: map[string]string{"power_state": "poweredOn"}, After: map[string]string{"power_state": "poweredOff"}})
			pe := inventory.PowerEvent{Vcenter: vcenter, Key: int32(i), VMID: v.ID, VMName: v.Name, Time: now.Add(-90 * time.Minute)}
			switch i % 200 {
			case 0:
				pe.Kind, pe.User = inventory.PowerOffEvent, "admin"
			case 50:
				pe.Kind = inventory.PowerGuestShutdown
			case 100:
				pe.Kind = inventory.PowerHAReset
			default:
				pe.Kind = inventory.PowerOffEvent
			}
			pevs = append(pevs, pe)
		}
		if i%20 == 0 {
			details = append(details, inventory.VMDetail{Vcenter: vcenter, VMID: v.ID, Snapshots: []inventory.VMSnapshot{
				{ID: 1, Name: "s1", Created: now.Add(-time.Duration(i%30) * 24 * time.Hour), SizeMB: float64(i%40) * 1024, Depth: 1}}})
		}
		state.VMs = append(state.VMs, v)
	}
	if _, err := st.WriteSnapshot(ctx, &store.WriteSnapshotParams{Vcenter: vcenter, SnapshotTime: now.Add(-time.Hour), State: state}); err != nil {
		b.Fatal(err)
	}
	if err := st.WriteDetails(ctx, &store.WriteDetailsParams{Vcenter: vcenter, SnapshotTime: now.Add(-time.Hour), Details: inventory.Details{VMs: details}}); err != nil {
		b.Fatal(err)
	}
	if err := st.AppendEvents(ctx, &store.AppendEventsParams{Events: evs}); err != nil {
		b.Fatal(err)
	}
	if _, err := st.UpsertEndpoint(ctx, &store.UpsertEndpointParams{Endpoint: inventory.Endpoint{Name: vcenter, URL: "https://" + vcenter + ".example/sdk",
		Username: "u", Enabled: true}}); err != nil {
		b.Fatal(err)
	}
	if err := st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: vcenter,
		LastAttempt: now, LastSuccess: now.Add(-time.Hour)}}); err != nil {
		b.Fatal(err)
	}
	return pevs
}

// benchRules returns 50 rules of every kind with varied scopes.
func benchRules() []inventory.AlertRule {
	var rules []inventory.AlertRule
	scopes := []inventory.AlertScope{{}, {Vcenters: []string{"vc-1", "vc-2"}}, {Clusters: []string{"cluster-01", "cluster-07"}},
		{Name: "^(esx|ds|vm)0[0-4]"}, {Datacenters: []string{"DC1"}}, {Vcenters: []string{"vc-3"}, Name: "web|ds00"}}
	kinds := []inventory.AlertRuleKind{inventory.RuleHostDisconnected, inventory.RuleHostMaintenance, inventory.RuleDatastoreUsedPct,
		inventory.RuleDatastoreFreeGB, inventory.RuleVMPoweredOff, inventory.RuleVMSnapshotAge, inventory.RuleVMSnapshotSize,
		inventory.RuleCaptureFailing, inventory.RuleDataStale}
	for i := 0; len(rules) < 50; i++ {
		k := kinds[i%len(kinds)]
		r := inventory.AlertRule{ID: fmt.Sprintf("r%02d-%s", i, k), Kind: k, Severity: inventory.SeverityWarning, Enabled: true,
			Scope: scopes[(i/len(kinds))%len(scopes)], Channels: []string{"ops"}}
		if alert.EntityOf(k) == inventory.EntityEndpoint {
			r.Scope.Datacenters, r.Scope.Clusters = nil, nil
		}
		if alert.EntityOf(k) == inventory.EntityVM && i%2 == 0 {
			r.Scope.Attribute = "tag:env=prod"
		}
		switch k {
		case inventory.RuleHostMaintenance:
			r.Duration = time.Hour
		case inventory.RuleDataStale:
			r.Duration = 30 * time.Minute
		case inventory.RuleDatastoreUsedPct:
			r.Threshold, r.Clear = 85, 80
		case inventory.RuleDatastoreFreeGB:
			r.Threshold = 200
		case inventory.RuleVMSnapshotAge:
			r.Threshold = 7
		case inventory.RuleVMSnapshotSize:
			r.Threshold = 20
		case inventory.RuleCaptureFailing:
			r.Threshold = 3
		}
		rules = append(rules, r)
	}
	return rules
}

// BenchmarkEvaluate evaluates 50 rules over 40,000 VMs, 2,000 hosts and
// 1,000 datastores (4 vCenters) in memstore: the first run, which opens
// every alert, is reported as first-run-ms; each iteration is a steady
// state run (the conditions hold, nothing changes but the clock).
func BenchmarkEvaluate(b *testing.B) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	clock := now
	st := memstore.New(memstore.Options{Clock: func() time.Time { return clock }})
	src := alert.PowerEventSources{}
	for v := 1; v <= 4; v++ {
		vc := fmt.Sprintf("vc-%d", v)
		src[vc] = benchState(b, st, vc, now, 10000, 500, 250)
	}
	if _, err := st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "ops", Kind: inventory.ChannelWebhook,
		Enabled: true, URL: "https://hooks.example/"}}); err != nil {
		b.Fatal(err)
	}
	for _, r := range benchRules() {
		if _, err := st.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: r}); err != nil {
			b.Fatal(err)
		}
	}
	ev, err := alert.NewEvaluator(st, alert.Options{Clock: func() time.Time { return clock }, PowerEvents: src})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	res, err := ev.Run(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	if len(res.Changes) == 0 || res.Notifications == 0 || len(res.Skipped) != 0 {
		b.Fatalf("first run: %d changes, %d notifications, skipped %v", len(res.Changes), res.Notifications, res.Skipped)
	}
	opened := len(res.Changes)
	b.ResetTimer()
	for b.Loop() {
		clock = clock.Add(time.Second)
		if _, err := ev.Run(ctx, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	clock = clock.Add(time.Second)
	res, err = ev.Run(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range res.Changes[:min(3, len(res.Changes))] {
		b.Logf("steady change: %s %s %s->%s %q", c.Alert.RuleID, c.Alert.EntityID, c.From, c.To, c.Alert.Summary)
	}
	b.ReportMetric(float64(len(res.Changes)), "steady-changes")
	b.ReportMetric(float64(first.Milliseconds()), "first-run-ms")
	b.ReportMetric(float64(opened), "alerts")
}

// BenchmarkEvaluateMetricRules evaluates four metric rules (VM CPU and
// memory, host CPU and memory, 15-minute windows) over 4 vCenters of
// 10,000 VMs (9,000 powered on) and 500 hosts, each with three points of
// each metric in the window (228,000 points read per run), on memstore
// and a SQLite file; one VM in seven and one host in five are over the
// threshold. Each iteration is a steady-state run.
func BenchmarkEvaluateMetricRules(b *testing.B) {
	for _, backend := range []string{"memory", "sqlite"} {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
			clock := now
			var st interface {
				benchStore
				alert.Store
				store.MetricStore
			}
			if backend == "memory" {
				st = memstore.New(memstore.Options{Clock: func() time.Time { return clock }})
			} else {
				sq, err := sqlitestore.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), sqlitestore.Options{AutoMigrate: true, Synchronous: "normal"})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { sq.Close() })
				st = sq
			}
			points := 0
			for v := 1; v <= 4; v++ {
				vc := fmt.Sprintf("vc-%d", v)
				benchState(b, st, vc, now, 10000, 500, 250)
				var pts []inventory.MetricPoint
				add := func(et inventory.EntityType, id string, hot bool) {
					for _, m := range []inventory.Metric{inventory.MetricCPUUsagePct, inventory.MetricMemUsagePct} {
						for k := range 3 {
							val := 40 + float64(k)
							if hot {
								val = 95 + float64(k)
							}
							pts = append(pts, inventory.MetricPoint{MetricKey: inventory.MetricKey{Vcenter: vc, EntityType: et, EntityID: id, Metric: m},
								Time: now.Add(-time.Duration(k*5) * time.Minute), Value: val})
						}
					}
				}
				for i := range 10000 {
					if i%10 != 0 { // benchState powers off one VM in ten
						add(inventory.EntityVM, fmt.Sprintf("vm-%d", i), i%7 == 0)
					}
				}
				for h := range 500 {
					add(inventory.EntityHost, fmt.Sprintf("host-%d", h), h%5 == 0)
				}
				if err := st.WriteMetrics(ctx, &store.WriteMetricsParams{Points: pts}); err != nil {
					b.Fatal(err)
				}
				points += len(pts)
			}
			var rules []inventory.AlertRule
			for _, k := range []inventory.AlertRuleKind{inventory.RuleVMCPUUsagePct, inventory.RuleVMMemUsagePct,
				inventory.RuleHostCPUUsagePct, inventory.RuleHostMemUsagePct} {
				rules = append(rules, inventory.AlertRule{ID: string(k), Kind: k, Severity: inventory.SeverityWarning, Enabled: true,
					Threshold: 90, Clear: 80})
			}
			ev, err := alert.NewEvaluator(st, alert.Options{Clock: func() time.Time { return clock }})
			if err != nil {
				b.Fatal(err)
			}
			res, err := ev.Run(ctx, &alert.RunParams{Rules: rules})
			if err != nil {
				b.Fatal(err)
			}
			// Per vCenter: VMs i%7 == 0 and i%10 != 0 (1,286), hosts h%5 == 0 (100); two rules each.
			if want := 4 * 2 * (1286 + 100); len(res.Changes) != want || len(res.Skipped) != 0 {
				b.Fatalf("first run: %d changes, want %d; skipped %v", len(res.Changes), want, res.Skipped)
			}
			b.ResetTimer()
			for b.Loop() {
				clock = clock.Add(time.Second)
				res, err := ev.Run(ctx, &alert.RunParams{Rules: rules})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Changes) != 0 {
					b.Fatalf("steady run changed %d alerts", len(res.Changes))
				}
			}
			b.ReportMetric(float64(points), "points")
		})
	}
}
