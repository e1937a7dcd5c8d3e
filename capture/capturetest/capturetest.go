package capturetest

import (
	"context"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
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

// Snapshot captures src into st at the snapshot time at, reconciles it
// and records the endpoint's capture status (a success that took took),
// as an hourly run does; it fails the test on any error and returns the
// capture's result.
func Snapshot(tb testing.TB, st store.Store, src capture.Source, at time.Time, took time.Duration) *capture.Result {
	tb.Helper()
	ctx := context.Background()
	res, err := capture.Capture(ctx, st, src, capture.Options{SnapshotTime: at})
	if err != nil {
		tb.Fatalf("capturetest.Snapshot: %v", err)
	}
	if _, err := capture.Reconcile(ctx, st, src, res, capture.ReconcileOptions{}); err != nil {
		tb.Fatalf("capturetest.Snapshot: reconcile: %v", err)
	}
	if err := st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: inventory.CaptureStatus{Endpoint: src.Endpoint().Name,
		LastAttempt: at, LastSuccess: at, LastDuration: took, Counts: res.Counts}}); err != nil {
		tb.Fatalf("capturetest.Snapshot: record status: %v", err)
	}
	return res
}
