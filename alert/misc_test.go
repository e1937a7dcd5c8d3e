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
	"github.com/accessvault/vinventory/store"
)

func TestSnapshotRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4, Templates: -1}, alert.Options{})
	ctx := context.Background()
	vm := e.sim.VMRefs()[0]
	snap, err := e.sim.CreateSnapshot(ctx, vm, "before upgrade", "", false, false)
	e.must(err)
	e.capture()
	age := rule("snap-age", inventory.RuleVMSnapshotAge)
	age.Threshold = 7
	size := rule("snap-size", inventory.RuleVMSnapshotSize)
	size.Threshold = 5
	e.run(age, size)
	if n := len(e.alerts(age.ID)) + len(e.alerts(size.ID)); n != 0 {
		t.Fatalf("a new, empty snapshot alerted (%d)", n)
	}
	e.advance(8 * 24 * time.Hour)
	// vcsim writes no delta disks: give the captured snapshot a size.
	d, err := e.st.ReadDetails(ctx, &store.ReadDetailsParams{Vcenter: vc})
	e.must(err)
	for i := range d.VMs {
		if d.VMs[i].VMID == vm {
			d.VMs[i].Snapshots[0].SizeMB = 6 * 1024
		}
	}
	e.must(e.st.WriteDetails(ctx, &store.WriteDetailsParams{Vcenter: vc, SnapshotTime: e.clock(), Details: *d}))
	e.run(age, size)
	if got := e.active(age.ID, inventory.AlertOpen); !slices.Equal(got, []string{vm}) {
		t.Fatalf("age: open %v", got)
	}
	if got := e.active(size.ID, inventory.AlertOpen); !slices.Equal(got, []string{vm}) {
		t.Fatalf("size: open %v", got)
	}
	if a := e.alerts(age.ID)[0]; a.Value < 8 || !contains(a.Summary, `"before upgrade"`) {
		t.Errorf("age alert %+v", a)
	}
	e.must(e.sim.RemoveSnapshot(ctx, vm, snap, false))
	e.advance(time.Hour)
	e.capture()
	e.run(age, size)
	if got := append(e.active(age.ID, inventory.AlertResolved), e.active(size.ID, inventory.AlertResolved)...); len(got) != 2 {
		t.Fatalf("after removal: resolved %v", got)
	}
}

func TestCaptureFailingAndStale(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 2}, alert.Options{})
	ctx := context.Background()
	failing := rule("capture-failing", inventory.RuleCaptureFailing)
	failing.Threshold = 3
	stale := rule("stale", inventory.RuleDataStale)
	stale.Duration = 2 * time.Hour
	// Never captured: stale counts from when the endpoint was added.
	e.advance(time.Hour)
	e.run(failing, stale)
	if n := len(e.alerts(stale.ID)); n != 0 {
		t.Fatalf("stale after 1h: %d alerts", n)
	}
	e.advance(time.Hour)
	e.run(failing, stale)
	if a := e.alerts(stale.ID); len(a) != 1 || a[0].State != inventory.AlertOpen || a[0].EntityType != inventory.EntityEndpoint || !contains(a[0].Summary, "never captured") {
		t.Fatalf("never captured: %+v", a)
	}
	e.capture()
	e.run(failing, stale)
	if got := e.active(stale.ID, inventory.AlertResolved); !slices.Equal(got, []string{vc}) {
		t.Fatalf("captured: resolved %v", got)
	}
	last := e.clock()
	for i := 1; i <= 3; i++ {
		e.advance(time.Hour)
		e.must(e.st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: vc,
			LastAttempt: e.clock(), LastSuccess: last, LastError: "connection refused", ConsecutiveFailures: i}}))
		e.run(failing, stale)
		want := []string(nil)
		if i == 3 {
			want = []string{vc}
		}
		if got := e.active(failing.ID, inventory.AlertOpen); !slices.Equal(got, want) {
			t.Fatalf("%d failures: open %v, want %v", i, got, want)
		}
	}
	if got := e.active(stale.ID, inventory.AlertOpen); !slices.Equal(got, []string{vc}) {
		t.Fatalf("3h without success: stale open %v", got)
	}
	e.advance(time.Hour)
	e.capture()
	e.run(failing, stale)
	if got := e.active(failing.ID, inventory.AlertOpen); len(got) != 0 {
		t.Fatalf("after a success: failing still open")
	}
}

