package vsphere_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/capture/vsphere"
)

func TestEvents(t *testing.T) {
	t.Parallel()
	sim := newSim(t, vcsim.Options{VMs: 4, Templates: -1})
	src, _ := open(t, sim, vsphere.Options{PageSize: 2}) // several ReadNextEvents pages
	ctx := context.Background()

	t0 := time.Now().UTC()
	ids := map[string]string{}
	for _, name := range []string{"ev-a", "ev-b", "ev-c"} {
		id, err := sim.CreateVM(ctx, vcsim.VMSpec{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	for _, name := range []string{"ev-a", "ev-b"} {
		if err := sim.DestroyVM(ctx, ids[name]); err != nil {
			t.Fatal(err)
		}
	}
	t1 := time.Now().UTC().Add(time.Millisecond)

	evs, err := src.Events(ctx, t0, t1)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct{ kind, id, name string }
	var got []ev
	for i, e := range evs {
		if e.Time.Before(t0) || !e.Time.Before(t1) || e.Time.Location() != time.UTC || e.Key == 0 {
			t.Errorf("event %+v outside [%v, %v) or not UTC", e, t0, t1)
		}
		if i > 0 && e.Time.Before(evs[i-1].Time) {
			t.Errorf("events not oldest first: %v after %v", e.Time, evs[i-1].Time)
		}
		got = append(got, ev{e.Kind, e.VMID, e.VMName})
	}
	want := []ev{
		{capture.VMEventCreated, ids["ev-a"], "ev-a"},
		{capture.VMEventCreated, ids["ev-b"], "ev-b"},
		{capture.VMEventCreated, ids["ev-c"], "ev-c"},
		{capture.VMEventRemoved, ids["ev-a"], "ev-a"},
		{capture.VMEventRemoved, ids["ev-b"], "ev-b"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events in window:\n got %v\nwant %v", got, want)
	}
	if !evs[0].IsCreation() || evs[3].IsCreation() {
		t.Error("IsCreation does not match the kinds")
	}

	// Before the window: the initial VMs' creations, none of these.
	before, err := src.Events(ctx, t0.Add(-time.Hour), t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 4 {
		t.Errorf("%d events before the window, want the 4 initial creations", len(before))
	}
	for _, e := range before {
		if strings.HasPrefix(e.VMName, "ev-") {
			t.Errorf("event %+v is outside its window", e)
		}
	}
	// After the window: nothing.
	if after, err := src.Events(ctx, t1, t1.Add(time.Hour)); err != nil || len(after) != 0 {
		t.Fatalf("events after the window: %v, %v", after, err)
	}

	// Collectors are destroyed: vcsim allows 32 at a time.
	for range 40 {
		if _, err := src.Events(ctx, t0, t1); err != nil {
			t.Fatalf("repeated Events: %v", err)
		}
	}
}
