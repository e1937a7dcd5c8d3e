package alert_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
)

func TestHostDisconnected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 6}, alert.Options{})
	ctx := context.Background()
	r := rule("host-down", inventory.RuleHostDisconnected)
	e.capture()
	if res := e.run(r); len(res.Changes) != 0 {
		t.Fatalf("all hosts connected: changes %+v", res.Changes)
	}
	hs := e.hosts()
	down, maint := hs[0], hs[1]
	e.must(e.sim.SetHostConnectionState(down.ID, types.HostSystemConnectionStateNotResponding))
	// A host in maintenance mode that is disconnected does not alert.
	e.must(e.sim.SetHostMaintenance(ctx, maint.ID, true))
	e.must(e.sim.SetHostConnectionState(maint.ID, types.HostSystemConnectionStateDisconnected))
	e.advance(time.Hour)
	e.capture()
	res := e.run(r)
	if got := e.active(r.ID, inventory.AlertOpen); !slices.Equal(got, []string{down.ID}) {
		t.Fatalf("open alerts %v, want only %s (not the host in maintenance)", got, down.ID)
	}
	if len(res.Changes) != 1 || res.Changes[0].From != "" || res.Changes[0].To != inventory.AlertOpen || res.Changes[0].Alert.ID == 0 {
		t.Fatalf("changes %+v, want one new open alert", res.Changes)
	}
	a := res.Changes[0].Alert
	if a.Summary != "host "+down.Name+" is notResponding" || a.EntityType != inventory.EntityHost || a.Vcenter != vc || !a.OpenedAt.Equal(e.clock()) {
		t.Errorf("alert %+v", a)
	}
	// Evaluating again changes nothing: one alert per rule and entity.
	if res := e.run(r); len(res.Changes) != 0 {
		t.Fatalf("second run: %+v", res.Changes)
	}
	// Acknowledged stays acknowledged while the condition holds.
	if _, err := alert.Acknowledge(ctx, e.st, &alert.ActionParams{ID: a.ID, By: "ops", Comment: "on it", Now: e.clock()}); err != nil {
		t.Fatal(err)
	}
	e.advance(time.Hour)
	e.capture()
	e.run(r)
	if got := e.active(r.ID, inventory.AlertAcknowledged); !slices.Equal(got, []string{down.ID}) {
		t.Fatalf("acknowledged %v", got)
	}
	// Reconnected: resolved by the evaluator.
	e.must(e.sim.SetHostConnectionState(down.ID, types.HostSystemConnectionStateConnected))
	e.advance(time.Hour)
	e.capture()
	res = e.run(r)
	all := e.alerts(r.ID)
	if len(all) != 1 || all[0].State != inventory.AlertResolved || all[0].ResolvedBy != "" || !all[0].ResolvedAt.Equal(e.clock()) || all[0].AckedBy != "ops" {
		t.Fatalf("after reconnect: %+v", all)
	}
	if len(res.Changes) != 1 || res.Changes[0].From != inventory.AlertAcknowledged || res.Changes[0].To != inventory.AlertResolved {
		t.Errorf("changes %+v", res.Changes)
	}
}

func TestHostDisconnectedDebounce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4}, alert.Options{})
	r := rule("host-down", inventory.RuleHostDisconnected)
	r.For = 10 * time.Minute
	e.capture()
	h := e.hosts()[0]
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateDisconnected))
	e.advance(time.Minute)
	e.capture()
	e.run(r)
	if got := e.active(r.ID, inventory.AlertPending); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("pending %v, want %s", got, h.ID)
	}
	e.advance(9*time.Minute - time.Second)
	e.run(r)
	if got := e.active(r.ID, inventory.AlertPending); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("before For: pending %v", got)
	}
	// It clears before For: the pending alert is deleted with its history.
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateConnected))
	e.capture()
	res := e.run(r)
	if n := len(e.alerts(r.ID)); n != 0 || len(res.Changes) != 1 || res.Changes[0].To != "" {
		t.Fatalf("cleared while pending: %d alerts stored, changes %+v", n, res.Changes)
	}
	// Disconnected again for the whole debounce: it opens.
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateDisconnected))
	e.advance(time.Minute)
	e.capture()
	e.run(r)
	e.advance(10 * time.Minute)
	res = e.run(r)
	if got := e.active(r.ID, inventory.AlertOpen); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("after For: open %v", got)
	}
	a := res.Changes[0].Alert
	if res.Changes[0].From != inventory.AlertPending || !a.OpenedAt.Equal(a.SeenAt.Add(10*time.Minute)) {
		t.Errorf("opened %+v from %s", a, res.Changes[0].From)
	}
}

func TestHostMaintenance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4}, alert.Options{})
	ctx := context.Background()
	r := rule("maint-4h", inventory.RuleHostMaintenance)
	r.Duration = 4 * time.Hour
	e.capture()
	h := e.hosts()[0]
	e.must(e.sim.SetHostMaintenance(ctx, h.ID, true))
	e.advance(time.Hour)
	entered := e.clock()
	e.capture()
	e.run(r)
	if got := e.active(r.ID, inventory.AlertPending); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("pending %v", got)
	}
	e.advance(3 * time.Hour)
	e.capture()
	e.run(r)
	if got := e.active(r.ID, inventory.AlertOpen); len(got) != 0 {
		t.Fatalf("open after 3h of maintenance: %v", got)
	}
	e.advance(time.Hour)
	e.capture()
	res := e.run(r)
	if got := e.active(r.ID, inventory.AlertOpen); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("after 4h: open %v", got)
	}
	if a := res.Changes[0].Alert; !a.SeenAt.Equal(entered) || !contains(a.Summary, "since "+entered.Format(time.RFC3339)) {
		t.Errorf("alert %+v, want seen at %v", a, entered)
	}
	// A rule added now reads the entry from the entity history: it opens
	// at once.
	r2 := rule("maint-2h", inventory.RuleHostMaintenance)
	r2.Duration = 2 * time.Hour
	e.run(r, r2)
	if got := e.active(r2.ID, inventory.AlertOpen); !slices.Equal(got, []string{h.ID}) {
		t.Fatalf("new rule: open %v", got)
	}
	e.must(e.sim.SetHostMaintenance(ctx, h.ID, false))
	e.advance(time.Hour)
	e.capture()
	e.run(r, r2)
	if got := append(e.active(r.ID, inventory.AlertResolved), e.active(r2.ID, inventory.AlertResolved)...); len(got) != 2 {
		t.Fatalf("after exit: resolved %v", got)
	}
}