// TestFlapping toggles a host's connection every few minutes: the same
// alert reopens, and from FlapLimit on it notifies nothing.
func TestFlapping(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 2}, alert.Options{FlapLimit: 3, FlapWindow: 30 * time.Minute})
	ctx := context.Background()
	_, err := e.st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "ops", Kind: inventory.ChannelWebhook,
		Enabled: true, URL: "https://hooks.example/alerts"}})
	e.must(err)
	_, err = e.st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "pager", Kind: inventory.ChannelWebhook,
		Enabled: true, URL: "https://pager.example/", MinSeverity: inventory.SeverityCritical}})
	e.must(err)
	r := rule("host-down", inventory.RuleHostDisconnected)
	r.Channels = []string{"ops", "pager", "missing"}
	_, err = e.st.PutAlertRule(ctx, &store.PutAlertRuleParams{Rule: r})
	e.must(err)
	e.capture()
	h := e.hosts()[0]
	for i := range 6 {
		e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateNotResponding))
		e.advance(2 * time.Minute)
		e.capture()
		e.run()
		e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateConnected))
		e.advance(2 * time.Minute)
		e.capture()
		e.run()
		if a := e.alerts(r.ID); len(a) != 1 || a[0].Flaps != i {
			t.Fatalf("cycle %d: alerts %+v, want one with %d flaps", i, a, i)
		}
	}
	a := e.alerts(r.ID)[0]
	if !a.Flapping {
		t.Errorf("alert %+v is not flapping", a)
	}
	var opened, resolved int
	for _, n := range e.notifications() {
		switch n {
		case "opened ops " + h.ID:
			opened++
		case "resolved ops " + h.ID:
			resolved++
		default:
			t.Errorf("notification %q (pager's MinSeverity is critical, the rule warning)", n)
		}
	}
	if opened != 3 || resolved != 3 {
		t.Errorf("%d opened and %d resolved notifications, want FlapLimit=3 of each", opened, resolved)
	}
	// Disconnected for good: once it stayed open for the flap window it
	// notifies again.
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateNotResponding))
	e.advance(time.Minute)
	e.capture()
	e.run()
	before := len(e.notifications())
	e.advance(29 * time.Minute)
	e.run()
	if n := len(e.notifications()); n != before {
		t.Fatalf("notified while still flapping")
	}
	e.advance(time.Minute)
	e.run()
	if a := e.alerts(r.ID)[0]; a.Flapping || a.State != inventory.AlertOpen {
		t.Errorf("quiet for the window: %+v", a)
	}
	if ns := e.notifications(); len(ns) != before+1 || ns[len(ns)-1] != "opened ops "+h.ID {
		t.Errorf("notifications %v, want one more opened", ns)
	}
	// Past the flap window, a new episode is a new alert.
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateConnected))
	e.advance(time.Minute)
	e.capture()
	e.run()
	e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateNotResponding))
	e.advance(31 * time.Minute)
	e.capture()
	e.run()
	if a := e.alerts(r.ID); len(a) != 2 || a[1].Flaps != 0 || a[1].State != inventory.AlertOpen {
		t.Errorf("after the window: %+v", a)
	}
}

func TestSilence(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 2}, alert.Options{})
	ctx := context.Background()
	_, err := e.st.PutAlertChannel(ctx, &store.PutAlertChannelParams{Channel: inventory.AlertChannel{Name: "ops", Kind: inventory.ChannelWebhook,
		Enabled: true, URL: "https://hooks.example/alerts"}})
	e.must(err)
	r := rule("host-down", inventory.RuleHostDisconnected)
	r.Channels = []string{"ops"}
	e.capture()
	hs := e.hosts()
	muted, loud := hs[0], hs[1]
	_, err = e.st.CreateSilence(ctx, &store.CreateSilenceParams{Silence: inventory.Silence{RuleID: r.ID, Vcenter: vc,
		EntityType: inventory.EntityHost, EntityID: muted.ID, Until: e.clock().Add(2 * time.Hour), Comment: "<script>maintenance</script>"}})
	e.must(err)
	for _, h := range hs[:2] {
		e.must(e.sim.SetHostConnectionState(h.ID, types.HostSystemConnectionStateDisconnected))
	}
	e.advance(time.Minute)
	e.capture()
	e.run(r)
	if got := e.active(r.ID, inventory.AlertOpen); len(got) != 2 {
		t.Fatalf("open %v, want both hosts (silences mute, they do not hide)", got)
	}
	for _, a := range e.alerts(r.ID) {
		if a.Silenced != (a.EntityID == muted.ID) {
			t.Errorf("alert %s silenced %v", a.EntityID, a.Silenced)
		}
	}
	if ns := e.notifications(); !slices.Equal(ns, []string{"opened ops " + loud.ID}) {
		t.Errorf("notifications %v, want only the loud host's", ns)
	}
	// The silence ends: the flag clears.
	e.advance(2 * time.Hour)
	e.run(r)
	for _, a := range e.alerts(r.ID) {
		if a.Silenced {
			t.Errorf("alert %s still silenced after the silence ended", a.EntityID)
		}
	}
}
