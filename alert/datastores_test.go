package alert_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/accessvault/vinventory/alert"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
)

// setUsed sets a datastore's free space in the simulator so that it is
// pct percent used.
func (e *env) setUsed(d inventory.Datastore, pct float64) {
	e.t.Helper()
	capBytes := d.CapacityGB * (1 << 30)
	free := int64(math.Round(capBytes * (100 - pct) / 100))
	e.must(e.sim.SetProperty("Datastore", d.ID, "summary.freeSpace", free))
	e.advance(time.Hour)
	e.capture()
}

func TestDatastoreUsedPctHysteresis(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4}, alert.Options{})
	r := rule("ds-used", inventory.RuleDatastoreUsedPct)
	r.Threshold, r.Clear = 85, 80
	e.capture()
	ds := e.datastores()
	d := ds[0]
	for _, o := range ds {
		e.setUsed(o, 50)
	}
	steps := []struct {
		used float64
		want []string // open alerts after the step
	}{
		{84.9, nil},          // below the threshold
		{85, []string{d.ID}}, // raise at 85
		{82, []string{d.ID}}, // in the band: stays open
		{80, []string{d.ID}}, // at Clear: still holds
		{79.5, nil},          // below Clear: resolved
		{83, nil},            // in the band without an alert: nothing
		{91, []string{d.ID}}, // raises again
	}
	for i, s := range steps {
		e.setUsed(d, s.used)
		e.run(r)
		if got := e.active(r.ID, inventory.AlertOpen); !slices.Equal(got, s.want) {
			t.Fatalf("step %d (%v%% used): open %v, want %v", i, s.used, got, s.want)
		}
	}
	a := e.alerts(r.ID)
	last := a[len(a)-1]
	if last.Value != 91 || !contains(last.Summary, "is 91.0% used (raise at 85%, clear below 80%)") {
		t.Errorf("alert %+v", last)
	}
	if len(a) != 2 || a[0].State != inventory.AlertResolved {
		t.Errorf("alerts %+v, want the resolved one and a new one (resolved hours ago, past the flap window)", a)
	}
}

func TestDatastoreFreeGB(t *testing.T) {
	t.Parallel()
	e := newEnv(t, vcsim.Options{VMs: 4}, alert.Options{})
	e.capture()
	d := e.datastores()[0]
	setFree := func(gb float64) {
		e.must(e.sim.SetProperty("Datastore", d.ID, "summary.freeSpace", int64(gb*(1<<30))))
		e.advance(time.Hour)
		e.capture()
	}
	r := rule("ds-free", inventory.RuleDatastoreFreeGB)
	r.Threshold, r.Clear = 10, 20
	r.Scope = inventory.AlertScope{Name: "^" + d.Name + "$"}
	for i, s := range []struct {
		free float64
		want []string
	}{{10, nil}, {9.5, []string{d.ID}}, {15, []string{d.ID}}, {20, []string{d.ID}}, {20.5, nil}, {12, nil}} {
		setFree(s.free)
		e.run(r)
		if got := e.active(r.ID, inventory.AlertOpen); !slices.Equal(got, s.want) {
			t.Fatalf("step %d (%v GB free): open %v, want %v", i, s.free, got, s.want)
		}
	}
	// Scope: a rule naming another datastore does not fire for this one.
	setFree(1)
	other := r
	other.ID, other.Scope = "ds-free-other", inventory.AlertScope{Name: "^no-such-datastore$"}
	e.run(other)
	if got := e.active(other.ID, inventory.AlertOpen); len(got) != 0 {
		t.Errorf("out of scope: %v", got)
	}
	scoped := r
	scoped.ID, scoped.Scope = "ds-free-vc", inventory.AlertScope{Vcenters: []string{"vc2"}}
	e.run(scoped)
	if got := e.active(scoped.ID, inventory.AlertOpen); len(got) != 0 {
		t.Errorf("other vCenter scope: %v", got)
	}
}
