package vsphere

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
)

// TestWatchCancelDestroysCollector: ending Watch's context returns
// promptly (the pending wait is long) and the collector is gone
// afterwards.
func TestWatchCancelDestroysCollector(t *testing.T) {
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1})
	ctx := context.Background()
	src := newSimSource(t, sim)

	var (
		mu  sync.Mutex
		pcs []types.ManagedObjectReference
	)
	watchHook = func(pc types.ManagedObjectReference) {
		mu.Lock()
		pcs = append(pcs, pc)
		mu.Unlock()
	}
	defer func() { watchHook = nil }()

	rec := capturetest.NewWatchRecorder()
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- src.Watch(wctx, &capture.WatchSourceOptions{MaxWaitSeconds: 120}, rec.Record) }()
	rec.WaitFor(t, 0, 20*time.Second, capturetest.IsFull(capture.ResyncStart))
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Watch returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Watch did not return within 5s of the cancellation (its wait lasts 120s)")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pcs) != 1 {
		t.Fatalf("%d collectors created, want 1", len(pcs))
	}
	zero := int32(0)
	_, err := methods.WaitForUpdatesEx(ctx, src.raw, &types.WaitForUpdatesEx{This: pcs[0], Options: &types.WaitOptions{MaxWaitSeconds: &zero}})
	if !fault.Is(err, &types.ManagedObjectNotFound{}) {
		t.Fatalf("wait on the watch's collector after Watch returned: %v, want ManagedObjectNotFound", err)
	}
}
