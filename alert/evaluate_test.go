package alert_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
	"github.com/accessvault/vinventory/store/memstore"
)

// TestEvaluateScopeAndHostileNames runs the pure Evaluate: VM scope by
// attribute, cluster and name, and hostile names kept intact.
func TestEvaluateScopeAndHostileNames(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	hostile := `"><script>alert(1)</script> =cmd|' /C calc'!A0 ünï`
	vms := []inventory.VM{
		{Vcenter: vc, ID: "vm-1", Name: hostile, Cluster: "gold", Datacenter: "dc", PowerState: inventory.PoweredOff, Attributes: map[string]string{"tag:env": "prod"}},
		{Vcenter: vc, ID: "vm-2", Name: "web-2", Cluster: "gold", Datacenter: "dc", PowerState: inventory.PoweredOff, Attributes: map[string]string{"tag:env": "dev"}},
		{Vcenter: vc, ID: "vm-3", Name: "web-3", Cluster: "tin", Datacenter: "dc", PowerState: inventory.PoweredOff, Attributes: map[string]string{"tag:env": "prod"}},
		{Vcenter: vc, ID: "vm-4", Name: "web-4", Cluster: "gold", Datacenter: "dc", PowerState: inventory.PoweredOff},
		{Vcenter: vc, ID: "vm-5", Name: "tmpl", Cluster: "gold", Datacenter: "dc", PowerState: inventory.PoweredOff, IsTemplate: true, Attributes: map[string]string{"tag:env": "prod"}},
	}
	offs := map[[2]string]alert.PowerOffVerdict{}
	for _, v := range vms {
		offs[[2]string{vc, v.ID}] = alert.PowerOffVerdict{Alert: true, Cause: alert.CauseNoEvent, Summary: "powered off; no vCenter event explains it"}
	}
	offs[[2]string{vc, "vm-4"}] = alert.PowerOffVerdict{Cause: alert.CauseUser, Summary: "powered off by user"}
	rules := []inventory.AlertRule{
		{ID: "prod", Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityWarning, Enabled: true, Scope: inventory.AlertScope{Attribute: "tag:env=prod"}},
		{ID: "gold", Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityWarning, Enabled: true, Scope: inventory.AlertScope{Clusters: []string{"gold"}, Name: "^web-"}},
		{ID: "tagged", Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityWarning, Enabled: true, Scope: inventory.AlertScope{Attribute: "tag:env", Datacenters: []string{"dc"}}},
		{ID: "off", Kind: inventory.RuleVMPoweredOff, Severity: inventory.SeverityWarning, Scope: inventory.AlertScope{}},
		{ID: "bad", Kind: inventory.RuleVMPoweredOff, Severity: "loud", Enabled: true},
	}
	p := alert.Evaluate(&alert.Input{Now: now, Rules: rules, State: &inventory.State{VMs: vms}, PowerOffs: offs})
	got := map[string][]string{}
	for _, c := range p.Changes {
		got[c.Alert.RuleID] = append(got[c.Alert.RuleID], c.Alert.EntityID)
		if c.To != inventory.AlertOpen || c.From != "" {
			t.Errorf("change %+v", c)
		}
		if c.Alert.EntityID == "vm-1" && (c.Alert.EntityName != hostile || c.Alert.Summary != "VM "+hostile+" powered off; no vCenter event explains it") {
			t.Errorf("hostile name not kept intact: %+v", c.Alert)
		}
	}
	want := map[string][]string{"prod": {"vm-1", "vm-3"}, "gold": {"vm-2"}, "tagged": {"vm-1", "vm-2", "vm-3"}}
	for r, ids := range want {
		slices.Sort(got[r])
		if !slices.Equal(got[r], ids) {
			t.Errorf("rule %s: %v, want %v", r, got[r], ids)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rules with alerts: %v", got)
	}
	var skipped []string
	for _, s := range p.Skipped {
		skipped = append(skipped, s.RuleID)
	}
	if !slices.Equal(skipped, []string{"off", "bad"}) {
		t.Errorf("skipped %+v", p.Skipped)
	}
	if len(p.Apply.Alerts) != 6 || len(p.Apply.Transitions) != 6 || len(p.Apply.Notifications) != 0 {
		t.Errorf("apply: %d alerts, %d transitions, %d notifications", len(p.Apply.Alerts), len(p.Apply.Transitions), len(p.Apply.Notifications))
	}
	// The same input through a store: stored intact.
	st := memstore.New(memstore.Options{Clock: func() time.Time { return now }})
	res, err := st.ApplyAlerts(context.Background(), &p.Apply)
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.GetAlert(context.Background(), &store.GetAlertParams{ID: res.Alerts[0].ID})
	if err != nil || a.EntityName != hostile {
		t.Errorf("stored %+v, %v", a, err)
	}
}

// ackingStore acknowledges an alert inside the first ApplyAlerts call, as
// an operator acting while the evaluator evaluates.
type ackingStore struct {
	*memstore.Store
	ack func()
}

func (s *ackingStore) ApplyAlerts(ctx context.Context, p *store.ApplyAlertsParams) (*store.ApplyAlertsResult, error) {
	if f := s.ack; f != nil {
		s.ack = nil
		f()
	}
	return s.Store.ApplyAlerts(ctx, p)
}

// TestRunRetriesOnConflict: an acknowledgement between the evaluator's
// read and write makes the write conflict; Run reads again and resolves
// the acknowledged alert.
func TestRunRetriesOnConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 2}, alert.Options{})
	ctx := context.Background()
	r := rule("host-down", inventory.RuleHostDisconnected)
	e.capture()
	h := e.hosts()[0]
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateDisconnected))
	e.advance(time.Minute)
	e.capture()
	e.run(r)
	id := e.alerts(r.ID)[0].ID
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateConnected))
	e.advance(time.Minute)
	e.capture()
	as := &ackingStore{Store: e.st}
	as.ack = func() {
		if _, err := alert.Acknowledge(ctx, e.st, &alert.ActionParams{ID: id, By: "ops", Now: e.clock()}); err != nil {
			t.Error(err)
		}
	}
	ev, err := alert.NewEvaluator(as, alert.Options{Clock: e.clock})
	e.must(err)
	res, err := ev.Run(ctx, &alert.RunParams{Rules: []inventory.AlertRule{r}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Changes[0].From != inventory.AlertAcknowledged || res.Changes[0].To != inventory.AlertResolved {
		t.Fatalf("changes %+v", res.Changes)
	}
	hist, err := e.st.ListAlertHistory(ctx, &store.ListAlertHistoryParams{AlertID: id})
	e.must(err)
	var steps []string
	for _, tr := range hist.Transitions {
		steps = append(steps, string(tr.From)+">"+string(tr.To)+" "+tr.By)
	}
	if want := []string{">open ", "open>acknowledged ops", "acknowledged>resolved "}; !slices.Equal(steps, want) {
		t.Errorf("history %v, want %v", steps, want)
	}
}

func TestNewEvaluatorValidates(t *testing.T) {
	if _, err := alert.NewEvaluator(nil, alert.Options{}); err == nil {
		t.Error("nil store accepted")
	}
	if _, err := alert.NewEvaluator(memstore.New(), alert.Options{FlapLimit: -1}); err == nil {
		t.Error("negative FlapLimit accepted")
	}
}

// TestEvaluateRemovedRuleAndVcenterScope: over every rule, alerts of a
// removed rule resolve; a run limited to one endpoint leaves the others'
// alerts alone.
func TestEvaluateRemovedRuleAndVcenterScope(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	r := inventory.AlertRule{ID: "down", Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, Enabled: true}
	old := func(id int64, rule, vcenter string) inventory.Alert {
		return inventory.Alert{ID: id, RuleID: rule, Kind: inventory.RuleHostDisconnected, Severity: inventory.SeverityCritical, Vcenter: vcenter,
			EntityType: inventory.EntityHost, EntityID: "host-1", EntityName: "h", Summary: "host h is disconnected", State: inventory.AlertOpen,
			SeenAt: now.Add(-time.Hour), OpenedAt: now.Add(-time.Hour)}
	}
	alerts := []inventory.Alert{old(1, "gone", "vc1"), old(2, "down", "vc1"), old(3, "down", "vc2")}
	hosts := []inventory.Host{{Vcenter: "vc2", ID: "host-1", Name: "h", ConnectionState: "disconnected"}}
	// Over every rule and endpoint: "gone" resolves, vc1's host-1 (not in
	// the state any more) resolves, vc2's holds.
	p := alert.Evaluate(&alert.Input{Now: now, Rules: []inventory.AlertRule{r}, AllRules: true, Alerts: alerts, State: &inventory.State{Hosts: hosts}})
	var got []string
	for _, c := range p.Changes {
		got = append(got, fmt.Sprintf("%d %s>%s", c.Alert.ID, c.From, c.To))
	}
	if want := []string{"2 open>resolved", "1 open>resolved"}; !slices.Equal(got, want) {
		t.Errorf("changes %v, want %v", got, want)
	}
	if p.Changes[1].Alert.Summary != "rule gone was removed or disabled" || p.Changes[1].Alert.ResolvedBy != "" {
		t.Errorf("removed rule's alert %+v", p.Changes[1].Alert)
	}
	// Limited to vc2: nothing of vc1 changes.
	p = alert.Evaluate(&alert.Input{Now: now, Vcenter: "vc2", Rules: []inventory.AlertRule{r}, AllRules: true, Alerts: alerts, State: &inventory.State{Hosts: hosts}})
	if len(p.Changes) != 0 {
		t.Errorf("vc2 run changed %+v", p.Changes)
	}
}
