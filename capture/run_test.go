package capture_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accessvault/vinventory/capture"
	"github.com/accessvault/vinventory/internal/testbackends"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// flaky wraps a scripted source so Retrieve fails the first n calls.
type flaky struct {
	*scripted
	mu       sync.Mutex
	failures int
	calls    int
}

var errEndpointDown = errors.New("endpoint down")

func (f *flaky) Retrieve(ctx context.Context) (*inventory.State, error) {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.failures
	f.mu.Unlock()
	if fail {
		return nil, errEndpointDown
	}
	return f.scripted.Retrieve(ctx)
}

func TestRunRetriesAndIsolatesEndpoints(t *testing.T) {
	testbackends.ForEach(t, func(t *testing.T, st store.Store) {
		ctx := context.Background()
		s := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		mk := func(name string, n, failures int) *flaky {
			src := &scripted{name: name, vms: map[string]inventory.VM{}}
			for i := 0; i < n; i++ {
				v := vm(fmt.Sprintf("vm-%d", i), i)
				v.Vcenter = name
				src.vms[v.ID] = v
			}
			return &flaky{scripted: src, failures: failures}
		}
		good, retried, dead := mk("vc-good", 5, 0), mk("vc-retried", 3, 2), mk("vc-dead", 4, 99)
		var sleeps []time.Duration
		var mu sync.Mutex
		targets := []capture.Target{}
		for _, f := range []*flaky{good, retried, dead} {
			targets = append(targets, capture.Target{Endpoint: f.Endpoint(),
				Open: func(context.Context) (capture.Source, error) { return f, nil }})
		}
		results, err := capture.Run(ctx, st, targets, capture.RunOptions{
			Concurrency: 2, Attempts: 3, Backoff: time.Second,
			Capture: capture.Options{SnapshotTime: s},
			Sleep: func(_ context.Context, d time.Duration) error {
				mu.Lock()
				sleeps = append(sleeps, d)
				mu.Unlock()
				return nil
			},
		})
		if err == nil || !errors.Is(err, errEndpointDown) || !strings.Contains(err.Error(), "vc-dead") {
			t.Fatalf("want the dead endpoint's error, got %v", err)
		}
		if results[0].Err != nil || results[1].Err != nil || results[2].Err == nil {
			t.Fatalf("results: %+v", results)
		}
		if results[1].Attempts != 3 || results[2].Attempts != 3 || results[0].Attempts != 1 {
			t.Fatalf("attempts = %d %d %d", results[0].Attempts, results[1].Attempts, results[2].Attempts)
		}
		var ce *capture.Error
		if !errors.As(results[2].Err, &ce) || ce.Stage != capture.StageRetrieve || ce.Endpoint != "vc-dead" {
			t.Fatalf("want a retrieve-stage *capture.Error, got %#v", results[2].Err)
		}
		// Backoff doubles: two retries per failing endpoint, 1s then 2s.
		counts := map[time.Duration]int{}
		for _, d := range sleeps {
			counts[d]++
		}
		if counts[time.Second] != 2 || counts[2*time.Second] != 2 || len(sleeps) != 4 {
			t.Fatalf("sleeps = %v", sleeps)
		}
		// The good and retried endpoints are stored; the dead one has nothing.
		for vc, want := range map[string]int{"vc-good": 5, "vc-retried": 3, "vc-dead": 0} {
			n := 0
			if err := st.ScanSamples(ctx, &store.ScanSamplesParams{Vcenter: vc}, func(*inventory.Sample) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
			recs, _ := st.ListSnapshots(ctx, &store.ListSnapshotsParams{Vcenter: vc})
			if n != want || (want > 0) != (len(recs) == 1) {
				t.Errorf("%s: %d samples, %d registry rows; want %d samples", vc, n, len(recs), want)
			}
		}
		status, err := st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{})
		if err != nil || len(status) != 3 {
			t.Fatalf("status: %v %v", status, err)
		}
		byName := map[string]inventory.CaptureStatus{}
		for _, s := range status {
			byName[s.Endpoint] = s
		}
		if g := byName["vc-good"]; g.LastError != "" || g.LastSuccess.IsZero() || g.Counts.VMs != 5 {
			t.Errorf("vc-good status %+v", g)
		}
		if d := byName["vc-dead"]; d.LastError == "" || !d.LastSuccess.IsZero() || d.ConsecutiveFailures != 1 {
			t.Errorf("vc-dead status %+v", d)
		}
	})
}
