package alert_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// powerCases powers VMs off every way the classification tells apart and
// returns the VM of each case (and the host-failure VMs).
type powerCases struct {
	user, guest, noUser, haReset, failover, silent string
	hostVMs                                        []string
	host                                           string
}

func producePowerCases(t *testing.T, e *env) powerCases {
	t.Helper()
	ctx := context.Background()
	vms, err := e.st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vc})
	if err != nil {
		t.Fatal(err)
	}
	// The failing host: the one with the most VMs; the cases use VMs on
	// other hosts.
	byHost := map[string][]string{}
	for _, v := range vms.VMs {
		if !v.IsTemplate {
			byHost[v.HostID] = append(byHost[v.HostID], v.ID)
		}
	}
	var c powerCases
	for h, ids := range byHost {
		if len(ids) > len(byHost[c.host]) {
			c.host = h
		}
	}
	var others []string
	for _, v := range vms.VMs {
		if !v.IsTemplate && v.HostID != c.host {
			others = append(others, v.ID)
		}
	}
	if len(others) < 6 {
		t.Fatalf("%d VMs off the failing host, want 6", len(others))
	}
	for _, id := range append(slices.Clone(others[:6]), byHost[c.host]...) {
		_ = e.sim.PowerOn(ctx, id) // fails for a VM already on
	}
	e.advance(time.Minute)
	e.capture() // everything on
	c.user, c.guest, c.noUser, c.haReset, c.failover, c.silent = others[0], others[1], others[2], others[3], others[4], others[5]
	e.must(capturetest.UserPowerOff(ctx, e.sim, c.user))
	e.must(capturetest.GuestShutdown(ctx, e.sim, c.guest))
	e.must(capturetest.NoUserPowerOff(ctx, e.sim, c.noUser))
	e.must(capturetest.HAEvent(ctx, e.sim, c.haReset, capturetest.HAReset))
	e.must(capturetest.HAEvent(ctx, e.sim, c.failover, capturetest.HAFailoverFailed))
	e.must(e.sim.SetVMPowerState(c.silent, "poweredOff")) // no event at all
	c.hostVMs, err = capturetest.HostFailure(ctx, e.sim, c.host)
	e.must(err)
	slices.Sort(c.hostVMs)
	return c
}

func TestVMPoweredOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 30, Templates: -1}, alert.Options{})
	ctx := context.Background()
	// The first capture is an hour before the wall clock: vcsim stamps
	// events with the wall clock, and the capture that sees the power-offs
	// runs at it.
	e.advance(-time.Hour)
	e.capture()
	c := producePowerCases(t, e)
	e.advance(time.Hour - time.Minute)
	e.capture()
	r := rule("vm-off", inventory.RuleVMPoweredOff)
	e.run(r)

	open := map[string]string{}
	for _, a := range e.alerts(r.ID) {
		if a.State == inventory.AlertOpen {
			open[a.EntityID] = a.Summary
		}
	}
	if _, ok := open[c.user]; ok {
		t.Errorf("a user's power-off alerted: %s", open[c.user])
	}
	want := map[string]string{
		c.guest:    "powered off by the guest OS (VmGuestShutdownEvent at ",
		c.noUser:   "powered off with no user recorded (VmPoweredOffEvent at ",
		c.haReset:  "reset by vSphere HA (VmDasBeingResetEvent at ",
		c.failover: "vSphere HA failed to fail it over (VmFailoverFailed at ",
		c.silent:   "powered off; no vCenter event explains it",
	}
	for _, id := range c.hostVMs {
		want[id] = "powered off by a failure of its host " + c.host + " (a host failure event at "
	}
	for id, sub := range want {
		if !contains(open[id], sub) {
			t.Errorf("VM %s: summary %q, want it to contain %q", id, open[id], sub)
		}
	}
	if len(open) != len(want) {
		t.Errorf("%d open alerts, want %d: %v", len(open), len(want), open)
	}
	// Powered on again: resolved. Still off: still open, not reclassified.
	e.must(e.sim.PowerOn(ctx, c.guest))
	e.advance(time.Hour)
	e.capture()
	res := e.run(r)
	if len(res.Changes) != 1 || res.Changes[0].Alert.EntityID != c.guest || res.Changes[0].To != inventory.AlertResolved {
		t.Fatalf("after power-on: %+v", res.Changes)
	}
	// Past the lookback, a VM powered off long ago raises nothing new.
	e2 := rule("vm-off-late", inventory.RuleVMPoweredOff)
	e.advance(alert.DefaultPowerOffLookback)
	e.run(r, e2)
	if got := e.active(e2.ID, inventory.AlertOpen); len(got) != 0 {
		t.Errorf("beyond the lookback: %v", got)
	}
}

