package capture

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/accessvault/vinventory/internal/ctxtime"
	"github.com/accessvault/vinventory/inventory"
	"github.com/accessvault/vinventory/store"
)

// RunStore is what Run needs of a store.
type RunStore interface {
	Writer
	ReconcileStore
	store.Endpoints
}

// Target is one endpoint to capture and how to open a Source for it.
type Target struct {
	Endpoint inventory.Endpoint
	// Open connects to the endpoint. It is called once per attempt; the
	// source is closed after the attempt.
	Open func(ctx context.Context) (Source, error)
}

// RunOptions configure Run.
type RunOptions struct {
	// Concurrency is how many endpoints are captured at once
	// (hourly_snapshot_concurrency). Defaults to 4.
	Concurrency int
	// Attempts per endpoint, first try included. Defaults to 3.
	Attempts int
	// Backoff before the second attempt; it doubles each retry. Defaults to
	// 2 seconds.
	Backoff time.Duration
	// MaxBackoff caps the backoff. Defaults to 1 minute.
	MaxBackoff time.Duration
	// Capture and Reconcile options apply to every endpoint. A zero
	// Capture.SnapshotTime means each endpoint's own start time.
	Capture   Options
	Reconcile ReconcileOptions
	// NoReconcile skips Reconcile.
	NoReconcile bool
	// Sleep waits between attempts. Defaults to a context-aware time.Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (o *RunOptions) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.Sleep == nil {
		o.Sleep = ctxtime.Sleep
	}
}

// EndpointResult is the outcome of one endpoint in a Run.
type EndpointResult struct {
	Endpoint  string
	Capture   *Result
	Reconcile *ReconcileResult
	// Attempts made (capture and reconcile attempts together).
	Attempts int
	Err      error
}

// Run captures and reconciles several endpoints with bounded concurrency.
// Each endpoint is retried with exponential backoff; one endpoint's failure
// never touches another's data. Every endpoint's capture status is recorded
// in the store. The returned error joins the failed endpoints' errors (nil
// when all succeeded); results are in the order of targets.
func Run(ctx context.Context, st RunStore, targets []Target, opts RunOptions) ([]EndpointResult, error) {
	opts.defaults()
	results := make([]EndpointResult, len(targets))
	sem := make(chan struct{}, opts.Concurrency)
	var wg sync.WaitGroup
	for i := range targets {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = EndpointResult{Endpoint: targets[i].Endpoint.Name, Err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			results[i] = runOne(ctx, st, targets[i], &opts)
		}(i)
	}
	wg.Wait()
	var errs []error
	for _, r := range results {
		if r.Err != nil {
			errs = append(errs, r.Err)
		}
	}
	return results, errors.Join(errs...)
}

func runOne(ctx context.Context, st RunStore, t Target, opts *RunOptions) EndpointResult {
	name := t.Endpoint.Name
	r := EndpointResult{Endpoint: name}
	started := opts.Capture.now()
	t0 := time.Now()
	retry := func(f func() error) error {
		backoff := opts.Backoff
		var err error
		for a := 0; a < opts.Attempts; a++ {
			if a > 0 {
				if serr := opts.Sleep(ctx, backoff); serr != nil {
					return errors.Join(err, serr)
				}
				backoff = min(backoff*2, opts.MaxBackoff)
			}
			r.Attempts++
			if err = f(); err == nil || !IsRetryable(err) {
				return err
			}
		}
		return err
	}
	withSource := func(f func(Source) error) error {
		src, err := t.Open(ctx)
		if err != nil {
			return fmt.Errorf("capture %s: connect: %w", name, err)
		}
		defer src.Close(context.WithoutCancel(ctx))
		return f(src)
	}
	r.Err = retry(func() error {
		return withSource(func(src Source) error {
			if r.Capture == nil {
				co := opts.Capture
				if co.Scope == nil {
					co.Scope = &t.Endpoint.Scope
				}
				res, err := Capture(ctx, st, src, co)
				if err != nil {
					return err
				}
				r.Capture = res
			}
			if opts.NoReconcile {
				return nil
			}
			// A reconcile failure keeps the stored snapshot; later attempts
			// retry only the reconcile.
			var err error
			r.Reconcile, err = Reconcile(ctx, st, src, r.Capture, opts.Reconcile)
			return err
		})
	})
	recordStatus(ctx, st, name, started, time.Since(t0), &r)
	return r
}

func recordStatus(ctx context.Context, st store.Endpoints, name string, start time.Time, took time.Duration, r *EndpointResult) {
	ctx = context.WithoutCancel(ctx)
	var status inventory.CaptureStatus
	if prev, err := st.ListCaptureStatus(ctx, &store.ListCaptureStatusParams{Endpoint: name}); err == nil && len(prev) == 1 {
		status = prev[0]
	}
	status.Endpoint = name
	status.LastAttempt = start
	status.LastDuration = took
	if r.Err == nil {
		status.LastSuccess = start
		status.LastError = ""
		status.ConsecutiveFailures = 0
		if r.Capture != nil {
			status.Counts = r.Capture.Counts
		}
	} else {
		status.LastError = r.Err.Error()
		status.ConsecutiveFailures++
	}
	if err := st.RecordCaptureStatus(ctx, &store.RecordCaptureStatusParams{Status: status}); err != nil && r.Err == nil {
		r.Err = fmt.Errorf("capture %s: record status: %w", name, err)
	}
}
