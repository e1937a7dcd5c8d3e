package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// runs returns the latest run of every key in s's river table.
func runs(t testing.TB, s *Scheduler) map[string]Run {
	t.Helper()
	hist, err := s.History(context.Background(), "", 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Run{}
	for _, r := range hist {
		k := r.Job + ":" + r.Period
		if _, ok := out[k]; !ok {
			out[k] = r
		}
	}
	return out
}

// recorder notes every call of a job function, in call order.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// TestCatchUpDue: a daily job whose Due returns every completed day lacking a
// rollup; after the clock jumps 3 days exactly the missing days run, oldest
// first, once each.
func TestCatchUpDue(t *testing.T) {
	ctx := context.Background()
	clock := NewManualClock(utc("2026-11-20T00:30:00Z"))
	firstDay := utc("2026-11-19T00:00:00Z")
	var mu sync.Mutex
	rolled := map[string]bool{} // the "store": days that have a rollup
	rec := &recorder{}
	daily := Job{
		Name:     "daily",
		Schedule: Daily{At: "00:15"},
		Due: func(ctx context.Context, now time.Time) ([]Period, error) {
			mu.Lock()
			defer mu.Unlock()
			var out []Period
			today := DayPeriod(now, time.UTC).Start
			for d := firstDay; d.Before(today); d = d.AddDate(0, 0, 1) {
				if p := DayPeriod(d, time.UTC); !rolled[p.Key] {
					out = append(out, p)
				}
			}
			slices.Reverse(out) // the scheduler must order them itself
			return out, nil
		},
		Run: func(ctx context.Context, p Period) error {
			rec.add(p.Key)
			mu.Lock()
			rolled[p.Key] = true
			mu.Unlock()
			return nil
		},
	}
	s, err := New(sqliteBackend(t), []Job{daily}, Options{Clock: clock, Concurrency: 1, FetchInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rec.list(); !slices.Equal(got, []string{"2026-11-19"}) {
		t.Fatalf("first tick ran %v", got)
	}
	clock.Advance(72 * time.Hour) // down three days
	if err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("after the gap ran %v, want %v", got, want)
	}
	for range 3 {
		clock.Advance(time.Minute)
		if err := s.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("later ticks ran again: %v", got)
	}
	table := runs(t, s)
	for _, d := range want {
		if r := table["daily:"+d]; r.State != "completed" || r.Attempts != 1 {
			t.Errorf("run daily:%s = %+v", d, r)
		}
	}
	if len(table) != len(want) {
		t.Errorf("river holds %d runs, want %d", len(table), len(want))
	}
	js := s.Status().Jobs[0]
	if js.Runs != 4 || js.Failures != 0 || js.LastSuccessKey != "daily:2026-11-22" || !js.NextRun.Equal(utc("2026-11-24T00:15:00Z")) {
		t.Errorf("status = %+v", js)
	}
}

// TestCatchUpScheduleDurable: with CatchUp and river's tables in SQLite, a
// restarted scheduler runs exactly the daily slots missed while it was
// down, oldest first, and never a period done before the restart.
func TestCatchUpScheduleDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	clock := NewManualClock(utc("2026-11-20T01:00:00Z"))
	rec := &recorder{}
	job := Job{Name: "daily", Schedule: Daily{At: "00:30"}, CatchUp: 7 * 24 * time.Hour,
		Run: func(ctx context.Context, p Period) error { rec.add(p.Key); return nil }}
	start := func() *Scheduler {
		s, err := New(sqliteBackendAt(t, path), []Job{job}, Options{Clock: clock, Concurrency: 1, Owner: "node"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// First life: the window reaches back 7 days.
	if err := start().RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	first := rec.list()
	// Slots in [11-13 01:00, 11-20 01:00]: 11-14 00:30 .. 11-20 00:30, standing for 11-13 .. 11-19.
	want := []string{"2026-11-13", "2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19"}
	if !slices.Equal(first, want) {
		t.Fatalf("first start ran %v, want %v", first, want)
	}
	// Down three days, then a new process on the same file.
	clock.Advance(72 * time.Hour)
	if err := start().RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	got := rec.list()[len(first):]
	if !slices.Equal(got, []string{"2026-11-20", "2026-11-21", "2026-11-22"}) {
		t.Fatalf("after restart ran %v, want the three missed days", got)
	}
}

// TestRetryBackoff: a failing run is retried after a back-off that
// doubles, then succeeds and is not run again; RunOnce reports the run's
// own error.
func TestRetryBackoff(t *testing.T) {
	ctx := context.Background()
	clock := NewManualClock(utc("2026-11-22T13:10:00Z"))
	var mu sync.Mutex
	var calls []time.Time
	boom := errors.New("vcenter unreachable")
	var finished []error
	job := Job{Name: "capture:vc1", Schedule: Hourly{Minute: 5},
		Run: func(ctx context.Context, p Period) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, time.Now())
			if len(calls) <= 2 {
				return boom
			}
			return nil
		}}
	opts := quick(clock)
	opts.RetryBackoff, opts.MaxRetryBackoff = 300*time.Millisecond, 10*time.Second
	opts.Hooks.RunFinished = func(job, key string, took time.Duration, err error) {
		mu.Lock()
		finished = append(finished, err)
		mu.Unlock()
	}
	s, err := New(sqliteBackend(t), []Job{job}, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.RunOnce(ctx)
	var re *RunError
	if !errors.As(err, &re) || !errors.Is(err, boom) || re.Key != "capture:vc1:2026-11-22T13:00:00Z" {
		t.Fatalf("first failure error = %v", err)
	}
	stop := background(t, s)
	waitFor(t, "the third attempt", func() bool { return runs(t, s)["capture:vc1:2026-11-22T13:00:00Z"].State == "completed" })
	time.Sleep(500 * time.Millisecond) // a further run would show up by now
	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3", len(calls))
	}
	// River's retry times: 300ms after the first failure, 600ms after the
	// second (lower bounds; a slow machine only adds).
	if d := calls[1].Sub(calls[0]); d < 300*time.Millisecond {
		t.Errorf("first retry after %s, want >= 300ms", d)
	}
	if d := calls[2].Sub(calls[1]); d < 600*time.Millisecond {
		t.Errorf("second retry after %s, want >= 600ms (doubled)", d)
	}
	r := runs(t, s)["capture:vc1:2026-11-22T13:00:00Z"]
	if r.Attempts != 3 || len(r.Errors) != 2 || !strings.Contains(r.Errors[0], "vcenter unreachable") {
		t.Errorf("run = %+v", r)
	}
	js := s.Status().Jobs[0]
	if js.Runs != 3 || js.Failures != 2 || !strings.Contains(js.LastError, "vcenter unreachable") || js.LastSuccessKey != r.Job+":"+r.Period {
		t.Errorf("status = %+v", js)
	}
	if len(finished) != 3 || !errors.Is(finished[0], boom) || finished[2] != nil {
		t.Errorf("RunFinished hook saw %v", finished)
	}
}

func hasTimer(c *ManualClock, at time.Time) bool {
	return slices.ContainsFunc(c.Timers(), at.Equal)
}

// TestShutdown: on cancel no new run starts, an in-flight run keeps its
// context for ShutdownGrace, and past the grace it is cancelled, left not
// done, and runs again later.
func TestShutdown(t *testing.T) {
	const grace = 10 * time.Minute
	for _, finishInGrace := range []bool{true, false} {
		t.Run(fmt.Sprintf("finish in grace %v", finishInGrace), func(t *testing.T) {
			clock := NewManualClock(utc("2026-11-22T13:10:00Z"))
			b := sqliteBackend(t)
			started := make(chan context.Context, 1)
			release := make(chan struct{})
			rec := &recorder{}
			slow := Job{Name: "slow", Schedule: Hourly{},
				Run: func(ctx context.Context, p Period) error {
					rec.add("slow")
					started <- ctx
					select {
					case <-release:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				}}
			other := Job{Name: "other", Schedule: Hourly{},
				Run: func(ctx context.Context, p Period) error { rec.add("other"); return nil }}
			opts := quick(clock)
			opts.Concurrency, opts.ShutdownGrace, opts.PollInterval = 1, grace, time.Minute
			s, err := New(b, []Job{slow, other}, opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan error)
			go func() { ran <- s.Run(ctx) }()
			runCtx := <-started
			// The pass records the depth once its insert returns, which
			// may be after river has started the first run.
			waitFor(t, "the queue depth of the first pass (other waits)", func() bool { return s.Status().QueueDepth >= 1 })
			cancel()
			waitFor(t, "the grace timer", func() bool { return hasTimer(clock, clock.Now().Add(grace)) })
			if runCtx.Err() != nil {
				t.Fatal("in-flight run cancelled before the grace ran out")
			}
			if finishInGrace {
				close(release)
			} else {
				clock.Advance(grace)
			}
			if err := <-ran; err != nil {
				t.Fatalf("Run = %v", err)
			}
			if got := rec.list(); !slices.Equal(got, []string{"slow"}) {
				t.Fatalf("runs %v: nothing may start after cancel", got)
			}
			st := runs(t, s)["slow:2026-11-22T13:00:00Z"]
			if finishInGrace {
				if st.State != "completed" {
					t.Fatalf("run %+v, want completed", st)
				}
				return
			}
			// Cut short by the stop: back in the queue (river counts no
			// attempt for a run its own shutdown cancelled).
			if runCtx.Err() == nil || (st.State != "retryable" && st.State != "available") {
				t.Fatalf("after grace: ctx err %v, run %+v", runCtx.Err(), st)
			}
			// A later scheduler over the same tables reruns it.
			close(release)
			s2, err := New(b, []Job{slow, other}, quick(clock))
			if err != nil {
				t.Fatal(err)
			}
			if err := s2.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			<-started
			st = runs(t, s2)["slow:2026-11-22T13:00:00Z"]
			if st.State != "completed" {
				t.Fatalf("rerun %+v", st)
			}
		})
	}
}

// TestRunLoopStaggeredHourly drives Run with a manual clock through three
// hours: each endpoint's capture runs once per hour at its staggered minute.
func TestRunLoopStaggeredHourly(t *testing.T) {
	clock := NewManualClock(utc("2026-11-22T12:59:00Z"))
	endpoints := []string{"vc-a", "vc-b", `vc "c" <b>=1+1</b> ☃`}
	offsets := Stagger(endpoints, 30*time.Minute)
	rec := &recorder{}
	var jobs []Job
	for _, ep := range endpoints {
		jobs = append(jobs, Job{Name: "capture:" + ep, Schedule: Hourly{Minute: 5, Offset: offsets[ep]},
			Run: func(ctx context.Context, p Period) error {
				rec.add(fmt.Sprintf("%s@%s %s", ep, clock.Now().Format("15:04"), p.Key))
				return nil
			}})
	}
	var depth []int
	var dmu sync.Mutex
	opts := quick(clock)
	opts.PollInterval = time.Minute
	opts.Hooks.QueueDepth = func(n int) { dmu.Lock(); depth = append(depth, n); dmu.Unlock() }
	s, err := New(sqliteBackend(t), jobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error)
	go func() { ran <- s.Run(ctx) }()
	// Idle: the loop waits for its next pass and every run it enqueued
	// has been worked.
	idle := func() bool {
		if !hasTimer(clock, clock.Now().Add(time.Minute)) || s.Status().InFlight > 0 {
			return false
		}
		for _, r := range runs(t, s) {
			if r.State != "completed" {
				return false
			}
		}
		return true
	}
	waitFor(t, "first tick", idle)
	before := len(rec.list()) // the 12:xx slots found on start
	for range 3 * 60 {
		clock.Advance(time.Minute)
		waitFor(t, "tick", idle)
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	got := rec.list()[before:]
	slices.Sort(got)
	var want []string
	for _, h := range []string{"13", "14", "15"} {
		for _, ep := range endpoints {
			at := utc("2026-11-22T" + h + ":05:00Z").Add(offsets[ep]).Format("15:04")
			want = append(want, fmt.Sprintf("%s@%s 2026-11-22T%s:00:00Z", ep, at, h))
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("runs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if before != 3 {
		t.Errorf("start-up ran %d of the 12:00 captures, want 3", before)
	}
	dmu.Lock()
	defer dmu.Unlock()
	if !slices.Contains(depth, 0) || slices.Max(depth) < 1 {
		t.Errorf("queue depth hook saw %v", depth)
	}
}

func TestNewValidates(t *testing.T) {
	b := sqliteBackend(t)
	run := func(context.Context, Period) error { return nil }
	cases := map[string][]Job{
		"no Name":              {{Schedule: Hourly{}, Run: run}},
		"listed twice":         {{Name: "a", Schedule: Hourly{}, Run: run}, {Name: "a", Schedule: Hourly{}, Run: run}},
		"no Run":               {{Name: "a", Schedule: Hourly{}}},
		"Timeout":              {{Name: "a", Schedule: Hourly{}, Timeout: -time.Second, Run: run}},
		"NUL":                  {{Name: "a\x00b", Schedule: Hourly{}, Run: run}},
		"Minute 60 is outside": {{Name: "a", Schedule: Hourly{Minute: 60}, Run: run}},
		"CatchUp":              {{Name: "a", Schedule: Hourly{}, CatchUp: -time.Hour, Run: run}},
	}
	for want, jobs := range cases {
		_, err := New(b, jobs, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	one := []Job{{Name: "a", Schedule: Hourly{}, Run: run}}
	for want, o := range map[string]Options{
		"Concurrency":   {Concurrency: -1},
		"FetchInterval": {FetchInterval: 10 * time.Millisecond},
		"RescueAfter":   {Timeout: time.Hour, RescueAfter: 30 * time.Minute},
		"MaxAttempts":   {MaxAttempts: -1},
	} {
		if _, err := New(b, one, o); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v", want, err)
		}
	}
	if _, err := New(Backend{}, one, Options{}); err == nil {
		t.Error("zero Backend accepted")
	}
	if err := Migrate(context.Background(), Backend{}, nil); err == nil {
		t.Error("Migrate of a zero Backend accepted")
	}
}

// TestWindowAndDueErrors: a schedule-sourced run that keeps failing is given
// up once a newer slot replaces it (CatchUp 0), a Due error is reported and
// Due is asked again on the next tick, and Timeout cancels a slow run.
// RunOnce retries a failed run at once.
func TestWindowAndDueErrors(t *testing.T) {
	ctx := context.Background()
	clock := NewManualClock(utc("2026-11-22T13:10:00Z"))
	rec := &recorder{}
	dueCalls := 0
	jobs := []Job{
		{Name: "capture", Schedule: Hourly{Minute: 5}, Run: func(ctx context.Context, p Period) error {
			rec.add("capture " + p.Key)
			if p.Key == "2026-11-22T13:00:00Z" {
				return errors.New("down")
			}
			return nil
		}},
		{Name: "repair", Due: func(ctx context.Context, now time.Time) ([]Period, error) {
			dueCalls++
			if dueCalls == 1 {
				return nil, errors.New("store unavailable")
			}
			return []Period{DayPeriod(now, nil)}, nil
		}, Run: func(ctx context.Context, p Period) error { rec.add("repair " + p.Key); return nil }},
		{Name: "slow", Schedule: Every{Interval: time.Hour}, Timeout: 10 * time.Millisecond,
			Run: func(ctx context.Context, p Period) error {
				<-ctx.Done() // a run that only ends when cut off
				return ctx.Err()
			}},
	}
	opts := quick(clock)
	opts.Concurrency, opts.RetryBackoff, opts.MaxRetryBackoff = 1, time.Minute, time.Minute // river retries nothing by itself during the test
	s, err := New(sqliteBackend(t), jobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.RunOnce(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("RunOnce = %v, want the slow run's timeout among the errors", err)
	}
	st := s.Status()
	if !strings.Contains(st.Jobs[1].LastError, "store unavailable") || st.Jobs[2].Failures != 1 {
		t.Fatalf("status = %+v", st.Jobs)
	}
	clock.Advance(2 * time.Minute)
	s.RunOnce(ctx)
	clock.Advance(time.Hour) // 14:12: the 13:00 capture left the window
	s.RunOnce(ctx)
	want := []string{
		"capture 2026-11-22T13:00:00Z", // fails
		"capture 2026-11-22T13:00:00Z", // retried after the backoff, fails
		"repair 2026-11-22",            // Due asked again after its error
		"capture 2026-11-22T14:00:00Z", // the 13:00 run is given up
	}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("runs %q, want %q", got, want)
	}
	// River would retry the 13:00 capture after its back-off, but a
	// schedule-sourced run out of its window is cancelled instead of run
	// late (a capture at 14:xx stamped 13:05 would misdate the inventory).
	r := runs(t, s)["capture:2026-11-22T13:00:00Z"]
	if r.State != "retryable" {
		t.Fatalf("13:00 capture %+v, want waiting for a retry", r)
	}
	if _, err := s.c.JobRetry(ctx, r.ID); err != nil { // its back-off is over
		t.Fatal(err)
	}
	stop := background(t, s)
	waitFor(t, "the 13:00 capture to be given up", func() bool {
		return runs(t, s)["capture:2026-11-22T13:00:00Z"].State == "cancelled"
	})
	stop()
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("runs %q after the loop, want %q", got, want)
	}
}
