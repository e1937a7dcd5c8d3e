package daemon

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/capture/capturetest"
	"github.com/accessvault/vinventory/capture/vcsim"
	"github.com/accessvault/vinventory/internal/jobs"
)

// TestOnDemandRepairRunsOnce: a repair enqueued twice while it waits runs
// once, with its progress on the run; a request with a bad flag is
// cancelled with the flag's error instead of retried; `jobs` lists both.
func TestOnDemandRepairRunsOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	sim := capturetest.NewSim(t, vcsim.Options{VMs: 4, Templates: -1, Password: "right-" + t.Name()})
	clock := jobs.NewManualClock(time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC))
	a, setPassword := simApp(t, dir, sim, clock)
	setPassword(sim.Password)
	targets, err := Targets(ctx, a.Store, a.Keyring, zap.NewNop(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for h := 1; h < 24; h += 6 {
		at := time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC)
		if _, err := a.Pipeline.RunHourly(ctx, targets, at); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	for _, args := range [][]string{
		{"repair", "-from", "2026-03-01"},
		{"repair", "-from", "2026-03-01"},
		{"repair", "-from", "March"},
	} {
		if err := enqueueCommand(ctx, a, args, &out); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.String(); strings.Count(got, "enqueued") != 2 || strings.Count(got, "not queued again") != 1 {
		t.Fatalf("enqueue output:\n%s", got)
	}
	if err := enqueueCommand(ctx, a, []string{"compact"}, &out); err == nil {
		t.Fatal("enqueue of an unknown command accepted")
	}

	sched, _, err := a.scheduler(ctx, runOptions{owner: "test", poll: time.Second, shutdownGrace: time.Second, concurrency: 2, jobTimeout: time.Hour}, NewMetrics(), zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- sched.Run(runCtx) }()
	var runs []jobs.Run
	deadline := time.Now().Add(time.Minute) // hang guard
	for {
		if runs, err = sched.History(ctx, "repair", 10); err != nil {
			t.Fatal(err)
		}
		ended := 0
		for _, r := range runs {
			if r.State == "completed" || r.State == "cancelled" {
				ended++
			}
		}
		if ended == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("repairs did not end: %+v", runs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("%d repair runs, want 2 (one per distinct request): %+v", len(runs), runs)
	}
	for _, r := range runs {
		switch r.Period {
		case "repair -from 2026-03-01":
			if r.State != "completed" || r.Attempts != 1 || r.Progress == nil || r.Progress.Total == 0 || r.Progress.Done != r.Progress.Total {
				t.Errorf("repair run %+v: want completed once with its progress", r)
			}
		case "repair -from March":
			if r.State != "cancelled" || r.Attempts != 1 || len(r.Errors) != 1 || !strings.Contains(r.Errors[0], `-from "March"`) {
				t.Errorf("bad request %+v: want cancelled after one attempt with the flag's error", r)
			}
		default:
			t.Errorf("unexpected run %+v", r)
		}
	}
	out.Reset()
	if err := jobsCommand(ctx, a, []string{"-job", "repair"}, &out); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "repair -from 2026-03-01") || !strings.Contains(got, "cancelled") {
		t.Errorf("jobs output:\n%s", got)
	}
}
