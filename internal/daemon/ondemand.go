package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/accessvault/vinventory/internal/jobs"
)

// onDemandCommands are the maintenance commands that also run as on-demand
// jobs: `vinventoryd enqueue COMMAND [flags]` queues one for whichever
// replica is free, and the job runs the command as the CLI would.
var onDemandCommands = []string{"backfill", "repair", "rebuild", "regenerate-reports", "rotate-keys"}

// runCommand runs a maintenance command with args, writing its output to w.
func (a *App) runCommand(ctx context.Context, cmd string, args []string, w io.Writer) error {
	switch cmd {
	case "backfill", "repair", "rebuild":
		return runBackfill(ctx, a, cmd, args, w)
	case "regenerate-reports":
		return regenerateReports(ctx, a, args, w)
	case "rotate-keys":
		if len(args) > 0 {
			return usageError{fmt.Errorf("rotate-keys takes no arguments, got %q", args)}
		}
		return rotateKeys(ctx, a, w)
	}
	return usageError{fmt.Errorf("%q is not an on-demand command (one of %s)", cmd, strings.Join(onDemandCommands, ", "))}
}

// onDemandJobs are the maintenance commands as jobs run only when
// enqueued. A request whose flags are wrong is not retried.
func (a *App) onDemandJobs() []jobs.Job {
	out := make([]jobs.Job, 0, len(onDemandCommands))
	for _, cmd := range onDemandCommands {
		out = append(out, jobs.Job{Name: cmd, Run: func(ctx context.Context, p jobs.Period) error {
			var r jobs.Request
			if err := json.Unmarshal(jobs.Params(ctx), &r); err != nil || r.Command != cmd {
				return fmt.Errorf("request %q: not a %s request (%v): %w", p.Key, cmd, err, jobs.ErrNoRetry)
			}
			var buf strings.Builder
			err := a.runCommand(ctx, cmd, r.Args, &buf)
			a.Logger.Info("on-demand job output", zap.String("job", cmd), zap.String("key", p.Key), zap.String("output", buf.String()))
			var ue usageError
			if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
				return fmt.Errorf("%w (%w)", err, jobs.ErrNoRetry)
			}
			return err
		}})
	}
	return out
}

// queue returns a Scheduler over the on-demand jobs alone, to enqueue
// requests and read the job history (it is never started).
func (a *App) queue(ctx context.Context) (*jobs.Scheduler, error) {
	backend, err := a.JobBackend(ctx)
	if err != nil {
		return nil, err
	}
	return jobs.New(backend, a.onDemandJobs(), jobs.Options{Logger: a.Logger})
}

// enqueueCommand is `vinventoryd enqueue COMMAND [flags]`: it queues the
// command as an on-demand job for a running daemon (any replica).
func enqueueCommand(ctx context.Context, a *App, args []string, stdout io.Writer) error {
	if len(args) == 0 || !slices.Contains(onDemandCommands, args[0]) {
		return usageError{fmt.Errorf("enqueue COMMAND [flags]: COMMAND is one of %s", strings.Join(onDemandCommands, ", "))}
	}
	r := jobs.Request{Command: args[0], Args: args[1:]}
	q, err := a.queue(ctx)
	if err != nil {
		return err
	}
	key := r.Key()
	_, ok, err := enqueueRequest(ctx, q, r)
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(stdout, "enqueued %q; a running vinventoryd runs it (see: vinventoryd jobs -job %s)\n", key, r.Command)
	} else {
		fmt.Fprintf(stdout, "%q is already waiting or running; not queued again\n", key)
	}
	return nil
}

// enqueueRequest queues r as an on-demand run on q; it returns the run's
// ID and false when the same request already waits or runs.
func enqueueRequest(ctx context.Context, q *jobs.Scheduler, r jobs.Request) (int64, bool, error) {
	if !slices.Contains(onDemandCommands, r.Command) {
		return 0, false, usageError{fmt.Errorf("%q is not an on-demand command (one of %s)", r.Command, strings.Join(onDemandCommands, ", "))}
	}
	return q.EnqueueRequest(ctx, r)
}

// jobsCommand is `vinventoryd jobs`: the latest runs from river's table,
// newest first.
func jobsCommand(ctx context.Context, a *App, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("jobs", flag.ContinueOnError)
	fs.SetOutput(stdout)
	job := fs.String("job", "", "only this job (e.g. daily, capture:vc1, repair)")
	limit := fs.Int("limit", 20, "runs to list")
	asJSON := fs.Bool("json", false, "print JSON lines")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	q, err := a.queue(ctx)
	if err != nil {
		return err
	}
	runs, err := q.History(ctx, *job, *limit)
	if err != nil {
		return err
	}
	return printRows(stdout, *asJSON, runs, func(r jobs.Run) string {
		line := fmt.Sprintf("%-6d %-20s %-40s %-10s attempts=%d created=%s", r.ID, r.Job, r.Period, r.State, r.Attempts, r.CreatedAt.UTC().Format(time.RFC3339))
		if r.Progress != nil {
			line += fmt.Sprintf(" progress=%d/%d", r.Progress.Done, r.Progress.Total)
		}
		if n := len(r.Errors); n > 0 {
			line += " last_error=" + fmt.Sprintf("%q", r.Errors[n-1])
		}
		return line
	})
}

// printRows prints rows as JSON lines, or one line each as line formats it.
func printRows[T any](w io.Writer, asJSON bool, rows []T, line func(T) string) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if asJSON {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintln(w, line(r)); err != nil {
			return err
		}
	}
	return nil
}