// TestClassifyPowerOff classifies the vcsim events of each case, read
// back with vsphere.Source.PowerEvents.
func TestClassifyPowerOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 30, Templates: -1}, alert.Options{})
	e.capture()
	from := time.Now().UTC()
	c := producePowerCases(t, e)
	evs, err := e.src.PowerEvents(context.Background(), from.Add(-time.Second), time.Now().UTC().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	hostOf := func(id string) string {
		v, err := e.st.GetVM(context.Background(), &store.GetVMParams{Vcenter: vc, VMID: id})
		e.must(err)
		return v.HostID
	}
	for _, tc := range []struct {
		vm, cause string
		alert     bool
		kind      string
	}{
		{c.user, alert.CauseUser, false, inventory.PowerOffEvent},
		{c.guest, alert.CauseGuestShutdown, true, inventory.PowerGuestShutdown},
		{c.noUser, alert.CauseNoUser, true, inventory.PowerOffEvent},
		{c.haReset, alert.CauseHAReset, true, inventory.PowerHAReset},
		{c.failover, alert.CauseFailover, true, inventory.PowerFailover},
		{c.hostVMs[0], alert.CauseHostFailure, true, inventory.PowerHostFailure},
		{c.silent, alert.CauseNoEvent, true, ""},
	} {
		v := alert.ClassifyPowerOff(tc.vm, hostOf(tc.vm), evs)
		if v.Cause != tc.cause || v.Alert != tc.alert || (tc.kind == "") != (v.Event == nil) || (v.Event != nil && v.Event.Kind != tc.kind) {
			t.Errorf("VM %s: %+v, want cause %s alert %v event %s", tc.vm, v, tc.cause, tc.alert, tc.kind)
		}
	}
	if v := alert.ClassifyPowerOff(c.user, hostOf(c.user), evs); !contains(v.Summary, `powered off by user "`+e.sim.Username+`"`) {
		t.Errorf("user summary %q", v.Summary)
	}
	// A power-on after the failure makes older events irrelevant.
	on := inventory.PowerEvent{Vcenter: vc, Kind: inventory.PowerOnEvent, VMID: c.guest, Time: time.Now().UTC().Add(time.Minute)}
	off := inventory.PowerEvent{Vcenter: vc, Kind: inventory.PowerOffEvent, VMID: c.guest, User: "admin", Time: on.Time.Add(time.Minute)}
	if v := alert.ClassifyPowerOff(c.guest, "", append(slices.Clone(evs), on, off)); v.Cause != alert.CauseUser {
		t.Errorf("power-off by a user after a power-on: %+v", v)
	}
}

// TestVMPoweredOffWithoutSource: when an endpoint's power events cannot
// be read the rule is skipped there, not guessed.
func TestVMPoweredOffWithoutSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4, Templates: -1}, alert.Options{PowerEvents: alert.PowerEventSources{}})
	ctx := context.Background()
	id := e.sim.VMRefs()[0]
	_ = e.sim.PowerOn(ctx, id)
	e.advance(-time.Hour)
	e.capture()
	e.must(capturetest.NoUserPowerOff(ctx, e.sim, id))
	e.advance(time.Hour)
	e.capture()
	res := e.run(rule("vm-off", inventory.RuleVMPoweredOff))
	if len(res.Changes) != 0 || len(res.Skipped) != 1 || res.Skipped[0].Vcenter != vc || !contains(res.Skipped[0].Reason, "no power event source") {
		t.Fatalf("changes %+v, skipped %+v", res.Changes, res.Skipped)
	}
}

// countingEvents counts the reads of endpoints' power events.
type countingEvents struct {
	mu    sync.Mutex
	calls int
	inner alert.PowerEventSource
}

func (c *countingEvents) PowerEvents(ctx context.Context, vcenter string, from, to time.Time) ([]inventory.PowerEvent, error) {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.inner.PowerEvents(ctx, vcenter, from, to)
}

func (c *countingEvents) n() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// TestPowerOffVerdictsReused: a VM a user powered off raises nothing and
// stays off; once its event window is over its verdict is kept, so later
// evaluations do not read the endpoint's events again until it is powered
// off anew.
func TestPowerOffVerdictsReused(t *testing.T) {
	t.Parallel()
	cnt := &countingEvents{}
	e := newEnv(t, vcsim.Options{VMs: 6, Templates: -1}, alert.Options{PowerEvents: cnt})
	cnt.inner = alert.PowerEventSources{vc: e.src}
	ctx := context.Background()
	e.capture()
	vms, err := e.st.ListVMs(ctx, &store.ListVMsParams{Vcenter: vc})
	if err != nil {
		t.Fatal(err)
	}
	var vm string
	for _, v := range vms.VMs {
		if v.PowerState == inventory.PoweredOn {
			vm = v.ID
			break
		}
	}
	if vm == "" {
		t.Fatal("no powered-on VM")
	}
	e.must(capturetest.UserPowerOff(ctx, e.sim, vm))
	e.advance(time.Minute)
	e.capture()
	r := rule("vm-off", inventory.RuleVMPoweredOff)
	e.run(r)
	if got := cnt.n(); got != 1 {
		t.Fatalf("first evaluation read power events %d times, want 1", got)
	}
	// Within the event window the verdict may still change: read again.
	e.run(r)
	if got := cnt.n(); got != 2 {
		t.Fatalf("second evaluation inside the window read %d times in all, want 2", got)
	}
	e.advance(alert.DefaultPowerEventWindow + time.Minute)
	e.run(r) // the window is over: read once more, then kept
	e.run(r)
	e.run(r)
	if got := cnt.n(); got != 3 {
		t.Errorf("after the window: %d reads in all, want 3 (the verdict reused)", got)
	}
	if got := e.active(r.ID, inventory.AlertOpen); len(got) != 0 {
		t.Errorf("a user's power-off alerted: %v", got)
	}
	// Powered on and off again: a new power-off is classified anew.
	e.must(e.sim.PowerOn(ctx, vm))
	e.advance(time.Minute)
	e.capture()
	e.must(capturetest.GuestShutdown(ctx, e.sim, vm))
	e.advance(time.Minute)
	e.capture()
	e.run(r)
	if got := cnt.n(); got != 4 {
		t.Errorf("a new power-off: %d reads in all, want 4", got)
	}
	if got := e.active(r.ID, inventory.AlertOpen); len(got) != 1 {
		t.Errorf("a guest shutdown after the user's power-off: %d open alerts, want 1", len(got))
	}
}
