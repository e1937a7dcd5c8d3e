package vsphere_test

import (
	"context"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
	"github.com/accessvault/vinventory/inventory"
)

// TestPowerEvents produces each power-off case on a simulator and reads
// it back: the kinds, users, VM and host ids and the endpoint name.
func TestPowerEvents(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 8, Templates: -1})
	src, _ := open(t, sim, vsphere.Options{PageSize: 2})
	ctx := context.Background()

	on := onVMs(t, sim, 5)
	t0 := time.Now().UTC()
	steps := []func() error{
		func() error { return capturetest.UserPowerOff(ctx, sim, on[0]) },
		func() error { return capturetest.GuestShutdown(ctx, sim, on[1]) },
		func() error { return capturetest.NoUserPowerOff(ctx, sim, on[2]) },
		func() error { return capturetest.HAEvent(ctx, sim, on[3], capturetest.HAReset) },
		func() error { return capturetest.HAEvent(ctx, sim, on[4], capturetest.HAFailoverFailed) },
		func() error { return sim.PowerOn(ctx, on[0]) },
	}
	for i, f := range steps {
		if err := f(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	host := hostOf(t, sim)
	if _, err := capturetest.HostFailure(ctx, sim, host); err != nil {
		t.Fatal(err)
	}
	t1 := time.Now().UTC().Add(time.Second)

	evs, err := src.PowerEvents(ctx, t0, t1)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct{ kind, vm, user string }
	var got []ev
	var hostEv *inventory.PowerEvent
	for i := range evs {
		e := &evs[i]
		if e.Vcenter != "vc1" || e.Key == 0 || e.Time.Location() != time.UTC || e.Time.Before(t0) || !e.Time.Before(t1) {
			t.Errorf("event %+v: want vcenter vc1, a key, a UTC time in the window", e)
		}
		if e.Kind == inventory.PowerHostFailure {
			hostEv = e
			continue
		}
		got = append(got, ev{e.Kind, e.VMID, e.User})
	}
	u := sim.Username
	want := []ev{
		{inventory.PowerOffEvent, on[0], u},
		{inventory.PowerGuestShutdown, on[1], u},
		{inventory.PowerOffEvent, on[1], u},
		{inventory.PowerOffEvent, on[2], ""},
		{inventory.PowerHAReset, on[3], ""},
		{inventory.PowerFailover, on[4], ""},
		{inventory.PowerOnEvent, on[0], u},
	}
	if len(got) != len(want) {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if hostEv == nil || hostEv.HostID != sim.Hosts()[host] || hostEv.User != "" {
		t.Errorf("host failure event %+v, want host %s with no user", hostEv, sim.Hosts()[host])
	}
	if evs, err := src.PowerEvents(ctx, t1, t1.Add(time.Hour)); err != nil || len(evs) != 0 {
		t.Errorf("after the window: %v, %v", evs, err)
	}
}

// onVMs returns n VMs of sim, powered on.
func onVMs(t *testing.T, sim *vcsim.Sim, n int) []string {
	t.Helper()
	refs := sim.VMRefs()
	if len(refs) < n {
		t.Fatalf("%d VMs, want %d", len(refs), n)
	}
	for _, r := range refs[:n] {
		_ = sim.PowerOn(context.Background(), r) // fails for a VM already on
	}
	return refs[:n]
}

// hostOf returns the name of a host of sim.
func hostOf(t *testing.T, sim *vcsim.Sim) string {
	t.Helper()
	for name := range sim.Hosts() {
		return name
	}
	t.Fatal("no host")
	return ""
}
