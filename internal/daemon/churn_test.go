package daemon

import (
	"context"
	"testing"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// TestChurnBlips: the demo's live changes never fail on a VM already in
// the power state a blip picked (the demo logged InvalidPowerState
// warnings when they did).
func TestChurnBlips(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 3, Templates: -1})
	c := newChurner(sim, 7)
	for i := range 40 {
		if vm, err := c.blip(context.Background()); err != nil {
			t.Fatalf("blip %d on %s: %v", i, vm, err)
		}
	}
}
