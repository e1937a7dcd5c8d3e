package capturetest

import (
	"context"
	"testing"

	"github.com/accessvault/vinventory/capture/vcsim"
)

// NewSim starts a vcsim.Sim for a test or benchmark and closes it when the
// test ends. It fails the test if the simulator cannot be built.
func NewSim(t testing.TB, opts vcsim.Options) *vcsim.Sim {
	t.Helper()
	s, err := vcsim.Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("capturetest.NewSim: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}
